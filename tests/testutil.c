/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* Add a region of @type; @hva, @fd/@off and @domid where the type takes
 * them. */
static int add_region(vmm_mem_t *m, uint32_t type, uint64_t gpa,
		      uint64_t size, uint32_t flags, void *hva, int fd,
		      uint64_t off, uint32_t domid)
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
	d.domid = domid;
	return vmm_mem_add_region(m, &d, sizeof(d));
}

int tu_add_anon(vmm_mem_t *m, uint64_t gpa, uint64_t size, uint32_t flags)
{
	return add_region(m, VMM_MEM_REGION_ANON, gpa, size, flags, NULL, 0, 0,
			  0);
}

int tu_add_host(vmm_mem_t *m, uint64_t gpa, uint64_t size, void *hva,
		uint32_t flags)
{
	return add_region(m, VMM_MEM_REGION_HOST, gpa, size, flags, hva, 0, 0,
			  0);
}

int tu_add_fd(vmm_mem_t *m, uint64_t gpa, uint64_t size, int fd, uint64_t off,
	      uint32_t flags)
{
	return add_region(m, VMM_MEM_REGION_FD, gpa, size, flags, NULL, fd,
			  off, 0);
}

int tu_add_xen(vmm_mem_t *m, uint32_t type, uint64_t gpa, uint64_t size,
	       uint32_t domid, int fd, uint32_t flags)
{
	return add_region(m, type, gpa, size, flags, NULL, fd, 0, domid);
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
	/* mincore(2) fails with ENOMEM on an address that nothing maps;
	 * unlike /proc/self/maps, qemu-user answers it for any page size */
	size_t ps = tu_page_size();
	unsigned char vec;
	void *page = (void *)((uintptr_t)addr & ~(uintptr_t)(ps - 1));

	if (mincore(page, 1, &vec) == 0)
		return 1;
	ck_assert_msg(errno == ENOMEM, "mincore: %s", strerror(errno));
	return 0;
}

size_t tu_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

int tu_populate_works(void)
{
	size_t ps = tu_page_size();
	unsigned char vec = 0;
	void *p = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	ck_assert(p != MAP_FAILED);
	ck_assert_int_eq(mincore(p, ps, &vec), 0);
	munmap(p, ps);
	return vec & 1;
}

/*
 * Skipped checks are recorded as "name<TAB>reason" lines in a temporary
 * file that tu_run() opens before the checks run: a forked check writes
 * through the inherited descriptor, whose offset the parent shares.
 */
static int skip_fd = -1;

void tu_skip_record(const char *fn, const char *fmt, ...)
{
	char line[600];
	size_t n = strlen(fn);
	int len, r;
	va_list ap;

	/* START_TEST(name) defines name_fn() */
	if (n > 3 && strcmp(fn + n - 3, "_fn") == 0)
		n -= 3;
	len = snprintf(line, sizeof(line), "%.*s\t", (int)n, fn);
	va_start(ap, fmt);
	r = vsnprintf(line + len, sizeof(line) - (size_t)len - 1, fmt, ap);
	va_end(ap);
	if (r < 0)
		r = 0;
	len = (int)strlen(line);
	line[len++] = '\n';
	fprintf(stderr, "SKIP %.*s", len, line);
	ck_assert_msg(skip_fd >= 0 && tu_write_full(skip_fd, line,
						    (size_t)len) == 0,
		      "cannot record the skip of %.*s", (int)n, fn);
}

/* The reason recorded for check @name, or NULL. */
static const char *skip_reason(char *skips, const char *name, size_t len)
{
	char *p = skips;

	while (p && *p) {
		char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');

		if (!tab || !nl || tab > nl)
			return NULL;
		if ((size_t)(tab - p) == len && memcmp(p, name, len) == 0) {
			*nl = 0;
			return tab + 1;
		}
		p = nl + 1;
	}
	return NULL;
}

/*
 * Check writes "ok N - file:tcase:test: Passed", "not ok N - file:tcase:test:
 * message" and the plan; printed as "ok N - tcase:test" (a passed check
 * that recorded a skip gets its directive), "not ok N - tcase:test:
 * message".
 */
static void print_tap(FILE *tap, char *skips)
{
	char line[4096];

	while (fgets(line, sizeof(line), tap)) {
		char *p = strstr(line, " - "), *tc, *end;
		const char *why;
		bool ok = strncmp(line, "ok ", 3) == 0;

		tc = p ? strchr(p + 3, ':') : NULL;	/* after the file */
		end = tc ? strchr(tc + 1, ':') : NULL;	/* after the tcase */
		end = end ? strchr(end + 1, ':') : NULL; /* after the test */
		if (!end || (!ok && strncmp(line, "not ok ", 7) != 0)) {
			fputs(line, stdout);	/* the plan */
			continue;
		}
		line[strcspn(line, "\n")] = 0;
		*end = 0;
		why = ok ? skip_reason(skips, strrchr(tc + 1, ':') + 1,
				       strlen(strrchr(tc + 1, ':') + 1)) :
			   NULL;
		*p = 0;
		printf("%s - %s", line, tc + 1);
		if (why)
			printf(" # SKIP %s", why);
		else if (!ok)
			printf(":%s", end + 1);
		putchar('\n');
	}
}

/* The whole content of @fd from its start, NUL-terminated (NULL: none). */
static char *slurp(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *s;

	if (size < 0 || !(s = malloc((size_t)size + 1)))
		return NULL;
	if (pread(fd, s, (size_t)size, 0) != (ssize_t)size) {
		free(s);
		return NULL;
	}
	s[size] = 0;
	return s;
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	char tap_path[4096];
	const char *dir = getenv("TMPDIR");
	FILE *tap = NULL, *skips = tmpfile();
	char *recorded;
	int failed, fd;

	snprintf(tap_path, sizeof(tap_path), "%s/vmmem-tap-XXXXXX",
		 dir ? dir : "/tmp");
	fd = mkostemp(tap_path, O_CLOEXEC);
	if (fd < 0 || !skips) {
		fprintf(stderr, "cannot create the result files\n");
		return EXIT_FAILURE;
	}
	skip_fd = fileno(skips);
	srunner_set_tap(sr, tap_path);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);	/* writes the plan and closes the TAP file */
	fflush(stdout);
	recorded = slurp(skip_fd);
	tap = fdopen(fd, "r");
	unlink(tap_path);
	if (!tap || !recorded) {
		fprintf(stderr, "cannot read the results back\n");
		return EXIT_FAILURE;
	}
	print_tap(tap, recorded);
	fflush(stdout);
	fclose(tap);
	fclose(skips);
	free(recorded);
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
