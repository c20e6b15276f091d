#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The header test (header.sh) with Clang.
exec "${SHELL:-/bin/sh}" "${top_srcdir:-.}/tests/header.sh" clang clang++
