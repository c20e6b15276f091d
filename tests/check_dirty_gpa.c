/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_dirty_gpa - dirty state belongs to guest physical pages, not to
 * region objects: a write that completes while logging is on is reported by
 * the next harvest whatever happened to its region in between (removal,
 * re-add of the same memfd at the same or another GPA), through a mapping
 * (vmm_mem_map()) or a snapshot that outlived the region, and also when the
 * log started after the region was removed.  This is what a vhost-user back
 * end sees when the front end sends SET_MEM_TABLE during a migration.
 */
#include "testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PS UINT64_C(0x1000)
#define RSIZE (16 * PS)
#define GPA_A UINT64_C(0x100000)
#define GPA_B UINT64_C(0x200000)

/* Is page @gpa reported by a non-clearing harvest of [0, 4 MiB)? */
static int harvested(vmm_mem_t *m, uint64_t gpa)
{
	uint64_t bm[1024 / 64];
	int64_t r = vmm_mem_dirty_log_get(m, 0, 1024, bm, 0);

	ck_assert_int_ge(r, 0);
	return (int)((bm[(gpa / PS) / 64] >> ((gpa / PS) % 64)) & 1);
}

/* Total pages reported by a clearing harvest of [0, 4 MiB). */
static int64_t harvest_clear(vmm_mem_t *m)
{
	uint64_t bm[1024 / 64];
	int64_t r = vmm_mem_dirty_log_get(m, 0, 1024, bm,
					  VMM_MEM_DIRTY_LOG_CLEAR);

	ck_assert_int_ge(r, 0);
	return r;
}

struct fixture {
	vmm_mem_t *m;
	int fd;
};

static void setup_fd(struct fixture *f)
{
	ck_assert_int_eq(vmm_mem_new(&f->m), 0);
	f->fd = tu_memfd(RSIZE);
	ck_assert_int_eq(tu_add_fd(f->m, GPA_A, RSIZE, f->fd, 0, 0), 0);
}

static void teardown_fd(struct fixture *f)
{
	vmm_mem_unref(f->m);
	close(f->fd);
}

/* Write @c over the first fragment of @map. */
static void write_through(vmm_mem_mapping_t *map, int c, size_t len)
{
	struct iovec iov;

	ck_assert_int_eq(vmm_mem_mapping_iov(map, &iov, 1), 1);
	ck_assert_uint_ge(iov.iov_len, len);
	memset(iov.iov_base, c, len);
}

/* The reported fault: remove and re-add the same memfd at the same GPA,
 * write through the mapping made before, unmap with the count. */
START_TEST(map_remove_readd_same_gpa)
{
	struct fixture f;
	vmm_mem_mapping_t *map;
	uint8_t buf[PS];

	setup_fd(&f);
	ck_assert_int_eq(vmm_mem_dirty_log_start(f.m, PS), 0);
	ck_assert_int_eq(vmm_mem_map(f.m, GPA_A + 2 * PS, PS, VMM_MEM_MAP_WRITE,
				     &map), 0);
	ck_assert_int_eq(vmm_mem_remove_region(f.m, GPA_A, RSIZE), 0);
	ck_assert_int_eq(tu_add_fd(f.m, GPA_A, RSIZE, f.fd, 0, 0), 0);
	write_through(map, 0x5a, PS);
	ck_assert_int_eq(vmm_mem_unmap(map, PS), 0);
	/* the guest sees the bytes ... */
	ck_assert_int_eq(vmm_mem_read_exact(f.m, GPA_A + 2 * PS, buf, PS), 0);
	ck_assert_uint_eq(buf[0], 0x5a);
	ck_assert_uint_eq(buf[PS - 1], 0x5a);
	/* ... and so does the migration */
	ck_assert_int_eq(vmm_mem_dirty_log_test(f.m, GPA_A + 2 * PS), 1);
	ck_assert_int_eq(harvested(f.m, GPA_A + 2 * PS), 1);
	ck_assert_int_eq(harvest_clear(f.m), 1);
	ck_assert_int_eq(vmm_mem_dirty_log_test(f.m, GPA_A + 2 * PS), 0);
	/* and the re-added region logs as usual */
	ck_assert_int_eq(vmm_mem_write_exact(f.m, GPA_A + 3 * PS, buf, 8), 0);
	ck_assert_int_eq(harvest_clear(f.m), 1);
	teardown_fd(&f);
}
END_TEST

/* Re-added at another GPA: the write is reported at the GPA it was made
 * through (the mapping's), which is a hole now. */
START_TEST(map_remove_readd_other_gpa)
{
	struct fixture f;
	vmm_mem_mapping_t *map;

	setup_fd(&f);
	ck_assert_int_eq(vmm_mem_dirty_log_start(f.m, PS), 0);
	ck_assert_int_eq(vmm_mem_map(f.m, GPA_A + 5 * PS, 2 * PS,
				     VMM_MEM_MAP_WRITE, &map), 0);
	ck_assert_int_eq(vmm_mem_remove_region(f.m, GPA_A, RSIZE), 0);
	ck_assert_int_eq(tu_add_fd(f.m, GPA_B, RSIZE, f.fd, 0, 0), 0);
	write_through(map, 0x11, 2 * PS);
	ck_assert_int_eq(vmm_mem_unmap(map, PS + 1), 0);
	ck_assert_int_eq(harvested(f.m, GPA_A + 5 * PS), 1);
	ck_assert_int_eq(harvested(f.m, GPA_A + 6 * PS), 1);
	ck_assert_int_eq(harvested(f.m, GPA_A + 7 * PS), 0);
	ck_assert_int_eq(harvested(f.m, GPA_B + 5 * PS), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_test(f.m, GPA_A + 5 * PS), 1);
	ck_assert_int_eq(harvest_clear(f.m), 2);
	/* a page nobody wrote, in the hole, is unbacked for the test */
	ck_assert_int_eq(vmm_mem_dirty_log_test(f.m, GPA_A + 5 * PS), -EFAULT);
	teardown_fd(&f);
}
END_TEST

/* Removed and never re-added: the pinned region is still logged. */
START_TEST(map_remove_only)
{
	struct fixture f;
	vmm_mem_mapping_t *map;

	setup_fd(&f);
	ck_assert_int_eq(vmm_mem_dirty_log_start(f.m, PS), 0);
	ck_assert_int_eq(vmm_mem_map(f.m, GPA_A, PS, VMM_MEM_MAP_WRITE, &map),
			 0);
	ck_assert_int_eq(vmm_mem_remove_region(f.m, GPA_A, RSIZE), 0);
	write_through(map, 0x22, 16);
	ck_assert_int_eq(vmm_mem_unmap(map, 16), 0);
	ck_assert_int_eq(harvested(f.m, GPA_A), 1);
	ck_assert_int_eq(harvest_clear(f.m), 1);
	teardown_fd(&f);
}
END_TEST

/* The log starts after the region was removed, while a mapping of it is
 * still held: its write is logged. */
START_TEST(log_started_after_removal)
{
	struct fixture f;
	vmm_mem_mapping_t *map;

	setup_fd(&f);
	ck_assert_int_eq(vmm_mem_map(f.m, GPA_A + PS, PS, VMM_MEM_MAP_WRITE,
				     &map), 0);
	ck_assert_int_eq(vmm_mem_remove_region(f.m, GPA_A, RSIZE), 0);
	ck_assert_int_eq(tu_add_fd(f.m, GPA_A, RSIZE, f.fd, 0, 0), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_start(f.m, PS), 0);
	write_through(map, 0x33, 8);
	ck_assert_int_eq(vmm_mem_unmap(map, 8), 0);
	ck_assert_int_eq(harvested(f.m, GPA_A + PS), 1);
	ck_assert_int_eq(harvest_clear(f.m), 1);
	teardown_fd(&f);
}
END_TEST

/* A snapshot that outlived its region: writes and stores through it are
 * reported, before and after a re-add. */
START_TEST(snapshot_outlives_region)
{
	struct fixture f;
	vmm_mem_snapshot_t *s;
	uint64_t v = 0x0123456789abcdefull, got = 0;

	setup_fd(&f);
	ck_assert_int_eq(vmm_mem_dirty_log_start(f.m, PS), 0);
	ck_assert_int_eq(vmm_mem_snapshot_get(f.m, &s), 0);
	ck_assert_int_eq(vmm_mem_remove_region(f.m, GPA_A, RSIZE), 0);
	ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, GPA_A + 4 * PS, &v,
						      8), 0);
	ck_assert_int_eq(harvested(f.m, GPA_A + 4 * PS), 1);
	ck_assert_int_eq(harvest_clear(f.m), 1);
	ck_assert_int_eq(tu_add_fd(f.m, GPA_A, RSIZE, f.fd, 0, 0), 0);
	ck_assert_int_eq(vmm_mem_snapshot_store(s, GPA_A + 9 * PS, 8, v,
						VMM_MEM_ORDER_RELEASE), 0);
	/* a 100-byte write takes the mid-size path */
	{
		uint8_t b[100];

		memset(b, 7, sizeof(b));
		ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, GPA_A + 10 * PS,
							      b, sizeof(b)),
				 0);
	}
	ck_assert_int_eq(vmm_mem_load(f.m, GPA_A + 9 * PS, 8, &got,
				      VMM_MEM_ORDER_ACQUIRE), 0);
	ck_assert_uint_eq(got, v);
	ck_assert_int_eq(vmm_mem_dirty_log_test(f.m, GPA_A + 9 * PS), 1);
	ck_assert_int_eq(vmm_mem_dirty_log_test(f.m, GPA_A + 10 * PS), 1);
	ck_assert_int_eq(harvest_clear(f.m), 2);
	vmm_mem_snapshot_put(s);
	teardown_fd(&f);
}
END_TEST

/* A snapshot taken before the log started, of a region removed since. */
START_TEST(snapshot_log_started_after_removal)
{
	struct fixture f;
	vmm_mem_snapshot_t *s;

	setup_fd(&f);
	ck_assert_int_eq(vmm_mem_snapshot_get(f.m, &s), 0);
	ck_assert_int_eq(vmm_mem_remove_region(f.m, GPA_A, RSIZE), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_start(f.m, PS), 0);
	ck_assert_int_eq(vmm_mem_snapshot_store(s, GPA_A + 2 * PS, 4, 9,
						VMM_MEM_ORDER_RELAXED), 0);
	ck_assert_int_eq(harvested(f.m, GPA_A + 2 * PS), 1);
	vmm_mem_snapshot_put(s);
	/* the snapshot is gone; the bit stays until it is harvested */
	ck_assert_int_eq(harvest_clear(f.m), 1);
	ck_assert_int_eq(harvest_clear(f.m), 0);
	teardown_fd(&f);
}
END_TEST

/* Logging stopped and started again: the pinned, removed region gets a
 * fresh log like the others; stopping clears everything. */
START_TEST(stop_start_with_pinned_removed_region)
{
	struct fixture f;
	vmm_mem_mapping_t *map;

	setup_fd(&f);
	ck_assert_int_eq(vmm_mem_dirty_log_start(f.m, PS), 0);
	ck_assert_int_eq(vmm_mem_map(f.m, GPA_A, 2 * PS, VMM_MEM_MAP_WRITE,
				     &map), 0);
	ck_assert_int_eq(vmm_mem_remove_region(f.m, GPA_A, RSIZE), 0);
	ck_assert_int_eq(vmm_mem_unmap(map, 0), 0);	/* nothing written */
	ck_assert_int_eq(vmm_mem_map(f.m, GPA_A, PS, VMM_MEM_MAP_WRITE, &map),
			 -EFAULT);
	ck_assert_int_eq(tu_add_fd(f.m, GPA_A, RSIZE, f.fd, 0, 0), 0);
	ck_assert_int_eq(vmm_mem_map(f.m, GPA_A, PS, VMM_MEM_MAP_WRITE, &map),
			 0);
	ck_assert_int_eq(vmm_mem_remove_region(f.m, GPA_A, RSIZE), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_stop(f.m), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_start(f.m, 2 * PS), 0);
	ck_assert_int_eq(harvest_clear(f.m), 0);
	ck_assert_int_eq(vmm_mem_unmap(map, 1), 0);
	{
		uint64_t bm[1];

		ck_assert_int_eq(vmm_mem_dirty_log_get(f.m, GPA_A, 8, bm, 0), 1);
		ck_assert_uint_eq(bm[0], 1);
	}
	teardown_fd(&f);
}
END_TEST

/* The handle goes first: a mapping and a snapshot of it still write (and
 * mark nothing anyone can harvest) without touching freed memory. */
START_TEST(handle_gone_first)
{
	struct fixture f;
	vmm_mem_mapping_t *map;
	vmm_mem_snapshot_t *s;

	setup_fd(&f);
	ck_assert_int_eq(vmm_mem_dirty_log_start(f.m, PS), 0);
	ck_assert_int_eq(vmm_mem_map(f.m, GPA_A, PS, VMM_MEM_MAP_WRITE, &map),
			 0);
	ck_assert_int_eq(vmm_mem_snapshot_get(f.m, &s), 0);
	vmm_mem_unref(f.m);
	write_through(map, 1, 8);
	ck_assert_int_eq(vmm_mem_snapshot_store(s, GPA_A + PS, 8, 1,
						VMM_MEM_ORDER_RELAXED), 0);
	ck_assert_int_eq(vmm_mem_unmap(map, 8), 0);
	vmm_mem_snapshot_put(s);
	close(f.fd);
}
END_TEST

static Suite *dirty_gpa_suite(void)
{
	Suite *s = suite_create("dirty_gpa");
	TCase *tc = tcase_create("survives_region_changes");

	tcase_add_test(tc, map_remove_readd_same_gpa);
	tcase_add_test(tc, map_remove_readd_other_gpa);
	tcase_add_test(tc, map_remove_only);
	tcase_add_test(tc, log_started_after_removal);
	tcase_add_test(tc, snapshot_outlives_region);
	tcase_add_test(tc, snapshot_log_started_after_removal);
	tcase_add_test(tc, stop_start_with_pinned_removed_region);
	tcase_add_test(tc, handle_gone_first);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(dirty_gpa_suite());
}
