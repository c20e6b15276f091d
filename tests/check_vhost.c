/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_vhost - what a vhost-user back end needs beside the accesses:
 * front-end address translation (vmm_mem_vua_to_gpa(), the clamped
 * vmm_mem_gpa_to_hva(), vmm_mem_get_slices_prefix()), little-endian ring
 * index atomics (vmm_mem_load_le(), vmm_mem_store_le()), the HOST region
 * release callback, and the shared dirty log (vmm_mem_dirty_log_attach(),
 * _detach(), _overflow()): its layout, every write path marking it, the
 * overflow counter, and replacing it while writers run.
 */
#include "testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define PS UINT64_C(0x1000)

/* ------------------------------------------------------------------------ */
/* Front-end address translation                                             */
/* ------------------------------------------------------------------------ */

static int add_vua(vmm_mem_t *m, uint64_t gpa, uint64_t size, uint64_t vua)
{
	struct vmm_mem_region_desc d;

	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_ANON;
	d.gpa = gpa;
	d.size = size;
	d.vua = vua;
	return vmm_mem_add_region(m, &d, sizeof(d));
}

/* 509 regions (vhost-user's most), VUAs in an order unrelated to GPAs. */
START_TEST(vua_to_gpa_509_regions)
{
	vmm_mem_t *m;
	const unsigned int n = 509;
	unsigned int i;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	for (i = 0; i < n; i++) {
		uint64_t gpa = (uint64_t)i * 0x20000;	/* 64 KiB holes */
		/* a permutation of the slots: i * 7 mod 509 */
		uint64_t vua = 0x7f0000000000ull +
			       (uint64_t)((i * 7u) % n) * 0x100000;

		ck_assert_int_eq(add_vua(m, gpa, 0x10000, vua), 0);
	}
	for (i = 0; i < n; i++) {
		uint64_t vua = 0x7f0000000000ull +
			       (uint64_t)((i * 7u) % n) * 0x100000;
		uint64_t gpa = 0, len = 0x100000;

		ck_assert_int_eq(vmm_mem_vua_to_gpa(m, vua + 0x123, &gpa, &len),
				 0);
		ck_assert_uint_eq(gpa, (uint64_t)i * 0x20000 + 0x123);
		ck_assert_uint_eq(len, 0x10000 - 0x123);	/* clamped */
		len = 5;
		ck_assert_int_eq(vmm_mem_vua_to_gpa(m, vua + 0xffff, &gpa,
						    &len), 0);
		ck_assert_uint_eq(len, 1);
		ck_assert_int_eq(vmm_mem_vua_to_gpa(m, vua, &gpa, NULL), 0);
		ck_assert_uint_eq(gpa, (uint64_t)i * 0x20000);
		/* the VUA hole after each region */
		ck_assert_int_eq(vmm_mem_vua_to_gpa(m, vua + 0x10000, &gpa,
						    NULL), -EFAULT);
	}
	{
		uint64_t gpa = 77;

		ck_assert_int_eq(vmm_mem_vua_to_gpa(m, 0x1000, &gpa, NULL),
				 -EFAULT);
		ck_assert_int_eq(vmm_mem_vua_to_gpa(m, UINT64_MAX, &gpa, NULL),
				 -EFAULT);
		ck_assert_uint_eq(gpa, 77);	/* untouched on failure */
		ck_assert_int_eq(vmm_mem_vua_to_gpa(NULL, 0, &gpa, NULL),
				 -EINVAL);
		ck_assert_int_eq(vmm_mem_vua_to_gpa(m, 0x7f0000000000ull, NULL,
						    NULL), -EINVAL);
	}
	/* removal takes the VUA away; a region without a VUA never matches */
	ck_assert_int_eq(vmm_mem_remove_region(m, 0, 0x10000), 0);
	{
		uint64_t gpa;

		ck_assert_int_eq(vmm_mem_vua_to_gpa(m, 0x7f0000000000ull, &gpa,
						    NULL), -EFAULT);
		ck_assert_int_eq(tu_add_anon(m, 0, 0x10000, 0), 0);
		ck_assert_int_eq(vmm_mem_vua_to_gpa(m, 0, &gpa, NULL), -EFAULT);
	}
	vmm_mem_unref(m);
}
END_TEST

/* A few regions: the small-table path, and a translated ring address that
 * is used at once. */
START_TEST(vua_to_gpa_few_regions_then_access)
{
	vmm_mem_t *m;
	uint64_t gpa, v = 0;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(add_vua(m, 0x0, 0x10000, 0x500000), 0);
	ck_assert_int_eq(add_vua(m, 0x10000, 0x10000, 0x400000), 0);
	ck_assert_int_eq(vmm_mem_vua_to_gpa(m, 0x400010, &gpa, NULL), 0);
	ck_assert_uint_eq(gpa, 0x10010);
	ck_assert_int_eq(vmm_mem_store_le(m, gpa, 2, 0xbeef,
					  VMM_MEM_ORDER_RELEASE), 0);
	ck_assert_int_eq(vmm_mem_load_le(m, 0x10010, 2, &v,
					 VMM_MEM_ORDER_ACQUIRE), 0);
	ck_assert_uint_eq(v, 0xbeef);
	ck_assert_int_eq(vmm_mem_vua_to_gpa(m, 0x40ffff, &gpa, NULL), 0);
	ck_assert_uint_eq(gpa, 0x1ffff);
	ck_assert_int_eq(vmm_mem_vua_to_gpa(m, 0x410000, &gpa, NULL), -EFAULT);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(gpa_to_hva_clamps_at_region_end)
{
	const struct vmm_mem_range r[] = {
		{ 0, 0x10000 }, { 0x10000, 0x10000 }, { 0x30000, 0x10000 },
	};
	vmm_mem_t *m = tu_mem_anon(r, 3);
	struct vmm_mem_region_info info;
	void *hva = NULL;
	uint64_t len;

	/* adjacent regions: the length stops at the first one's end */
	len = 0x20000;
	ck_assert_int_eq(vmm_mem_gpa_to_hva(m, 0xff00, &len, &hva), 0);
	ck_assert_uint_eq(len, 0x100);
	ck_assert_int_eq(vmm_mem_region_info(m, 0, &info, sizeof(info)), 0);
	ck_assert_ptr_eq(hva, (char *)info.hva + 0xff00);
	/* shorter than the region: as asked */
	len = 16;
	ck_assert_int_eq(vmm_mem_gpa_to_hva(m, 0x10000, &len, &hva), 0);
	ck_assert_uint_eq(len, 16);
	/* before a hole */
	len = UINT64_MAX;
	ck_assert_int_eq(vmm_mem_gpa_to_hva(m, 0x1fff0, &len, &hva), 0);
	ck_assert_uint_eq(len, 0x10);
	len = 0;
	ck_assert_int_eq(vmm_mem_gpa_to_hva(m, 0x30000, &len, &hva), 0);
	ck_assert_uint_eq(len, 0);
	/* a hole, the end, bad arguments: nothing written */
	len = 8;
	hva = NULL;
	ck_assert_int_eq(vmm_mem_gpa_to_hva(m, 0x20000, &len, &hva), -EFAULT);
	ck_assert_int_eq(vmm_mem_gpa_to_hva(m, 0x40000, &len, &hva), -EFAULT);
	ck_assert_uint_eq(len, 8);
	ck_assert_ptr_null(hva);
	ck_assert_int_eq(vmm_mem_gpa_to_hva(NULL, 0, &len, &hva), -EINVAL);
	ck_assert_int_eq(vmm_mem_gpa_to_hva(m, 0, NULL, &hva), -EINVAL);
	ck_assert_int_eq(vmm_mem_gpa_to_hva(m, 0, &len, NULL), -EINVAL);
	vmm_mem_unref(m);
}
END_TEST

/* 509 regions: the lookup behind the clamp scales (correctness here; the
 * cost is a bench row). */
START_TEST(gpa_to_hva_509_regions)
{
	vmm_mem_t *m;
	unsigned int i;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	for (i = 0; i < 509; i++)
		ck_assert_int_eq(tu_add_anon(m, (uint64_t)i * 0x3000, 0x2000, 0),
				 0);
	for (i = 0; i < 509; i++) {
		uint64_t len = 0x10000;
		void *h;

		ck_assert_int_eq(vmm_mem_gpa_to_hva(m, (uint64_t)i * 0x3000 +
							       0x1ff8,
						    &len, &h), 0);
		ck_assert_uint_eq(len, 8);
		ck_assert_int_eq(vmm_mem_gpa_to_hva(m, (uint64_t)i * 0x3000 +
							       0x2000,
						    &len, &h), -EFAULT);
	}
	vmm_mem_unref(m);
}
END_TEST

START_TEST(get_slices_prefix_stops_at_hole)
{
	const struct vmm_mem_range r[] = {
		{ 0, 0x10000 }, { 0x10000, 0x10000 }, { 0x30000, 0x10000 },
	};
	vmm_mem_t *m = tu_mem_anon(r, 3);
	struct iovec iov[4];
	uint64_t done = 99;

	/* the all-or-nothing call refuses the range ... */
	ck_assert_int_eq(vmm_mem_get_slices(m, 0xf000, 0x30000, iov, 4),
			 -EFAULT);
	/* ... the prefix call yields what is backed before the hole */
	ck_assert_int_eq(vmm_mem_get_slices_prefix(m, 0xf000, 0x30000, iov, 4,
						   &done), 2);
	ck_assert_uint_eq(done, 0x11000);
	ck_assert_uint_eq(iov[0].iov_len, 0x1000);
	ck_assert_uint_eq(iov[1].iov_len, 0x10000);
	/* fewer entries than fragments: what fits */
	ck_assert_int_eq(vmm_mem_get_slices_prefix(m, 0xf000, 0x30000, iov, 1,
						   &done), 1);
	ck_assert_uint_eq(done, 0x1000);
	/* all backed: the whole range */
	ck_assert_int_eq(vmm_mem_get_slices_prefix(m, 0x30010, 0x20, iov, 4,
						   &done), 1);
	ck_assert_uint_eq(done, 0x20);
	/* starting in the hole */
	ck_assert_int_eq(vmm_mem_get_slices_prefix(m, 0x20000, 8, iov, 4,
						   &done), -EFAULT);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(vmm_mem_get_slices_prefix(m, 0, 0, iov, 4, &done), 0);
	ck_assert_int_eq(vmm_mem_get_slices_prefix(m, UINT64_MAX, 2, iov, 4,
						   &done), -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_get_slices_prefix(m, 0, 8, iov, 0, &done),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_get_slices_prefix(m, 0, 8, NULL, 1, &done),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_get_slices_prefix(m, 0, 8, iov, 1, NULL),
			 -EINVAL);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Little-endian atomics                                                     */
/* ------------------------------------------------------------------------ */

START_TEST(le_atomics_byte_order)
{
	const struct vmm_mem_range r[] = { { 0, 0x10000 } };
	vmm_mem_t *m = tu_mem_anon(r, 1);
	uint8_t b[8];
	uint64_t v;

	ck_assert_int_eq(vmm_mem_store_le(m, 0x100, 2, 0x1234,
					  VMM_MEM_ORDER_RELEASE), 0);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0x100, b, 2), 0);
	ck_assert_uint_eq(b[0], 0x34);
	ck_assert_uint_eq(b[1], 0x12);
	ck_assert_int_eq(vmm_mem_store_le(m, 0x200, 4, 0x89abcdef,
					  VMM_MEM_ORDER_SEQ_CST), 0);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0x200, b, 4), 0);
	ck_assert_uint_eq(b[0], 0xef);
	ck_assert_uint_eq(b[3], 0x89);
	b[0] = 0x01; b[1] = 0x02; b[2] = 0x03; b[3] = 0x04;
	b[4] = 0x05; b[5] = 0x06; b[6] = 0x07; b[7] = 0x08;
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x300, b, 8), 0);
	ck_assert_int_eq(vmm_mem_load_le(m, 0x300, 2, &v,
					 VMM_MEM_ORDER_ACQUIRE), 0);
	ck_assert_uint_eq(v, 0x0201);
	ck_assert_int_eq(vmm_mem_load_le(m, 0x300, 4, &v,
					 VMM_MEM_ORDER_RELAXED), 0);
	ck_assert_uint_eq(v, 0x04030201);
	ck_assert_int_eq(vmm_mem_load_le(m, 0x300, 8, &v,
					 VMM_MEM_ORDER_SEQ_CST), 0);
	ck_assert_uint_eq(v, 0x0807060504030201ull);
	/* the helpers agree */
	{
		uint16_t h;

		ck_assert_int_eq(vmm_mem_read_le16(m, 0x100, &h), 0);
		ck_assert_uint_eq(h, 0x1234);
	}
	/* errors as vmm_mem_load()/store(), and size 1 refused */
	ck_assert_int_eq(vmm_mem_load_le(m, 0x301, 2, &v,
					 VMM_MEM_ORDER_ACQUIRE), -EINVAL);
	ck_assert_int_eq(vmm_mem_load_le(m, 0x300, 1, &v,
					 VMM_MEM_ORDER_ACQUIRE), -EINVAL);
	ck_assert_int_eq(vmm_mem_load_le(m, 0x300, 2, NULL,
					 VMM_MEM_ORDER_ACQUIRE), -EINVAL);
	ck_assert_int_eq(vmm_mem_load_le(m, 0x300, 2, &v,
					 VMM_MEM_ORDER_RELEASE), -EINVAL);
	ck_assert_int_eq(vmm_mem_load_le(m, 0x10000, 2, &v,
					 VMM_MEM_ORDER_ACQUIRE), -EFAULT);
	ck_assert_int_eq(vmm_mem_store_le(m, 0x300, 2, 0x10000,
					  VMM_MEM_ORDER_RELEASE), -ERANGE);
	ck_assert_int_eq(vmm_mem_store_le(m, 0x300, 2, 1,
					  VMM_MEM_ORDER_ACQUIRE), -EINVAL);
	ck_assert_int_eq(vmm_mem_store_le(m, 0x300, 1, 1,
					  VMM_MEM_ORDER_RELEASE), -EINVAL);
	ck_assert_int_eq(vmm_mem_store_le(NULL, 0x300, 2, 1,
					  VMM_MEM_ORDER_RELEASE), -EINVAL);
	ck_assert_int_eq(vmm_mem_load_le(m, 0x300, 8, &v,
					 VMM_MEM_ORDER_SEQ_CST), 0);
	ck_assert_uint_eq(v, 0x0807060504030201ull);	/* untouched */
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* HOST region release callback                                              */
/* ------------------------------------------------------------------------ */

struct rel {
	int calls;
	void *hva;
	uint64_t size;
};

static void on_release(void *data, void *hva, uint64_t size)
{
	struct rel *r = data;

	r->calls++;
	r->hva = hva;
	r->size = size;
	ck_assert_int_eq(munmap(hva, (size_t)size), 0);
}

static int add_host_rel(vmm_mem_t *m, uint64_t gpa, uint64_t size, void *hva,
			struct rel *rel)
{
	struct vmm_mem_region_desc d;

	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_HOST;
	d.gpa = gpa;
	d.size = size;
	d.hva = hva;
	d.release = on_release;
	d.release_data = rel;
	return vmm_mem_add_region(m, &d, sizeof(d));
}

static void *host_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

START_TEST(release_after_last_user)
{
	vmm_mem_t *m;
	struct rel rel = { 0 };
	void *p = host_map(0x10000);
	vmm_mem_snapshot_t *s;
	vmm_mem_mapping_t *map;
	uint64_t v = 5;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(add_host_rel(m, 0x100000, 0x10000, p, &rel), 0);
	ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
	ck_assert_int_eq(vmm_mem_map(m, 0x100000, 8, VMM_MEM_MAP_WRITE, &map),
			 0);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x100000, 0x10000), 0);
	ck_assert_int_eq(rel.calls, 0);
	/* still used through the snapshot: never released under it */
	ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, 0x100008, &v, 8), 0);
	vmm_mem_snapshot_put(s);
	ck_assert_int_eq(rel.calls, 0);
	ck_assert_int_eq(tu_is_mapped(p), 1);
	ck_assert_int_eq(vmm_mem_unmap(map, 8), 0);
	ck_assert_int_eq(rel.calls, 1);
	ck_assert_ptr_eq(rel.hva, p);
	ck_assert_uint_eq(rel.size, 0x10000);
	ck_assert_int_eq(tu_is_mapped(p), 0);
	vmm_mem_unref(m);
	ck_assert_int_eq(rel.calls, 1);
}
END_TEST

START_TEST(release_at_unref_and_not_on_failure)
{
	vmm_mem_t *m;
	struct rel rel = { 0 }, rel2 = { 0 };
	void *p = host_map(0x10000), *q = host_map(0x10000);
	struct vmm_mem_region_desc d;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(add_host_rel(m, 0, 0x10000, p, &rel), 0);
	/* overlap: refused, the mapping stays the caller's */
	ck_assert_int_eq(add_host_rel(m, 0x8000, 0x10000, q, &rel2), -EEXIST);
	ck_assert_int_eq(rel2.calls, 0);
	/* a callback on a type the library maps is refused */
	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_ANON;
	d.gpa = 0x100000;
	d.size = 0x1000;
	d.release = on_release;
	ck_assert_int_eq(vmm_mem_add_region(m, &d, sizeof(d)), -EINVAL);
	/* an older caller's smaller descriptor: no callback, still fine */
	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_HOST;
	d.gpa = 0x200000;
	d.size = 0x10000;
	d.hva = q;
	ck_assert_int_eq(vmm_mem_add_region(m, &d,
					    VMM_MEM_REGION_DESC_SIZE_VER0), 0);
	vmm_mem_unref(m);
	ck_assert_int_eq(rel.calls, 1);
	ck_assert_int_eq(rel2.calls, 0);
	ck_assert_int_eq(munmap(q, 0x10000), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Shared dirty log                                                          */
/* ------------------------------------------------------------------------ */

struct slog {
	int fd;
	uint8_t *p;		/* the test's own view of the log */
	size_t size;
};

static void slog_new(struct slog *l, size_t size)
{
	l->size = size;
	l->fd = tu_memfd(size + PS);
	l->p = mmap(NULL, size + PS, PROT_READ | PROT_WRITE, MAP_SHARED, l->fd,
		    0);
	ck_assert_ptr_ne(l->p, MAP_FAILED);
}

static void slog_free(struct slog *l)
{
	munmap(l->p, l->size + PS);
	close(l->fd);
}

/* Attach @l at byte @off of its memfd (the log starts there). */
static int slog_attach(vmm_mem_t *m, struct slog *l, uint64_t off)
{
	struct vmm_mem_dirty_log_shared_desc d;

	memset(&d, 0, sizeof(d));
	d.fd = l->fd;
	d.offset = off;
	d.size = l->size;
	return vmm_mem_dirty_log_attach(m, &d, sizeof(d));
}

static int bit(const uint8_t *log, uint64_t gpa)
{
	uint64_t p = gpa / 4096;

	return (__atomic_load_n(&log[p / 8], __ATOMIC_ACQUIRE) >> (p % 8)) & 1;
}

static int popcount_log(const uint8_t *log, size_t size)
{
	size_t i;
	int n = 0;

	for (i = 0; i < size; i++)
		n += __builtin_popcount(log[i]);
	return n;
}

/* Every write path marks the shared log at the right bit, with the
 * internal log off and then on beside it. */
START_TEST(shared_log_every_write_path)
{
	vmm_mem_t *m;
	struct slog l;
	vmm_mem_snapshot_t *s;
	vmm_mem_mapping_t *map;
	uint8_t buf[64] = { 1 };
	int pfd[2];
	int pass;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(tu_add_anon(m, 0, 0x100000, 0), 0);
	ck_assert_int_eq(tu_add_anon(m, 0x100000, 0x100000, 0), 0);
	slog_new(&l, 0x100);	/* 2048 pages: 8 MiB */
	ck_assert_int_eq(slog_attach(m, &l, 100), 0);	/* unaligned offset */
	for (pass = 0; pass < 2; pass++) {
		uint8_t *log = l.p + 100;

		memset(l.p, 0, l.size + PS);
		ck_assert_int_eq(vmm_mem_write(m, 0x1000, buf, 1), 1);
		ck_assert_int_eq(vmm_mem_write_exact(m, 0x2000, buf, 8), 0);
		ck_assert_int_eq(vmm_mem_write_exact(m, 0x3000, buf, 64), 0);
		ck_assert_int_eq(vmm_mem_fill(m, 0x4ff0, 0, 0x20), 0);	/* 2 */
		ck_assert_int_eq(vmm_mem_copy(m, 0x7000, 0x9000, 16), 0);
		ck_assert_int_eq(vmm_mem_store(m, 0x8000, 4, 1,
					       VMM_MEM_ORDER_RELEASE), 0);
		ck_assert_int_eq(vmm_mem_store_le(m, 0xa000, 2, 1,
						  VMM_MEM_ORDER_RELEASE), 0);
		ck_assert_int_eq(pipe(pfd), 0);
		ck_assert_int_eq(write(pfd[1], buf, 8), 8);
		ck_assert_int_eq(vmm_mem_read_from_fd(m, 0xb000, pfd[0], 8), 8);
		close(pfd[0]);
		close(pfd[1]);
		ck_assert_int_eq(vmm_mem_snapshot_get(m, &s), 0);
		ck_assert_int_eq(vmm_mem_snapshot_write_exact(s, 0xc000, buf, 8),
				 0);
		ck_assert_int_eq(vmm_mem_snapshot_store(s, 0xd000, 8, 1,
							VMM_MEM_ORDER_RELAXED),
				 0);
		vmm_mem_snapshot_put(s);
		ck_assert_int_eq(vmm_mem_map(m, 0xfff00, 0x200,
					     VMM_MEM_MAP_WRITE, &map), 0);
		ck_assert_int_eq(vmm_mem_unmap(map, 0x200), 0);	/* 2 */
		ck_assert_int_eq(vmm_mem_dirty_log_mark(m, 0x1ff000, 1), 0);
		/* reads mark nothing */
		ck_assert_int_eq(vmm_mem_read_exact(m, 0x20000, buf, 8), 0);
		{
			static const uint64_t want[] = {
				0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x7000,
				0x8000, 0xa000, 0xb000, 0xc000, 0xd000, 0xff000,
				0x100000, 0x1ff000,
			};
			size_t i;

			for (i = 0; i < TU_ARRAY_SIZE(want); i++)
				ck_assert_msg(bit(log, want[i]),
					      "pass %d: 0x%" PRIx64 " clean",
					      pass, want[i]);
			ck_assert_int_eq(popcount_log(log, l.size),
					 (int)TU_ARRAY_SIZE(want));
		}
		/* nothing before the log's start, nor past its end */
		{
			size_t i;

			for (i = 0; i < 100; i++)
				ck_assert_uint_eq(l.p[i], 0);
			for (i = 100 + l.size; i < l.size + PS; i++)
				ck_assert_uint_eq(l.p[i], 0);
		}
		if (pass == 0) {
			ck_assert_int_eq(vmm_mem_dirty_log_start(m, PS), 0);
		} else {
			uint64_t bm[512 / 64];

			/* the internal log saw the same writes */
			ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 512, bm, 0),
					 14);
		}
	}
	ck_assert_int_eq(vmm_mem_dirty_log_detach(m), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_detach(m), -ENOENT);
	memset(l.p, 0, l.size + PS);
	ck_assert_int_eq(vmm_mem_write(m, 0x1000, buf, 1), 1);
	ck_assert_int_eq(popcount_log(l.p, l.size + PS), 0);
	/* the internal log keeps working alone */
	ck_assert_int_eq(vmm_mem_dirty_log_test(m, 0x1000), 1);
	vmm_mem_unref(m);
	slog_free(&l);
}
END_TEST

/* A caller's mapping as the log; a log too small for the memory: writes
 * past it are counted and never touch the guard page after it. */
START_TEST(shared_log_overflow_counted)
{
	vmm_mem_t *m;
	struct vmm_mem_dirty_log_shared_desc d;
	uint8_t *area, *log;
	uint64_t n = 99;
	uint8_t b = 1;

	area = mmap(NULL, 2 * PS, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(area, MAP_FAILED);
	ck_assert_int_eq(mprotect(area + PS, PS, PROT_NONE), 0);
	log = area + PS - 2;	/* 2 bytes: 16 pages, 64 KiB */
	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(tu_add_anon(m, 0, 0x100000, 0), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_overflow(m, &n), -ENOENT);
	memset(&d, 0, sizeof(d));
	d.fd = -1;
	d.addr = log;
	d.size = 2;
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, &d, sizeof(d)), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_overflow(m, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vmm_mem_write(m, 0xf000, &b, 1), 1);
	ck_assert_uint_eq(log[1], 0x80);
	ck_assert_int_eq(vmm_mem_write(m, 0x10000, &b, 1), 1);	/* page 16 */
	ck_assert_int_eq(vmm_mem_fill(m, 0xe000, 0, 0x4000), 0);	/* straddles */
	ck_assert_int_eq(vmm_mem_dirty_log_overflow(m, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(log[1], 0xc0);
	ck_assert_uint_eq(log[0], 0);
	ck_assert_int_eq(vmm_mem_dirty_log_detach(m), 0);
	vmm_mem_unref(m);
	munmap(area, 2 * PS);
}
END_TEST

START_TEST(shared_log_bad_arguments)
{
	vmm_mem_t *m;
	struct vmm_mem_dirty_log_shared_desc d;
	struct slog l;
	uint8_t big[sizeof(d) + 8];

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	slog_new(&l, 0x100);
	memset(&d, 0, sizeof(d));
	d.fd = l.fd;
	d.size = 0x100;
	ck_assert_int_eq(vmm_mem_dirty_log_attach(NULL, &d, sizeof(d)), -EINVAL);
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, NULL, sizeof(d)), -EINVAL);
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, &d, 8), -EINVAL);
	d.flags = 1;
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, &d, sizeof(d)), -EINVAL);
	d.flags = 0;
	d.size = 0;
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, &d, sizeof(d)), -EINVAL);
	d.size = 0x100;
	d.addr = l.p;	/* both */
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, &d, sizeof(d)), -EINVAL);
	d.addr = NULL;
	d.fd = -1;	/* neither */
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, &d, sizeof(d)), -EINVAL);
	d.fd = l.fd;
	d.offset = 2 * PS;	/* past the memfd's end */
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, &d, sizeof(d)), -EINVAL);
	d.offset = UINT64_MAX - 4;
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, &d, sizeof(d)),
			 -EOVERFLOW);
	d.offset = 0;
	d.fd = 1000;	/* not open */
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, &d, sizeof(d)), -EBADF);
	d.fd = l.fd;
	memset(big, 0, sizeof(big));
	memcpy(big, &d, sizeof(d));
	big[sizeof(d) + 3] = 1;
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, (const void *)big,
						  sizeof(big)), -E2BIG);
	big[sizeof(d) + 3] = 0;
	ck_assert_int_eq(vmm_mem_dirty_log_attach(m, (const void *)big,
						  sizeof(big)), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_detach(NULL), -EINVAL);
	/* the handle's last reference detaches; the region left behind by
	 * a mapping writes without touching the log */
	{
		vmm_mem_mapping_t *map;

		ck_assert_int_eq(tu_add_anon(m, 0, 0x10000, 0), 0);
		ck_assert_int_eq(vmm_mem_map(m, 0, 8, VMM_MEM_MAP_WRITE, &map),
				 0);
		vmm_mem_unref(m);
		ck_assert_int_eq(vmm_mem_unmap(map, 8), 0);
		ck_assert_int_eq(popcount_log(l.p, l.size), 0);
	}
	slog_free(&l);
}
END_TEST

/* Writes through a mapping of a removed region land in the shared log. */
START_TEST(shared_log_pinned_removed_region)
{
	vmm_mem_t *m;
	struct slog l;
	vmm_mem_mapping_t *map;
	struct iovec iov;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(tu_add_anon(m, 0x40000, 0x10000, 0), 0);
	ck_assert_int_eq(vmm_mem_map(m, 0x43000, 8, VMM_MEM_MAP_WRITE, &map),
			 0);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x40000, 0x10000), 0);
	slog_new(&l, 0x100);
	ck_assert_int_eq(slog_attach(m, &l, 0), 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(map, &iov, 1), 1);
	memset(iov.iov_base, 3, 8);
	ck_assert_int_eq(vmm_mem_unmap(map, 8), 0);
	ck_assert_int_eq(bit(l.p, 0x43000), 1);
	ck_assert_int_eq(popcount_log(l.p, l.size), 1);
	vmm_mem_unref(m);
	slog_free(&l);
}
END_TEST

/*
 * Replace the log while writers run: a write that began after log k was
 * attached (the attach call returned) is in log k or a later one, never
 * lost; a write that completed before a replace stays in the old log (the
 * test never clears).  Each writer records (page, generation at start).
 */
#define RW_LOGS 8
#define RW_WRITERS 2

struct rw_shared {
	vmm_mem_t *m;
	struct slog logs[RW_LOGS];
	unsigned int gen;	/* atomic: the log attached last */
	unsigned int stop;	/* atomic */
};

struct rw_writer {
	struct rw_shared *sh;
	unsigned int id;
	size_t n, cap;
	uint32_t *page;
	uint8_t *gen;
	int rc;
};

static void *rw_writer_main(void *arg)
{
	struct rw_writer *w = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (w->id + 1);
	vmm_mem_snapshot_t *s = NULL;

	while (!__atomic_load_n(&w->sh->stop, __ATOMIC_ACQUIRE) &&
	       w->n < w->cap) {
		uint64_t r = tu_xorshift(&seed);
		uint32_t page = (uint32_t)(r % 512);
		unsigned int g = __atomic_load_n(&w->sh->gen, __ATOMIC_ACQUIRE);
		uint64_t v = r;
		int rc;

		switch ((r >> 32) % 3) {
		case 0:
			rc = vmm_mem_write_exact(w->sh->m, page * PS, &v, 8);
			break;
		case 1:
			rc = vmm_mem_store(w->sh->m, page * PS + 8, 8, v,
					   VMM_MEM_ORDER_RELEASE);
			break;
		default:
			vmm_mem_snapshot_refresh(w->sh->m, &s);
			rc = vmm_mem_snapshot_write_exact(s, page * PS + 16, &v,
							  8);
			break;
		}
		if (rc) {
			w->rc = rc;
			break;
		}
		w->page[w->n] = page;
		w->gen[w->n] = (uint8_t)g;
		w->n++;
	}
	vmm_mem_snapshot_put(s);
	return NULL;
}

START_TEST(shared_log_replace_while_writing)
{
	struct rw_shared sh;
	struct rw_writer w[RW_WRITERS];
	unsigned int i, k;
	size_t j;

	memset(&sh, 0, sizeof(sh));
	ck_assert_int_eq(vmm_mem_new(&sh.m), 0);
	ck_assert_int_eq(tu_add_anon(sh.m, 0, 512 * PS, 0), 0);
	for (k = 0; k < RW_LOGS; k++)
		slog_new(&sh.logs[k], 64);	/* 512 pages */
	ck_assert_int_eq(slog_attach(sh.m, &sh.logs[0], 0), 0);
	for (i = 0; i < RW_WRITERS; i++) {
		w[i].sh = &sh;
		w[i].id = i;
		w[i].n = 0;
		w[i].cap = tu_scaled(200000);
		w[i].page = calloc(w[i].cap, sizeof(*w[i].page));
		w[i].gen = calloc(w[i].cap, 1);
		w[i].rc = 0;
		ck_assert_ptr_nonnull(w[i].page);
		ck_assert_ptr_nonnull(w[i].gen);
	}
	pthread_t th[RW_WRITERS];

	for (i = 0; i < RW_WRITERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, rw_writer_main,
						&w[i]), 0);
	for (k = 1; k < RW_LOGS; k++) {
		usleep(2000);
		ck_assert_int_eq(slog_attach(sh.m, &sh.logs[k], 0), 0);
		__atomic_store_n(&sh.gen, k, __ATOMIC_RELEASE);
	}
	usleep(2000);
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < RW_WRITERS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_detach(sh.m), 0);
	for (i = 0; i < RW_WRITERS; i++) {
		ck_assert_int_eq(w[i].rc, 0);
		ck_assert_uint_gt(w[i].n, 0);
		for (j = 0; j < w[i].n; j++) {
			uint64_t gpa = (uint64_t)w[i].page[j] * PS;
			int found = 0;

			for (k = w[i].gen[j]; k < RW_LOGS && !found; k++)
				found = bit(sh.logs[k].p, gpa);
			ck_assert_msg(found, "writer %u: write %zu to 0x%" PRIx64
				      " (log %u) lost", i, j, gpa, w[i].gen[j]);
		}
		free(w[i].page);
		free(w[i].gen);
	}
	vmm_mem_unref(sh.m);
	for (k = 0; k < RW_LOGS; k++)
		slog_free(&sh.logs[k]);
}
END_TEST

static Suite *vhost_suite(void)
{
	Suite *s = suite_create("vhost");
	TCase *tc;

	tc = tcase_create("translation");
	tcase_add_test(tc, vua_to_gpa_509_regions);
	tcase_add_test(tc, vua_to_gpa_few_regions_then_access);
	tcase_add_test(tc, gpa_to_hva_clamps_at_region_end);
	tcase_add_test(tc, gpa_to_hva_509_regions);
	tcase_add_test(tc, get_slices_prefix_stops_at_hole);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("le_atomics");
	tcase_add_test(tc, le_atomics_byte_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("release");
	tcase_add_test(tc, release_after_last_user);
	tcase_add_test(tc, release_at_unref_and_not_on_failure);
	suite_add_tcase(s, tc);

	tc = tcase_create("shared_log");
	tcase_add_test(tc, shared_log_every_write_path);
	tcase_add_test(tc, shared_log_overflow_counted);
	tcase_add_test(tc, shared_log_bad_arguments);
	tcase_add_test(tc, shared_log_pinned_removed_region);
	tcase_add_test(tc, shared_log_replace_while_writing);
	tcase_set_timeout(tc, tu_env_on("VMMEM_TSAN") ? 300 : 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(vhost_suite());
}
