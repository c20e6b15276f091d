/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_hugetlb - C24 of cases-regressions.md, "hugetlbfs-backed regions:
 * size alignment, the is_hugetlbfs flag, clean teardown", on the host's
 * 2 MiB huge pages.  Which steps can run depends on the host, so this file
 * builds three programs, each of which runs all its tests or, when the
 * host cannot give them what they need, none: it then prints the TAP plan
 * "1..0 # SKIP reason", which `make check` reports as SKIP.
 *
 *  - check_hugetlb_free (VMMEM_HUGETLB_FREE): steps 1-3, a hugetlb region
 *    on 4 free 2 MiB huge pages;
 *  - check_hugetlb_none (VMMEM_HUGETLB_NONE): steps 1 and 4, on a host with
 *    2 MiB huge pages of which none is free;
 *  - check_hugetlbfs (VMMEM_HUGETLBFS): an FD region on a file in a
 *    writable hugetlbfs mount with 2 MiB pages.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#define MIB (UINT64_C(1) << 20)
#define HPAGE (2 * MIB)

static vmm_mem_t *mem_new(void)
{
	vmm_mem_t *m = NULL;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	return m;
}

/* An anonymous HUGETLB region of @size bytes at GPA 0, pages of @hps. */
static inline __attribute__((unused)) int add_huge(vmm_mem_t *m, uint64_t size, uint64_t hps)
{
	struct vmm_mem_region_desc d = {
		.type = VMM_MEM_REGION_ANON,
		.flags = VMM_MEM_REGION_HUGETLB,
		.size = size,
		.huge_page_size = hps,
	};

	return vmm_mem_add_region(m, &d, sizeof(d));
}

static inline __attribute__((unused)) void info_at(vmm_mem_t *m, uint64_t gpa,
			   struct vmm_mem_region_info *i)
{
	memset(i, 0xa5, sizeof(*i));
	ck_assert_int_eq(vmm_mem_region_info_at(m, gpa, i, sizeof(*i)), 0);
}

/* A value from /proc/meminfo (e.g. "HugePages_Free"), or -1. */
static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}


#ifndef VMMEM_HUGETLBFS
/* Step 1: "A hugetlb region of 3 MiB fails with a misaligned-size error." */
START_TEST(c24_hugetlb_misaligned_size)
{
	vmm_mem_t *m = mem_new();

	ck_assert_int_eq(tu_add_anon(m, 0, 3 * MIB, VMM_MEM_REGION_HUGETLB),
			 -EINVAL);
	ck_assert_int_eq(tu_add_anon(m, 0, HPAGE + 4096,
				     VMM_MEM_REGION_HUGETLB), -EINVAL);
	ck_assert_int_eq(add_huge(m, 3 * MIB, HPAGE), -EINVAL);
	/* A huge page size that is not a power of two. */
	ck_assert_int_eq(add_huge(m, 6 * MIB, 3 * MIB), -EINVAL);
	ck_assert_int_eq(vmm_mem_num_regions(m), 0);
	vmm_mem_unref(m);
}
END_TEST

#ifdef VMMEM_HUGETLB_NONE
/*
 * Step 4: "On a host with HugePages_Free == 0, creating a hugetlb region
 * fails with ENOMEM at creation.  The library does not use MAP_NORESERVE
 * for hugetlb."  Run only when no huge page is free (the "none" program).
 */
START_TEST(c24_hugetlb_no_free_pages_enomem)
{
	vmm_mem_t *m = mem_new();

	ck_assert_int_eq(tu_add_anon(m, 0, HPAGE, VMM_MEM_REGION_HUGETLB),
			 -ENOMEM);
	ck_assert_int_eq(vmm_mem_num_regions(m), 0);
	vmm_mem_unref(m);
}
END_TEST

#endif

#ifdef VMMEM_HUGETLB_FREE
/* Steps 2-3: 4 MiB at GPA 0, detected page size, 4 KiB dirty log,
 * removal takes the VMA away. */
START_TEST(c24_hugetlb_region)
{
	vmm_mem_t *m = mem_new();
	struct vmm_mem_region_info i;
	uint64_t bitmap[(4 * MIB / 4096) / 64];
	uint8_t one = 1;
	unsigned int k;
	void *hva;

	ck_assert_int_eq(tu_add_anon(m, 0, 4 * MIB, VMM_MEM_REGION_HUGETLB),
			 0);
	info_at(m, 0, &i);
	ck_assert_uint_ne(i.flags & VMM_MEM_REGION_HUGETLB, 0);
	ck_assert_uint_eq(i.huge_page_size, HPAGE);
	ck_assert_uint_eq(i.page_size, HPAGE);
	ck_assert_uint_eq((uintptr_t)i.hva % HPAGE, 0);
	hva = i.hva;

	ck_assert_int_eq(vmm_mem_dirty_log_start(m, 4096), 0);
	ck_assert_int_eq(vmm_mem_write(m, 0x1000, &one, 1), 1);
	ck_assert_int_eq(vmm_mem_dirty_log_get(m, 0, 4 * MIB / 4096, bitmap,
					       0), 1);
	ck_assert_uint_eq(bitmap[0], 2);
	for (k = 1; k < TU_ARRAY_SIZE(bitmap); k++)
		ck_assert_uint_eq(bitmap[k], 0);

	ck_assert_int_eq(vmm_mem_remove_region(m, 0, 4 * MIB), 0);
	ck_assert(!tu_is_mapped(hva));

	/* Teardown by unref too. */
	ck_assert_int_eq(tu_add_anon(m, 0, 4 * MIB, VMM_MEM_REGION_HUGETLB),
			 0);
	info_at(m, 0, &i);
	hva = i.hva;
	ck_assert_int_eq(vmm_mem_write(m, 3 * MIB, &one, 1), 1);
	vmm_mem_unref(m);
	ck_assert(!tu_is_mapped(hva));
}
END_TEST

#endif
#endif /* !VMMEM_HUGETLBFS */

#ifdef VMMEM_HUGETLBFS
/*
 * C24, the hugetlbfs-file half of "the is_hugetlbfs flag": an FD region on
 * a file in a hugetlbfs mount with 2 MiB pages is detected (info.flags
 * gains HUGETLB, huge_page_size is 2 MiB); a size that is not a multiple of
 * it is refused.  Run only when a writable hugetlbfs mount with 2 MiB
 * pages exists (the "fs" program).
 */
static int hugetlbfs_dir(char *dir, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char src[256], mnt[512], type[64];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fscanf(f, "%255s %511s %63s %*[^\n]", src, mnt,
				type) == 3) {
		struct statfs sfs;

		if (strcmp(type, "hugetlbfs") != 0 || access(mnt, W_OK) != 0)
			continue;
		if (statfs(mnt, &sfs) == 0 && (uint64_t)sfs.f_bsize == HPAGE) {
			snprintf(dir, len, "%s", mnt);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

START_TEST(c24_hugetlbfs_file_detected)
{
	char dir[512], path[600];
	vmm_mem_t *m;
	struct vmm_mem_region_info i;
	int fd;

	ck_assert(hugetlbfs_dir(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/vmmem-test-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, (off_t)(2 * HPAGE)), 0);

	m = mem_new();
	ck_assert_int_eq(tu_add_fd(m, 0, HPAGE + 4096, fd, 0, 0), -EINVAL);
	ck_assert_int_eq(tu_add_fd(m, 0, 2 * HPAGE, fd, 0, 0), 0);
	close(fd);
	info_at(m, 0, &i);
	ck_assert_uint_ne(i.flags & VMM_MEM_REGION_HUGETLB, 0);
	ck_assert_uint_eq(i.huge_page_size, HPAGE);
	ck_assert_uint_eq(i.page_size, HPAGE);
	ck_assert_int_eq(vmm_mem_write_u32(m, HPAGE + 4, 0xabcd), 0);
	vmm_mem_unref(m);
}
END_TEST

#endif

/* Skip the whole program after saying why: a TAP plan of no checks,
 * which make check's TAP driver reports as SKIP with the reason. */
static int skip(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

int main(void)
{
	long hpsize = meminfo("Hugepagesize"), hpfree = meminfo("HugePages_Free");
	Suite *s;
	TCase *tc;
	char dir[512];

	(void)hpfree;
	(void)dir;
	/* every reason to skip first: nothing is allocated before */
	if (hpsize != 2048)
		return skip("the default huge page size is not 2 MiB");
#if defined(VMMEM_HUGETLB_FREE)
	if (hpfree < 4)
		return skip("fewer than 4 free 2 MiB huge pages "
			    "(HugePages_Free in /proc/meminfo)");
#elif defined(VMMEM_HUGETLB_NONE)
	if (hpfree != 0)
		return skip("some 2 MiB huge pages are free: a hugetlb region "
			    "cannot be shown to fail for their lack");
	{
		/* qemu-user refuses every MAP_HUGETLB with EINVAL */
		void *p = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		int e = errno;

		if (p != MAP_FAILED)
			munmap(p, HPAGE);
		if (p != MAP_FAILED || e != ENOMEM) {
			snprintf(dir, sizeof(dir), "mmap(MAP_HUGETLB) without "
				 "free huge pages gives %s here, not ENOMEM",
				 p != MAP_FAILED ? "a mapping" : strerror(e));
			return skip(dir);
		}
	}
#elif defined(VMMEM_HUGETLBFS)
	if (!hugetlbfs_dir(dir, sizeof(dir)))
		return skip("no writable hugetlbfs mount with 2 MiB pages");
#else
#error "build with VMMEM_HUGETLB_FREE, VMMEM_HUGETLB_NONE or VMMEM_HUGETLBFS"
#endif
	s = suite_create("hugetlb");
	tc = tcase_create("c24");
	tcase_set_timeout(tc, 10);
#ifdef VMMEM_HUGETLBFS
	tcase_add_test(tc, c24_hugetlbfs_file_detected);
#else
	tcase_add_test(tc, c24_hugetlb_misaligned_size);
#endif
#ifdef VMMEM_HUGETLB_FREE
	tcase_add_test(tc, c24_hugetlb_region);
#endif
#ifdef VMMEM_HUGETLB_NONE
	tcase_add_test(tc, c24_hugetlb_no_free_pages_enomem);
#endif
	suite_add_tcase(s, tc);
	return tu_run(s);
}
