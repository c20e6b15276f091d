/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmmem.c - the vmmem(1) command-line tool: option parsing and dispatch.
 *
 *   vmmem [--region SPEC]... COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 failure, 2 usage error (VMMEM_EXIT_*).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmem-tool.h"

static void __attribute__((format(printf, 1, 0)))
vmmem_verr(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("vmmem: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Print "vmmem: MESSAGE" on stderr. */
void vmmem_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmmem_verr(fmt, ap);
	va_end(ap);
}

/* Print a usage error (one line); returns VMMEM_EXIT_USAGE. */
int vmmem_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmmem_verr(fmt, ap);
	va_end(ap);
	return VMMEM_EXIT_USAGE;
}

/* Describe a negative errno from libvmmem in the tool's words. */
const char *vmmem_strerror(int err)
{
	switch (-err) {
	case EFAULT:
		return "not every byte of the guest range is backed by a "
		       "region";
	case EACCES:
		return "read-only region";
	case EOVERFLOW:
		return "address range passes 2^64";
	case EEXIST:
		return "overlaps another region";
	case ENODATA:
		return "file ended early";
	default:
		return strerror(-err);
	}
}

static void usage(FILE *out)
{
	fputs("Usage: vmmem [--region SPEC]... COMMAND [ARGS]\n"
	      "Access guest physical memory through libvmmem.\n"
	      "\n"
	      "Region SPEC: GPA,SIZE[,file=PATH][,offset=N][,ro]  (repeatable)\n"
	      "  Without file= the region is anonymous memory; offset= is the\n"
	      "  page-aligned offset into PATH; ro maps it read-only.\n"
	      "  Numbers are decimal or 0x hex, with an optional K, M, G, T\n"
	      "  (or KiB, MiB, GiB, TiB) binary suffix.\n"
	      "Xen SPEC (vmmem-xen): GPA,SIZE,xen=foreign|grant,domid=N\n"
	      "  [,no-advance-map][,ro]; xen-flags=N (vhost-user's\n"
	      "  xen_mmap_flags: 0x1 foreign, 0x2 grant, 0x8 or 0x100 no\n"
	      "  advance map) may replace xen= and no-advance-map.\n"
	      "\n"
	      "Commands:\n"
	      "  demo [--file PATH] [--xen DOMID]\n"
	      "                         run the demonstration on a built-in layout\n"
	      "                         (--xen: low RAM and RAM are Xen regions)\n"
	      "  info                   list the regions\n"
	      "  read GPA LEN           hexdump LEN bytes at GPA\n"
	      "  write GPA HEXBYTES     write bytes given as hex (e.g. deadbeef)\n"
	      "  load GPA FILE          copy FILE into guest memory at GPA\n"
	      "  save GPA LEN FILE      copy LEN bytes at GPA into FILE\n"
	      "  bench [--smoke] [FILTER]  run the benchmarks\n"
	      "\n"
	      "Options:\n"
	      "  --region SPEC          add a region (info, read, write, load, save)\n"
	      "  --help                 show this help and exit\n"
	      "  --version              show the libvmmem version and exit\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n",
	      out);
}

static void version(void)
{
#ifdef VMMEM_TOOL_XEN
	printf("vmmem-xen (libvmmem-xen) %s\n", vmm_mem_version_string());
#else
	printf("vmmem (libvmmem) %s\n", vmm_mem_version_string());
#endif
	printf("built with libvmmem %d.%d.%d headers\n", VMM_MEM_VERSION_MAJOR,
	       VMM_MEM_VERSION_MINOR, VMM_MEM_VERSION_MICRO);
}

/* What a command does with --region. */
enum regions_use {
	REGIONS_NEEDED,		/* works on them: at least one */
	REGIONS_REFUSED,	/* builds its own layout: none allowed */
	REGIONS_IGNORED,	/* builds its own memories (vmmem(1)) */
};

struct command {
	const char *name;
	int (*run)(struct vmmem_ctx *ctx, int argc, char **argv);
	enum regions_use regions;
};

static int cmd_demo(struct vmmem_ctx *ctx, int argc, char **argv)
{
	return vmmem_demo(argc, argv);
}

static int cmd_bench(struct vmmem_ctx *ctx, int argc, char **argv)
{
	return vmmem_bench(argc, argv);
}

static const struct command commands[] = {
	{ "demo", cmd_demo, REGIONS_REFUSED },
	{ "info", vmmem_cmd_info, REGIONS_NEEDED },
	{ "read", vmmem_cmd_read, REGIONS_NEEDED },
	{ "write", vmmem_cmd_write, REGIONS_NEEDED },
	{ "load", vmmem_cmd_load, REGIONS_NEEDED },
	{ "save", vmmem_cmd_save, REGIONS_NEEDED },
	{ "bench", cmd_bench, REGIONS_IGNORED },
};

static void ctx_free(struct vmmem_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nregions; i++)
		vmmem_region_free(&ctx->regions[i]);
	free(ctx->regions);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmmem_ctx ctx = { NULL, 0 };
	const struct command *cmd = NULL;
	int c, status;
	size_t i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'r': {
			struct vmmem_region *n;

			n = realloc(ctx.regions,
				    (ctx.nregions + 1) * sizeof(*n));
			if (!n) {
				vmmem_err("out of memory");
				ctx_free(&ctx);
				return VMMEM_EXIT_FAIL;
			}
			ctx.regions = n;
			status = vmmem_parse_region(optarg,
						    &ctx.regions[ctx.nregions]);
			if (status) {
				ctx_free(&ctx);
				return status;
			}
			ctx.nregions++;
			break;
		}
		case 'h':
			usage(stdout);
			ctx_free(&ctx);
			return VMMEM_EXIT_OK;
		case 'V':
			version();
			ctx_free(&ctx);
			return VMMEM_EXIT_OK;
		default:
			ctx_free(&ctx);
			if (optopt == 'r')
				return vmmem_usage_err(
					"option '--region' needs a SPEC");
			if (optopt)
				return vmmem_usage_err("unknown option '-%c'",
						       optopt);
			return vmmem_usage_err("unknown option '%s'",
					       argv[optind - 1]);
		}
	}

	if (optind >= argc) {
		ctx_free(&ctx);
		return vmmem_usage_err("no command given");
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		status = vmmem_usage_err("unknown command '%s' (see vmmem "
					 "--help)", argv[optind]);
	} else if (cmd->regions == REGIONS_REFUSED && ctx.nregions) {
		status = vmmem_usage_err(
			"'%s' uses its own layout; --region does not apply",
			cmd->name);
	} else if (cmd->regions == REGIONS_NEEDED && !ctx.nregions) {
		status = vmmem_usage_err("'%s' needs at least one --region",
					 cmd->name);
	} else {
		/* the command sees its own name as argv[0] */
		status = cmd->run(&ctx, argc - optind, argv + optind);
	}
	ctx_free(&ctx);
	if (fflush(stdout) || ferror(stdout)) {
		vmmem_err("error writing to standard output");
		if (status == VMMEM_EXIT_OK)
			status = VMMEM_EXIT_FAIL;
	}
	return status;
}
