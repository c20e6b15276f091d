/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_lookup - collection construction and lookup: conformance cases
 * 31-53 of vm-memory-semantics.md section 12.3, and regression case C17 of
 * cases-regressions.md.
 *
 * Most tests are loop tests over the backing kind (_i):
 *   0  GM:  anonymous regions (vmm_mem_new_from_ranges);
 *   1  GMf: each region on its own memfd of exactly the region's size, at
 *           offset 0 (vmm_mem_new_from_ranges_with_files);
 *   2  GMf: the same with unlinked regular temporary files.
 *
 * vm-memory's four constructors map as follows: from_ranges and
 * from_ranges_with_files are vmm_mem_new_from_ranges() and
 * vmm_mem_new_from_ranges_with_files(); from_regions and from_arc_regions
 * (which take already-built region objects) have no C counterpart, since C
 * callers never hold a region object: the nearest behaviour is building the
 * set one region at a time with vmm_mem_add_region() on one handle, which is
 * tested alongside.
 *
 * Hot add/remove (cases 37-39): vm-memory's insert_region/remove_region
 * return a new collection and leave the original untouched.  libvmmem
 * mutates the handle instead; what stays of "the original" is that every
 * access sees one consistent snapshot of the table (tested in the hot-plug
 * suite), so the "original still has 2 regions" parts have no C
 * counterpart.
 */
#include "testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { GM_ANON = 0, GM_MEMFD = 1, GM_FILE = 2, GM_KINDS = 3 };

static const char *const kind_name[GM_KINDS] = { "GM", "GMf(memfd)",
						 "GMf(file)" };

/* A file of exactly @size bytes for kind @kind. */
static int kind_fd(int kind, uint64_t size)
{
	return kind == GM_MEMFD ? tu_memfd((size_t)size)
				: tu_tmpfile((size_t)size);
}

/*
 * Build a memory of @n ranges of kind @kind; the files are closed again
 * before returning (the library holds its own duplicates).  Returns the
 * library's result.
 */
static int gm_try(int kind, vmm_mem_t **out, const struct vmm_mem_range *r,
		  size_t n)
{
	struct vmm_mem_file_range fr[16];
	size_t k;
	int rc;

	if (kind == GM_ANON)
		return vmm_mem_new_from_ranges(out, r, n);
	ck_assert_uint_le(n, TU_ARRAY_SIZE(fr));
	memset(fr, 0, sizeof(fr));
	for (k = 0; k < n; k++) {
		fr[k].gpa = r[k].gpa;
		fr[k].size = r[k].size;
		fr[k].fd = kind_fd(kind, r[k].size);
		fr[k].fd_offset = 0;
	}
	rc = vmm_mem_new_from_ranges_with_files(out, fr, n);
	for (k = 0; k < n; k++)
		close(fr[k].fd);
	return rc;
}

static vmm_mem_t *gm(int kind, const struct vmm_mem_range *r, size_t n)
{
	vmm_mem_t *m = NULL;
	int rc = gm_try(kind, &m, r, n);

	ck_assert_msg(rc == 0, "%s: building %zu ranges: %d", kind_name[kind],
		      n, rc);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Add one region of kind @kind to @m; returns the library's result. */
static int add_kind(int kind, vmm_mem_t *m, uint64_t gpa, uint64_t size)
{
	int fd, rc;

	if (kind == GM_ANON)
		return tu_add_anon(m, gpa, size, 0);
	fd = kind_fd(kind, size);
	rc = tu_add_fd(m, gpa, size, fd, 0, 0);
	close(fd);
	return rc;
}

static vmm_mem_t *mem_new(void)
{
	vmm_mem_t *m = NULL;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_ptr_nonnull(m);
	return m;
}

static void info_idx(vmm_mem_t *m, unsigned int idx,
		     struct vmm_mem_region_info *i)
{
	memset(i, 0xa5, sizeof(*i));
	ck_assert_int_eq(vmm_mem_region_info(m, idx, i, sizeof(*i)), 0);
}

static void info_at(vmm_mem_t *m, uint64_t gpa, struct vmm_mem_region_info *i)
{
	memset(i, 0xa5, sizeof(*i));
	ck_assert_int_eq(vmm_mem_region_info_at(m, gpa, i, sizeof(*i)), 0);
}

static uint64_t last_addr(vmm_mem_t *m)
{
	uint64_t last = 0;

	ck_assert_int_eq(vmm_mem_last_addr(m, &last), 0);
	return last;
}

/* Build must fail with @want, leave *out alone and leak nothing. */
static void gm_refused(int kind, const struct vmm_mem_range *r, size_t n,
		       int want)
{
	vmm_mem_t *m = (vmm_mem_t *)&m;
	int fds = tu_count_fds(), maps = tu_count_maps(TU_MEMFD_MAPS);

	ck_assert_int_eq(gm_try(kind, &m, r, n), want);
	ck_assert_ptr_eq(m, (vmm_mem_t *)&m);
	ck_assert_int_eq(tu_count_fds(), fds);
	ck_assert_int_eq(tu_count_maps(TU_MEMFD_MAPS), maps);
}

/* ------------------------------------------------------------------------ */
/* 12.3 Collection construction                                              */
/* ------------------------------------------------------------------------ */

/*
 * Case 31: "from_ranges / with_files / from_regions / from_arc_regions
 * with [] -> Err(NoMemoryRegion) for all four".  In C: -EINVAL.  An empty
 * memory is still what vmm_mem_new() makes (GuestMemoryMmap::new()).
 */
START_TEST(case31_no_memory_region)
{
	static const struct vmm_mem_range r[] = { { 0, 0x1000 } };
	struct vmm_mem_file_range fr;
	vmm_mem_t *m = (vmm_mem_t *)&m;

	ck_assert_int_eq(vmm_mem_new_from_ranges(&m, r, 0), -EINVAL);
	ck_assert_int_eq(vmm_mem_new_from_ranges(&m, NULL, 0), -EINVAL);
	memset(&fr, 0, sizeof(fr));
	fr.size = 0x1000;
	fr.fd = -1;
	ck_assert_int_eq(vmm_mem_new_from_ranges_with_files(&m, &fr, 0),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_new_from_ranges_with_files(&m, NULL, 0),
			 -EINVAL);
	ck_assert_ptr_eq(m, (vmm_mem_t *)&m);

	/* NULL arguments with a non-empty list. */
	ck_assert_int_eq(vmm_mem_new_from_ranges(NULL, r, 1), -EINVAL);
	ck_assert_int_eq(vmm_mem_new_from_ranges(&m, NULL, 1), -EINVAL);
	ck_assert_int_eq(vmm_mem_new_from_ranges_with_files(NULL, &fr, 1),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_new_from_ranges_with_files(&m, NULL, 1),
			 -EINVAL);
	ck_assert_ptr_eq(m, (vmm_mem_t *)&m);
	/* "reserved: must be 0". */
	fr.reserved = 1;
	ck_assert_int_eq(vmm_mem_new_from_ranges_with_files(&m, &fr, 1),
			 -EINVAL);
	ck_assert_ptr_eq(m, (vmm_mem_t *)&m);
	ck_assert_int_eq(vmm_mem_new(NULL), -EINVAL);
}
END_TEST

/*
 * Case 32: "[(0,100),(99,100)] via all four -> Err(MemoryRegionOverlap)".
 * -EEXIST, whichever way the set is built.
 */
START_TEST(case32_overlapping_regions)
{
	static const struct vmm_mem_range r[] = { { 0, 100 }, { 99, 100 } };
	vmm_mem_t *m;

	gm_refused(_i, r, 2, -EEXIST);

	m = mem_new();
	ck_assert_int_eq(add_kind(_i, m, 0, 100), 0);
	ck_assert_int_eq(add_kind(_i, m, 99, 100), -EEXIST);
	ck_assert_int_eq(vmm_mem_num_regions(m), 1);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 33: "[(100,100),(0,100)] via all four ->
 * Err(UnsortedMemoryRegions)".  -EINVAL: the batch constructors do not
 * sort.  One region at a time (insert_region, which sorts) the same set is
 * fine and comes back in ascending order.
 */
START_TEST(case33_unsorted_regions)
{
	static const struct vmm_mem_range r[] = { { 100, 100 }, { 0, 100 } };
	struct vmm_mem_region_info i;
	vmm_mem_t *m;

	gm_refused(_i, r, 2, -EINVAL);

	m = mem_new();
	ck_assert_int_eq(add_kind(_i, m, 100, 100), 0);
	ck_assert_int_eq(add_kind(_i, m, 0, 100), 0);
	ck_assert_int_eq(vmm_mem_num_regions(m), 2);
	info_idx(m, 0, &i);
	ck_assert_uint_eq(i.gpa, 0);
	info_idx(m, 1, &i);
	ck_assert_uint_eq(i.gpa, 100);
	vmm_mem_unref(m);
}
END_TEST

/*
 * "each adjacent pair (prev, next) is checked in order, and the first
 * failing pair decides the error" (section 4.1), and regions are created
 * before the set is validated.
 */
START_TEST(case32_33_first_failing_pair_decides)
{
	static const struct vmm_mem_range unsorted_first[] = {
		{ 200, 100 }, { 0, 100 }, { 50, 100 } };
	static const struct vmm_mem_range overlap_first[] = {
		{ 0, 100 }, { 50, 100 }, { 0, 10 } };
	static const struct vmm_mem_range bad_region_last[] = {
		{ 100, 100 }, { 0, 100 }, { 0x1000, 0 } };

	gm_refused(_i, unsorted_first, 3, -EINVAL);
	gm_refused(_i, overlap_first, 3, -EEXIST);
	/* A region that cannot be created fails before the unsorted pair
	 * is even looked at; both are -EINVAL, and nothing leaks. */
	gm_refused(_i, bad_region_last, 3, -EINVAL);
}
END_TEST

/*
 * Case 34: "[(0,100),(100,100)] via all four -> Ok; 2 regions; last_addr
 * 199; each base found; region sizes 100".
 */
START_TEST(case34_valid_regions)
{
	static const struct vmm_mem_range r[] = { { 0, 100 }, { 100, 100 } };
	struct vmm_mem_region_info i;
	vmm_mem_t *ms[2];
	unsigned int k;

	ms[0] = gm(_i, r, 2);
	ms[1] = mem_new();
	ck_assert_int_eq(add_kind(_i, ms[1], 0, 100), 0);
	ck_assert_int_eq(add_kind(_i, ms[1], 100, 100), 0);

	for (k = 0; k < 2; k++) {
		vmm_mem_t *m = ms[k];

		ck_assert_int_eq(vmm_mem_num_regions(m), 2);
		ck_assert_uint_eq(last_addr(m), 199);
		info_at(m, 0, &i);
		ck_assert_uint_eq(i.gpa, 0);
		ck_assert_uint_eq(i.size, 100);
		ck_assert_uint_eq(i.type, _i == GM_ANON ? VMM_MEM_REGION_ANON
							: VMM_MEM_REGION_FD);
		info_at(m, 100, &i);
		ck_assert_uint_eq(i.gpa, 100);
		ck_assert_uint_eq(i.size, 100);
		ck_assert_int_eq(vmm_mem_check_range(m, 0, 200), 1);
		vmm_mem_unref(m);
	}
}
END_TEST

/*
 * Case 35: "new() -> 0 regions; last_addr 0; write([1],0) ->
 * Err(InvalidGuestAddress(0))".  libvmmem: last_addr on an empty memory is
 * -ENOENT (no 0 - 1 underflow, C28), and every access is -EFAULT.
 */
START_TEST(case35_empty_memory)
{
	vmm_mem_t *m = mem_new();
	struct vmm_mem_region_info i;
	uint64_t last = 0x77, r = 0x77;
	unsigned char b = 1;
	void *p;

	ck_assert_int_eq(vmm_mem_num_regions(m), 0);
	ck_assert_int_eq(vmm_mem_last_addr(m, &last), -ENOENT);
	ck_assert_uint_eq(last, 0x77);
	ck_assert_int_eq(vmm_mem_write(m, 0, &b, 1), -EFAULT);
	ck_assert_int_eq(vmm_mem_read(m, 0, &b, 1), -EFAULT);
	ck_assert_int_eq(vmm_mem_region_info(m, 0, &i, sizeof(i)), -ENOENT);
	ck_assert_int_eq(vmm_mem_region_info_at(m, 0, &i, sizeof(i)), -EFAULT);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0), 0);
	ck_assert_int_eq(vmm_mem_check_range(m, 0, 1), 0);
	ck_assert_int_eq(vmm_mem_checked_offset(m, 0, 0, &r), -EFAULT);
	ck_assert_uint_eq(r, 0x77);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0, &p), -EFAULT);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0, 0x1000), -ENOENT);

	ck_assert_int_eq(vmm_mem_num_regions(NULL), -EINVAL);
	ck_assert_int_eq(vmm_mem_last_addr(NULL, &last), -EINVAL);
	ck_assert_int_eq(vmm_mem_last_addr(m, NULL), -EINVAL);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 36: "from_regions([R(0x1000,0x1000), R(0x1000,0x1000)]) ->
 * Err(MemoryRegionOverlap)".  Equal starts are an overlap.
 */
START_TEST(case36_duplicate_region)
{
	static const struct vmm_mem_range r[] = { { 0x1000, 0x1000 },
						  { 0x1000, 0x1000 } };
	vmm_mem_t *m;

	gm_refused(_i, r, 2, -EEXIST);
	m = mem_new();
	ck_assert_int_eq(add_kind(_i, m, 0x1000, 0x1000), 0);
	ck_assert_int_eq(add_kind(_i, m, 0x1000, 0x1000), -EEXIST);
	ck_assert_int_eq(vmm_mem_num_regions(m), 1);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Hot add / remove                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Case 37: "GM[(0,0x1000),(0x100000,0x1000)]: insert (0x8000,0x1000),
 * (0x4000,...), (0xc000,...), then (0xc000,...) again -> the first three
 * succeed; final GM has 5 regions with starts 0,0x4000,0x8000,0xc000,
 * 0x100000; the 4th gives Err (MemoryRegionOverlap); the original still
 * has 2".  The handle is mutated (see the top of this file).
 */
START_TEST(case37_insert_region)
{
	static const struct vmm_mem_range r[] = { { 0, 0x1000 },
						  { 0x100000, 0x1000 } };
	static const uint64_t want[] = { 0, 0x4000, 0x8000, 0xc000,
					 0x100000 };
	struct vmm_mem_region_info i;
	vmm_mem_t *m = gm(_i, r, 2);
	unsigned int k;

	ck_assert_int_eq(add_kind(_i, m, 0x8000, 0x1000), 0);
	ck_assert_int_eq(add_kind(_i, m, 0x4000, 0x1000), 0);
	ck_assert_int_eq(add_kind(_i, m, 0xc000, 0x1000), 0);
	ck_assert_int_eq(add_kind(_i, m, 0xc000, 0x1000), -EEXIST);
	ck_assert_int_eq(vmm_mem_num_regions(m), 5);
	for (k = 0; k < 5; k++) {
		info_idx(m, k, &i);
		ck_assert_uint_eq(i.gpa, want[k]);
		ck_assert_uint_eq(i.size, 0x1000);
		/* Each one is found by lookup, and holds its own data. */
		ck_assert_int_eq(vmm_mem_write_u32(m, want[k] + 0xffc, k + 1),
				 0);
	}
	for (k = 0; k < 5; k++) {
		uint32_t v = 0;

		ck_assert_int_eq(vmm_mem_read_u32(m, want[k] + 0xffc, &v), 0);
		ck_assert_uint_eq(v, k + 1);
	}
	ck_assert_int_eq(vmm_mem_region_info(m, 5, &i, sizeof(i)), -ENOENT);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 38: "same starting GM: remove(0,128); remove(0x4000,128);
 * remove(0x100000,0x1000) -> Err(InvalidGuestRegion);
 * Err(InvalidGuestRegion); Ok(new GM with 1 region starting at 0, removed
 * region start 0x100000)".  -ENOENT for no exact match; once removal
 * returns, the region is gone from lookup and (no mapping pins it) from the
 * address space.
 */
START_TEST(case38_remove_region)
{
	static const struct vmm_mem_range r[] = { { 0, 0x1000 },
						  { 0x100000, 0x1000 } };
	struct vmm_mem_region_info i;
	vmm_mem_t *m = gm(_i, r, 2);
	int fds = tu_count_fds();
	void *hva;

	ck_assert_int_eq(vmm_mem_remove_region(m, 0, 128), -ENOENT);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x4000, 128), -ENOENT);
	/* Exact start and size only. */
	ck_assert_int_eq(vmm_mem_remove_region(m, 0, 0x1001), -ENOENT);
	ck_assert_int_eq(vmm_mem_remove_region(m, 1, 0xfff), -ENOENT);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x100000, 0x2000), -ENOENT);
	ck_assert_int_eq(vmm_mem_remove_region(NULL, 0, 0x1000), -EINVAL);
	ck_assert_int_eq(vmm_mem_num_regions(m), 2);

	info_at(m, 0x100000, &i);
	hva = i.hva;
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x100000, 0x1000), 0);
	ck_assert_int_eq(vmm_mem_num_regions(m), 1);
	info_idx(m, 0, &i);
	ck_assert_uint_eq(i.gpa, 0);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0x100000), 0);
	ck_assert_int_eq(vmm_mem_region_info_at(m, 0x100000, &i, sizeof(i)),
			 -EFAULT);
	ck_assert(!tu_is_mapped(hva));
	if (_i != GM_ANON)
		ck_assert_int_eq(tu_count_fds(), fds - 1);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x100000, 0x1000), -ENOENT);
	ck_assert_uint_eq(last_addr(m), 0xfff);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 39: "GM[(0x1000,0x1000)]: remove(0x1000,0x1000) -> Ok; new GM has 0
 * regions".  The emptiness rule of the constructors does not apply.
 */
START_TEST(case39_remove_last_region)
{
	static const struct vmm_mem_range r[] = { { 0x1000, 0x1000 } };
	vmm_mem_t *m = gm(_i, r, 1);
	uint64_t last = 0x99;
	unsigned char b;

	ck_assert_int_eq(vmm_mem_remove_region(m, 0x1000, 0x1000), 0);
	ck_assert_int_eq(vmm_mem_num_regions(m), 0);
	ck_assert_int_eq(vmm_mem_last_addr(m, &last), -ENOENT);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0x1000), 0);
	ck_assert_int_eq(vmm_mem_read(m, 0x1000, &b, 1), -EFAULT);
	/* The handle stays usable. */
	ck_assert_int_eq(add_kind(_i, m, 0x1000, 0x1000), 0);
	ck_assert_int_eq(vmm_mem_num_regions(m), 1);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Lookup                                                                    */
/* ------------------------------------------------------------------------ */

static const struct vmm_mem_range two_gap[] = { { 0, 0x400 },
						{ 0x800, 0x400 } };

/* Case 40: "GM and GMf [(0,0x400),(0x800,0x400)]: address_in_range
 * 0x200/0x600/0xa00/0xc00 -> T/F/T/F". */
START_TEST(case40_address_in_range)
{
	vmm_mem_t *m = gm(_i, two_gap, 2);

	ck_assert_int_eq(vmm_mem_address_in_range(m, 0x200), 1);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0x600), 0);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0xa00), 1);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0xc00), 0);
	/* Edges of both regions. */
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0x3ff), 1);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0x400), 0);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0x7ff), 0);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0x800), 1);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0xbff), 1);
	ck_assert_int_eq(vmm_mem_address_in_range(NULL, 0), -EINVAL);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 41: "check_address for the same addresses -> Some(0x200)/None/
 * Some(0xa00)/None".  check_address(a) is checked_offset(a, 0).
 */
START_TEST(case41_check_address)
{
	static const uint64_t a[] = { 0x200, 0x600, 0xa00, 0xc00 };
	static const int ok[] = { 1, 0, 1, 0 };
	vmm_mem_t *m = gm(_i, two_gap, 2);
	unsigned int k;

	for (k = 0; k < 4; k++) {
		uint64_t r = 0x5a5a;
		int rc = vmm_mem_checked_offset(m, a[k], 0, &r);

		if (ok[k]) {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(r, a[k]);
		} else {
			ck_assert_int_eq(rc, -EFAULT);
			ck_assert_uint_eq(r, 0x5a5a);
		}
	}
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 42: "to_region_addr 0x600, 0x800, 0xa00 -> None; (R2,0); (R2,0x200),
 * same region".  The region is vmm_mem_region_info_at(); the offset is
 * gpa - info.gpa.
 */
START_TEST(case42_to_region_addr)
{
	vmm_mem_t *m = gm(_i, two_gap, 2);
	struct vmm_mem_region_info r2, a, b;

	info_idx(m, 1, &r2);
	ck_assert_int_eq(vmm_mem_region_info_at(m, 0x600, &a, sizeof(a)),
			 -EFAULT);
	info_at(m, 0x800, &a);
	ck_assert_uint_eq(a.gpa, r2.gpa);
	ck_assert_uint_eq(0x800 - a.gpa, 0);
	info_at(m, 0xa00, &b);
	ck_assert_uint_eq(0xa00 - b.gpa, 0x200);
	ck_assert_uint_eq(b.gpa, a.gpa);
	ck_assert_ptr_eq(b.hva, a.hva);
	ck_assert_uint_eq(b.size, 0x400);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 43: "get_host_address 0x600, 0x800, 0xa00 ->
 * Err(InvalidGuestAddress); R2.as_ptr; R2.as_ptr+0x200".
 */
START_TEST(case43_get_host_address)
{
	vmm_mem_t *m = gm(_i, two_gap, 2);
	struct vmm_mem_region_info r1, r2;
	void *p = (void *)&p;

	info_idx(m, 0, &r1);
	info_idx(m, 1, &r2);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0x600, &p), -EFAULT);
	ck_assert_ptr_eq(p, (void *)&p);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0x800, &p), 0);
	ck_assert_ptr_eq(p, r2.hva);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0xa00, &p), 0);
	ck_assert_ptr_eq(p, (char *)r2.hva + 0x200);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0x3ff, &p), 0);
	ck_assert_ptr_eq(p, (char *)r1.hva + 0x3ff);

	/* The pointer is the guest memory. */
	ck_assert_int_eq(vmm_mem_write_u8(m, 0xa00, 0x6b), 0);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0xa00, &p), 0);
	ck_assert_uint_eq(*(unsigned char *)p, 0x6b);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0xa00, NULL), -EINVAL);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 44: "R(0,0x400): region get_host_address(MemoryRegionAddress(0x400))
 * -> Err(InvalidBackendAddress)".  Region-level access has no C API; the
 * single-region memory says -EFAULT one past the end.
 */
START_TEST(case44_region_host_address_past_end)
{
	static const struct vmm_mem_range r[] = { { 0, 0x400 } };
	vmm_mem_t *m = gm(_i, r, 1);
	void *p = NULL;

	ck_assert_int_eq(vmm_mem_get_host_address(m, 0x400, &p), -EFAULT);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0x3ff, &p), 0);
	vmm_mem_unref(m);
}
END_TEST

static const struct vmm_mem_range three[] = { { 0, 0x400 },
					      { 0x800, 0x400 },
					      { 0xc00, 0x400 } };

/*
 * Case 45: "GM[(0,0x400),(0x800,0x400),(0xc00,0x400)]: checked_offset
 * (0,0x200),(0,0xa00),(0x800,0x7ff),(0x800,0xc00),(0,usize::MAX),(0,0x400),
 * (0,0x3ff) -> 0x200; 0xa00; 0xfff; None; None; None; 0x3ff".
 * (0, u64::MAX) does not wrap (its sum is u64::MAX, unbacked): -EFAULT; a
 * sum that does wrap is -EOVERFLOW.
 */
START_TEST(case45_checked_offset)
{
	static const struct {
		uint64_t base, off;
		int rc;
		uint64_t want;
	} t[] = {
		{ 0, 0x200, 0, 0x200 },
		{ 0, 0xa00, 0, 0xa00 },
		{ 0x800, 0x7ff, 0, 0xfff },
		{ 0x800, 0xc00, -EFAULT, 0 },
		{ 0, UINT64_MAX, -EFAULT, 0 },
		{ 0, 0x400, -EFAULT, 0 },
		{ 0, 0x3ff, 0, 0x3ff },
		{ 0x800, UINT64_MAX, -EOVERFLOW, 0 },
		{ UINT64_MAX, 1, -EOVERFLOW, 0 },
		/* Holes in between do not matter; nor does an unbacked base. */
		{ 0x600, 0x200, 0, 0x800 },
	};
	vmm_mem_t *m = gm(_i, three, 3);
	unsigned int k;

	for (k = 0; k < TU_ARRAY_SIZE(t); k++) {
		uint64_t r = 0x5a5a;
		int rc = vmm_mem_checked_offset(m, t[k].base, t[k].off, &r);

		ck_assert_msg(rc == t[k].rc, "checked_offset(%#llx, %#llx): %d",
			      (unsigned long long)t[k].base,
			      (unsigned long long)t[k].off, rc);
		ck_assert_uint_eq(r, t[k].rc == 0 ? t[k].want : 0x5a5a);
	}
	ck_assert_int_eq(vmm_mem_checked_offset(m, 0, 0, NULL), -EINVAL);
	{
		uint64_t r = 0;

		ck_assert_int_eq(vmm_mem_checked_offset(NULL, 0, 0, &r),
				 -EINVAL);
	}
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 46: "check_range (0,0),(0,0x200),(0,0x400),(0,0xa00),(0x800,0x7ff),
 * (0x800,0x800),(0x800,0x801),(0x800,0xc00),(0,usize::MAX) ->
 * T,T,T,F,T,T,F,F,F".  (0, u64::MAX) ends at 2^64 - 1 and does not pass
 * 2^64, so it is 0 rather than -EOVERFLOW; a range that does is -EOVERFLOW.
 */
START_TEST(case46_check_range)
{
	static const struct {
		uint64_t base, len;
		int want;
	} t[] = {
		{ 0, 0, 1 },
		{ 0, 0x200, 1 },
		{ 0, 0x400, 1 },
		{ 0, 0xa00, 0 },
		{ 0x800, 0x7ff, 1 },
		{ 0x800, 0x800, 1 },
		{ 0x800, 0x801, 0 },
		{ 0x800, 0xc00, 0 },
		{ 0, UINT64_MAX, 0 },
		{ 0x800, UINT64_MAX, -EOVERFLOW },
		{ UINT64_MAX, 2, -EOVERFLOW },
		{ 0x3ff, 1, 1 },
		{ 0x3ff, 2, 0 },
	};
	vmm_mem_t *m = gm(_i, three, 3);
	unsigned int k;

	for (k = 0; k < TU_ARRAY_SIZE(t); k++) {
		int rc = vmm_mem_check_range(m, t[k].base, t[k].len);

		ck_assert_msg(rc == t[k].want, "check_range(%#llx, %#llx): %d, "
			      "want %d", (unsigned long long)t[k].base,
			      (unsigned long long)t[k].len, rc, t[k].want);
	}
	ck_assert_int_eq(vmm_mem_check_range(NULL, 0, 1), -EINVAL);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 47: "check_range(0x400, 0) (an unmapped address) -> false in 0.14.1
 * (true in 0.17+)".  libvmmem deliberately follows 0.17: a zero-length
 * range is backed at any address (vmm_mem_check_range() in vmmem.h).
 */
START_TEST(case47_check_range_zero_unmapped)
{
	vmm_mem_t *m = gm(_i, three, 3);

	ck_assert_int_eq(vmm_mem_check_range(m, 0x400, 0), 1);
	ck_assert_int_eq(vmm_mem_check_range(m, 0x1000, 0), 1);
	ck_assert_int_eq(vmm_mem_check_range(m, UINT64_MAX, 0), 1);
	ck_assert_int_eq(vmm_mem_check_range(m, 0x400, 1), 0);
	vmm_mem_unref(m);
}
END_TEST

/* Case 48: "GM[(0,100),(100,100)]: find_region 99/100/199/200 ->
 * R1/R2/R2/None". */
START_TEST(case48_find_region)
{
	static const struct vmm_mem_range r[] = { { 0, 100 }, { 100, 100 } };
	vmm_mem_t *m = gm(_i, r, 2);
	struct vmm_mem_region_info i, r1, r2;

	info_idx(m, 0, &r1);
	info_idx(m, 1, &r2);
	ck_assert_ptr_ne(r1.hva, r2.hva);
	info_at(m, 99, &i);
	ck_assert_uint_eq(i.gpa, 0);
	ck_assert_ptr_eq(i.hva, r1.hva);
	info_at(m, 100, &i);
	ck_assert_uint_eq(i.gpa, 100);
	ck_assert_ptr_eq(i.hva, r2.hva);
	info_at(m, 199, &i);
	ck_assert_uint_eq(i.gpa, 100);
	ck_assert_int_eq(vmm_mem_region_info_at(m, 200, &i, sizeof(i)),
			 -EFAULT);
	vmm_mem_unref(m);
}
END_TEST

/* Case 49: "GM[(0x1000,0x400)]: last_addr -> 0x13ff". */
START_TEST(case49_last_addr)
{
	static const struct vmm_mem_range r[] = { { 0x1000, 0x400 } };
	vmm_mem_t *m = gm(_i, r, 1);

	ck_assert_uint_eq(last_addr(m), 0x13ff);
	/* The largest over all regions, whatever the insertion order. */
	ck_assert_int_eq(add_kind(_i, m, 0x100, 0x100), 0);
	ck_assert_uint_eq(last_addr(m), 0x13ff);
	ck_assert_int_eq(add_kind(_i, m, 0x5000, 0x10), 0);
	ck_assert_uint_eq(last_addr(m), 0x500f);
	vmm_mem_unref(m);
}
END_TEST

/* Case 50: "GM[(0,0x400),(0x1000,0x400)]: iterate regions ->
 * (0,0x400),(0x1000,0x400) in that order". */
START_TEST(case50_iterate)
{
	static const struct vmm_mem_range r[] = { { 0, 0x400 },
						  { 0x1000, 0x400 } };
	struct vmm_mem_region_info i;
	vmm_mem_t *ms[2];
	unsigned int k;

	ms[0] = gm(_i, r, 2);
	/* Added in descending order: still iterated in ascending order. */
	ms[1] = mem_new();
	ck_assert_int_eq(add_kind(_i, ms[1], 0x1000, 0x400), 0);
	ck_assert_int_eq(add_kind(_i, ms[1], 0, 0x400), 0);
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(vmm_mem_num_regions(ms[k]), 2);
		info_idx(ms[k], 0, &i);
		ck_assert_uint_eq(i.gpa, 0);
		ck_assert_uint_eq(i.size, 0x400);
		info_idx(ms[k], 1, &i);
		ck_assert_uint_eq(i.gpa, 0x1000);
		ck_assert_uint_eq(i.size, 0x400);
		ck_assert_int_eq(vmm_mem_region_info(ms[k], 2, &i, sizeof(i)),
				 -ENOENT);
		ck_assert_int_eq(vmm_mem_region_info(ms[k], UINT32_MAX, &i,
						     sizeof(i)), -ENOENT);
		vmm_mem_unref(ms[k]);
	}
}
END_TEST

/* Case 51: "GM[(0,1024),(0x400,2048)] (adjacent): sum of len/1024 over iter
 * (and map_and_fold) -> 3". */
START_TEST(case51_iter_sum)
{
	static const struct vmm_mem_range r[] = { { 0, 1024 },
						  { 0x400, 2048 } };
	vmm_mem_t *m = gm(_i, r, 2);
	struct vmm_mem_region_info i;
	uint64_t sum = 0;
	int n = vmm_mem_num_regions(m), k;

	ck_assert_int_eq(n, 2);
	for (k = 0; k < n; k++) {
		info_idx(m, (unsigned int)k, &i);
		sum += i.size / 1024;
	}
	ck_assert_uint_eq(sum, 3);
	ck_assert_int_eq(vmm_mem_check_range(m, 0, 3072), 1);
	ck_assert_uint_eq(last_addr(m), 3071);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Case 52: "GM[(0,0x1000)]: find_region(u64::MAX); write([1], u64::MAX) ->
 * None; Err(InvalidGuestAddress(u64::MAX))".  [u64::MAX, 2^64) does not
 * pass 2^64, so the one-byte write is -EFAULT, not -EOVERFLOW.
 */
START_TEST(case52_lookup_u64_max)
{
	static const struct vmm_mem_range r[] = { { 0, 0x1000 } };
	vmm_mem_t *m = gm(_i, r, 1);
	struct vmm_mem_region_info i;
	unsigned char b = 1;

	ck_assert_int_eq(vmm_mem_region_info_at(m, UINT64_MAX, &i, sizeof(i)),
			 -EFAULT);
	ck_assert_int_eq(vmm_mem_write(m, UINT64_MAX, &b, 1), -EFAULT);
	ck_assert_int_eq(vmm_mem_read(m, UINT64_MAX, &b, 1), -EFAULT);
	ck_assert_int_eq(vmm_mem_address_in_range(m, UINT64_MAX), 0);
	ck_assert_int_eq(vmm_mem_check_range(m, UINT64_MAX, 1), 0);
	vmm_mem_unref(m);
}
END_TEST

/*
 * The lookup against a linear scan, for every table size from 1 to 12
 * regions (the unrolled search for up to 4, the counted one up to 8, the
 * binary search above): region edges, the bytes around them, 0 and
 * UINT64_MAX, with the last region at the very top of the address space
 * (UINT64_MAX itself counts the search's padding entries).
 * Checked through region_info_at, address_in_range, and 1- and 8-byte
 * exact reads and writes and atomic loads (their fast paths).
 */
static int scan(const struct vmm_mem_range *r, size_t n, uint64_t gpa)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (gpa >= r[i].gpa && gpa - r[i].gpa < r[i].size)
			return (int)i;
	return -1;
}

START_TEST(lookup_matches_linear_scan)
{
	struct vmm_mem_range r[12] = { { 0, 0 } };
	size_t n = (size_t)_i, i, k;

	for (i = 0; i < n; i++) {	/* gaps, and adjacent pairs */
		r[i].gpa = (uint64_t)i * 0x10000 + ((i % 3 == 1) ? 0 : 0x2000);
		r[i].size = (i % 3 == 0) ? 0xe000 : 0x4000;
	}
	/* the last one ends just below 2^64 - 1 (a region cannot hold that
	 * byte: its end would be 2^64) */
	r[n - 1].gpa = UINT64_MAX - 0x2000;
	r[n - 1].size = 0x2000;
	{
		vmm_mem_t *m = gm(GM_ANON, r, n);

		for (i = 0; i < n; i++) {
			const uint64_t probe[] = {
				r[i].gpa, r[i].gpa - 1, r[i].gpa + 1,
				r[i].gpa + r[i].size - 1, r[i].gpa + r[i].size,
				r[i].gpa + r[i].size - 8, r[i].gpa + r[i].size - 4,
				0, UINT64_MAX, UINT64_MAX - 7,
			};

			for (k = 0; k < TU_ARRAY_SIZE(probe); k++) {
				uint64_t g = probe[k], v = 0x5a;
				int want = scan(r, n, g);
				bool in8 = want >= 0 && g + 7 >= g &&
					   scan(r, n, g + 7) >= 0 &&
					   (scan(r, n, g + 7) == want ||
					    r[want].gpa + r[want].size ==
						    r[want + 1].gpa);
				struct vmm_mem_region_info info;
				uint8_t b = 0xa5;
				int rc = vmm_mem_region_info_at(m, g, &info,
								sizeof(info));

				ck_assert_msg(rc == (want >= 0 ? 0 : -EFAULT),
					      "n %zu gpa 0x%" PRIx64 ": %d",
					      n, g, rc);
				if (want >= 0)
					ck_assert_uint_eq(info.gpa,
							  r[want].gpa);
				ck_assert_int_eq(vmm_mem_address_in_range(m, g),
						 want >= 0);
				ck_assert_int_eq(vmm_mem_write_exact(m, g, &b,
								     1),
						 want >= 0 ? 0 : -EFAULT);
				ck_assert_int_eq(vmm_mem_read_exact(m, g, &b,
								    1),
						 want >= 0 ? 0 : -EFAULT);
				rc = vmm_mem_read_exact(m, g, &v, 8);
				ck_assert_msg(in8 ? rc == 0 : rc < 0,
					      "n %zu gpa 0x%" PRIx64
					      ": read 8: %d", n, g, rc);
				rc = vmm_mem_write_exact(m, g, &v, 8);
				ck_assert_msg(in8 ? rc == 0 : rc < 0,
					      "n %zu gpa 0x%" PRIx64
					      ": write 8: %d", n, g, rc);
				rc = vmm_mem_load(m, g, 1, &v,
						  VMM_MEM_ORDER_ACQUIRE);
				ck_assert_int_eq(rc, want >= 0 ? 0 : -EFAULT);
			}
		}
		vmm_mem_unref(m);
	}
}
END_TEST

/*
 * Case 53: "GM[(0x1000,0x1000)]: find_region(0x1000).is_hugetlbfs() ->
 * None".  libvmmem detects the backing instead of leaving it unknown: not
 * huge pages here.
 */
START_TEST(case53_is_hugetlbfs)
{
	static const struct vmm_mem_range r[] = { { 0x1000, 0x1000 } };
	vmm_mem_t *m = gm(_i, r, 1);
	struct vmm_mem_region_info i;

	info_at(m, 0x1000, &i);
	ck_assert_uint_eq(i.flags & VMM_MEM_REGION_HUGETLB, 0);
	ck_assert_uint_eq(i.huge_page_size, 0);
	ck_assert_uint_eq(i.page_size, (uint64_t)sysconf(_SC_PAGESIZE));
	ck_assert_int_eq(i.has_fd, _i != GM_ANON);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* C17                                                                       */
/* ------------------------------------------------------------------------ */

/*
 * C17 - "off-by-one at the very end of guest memory": R0 [0x0, 0x10000),
 * the only region.  A buffer ending exactly at the last byte of RAM is
 * valid; range validation does not depend on "is gpa + len an address".
 */
START_TEST(c17_end_of_memory)
{
	static const struct vmm_mem_range r[] = { { 0, 0x10000 } };
	static unsigned char buf[0x2000];
	vmm_mem_t *m = gm(_i, r, 1);
	uint64_t v = 0, res = 0x5a;

	/* 1 */
	ck_assert_int_eq(vmm_mem_check_range(m, 0xf000, 0x1000), 1);
	ck_assert_int_eq(vmm_mem_check_range(m, 0xf000, 0x1001), 0);
	/* 2 */
	tu_pattern(buf, sizeof(buf), 17);
	ck_assert_int_eq(vmm_mem_write(m, 0xf000, buf, 0x1000), 0x1000);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0xf000, buf, 0x1000), 0);
	/* 3 */
	ck_assert_int_eq(vmm_mem_read_u64(m, 0xfff8, &v), 0);
	ck_assert_mem_eq(&v, buf + 0xff8, 8);
	ck_assert_int_eq(vmm_mem_read_u64(m, 0xfff9, &v), -EFAULT);
	/* 4 */
	ck_assert_uint_eq(last_addr(m), 0xffff);
	ck_assert_int_eq(vmm_mem_checked_offset(m, 0xf000, 0x1000, &res),
			 -EFAULT);
	ck_assert_int_eq(vmm_mem_checked_offset(m, 0xf000, 0xfff, &res), 0);
	ck_assert_uint_eq(res, 0xffff);
	/* 5: adjacent R1 [0x10000, 0x11000) ... */
	ck_assert_int_eq(add_kind(_i, m, 0x10000, 0x1000), 0);
	ck_assert_int_eq(vmm_mem_check_range(m, 0xf000, 0x2000), 1);
	ck_assert_int_eq(vmm_mem_write(m, 0xf000, buf, 0x2000), 0x2000);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0xf000, buf, 0x2000), 0);
	ck_assert_uint_eq(last_addr(m), 0x10fff);
	/* ... or with a gap, R1 at [0x11000, 0x12000). */
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x10000, 0x1000), 0);
	ck_assert_int_eq(add_kind(_i, m, 0x11000, 0x1000), 0);
	ck_assert_int_eq(vmm_mem_check_range(m, 0xf000, 0x2000), 0);
	ck_assert_int_eq(vmm_mem_write(m, 0xf000, buf, 0x2000), 0x1000);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0xf000, buf, 0x2000), -EFAULT);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */

/*
 * Above four regions the lookup goes through the bucket index: layouts
 * with one region per bucket, crowded buckets (many small regions and one
 * far away, exponentially spaced regions), random sizes and gaps, and a
 * region ending just below 2^64 - 1, each checked against a linear scan at
 * every region edge and at random addresses, through the handle and
 * through a snapshot.
 */
#define BUCKET_MAX_REGIONS 600

START_TEST(lookup_buckets_match_linear_scan)
{
	static struct vmm_mem_range r[BUCKET_MAX_REGIONS];
	uint64_t rng = 0x5eed + (uint64_t)_i, g = 0;
	vmm_mem_snapshot_t *snap = NULL;
	size_t n = 0, i, k;
	vmm_mem_t *m;

	switch (_i) {
	case 0:		/* evenly spaced: one region per bucket or two */
		for (n = 0; n < BUCKET_MAX_REGIONS; n++)
			r[n] = (struct vmm_mem_range){ n * 0x10000, 0x1000 };
		break;
	case 1:		/* 100 adjacent pages at 0 and one region at 2^63 */
		for (n = 0; n < 100; n++)
			r[n] = (struct vmm_mem_range){ n * 0x1000, 0x1000 };
		r[n++] = (struct vmm_mem_range){ UINT64_C(1) << 63, 0x1000 };
		break;
	case 2:		/* exponentially spaced */
		for (n = 0; n < 40; n++)
			r[n] = (struct vmm_mem_range){ UINT64_C(1) << (n + 20),
						       0x1000 };
		break;
	case 3:		/* random sizes and gaps */
		for (n = 0; n < 300; n++) {
			g += 0x1000 * (tu_xorshift(&rng) % 3);
			r[n].gpa = g;
			r[n].size = 0x1000 * (1 + tu_xorshift(&rng) % 4);
			g += r[n].size;
		}
		break;
	default:	/* a few low regions and one ending below 2^64 - 1 */
		for (n = 0; n < 9; n++)
			r[n] = (struct vmm_mem_range){ n * 0x3000, 0x2000 };
		r[n++] = (struct vmm_mem_range){ UINT64_MAX - 0x2000, 0x2000 };
		break;
	}
	m = tu_mem_anon(r, n);
	ck_assert_int_eq(vmm_mem_snapshot_get(m, &snap), 0);
	for (k = 0; k < 5 * n + 20000; k++) {
		uint64_t gpa;
		int want;

		if (k < 5 * n) {
			const struct vmm_mem_range *x = &r[k / 5];
			const uint64_t edge[] = { x->gpa, x->gpa - 1,
						  x->gpa + x->size - 1,
						  x->gpa + x->size,
						  x->gpa + x->size / 2 };

			gpa = edge[k % 5];
		} else if (k % 4 == 0) {
			gpa = tu_xorshift(&rng);
		} else {
			const struct vmm_mem_range *x =
				&r[tu_xorshift(&rng) % n];

			gpa = x->gpa + tu_xorshift(&rng) % (2 * x->size) -
			      x->size / 2;
		}
		want = scan(r, n, gpa);
		ck_assert_msg(vmm_mem_snapshot_find_region(snap, gpa) ==
				      (want >= 0 ? want : -EFAULT),
			      "layout %d gpa 0x%" PRIx64 ": want %d", _i, gpa,
			      want);
		ck_assert_int_eq(vmm_mem_address_in_range(m, gpa), want >= 0);
	}
	for (i = 0; i < n; i++)
		ck_assert_int_eq(vmm_mem_snapshot_find_region(snap, r[i].gpa),
				 (int)i);
	vmm_mem_snapshot_put(snap);
	vmm_mem_unref(m);
}
END_TEST

static Suite *lookup_suite(void)
{
	Suite *s = suite_create("lookup");
	TCase *tc = tcase_create("construction");
	TCase *th = tcase_create("hotplug");
	TCase *tl = tcase_create("lookup");
	TCase *tr = tcase_create("regressions");

	tcase_add_test(tc, case31_no_memory_region);
	tcase_add_loop_test(tc, case32_overlapping_regions, 0, GM_KINDS);
	tcase_add_loop_test(tc, case33_unsorted_regions, 0, GM_KINDS);
	tcase_add_loop_test(tc, case32_33_first_failing_pair_decides, 0,
			    GM_KINDS);
	tcase_add_loop_test(tc, case34_valid_regions, 0, GM_KINDS);
	tcase_add_test(tc, case35_empty_memory);
	tcase_add_loop_test(tc, case36_duplicate_region, 0, GM_KINDS);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(th, case37_insert_region, 0, GM_KINDS);
	tcase_add_loop_test(th, case38_remove_region, 0, GM_KINDS);
	tcase_add_loop_test(th, case39_remove_last_region, 0, GM_KINDS);
	suite_add_tcase(s, th);

	tcase_add_loop_test(tl, case40_address_in_range, 0, GM_KINDS);
	tcase_add_loop_test(tl, case41_check_address, 0, GM_KINDS);
	tcase_add_loop_test(tl, case42_to_region_addr, 0, GM_KINDS);
	tcase_add_loop_test(tl, case43_get_host_address, 0, GM_KINDS);
	tcase_add_loop_test(tl, case44_region_host_address_past_end, 0,
			    GM_KINDS);
	tcase_add_loop_test(tl, case45_checked_offset, 0, GM_KINDS);
	tcase_add_loop_test(tl, case46_check_range, 0, GM_KINDS);
	tcase_add_loop_test(tl, case47_check_range_zero_unmapped, 0, GM_KINDS);
	tcase_add_loop_test(tl, case48_find_region, 0, GM_KINDS);
	tcase_add_loop_test(tl, case49_last_addr, 0, GM_KINDS);
	tcase_add_loop_test(tl, case50_iterate, 0, GM_KINDS);
	tcase_add_loop_test(tl, case51_iter_sum, 0, GM_KINDS);
	tcase_add_loop_test(tl, case52_lookup_u64_max, 0, GM_KINDS);
	tcase_add_loop_test(tl, case53_is_hugetlbfs, 0, GM_KINDS);
	tcase_add_loop_test(tl, lookup_matches_linear_scan, 1, 13);
	tcase_add_loop_test(tl, lookup_buckets_match_linear_scan, 0, 5);
	suite_add_tcase(s, tl);

	tcase_add_loop_test(tr, c17_end_of_memory, 0, GM_KINDS);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	return tu_run(lookup_suite());
}
