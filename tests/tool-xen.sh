#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tool-xen.sh - vmmem-xen: Xen region specs (xen=, domid=, no-advance-map,
# vhost-user's xen-flags= in both spellings of "no advance map") and the
# demo on Xen regions, on the simulated /dev/xen; without it, a clear
# failure.
set -u
: "${top_builddir:=.}"
vm=$top_builddir/tools/vmmem-xen
fake=$top_builddir/tests/fake-xen/.libs/fake-xen.so
[ -x "$vm" ] || { echo "tool-xen.sh: $vm is not built"; exit 99; }
[ -f "$fake" ] || { echo "tool-xen.sh: $fake is not built"; exit 99; }
fake=$(cd "$(dirname "$fake")" && pwd)/fake-xen.so
# A sanitizer runtime linked into the tool is not first in the list of
# loaded objects under the preload; that is fine for an object that only
# wraps calls.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmem-tool-xen.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failed=0

# expect STATUS PATTERN COMMAND...: the exit status, and PATTERN in the
# output (stdout and stderr together; "" for any).
expect() {
	want=$1 pat=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" != "$want" ] || ! grep -q -e "$pat" "$tmp/out"; then
		echo "FAIL ($got, wanted $want and '$pat'): $*"
		cat "$tmp/out"
		failed=$((failed + 1))
	fi
}

sim() {
	# 512 MiB of simulated guest (sparse): the demo's foreign RAM
	LD_PRELOAD=$fake FAKE_XEN_PAGES=0x20000 "$@"
}

F=0x10000,64K,xen=foreign,domid=7
G=0x100000,16K,xen=grant,domid=7,no-advance-map
expect 0 "Xen foreign frames of domain 7" sim "$vm" --region $F --region $G info
expect 0 "not mapped in advance" sim "$vm" --region $F --region $G info
expect 0 "" sim "$vm" --region $G write 0x100ffe deadbeef
# each run is a new simulated guest: write and read in one spec set
expect 0 "Xen grants of domain 7$" sim "$vm" --region 0x100000,4K,xen-flags=0x2,domid=7 info
expect 0 "not mapped in advance" sim "$vm" --region 0x100000,4K,xen-flags=0xa,domid=7 info
expect 0 "not mapped in advance" sim "$vm" --region 0x100000,4K,xen-flags=0x102,domid=7 info
expect 0 "00 00 00 00" sim "$vm" --region $G read 0x100ffe 4
expect 0 "^vmmem-xen (libvmmem-xen) [0-9]" "$vm" --version
# refused specs: usage errors
expect 2 "exactly one of foreign" sim "$vm" --region 0x0,4K,xen-flags=3,domid=7 info
expect 2 "no-advance-map needs xen=grant" sim "$vm" --region 0x0,4K,xen=foreign,domid=7,no-advance-map info
expect 2 "xen= needs domid=" sim "$vm" --region 0x0,4K,xen=grant info
expect 2 "xen= takes foreign or grant" sim "$vm" --region 0x0,4K,xen=both,domid=7 info
expect 2 "need xen=" sim "$vm" --region 0x0,4K,domid=7 info
# a spec not made of 4 KiB Xen pages is wrong in itself (check_xen covers
# the library's own refusal)
expect 2 "multiples of 4 KiB" sim "$vm" --region 0x800,4K,xen=foreign,domid=7 info
expect 2 "multiples of 4 KiB" sim "$vm" --region 0,5K,xen=foreign,domid=1 info
# a frame of another domain does not exist
expect 1 "No such process" sim "$vm" --region 0x0,4K,xen=foreign,domid=8 info
# no /dev/xen: a clear failure
if [ ! -e /dev/xen ]; then
	expect 1 "No such file or directory" "$vm" --region $F info
fi
# the demo's steps with its low RAM and RAM as Xen regions
expect 0 "all .* steps passed" sim "$vm" demo --xen 7
grep -q "Xen foreign frames of domain 7" "$tmp/out" ||
	{ echo "FAIL: the demo did not use a Xen region"; cat "$tmp/out"; failed=$((failed + 1)); }
# the Xen bench rows, once each (figures mean nothing in smoke mode)
expect 0 "xen_grant_read_4KiB_copy_vs_map [0-9]" env VMB_XEN_DOMID=7 \
	LD_PRELOAD=$fake "$vm" bench --smoke xen_grant
expect 0 "xen_grant_read_64B_copy_vs_map [0-9]" env VMB_XEN_DOMID=7 \
	LD_PRELOAD=$fake "$vm" bench --smoke xen_grant
[ $failed = 0 ] && echo "tool-xen.sh: all passed"
[ $failed = 0 ]
