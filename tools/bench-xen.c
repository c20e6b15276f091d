/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-xen.c - the Xen rows of `vmmem-xen bench`: reads of 64 bytes and
 * 4 KiB from a grant region not mapped in advance, through the grant copy
 * that vmm_mem_read_exact() uses, against mapping the pages for the read
 * (vmm_mem_map(), memcpy(), vmm_mem_unmap()).  Run on a real Xen domain or
 * on the simulated /dev/xen of the tests, the absolute times describe that
 * hypervisor or simulation, so only the ratio of the two is reported.
 * VMB_XEN_DOMID names the granting domain; without it the rows are skipped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "vmmem-tool.h"

#define XEN_REGION (1u << 20)	/* grant references 0 to 255 */
#define XEN_REPS 5

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* GPA of read @i of @len bytes: every page in turn, offsets varying. */
static uint64_t xen_gpa(uint64_t i, size_t len)
{
	uint64_t page = (i * 4096) % XEN_REGION;

	return len >= 4096 ? page : page + (i * 64) % (4096 - len);
}

/* Nanoseconds per read over @iters reads; 0 on a failed call. */
static double xen_run(vmm_mem_t *m, size_t len, bool map, uint64_t iters)
{
	static uint8_t buf[4096];
	uint64_t i, t0 = ns_now();

	for (i = 0; i < iters; i++) {
		uint64_t gpa = xen_gpa(i, len);

		if (map) {
			vmm_mem_mapping_t *mp;
			struct iovec iov;

			if (vmm_mem_map(m, gpa, len, VMM_MEM_MAP_READ, &mp) ||
			    vmm_mem_mapping_iov(mp, &iov, 1) != 1)
				return 0;
			memcpy(buf, iov.iov_base, len);
			vmm_mem_unmap(mp, 0);
		} else if (vmm_mem_read_exact(m, gpa, buf, len)) {
			return 0;
		}
	}
	__asm__ volatile("" : : "r"(buf) : "memory");
	return (double)(ns_now() - t0) / (double)iters;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of XEN_REPS runs of each method, round-robin: copy / map. */
static double xen_ratio(vmm_mem_t *m, size_t len, bool smoke)
{
	double t[2][XEN_REPS];
	uint64_t iters = smoke ? 8 : 1000;
	unsigned int reps = smoke ? 1 : XEN_REPS, r, k;

	if (!smoke)	/* about 50 ms per run of the slower method */
		while (iters < (1u << 24) &&
		       xen_run(m, len, true, iters) * (double)iters < 5e7)
			iters *= 2;
	for (r = 0; r < reps; r++)
		for (k = 0; k < 2; k++) {
			t[k][r] = xen_run(m, len, k == 1, iters);
			if (t[k][r] <= 0)
				return -1;
		}
	qsort(t[0], reps, sizeof(double), cmp_dbl);
	qsort(t[1], reps, sizeof(double), cmp_dbl);
	return t[0][reps / 2] / t[1][reps / 2];
}

int vmmem_bench_xen(bool smoke, const char *filter)
{
	static const size_t lens[] = { 64, 4096 };
	static const char *const names[] = { "xen_grant_read_64B",
					     "xen_grant_read_4KiB" };
	struct vmm_mem_region_desc d;
	const char *env = getenv("VMB_XEN_DOMID");
	vmm_mem_t *m;
	uint64_t domid;
	const char *why;
	size_t i;
	int rc;

	if (filter && !strstr(names[0], filter) && !strstr(names[1], filter))
		return VMMEM_EXIT_OK;
	if (!env || !*env) {
		printf("# xen_grant_read_*: skipped (set VMB_XEN_DOMID to the "
		       "domain whose grants 0 to 255 to read)\n");
		return VMMEM_EXIT_OK;
	}
	if (vmmem_parse_u64(env, &domid, &why) || domid > UINT32_MAX)
		return vmmem_usage_err("bench: bad VMB_XEN_DOMID '%s'", env);
	if (vmm_mem_new(&m))
		return VMMEM_EXIT_FAIL;
	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_XEN_GRANT;
	d.flags = VMM_MEM_REGION_NO_ADVANCE_MAP;
	d.size = XEN_REGION;
	d.fd = -1;
	d.domid = (uint32_t)domid;
	rc = vmm_mem_add_region(m, &d, sizeof(d));
	if (rc) {
		vmmem_err("bench: cannot add a grant region of domain %" PRIu64
			  ": %s", domid, vmmem_strerror(rc));
		vmm_mem_unref(m);
		return VMMEM_EXIT_FAIL;
	}
	printf("# xen_grant_read_*: grants of domain %" PRIu64 " not mapped "
	       "in advance; ratio of the median time per read: grant copy "
	       "(vmm_mem_read_exact) / map + memcpy + unmap (vmm_mem_map); "
	       "below 1: grant copy is faster\n", domid);
	for (i = 0; i < 2; i++) {
		if (filter && !strstr(names[i], filter))
			continue;
		double q = xen_ratio(m, lens[i], smoke);

		if (q < 0) {
			vmmem_err("bench: %s: a read failed", names[i]);
			vmm_mem_unref(m);
			return VMMEM_EXIT_FAIL;
		}
		printf("%s_copy_vs_map %.3f  # ratio\n", names[i], q);
	}
	vmm_mem_unref(m);
	return VMMEM_EXIT_OK;
}
