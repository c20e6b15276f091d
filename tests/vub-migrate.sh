#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vub-migrate.sh - live migration of a Linux guest whose disk is served by
# vmmem-vhost-user-blk, through the front end's shared dirty log.
#
# The guest runs `vub-guest loop`: 64 KiB O_DIRECT writes, each read back
# into a buffer only the device writes, and checked.  While it runs, the
# source QEMU migrates to a file; its RAM (two memory-backend-file objects)
# is then frozen.  A destination QEMU, with a fresh back end on the same
# image, loads that file with -S (stopped before it runs a single guest
# instruction).  The source's and the destination's RAM files must be
# byte-identical: that holds only if every guest page the back end wrote
# during the migration was marked in the log, since QEMU itself never sees
# those writes.  The destination then continues, the loop goes on and
# finally re-reads every block it wrote.
#
# The same migration with the source back end started with
# --fault-skip-dirty-log must leave differing pages: that run shows that
# the comparison can fail.  Skips (77) only without QEMU or the guest kernel.
. "${top_srcdir:-.}/tests/vub-lib.sh"

: "${VUB_LOOP_SECS:=30}"
make_initrd

# differing_pages A B: the 4 KiB page numbers at which files A and B differ.
differing_pages() {
	cmp -l "$1" "$2" 2>/dev/null | awk '{ p = int(($1 - 1) / 4096); if (p != last) print p; last = p }'
}

# migrate_once TAG [SOURCE BACK END OPTIONS]: boot the loop, migrate while
# it runs, load the stream into a stopped destination.  Leaves TAG.diff
# (differing pages, "ram0 N"/"ram1 N" lines) and the destination running
# with its QMP socket TAG-d.qmp, still stopped.
migrate_once() {
	tag=$1 kind=$2
	shift 2
	if [ "$kind" = qsd ]; then start_qsd "$tag-s" disk.img; else start_backend "$tag-s" disk.img -v "$@"; fi
	# shellcheck disable=SC2046
	timeout -k 5 "$VUB_GUEST_TIMEOUT" "$qemu" $(qemu_args "$tag-s" "$tag-s.sock") \
		-append "$(append_for loop "vub.secs=$VUB_LOOP_SECS")" \
		-serial "file:$tag-s.serial" >"$tag-s.qemu.log" 2>&1 &
	spid=$!
	pids="$pids $spid"
	if ! wait_for "$tag-s.serial" '^VUB loop start' "$VUB_GUEST_TIMEOUT"; then
		fail "$tag: the guest loop did not start"
		return 1
	fi
	sleep 2
	t0=$(date +%s)
	monitor "$tag-s" "migrate -d \"exec:cat > $tag.mig\"" >/dev/null ||
		{ fail "$tag: migrate command"; return 1; }
	i=0
	while :; do
		st=$(monitor "$tag-s" "info migrate" | sed -n 's/^Migration status: //p')
		case $st in
		completed) break ;;
		failed|cancelled|'') fail "$tag: migration $st"; monitor "$tag-s" "info migrate"; return 1 ;;
		esac
		[ $i -lt 3000 ] || { fail "$tag: migration did not complete"; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
	t1=$(date +%s)
	echo "$tag: migration completed in $((t1 - t0)) s, $(grep -ac '^VUB loop [0-9]' "$tag-s.serial") progress lines before"
	grep -aq '^VUB loop ok' "$tag-s.serial" && fail "$tag: the loop ended before the migration did"
	monitor "$tag-s" quit >/dev/null
	wait "$spid"
	if [ "$kind" = qsd ]; then stop_qsd; else wait "$bpid"; fi
	if [ "$kind" = qsd ]; then start_qsd "$tag-d" disk.img; else start_backend "$tag-d" disk.img -v; fi
	# shellcheck disable=SC2046
	timeout -k 5 "$VUB_GUEST_TIMEOUT" "$qemu" $(qemu_args "$tag-d" "$tag-d.sock") \
		-append "$(append_for loop "vub.secs=$VUB_LOOP_SECS")" \
		-serial "file:$tag-d.serial" -S -incoming "exec:cat $tag.mig" >"$tag-d.qemu.log" 2>&1 &
	dpid=$!
	pids="$pids $dpid"
	i=0
	while :; do
		st=$(monitor "$tag-d" "info status" 2>/dev/null)
		case $st in
		*inmigrate*|'') ;;
		*paused*) break ;;
		*) fail "$tag: destination is '$st'"; return 1 ;;
		esac
		[ $i -lt 3000 ] || { fail "$tag: incoming migration did not complete"; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
	: >"$tag.diff"
	for r in ram0 ram1; do
		differing_pages "$tag-s.$r" "$tag-d.$r" | sed "s/^/$r /" >>"$tag.diff"
	done
}

# 1. The real run.  QEMU 7.2 under TCG itself leaves differing pages in
# about one migration in four, with qemu-storage-daemon as the back end as
# well (measured: 1 of 4 runs, 20 pages, mostly kernel data the guest CPU
# wrote, which no back end touches; the same pages recur across runs and
# back ends), and the destination guest then crashes.  Which pages QEMU
# lost cannot be told apart from pages a back end failed to log, so the
# test does not exclude pages: it migrates up to VUB_MIGRATE_TRIES times
# (default 4) and requires one byte-identical migration, after which the
# destination must run the loop to its end.  Every attempt's differences
# are printed.  A back end that fails to log (the fault run below) differs
# on every attempt, as its used ring alone changes all the time.
: "${VUB_MIGRATE_TRIES:=4}"
t0=$(date +%s)
try=1
identical=
while [ $try -le "$VUB_MIGRATE_TRIES" ] && [ -z "$identical" ]; do
	rm -f good*
	head -c $((16 << 20)) /dev/zero >disk.img
	migrate_once good vub || break
	n=$(wc -l <good.diff)
	if [ "$n" = 0 ]; then
		identical=$try
		ok "attempt $try: guest RAM identical after migration (2 x $ram_mb MiB compared)"
	else
		echo "attempt $try: $n pages differ between source and destination RAM: $(head -n 24 good.diff | tr '\n' ' ')"
		monitor good-d quit >/dev/null
		wait "$dpid"
		wait "$bpid"
	fi
	try=$((try + 1))
done
if [ -n "$identical" ]; then
	monitor good-d cont >/dev/null
	# The loop has at most VUB_LOOP_SECS of guest time left.
	wait_for good-d.serial '^VUB done' $((VUB_LOOP_SECS * 6 + 60)) || kill "$dpid"
	if wait "$dpid"; then ok "destination guest ran to power-off"; else fail "destination QEMU status $?"; fi
	wait "$bpid"
	if grep -aq '^VUB loop ok' good-d.serial; then
		ok "destination: $(grep -a '^VUB loop ok' good-d.serial | tr -d '\r' | cut -c5-)"
	else
		fail "the guest loop did not finish well on the destination"
	fi
else
	fail "no byte-identical migration in $VUB_MIGRATE_TRIES attempts"
fi
t1=$(date +%s)
echo "migration run: $((t1 - t0)) s"
[ $failed = 0 ] || show_logs good-s.serial good-s.log good-s.qemu.log good-d.serial good-d.log good-d.qemu.log

# 2. The fault switch: the back end does not log; the comparison must fail.
f0=$failed
head -c $((16 << 20)) /dev/zero >disk.img
if migrate_once fault vub --fault-skip-dirty-log; then
	n=$(wc -l <fault.diff)
	if [ "$n" -gt 0 ]; then
		ok "with --fault-skip-dirty-log, $n pages differ (the comparison can fail): $(head -n 8 fault.diff | tr '\n' ' ')"
	else
		fail "with --fault-skip-dirty-log the RAM is still identical: the test cannot tell"
	fi
	monitor fault-d quit >/dev/null
fi
t2=$(date +%s)
echo "fault run: $((t2 - t1)) s"
[ $failed = "$f0" ] || show_logs fault-s.serial fault-s.log fault-d.log fault-d.qemu.log
[ $failed = 0 ] || exit 1
