/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vub-guest.c - the workload of the vhost-user-blk guest tests.  Built as a
 * static program: it runs inside the Linux guest (from the test's
 * initramfs) and on the host, where it checks the disk image afterwards.
 *
 *   vub-guest write DEV           known data at several offsets, O_DIRECT
 *                                 and buffered, then fsync (a FLUSH)
 *   vub-guest span DEV SPLIT      an 8 KiB O_DIRECT write and read whose
 *                                 buffer is the last guest page below GPA
 *                                 SPLIT and the first page at SPLIT: one
 *                                 physically contiguous segment, so one
 *                                 descriptor crossing two memory regions
 *   vub-guest loop DEV SECONDS SPLIT
 *                                 write, read back and check 64 KiB blocks
 *                                 for SECONDS of guest time, then check
 *                                 every block once more; the read buffer
 *                                 lies on frames below GPA SPLIT
 *   vub-guest verify IMAGE        the host side: is what `write` and `span`
 *                                 wrote in the image?
 *
 * Every line meant for the test starts with "VUB ".  Exit status 0 when
 * the check passed, 1 when it failed, 2 for usage errors, 3 when `span`
 * could not get the two pages (the test reports that apart).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define SPAN_OFF (2u << 20)	/* disk offset of the spanning transfer */
#define LOOP_OFF (4u << 20)	/* first block of the loop */
#define LOOP_BLOCK (64u << 10)
#define LOOP_SLOTS 16u

/* The byte that tag @tag puts at disk offset @off. */
static uint8_t pattern(uint64_t off, uint32_t tag)
{
	uint64_t x = (off >> 3) * 0x9e3779b97f4a7c15ull + tag * 0xbf58476d1ce4e5b9ull;

	return (uint8_t)((x >> 56) ^ (off & 7));
}

static void fill(uint8_t *p, uint64_t off, size_t len, uint32_t tag)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(off + i, tag);
}

/* Index of the first wrong byte, or -1. */
static long check(const uint8_t *p, uint64_t off, size_t len, uint32_t tag)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(off + i, tag))
			return (long)i;
	return -1;
}

/* The writes of `write`: offset, length, tag, O_DIRECT or not. */
static const struct {
	uint64_t off;
	uint32_t len, tag;
	int direct;
} writes[] = {
	{ 0, 4096, 1, 1 },
	{ 3 * 4096 + 512, 512, 2, 0 },
	{ 65536 - 1024, 8192, 3, 1 },
	{ (1u << 20) + 512, 3000, 4, 0 },
	{ (3u << 20) - 4096, 131072, 5, 1 },
};
#define SPAN_TAG 9

static void *aligned(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

/* pwrite (@wr) or pread exactly @len bytes; 0, or -1 after saying why. */
static int xio(int fd, void *p, size_t len, uint64_t off, int wr)
{
	ssize_t k = wr ? pwrite(fd, p, len, off) : pread(fd, p, len, off);

	if (k != (ssize_t)len) {
		printf("VUB FAIL %s %zu at %llu: %s\n", wr ? "pwrite" : "pread", len,
		       (unsigned long long)off, k < 0 ? strerror(errno) : "short");
		return -1;
	}
	return 0;
}
#define xpwrite(fd, p, len, off) xio(fd, p, len, off, 1)
#define xpread(fd, p, len, off) xio(fd, p, len, off, 0)

static int cmd_write(const char *dev)
{
	int fdd = open(dev, O_RDWR | O_DIRECT), fdb = open(dev, O_RDWR);
	uint8_t *buf = aligned(1 << 20);
	size_t i;

	if (fdd < 0 || fdb < 0) {
		printf("VUB FAIL open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		fill(buf, writes[i].off, writes[i].len, writes[i].tag);
		if (xpwrite(writes[i].direct ? fdd : fdb, buf, writes[i].len,
			    writes[i].off) < 0)
			return 1;
	}
	if (fsync(fdb) < 0 || fsync(fdd) < 0) {
		printf("VUB FAIL fsync: %s\n", strerror(errno));
		return 1;
	}
	/* Read everything back past the page cache. */
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		uint64_t a = writes[i].off & ~(uint64_t)4095;
		uint64_t e = (writes[i].off + writes[i].len + 4095) & ~(uint64_t)4095;

		if (xpread(fdd, buf, e - a, a) < 0)
			return 1;
		if (check(buf + (writes[i].off - a), writes[i].off, writes[i].len,
			  writes[i].tag) >= 0) {
			printf("VUB FAIL read back write %zu\n", i);
			return 1;
		}
	}
	printf("VUB write ok\n");
	return 0;
}

/* PFN of the page at @va, or 0 when not present. */
static uint64_t pfn_of(int pm, const void *va)
{
	uint64_t e;

	if (pread(pm, &e, 8, (uintptr_t)va / PAGE * 8) != 8 || !(e >> 63))
		return 0;
	return e & ((1ull << 55) - 1);
}

/* MemAvailable in bytes, 0 when unknown. */
static uint64_t mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb * 1024;
}

/* Write @val to the file @path; nothing when that fails. */
static void poke(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

#define GRAB_CHUNK (4u << 20)
#define GRAB_CHUNKS 64		/* at most 256 MiB, the guest's RAM */
#define GRAB_RESERVE (24u << 20)	/* left available to the kernel */

static void give_back(uint8_t **chunk, size_t n)
{
	while (n--)
		munmap(chunk[n], GRAB_CHUNK);
}

/*
 * Put @n pages on frames in [@lo, @hi) at *@x, a new mapping: take free
 * memory 4 MiB at a time, touching every page, and move each page on such
 * a frame into *@x, until all @n are there or only GRAB_RESERVE is left
 * available; the rest is given back.  When [@lo, @hi) is exactly @n
 * frames, each goes to its own place, so that *@x holds them in frame
 * order; otherwise they go one after the other.  The kernel hands out free
 * frames in an order of its own, so the search goes on until the frames
 * turn up rather than stopping at a fixed share of the memory.  @taken
 * receives the bytes taken.  0 when all were placed; 1 when memory ran
 * short first (nothing kept); -1 when a page could not be moved (errno).
 */
static int take_frames(int pm, size_t n, uint64_t lo, uint64_t hi,
		       uint8_t **x, size_t *taken)
{
	uint8_t *chunk[GRAB_CHUNKS];
	size_t k, i, got = 0;
	int ret = 0;

	*x = mmap(NULL, n * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*x == MAP_FAILED)
		return -1;
	for (k = 0; k < GRAB_CHUNKS && got < n && !ret; k++) {
		uint8_t *c;

		if (mem_available() < GRAB_RESERVE + GRAB_CHUNK)
			break;
		c = aligned(GRAB_CHUNK);
		chunk[k] = c;
		for (i = 0; i < GRAB_CHUNK && got < n && !ret; i += PAGE) {
			uint64_t p;
			uint8_t *to;

			c[i] = 1;
			p = pfn_of(pm, c + i);
			if (p < lo || p >= hi)
				continue;
			to = *x + (hi - lo == n ? p - lo : got) * PAGE;
			if (mremap(c + i, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
				   to) == MAP_FAILED || pfn_of(pm, to) != p)
				ret = -1;
			else
				got++;
		}
	}
	give_back(chunk, k);	/* the rest; the pages placed moved out */
	*taken = k * GRAB_CHUNK;
	if (!ret && got < n)
		ret = 1;
	if (ret)
		munmap(*x, n * PAGE);
	return ret;
}

/* One line saying what holds frame @pfn: its /proc/kpageflags bits. */
static void show_frame(uint64_t pfn)
{
	static const char *const name[] = {
		"locked", "error", "referenced", "uptodate", "dirty", "lru",
		"active", "slab", "writeback", "reclaim", "buddy", "mmap",
		"anon", "swapcache", "swapbacked", "compound_head",
		"compound_tail", "huge", "unevictable", "hwpoison", "nopage",
		"ksm", "thp", "offline", "zero_page", "idle", "pgtable",
	};
	int fd = open("/proc/kpageflags", O_RDONLY);
	uint64_t f = 0;
	unsigned i;

	if (fd < 0 || pread(fd, &f, 8, pfn * 8) != 8) {
		printf("VUB span: frame %#llx: no kpageflags\n", (unsigned long long)pfn);
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	printf("VUB span: frame %#llx flags %#llx:", (unsigned long long)pfn,
	       (unsigned long long)f);
	for (i = 0; i < sizeof(name) / sizeof(name[0]); i++)
		if (f >> i & 1)
			printf(" %s", name[i]);
	if (f >> 32 & 1)
		printf(" reserved");
	printf("\n");
}

static int cmd_span(const char *dev, uint64_t split)
{
	uint64_t want = split / PAGE - 1;
	uint8_t *x = NULL;
	int pm = open("/proc/self/pagemap", O_RDONLY), fd, try, ret = 1;
	size_t taken = 0;

	if (pm < 0) {
		printf("VUB span: no pagemap\n");
		return 3;
	}
	/*
	 * A frame another process holds stays where it is however much
	 * memory this one takes; compaction between the tries migrates
	 * movable pages out of the low part of the zone into the free frames
	 * near its top, which this search has just given back.
	 */
	for (try = 0; try < 8; try++) {
		poke("/proc/sys/vm/drop_caches", "3\n");
		ret = take_frames(pm, 2, want, want + 2, &x, &taken);
		if (ret <= 0)
			break;
		printf("VUB span: try %d: %zu MiB taken, frames not among them\n",
		       try + 1, taken >> 20);
		show_frame(want);
		show_frame(want + 1);
		poke("/proc/sys/vm/compact_memory", "1\n");
	}
	if (ret < 0) {
		printf("VUB FAIL span: cannot place the pages: %s\n", strerror(errno));
		return 1;
	}
	if (ret) {
		printf("VUB span: pages %#llx and %#llx not obtained\n",
		       (unsigned long long)want, (unsigned long long)want + 1);
		return 3;
	}
	printf("VUB span: frames found on try %d, %zu MiB taken\n", try + 1,
	       taken >> 20);
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		printf("VUB FAIL open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	fill(x, SPAN_OFF, 2 * PAGE, SPAN_TAG);
	if (xpwrite(fd, x, 2 * PAGE, SPAN_OFF) < 0 || fsync(fd) < 0)
		return 1;
	memset(x, 0, 2 * PAGE);
	if (pfn_of(pm, x) != want || pfn_of(pm, x + PAGE) != want + 1) {
		printf("VUB FAIL span: pages moved\n");
		return 1;
	}
	if (xpread(fd, x, 2 * PAGE, SPAN_OFF) < 0)
		return 1;
	if (check(x, SPAN_OFF, 2 * PAGE, SPAN_TAG) >= 0) {
		printf("VUB FAIL span: read back differs\n");
		return 1;
	}
	printf("VUB span ok: guest pages %#llx and %#llx\n",
	       (unsigned long long)want, (unsigned long long)want + 1);
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * The loop's read buffer lies on frames below GPA SPLIT (take_frames()).
 * The migration test needs this: QEMU sends guest RAM in GPA order, and a
 * page the device writes after QEMU sent it differs on the destination
 * when the back end does not log (--fault-skip-dirty-log).  The kernel
 * hands user processes the highest frames first, so a buffer left where
 * it lands sits at the very end of the first pass, and the device may not
 * write it again before the source stops.  Below SPLIT, the rest of the
 * first pass follows it.
 */
static int cmd_loop(const char *dev, double seconds, uint64_t split)
{
	int fd = open(dev, O_RDWR | O_DIRECT);
	int pm = open("/proc/self/pagemap", O_RDONLY);
	uint8_t *wbuf = aligned(LOOP_BLOCK), *rbuf = NULL;
	uint32_t tags[LOOP_SLOTS] = { 0 }, i, s;
	double end = now() + seconds;
	size_t taken;

	if (fd < 0) {
		printf("VUB FAIL open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	if (pm >= 0 && take_frames(pm, LOOP_BLOCK / PAGE, 1, split / PAGE,
				   &rbuf, &taken) != 0)
		rbuf = NULL;
	if (rbuf) {
		uint64_t lo = UINT64_MAX, hi = 0, p;

		for (i = 0; i < LOOP_BLOCK; i += PAGE) {
			p = pfn_of(pm, rbuf + i);
			lo = p < lo ? p : lo;
			hi = p > hi ? p : hi;
		}
		printf("VUB loop buffer on frames %#llx to %#llx\n",
		       (unsigned long long)lo, (unsigned long long)hi);
	} else {
		printf("VUB loop buffer: no frames below %#llx, placed anywhere\n",
		       (unsigned long long)split);
		rbuf = aligned(LOOP_BLOCK);
	}
	if (pm >= 0)
		close(pm);
	printf("VUB loop start\n");
	fflush(stdout);
	for (i = 1; now() < end; i++) {
		uint64_t off;

		s = i % LOOP_SLOTS;
		off = LOOP_OFF + (uint64_t)s * LOOP_BLOCK;
		fill(wbuf, off, LOOP_BLOCK, i);
		if (xpwrite(fd, wbuf, LOOP_BLOCK, off) < 0)
			return 1;
		tags[s] = i;
		/* The CPU never writes rbuf: only the device does. */
		if (xpread(fd, rbuf, LOOP_BLOCK, off) < 0)
			return 1;
		if (check(rbuf, off, LOOP_BLOCK, i) >= 0) {
			printf("VUB FAIL loop: iteration %u read back differs\n", i);
			return 1;
		}
		if (i % 200 == 0) {
			printf("VUB loop %u\n", i);
			fflush(stdout);
		}
	}
	for (s = 0; s < LOOP_SLOTS; s++) {
		uint64_t off = LOOP_OFF + (uint64_t)s * LOOP_BLOCK;

		if (!tags[s])
			continue;
		if (xpread(fd, rbuf, LOOP_BLOCK, off) < 0)
			return 1;
		if (check(rbuf, off, LOOP_BLOCK, tags[s]) >= 0) {
			printf("VUB FAIL loop: block %u lost iteration %u\n", s, tags[s]);
			return 1;
		}
	}
	printf("VUB loop ok: %u iterations\n", i - 1);
	return 0;
}

static int cmd_verify(const char *image)
{
	int fd = open(image, O_RDONLY);
	static uint8_t buf[1 << 20];
	size_t i;

	if (fd < 0) {
		printf("VUB FAIL open %s: %s\n", image, strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		long bad;

		if (xpread(fd, buf, writes[i].len, writes[i].off) < 0)
			return 1;
		bad = check(buf, writes[i].off, writes[i].len, writes[i].tag);
		if (bad >= 0) {
			printf("VUB FAIL image: write %zu wrong at byte %ld\n", i, bad);
			return 1;
		}
	}
	if (xpread(fd, buf, 2 * PAGE, SPAN_OFF) < 0)
		return 1;
	if (check(buf, SPAN_OFF, 2 * PAGE, SPAN_TAG) >= 0) {
		printf("VUB FAIL image: the spanning write is wrong\n");
		return 1;
	}
	printf("VUB verify ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "write"))
		return cmd_write(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "span"))
		return cmd_span(argv[2], strtoull(argv[3], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "loop"))
		return cmd_loop(argv[2], strtod(argv[3], NULL),
				strtoull(argv[4], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "verify"))
		return cmd_verify(argv[2]);
	fprintf(stderr, "usage: vub-guest write|span|loop|verify ...\n");
	return 2;
}
