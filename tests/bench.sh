#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `vmmem bench --smoke`: every workload runs once, briefly, and prints a
# result line with a positive time.  No timing is asserted: the benchmark is
# a tool, not a test.
set -u
: "${top_builddir:=.}"
vmmem=$top_builddir/tools/vmmem
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if ! "$vmmem" bench --smoke >"$tmp/out" 2>"$tmp/err"; then
	echo "bench: vmmem bench --smoke failed:"; cat "$tmp/err"; exit 1
fi
fail=0
for name in read_obj_u64_random write_obj_u64_random read_obj_u64_same \
	read_slice_64B read_slice_4KiB write_slice_4KiB read_slice_1MiB \
	write_slice_1MiB cross_region_read_8KiB find_region_random_4 \
	find_region_random_256 load_u32_acquire store_u32_release \
	write_slice_4KiB_dirty write_obj_u64_random_dirty 'read_from_file_[0-9]+MiB' \
	baseline_memcpy_4KiB baseline_memcpy_1MiB baseline_rawptr_u64_read_same \
	baseline_rawptr_u64_read_random baseline_rawptr_read_4KiB_random \
	baseline_rawptr_read_1MiB_random baseline_rawptr_u32_store_random \
	baseline_rawptr_write_4KiB_random \
	baseline_rawptr_write_1MiB_random baseline_maskedptr_u64_read_random \
	baseline_maskedptr_read_4KiB_random baseline_maskedptr_write_4KiB_random \
	'baseline_read_file_[0-9]+MiB' \
	read_obj_u64_random_hotplug read_obj_u64_random_2threads \
	map_unmap_4KiB dirty_harvest_1GiB create_509_regions; do
	if ! grep -Eq "^$name +[0-9]*\.?[0-9]+( |$)" "$tmp/out"; then
		echo "bench: no result line for $name"; fail=1
	elif grep -E "^$name " "$tmp/out" | awk '{ exit !($2 <= 0) }'; then
		echo "bench: $name reports a time that is not positive"; fail=1
	fi
done
# A filter runs only the matching workloads.
"$vmmem" bench --smoke find_region >"$tmp/f" 2>&1 || { echo "bench: filtered run failed"; fail=1; }
if grep -v '^#' "$tmp/f" | grep -v '^find_region' | grep -q .; then
	echo "bench: the filter let other workloads through:"; cat "$tmp/f"; fail=1
fi
[ $fail = 0 ] && echo "bench: every workload ran"
exit $fail
