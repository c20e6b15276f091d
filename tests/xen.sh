#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Xen suite: its "nodev" case as this machine is (no /dev/xen), then
# every other case with the Xen simulation preloaded, so that libvmmem-xen
# drives Debian's real Xen libraries against a simulated hypervisor.
set -u
: "${top_builddir:=.}"
fake=$top_builddir/tests/fake-xen/.libs/fake-xen.so
suite=$top_builddir/tests/check_xen
[ -f "$fake" ] || { echo "xen.sh: $fake is not built"; exit 99; }
[ -x "$suite" ] || { echo "xen.sh: $suite is not built"; exit 99; }
if [ -e /dev/xen ]; then
	echo "xen.sh: this host has /dev/xen; the no-device case does not apply"
else
	CK_RUN_CASE=nodev "$suite" || exit 1
fi
# A sanitizer runtime linked into the program is then not first in the
# list of loaded objects; that is fine for an object that only wraps calls.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
LD_PRELOAD=$(cd "$(dirname "$fake")" && pwd)/fake-xen.so
export ASAN_OPTIONS LD_PRELOAD
for c in foreign grant ondemand hotplug; do
	CK_RUN_CASE=$c "$suite" || exit 1
done
