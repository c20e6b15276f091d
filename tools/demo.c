/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * demo.c - `vmmem demo`: what a VMM does with its guest memory, on a
 * built-in x86-like layout:
 *
 *   [0, 640 KiB)                   low RAM, anonymous
 *   [1 MiB, 65 MiB)                RAM, anonymous
 *   [65 MiB, 65 MiB + N)           RAM backed by a temporary file (a memfd,
 *                                  else an unlinked file in $TMPDIR),
 *                                  directly adjacent to the RAM below
 *   [4 GiB, 4 GiB + 64 MiB)        RAM above 4 GiB, anonymous
 *
 * A real file (by default the C library's shared object, found at run time)
 * is loaded so that it crosses the boundary between the anonymous RAM and
 * the file-backed region, saved back into a second temporary file and
 * compared; the bytes in the file-backed region are also checked through
 * the backing file itself.  Then scalars, atomics and refused accesses.
 *
 * The work is a list of steps sharing one struct demo, so that further
 * steps (e.g. a migration: dirty-log harvest and copy of the dirty pages
 * into a second guest memory) slot in without touching the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmmem-tool.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* The built-in layout, in GPA order. */
enum { R_LOW, R_RAM, R_FILE, R_HIGH, R_COUNT };

#define RAM_GPA (1 * MiB)
#define RAM_SIZE (64 * MiB)
#define FILE_GPA (RAM_GPA + RAM_SIZE)
#define FILE_MIN_SIZE (16 * MiB)
#define HIGH_GPA (4 * GiB)
#define HIGH_SIZE (64 * MiB)

#define FNV_INIT UINT64_C(0xcbf29ce484222325)

struct demo {
	vmm_mem_t *mem;
	struct vmmem_region layout[R_COUNT];
	char backing_label[64];	/* what backs R_FILE */
	int backing_fd;
	char src_path[PATH_MAX];
	int src_fd;
	uint64_t src_size;
	uint64_t src_sum;	/* FNV-1a of the source file */
	uint64_t load_gpa;	/* the file lands at [load_gpa, + src_size) */
	uint64_t in_ram;	/* how much of it lands in R_RAM */
	int copy_fd;		/* the second temporary file */
	vmm_mem_t *dst;		/* the migration destination */
	uint64_t page_size;	/* dirty log page size */
	bool xen;		/* --xen: Xen regions for low RAM and RAM */
	uint32_t domid;
};

/* 64-bit FNV-1a, continued from @h. */
static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* pread exactly @len bytes; 0, or -errno (-ENODATA when the file ends). */
static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* FNV-1a of [@off, @off + @len) of @fd, read with pread. */
static int fd_checksum(int fd, uint64_t off, uint64_t len, uint64_t *sum)
{
	static unsigned char buf[1 << 16];
	uint64_t h = FNV_INIT;
	int ret;

	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);

		ret = pread_full(fd, buf, n, off);
		if (ret)
			return ret;
		h = fnv1a(h, buf, n);
		off += n;
		len -= n;
	}
	*sum = h;
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * A temporary file that disappears with the process: a memfd when @memfd,
 * else an unlinked file in $TMPDIR (or /tmp).  @label names it.
 */
static int tmp_fd(const char *name, bool memfd, char *label, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (memfd) {
		fd = memfd_create(name, MFD_CLOEXEC);
		if (fd >= 0) {
			snprintf(label, len, "memfd");
			return fd;
		}
	}
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(label, len, "temporary file");
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "%s/%s-XXXXXX", dir, name);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	else
		vmmem_err("demo: cannot create a temporary file in %s: %s",
			  dir, strerror(errno));
	return fd;
}

static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5);
}

static int libc_phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	if (!info->dlpi_name || info->dlpi_name[0] != '/' ||
	    !is_libc(info->dlpi_name))
		return 0;
	snprintf(data, PATH_MAX, "%s", info->dlpi_name);
	return 1;
}

/* The path of the C library this process runs with, into @path. */
static int find_libc(char *path)
{
	char line[PATH_MAX + 128];
	FILE *maps;
	int found = 0;

	if (dl_iterate_phdr(libc_phdr_cb, path))
		return 0;
	/* no name from the dynamic linker: look at our own mappings */
	maps = fopen("/proc/self/maps", "re");
	while (maps && !found && fgets(line, sizeof(line), maps)) {
		char *p = strchr(line, '/');

		line[strcspn(line, "\n")] = '\0';
		if (p && is_libc(p)) {
			snprintf(path, PATH_MAX, "%s", p);
			found = 1;
		}
	}
	if (maps)
		fclose(maps);
	return found ? 0 : -1;
}

/* Open the source file and size the layout around it. */
static int demo_setup(struct demo *d, const char *file)
{
	struct vmmem_region *r = d->layout;
	uint64_t in_file, file_size;
	struct stat st;

	if (!file) {
		if (find_libc(d->src_path)) {
			vmmem_err("demo: cannot find the C library's shared "
				  "object; use --file PATH");
			return VMMEM_EXIT_FAIL;
		}
	} else {
		snprintf(d->src_path, sizeof(d->src_path), "%s", file);
	}
	d->src_fd = open(d->src_path, O_RDONLY | O_CLOEXEC);
	if (d->src_fd < 0 || fstat(d->src_fd, &st)) {
		vmmem_err("demo: %s: %s", d->src_path, strerror(errno));
		return VMMEM_EXIT_FAIL;
	}
	if (!S_ISREG(st.st_mode)) {
		vmmem_err("demo: %s: not a regular file", d->src_path);
		return VMMEM_EXIT_FAIL;
	}
	d->src_size = (uint64_t)st.st_size;
	if (d->src_size < 2) {
		vmmem_err("demo: %s: %" PRIu64 " bytes; at least 2 are needed "
			  "to cross a region boundary", d->src_path,
			  d->src_size);
		return VMMEM_EXIT_FAIL;
	}

	/* half of the file below the boundary, the rest above it */
	d->in_ram = d->src_size / 2 < RAM_SIZE ? d->src_size / 2 : RAM_SIZE;
	in_file = d->src_size - d->in_ram;
	file_size = (in_file + 2 * MiB - 1) / (2 * MiB) * (2 * MiB);
	if (file_size < FILE_MIN_SIZE)
		file_size = FILE_MIN_SIZE;
	if (in_file > HIGH_GPA - FILE_GPA) {
		vmmem_err("demo: %s: %" PRIu64 " bytes is too large for the "
			  "demo layout (at most %" PRIu64 ")", d->src_path,
			  d->src_size, RAM_SIZE + HIGH_GPA - FILE_GPA);
		return VMMEM_EXIT_FAIL;
	}
	if (file_size > HIGH_GPA - FILE_GPA)
		file_size = HIGH_GPA - FILE_GPA;
	d->load_gpa = FILE_GPA - d->in_ram;

	d->backing_fd = tmp_fd("vmmem-demo-ram", true, d->backing_label,
			       sizeof(d->backing_label));
	if (d->backing_fd < 0)
		return VMMEM_EXIT_FAIL;
	if (ftruncate(d->backing_fd, (off_t)file_size)) {
		vmmem_err("demo: cannot size the %s to %" PRIu64 " bytes: %s",
			  d->backing_label, file_size, strerror(errno));
		return VMMEM_EXIT_FAIL;
	}

	r[R_LOW] = (struct vmmem_region){ .gpa = 0, .size = 640 * KiB,
					  .fd = -1 };
	r[R_RAM] = (struct vmmem_region){ .gpa = RAM_GPA, .size = RAM_SIZE,
					  .fd = -1 };
	r[R_FILE] = (struct vmmem_region){ .gpa = FILE_GPA, .size = file_size,
					   .fd = d->backing_fd,
					   .label = d->backing_label };
	r[R_HIGH] = (struct vmmem_region){ .gpa = HIGH_GPA, .size = HIGH_SIZE,
					   .fd = -1 };
	if (d->xen) {
		/* grants 0 to 159 mapped per access, frames from 256 on */
		r[R_LOW].xen_type = VMM_MEM_REGION_XEN_GRANT;
		r[R_LOW].no_advance = true;
		r[R_LOW].domid = d->domid;
		r[R_RAM].xen_type = VMM_MEM_REGION_XEN_FOREIGN;
		r[R_RAM].domid = d->domid;
	}
	return VMMEM_EXIT_OK;
}

static int step_layout(struct demo *d)
{
	int ret = vmmem_mem_open(&d->mem, d->layout, R_COUNT);

	if (ret)
		return ret;
	vmmem_print_layout(stdout, d->mem, d->layout, R_COUNT);
	return VMMEM_EXIT_OK;
}

/* Index of the region holding @gpa, or -1. */
static int region_of(struct demo *d, uint64_t gpa)
{
	int i;

	for (i = 0; i < R_COUNT; i++)
		if (gpa >= d->layout[i].gpa &&
		    gpa - d->layout[i].gpa < d->layout[i].size)
			return i;
	return -1;
}

static int step_load(struct demo *d)
{
	uint64_t last = d->load_gpa + d->src_size - 1, done = 0;
	struct iovec iov[4];
	ssize_t frags;
	double t;
	int ret;

	printf("  %s, %" PRIu64 " bytes -> GPA [0x%" PRIx64 ", 0x%" PRIx64
	       ")\n", d->src_path, d->src_size, d->load_gpa, last + 1);
	t = now_ms();
	ret = vmm_mem_read_exact_from_fd(d->mem, d->load_gpa, d->src_fd,
					 d->src_size, &done);
	t = now_ms() - t;
	if (ret < 0) {
		vmmem_err("demo: vmm_mem_read_exact_from_fd: %s (%" PRIu64
			  " of %" PRIu64 " bytes done)", vmmem_strerror(ret),
			  done, d->src_size);
		return VMMEM_EXIT_FAIL;
	}
	if (done != d->src_size) {
		vmmem_err("demo: MISMATCH: vmm_mem_read_exact_from_fd "
			  "succeeded but reports %" PRIu64 " of %" PRIu64
			  " bytes", done, d->src_size);
		return VMMEM_EXIT_FAIL;
	}
	printf("  vmm_mem_read_exact_from_fd: %" PRIu64 " bytes in %.2f ms\n",
	       done, t);

	/* it must really cross the boundary: two fragments, R_RAM + R_FILE */
	frags = vmm_mem_get_slices(d->mem, d->load_gpa, d->src_size, iov, 4);
	if (frags != 2 || region_of(d, d->load_gpa) != R_RAM ||
	    region_of(d, last) != R_FILE ||
	    iov[0].iov_len != d->in_ram ||
	    iov[1].iov_len != d->src_size - d->in_ram) {
		vmmem_err("demo: MISMATCH: the file should span regions %d and "
			  "%d in 2 fragments of %" PRIu64 " + %" PRIu64
			  " bytes; vmm_mem_get_slices says %zd", R_RAM, R_FILE,
			  d->in_ram, d->src_size - d->in_ram, frags);
		return VMMEM_EXIT_FAIL;
	}
	printf("  crosses GPA 0x%" PRIx64 ": %" PRIu64 " bytes in region %d "
	       "(anonymous) + %" PRIu64 " bytes in region %d (%s)\n",
	       (uint64_t)FILE_GPA, d->in_ram, R_RAM, d->src_size - d->in_ram,
	       R_FILE, d->backing_label);
	return VMMEM_EXIT_OK;
}

static int step_save(struct demo *d)
{
	char label[64];
	uint64_t done = 0;
	struct stat st;
	double t;
	int ret;

	d->copy_fd = tmp_fd("vmmem-demo-copy", false, label, sizeof(label));
	if (d->copy_fd < 0)
		return VMMEM_EXIT_FAIL;
	t = now_ms();
	ret = vmm_mem_write_all_to_fd(d->mem, d->load_gpa, d->copy_fd,
				      d->src_size, &done);
	t = now_ms() - t;
	if (ret < 0) {
		vmmem_err("demo: vmm_mem_write_all_to_fd: %s (%" PRIu64
			  " of %" PRIu64 " bytes done)", vmmem_strerror(ret),
			  done, d->src_size);
		return VMMEM_EXIT_FAIL;
	}
	if (fstat(d->copy_fd, &st)) {
		vmmem_err("demo: %s: %s", label, strerror(errno));
		return VMMEM_EXIT_FAIL;
	}
	if (done != d->src_size || (uint64_t)st.st_size != d->src_size) {
		vmmem_err("demo: MISMATCH: the copy has %" PRIu64 " bytes, "
			  "vmm_mem_write_all_to_fd reports %" PRIu64
			  ", expected %" PRIu64, (uint64_t)st.st_size, done,
			  d->src_size);
		return VMMEM_EXIT_FAIL;
	}
	printf("  GPA [0x%" PRIx64 ", 0x%" PRIx64 ") -> %s: "
	       "vmm_mem_write_all_to_fd: %" PRIu64 " bytes in %.2f ms\n",
	       d->load_gpa, d->load_gpa + d->src_size, label, done, t);
	return VMMEM_EXIT_OK;
}

/* FNV-1a of guest memory [@gpa, @gpa + @len), read with read_exact. */
static int guest_checksum(vmm_mem_t *mem, uint64_t gpa, uint64_t len,
			  uint64_t *sum)
{
	static unsigned char buf[1 << 16];
	uint64_t h = FNV_INIT;

	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		int ret = vmm_mem_read_exact(mem, gpa, buf, n);

		if (ret < 0)
			return ret;
		h = fnv1a(h, buf, n);
		gpa += n;
		len -= n;
	}
	*sum = h;
	return 0;
}

static int step_checksum(struct demo *d)
{
	uint64_t guest_sum, copy_sum;
	bool same;
	int ret;

	ret = fd_checksum(d->src_fd, 0, d->src_size, &d->src_sum);
	if (!ret)
		ret = guest_checksum(d->mem, d->load_gpa, d->src_size,
				     &guest_sum);
	if (!ret)
		ret = fd_checksum(d->copy_fd, 0, d->src_size, &copy_sum);
	if (ret) {
		vmmem_err("demo: checksum: %s", vmmem_strerror(ret));
		return VMMEM_EXIT_FAIL;
	}
	same = d->src_sum == guest_sum && d->src_sum == copy_sum;
	printf("  FNV-1a 64: source 0x%016" PRIx64 ", guest 0x%016" PRIx64
	       ", copy 0x%016" PRIx64 ": %s\n", d->src_sum, guest_sum,
	       copy_sum, same ? "identical" : "DIFFERENT");
	if (!same) {
		vmmem_err("demo: MISMATCH: the %s differs from %s",
			  d->src_sum != guest_sum ? "guest range" : "copy",
			  d->src_path);
		return VMMEM_EXIT_FAIL;
	}
	return VMMEM_EXIT_OK;
}

/* The part in R_FILE must be in the backing file itself, at its offset. */
static int step_backing(struct demo *d)
{
	static unsigned char a[1 << 16], b[1 << 16];
	uint64_t len = d->src_size - d->in_ram, off, sum = FNV_INIT;

	for (off = 0; off < len; off += sizeof(a)) {
		size_t n = len - off < sizeof(a) ? (size_t)(len - off)
						 : sizeof(a);
		int ret = pread_full(d->backing_fd, a, n,
				     d->layout[R_FILE].offset + off);

		if (!ret)
			ret = pread_full(d->src_fd, b, n, d->in_ram + off);
		if (ret) {
			vmmem_err("demo: pread: %s", strerror(-ret));
			return VMMEM_EXIT_FAIL;
		}
		if (memcmp(a, b, n)) {
			size_t i = 0;

			while (a[i] == b[i])
				i++;
			vmmem_err("demo: MISMATCH: the %s holds 0x%02x at "
				  "offset 0x%" PRIx64 " (GPA 0x%" PRIx64
				  "), the source 0x%02x", d->backing_label,
				  a[i], off + i, FILE_GPA + off + i, b[i]);
			return VMMEM_EXIT_FAIL;
		}
		sum = fnv1a(sum, a, n);
	}
	printf("  %" PRIu64 " bytes read back from the %s with pread: "
	       "identical to the source (FNV-1a 64 0x%016" PRIx64 ")\n", len,
	       d->backing_label, sum);
	return VMMEM_EXIT_OK;
}

static int check(bool ok, const char *what)
{
	if (!ok)
		vmmem_err("demo: MISMATCH: %s", what);
	return ok ? 0 : VMMEM_EXIT_FAIL;
}

/* Little-endian scalars (virtio's byte order) with the inline helpers. */
static int step_scalars(struct demo *d)
{
	static const unsigned char expect[16] = {
		0x34, 0x12, 0x00, 0x00, 0xef, 0xbe, 0xad, 0xde,
		0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
	};
	const uint64_t gpa = 0x7000;
	unsigned char raw[16];
	uint16_t v16 = 0;
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	int ret;

	ret = vmm_mem_write_le16(d->mem, gpa, 0x1234);
	if (!ret)
		ret = vmm_mem_write_le32(d->mem, gpa + 4, 0xdeadbeef);
	if (!ret)
		ret = vmm_mem_write_le64(d->mem, gpa + 8,
					 UINT64_C(0x0123456789abcdef));
	if (!ret)
		ret = vmm_mem_read_le16(d->mem, gpa, &v16);
	if (!ret)
		ret = vmm_mem_read_le32(d->mem, gpa + 4, &v32);
	if (!ret)
		ret = vmm_mem_read_le64(d->mem, gpa + 8, &v64);
	if (!ret)
		ret = vmm_mem_read_exact(d->mem, gpa, raw, sizeof(raw));
	if (ret < 0) {
		vmmem_err("demo: scalar access at GPA 0x%" PRIx64 ": %s", gpa,
			  vmmem_strerror(ret));
		return VMMEM_EXIT_FAIL;
	}
	printf("  le16 0x%04" PRIx16 ", le32 0x%08" PRIx32 ", le64 0x%016"
	       PRIx64 " at GPA 0x%" PRIx64 "; bytes:", v16, v32, v64, gpa);
	for (ret = 0; ret < 16; ret++)
		printf(" %02x", raw[ret]);
	putchar('\n');
	if (v16 != 0x1234 || v32 != 0xdeadbeef ||
	    v64 != UINT64_C(0x0123456789abcdef))
		return check(false, "scalars read back differ");
	return check(!memcmp(raw, expect, sizeof(raw)),
		     "scalars are not little-endian in guest memory");
}

/* Atomic store/load above 4 GiB. */
static int step_atomics(struct demo *d)
{
	const uint64_t gpa = HIGH_GPA + 0x1000;
	const uint64_t v64 = UINT64_C(0x1122334455667788);
	uint64_t got64 = 0, got32 = 0, plain = 0;
	int ret;

	ret = vmm_mem_store(d->mem, gpa, 8, v64, VMM_MEM_ORDER_RELEASE);
	if (!ret)
		ret = vmm_mem_load(d->mem, gpa, 8, &got64,
				   VMM_MEM_ORDER_ACQUIRE);
	if (!ret)
		ret = vmm_mem_read_u64(d->mem, gpa, &plain);
	if (!ret)
		ret = vmm_mem_store(d->mem, gpa + 12, 4, 0xcafef00d,
				    VMM_MEM_ORDER_SEQ_CST);
	if (!ret)
		ret = vmm_mem_load(d->mem, gpa + 12, 4, &got32,
				   VMM_MEM_ORDER_RELAXED);
	if (ret < 0) {
		vmmem_err("demo: atomic access at GPA 0x%" PRIx64 ": %s", gpa,
			  vmmem_strerror(ret));
		return VMMEM_EXIT_FAIL;
	}
	printf("  store/load 8 bytes at GPA 0x%" PRIx64 ": 0x%016" PRIx64
	       " (release/acquire); 4 bytes at 0x%" PRIx64 ": 0x%08" PRIx64
	       " (seq_cst/relaxed)\n", gpa, got64, gpa + 12, got32);
	if (got64 != v64 || plain != v64 || got32 != 0xcafef00d)
		return check(false, "atomic values read back differ");
	ret = vmm_mem_load(d->mem, gpa + 3, 8, &got64, VMM_MEM_ORDER_SEQ_CST);
	printf("  misaligned 8-byte load at GPA 0x%" PRIx64 ": %s\n",
	       gpa + 3, ret == -EINVAL ? "refused (EINVAL), as expected"
				       : "NOT refused");
	return check(ret == -EINVAL, "misaligned atomic was not refused");
}

/* Accesses the layout cannot serve are refused, and say why. */
static int step_holes(struct demo *d)
{
	const uint64_t low_end = 640 * KiB;
	const uint64_t mem_end = HIGH_GPA + HIGH_SIZE;
	unsigned char buf[16];
	uint32_t v32;
	ssize_t n;
	int r;

	n = vmm_mem_read(d->mem, low_end - 8, buf, 16);
	printf("  read 16 bytes at GPA 0x%" PRIx64 ": %zd (stops at the hole "
	       "at 0x%" PRIx64 ")\n", low_end - 8, n, low_end);
	if (n != 8)
		return check(false, "vmm_mem_read did not stop at the hole");

	r = vmm_mem_read_exact(d->mem, low_end - 8, buf, 16);
	printf("  read_exact 16 bytes at GPA 0x%" PRIx64 ": %s\n",
	       low_end - 8, r ? vmmem_strerror(r) : "succeeded");
	if (r != -EFAULT)
		return check(false, "read_exact over a hole");

	r = vmm_mem_read_le32(d->mem, low_end + 0x1000, &v32);
	printf("  read le32 at GPA 0x%" PRIx64 ": %s\n", low_end + 0x1000,
	       r ? vmmem_strerror(r) : "succeeded");
	if (r != -EFAULT)
		return check(false, "read in a hole");

	/* the start is backed: say where the range leaves guest memory */
	r = vmm_mem_write_le64(d->mem, mem_end - 4, 0);
	if (r == -EFAULT)
		printf("  write le64 at GPA 0x%" PRIx64 ": runs past the end "
		       "of guest memory at GPA 0x%" PRIx64 " (nothing "
		       "written)\n", mem_end - 4, mem_end);
	else
		printf("  write le64 at GPA 0x%" PRIx64 ": %s\n", mem_end - 4,
		       r ? vmmem_strerror(r) : "succeeded");
	if (r != -EFAULT)
		return check(false, "write past the end of memory");

	r = vmm_mem_read_exact(d->mem, UINT64_MAX - 7, buf, 16);
	printf("  read_exact 16 bytes at GPA 0x%" PRIx64 ": %s\n",
	       UINT64_MAX - 7, r ? vmmem_strerror(r) : "succeeded");
	return check(r == -EOVERFLOW, "range passing 2^64");
}

/*
 * Live migration, in miniature.  "log" builds the destination, an anonymous
 * guest memory of the same layout, starts the dirty log on the source and
 * copies everything once (the bulk phase of a migration).  Every later step
 * writes the source only through the library, so the log sees it all.
 * "migrate" harvests the log with clear, copies only the dirty pages, and
 * checks that source and destination are now equal byte for byte.
 */
static int step_log(struct demo *d)
{
	struct vmm_mem_range ranges[R_COUNT];
	unsigned char *buf;
	int64_t ps;
	int i, ret;

	for (i = 0; i < R_COUNT; i++) {
		ranges[i].gpa = d->layout[i].gpa;
		ranges[i].size = d->layout[i].size;
	}
	ret = vmm_mem_new_from_ranges(&d->dst, ranges, R_COUNT);
	if (ret < 0) {
		vmmem_err("demo: destination memory: %s", vmmem_strerror(ret));
		return VMMEM_EXIT_FAIL;
	}
	ret = vmm_mem_dirty_log_start(d->mem, 0);
	ps = vmm_mem_dirty_log_page_size(d->mem);
	if (ret < 0 || ps <= 0) {
		vmmem_err("demo: vmm_mem_dirty_log_start: %s",
			  vmmem_strerror(ret < 0 ? ret : (int)ps));
		return VMMEM_EXIT_FAIL;
	}
	d->page_size = (uint64_t)ps;
	buf = malloc(MiB);
	if (!buf)
		return VMMEM_EXIT_FAIL;
	for (i = 0; i < R_COUNT && !ret; i++) {
		uint64_t off;

		for (off = 0; off < d->layout[i].size && !ret; off += MiB) {
			uint64_t gpa = d->layout[i].gpa + off;
			size_t n = (size_t)(d->layout[i].size - off < MiB ?
					    d->layout[i].size - off : MiB);

			ret = vmm_mem_read_exact(d->mem, gpa, buf, n);
			if (!ret)
				ret = vmm_mem_write_exact(d->dst, gpa, buf, n);
		}
	}
	free(buf);
	if (ret < 0) {
		vmmem_err("demo: bulk copy: %s", vmmem_strerror(ret));
		return VMMEM_EXIT_FAIL;
	}
	printf("  dirty log on, %" PRIu64 "-byte pages; bulk copy of every "
	       "region into a second guest memory done\n", d->page_size);
	return VMMEM_EXIT_OK;
}

static int step_migrate(struct demo *d)
{
	uint64_t last, npages, words, p, copied = 0, total = 0;
	uint64_t *bitmap;
	unsigned char *page, *other;
	int64_t dirty;
	int i, ret = 0;

	if (vmm_mem_last_addr(d->mem, &last) < 0)
		return VMMEM_EXIT_FAIL;
	npages = last / d->page_size + 1;
	words = (npages + 63) / 64;
	bitmap = calloc(words, sizeof(*bitmap));
	page = malloc(d->page_size);
	other = malloc(d->page_size);
	if (!bitmap || !page || !other) {
		ret = -ENOMEM;
		goto out;
	}
	dirty = vmm_mem_dirty_log_get(d->mem, 0, npages, bitmap,
				      VMM_MEM_DIRTY_LOG_CLEAR);
	if (dirty < 0) {
		ret = (int)dirty;
		goto out;
	}
	for (p = 0; p < npages && !ret; p++) {
		uint64_t gpa = p * d->page_size;

		if (!(bitmap[p / 64] >> (p % 64) & 1))
			continue;
		/* a dirty page is backed: it is inside one of the regions */
		ret = vmm_mem_read_exact(d->mem, gpa, page, d->page_size);
		if (!ret)
			ret = vmm_mem_write_exact(d->dst, gpa, page,
						  d->page_size);
		copied++;
	}
	if (ret < 0)
		goto out;
	printf("  harvested %" PRId64 " dirty pages; copied %" PRIu64
	       " pages (%" PRIu64 " KiB) instead of the whole memory\n",
	       dirty, copied, copied * d->page_size / KiB);

	/* Source and destination must now be equal, page by page. */
	for (i = 0; i < R_COUNT && !ret; i++) {
		uint64_t off;

		for (off = 0; off < d->layout[i].size && !ret;
		     off += d->page_size) {
			uint64_t gpa = d->layout[i].gpa + off;
			size_t n = (size_t)(d->layout[i].size - off <
						    d->page_size ?
					    d->layout[i].size - off :
					    d->page_size);

			ret = vmm_mem_read_exact(d->mem, gpa, page, n);
			if (!ret)
				ret = vmm_mem_read_exact(d->dst, gpa, other, n);
			if (!ret && memcmp(page, other, n)) {
				vmmem_err("demo: MISMATCH: source and "
					  "destination differ in the page at "
					  "GPA 0x%" PRIx64, gpa);
				ret = 1;
			}
			total += n;
		}
	}
	if (!ret) {
		dirty = vmm_mem_dirty_log_get(d->mem, 0, npages, bitmap, 0);
		printf("  source and destination equal over %" PRIu64
		       " MiB; the log is clean again (%" PRId64
		       " dirty pages)\n", total / MiB, dirty);
		if (dirty != 0) {
			vmmem_err("demo: MISMATCH: %" PRId64 " pages dirty "
				  "after the final harvest", dirty);
			ret = 1;
		}
	}
out:
	free(bitmap);
	free(page);
	free(other);
	if (ret < 0)
		vmmem_err("demo: migration: %s", vmmem_strerror(ret));
	return ret ? VMMEM_EXIT_FAIL : VMMEM_EXIT_OK;
}

/*
 * The steps, in order; each returns an exit status and stops the demo on
 * failure.
 */
static const struct demo_step {
	const char *name;
	int (*run)(struct demo *d);
} steps[] = {
	{ "layout", step_layout },
	{ "log", step_log },
	{ "load", step_load },
	{ "save", step_save },
	{ "checksum", step_checksum },
	{ "backing", step_backing },
	{ "scalars", step_scalars },
	{ "atomics", step_atomics },
	{ "holes", step_holes },
	{ "migrate", step_migrate },
};

static void demo_cleanup(struct demo *d)
{
	vmm_mem_unref(d->mem);
	vmm_mem_unref(d->dst);
	if (d->src_fd >= 0)
		close(d->src_fd);
	if (d->backing_fd >= 0)
		close(d->backing_fd);
	if (d->copy_fd >= 0)
		close(d->copy_fd);
}

int vmmem_demo(int argc, char **argv)
{
	const size_t nsteps = sizeof(steps) / sizeof(steps[0]);
	struct demo d = { .backing_fd = -1, .src_fd = -1, .copy_fd = -1 };
	const char *file = NULL;
	int i, ret;
	size_t s;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--file") && i + 1 < argc)
			file = argv[++i];
		else if (!strncmp(argv[i], "--file=", 7))
			file = argv[i] + 7;
		else if (!strcmp(argv[i], "--file"))
			return vmmem_usage_err("demo: option '--file' needs a "
					       "PATH");
		else if (!strcmp(argv[i], "--xen") && i + 1 < argc) {
			uint64_t v;

			ret = vmmem_parse_number("domid", argv[++i], &v);
			if (ret)
				return ret;
			if (v > UINT32_MAX)
				return vmmem_usage_err("demo: domid %" PRIu64
						       " too large", v);
			d.xen = true;
			d.domid = (uint32_t)v;
		} else if (!strcmp(argv[i], "--xen"))
			return vmmem_usage_err("demo: option '--xen' needs a "
					       "DOMID");
		else
			return vmmem_usage_err("demo: unexpected argument "
					       "'%s'", argv[i]);
	}

	printf("vmmem demo (libvmmem %s)\n", vmm_mem_version_string());
	ret = demo_setup(&d, file);
	for (s = 0; !ret && s < nsteps; s++) {
		printf("[%zu/%zu] %s\n", s + 1, nsteps, steps[s].name);
		fflush(stdout);
		ret = steps[s].run(&d);
		if (ret)
			vmmem_err("demo: step '%s' failed", steps[s].name);
	}
	if (!ret)
		printf("demo: all %zu steps passed\n", nsteps);
	demo_cleanup(&d);
	return ret;
}
