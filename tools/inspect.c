/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inspect.c - info, read, write, load and save: inspection of guest memory
 * described with --region specs (e.g. a running VMM's memory files).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmmem-tool.h"

/*
 * Check that every byte of [@gpa, @gpa + @len) is backed (and writable when
 * @write), so that a command fails before it moves anything and says where
 * the range stops.  Returns 0, or VMMEM_EXIT_FAIL after printing why.
 */
int vmmem_check_range(vmm_mem_t *mem, uint64_t gpa, uint64_t len, bool write)
{
	struct vmm_mem_region_info info;
	uint64_t cur = gpa, last;
	int ret;

	if (!len)
		return VMMEM_EXIT_OK;
	if (len - 1 > UINT64_MAX - gpa) {
		vmmem_err("GPA 0x%" PRIx64 " + length 0x%" PRIx64
			  " passes 2^64 (overflow)", gpa, len);
		return VMMEM_EXIT_FAIL;
	}
	last = gpa + len - 1;
	for (;;) {
		ret = vmm_mem_region_info_at(mem, cur, &info, sizeof(info));
		if (ret == -EFAULT) {
			vmmem_err("GPA 0x%" PRIx64 " is not backed by any "
				  "region", cur);
			return VMMEM_EXIT_FAIL;
		}
		if (ret < 0) {
			vmmem_err("GPA 0x%" PRIx64 ": %s", cur,
				  vmmem_strerror(ret));
			return VMMEM_EXIT_FAIL;
		}
		if (write && (info.flags & VMM_MEM_REGION_READONLY)) {
			vmmem_err("GPA 0x%" PRIx64 " is in a read-only region "
				  "[0x%" PRIx64 ", 0x%" PRIx64 ")", cur,
				  info.gpa, info.gpa + info.size);
			return VMMEM_EXIT_FAIL;
		}
		if (info.gpa + info.size - 1 >= last)
			return VMMEM_EXIT_OK;
		cur = info.gpa + info.size;
	}
}

static int open_mem(struct vmmem_ctx *ctx, vmm_mem_t **mem)
{
	return vmmem_mem_open(mem, ctx->regions, ctx->nregions);
}

static int nargs(int argc, int want, const char *synopsis)
{
	if (argc - 1 != want)
		return vmmem_usage_err("%s arguments; usage: vmmem [--region "
				       "SPEC]... %s",
				       argc - 1 < want ? "missing" : "too many",
				       synopsis);
	return 0;
}

/*
 * The arguments GPA LEN (and @want - 2 more), the memory, and a check that
 * [GPA, GPA + LEN) is backed: 0 with *@mem open, or the exit status.
 */
static int open_range(struct vmmem_ctx *ctx, int argc, char **argv, int want,
		      const char *synopsis, uint64_t *gpa, uint64_t *len,
		      vmm_mem_t **mem)
{
	int ret = nargs(argc, want, synopsis);

	if (!ret)
		ret = vmmem_parse_number("GPA", argv[1], gpa);
	if (!ret)
		ret = vmmem_parse_number("LEN", argv[2], len);
	if (!ret)
		ret = open_mem(ctx, mem);
	if (ret)
		return ret;
	ret = vmmem_check_range(*mem, *gpa, *len, false);
	if (ret)
		vmm_mem_unref(*mem);
	return ret;
}

int vmmem_cmd_info(struct vmmem_ctx *ctx, int argc, char **argv)
{
	vmm_mem_t *mem;
	int ret;

	ret = nargs(argc, 0, "info");
	if (!ret)
		ret = open_mem(ctx, &mem);
	if (ret)
		return ret;
	vmmem_print_layout(stdout, mem, ctx->regions, ctx->nregions);
	vmm_mem_unref(mem);
	return VMMEM_EXIT_OK;
}

/* One hexdump -C style line: GPA, 16 bytes in two groups, characters. */
static void hexdump_line(uint64_t gpa, const unsigned char *b, size_t n)
{
	size_t i;

	printf("%016" PRIx64 " ", gpa);
	for (i = 0; i < 16; i++) {
		if (i == 8)
			putchar(' ');
		if (i < n)
			printf(" %02x", b[i]);
		else
			fputs("   ", stdout);
	}
	fputs("  |", stdout);
	for (i = 0; i < n; i++)
		putchar(b[i] >= 0x20 && b[i] < 0x7f ? b[i] : '.');
	fputs("|\n", stdout);
}

int vmmem_cmd_read(struct vmmem_ctx *ctx, int argc, char **argv)
{
	unsigned char buf[4096];
	uint64_t gpa, len, done;
	vmm_mem_t *mem;
	int ret;

	ret = open_range(ctx, argc, argv, 2, "read GPA LEN", &gpa, &len, &mem);
	if (ret)
		return ret;
	for (done = 0; done < len; done += sizeof(buf)) {
		size_t n = len - done < sizeof(buf) ? (size_t)(len - done)
						    : sizeof(buf);
		size_t i;
		int r = vmm_mem_read_exact(mem, gpa + done, buf, n);

		if (r < 0) {
			vmmem_err("read of %zu bytes at GPA 0x%" PRIx64
				  " failed: %s", n, gpa + done,
				  vmmem_strerror(r));
			ret = VMMEM_EXIT_FAIL;
			break;
		}
		for (i = 0; i < n; i += 16)
			hexdump_line(gpa + done + i, buf + i,
				     n - i < 16 ? n - i : 16);
	}
	vmm_mem_unref(mem);
	return ret;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "deadbeef" or "0xdeadbeef" into *@out (malloc'd); 0 or exit status. */
static int parse_hex(const char *arg, unsigned char **out, size_t *len)
{
	const char *s = arg;
	size_t i, n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (!n)
		return vmmem_usage_err("bad HEXBYTES '%s': no hex digits",
				       arg);
	for (i = 0; i < n; i++)
		if (hex_digit(s[i]) < 0)
			return vmmem_usage_err("bad HEXBYTES '%s': '%c' is "
					       "not a hex digit", arg, s[i]);
	if (n % 2)
		return vmmem_usage_err("bad HEXBYTES '%s': odd number of hex "
				       "digits", arg);
	*out = malloc(n / 2);
	if (!*out) {
		vmmem_err("out of memory");
		return VMMEM_EXIT_FAIL;
	}
	for (i = 0; i < n / 2; i++)
		(*out)[i] = (unsigned char)(hex_digit(s[2 * i]) << 4 |
					    hex_digit(s[2 * i + 1]));
	*len = n / 2;
	return 0;
}

int vmmem_cmd_write(struct vmmem_ctx *ctx, int argc, char **argv)
{
	unsigned char *bytes = NULL;
	vmm_mem_t *mem;
	uint64_t gpa;
	size_t len = 0;
	int ret;

	ret = nargs(argc, 2, "write GPA HEXBYTES");
	if (!ret)
		ret = vmmem_parse_number("GPA", argv[1], &gpa);
	if (!ret)
		ret = parse_hex(argv[2], &bytes, &len);
	if (!ret)
		ret = open_mem(ctx, &mem);
	if (ret) {
		free(bytes);
		return ret;
	}
	ret = vmmem_check_range(mem, gpa, len, true);
	if (!ret) {
		int r = vmm_mem_write_exact(mem, gpa, bytes, len);

		if (r < 0) {
			vmmem_err("write of %zu bytes at GPA 0x%" PRIx64
				  " failed: %s", len, gpa, vmmem_strerror(r));
			ret = VMMEM_EXIT_FAIL;
		} else {
			printf("wrote %zu byte%s at GPA 0x%" PRIx64 "\n", len,
			       len == 1 ? "" : "s", gpa);
		}
	}
	free(bytes);
	vmm_mem_unref(mem);
	return ret;
}

/*
 * Load a file until its end, in chunks, whether its size is known in
 * advance or not (a pipe, a character device, a /proc file that reports
 * 0 bytes); guest memory must hold it all.
 */
static int load_stream(vmm_mem_t *mem, uint64_t gpa, int fd,
		       const char *path, uint64_t *total)
{
	const uint64_t max_chunk = 1u << 20;
	uint64_t cur = gpa;

	for (;;) {
		/* no region holds GPA 2^64 - 1: stop below it */
		uint64_t chunk = UINT64_MAX - cur < max_chunk ? UINT64_MAX - cur
							      : max_chunk;
		ssize_t n = chunk ? vmm_mem_read_from_fd(mem, cur, fd, chunk)
				  : -EFAULT;
		ssize_t more;
		char c;

		if (n > 0) {
			cur += (uint64_t)n;
			continue;
		}
		*total = cur - gpa;
		if (n == 0)
			return VMMEM_EXIT_OK;
		if (n != -EFAULT && n != -EACCES) {
			vmmem_err("load of %s at GPA 0x%" PRIx64 " failed: %s",
				  path, cur, vmmem_strerror((int)n));
			return VMMEM_EXIT_FAIL;
		}
		/* guest memory ends here: fine if the file ends too */
		more = read(fd, &c, 1);
		if (!more)
			return VMMEM_EXIT_OK;
		if (more < 0)
			vmmem_err("%s: %s", path, strerror(errno));
		else
			vmmem_err("%s does not fit: GPA 0x%" PRIx64 " is %s",
				  path, cur,
				  n == -EACCES ? "in a read-only region"
					       : "not backed by any region");
		return VMMEM_EXIT_FAIL;
	}
}

int vmmem_cmd_load(struct vmmem_ctx *ctx, int argc, char **argv)
{
	vmm_mem_t *mem;
	struct stat st;
	uint64_t gpa, done = 0;
	int ret, fd;

	ret = nargs(argc, 2, "load GPA FILE");
	if (!ret)
		ret = vmmem_parse_number("GPA", argv[1], &gpa);
	if (ret)
		return ret;
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		vmmem_err("%s: %s", argv[2], strerror(errno));
		if (fd >= 0)
			close(fd);
		return VMMEM_EXIT_FAIL;
	}
	ret = open_mem(ctx, &mem);
	if (ret) {
		close(fd);
		return ret;
	}
	/* The size a regular file reports lets a file that cannot fit be
	 * refused before anything moves; the data are read to end of file
	 * whatever that size says (/proc files report 0, sysfs files 4096). */
	if (S_ISREG(st.st_mode))
		ret = vmmem_check_range(mem, gpa, (uint64_t)st.st_size, true);
	if (!ret)
		ret = load_stream(mem, gpa, fd, argv[2], &done);
	if (!ret)
		printf("loaded %" PRIu64 " byte%s from %s at GPA 0x%" PRIx64
		       "\n", done, done == 1 ? "" : "s", argv[2], gpa);
	close(fd);
	vmm_mem_unref(mem);
	return ret;
}

/*
 * VMMEM_EXIT_FAIL, after saying so, if @fd (the output @path) is the file
 * of one of @ctx's regions (the same inode, under any name), else 0.
 */
static int backing_region(const struct vmmem_ctx *ctx, int fd,
			  const char *path)
{
	struct stat out, st;
	size_t i;

	if (fstat(fd, &out) < 0)
		return 0;	/* the caller reports errno */
	for (i = 0; i < ctx->nregions; i++) {
		const struct vmmem_region *r = &ctx->regions[i];

		if (r->file && stat(r->file, &st) == 0 &&
		    st.st_dev == out.st_dev && st.st_ino == out.st_ino) {
			vmmem_err("%s is the backing file of region %zu (%s): "
				  "saving guest memory into it would destroy "
				  "the data being saved", path, i, r->file);
			return VMMEM_EXIT_FAIL;
		}
	}
	return 0;
}

/* Empty a regular output file (others, a pipe or a device, are written
 * as they are).  0 or -1 with errno set. */
static int truncate_regular(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	return S_ISREG(st.st_mode) ? ftruncate(fd, 0) : 0;
}

int vmmem_cmd_save(struct vmmem_ctx *ctx, int argc, char **argv)
{
	vmm_mem_t *mem;
	uint64_t gpa, len, done = 0;
	int ret, fd;

	/* the range is checked before FILE is created: a hole leaves no
	 * empty file */
	ret = open_range(ctx, argc, argv, 3, "save GPA LEN FILE", &gpa, &len,
			 &mem);
	if (ret)
		return ret;
	/* Truncated only once it is known not to back a region: the range
	 * would be read from the very file being emptied. */
	fd = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0 || (ret = backing_region(ctx, fd, argv[3])) ||
	    truncate_regular(fd)) {
		if (!ret)
			vmmem_err("%s: %s", argv[3], strerror(errno));
		if (fd >= 0)
			close(fd);
		vmm_mem_unref(mem);
		return VMMEM_EXIT_FAIL;
	}
	ret = vmm_mem_write_all_to_fd(mem, gpa, fd, len, &done);
	if (ret < 0) {
		vmmem_err("save of GPA 0x%" PRIx64 " to %s failed after %"
			  PRIu64 " of %" PRIu64 " bytes: %s", gpa, argv[3],
			  done, len, vmmem_strerror(ret));
		ret = VMMEM_EXIT_FAIL;
	}
	if (close(fd) && !ret) {
		vmmem_err("%s: %s", argv[3], strerror(errno));
		ret = VMMEM_EXIT_FAIL;
	}
	if (!ret)
		printf("saved %" PRIu64 " byte%s at GPA 0x%" PRIx64 " to %s\n",
		       len, len == 1 ? "" : "s", gpa, argv[3]);
	vmm_mem_unref(mem);
	return ret;
}
