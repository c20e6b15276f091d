/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_map - fragments and scatter-gather mappings: vmm_mem_get_slices()
 * (the vm-memory 0.17 get_slices conformance example of
 * vm-memory-semantics.md section 13.2, and regression C16 of
 * cases-regressions.md), and vmm_mem_map() / vmm_mem_mapping_iov() /
 * vmm_mem_unmap(): fragments, errors, zero-copy I/O, and the pins that keep
 * a removed region mapped until its last mapping is released.
 *
 * Everything is tested against the contract in vmmem.h.
 */
#include "testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PS UINT64_C(0x1000)

/* A pointer no successful call in this file produces: shows "untouched". */
#define POISON_PTR ((void *)(uintptr_t)0xdeadbeef)
#define POISON_LEN ((size_t)0x5a5a5a5a)

static void poison_iov(struct iovec *iov, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = POISON_PTR;
		iov[i].iov_len = POISON_LEN;
	}
}

static void assert_poisoned(const struct iovec *iov, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ck_assert_ptr_eq(iov[i].iov_base, POISON_PTR);
		ck_assert_uint_eq(iov[i].iov_len, POISON_LEN);
	}
}

static uint8_t *hva_of(vmm_mem_t *m, uint64_t gpa)
{
	void *p = NULL;

	ck_assert_int_eq(vmm_mem_get_host_address(m, gpa, &p), 0);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void assert_iov(const struct iovec *iov, const void *base, size_t len)
{
	ck_assert_ptr_eq(iov->iov_base, base);
	ck_assert_uint_eq(iov->iov_len, len);
}

/* ------------------------------------------------------------------------ */
/* vmm_mem_get_slices                                                        */
/* ------------------------------------------------------------------------ */

/* GM[(0,0x400),(0x800,0x400),(0xc00,0x400)] of semantics section 13.2. */
static vmm_mem_t *gs_mem(void)
{
	static const struct vmm_mem_range r[] = {
		{ 0x000, 0x400 },
		{ 0x800, 0x400 },
		{ 0xc00, 0x400 },
	};

	return tu_mem_anon(r, TU_ARRAY_SIZE(r));
}

/*
 * get_slices(0, 0x500): vm-memory yields 0x400 then an error; libvmmem
 * reports the hole as -EFAULT and fills nothing.
 */
START_TEST(get_slices_hole_after_first_region_efault)
{
	vmm_mem_t *m = gs_mem();
	struct iovec iov[4];

	poison_iov(iov, 4);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0, 0x500, iov, 4), -EFAULT);
	assert_poisoned(iov, 4);
	/* the end of memory is a hole too */
	ck_assert_int_eq(vmm_mem_get_slices(m, 0xc00, 0x401, iov, 4), -EFAULT);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x800, 0x801, iov, 4), -EFAULT);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x1000, 1, iov, 4), -EFAULT);
	assert_poisoned(iov, 4);
	vmm_mem_unref(m);
}
END_TEST

/* get_slices(0xa00, 0x400): 0x200 in each of the two adjacent regions. */
START_TEST(get_slices_two_fragments)
{
	vmm_mem_t *m = gs_mem();
	struct iovec iov[4];

	poison_iov(iov, 4);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0xa00, 0x400, iov, 4), 2);
	assert_iov(&iov[0], hva_of(m, 0xa00), 0x200);
	assert_iov(&iov[1], hva_of(m, 0xc00), 0x200);
	assert_poisoned(&iov[2], 2);
	/* one fragment inside one region; the two whole adjacent regions */
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x810, 0x10, iov, 4), 1);
	assert_iov(&iov[0], hva_of(m, 0x810), 0x10);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x800, 0x800, iov, 4), 2);
	assert_iov(&iov[0], hva_of(m, 0x800), 0x400);
	assert_iov(&iov[1], hva_of(m, 0xc00), 0x400);
	/* the last byte of memory */
	ck_assert_int_eq(vmm_mem_get_slices(m, 0xfff, 1, iov, 4), 1);
	assert_iov(&iov[0], hva_of(m, 0xfff), 1);
	vmm_mem_unref(m);
}
END_TEST

/* get_slices(0x600, 0x100): entirely in the hole, -EFAULT. */
START_TEST(get_slices_in_hole_efault)
{
	vmm_mem_t *m = gs_mem();
	struct iovec iov[2];

	poison_iov(iov, 2);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x600, 0x100, iov, 2), -EFAULT);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x600, 0x300, iov, 2), -EFAULT);
	assert_poisoned(iov, 2);
	vmm_mem_unref(m);
}
END_TEST

/* len 0 gives 0 fragments at any address, backed or not; nothing filled. */
START_TEST(get_slices_zero_length)
{
	static const uint64_t at[] = { 0, 0x3ff, 0x400, 0x600, 0xc00, 0x1000,
				       UINT64_MAX };
	vmm_mem_t *m = gs_mem();
	struct iovec iov[2];
	size_t i;

	poison_iov(iov, 2);
	for (i = 0; i < TU_ARRAY_SIZE(at); i++) {
		ck_assert_int_eq(vmm_mem_get_slices(m, at[i], 0, iov, 2), 0);
		ck_assert_int_eq(vmm_mem_get_slices(m, at[i], 0, NULL, 0), 0);
	}
	assert_poisoned(iov, 2);
	vmm_mem_unref(m);
}
END_TEST

/* A range whose last byte would pass 2^64 is -EOVERFLOW. */
START_TEST(get_slices_overflow)
{
	vmm_mem_t *m = gs_mem();
	struct iovec iov[2];

	poison_iov(iov, 2);
	ck_assert_int_eq(vmm_mem_get_slices(m, UINT64_MAX, 2, iov, 2),
			 -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0xc00, UINT64_MAX, iov, 2),
			 -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_get_slices(m, 2, UINT64_MAX, iov, 2),
			 -EOVERFLOW);
	/* ending exactly at 2^64 does not overflow: it is a hole here */
	ck_assert_int_eq(vmm_mem_get_slices(m, UINT64_MAX, 1, iov, 2),
			 -EFAULT);
	ck_assert_int_eq(vmm_mem_get_slices(m, 1, UINT64_MAX, iov, 2),
			 -EFAULT);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0, UINT64_MAX, iov, 2),
			 -EFAULT);
	assert_poisoned(iov, 2);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Too small an array: the return value is the count the whole range needs,
 * and only the entries that fit are filled.  NULL with 0 entries asks for
 * the count; NULL with entries is -EINVAL, as is a NULL handle.
 */
START_TEST(get_slices_array_too_small)
{
	static const struct vmm_mem_range r[] = {
		{ 0x0000, 0x1000 },
		{ 0x1000, 0x1000 },
		{ 0x2000, 0x1000 },
		{ 0x3000, 0x1000 },
	};
	vmm_mem_t *m = tu_mem_anon(r, TU_ARRAY_SIZE(r));
	struct iovec iov[4];

	poison_iov(iov, 4);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x800, 0x3000, iov, 1), 4);
	assert_iov(&iov[0], hva_of(m, 0x800), 0x800);
	assert_poisoned(&iov[1], 3);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x800, 0x3000, iov, 3), 4);
	assert_iov(&iov[0], hva_of(m, 0x800), 0x800);
	assert_iov(&iov[1], hva_of(m, 0x1000), 0x1000);
	assert_iov(&iov[2], hva_of(m, 0x2000), 0x1000);
	assert_poisoned(&iov[3], 1);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x800, 0x3000, NULL, 0), 4);
	/* called again with a large enough array */
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x800, 0x3000, iov, 4), 4);
	assert_iov(&iov[3], hva_of(m, 0x3000), 0x800);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x800, 0x3000, NULL, 1),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_get_slices(NULL, 0x800, 0x10, iov, 4),
			 -EINVAL);
	vmm_mem_unref(m);
}
END_TEST

/*
 * C16 (cloud-hypervisor PR #8767, vm-memory 2159d53): R0 [0, 0x10000) at
 * boot and R1 [0x10000, 0x20000) hot-added in its own mapping, dirty
 * logging on.
 *  1. get_slices(0xF000, 0x2000): exactly (hva(R0) + 0xF000, 0x1000) and
 *     (hva(R1), 0x1000).
 *  2. preadv of 0x2000 pattern bytes from a file into those iovecs returns
 *     0x2000 and the guest holds them.
 *  3. Writes through the pointers are not logged; after
 *     vmm_mem_dirty_log_mark on the fragments, pages 0xF and 0x10 (R0
 *     page 0xF, R1 page 0) are dirty, nothing else.
 *  4. get_slice(0xF000, 0x2000) fails with -EXDEV ("spans regions"),
 *     distinct from a hole's -EFAULT.
 */
START_TEST(c16_two_fragments)
{
	const struct vmm_mem_range r0 = { 0x0, 0x10000 };
	vmm_mem_t *m = tu_mem_anon(&r0, 1);
	uint8_t pat[0x2000], got[0x2000];
	uint64_t bm[1], gpa;
	struct iovec iov[3];
	void *p = POISON_PTR;
	int fd = tu_tmpfile(0), k;

	ck_assert_int_eq(tu_add_anon(m, 0x10000, 0x10000, 0), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_start(m, PS), 0);

	/* 1. */
	poison_iov(iov, 3);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0xF000, 0x2000, iov, 3), 2);
	assert_iov(&iov[0], hva_of(m, 0) + 0xF000, 0x1000);
	assert_iov(&iov[1], hva_of(m, 0x10000), 0x1000);
	assert_poisoned(&iov[2], 1);
	ck_assert_uint_eq(iov[0].iov_len + iov[1].iov_len, 0x2000);

	/* 2. */
	tu_pattern(pat, sizeof(pat), 16);
	ck_assert_int_eq(pwrite(fd, pat, sizeof(pat), 0), sizeof(pat));
	ck_assert_int_eq(preadv(fd, iov, 2, 0), 0x2000);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0xF000, got, sizeof(got)), 0);
	ck_assert_mem_eq(got, pat, sizeof(pat));

	/* 3. */
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 0x20, bm, 0), 0);
	for (k = 0, gpa = 0xF000; k < 2; gpa += iov[k].iov_len, k++)
		ck_assert_int_eq(vmm_mem_dirty_log_mark(m, gpa,
							iov[k].iov_len), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 0x20, bm, 0), 2);
	ck_assert_uint_eq(bm[0], UINT64_C(1) << 0xF | UINT64_C(1) << 0x10);
	ck_assert_int_eq(vmm_mem_dirty_log_test(m, 0xF000), 1);
	ck_assert_int_eq(vmm_mem_dirty_log_test(m, 0x10000), 1);

	/* 4. */
	ck_assert_int_eq(vmm_mem_get_slice(m, 0xF000, 0x2000, &p), -EXDEV);
	ck_assert_ptr_eq(p, POISON_PTR);
	ck_assert_int_eq(vmm_mem_get_slice(m, 0xF000, 0x1000, &p), 0);
	ck_assert_ptr_eq(p, hva_of(m, 0xF000));
	/* a hole (here: the end of memory) is -EFAULT, not -EXDEV */
	ck_assert_int_eq(vmm_mem_get_slice(m, 0x1F000, 0x2000, &p), -EFAULT);
	ck_assert_int_eq(vmm_mem_get_slice(m, 0xF000, 0x12000, &p), -EFAULT);
	ck_assert_int_eq(vmm_mem_get_slice(m, 0x20000, 0x10, &p), -EFAULT);

	close(fd);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* vmm_mem_map / vmm_mem_mapping_iov / vmm_mem_unmap                         */
/* ------------------------------------------------------------------------ */

/* Three adjacent regions [0, 0x30000), 0x10000 each. */
static vmm_mem_t *three_adjacent(void)
{
	static const struct vmm_mem_range r[] = {
		{ 0x00000, 0x10000 },
		{ 0x10000, 0x10000 },
		{ 0x20000, 0x10000 },
	};

	return tu_mem_anon(r, TU_ARRAY_SIZE(r));
}

/* A range spanning adjacent regions gives one entry per region fragment. */
START_TEST(map_spans_adjacent_regions)
{
	vmm_mem_t *m = three_adjacent();
	vmm_mem_mapping_t *map = NULL;
	struct iovec iov[4];

	ck_assert_int_eq(vmm_mem_map(m, 0x8000, 0x20000,
				     VMM_MEM_MAP_READ | VMM_MEM_MAP_WRITE,
				     &map), 0);
	ck_assert_ptr_nonnull(map);
	poison_iov(iov, 4);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, iov, 4), 3);
	assert_iov(&iov[0], hva_of(m, 0x8000), 0x8000);
	assert_iov(&iov[1], hva_of(m, 0x10000), 0x10000);
	assert_iov(&iov[2], hva_of(m, 0x20000), 0x8000);
	assert_poisoned(&iov[3], 1);
	ck_assert_int_eq(vmm_mem_unmap(map, 0), 0);

	/* inside one region: one entry */
	ck_assert_int_eq(vmm_mem_map(m, 0x10010, 0x20, VMM_MEM_MAP_READ, &map),
			 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, iov, 4), 1);
	assert_iov(&iov[0], hva_of(m, 0x10010), 0x20);
	ck_assert_int_eq(vmm_mem_unmap(map, 0), 0);

	/* all of memory, to its last byte */
	ck_assert_int_eq(vmm_mem_map(m, 0, 0x30000, VMM_MEM_MAP_WRITE, &map),
			 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, iov, 4), 3);
	assert_iov(&iov[2], hva_of(m, 0x20000), 0x10000);
	ck_assert_int_eq(vmm_mem_unmap(map, 0x30000), 0);
	vmm_mem_unref(m);
}
END_TEST

/*
 * A hole or the end of memory anywhere in the range is -EFAULT, and
 * nothing stays mapped (pinned): removing the region afterwards unmaps its
 * host range at once.
 */
START_TEST(map_hole_or_end_efault)
{
	static const struct vmm_mem_range r[] = {
		{ 0x00000, 0x10000 },
		{ 0x20000, 0x10000 },
	};
	vmm_mem_t *m = tu_mem_anon(r, TU_ARRAY_SIZE(r));
	vmm_mem_mapping_t *map = POISON_PTR;
	uint8_t *h0 = hva_of(m, 0), *h1 = hva_of(m, 0x20000);

	ck_assert_int_eq(vmm_mem_map(m, 0xf000, 0x2000, VMM_MEM_MAP_READ,
				     &map), -EFAULT);
	ck_assert_int_eq(vmm_mem_map(m, 0x18000, 0x10, VMM_MEM_MAP_READ,
				     &map), -EFAULT);
	ck_assert_int_eq(vmm_mem_map(m, 0x1f000, 0x2000, VMM_MEM_MAP_WRITE,
				     &map), -EFAULT);
	ck_assert_int_eq(vmm_mem_map(m, 0x2f000, 0x1001, VMM_MEM_MAP_WRITE,
				     &map), -EFAULT);
	ck_assert_int_eq(vmm_mem_map(m, 0x0, 0x30000, VMM_MEM_MAP_READ, &map),
			 -EFAULT);
	ck_assert_int_eq(vmm_mem_map(m, 0x30000, 1, VMM_MEM_MAP_READ, &map),
			 -EFAULT);
	ck_assert_ptr_eq(map, POISON_PTR);
	/* no pin was left behind */
	ck_assert_int_eq(tu_is_mapped(h0), 1);
	ck_assert_int_eq(tu_is_mapped(h1), 1);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0, 0x10000), 0);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x20000, 0x10000), 0);
	ck_assert_int_eq(tu_is_mapped(h0), 0);
	ck_assert_int_eq(tu_is_mapped(h1), 0);
	vmm_mem_unref(m);
}
END_TEST

/* WRITE on a read-only region is -EACCES; READ on it is fine. */
START_TEST(map_readonly_region)
{
	const struct vmm_mem_range r0 = { 0x0, 0x10000 };
	vmm_mem_t *m = tu_mem_anon(&r0, 1);
	vmm_mem_mapping_t *map = NULL;
	struct iovec iov[2];
	uint8_t zero[0x100] = { 0 };

	ck_assert_int_eq(tu_add_anon(m, 0x10000, 0x10000,
				     VMM_MEM_REGION_READONLY), 0);
	ck_assert_int_eq(vmm_mem_map(m, 0x10000, 0x1000, VMM_MEM_MAP_WRITE,
				     &map), -EACCES);
	ck_assert_int_eq(vmm_mem_map(m, 0x10000, 0x1000,
				     VMM_MEM_MAP_READ | VMM_MEM_MAP_WRITE,
				     &map), -EACCES);
	/* writable R0 then read-only R1 */
	ck_assert_int_eq(vmm_mem_map(m, 0xf000, 0x2000, VMM_MEM_MAP_WRITE,
				     &map), -EACCES);
	ck_assert_ptr_null(map);
	ck_assert_int_eq(vmm_mem_map(m, 0xf000, 0x2000, VMM_MEM_MAP_READ,
				     &map), 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, iov, 2), 2);
	assert_iov(&iov[1], hva_of(m, 0x10000), 0x1000);
	ck_assert_mem_eq(iov[1].iov_base, zero, sizeof(zero));
	ck_assert_int_eq(vmm_mem_unmap(map, 0), 0);
	vmm_mem_unref(m);
}
END_TEST

/* len 0, bad flags, NULL pointers: -EINVAL; a wrapping range -EOVERFLOW. */
START_TEST(map_bad_arguments)
{
	vmm_mem_t *m = three_adjacent();
	vmm_mem_mapping_t *map = POISON_PTR;
	struct iovec iov[1];

	ck_assert_int_eq(vmm_mem_map(m, 0x1000, 0, VMM_MEM_MAP_READ, &map),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_map(m, 0x1000, 0x10, 0, &map), -EINVAL);
	ck_assert_int_eq(vmm_mem_map(m, 0x1000, 0x10, 1u << 2, &map), -EINVAL);
	ck_assert_int_eq(vmm_mem_map(m, 0x1000, 0x10,
				     VMM_MEM_MAP_READ | (1u << 31), &map),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_map(NULL, 0x1000, 0x10, VMM_MEM_MAP_READ,
				     &map), -EINVAL);
	ck_assert_int_eq(vmm_mem_map(m, 0x1000, 0x10, VMM_MEM_MAP_READ, NULL),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_map(m, UINT64_MAX, 2, VMM_MEM_MAP_READ, &map),
			 -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_map(m, 0x1000, UINT64_MAX, VMM_MEM_MAP_READ,
				     &map), -EOVERFLOW);
	ck_assert_ptr_eq(map, POISON_PTR);
	ck_assert_int_eq(vmm_mem_mapping_iov(NULL, iov, 1), -EINVAL);
	ck_assert_int_eq(vmm_mem_unmap(NULL, 0), 0);
	ck_assert_int_eq(vmm_mem_unmap(NULL, 0x1000), 0);
	/* a NULL array with entries is -EINVAL; with none it asks the count */
	ck_assert_int_eq(vmm_mem_map(m, 0xf000, 0x2000, VMM_MEM_MAP_READ, &map),
			 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, NULL, 1), -EINVAL);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, NULL, 0), 2);
	ck_assert_int_eq(vmm_mem_unmap(map, 0), 0);
	vmm_mem_unref(m);
}
END_TEST

/* vmm_mem_mapping_iov with too small an array: the needed count. */
START_TEST(mapping_iov_needed_count)
{
	vmm_mem_t *m = three_adjacent();
	vmm_mem_mapping_t *map = NULL;
	struct iovec iov[3];

	ck_assert_int_eq(vmm_mem_map(m, 0xff00, 0x10200, VMM_MEM_MAP_READ,
				     &map), 0);
	poison_iov(iov, 3);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, iov, 1), 3);
	assert_iov(&iov[0], hva_of(m, 0xff00), 0x100);
	assert_poisoned(&iov[1], 2);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, iov, 2), 3);
	assert_iov(&iov[1], hva_of(m, 0x10000), 0x10000);
	assert_poisoned(&iov[2], 1);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, iov, 3), 3);
	assert_iov(&iov[2], hva_of(m, 0x20000), 0x100);
	ck_assert_int_eq(vmm_mem_unmap(map, 0), 0);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Zero-copy I/O: preadv from a file straight into the iovecs of a WRITE
 * mapping across a region boundary, then pwritev from a READ mapping into
 * another file.
 */
START_TEST(map_preadv_pwritev_across_boundary)
{
	vmm_mem_t *m = three_adjacent();
	vmm_mem_mapping_t *map = NULL;
	struct iovec iov[3];
	uint8_t *pat = malloc(0x18000), *got = malloc(0x18000);
	int in = tu_tmpfile(0), out = tu_tmpfile(0);
	ssize_t n;

	ck_assert_ptr_nonnull(pat);
	ck_assert_ptr_nonnull(got);
	tu_pattern(pat, 0x18000, 3);
	ck_assert_int_eq(pwrite(in, pat, 0x18000, 0x1000), 0x18000);

	ck_assert_int_eq(vmm_mem_map(m, 0xc000, 0x18000, VMM_MEM_MAP_WRITE,
				     &map), 0);
	n = vmm_mem_mapping_iov(map, iov, 3);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(preadv(in, iov, (int)n, 0x1000), 0x18000);
	ck_assert_int_eq(vmm_mem_unmap(map, 0x18000), 0);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0xc000, got, 0x18000), 0);
	ck_assert_mem_eq(got, pat, 0x18000);

	ck_assert_int_eq(vmm_mem_map(m, 0xc000, 0x18000, VMM_MEM_MAP_READ,
				     &map), 0);
	n = vmm_mem_mapping_iov(map, iov, 3);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(pwritev(out, iov, (int)n, 0), 0x18000);
	ck_assert_int_eq(vmm_mem_unmap(map, 0), 0);
	memset(got, 0, 0x18000);
	ck_assert_int_eq(pread(out, got, 0x18000, 0), 0x18000);
	ck_assert_mem_eq(got, pat, 0x18000);

	close(in);
	close(out);
	free(pat);
	free(got);
	vmm_mem_unref(m);
}
END_TEST

/*
 * A region removed while mapped: remove returns 0, new lookups at its GPAs
 * fail with -EFAULT at once, but the mapping still reads and writes the
 * memory and the host range stays in /proc/self/maps; vmm_mem_unmap
 * releases it.  With an FD region, the library's duplicate descriptor is
 * closed at that point too (the count returns to the baseline).  Loop 0:
 * anonymous region, loop 1: memfd region.
 */
START_TEST(map_region_removed_while_mapped)
{
	const struct vmm_mem_range r0 = { 0x0, 0x10000 };
	vmm_mem_t *m = tu_mem_anon(&r0, 1);
	vmm_mem_mapping_t *map = NULL, *map2 = POISON_PTR;
	uint8_t pat[0x100], got[0x100];
	struct iovec iov[1];
	void *p = NULL;
	uint8_t *h;
	int base = tu_count_fds();

	if (_i == 1) {
		int fd = tu_memfd(0x10000);

		ck_assert_int_eq(tu_add_fd(m, 0x10000, 0x10000, fd, 0, 0), 0);
		close(fd);
		ck_assert_int_eq(tu_count_fds(), base + 1);
	} else {
		ck_assert_int_eq(tu_add_anon(m, 0x10000, 0x10000, 0), 0);
	}
	tu_pattern(pat, sizeof(pat), 9);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x10800, pat, sizeof(pat)), 0);
	h = hva_of(m, 0x10000);
	ck_assert_int_eq(vmm_mem_map(m, 0x10000, 0x10000,
				     VMM_MEM_MAP_READ | VMM_MEM_MAP_WRITE,
				     &map), 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, iov, 1), 1);
	ck_assert_ptr_eq(iov[0].iov_base, h);

	ck_assert_int_eq(vmm_mem_remove_region(m, 0x10000, 0x10000), 0);
	/* gone for new lookups */
	ck_assert_int_eq(vmm_mem_read(m, 0x10800, got, 1), -EFAULT);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0x10000, &p), -EFAULT);
	ck_assert_int_eq(vmm_mem_address_in_range(m, 0x10000), 0);
	ck_assert_int_eq(vmm_mem_map(m, 0x10000, 0x10, VMM_MEM_MAP_READ,
				     &map2), -EFAULT);
	ck_assert_ptr_eq(map2, POISON_PTR);
	ck_assert_int_eq(vmm_mem_num_regions(m), 1);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x10000, 0x10000), -ENOENT);
	/* still there through the mapping */
	ck_assert_int_eq(tu_is_mapped(h), 1);
	ck_assert_mem_eq(h + 0x800, pat, sizeof(pat));
	memset(h + 0x2000, 0x6b, 0x1000);
	ck_assert_uint_eq(h[0x2fff], 0x6b);
	if (_i == 1)
		ck_assert_int_eq(tu_count_fds(), base + 1);
	/* a new region can take the GPA range meanwhile */
	ck_assert_int_eq(tu_add_anon(m, 0x10000, 0x10000, 0), 0);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0x10800, got, sizeof(got)), 0);
	ck_assert_uint_eq(got[0], 0);
	ck_assert_ptr_ne(hva_of(m, 0x10000), h);

	ck_assert_int_eq(vmm_mem_unmap(map, 0x10000), 0);
	ck_assert_int_eq(tu_is_mapped(h), 0);
	ck_assert_int_eq(tu_count_fds(), base);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Several mappings of one region (a WRITE one over all of it, a READ one
 * over part), the region removed, then the mappings released in either
 * order: the host range stays until the last one goes.  Loop 0 releases
 * the big one first, loop 1 the small one.
 */
START_TEST(map_several_mappings_removed_any_order)
{
	vmm_mem_t *m = three_adjacent();
	vmm_mem_mapping_t *a = NULL, *b = NULL, *c = NULL;
	struct iovec ia[1], ib[1];
	uint8_t *h = hva_of(m, 0x10000);

	ck_assert_int_eq(vmm_mem_map(m, 0x10000, 0x10000, VMM_MEM_MAP_WRITE,
				     &a), 0);
	ck_assert_int_eq(vmm_mem_map(m, 0x18000, 0x1000, VMM_MEM_MAP_READ, &b),
			 0);
	/* a third one spanning R0 and R1, released before the removal */
	ck_assert_int_eq(vmm_mem_map(m, 0xf000, 0x2000, VMM_MEM_MAP_READ, &c),
			 0);
	ck_assert_int_eq(vmm_mem_unmap(c, 0), 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(a, ia, 1), 1);
	ck_assert_int_eq(vmm_mem_mapping_iov(b, ib, 1), 1);
	ck_assert_ptr_eq(ib[0].iov_base, h + 0x8000);

	ck_assert_int_eq(vmm_mem_remove_region(m, 0x10000, 0x10000), 0);
	/* writes through one mapping are seen through the other */
	memset((uint8_t *)ia[0].iov_base + 0x8000, 0x3e, 0x1000);
	ck_assert_uint_eq(((uint8_t *)ib[0].iov_base)[0xfff], 0x3e);
	ck_assert_int_eq(tu_is_mapped(h), 1);
	if (_i == 0) {
		ck_assert_int_eq(vmm_mem_unmap(a, 0x10000), 0);
		ck_assert_int_eq(tu_is_mapped(h), 1);
		ck_assert_uint_eq(((uint8_t *)ib[0].iov_base)[0], 0x3e);
		ck_assert_int_eq(vmm_mem_unmap(b, 0), 0);
	} else {
		ck_assert_int_eq(vmm_mem_unmap(b, 0), 0);
		ck_assert_int_eq(tu_is_mapped(h), 1);
		((uint8_t *)ia[0].iov_base)[0xffff] = 1;
		ck_assert_int_eq(vmm_mem_unmap(a, 0x10000), 0);
	}
	ck_assert_int_eq(tu_is_mapped(h), 0);
	/* the other regions are untouched */
	ck_assert_int_eq(vmm_mem_num_regions(m), 2);
	ck_assert_int_eq(tu_is_mapped(hva_of(m, 0x20000)), 1);
	vmm_mem_unref(m);
}
END_TEST

struct unmap_job {
	vmm_mem_mapping_t *map;
	uint8_t fill;
	int rc;
};

/* Write through the mapping, then release it from this thread. */
static void *unmap_thread(void *arg)
{
	struct unmap_job *j = arg;
	struct iovec iov[4];
	ssize_t n = vmm_mem_mapping_iov(j->map, iov, 4), k;
	uint64_t total = 0;

	if (n < 1 || n > 4) {
		j->rc = -100;
		return NULL;
	}
	for (k = 0; k < n; k++) {
		memset(iov[k].iov_base, j->fill, iov[k].iov_len);
		total += iov[k].iov_len;
	}
	j->rc = vmm_mem_unmap(j->map, total);
	return NULL;
}

/*
 * vmm_mem_unmap(3): only the first @written bytes are marked.  A byte
 * written in the middle of a mapping is reported when the count passed is
 * its end offset, and not when the count covers only the start.
 */
START_TEST(unmap_marks_written_prefix_only)
{
	const struct vmm_mem_range r[] = { { 0, 8 * PS } };
	vmm_mem_t *m = tu_mem_anon(r, 1);
	vmm_mem_mapping_t *map;
	struct iovec iov;
	uint64_t bm = 0;

	ck_assert_int_eq(vmm_mem_dirty_log_start(m, PS), 0);
	ck_assert_int_eq(vmm_mem_map(m, 0, 8 * PS, VMM_MEM_MAP_WRITE, &map), 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, &iov, 1), 1);
	((uint8_t *)iov.iov_base)[5 * PS + 7] = 0xa5;
	ck_assert_int_eq(vmm_mem_unmap(map, 1), 0);	/* too short */
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 8, &bm, 0), 1);
	ck_assert_uint_eq(bm, 1);	/* page 0 only: page 5 is missed */

	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 8, &bm,
					       VMM_MEM_DIRTY_LOG_CLEAR), 1);
	ck_assert_int_eq(vmm_mem_map(m, 0, 8 * PS, VMM_MEM_MAP_WRITE, &map), 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, &iov, 1), 1);
	((uint8_t *)iov.iov_base)[5 * PS + 7] = 0x5a;
	ck_assert_int_eq(vmm_mem_unmap(map, 5 * PS + 8), 0);	/* end offset */
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 8, &bm, 0), 6);
	ck_assert_uint_eq(bm, 0x3f);	/* pages 0 to 5 */
	vmm_mem_unref(m);
}
END_TEST

/*
 * A mapping made in one thread is released by another: the writes are
 * seen, the written pages are logged, and a removed region's host range
 * goes away with that release.
 */
START_TEST(map_unmap_from_another_thread)
{
	vmm_mem_t *m = three_adjacent();
	struct unmap_job j = { .fill = 0x42 };
	uint8_t got[0x2000], want[0x2000];
	uint64_t bm[1];
	uint8_t *h = hva_of(m, 0x20000);
	pthread_t t;

	ck_assert_int_eq(vmm_mem_dirty_log_start(m, PS), 0);
	ck_assert_int_eq(vmm_mem_map(m, 0xf000, 0x2000, VMM_MEM_MAP_WRITE,
				     &j.map), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, unmap_thread, &j), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(j.rc, 0);
	memset(want, 0x42, sizeof(want));
	ck_assert_int_eq(vmm_mem_read_exact(m, 0xf000, got, sizeof(got)), 0);
	ck_assert_mem_eq(got, want, sizeof(want));
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 0x30, bm, 0), 2);
	ck_assert_uint_eq(bm[0], UINT64_C(1) << 0xf | UINT64_C(1) << 0x10);

	/* the region removed in this thread, released by the other one */
	j.fill = 0x43;
	ck_assert_int_eq(vmm_mem_map(m, 0x20000, 0x10000, VMM_MEM_MAP_WRITE,
				     &j.map), 0);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x20000, 0x10000), 0);
	ck_assert_int_eq(tu_is_mapped(h), 1);
	ck_assert_int_eq(pthread_create(&t, NULL, unmap_thread, &j), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(j.rc, 0);
	ck_assert_int_eq(tu_is_mapped(h), 0);
	vmm_mem_unref(m);
}
END_TEST

/*
 * The last reference to the whole memory dropped while a mapping is held:
 * the mapped regions (an anonymous one and a memfd one, adjacent, with
 * dirty logging on) stay usable through the mapping; vmm_mem_unmap then
 * releases them: no crash, the host ranges and the duplicated descriptor
 * are gone.  Run under valgrind for leaks.
 */
START_TEST(map_unref_memory_while_mapped)
{
	const struct vmm_mem_range r0 = { 0x0, 0x10000 };
	int base = tu_count_fds();
	vmm_mem_t *m = tu_mem_anon(&r0, 1);
	vmm_mem_mapping_t *map = NULL;
	struct iovec iov[2];
	uint8_t *h0, *h1;
	int fd = tu_memfd(0x10000);

	ck_assert_int_eq(tu_add_fd(m, 0x10000, 0x10000, fd, 0, 0), 0);
	close(fd);
	ck_assert_int_eq(tu_count_fds(), base + 1);
	ck_assert_int_eq(vmm_mem_dirty_log_start(m, PS), 0);
	h0 = hva_of(m, 0);
	h1 = hva_of(m, 0x10000);
	ck_assert_int_eq(vmm_mem_map(m, 0x8000, 0x10000,
				     VMM_MEM_MAP_READ | VMM_MEM_MAP_WRITE,
				     &map), 0);
	ck_assert_ptr_null(vmm_mem_unref(m));
	ck_assert_int_eq(tu_is_mapped(h0), 1);
	ck_assert_int_eq(tu_is_mapped(h1), 1);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, iov, 2), 2);
	ck_assert_ptr_eq(iov[0].iov_base, h0 + 0x8000);
	ck_assert_ptr_eq(iov[1].iov_base, h1);
	memset(iov[0].iov_base, 0x11, iov[0].iov_len);
	memset(iov[1].iov_base, 0x22, iov[1].iov_len);
	ck_assert_uint_eq(h1[0x7fff], 0x22);
	ck_assert_int_eq(vmm_mem_unmap(map, 0x10000), 0);
	ck_assert_int_eq(tu_is_mapped(h0), 0);
	ck_assert_int_eq(tu_is_mapped(h1), 0);
	ck_assert_int_eq(tu_count_fds(), base);
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *map_suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc;

	tc = tcase_create("get_slices");
	tcase_add_test(tc, get_slices_hole_after_first_region_efault);
	tcase_add_test(tc, get_slices_two_fragments);
	tcase_add_test(tc, get_slices_in_hole_efault);
	tcase_add_test(tc, get_slices_zero_length);
	tcase_add_test(tc, get_slices_overflow);
	tcase_add_test(tc, get_slices_array_too_small);
	tcase_add_test(tc, c16_two_fragments);
	suite_add_tcase(s, tc);

	tc = tcase_create("map");
	tcase_add_test(tc, map_spans_adjacent_regions);
	tcase_add_test(tc, map_hole_or_end_efault);
	tcase_add_test(tc, map_readonly_region);
	tcase_add_test(tc, map_bad_arguments);
	tcase_add_test(tc, mapping_iov_needed_count);
	tcase_add_test(tc, map_preadv_pwritev_across_boundary);
	tcase_add_loop_test(tc, map_region_removed_while_mapped, 0, 2);
	tcase_add_loop_test(tc, map_several_mappings_removed_any_order, 0, 2);
	tcase_add_test(tc, map_unmap_from_another_thread);
	tcase_add_test(tc, unmap_marks_written_prefix_only);
	tcase_add_test(tc, map_unref_memory_while_mapped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(map_suite());
}
