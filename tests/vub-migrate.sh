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
# those writes.
#
# QEMU 7.2 under TCG itself leaves some pages different in one
# migration in three to six, with qemu-storage-daemon as the back end too
# (pages of guest-kernel data the guest CPU wrote; the same pages recur),
# and the destination guest then crashes.  So every differing page is
# classified.  The source back end runs with --write-journal, which
# records, in its virtqueue code and apart from libvmmem's write paths and
# their logging, every guest range the device may write (used ring, every
# device-writable buffer).  A differing page with a differing byte inside
# a range of that journal is a write of the back end that the log lost:
# the test fails at once, no attempt can hide it.  A differing page the
# journal never touched is QEMU's own, and so is a page the back end wrote
# only in part (a status byte shares its page with kernel data) whose
# differing bytes all lie outside what it wrote (see classify): these are
# excluded, and printed with their RAM file and the reason.
#
# The destination then continues, the loop goes on and finally re-reads
# every block it wrote.  That continuation needs RAM without QEMU's
# losses, so only for it, and only when every difference was QEMU's own,
# the migration is tried again, up to VUB_MIGRATE_TRIES times (default 8),
# until one is byte-identical.
#
# The same migration with the source back end started with
# --fault-skip-dirty-log must leave differing pages, some of them in the
# journal: that run shows that the comparison, and the classification,
# can catch a back end that does not log.  Skips (77) only without QEMU or
# the guest kernel.
. "${top_srcdir:-.}/tests/vub-lib.sh"

: "${VUB_LOOP_SECS:=30}"
make_initrd

# differing_pages A B: the 4 KiB page numbers at which files A and B differ.
differing_pages() {
	cmp -l "$1" "$2" 2>/dev/null | awk '{ p = int(($1 - 1) / 4096); if (p != last) print p; last = p }'
}

# journal_pages TAG: the pages the source back end's journal TAG.journal
# touched, as "ram0 N"/"ram1 N" lines, in TAG.jpages, and its ranges as
# file byte offsets, "ram0 START END" lines, in TAG.jranges.  The guest's
# RAM (qemu_args: q35, -m 2 x ram_mb, node 0 on memory-backend-file
# TAG-s.ram0, node 1 on TAG-s.ram1) is GPA [0, split) at offset GPA of ram0
# and GPA [split, 2 x split) at offset GPA - split of ram1: q35 keeps up to
# 2 GiB below 4 GiB, and the nodes take the RAM in order.  The journal's
# region lines (GPA, size, offset in the file, the file's device and inode)
# must agree (each file has at least one region), or the journal cannot be
# read and the test fails.
journal_pages() {
	[ "$(tail -n 1 "$1.journal" 2>/dev/null)" = end ] ||
		{ fail "$1: the back end's write journal is missing or incomplete"; return 1; }
	awk -v half="$split" -v f0="$(stat -c '%d %i' "$1-s.ram0")" \
		-v f1="$(stat -c '%d %i' "$1-s.ram1")" -v out="$1.jranges" '
	function hex(s,  i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	$1 == "r" {
		id = $5 " " $6
		base = id == f0 ? 0 : id == f1 ? half : -1
		if (base < 0 || hex($2) - hex($4) != base) {
			print "journal region does not fit the RAM files: " $0 > "/dev/stderr"
			bad = 1
		}
		seen[id] = 1
	}
	$1 == "w" {
		s = hex($2)
		e = s + hex($3)
		for (p = int(s / 4096); p <= int((e - 1) / 4096); p++)
			pg[p] = 1
		if (s < half)
			print "ram0", s, (e < half ? e : half) > out
		if (e > half && s < 2 * half)
			print "ram1", (s > half ? s : half) - half, (e < 2 * half ? e : 2 * half) - half > out
	}
	END {
		if (!(f0 in seen) || !(f1 in seen)) {
			print "journal lacks a region of each RAM file" > "/dev/stderr"
			bad = 1
		}
		printf "" > out
		n = half / 4096
		for (p in pg)
			if (p + 0 < n)
				print "ram0", p
			else if (p + 0 < 2 * n)
				print "ram1", p - n
			else
				print "gpa-page", p
		exit bad
	}' "$1.journal" | sort -k1,1 -k2,2n >"$1.jpages" ||
		{ fail "$1: the journal's regions are not the RAM files"; return 1; }
}

# page_ranges: "ram0 N" lines (sorted) as "ram0 pages A-B C, ram1 pages D".
page_ranges() {
	awk '
	function put() { out = out (out == "" ? "" : ", ") (f != cur ? f " pages " : "") (a == b ? a : a "-" b); cur = f }
	{ if ($1 == f && $2 == b + 1) { b = $2; next } if (f != "") put(); f = $1; a = b = $2 }
	END { if (f != "") put(); print out }'
}

# page_bytes TAG FILE PAGE: compare one page byte by byte against the
# journal's ranges in it: "FILE PAGE IN OUT DETAIL", IN and OUT the
# differing bytes inside and outside the ranges the back end wrote.
page_bytes() {
	off=$(($3 * 4096))
	cmp -l -i "$off" -n 4096 "$1-s.$2" "$1-d.$2" |
		awk -v f="$2" -v p="$3" -v off="$off" -v j="$1.jranges" '
	BEGIN {
		while ((getline l < j) > 0) {
			split(l, a, " ")
			if (a[1] == f && a[3] > off && a[2] < off + 4096 && !((a[2], a[3]) in dup)) {
				dup[a[2], a[3]] = 1
				n++
				s[n] = (a[2] > off ? a[2] : off) - off
				e[n] = (a[3] < off + 4096 ? a[3] : off + 4096) - off
			}
		}
	}
	{
		b = $1 - 1
		hit = 0
		for (i = 1; i <= n; i++)
			if (b >= s[i] && b < e[i])
				hit = 1
		if (hit) nin++; else nout++
		if (lo == "") lo = b
		hi = b
	}
	END {
		w = ""
		for (i = 1; i <= n && i <= 4; i++)
			w = w sprintf(" 0x%x-0x%x", s[i], e[i] - 1)
		printf "%s %d %d %d %d differing bytes in 0x%x-0x%x; the back end wrote%s%s\n",
			f, p, nin, nout, nin + nout, lo, hi, w, (n > 4 ? " ..." : "")
	}'
}

# classify TAG: every page of TAG.diff is QEMU's own (TAG.qemu) or the
# back end's (TAG.mine).  A page the journal never touched is QEMU's own.
# A page it touched (TAG.shared) is looked at byte by byte: the back end
# wrote only some bytes of it, and with a working log the destination has
# their last value (the log makes QEMU send the page after each write; the
# rings stop before the last pass), so a differing byte inside a range
# the back end wrote is its failure, and a page whose differing bytes all
# lie outside those ranges is QEMU's own.  Counts in n_diff, n_mine,
# n_qemu and n_shared.
classify() {
	journal_pages "$1" || return 1
	grep -Fxf "$1.jpages" "$1.diff" >"$1.touched"
	grep -vFxf "$1.jpages" "$1.diff" >"$1.qemu"
	: >"$1.mine"
	: >"$1.shared"
	while read -r f p; do
		page_bytes "$1" "$f" "$p" >"$1.page"
		read -r _ _ nin _ <"$1.page"
		if [ "$nin" -gt 0 ]; then
			echo "$f $p" >>"$1.mine"
			[ "$(wc -l <"$1.mine")" -le 2 ] || continue
		else
			echo "$f $p" >>"$1.qemu"
			echo "$f $p" >>"$1.shared"
		fi
		# every shared page, the first two of the back end's
		echo "$1: $f page $p, which the back end wrote to: $(cut -d' ' -f5- "$1.page"); $nin of the differing bytes are its own"
	done <"$1.touched"
	sort -k1,1 -k2,2n -o "$1.qemu" "$1.qemu"
	n_diff=$(wc -l <"$1.diff")
	n_mine=$(wc -l <"$1.mine")
	n_qemu=$(wc -l <"$1.qemu")
	n_shared=$(wc -l <"$1.shared")
	echo "$1: $n_diff pages differ; the back end's journal touched $(wc -l <"$1.jpages") pages, $n_mine differing pages have differing bytes it wrote, $n_shared only bytes it did not write"
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
	grep -a '^VUB loop buffer' "$tag-s.serial" | tr -d '\r' | sed "s/^VUB /$tag: guest: /"
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

# 1. The real run.  Each attempt's differences are classified; a differing
# byte the back end wrote fails the test at once.  An attempt whose differences are all
# QEMU's own passes the comparison, but its destination is not continued:
# the next attempt is.
: "${VUB_MIGRATE_TRIES:=8}"
t0=$(date +%s)
try=1
identical=
while [ $try -le "$VUB_MIGRATE_TRIES" ] && [ -z "$identical" ]; do
	rm -f good*
	head -c $((16 << 20)) /dev/zero >disk.img
	migrate_once good vub --write-journal good.journal || break
	classify good || break
	if [ "$n_mine" -gt 0 ]; then
		fail "attempt $try: $n_mine differing pages have bytes the back end wrote (in its write journal) and did not log: $(page_ranges <good.mine)"
		monitor good-d quit >/dev/null
		break
	fi
	if [ "$n_diff" = 0 ]; then
		identical=$try
		ok "attempt $try: guest RAM identical after migration (2 x $ram_mb MiB compared)"
	else
		ok "attempt $try: $n_qemu differing pages excluded as QEMU's own: the back end's write journal never touched $((n_qemu - n_shared)) of them, and in the other $n_shared no differing byte is one it wrote: $(page_ranges <good.qemu)"
		echo "attempt $try: the destination's RAM misses the pages QEMU lost; migrating again for the continuation"
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
elif [ "$failed" = 0 ]; then
	fail "no migration without QEMU's own differences in $VUB_MIGRATE_TRIES attempts: the destination could not continue"
fi
t1=$(date +%s)
echo "migration run: $((t1 - t0)) s"
[ $failed = 0 ] || show_logs good-s.serial good-s.log good-s.qemu.log good-d.serial good-d.log good-d.qemu.log

# 2. The fault switch: the back end does not log; the comparison must fail,
# on pages of its own journal.
f0=$failed
rm -f good*
head -c $((16 << 20)) /dev/zero >disk.img
if migrate_once fault vub --fault-skip-dirty-log --write-journal fault.journal &&
	classify fault; then
	if [ "$n_mine" -gt 0 ]; then
		ok "with --fault-skip-dirty-log, $n_diff pages differ, $n_mine of them on bytes the back end wrote (the test catches a back end that does not log): $(page_ranges <fault.mine)"
	else
		fail "with --fault-skip-dirty-log, $n_diff pages differ but none on bytes the back end wrote: the test cannot tell"
	fi
	monitor fault-d quit >/dev/null
fi
t2=$(date +%s)
echo "fault run: $((t2 - t1)) s"
[ $failed = "$f0" ] || show_logs fault-s.serial fault-s.log fault-d.log fault-d.qemu.log
[ $failed = 0 ] || exit 1
