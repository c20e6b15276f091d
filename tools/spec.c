/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spec.c - numbers, region specs (GPA,SIZE[,file=PATH][,offset=N][,ro], or
 * for Xen GPA,SIZE,xen=foreign|grant,domid=N[,no-advance-map][,ro]) and
 * turning a list of regions into a libvmmem guest memory.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmmem-tool.h"

/*
 * Parse an unsigned 64-bit number strictly: decimal, or hex after "0x"/"0X",
 * then an optional binary suffix K, M, G, T (or KiB, MiB, GiB, TiB).  No
 * sign, no white space, no octal, nothing after the suffix.  Returns 0, or
 * -1 with *@why saying what is wrong.
 */
int vmmem_parse_u64(const char *s, uint64_t *out, const char **why)
{
	static const struct {
		const char *name;
		unsigned int shift;
	} suffixes[] = {
		{ "K", 10 }, { "KiB", 10 }, { "M", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GiB", 30 }, { "T", 40 }, { "TiB", 40 },
	};
	unsigned int base = 10, shift = 0, digits = 0;
	uint64_t v = 0;
	size_t i;

	if (!*s) {
		*why = "empty";
		return -1;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, digits++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base) {
			*why = "too large (2^64 or more)";
			return -1;
		}
		v = v * base + d;
	}
	if (!digits) {
		*why = base == 16 ? "no hex digits after 0x" : "not a number";
		return -1;
	}
	if (*s) {
		for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
			if (!strcmp(s, suffixes[i].name))
				break;
		if (i == sizeof(suffixes) / sizeof(suffixes[0])) {
			*why = "trailing junk";
			return -1;
		}
		shift = suffixes[i].shift;
		if (v > UINT64_MAX >> shift) {
			*why = "too large (2^64 or more)";
			return -1;
		}
	}
	*out = v << shift;
	return 0;
}

/* vmmem_parse_u64() with a usage error naming @what; 0 or exit status. */
int vmmem_parse_number(const char *what, const char *s, uint64_t *out)
{
	const char *why;

	if (vmmem_parse_u64(s, out, &why))
		return vmmem_usage_err("bad %s '%s': %s", what, s, why);
	return 0;
}

static int spec_err(const char *spec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int spec_err(const char *spec, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vmmem_usage_err("bad region spec '%s': %s", spec, msg);
}

static int spec_number(const char *spec, const char *what, const char *s,
		       uint64_t *out)
{
	const char *why;

	if (vmmem_parse_u64(s, out, &why))
		return spec_err(spec, "%s '%s': %s", what, s, why);
	return 0;
}

/*
 * xen-flags=N: vhost-user's xen_mmap_flags.  Bit 0 is foreign, bit 1
 * grant; "no advance map" is 0x8 in rust-vmm but bit 8 (0x100) in the
 * vhost-user specification's text: both are accepted.
 */
static int xen_flags(const char *spec, const char *s, struct vmmem_region *r)
{
	uint64_t v;
	int ret = spec_number(spec, "xen-flags", s, &v);

	if (ret)
		return ret;
	if (r->xen_type)
		return spec_err(spec, "xen= or xen-flags= given twice");
	if (v & ~(uint64_t)(0x1 | 0x2 | 0x8 | 0x100))
		return spec_err(spec, "xen-flags 0x%" PRIx64 " has unknown "
				"bits", v);
	if ((v & 3) == 3 || !(v & 3))
		return spec_err(spec, "xen-flags 0x%" PRIx64 " must have "
				"exactly one of foreign (0x1) and grant (0x2)",
				v);
	r->xen_type = (v & 1) ? VMM_MEM_REGION_XEN_FOREIGN :
				VMM_MEM_REGION_XEN_GRANT;
	r->no_advance = (v & (0x8 | 0x100)) != 0;
	return 0;
}

/*
 * Parse GPA,SIZE[,file=PATH][,offset=N][,ro] (or, for a Xen region,
 * GPA,SIZE,xen=foreign|grant,domid=N[,no-advance-map][,ro], xen-flags=N
 * in place of xen= and no-advance-map) into @r.  @r->file points
 * into @r->owned, which vmmem_region_free() releases.  Returns 0, or
 * VMMEM_EXIT_USAGE (VMMEM_EXIT_FAIL without memory) after printing what is
 * wrong.
 */
int vmmem_parse_region(const char *spec, struct vmmem_region *r)
{
	bool have_offset = false, have_domid = false;
	char *field, *next;
	unsigned int n;
	long page;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->owned = strdup(spec);
	if (!r->owned) {
		vmmem_err("out of memory");
		return VMMEM_EXIT_FAIL;
	}
	for (field = r->owned, n = 0; field && !ret; field = next, n++) {
		next = strchr(field, ',');
		if (next)
			*next++ = '\0';
		if (n == 0) {
			ret = spec_number(spec, "GPA", field, &r->gpa);
		} else if (n == 1) {
			ret = spec_number(spec, "SIZE", field, &r->size);
			if (!ret && !r->size)
				ret = spec_err(spec, "SIZE must not be 0");
		} else if (!strncmp(field, "file=", 5)) {
			if (r->file)
				ret = spec_err(spec, "file= given twice");
			else if (!field[5])
				ret = spec_err(spec, "file= needs a PATH");
			r->file = field + 5;
		} else if (!strncmp(field, "offset=", 7)) {
			if (have_offset)
				ret = spec_err(spec, "offset= given twice");
			else
				ret = spec_number(spec, "offset", field + 7,
						  &r->offset);
			have_offset = true;
		} else if (!strncmp(field, "xen=", 4)) {
			if (r->xen_type)
				ret = spec_err(spec, "xen= given twice");
			else if (!strcmp(field + 4, "foreign"))
				r->xen_type = VMM_MEM_REGION_XEN_FOREIGN;
			else if (!strcmp(field + 4, "grant"))
				r->xen_type = VMM_MEM_REGION_XEN_GRANT;
			else
				ret = spec_err(spec, "xen= takes foreign or "
					       "grant, not '%s'", field + 4);
		} else if (!strncmp(field, "xen-flags=", 10)) {
			/* vhost-user's xen_mmap_flags */
			ret = xen_flags(spec, field + 10, r);
		} else if (!strncmp(field, "domid=", 6)) {
			uint64_t v = 0;

			if (have_domid)
				ret = spec_err(spec, "domid= given twice");
			else if (!(ret = spec_number(spec, "domid", field + 6,
						     &v)) &&
				 v > UINT32_MAX)
				ret = spec_err(spec, "domid %" PRIu64
					       " does not fit 32 bits", v);
			r->domid = (uint32_t)v;
			have_domid = true;
		} else if (!strcmp(field, "no-advance-map")) {
			r->no_advance = true;
		} else if (!strcmp(field, "ro")) {
			if (r->ro)
				ret = spec_err(spec, "ro given twice");
			r->ro = true;
		} else if (!*field) {
			ret = spec_err(spec, "empty field");
		} else {
			ret = spec_err(spec, "unknown option '%s'", field);
		}
	}
	if (!ret && n < 2)
		ret = spec_err(spec, "missing SIZE (GPA,SIZE)");
	if (!ret && have_offset && !r->file)
		ret = spec_err(spec, "offset= needs file=");
	if (!ret && r->xen_type && r->file)
		ret = spec_err(spec, "xen= and file= exclude each other");
	if (!ret && (have_domid || r->no_advance) && !r->xen_type)
		ret = spec_err(spec, "domid= and no-advance-map need xen=");
	if (!ret && r->xen_type && !have_domid)
		ret = spec_err(spec, "xen= needs domid=");
	if (!ret && r->no_advance && r->xen_type != VMM_MEM_REGION_XEN_GRANT)
		ret = spec_err(spec, "no-advance-map needs xen=grant");
	page = sysconf(_SC_PAGESIZE);
	if (!ret && page > 0 && r->offset % (uint64_t)page)
		ret = spec_err(spec,
			       "offset= 0x%" PRIx64
			       " is not a multiple of the page size (%ld)",
			       r->offset, page);
	/* Xen maps 4 KiB pages, whatever the host's page size. */
	if (!ret && r->xen_type && ((r->gpa | r->size) & 0xfff))
		ret = spec_err(spec, "a Xen region's GPA and SIZE must be "
			       "multiples of 4 KiB");
	if (ret)
		vmmem_region_free(r);
	return ret;
}

/* Release what vmmem_parse_region() allocated. */
void vmmem_region_free(struct vmmem_region *r)
{
	free(r->owned);
	r->owned = NULL;
	r->file = NULL;
}

/*
 * "640 KiB", "64 MiB", "5 GiB": in the largest binary unit the size
 * reaches, exact when it is a whole number of that unit, else with two
 * decimals ("144.63 MiB"); "1000 bytes" below 1 KiB.
 */
void vmmem_format_size(char *buf, size_t len, uint64_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	unsigned int u = 0, shift = 10;

	if (size < 1024) {
		snprintf(buf, len, "%" PRIu64 " bytes", size);
		return;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) &&
	       size >> (shift + 10)) {
		shift += 10;
		u++;
	}
	if (size & ((UINT64_C(1) << shift) - 1))
		snprintf(buf, len, "%.2f %s",
			 (double)size / (double)(UINT64_C(1) << shift),
			 units[u]);
	else
		snprintf(buf, len, "%" PRIu64 " %s", size >> shift, units[u]);
}

/* The library's explanations of refused requests, on stderr. */
static void __attribute__((format(printf, 6, 0)))
log_fn(void *data, int priority, const char *file, int line, const char *fn,
       const char *format, va_list args)
{
	char msg[1024];
	size_t n;

	vsnprintf(msg, sizeof(msg), format, args);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	vmmem_err("%s", msg);
}

static void range_str(char *buf, size_t len, uint64_t gpa, uint64_t size)
{
	/* the end is exclusive; print 2^64 rather than wrapping to 0 */
	if (size && gpa + size - 1 == UINT64_MAX)
		snprintf(buf, len, "[0x%" PRIx64 ", 2^64)", gpa);
	else if (size - 1 > UINT64_MAX - gpa)
		snprintf(buf, len, "[0x%" PRIx64 ", 0x%" PRIx64 " + 0x%" PRIx64
			 ")", gpa, gpa, size);
	else
		snprintf(buf, len, "[0x%" PRIx64 ", 0x%" PRIx64 ")", gpa,
			 gpa + size);
}

/*
 * Open the file= of @r for mapping, without blocking: a FIFO would wait in
 * open(2) for a writer, so the file is opened non-blocking and its type
 * checked first.  Returns the descriptor, -ENODEV with *@type set ("a
 * FIFO" ...) for a type that cannot back guest memory, or -errno.
 */
static int open_backing(const struct vmmem_region *r, const char **type)
{
	int fd = open(r->file, (r->ro ? O_RDONLY : O_RDWR) | O_NONBLOCK |
				       O_CLOEXEC);
	struct stat st;
	int e;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || fcntl(fd, F_SETFL, 0) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	*type = S_ISFIFO(st.st_mode) ? "a FIFO" :
		S_ISSOCK(st.st_mode) ? "a socket" :
		S_ISDIR(st.st_mode) ? "a directory" : NULL;
	if (*type) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

/* Which limit a region refused with -EOVERFLOW passed (the library's
 * checks, in its order). */
static const char *overflow_why(const struct vmmem_region *r, bool has_file)
{
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);

	if (r->size - 1 > UINT64_MAX - r->gpa ||
	    r->gpa + (r->size - 1) == UINT64_MAX)
		return "the range reaches GPA 2^64 - 1, which no region may "
		       "include";
	if (r->size > SIZE_MAX - ps)
		return "size does not fit this host's address space";
	if (has_file && r->offset + r->size < r->offset) /* wraps 2^64 */
		return "file offset + size passes 2^64";
	if (has_file && r->offset + r->size > (uint64_t)INT64_MAX)
		return "file offset + size passes 2^63 - 1, the largest "
		       "file offset";
	return vmmem_strerror(-EOVERFLOW);
}

/*
 * Create a guest memory holding @n regions, with the library's log routed
 * to stderr.  Returns 0 with *@out set, or VMMEM_EXIT_FAIL after printing
 * which region was refused and why.
 */
int vmmem_mem_open(vmm_mem_t **out, const struct vmmem_region *r, size_t n)
{
	vmm_mem_t *mem;
	size_t i;
	int ret;

	ret = vmm_mem_new(&mem);
	if (ret < 0) {
		vmmem_err("cannot create a guest memory: %s",
			  vmmem_strerror(ret));
		return VMMEM_EXIT_FAIL;
	}
	vmm_mem_set_log_fn(mem, log_fn, NULL);
	for (i = 0; i < n; i++) {
		struct vmm_mem_region_desc d;
		char range[96];
		int fd = r[i].fd;

		range_str(range, sizeof(range), r[i].gpa, r[i].size);
		memset(&d, 0, sizeof(d));
		d.type = VMM_MEM_REGION_ANON;
		d.flags = r[i].ro ? VMM_MEM_REGION_READONLY : 0;
		d.gpa = r[i].gpa;
		d.size = r[i].size;
		d.fd = -1;
		if (r[i].file && fd < 0) {
			const char *type = NULL;

			fd = open_backing(&r[i], &type);
			if (fd < 0 && type)
				vmmem_err("region %zu %s: %s is %s, which "
					  "cannot back guest memory", i, range,
					  r[i].file, type);
			else if (fd < 0)
				vmmem_err("region %zu %s: %s: %s", i, range,
					  r[i].file, strerror(-fd));
			if (fd < 0) {
				vmm_mem_unref(mem);
				return VMMEM_EXIT_FAIL;
			}
		}
		if (fd >= 0) {
			d.type = VMM_MEM_REGION_FD;
			d.fd = fd;
			d.fd_offset = r[i].offset;
		}
		if (r[i].xen_type) {	/* the library's own Xen handles */
			d.type = r[i].xen_type;
			d.domid = r[i].domid;
			if (r[i].no_advance)
				d.flags |= VMM_MEM_REGION_NO_ADVANCE_MAP;
		}
		ret = vmm_mem_add_region(mem, &d, sizeof(d));
		if (fd >= 0 && fd != r[i].fd)
			close(fd);	/* the library keeps its own dup */
		if (ret < 0) {
			const char *why = ret == -EOVERFLOW ?
				overflow_why(&r[i], fd >= 0) : vmmem_strerror(ret);

			if (r[i].file)
				vmmem_err("cannot add region %zu %s (file %s "
					  "offset 0x%" PRIx64 "): %s", i, range,
					  r[i].file, r[i].offset, why);
			else
				vmmem_err("cannot add region %zu %s: %s", i,
					  range, why);
			vmm_mem_unref(mem);
			return VMMEM_EXIT_FAIL;
		}
	}
	*out = mem;
	return VMMEM_EXIT_OK;
}

static const struct vmmem_region *find_spec(const struct vmmem_region *r,
					    size_t n, uint64_t gpa)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].gpa == gpa)
			return &r[i];
	return NULL;
}

/*
 * Print the regions of @mem as the library reports them, in GPA order,
 * naming each backing from @r (the specs they were made from).
 */
void vmmem_print_layout(FILE *out, vmm_mem_t *mem,
			const struct vmmem_region *r, size_t n)
{
	struct vmm_mem_region_info info;
	uint64_t total = 0;
	char size[32];
	unsigned int i;
	int count = vmm_mem_num_regions(mem);

	fprintf(out, "%-3s %-18s  %-18s  %-9s  %s\n", "#", "GPA start",
		"GPA end (excl.)", "size", "backing");
	for (i = 0; count > 0 && i < (unsigned int)count; i++) {
		const struct vmmem_region *s;
		char end[24];

		if (vmm_mem_region_info(mem, i, &info, sizeof(info)) < 0)
			break;
		s = find_spec(r, n, info.gpa);
		vmmem_format_size(size, sizeof(size), info.size);
		if (info.gpa + info.size - 1 == UINT64_MAX)
			snprintf(end, sizeof(end), "2^64");
		else
			snprintf(end, sizeof(end), "0x%016" PRIx64,
				 info.gpa + info.size);
		fprintf(out, "%-3u 0x%016" PRIx64 "  %-18s  %-9s  ", i,
			info.gpa, end, size);
		if (info.type == VMM_MEM_REGION_XEN_FOREIGN ||
		    info.type == VMM_MEM_REGION_XEN_GRANT)
			fprintf(out, "Xen %s of domain %u%s",
				info.type == VMM_MEM_REGION_XEN_GRANT ?
					"grants" : "foreign frames",
				info.domid,
				(info.flags & VMM_MEM_REGION_NO_ADVANCE_MAP) ?
					", not mapped in advance" : "");
		else if (s && s->file)
			fprintf(out, "file %s offset 0x%" PRIx64, s->file,
				info.fd_offset);
		else if (s && s->label)
			fprintf(out, "%s offset 0x%" PRIx64, s->label,
				info.fd_offset);
		else if (info.has_fd)
			fprintf(out, "fd offset 0x%" PRIx64, info.fd_offset);
		else
			fputs("anonymous", out);
		if (info.flags & VMM_MEM_REGION_READONLY)
			fputs(", read-only", out);
		if (info.page_size &&
		    info.page_size != (uint64_t)sysconf(_SC_PAGESIZE)) {
			vmmem_format_size(size, sizeof(size), info.page_size);
			fprintf(out, ", %s pages", size);
		}
		fputc('\n', out);
		total += info.size;
	}
	vmmem_format_size(size, sizeof(size), total);
	fprintf(out, "%d region%s, %s\n", count, count == 1 ? "" : "s", size);
}
