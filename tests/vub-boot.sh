#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vub-boot.sh - a Linux guest boots with its disk served by
# vmmem-vhost-user-blk, twice: once with the memory table sent region by
# region (CONFIGURE_MEM_SLOTS, ADD_MEM_REG), once whole (SET_MEM_TABLE, the
# back end started with --no-mem-slots).  Each time the guest prints the
# disk's checksum (compared with the image's), writes known data at several
# offsets, with and without O_DIRECT, through a FLUSH, and moves 8 KiB
# through a buffer whose two pages lie on either side of the boundary
# between the two guest memory regions (one descriptor spanning both, which
# the back end counts).  The host then checks the image and the back end's
# message log.  Skips (77) only without QEMU or the guest kernel.
. "${top_srcdir:-.}/tests/vub-lib.sh"

make_initrd
for style in ADD_MEM_REG SET_MEM_TABLE; do
	rm -f disk.img disk.orig b.log b.serial
	head -c $((16 << 20)) /dev/urandom >disk.img
	want=$(md5sum <disk.img | cut -d' ' -f1)
	opts=-vv
	[ $style = SET_MEM_TABLE ] && opts="-vv --no-mem-slots"
	# The guest's search for the two frames at the boundary can come up
	# empty when its kernel holds one of them (vub-guest prints what holds
	# each): then, and only then, the whole boot runs once more, and every
	# check below is of that second run.
	for attempt in 1 2; do
		cp disk.img disk.orig && rm -f b.sock
		# shellcheck disable=SC2086
		start_backend b disk.img $opts
		t0=$(date +%s)
		run_guest b b.sock boot
		st=$?
		t1=$(date +%s)
		wait "$bpid"
		bst=$?
		echo "$style: guest ran $((t1 - t0)) s, QEMU status $st, back end status $bst"
		grep -a '^VUB span' b.serial | tr -d '\r' | sed 's/^/guest: /'
		grep -aq '^VUB span: pages .* not obtained' b.serial || break
		[ $attempt = 2 ] && break
		echo "$style: the guest did not obtain the boundary frames; booting once more"
		mv disk.orig disk.img
	done
	rm -f disk.orig
	[ $st = 0 ] || fail "$style: QEMU exited with $st"
	[ $bst = 0 ] || fail "$style: back end exited with $bst"
	got=$(serial_value b disk-md5)
	if [ "$got" = "$want" ]; then ok "$style: guest reads the image (md5 $got)"; else fail "$style: guest md5 '$got', image md5 $want"; fi
	grep -aq '^VUB write ok' b.serial && ok "$style: guest wrote and read back" || fail "$style: guest write check"
	if grep -aq '^VUB span ok' b.serial; then
		ok "$style: $(grep -a '^VUB span ok' b.serial | tr -d '\r' | cut -c5-)"
	else
		fail "$style: the transfer across the region boundary"
	fi
	grep -aq '^VUB done' b.serial || fail "$style: guest did not finish"
	grep -a '^VUB FAIL' b.serial | tr -d '\r' | while read -r l; do echo "guest: $l"; done
	if "$vubg" verify disk.img; then ok "$style: image holds the guest's writes"; else fail "$style: image check"; fi
	after=$(md5sum <disk.img | cut -d' ' -f1)
	[ "$after" = "$(serial_value b disk-md5-after)" ] && ok "$style: guest and host agree on the final image" ||
		fail "$style: final image md5 differs from the guest's"
	# The back end saw the style of table asked for, and the spanning segment.
	n_add=$(grep -c 'ADD_MEM_REG (37)' b.log)
	n_set=$(grep -c 'SET_MEM_TABLE (5)' b.log)
	if [ $style = ADD_MEM_REG ]; then
		[ "$n_add" -ge 2 ] && [ "$n_set" = 0 ] && ok "$style: $n_add regions added one by one" ||
			fail "$style: $n_add ADD_MEM_REG, $n_set SET_MEM_TABLE"
	else
		[ "$n_set" -ge 1 ] && [ "$n_add" = 0 ] && ok "$style: $n_set memory tables" ||
			fail "$style: $n_add ADD_MEM_REG, $n_set SET_MEM_TABLE"
	fi
	spans=$(sed -n 's/.*segments spanning regions: \([0-9]*\).*/\1/p' b.log | tail -n 1)
	[ "${spans:-0}" -ge 1 ] && ok "$style: $spans data segments spanned two regions" ||
		fail "$style: no data segment spanned two regions"
	starts=$(grep -c 'SET_VRING_KICK' b.log)
	[ "$starts" -ge 2 ] && ok "$style: device started $starts times (firmware, then Linux)" ||
		fail "$style: device started $starts times"
	[ $failed = 0 ] || show_logs b.serial b.log b.qemu.log
done
[ $failed = 0 ] || exit 1
