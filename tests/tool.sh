#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tool.sh - script tests of vmmem(1): the demo, info/read/write/load/save
# round trips on temporary file-backed regions, and every error path with
# its exit status (0 success, 1 failure, 2 usage error) and its message.
#
# Run by `make check` with top_builddir exported.

set -u
: "${top_builddir:=.}"
vmmem=$top_builddir/tools/vmmem
if [ ! -x "$vmmem" ]; then
	echo "tool.sh: $vmmem is not built" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmem-tool.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# A cross build's tool runs under an emulator named by TOOL_RUNNER (for
# example "qemu-i386"): every call goes through a script that has libtool
# run the binary behind the wrapper under it.
if [ -n "${TOOL_RUNNER:-}" ]; then
	printf '#!/bin/sh\nexec "%s/libtool" --mode=execute %s "%s" "$@"\n' \
		"$top_builddir" "$TOOL_RUNNER" "$vmmem" >"$tmp/vmmem-run" &&
		chmod +x "$tmp/vmmem-run" || exit 99
	vmmem=$tmp/vmmem-run
fi

failed=0
passed=0

fail() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}

pass() {
	passed=$((passed + 1))
}

# run STATUS COMMAND...: run COMMAND with stdout in $tmp/out and stderr in
# $tmp/err; fail unless it exits with STATUS.  Returns 0 when it did.
run() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	last="$*"
	if [ "$got" -ne "$want" ]; then
		fail "$last: exit status $got, expected $want"
		sed 's/^/    stderr: /' "$tmp/err" >&2
		head -n 20 "$tmp/out" | sed 's/^/    stdout: /' >&2
		return 1
	fi
	pass
	return 0
}

# piped FILE COMMAND...: COMMAND with FILE on its standard input through a
# pipe (so that its length is not known in advance).
piped() {
	f=$1
	shift
	cat "$f" | "$@"
}

# err_has ERE: stderr has a "vmmem: " line matching ERE.
err_has() {
	if grep -E -q "^vmmem: .*$1" "$tmp/err"; then
		pass
	else
		fail "$last: no stderr line matching '$1'"
		sed 's/^/    stderr: /' "$tmp/err" >&2
	fi
}

# usage_err ERE ARGS...: vmmem ARGS is a usage error (exit 2) with exactly
# one line on stderr, matching ERE.
usage_err() {
	pattern=$1
	shift
	if run 2 "$vmmem" "$@"; then
		err_has "$pattern"
		[ "$(wc -l <"$tmp/err")" -eq 1 ] ||
			fail "$last: more than one line on stderr"
	fi
}

# out_has ERE: stdout has a line matching ERE.
out_has() {
	if grep -E -q "$1" "$tmp/out"; then
		pass
	else
		fail "$last: no stdout line matching '$1'"
		head -n 20 "$tmp/out" | sed 's/^/    stdout: /' >&2
	fi
}

# hex FILE [OFFSET [COUNT]]: the bytes as one string of hex digits.
hex() {
	if [ $# -gt 2 ]; then
		od -An -v -tx1 -j "$2" -N "$3" "$1"
	elif [ $# -gt 1 ]; then
		od -An -v -tx1 -j "$2" "$1"
	else
		od -An -v -tx1 "$1"
	fi | tr -d ' \n'
}

# dumped: the bytes of a `vmmem read` hexdump in $tmp/out, as hex digits.
dumped() {
	sed -e 's/^[0-9a-f]\{16\}//' -e 's/|.*$//' "$tmp/out" | tr -d ' \n'
}

# same_file WHAT FILE1 FILE2
same_file() {
	if cmp -s "$2" "$3"; then
		pass
	else
		fail "$1: $2 and $3 differ"
	fi
}

# same WHAT EXPECTED ACTUAL
same() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1: got '$3', expected '$2'"
	fi
}

F=$tmp/ram-f
G=$tmp/ram-g
dd if=/dev/zero of="$F" bs=1024 count=64 2>/dev/null &&
	dd if=/dev/zero of="$G" bs=1024 count=64 2>/dev/null &&
	dd if=/dev/urandom of="$tmp/src" bs=1000 count=10 2>/dev/null ||
	exit 99

# The layout of the round trips:
#   [0x10000, 0x20000)   F, offset 0
#   [0x20000, 0x30000)   G, offset 0 (adjacent to F)
#   [0x30000, 0x40000)   hole
#   [0x40000, 0x44000)   F again, offset 16 KiB
#   [1 MiB, 2 MiB)       anonymous
vm() {
	"$vmmem" --region "0x10000,64K,file=$F" \
		--region "0x20000,0x10000,file=$G" \
		--region "0x40000,16KiB,file=$F,offset=0x4000" \
		--region 1M,1M "$@"
}

# ---- --help, --version ---------------------------------------------------
run 0 "$vmmem" --help && out_has '^Usage: vmmem \[--region SPEC\]\.\.\. COMMAND'
run 0 "$vmmem" --version && out_has '^vmmem \(libvmmem\) [0-9]+\.[0-9]+\.[0-9]+$'

# ---- demo ----------------------------------------------------------------
if run 0 "$vmmem" demo; then
	out_has '^demo: all [0-9]+ steps passed$'
	out_has 'libc'
	out_has 'crosses GPA 0x4100000'
	out_has 'FNV-1a 64: source (0x[0-9a-f]{16}), guest \1, copy \1: identical'
	out_has 'harvested [1-9][0-9]* dirty pages; copied [1-9][0-9]* pages'
	out_has 'source and destination equal over [0-9]+ MiB; the log is clean again \(0 dirty pages\)'
	[ -s "$tmp/err" ] && fail "demo wrote to stderr"
fi
# an odd-sized generated file, and the smallest one that can cross
dd if=/dev/urandom of="$tmp/big" bs=65536 count=50 2>/dev/null
printf 'xyz' >>"$tmp/big"
if run 0 "$vmmem" demo --file "$tmp/big"; then
	out_has "^  .*/big, 3276803 bytes -> GPA \[0x3f6ffff, 0x4290002\)"
	out_has 'crosses GPA 0x4100000: 1638401 bytes in region 1 \(anonymous\) \+ 1638402 bytes in region 2'
	out_has '^demo: all [0-9]+ steps passed$'
fi
printf 'ab' >"$tmp/two"
run 0 "$vmmem" demo --file="$tmp/two" && out_has 'steps passed'
printf 'a' >"$tmp/one"
run 1 "$vmmem" demo --file "$tmp/one" && err_has 'at least 2 are needed'
run 1 "$vmmem" demo --file "$tmp/nonexistent" && err_has 'No such file'
run 1 "$vmmem" demo --file "$tmp" && err_has 'not a regular file'
usage_err "'--file' needs a PATH" demo --file
usage_err "unexpected argument 'extra'" demo extra
usage_err '--region does not apply' --region 0,4K demo

# ---- info ----------------------------------------------------------------
if run 0 vm info; then
	out_has '^0 +0x0000000000010000 +0x0000000000020000 +64 KiB +file .*/ram-f offset 0x0$'
	out_has '^1 +0x0000000000020000 +0x0000000000030000 +64 KiB +file .*/ram-g offset 0x0$'
	out_has '^2 +0x0000000000040000 +0x0000000000044000 +16 KiB +file .*/ram-f offset 0x4000$'
	out_has '^3 +0x0000000000100000 +0x0000000000200000 +1 MiB +anonymous$'
	out_has '^4 regions, 1.14 MiB$'
fi
run 0 "$vmmem" --region "0x10000,64K,file=$F,ro" --region 4G,2G info &&
	out_has '^0 +0x0000000000010000 .*, read-only$' &&
	out_has '^1 +0x0000000100000000 +0x0000000180000000 +2 GiB +anonymous$'

# ---- write and read ------------------------------------------------------
run 0 vm write 0x10010 deadbeef && out_has '^wrote 4 bytes at GPA 0x10010$'
same "write to F" deadbeef "$(hex "$F" 16 4)"
if run 0 vm read 0x10010 4; then
	out_has '^0000000000010010  de ad be ef  +[|]....[|]$'
	same "read back" deadbeef "$(dumped)"
fi
# two lines, 0x prefix, upper case; a write across the F/G boundary
run 0 vm write 0x1fffc 0x00112233445566778899AABBCCDDEEFF
same "write across F/G (F part)" 00112233 "$(hex "$F" 65532)"
same "write across F/G (G part)" 445566778899aabbccddeeff "$(hex "$G" 0 12)"
if run 0 vm read 0x1fffc 16; then
	same "read across F/G" 00112233445566778899aabbccddeeff "$(dumped)"
	out_has '^000000000001fffc  00 11 22 33 44 55 66 77  88 99 aa bb cc dd ee ff  [|].."3DUfw........[|]$'
fi
if run 0 vm read 0x1fff0 40; then
	[ "$(wc -l <"$tmp/out")" -eq 3 ] || fail "read 40 bytes: not 3 lines"
	out_has '^0000000000020010  00 00 00 00 00 00 00 00 +[|]........[|]$'
fi
# the region at file offset 16 KiB: the same pages as F's [0x4000, 0x8000)
run 0 vm write 0x40000 a1b2c3d4
same "write at offset=" a1b2c3d4 "$(hex "$F" 16384 4)"
run 0 vm read 0x14000 4 && same "read through the other mapping" a1b2c3d4 "$(dumped)"
run 0 vm read 64K 0 && same "read of 0 bytes" "" "$(cat "$tmp/out")"
# anonymous memory reads as zeros
run 0 vm read 1M 3 && same "anonymous memory" 000000 "$(dumped)"

# ---- load and save -------------------------------------------------------
run 0 vm load 0x10100 "$tmp/src" &&
	out_has "^loaded 10000 bytes from .*/src at GPA 0x10100$"
same "load into F" "$(hex "$tmp/src")" "$(hex "$F" 256 10000)"
run 0 vm save 0x10100 10000 "$tmp/saved" &&
	out_has "^saved 10000 bytes at GPA 0x10100 to .*/saved$"
same_file "save after load" "$tmp/src" "$tmp/saved"
# across the F/G boundary: 4096 bytes in F, 5904 in G
run 0 vm load 0x1f000 "$tmp/src"
same "load across F/G (F part)" "$(hex "$tmp/src" 0 4096)" "$(hex "$F" 61440)"
same "load across F/G (G part)" "$(hex "$tmp/src" 4096)" "$(hex "$G" 0 5904)"
run 0 vm save 0x1f000 10000 "$tmp/saved"
same_file "save across F/G" "$tmp/src" "$tmp/saved"
# from a pipe (length unknown in advance)
run 0 piped "$tmp/src" vm load 0x20100 /dev/stdin &&
	out_has '^loaded 10000 bytes'
same "load from a pipe" "$(hex "$tmp/src")" "$(hex "$G" 256 10000)"
# an empty file, and a save of 0 bytes
: >"$tmp/empty"
run 0 vm load 0x10000 "$tmp/empty" && out_has '^loaded 0 bytes'
if run 0 vm save 0x10000 0 "$tmp/saved0"; then
	same_file "save of 0 bytes" "$tmp/empty" "$tmp/saved0"
fi

# ---- usage errors (exit 2, one line) ---------------------------------------
usage_err "bad region spec '0x1000': missing SIZE" --region 0x1000 info
usage_err "SIZE '12junk': trailing junk" --region 0x1000,12junk info
usage_err "GPA '18446744073709551616': too large" \
	--region 18446744073709551616,4K info
usage_err "too large" --region 0x10000000000000000,4K info
usage_err "SIZE '16777216T': too large" --region 0,16777216T info
usage_err "SIZE '4k': trailing junk" --region 0,4k info
usage_err "GPA '': empty" --region ,4K info
usage_err "GPA '-1': not a number" --region -1,4K info
usage_err "GPA '0x': no hex digits" --region 0x,4K info
usage_err "GPA ' 1': not a number" --region ' 1,4K' info
usage_err "SIZE must not be 0" --region 0,0 info
usage_err "unknown option 'foo=1'" --region 0,4K,foo=1 info
usage_err "empty field" --region 0,4K,,ro info
usage_err "offset= needs file=" --region 0,4K,offset=4K info
usage_err "file= needs a PATH" --region 0,4K,file= info
usage_err "not a multiple of the page size" \
	--region "0,4K,file=$F,offset=100" info
usage_err "option '--region' needs a SPEC" --region
usage_err "unknown option '--bogus'" --bogus info
usage_err "no command given" --region 0,4K
usage_err "unknown command 'frobnicate'" --region 0,4K frobnicate
usage_err "unknown command 'frobnicate'" frobnicate
usage_err "'info' needs at least one --region" info
usage_err "missing arguments" --region 0,4K read 0
usage_err "too many arguments" --region 0,4K read 0 4 5
usage_err "bad GPA 'zz': not a number" --region 0,4K read zz 4
usage_err "bad LEN '4x': trailing junk" --region 0,4K read 0 4x
usage_err "odd number of hex digits" --region 0,4K write 0 abc
usage_err "'x' is not a hex digit" --region 0,4K write 0 xy
usage_err "no hex digits" --region 0,4K write 0 0x
usage_err "missing arguments" --region 0,4K load 0
usage_err "missing arguments" --region 0,4K save 0 4
usage_err "too many arguments" --region 0,4K info 1

# ---- failures (exit 1) -----------------------------------------------------
run 1 vm read 0x30000 16 && err_has 'GPA 0x30000 is not backed by any region'
if run 1 vm read 0x2fff0 32; then
	err_has 'GPA 0x30000 is not backed'
	[ -s "$tmp/out" ] && fail "a read into a hole printed a partial dump"
fi
run 1 vm read 0xfffffffffffffff0 0x20 && err_has 'passes 2\^64'
run 1 vm write 0x44000 00 && err_has 'GPA 0x44000 is not backed'
# overlapping regions: the library's explanation, then the tool's
if run 1 "$vmmem" --region 0,8K --region 4K,8K info; then
	err_has 'cannot add region 1 \[0x1000, 0x3000\): overlaps another region'
	[ "$(grep -c '^vmmem: ' "$tmp/err")" -ge 2 ] ||
		fail "$last: no explanation from the library log"
fi
run 1 "$vmmem" --region "0,1M,file=$F" info && err_has 'cannot add region 0'
run 1 "$vmmem" --region "0,4K,file=$tmp/nonexistent" info &&
	err_has 'nonexistent: No such file'
run 1 "$vmmem" --region 0xfffffffffffff000,8K info &&
	err_has 'cannot add region 0'
# read-only
cp "$F" "$tmp/before"
run 1 "$vmmem" --region "0x10000,64K,file=$F,ro" write 0x10010 00 &&
	err_has 'GPA 0x10010 is in a read-only region \[0x10000, 0x20000\)'
run 1 "$vmmem" --region "0x10000,64K,file=$F,ro" load 0x10000 "$tmp/src" &&
	err_has 'read-only region'
run 1 piped "$tmp/src" \
	"$vmmem" --region "0x10000,64K,file=$F,ro" load 0x10000 /dev/stdin &&
	err_has 'read-only region'
same_file "a read-only region is unchanged" "$tmp/before" "$F"
run 0 "$vmmem" --region "0x10000,64K,file=$F,ro" read 0x10010 4 &&
	same "read from a read-only region" deadbeef "$(dumped)"
# loads that do not fit change nothing (all or nothing) or say where
# guest memory ended
cp "$G" "$tmp/before"
run 1 vm load 0x2f000 "$tmp/src" && err_has 'GPA 0x30000 is not backed'
same_file "a refused load changes nothing" "$tmp/before" "$G"
run 1 piped "$tmp/src" vm load 0x2f000 /dev/stdin &&
	err_has 'does not fit: GPA 0x30000 is not backed'
run 1 vm load 0x10000 "$tmp/nonexistent" && err_has 'No such file'
run 1 vm save 0x2f000 10000 "$tmp/hole.out" && err_has 'GPA 0x30000'
[ -e "$tmp/hole.out" ] && fail "a refused save created its file"
run 1 vm save 0x10000 16 "$tmp/nonexistent/x" && err_has 'No such file'

# ---- data safety, file types and precise messages ------------------------
# save into the file that backs the range: refused, the file keeps its data
dd if=/dev/urandom of="$tmp/self" bs=4096 count=2 2>/dev/null || exit 99
cp "$tmp/self" "$tmp/before"
run 1 "$vmmem" --region "0,8192,file=$tmp/self" save 0 8192 "$tmp/self" &&
	err_has "is the backing file of region 0"
same_file "save onto its own backing file keeps the file" "$tmp/before" \
	"$tmp/self"
ln "$tmp/self" "$tmp/self-link"
run 1 "$vmmem" --region "0,8192,file=$tmp/self" save 0 8192 \
	"$tmp/self-link" && err_has "is the backing file of region 0"
same_file "save onto a hard link of its backing file" "$tmp/before" \
	"$tmp/self"
# save to another existing file still replaces its contents
printf 'old contents that are longer than 16 bytes' >"$tmp/other"
run 0 "$vmmem" --region "0,8192,file=$tmp/self" save 0 16 "$tmp/other"
same "save truncates another file" "$(hex "$tmp/self" 0 16)" \
	"$(hex "$tmp/other")"
# load reads to the end of file, whatever size the file reports
dd if=/dev/zero of="$tmp/mem" bs=4096 count=16 2>/dev/null || exit 99
if run 0 "$vmmem" --region "0,64K,file=$tmp/mem" load 0 /proc/self/status
then
	out_has '^loaded [1-9][0-9]* bytes from /proc/self/status'
	same "/proc file loaded" "4e616d653a" "$(hex "$tmp/mem" 0 5)"
fi
sysfile=/sys/devices/system/cpu/online
if [ -r "$sysfile" ]; then
	n=$(wc -c <"$sysfile")
	if run 0 "$vmmem" --region "0,64K,file=$tmp/mem" load 0x100 "$sysfile"
	then
		out_has "^loaded $n bytes from $sysfile"
		same "sysfs file loaded" "$(hex "$sysfile")" \
			"$(hex "$tmp/mem" 256 "$n")"
	fi
fi
# a FIFO (or a directory) cannot back a region: refused at once
mkfifo "$tmp/fifo" || exit 99
run 1 timeout 20 "$vmmem" --region "0,4096,file=$tmp/fifo,ro" info &&
	err_has "is a FIFO, which cannot back guest memory"
run 1 timeout 20 "$vmmem" --region "0,4096,file=$tmp/fifo" info &&
	err_has "is a FIFO, which cannot back guest memory"
run 1 "$vmmem" --region "0,4096,file=$tmp,ro" info &&
	err_has "is a directory, which cannot back guest memory"
# each -EOVERFLOW says which limit
for spec in 0xfffffffffffff000,8K 0xfffffffffffff000,4K; do
	run 1 "$vmmem" --region $spec info && err_has \
		'cannot add region 0 .*: the range reaches GPA 2\^64 - 1, which no'
done
run 1 "$vmmem" --region "0,8K,file=$tmp/self,offset=0x7ffffffffffff000" \
	info && err_has 'file offset \+ size passes 2\^63 - 1'
if [ "$(getconf LONG_BIT)" = 64 ]; then
	run 1 "$vmmem" --region 0,0xfffffffffffff001 info &&
		err_has 'size does not fit this host'
fi
# the demo names a write that starts backed and runs past the end
run 0 "$vmmem" demo &&
	out_has '^  write le64 at GPA 0x[0-9a-f]+: runs past the end of guest memory'

echo "tool.sh: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
