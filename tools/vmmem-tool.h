/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmmem-tool.h - shared declarations of the vmmem(1) command-line tool.
 */
#ifndef VMMEM_TOOL_H
#define VMMEM_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <vmmem.h>

/* Exit statuses (vmmem(1)). */
enum {
	VMMEM_EXIT_OK = 0,	/* success */
	VMMEM_EXIT_FAIL = 1,	/* hole, overflow, I/O error, mismatch */
	VMMEM_EXIT_USAGE = 2,	/* bad region spec, bad number, bad command */
};

/* One region as the user (or the demo) describes it. */
struct vmmem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t offset;	/* offset= into @file */
	const char *file;	/* file=; NULL for anonymous memory */
	const char *label;	/* backing shown by `info` when @file is NULL
				   (NULL: "anonymous") */
	int fd;			/* demo: an already open backing fd, else -1 */
	bool ro;
	uint32_t xen_type;	/* xen=: VMM_MEM_REGION_XEN_*, 0 for none */
	uint32_t domid;		/* domid= */
	bool no_advance;	/* no-advance-map */
	char *owned;		/* vmmem_parse_region()'s copy of the spec */
};

/* The regions given with --region, in command-line order. */
struct vmmem_ctx {
	struct vmmem_region *regions;
	size_t nregions;
};

/* vmmem.c */
void vmmem_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vmmem_usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
const char *vmmem_strerror(int err);

/* spec.c */
int vmmem_parse_u64(const char *s, uint64_t *out, const char **why);
int vmmem_parse_number(const char *what, const char *s, uint64_t *out);
int vmmem_parse_region(const char *spec, struct vmmem_region *r);
void vmmem_region_free(struct vmmem_region *r);
void vmmem_format_size(char *buf, size_t len, uint64_t size);
int vmmem_mem_open(vmm_mem_t **out, const struct vmmem_region *r, size_t n);
void vmmem_print_layout(FILE *out, vmm_mem_t *mem,
			const struct vmmem_region *r, size_t n);

/* inspect.c: each returns an exit status */
int vmmem_cmd_info(struct vmmem_ctx *ctx, int argc, char **argv);
int vmmem_cmd_read(struct vmmem_ctx *ctx, int argc, char **argv);
int vmmem_cmd_write(struct vmmem_ctx *ctx, int argc, char **argv);
int vmmem_cmd_load(struct vmmem_ctx *ctx, int argc, char **argv);
int vmmem_cmd_save(struct vmmem_ctx *ctx, int argc, char **argv);
int vmmem_check_range(vmm_mem_t *mem, uint64_t gpa, uint64_t len,
		      bool write);

/* demo.c */
int vmmem_demo(int argc, char **argv);

/* bench.c */
int vmmem_bench(int argc, char **argv);
/* bench-xen.c (vmmem-xen): the Xen rows, before the others */
int vmmem_bench_xen(bool smoke, const char *filter);

#endif /* VMMEM_TOOL_H */
