#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make check's driver for the test programs: AUXDIR, then automake's driver
# options and the command.  The Check suites (tests/check_*) print one TAP
# line per check (tu_run() in tests/testutil.c) and go through automake's
# TAP driver, so that each check, and each check skipped, is counted; any
# other program goes through its plain driver (exit status 0, 77 or other).
aux=$1
shift
name=
prev=
for a in "$@"; do
	[ "$a" = -- ] && break
	[ "$prev" = --test-name ] && name=$a
	prev=$a
done
case $name in
check_*|*/check_*) exec /bin/sh "$aux/tap-driver.sh" "$@" ;;
*) exec /bin/sh "$aux/test-driver" "$@" ;;
esac
