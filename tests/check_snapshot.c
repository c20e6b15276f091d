/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_snapshot - snapshots (vmm_mem_snapshot_*): each access on a
 * snapshot gives the result of the same access on its handle, byte for
 * byte and error for error; hot-plug does not change a snapshot, and a
 * removed region stays mapped until the last snapshot listing it goes;
 * refresh; the lookup calls; dirty logging of snapshot writes; snapshots
 * used while regions come and go and logging starts and stops in other
 * threads.
 *
 * Everything is tested against the contract in vmmem.h.
 */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PS UINT64_C(0x1000)

/*
 * The layout of the differential tests: two adjacent regions, a hole, a
 * read-only region, and a region whose GPA is not aligned like its host
 * address (so 2-, 4- and 8-byte values can be misaligned in host memory at
 * an aligned GPA).
 */
static vmm_mem_t *layout(void)
{
	const struct vmm_mem_range r[] = {
		{ 0x0, 0x4000 }, { 0x4000, 0x4000 }, { 0x10000, 0x2000 },
	};
	vmm_mem_t *m = tu_mem_anon(r, TU_ARRAY_SIZE(r));
	uint8_t pat[0x400];
	uint64_t g;
	int rc;

	ck_assert_int_eq(tu_add_anon(m, 0x20000, 0x2000,
				     VMM_MEM_REGION_READONLY), 0);
	/* GPA 0x30001 is the first byte of a page-aligned mapping */
	ck_assert_int_eq(tu_add_anon(m, 0x30001, 0x2000, 0), 0);
	for (g = 0; g < 0x34000; g += sizeof(pat)) {
		if (vmm_mem_check_range(m, g, sizeof(pat)) != 1)
			continue;
		tu_pattern(pat, sizeof(pat), (unsigned int)g);
		rc = vmm_mem_write_exact(m, g, pat, sizeof(pat));
		ck_assert_int_eq(rc, g >= 0x20000 && g < 0x22000 ? -EACCES :
								   0);
	}
	return m;
}

/* Addresses near every edge of the layout, plus random ones. */
static uint64_t probe_gpa(uint64_t *rng, unsigned int k)
{
	static const uint64_t edges[] = {
		0x0, 0x3ff8, 0x4000, 0x7ff0, 0x8000, 0xfff8, 0x10000,
		0x11ff8, 0x12000, 0x1fff8, 0x20000, 0x21ff8, 0x30000,
		0x30001, 0x31ff0, 0x32000, UINT64_MAX - 7, UINT64_MAX,
	};
	uint64_t r = tu_xorshift(rng);

	if (k % 3 == 0)
		return edges[r % TU_ARRAY_SIZE(edges)] + (r >> 32) % 24 - 12;
	return r % 0x34000;
}

static size_t probe_len(uint64_t *rng)
{
	static const size_t lens[] = { 0, 1, 2, 3, 4, 7, 8, 9, 16, 31,
				       64, 65, 100, 4096, 0x4010, 0x9000 };

	return lens[tu_xorshift(rng) % TU_ARRAY_SIZE(lens)];
}

START_TEST(read_exact_matches_handle)
{
	vmm_mem_t *m = layout();
	vmm_mem_snapshot_t *s = NULL;
	static uint8_t a[0x9000 + 16], b[0x9000 + 16];
	uint64_t rng = 0x1234567;
	unsigned int k;

	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	ck_assert_ptr_nonnull(s);
	for (k = 0; k < 20000; k++) {
		uint64_t gpa = probe_gpa(&rng, k);
		size_t len = probe_len(&rng), off = tu_xorshift(&rng) % 9;
		int rh, rs;

		memset(a, 0xa5, sizeof(a));
		memset(b, 0xa5, sizeof(b));
		rh = vmm_mem_read_exact(m, gpa, a + off, len);
		rs = vmm_mem_snapshot_read_exact(s, gpa, b + off, len);
		ck_assert_msg(rh == rs, "gpa 0x%llx len %zu: handle %d, "
			      "snapshot %d", (unsigned long long)gpa, len, rh,
			      rs);
		ck_assert_mem_eq(a, b, len + off + 8);
	}
	vmm_mem_snapshot_put(s);
	vmm_mem_unref(m);
}
END_TEST

/* Writes: the same call on two identical memories, one through the
 * handle and one through a snapshot; results and contents must agree. */
START_TEST(write_exact_matches_handle)
{
	vmm_mem_t *m1 = layout();
	vmm_mem_t *m2 = layout();
	vmm_mem_snapshot_t *s = NULL;
	static uint8_t src[0x9000 + 16], x[0x34000], y[0x34000];
	uint64_t rng = 0x7654321;
	unsigned int k;
	uint64_t g;

	ck_assert_int_eq(vmm_mem_snapshot_get(m2, &s), 0);
	for (k = 0; k < 5000; k++) {
		uint64_t gpa = probe_gpa(&rng, k);
		size_t len = probe_len(&rng), off = tu_xorshift(&rng) % 9;
		int rh, rs;

		tu_pattern(src, sizeof(src), k);
		rh = vmm_mem_write_exact(m1, gpa, src + off, len);
		rs = vmm_mem_snapshot_write_exact(s, gpa, src + off, len);
		ck_assert_msg(rh == rs, "gpa 0x%llx len %zu: handle %d, "
			      "snapshot %d", (unsigned long long)gpa, len, rh,
			      rs);
	}
	for (g = 0; g < sizeof(x); g += PS) {
		int r1 = vmm_mem_read_exact(m1, g, x + g, PS);

		ck_assert_int_eq(vmm_mem_read_exact(m2, g, y + g, PS), r1);
	}
	ck_assert_mem_eq(x, y, sizeof(x));
	vmm_mem_snapshot_put(s);
	vmm_mem_unref(m1);
	vmm_mem_unref(m2);
}
END_TEST

START_TEST(atomics_match_handle)
{
	vmm_mem_t *m = layout();
	vmm_mem_snapshot_t *s = NULL;
	static const int orders[] = {
		VMM_MEM_ORDER_RELAXED, 1, VMM_MEM_ORDER_ACQUIRE,
		VMM_MEM_ORDER_RELEASE, VMM_MEM_ORDER_ACQ_REL,
		VMM_MEM_ORDER_SEQ_CST, 99,
	};
	static const unsigned int sizes[] = { 0, 1, 2, 3, 4, 8, 16 };
	uint64_t rng = 0xabcdef;
	unsigned int k;

	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	for (k = 0; k < 20000; k++) {
		uint64_t gpa = probe_gpa(&rng, k);
		unsigned int size = sizes[tu_xorshift(&rng) % 7];
		int order = orders[tu_xorshift(&rng) % 7];
		uint64_t v = tu_xorshift(&rng) >> (tu_xorshift(&rng) % 64);
		uint64_t vh = 0x5a5a, vs = 0x5a5a, back = 0;
		int rh, rs;

		rh = vmm_mem_load(m, gpa, size, &vh, order);
		rs = vmm_mem_snapshot_load(s, gpa, size, &vs, order);
		ck_assert_int_eq(rh, rs);
		ck_assert_uint_eq(vh, vs);
		/* store through the handle, then through the snapshot, and
		 * both must leave the value stored */
		rh = vmm_mem_store(m, gpa, size, v, order);
		rs = vmm_mem_snapshot_store(s, gpa, size, v ^ 1, order);
		ck_assert_int_eq(rh, rs);
		if (rs == 0) {
			ck_assert_int_eq(vmm_mem_load(m, gpa, size, &back,
						      VMM_MEM_ORDER_RELAXED),
					 0);
			ck_assert_uint_eq(back, v ^ 1);
		}
	}
	ck_assert_int_eq(vmm_mem_snapshot_load(s, 0x0, 8, NULL,
					       VMM_MEM_ORDER_RELAXED),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_load(NULL, 0x0, 8, &rng,
					       VMM_MEM_ORDER_RELAXED),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_store(NULL, 0x0, 8, 1,
						VMM_MEM_ORDER_RELAXED),
			 -EINVAL);
	vmm_mem_snapshot_put(s);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(bad_arguments)
{
	const struct vmm_mem_range r = { 0x0, 0x10000 };
	vmm_mem_t *m = tu_mem_anon(&r, 1);
	vmm_mem_snapshot_t *s = (vmm_mem_snapshot_t *)&r, *s2 = NULL;
	struct vmm_mem_region_info info;
	uint8_t buf[16];

	ck_assert_int_eq(vmm_mem_snapshot_get(NULL, &s), -EINVAL);
	ck_assert_ptr_eq(s, (vmm_mem_snapshot_t *)&r);
	ck_assert_int_eq(vmm_mem_snapshot_get(m, NULL), -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_refresh(NULL, &s2), -EINVAL);
	ck_assert_ptr_null(s2);
	ck_assert_int_eq(vmm_mem_snapshot_refresh(m, NULL), -EINVAL);
	vmm_mem_snapshot_put(NULL);
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(NULL, 0, buf, 8),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_write_exact(NULL, 0, buf, 8),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_find_region(NULL, 0), -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_num_regions(NULL), -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_region_info(NULL, 0, &info,
						      sizeof(info)),
			 -EINVAL);

	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s2), 0);
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(s2, 0, NULL, 8),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(s2, 0, NULL, 0), 0);
	ck_assert_int_eq(vmm_mem_snapshot_write_exact(s2, 0, NULL, 1),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_region_info(s2, 0, NULL,
						      sizeof(info)),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_region_info(
				 s2, 0, &info,
				 VMM_MEM_REGION_INFO_SIZE_VER0 - 1),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_snapshot_region_info(s2, 1, &info,
						      sizeof(info)),
			 -ENOENT);
	vmm_mem_snapshot_put(s2);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(lookup_matches_handle)
{
	vmm_mem_t *m;
	vmm_mem_snapshot_t *s = NULL;
	uint64_t rng = 99, g;
	unsigned int i, k;
	int n;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	/* 40 regions of varying size and gaps: the lookup's search for many
	 * regions */
	for (i = 0, g = PS; i < 40; i++) {
		uint64_t size = PS * (1 + tu_xorshift(&rng) % 4);

		ck_assert_int_eq(tu_add_anon(m, g, size, 0), 0);
		g += size + PS * (tu_xorshift(&rng) % 3);
	}
	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	n = vmm_mem_snapshot_num_regions(s);
	ck_assert_int_eq(n, vmm_mem_num_regions(m));
	ck_assert_int_eq(n, 40);
	for (i = 0; i < (unsigned int)n; i++) {
		struct vmm_mem_region_info a, b;

		memset(&a, 0x11, sizeof(a));
		memset(&b, 0x22, sizeof(b));
		ck_assert_int_eq(vmm_mem_region_info(m, i, &a, sizeof(a)), 0);
		ck_assert_int_eq(vmm_mem_snapshot_region_info(s, i, &b,
							      sizeof(b)),
				 0);
		ck_assert_mem_eq(&a, &b, sizeof(a));
		ck_assert_int_eq(vmm_mem_snapshot_find_region(s, a.gpa),
				 (int)i);
		ck_assert_int_eq(vmm_mem_snapshot_find_region(
					 s, a.gpa + a.size - 1),
				 (int)i);
	}
	for (k = 0; k < 20000; k++) {
		uint64_t gpa = k < 2 ? (k ? UINT64_MAX : 0) :
				       tu_xorshift(&rng) % (g + PS);
		int idx = vmm_mem_snapshot_find_region(s, gpa);
		struct vmm_mem_region_info a;

		if (vmm_mem_region_info_at(m, gpa, &a, sizeof(a)) == 0) {
			struct vmm_mem_region_info b;

			ck_assert_int_ge(idx, 0);
			ck_assert_int_eq(vmm_mem_snapshot_region_info(
						 s, (unsigned int)idx, &b,
						 sizeof(b)),
					 0);
			ck_assert_uint_eq(a.gpa, b.gpa);
		} else {
			ck_assert_int_eq(idx, -EFAULT);
		}
	}
	vmm_mem_snapshot_put(s);
	/* an empty memory */
	vmm_mem_unref(m);
	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	ck_assert_int_eq(vmm_mem_snapshot_num_regions(s), 0);
	ck_assert_int_eq(vmm_mem_snapshot_find_region(s, 0), -EFAULT);
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(s, 0, &rng, 8), -EFAULT);
	vmm_mem_snapshot_put(s);
	vmm_mem_unref(m);
}
END_TEST

/*
 * A region removed while a snapshot lists it: gone for the handle at once,
 * still readable and writable through the snapshot (and its host address
 * still mapped) until the snapshot is put.  Loop 1 backs it with a memfd,
 * whose descriptor the library holds until then too.
 */
START_TEST(removed_region_lives_until_put)
{
	const struct vmm_mem_range r0 = { 0x0, 0x10000 };
	vmm_mem_t *m = tu_mem_anon(&r0, 1);
	vmm_mem_snapshot_t *s = NULL, *s2 = NULL;
	struct vmm_mem_region_info info;
	uint8_t pat[0x100], got[0x100];
	int base = tu_count_fds();
	uint64_t v = 0;

	if (_i == 1) {
		int fd = tu_memfd(0x10000);

		ck_assert_int_eq(tu_add_fd(m, 0x10000, 0x10000, fd, 0, 0), 0);
		close(fd);
	} else {
		ck_assert_int_eq(tu_add_anon(m, 0x10000, 0x10000, 0), 0);
	}
	tu_pattern(pat, sizeof(pat), 5);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x10800, pat, sizeof(pat)), 0);
	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s2), 0);
	ck_assert_int_eq(vmm_mem_snapshot_find_region(s, 0x10000), 1);
	ck_assert_int_eq(vmm_mem_snapshot_region_info(s, 1, &info,
						      sizeof(info)),
			 0);

	ck_assert_int_eq(vmm_mem_remove_region(m, 0x10000, 0x10000), 0);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0x10800, got, 1), -EFAULT);
	ck_assert_int_eq(vmm_mem_num_regions(m), 1);
	/* the snapshot still has it */
	ck_assert_int_eq(vmm_mem_snapshot_num_regions(s), 2);
	ck_assert_int_eq(tu_is_mapped(info.hva), 1);
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(s, 0x10800, got,
						     sizeof(got)),
			 0);
	ck_assert_mem_eq(got, pat, sizeof(pat));
	ck_assert_int_eq(vmm_mem_snapshot_store(s, 0x10000, 8, 77,
						VMM_MEM_ORDER_RELEASE),
			 0);
	ck_assert_int_eq(vmm_mem_snapshot_load(s2, 0x10000, 8, &v,
					       VMM_MEM_ORDER_ACQUIRE),
			 0);
	ck_assert_uint_eq(v, 77);
	ck_assert_uint_eq(*(volatile uint64_t *)info.hva, 77);
	/* a new region may take the range meanwhile: the handle sees it,
	 * the snapshots keep the old one */
	ck_assert_int_eq(tu_add_anon(m, 0x10000, 0x10000, 0), 0);
	ck_assert_int_eq(vmm_mem_load(m, 0x10000, 8, &v,
				      VMM_MEM_ORDER_RELAXED),
			 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(vmm_mem_snapshot_load(s, 0x10000, 8, &v,
					       VMM_MEM_ORDER_RELAXED),
			 0);
	ck_assert_uint_eq(v, 77);

	vmm_mem_snapshot_put(s);
	ck_assert_int_eq(tu_is_mapped(info.hva), 1);	/* s2 holds it */
	vmm_mem_snapshot_put(s2);
	ck_assert_int_eq(tu_is_mapped(info.hva), 0);
	ck_assert_int_eq(tu_count_fds(), base);
	vmm_mem_unref(m);
}
END_TEST

/* A region added after the snapshot is not in it. */
START_TEST(added_region_not_in_snapshot)
{
	const struct vmm_mem_range r0 = { 0x0, 0x10000 };
	vmm_mem_t *m = tu_mem_anon(&r0, 1);
	vmm_mem_snapshot_t *s = NULL;
	uint64_t v = 1;

	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	ck_assert_int_eq(tu_add_anon(m, 0x10000, 0x10000, 0), 0);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x10000, &v, 8), 0);
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(s, 0x10000, &v, 8),
			 -EFAULT);
	ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, 0x10000, &v, 8),
			 -EFAULT);
	ck_assert_int_eq(vmm_mem_snapshot_find_region(s, 0x10000), -EFAULT);
	ck_assert_int_eq(vmm_mem_snapshot_num_regions(s), 1);
	vmm_mem_snapshot_put(s);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(refresh)
{
	const struct vmm_mem_range r0 = { 0x0, 0x10000 };
	vmm_mem_t *m = tu_mem_anon(&r0, 1), *other = tu_mem_anon(&r0, 1);
	vmm_mem_snapshot_t *s = NULL, *held;
	uint64_t v = 0x1122;

	ck_assert_int_eq(vmm_mem_snapshot_refresh(m, &s), 1);	/* NULL */
	ck_assert_ptr_nonnull(s);
	held = s;
	ck_assert_int_eq(vmm_mem_snapshot_refresh(m, &s), 0);
	ck_assert_ptr_eq(s, held);
	ck_assert_int_eq(tu_add_anon(m, 0x10000, 0x10000, 0), 0);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x10008, &v, 8), 0);
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(s, 0x10008, &v, 8),
			 -EFAULT);
	ck_assert_int_eq(vmm_mem_snapshot_refresh(m, &s), 1);
	v = 0;
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(s, 0x10008, &v, 8), 0);
	ck_assert_uint_eq(v, 0x1122);
	ck_assert_int_eq(vmm_mem_snapshot_refresh(m, &s), 0);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x10000, 0x10000), 0);
	ck_assert_int_eq(vmm_mem_snapshot_refresh(m, &s), 1);
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(s, 0x10008, &v, 8),
			 -EFAULT);
	/* a snapshot of another memory is replaced */
	ck_assert_int_eq(vmm_mem_snapshot_refresh(other, &s), 1);
	ck_assert_int_eq(vmm_mem_snapshot_refresh(other, &s), 0);
	vmm_mem_snapshot_put(s);
	vmm_mem_unref(m);
	vmm_mem_unref(other);
}
END_TEST

/* A snapshot may outlive its handle; the regions go with the snapshot. */
START_TEST(snapshot_outlives_handle)
{
	const struct vmm_mem_range r0 = { 0x0, 0x10000 };
	vmm_mem_t *m = tu_mem_anon(&r0, 1);
	vmm_mem_snapshot_t *s = NULL;
	struct vmm_mem_region_info info;
	uint64_t v = 0xfeed;

	ck_assert_int_eq(vmm_mem_write_exact(m, 0x100, &v, 8), 0);
	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	ck_assert_int_eq(vmm_mem_snapshot_region_info(s, 0, &info,
						      sizeof(info)),
			 0);
	vmm_mem_unref(m);
	ck_assert_int_eq(tu_is_mapped(info.hva), 1);
	v = 0;
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(s, 0x100, &v, 8), 0);
	ck_assert_uint_eq(v, 0xfeed);
	vmm_mem_snapshot_put(s);
	ck_assert_int_eq(tu_is_mapped(info.hva), 0);
}
END_TEST

/* Every snapshot write path marks the dirty log; reads never do; a
 * snapshot taken before logging started still marks. */
START_TEST(snapshot_writes_are_logged)
{
	const struct vmm_mem_range r[] = { { 0x0, 0x40000 } };
	vmm_mem_t *m = tu_mem_anon(r, 1);
	vmm_mem_snapshot_t *s = NULL;
	static uint8_t buf[0x3000];
	static const size_t lens[] = { 1, 2, 4, 8, 9, 64, 0x3000 };
	uint64_t bm = 0, v = 0;
	unsigned int k;

	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_start(m, PS), 0);
	for (k = 0; k < TU_ARRAY_SIZE(lens); k++) {
		uint64_t gpa = PS * 2 * (k + 1) + 8;	/* pages 2k+2 on */

		ck_assert_int_eq(vmm_mem_snapshot_read_exact(s, gpa, buf,
							     lens[k]),
				 0);
		ck_assert_int_eq(vmm_mem_dirty_log_test(m, gpa), 0);
		ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, gpa, buf,
							      lens[k]),
				 0);
		ck_assert_int_eq(vmm_mem_dirty_log_test(m, gpa), 1);
	}
	ck_assert_int_eq(vmm_mem_snapshot_load(s, 0x30000, 4, &v,
					       VMM_MEM_ORDER_ACQUIRE),
			 0);
	ck_assert_int_eq(vmm_mem_dirty_log_test(m, 0x30000), 0);
	ck_assert_int_eq(vmm_mem_snapshot_store(s, 0x30000, 4, 5,
						VMM_MEM_ORDER_RELEASE),
			 0);
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0x30000, 1, &bm,
					       VMM_MEM_DIRTY_LOG_CLEAR),
			 1);
	ck_assert_uint_eq(bm, 1);
	/* failed writes mark nothing */
	ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, 0x3f000, buf,
						      0x3000),
			 -EFAULT);
	ck_assert_int_eq(vmm_mem_dirty_log_test(m, 0x3f000), 0);
	/* logging stopped: writes go on, nothing to mark */
	ck_assert_int_eq(vmm_mem_dirty_log_stop(m), 0);
	ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, 0x100, buf, 8), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_start(m, PS), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_test(m, 0x100), 0);
	ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, 0x100, buf, 8), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_test(m, 0x100), 1);
	vmm_mem_snapshot_put(s);
	vmm_mem_unref(m);
}
END_TEST

/*
 * Stopping the log keeps a region's bitmap (a snapshot's writer may still
 * hold it) and a later start with the same page size reuses it: it must
 * start clean, and a start with another page size must get its own.
 */
START_TEST(log_restart_starts_clean)
{
	const struct vmm_mem_range r[] = { { 0x0, 0x40000 } };
	vmm_mem_t *m = tu_mem_anon(r, 1);
	vmm_mem_snapshot_t *s = NULL;
	uint64_t v = 1, bm[1];
	int round;

	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	for (round = 0; round < 3; round++) {
		uint64_t ps = round == 1 ? 2 * PS : PS;

		ck_assert_int_eq(vmm_mem_dirty_log_start(m, ps), 0);
		bm[0] = ~UINT64_C(0);
		ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 0x40000 / ps, bm,
						       0),
				 0);
		ck_assert_msg(bm[0] == 0, "round %d: a restarted log has "
			      "bits 0x%llx", round, (unsigned long long)bm[0]);
		ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, 0x5000, &v, 8),
				 0);
		ck_assert_int_eq(vmm_mem_write_exact(m, 0x9000, &v, 8), 0);
		ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 0x40000 / ps, bm,
						       0),
				 2);
		ck_assert_uint_eq(bm[0], (UINT64_C(1) << (0x5000 / ps)) |
						 (UINT64_C(1) << (0x9000 / ps)));
		ck_assert_int_eq(vmm_mem_dirty_log_stop(m), 0);
		/* writes while logging is off mark nothing that a later
		 * start reports */
		ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, 0x7000, &v, 8),
				 0);
		ck_assert_int_eq(vmm_mem_snapshot_store(s, 0x3000, 8, 2,
							VMM_MEM_ORDER_RELAXED),
				 0);
	}
	vmm_mem_snapshot_put(s);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */
/* ------------------------------------------------------------------------ */

#define HOT_GPA UINT64_C(0x100000)
#define HOT_SIZE UINT64_C(0x10000)
#define STABLE_VALUE UINT64_C(0x0123456789abcdef)

struct churn {
	vmm_mem_t *m;
	int stop;		/* atomic */
	unsigned long reads;	/* atomic: reads done by all readers */
	unsigned long bad;	/* atomic: wrong values or results */
};

/* Readers refresh a snapshot every 8 accesses: the stable region always
 * reads its value; the hot-plugged one reads its value or -EFAULT; every
 * write lands in a region the snapshot lists. */
static void *snap_reader(void *arg)
{
	struct churn *c = arg;
	vmm_mem_snapshot_t *s = NULL;
	unsigned long i;

	for (i = 0; !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE); i++) {
		uint64_t v = 0;
		int rc;

		if (!(i & 7) && vmm_mem_snapshot_refresh(c->m, &s) < 0)
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
		if (vmm_mem_snapshot_read_exact(s, 0x1000, &v, 8) ||
		    v != STABLE_VALUE)
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
		rc = vmm_mem_snapshot_load(s, HOT_GPA + 8 * (i % 64), 8, &v,
					   VMM_MEM_ORDER_ACQUIRE);
		if (rc == 0 ? v != STABLE_VALUE : rc != -EFAULT)
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
		rc = vmm_mem_snapshot_write_exact(s, HOT_GPA + HOT_SIZE / 2 +
							     8 * (i % 64),
						  &i, 8);
		if (rc != 0 && rc != -EFAULT)
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&c->reads, 1, __ATOMIC_RELAXED);
		if (!(i & 1023))
			sched_yield();	/* single-CPU and valgrind runs */
	}
	vmm_mem_snapshot_put(s);
	return NULL;
}

START_TEST(snapshots_while_regions_come_and_go)
{
	const struct vmm_mem_range r0 = { 0x0, 0x10000 };
	struct churn c = { .m = tu_mem_anon(&r0, 1) };
	pthread_t th[2];
	unsigned long k, rounds = tu_scaled(5000);
	static uint64_t fill[HOT_SIZE / 2 / 8];
	uint64_t v = STABLE_VALUE;
	int fds = tu_count_fds(), maps = tu_count_maps(TU_MEMFD_MAPS);
	unsigned int t;

	ck_assert_int_eq(vmm_mem_write_exact(c.m, 0x1000, &v, 8), 0);
	for (t = 0; t < 2; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, snap_reader, &c),
				 0);
	for (k = 0; k < HOT_SIZE / 2 / 8; k++)
		fill[k] = STABLE_VALUE;
	for (k = 0; k < rounds; k++) {
		int fd = tu_memfd(HOT_SIZE);

		/* fill through the file before the region appears, so a
		 * reader never sees it half-written (one system call: under
		 * valgrind each one lets the readers run a time slice) */
		ck_assert_int_eq(pwrite(fd, fill, sizeof(fill), 0),
				 (ssize_t)sizeof(fill));
		ck_assert_int_eq(tu_add_fd(c.m, HOT_GPA, HOT_SIZE, fd, 0, 0),
				 0);
		close(fd);
		if (k % 4 == 0)
			ck_assert_int_eq(vmm_mem_dirty_log_start(c.m, PS), 0);
		if (k % 4 == 2)
			ck_assert_int_eq(vmm_mem_dirty_log_stop(c.m), 0);
		ck_assert_int_eq(vmm_mem_remove_region(c.m, HOT_GPA, HOT_SIZE),
				 0);
	}
	/* the readers ran during the churn */
	while (__atomic_load_n(&c.reads, __ATOMIC_ACQUIRE) < 100)
		sched_yield();
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	for (t = 0; t < 2; t++)
		ck_assert_int_eq(pthread_join(th[t], NULL), 0);
	ck_assert_uint_eq(c.bad, 0);
	/* every removed region was unmapped and closed with its last
	 * snapshot */
	ck_assert_int_eq(tu_count_maps(TU_MEMFD_MAPS), maps);
	ck_assert_int_eq(tu_count_fds(), fds);
	vmm_mem_unref(c.m);
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc;

	/* thousands of copies of up to 36 KiB per case: seconds under TSan */
	tc = tcase_create("same as the handle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, read_exact_matches_handle);
	tcase_add_test(tc, write_exact_matches_handle);
	tcase_add_test(tc, atomics_match_handle);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, lookup_matches_handle);
	suite_add_tcase(s, tc);

	tc = tcase_create("hot-plug");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, removed_region_lives_until_put, 0, 2);
	tcase_add_test(tc, added_region_not_in_snapshot);
	tcase_add_test(tc, refresh);
	tcase_add_test(tc, snapshot_outlives_handle);
	tcase_add_test(tc, snapshot_writes_are_logged);
	tcase_add_test(tc, log_restart_starts_clean);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, snapshots_while_regions_come_and_go);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(snapshot_suite());
}
