#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# abi.sh - compare the built shared libraries with the ABI baselines in abi/,
# or write new baselines at a release.
#
#   abi.sh check LIB.la...    (make abi-check)
#   abi.sh update LIB.la...   (make abi-update)
#
# A baseline abi/NAME.abi is what libabigail's abidw reads from
# lib/.libs/NAME.so, restricted to the types the public header directory
# include/ declares.  The check fails on:
#  - anything abidiff reports besides added functions: a removed symbol, a
#    changed function or variable type, a changed SONAME, a symbol moved to
#    another version node;
#  - a symbol added to a version node the baseline already has: released
#    nodes are sealed, new functions go into a new node;
#  - a built library without a baseline, or a baseline without DWARF.
# Added functions in a new node are compatible and pass (they are listed).
# Growing one of the structures passed with their size (grow_at_end below)
# by members at its end is compatible by the library's own rule and passes,
# as long as every member the baseline knows keeps its name, offset and type.
#
# Needs abidw/abidiff (Debian: abigail-tools) and a build with -g (the
# default CFLAGS).  Run with top_srcdir and top_builddir set, as make does.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
mode=${1:-}
[ $# -gt 0 ] && shift
case $mode in
check|update) ;;
*) echo "usage: abi.sh check|update LIB.la..." >&2; exit 2 ;;
esac
[ $# -gt 0 ] || { echo "abi: no library named" >&2; exit 2; }
for t in abidw abidiff readelf; do
	command -v $t >/dev/null 2>&1 ||
		{ echo "abi: $t not found (apt-get install abigail-tools binutils)" >&2; exit 1; }
done

abidir=$top_srcdir/abi
headers=$top_srcdir/include
# The same reading options on both sides, so that only real changes show.
read_opts="--drop-private-types"
# Structures the library reads and writes only up to the size the caller
# passes (vmm_mem_add_region(), vmm_mem_region_info() and its twins): a
# caller built against an older, smaller one keeps working.
grow_at_end="vmm_mem_region_desc vmm_mem_region_info"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmem-abi.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# abidiff suppresses changes to those structures that add members at the
# end; it would also let other member changes through as long as the size
# does not shrink, so members_of() below checks the known ones itself.
{
	echo "[suppress_type]"
	echo "  type_kind = struct"
	echo "  name_regexp = ^($(echo $grow_at_end | tr ' ' '|'))\$"
	echo "  has_data_member_inserted_at = end"
} >"$tmp/grow.suppr"

# members_of STRUCT ABIXML: "offset name type-id" per data member.
members_of() {
	awk -v s="$1" '
		$0 ~ "<class-decl name=\x27" s "\x27" { on = 1; next }
		on && /<\/class-decl>/ { exit }
		on && /<data-member / { match($0, /layout-offset-in-bits=\x27[0-9]*/);
			off = substr($0, RSTART + 23, RLENGTH - 23) }
		on && /<var-decl / {
			match($0, /name=\x27[^\x27]*/); n = substr($0, RSTART + 6, RLENGTH - 6)
			match($0, /type-id=\x27[^\x27]*/); t = substr($0, RSTART + 9, RLENGTH - 9)
			print off, n, t }' "$2"
}

# abidw_of SO OUT: the ABI description the baselines are made of.
abidw_of() {
	# Stable output: hashed type ids, no build paths.  (Keep the locations:
	# without them abidiff 2.2 misses members moved inside a structure.)
	abidw --headers-dir "$headers" $read_opts --no-corpus-path \
		--no-comp-dir-path --type-id-style hash "$1" >"$2"
}

for la in "$@"; do
	name=$(basename "$la" .la)
	so=$top_builddir/$(dirname "$la")/.libs/$name.so
	base=$abidir/$name.abi
	if [ ! -f "$so" ]; then
		echo "abi: $so is not built" >&2; fail=1; continue
	fi
	if ! readelf -S "$so" | grep -q '\.debug_info'; then
		echo "abi: $so has no debug information: build with -g (the default CFLAGS)" >&2
		fail=1; continue
	fi

	if [ "$mode" = update ]; then
		abidw_of "$so" "$tmp/new.abi" ||
			{ echo "abi: abidw failed on $so" >&2; fail=1; continue; }
		mv "$tmp/new.abi" "$base" && echo "abi: wrote $base"
		continue
	fi

	if [ ! -f "$base" ]; then
		echo "abi: no baseline $base for $so; at the release that first ships it," \
			"'make abi-update' writes one (see README, Maintainer notes)" >&2
		fail=1; continue
	fi
	sopt="--suppressions $tmp/grow.suppr"
	echo "abi: $so against $base"
	# The full report, additions included, for the log.
	abidiff --headers-dir2 "$headers" $read_opts $sopt "$base" "$so"
	# The verdict: abidiff's status without the additions.  Its bits: 1
	# error, 2 usage, 4 change, 8 incompatible change.
	abidiff --headers-dir2 "$headers" $read_opts $sopt --no-added-syms \
		"$base" "$so" >"$tmp/verdict" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		cat "$tmp/verdict"
		if [ $((rc & 3)) -ne 0 ]; then
			echo "abi: abidiff could not compare $so with $base (status $rc)" >&2
		else
			echo "abi: $so changed the ABI of $base beyond adding functions (status $rc)" >&2
		fi
		fail=1; continue
	fi

	# The structures that may grow: the baseline's members come first,
	# unchanged.
	abidw_of "$so" "$tmp/now.abi" ||
		{ echo "abi: abidw failed on $so" >&2; fail=1; continue; }
	bad=0
	for st in $grow_at_end; do
		members_of "$st" "$base" >"$tmp/m-old"
		members_of "$st" "$tmp/now.abi" | head -n "$(wc -l <"$tmp/m-old")" >"$tmp/m-new"
		[ -s "$tmp/m-old" ] || continue
		if ! cmp -s "$tmp/m-old" "$tmp/m-new"; then
			echo "abi: struct $st changed members it had (offset, name, type id):" >&2
			diff "$tmp/m-old" "$tmp/m-new" >&2
			bad=1
		fi
	done
	[ $bad = 0 ] || { fail=1; continue; }

	# Sealed nodes: a symbol whose node the baseline knows must be in the
	# baseline.  name@node pairs on both sides:
	sed -n "s/.*<elf-symbol name='\([^']*\)' version='\([^']*\)'.*/\1@\2/p" \
		"$base" | sort -u >"$tmp/old"
	sed 's/.*@//' "$tmp/old" | sort -u >"$tmp/old-nodes"
	LC_ALL=C readelf --dyn-syms -W "$so" |
		awk '$7 != "UND" && $5 == "GLOBAL" && $8 ~ /@/ { print $8 }' |
		sed 's/@@*/@/' | sort -u >"$tmp/new"
	comm -13 "$tmp/old" "$tmp/new" | while IFS=@ read -r sym node; do
		if grep -qx "$node" "$tmp/old-nodes"; then
			echo "abi: $sym was added to the released node $node;" \
				"new functions go into a new node (lib/*.sym)"
		fi
	done >"$tmp/sealed"
	if [ -s "$tmp/sealed" ]; then
		cat "$tmp/sealed" >&2; fail=1; continue
	fi
	echo "abi: $so keeps the ABI of $base"
done
exit $fail
