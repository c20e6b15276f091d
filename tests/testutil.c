/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

vmm_mem_t *tu_mem_anon(const struct vmm_mem_range *r, size_t n)
{
	vmm_mem_t *m = NULL;
	int rc = vmm_mem_new_from_ranges(&m, r, n);

	ck_assert_msg(rc == 0, "vmm_mem_new_from_ranges: %d", rc);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Add a region of @type; @hva and @fd/@off where the type takes them. */
static int add_region(vmm_mem_t *m, uint32_t type, uint64_t gpa,
		      uint64_t size, uint32_t flags, void *hva, int fd,
		      uint64_t off)
{
	struct vmm_mem_region_desc d;

	memset(&d, 0, sizeof(d));
	d.type = type;
	d.flags = flags;
	d.gpa = gpa;
	d.size = size;
	d.hva = hva;
	d.fd = fd;
	d.fd_offset = off;
	return vmm_mem_add_region(m, &d, sizeof(d));
}

int tu_add_anon(vmm_mem_t *m, uint64_t gpa, uint64_t size, uint32_t flags)
{
	return add_region(m, VMM_MEM_REGION_ANON, gpa, size, flags, NULL, 0, 0);
}

int tu_add_host(vmm_mem_t *m, uint64_t gpa, uint64_t size, void *hva,
		uint32_t flags)
{
	return add_region(m, VMM_MEM_REGION_HOST, gpa, size, flags, hva, 0, 0);
}

int tu_add_fd(vmm_mem_t *m, uint64_t gpa, uint64_t size, int fd, uint64_t off,
	      uint32_t flags)
{
	return add_region(m, VMM_MEM_REGION_FD, gpa, size, flags, NULL, fd,
			  off);
}

int tu_memfd(size_t size)
{
	int fd = memfd_create("vmmem-test", MFD_CLOEXEC);

	ck_assert_msg(fd >= 0, "memfd_create failed");
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	return fd;
}

int tu_tmpfile(size_t size)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/vmmem-test-XXXXXX", dir ? dir : "/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	ck_assert_msg(fd >= 0, "mkostemp failed");
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	return fd;
}

void tu_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

int tu_write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t tu_read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int tu_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own descriptor */
}

int tu_is_mapped(const void *addr)
{
	FILE *f = fopen("/proc/self/maps", "re");
	uintptr_t a = (uintptr_t)addr, lo, hi;
	char line[512];
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2 &&
		    a >= lo && a < hi) {
			found = 1;
			break;
		}
	fclose(f);
	return found;
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The scheduler state of thread @tid of this process ('R', 'S' ...), or 0. */
char tu_thread_state(pid_t tid)
{
	char path[64], line[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	line[n] = 0;
	p = strrchr(line, ')');		/* "tid (comm) S ..." */
	return p && p[1] == ' ' ? p[2] : 0;
}

uint64_t tu_xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Number of /proc/self/maps lines containing @needle. */
int tu_count_maps(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[1024];
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

int tu_env_on(const char *name)
{
	const char *s = getenv(name);

	return s && *s && strcmp(s, "0") != 0;
}

unsigned long tu_scaled(unsigned long base)
{
	const char *soak = getenv("VMMEM_SOAK");
	unsigned long f = soak && *soak ? strtoul(soak, NULL, 10) : 1;
	unsigned long n = base * (f ? f : 1);

	if (tu_env_on("VMMEM_TSAN"))
		n /= 3;
	if (tu_env_on("VMMEM_SLOW"))
		n /= 50;
	return n ? n : 1;
}
