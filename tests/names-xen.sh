#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The names check for libvmmem-xen, and its export list against libvmmem's.
: "${top_srcdir:=.}"
NAMES_LIB=xen exec sh "$top_srcdir/tests/names.sh"
