/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal structures of libvmmem.  Nothing here crosses the ABI.
 *
 * The region table is an immutable sorted array published through RCU
 * (liburcu-bp).  Readers run lock-free inside vmm_read_lock(); writers
 * serialise on mem->lock, build a new table, publish it and free the old one
 * after synchronize_rcu().  A table is reference counted too: the handle
 * holds one reference on its current table (dropped a grace period after
 * the table is replaced), each snapshot another.  A region is reference
 * counted: every table that lists it holds one reference, each pin
 * (scatter-gather mapping, blocking fd transfer) another; the mapping is
 * released when the last reference goes (and a HOST region's release
 * callback called).
 *
 * The dirty state of a memory (struct vmm_dstate, dirty.c) is held by the
 * handle and by each region the memory created, so it outlives the handle
 * while a mapping or snapshot keeps a region; it holds the log period's
 * bitmaps (each also held by its region) and the attached shared log,
 * which is unmapped a grace period after it is replaced or detached.
 * An IOVA view (iotlb.c) is a handle holding its guest memory's handle;
 * its table's regions are IOTLB entries, each holding the guest region it
 * translates to.
 */
#ifndef VMMEM_INTERNAL_H
#define VMMEM_INTERNAL_H

#define _LGPL_SOURCE
#include <urcu-bp.h>

/*
 * The RCU read side runs on every access, and liburcu-bp keeps its reader
 * pointer in thread-local storage of its own library.  Declared initial-exec,
 * it costs one %fs-relative load instead of a __tls_get_addr call per use.
 * Both libraries are then in the static TLS block: always so when a VMM links
 * libvmmem, and for dlopen while the C library's static TLS surplus lasts.
 */
extern __thread struct urcu_bp_reader *urcu_bp_reader
	__attribute__((tls_model("initial-exec")));

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include "vmmem.h"

#define VMM_EXPORT VMM_MEM_EXPORT

/*
 * RCU: liburcu-bp provides the read-side sections and the grace periods.
 * Pointers are published and read with C11-style atomics, which says the
 * same as rcu_assign_pointer()/rcu_dereference() in a way ThreadSanitizer
 * understands; under TSan the grace period is also announced to it, since
 * liburcu's own barriers are invisible to the sanitizer.
 */
#if defined(__SANITIZE_THREAD__)
#define VMM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VMM_TSAN 1
#endif
#endif
#ifdef VMM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char vmm_rcu_token;
/* Guest memory is shared with the guest and other agents: racing on its
 * bytes is by design (a migration copy beside a vCPU's writes), so TSan is
 * told not to watch the library's plain copies of guest data.  Atomics and
 * all of the library's own state stay instrumented. */
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
#define vmm_guest_begin() __tsan_ignore_thread_begin()
#define vmm_guest_end() __tsan_ignore_thread_end()
#define vmm_read_lock() rcu_read_lock()
#define vmm_read_unlock()                                                     \
	do {                                                                  \
		__tsan_release(&vmm_rcu_token);                               \
		rcu_read_unlock();                                            \
	} while (0)
#define vmm_synchronize()                                                     \
	do {                                                                  \
		synchronize_rcu();                                            \
		__tsan_acquire(&vmm_rcu_token);                               \
	} while (0)
#else
#define vmm_guest_begin() do { } while (0)
#define vmm_guest_end() do { } while (0)
#define vmm_read_lock() rcu_read_lock()
#define vmm_read_unlock() rcu_read_unlock()
#define vmm_synchronize() synchronize_rcu()
#endif
#define vmm_rcu_deref(p) __atomic_load_n(&(p), __ATOMIC_CONSUME)
#define vmm_rcu_assign(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

struct vmm_dstate;
struct vmm_region;

/*
 * The dirty state of a guest memory belongs to its guest physical pages,
 * not to its region objects (see dirty.c).  A region points, through its
 * RCU-published `dirty`, at one of these kinds of mark target:
 *
 *  - BITMAP: bit k stands for GPA page first_page + k of the region's
 *    range, in the log period it was made for.  It is reference counted:
 *    the region holds one reference (also after logging stopped, on its
 *    kept list, for a snapshot's writer), the handle's list of the period's
 *    bitmaps another, so the bits of a region that went away are harvested
 *    like the others until logging stops.
 *  - MARKER: no bitmap, only the shared log (logging off, a shared log
 *    attached); one per dirty state.
 *  - FORWARD: a region of an IOVA view; marks go to the region it
 *    translates to, at GPA = address + fwd_delta.
 *
 * @slow (atomic) sends a mark to vmm_mark_slow(): set for MARKER and
 * FORWARD, and for BITMAP while a shared log is attached.
 */
enum vmm_dirty_kind {
	VMM_DIRTY_BITMAP,
	VMM_DIRTY_MARKER,
	VMM_DIRTY_FORWARD,
};

struct vmm_dirty {
	uint64_t page_shift;
	uint64_t first_page;
	uint64_t npages;
	uint32_t slow;			/* atomic */
	uint32_t kind;			/* enum vmm_dirty_kind */
	unsigned long refcnt;		/* atomic; BITMAP only */
	struct vmm_dstate *ds;		/* BITMAP, MARKER */
	struct vmm_region *fwd;		/* FORWARD: holds a reference */
	uint64_t fwd_delta;		/* FORWARD: GPA - address */
	struct vmm_dirty *kept_next;	/* on vmm_region.dirty_kept */
	struct vmm_dirty *list_next;	/* on vmm_dstate.list (RCU) */
	uint64_t words[];		/* BITMAP: ceil(npages / 64) */
};

/* HOST regions: called once when the library lets go of the mapping. */
typedef void (*vmm_release_fn)(void *data, void *hva, uint64_t size);

struct vmm_backend_ops;

struct vmm_region {
	const struct vmm_backend_ops *ops;	/* its backend (backend.h) */
	void *priv;		/* the backend's state */
	uint64_t gpa;
	uint64_t size;
	uint64_t last;		/* gpa + size - 1, inclusive */
	uint8_t *hva;		/* host address of gpa; NULL: mapped on demand
				   through ops->copy/pin */
	uint32_t type;
	uint32_t flags;		/* VMM_MEM_REGION_* */
	int fd;			/* our duplicate, or -1 */
	uint32_t domid;
	uint64_t fd_offset;
	uint64_t vua;
	uint64_t huge_page_size;
	uint64_t page_size;
	void *map_base;		/* what the backend unmaps */
	size_t map_len;
	unsigned long refcnt;	/* atomic */
	struct vmm_dirty *dirty;	/* RCU-published mark target, NULL
					   when nothing logs */
	struct vmm_dirty *dirty_kept;	/* unpublished bitmaps (under the
					   memory's lock), put with the
					   region */
	struct vmm_dstate *ds;		/* its memory's dirty state, holding a
					   reference (NULL: a view's region) */
	struct vmm_region *ds_next, *ds_prev;	/* ds->regions, under
						   ds->lock */
	bool noread;			/* a view's write-only translation */
	vmm_release_fn release;		/* HOST: see vmm_mem_region_desc */
	void *release_data;
};

/*
 * What an access needs of region i, next to each other: its size, the
 * distance from a GPA to its host address (hva = gpa + hoff, modulo 2^64),
 * the direct bound and the region.  The direct bound (nscalar) is how many
 * offsets leave room for 8 bytes through the host address: the fast paths'
 * single bound check for scalars, and their first check for 9 to 64 bytes
 * (which fit only below it).  It is 0 for a region without a host address
 * (mapped on demand), so the fast paths turn it away with the compare they
 * make anyway and the slow path uses the backend; size keeps its lookup
 * meaning.  The padding after the n entries is zero: size 0 matches no GPA.
 */
struct vmm_slot {
	uint64_t size;
	uintptr_t hoff;		/* (uintptr_t)hva - gpa */
	uint64_t nscalar;	/* direct bound: size - 7 with a host
				   address, 0 below 8 bytes or without */
	struct vmm_region *r;
};

/* The start and slot arrays have this many entries after the n regions'
 * (starts UINT64_MAX, slots zero). */
#define VMM_TABLE_PAD 4

/*
 * Above VMM_TABLE_PAD regions, a bucket index narrows the search: the GPA
 * span of the table, [start[0], start[0] + span], is cut into buckets of
 * 2^bshift bytes, at most 4 per region, and bucket[b] is the first region
 * whose last byte is at or above bucket b's first byte (bucket[nb] is
 * n - 1).  The region holding a GPA of bucket b, if any, is one of
 * bucket[b] ... bucket[b + 1]: usually one or two candidates.
 */
#define VMM_BUCKETS_PER_REGION 4

struct vmm_table {
	struct vmm_table *retired_next;	/* on vmm_mem.retired */
	unsigned long refcnt;	/* atomic: the handle's, the snapshots' */
	size_t n;
	uint64_t *start;	/* n entries, ascending, then padding */
	struct vmm_slot *slot;	/* n entries, then padding */
	uint64_t span;		/* last byte of the last region - start[0] */
	unsigned int bshift;
	unsigned int noread;	/* regions refusing reads (an IOVA view's
				   write-only translations): the read fast
				   paths test it, in this cache line */
	uint32_t *bucket;	/* nb + 1 entries (n > VMM_TABLE_PAD) */
	struct vmm_vua_ent *vua;	/* nvua entries by ascending VUA */
	size_t nvua;
	uint64_t view;		/* an IOVA view's table: the view's number
				   (vmm_view.id, never reused, so that a
				   view made where a dropped one was is
				   another view); 0 otherwise */
};

/* The VUA index of a table (vua.c): regions with a VUA, by VUA. */
struct vmm_vua_ent {
	uint64_t vua;
	uint64_t last;		/* vua + size - 1 */
	uint32_t idx;		/* slot index */
};

struct vmm_mem {
	unsigned long refcnt;		/* atomic */
	struct vmm_table *table;	/* RCU-published; never NULL */
	pthread_mutex_t lock;		/* serialises writers */
	vmm_mem_log_fn log_fn;
	void *log_data;
	int log_priority;
	uint64_t dirty_page_shift;	/* 0: logging off (under lock) */
	struct vmm_dstate *ds;		/* dirty state (NULL for a view) */
	struct vmm_view *view;		/* an IOVA view: its state */
	struct vmm_table *retired;	/* replaced tables awaiting a grace
					   period (under lock) */
	unsigned int nretired;		/* length of that list */
};

/* ---- logging ------------------------------------------------------------ */
void vmm_log(vmm_mem_log_fn log_fn, void *data, int prio, const char *file,
	     int line, const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* The callback is read once, so that a concurrent change to NULL never
 * makes us call NULL. */
#define vlog(mem, prio, ...)                                                  \
	do {                                                                  \
		vmm_mem_log_fn f_ = __atomic_load_n(&(mem)->log_fn,           \
						    __ATOMIC_ACQUIRE);        \
		if (f_ && (prio) <= __atomic_load_n(&(mem)->log_priority,     \
						    __ATOMIC_RELAXED))        \
			vmm_log(f_, __atomic_load_n(&(mem)->log_data,         \
						    __ATOMIC_ACQUIRE),        \
				(prio), __FILE__, __LINE__, __func__,         \
				__VA_ARGS__);                                 \
	} while (0)
#define verr(mem, ...) vlog(mem, LOG_ERR, __VA_ARGS__)
#define vdbg(mem, ...) vlog(mem, LOG_DEBUG, __VA_ARGS__)

/* ---- tables and regions (mem.c, region.c) ------------------------------- */
/* A table of @n empty entries with one reference; vmm_table_set() fills,
 * vmm_table_index() completes it before it is used for lookups. */
struct vmm_table *vmm_table_alloc(size_t n);
/* Entry @i of a table being built is region @r (the table takes a
 * reference on @r). */
void vmm_table_set(struct vmm_table *t, size_t i, struct vmm_region *r);
/* Build the bucket index of a filled table. */
void vmm_table_index(struct vmm_table *t);
/* Drop a reference; the last one frees the table and drops its regions. */
void vmm_table_put(struct vmm_table *t);
/* Publish @t as mem's table (caller holds mem->lock), wait for readers and
 * drop the handle's reference on the old table (a region that only the old
 * table listed goes with it, unless a snapshot or a pin still holds it). */
void vmm_table_replace(struct vmm_mem *mem, struct vmm_table *t);
/* Publish @t (caller holds mem->lock) without waiting for readers: for a
 * table that only adds a region, nothing the old table points to goes
 * away.  The old table is freed after the next grace period a writer waits
 * for anyway, or by the last vmm_mem_unref(). */
void vmm_table_publish_nowait(struct vmm_mem *mem, struct vmm_table *t);
/* Drop the retired tables; a grace period has passed since they were
 * replaced (caller holds mem->lock, or the last reference). */
void vmm_table_free_retired(struct vmm_mem *mem);

int vmm_region_create(struct vmm_mem *mem,
		      const struct vmm_mem_region_desc *d,
		      struct vmm_region **out);
void vmm_region_get(struct vmm_region *r);
void vmm_region_put(struct vmm_region *r);
/* Insert @r into mem's table (caller holds mem->lock); -EEXIST on overlap. */
int vmm_table_insert_locked(struct vmm_mem *mem, struct vmm_region *r);

/* An access to table @t failed at @addr for lack of backing: -EFAULT on a
 * guest memory; on a view, -ENXIO after recording the miss of the first
 * untranslated byte of [addr, addr + len) for vmm_mem_iotlb_last_miss()
 * (@perm: VMM_MEM_IOTLB_READ, _WRITE or 0 for a translation query).
 * Inside a read-side section, or on a snapshot's table (iotlb.c). */
int vmm_fault(const struct vmm_table *t, uint64_t addr, uint64_t len,
	      unsigned int perm);

/* ---- lookup ------------------------------------------------------------- */
static inline struct vmm_table *vmm_table_get(struct vmm_mem *mem)
{
	return vmm_rcu_deref(mem->table);
}

/*
 * The only index whose region can hold @gpa, or -1 (none can).  Inside an
 * RCU read section (or on a snapshot's table).  The index is below
 * n + VMM_TABLE_PAD but may be a padding entry, and its region need not
 * hold @gpa: callers check gpa - start against the slot (vmm_find()).
 *
 * Up to 4 regions, the usual PC layout, the index is the count of region
 * starts <= @gpa: three independent compares, no loop (the padding's
 * UINT64_MAX starts are counted only for the GPA UINT64_MAX, which no
 * region holds, and land on zero-size padding slots).  Above that, the
 * bucket index gives one to three candidates for nearly every layout
 * (their starts are counted the same way), and a branch-free binary search
 * over the candidates covers crowded buckets.  No per-thread "last region"
 * hint: a guest spreads device accesses over its regions, and a missed
 * hint costs a misprediction on most lookups.
 */
static inline ssize_t vmm_candidate(const struct vmm_table *t, uint64_t gpa)
{
	const uint64_t *s = t->start;
	size_t n = t->n, base;
	uint64_t off;
	const uint32_t *bk;
	size_t hi;

	if (likely(n <= VMM_TABLE_PAD))	/* 0 to 4 regions */
		return (ssize_t)((size_t)(s[1] <= gpa) +
				 (size_t)(s[2] <= gpa) +
				 (size_t)(s[3] <= gpa));
	off = gpa - s[0];
	if (unlikely(off > t->span))	/* below or above them all */
		return -1;
	bk = t->bucket + (off >> t->bshift);
	base = bk[0];
	hi = bk[1];
	if (likely(hi - base <= 2)) {
		/* starts past hi are above @gpa (or padding) */
		base += (s[base + 1] <= gpa) + (s[base + 2] <= gpa);
	} else {
		n = hi - base + 1;
		while (n > 1) {
			size_t half = n / 2;

			base += half & -(size_t)(s[base + half] <= gpa);
			n -= half;
		}
	}
	return (ssize_t)base;
}

/* Index of the region holding @gpa, or -1.  As vmm_candidate(). */
static inline ssize_t vmm_find(const struct vmm_table *t, uint64_t gpa)
{
	ssize_t i = vmm_candidate(t, gpa);

	/* gpa in [start, start + size): one unsigned compare */
	if (unlikely(i < 0 || gpa - t->start[i] >= t->slot[i].size))
		return -1;
	return i;
}

/*
 * How much of [gpa, gpa + len) is backed contiguously from gpa, across
 * adjacent regions (0 when gpa is unbacked).  len > 0 and gpa + len does not
 * wrap (checked by callers).  *idx receives the first region's index.
 * With @stop VMM_SPAN_WRITE, a read-only region also ends the run; with
 * VMM_SPAN_READ, a region that refuses reads (a view's write-only
 * translation); VMM_SPAN_ANY (false) looks at the backing only.
 */
#define VMM_SPAN_ANY 0		/* backing only */
#define VMM_SPAN_WRITE 1	/* and writable */
#define VMM_SPAN_READ 2		/* and readable */
static inline uint64_t vmm_span(const struct vmm_table *t, uint64_t gpa,
				uint64_t len, unsigned int stop, ssize_t *idx)
{
	ssize_t i = vmm_find(t, gpa);
	uint64_t done = 0, cur = gpa;

	*idx = i;
	if (i < 0)
		return 0;
	for (;;) {
		const struct vmm_region *r = t->slot[i].r;
		uint64_t cap;

		if (stop && (stop == VMM_SPAN_WRITE ?
				     (r->flags & VMM_MEM_REGION_READONLY) != 0 :
				     r->noread))
			break;
		cap = r->last - cur + 1;
		if (cap >= len - done)
			return len;
		done += cap;
		cur += cap;
		if ((size_t)i + 1 >= t->n || t->start[i + 1] != cur)
			break;
		i++;
	}
	return done;
}

/* The region of table @t that holds @gpa and has a host address (*r), or
 * the fault (vmm_fault()) or -EOPNOTSUPP (a region with no host address
 * of its own, such as an on-demand Xen grant).  Inside a read section. */
int vmm_hva_region(const struct vmm_table *t, uint64_t gpa,
		   struct vmm_region **r);

/* Does any region of [gpa, gpa+len) refuse the access: read-only ones a
 * write (@writable), a view's write-only ones a read?  Range known to be
 * backed from region index @i. */
bool vmm_range_readonly(const struct vmm_table *t, ssize_t i, uint64_t gpa,
			uint64_t len, bool writable);

/*
 * For an all-or-nothing access: all of [gpa, gpa+len) backed (across
 * adjacent regions) and, with @writable, none of it read-only.  Returns the
 * first region's index, or -EFAULT (-ENXIO on a view) / -EACCES.  len > 0
 * and gpa + len does not wrap (checked by callers).
 */
static inline ssize_t vmm_range_check(const struct vmm_table *t, uint64_t gpa,
				      uint64_t len, bool writable)
{
	ssize_t i;

	if (vmm_span(t, gpa, len, false, &i) != len)
		return vmm_fault(t, gpa, len, writable ? VMM_MEM_IOTLB_WRITE :
							 VMM_MEM_IOTLB_READ);
	if ((writable || t->noread) &&
	    vmm_range_readonly(t, i, gpa, len, writable))
		return -EACCES;
	return i;
}

/*
 * Copy a caller's size-versioned structure @src of @src_size bytes into
 * @dst of @dst_size (the kernel's openat2 rule): a smaller one is
 * zero-extended, a larger one accepted only if its unknown tail is zero.
 * Returns 0 or -E2BIG (nothing copied).
 */
static inline int vmm_struct_in(void *dst, size_t dst_size, const void *src,
				size_t src_size)
{
	if (src_size > dst_size) {
		const unsigned char *p = (const unsigned char *)src;
		size_t i;

		for (i = dst_size; i < src_size; i++)
			if (p[i])
				return -E2BIG;
	}
	memset(dst, 0, dst_size);
	memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
	return 0;
}

/* true if gpa + len would pass 2^64 (len > 0): the last byte wraps. */
static inline bool vmm_wraps(uint64_t gpa, uint64_t len)
{
	return len && gpa + (len - 1) < gpa;
}

/* ---- dirty log (dirty.c) ------------------------------------------------ */
void vmm_dirty_set(struct vmm_dirty *d, uint64_t gpa, uint64_t len);

/* Everything but a plain bitmap: shared log, marker, forward (inside a
 * read-side section). */
void vmm_mark_slow(struct vmm_dirty *d, uint64_t gpa, uint64_t len);

/*
 * Mark [gpa, gpa + len), inside the bitmap's region, in bitmap @d, after
 * the data landed.  A page whose bit is already set costs one plain load
 * and no locked read-modify-write: on x86 a locked instruction waits until
 * the guest data store before it has completed, which serialises
 * back-to-back writes on their cache and TLB misses.
 *
 * Skipping is safe because a harvest that clears bits waits for an RCU
 * grace period before it returns (see vmm_mem_dirty_log_get()).  A writer
 * inside a read-side section that saw its bit still set began its section
 * before that grace period, so its data is visible once the harvest
 * returns; a writer whose section begins later sees the cleared bit and
 * sets it again.  A snapshot's writer marks without a section when
 * liburcu-bp runs on sys_membarrier and the thread is registered (so the
 * registry is not empty and the grace period issues membarrier()): its
 * data store precedes the bit load that saw the bit set, and the
 * membarrier() that the grace period sends after the clear makes that store
 * visible to every thread before the harvest returns (an interrupted thread
 * either completed both, or re-reads the now clear bit and sets it).
 */
static inline void vmm_mark_bits(struct vmm_dirty *d, uint64_t gpa,
				 uint64_t len)
{
	uint64_t p, *w, m;

	/* [gpa, gpa + len) lies in the bitmap's region (every caller has
	 * checked it against the region), so its pages are in the bitmap */
	p = gpa >> d->page_shift;
	if (unlikely(p != (gpa + (len - 1)) >> d->page_shift)) {
		vmm_dirty_set(d, gpa, len);	/* several pages */
		return;
	}
	p -= d->first_page;
	w = &d->words[p >> 6];
	m = 1ull << (p & 63);
	if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & m))
		__atomic_fetch_or(w, m, __ATOMIC_RELEASE);
}

/*
 * A memory's dirty state (dirty.c).  The handle holds a reference, and so
 * does each region it created, so that a write through a region that
 * outlived its handle's table (a mapping, a snapshot, a pinned transfer)
 * still finds the log of its guest pages.
 */
struct vmm_dstate {
	unsigned long refcnt;		/* atomic */
	pthread_mutex_t lock;		/* the registry; after mem->lock */
	struct vmm_region *regions;	/* every live region of the memory */
	struct vmm_dirty *list;		/* RCU: the log period's bitmaps */
	struct vmm_shared *shared;	/* RCU: the attached shared log */
	struct vmm_dirty *marker;	/* MARKER, for regions without a
					   bitmap while a shared log is on */
};

/* Mark through target @d (inside a read-side section, or see above). */
static inline void vmm_mark_d(struct vmm_dirty *d, uint64_t gpa, uint64_t len)
{
	if (!len)
		return;
	if (unlikely(__atomic_load_n(&d->slow, __ATOMIC_RELAXED))) {
		vmm_mark_slow(d, gpa, len);
		return;
	}
	vmm_mark_bits(d, gpa, len);
}

/* Mark through region @r's published target, inside a read-side section. */
static inline void vmm_mark(struct vmm_region *r, uint64_t gpa, uint64_t len)
{
	struct vmm_dirty *d = vmm_rcu_deref(r->dirty);

	if (likely(d == NULL))
		return;
	vmm_mark_d(d, gpa, len);
}
/* Mark [gpa, gpa+len) in every region it touches (inside RCU read side). */
void vmm_mark_range(const struct vmm_table *t, uint64_t gpa, uint64_t len);
/* Mark the first @written bytes of the fragments iov[0..n) of regions
 * r[0..n), which hold GPA @gpa on (a pinned transfer or mapping). */
void vmm_mark_frags(struct vmm_region *const *r, const struct iovec *iov,
		    size_t n, uint64_t gpa, uint64_t written);
/* A new memory's dirty state, with one reference (the handle's). */
struct vmm_dstate *vmm_dstate_new(void);
void vmm_dstate_put(struct vmm_dstate *ds);
/* Register a new region with mem's dirty state and give it a mark target
 * when anything logs (under mem->lock). */
int vmm_dirty_region_init(struct vmm_mem *mem, struct vmm_region *r);
/* The region is being freed: unregister it, drop its bitmaps, its forward
 * target, and call a HOST region's release callback. */
void vmm_dirty_region_release(struct vmm_region *r);
/* A view region's forward target to @to at GPA = address + @delta. */
struct vmm_dirty *vmm_dirty_forward_new(struct vmm_region *to, uint64_t delta);

/* ---- the shared log (dirty-shared.c) ------------------------------------ */
struct vmm_shared;
/* Mark [gpa, gpa + len) in shared log @sh (inside a read-side section). */
void vmm_shared_mark(struct vmm_shared *sh, uint64_t gpa, uint64_t len);
void vmm_shared_free(struct vmm_shared *sh);
/* Detach at the handle's last reference. */
void vmm_shared_detach_final(struct vmm_mem *mem);

/* ---- IOVA views (iotlb.c) ----------------------------------------------- */
/* A view's own state: its guest memory.  A view is a struct vmm_mem whose
 * table holds one region per IOTLB entry fragment, in IOVA space, each
 * forwarding its dirty marks to the guest region it translates to. */
struct vmm_view {
	struct vmm_mem *parent;		/* holds a reference */
	uint64_t id;			/* its tables' number (never 0) */
};
void vmm_view_free(struct vmm_mem *mem);

/* ---- front-end addresses (vua.c) ---------------------------------------- */
/* Build the VUA index of a filled table (from vmm_table_index()). */
void vmm_vua_index(struct vmm_table *t);
/* The GPA of @vua in table @t, and *@len clamped at the end of its region's
 * VUA range; -EFAULT when no region has it (inside a read-side section). */
int vmm_vua_lookup(const struct vmm_table *t, uint64_t vua, uint64_t *gpa,
		   uint64_t *len);

/* ---- copies ------------------------------------------------------------- */
/* An aligned 8-byte guest value is moved with one access (vmm_move_unit()),
 * which needs lock-free 8-byte atomics: a platform without them (32-bit x86
 * before the i586, for one) is refused at build time rather than tearing. */
_Static_assert(__atomic_always_lock_free(8, 0),
	       "libvmmem needs single-access 8-byte loads and stores");

/* One load (@load) or store of a 1-, 2-, 4- or 8-byte value at @p, atomic
 * when @p is aligned to it, else byte by byte; *@v holds it in its first
 * bytes. */
static inline void vmm_move_unit(void *p, uint64_t *v, size_t n, bool load)
{
	if (n == 1 || ((uintptr_t)p & (n - 1))) {
		if (load)
			memcpy(v, p, n);
		else
			memcpy(p, v, n);
		return;
	}
	switch (n) {
	case 2:
		if (load)
			*(uint16_t *)v = __atomic_load_n((const uint16_t *)p,
							 __ATOMIC_RELAXED);
		else
			__atomic_store_n((uint16_t *)p, *(uint16_t *)v,
					 __ATOMIC_RELAXED);
		break;
	case 4:
		if (load)
			*(uint32_t *)v = __atomic_load_n((const uint32_t *)p,
							 __ATOMIC_RELAXED);
		else
			__atomic_store_n((uint32_t *)p, *(uint32_t *)v,
					 __ATOMIC_RELAXED);
		break;
	default:
		if (load)
			*v = __atomic_load_n((const uint64_t *)p,
					     __ATOMIC_RELAXED);
		else
			__atomic_store_n((uint64_t *)p, *v, __ATOMIC_RELAXED);
		break;
	}
}

/*
 * Copy that never tears a 2-, 4- or 8-byte value aligned on either side
 * (the guest's side, whatever the caller's buffer), nor the aligned 2/4/8
 * units of any other copy of at most 8 bytes aligned on both sides.
 */
static inline void vmm_copy_raw(void *dst, const void *src, size_t n)
{
	if (n <= 8 && (uintptr_t)dst - (uintptr_t)src >= n &&
	    (uintptr_t)src - (uintptr_t)dst >= n) {
		uintptr_t a = (uintptr_t)dst | (uintptr_t)src;
		uint8_t *d = dst;
		const uint8_t *s = src;

		if ((n == 2 || n == 4 || n == 8) &&
		    (!((uintptr_t)dst & (n - 1)) ||
		     !((uintptr_t)src & (n - 1)))) {
			uint64_t v;

			vmm_move_unit((void *)src, &v, n, true);
			vmm_move_unit(dst, &v, n, false);
			return;
		}
		while (n) {	/* the largest unit aligned on both sides */
			size_t u = (n >= 8 && !(a & 7)) ? 8 :
				   (n >= 4 && !(a & 3)) ? 4 :
				   (n >= 2 && !(a & 1)) ? 2 : 1;
			uint64_t v;

			vmm_move_unit((void *)s, &v, u, true);
			vmm_move_unit(d, &v, u, false);
			d += u;
			s += u;
			n -= u;
			a = (uintptr_t)d | (uintptr_t)s;
		}
		return;
	}
	/* memmove: a caller's buffer may itself lie in guest memory */
	memmove(dst, src, n);
}

static inline void vmm_copy(void *dst, const void *src, size_t n)
{
	vmm_guest_begin();
	vmm_copy_raw(dst, src, n);
	vmm_guest_end();
}

#endif
