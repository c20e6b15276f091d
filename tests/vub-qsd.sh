#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vub-qsd.sh - the same guest against vmmem-vhost-user-blk and against
# qemu-storage-daemon's vhost-user-blk export, the reference back end.
#
#   vub-qsd.sh          both run the boot workload (checksum, writes at
#                       several offsets, the transfer across the two memory
#                       regions) on copies of one image: the images must
#                       come out byte-identical.
#   vub-qsd.sh bench    the throughput ratio on one guest workload (O_DIRECT
#                       reads of the whole disk in 1 MiB and 4 KiB blocks,
#                       8 MiB of 64 KiB writes), timed by the guest's clock,
#                       both back ends in each of VUB_BENCH_ROUNDS rounds
#                       (default 5), reported as the median of the
#                       rounds' ratios.  Under TCG only the ratio means
#                       anything.  `make bench-vhost-user-blk` runs it.
#
# Skips (77) without QEMU, the guest kernel or qemu-storage-daemon.
. "${top_srcdir:-.}/tests/vub-lib.sh"

command -v "$qsd" >/dev/null 2>&1 || skip "$qsd not found"

make_initrd
if [ "${1:-}" = bench ]; then
	rounds=${VUB_BENCH_ROUNDS:-5}
	head -c $((64 << 20)) /dev/urandom >disk.img
	: >ratios
	# A first boot, not counted, warms the host's caches.
	start_backend vub disk.img
	run_guest vub vub.sock bench >/dev/null 2>&1
	wait "$bpid"
	r=1
	while [ $r -le "$rounds" ]; do
		# Each round runs both back ends, one right after the other, so
		# that the host's load affects both alike; the order alternates.
		order="vub qsd"
		[ $((r % 2)) = 0 ] && order="qsd vub"
		for who in $order; do
			rm -f "$who.sock"
			if [ $who = vub ]; then start_backend vub disk.img; else start_qsd qsd disk.img; fi
			run_guest $who $who.sock bench || { echo "$who: QEMU failed" >&2; show_logs $who.serial; exit 1; }
			if [ $who = vub ]; then wait "$bpid"; else stop_qsd; fi
			grep -a '^VUB bench ' $who.serial | tr -d '\r' | awk '{printf "%.2f\n", $4 - $3}' >$who.t
		done
		echo "round $r: vmmem-vhost-user-blk $(cat vub.t) s, qemu-storage-daemon $(cat qsd.t) s (guest clock)"
		echo "$(cat qsd.t) $(cat vub.t)" | awk '{print $1 / $2}' >>ratios
		r=$((r + 1))
	done
	sort -n ratios | awk '{v[NR] = $1} END {printf "throughput ratio vmmem-vhost-user-blk / qemu-storage-daemon: median %.2f of %d rounds (min %.2f, max %.2f)\n", v[int((NR + 1) / 2)], NR, v[1], v[NR]}'
	exit 0
fi

head -c $((16 << 20)) /dev/urandom >orig.img
want=$(md5sum <orig.img | cut -d' ' -f1)
for who in vub qsd; do
	cp orig.img $who.img
	if [ $who = vub ]; then start_backend vub vub.img; else start_qsd qsd qsd.img; fi
	t0=$(date +%s)
	run_guest $who $who.sock boot
	st=$?
	t1=$(date +%s)
	if [ $who = vub ]; then wait "$bpid"; else stop_qsd; fi
	echo "$who: guest ran $((t1 - t0)) s, QEMU status $st"
	[ $st = 0 ] || fail "$who: QEMU exited with $st"
	[ "$(serial_value $who disk-md5)" = "$want" ] || fail "$who: the guest read a different disk"
	grep -aq '^VUB span ok' $who.serial || fail "$who: the guest workload failed"
	grep -aq '^VUB write ok' $who.serial || fail "$who: the guest workload failed"
done
if cmp vub.img qsd.img; then
	ok "both back ends leave the same image bytes ($(md5sum <vub.img | cut -d' ' -f1))"
else
	fail "the images differ"
fi
"$vubg" verify vub.img >/dev/null || fail "the image lacks the guest's writes"
[ $failed = 0 ] || show_logs vub.serial vub.log qsd.serial qsd.log
[ $failed = 0 ] || exit 1
