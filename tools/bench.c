/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench.c - `vmmem bench [--smoke] [FILTER]`: micro-benchmarks of libvmmem.
 *
 * The first part replays, workload for workload, the Rust vm-memory anchor
 * that the project compares itself with: the same guest layouts, the same
 * xorshift64 address lists, the same calibration and repetition scheme
 * (7 repetitions of at least 100 ms each, measured round-robin over the
 * workloads, median reported) and the same output line:
 *
 *	name ns_per_op [GB/s]  # reps=7 iters=N min=.. max=..
 *
 * so that a script can print both side by side.  The baseline_* lines are
 * the physical limits (plain memcpy, raw pointers, plain read(2)) measured
 * here in C.  The workloads after them go beyond the anchor: hot-plug under
 * load, two reader threads, map/unmap, dirty-log harvesting and building a
 * memory of 509 regions.
 *
 * Every call's result is checked inside the timed loop (the anchor unwraps
 * every Result), and values and buffers are handed to an empty asm statement
 * so that the compiler cannot drop the work (the anchor's black_box).
 *
 * --smoke runs every workload once with a small iteration count and smaller
 * regions: it proves the tool works, its figures mean nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "vmmem-tool.h"

#define KIB 1024ull
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

/* Precomputed addresses per list, cycled through with a mask. */
#define N_ADDRS (1u << 16)
#define MASK (N_ADDRS - 1)
/* Repetitions per workload (the median is reported). */
#define REPS 7
/* Every repetition lasts at least MIN_REP; calibration aims at TARGET_REP. */
#define MIN_REP_NS 100000000ull
#define TARGET_REP_NS 130000000ull
/* Seed of the address generators; each list xors in its own constant. */
#define SEED 0x9E3779B97F4A7C15ull

/* The extra workloads. */
#define HOTPLUG_GPA (16 * GIB)
#define HOTPLUG_SIZE (2 * MIB)
#define HOTPLUG_PERIOD_NS 100000ull
#define HARVEST_REGIONS 4
#define HARVEST_REGION_SIZE (256 * MIB)
#define HARVEST_LEN ((uint64_t)HARVEST_REGIONS * HARVEST_REGION_SIZE)
#define HARVEST_PAGE 4096ull
#define HARVEST_PAGES (HARVEST_LEN / HARVEST_PAGE)
#define MANY_REGIONS 509
#if UINTPTR_MAX > 0xffffffffu
#define MANY_REGION_SIZE (2 * GIB)
#else				/* 509 regions of 2 GiB need a 64-bit host */
#define MANY_REGION_SIZE (1 * MIB)
#endif

#define bench_unlikely(x) __builtin_expect(!!(x), 0)

/*
 * The anchor's std::hint::black_box: KEEP makes the compiler produce a
 * value, KEEP_MEM makes it believe the memory behind a pointer is read (so
 * the stores into a buffer stay), LAUNDER makes a value opaque.
 */
#define KEEP(v) __asm__ volatile("" : : "r"(v))
#define KEEP_MEM(p) __asm__ volatile("" : : "r"(p) : "memory")
#define LAUNDER(v) __asm__ volatile("" : "+r"(v))

/*
 * The masked baselines keep their host pointers XORed with this and unmask
 * them in the loop (one instruction).  A list of raw host pointers lets a
 * hardware prefetcher that follows pointer values seen in loaded data
 * fetch each target before the loop asks for it; a list of GPAs, which is
 * what a VMM holds, never can.  Seen here: unmasking alone takes the 4 KiB
 * random read from about 255 to about 340 ns.
 */
#if UINTPTR_MAX > 0xffffffffu
#define PTR_MASK ((uintptr_t)0x5a5a000000000000ull)
#else				/* the top bits of a 32-bit pointer */
#define PTR_MASK ((uintptr_t)0x5a5a0000u)
#endif

/* A layout entry: guest address and length. */
struct range {
	uint64_t gpa;
	uint64_t len;
};

/* Everything the workloads use, set up once per run. */
static struct {
	bool smoke;
	uint64_t big;		/* size of the three large regions */
	struct range layout[4];
	struct range cross[2];
	struct range layout256[256];

	vmm_mem_t *gm;		/* main memory */
	vmm_mem_t *gmc;		/* two adjacent regions */
	vmm_mem_t *gm256;	/* 256 regions, never touched */
	vmm_mem_t *gmb;		/* main layout, dirty log on */
	vmm_mem_t *gmh;		/* 1 GiB of regions for harvesting */
	/* snapshots of gm, gmc, gm256, gmb: the anchor's workloads run on
	 * them (vm-memory's GuestMemoryMmap); *_live on the handles */
	vmm_mem_snapshot_t *sm, *smc, *sm256, *smb;

	uint64_t *a8, *a4, *a64, *a4k, *a1m, *a256;
	uintptr_t p_hot, *p8, *p4, *p4k, *p1m;
	uintptr_t *m8, *m4k;	/* p8 and p4k masked with PTR_MASK */

	uint8_t *src4k, *src1m;
	uint8_t *buf4k, *buf1m, *buf8k;
	uint8_t *base_src4k, *base_dst4k, *base_src1m, *base_dst1m;

	int fd;			/* the page-cached file, or -1 */
	uint64_t file_len;
	uint8_t *file_buf;	/* baseline_read_file */

	/* vhost-user rows */
	vmm_mem_t *gv4, *gv509;	/* 4 and 509 regions with VUAs */
	uint64_t *vua4, *vua509, *gpa4, *gpa509;
	vmm_mem_t *gsl;		/* main layout, shared log attached */
	uint8_t *shared_log;
	vmm_mem_t *gio;		/* IOVA view of gm, 64 entries */
	uint64_t *iova8;	/* a8 in IOVA space */

	uint64_t *harvest_pages;	/* pages marked before each harvest */
	size_t harvest_n;
	uint64_t *harvest_bitmap;

	/* Hot-plug statistics: operations while measuring and their rate;
	 * time spent in add and remove over every run. */
	uint64_t hp_ops;
	uint64_t hp_ns;
	uint64_t hp_all_ops;
	uint64_t hp_add_ns, hp_remove_ns;
} S = { .fd = -1 };

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A failed call inside a workload ends the run, as the anchor's unwrap(). */
static void __attribute__((noreturn, cold)) die(const char *what, long rc)
{
	fflush(stdout);
	fprintf(stderr, "vmmem: bench: %s failed: %s\n", what,
		rc < 0 ? strerror((int)-rc) : "unexpected result");
	exit(VMMEM_EXIT_FAIL);
}

#define CHECK(rc, what)                                                       \
	do {                                                                  \
		long rc_ = (long)(rc);                                        \
		if (bench_unlikely(rc_ != 0))                                 \
			die(what, rc_);                                       \
	} while (0)

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("malloc", -ENOMEM);
	return p;
}

/* xorshift64 (Marsaglia, shifts 13/7/17). */
static uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/*
 * N_ADDRS guest addresses: for each, draw r1 and pick the region
 * eligible[r1 % eligible count] (the regions at least @size long, in layout
 * order), then draw r2 and take offset (r2 % ((len - size) / align + 1)) *
 * align.  Regions are picked uniformly and no access crosses a region end.
 */
static uint64_t *gen_addrs(const struct range *layout, size_t n,
			   uint64_t size, uint64_t align, uint64_t seed)
{
	struct range *el = xmalloc(n * sizeof(*el));
	uint64_t *v = xmalloc(N_ADDRS * sizeof(*v));
	uint64_t state = seed;
	size_t ne = 0, i;

	for (i = 0; i < n; i++)
		if (layout[i].len >= size)
			el[ne++] = layout[i];
	if (!ne)
		die("gen_addrs: no region holds the size", -EINVAL);
	for (i = 0; i < N_ADDRS; i++) {
		const struct range *r = &el[xorshift64(&state) % ne];
		uint64_t slots = (r->len - size) / align + 1;

		v[i] = r->gpa + (xorshift64(&state) % slots) * align;
	}
	free(el);
	return v;
}

/* Host pointers of an address list, for the raw baselines. */
static uintptr_t *host_ptrs(vmm_mem_t *mem, const uint64_t *a)
{
	uintptr_t *p = xmalloc(N_ADDRS * sizeof(*p));
	size_t i;

	for (i = 0; i < N_ADDRS; i++) {
		void *h;

		CHECK(vmm_mem_get_host_address(mem, a[i], &h),
		      "vmm_mem_get_host_address");
		p[i] = (uintptr_t)h;
	}
	return p;
}

static uintptr_t *masked(const uintptr_t *p)
{
	uintptr_t *m = xmalloc(N_ADDRS * sizeof(*m));
	size_t i;

	for (i = 0; i < N_ADDRS; i++)
		m[i] = p[i] ^ PTR_MASK;
	return m;
}

static vmm_mem_t *new_mem(const struct range *layout, size_t n)
{
	struct vmm_mem_range *r = xmalloc(n * sizeof(*r));
	vmm_mem_t *mem;
	size_t i;

	for (i = 0; i < n; i++) {
		r[i].gpa = layout[i].gpa;
		r[i].size = layout[i].len;
	}
	CHECK(vmm_mem_new_from_ranges(&mem, r, n), "vmm_mem_new_from_ranges");
	free(r);
	return mem;
}

/*
 * Write every page of every region through the API (1 MiB chunks, non-zero
 * pattern) so that no workload measures page faults or the zero page.
 */
static void prefault(vmm_mem_t *mem)
{
	uint8_t *chunk = xmalloc(MIB);
	struct vmm_mem_region_info info;
	unsigned int k;
	uint64_t i;

	for (i = 0; i < MIB; i++)
		chunk[i] = (uint8_t)(i * 7 + 1);
	for (k = 0; vmm_mem_region_info(mem, k, &info, sizeof(info)) == 0;
	     k++) {
		uint64_t off;

		for (off = 0; off < info.size; off += MIB) {
			uint64_t n = info.size - off < MIB ? info.size - off :
							     MIB;

			CHECK(vmm_mem_write_exact(mem, info.gpa + off, chunk,
						  (size_t)n),
			      "prefault: vmm_mem_write_exact");
		}
	}
	free(chunk);
}

/*
 * Copy buffers, for the library and the baselines alike, are page-aligned:
 * a copy's speed can depend on its destination's offset from its source
 * modulo 4096 (4K aliasing), and malloc()'s arbitrary offsets would give
 * each buffer its own penalty, so that a C/limit ratio would partly measure
 * the allocator.  Guest buffers are pages in a VMM anyway.
 */
static void *xmalloc_pages(size_t n)
{
	void *p = aligned_alloc(4096, (n + 4095) & ~(size_t)4095);

	if (!p)
		die("aligned_alloc", -ENOMEM);
	return p;
}

static uint8_t *pattern(size_t n, unsigned int mul, unsigned int add)
{
	uint8_t *p = xmalloc_pages(n);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * mul + add);
	return p;
}

static uint8_t *zeroed(size_t n)
{
	uint8_t *p = xmalloc_pages(n);

	memset(p, 0, n);	/* fault the pages in now */
	return p;
}

/* ------------------------------------------------------------------------ */
/* Set-up, done only for the workloads the filter keeps                      */
/* ------------------------------------------------------------------------ */

static void setup_main(void)
{
	uint64_t v = 0;
	void *hot;

	S.layout[0] = (struct range){ 0, 640 * KIB };
	S.layout[1] = (struct range){ MIB, S.big };
	S.layout[2] = (struct range){ 4 * GIB, S.big };
	S.layout[3] = (struct range){ 8 * GIB, S.big };
	S.gm = new_mem(S.layout, 4);
	prefault(S.gm);
	CHECK(vmm_mem_snapshot_get(S.gm, &S.sm), "vmm_mem_snapshot_get");

	S.a8 = gen_addrs(S.layout, 4, 8, 8, SEED);
	S.a4 = gen_addrs(S.layout, 4, 4, 4, SEED ^ 0x4);
	S.a64 = gen_addrs(S.layout, 4, 64, 64, SEED ^ 0x40);
	S.a4k = gen_addrs(S.layout, 4, 4 * KIB, 4 * KIB, SEED ^ 0x1000);
	S.a1m = gen_addrs(S.layout, 4, MIB, 4 * KIB, SEED ^ 0x100000);

	/* Sanity check of the semantics being measured. */
	CHECK(vmm_mem_write_u64(S.gm, S.a8[0], 0x1122334455667788ull),
	      "vmm_mem_write_u64");
	CHECK(vmm_mem_read_u64(S.gm, S.a8[0], &v), "vmm_mem_read_u64");
	if (v != 0x1122334455667788ull)
		die("read back of vmm_mem_write_u64", 1);

	S.src4k = pattern(4096, 1, 0);
	S.src1m = pattern(MIB, 13, 0);
	S.buf4k = zeroed(4096);
	S.buf1m = zeroed(MIB);

	CHECK(vmm_mem_get_host_address(S.gm, MIB + 0x1000, &hot),
	      "vmm_mem_get_host_address");
	S.p_hot = (uintptr_t)hot;
	S.p8 = host_ptrs(S.gm, S.a8);
	S.p4 = host_ptrs(S.gm, S.a4);
	S.p4k = host_ptrs(S.gm, S.a4k);
	S.p1m = host_ptrs(S.gm, S.a1m);
}

static void setup_cross(void)
{
	const uint64_t at = 16 * GIB + MIB - 4 * KIB;
	uint8_t *pat, *buf;
	size_t i;

	if (S.gmc)
		return;
	S.cross[0] = (struct range){ 16 * GIB, MIB };
	S.cross[1] = (struct range){ 16 * GIB + MIB, MIB };
	S.gmc = new_mem(S.cross, 2);
	prefault(S.gmc);
	CHECK(vmm_mem_snapshot_get(S.gmc, &S.smc), "vmm_mem_snapshot_get");
	pat = xmalloc(8192);
	for (i = 0; i < 8192; i++)
		pat[i] = (uint8_t)(i % 251);
	S.buf8k = zeroed(8192);
	buf = S.buf8k;
	CHECK(vmm_mem_write_exact(S.gmc, at, pat, 8192), "vmm_mem_write_exact");
	CHECK(vmm_mem_read_exact(S.gmc, at, buf, 8192), "vmm_mem_read_exact");
	if (memcmp(buf, pat, 8192))
		die("cross-region read back", 1);
	free(pat);
}

static void setup_256(void)
{
	size_t i;

	if (S.gm256)
		return;
	for (i = 0; i < 256; i++)
		S.layout256[i] = (struct range){ i * 4 * MIB, 2 * MIB };
	S.gm256 = new_mem(S.layout256, 256);
	if (vmm_mem_num_regions(S.gm256) != 256)
		die("vmm_mem_num_regions of the 256-region memory", 1);
	S.a256 = gen_addrs(S.layout256, 256, 8, 8, SEED ^ 0x256);
	CHECK(vmm_mem_snapshot_get(S.gm256, &S.sm256), "vmm_mem_snapshot_get");
}

static void setup_dirty(void)
{
	uint64_t probe;
	uint64_t bm;

	if (S.gmb)
		return;
	S.gmb = new_mem(S.layout, 4);
	prefault(S.gmb);
	CHECK(vmm_mem_dirty_log_start(S.gmb, 4096), "vmm_mem_dirty_log_start");
	/* Check that the log really records writes, then clean it. */
	probe = S.a4k[0];
	CHECK(vmm_mem_write_exact(S.gmb, probe, S.src4k, 4096),
	      "vmm_mem_write_exact");
	if (vmm_mem_dirty_log_test(S.gmb, probe) != 1)
		die("a write did not mark its page dirty", 1);
	if (vmm_mem_dirty_log_get(S.gmb, probe, 1, &bm,
				  VMM_MEM_DIRTY_LOG_CLEAR) != 1 || bm != 1)
		die("vmm_mem_dirty_log_get of the probe page", 1);
	if (vmm_mem_dirty_log_test(S.gmb, probe) != 0)
		die("vmm_mem_dirty_log_get did not clear the probe page", 1);
	CHECK(vmm_mem_snapshot_get(S.gmb, &S.smb), "vmm_mem_snapshot_get");
}

static void setup_file(void)
{
	const char *dir = getenv("VMB_TMPDIR");
	uint8_t *chunk;
	uint64_t done = 0, i;
	char *path;
	uint8_t b;

	if (S.fd >= 0)
		return;
	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	S.file_len = S.big < 64 * MIB ? S.big : 64 * MIB;
	if (asprintf(&path, "%s/vmmem-bench-XXXXXX", dir) < 0)
		die("asprintf", -ENOMEM);
	S.fd = mkstemp(path);
	if (S.fd < 0)
		die("mkstemp", -errno);
	unlink(path);	/* the open descriptor keeps the file */
	free(path);
	chunk = pattern(MIB, 31, 7);
	for (i = 0; i < S.file_len / MIB; i++) {
		size_t off = 0;

		while (off < MIB) {
			ssize_t n = write(S.fd, chunk + off, MIB - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("write of the bench file",
				    n < 0 ? -errno : 1);
			off += (size_t)n;
		}
	}
	free(chunk);
	if (lseek(S.fd, 0, SEEK_SET) != 0)
		die("lseek", -errno);
	/* Also warms the page cache. */
	CHECK(vmm_mem_read_exact_from_fd(S.gm, MIB, S.fd, S.file_len, &done),
	      "vmm_mem_read_exact_from_fd");
	if (done != S.file_len)
		die("vmm_mem_read_exact_from_fd count", 1);
	CHECK(vmm_mem_read_u8(S.gm, MIB + 1, &b), "vmm_mem_read_u8");
	if (b != 38)
		die("file contents in guest memory", 1);
	S.file_buf = zeroed((size_t)S.file_len);
}

static void setup_baselines(void)
{
	if (S.base_src4k)
		return;
	S.base_src4k = xmalloc_pages(4096);
	memset(S.base_src4k, 0x5a, 4096);
	S.base_dst4k = zeroed(4096);
	S.base_src1m = xmalloc_pages(MIB);
	memset(S.base_src1m, 0x5a, MIB);
	S.base_dst1m = zeroed(MIB);
	S.m8 = masked(S.p8);
	S.m4k = masked(S.p4k);
}

static void setup_harvest(void)
{
	struct range l[HARVEST_REGIONS];
	uint64_t *seen, state = SEED ^ 0xd1d1;
	size_t i, want = HARVEST_PAGES / 100;	/* 1% */

	if (S.gmh)
		return;
	for (i = 0; i < HARVEST_REGIONS; i++)
		l[i] = (struct range){ i * HARVEST_REGION_SIZE,
				       HARVEST_REGION_SIZE };
	S.gmh = new_mem(l, HARVEST_REGIONS);	/* never touched */
	CHECK(vmm_mem_dirty_log_start(S.gmh, HARVEST_PAGE),
	      "vmm_mem_dirty_log_start");
	/* 1% of the pages, distinct, scattered with xorshift64. */
	seen = calloc(HARVEST_PAGES / 64, sizeof(*seen));
	if (!seen)
		die("calloc", -ENOMEM);
	S.harvest_pages = xmalloc(want * sizeof(*S.harvest_pages));
	while (S.harvest_n < want) {
		uint64_t p = xorshift64(&state) % HARVEST_PAGES;

		if (seen[p / 64] & (1ull << (p % 64)))
			continue;
		seen[p / 64] |= 1ull << (p % 64);
		S.harvest_pages[S.harvest_n++] = p;
	}
	free(seen);
	S.harvest_bitmap = (uint64_t *)zeroed(HARVEST_PAGES / 64 *
					      sizeof(uint64_t));
}

/* ------------------------------------------------------------------------ */
/* Workloads: each runs its operation n times and returns the ns it took     */
/* ------------------------------------------------------------------------ */

/* read_obj::<u64> over the u64 list, from list position @start. */
static inline void read_u64_loop(vmm_mem_t *gm, const uint64_t *a,
				 uint64_t start, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t v;

		CHECK(vmm_mem_read_u64(gm, a[(start + i) & MASK], &v),
		      "vmm_mem_read_u64");
		KEEP(v);
	}
}

static uint64_t w_read_obj_u64_random_live(uint64_t n)
{
	vmm_mem_t *gm = S.gm;
	const uint64_t *a = S.a8;
	uint64_t t0 = now_ns();

	read_u64_loop(gm, a, 0, n);
	return now_ns() - t0;
}

static inline void write_u64_loop(vmm_mem_t *gm, const uint64_t *a,
				  uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		CHECK(vmm_mem_write_u64(gm, a[i & MASK], i),
		      "vmm_mem_write_u64");
}

static uint64_t w_write_obj_u64_random_live(uint64_t n)
{
	vmm_mem_t *gm = S.gm;
	const uint64_t *a = S.a8;
	uint64_t t0 = now_ns();

	write_u64_loop(gm, a, n);
	return now_ns() - t0;
}

static uint64_t w_read_obj_u64_same_live(uint64_t n)
{
	vmm_mem_t *gm = S.gm;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		uint64_t v, hot = MIB + 0x1000;

		LAUNDER(hot);
		CHECK(vmm_mem_read_u64(gm, hot, &v), "vmm_mem_read_u64");
		KEEP(v);
	}
	return now_ns() - t0;
}

/*
 * The loops that a snapshot row shares with its _live twin: @src is the
 * snapshot or, with @live, the handle.  @live is a constant in every call,
 * so each row compiles to a direct call of its own function.
 */
static inline __attribute__((always_inline)) uint64_t
read_slice_loop(const void *src, bool live, const uint64_t *a, uint8_t *buf,
		size_t len, uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		CHECK(live ? vmm_mem_read_exact((vmm_mem_t *)src, a[i & MASK],
						buf, len) :
			     vmm_mem_snapshot_read_exact(src, a[i & MASK], buf,
							 len),
		      live ? "vmm_mem_read_exact" :
			     "vmm_mem_snapshot_read_exact");
		KEEP_MEM(buf);
	}
	return now_ns() - t0;
}

static inline __attribute__((always_inline)) uint64_t
load_u32_loop(const void *src, bool live, uint64_t n)
{
	const uint64_t *a = S.a4;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		uint64_t v;

		CHECK(live ? vmm_mem_load((vmm_mem_t *)src, a[i & MASK], 4, &v,
					  VMM_MEM_ORDER_ACQUIRE) :
			     vmm_mem_snapshot_load(src, a[i & MASK], 4, &v,
						   VMM_MEM_ORDER_ACQUIRE),
		      live ? "vmm_mem_load" : "vmm_mem_snapshot_load");
		KEEP(v);
	}
	return now_ns() - t0;
}

static inline __attribute__((always_inline)) uint64_t
store_u32_loop(const void *src, bool live, uint64_t n)
{
	const uint64_t *a = S.a4;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++)
		CHECK(live ? vmm_mem_store((vmm_mem_t *)src, a[i & MASK], 4,
					   (uint32_t)i, VMM_MEM_ORDER_RELEASE) :
			     vmm_mem_snapshot_store(src, a[i & MASK], 4,
						    (uint32_t)i,
						    VMM_MEM_ORDER_RELEASE),
		      live ? "vmm_mem_store" : "vmm_mem_snapshot_store");
	return now_ns() - t0;
}

static uint64_t w_read_slice_64B_live(uint64_t n)
{
	uint8_t buf[64];

	return read_slice_loop(S.gm, true, S.a64, buf, sizeof(buf), n);
}

static inline uint64_t write_slice_loop(const vmm_mem_snapshot_t *sm,
					const uint64_t *a, const uint8_t *src,
					size_t len, uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		const uint8_t *s = src;

		LAUNDER(s);
		CHECK(vmm_mem_snapshot_write_exact(sm, a[i & MASK], s, len),
		      "vmm_mem_snapshot_write_exact");
	}
	return now_ns() - t0;
}

static uint64_t w_read_slice_4KiB(uint64_t n)
{
	return read_slice_loop(S.sm, false, S.a4k, S.buf4k, 4096, n);
}

static uint64_t w_read_slice_4KiB_live(uint64_t n)
{
	return read_slice_loop(S.gm, true, S.a4k, S.buf4k, 4096, n);
}

static uint64_t w_write_slice_4KiB(uint64_t n)
{
	return write_slice_loop(S.sm, S.a4k, S.src4k, 4096, n);
}

static uint64_t w_read_slice_1MiB(uint64_t n)
{
	return read_slice_loop(S.sm, false, S.a1m, S.buf1m, MIB, n);
}

static uint64_t w_write_slice_1MiB(uint64_t n)
{
	return write_slice_loop(S.sm, S.a1m, S.src1m, MIB, n);
}

static uint64_t w_cross_region_read_8KiB(uint64_t n)
{
	const vmm_mem_snapshot_t *sm = S.smc;
	uint8_t *buf = S.buf8k;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		uint64_t at = 16 * GIB + MIB - 4 * KIB;

		LAUNDER(at);
		CHECK(vmm_mem_snapshot_read_exact(sm, at, buf, 8192),
		      "vmm_mem_snapshot_read_exact");
		KEEP_MEM(buf);
	}
	return now_ns() - t0;
}

/*
 * find_region: vmm_mem_region_info_at() is the libvmmem call with
 * find_region's meaning (it hands back the region holding the address).
 * vmm_mem_address_in_range() does the same lookup without copying the
 * region's description out and is the cheapest lookup in the API, but it
 * answers a yes/no question, which is what address_in_range is for.
 */
static inline uint64_t find_loop(vmm_mem_t *gm, const uint64_t *a, uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		struct vmm_mem_region_info info;

		CHECK(vmm_mem_region_info_at(gm, a[i & MASK], &info,
					     sizeof(info)),
		      "vmm_mem_region_info_at");
		KEEP(info.hva);
	}
	return now_ns() - t0;
}

static uint64_t w_find_region_random_4_live(uint64_t n)
{
	return find_loop(S.gm, S.a8, n);
}

/* Not in the anchor: the lookup alone, without the description. */
static uint64_t w_address_in_range_random_4(uint64_t n)
{
	vmm_mem_t *gm = S.gm;
	const uint64_t *a = S.a8;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++)
		if (bench_unlikely(vmm_mem_address_in_range(gm, a[i & MASK]) !=
				   1))
			die("vmm_mem_address_in_range", 1);
	return now_ns() - t0;
}

static uint64_t w_find_region_random_256_live(uint64_t n)
{
	return find_loop(S.gm256, S.a256, n);
}

static uint64_t w_load_u32_acquire_live(uint64_t n)
{
	return load_u32_loop(S.gm, true, n);
}

static uint64_t w_store_u32_release_live(uint64_t n)
{
	return store_u32_loop(S.gm, true, n);
}

/* ---- the same accesses through a snapshot ---- */

/* read_u64_loop() on a snapshot. */
static inline void snap_read_u64_loop(const vmm_mem_snapshot_t *sm,
				      const uint64_t *a, uint64_t start,
				      uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t v;

		CHECK(vmm_mem_snapshot_read_exact(sm, a[(start + i) & MASK],
						  &v, 8),
		      "vmm_mem_snapshot_read_exact");
		KEEP(v);
	}
}

static uint64_t w_read_obj_u64_random(uint64_t n)
{
	uint64_t t0 = now_ns();

	snap_read_u64_loop(S.sm, S.a8, 0, n);
	return now_ns() - t0;
}

static inline uint64_t snap_write_u64_loop(const vmm_mem_snapshot_t *sm,
					   uint64_t n)
{
	const uint64_t *a = S.a8;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++)
		CHECK(vmm_mem_snapshot_write_exact(sm, a[i & MASK], &i, 8),
		      "vmm_mem_snapshot_write_exact");
	return now_ns() - t0;
}

static uint64_t w_write_obj_u64_random(uint64_t n)
{
	return snap_write_u64_loop(S.sm, n);
}

static uint64_t w_write_obj_u64_random_dirty(uint64_t n)
{
	return snap_write_u64_loop(S.smb, n);
}

static uint64_t w_read_obj_u64_same(uint64_t n)
{
	const vmm_mem_snapshot_t *sm = S.sm;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		uint64_t v, hot = MIB + 0x1000;

		LAUNDER(hot);
		CHECK(vmm_mem_snapshot_read_exact(sm, hot, &v, 8),
		      "vmm_mem_snapshot_read_exact");
		KEEP(v);
	}
	return now_ns() - t0;
}

static uint64_t w_read_slice_64B(uint64_t n)
{
	uint8_t buf[64];

	return read_slice_loop(S.sm, false, S.a64, buf, sizeof(buf), n);
}

/* find_region hands back the region: here its index in the snapshot,
 * from which vmm_mem_snapshot_region_info() describes it. */
static inline uint64_t snap_find_loop(const vmm_mem_snapshot_t *sm,
				      const uint64_t *a, uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		int k = vmm_mem_snapshot_find_region(sm, a[i & MASK]);

		if (bench_unlikely(k < 0))
			die("vmm_mem_snapshot_find_region", -k);
		KEEP(k);
	}
	return now_ns() - t0;
}

static uint64_t w_find_region_random_4(uint64_t n)
{
	return snap_find_loop(S.sm, S.a8, n);
}

static uint64_t w_find_region_random_256(uint64_t n)
{
	return snap_find_loop(S.sm256, S.a256, n);
}

static uint64_t w_load_u32_acquire(uint64_t n)
{
	return load_u32_loop(S.sm, false, n);
}

static uint64_t w_store_u32_release(uint64_t n)
{
	return store_u32_loop(S.sm, false, n);
}

static uint64_t w_write_slice_4KiB_dirty(uint64_t n)
{
	return write_slice_loop(S.smb, S.a4k, S.src4k, 4096, n);
}

static uint64_t w_read_from_file(uint64_t n)
{
	vmm_mem_t *gm = S.gm;
	uint64_t i, len = S.file_len, t0 = now_ns();
	int fd = S.fd;

	for (i = 0; i < n; i++) {
		uint64_t done;

		if (bench_unlikely(lseek(fd, 0, SEEK_SET) != 0))
			die("lseek", -errno);
		CHECK(vmm_mem_read_exact_from_fd(gm, MIB, fd, len, &done),
		      "vmm_mem_read_exact_from_fd");
		KEEP(done);
	}
	return now_ns() - t0;
}

/* ---- baselines ----------------------------------------------------------- */

/* The size goes through LAUNDER so that memcpy stays the C library's, the
 * same routine the library's copies end in. */
static inline uint64_t memcpy_loop(uint8_t *dst, const uint8_t *src,
				   size_t len, uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		const uint8_t *s = src;
		size_t l = len;

		LAUNDER(s);
		LAUNDER(l);
		memcpy(dst, s, l);
		KEEP_MEM(dst);
	}
	return now_ns() - t0;
}

static uint64_t w_baseline_memcpy_4KiB(uint64_t n)
{
	return memcpy_loop(S.base_dst4k, S.base_src4k, 4096, n);
}

static uint64_t w_baseline_memcpy_1MiB(uint64_t n)
{
	return memcpy_loop(S.base_dst1m, S.base_src1m, MIB, n);
}

static uint64_t w_baseline_rawptr_u64_read_same(uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		const volatile uint64_t *p = (const volatile uint64_t *)S.p_hot;

		LAUNDER(p);
		KEEP(*p);
	}
	return now_ns() - t0;
}

/*
 * The random-access baselines: host pointers from a list, XORed with @key
 * (a constant 0, folded away, for the raw lists; PTR_MASK, made opaque,
 * for the masked ones).
 */
static inline uint64_t ptr_u64_read_loop(const uintptr_t *p, uintptr_t key,
					 uint64_t n)
{
	uint64_t i, t0 = now_ns();

	if (key)
		LAUNDER(key);
	for (i = 0; i < n; i++)
		KEEP(*(const volatile uint64_t *)(p[i & MASK] ^ key));
	return now_ns() - t0;
}

/* @to_ptr: copy @buf to each pointer (write_slice's limit), else copy
 * each pointer's bytes into @buf (read_slice's). */
static inline uint64_t ptr_copy_loop(const uintptr_t *p, uintptr_t key,
				     uint8_t *buf, size_t len, bool to_ptr,
				     uint64_t n)
{
	uint64_t i, t0 = now_ns();

	if (key)
		LAUNDER(key);
	for (i = 0; i < n; i++) {
		void *h = (void *)(p[i & MASK] ^ key);
		size_t l = len;

		LAUNDER(l);
		if (to_ptr)
			memcpy(h, buf, l);
		else
			memcpy(buf, h, l);
		KEEP_MEM(buf);
	}
	return now_ns() - t0;
}

static uint64_t w_baseline_rawptr_u64_read_random(uint64_t n)
{
	return ptr_u64_read_loop(S.p8, 0, n);
}

/* store_u32_release's limit: a plain 4-byte store through the host
 * pointers of the u32 list (a release store is a plain store on x86). */
static uint64_t w_baseline_rawptr_u32_store_random(uint64_t n)
{
	const uintptr_t *p = S.p4;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++)
		__atomic_store_n((uint32_t *)p[i & MASK], (uint32_t)i,
				 __ATOMIC_RELEASE);
	return now_ns() - t0;
}

static uint64_t w_baseline_rawptr_read_4KiB_random(uint64_t n)
{
	return ptr_copy_loop(S.p4k, 0, S.base_dst4k, 4096, false, n);
}

static uint64_t w_baseline_rawptr_read_1MiB_random(uint64_t n)
{
	return ptr_copy_loop(S.p1m, 0, S.base_dst1m, MIB, false, n);
}

static uint64_t w_baseline_rawptr_write_4KiB_random(uint64_t n)
{
	return ptr_copy_loop(S.p4k, 0, S.src4k, 4096, true, n);
}

static uint64_t w_baseline_rawptr_write_1MiB_random(uint64_t n)
{
	return ptr_copy_loop(S.p1m, 0, S.src1m, MIB, true, n);
}

static uint64_t w_baseline_maskedptr_u64_read_random(uint64_t n)
{
	return ptr_u64_read_loop(S.m8, PTR_MASK, n);
}

static uint64_t w_baseline_maskedptr_read_4KiB_random(uint64_t n)
{
	return ptr_copy_loop(S.m4k, PTR_MASK, S.base_dst4k, 4096, false, n);
}

static uint64_t w_baseline_maskedptr_write_4KiB_random(uint64_t n)
{
	return ptr_copy_loop(S.m4k, PTR_MASK, S.src4k, 4096, true, n);
}

/* read(2) of the same page-cached file into a malloc'd buffer. */
static uint64_t w_baseline_read_file(uint64_t n)
{
	uint8_t *buf = S.file_buf;
	uint64_t i, len = S.file_len, t0 = now_ns();
	int fd = S.fd;

	for (i = 0; i < n; i++) {
		uint64_t off = 0;

		if (bench_unlikely(lseek(fd, 0, SEEK_SET) != 0))
			die("lseek", -errno);
		while (off < len) {
			ssize_t r = read(fd, buf + off, (size_t)(len - off));

			if (bench_unlikely(r <= 0)) {
				if (r < 0 && errno == EINTR)
					continue;
				die("read", r < 0 ? -errno : 1);
			}
			off += (uint64_t)r;
		}
		KEEP_MEM(buf);
	}
	return now_ns() - t0;
}

/* ---- beyond the anchor --------------------------------------------------- */

static struct {
	vmm_mem_t *mem;
	int stop;		/* atomic */
	uint64_t ops;		/* atomic: adds and removes done */
	uint64_t add_ns, remove_ns;	/* time spent in them (this run) */
} hp;

static void sleep_until(uint64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000ull),
			       (long)(t % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* Add, then remove, a 2 MiB anonymous region at 16 GiB: one operation every
 * HOTPLUG_PERIOD_NS, until told to stop (always after a remove). */
static void *hotplug_thread(void *arg)
{
	struct vmm_mem_region_desc d;
	uint64_t next = now_ns();

	(void)arg;
	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_ANON;
	d.gpa = HOTPLUG_GPA;
	d.size = HOTPLUG_SIZE;
	while (!__atomic_load_n(&hp.stop, __ATOMIC_ACQUIRE)) {
		uint64_t t = now_ns();

		CHECK(vmm_mem_add_region(hp.mem, &d, sizeof(d)),
		      "hotplug: vmm_mem_add_region");
		hp.add_ns += now_ns() - t;
		__atomic_add_fetch(&hp.ops, 1, __ATOMIC_RELEASE);
		next += HOTPLUG_PERIOD_NS;
		sleep_until(next);
		t = now_ns();
		CHECK(vmm_mem_remove_region(hp.mem, HOTPLUG_GPA, HOTPLUG_SIZE),
		      "hotplug: vmm_mem_remove_region");
		hp.remove_ns += now_ns() - t;
		__atomic_add_fetch(&hp.ops, 1, __ATOMIC_RELEASE);
		next += HOTPLUG_PERIOD_NS;
		t = now_ns();
		if (next < t)
			next = t;	/* fell behind: no burst */
		sleep_until(next);
	}
	return NULL;
}

/*
 * The snapshot way to read while regions come and go: refresh the snapshot
 * once per batch of accesses (here 16 reads, a few virtio requests' worth);
 * an unchanged memory costs one load and compare per batch.
 */
static void snap_read_u64_batches(vmm_mem_t *gm, const uint64_t *a,
				  uint64_t start, uint64_t n)
{
	vmm_mem_snapshot_t *sm = NULL;
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t v;

		if (!(i & 15) && bench_unlikely(vmm_mem_snapshot_refresh(gm,
									 &sm) <
						0))
			die("vmm_mem_snapshot_refresh", 1);
		CHECK(vmm_mem_snapshot_read_exact(sm, a[(start + i) & MASK],
						  &v, 8),
		      "vmm_mem_snapshot_read_exact");
		KEEP(v);
	}
	vmm_mem_snapshot_put(sm);
}

static void live_read_u64(vmm_mem_t *gm, const uint64_t *a, uint64_t start,
			  uint64_t n)
{
	read_u64_loop(gm, a, start, n);
}

static uint64_t hotplug_run(void (*reader)(vmm_mem_t *, const uint64_t *,
					   uint64_t, uint64_t),
			    uint64_t n)
{
	vmm_mem_t *gm = S.gm;
	const uint64_t *a = S.a8;
	uint64_t t0, t1, ops0;
	pthread_t th;
	int rc;

	hp.mem = gm;
	hp.add_ns = hp.remove_ns = 0;
	__atomic_store_n(&hp.stop, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&hp.ops, 0, __ATOMIC_RELEASE);
	rc = pthread_create(&th, NULL, hotplug_thread, NULL);
	if (rc)
		die("pthread_create", -rc);
	/* Measure only once the hot-plug traffic runs. */
	while (!__atomic_load_n(&hp.ops, __ATOMIC_ACQUIRE))
		sched_yield();
	ops0 = __atomic_load_n(&hp.ops, __ATOMIC_ACQUIRE);
	t0 = now_ns();
	reader(gm, a, 0, n);
	t1 = now_ns();
	S.hp_ops += __atomic_load_n(&hp.ops, __ATOMIC_ACQUIRE) - ops0;
	S.hp_ns += t1 - t0;
	__atomic_store_n(&hp.stop, 1, __ATOMIC_RELEASE);
	rc = pthread_join(th, NULL);
	if (rc)
		die("pthread_join", -rc);
	/* Every add is followed by a remove: ops / 2 of each. */
	S.hp_add_ns += hp.add_ns;
	S.hp_remove_ns += hp.remove_ns;
	S.hp_all_ops += __atomic_load_n(&hp.ops, __ATOMIC_ACQUIRE);
	return t1 - t0;
}

static uint64_t w_read_obj_u64_random_hotplug(uint64_t n)
{
	return hotplug_run(snap_read_u64_batches, n);
}

static uint64_t w_read_obj_u64_random_hotplug_live(uint64_t n)
{
	return hotplug_run(live_read_u64, n);
}

/* Two threads share n operations: a second thread walks the list from its
 * middle, this one from its start; ns per op is wall time / n. */
static struct {
	void (*loop)(uint64_t start, uint64_t n);
	uint64_t n;
	int ready;		/* atomic */
	int go;			/* atomic */
} two;

static void *second_thread(void *arg)
{
	(void)arg;
	__atomic_store_n(&two.ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&two.go, __ATOMIC_ACQUIRE))
		;
	two.loop(N_ADDRS / 2, two.n);
	return NULL;
}

static uint64_t two_threads(void (*loop)(uint64_t start, uint64_t n),
			    uint64_t n)
{
	uint64_t t0, t1;
	pthread_t th;
	int rc;

	two.loop = loop;
	two.n = n / 2;
	__atomic_store_n(&two.ready, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&two.go, 0, __ATOMIC_RELEASE);
	rc = pthread_create(&th, NULL, second_thread, NULL);
	if (rc)
		die("pthread_create", -rc);
	while (!__atomic_load_n(&two.ready, __ATOMIC_ACQUIRE))
		;
	t0 = now_ns();
	__atomic_store_n(&two.go, 1, __ATOMIC_RELEASE);
	loop(0, n - n / 2);
	rc = pthread_join(th, NULL);
	t1 = now_ns();
	if (rc)
		die("pthread_join", -rc);
	return t1 - t0;
}

static void read_u64_part(uint64_t start, uint64_t n)
{
	snap_read_u64_loop(S.sm, S.a8, start, n);
}

static void read_u64_part_live(uint64_t start, uint64_t n)
{
	read_u64_loop(S.gm, S.a8, start, n);
}

static uint64_t w_read_obj_u64_random_2threads(uint64_t n)
{
	return two_threads(read_u64_part, n);
}

static uint64_t w_read_obj_u64_random_2threads_live(uint64_t n)
{
	return two_threads(read_u64_part_live, n);
}

/* The machine's own scaling: raw pointer reads, same split. */
static void rawptr_part(uint64_t start, uint64_t n)
{
	const uintptr_t *p = S.p8;
	uint64_t i;

	for (i = 0; i < n; i++)
		KEEP(*(const volatile uint64_t *)p[(start + i) & MASK]);
}

static uint64_t w_baseline_rawptr_random_2threads(uint64_t n)
{
	return two_threads(rawptr_part, n);
}

static uint64_t w_map_unmap_4KiB(uint64_t n)
{
	vmm_mem_t *gm = S.gm;
	const uint64_t *a = S.a4k;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		vmm_mem_mapping_t *m;
		struct iovec iov;

		CHECK(vmm_mem_map(gm, a[i & MASK], 4096, VMM_MEM_MAP_WRITE, &m),
		      "vmm_mem_map");
		if (bench_unlikely(vmm_mem_mapping_iov(m, &iov, 1) != 1 ||
				   iov.iov_len != 4096))
			die("vmm_mem_mapping_iov", 1);
		*(volatile uint8_t *)iov.iov_base = (uint8_t)i;
		CHECK(vmm_mem_unmap(m, 4096), "vmm_mem_unmap");
	}
	return now_ns() - t0;
}

/* Mark 1% of the pages (not timed), then harvest and clear the whole 1 GiB
 * window (timed). */
static uint64_t w_dirty_harvest_1GiB(uint64_t n)
{
	vmm_mem_t *gm = S.gmh;
	uint64_t *bm = S.harvest_bitmap;
	uint64_t i, total = 0;
	size_t k;

	for (i = 0; i < n; i++) {
		uint64_t t0;
		int64_t got;

		for (k = 0; k < S.harvest_n; k++)
			CHECK(vmm_mem_dirty_log_mark(gm, S.harvest_pages[k] *
							     HARVEST_PAGE,
						     1),
			      "vmm_mem_dirty_log_mark");
		t0 = now_ns();
		got = vmm_mem_dirty_log_get(gm, 0, HARVEST_PAGES, bm,
					    VMM_MEM_DIRTY_LOG_CLEAR);
		total += now_ns() - t0;
		if (bench_unlikely(got != (int64_t)S.harvest_n))
			die("vmm_mem_dirty_log_get", got < 0 ? got : 1);
		KEEP_MEM(bm);
	}
	return total;
}

/* ---- vhost-user rows ----------------------------------------------------- */

#define VHOST_VUA_BASE 0x7f0000000000ull
#define IOVA_BASE 0x1000000000000ull
#define IOTLB_ENTRIES 64

/* @n 64 KiB regions, 64 KiB apart in GPA, with VUAs in a shuffled order;
 * random VUAs of them and their GPAs. */
static vmm_mem_t *vua_mem(unsigned int n, uint64_t **vuas, uint64_t **gpas)
{
	struct vmm_mem_region_desc d;
	uint64_t state = SEED ^ n;
	vmm_mem_t *m;
	unsigned int k;
	size_t i;

	CHECK(vmm_mem_new(&m), "vmm_mem_new");
	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_ANON;
	d.size = 0x10000;
	for (k = 0; k < n; k++) {
		d.gpa = (uint64_t)k * 0x20000;
		d.vua = VHOST_VUA_BASE + (uint64_t)((k * 7u) % n) * 0x100000;
		CHECK(vmm_mem_add_region(m, &d, sizeof(d)),
		      "vmm_mem_add_region");
	}
	*vuas = xmalloc(N_ADDRS * sizeof(**vuas));
	*gpas = xmalloc(N_ADDRS * sizeof(**gpas));
	for (i = 0; i < N_ADDRS; i++) {
		uint64_t r = xorshift64(&state), off = (r >> 20) % 0xfff8;

		k = (unsigned int)(r % n);
		(*vuas)[i] = VHOST_VUA_BASE + (uint64_t)((k * 7u) % n) * 0x100000 +
			     off;
		(*gpas)[i] = (uint64_t)k * 0x20000 + off;
	}
	return m;
}

static void setup_vua(void)
{
	if (S.gv4)
		return;
	S.gv4 = vua_mem(4, &S.vua4, &S.gpa4);
	S.gv509 = vua_mem(509, &S.vua509, &S.gpa509);
}

static inline uint64_t vua_loop(vmm_mem_t *m, const uint64_t *a, uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		uint64_t gpa, len = 64;

		CHECK(vmm_mem_vua_to_gpa(m, a[i & MASK], &gpa, &len),
		      "vmm_mem_vua_to_gpa");
		KEEP(gpa);
	}
	return now_ns() - t0;
}

static uint64_t w_vua_to_gpa_random_4(uint64_t n)
{
	return vua_loop(S.gv4, S.vua4, n);
}

static uint64_t w_vua_to_gpa_random_509(uint64_t n)
{
	return vua_loop(S.gv509, S.vua509, n);
}

static inline uint64_t hva_loop(vmm_mem_t *m, const uint64_t *a, uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		uint64_t len = 4096;
		void *h;

		CHECK(vmm_mem_gpa_to_hva(m, a[i & MASK], &len, &h),
		      "vmm_mem_gpa_to_hva");
		KEEP(h);
	}
	return now_ns() - t0;
}

static uint64_t w_gpa_to_hva_random_4(uint64_t n)
{
	return hva_loop(S.gv4, S.gpa4, n);
}

static uint64_t w_gpa_to_hva_random_509(uint64_t n)
{
	return hva_loop(S.gv509, S.gpa509, n);
}

/*
 * The main layout and a vhost-user shared log big enough for it.  The
 * *_sharedlog_live rows attach the log before they start the clock, the
 * *_nolog_live rows detach it: both run on the same memory and addresses.
 */
static void shared_log_set(bool on)
{
	static bool attached;
	struct vmm_mem_dirty_log_shared_desc d;

	if (on == attached)
		return;
	attached = on;
	if (!on) {
		CHECK(vmm_mem_dirty_log_detach(S.gsl),
		      "vmm_mem_dirty_log_detach");
		return;
	}
	memset(&d, 0, sizeof(d));
	d.fd = -1;
	d.addr = S.shared_log;
	d.size = (S.layout[3].gpa + S.layout[3].len) / 4096 / 8;
	CHECK(vmm_mem_dirty_log_attach(S.gsl, &d, sizeof(d)),
	      "vmm_mem_dirty_log_attach");
}

static void setup_shared_log(void)
{
	uint64_t size = (S.layout[3].gpa + S.layout[3].len) / 4096 / 8;

	if (S.gsl)
		return;
	S.gsl = new_mem(S.layout, 4);
	prefault(S.gsl);
	S.shared_log = xmalloc_pages((size_t)size);
	memset(S.shared_log, 0, (size_t)size);
	shared_log_set(true);
	CHECK(vmm_mem_write_u64(S.gsl, S.a8[0], 1), "vmm_mem_write_u64");
	if (!((S.shared_log[S.a8[0] / 4096 / 8] >> (S.a8[0] / 4096 % 8)) & 1))
		die("a write did not mark the shared log", 1);
}

static inline uint64_t write_4k_live_loop(vmm_mem_t *gm, uint64_t n)
{
	const uint64_t *a = S.a4k;
	const uint8_t *src = S.src4k;
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++)
		CHECK(vmm_mem_write_exact(gm, a[i & MASK], src, 4096),
		      "vmm_mem_write_exact");
	return now_ns() - t0;
}

static uint64_t w_write_slice_4KiB_nolog_live(uint64_t n)
{
	shared_log_set(false);
	return write_4k_live_loop(S.gsl, n);
}

static uint64_t w_write_slice_4KiB_sharedlog_live(uint64_t n)
{
	shared_log_set(true);
	return write_4k_live_loop(S.gsl, n);
}

static uint64_t write_u64_gsl(bool log, uint64_t n)
{
	uint64_t t0;

	shared_log_set(log);
	t0 = now_ns();
	write_u64_loop(S.gsl, S.a8, n);
	return now_ns() - t0;
}

static uint64_t w_write_obj_u64_random_nolog_live(uint64_t n)
{
	return write_u64_gsl(false, n);
}

static uint64_t w_write_obj_u64_random_sharedlog_live(uint64_t n)
{
	return write_u64_gsl(true, n);
}

/*
 * A view of the main memory: 64 IOTLB entries over its regions (one for
 * the low region, 21 over each large one), packed back to back in IOVA
 * space from IOVA_BASE, as an IOMMU driver's allocator hands IOVAs out;
 * the u64 address list translated into it.
 */
static void setup_iova(void)
{
	uint64_t gpa[IOTLB_ENTRIES], len[IOTLB_ENTRIES], iova[IOTLB_ENTRIES];
	uint64_t next = IOVA_BASE;
	size_t r, k, i, e = 0;

	if (S.gio)
		return;
	CHECK(vmm_mem_new_iova_view(S.gm, &S.gio), "vmm_mem_new_iova_view");
	for (r = 0; r < 4; r++) {
		size_t parts = r ? (IOTLB_ENTRIES - 1) / 3 : 1;
		uint64_t chunk = (S.layout[r].len / parts) & ~0xfffull;

		for (k = 0; k < parts; k++, e++) {
			uint64_t off = k * chunk;

			gpa[e] = S.layout[r].gpa + off;
			len[e] = k + 1 < parts ? chunk : S.layout[r].len - off;
			iova[e] = next;
			next += len[e];
			CHECK(vmm_mem_iotlb_update(S.gio, iova[e], len[e], gpa[e],
						   VMM_MEM_IOTLB_READ |
							   VMM_MEM_IOTLB_WRITE),
			      "vmm_mem_iotlb_update");
		}
	}
	if (vmm_mem_num_regions(S.gio) != IOTLB_ENTRIES)
		die("the IOVA view's entries", vmm_mem_num_regions(S.gio));
	S.iova8 = xmalloc(N_ADDRS * sizeof(*S.iova8));
	for (i = 0; i < N_ADDRS; i++) {
		for (e = 0; e < IOTLB_ENTRIES; e++)
			if (S.a8[i] - gpa[e] < len[e])
				break;
		if (e == IOTLB_ENTRIES)
			die("an address outside the IOTLB", 1);
		S.iova8[i] = iova[e] + (S.a8[i] - gpa[e]);
	}
}

static uint64_t w_read_obj_u64_random_iova_live(uint64_t n)
{
	uint64_t t0 = now_ns();

	read_u64_loop(S.gio, S.iova8, 0, n);
	return now_ns() - t0;
}

/* vmm_mem_new, 509 anonymous 2 GiB regions (1018 GiB of guest address
 * space, the classic KVM slot count; 1 MiB each on a 32-bit host),
 * vmm_mem_unref. */
static uint64_t w_create_509_regions(uint64_t n)
{
	struct vmm_mem_region_desc d;
	uint64_t i, t0 = now_ns();
	unsigned int k;

	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_ANON;
	d.size = MANY_REGION_SIZE;
	for (i = 0; i < n; i++) {
		vmm_mem_t *m;

		CHECK(vmm_mem_new(&m), "vmm_mem_new");
		for (k = 0; k < MANY_REGIONS; k++) {
			d.gpa = (uint64_t)k * MANY_REGION_SIZE;
			CHECK(vmm_mem_add_region(m, &d, sizeof(d)),
			      "vmm_mem_add_region");
		}
		vmm_mem_unref(m);
	}
	return now_ns() - t0;
}


/* ------------------------------------------------------------------------ */
/* Harness                                                                   */
/* ------------------------------------------------------------------------ */

struct workload {
	const char *name;	/* NULL: the name depends on the file size */
	uint64_t (*run)(uint64_t n);
	void (*setup)(void);	/* idempotent; may be NULL */
	uint64_t bytes;		/* bytes per op for GB/s, or 0 */
	uint64_t smoke_iters;
};

enum { BYTES_FILE = 1 };	/* .bytes placeholder: the file's length */

/* The anchor's workloads in its order, then the baselines, then ours. */
static const struct workload workloads[] = {
	{ "read_obj_u64_random", w_read_obj_u64_random, NULL, 0, 1000 },
	{ "write_obj_u64_random", w_write_obj_u64_random, NULL, 0, 1000 },
	{ "read_obj_u64_same", w_read_obj_u64_same, NULL, 0, 1000 },
	{ "read_slice_64B", w_read_slice_64B, NULL, 0, 1000 },
	{ "read_slice_4KiB", w_read_slice_4KiB, NULL, 0, 100 },
	{ "write_slice_4KiB", w_write_slice_4KiB, NULL, 0, 100 },
	{ "read_slice_1MiB", w_read_slice_1MiB, NULL, MIB, 4 },
	{ "write_slice_1MiB", w_write_slice_1MiB, NULL, MIB, 4 },
	{ "cross_region_read_8KiB", w_cross_region_read_8KiB, setup_cross, 0,
	  100 },
	{ "find_region_random_4", w_find_region_random_4, NULL, 0, 1000 },
	{ "find_region_random_256", w_find_region_random_256, setup_256, 0,
	  1000 },
	{ "load_u32_acquire", w_load_u32_acquire, NULL, 0, 1000 },
	{ "store_u32_release", w_store_u32_release, NULL, 0, 1000 },
	{ "write_slice_4KiB_dirty", w_write_slice_4KiB_dirty, setup_dirty, 0,
	  100 },
	{ "write_obj_u64_random_dirty", w_write_obj_u64_random_dirty,
	  setup_dirty, 0, 1000 },
	{ NULL /* read_from_file_<n>MiB */, w_read_from_file, setup_file,
	  BYTES_FILE, 1 },
	{ "baseline_memcpy_4KiB", w_baseline_memcpy_4KiB, setup_baselines, 0,
	  100 },
	{ "baseline_memcpy_1MiB", w_baseline_memcpy_1MiB, setup_baselines, MIB,
	  4 },
	{ "baseline_rawptr_u64_read_same", w_baseline_rawptr_u64_read_same,
	  NULL, 0, 1000 },
	{ "baseline_rawptr_u64_read_random", w_baseline_rawptr_u64_read_random,
	  NULL, 0, 1000 },
	{ "baseline_rawptr_read_4KiB_random",
	  w_baseline_rawptr_read_4KiB_random, setup_baselines, 0, 100 },
	{ "baseline_rawptr_read_1MiB_random",
	  w_baseline_rawptr_read_1MiB_random, setup_baselines, MIB, 4 },
	{ "baseline_rawptr_u32_store_random",
	  w_baseline_rawptr_u32_store_random, NULL, 0, 1000 },
	{ "baseline_rawptr_write_4KiB_random",
	  w_baseline_rawptr_write_4KiB_random, setup_baselines, 0, 100 },
	{ "baseline_rawptr_write_1MiB_random",
	  w_baseline_rawptr_write_1MiB_random, setup_baselines, MIB, 4 },
	{ "baseline_maskedptr_u64_read_random",
	  w_baseline_maskedptr_u64_read_random, setup_baselines, 0, 1000 },
	{ "baseline_maskedptr_read_4KiB_random",
	  w_baseline_maskedptr_read_4KiB_random, setup_baselines, 0, 100 },
	{ "baseline_maskedptr_write_4KiB_random",
	  w_baseline_maskedptr_write_4KiB_random, setup_baselines, 0, 100 },
	{ NULL /* baseline_read_file_<n>MiB */, w_baseline_read_file,
	  setup_file, BYTES_FILE, 1 },
	{ "read_obj_u64_random_hotplug", w_read_obj_u64_random_hotplug, NULL,
	  0, 1000 },
	{ "read_obj_u64_random_2threads", w_read_obj_u64_random_2threads,
	  NULL, 0, 1000 },
	{ "baseline_rawptr_random_2threads",
	  w_baseline_rawptr_random_2threads, NULL, 0, 1000 },
	{ "map_unmap_4KiB", w_map_unmap_4KiB, NULL, 0, 100 },
	{ "dirty_harvest_1GiB", w_dirty_harvest_1GiB, setup_harvest,
	  HARVEST_LEN, 2 },
	{ "create_509_regions", w_create_509_regions, NULL, 0, 1 },
	/* The same operations on the handle, each call in its own RCU
	 * read-side section (hot-plug safe call by call). */
	{ "read_obj_u64_random_live", w_read_obj_u64_random_live, NULL, 0,
	  1000 },
	{ "write_obj_u64_random_live", w_write_obj_u64_random_live, NULL, 0,
	  1000 },
	{ "read_obj_u64_same_live", w_read_obj_u64_same_live, NULL, 0, 1000 },
	{ "read_slice_64B_live", w_read_slice_64B_live, NULL, 0, 1000 },
	{ "read_slice_4KiB_live", w_read_slice_4KiB_live, NULL, 0, 100 },
	{ "find_region_random_4_live", w_find_region_random_4_live, NULL, 0,
	  1000 },
	{ "find_region_random_256_live", w_find_region_random_256_live,
	  setup_256, 0, 1000 },
	{ "address_in_range_random_4_live", w_address_in_range_random_4, NULL,
	  0, 1000 },
	{ "load_u32_acquire_live", w_load_u32_acquire_live, NULL, 0, 1000 },
	{ "store_u32_release_live", w_store_u32_release_live, NULL, 0, 1000 },
	{ "read_obj_u64_random_hotplug_live",
	  w_read_obj_u64_random_hotplug_live, NULL, 0, 1000 },
	{ "read_obj_u64_random_2threads_live",
	  w_read_obj_u64_random_2threads_live, NULL, 0, 1000 },
	/* vhost-user back ends: front-end translation, the shared dirty
	 * log, IOVA views (ratios against their plain rows at the end) */
	{ "vua_to_gpa_random_4", w_vua_to_gpa_random_4, setup_vua, 0, 1000 },
	{ "vua_to_gpa_random_509", w_vua_to_gpa_random_509, setup_vua, 0,
	  1000 },
	{ "gpa_to_hva_random_4", w_gpa_to_hva_random_4, setup_vua, 0, 1000 },
	{ "gpa_to_hva_random_509", w_gpa_to_hva_random_509, setup_vua, 0,
	  1000 },
	{ "write_slice_4KiB_nolog_live", w_write_slice_4KiB_nolog_live,
	  setup_shared_log, 0, 100 },
	{ "write_obj_u64_random_nolog_live", w_write_obj_u64_random_nolog_live,
	  setup_shared_log, 0, 1000 },
	{ "write_slice_4KiB_sharedlog_live", w_write_slice_4KiB_sharedlog_live,
	  setup_shared_log, 0, 100 },
	{ "write_obj_u64_random_sharedlog_live",
	  w_write_obj_u64_random_sharedlog_live, setup_shared_log, 0, 1000 },
	{ "read_obj_u64_random_iova_live", w_read_obj_u64_random_iova_live,
	  setup_iova, 0, 1000 },
};
#define N_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

struct run {
	const struct workload *w;
	char name[64];
	uint64_t bytes;
	uint64_t iters;
	double samples[REPS];
	unsigned int nsamples;
};

/* An iteration count for which one repetition takes about TARGET_REP. */
static uint64_t calibrate(const struct workload *w)
{
	uint64_t iters = 1;

	for (;;) {
		uint64_t t = w->run(iters);
		double factor, x;

		if (t >= TARGET_REP_NS)
			return iters;
		factor = (double)TARGET_REP_NS / (double)(t ? t : 1) * 1.05;
		if (factor < 1.5)
			factor = 1.5;
		if (factor > 1000.0)
			factor = 1000.0;
		x = (double)iters * factor;
		iters = (uint64_t)x;
		if ((double)iters < x)
			iters++;	/* ceil */
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Calibrate the workloads one after the other, then measure round-robin:
 * repetition k of every workload runs before repetition k + 1 of any, so a
 * short noisy period moves a median less.  A repetition shorter than
 * MIN_REP (the machine got faster) restarts that workload's series with
 * 1.5 times the iterations.
 */
static void measure(struct run *runs, size_t n, unsigned int reps)
{
	bool done;
	size_t i;

	for (i = 0; i < n; i++)
		runs[i].iters = S.smoke ? runs[i].w->smoke_iters :
					  calibrate(runs[i].w);
	do {
		done = true;
		for (i = 0; i < n; i++) {
			struct run *r = &runs[i];
			uint64_t t;

			if (r->nsamples >= reps)
				continue;
			done = false;
			t = r->w->run(r->iters);
			if (!S.smoke && t < MIN_REP_NS) {
				r->iters = r->iters * 3 / 2 + 1;
				r->nsamples = 0;
				continue;
			}
			r->samples[r->nsamples++] =
				(double)t / (double)r->iters;
		}
	} while (!done);
}

static void report(struct run *runs, size_t n, unsigned int reps)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct run *r = &runs[i];
		double med;

		qsort(r->samples, reps, sizeof(double), cmp_double);
		med = r->samples[reps / 2];
		if (r->bytes)
			printf("%s %.3f %.2f  # GB/s; reps=%u iters=%llu "
			       "min=%.3f max=%.3f\n",
			       r->name, med, (double)r->bytes / med, reps,
			       (unsigned long long)r->iters, r->samples[0],
			       r->samples[reps - 1]);
		else
			printf("%s %.3f  # reps=%u iters=%llu min=%.3f "
			       "max=%.3f\n",
			       r->name, med, reps, (unsigned long long)r->iters,
			       r->samples[0], r->samples[reps - 1]);
	}
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon && (!strncmp(line, "model name", 10) ||
			      !strncmp(line, "Model", 5) ||
			      !strncmp(line, "cpu model", 9))) {
			char *v = colon + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(buf, len, "%s", v);
			break;
		}
	}
	fclose(f);
}

static void header(unsigned int reps)
{
	struct utsname u;
	char cpu[200];

	cpu_model(cpu, sizeof(cpu));
	printf("# libvmmem %s benchmark (vmmem bench%s; headers %d.%d.%d)\n",
	       vmm_mem_version_string(), S.smoke ? " --smoke" : "",
	       VMM_MEM_VERSION_MAJOR, VMM_MEM_VERSION_MINOR,
	       VMM_MEM_VERSION_MICRO);
	printf("# machine: nproc=%ld cpu=\"%s\"", sysconf(_SC_NPROCESSORS_ONLN),
	       cpu);
	if (uname(&u) == 0)
		printf(" kernel=%s %s", u.sysname, u.release);
	printf("\n");
	printf("# layout: [0x0,+0xa0000) [0x100000,+0x%llx) "
	       "[0x100000000,+0x%llx) [0x200000000,+0x%llx)\n",
	       (unsigned long long)S.big, (unsigned long long)S.big,
	       (unsigned long long)S.big);
	printf("# addresses per workload=%u (xorshift64), reps=%u "
	       "(round-robin over workloads), min rep=%llu ms, host page "
	       "size=%ld\n",
	       N_ADDRS, reps, S.smoke ? 0ull : MIN_REP_NS / 1000000,
	       sysconf(_SC_PAGESIZE));
	printf("# columns: name ns_per_op [GB/s]  # extra info\n");
	printf("# the anchor's workloads run on snapshots "
	       "(vmm_mem_snapshot_*, vm-memory's GuestMemoryMmap); *_live: "
	       "the same calls on the handle, hot-plug safe call by call\n");
	if (S.smoke)
		printf("# smoke mode: one short repetition each; the figures "
		       "mean nothing\n");
	fflush(stdout);
}

static void notes(const struct run *runs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (runs[i].w->run == w_read_obj_u64_random_hotplug &&
		    S.hp_ns)
			printf("# read_obj_u64_random_hotplug*: %llu region "
			       "adds/removes at 0x%llx while measuring, %.0f "
			       "per second; the snapshot row refreshes its "
			       "snapshot every 16 reads\n",
			       (unsigned long long)S.hp_ops,
			       (unsigned long long)HOTPLUG_GPA,
			       (double)S.hp_ops * 1e9 / (double)S.hp_ns);
		if (runs[i].w->run == w_read_obj_u64_random_hotplug &&
		    S.hp_all_ops >= 2)
			printf("# read_obj_u64_random_hotplug*: mean latency "
			       "%.1f us per vmm_mem_add_region, %.1f us per "
			       "vmm_mem_remove_region (target period %llu "
			       "us)\n",
			       (double)S.hp_add_ns / 1e3 /
				       (double)(S.hp_all_ops / 2),
			       (double)S.hp_remove_ns / 1e3 /
				       (double)(S.hp_all_ops / 2),
			       HOTPLUG_PERIOD_NS / 1000);
		if (runs[i].w->run == w_dirty_harvest_1GiB)
			printf("# dirty_harvest_1GiB: %zu of %llu pages dirty "
			       "per op (marking not timed); GB/s of guest "
			       "memory scanned\n",
			       S.harvest_n, (unsigned long long)HARVEST_PAGES);
		if (runs[i].w->run == w_find_region_random_4)
			printf("# find_region_random_*: "
			       "vmm_mem_snapshot_find_region (the region's "
			       "index); *_live: vmm_mem_region_info_at (a copy "
			       "of its description); "
			       "address_in_range_random_4_live: "
			       "vmm_mem_address_in_range\n");
	}
}

/* The vhost-user rows as ratios to their plain counterparts, medians of
 * this run. */
static double median_of(const struct run *runs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(runs[i].name, name) && runs[i].nsamples)
			return runs[i].samples[runs[i].nsamples / 2];
	return 0;
}

static void ratios(const struct run *runs, size_t n)
{
	static const char *const pair[][3] = {
		{ "vua_to_gpa_random_509", "vua_to_gpa_random_4", "" },
		{ "gpa_to_hva_random_509", "gpa_to_hva_random_4", "" },
		{ "write_slice_4KiB_sharedlog_live",
		  "write_slice_4KiB_nolog_live", " (target <= 1.05)" },
		{ "write_obj_u64_random_sharedlog_live",
		  "write_obj_u64_random_nolog_live", "" },
		{ "read_obj_u64_random_iova_live", "read_obj_u64_random_live",
		  " (target <= 1.3)" },
	};
	size_t k;

	for (k = 0; k < sizeof(pair) / sizeof(pair[0]); k++) {
		double a = median_of(runs, n, pair[k][0]);
		double b = median_of(runs, n, pair[k][1]);

		if (a > 0 && b > 0)
			printf("# ratio %s / %s = %.3f%s\n", pair[k][0],
			       pair[k][1], a / b, pair[k][2]);
	}
}

static void cleanup(void)
{
	vmm_mem_unref(S.gio);
	vmm_mem_unref(S.gv4);
	vmm_mem_unref(S.gv509);
	vmm_mem_unref(S.gsl);
	free(S.shared_log);
	free(S.vua4);
	free(S.vua509);
	free(S.gpa4);
	free(S.gpa509);
	free(S.iova8);
	vmm_mem_snapshot_put(S.sm);
	vmm_mem_snapshot_put(S.smc);
	vmm_mem_snapshot_put(S.sm256);
	vmm_mem_snapshot_put(S.smb);
	vmm_mem_unref(S.gm);
	vmm_mem_unref(S.gmc);
	vmm_mem_unref(S.gm256);
	vmm_mem_unref(S.gmb);
	vmm_mem_unref(S.gmh);
	free(S.a8);
	free(S.a4);
	free(S.a64);
	free(S.a4k);
	free(S.a1m);
	free(S.a256);
	free(S.p8);
	free(S.p4);
	free(S.p4k);
	free(S.p1m);
	free(S.m8);
	free(S.m4k);
	free(S.src4k);
	free(S.src1m);
	free(S.buf4k);
	free(S.buf1m);
	free(S.buf8k);
	free(S.base_src4k);
	free(S.base_dst4k);
	free(S.base_src1m);
	free(S.base_dst1m);
	free(S.file_buf);
	free(S.harvest_pages);
	free(S.harvest_bitmap);
	if (S.fd >= 0)
		close(S.fd);
}

static void bench_usage(FILE *out)
{
	fputs("Usage: vmmem bench [--smoke] [FILTER]\n"
	      "Run the libvmmem micro-benchmarks whose name contains FILTER\n"
	      "(all by default); --smoke runs each once, briefly.\n"
	      "Environment: VMB_REGION_MIB (size of the three large regions,\n"
	      "default 256), VMB_TMPDIR (where the file workloads write).\n",
	      out);
}

int vmmem_bench(int argc, char **argv)
{
	const char *filter = NULL, *env;
	struct run *runs;
	unsigned int reps;
	size_t i, n = 0;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--smoke")) {
			S.smoke = true;
		} else if (!strcmp(argv[a], "--help") ||
			   !strcmp(argv[a], "-h")) {
			bench_usage(stdout);
			return VMMEM_EXIT_OK;
		} else if (argv[a][0] == '-' && argv[a][1]) {
			fprintf(stderr, "vmmem: bench: unknown option '%s'\n",
				argv[a]);
			bench_usage(stderr);
			return VMMEM_EXIT_USAGE;
		} else if (filter) {
			fprintf(stderr, "vmmem: bench: only one FILTER, got "
				"'%s' and '%s'\n", filter, argv[a]);
			return VMMEM_EXIT_USAGE;
		} else {
			filter = argv[a];
		}
	}
	reps = S.smoke ? 1 : REPS;
	S.big = (S.smoke ? 64 : 256) * MIB;
	env = getenv("VMB_REGION_MIB");
	if (env && *env) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);

		if (*end || v < 2 || v > 1024 * 1024) {
			fprintf(stderr, "vmmem: bench: VMB_REGION_MIB must be "
				"an integer >= 2\n");
			return VMMEM_EXIT_USAGE;
		}
		S.big = v * MIB;
	}
	S.file_len = S.big < 64 * MIB ? S.big : 64 * MIB;

	runs = calloc(N_WORKLOADS, sizeof(*runs));
	if (!runs) {
		fprintf(stderr, "vmmem: bench: out of memory\n");
		return VMMEM_EXIT_FAIL;
	}
	for (i = 0; i < N_WORKLOADS; i++) {
		const struct workload *w = &workloads[i];
		struct run *r = &runs[n];

		if (w->name)
			snprintf(r->name, sizeof(r->name), "%s", w->name);
		else
			snprintf(r->name, sizeof(r->name), "%s_%lluMiB",
				 w->run == w_read_from_file ? "read_from_file" :
				 "baseline_read_file",
				 (unsigned long long)(S.file_len / MIB));
		if (filter && !strstr(r->name, filter))
			continue;
		r->w = w;
		r->bytes = w->bytes == BYTES_FILE ? S.file_len : w->bytes;
		n++;
	}

	header(reps);
#ifdef VMMEM_TOOL_XEN
	if (vmmem_bench_xen(S.smoke, filter)) {
		free(runs);
		return VMMEM_EXIT_FAIL;
	}
	if (n == 0 && filter && strstr("xen_grant_read_64B xen_grant_read_4KiB",
				       filter)) {	/* only Xen rows */
		free(runs);
		return VMMEM_EXIT_OK;
	}
#endif
	setup_main();		/* always, as the anchor does */
	for (i = 0; i < n; i++)
		if (runs[i].w->setup)
			runs[i].w->setup();
	measure(runs, n, reps);
	report(runs, n, reps);
	notes(runs, n);
	ratios(runs, n);
	if (n == 0)
		printf("# no workload matches '%s'\n", filter);
	fflush(stdout);
	free(runs);
	cleanup();
	return ferror(stdout) ? VMMEM_EXIT_FAIL : VMMEM_EXIT_OK;
}
