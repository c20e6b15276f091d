#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# qemu.sh - interoperation with a real QEMU: libvmmem, through vmmem(1) and
# through tests/qemu-check, sees the guest memory of a running
# qemu-system-x86_64 in its memory backend file, and QEMU sees what
# libvmmem writes there.
#
# The guest is a 5 GiB PC (i440FX) on TCG, started with -S, its RAM a shared
# memory-backend-file.  QEMU puts the first 3 GiB of RAM at GPA 0 (file
# offset 0) and the other 2 GiB at GPA 4 GiB (file offset 3 GiB); the same
# layout for libvmmem is
#   --region 0,3G,file=RAM --region 4G,2G,file=RAM,offset=3G
#
# When does the generic loader (-device loader,file=...,force-raw=on) write
# its blob?  It registers the data as a ROM image, and ROM images are copied
# into guest memory by a reset handler.  QEMU runs the first system reset
# while it creates the machine, before it serves QMP; -S only keeps the
# vCPUs stopped.  So (QEMU 7.2) the blob is in the RAM file as soon as QMP
# answers, with the run state still "prelaunch": neither `cont` nor
# `system_reset` is needed.  `cont` would not help (it starts SeaBIOS,
# which writes to guest RAM of its own); a QMP `system_reset` copies the
# blob again, undoing any write made to those bytes in the meantime.  Should
# another QEMU copy it only later, the test issues one `system_reset` and
# looks again, and says so in its output.
#
# Skips (77) only when qemu-system-x86_64 is absent, or for a 32-bit build,
# which cannot map the 5 GiB guest.

set -u
: "${top_builddir:=.}"
qemu='qemu-system-x86_64'
if ! command -v "$qemu" >/dev/null 2>&1; then
	echo "qemu.sh: $qemu not found, skipping"
	exit 77
fi
top_builddir=$(cd "$top_builddir" && pwd) || exit 99
vmmem=$top_builddir/tools/vmmem
qmp=$top_builddir/tests/qmp
check=$top_builddir/tests/qemu-check
for p in "$vmmem" "$qmp" "$check"; do
	if [ ! -x "$p" ]; then
		echo "qemu.sh: $p is not built" >&2
		exit 99
	fi
done

# The ELF class of the library built: 01 is 32-bit.
if [ "$(od -An -tx1 -j4 -N1 "$top_builddir/lib/.libs/libvmmem.so" 2>/dev/null |
	tr -d ' ')" = 01 ]; then
	echo "qemu.sh: a 32-bit build cannot map the 5 GiB guest, skipping"
	exit 77
fi

. "${top_srcdir:-.}/tests/script-lib.sh"
enter_tmp qemu

# same WHAT EXPECTED ACTUAL
same() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1: got '$3', expected '$2'"
	fi
}
die() {
	echo "qemu.sh: $*" >&2
	if [ -s qemu.log ]; then
		sed 's/^/    qemu: /' qemu.log >&2
	fi
	exit 1
}

GiB=$((1 << 30))
low=$((3 * GiB))		# RAM below 4 GiB
blob_gpa=0x100200000		# in RAM above 4 GiB
blob_off=$((low + 0x100200000 - 4 * GiB))	# its offset in the RAM file
lo_gpa=0x200000			# test writes: below 4 GiB (file offset 2 MiB)
hi_gpa=0x140000000		# and above (5 GiB: file offset 4 GiB)
hi_off=$((low + 0x140000000 - 4 * GiB))

# hex FILE [OFFSET COUNT]: the bytes as one string of hex digits
hex() {
	if [ $# -gt 1 ]; then
		od -An -v -tx1 -j "$2" -N "$3" "$1"
	else
		od -An -v -tx1 "$1"
	fi | tr -d ' \n'
}
# dumped FILE: the bytes of a `vmmem read` hexdump, as hex digits
dumped() {
	sed -e 's/^[0-9a-f]\{16\}//' -e 's/|.*$//' "$1" | tr -d ' \n'
}
# xp GPA: 16 bytes at GPA as QEMU sees them (HMP xp through QMP)
xp() {
	"$qmp" qmp.sock "xp /16xb $1" >xp.out ||
		fail "qmp xp /16xb $1"
	sed -e 's/^[0-9a-f]*: //' -e 's/0x//g' xp.out | tr -d ' \n\r'
}
vm() {
	"$vmmem" --region 0,3G,file=ram --region 4G,2G,file=ram,offset=3G "$@"
}

truncate -s 5G ram || die "cannot create a sparse 5 GiB file"
dd if=/dev/urandom of=blob bs=1024 count=4 2>/dev/null || exit 99

# A watchdog in case this script is killed before its trap can run.
watchdog=
if command -v timeout >/dev/null 2>&1; then
	watchdog="timeout 600"
fi
$watchdog "$qemu" -machine pc -accel tcg -S -m 5G \
	-object memory-backend-file,id=ram,size=5G,mem-path=ram,share=on \
	-machine memory-backend=ram -display none -nodefaults \
	-qmp unix:qmp.sock,server=on,wait=off \
	-device loader,file=blob,addr=$blob_gpa,force-raw=on \
	</dev/null >qemu.log 2>&1 &
qpid=$!
pids=$qpid

# Wait (at most 30 s) for QEMU's QMP socket, then for its first answer.
i=0
while [ ! -S qmp.sock ]; do
	kill -0 "$qpid" 2>/dev/null || die "QEMU exited at start-up"
	[ $i -lt 300 ] || die "no QMP socket after 30 s"
	sleep 0.1
	i=$((i + 1))
done
status=$("$qmp" -w 30 qmp.sock '{"execute":"query-status"}') ||
	die "QEMU does not answer on QMP"
echo "QEMU started: $status"
case $status in
*'"prelaunch"'*) ok "QEMU is stopped before launch (-S)" ;;
*) fail "unexpected run state: $status" ;;
esac

# ---- QEMU writes (the loader), libvmmem reads -------------------------------
blob_in_file() {
	[ "$(hex ram "$blob_off" 4096)" = "$(hex blob)" ]
}
if blob_in_file; then
	ok "loader: blob in the RAM file at start-up, before any cont/reset"
else
	echo "loader: blob not in the RAM file yet; trying system_reset"
	"$qmp" qmp.sock '{"execute":"system_reset"}' >/dev/null ||
		fail "qmp system_reset"
	i=0
	until blob_in_file || [ $i -ge 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if blob_in_file; then
		ok "loader: blob in the RAM file after system_reset"
	else
		die "the loader's blob never reached the RAM file"
	fi
fi
same "QEMU sees the blob at $blob_gpa (xp)" "$(hex blob 0 16)" \
	"$(xp $blob_gpa)"

if vm read $blob_gpa 4096 >dump 2>err; then
	same "vmmem read $blob_gpa 4096" "$(hex blob)" "$(dumped dump)"
	same "vmmem read: offset column is the GPA" 0000000100200000 \
		"$(head -n 1 dump | cut -c 1-16)"
else
	fail "vmmem read $blob_gpa 4096: $(cat err)"
fi
if "$check" ram $low blob $blob_gpa; then
	ok "libvmmem (vmm_mem_read_exact, vmm_mem_get_slice) sees the blob"
else
	fail "qemu-check ram $low blob $blob_gpa"
fi
if vm save $blob_gpa 4096 saved >/dev/null && cmp -s saved blob; then
	ok "vmmem save $blob_gpa 4096"
else
	fail "vmmem save $blob_gpa 4096: differs from the blob"
fi
if vm read 0xc0000000 16 >/dev/null 2>err; then
	fail "vmmem read in the PCI hole at 3 GiB succeeded"
else
	if grep -q 'GPA 0xc0000000 is not backed' err; then
		ok "the PCI hole at 3 GiB is a hole"
	else
		fail "vmmem read 0xc0000000: $(cat err)"
	fi
fi

# ---- libvmmem writes, QEMU reads -----------------------------------------
lo_hex=$(od -An -v -tx1 -N 16 /dev/urandom | tr -d ' \n')
hi_hex=$(od -An -v -tx1 -N 16 /dev/urandom | tr -d ' \n')
vm write $lo_gpa "$lo_hex" >/dev/null || fail "vmmem write $lo_gpa"
vm write $hi_gpa "$hi_hex" >/dev/null || fail "vmmem write $hi_gpa"
same "QEMU sees the write at $lo_gpa (xp)" "$lo_hex" "$(xp $lo_gpa)"
same "QEMU sees the write at $hi_gpa (xp)" "$hi_hex" "$(xp $hi_gpa)"
same "the write at $lo_gpa is at file offset 2 MiB" "$lo_hex" \
	"$(hex ram $((0x200000)) 16)"
same "the write at $hi_gpa is at file offset 4 GiB" "$hi_hex" \
	"$(hex ram "$hi_off" 16)"

# ---- shut down -------------------------------------------------------------
kill -0 "$qpid" 2>/dev/null || fail "QEMU died during the test"
"$qmp" qmp.sock '{"execute":"quit"}' >/dev/null 2>&1
i=0
while kill -0 "$qpid" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$qpid" 2>/dev/null; then
	fail "QEMU did not quit within 10 s"
else
	wait "$qpid"
	pids=
fi

if [ "$failed" -ne 0 ]; then
	echo "qemu.sh: $failed checks failed" >&2
	exit 1
fi
echo "qemu.sh: all checks passed"
