#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Both libraries in one process (see tests/twolibs.c).
: "${top_builddir:=.}"
exec "$top_builddir/tests/twolibs" "$top_builddir/tests/.libs"
