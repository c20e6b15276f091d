/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: each input is a program of calls on one guest memory.
 *
 * The input is read as a sequence of operations.  One byte picks a row of
 * ops[] (modulo its length) and the row's function reads its own arguments
 * from the bytes that follow; an exhausted input reads as zeros.  Every
 * call's result is compared with a small reference model of guest memory
 * kept here: the regions (GPA, size, type, read-only), the bytes behind them
 * (anonymous buffers, memfd contents shared by every region and host
 * mapping of the same file, copy-on-write pages of private file regions),
 * snapshots and scatter-gather mappings with the regions they hold, the
 * dirty bits of each region while logging is on, the shared dirty log a
 * front end hands over (a file of its own, or a buffer) with its overflow
 * count, and an IOVA view: its translations (regions in IOVA space whose
 * bytes are those of the guest regions they hold, with their permissions)
 * and the thread's last miss.  A difference, a leaked
 * file descriptor or a mapping that outlives its last user aborts with a
 * message; ASan and UBSan catch the rest.
 *
 * Adding a call: write an op_*() function that reads its arguments with the
 * in_*() and pick_*() helpers, computes the model's answer, calls the
 * library and checks with EXPECT()/EQ(); then append a row to ops[].  Append
 * only: a row's position is what the committed seeds mean by it.
 *
 * VMMEM_FUZZ_TRACE=1 prints each operation as it runs (to replay a crash:
 * VMMEM_FUZZ_TRACE=1 ./vmmem-fuzz crash-FILE).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vmmem.h>

#define PG 4096u
#define POOL 40			/* regions created per input, at most */
#define MAX_LIVE 12		/* regions in the memory at once */
#define MAX_RPAGES 16		/* largest region, in pages */
#define MAX_ENT 32		/* regions of an IOVA view at once */
#define NENT 256		/* IOVA view regions made per input */
#define NMEMFD 2
#define MEMFD_PAGES 32
#define MEMFD_SIZE ((uint64_t)MEMFD_PAGES * PG)
#define NSNAP 4
#define NMAP 4
#define BUF_MAX (1u << 20)	/* more than MAX_LIVE regions hold */
#define XF_MAX (2u << 20)	/* the transfer file's model */
#define LOW_PAGES 96		/* the low window of GPAs regions go to */
#define TOP (UINT64_MAX - 64 * (uint64_t)PG + 1)	/* the high window */

/* ---- input -------------------------------------------------------------- */

static const uint8_t *in_p;
static size_t in_n;
static bool trace;

static uint8_t in_u8(void)
{
	if (!in_n)
		return 0;
	in_n--;
	return *in_p++;
}

static uint16_t in_u16(void)
{
	return (uint16_t)(in_u8() | in_u8() << 8);
}

static uint32_t in_u32(void)
{
	return (uint32_t)in_u16() | (uint32_t)in_u16() << 16;
}

static uint64_t in_u64(void)
{
	return (uint64_t)in_u32() | (uint64_t)in_u32() << 32;
}

/* ---- failure reporting --------------------------------------------------- */

static const char *cur_op;

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmmem-fuzz: model mismatch in %s (fuzz.c:%d): ",
		cur_op ? cur_op : "?", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define EXPECT(c, ...)                                                        \
	do {                                                                  \
		if (!(c))                                                     \
			fail(__LINE__, __VA_ARGS__);                          \
	} while (0)
#define EQ(got, exp)                                                          \
	do {                                                                  \
		long long g_ = (long long)(got), e_ = (long long)(exp);       \
		if (g_ != e_)                                                 \
			fail(__LINE__, "%s = %lld, expected %lld", #got, g_,  \
			     e_);                                             \
	} while (0)

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	if (!trace)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "  %s ", cur_op);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- the model ----------------------------------------------------------- */

struct mregion {
	bool live;
	uint64_t gpa, size;
	uint32_t type, flags;
	int memfd;		/* backing file index, -1 for own bytes */
	uint64_t off;		/* offset in the backing file */
	uint8_t *own;		/* own bytes, or private copies of pages */
	uint8_t *cow;		/* private file regions: page copied */
	void *hva;		/* what the library reports */
	size_t map_len;		/* library mappings: length; 0 for HOST */
	bool released;		/* library mapping seen unmapped */
	bool logged;		/* has a dirty bitmap of this logging period */
	uint64_t dirty;		/* bit k: page (gpa >> shift) + k */
	uint64_t vua;
	/* an IOVA view's region: its bytes are those of @fwd from offset
	 * @fwd_off on; @noread for a write-only translation */
	struct mregion *fwd;
	uint64_t fwd_off;
	bool noread;
};

struct mtable {
	int n;
	struct mregion *r[MAX_ENT];
};

struct msnap {
	vmm_mem_snapshot_t *s;
	struct mtable t;
	unsigned long gen;
};

struct mmapping {
	vmm_mem_mapping_t *m;
	uint64_t gpa, len;
	unsigned int flags;
	int n;
	struct mregion *r[MAX_LIVE];
	struct iovec iov[MAX_LIVE];
};

struct hostmap {
	void *p;
	size_t len;
};

static struct {
	vmm_mem_t *mem;
	struct mregion pool[POOL];
	int npool;
	struct mtable live;
	unsigned long gen;	/* table generation: add and remove bump it */
	int memfd[NMEMFD];
	uint8_t *mf[NMEMFD];
	int pipe[2];
	int xf;			/* transfer memfd */
	uint8_t *xfm;
	uint64_t xf_size;
	struct msnap snap[NSNAP];
	struct mmapping map[NMAP];
	struct hostmap host[POOL];
	int nhost;
	unsigned int shift;	/* dirty log page shift, 0 = off */
	/* the IOVA view: its handle and table, the regions made for it and
	 * this thread's last miss on it */
	vmm_mem_t *view;
	struct mtable vt;
	struct mregion ent[NENT];
	int nent;
	bool miss;
	uint64_t miss_iova;
	unsigned int miss_perm;
	/* the shared dirty log: a file of the front end's or a buffer of
	 * ours (@sh_buf), and the model of both */
	int sh_fd;
	bool sh_on, sh_buf;
	uint64_t sh_off, sh_size, sh_ovf;
} S;

#define SH_FILE 8192		/* the front end's log file */
#define SH_BUF 64		/* the log buffer of ours */
static uint8_t sh_file[SH_FILE], sh_mem[SH_BUF], sh_mem_model[SH_BUF];

static uint8_t buf[BUF_MAX + 64], buf2[BUF_MAX + 64];

static uint64_t rnd_state;
static uint8_t rnd8(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint8_t)(rnd_state >> 24);
}

static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	rnd_state = seed | 1;
	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t x;

		rnd8();
		x = rnd_state * 0x9e3779b97f4a7c15ull;
		memcpy(p + i, &x, 8);
	}
	for (; i < n; i++)
		p[i] = rnd8();
}

static uint64_t last_of(const struct mregion *r)
{
	return r->gpa + (r->size - 1);
}

static int m_find(const struct mtable *t, uint64_t gpa)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (gpa >= t->r[i]->gpa && gpa <= last_of(t->r[i]))
			return i;
	return -1;
}

static bool wraps(uint64_t gpa, uint64_t len)
{
	return len && gpa + (len - 1) < gpa;
}

/* vmm_span(): bytes backed contiguously from gpa, at most len; with @stop
 * SPAN_WRITE writable ones only, SPAN_READ readable ones only. */
#define SPAN_WRITE 1
#define SPAN_READ 2
static uint64_t m_span(const struct mtable *t, uint64_t gpa, uint64_t len,
		       int stop)
{
	int i = m_find(t, gpa);
	uint64_t done = 0, cur = gpa;

	if (i < 0)
		return 0;
	for (;;) {
		const struct mregion *r = t->r[i];
		uint64_t cap;

		if (stop == SPAN_WRITE ? (r->flags & VMM_MEM_REGION_READONLY)
				       : stop == SPAN_READ && r->noread)
			break;
		cap = last_of(r) - cur + 1;
		if (cap >= len - done)
			return len;
		done += cap;
		cur += cap;
		if (i + 1 >= t->n || t->r[i + 1]->gpa != cur)
			break;
		i++;
	}
	return done;
}

/* The exact calls' check: 0, -EFAULT (any byte unbacked) or -EACCES (a
 * read-only region for a write, a write-only one for a read). */
static int m_range_check(const struct mtable *t, uint64_t gpa, uint64_t len,
			 bool w)
{
	int i;

	if (m_span(t, gpa, len, 0) != len)
		return -EFAULT;
	for (i = m_find(t, gpa); i < t->n && t->r[i]->gpa <= gpa + (len - 1);
	     i++)
		if (w ? (t->r[i]->flags & VMM_MEM_REGION_READONLY)
		      : t->r[i]->noread)
			return -EACCES;
	return 0;
}

/* The model's bytes at offset @off of @r, *@n of them contiguous (to the
 * region's end, or the page's for a private file region); @w breaks
 * copy-on-write. */
static uint8_t *m_chunk(struct mregion *r, uint64_t off, bool w, uint64_t *n)
{
	uint64_t pg = off / PG;
	uint8_t *p;

	if (r->fwd) {
		p = m_chunk(r->fwd, r->fwd_off + off, w, n);
		if (*n > r->size - off)
			*n = r->size - off;
		return p;
	}
	*n = r->size - off;
	if (r->memfd < 0)
		return &r->own[off];
	if (r->cow) {
		if (*n > PG - off % PG)
			*n = PG - off % PG;
		if (r->cow[pg])
			return &r->own[off];
		if (!w)
			return &S.mf[r->memfd][r->off + off];
		memcpy(&r->own[pg * PG], &S.mf[r->memfd][r->off + pg * PG], PG);
		r->cow[pg] = 1;
		return &r->own[off];
	}
	return &S.mf[r->memfd][r->off + off];
}

static uint8_t *m_byte(struct mregion *r, uint64_t off, bool w)
{
	uint64_t n;

	return m_chunk(r, off, w, &n);
}

/* Copy @len bytes between @b and offset @off of @r. */
static void m_copy(struct mregion *r, uint64_t off, uint8_t *b, uint64_t len,
		   bool w)
{
	while (len) {
		uint64_t n;
		uint8_t *p = m_chunk(r, off, w, &n);

		if (n > len)
			n = len;
		if (w)
			memcpy(p, b, (size_t)n);
		else
			memcpy(b, p, (size_t)n);
		off += n;
		b += n;
		len -= n;
	}
}

/*
 * The dirty log.  A library whose dirty state belongs to guest pages (the
 * one with a shared log) reports a page written while logging is on until a
 * clearing harvest or the stop, whatever happened to its region: the model
 * is one set of log pages.  Before that, each region had its own bits,
 * gone with the region and absent for writes after it left the memory.
 */
#ifdef VMM_MEM_DIRTY_LOG_SHARED_DESC_SIZE_VER0
#define DIRTY_BY_GPA 1
#else
#define DIRTY_BY_GPA 0
#endif

#define DSET_MAX (1 << 17)
static uint64_t dset[DSET_MAX];	/* sorted log page numbers */
static int ndset;

static int dset_pos(uint64_t page)
{
	int lo = 0, hi = ndset;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (dset[mid] < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The shared log: bit (p % 8) of byte p / 8 for 4 KiB page p, absolute;
 * a mark reaching past the log's end counts once. */
static void m_shared_mark(uint64_t gpa, uint64_t len)
{
	uint64_t p, last = (gpa + (len - 1)) / PG, npages = S.sh_size * 8;
	uint8_t *log = S.sh_buf ? sh_mem_model : sh_file + S.sh_off;

	if (!S.sh_on)
		return;
	if (last >= npages)
		S.sh_ovf++;
	for (p = gpa / PG; p <= last && p < npages; p++)
		log[p / 8] |= (uint8_t)(1u << (p % 8));
}

static void m_mark(struct mregion *r, uint64_t gpa, uint64_t len)
{
	uint64_t p, first, last;

	if (r->fwd && len) {	/* a view's write: the guest page */
		m_mark(r->fwd, gpa - r->gpa + r->fwd_off + r->fwd->gpa, len);
		return;
	}
	if (len)
		m_shared_mark(gpa, len);
	if (!S.shift || !len || (!DIRTY_BY_GPA && !r->logged))
		return;
	first = r->gpa >> S.shift;
	last = (gpa + (len - 1)) >> S.shift;
	for (p = gpa >> S.shift; p <= last; p++) {
		int k;

		if (!DIRTY_BY_GPA) {
			r->dirty |= UINT64_C(1) << (p - first);
			continue;
		}
		k = dset_pos(p);
		if (k < ndset && dset[k] == p)
			continue;
		EXPECT(ndset < DSET_MAX, "dirty set full");
		memmove(&dset[k + 1], &dset[k], (size_t)(ndset - k) * 8);
		dset[k] = p;
		ndset++;
	}
}

static bool m_dirty(uint64_t page)
{
	int i;

	if (DIRTY_BY_GPA) {
		i = dset_pos(page);
		return i < ndset && dset[i] == page;
	}
	for (i = 0; i < S.live.n; i++) {
		const struct mregion *r = S.live.r[i];
		uint64_t first = r->gpa >> S.shift;

		if (page >= first && page <= last_of(r) >> S.shift &&
		    (r->dirty >> (page - first) & 1))
			return true;
	}
	return false;
}

static void m_clean(uint64_t page)
{
	int i;

	if (DIRTY_BY_GPA) {
		i = dset_pos(page);
		if (i < ndset && dset[i] == page) {
			memmove(&dset[i], &dset[i + 1],
				(size_t)(ndset - i - 1) * 8);
			ndset--;
		}
		return;
	}
	for (i = 0; i < S.live.n; i++) {
		struct mregion *r = S.live.r[i];
		uint64_t first = r->gpa >> S.shift;

		if (page >= first && page <= last_of(r) >> S.shift)
			r->dirty &= ~(UINT64_C(1) << (page - first));
	}
}

/* Copy between the model and @b over [gpa, gpa + len) of table @t, which
 * the caller knows to be backed; writes mark when @mark. */
static void m_rw(const struct mtable *t, uint64_t gpa, uint8_t *b,
		 uint64_t len, bool w, bool mark)
{
	while (len) {
		int i = m_find(t, gpa);
		struct mregion *r;
		uint64_t n;

		EXPECT(i >= 0, "model walked into a hole at 0x%llx",
		       (unsigned long long)gpa);
		r = t->r[i];
		n = last_of(r) - gpa + 1;
		if (n > len)
			n = len;
		m_copy(r, gpa - r->gpa, b, n, w);
		if (w && mark)
			m_mark(r, gpa, n);
		gpa += n;
		b += n;
		len -= n;
	}
}

static void rebuild_live(void)
{
	int i, j;

	S.live.n = 0;
	for (i = 0; i < S.npool; i++) {
		struct mregion *r = &S.pool[i];

		if (!r->live)
			continue;
		for (j = S.live.n; j > 0 && S.live.r[j - 1]->gpa > r->gpa; j--)
			S.live.r[j] = S.live.r[j - 1];
		S.live.r[j] = r;
		S.live.n++;
	}
	S.gen++;
}

/* Is @r still reachable: in the memory, a snapshot, a mapping or an IOVA
 * view's translation? */
static bool m_held(const struct mregion *r)
{
	int i, j;

	if (r->live)
		return true;
	for (i = 0; S.view && i < S.vt.n; i++)
		if (S.vt.r[i]->fwd == r)
			return true;
	for (i = 0; i < NSNAP; i++)
		for (j = 0; S.snap[i].s && j < S.snap[i].t.n; j++)
			if (S.snap[i].t.r[j] == r)
				return true;
	for (i = 0; i < NMAP; i++)
		for (j = 0; S.map[i].m && j < S.map[i].n; j++)
			if (S.map[i].r[j] == r)
				return true;
	return false;
}

/*
 * The mappings made by the library and by this harness.  The link wraps
 * mmap(2) and munmap(2) (-Wl,--wrap), so each call of ours passes through
 * here and whether a region's mapping is still there is known exactly.
 * Asking the kernel instead (mincore) cannot tell our mapping from one
 * made later at the same address by the sanitizer runtime, which maps
 * its own memory behind our back whenever it needs more.
 */
#define NVMA 512
static struct vma {
	uintptr_t lo, hi;
} vmas[NVMA];
static int nvma;

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
int __real_munmap(void *addr, size_t len);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
int __wrap_munmap(void *addr, size_t len);

static void vma_forget(uintptr_t lo, uintptr_t hi)
{
	int i, n = nvma;

	for (i = 0; i < n; i++) {
		struct vma *v = &vmas[i];

		if (v->hi <= lo || hi <= v->lo)
			continue;
		if (v->lo < lo && hi < v->hi) {	/* a hole in the middle */
			EXPECT(nvma < NVMA, "too many mappings");
			vmas[nvma].lo = hi;
			vmas[nvma++].hi = v->hi;
			v->hi = lo;
		} else if (v->lo < lo) {
			v->hi = lo;
		} else if (hi < v->hi) {
			v->lo = hi;
		} else {
			v->lo = v->hi = 0;
		}
	}
	for (i = n = 0; i < nvma; i++)
		if (vmas[i].lo != vmas[i].hi)
			vmas[n++] = vmas[i];
	nvma = n;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	void *p = __real_mmap(addr, len, prot, flags, fd, off);

	if (p != MAP_FAILED && len) {
		uintptr_t lo = (uintptr_t)p;
		uintptr_t hi = lo + ((len + PG - 1) & ~(size_t)(PG - 1));

		vma_forget(lo, hi);	/* MAP_FIXED replaces */
		EXPECT(nvma < NVMA, "too many mappings");
		vmas[nvma].lo = lo;
		vmas[nvma++].hi = hi;
	}
	return p;
}

int __wrap_munmap(void *addr, size_t len)
{
	int rc = __real_munmap(addr, len);

	if (rc == 0 && len)
		vma_forget((uintptr_t)addr, (uintptr_t)addr +
			   ((len + PG - 1) & ~(size_t)(PG - 1)));
	return rc;
}

static bool is_mapped(const void *p)
{
	int i;

	for (i = 0; i < nvma; i++)
		if (vmas[i].lo <= (uintptr_t)p && (uintptr_t)p < vmas[i].hi)
			return true;
	return false;
}

/* Every library mapping is there while something holds its region and
 * gone as soon as nothing does.  Run right after a reference is dropped. */
static void check_released(void)
{
	int i;

	for (i = 0; i < S.npool; i++) {
		struct mregion *r = &S.pool[i];

		if (!r->map_len || r->released)
			continue;
		if (m_held(r)) {
			EXPECT(is_mapped(r->hva),
			       "region 0x%llx+0x%llx unmapped while held",
			       (unsigned long long)r->gpa,
			       (unsigned long long)r->size);
		} else {
			EXPECT(!is_mapped(r->hva),
			       "region 0x%llx+0x%llx still mapped after its "
			       "last user", (unsigned long long)r->gpa,
			       (unsigned long long)r->size);
			r->released = true;
		}
	}
}

/* ---- argument pickers ----------------------------------------------------- */

static struct mregion *pick_region(bool live_only)
{
	uint8_t k = in_u8();

	if (live_only || !S.npool) {
		if (!S.live.n)
			return NULL;
		return S.live.r[k % S.live.n];
	}
	return &S.pool[k % S.npool];
}

/* A guest address: near a region's edges, in the windows regions live in,
 * near 2^64, or anything. */
static uint64_t pick_gpa(void)
{
	uint8_t m = in_u8();
	struct mregion *r;

	switch (m & 7) {
	case 0: case 1: case 2:
		r = pick_region(m & 8);
		if (!r)
			return (uint64_t)in_u8() * PG;
		return ((m & 16) ? r->gpa + r->size : r->gpa) +
		       (uint64_t)(int64_t)(int16_t)in_u16() / ((m & 32) ? 256 : 1);
	case 3:
		return (uint64_t)(in_u8() % LOW_PAGES) * PG + (in_u8() & ~7u);
	case 4:
		return in_u32() % (LOW_PAGES * PG);
	case 5:
		return UINT64_MAX - in_u16();
	case 6:
		return TOP + (uint64_t)(in_u8() % 64) * PG;
	default:
		return in_u64();
	}
}

/* A length for a call with a host buffer: at most BUF_MAX. */
static uint64_t pick_len(void)
{
	uint8_t m = in_u8();

	switch (m & 7) {
	case 0: case 1:
		return m >> 3;			/* 0 to 31 */
	case 2: case 3:
		return (uint64_t)((m >> 3) % 17) * PG + in_u8();
	case 4: case 5:
		return in_u16() % (3 * PG);
	case 6:
		return in_u16();
	default:
		return in_u32() % BUF_MAX;
	}
}

/* A guest range length for calls without a buffer: may be huge. */
static uint64_t pick_glen(void)
{
	uint8_t m = in_u8();

	if ((m & 7) == 7)
		return in_u64();
	if ((m & 7) == 6)
		return UINT64_MAX - in_u16();
	return pick_len();
}

static void pipe_get(void);

/* ---- handle and regions --------------------------------------------------- */

/* Backing file @i: 0 is a memfd, 1 a regular file (an unnamed one on
 * /dev/shm where it can be made, else a second memfd). */
static int memfd_get(int i)
{
	if (S.memfd[i] < 0) {
		if (i == 1)
			S.memfd[i] = open("/dev/shm", O_TMPFILE | O_RDWR | O_CLOEXEC,
					  0600);
		if (S.memfd[i] < 0)
			S.memfd[i] = memfd_create("vmmem-fuzz", MFD_CLOEXEC);
		EXPECT(S.memfd[i] >= 0, "memfd_create: %s", strerror(errno));
		EXPECT(ftruncate(S.memfd[i], (off_t)MEMFD_SIZE) == 0,
		       "ftruncate: %s", strerror(errno));
		S.mf[i] = calloc(1, MEMFD_SIZE);
	}
	return S.memfd[i];
}

static uint64_t pick_size(void)
{
	uint8_t m = in_u8();

	switch (m & 3) {
	case 0: case 1:
		return (uint64_t)((m >> 2) % MAX_RPAGES + 1) * PG;
	case 2:
		return in_u16() % (MAX_RPAGES * PG) + 1;
	default:
		return (m >> 2) + 1;
	}
}

static uint64_t pick_region_gpa(uint64_t size)
{
	uint8_t m = in_u8();
	struct mregion *r;

	switch (m & 7) {
	case 0: case 1: case 2:
		return (uint64_t)(in_u8() % LOW_PAGES) * PG;
	case 3:	/* right after a region */
		r = pick_region(true);
		return r ? r->gpa + r->size : 0;
	case 4:	/* right before one */
		r = pick_region(true);
		return r ? r->gpa - size : 0;
	case 5:
		return in_u32() % (LOW_PAGES * PG);
	case 6:	/* at the top: size may reach 2^64 */
		return UINT64_MAX - size + 1 - (in_u8() % 3) * (uint64_t)PG / 2;
	default:
		return TOP + (uint64_t)(in_u8() % 64) * PG;
	}
}

/* validate() of the library, in its order, for the fields picked here. */
static int m_validate(const struct vmm_mem_region_desc *d)
{
	uint64_t allowed, end;

	switch (d->type) {
	case VMM_MEM_REGION_ANON:
		allowed = VMM_MEM_REGION_READONLY | VMM_MEM_REGION_HUGETLB |
			  VMM_MEM_REGION_POPULATE;
		break;
	case VMM_MEM_REGION_FD:
		allowed = VMM_MEM_REGION_READONLY | VMM_MEM_REGION_PRIVATE |
			  VMM_MEM_REGION_POPULATE;
		break;
	case VMM_MEM_REGION_HOST:
	case VMM_MEM_REGION_XEN_FOREIGN:
		allowed = VMM_MEM_REGION_READONLY;
		break;
	case VMM_MEM_REGION_XEN_GRANT:
		allowed = VMM_MEM_REGION_READONLY |
			  VMM_MEM_REGION_NO_ADVANCE_MAP;
		break;
	default:
		return -EINVAL;
	}
	if (d->flags & ~allowed)
		return -EINVAL;
	if (!d->size)
		return -EINVAL;
	if (__builtin_add_overflow(d->gpa, d->size, &end))
		return -EOVERFLOW;
	if (d->huge_page_size && !(d->flags & VMM_MEM_REGION_HUGETLB))
		return -EINVAL;
	if (d->fd_offset && d->type != VMM_MEM_REGION_FD)
		return -EINVAL;
	if (d->domid && d->type < VMM_MEM_REGION_XEN_FOREIGN)
		return -EINVAL;
	if (d->hva && d->type != VMM_MEM_REGION_HOST)
		return -EINVAL;
	switch (d->type) {
	case VMM_MEM_REGION_FD:
		if (d->fd < 0 || d->fd_offset % PG)
			return -EINVAL;
		if (d->fd_offset + d->size > (uint64_t)INT64_MAX)
			return -EOVERFLOW;
		break;
	case VMM_MEM_REGION_HOST:
		if (!d->hva || (uintptr_t)d->hva % PG)
			return -EINVAL;
		break;
	case VMM_MEM_REGION_XEN_FOREIGN:
	case VMM_MEM_REGION_XEN_GRANT:
		return -EOPNOTSUPP;
	}
	return 0;
}

static int m_overlaps(uint64_t gpa, uint64_t size)
{
	int i;

	for (i = 0; i < S.live.n; i++)
		if (gpa <= last_of(S.live.r[i]) &&
		    S.live.r[i]->gpa <= gpa + (size - 1))
			return 1;
	return 0;
}

static void check_info(const struct vmm_mem_region_info *in,
		       const struct mregion *r)
{
	EQ(in->gpa, r->gpa);
	EQ(in->size, r->size);
	EQ(in->type, r->type);
	EQ(in->flags, r->flags);
	EQ(in->fd_offset, r->type == VMM_MEM_REGION_FD ? r->off : 0);
	EQ(in->vua, r->vua);
	EQ(in->has_fd, r->type == VMM_MEM_REGION_FD);
	EQ(in->page_size, PG);
	EQ(in->huge_page_size, 0);
	EQ(in->domid, 0);
	EXPECT(in->hva == r->hva, "hva %p, expected %p", in->hva, r->hva);
}

/*
 * Add a region of type @type.  The descriptor is valid unless the mutation
 * byte says otherwise; the model's verdict follows the header's rules.
 */
static void add_region(uint32_t type)
{
	struct {
		struct vmm_mem_region_desc d;
		uint8_t tail[16];
	} x;
	struct vmm_mem_region_desc *d = &x.d;
	size_t dsize = sizeof(*d);
	uint8_t mut = in_u8(), fl = in_u8(), mi = in_u8() % NMEMFD;
	struct hostmap *hm = NULL;
	struct mregion *r;
	int want, rc, fd = -1, alt = 0;
	bool host_file = false, valid, fd_pipe = false;

	if (S.live.n >= MAX_LIVE || S.npool >= POOL || S.nhost >= POOL)
		return;
	memset(&x, 0, sizeof(x));
	d->type = type;
	d->size = pick_size();
	d->gpa = pick_region_gpa(d->size);
	d->vua = (fl & 0x80) ? in_u64() : 0;
	if (fl & 1)
		d->flags |= VMM_MEM_REGION_READONLY;
	if ((fl & 2) && type != VMM_MEM_REGION_HOST)
		d->flags |= VMM_MEM_REGION_POPULATE;
	if ((fl & 4) && type == VMM_MEM_REGION_FD)
		d->flags |= VMM_MEM_REGION_PRIVATE;
	if (type == VMM_MEM_REGION_FD) {
		fd = memfd_get(mi);
		d->fd = fd;
		d->fd_offset = (uint64_t)(in_u8() % MEMFD_PAGES) * PG;
	}
	if (type == VMM_MEM_REGION_HOST) {
		size_t len = (size_t)((d->size + PG - 1) & ~(uint64_t)(PG - 1));
		void *p;

		host_file = fl & 8;
		if (host_file) {
			uint64_t off = (uint64_t)(in_u8() % MEMFD_PAGES) * PG;

			if (off + len > MEMFD_SIZE)
				off = MEMFD_SIZE - len;
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				 memfd_get(mi), (off_t)off);
			d->fd_offset = off;	/* the model's; cleared below */
		} else {
			p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		}
		EXPECT(p != MAP_FAILED, "mmap: %s", strerror(errno));
		hm = &S.host[S.nhost++];
		hm->p = p;
		hm->len = len;
		d->hva = p;
	}
	uint64_t host_off = d->fd_offset;
	if (type == VMM_MEM_REGION_HOST)
		d->fd_offset = 0;
	switch (mut & 15) {
	case 8: d->type = 5 + in_u8(); break;
	case 9: d->flags |= 1u << (in_u8() % 32); break;
	case 10: d->size = 0; break;
	case 11: d->fd_offset += (uint64_t)1 << (in_u8() % 64); break;
	case 12: d->domid = in_u8() | 1; break;
	case 13:	/* a HOST mapping is only len bytes: stay inside */
		d->hva = (void *)((uintptr_t)d->hva +
			 (type == VMM_MEM_REGION_HOST || in_u8() % 2 ? 1 : PG));
		break;
	case 14: d->type = VMM_MEM_REGION_XEN_FOREIGN + (mut >> 7); break;
	case 15:
		switch (in_u8() % 4) {
		case 0: dsize = VMM_MEM_REGION_DESC_SIZE_VER0 - 1 - in_u8() % 8; break;
		case 1: dsize = sizeof(x); x.tail[in_u8() % 16] = 1; break;
		case 2: dsize = sizeof(x); break;
		default:
			d->huge_page_size = (uint64_t)1 << (in_u8() % 40);
			if (in_u8() & 1)
				d->flags |= VMM_MEM_REGION_HUGETLB;
		}
		break;
	case 7:	/* no descriptor, a closed one, a pipe */
		if (type == VMM_MEM_REGION_FD) {
			uint8_t b = in_u8(), v = in_u8();

			d->fd = (b & 1) ? -1 - v : 1000 + v;
			if ((b & 3) == 2) {
				pipe_get();
				d->fd = S.pipe[0];
				fd_pipe = true;
			}
		}
		break;
	}

	if (dsize < VMM_MEM_REGION_DESC_SIZE_VER0)
		want = -EINVAL;
	else if (dsize > sizeof(*d) && x.tail[0] + x.tail[1] + x.tail[2] +
		 x.tail[3] + x.tail[4] + x.tail[5] + x.tail[6] + x.tail[7] +
		 x.tail[8] + x.tail[9] + x.tail[10] + x.tail[11] + x.tail[12] +
		 x.tail[13] + x.tail[14] + x.tail[15])
		want = -E2BIG;
	else
		want = m_validate(d);
	/* The descriptor could be read, so an overlap may be seen. */
	valid = dsize >= VMM_MEM_REGION_DESC_SIZE_VER0 && want != -E2BIG &&
		d->size && d->gpa + (d->size - 1) >= d->gpa;
	if (!want && (d->flags & VMM_MEM_REGION_HUGETLB)) {
		/* Sizes here are below the default huge page; a given size
		 * that divides them is one x86 does not have. */
		uint64_t h = d->huge_page_size;

		want = h >= PG && d->size % h == 0 ? -EOPNOTSUPP : -EINVAL;
	}
	if (!want && d->type == VMM_MEM_REGION_FD) {
		if (d->fd >= 1000)
			want = -EBADF;
		else if (fd_pipe)
			want = -ENODEV;
		else if (d->fd_offset + d->size > MEMFD_SIZE)
			want = -EINVAL;
	}
	/* An overlap and another fault (a field, the backing): the header
	 * does not rank them, so either answer is right. */
	if (valid && m_overlaps(d->gpa, d->size)) {
		if (!want)
			want = -EEXIST;
		else
			alt = -EEXIST;
	}
	note("type %u flags 0x%x gpa 0x%llx size 0x%llx off 0x%llx vua 0x%llx "
	     "mut %u -> %d", d->type, d->flags, (unsigned long long)d->gpa,
	     (unsigned long long)d->size, (unsigned long long)d->fd_offset,
	     (unsigned long long)d->vua, mut & 15, want);
	rc = vmm_mem_add_region(S.mem, d, dsize);
	if (!alt || rc != alt)
		EQ(rc, want);
	if (rc)
		return;

	r = &S.pool[S.npool++];
	memset(r, 0, sizeof(*r));
	r->live = true;
	r->gpa = d->gpa;
	r->size = d->size;
	r->type = d->type;
	r->flags = d->flags;
	r->vua = d->vua;
	r->memfd = -1;
	r->logged = S.shift != 0;
	if (type == VMM_MEM_REGION_FD || host_file) {
		r->memfd = mi;
		r->off = type == VMM_MEM_REGION_FD ? d->fd_offset : host_off;
	}
	if (r->memfd < 0 || (r->flags & VMM_MEM_REGION_PRIVATE)) {
		size_t pages = (size_t)((r->size + PG - 1) / PG);

		r->own = calloc(pages, PG);
		if (r->memfd >= 0) {
			r->cow = calloc(pages, 1);
			/* MAP_POPULATE of a writable private mapping breaks
			 * copy-on-write for every page at once. */
			if ((r->flags & VMM_MEM_REGION_POPULATE) &&
			    !(r->flags & VMM_MEM_REGION_READONLY)) {
				size_t p;

				for (p = 0; p < pages; p++)
					m_byte(r, p * PG, true);
			}
		}
	}
	if (type == VMM_MEM_REGION_HOST) {
		r->hva = d->hva;
	} else {
		struct vmm_mem_region_info info;

		EQ(vmm_mem_region_info_at(S.mem, r->gpa, &info, sizeof(info)), 0);
		r->hva = info.hva;
		r->map_len = (size_t)((r->size + PG - 1) & ~(uint64_t)(PG - 1));
	}
	rebuild_live();
}

static void op_add_anon(void) { add_region(VMM_MEM_REGION_ANON); }
static void op_add_fd(void) { add_region(VMM_MEM_REGION_FD); }
static void op_add_host(void) { add_region(VMM_MEM_REGION_HOST); }

static void op_remove(void)
{
	uint8_t m = in_u8();
	struct mregion *r = pick_region(!(m & 1));
	uint64_t gpa, size;
	int i, want = -ENOENT;

	if (r) {
		gpa = r->gpa;
		size = r->size;
	} else {
		gpa = pick_gpa();
		size = pick_glen();
	}
	if (m & 2)
		size += (uint64_t)(int8_t)in_u8();
	if (m & 4)
		gpa += (uint64_t)(int8_t)in_u8();
	for (i = 0; i < S.live.n; i++)
		if (S.live.r[i]->gpa == gpa && S.live.r[i]->size == size) {
			want = 0;
			r = S.live.r[i];
		}
	note("0x%llx+0x%llx -> %d", (unsigned long long)gpa,
	     (unsigned long long)size, want);
	EQ(vmm_mem_remove_region(S.mem, gpa, size), want);
	if (want == 0) {
		r->live = false;
		rebuild_live();
		check_released();
	}
}

/* ---- byte access ---------------------------------------------------------- */

static void op_read(void)
{
	uint64_t gpa = pick_gpa(), len = pick_len(), n;
	ssize_t rc;
	int want;

	if (wraps(gpa, len))
		want = -EOVERFLOW;
	else if (!len)
		want = 0;
	else if (m_find(&S.live, gpa) < 0)
		want = -EFAULT;
	else
		want = 1;
	note("0x%llx+0x%llx", (unsigned long long)gpa, (unsigned long long)len);
	rc = vmm_mem_read(S.mem, gpa, buf, (size_t)len);
	if (want <= 0) {
		EQ(rc, want);
		return;
	}
	n = m_span(&S.live, gpa, len, false);
	EQ(rc, n);
	m_rw(&S.live, gpa, buf2, n, false, false);
	EXPECT(!memcmp(buf, buf2, n), "read 0x%llx+0x%llx: bytes differ",
	       (unsigned long long)gpa, (unsigned long long)n);
}

static void op_write(void)
{
	uint64_t gpa = pick_gpa(), len = pick_len(), n;
	uint32_t seed = in_u32();
	ssize_t rc;
	int i, want;

	pattern(buf, (size_t)len, seed);
	i = m_find(&S.live, gpa);
	if (wraps(gpa, len))
		want = -EOVERFLOW;
	else if (!len)
		want = 0;
	else if (i < 0)
		want = -EFAULT;
	else if (S.live.r[i]->flags & VMM_MEM_REGION_READONLY)
		want = -EACCES;
	else
		want = 1;
	note("0x%llx+0x%llx -> %d", (unsigned long long)gpa,
	     (unsigned long long)len, want);
	rc = vmm_mem_write(S.mem, gpa, buf, (size_t)len);
	if (want <= 0) {
		EQ(rc, want);
		return;
	}
	n = m_span(&S.live, gpa, len, true);
	EQ(rc, n);
	m_rw(&S.live, gpa, buf, n, true, true);
}

/* The table behind handle @mem: the guest memory's or the IOVA view's. */
static const struct mtable *m_table(vmm_mem_t *mem)
{
	return mem && mem == S.view ? &S.vt : &S.live;
}

/* The model's -EFAULT through handle @mem: an IOVA view says -ENXIO and
 * records the first untranslated IOVA of [gpa, gpa + len) and @perm as
 * this thread's miss. */
static int m_fault(vmm_mem_t *mem, int err, uint64_t gpa, uint64_t len,
		   unsigned int perm)
{
	if (err != -EFAULT || !mem || mem != S.view)
		return err;
	S.miss = true;
	S.miss_iova = len ? gpa + m_span(&S.vt, gpa, len, 0) : gpa;
	S.miss_perm = perm;
	return -ENXIO;
}

/* The exact calls on handle @mem or on snapshot @sn. */
static void exact_on(vmm_mem_t *mem, struct msnap *sn, bool w)
{
	const struct mtable *t = sn ? &sn->t : m_table(mem);
	uint64_t gpa = pick_gpa(), len = pick_len();
	uint32_t seed = in_u32();
	int rc, want;

	if (!len)
		want = 0;
	else if (wraps(gpa, len))
		want = -EOVERFLOW;
	else
		want = m_fault(mem, m_range_check(t, gpa, len, w), gpa, len,
			       w ? VMM_MEM_IOTLB_WRITE : VMM_MEM_IOTLB_READ);
	note("%s 0x%llx+0x%llx -> %d", w ? "write" : "read",
	     (unsigned long long)gpa, (unsigned long long)len, want);
	if (w) {
		pattern(buf, (size_t)len, seed);
		rc = sn ? vmm_mem_snapshot_write_exact(sn->s, gpa, buf, (size_t)len)
			: vmm_mem_write_exact(mem, gpa, buf, (size_t)len);
	} else {
		memset(buf, 0xa5, (size_t)len);
		rc = sn ? vmm_mem_snapshot_read_exact(sn->s, gpa, buf, (size_t)len)
			: vmm_mem_read_exact(mem, gpa, buf, (size_t)len);
	}
	EQ(rc, want);
	if (want) {
		if (!w && len) {	/* the buffer is untouched on failure */
			memset(buf2, 0xa5, (size_t)len);
			EXPECT(!memcmp(buf, buf2, (size_t)len), "buffer changed");
		}
		return;
	}
	if (w) {
		m_rw(t, gpa, buf, len, true, true);
	} else {
		m_rw(t, gpa, buf2, len, false, false);
		EXPECT(!memcmp(buf, buf2, (size_t)len), "bytes differ");
	}
}

static void op_read_exact(void) { exact_on(S.mem, NULL, false); }
static void op_write_exact(void) { exact_on(S.mem, NULL, true); }

static void op_fill(void)
{
	uint64_t gpa = pick_gpa(), len = pick_glen();
	uint8_t c = in_u8();
	int want, ci = c;

	if (c & 1)	/* memset's rule: only the low byte counts */
		ci = (int)(c | (uint32_t)in_u8() << 8 | (uint32_t)in_u8() << 24);

	if (!len)
		want = 0;
	else if (wraps(gpa, len))
		want = -EOVERFLOW;
	else
		want = m_range_check(&S.live, gpa, len, true);
	note("0x%llx+0x%llx 0x%x -> %d", (unsigned long long)gpa,
	     (unsigned long long)len, c, want);
	EQ(vmm_mem_fill(S.mem, gpa, ci, len), want);
	if (!want && len) {
		memset(buf, c, (size_t)len);
		m_rw(&S.live, gpa, buf, len, true, true);
	}
}

static void op_copy(void)
{
	uint64_t dst = pick_gpa(), src = pick_gpa(), len = pick_glen();
	int want;

	if (!len)
		want = 0;
	else if (wraps(dst, len) || wraps(src, len))
		want = -EOVERFLOW;
	else if ((want = m_range_check(&S.live, src, len, false)) == 0)
		want = m_range_check(&S.live, dst, len, true);
	note("0x%llx <- 0x%llx +0x%llx -> %d", (unsigned long long)dst,
	     (unsigned long long)src, (unsigned long long)len, want);
	EQ(vmm_mem_copy(S.mem, dst, src, len), want);
	if (!want && len) {
		m_rw(&S.live, src, buf, len, false, false);
		/* A copy onto itself changes no byte, and whether it stored
		 * them anyway (breaking copy-on-write of a private file page,
		 * which then no longer follows the file) is up to memmove():
		 * glibc's stores them, ASan's does not.  Store them here,
		 * so that the model's copy-on-write is the library's. */
		if (dst == src)
			EQ(vmm_mem_write_exact(S.mem, dst, buf, (size_t)len), 0);
		m_rw(&S.live, dst, buf, len, true, true);
	}
}

/* ---- atomics --------------------------------------------------------------- */

static const int orders[] = { 0, 1, 2, 3, 4, 5, -1, 6 };

static int m_atomic(const struct mtable *t, uint64_t gpa, unsigned int size,
		    bool store)
{
	int i = m_find(t, gpa);
	const struct mregion *r;

	if (i < 0)
		return -EFAULT;
	r = t->r[i];
	if (size - 1 > last_of(r) - gpa)
		return -EINVAL;
	if (!store && r->noread)
		return -EACCES;
	if (((uintptr_t)r->hva + (gpa - r->gpa)) & (size - 1))
		return -EINVAL;
	if (store && (r->flags & VMM_MEM_REGION_READONLY))
		return -EACCES;
	return 0;
}

static bool good_size(unsigned int s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

/* load/store (@le: load_le/store_le) on handle @mem or snapshot @sn. */
static void atomic_on(vmm_mem_t *mem, struct msnap *sn, bool store, bool le)
{
	const struct mtable *t = sn ? &sn->t : m_table(mem);
	uint8_t m = in_u8();
	unsigned int size = (m & 8) ? m % 11 : 1u << (m & 3);
	int order = orders[(m >> 4) & 7];
	uint64_t gpa = pick_gpa(), val = 0, v;
	int want, rc;

	if (!(m & 4) && size > 1)
		gpa &= ~(uint64_t)(size - 1);
	if (store) {
		val = in_u64();
		if (!(m & 128) && size < 8)
			val &= (UINT64_C(1) << (size * 8)) - 1;
	}
	if (!good_size(size) || (le && size == 1) ||
	    (order != 0 && order != 5 && order != (store ? 3 : 2)))
		want = -EINVAL;
	else if (store && size < 8 && (val >> (size * 8)))
		want = -ERANGE;
	else
		want = m_fault(mem, m_atomic(t, gpa, size, store), gpa, size,
			       store ? VMM_MEM_IOTLB_WRITE : VMM_MEM_IOTLB_READ);
	note("%s%s size %u order %d 0x%llx -> %d", store ? "store" : "load",
	     le ? "_le" : "", size, order, (unsigned long long)gpa, want);
	if (store) {
		rc = sn ? vmm_mem_snapshot_store(sn->s, gpa, size, val, order)
			: le ? vmm_mem_store_le(mem, gpa, size, val, order)
			: vmm_mem_store(mem, gpa, size, val, order);
		EQ(rc, want);
		if (!rc) {
			memcpy(buf, &val, size);	/* little-endian host */
			m_rw(t, gpa, buf, size, true, true);
		}
	} else {
		v = 0x5a5a5a5a5a5a5a5aull;
		rc = sn ? vmm_mem_snapshot_load(sn->s, gpa, size, &v, order)
			: le ? vmm_mem_load_le(mem, gpa, size, &v, order)
			: vmm_mem_load(mem, gpa, size, &v, order);
		EQ(rc, want);
		if (rc) {
			EQ(v, 0x5a5a5a5a5a5a5a5aull);
			return;
		}
		val = 0;
		m_rw(t, gpa, (uint8_t *)&val, size, false, false);
		EQ(v, val);
	}
}

static void op_load(void) { atomic_on(S.mem, NULL, false, false); }
static void op_store(void) { atomic_on(S.mem, NULL, true, false); }

/* The inline helpers of the header: vmm_mem_read_u8 ... write_be64. */
static void op_scalar(void)
{
	uint8_t m = in_u8();
	uint64_t gpa = pick_gpa(), v = in_u64(), got = 0;
	unsigned int kind = (m & 15) % 10, size = kind < 4 ? 1u << kind :
						 1u << ((kind - 4) % 3 + 1);
	bool big = kind >= 7, w = m & 16;
	uint8_t b[8];
	unsigned int k;
	int rc, want;

	if (size < 8)
		v &= (UINT64_C(1) << (size * 8)) - 1;
	want = wraps(gpa, size) ? -EOVERFLOW : m_range_check(&S.live, gpa, size, w);
	note("kind %u %s 0x%llx -> %d", kind, w ? "write" : "read",
	     (unsigned long long)gpa, want);
	if (w) {
		switch (kind) {
		case 0: rc = vmm_mem_write_u8(S.mem, gpa, (uint8_t)v); break;
		case 1: rc = vmm_mem_write_u16(S.mem, gpa, (uint16_t)v); break;
		case 2: rc = vmm_mem_write_u32(S.mem, gpa, (uint32_t)v); break;
		case 3: rc = vmm_mem_write_u64(S.mem, gpa, v); break;
		case 4: rc = vmm_mem_write_le16(S.mem, gpa, (uint16_t)v); break;
		case 5: rc = vmm_mem_write_le32(S.mem, gpa, (uint32_t)v); break;
		case 6: rc = vmm_mem_write_le64(S.mem, gpa, v); break;
		case 7: rc = vmm_mem_write_be16(S.mem, gpa, (uint16_t)v); break;
		case 8: rc = vmm_mem_write_be32(S.mem, gpa, (uint32_t)v); break;
		default: rc = vmm_mem_write_be64(S.mem, gpa, v); break;
		}
		EQ(rc, want);
		if (!rc) {
			for (k = 0; k < size; k++)	/* host = little */
				b[big ? size - 1 - k : k] = (uint8_t)(v >> (8 * k));
			m_rw(&S.live, gpa, b, size, true, true);
		}
		return;
	}
	switch (kind) {
	case 0: { uint8_t x = 0; rc = vmm_mem_read_u8(S.mem, gpa, &x); got = x; break; }
	case 1: { uint16_t x = 0; rc = vmm_mem_read_u16(S.mem, gpa, &x); got = x; break; }
	case 2: { uint32_t x = 0; rc = vmm_mem_read_u32(S.mem, gpa, &x); got = x; break; }
	case 3: { uint64_t x = 0; rc = vmm_mem_read_u64(S.mem, gpa, &x); got = x; break; }
	case 4: { uint16_t x = 0; rc = vmm_mem_read_le16(S.mem, gpa, &x); got = x; break; }
	case 5: { uint32_t x = 0; rc = vmm_mem_read_le32(S.mem, gpa, &x); got = x; break; }
	case 6: { uint64_t x = 0; rc = vmm_mem_read_le64(S.mem, gpa, &x); got = x; break; }
	case 7: { uint16_t x = 0; rc = vmm_mem_read_be16(S.mem, gpa, &x); got = x; break; }
	case 8: { uint32_t x = 0; rc = vmm_mem_read_be32(S.mem, gpa, &x); got = x; break; }
	default: { uint64_t x = 0; rc = vmm_mem_read_be64(S.mem, gpa, &x); got = x; break; }
	}
	EQ(rc, want);
	if (rc) {
		EQ(got, 0);
		return;
	}
	m_rw(&S.live, gpa, b, size, false, false);
	v = 0;
	for (k = 0; k < size; k++)
		v |= (uint64_t)b[big ? size - 1 - k : k] << (8 * k);
	EQ(got, v);
}

/* ---- queries --------------------------------------------------------------- */

static void op_query(void)
{
	uint8_t m = in_u8();
	uint64_t gpa = pick_gpa(), len = pick_glen(), x = 0;
	struct vmm_mem_region_info info[2];
	int i = m_find(&S.live, gpa);

	note("%u 0x%llx+0x%llx", m % 8, (unsigned long long)gpa,
	     (unsigned long long)len);
	switch (m % 8) {
	case 0:
		EQ(vmm_mem_num_regions(S.mem), S.live.n);
		break;
	case 1: {
		unsigned int idx = in_u8() % (S.live.n + 2);
		size_t isz = (m & 8) ? sizeof(info) : sizeof(info[0]);

		if (m & 16)
			isz = VMM_MEM_REGION_INFO_SIZE_VER0 - 1 - in_u8() % 8;
		memset(info, 0xee, sizeof(info));
		EQ(vmm_mem_region_info(S.mem, idx, info, isz),
		   isz < VMM_MEM_REGION_INFO_SIZE_VER0 ? -EINVAL :
		   idx < (unsigned int)S.live.n ? 0 : -ENOENT);
		if (isz >= VMM_MEM_REGION_INFO_SIZE_VER0 &&
		    idx < (unsigned int)S.live.n) {
			check_info(&info[0], S.live.r[idx]);
			if (isz == sizeof(info)) {
				static const struct vmm_mem_region_info zero;

				EXPECT(!memcmp(&info[1], &zero, sizeof(zero)),
				       "the unknown tail is not zeroed");
			}
		}
		break;
	}
	case 2:
		EQ(vmm_mem_region_info_at(S.mem, gpa, info, sizeof(info[0])),
		   i < 0 ? -EFAULT : 0);
		if (i >= 0)
			check_info(&info[0], S.live.r[i]);
		break;
	case 3:
		EQ(vmm_mem_last_addr(S.mem, &x), S.live.n ? 0 : -ENOENT);
		if (S.live.n)
			EQ(x, last_of(S.live.r[S.live.n - 1]));
		break;
	case 4:
		EQ(vmm_mem_address_in_range(S.mem, gpa), i >= 0);
		break;
	case 5:
		EQ(vmm_mem_check_range(S.mem, gpa, len),
		   !len ? 1 : wraps(gpa, len) ? -EOVERFLOW :
		   m_span(&S.live, gpa, len, false) == len);
		break;
	case 6: {
		uint64_t sum;
		bool ovf = __builtin_add_overflow(gpa, len, &sum);

		x = 7;
		EQ(vmm_mem_checked_offset(S.mem, gpa, len, &x),
		   ovf ? -EOVERFLOW : m_find(&S.live, sum) < 0 ? -EFAULT : 0);
		EQ(x, (!ovf && m_find(&S.live, sum) >= 0) ? sum : 7);
		break;
	}
	default: {
		uint64_t a = 1ull << (in_u8() % 64), o = 3;
		uint64_t up = (gpa + (a - 1)) & ~(a - 1);
		int rc;

		if ((m & 8) && a > 1)
			a |= 1;
		rc = vmm_mem_gpa_align_up(gpa, a, &o);
		if (a & (a - 1))
			EQ(rc, -EINVAL);
		else if (gpa > UINT64_MAX - (a - 1))
			EQ(rc, -EOVERFLOW);
		else {
			EQ(rc, 0);
			EQ(o, up);
		}
		EQ(vmm_mem_gpa_add(gpa, len, &o),
		   gpa + len < gpa ? -EOVERFLOW : 0);
		EQ(vmm_mem_gpa_sub(gpa, len, &o), len > gpa ? -EOVERFLOW : 0);
		EQ(vmm_mem_gpa_add(gpa, len, NULL), -EINVAL);
		break;
	}
	}
}

/* get_host_address, get_slice, get_slices: pointers and their bytes. */
static void check_ptr(const struct mtable *t, uint64_t gpa, const void *p,
		      uint64_t len)
{
	int i = m_find(t, gpa);

	EXPECT(i >= 0, "pointer for unbacked 0x%llx", (unsigned long long)gpa);
	EXPECT((const uint8_t *)p == (const uint8_t *)t->r[i]->hva +
	       (gpa - t->r[i]->gpa), "pointer for 0x%llx is off",
	       (unsigned long long)gpa);
	m_rw(t, gpa, buf2, len, false, false);
	EXPECT(!memcmp(p, buf2, (size_t)len), "bytes behind 0x%llx differ",
	       (unsigned long long)gpa);
}

static void op_slice(void)
{
	uint8_t m = in_u8();
	uint64_t gpa = pick_gpa(), len = (m & 1) ? pick_glen() : pick_len();
	uint32_t seed = in_u32();
	void *p = (void *)1;
	int i = m_find(&S.live, gpa), want;

	if (m & 2) {	/* get_slices */
		struct iovec iov[MAX_LIVE + 1];
		size_t cnt = (m & 4) ? (in_u8() % (MAX_LIVE + 2)) : MAX_LIVE + 1;
		uint64_t cur = gpa, left = len;
		ssize_t rc;
		int k;

		if (!len)
			want = 0;
		else if (wraps(gpa, len))
			want = -EOVERFLOW;
		else if (m_span(&S.live, gpa, len, false) != len)
			want = -EFAULT;
		else
			want = 1;
		note("slices 0x%llx+0x%llx cnt %zu -> %d",
		     (unsigned long long)gpa, (unsigned long long)len, cnt, want);
		memset(iov, 0xee, sizeof(iov));
		rc = vmm_mem_get_slices(S.mem, gpa, len, cnt ? iov : NULL, cnt);
		if (want <= 0) {
			EQ(rc, want);
			memset(buf2, 0xee, sizeof(iov));
			EXPECT(!memcmp(iov, buf2, sizeof(iov)), "iov filled");
			return;
		}
		for (k = 0; left; k++) {
			const struct mregion *r = S.live.r[m_find(&S.live, cur)];
			uint64_t c = last_of(r) - cur + 1;

			if (c > left)
				c = left;
			if ((size_t)k < cnt) {
				EQ(iov[k].iov_len, c);
				check_ptr(&S.live, cur, iov[k].iov_base, c);
			}
			cur += c;
			left -= c;
		}
		EQ(rc, k);
		return;
	}
	if (wraps(gpa, len))
		want = -EOVERFLOW;
	else if (i < 0)
		want = -EFAULT;
	else if (len && len - 1 > last_of(S.live.r[i]) - gpa)
		want = m_span(&S.live, gpa, len, false) == len ? -EXDEV : -EFAULT;
	else
		want = 0;
	note("slice 0x%llx+0x%llx -> %d", (unsigned long long)gpa,
	     (unsigned long long)len, want);
	EQ((m & 8) ? vmm_mem_get_host_address(S.mem, gpa, &p)
		   : vmm_mem_get_slice(S.mem, gpa, (m & 8) ? 0 : len, &p),
	   (m & 8) ? (i < 0 ? -EFAULT : 0) : want);
	if (m & 8)
		len = 0;
	else if (want)
		return;
	if (i < 0)
		return;
	check_ptr(&S.live, gpa, p, len);
	/* A device writes through the pointer: not logged, unless marked. */
	if ((m & 16) && len && len <= BUF_MAX &&
	    !(S.live.r[i]->flags & VMM_MEM_REGION_READONLY)) {
		pattern(buf, (size_t)len, seed);
		memcpy(p, buf, (size_t)len);
		m_rw(&S.live, gpa, buf, len, true, false);
		if (m & 32) {
			EQ(vmm_mem_dirty_log_mark(S.mem, gpa, len), 0);
			m_rw(&S.live, gpa, buf, len, true, true);
		}
	}
}

/* ---- snapshots ------------------------------------------------------------- */

static struct msnap *pick_snap(void)
{
	struct msnap *sn = &S.snap[in_u8() % NSNAP];

	return sn->s ? sn : NULL;
}

static void snap_put(struct msnap *sn)
{
	vmm_mem_snapshot_put(sn->s);
	sn->s = NULL;
	check_released();
}

static void op_snap_get(void)
{
	uint8_t m = in_u8();
	struct msnap *sn = &S.snap[m % NSNAP];
	int want;

	note("slot %u %s", m % NSNAP, (m & 4) ? "refresh" : "get");
	if (m & 4) {	/* refresh, NULL slot included */
		want = !sn->s || sn->gen != S.gen;
		EQ(vmm_mem_snapshot_refresh(S.mem, &sn->s), want);
		EXPECT(sn->s, "refresh left NULL");
		if (want) {
			sn->t = S.live;
			sn->gen = S.gen;
			check_released();
		}
		return;
	}
	if (sn->s)
		snap_put(sn);
	EQ(vmm_mem_snapshot_get(S.mem, &sn->s), 0);
	sn->t = S.live;
	sn->gen = S.gen;
}

static void op_snap_put(void)
{
	struct msnap *sn = pick_snap();

	if (sn)
		snap_put(sn);
}

static void op_snap_access(void)
{
	uint8_t m = in_u8();
	struct msnap *sn = pick_snap();
	struct vmm_mem_region_info info;
	uint64_t gpa;
	int i;

	if (!sn)
		return;
	switch (m % 6) {
	case 0: exact_on(NULL, sn, false); break;
	case 1: exact_on(NULL, sn, true); break;
	case 2: atomic_on(NULL, sn, false, false); break;
	case 3: atomic_on(NULL, sn, true, false); break;
	case 4:
		gpa = pick_gpa();
		i = m_find(&sn->t, gpa);
		EQ(vmm_mem_snapshot_find_region(sn->s, gpa), i < 0 ? -EFAULT : i);
		EQ(vmm_mem_snapshot_num_regions(sn->s), sn->t.n);
		break;
	default:
		i = in_u8() % (sn->t.n + 1);
		EQ(vmm_mem_snapshot_region_info(sn->s, (unsigned int)i, &info,
						sizeof(info)),
		   i < sn->t.n ? 0 : -ENOENT);
		if (i < sn->t.n)
			check_info(&info, sn->t.r[i]);
		break;
	}
}

/* ---- scatter-gather mappings ---------------------------------------------- */

static void do_unmap(struct mmapping *mp, uint64_t written)
{
	EQ(vmm_mem_unmap(mp->m, written), 0);
	if (mp->flags & VMM_MEM_MAP_WRITE) {
		int k;

		for (k = 0; k < mp->n && written; k++) {
			uint64_t c = written < mp->iov[k].iov_len ?
					     written : mp->iov[k].iov_len;
			uint64_t g = k ? mp->r[k]->gpa : mp->gpa;

			m_mark(mp->r[k], g, c);
			written -= c;
		}
	}
	mp->m = NULL;
	check_released();
}

static void op_map(void)
{
	uint8_t m = in_u8();
	struct mmapping *mp = &S.map[m % NMAP];
	uint64_t gpa = pick_gpa(), len = pick_glen();
	unsigned int flags = (m >> 2) & 3;
	uint64_t cur = gpa, left = len;
	int want, k;

	if (m & 16)
		flags |= 1u << (in_u8() % 8);
	if (mp->m) {
		uint64_t w = in_u64();

		/* len + 2 is 0 for the longest lengths */
		do_unmap(mp, len + 2 ? w % (len + 2) : w);
	}
	if (!len || !flags || (flags & ~3u))
		want = -EINVAL;
	else if (wraps(gpa, len))
		want = -EOVERFLOW;
	else
		want = m_range_check(&S.live, gpa, len, flags & VMM_MEM_MAP_WRITE);
	note("slot %u 0x%llx+0x%llx flags %u -> %d", m % NMAP,
	     (unsigned long long)gpa, (unsigned long long)len, flags, want);
	EQ(vmm_mem_map(S.mem, gpa, len, flags, &mp->m), want);
	if (want) {
		mp->m = NULL;
		return;
	}
	mp->gpa = gpa;
	mp->len = len;
	mp->flags = flags;
	for (k = 0; left; k++) {
		struct mregion *r = S.live.r[m_find(&S.live, cur)];
		uint64_t c = last_of(r) - cur + 1;

		if (c > left)
			c = left;
		mp->r[k] = r;
		cur += c;
		left -= c;
	}
	mp->n = k;
	EQ(vmm_mem_mapping_iov(mp->m, NULL, 0), k);
	EQ(vmm_mem_mapping_iov(mp->m, mp->iov, MAX_LIVE), k);
	cur = gpa;
	for (k = 0; k < mp->n; k++) {
		check_ptr(&S.live, cur, mp->iov[k].iov_base, mp->iov[k].iov_len);
		cur += mp->iov[k].iov_len;
	}
}

/* Write through a mapping, as a device would, or release it. */
static void op_map_use(void)
{
	uint8_t m = in_u8();
	struct mmapping *mp = &S.map[m % NMAP];
	uint64_t written = in_u64();
	uint32_t seed = in_u32();
	int k;

	if (!mp->m)
		return;
	if (m & 4)
		written %= mp->len + 2;
	note("slot %u %s written 0x%llx", m % NMAP,
	     (m & 8) ? "write" : "unmap", (unsigned long long)written);
	if ((m & 8) && (mp->flags & VMM_MEM_MAP_WRITE)) {
		for (k = 0; k < mp->n; k++) {
			uint64_t g = k ? mp->r[k]->gpa : mp->gpa;

			pattern(buf, mp->iov[k].iov_len, seed + (uint32_t)k);
			memcpy(mp->iov[k].iov_base, buf, mp->iov[k].iov_len);
			m_copy(mp->r[k], g - mp->r[k]->gpa, buf,
			       mp->iov[k].iov_len, true);
		}
		return;
	}
	do_unmap(mp, written);
}

/* ---- dirty log -------------------------------------------------------------- */

/* vmm_mem_dirty_log_mark() through handle @mem: every region's part of the
 * range, unbacked parts ignored; a view's marks go to the guest pages. */
static void mark_on(vmm_mem_t *mem)
{
	const struct mtable *t = m_table(mem);
	uint64_t len = pick_glen(), gpa = pick_gpa(), end;
	int i;

	note("mark 0x%llx+0x%llx", (unsigned long long)gpa,
	     (unsigned long long)len);
	EQ(vmm_mem_dirty_log_mark(mem, gpa, len),
	   wraps(gpa, len) ? -EOVERFLOW : 0);
	if (!len || wraps(gpa, len))
		return;
	end = gpa + (len - 1);
	for (i = 0; i < t->n; i++) {
		struct mregion *r = t->r[i];
		uint64_t a = gpa > r->gpa ? gpa : r->gpa;
		uint64_t b = end < last_of(r) ? end : last_of(r);

		if (a <= b)
			m_mark(r, a, b - a + 1);
	}
}

static void op_dirty(void)
{
	static const uint64_t sizes[] = {
		0, 4096, 8192, 65536, 1 << 21, 1 << 30, 2048, 12288,
		UINT64_C(1) << 31, 1,
	};
	uint8_t m = in_u8();
	uint64_t gpa, ps;
	int i, want;

	switch (m & 7) {
	case 0:
		ps = sizes[in_u8() % 10];
		note("start 0x%llx", (unsigned long long)ps);
		if (ps && (ps < 4096 || ps > (1 << 30) || (ps & (ps - 1)))) {
			EQ(vmm_mem_dirty_log_start(S.mem, ps), -EINVAL);
			break;
		}
		EQ(vmm_mem_dirty_log_start(S.mem, ps), S.shift ? -EBUSY : 0);
		if (S.shift)
			break;
		S.shift = (unsigned int)__builtin_ctzll(ps ? ps : PG);
		ndset = 0;
		for (i = 0; i < S.live.n; i++) {
			S.live.r[i]->logged = true;
			S.live.r[i]->dirty = 0;
		}
		break;
	case 1:
		note("stop");
		EQ(vmm_mem_dirty_log_stop(S.mem), S.shift ? 0 : -ENOENT);
		for (i = 0; i < S.live.n; i++)
			S.live.r[i]->logged = false;
		S.shift = 0;
		ndset = 0;
		break;
	case 2: {
		uint64_t bm[10], npages, words, p, cnt = 0;
		unsigned int flags = (m >> 3) & 1;
		int64_t rc, expect;

		if (m & 16)
			flags |= 1u << (in_u8() % 32);
		gpa = pick_gpa();
		if (!(m & 32) && S.shift)
			gpa &= ~((UINT64_C(1) << S.shift) - 1);
		npages = in_u16() % 520;
		if (m & 64)
			npages = in_u64();
		for (i = 0; i < 10; i++)
			bm[i] = 0xdeadbeefcafef00dull;
		if (flags & ~1u)
			expect = -EINVAL;
		else if (!S.shift)
			expect = -ENOENT;
		else if (gpa & ((UINT64_C(1) << S.shift) - 1))
			expect = -EINVAL;
		else if (!npages)
			expect = 0;
		else if (npages > (UINT64_MAX >> S.shift) ||
			 wraps(gpa, npages << S.shift))
			expect = -EOVERFLOW;
		else
			expect = 1;
		note("get 0x%llx n 0x%llx flags %u -> %lld",
		     (unsigned long long)gpa, (unsigned long long)npages, flags,
		     (long long)expect);
		if (expect == 1 && npages > 512)
			break;		/* too big for bm[] */
		rc = vmm_mem_dirty_log_get(S.mem, gpa, npages, bm, flags);
		if (expect < 1) {
			EQ(rc, expect);
			for (i = 0; i < 10; i++)
				EQ(bm[i], 0xdeadbeefcafef00dull);
			break;
		}
		words = (npages + 63) / 64;
		for (p = 0; p < words * 64; p++) {
			bool d = p < npages && m_dirty((gpa >> S.shift) + p);

			EXPECT((bm[p / 64] >> (p % 64) & 1) == d,
			       "page 0x%llx: dirty %d, expected %d",
			       (unsigned long long)(gpa + (p << S.shift)),
			       (int)(bm[p / 64] >> (p % 64) & 1), d);
			cnt += d;
			if (d && (flags & 1))
				m_clean((gpa >> S.shift) + p);
		}
		for (p = words; p < 10; p++)
			EQ(bm[p], 0xdeadbeefcafef00dull);
		EQ(rc, cnt);
		break;
	}
	case 3:
		gpa = pick_gpa();
		i = m_find(&S.live, gpa);
		note("test 0x%llx", (unsigned long long)gpa);
		if (!S.shift)
			want = -ENOENT;
		else if (DIRTY_BY_GPA)	/* a dirty page is 1, backed or not */
			want = m_dirty(gpa >> S.shift) ? 1 : i < 0 ? -EFAULT : 0;
		else
			want = i < 0 ? -EFAULT : m_dirty(gpa >> S.shift);
		EQ(vmm_mem_dirty_log_test(S.mem, gpa), want);
		break;
	case 4:
		mark_on(S.mem);
		break;
	default:
		EQ(vmm_mem_dirty_log_page_size(S.mem),
		   S.shift ? (int64_t)1 << S.shift : 0);
		break;
	}
}

/* ---- file descriptors ------------------------------------------------------ */

static void pipe_get(void)
{
	if (S.pipe[0] >= 0)
		return;
	EXPECT(pipe2(S.pipe, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2: %s",
	       strerror(errno));
	EXPECT(fcntl(S.pipe[1], F_SETPIPE_SZ, BUF_MAX) >= (int)BUF_MAX,
	       "F_SETPIPE_SZ: %s", strerror(errno));
}

static void xf_get(void)
{
	if (S.xf >= 0)
		return;
	S.xf = memfd_create("vmmem-fuzz-xfer", MFD_CLOEXEC);
	EXPECT(S.xf >= 0, "memfd_create: %s", strerror(errno));
	S.xfm = calloc(1, XF_MAX);
	S.xf_size = 0;
}

static size_t drain(int fd, uint8_t *to, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while ((n = read(fd, to ? to + got : buf2, to ? max - got : BUF_MAX)) > 0)
		got += (size_t)n;
	return got;
}

/*
 * Transfers: guest memory to and from a pipe (non-blocking, 1 MiB) and a
 * memfd (positioned), single calls and the exact/all loops.
 */
static void op_fd(void)
{
	uint8_t m = in_u8();
	unsigned int kind = m % 8;
	bool to_guest = !(kind & 1), positioned = kind & 2, loop = kind & 4;
	uint64_t gpa = pick_gpa(), len = pick_glen(), off = 0, done = 7;
	uint32_t seed = in_u32();
	uint64_t k = 0, want_n = 0;
	int fd, want, eofp[2] = { -1, -1 };
	bool eof = false;
	ssize_t rc;

	if (positioned) {
		xf_get();
		fd = S.xf;
		off = in_u32() % (XF_MAX / 2);
		if (m & 8) {	/* offsets past INT64_MAX */
			off = (uint64_t)INT64_MAX - in_u8();
			if (m & 16)
				off += 256;
			else if (len && len <= (uint64_t)INT64_MAX - off)
				len = (uint64_t)INT64_MAX - off + 1 + in_u8();
		}
	} else if (to_guest && (m & 8)) {	/* a pipe that ends */
		EXPECT(pipe2(eofp, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2");
		eof = true;
		fd = eofp[0];
	} else {
		pipe_get();
		fd = S.pipe[to_guest ? 0 : 1];
	}
	if ((m & 0xf0) == 0xf0)
		fd = -1 - (m & 1);
	if (to_guest && !positioned && fd >= 0) {
		/* what the pipe holds */
		k = in_u32() % (eof || !(m & 16) ? 65536 : BUF_MAX);
		pattern(buf, (size_t)k, seed);
		EQ(write(eof ? eofp[1] : S.pipe[1], buf, (size_t)k), k);
	}
	if (eof) {
		close(eofp[1]);
		eofp[1] = -1;
	}

	if (fd < 0)
		want = -EBADF;
	else if (wraps(gpa, len))
		want = -EOVERFLOW;
	else if (positioned && (off > (uint64_t)INT64_MAX ||
				len > (uint64_t)INT64_MAX - off))
		want = -EOVERFLOW;
	else if (!len)
		want = 0;
	else if (loop)
		want = m_range_check(&S.live, gpa, len, to_guest);
	else if (m_find(&S.live, gpa) < 0)
		want = -EFAULT;
	else if (to_guest &&
		 (S.live.r[m_find(&S.live, gpa)]->flags & VMM_MEM_REGION_READONLY))
		want = -EACCES;
	else
		want = 1;
	if (want == 1 || (loop && want == 0 && len)) {
		uint64_t span = m_span(&S.live, gpa, len, to_guest);

		if (loop)
			span = len;
		if (!to_guest)
			want_n = span;
		else if (positioned)
			want_n = off >= S.xf_size ? 0 :
				 span < S.xf_size - off ? span : S.xf_size - off;
		else
			want_n = span < k ? span : k;
		if (loop && want_n < len)
			want = positioned || eof ? -ENODATA : -EAGAIN;
		if (!loop && to_guest && !positioned && !k && !eof)
			want = -EAGAIN;
	}
	note("kind %u fd %d 0x%llx+0x%llx off 0x%llx k 0x%llx -> %d n 0x%llx",
	     kind, fd, (unsigned long long)gpa, (unsigned long long)len,
	     (unsigned long long)off, (unsigned long long)k, want,
	     (unsigned long long)want_n);

	switch (kind) {
	case 0: rc = vmm_mem_read_from_fd(S.mem, gpa, fd, len); break;
	case 1: rc = vmm_mem_write_to_fd(S.mem, gpa, fd, len); break;
	case 2: rc = vmm_mem_pread_from_fd(S.mem, gpa, fd, len, off); break;
	case 3: rc = vmm_mem_pwrite_to_fd(S.mem, gpa, fd, len, off); break;
	case 4: rc = vmm_mem_read_exact_from_fd(S.mem, gpa, fd, len, &done); break;
	case 5: rc = vmm_mem_write_all_to_fd(S.mem, gpa, fd, len, &done); break;
	case 6: rc = vmm_mem_pread_exact_from_fd(S.mem, gpa, fd, len, off, &done); break;
	default: rc = vmm_mem_pwrite_all_to_fd(S.mem, gpa, fd, len, off, &done); break;
	}
	if (loop) {
		EQ(rc, want == 1 ? 0 : want);
		EQ(done, want_n);
	} else if (want == 1) {
		EQ(rc, want_n);
	} else {
		EQ(rc, want);
	}
	if (want_n) {
		if (to_guest) {
			if (positioned)
				memcpy(buf, S.xfm + off, (size_t)want_n);
			m_rw(&S.live, gpa, buf, want_n, true, true);
		} else {
			m_rw(&S.live, gpa, buf2, want_n, false, false);
			if (positioned) {
				memcpy(S.xfm + off, buf2, (size_t)want_n);
				if (off + want_n > S.xf_size)
					S.xf_size = off + want_n;
				EQ(pread(S.xf, buf, (size_t)want_n, (off_t)off),
				   want_n);
			} else {
				EQ(drain(S.pipe[0], buf, BUF_MAX), want_n);
			}
			EXPECT(!memcmp(buf, buf2, (size_t)want_n),
			       "bytes written to the fd differ");
		}
	}
	if (eof)
		close(eofp[0]);
	if (S.pipe[0] >= 0)
		drain(S.pipe[0], NULL, 0);
}

/* Seed the transfer file with bytes of its own. */
static void op_xf_fill(void)
{
	uint64_t off = in_u32() % (XF_MAX / 2), len = in_u16() * 4ull;
	uint32_t seed = in_u32();

	xf_get();
	pattern(buf, (size_t)len, seed);
	EQ(pwrite(S.xf, buf, (size_t)len, (off_t)off), len);
	memcpy(S.xfm + off, buf, (size_t)len);
	if (len && off + len > S.xf_size)
		S.xf_size = off + len;
}

/* ---- everything else -------------------------------------------------------- */

static char logline[512];
static void __attribute__((format(printf, 6, 0)))
log_cb(void *data, int prio, const char *file, int line, const char *fn,
       const char *fmt, va_list ap)
{
	(void)data; (void)prio; (void)file; (void)line; (void)fn;
	vsnprintf(logline, sizeof(logline), fmt, ap);
}

static void op_misc(void)
{
	uint8_t m = in_u8();
	int p = (int)(in_u8() % 10) - 1;
	vmm_mem_t *o = NULL;

	switch (m % 4) {
	case 0:
		EQ(vmm_mem_set_log_fn(S.mem, (m & 4) ? log_cb : NULL, NULL), 0);
		EQ(vmm_mem_set_log_priority(S.mem, p), p >= 0 && p <= 7 ? 0 : -EINVAL);
		if (p >= 0 && p <= 7)
			EQ(vmm_mem_get_log_priority(S.mem), p);
		break;
	case 1:
		EXPECT(vmm_mem_ref(S.mem) == S.mem, "ref");
		EXPECT(vmm_mem_unref(S.mem) == NULL, "unref");
		EXPECT(vmm_mem_unref(NULL) == NULL, "unref NULL");
		EQ(vmm_mem_version(), VMM_MEM_VERSION);
		break;
	case 2: {	/* vmm_mem_new_from_ranges(_with_files) */
		struct vmm_mem_file_range fr[4];
		struct vmm_mem_range rr[4];
		unsigned int n = in_u8() % 5, i;
		bool files = m & 4;
		int want = n ? 0 : -EINVAL, rc;

		for (i = 0; i < n; i++) {
			uint64_t size = pick_size(), gpa = pick_region_gpa(size);
			uint8_t f = in_u8();

			rr[i].gpa = fr[i].gpa = gpa;
			rr[i].size = fr[i].size = size;
			fr[i].fd = (f & 1) ? memfd_get(f / 2 % NMEMFD) : -1;
			fr[i].reserved = (f & 0xf0) == 0xf0;
			fr[i].fd_offset = (uint64_t)(f >> 4) * PG;
			if (fr[i].fd < 0 && !(f & 2))
				fr[i].fd_offset = 0;
		}
		for (i = 0; i < n && !want; i++) {	/* creation, in order */
			uint64_t end;

			if (files && fr[i].reserved)
				want = -EINVAL;
			else if (__builtin_add_overflow(rr[i].gpa, rr[i].size, &end))
				want = -EOVERFLOW;
			else if (!files)
				continue;
			else if (fr[i].fd < 0 && fr[i].fd_offset)
				want = -EINVAL;
			else if (fr[i].fd >= 0 &&
				 fr[i].fd_offset + fr[i].size > MEMFD_SIZE)
				want = -EINVAL;
		}
		for (i = 1; i < n && !want; i++) {
			if (rr[i - 1].gpa > rr[i].gpa)
				want = -EINVAL;
			else if (rr[i - 1].gpa + rr[i - 1].size - 1 >= rr[i].gpa)
				want = -EEXIST;
		}
		rc = files ? vmm_mem_new_from_ranges_with_files(&o, fr, n)
			   : vmm_mem_new_from_ranges(&o, rr, n);
		note("from_ranges%s n %u -> %d", files ? "_with_files" : "", n,
		     want);
		EQ(rc, want);
		if (!rc) {
			EQ(vmm_mem_num_regions(o), n);
			for (i = 0; i < n; i++) {
				uint8_t b = 0xee;

				EQ(vmm_mem_read(o, rr[i].gpa, &b, 1), 1);
				if (!files || fr[i].fd < 0)
					EQ(b, 0);
				else
					EQ(b, S.mf[(fr[i].fd == S.memfd[0]) ? 0 : 1]
						  [fr[i].fd_offset]);
			}
		} else {
			EXPECT(!o, "handle set on failure");
		}
		vmm_mem_unref(o);
		break;
	}
	default:	/* NULL everywhere */
		EQ(vmm_mem_new(NULL), -EINVAL);
		EQ(vmm_mem_read(NULL, 0, buf, 1), -EINVAL);
		EQ(vmm_mem_read(S.mem, 0, NULL, 1), -EINVAL);
		EQ(vmm_mem_write(NULL, 0, buf, 1), -EINVAL);
		EQ(vmm_mem_read_exact(NULL, 0, buf, 1), -EINVAL);
		EQ(vmm_mem_write_exact(S.mem, 0, NULL, 1), -EINVAL);
		EQ(vmm_mem_fill(NULL, 0, 0, 1), -EINVAL);
		EQ(vmm_mem_copy(NULL, 0, 0, 1), -EINVAL);
		EQ(vmm_mem_load(NULL, 0, 4, (uint64_t *)buf, 0), -EINVAL);
		EQ(vmm_mem_load(S.mem, 0, 4, NULL, 0), -EINVAL);
		EQ(vmm_mem_store(NULL, 0, 4, 0, 0), -EINVAL);
		EQ(vmm_mem_add_region(S.mem, NULL, 64), -EINVAL);
		EQ(vmm_mem_remove_region(NULL, 0, 1), -EINVAL);
		EQ(vmm_mem_num_regions(NULL), -EINVAL);
		EQ(vmm_mem_snapshot_get(S.mem, NULL), -EINVAL);
		EQ(vmm_mem_snapshot_refresh(S.mem, NULL), -EINVAL);
		EQ(vmm_mem_snapshot_read_exact(NULL, 0, buf, 1), -EINVAL);
		EQ(vmm_mem_snapshot_load(NULL, 0, 4, (uint64_t *)buf, 0), -EINVAL);
		EQ(vmm_mem_snapshot_num_regions(NULL), -EINVAL);
		EQ(vmm_mem_map(S.mem, 0, 1, VMM_MEM_MAP_READ, NULL), -EINVAL);
		EQ(vmm_mem_mapping_iov(NULL, NULL, 0), -EINVAL);
		EQ(vmm_mem_unmap(NULL, 0), 0);
		EQ(vmm_mem_get_slices(S.mem, 0, 1, NULL, 1), -EINVAL);
		EQ(vmm_mem_get_slice(S.mem, 0, 1, NULL), -EINVAL);
		EQ(vmm_mem_dirty_log_start(NULL, 0), -EINVAL);
		EQ(vmm_mem_dirty_log_get(S.mem, 0, 1, NULL, 0), -EINVAL);
		EQ(vmm_mem_dirty_log_mark(NULL, 0, 1), -EINVAL);
		EQ(vmm_mem_read_from_fd(NULL, 0, 0, 1), -EINVAL);
		EQ(vmm_mem_last_addr(S.mem, NULL), -EINVAL);
		EQ(vmm_mem_set_log_fn(NULL, NULL, NULL), -EINVAL);
		break;
	}
}

/* Lengths no buffer here could hold: refused before a byte moves, or cut
 * short by the end of what is backed. */
static void op_huge(void)
{
	uint8_t m = in_u8();
	uint64_t gpa = pick_gpa(), len;
	vmm_mem_mapping_t *mm = NULL;
	int i, want;
	int64_t n;

	if (m & 8)
		len = (uint64_t)SSIZE_MAX + 1 + in_u8();
	else
		len = BUF_MAX + 1 + in_u64() % (UINT64_MAX - BUF_MAX);
	want = wraps(gpa, len) ? -EOVERFLOW : -EFAULT;
	i = m_find(&S.live, gpa);
	note("%u 0x%llx+0x%llx", m % 8, (unsigned long long)gpa,
	     (unsigned long long)len);
	switch (m % 8) {
	case 0:
	case 1:
		if (len > SSIZE_MAX || wraps(gpa, len) || i < 0)
			n = len > SSIZE_MAX ? -EINVAL : want;
		else if ((m & 1) &&
			 (S.live.r[i]->flags & VMM_MEM_REGION_READONLY))
			n = -EACCES;
		else
			n = (int64_t)m_span(&S.live, gpa, len, m & 1);
		EQ((m & 1) ? vmm_mem_write(S.mem, gpa, buf, (size_t)len)
			   : vmm_mem_read(S.mem, gpa, buf, (size_t)len), n);
		if (n <= 0)
			break;
		if (m & 1) {
			m_rw(&S.live, gpa, buf, (uint64_t)n, true, true);
		} else {
			m_rw(&S.live, gpa, buf2, (uint64_t)n, false, false);
			EXPECT(!memcmp(buf, buf2, (size_t)n), "bytes differ");
		}
		break;
	case 2:
		EQ(vmm_mem_read_exact(S.mem, gpa, buf, (size_t)len), want);
		break;
	case 3:
		EQ(vmm_mem_write_exact(S.mem, gpa, buf, (size_t)len), want);
		break;
	case 4:
		EQ(vmm_mem_fill(S.mem, gpa, 0, len), want);
		break;
	case 5:
		EQ(vmm_mem_copy(S.mem, gpa, 0, len),
		   wraps(gpa, len) || wraps(0, len) ? -EOVERFLOW : -EFAULT);
		break;
	case 6:
		EQ(vmm_mem_map(S.mem, gpa, len, VMM_MEM_MAP_READ, &mm), want);
		EXPECT(!mm, "a mapping on failure");
		break;
	default:
		EQ(vmm_mem_read_exact_from_fd(S.mem, gpa, 0, len, NULL), want);
		break;
	}
}

/*
 * A caller buffer that lies in guest memory: read and write (partial or
 * exact) with a pointer from vmm_mem_get_slice().  Each call behaves as one
 * memmove() of the whole range, whatever the regions in between.  The
 * buffer's region has bytes of its own, so that overlap is a matter of
 * host addresses only.
 */
static void op_inner(void)
{
	uint8_t m = in_u8();
	uint64_t gpa = pick_gpa(), len = in_u16() % (3 * PG) + 1, bgpa, n = 0;
	struct mregion *br = pick_region(true);
	uint16_t boff = in_u16();
	bool w = m & 1, exact = m & 2;
	int64_t want, rc;
	void *p;
	int i;

	if (!br || br->memfd >= 0 || (br->flags & VMM_MEM_REGION_READONLY) ||
	    br->size < len)
		return;
	bgpa = br->gpa + boff % (br->size - len + 1);
	EQ(vmm_mem_get_slice(S.mem, bgpa, len, &p), 0);
	i = m_find(&S.live, gpa);
	if (wraps(gpa, len))
		want = -EOVERFLOW;
	else if (exact)
		want = m_range_check(&S.live, gpa, len, w);
	else if (i < 0)
		want = -EFAULT;
	else if (w && (S.live.r[i]->flags & VMM_MEM_REGION_READONLY))
		want = -EACCES;
	else
		want = 1;
	if (!want || want == 1)
		n = exact ? len : m_span(&S.live, gpa, len, w);
	note("%s%s 0x%llx+0x%llx buffer at 0x%llx -> %lld",
	     w ? "write" : "read", exact ? "_exact" : "",
	     (unsigned long long)gpa, (unsigned long long)len,
	     (unsigned long long)bgpa, (long long)want);
	/* the source as it was before any byte moved */
	m_rw(&S.live, w ? bgpa : gpa, buf, n, false, false);
	if (exact)
		rc = w ? vmm_mem_write_exact(S.mem, gpa, p, (size_t)len)
		       : vmm_mem_read_exact(S.mem, gpa, p, (size_t)len);
	else
		rc = w ? vmm_mem_write(S.mem, gpa, p, (size_t)len)
		       : vmm_mem_read(S.mem, gpa, p, (size_t)len);
	EQ(rc, want == 1 ? (int64_t)n : want);
	if (!n)
		return;
	if (w) {
		m_rw(&S.live, gpa, buf, n, true, true);
		EQ(vmm_mem_read_exact(S.mem, gpa, buf2, (size_t)n), 0);
	} else {
		m_rw(&S.live, bgpa, buf, n, true, false);
		memcpy(buf2, p, (size_t)n);
	}
	EXPECT(!memcmp(buf, buf2, (size_t)n), "not one memmove of the range");
}

/* ---- front-end addresses and fragments ------------------------------------- */

/*
 * vmm_mem_vua_to_gpa() of the model: among the regions with a VUA (whose
 * VUA range does not wrap), the one with the highest VUA at or below @vua
 * answers, -EFAULT when its range ends before @vua.  Returns 1 when two
 * such regions share that VUA: which one answers is not defined then.
 */
static int m_vua(uint64_t vua, uint64_t *gpa, uint64_t *len)
{
	const struct mregion *best = NULL;
	uint64_t last;
	int i, ties = 0;

	for (i = 0; i < S.live.n; i++) {
		const struct mregion *r = S.live.r[i];

		if (!r->vua || __builtin_add_overflow(r->vua, r->size - 1, &last) ||
		    r->vua > vua)
			continue;
		if (best && best->vua == r->vua)
			ties++;
		else if (!best || r->vua > best->vua) {
			best = r;
			ties = 0;
		}
	}
	if (ties)
		return 1;
	if (!best || vua - best->vua > best->size - 1)
		return -EFAULT;
	*gpa = best->gpa + (vua - best->vua);
	if (*len > best->size - (vua - best->vua))
		*len = best->size - (vua - best->vua);
	return 0;
}

/* A VUA: in or near a region's VUA range, or anything. */
static uint64_t pick_vua(void)
{
	uint8_t m = in_u8();
	struct mregion *r = pick_region(m & 1);

	if ((m & 6) == 6 || !r)
		return in_u64();
	return ((m & 8) ? r->vua + r->size : r->vua) +
	       (uint64_t)(int64_t)(int16_t)in_u16() / ((m & 16) ? 256 : 1);
}

/* vmm_mem_gpa_to_hva() through handle @mem. */
static void gpa_to_hva_on(vmm_mem_t *mem)
{
	const struct mtable *t = m_table(mem);
	uint64_t gpa = pick_gpa(), len = pick_glen(), n = len;
	void *p = (void *)1;
	int i = m_find(t, gpa), want;

	want = i < 0 ? m_fault(mem, -EFAULT, gpa, 1, 0) : 0;
	note("gpa_to_hva 0x%llx+0x%llx -> %d", (unsigned long long)gpa,
	     (unsigned long long)len, want);
	EQ(vmm_mem_gpa_to_hva(mem, gpa, &n, &p), want);
	if (want) {
		EXPECT(p == (void *)1 && n == len, "written on failure");
		return;
	}
	EQ(n, len < last_of(t->r[i]) - gpa + 1 ? len : last_of(t->r[i]) - gpa + 1);
	check_ptr(t, gpa, p, n);
}

/* vmm_mem_get_slices_prefix() through handle @mem. */
static void slices_prefix_on(vmm_mem_t *mem)
{
	const struct mtable *t = m_table(mem);
	uint64_t gpa = pick_gpa(), len = pick_glen(), done = 7, span = 0;
	uint64_t cur = gpa, got = 0;
	size_t cnt = in_u8() % (MAX_ENT + 2);
	struct iovec iov[MAX_ENT + 2];
	int64_t want;
	int k;

	if (!cnt)
		want = -EINVAL;
	else if (!len)
		want = 0;
	else if (wraps(gpa, len))
		want = -EOVERFLOW;
	else if ((span = m_span(t, gpa, len, 0)) == 0)
		want = m_fault(mem, -EFAULT, gpa, 1, 0);
	else
		want = 1;
	note("slices_prefix 0x%llx+0x%llx cnt %zu -> %lld",
	     (unsigned long long)gpa, (unsigned long long)len, cnt,
	     (long long)want);
	memset(iov, 0xee, sizeof(iov));
	if (want < 1) {
		EQ(vmm_mem_get_slices_prefix(mem, gpa, len, iov, cnt, &done),
		   want);
		EQ(done, want == -EINVAL ? 7 : 0);
		return;
	}
	for (k = 0; got < span && (size_t)k < cnt; k++) {
		const struct mregion *r = t->r[m_find(t, cur)];
		uint64_t c = last_of(r) - cur + 1;

		if (c > span - got)
			c = span - got;
		cur += c;
		got += c;
	}
	EQ(vmm_mem_get_slices_prefix(mem, gpa, len, iov, cnt, &done), k);
	EQ(done, got);
	for (cur = gpa, k = 0; cur < gpa + got; k++) {
		check_ptr(t, cur, iov[k].iov_base, iov[k].iov_len);
		cur += iov[k].iov_len;
	}
}

static void op_vua(void)
{
	uint8_t m = in_u8();
	uint64_t vua, g = 7, n, len;
	int want;

	switch (m % 4) {
	case 0:
		vua = pick_vua();
		len = n = (m & 4) ? pick_glen() : 0;
		want = m_vua(vua, &g, &len);
		note("vua_to_gpa 0x%llx+0x%llx -> %d", (unsigned long long)vua,
		     (unsigned long long)n, want);
		if (want == 1) {	/* two regions at one VUA */
			g = 0;
			vmm_mem_vua_to_gpa(S.mem, vua, &g, (m & 4) ? &n : NULL);
			break;
		}
		{
			uint64_t got = 7;

			EQ(vmm_mem_vua_to_gpa(S.mem, vua, &got,
					      (m & 4) ? &n : NULL), want);
			EQ(got, want ? 7 : g);
			if (m & 4)
				EQ(n, len);	/* untouched on failure */
		}
		break;
	case 1:
		gpa_to_hva_on(S.mem);
		break;
	case 2:
		slices_prefix_on(S.mem);
		break;
	default:
		n = 1;
		EQ(vmm_mem_vua_to_gpa(NULL, 0, &g, NULL), -EINVAL);
		EQ(vmm_mem_vua_to_gpa(S.mem, 0, NULL, NULL), -EINVAL);
		EQ(vmm_mem_gpa_to_hva(S.mem, 0, NULL, (void **)&g), -EINVAL);
		EQ(vmm_mem_gpa_to_hva(S.mem, 0, &n, NULL), -EINVAL);
		EQ(vmm_mem_gpa_to_hva(NULL, 0, &n, (void **)&g), -EINVAL);
		EQ(vmm_mem_get_slices_prefix(S.mem, 0, 1, NULL, 1, &n), -EINVAL);
		EQ(vmm_mem_get_slices_prefix(S.mem, 0, 1, (struct iovec *)buf, 1,
					     NULL), -EINVAL);
		EQ(vmm_mem_get_slices_prefix(NULL, 0, 1, (struct iovec *)buf, 1,
					     &n), -EINVAL);
		break;
	}
}

/* vmm_mem_load_le() and vmm_mem_store_le() on the guest memory. */
static void op_atomic_le(void)
{
	atomic_on(S.mem, NULL, in_u8() & 1, true);
}

/* ---- IOVA views --------------------------------------------------------------- */

/* A new view region [iova, iova + size) translating to @r at offset @off,
 * or NULL when the harness made too many. */
static struct mregion *ent_new(struct mregion *r, uint64_t off, uint64_t iova,
			       uint64_t size, bool ro, bool noread)
{
	struct mregion *e;

	if (S.nent >= NENT)
		return NULL;
	e = &S.ent[S.nent++];
	memset(e, 0, sizeof(*e));
	e->gpa = iova;
	e->size = size;
	e->type = r->type;
	e->flags = ro || (r->flags & VMM_MEM_REGION_READONLY) ?
			   VMM_MEM_REGION_READONLY : 0;
	e->memfd = -1;
	e->hva = (uint8_t *)r->hva + off;
	e->fwd = r;
	e->fwd_off = off;
	e->noread = noread;
	return e;
}

static void vt_add(struct mtable *t, struct mregion *e)
{
	int j;

	for (j = t->n; j > 0 && t->r[j - 1]->gpa > e->gpa; j--)
		t->r[j] = t->r[j - 1];
	t->r[j] = e;
	t->n++;
}

/* The view's table without translations of [iova, last], into @out: what
 * is left of the entries it cuts stays.  false when the model is full. */
static bool vt_cut(struct mtable *out, uint64_t iova, uint64_t last)
{
	int i;

	out->n = 0;
	for (i = 0; i < S.vt.n; i++) {
		struct mregion *e = S.vt.r[i], *p;

		if (last_of(e) < iova || e->gpa > last) {
			if (out->n >= MAX_ENT)
				return false;
			out->r[out->n++] = e;
			continue;
		}
		if (e->gpa < iova) {
			p = ent_new(e->fwd, e->fwd_off, e->gpa, iova - e->gpa,
				    e->flags & VMM_MEM_REGION_READONLY, e->noread);
			if (!p || out->n >= MAX_ENT)
				return false;
			out->r[out->n++] = p;
		}
		if (last_of(e) > last) {
			p = ent_new(e->fwd, e->fwd_off + (last + 1 - e->gpa),
				    last + 1, last_of(e) - last,
				    e->flags & VMM_MEM_REGION_READONLY, e->noread);
			if (!p || out->n >= MAX_ENT)
				return false;
			out->r[out->n++] = p;
		}
	}
	return true;
}

static void view_drop(void)
{
	if (!S.view)
		return;
	EXPECT(vmm_mem_unref(S.view) == NULL, "unref of the view");
	S.view = NULL;
	S.vt.n = 0;
	S.miss = false;	/* a view made later is another view */
	check_released();
}

/* An IOVA: near an entry's edges, in a low window, near 2^64, anything. */
static uint64_t pick_iova(void)
{
	uint8_t m = in_u8();

	switch (m & 3) {
	case 0:
		if (S.vt.n) {
			const struct mregion *e = S.vt.r[in_u8() % S.vt.n];

			return ((m & 4) ? e->gpa + e->size : e->gpa) +
			       (uint64_t)(int64_t)(int16_t)in_u16() /
			       ((m & 8) ? 256 : 1);
		}
		/* fall through */
	case 1:
		return (uint64_t)(in_u8() % LOW_PAGES) * PG + (in_u8() & ~7u);
	case 2:
		return UINT64_MAX - in_u16();
	default:
		return in_u64();
	}
}

static void view_update(uint8_t m)
{
	uint64_t iova = pick_iova(), size = pick_glen(), target, off = 0, x;
	unsigned int flags = (m >> 3) & 3;
	bool vua = m & 32, ok = true;
	vmm_mem_t *v = (m & 64) || !S.view ? S.mem : S.view;
	struct mtable nt;
	struct {
		struct mregion *r;
		uint64_t roff, n;
	} piece[MAX_ENT];
	int np = 0, want = 0, i, rc;

	target = vua ? pick_vua() : pick_gpa();
	if (vua)
		flags |= VMM_MEM_IOTLB_TARGET_VUA;
	if (m & 128)	/* which may be TARGET_VUA: a GPA taken for a VUA */
		flags |= 1u << (in_u8() % 32);
	vua = flags & VMM_MEM_IOTLB_TARGET_VUA;
	if (v != S.view || !size || !(flags & 3) || (flags & ~7u))
		want = -EINVAL;
	else if (__builtin_add_overflow(iova, size, &x) ||
		 __builtin_add_overflow(target, size, &x))
		want = -EOVERFLOW;
	while (!want && off < size) {
		uint64_t g = target + off, n = size - off;
		int k;

		if (vua) {
			k = m_vua(target + off, &g, &n);
			if (k == 1)
				return;	/* not defined: leave it */
			if (k) {
				want = k;
				break;
			}
		}
		k = m_find(&S.live, g);
		if (k < 0) {
			want = -EFAULT;
			break;
		}
		if (n > last_of(S.live.r[k]) - g + 1)
			n = last_of(S.live.r[k]) - g + 1;
		if (np >= MAX_ENT)
			return;	/* too many for the model */
		piece[np].r = S.live.r[k];
		piece[np].roff = g - S.live.r[k]->gpa;
		piece[np++].n = n;
		off += n;
	}
	note("update 0x%llx+0x%llx -> 0x%llx flags 0x%x -> %d",
	     (unsigned long long)iova, (unsigned long long)size,
	     (unsigned long long)target, flags, want);
	if (!want) {
		ok = vt_cut(&nt, iova, iova + (size - 1));
		for (i = 0, off = 0; ok && i < np; i++) {
			struct mregion *e = ent_new(piece[i].r, piece[i].roff,
						    iova + off, piece[i].n,
						    !(flags & VMM_MEM_IOTLB_WRITE),
						    !(flags & VMM_MEM_IOTLB_READ));

			if (!e || nt.n >= MAX_ENT)
				ok = false;
			else
				vt_add(&nt, e);
			off += piece[i].n;
		}
		if (!ok)
			return;	/* the model is full: leave it */
	}
	rc = vmm_mem_iotlb_update(v, iova, size, target, flags);
	EQ(rc, want);
	if (rc)
		return;
	S.vt = nt;
	check_released();
}

static void view_invalidate(uint8_t m)
{
	uint64_t iova = (m & 8) ? 0 : pick_iova();
	uint64_t size = (m & 8) ? UINT64_MAX : pick_glen();
	vmm_mem_t *v = (m & 64) || !S.view ? S.mem : S.view;
	struct mtable nt;
	int want;

	if (v != S.view || !size)
		want = -EINVAL;
	else if (wraps(iova, size))
		want = -EOVERFLOW;
	else if (!vt_cut(&nt, iova, iova + (size - 1)))
		return;
	else
		want = 0;
	note("invalidate 0x%llx+0x%llx -> %d", (unsigned long long)iova,
	     (unsigned long long)size, want);
	EQ(vmm_mem_iotlb_invalidate(v, iova, size), want);
	if (want)
		return;
	S.vt = nt;
	check_released();
}

/* The calls a view refuses, and its regions as the view reports them. */
static void view_refusals(void)
{
	struct vmm_mem_dirty_log_shared_desc sd = { .fd = -1, .addr = sh_mem,
						    .size = 1 };
	struct vmm_mem_region_desc d = { .type = VMM_MEM_REGION_ANON,
					 .size = PG };
	struct vmm_mem_region_info info;
	uint64_t x = 7, bm = 0;
	vmm_mem_t *o = NULL;
	unsigned int idx = in_u8() % (S.vt.n + 1);

	EQ(vmm_mem_new_iova_view(S.view, &o), -EOPNOTSUPP);
	EXPECT(!o, "a view of a view");
	EQ(vmm_mem_vua_to_gpa(S.view, 0, &x, NULL), -EOPNOTSUPP);
	EQ(vmm_mem_add_region(S.view, &d, sizeof(d)), -EOPNOTSUPP);
	EQ(vmm_mem_remove_region(S.view, 0, PG), -EOPNOTSUPP);
	EQ(vmm_mem_dirty_log_start(S.view, 0), -EOPNOTSUPP);
	EQ(vmm_mem_dirty_log_stop(S.view), -EOPNOTSUPP);
	EQ(vmm_mem_dirty_log_page_size(S.view), -EOPNOTSUPP);
	EQ(vmm_mem_dirty_log_get(S.view, 0, 1, &bm, 0), -EOPNOTSUPP);
	EQ(vmm_mem_dirty_log_test(S.view, 0), -EOPNOTSUPP);
	EQ(vmm_mem_dirty_log_attach(S.view, &sd, sizeof(sd)), -EOPNOTSUPP);
	EQ(vmm_mem_dirty_log_detach(S.view), -EOPNOTSUPP);
	EQ(vmm_mem_dirty_log_overflow(S.view, &x), -EOPNOTSUPP);
	EQ(vmm_mem_iotlb_last_miss(S.mem, NULL, NULL), -EINVAL);
	EQ(vmm_mem_iotlb_last_miss(NULL, NULL, NULL), -EINVAL);
	EQ(x, 7);
	EQ(vmm_mem_num_regions(S.view), S.vt.n);
	EQ(vmm_mem_region_info(S.view, idx, &info, sizeof(info)),
	   idx < (unsigned int)S.vt.n ? 0 : -ENOENT);
	if (idx < (unsigned int)S.vt.n) {
		const struct mregion *e = S.vt.r[idx];

		EQ(info.gpa, e->gpa);
		EQ(info.size, e->size);
		EQ(info.flags & VMM_MEM_REGION_READONLY, e->flags);
		EXPECT(info.hva == e->hva, "view region's hva %p, expected %p",
		       info.hva, e->hva);
	}
}

/* Make, drop and program the IOVA view of the guest memory. */
static void op_view(void)
{
	uint8_t m = in_u8();
	vmm_mem_t *o = (vmm_mem_t *)1;
	uint64_t iova = 7;
	unsigned int perm = 7;
	int want;

	switch (m % 6) {
	case 0:
		view_drop();
		note("new");
		EQ(vmm_mem_new_iova_view(NULL, &o), -EINVAL);
		EQ(vmm_mem_new_iova_view(S.mem, NULL), -EINVAL);
		EQ(vmm_mem_new_iova_view(S.mem, &S.view), 0);
		break;
	case 1:
		note("drop");
		view_drop();
		break;
	case 2:
		view_update(m);
		break;
	case 3:
		view_invalidate(m);
		break;
	case 4:
		if (!S.view)
			break;
		want = S.miss;
		note("last_miss -> %d 0x%llx %u", want,
		     (unsigned long long)S.miss_iova, S.miss_perm);
		EQ(vmm_mem_iotlb_last_miss(S.view, (m & 8) ? NULL : &iova,
					   (m & 16) ? NULL : &perm), want);
		if (want && !(m & 8))
			EQ(iova, S.miss_iova);
		if (want && !(m & 16))
			EQ(perm, S.miss_perm);
		if (!want || (m & 8))
			EQ(iova, 7);
		if (!want || (m & 16))
			EQ(perm, 7);
		S.miss = false;
		break;
	default:
		if (S.view)
			view_refusals();
		break;
	}
}

/* Accesses through the IOVA view: as on a guest memory, with -ENXIO for
 * what the IOTLB does not translate and -EACCES for what the permissions
 * refuse; writes mark the guest pages. */
static void op_view_access(void)
{
	uint8_t m = in_u8();
	uint64_t gpa, len, n;
	bool w = m & 1;
	int64_t want, rc;
	int i;

	if (!S.view)
		return;
	switch ((m >> 1) % 6) {
	case 0:	/* read and write */
		gpa = pick_gpa();
		len = pick_len();
		pattern(buf, (size_t)len, in_u32());
		i = m_find(&S.vt, gpa);
		if (wraps(gpa, len))
			want = -EOVERFLOW;
		else if (!len)
			want = 0;
		else if (i < 0)
			want = m_fault(S.view, -EFAULT, gpa, len,
				       w ? VMM_MEM_IOTLB_WRITE : VMM_MEM_IOTLB_READ);
		else if (w ? (S.vt.r[i]->flags & VMM_MEM_REGION_READONLY)
			   : S.vt.r[i]->noread)
			want = -EACCES;
		else
			want = 1;
		note("%s 0x%llx+0x%llx -> %lld", w ? "write" : "read",
		     (unsigned long long)gpa, (unsigned long long)len,
		     (long long)want);
		rc = w ? vmm_mem_write(S.view, gpa, buf, (size_t)len)
		       : vmm_mem_read(S.view, gpa, buf, (size_t)len);
		if (want < 1) {
			EQ(rc, want);
			break;
		}
		n = m_span(&S.vt, gpa, len, w ? SPAN_WRITE : SPAN_READ);
		EQ(rc, n);
		if (w) {
			m_rw(&S.vt, gpa, buf, n, true, true);
		} else {
			m_rw(&S.vt, gpa, buf2, n, false, false);
			EXPECT(!memcmp(buf, buf2, n), "bytes differ");
		}
		break;
	case 1:
		exact_on(S.view, NULL, w);
		break;
	case 2:
		atomic_on(S.view, NULL, w, m & 16);
		break;
	case 3:
		gpa_to_hva_on(S.view);
		break;
	case 4:
		slices_prefix_on(S.view);
		break;
	default:
		mark_on(S.view);
		break;
	}
}

/* ---- the shared dirty log ------------------------------------------------------ */

static void sh_file_get(void)
{
	if (S.sh_fd >= 0)
		return;
	S.sh_fd = memfd_create("vmmem-fuzz-log", MFD_CLOEXEC);
	EXPECT(S.sh_fd >= 0, "memfd_create: %s", strerror(errno));
	EXPECT(ftruncate(S.sh_fd, SH_FILE) == 0, "ftruncate: %s",
	       strerror(errno));
}

/* The bits the library set are the model's. */
static void sh_check(void)
{
	static uint8_t got[SH_FILE];
	int i;

	if (S.sh_fd >= 0) {
		EQ(pread(S.sh_fd, got, SH_FILE, 0), SH_FILE);
		for (i = 0; i < SH_FILE; i++)
			EXPECT(got[i] == sh_file[i], "shared log byte %d of the "
			       "file: 0x%02x, expected 0x%02x", i, got[i],
			       sh_file[i]);
	}
	for (i = 0; i < SH_BUF; i++)
		EXPECT(sh_mem[i] == sh_mem_model[i], "shared log byte %d of "
		       "the buffer: 0x%02x, expected 0x%02x", i, sh_mem[i],
		       sh_mem_model[i]);
}

static void sh_attach(uint8_t m)
{
	static const uint64_t sizes[] = { 1, 3, 12, 13, 64, 4096 };
	struct {
		struct vmm_mem_dirty_log_shared_desc d;
		uint8_t tail[8];
	} x;
	struct vmm_mem_dirty_log_shared_desc *d = &x.d;
	size_t dsize = sizeof(*d);
	bool use_buf = m & 8;
	uint8_t mut = in_u8() % 10;
	int want = 0;

	memset(&x, 0, sizeof(x));
	if (use_buf) {
		d->fd = -1;
		d->addr = sh_mem;
		d->size = 1 + in_u8() % SH_BUF;
	} else {
		sh_file_get();
		d->fd = S.sh_fd;
		d->offset = in_u16() % SH_FILE;
		d->size = sizes[in_u8() % 6];
		if (d->offset + d->size > SH_FILE)
			want = -EINVAL;	/* the file is shorter */
	}
	switch (mut) {
	case 1: d->flags = 1u << (in_u8() % 32); want = -EINVAL; break;
	case 2: d->size = 0; want = -EINVAL; break;
	case 3: d->addr = sh_mem; d->fd = S.sh_fd >= 0 ? S.sh_fd : 0;
		want = -EINVAL; break;
	case 4: d->fd = -1; d->addr = NULL; want = -EINVAL; break;
	case 5: dsize = VMM_MEM_DIRTY_LOG_SHARED_DESC_SIZE_VER0 - 1 - in_u8() % 8;
		want = -EINVAL; break;
	case 6: dsize = sizeof(x); x.tail[in_u8() % 8] = 1; want = -E2BIG;
		break;
	case 7:
		if (use_buf) {
			d->offset = 1 + in_u8();
			want = -EINVAL;
		} else {
			d->offset = (uint64_t)INT64_MAX - in_u8() % 2;
			d->size = 4096;
			want = -EOVERFLOW;
		}
		break;
	case 8:
		if (!use_buf) {
			d->fd = 1000 + in_u8();
			want = -EBADF;	/* fstat comes before the size */
		}
		break;
	case 9: dsize = sizeof(x); break;	/* a zero tail */
	}
	note("attach %s off 0x%llx size 0x%llx mut %u -> %d",
	     use_buf ? "buffer" : "file", (unsigned long long)d->offset,
	     (unsigned long long)d->size, mut, want);
	EQ(vmm_mem_dirty_log_attach(S.mem, d, dsize), want);
	if (want)
		return;
	S.sh_on = true;
	S.sh_buf = use_buf;
	S.sh_off = d->offset;
	S.sh_size = d->size;
	S.sh_ovf = 0;
}

/* The shared dirty log a vhost-user front end hands over: attach, replace,
 * detach, count what fell beyond it, clear bits as the front end would. */
static void op_shlog(void)
{
	uint8_t m = in_u8();
	uint64_t cnt = 7;

	switch (m % 6) {
	case 0:
		sh_attach(m);
		break;
	case 1:
		note("detach -> %d", S.sh_on ? 0 : -ENOENT);
		EQ(vmm_mem_dirty_log_detach(S.mem), S.sh_on ? 0 : -ENOENT);
		S.sh_on = false;
		break;
	case 2:
		EQ(vmm_mem_dirty_log_overflow(S.mem, &cnt), S.sh_on ? 0 : -ENOENT);
		note("overflow %llu, expected %llu", (unsigned long long)cnt,
		     (unsigned long long)S.sh_ovf);
		if (!S.sh_on) {
			EQ(cnt, 7);
			break;
		}
		/* each mark past the end counts: a write is one mark per
		 * region or more */
		EXPECT(cnt >= S.sh_ovf && !cnt == !S.sh_ovf,
		       "overflow count %llu, expected %llu",
		       (unsigned long long)cnt, (unsigned long long)S.sh_ovf);
		break;
	case 3:
		sh_check();
		break;
	case 4: {	/* the front end clears bits */
		uint16_t off = in_u16() % SH_FILE;
		uint8_t n = in_u8();

		if (m & 8) {
			off %= SH_BUF;
			if (n > SH_BUF - off)
				n = (uint8_t)(SH_BUF - off);
			memset(sh_mem + off, 0, n);
			memset(sh_mem_model + off, 0, n);
			break;
		}
		if (S.sh_fd < 0)
			break;
		if (n > SH_FILE - off)
			n = (uint8_t)(SH_FILE - off);
		memset(buf, 0, n);
		EQ(pwrite(S.sh_fd, buf, n, off), n);
		memset(sh_file + off, 0, n);
		break;
	}
	default:
		EQ(vmm_mem_dirty_log_attach(S.mem, NULL, 64), -EINVAL);
		EQ(vmm_mem_dirty_log_attach(NULL, (void *)buf, 64), -EINVAL);
		EQ(vmm_mem_dirty_log_detach(NULL), -EINVAL);
		EQ(vmm_mem_dirty_log_overflow(S.mem, NULL), -EINVAL);
		EQ(vmm_mem_dirty_log_overflow(NULL, &cnt), -EINVAL);
		break;
	}
}

/* ---- the decoder ------------------------------------------------------------ */

struct op {
	const char *name;
	void (*run)(void);
};

/* Append only (see the top of the file). */
static const struct op ops[] = {
	{ "add_anon", op_add_anon },
	{ "add_fd", op_add_fd },
	{ "add_host", op_add_host },
	{ "remove", op_remove },
	{ "read", op_read },
	{ "write", op_write },
	{ "read_exact", op_read_exact },
	{ "write_exact", op_write_exact },
	{ "fill", op_fill },
	{ "copy", op_copy },
	{ "load", op_load },
	{ "store", op_store },
	{ "scalar", op_scalar },
	{ "query", op_query },
	{ "slice", op_slice },
	{ "snap_get", op_snap_get },
	{ "snap_put", op_snap_put },
	{ "snap_access", op_snap_access },
	{ "map", op_map },
	{ "map_use", op_map_use },
	{ "dirty", op_dirty },
	{ "fd", op_fd },
	{ "xf_fill", op_xf_fill },
	{ "misc", op_misc },
	{ "huge", op_huge },
	{ "inner", op_inner },
	{ "vua", op_vua },
	{ "atomic_le", op_atomic_le },
	{ "view", op_view },
	{ "view_access", op_view_access },
	{ "shlog", op_shlog },
};

static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	close(fd);
	return fd;
}

static void setup(void)
{
	int i;

	memset(&S, 0, sizeof(S));
	ndset = 0;
	for (i = 0; i < NMEMFD; i++)
		S.memfd[i] = -1;
	S.pipe[0] = S.pipe[1] = S.xf = S.sh_fd = -1;
	memset(sh_file, 0, sizeof(sh_file));
	memset(sh_mem, 0, sizeof(sh_mem));
	memset(sh_mem_model, 0, sizeof(sh_mem_model));
	EQ(vmm_mem_new(&S.mem), 0);
}

/* Drop the handle; snapshots and mappings may outlive it (@late). */
static void teardown(bool late)
{
	uint64_t k;
	int i, j;

	cur_op = "teardown";
	view_drop();
	sh_check();
	for (i = 0; i < NMAP && !late; i++)
		if (S.map[i].m)
			do_unmap(&S.map[i], 0);
	for (i = 0; i < NSNAP && !late; i++)
		if (S.snap[i].s)
			snap_put(&S.snap[i]);
	EXPECT(vmm_mem_unref(S.mem) == NULL, "unref");
	S.sh_on = false;	/* the last reference detached it */
	for (i = 0; i < S.npool; i++)
		S.pool[i].live = false;
	check_released();
	for (i = 0; i < NSNAP; i++) {	/* still answering */
		struct msnap *sn = &S.snap[i];

		for (j = 0; sn->s && j < sn->t.n; j++) {
			struct mregion *r = sn->t.r[j];
			uint64_t n = r->size < 64 ? r->size : 64;

			EQ(vmm_mem_snapshot_read_exact(sn->s, r->gpa, buf, n), 0);
			m_rw(&sn->t, r->gpa, buf2, n, false, false);
			for (k = 0; k < n; k++)
				EXPECT(buf[k] == buf2[k], "snapshot byte at "
				       "0x%llx differs: 0x%02x, expected 0x%02x",
				       (unsigned long long)(r->gpa + k), buf[k],
				       buf2[k]);
		}
		if (sn->s)
			snap_put(sn);
	}
	for (i = 0; i < NMAP; i++) {
		struct mmapping *mp = &S.map[i];

		if (!mp->m)
			continue;
		m_copy(mp->r[0], mp->gpa - mp->r[0]->gpa, buf2,
		       mp->iov[0].iov_len, false);
		EXPECT(!memcmp(mp->iov[0].iov_base, buf2, mp->iov[0].iov_len),
		       "mapped bytes differ");
		do_unmap(mp, mp->len);
	}
	sh_check();	/* nothing marked a detached log */
	if (S.sh_fd >= 0)
		close(S.sh_fd);
	for (i = 0; i < S.nhost; i++)
		munmap(S.host[i].p, S.host[i].len);
	for (i = 0; i < S.npool; i++) {
		free(S.pool[i].own);
		free(S.pool[i].cow);
	}
	for (i = 0; i < NMEMFD; i++) {
		if (S.memfd[i] >= 0)
			close(S.memfd[i]);
		free(S.mf[i]);
	}
	if (S.pipe[0] >= 0) {
		close(S.pipe[0]);
		close(S.pipe[1]);
	}
	if (S.xf >= 0)
		close(S.xf);
	free(S.xfm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	int fd0 = lowest_free_fd();

	if (!init) {
		const char *e = getenv("VMMEM_FUZZ_TRACE");

		trace = e && *e && strcmp(e, "0");
		init = true;
	}
	in_p = data;
	in_n = size;
	setup();
	while (in_n) {
		const struct op *op = &ops[in_u8() % (sizeof(ops) / sizeof(ops[0]))];

		cur_op = op->name;
		if (trace)
			fprintf(stderr, "%s\n", op->name);
		op->run();
	}
	teardown(size & 1);
	cur_op = "end";
	EQ(lowest_free_fd(), fd0);
	EXPECT(!nvma, "%d mapping(s) left, the first at %p+0x%llx", nvma,
	       nvma ? (void *)vmas[0].lo : NULL,
	       nvma ? (unsigned long long)(vmas[0].hi - vmas[0].lo) : 0ull);
	return 0;
}
