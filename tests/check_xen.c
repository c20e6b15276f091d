/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_xen - Xen foreign and grant regions of libvmmem-xen, run against
 * Debian's real libxenforeignmemory and libxengnttab on the simulated
 * /dev/xen of fake-xen.so (tests/xen.sh preloads it; every case but
 * "nodev" fails loudly without it).  The "nodev" case runs without the
 * simulation: no /dev/xen, clean failures, nothing printed.
 *
 * Cases: the Xen cases of vm-memory-semantics.md section 12.10 (144 to
 * 155), adapted to the descriptor; regression C25 of cases-regressions.md
 * (the device descriptor outlives the mapping); and the contract in
 * vmmem.h for foreign, grant-in-advance and grant-on-demand regions.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "testutil.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xentoolcore.h>

#include "fake-xen.h"

#define XP UINT64_C(0x1000)
#define GRANT_BIT (UINT64_C(1) << 63)
#define DOM FAKE_XEN_DOMID

static struct fake_xen fx;

/* The simulation's control functions, or a loud failure. */
static void bind_fake(void)
{
#define BIND(f) (fx.f = (fake_xen_##f##_fn)(uintptr_t)dlsym(RTLD_DEFAULT, \
							    "fake_xen_" #f))
	BIND(reset);
	BIND(stats);
	BIND(guest);
	BIND(set_grant);
	BIND(fail_frame);
	BIND(fail_ref);
#undef BIND
	ck_assert_msg(fx.reset && fx.stats && fx.guest && fx.set_grant &&
		      fx.fail_frame && fx.fail_ref,
		      "the Xen simulation (fake-xen.so) is not preloaded");
	fx.reset();
}

static struct fake_xen_stats stats(void)
{
	struct fake_xen_stats s;

	fx.stats(&s);
	return s;
}

static uint8_t *frame(uint64_t f)
{
	size_t len;
	uint8_t *g = fx.guest(&len);

	ck_assert_uint_lt(f * XP, len);
	return g + f * XP;
}

/* Log messages the library passed on: counted, the last one kept. */
static int nlog;
static char lastlog[512];

static void log_fn(void *data, int prio, const char *file, int line,
		   const char *fn, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

static void log_fn(void *data, int prio, const char *file, int line,
		   const char *fn, const char *fmt, va_list ap)
{
	nlog++;
	vsnprintf(lastlog, sizeof(lastlog), fmt, ap);
}

static vmm_mem_t *mem_new(void)
{
	vmm_mem_t *m = NULL;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(vmm_mem_set_log_fn(m, log_fn, NULL), 0);
	nlog = 0;
	return m;
}

/* A Xen region of the simulated guest DOM. */
static int add_xen(vmm_mem_t *m, uint32_t type, uint32_t flags, uint64_t gpa,
		   uint64_t size, int fd)
{
	return tu_add_xen(m, type, gpa, size, DOM, fd, flags);
}

/* After teardown: every device mapping unmapped, every grant released, and
 * the simulated kernel refused no call but the @refused failures the test
 * injected. */
static void assert_clean(int fds, unsigned long refused)
{
	struct fake_xen_stats s = stats();

	ck_assert_uint_eq(s.live_mappings, 0);
	ck_assert_uint_eq(s.live_grant_maps, 0);
	ck_assert_uint_eq(s.refused, refused);
	ck_assert_int_eq(tu_count_maps("fake-xen-guest"), 1); /* the view */
	if (fds >= 0)
		ck_assert_int_eq(tu_count_fds(), fds);
}

/* ---- no /dev/xen ----------------------------------------------------- */

/* Without the devices: a clear errno, nothing changed, nothing printed
 * (Xen's libraries log through our callback, not to stderr). */
START_TEST(nodev_clean_failure)
{
	static const uint32_t flags[] = { 0, 0, VMM_MEM_REGION_NO_ADVANCE_MAP };
	static const uint32_t types[] = { VMM_MEM_REGION_XEN_FOREIGN,
					  VMM_MEM_REGION_XEN_GRANT,
					  VMM_MEM_REGION_XEN_GRANT };
	vmm_mem_t *m;
	char errbuf[256];
	int fds, saved, pipefd[2];
	size_t i;
	ssize_t n;

	/* a Xen host, or the simulation: this case is about the others */
	if (access("/dev/xen", F_OK) == 0 ||
	    dlsym(RTLD_DEFAULT, "fake_xen_reset"))
		return;
	m = mem_new();
	fds = tu_count_fds();
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC | O_NONBLOCK), 0);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(pipefd[1], 2), 2);
	for (i = 0; i < TU_ARRAY_SIZE(types); i++) {
		int rc = add_xen(m, types[i], flags[i], 0x10000, 0x4000, -1);

		ck_assert_msg(rc == -ENOENT || rc == -ENODEV || rc == -EACCES,
			      "type %u: %d", types[i], rc);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = read(pipefd[0], errbuf, sizeof(errbuf) - 1);
	ck_assert_msg(n <= 0, "printed: %.*s", (int)n, errbuf);
	close(pipefd[0]);
	close(pipefd[1]);
	ck_assert_int_eq(vmm_mem_num_regions(m), 0);
	ck_assert_int_eq(tu_count_fds(), fds);
	ck_assert_int_gt(nlog, 0);	/* routed to the callback instead */
	vmm_mem_unref(m);
}
END_TEST

/* Cases 144 to 147, 150 to 152 adapted: the combinations vm-memory
 * refuses, and the descriptor fields Xen regions refuse, are -EINVAL with
 * the table unchanged; nothing is opened. */
START_TEST(refused_combinations)
{
	vmm_mem_t *m = mem_new();
	struct vmm_mem_region_desc d;
	int fds = tu_count_fds();

	/* FOREIGN with NO_ADVANCE_MAP (9), NO_ADVANCE_MAP without GRANT (8) */
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_FOREIGN,
				 VMM_MEM_REGION_NO_ADVANCE_MAP, 0, XP, -1),
			 -EINVAL);
	ck_assert_int_eq(tu_add_anon(m, 0, XP, VMM_MEM_REGION_NO_ADVANCE_MAP),
			 -EINVAL);
	/* unknown flag bits (4, 16) */
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT, 1u << 5, 0, XP,
				 -1), -EINVAL);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT,
				 VMM_MEM_REGION_HUGETLB, 0, XP, -1), -EINVAL);
	/* GPA or size not made of 4 KiB Xen pages; size 0 */
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_FOREIGN, 0, 0x800, XP,
				 -1), -EINVAL);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT, 0, 0, 0x1800,
				 -1), -EINVAL);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT,
				 VMM_MEM_REGION_NO_ADVANCE_MAP, 0, 0, -1),
			 -EINVAL);
	/* an fd_offset (vm-memory's InvalidOffsetLength), a host address */
	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_XEN_FOREIGN;
	d.size = XP;
	d.fd = -1;
	d.fd_offset = XP;
	ck_assert_int_eq(vmm_mem_add_region(m, &d, sizeof(d)), -EINVAL);
	d.type = VMM_MEM_REGION_XEN_GRANT;
	ck_assert_int_eq(vmm_mem_add_region(m, &d, sizeof(d)), -EINVAL);
	d.fd_offset = 0;
	d.hva = &d;
	ck_assert_int_eq(vmm_mem_add_region(m, &d, sizeof(d)), -EINVAL);
	/* grant references beyond 32 bits */
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT, 0,
				 GRANT_BIT | (UINT64_C(1) << 44), XP, -1),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_num_regions(m), 0);
	ck_assert_int_eq(tu_count_fds(), fds);
	vmm_mem_unref(m);
}
END_TEST

/* ---- foreign ------------------------------------------------------------ */

/* Cases 148 and 155: frames GPA / 4 KiB of the domain, mapped at creation
 * through libxenforeignmemory (fd -1); bytes land at the right frame both
 * ways; one unmap per map; nothing left after removal. */
START_TEST(foreign_map_rw)
{
	vmm_mem_t *m;
	struct vmm_mem_region_info info;
	struct fake_xen_stats s;
	uint8_t buf[64], back[64];
	int fds;

	bind_fake();
	fds = tu_count_fds();
	m = mem_new();
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_FOREIGN, 0, 0x10000,
				 0x3000, -1), 0);
	s = stats();
	ck_assert_uint_eq(s.foreign_mmaps, 1);
	ck_assert_uint_eq(s.foreign_pages, 3);
	ck_assert_uint_eq(s.restricts, 1);
	ck_assert_int_eq(vmm_mem_region_info(m, 0, &info, sizeof(info)), 0);
	ck_assert_uint_eq(info.type, VMM_MEM_REGION_XEN_FOREIGN);
	ck_assert_uint_eq(info.domid, DOM);
	ck_assert_uint_eq(info.page_size, XP);
	ck_assert_ptr_nonnull(info.hva);
	tu_pattern(buf, sizeof(buf), 1);
	/* across the boundary of frames 0x11 and 0x12 */
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x12000 - 32, buf, 64), 0);
	ck_assert_int_eq(memcmp(frame(0x11) + XP - 32, buf, 32), 0);
	ck_assert_int_eq(memcmp(frame(0x12), buf + 32, 32), 0);
	/* the guest writes, we read */
	tu_pattern(frame(0x10) + 100, 64, 2);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0x10000 + 100, back, 64), 0);
	ck_assert_int_eq(memcmp(back, frame(0x10) + 100, 64), 0);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x10000, 0x3000), 0);
	s = stats();
	ck_assert_uint_eq(s.foreign_munmaps, 1);
	vmm_mem_unref(m);
	assert_clean(fds, 0);
	ck_assert_int_eq(nlog, 0);
}
END_TEST

/*
 * C25: the caller's device descriptor is duplicated, the caller closes its
 * own at once, and the region still maps, reads and tears down, its unmap
 * calls reaching a valid descriptor (else the ledger keeps the mapping or
 * the grant map live); the fd count returns to its baseline.
 */
static void c25_case(uint32_t type, const char *dev)
{
	vmm_mem_t *m;
	uint8_t back[16];
	int fds, fd;

	bind_fake();
	fds = tu_count_fds();
	m = mem_new();
	fd = open(dev, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(add_xen(m, type, 0, 0x10000, 0x4000, fd), 0);
	close(fd);
	memcpy(frame(0x10), "sixteen bytes!!", 16);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0x10000, back, 16), 0);
	ck_assert_int_eq(memcmp(back, "sixteen bytes!!", 16), 0);
	ck_assert_uint_eq(stats().restricts, 0);	/* the caller's choice */
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x10000, 0x4000), 0);
	vmm_mem_unref(m);
	assert_clean(fds, 0);
}

START_TEST(c25_foreign_caller_fd)
{
	c25_case(VMM_MEM_REGION_XEN_FOREIGN, "/dev/xen/privcmd");
}
END_TEST

/* One failing frame fails the creation with its errno and unmaps what was
 * mapped (vm-memory never looks at err[]); both ways of mapping. */
START_TEST(foreign_failing_frame)
{
	vmm_mem_t *m;
	int fds, fd, rc;

	bind_fake();
	fds = tu_count_fds();
	m = mem_new();
	fx.fail_frame(0x12, EFAULT);
	rc = add_xen(m, VMM_MEM_REGION_XEN_FOREIGN, 0, 0x10000, 0x4000, -1);
	ck_assert_int_eq(rc, -EFAULT);
	ck_assert_int_gt(nlog, 0);
	ck_assert_ptr_nonnull(strstr(lastlog, "0x12"));
	fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_FOREIGN, 0, 0x10000,
				 0x4000, fd), -EFAULT);
	/* a frame paged out: through the caller's descriptor no retry loop,
	 * the creation fails with ENOENT */
	fx.fail_frame(0x12, 0);
	fx.fail_frame(0x13, ENOENT);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_FOREIGN, 0, 0x10000,
				 0x4000, fd), -ENOENT);
	close(fd);
	ck_assert_int_eq(vmm_mem_num_regions(m), 0);
	ck_assert_uint_eq(stats().foreign_munmaps, 3);
	vmm_mem_unref(m);
	assert_clean(fds, 0);
}
END_TEST

/* Read-only foreign regions refuse writes; the dirty log sees every write
 * path on a writable one. */
START_TEST(foreign_readonly_and_dirty)
{
	vmm_mem_t *m = NULL;
	uint64_t bm[1], v = 0x1122334455667788ull;
	int fds;

	bind_fake();
	fds = tu_count_fds();
	m = mem_new();
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_FOREIGN,
				 VMM_MEM_REGION_READONLY, 0x10000, XP, -1), 0);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x10000, &v, 8), -EACCES);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_FOREIGN, 0, 0x20000,
				 0x4000, -1), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_start(m, 0), 0);
	ck_assert_int_eq(vmm_mem_store(m, 0x21000, 8, v, VMM_MEM_ORDER_RELEASE),
			 0);
	ck_assert_int_eq(vmm_mem_fill(m, 0x23000, 0xab, 16), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0x20000, 4, bm,
					       VMM_MEM_DIRTY_LOG_CLEAR), 2);
	ck_assert_uint_eq(bm[0], 0xa);
	ck_assert_int_eq(memcmp(frame(0x21), &v, 8), 0);
	ck_assert_uint_eq(frame(0x23)[15], 0xab);
	vmm_mem_unref(m);
	assert_clean(fds, 0);
}
END_TEST

/* ---- grants mapped in advance ----------------------------------------- */

/* Case 154: bit 63 marks grant space and is stripped; refs are (GPA
 * without it) / 4 KiB; the refs name the frames the grant table says. */
START_TEST(grant_refs_from_gpa)
{
	uint64_t gpa = GRANT_BIT | 0x5000;
	vmm_mem_t *m;
	struct fake_xen_stats s;
	uint8_t buf[0x2000];
	int fds;

	bind_fake();
	fds = tu_count_fds();
	ck_assert_int_eq(fx.set_grant(5, 100, 0, 1), 0);
	ck_assert_int_eq(fx.set_grant(6, 37, 0, 1), 0);
	m = mem_new();
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT, 0, gpa, 0x2000,
				 -1), 0);
	s = stats();
	ck_assert_uint_eq(s.grant_map_ioctls, 1);
	ck_assert_uint_eq(s.grant_mmaps, 1);
	tu_pattern(buf, sizeof(buf), 3);
	ck_assert_int_eq(vmm_mem_write(m, gpa, buf, sizeof(buf)),
			 (ssize_t)sizeof(buf));
	ck_assert_int_eq(memcmp(frame(100), buf, XP), 0);
	ck_assert_int_eq(memcmp(frame(37), buf + XP, XP), 0);
	ck_assert_int_eq(vmm_mem_remove_region(m, gpa, 0x2000), 0);
	s = stats();
	ck_assert_uint_eq(s.grant_unmap_ioctls, 1);
	ck_assert_uint_eq(s.grant_munmaps, 1);
	vmm_mem_unref(m);
	assert_clean(fds, 0);
}
END_TEST

START_TEST(c25_grant_caller_fd)
{
	c25_case(VMM_MEM_REGION_XEN_GRANT, "/dev/xen/gntdev");
	ck_assert_uint_eq(stats().grant_unmap_ioctls, 1);
}
END_TEST

/* An mmap that fails after a successful map ioctl releases the grants
 * (vm-memory leaks them); a read-only grant maps only read-only. */
START_TEST(grant_failures_release)
{
	vmm_mem_t *m;
	uint8_t b[8];
	int fds, fd;

	bind_fake();
	fds = tu_count_fds();
	m = mem_new();
	fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	fx.fail_ref(0x11, EIO);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT, 0, 0x10000,
				 0x4000, fd), -EIO);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT, 0, 0x10000,
				 0x4000, -1), -EIO);
	ck_assert_uint_eq(stats().live_grant_maps, 0);
	fx.fail_ref(0x11, 0);
	ck_assert_int_eq(fx.set_grant(0x20, 0x20, 1, 1), 0);	/* read-only */
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT, 0, 0x20000, XP,
				 fd), -EINVAL);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT,
				 VMM_MEM_REGION_READONLY, 0x20000, XP, fd), 0);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0x20000, b, 8), 0);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x20000, b, 8), -EACCES);
	close(fd);
	ck_assert_int_eq(vmm_mem_num_regions(m), 1);
	vmm_mem_unref(m);
	assert_clean(fds, 3);
}
END_TEST

/* After xentoolcore_restrict_all(), every gnttab call fails with ENOTTY,
 * xengnttab_unmap() included: the removal logs it and still unmaps the
 * mapping itself, without crashing. */
START_TEST(grant_unmap_after_restrict_all)
{
	vmm_mem_t *m;

	bind_fake();
	m = mem_new();
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT, 0, 0x10000,
				 0x2000, -1), 0);
	ck_assert_int_eq(xentoolcore_restrict_all(DOM), 0);
	ck_assert_int_eq(vmm_mem_remove_region(m, 0x10000, 0x2000), 0);
	ck_assert_uint_eq(stats().grant_munmaps, 1);
	ck_assert_uint_eq(stats().live_mappings, 0);
	ck_assert_int_gt(nlog, 0);
	ck_assert_ptr_nonnull(strstr(lastlog, "unmapping 2 Xen grants"));
	vmm_mem_unref(m);
}
END_TEST

/* ---- grants mapped on demand ------------------------------------------ */

/* Case 149 (no advance map): nothing mapped at creation, no host address
 * (-EOPNOTSUPP, never a NULL reported as success), info says so; byte
 * copies go through grant copy, not mappings. */
START_TEST(ondemand_grant_copy)
{
	vmm_mem_t *m;
	struct vmm_mem_region_info info;
	struct fake_xen_stats s;
	uint8_t buf[0x3000], back[0x3000];
	vmm_mem_snapshot_t *snap;
	vmm_mem_t *view;
	void *p = (void *)1;
	struct iovec iov[2];
	uint64_t len;
	int fds;

	bind_fake();
	fds = tu_count_fds();
	m = mem_new();
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT,
				 VMM_MEM_REGION_NO_ADVANCE_MAP, 0x10000, 0x4000,
				 -1), 0);
	s = stats();
	ck_assert_uint_eq(s.grant_map_ioctls + s.grant_mmaps, 0);
	ck_assert_int_eq(vmm_mem_get_host_address(m, 0x10000, &p), -EOPNOTSUPP);
	ck_assert_int_eq(vmm_mem_get_slice(m, 0x10000, 8, &p), -EOPNOTSUPP);
	ck_assert_ptr_eq(p, (void *)1);
	ck_assert_int_eq(vmm_mem_get_slices(m, 0x10000, 8, iov, 2),
			 -EOPNOTSUPP);
	ck_assert_int_eq(vmm_mem_region_info_at(m, 0x10000, &info,
						sizeof(info)), 0);
	ck_assert_ptr_null(info.hva);
	ck_assert_uint_eq(info.flags & VMM_MEM_REGION_NO_ADVANCE_MAP,
			  VMM_MEM_REGION_NO_ADVANCE_MAP);
	ck_assert_uint_eq(info.type, VMM_MEM_REGION_XEN_GRANT);
	ck_assert_uint_eq(info.domid, DOM);
	/* no host address to hand out or to translate an IOVA to */
	len = 8;
	ck_assert_int_eq(vmm_mem_gpa_to_hva(m, 0x10000, &len, &p), -EOPNOTSUPP);
	ck_assert_ptr_eq(p, (void *)1);
	ck_assert_int_eq(vmm_mem_new_iova_view(m, &view), 0);
	ck_assert_int_eq(vmm_mem_iotlb_update(view, 0x1000, 0x1000, 0x10000,
					      VMM_MEM_IOTLB_READ), -EOPNOTSUPP);
	ck_assert_int_eq(vmm_mem_read_exact(view, 0x1000, back, 8), -ENXIO);
	vmm_mem_unref(view);
	/* 64 bytes, 8 bytes, 12 KiB across pages, partial read */
	tu_pattern(buf, sizeof(buf), 4);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x10ff0, buf, 64), 0);
	ck_assert_int_eq(memcmp(frame(0x10) + 0xff0, buf, 16), 0);
	ck_assert_int_eq(memcmp(frame(0x11), buf + 16, 48), 0);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x10800, buf, sizeof(buf)), 0);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0x10800, back, sizeof(back)), 0);
	ck_assert_int_eq(memcmp(back, buf, sizeof(buf)), 0);
	ck_assert_int_eq(memcmp(frame(0x13), buf + 0x2800, 0x800), 0);
	ck_assert_int_eq(vmm_mem_read(m, 0x13f00, back, 0x1000), 0x100);
	ck_assert_int_eq(vmm_mem_read_exact(m, 0x13ff8, back, 8), 0);
	/* through a snapshot too */
	ck_assert_int_eq(vmm_mem_snapshot_get(m, &snap), 0);
	ck_assert_int_eq(vmm_mem_snapshot_read_exact(snap, 0x10800, back, 8),
			 0);
	ck_assert_int_eq(memcmp(back, buf, 8), 0);
	ck_assert_int_eq(vmm_mem_snapshot_store(snap, 0x12000, 4, 0xfeed,
						VMM_MEM_ORDER_RELEASE), 0);
	ck_assert_uint_eq(frame(0x12)[1], 0xfe);
	vmm_mem_snapshot_put(snap);
	s = stats();
	ck_assert_uint_eq(s.grant_map_ioctls, 1);	/* the store's page */
	ck_assert_uint_eq(s.grant_unmap_ioctls, 1);
	ck_assert_uint_eq(s.grant_mmaps, 1);
	ck_assert_uint_ge(s.grant_copies, 6);
	ck_assert_uint_eq(s.grant_copy_segments, 2 + 4 + 4 + 1 + 1 + 1);
	vmm_mem_unref(m);
	assert_clean(fds, 0);
}
END_TEST

/* Atomics, fill, guest-to-guest copy, fd transfers and vmm_mem_map() on an
 * on-demand region, through the caller's gntdev descriptor: the pins map
 * only what they touch and are released exactly once. */
START_TEST(ondemand_pins)
{
	vmm_mem_t *m;
	vmm_mem_mapping_t *mp;
	struct fake_xen_stats s;
	struct iovec iov[2];
	uint64_t v = 0;
	uint8_t buf[256];
	int fds, fd, pfd[2];

	bind_fake();
	fds = tu_count_fds();
	m = mem_new();
	fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT,
				 VMM_MEM_REGION_NO_ADVANCE_MAP, 0x10000, 0x4000,
				 fd), 0);
	close(fd);
	ck_assert_int_eq(tu_add_anon(m, 0x14000, 0x4000, 0), 0);
	/* atomics */
	ck_assert_int_eq(vmm_mem_store(m, 0x11008, 8, 0x0102030405060708ull,
				       VMM_MEM_ORDER_SEQ_CST), 0);
	ck_assert_int_eq(memcmp(frame(0x11) + 8, "\x08\x07\x06\x05\x04\x03\x02\x01", 8), 0);
	ck_assert_int_eq(vmm_mem_load(m, 0x11008, 4, &v, VMM_MEM_ORDER_ACQUIRE),
			 0);
	ck_assert_uint_eq(v, 0x05060708);
	ck_assert_int_eq(vmm_mem_load(m, 0x11009, 4, &v, VMM_MEM_ORDER_ACQUIRE),
			 -EINVAL);
	s = stats();
	ck_assert_uint_eq(s.grant_map_ioctls, 2);
	ck_assert_uint_eq(s.grant_unmap_ioctls, 2);
	ck_assert_uint_eq(s.live_mappings, 0);
	/* fill and copy, within the region and from the anonymous one */
	ck_assert_int_eq(vmm_mem_fill(m, 0x12000, 0x5a, 0x1800), 0);
	ck_assert_uint_eq(frame(0x13)[0x7ff], 0x5a);
	ck_assert_uint_eq(frame(0x13)[0x800], 0);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x14000, "from anon", 9), 0);
	ck_assert_int_eq(vmm_mem_copy(m, 0x10ffc, 0x14000, 9), 0);
	ck_assert_int_eq(memcmp(frame(0x10) + 0xffc, "from", 4), 0);
	ck_assert_int_eq(memcmp(frame(0x11), " anon", 5), 0);
	ck_assert_int_eq(vmm_mem_copy(m, 0x13ff0, 0x10ffc, 9), 0);	/* back */
	ck_assert_int_eq(memcmp(frame(0x13) + 0xff0, "from anon", 9), 0);
	ck_assert_int_eq(vmm_mem_copy(m, 0x10ffe, 0x10ffc, 9), 0);	/* overlap */
	ck_assert_int_eq(memcmp(frame(0x10) + 0xffe, "fr", 2), 0);
	ck_assert_int_eq(memcmp(frame(0x11), "om anon", 7), 0);
	/* fd transfers */
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	ck_assert_int_eq(vmm_mem_write_to_fd(m, 0x10ffe, pfd[1], 9), 9);
	ck_assert_int_eq(read(pfd[0], buf, 9), 9);
	ck_assert_int_eq(memcmp(buf, "from anon", 9), 0);
	ck_assert_int_eq(write(pfd[1], "piped", 5), 5);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x12ffe, pfd[0], 5,
						    NULL), 0);
	ck_assert_int_eq(memcmp(frame(0x12) + 0xffe, "pi", 2), 0);
	ck_assert_int_eq(memcmp(frame(0x13), "ped", 3), 0);
	close(pfd[0]);
	close(pfd[1]);
	ck_assert_uint_eq(stats().live_mappings, 0);
	/* a mapping: pinned for its life, released exactly once */
	ck_assert_int_eq(vmm_mem_map(m, 0x13ff0, 0x20, VMM_MEM_MAP_WRITE, &mp),
			 0);
	ck_assert_int_eq(vmm_mem_mapping_iov(mp, iov, 2), 2);
	ck_assert_uint_eq(iov[0].iov_len, 0x10);
	ck_assert_uint_eq(stats().live_mappings, 1);
	memcpy(iov[0].iov_base, "mapped", 6);
	ck_assert_int_eq(vmm_mem_unmap(mp, 6), 0);
	ck_assert_int_eq(memcmp(frame(0x13) + 0xff0, "mapped", 6), 0);
	s = stats();
	ck_assert_uint_eq(s.live_mappings, 0);
	ck_assert_uint_eq(s.grant_map_ioctls, s.grant_unmap_ioctls);
	ck_assert_uint_eq(s.grant_mmaps, s.grant_munmaps);
	vmm_mem_unref(m);
	assert_clean(fds, 0);
}
END_TEST

/* A failure part-way returns its errno, leaves nothing mapped and marks
 * only what landed; a read-only region refuses writes before any device
 * call; every write path marks. */
START_TEST(ondemand_failures_and_dirty)
{
	vmm_mem_t *m;
	struct fake_xen_stats s0, s1;
	uint64_t bm[1];
	uint8_t buf[0x2000] = { 1 };
	int fds, pfd[2];

	bind_fake();
	fds = tu_count_fds();
	m = mem_new();
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT,
				 VMM_MEM_REGION_NO_ADVANCE_MAP, 0x10000, 0x4000,
				 -1), 0);
	ck_assert_int_eq(add_xen(m, VMM_MEM_REGION_XEN_GRANT,
				 VMM_MEM_REGION_NO_ADVANCE_MAP |
					 VMM_MEM_REGION_READONLY,
				 0x20000, 0x1000, -1), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_start(m, 0), 0);
	s0 = stats();
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x20000, buf, 8), -EACCES);
	ck_assert_int_eq(vmm_mem_store(m, 0x20000, 8, 1, VMM_MEM_ORDER_RELAXED),
			 -EACCES);
	ck_assert_int_eq(vmm_mem_fill(m, 0x20000, 0, 8), -EACCES);
	s1 = stats();
	ck_assert_uint_eq(s1.grant_copies, s0.grant_copies);
	ck_assert_uint_eq(s1.grant_map_ioctls, s0.grant_map_ioctls);
	/* page 0x11 fails: the write of pages 0x10 and 0x11 fails with its
	 * errno, page 0x10 landed and is marked, 0x11 is not */
	fx.fail_ref(0x11, EIO);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x10000, buf, 0x2000), -EIO);
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0x10000, 4, bm,
					       VMM_MEM_DIRTY_LOG_CLEAR), 1);
	ck_assert_uint_eq(bm[0], 1);
	ck_assert_int_eq(vmm_mem_store(m, 0x11000, 4, 1, VMM_MEM_ORDER_RELAXED),
			 -EIO);
	ck_assert_uint_eq(stats().live_mappings, 0);
	fx.fail_ref(0x11, 0);
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0x10000, 4, bm,
					       VMM_MEM_DIRTY_LOG_CLEAR), 0);
	/* every write path marks its page */
	ck_assert_int_eq(vmm_mem_write(m, 0x10000, buf, 1), 1);
	ck_assert_int_eq(vmm_mem_store(m, 0x11000, 4, 7, VMM_MEM_ORDER_RELAXED),
			 0);
	ck_assert_int_eq(vmm_mem_fill(m, 0x12000, 1, 1), 0);
	ck_assert_int_eq(vmm_mem_copy(m, 0x13000, 0x10000, 1), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0x10000, 4, bm,
					       VMM_MEM_DIRTY_LOG_CLEAR), 4);
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	ck_assert_int_eq(write(pfd[1], "x", 1), 1);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x12000, pfd[0], 1), 1);
	close(pfd[0]);
	close(pfd[1]);
	ck_assert_int_eq(vmm_mem_write_exact(m, 0x11000, buf, 9), 0);
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0x10000, 4, bm, 0), 2);
	ck_assert_uint_eq(bm[0], 6);
	vmm_mem_unref(m);
	assert_clean(fds, 1);
}
END_TEST

/* ---- hot-plug ------------------------------------------------------------ */

struct reader {
	vmm_mem_t *m;
	bool stop;		/* atomic */
	unsigned long ok, faults, other;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	uint64_t v;

	while (!__atomic_load_n(&rd->stop, __ATOMIC_ACQUIRE)) {
		int a = vmm_mem_read_exact(rd->m, 0x10ff8, &v, 16 - 8);
		int b = vmm_mem_load(rd->m, 0x20008, 8, &v,
				     VMM_MEM_ORDER_ACQUIRE);

		if (a == 0 && b == 0)
			rd->ok++;
		else if ((a == 0 || a == -EFAULT) && (b == 0 || b == -EFAULT))
			rd->faults++;
		else
			rd->other++;
	}
	return NULL;
}

/* Hot-remove and re-add of a foreign and an on-demand grant region while a
 * reader runs: only successes and -EFAULT, nothing left mapped. */
START_TEST(hotplug_xen_regions)
{
	struct reader rd = { 0 };
	pthread_t th;
	unsigned long i, n = tu_scaled(200);
	int fds;

	bind_fake();
	fds = tu_count_fds();
	rd.m = mem_new();
	ck_assert_int_eq(pthread_create(&th, NULL, reader_main, &rd), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(add_xen(rd.m, VMM_MEM_REGION_XEN_GRANT,
					 VMM_MEM_REGION_NO_ADVANCE_MAP, 0x10000,
					 0x2000, -1), 0);
		ck_assert_int_eq(add_xen(rd.m, VMM_MEM_REGION_XEN_FOREIGN, 0,
					 0x20000, 0x1000, -1), 0);
		usleep(100);
		ck_assert_int_eq(vmm_mem_remove_region(rd.m, 0x10000, 0x2000),
				 0);
		ck_assert_int_eq(vmm_mem_remove_region(rd.m, 0x20000, 0x1000),
				 0);
	}
	__atomic_store_n(&rd.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	ck_assert_uint_eq(rd.other, 0);
	vmm_mem_unref(rd.m);
	assert_clean(fds, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xen");
	TCase *tc;

	tc = tcase_create("nodev");
	tcase_add_test(tc, nodev_clean_failure);
	tcase_add_test(tc, refused_combinations);
	suite_add_tcase(s, tc);
	tc = tcase_create("foreign");
	tcase_add_test(tc, foreign_map_rw);
	tcase_add_test(tc, c25_foreign_caller_fd);
	tcase_add_test(tc, foreign_failing_frame);
	tcase_add_test(tc, foreign_readonly_and_dirty);
	suite_add_tcase(s, tc);
	tc = tcase_create("grant");
	tcase_add_test(tc, grant_refs_from_gpa);
	tcase_add_test(tc, c25_grant_caller_fd);
	tcase_add_test(tc, grant_failures_release);
	tcase_add_test(tc, grant_unmap_after_restrict_all);
	suite_add_tcase(s, tc);
	tc = tcase_create("ondemand");
	tcase_add_test(tc, ondemand_grant_copy);
	tcase_add_test(tc, ondemand_pins);
	tcase_add_test(tc, ondemand_failures_and_dirty);
	suite_add_tcase(s, tc);
	tc = tcase_create("hotplug");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hotplug_xen_regions);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
