/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Byte access (read, write, exact variants, fill, copy), atomics and the
 * fragment walk.
 */
#include "backend.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Copy @n bytes between @buf and region @r (with a host address) at @gpa;
 * mark what was written. */
static inline void copy_direct(struct vmm_region *r, uint64_t gpa,
			       uint8_t *buf, uint64_t n, bool to_guest)
{
	uint8_t *h = r->hva + (gpa - r->gpa);

	if (to_guest) {
		vmm_copy(h, buf, (size_t)n);
		vmm_mark(r, gpa, n);
	} else {
		vmm_copy(buf, h, (size_t)n);
	}
}

/*
 * Does the caller's buffer [buf, buf + len) share a byte with the host
 * memory of another fragment of [gpa, gpa + len) than the one it is copied
 * with?  Inside a fragment vmm_copy() is memmove(); across fragments, one
 * copy could overwrite the source of the next.  A region without a host
 * address is copied by its backend and has no host bytes to share.
 */
static bool frags_overlap(const struct vmm_table *t, ssize_t i, uint64_t gpa,
			  const uint8_t *buf, uint64_t len)
{
	uintptr_t b = (uintptr_t)buf;
	uint64_t off = 0;

	while (off < len) {
		struct vmm_region *r = t->slot[i++].r;
		uint64_t n = MIN(len - off, r->last - (gpa + off) + 1);
		uintptr_t h = (uintptr_t)r->hva + (uintptr_t)(gpa + off - r->gpa);

		/* the buffer outside bytes [off, off + n) meets [h, h + n) */
		if (r->hva && ((off && h < b + off && b < h + n) ||
			       (off + n < len && h < b + len &&
				b + off + n < h + n)))
			return true;
		off += n;
	}
	return false;
}

/* The same through the backend of a region mapped on demand: 0 or the
 * backend's negative errno (bytes that may have landed before it failed
 * are marked too). */
static __attribute__((noinline)) int copy_backend(struct vmm_region *r,
						  uint64_t gpa, uint8_t *buf,
						  uint64_t n, bool to_guest)
{
	size_t done = 0;
	int rc = r->ops->copy(r, gpa - r->gpa, buf, (size_t)n, to_guest,
			      &done);

	if (to_guest)
		vmm_mark(r, gpa, done);
	return rc;
}

/*
 * The one place the slow paths move a region's bytes: through its host
 * address, or through its backend when it has none.  0 or a negative
 * errno.
 */
static inline int copy_one(struct vmm_region *r, uint64_t gpa, uint8_t *buf,
			   uint64_t n, bool to_guest)
{
	if (likely(r->hva)) {
		copy_direct(r, gpa, buf, n, to_guest);
		return 0;
	}
	return copy_backend(r, gpa, buf, n, to_guest);
}

/* Copy [gpa, gpa+len), known to be backed from region index i on,
 * fragment by fragment: 0 or a backend's negative errno. */
static int copy_each(const struct vmm_table *t, ssize_t i, uint64_t gpa,
		     uint8_t *buf, uint64_t len, bool to_guest)
{
	while (len) {
		struct vmm_region *r = t->slot[i++].r;
		uint64_t n = MIN(len, r->last - gpa + 1);
		int rc = copy_one(r, gpa, buf, n, to_guest);

		if (unlikely(rc))
			return rc;
		buf += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/*
 * copy_each() as one memmove(): as if the whole source were read before
 * any byte is written, also when the caller's buffer lies in the guest
 * memory of other fragments (then through a bounce buffer).  Returns 0,
 * -ENOMEM with nothing copied, or a backend's negative errno.
 */
static int copy_frags(const struct vmm_table *t, ssize_t i, uint64_t gpa,
		      uint8_t *buf, uint64_t len, bool to_guest)
{
	uint8_t *bounce;
	int rc;

	if (likely(!frags_overlap(t, i, gpa, buf, len)))
		return copy_each(t, i, gpa, buf, len, to_guest);
	bounce = malloc((size_t)len);
	if (!bounce)
		return -ENOMEM;
	if (to_guest) {
		vmm_copy(bounce, buf, (size_t)len);
		rc = copy_each(t, i, gpa, bounce, len, true);
	} else {
		rc = copy_each(t, i, gpa, bounce, len, false);
		if (rc == 0)
			vmm_copy(buf, bounce, (size_t)len);
	}
	free(bounce);
	return rc;
}

/*
 * The exact accesses and the atomics run on a handle (@live: the current
 * table, found inside the RCU read side) or on a snapshot (its own table,
 * held by a reference).  @src is the vmm_mem_t or the snapshot's table.
 */
static inline const struct vmm_table *src_table(const void *src, bool live)
{
	return live ? vmm_table_get((vmm_mem_t *)src) :
		      (const struct vmm_table *)src;
}

/* rw() past its first region, or on a region mapped on demand: as much as
 * is backed (and writable for a write) from @gpa on.  Leaves the read
 * side. */
static __attribute__((noinline)) ssize_t
rw_span(const struct vmm_table *t, uint64_t gpa, uint8_t *buf, size_t len,
	bool to_guest)
{
	ssize_t i;
	uint64_t n = vmm_span(t, gpa, len,
			      to_guest ? VMM_SPAN_WRITE : VMM_SPAN_READ, &i);
	int rc = copy_frags(t, i, gpa, buf, n, to_guest);

	vmm_read_unlock();
	return rc ? rc : (ssize_t)n;
}

static ssize_t rw(vmm_mem_t *mem, uint64_t gpa, uint8_t *buf, size_t len,
		  bool to_guest)
{
	const struct vmm_table *t;
	struct vmm_region *r;
	ssize_t i;
	int rc;

	if (unlikely(!mem || (!buf && len) || len > SSIZE_MAX))
		return -EINVAL;
	if (unlikely(len == 0))
		return 0;
	if (unlikely(vmm_wraps(gpa, len)))
		return -EOVERFLOW;
	vmm_read_lock();
	t = vmm_table_get(mem);
	i = vmm_find(t, gpa);
	if (unlikely(i < 0)) {
		rc = vmm_fault(t, gpa, len, to_guest ? VMM_MEM_IOTLB_WRITE :
						       VMM_MEM_IOTLB_READ);
		vmm_read_unlock();
		return rc;
	}
	r = t->slot[i].r;
	if (unlikely(to_guest ? (r->flags & VMM_MEM_REGION_READONLY) != 0 :
				r->noread)) {
		vmm_read_unlock();
		return -EACCES;
	}
	if (likely(len - 1 <= r->last - gpa) && likely(r->hva)) {
		copy_direct(r, gpa, buf, len, to_guest);
		vmm_read_unlock();
		return (ssize_t)len;
	}
	return rw_span(t, gpa, buf, len, to_guest);
}

VMM_EXPORT ssize_t vmm_mem_read(vmm_mem_t *mem, uint64_t gpa, void *buf,
				size_t len)
{
	return rw(mem, gpa, buf, len, false);
}

VMM_EXPORT ssize_t vmm_mem_write(vmm_mem_t *mem, uint64_t gpa,
				 const void *buf, size_t len)
{
	return rw(mem, gpa, (uint8_t *)buf, len, true);
}

/* Everything but the common case: arguments to refuse, a range that spans
 * regions or fails.  Out of line, so that the fast path stays small. */
static __attribute__((noinline)) int
rw_exact_slow(const void *src, bool live, uint64_t gpa, uint8_t *buf,
	      size_t len, bool to_guest)
{
	const struct vmm_table *t;
	ssize_t i;

	if (!src || (!buf && len))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();	/* a snapshot's writes mark inside it too */
	t = src_table(src, live);
	i = vmm_range_check(t, gpa, len, to_guest);
	if (i >= 0)
		i = copy_frags(t, i, gpa, buf, len, to_guest);
	vmm_read_unlock();
	return (int)i;
}

/*
 * A snapshot's write to a logged region.  The region cannot go away, and
 * neither can its bitmaps (kept until the region is freed), so the mark
 * needs no read-side section when the harvest's grace period sends
 * membarrier() to this thread (see vmm_mark_d()).  Otherwise it runs inside
 * a section: the data landed before it began, so a harvest that waits for
 * a grace period after clearing still sees it.
 */
static __attribute__((noinline)) void snap_mark_locked(struct vmm_region *r,
						       uint64_t gpa,
						       size_t len)
{
	vmm_read_lock();
	vmm_mark(r, gpa, len);
	vmm_read_unlock();
}

static inline __attribute__((always_inline)) void
snap_mark(struct vmm_region *r, uint64_t gpa, size_t len)
{
	struct vmm_dirty *d = __atomic_load_n(&r->dirty, __ATOMIC_ACQUIRE);

	if (likely(!d))
		return;
	/* a plain bitmap only: the shared log, a view's forward target and
	 * a marker are marked inside a read-side section, so that replacing
	 * or detaching them can wait for this writer */
	if (likely(!__atomic_load_n(&d->slow, __ATOMIC_RELAXED) &&
		   urcu_bp_has_sys_membarrier && urcu_bp_reader))
		vmm_mark_bits(d, gpa, len);
	else
		snap_mark_locked(r, gpa, len);
}

/* An access inside one region is done: mark a write, and leave the read
 * side on a handle. */
static inline __attribute__((always_inline)) int
rw_done(struct vmm_region *r, bool live, uint64_t gpa, size_t len,
	bool to_guest)
{
	if (!live) {
		if (to_guest)
			snap_mark(r, gpa, len);
		return 0;
	}
	if (to_guest)
		vmm_mark(r, gpa, len);
	vmm_read_unlock();
	return 0;
}

/* Any exact access with valid arguments inside one region; the rest goes on
 * to rw_exact_slow().  Out of line, below the small fast path. */
static __attribute__((noinline)) int
rw_exact_any(const void *src, bool live, uint64_t gpa, uint8_t *buf,
	     size_t len, bool to_guest)
{
	const struct vmm_table *t;
	struct vmm_region *r;
	ssize_t i;

	if (unlikely(!src || !buf || len == 0 || vmm_wraps(gpa, len)))
		return rw_exact_slow(src, live, gpa, buf, len, to_guest);
	if (live)	/* a snapshot's table and regions stay without it */
		vmm_read_lock();
	t = src_table(src, live);
	i = vmm_find(t, gpa);
	if (likely(i >= 0)) {
		r = t->slot[i].r;
		if (likely(len <= t->slot[i].size - (gpa - t->start[i])) &&
		    likely(r->hva) &&
		    !(to_guest ? (r->flags & VMM_MEM_REGION_READONLY) != 0 :
				 r->noread)) {
			uint8_t *h = r->hva + (gpa - r->gpa);

			if (to_guest)
				vmm_copy(h, buf, len);
			else
				vmm_copy(buf, h, len);
			return rw_done(r, live, gpa, len, to_guest);
		}
	}
	if (live)
		vmm_read_unlock();
	return rw_exact_slow(src, live, gpa, buf, len, to_guest);
}

/*
 * The fast paths' lookup, in table @t (a handle's: inside the read side,
 * and @t loaded once, since reloading could give a newer table where the
 * index means another region; or a snapshot's): the host address of
 * [@gpa, @gpa + @len) in *@h and its region in *@reg, when the range lies
 * inside one region; else false (the slow path then finds the error).
 * Inside one region also means gpa + len does not wrap.  A scalar (@len
 * at most 8) is checked against nscalar alone, so one of the last 7 bytes
 * of a region takes the slow path, with the same result; 9 to 64 bytes fit
 * only below nscalar, which is 0 for a region without a host address.
 */
static inline __attribute__((always_inline)) bool
fast_host(const struct vmm_table *t, uint64_t gpa, size_t len, bool scalar,
	  bool write, uintptr_t *h, struct vmm_region **reg)
{
	ssize_t i = vmm_candidate(t, gpa);
	const struct vmm_slot *sl;
	uint64_t off;

	/* a view with write-only translations: reads check the region */
	if (unlikely(i < 0) || (!write && unlikely(t->noread)))
		return false;
	sl = &t->slot[i];
	off = gpa - t->start[i];
	if (scalar ? unlikely(off >= sl->nscalar) :
		     unlikely(off >= sl->nscalar || len > sl->size - off))
		return false;
	*reg = sl->r;
	*h = (uintptr_t)gpa + sl->hoff;
	return true;
}

/*
 * Scalars of 1, 2, 4 or 8 bytes between guest memory and a caller's
 * buffer, each moved with one load and one store.  On x86 a naturally
 * aligned access of these sizes is atomic and an unaligned one is still a
 * single instruction, so no alignment is required of either side: a value
 * aligned in host memory is never torn, whatever the buffer's alignment
 * (one that straddles a cache line may be: no guarantee is made for it).
 * 32-bit x86 has no 8-byte integer move: a plain one is two 32-bit moves,
 * which tear, so 8 bytes go through vmm_move_unit() there (one x87 or SSE
 * access on a side aligned to 8, bytes on the other side).
 * Elsewhere both sides must be aligned to the size (checked by the caller).
 */
#if defined(__x86_64__) || defined(__i386__)
#define VMM_UNALIGNED_SCALARS 1
#else
#define VMM_UNALIGNED_SCALARS 0
#endif
typedef uint16_t vmm_u16u __attribute__((aligned(1), may_alias));
typedef uint64_t vmm_u64u __attribute__((aligned(1), may_alias));
typedef uint32_t vmm_u32u __attribute__((aligned(1), may_alias));

static inline __attribute__((always_inline)) void
scalar_move(uintptr_t d, uintptr_t s, size_t len)
{
#if VMM_UNALIGNED_SCALARS
	/* volatile: one access each, never split or merged */
	switch (len) {
	case 1: *(volatile uint8_t *)d = *(volatile const uint8_t *)s; break;
	case 2: *(volatile vmm_u16u *)d = *(volatile const vmm_u16u *)s;
		break;
	case 4: *(volatile vmm_u32u *)d = *(volatile const vmm_u32u *)s;
		break;
	default: {
#ifdef __i386__
		uint64_t v;

		vmm_move_unit((void *)s, &v, 8, true);
		vmm_move_unit((void *)d, &v, 8, false);
#else
		*(volatile vmm_u64u *)d = *(volatile const vmm_u64u *)s;
#endif
		break;
	}
	}
#else
	uint64_t v;	/* both sides aligned (checked by the caller) */

	vmm_move_unit((void *)s, &v, len, true);
	vmm_move_unit((void *)d, &v, len, false);
#endif
}

/*
 * 9 to 64 bytes, a virtio descriptor or header: copied inline, 16 (or 8)
 * bytes at a time, the last chunk overlapping the one before.  Only for a
 * caller buffer that does not overlap the guest bytes (else memmove()).
 */
struct vmm_b16 {
	uint64_t a, b;
} __attribute__((aligned(1), may_alias));

static inline void copy16(uint8_t *d, const uint8_t *s)
{
	*(struct vmm_b16 *)d = *(const struct vmm_b16 *)s;
}

static inline void copy_mid(uint8_t *d, const uint8_t *s, size_t n)
{
	if (n >= 16) {
		copy16(d, s);
		if (n > 32) {
			copy16(d + 16, s + 16);
			if (n > 48)
				copy16(d + 32, s + 32);
		}
		if (n > 16)
			copy16(d + n - 16, s + n - 16);
	} else {
		*(vmm_u64u *)d = *(const vmm_u64u *)s;
		*(vmm_u64u *)(d + n - 8) = *(const vmm_u64u *)(s + n - 8);
	}
}

/*
 * The paths of a device model's small accesses, inside one region; no call
 * is made, so the functions built from this need no stack frame.
 * @scalar: 1, 2, 4 or 8 bytes, the host address and the caller's buffer
 * both aligned to the size: a single load and store, so nothing tears.
 * Else 9 to 64 bytes and a caller buffer apart from the guest bytes.
 * Everything else goes to rw_exact_any(), with the same results.
 */
static inline __attribute__((always_inline)) int
rw_fast(const void *src, const bool live, uint64_t gpa, uint8_t *buf,
	const size_t len, bool to_guest, const bool scalar)
{
	struct vmm_region *r;
	uintptr_t h;

	if (unlikely(!src || !buf || (live && !urcu_bp_reader)))
		return rw_exact_any(src, live, gpa, buf, len, to_guest);
	if (live)
		vmm_read_lock();
	if (unlikely(!fast_host(src_table(src, live), gpa, len, scalar,
				to_guest, &h, &r)))
		goto other;
	if (scalar ? !VMM_UNALIGNED_SCALARS &&
			     unlikely((h | (uintptr_t)buf) & (len - 1)) :
		     unlikely((uintptr_t)buf - h < len ||
			      h - (uintptr_t)buf < len))
		goto other;
	if (to_guest && unlikely(r->flags & VMM_MEM_REGION_READONLY))
		goto other;
	vmm_guest_begin();
	if (!scalar) {
		if (to_guest)
			copy_mid((uint8_t *)h, buf, len);
		else
			copy_mid(buf, (const uint8_t *)h, len);
	} else if (to_guest) {
		scalar_move(h, (uintptr_t)buf, len);
	} else {
		scalar_move((uintptr_t)buf, h, len);
	}
	vmm_guest_end();
	return rw_done(r, live, gpa, len, to_guest);
other:
	if (live)
		vmm_read_unlock();
	return rw_exact_any(src, live, gpa, buf, len, to_guest);
}

/* One function per size, direction and source: each has few live
 * registers and needs no stack frame; the exported functions jump to them
 * (8 bytes, the commonest, is inline in them instead, still frame-less).
 * The s* ones run on a snapshot. */
#define RW_FIXED(name, size, to_guest, live)                                  \
	static __attribute__((noinline)) int name(const void *src,          \
						  uint64_t gpa,             \
						  uint8_t *buf)             \
	{                                                                     \
		return rw_fast(src, live, gpa, buf, size, to_guest, true);    \
	}
RW_FIXED(read_1, 1, false, true)
RW_FIXED(read_2, 2, false, true)
RW_FIXED(read_4, 4, false, true)
RW_FIXED(write_1, 1, true, true)
RW_FIXED(write_2, 2, true, true)
RW_FIXED(write_4, 4, true, true)
RW_FIXED(sread_1, 1, false, false)
RW_FIXED(sread_2, 2, false, false)
RW_FIXED(sread_4, 4, false, false)
RW_FIXED(swrite_1, 1, true, false)
RW_FIXED(swrite_2, 2, true, false)
RW_FIXED(swrite_4, 4, true, false)

#define RW_MID(name, to_guest, live)                                          \
	static __attribute__((noinline)) int name(const void *src,          \
						  uint64_t gpa,             \
						  uint8_t *buf, size_t len) \
	{                                                                     \
		return rw_fast(src, live, gpa, buf, len, to_guest, false);    \
	}
RW_MID(read_mid, false, true)
RW_MID(write_mid, true, true)
RW_MID(sread_mid, false, false)
RW_MID(swrite_mid, true, false)

/* The exact accesses by length: u64 first, then 9 to 64 bytes, then the
 * other scalars; the rest (and every failure) to rw_exact_any(). */
static inline __attribute__((always_inline)) int
exact_any(const void *src, bool live, uint64_t gpa, uint8_t *b, size_t len,
	  bool to_guest)
{
	if (likely(len == 8))	/* u64, the commonest scalar: inline */
		return rw_fast(src, live, gpa, b, 8, to_guest, true);
	if (len - 9 < 56)	/* 9 to 64 bytes */
		return (to_guest ? (live ? write_mid : swrite_mid) :
				   (live ? read_mid : sread_mid))(src, gpa, b,
								  len);
	switch (len) {
	case 4: return (to_guest ? (live ? write_4 : swrite_4) :
				   (live ? read_4 : sread_4))(src, gpa, b);
	case 2: return (to_guest ? (live ? write_2 : swrite_2) :
				   (live ? read_2 : sread_2))(src, gpa, b);
	case 1: return (to_guest ? (live ? write_1 : swrite_1) :
				   (live ? read_1 : sread_1))(src, gpa, b);
	default: return rw_exact_any(src, live, gpa, b, len, to_guest);
	}
}

VMM_EXPORT int vmm_mem_read_exact(vmm_mem_t *mem, uint64_t gpa, void *buf,
				  size_t len)
{
	return exact_any(mem, true, gpa, buf, len, false);
}

VMM_EXPORT int vmm_mem_write_exact(vmm_mem_t *mem, uint64_t gpa,
				   const void *buf, size_t len)
{
	return exact_any(mem, true, gpa, (uint8_t *)buf, len, true);
}

VMM_EXPORT int vmm_mem_snapshot_read_exact(const vmm_mem_snapshot_t *snap,
					   uint64_t gpa, void *buf,
					   size_t len)
{
	return exact_any(snap, false, gpa, buf, len, false);
}

VMM_EXPORT int vmm_mem_snapshot_write_exact(const vmm_mem_snapshot_t *snap,
					    uint64_t gpa, const void *buf,
					    size_t len)
{
	return exact_any(snap, false, gpa, (uint8_t *)buf, len, true);
}

/* Bytes moved at a time through a region without a host address: one
 * Xen page. */
#define BOUNCE 4096

/* Fill [gpa, gpa + n) of region @r, which has no host address. */
static __attribute__((noinline)) int fill_backend(struct vmm_region *r,
						  uint64_t gpa, int c,
						  uint64_t n)
{
	uint8_t b[BOUNCE];

	memset(b, c, (size_t)MIN(n, sizeof(b)));
	while (n) {
		uint64_t k = MIN(n, sizeof(b) - (gpa % sizeof(b)));
		int rc = copy_one(r, gpa, b, k, true);

		if (rc)
			return rc;
		gpa += k;
		n -= k;
	}
	return 0;
}

/* Does every region of [gpa, gpa + len) (backed, from index i) have a host
 * address? */
static bool range_direct(const struct vmm_table *t, ssize_t i, uint64_t gpa,
			 uint64_t len)
{
	uint64_t end = gpa + (len - 1);

	for (; (size_t)i < t->n && t->start[i] <= end; i++)
		if (!t->slot[i].r->hva)
			return false;
	return true;
}

/* vmm_mem_copy() when a region of either range has no host address:
 * through a buffer, a page at a time, backward when dst lies above an
 * overlapping src.  Both ranges are backed (checked). */
static __attribute__((noinline)) int copy_bounce(const struct vmm_table *t,
						 uint64_t dst, uint64_t src,
						 uint64_t len)
{
	bool back = dst > src && dst - src < len;
	uint8_t b[BOUNCE];
	uint64_t pos = 0;

	while (pos < len) {
		uint64_t k = MIN(sizeof(b), len - pos);
		uint64_t at = back ? len - pos - k : pos;
		int64_t rc = copy_frags(t, vmm_find(t, src + at), src + at, b,
					k, false);

		if (rc >= 0)
			rc = copy_frags(t, vmm_find(t, dst + at), dst + at, b,
					k, true);
		if (rc < 0)
			return (int)rc;
		pos += k;
	}
	return 0;
}

VMM_EXPORT int vmm_mem_fill(vmm_mem_t *mem, uint64_t gpa, int c, uint64_t len)
{
	const struct vmm_table *t;
	ssize_t i;

	if (!mem)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();
	t = vmm_table_get(mem);
	i = vmm_range_check(t, gpa, len, true);
	if (i >= 0) {
		while (len) {
			struct vmm_region *r = t->slot[i++].r;
			uint64_t n = MIN(len, r->last - gpa + 1);

			if (unlikely(!r->hva)) {
				int rc = fill_backend(r, gpa, c, n);

				if (rc) {
					i = rc;
					break;
				}
			} else {
				vmm_guest_begin();
				memset(r->hva + (gpa - r->gpa), c, (size_t)n);
				vmm_guest_end();
				vmm_mark(r, gpa, n);
			}
			gpa += n;
			len -= n;
		}
	}
	vmm_read_unlock();
	return i < 0 ? (int)i : 0;
}

/* Host pointer of a backed gpa and the bytes left in its region. */
static uint8_t *host_of(const struct vmm_table *t, uint64_t gpa,
			uint64_t *left, struct vmm_region **reg)
{
	ssize_t i = vmm_find(t, gpa);
	struct vmm_region *r = t->slot[i].r;

	*left = r->last - gpa + 1;
	*reg = r;
	return r->hva + (gpa - r->gpa);
}

VMM_EXPORT int vmm_mem_copy(vmm_mem_t *mem, uint64_t dst_gpa, uint64_t src_gpa,
			    uint64_t len)
{
	const struct vmm_table *t;
	ssize_t i;
	int rc = 0;

	if (!mem)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (vmm_wraps(dst_gpa, len) || vmm_wraps(src_gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();
	t = vmm_table_get(mem);
	i = vmm_range_check(t, src_gpa, len, false);
	if (i >= 0)
		i = vmm_range_check(t, dst_gpa, len, true);
	if (i < 0) {
		rc = (int)i;
		goto out;
	}
	if (unlikely(!range_direct(t, i, dst_gpa, len) ||
		     !range_direct(t, vmm_find(t, src_gpa), src_gpa, len))) {
		rc = copy_bounce(t, dst_gpa, src_gpa, len);
		goto out;
	}
	if (dst_gpa <= src_gpa || dst_gpa - src_gpa >= len) {
		uint64_t pos = 0;

		while (pos < len) {	/* forward */
			struct vmm_region *dr, *sr;
			uint64_t dl, sl, n;
			uint8_t *d = host_of(t, dst_gpa + pos, &dl, &dr);
			uint8_t *s = host_of(t, src_gpa + pos, &sl, &sr);

			n = MIN(MIN(dl, sl), len - pos);
			vmm_guest_begin();
			memmove(d, s, (size_t)n);
			vmm_guest_end();
			vmm_mark(dr, dst_gpa + pos, n);
			pos += n;
		}
	} else {
		uint64_t end = len;

		while (end) {		/* backward: dst above an overlapping src */
			struct vmm_region *dr, *sr;
			uint64_t dl, sl, n, dn, sn;
			ssize_t di = vmm_find(t, dst_gpa + end - 1);
			ssize_t si = vmm_find(t, src_gpa + end - 1);

			dr = t->slot[di].r;
			sr = t->slot[si].r;
			dn = dst_gpa + end - dr->gpa;	/* bytes down to start */
			sn = src_gpa + end - sr->gpa;
			n = MIN(MIN(dn, sn), end);
			dl = dst_gpa + end - n;
			sl = src_gpa + end - n;
			vmm_guest_begin();
			memmove(dr->hva + (dl - dr->gpa), sr->hva + (sl - sr->gpa),
				(size_t)n);
			vmm_guest_end();
			vmm_mark(dr, dl, n);
			end -= n;
		}
	}
out:
	vmm_read_unlock();
	return rc;
}

/* ---- atomics ------------------------------------------------------------- */

/* The host address of an atomic's target in *@p.  A region without a host
 * address maps the page for this one access (*@cookie: unpin it after). */
static int atomic_target(const struct vmm_table *t, uint64_t gpa,
			 unsigned int size, bool store, void **p,
			 struct vmm_region **reg, void **cookie)
{
	struct vmm_region *r;
	ssize_t i = vmm_find(t, gpa);

	if (i < 0)
		return vmm_fault(t, gpa, size, store ? VMM_MEM_IOTLB_WRITE :
						       VMM_MEM_IOTLB_READ);
	r = t->slot[i].r;
	if (size - 1 > r->last - gpa)
		return -EINVAL;	/* would span two regions or the end */
	if (!store && r->noread)
		return -EACCES;
	if (unlikely(!r->hva)) {
		int rc;

		if (!r->ops->pin)
			return -EOPNOTSUPP;
		/* in-page alignment is the GPA's: refuse before mapping */
		if (gpa & (size - 1))
			return -EINVAL;
		if (store && (r->flags & VMM_MEM_REGION_READONLY))
			return -EACCES;
		rc = r->ops->pin(r, gpa - r->gpa, size, store, p, cookie);
		if (rc)
			return rc;
		*reg = r;
		return 0;
	}
	*p = r->hva + (gpa - r->gpa);
	if ((uintptr_t)*p & (size - 1))
		return -EINVAL;
	if (store && (r->flags & VMM_MEM_REGION_READONLY))
		return -EACCES;
	*reg = r;
	return 0;
}

static bool good_size(unsigned int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/*
 * Loads and stores with the caller's memory order.  On x86 (TSO) every load
 * is a plain move, whatever the order, and so is every store up to
 * release: a stronger order there costs nothing, and dropping the branches
 * on the order shortens the fast paths.  Elsewhere each order gets its
 * own instruction sequence.
 */
#if defined(__x86_64__) || defined(__i386__)
#define LOAD(type, p, order)                                                  \
	((void)(order), __atomic_load_n((type *)(p), __ATOMIC_SEQ_CST))
#define STORE(type, p, v, order)                                              \
	do {                                                                  \
		if ((order) == VMM_MEM_ORDER_SEQ_CST)                         \
			__atomic_store_n((type *)(p), (type)(v),              \
					 __ATOMIC_SEQ_CST);                   \
		else                                                          \
			__atomic_store_n((type *)(p), (type)(v),              \
					 __ATOMIC_RELEASE);                   \
	} while (0)
#else
#define LOAD(type, p, order)                                                  \
	((order) == VMM_MEM_ORDER_RELAXED ?                                   \
		 __atomic_load_n((type *)(p), __ATOMIC_RELAXED) :             \
	 (order) == VMM_MEM_ORDER_ACQUIRE ?                                   \
		 __atomic_load_n((type *)(p), __ATOMIC_ACQUIRE) :             \
		 __atomic_load_n((type *)(p), __ATOMIC_SEQ_CST))
#define STORE(type, p, v, order)                                              \
	do {                                                                  \
		if ((order) == VMM_MEM_ORDER_RELAXED)                         \
			__atomic_store_n((type *)(p), (type)(v),              \
					 __ATOMIC_RELAXED);                   \
		else if ((order) == VMM_MEM_ORDER_RELEASE)                    \
			__atomic_store_n((type *)(p), (type)(v),              \
					 __ATOMIC_RELEASE);                   \
		else                                                          \
			__atomic_store_n((type *)(p), (type)(v),              \
					 __ATOMIC_SEQ_CST);                   \
	} while (0)
#endif

/* Every case, with its error: what the fast paths below hand on. */
static __attribute__((noinline)) int
load_slow(const void *src, bool live, uint64_t gpa, unsigned int size,
	  uint64_t *val, int order)
{
	struct vmm_region *r;
	void *p, *cookie = NULL;
	int rc;

	if (unlikely(!src || !val || !good_size(size)))
		return -EINVAL;
	if (unlikely(order != VMM_MEM_ORDER_RELAXED &&
		     order != VMM_MEM_ORDER_ACQUIRE &&
		     order != VMM_MEM_ORDER_SEQ_CST))
		return -EINVAL;
	vmm_read_lock();
	rc = atomic_target(src_table(src, live), gpa, size, false, &p, &r,
			   &cookie);
	if (likely(rc == 0)) {
		switch (size) {
		case 1: *val = LOAD(uint8_t, p, order); break;
		case 2: *val = LOAD(uint16_t, p, order); break;
		case 4: *val = LOAD(uint32_t, p, order); break;
		default: *val = LOAD(uint64_t, p, order); break;
		}
		if (unlikely(cookie))
			r->ops->unpin(r, cookie);
	}
	vmm_read_unlock();
	return rc;
}

static __attribute__((noinline)) int
store_slow(const void *src, bool live, uint64_t gpa, unsigned int size,
	   uint64_t val, int order)
{
	struct vmm_region *r;
	void *p, *cookie = NULL;
	int rc;

	if (unlikely(!src || !good_size(size)))
		return -EINVAL;
	if (unlikely(order != VMM_MEM_ORDER_RELAXED &&
		     order != VMM_MEM_ORDER_RELEASE &&
		     order != VMM_MEM_ORDER_SEQ_CST))
		return -EINVAL;
	if (size < 8 && (val >> (size * 8)))
		return -ERANGE;
	vmm_read_lock();
	rc = atomic_target(src_table(src, live), gpa, size, true, &p, &r,
			   &cookie);
	if (likely(rc == 0)) {
		switch (size) {
		case 1: STORE(uint8_t, p, val, order); break;
		case 2: STORE(uint16_t, p, val, order); break;
		case 4: STORE(uint32_t, p, val, order); break;
		default: STORE(uint64_t, p, val, order); break;
		}
		if (unlikely(cookie))
			r->ops->unpin(r, cookie);
		vmm_mark(r, gpa, size);
	}
	vmm_read_unlock();
	return rc;
}

/* One load and one store function per size and source, frame-less like
 * read_8() and friends. */
#define LOAD_FIXED(name, type, live)                                          \
	static __attribute__((noinline)) int name(const void *src,          \
						  uint64_t gpa,             \
						  uint64_t *val, int order) \
	{                                                                     \
		struct vmm_region *r;                                         \
		uintptr_t h;                                                  \
                                                                              \
		if (unlikely(!src || !val || ((live) && !urcu_bp_reader)))    \
			return load_slow(src, live, gpa, sizeof(type), val,   \
					 order);                              \
		if (live)                                                     \
			vmm_read_lock();                                      \
		if (unlikely(!fast_host(src_table(src, live), gpa,            \
					sizeof(type), true, false, &h, &r) || \
			     (h & (sizeof(type) - 1)))) {                     \
			if (live)                                             \
				vmm_read_unlock();                            \
			return load_slow(src, live, gpa, sizeof(type), val,   \
					 order);                              \
		}                                                             \
		*val = LOAD(type, h, order);                                  \
		if (live)                                                     \
			vmm_read_unlock();                                    \
		return 0;                                                     \
	}
LOAD_FIXED(load_1, uint8_t, true)
LOAD_FIXED(load_2, uint16_t, true)
LOAD_FIXED(load_4, uint32_t, true)
LOAD_FIXED(load_8, uint64_t, true)
LOAD_FIXED(sload_1, uint8_t, false)
LOAD_FIXED(sload_2, uint16_t, false)
LOAD_FIXED(sload_4, uint32_t, false)
LOAD_FIXED(sload_8, uint64_t, false)

#define STORE_FIXED(name, type, live)                                         \
	static __attribute__((noinline)) int name(const void *src,          \
						  uint64_t gpa,             \
						  uint64_t val, int order)  \
	{                                                                     \
		struct vmm_region *r;                                         \
		uintptr_t h;                                                  \
                                                                              \
		if (unlikely(!src || ((live) && !urcu_bp_reader)))            \
			return store_slow(src, live, gpa, sizeof(type), val,  \
					  order);                             \
		if (live)                                                     \
			vmm_read_lock();                                      \
		if (unlikely(!fast_host(src_table(src, live), gpa,            \
					sizeof(type), true, true, &h, &r) ||  \
			     (h & (sizeof(type) - 1)) ||                      \
			     (r->flags & VMM_MEM_REGION_READONLY))) {         \
			if (live)                                             \
				vmm_read_unlock();                            \
			return store_slow(src, live, gpa, sizeof(type), val,  \
					  order);                             \
		}                                                             \
		STORE(type, h, val, order);                                   \
		if (!(live)) {                                                \
			snap_mark(r, gpa, sizeof(type));                      \
			return 0;                                             \
		}                                                             \
		vmm_mark(r, gpa, sizeof(type));                               \
		vmm_read_unlock();                                            \
		return 0;                                                     \
	}
STORE_FIXED(store_1, uint8_t, true)
STORE_FIXED(store_2, uint16_t, true)
STORE_FIXED(store_4, uint32_t, true)
STORE_FIXED(store_8, uint64_t, true)
STORE_FIXED(sstore_1, uint8_t, false)
STORE_FIXED(sstore_2, uint16_t, false)
STORE_FIXED(sstore_4, uint32_t, false)
STORE_FIXED(sstore_8, uint64_t, false)

static inline __attribute__((always_inline)) int
load_any(const void *src, bool live, uint64_t gpa, unsigned int size,
	 uint64_t *val, int order)
{
	if (unlikely(order != VMM_MEM_ORDER_RELAXED &&
		     order != VMM_MEM_ORDER_ACQUIRE &&
		     order != VMM_MEM_ORDER_SEQ_CST))
		return -EINVAL;
	switch (size) {
	case 4: return (live ? load_4 : sload_4)(src, gpa, val, order);
	case 8: return (live ? load_8 : sload_8)(src, gpa, val, order);
	case 2: return (live ? load_2 : sload_2)(src, gpa, val, order);
	case 1: return (live ? load_1 : sload_1)(src, gpa, val, order);
	default: return -EINVAL;
	}
}

static inline __attribute__((always_inline)) int
store_any(const void *src, bool live, uint64_t gpa, unsigned int size,
	  uint64_t val, int order)
{
	if (unlikely(!src || (order != VMM_MEM_ORDER_RELAXED &&
			      order != VMM_MEM_ORDER_RELEASE &&
			      order != VMM_MEM_ORDER_SEQ_CST)))
		return -EINVAL;
	switch (size) {	/* -EINVAL comes before -ERANGE, as it always did */
	case 4: if (unlikely(val >> 32)) return -ERANGE;
		return (live ? store_4 : sstore_4)(src, gpa, val, order);
	case 8: return (live ? store_8 : sstore_8)(src, gpa, val, order);
	case 2: if (unlikely(val >> 16)) return -ERANGE;
		return (live ? store_2 : sstore_2)(src, gpa, val, order);
	case 1: if (unlikely(val >> 8)) return -ERANGE;
		return (live ? store_1 : sstore_1)(src, gpa, val, order);
	default: return -EINVAL;
	}
}

VMM_EXPORT int vmm_mem_load(vmm_mem_t *mem, uint64_t gpa, unsigned int size,
			    uint64_t *val, int order)
{
	return load_any(mem, true, gpa, size, val, order);
}

VMM_EXPORT int vmm_mem_store(vmm_mem_t *mem, uint64_t gpa, unsigned int size,
			     uint64_t val, int order)
{
	return store_any(mem, true, gpa, size, val, order);
}

VMM_EXPORT int vmm_mem_snapshot_load(const vmm_mem_snapshot_t *snap,
				     uint64_t gpa, unsigned int size,
				     uint64_t *val, int order)
{
	return load_any(snap, false, gpa, size, val, order);
}

VMM_EXPORT int vmm_mem_snapshot_store(const vmm_mem_snapshot_t *snap,
				      uint64_t gpa, unsigned int size,
				      uint64_t val, int order)
{
	return store_any(snap, false, gpa, size, val, order);
}

/* Little-endian values: one atomic access, swapped on a big-endian host. */
static uint64_t le_swap(uint64_t v, unsigned int size)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	switch (size) {
	case 2: return __builtin_bswap16((uint16_t)v);
	case 4: return __builtin_bswap32((uint32_t)v);
	default: return __builtin_bswap64(v);
	}
#else
	(void)size;
	return v;
#endif
}

VMM_EXPORT int vmm_mem_load_le(vmm_mem_t *mem, uint64_t gpa,
			       unsigned int size, uint64_t *val, int order)
{
	uint64_t v;
	int rc;

	if (size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (!val)
		return -EINVAL;
	rc = load_any(mem, true, gpa, size, &v, order);
	if (rc == 0)
		*val = le_swap(v, size);
	return rc;
}

VMM_EXPORT int vmm_mem_store_le(vmm_mem_t *mem, uint64_t gpa,
				unsigned int size, uint64_t val, int order)
{
	if (size != 2 && size != 4 && size != 8)
		return -EINVAL;
	/* a value that does not fit goes unswapped: store_any() refuses it
	 * (-ERANGE), after the argument checks, as vmm_mem_store() does */
	if (size < 8 && (val >> (size * 8)))
		return store_any(mem, true, gpa, size, val, order);
	return store_any(mem, true, gpa, size, le_swap(val, size), order);
}

/* ---- fragments ----------------------------------------------------------- */

VMM_EXPORT ssize_t vmm_mem_get_slices(vmm_mem_t *mem, uint64_t gpa,
				      uint64_t len, struct iovec *iov,
				      size_t iovcnt)
{
	const struct vmm_table *t;
	ssize_t i, n = 0;

	if (!mem || (!iov && iovcnt))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();
	t = vmm_table_get(mem);
	if (vmm_span(t, gpa, len, false, &i) != len) {
		n = vmm_fault(t, gpa, len, 0);
		vmm_read_unlock();
		return n;
	}
	while (len) {
		const struct vmm_region *r = t->slot[i++].r;
		uint64_t c = MIN(len, r->last - gpa + 1);

		if (!r->hva) {
			n = -EOPNOTSUPP;
			break;
		}
		if ((size_t)n < iovcnt) {
			iov[n].iov_base = r->hva + (gpa - r->gpa);
			iov[n].iov_len = (size_t)c;
		}
		n++;
		gpa += c;
		len -= c;
	}
	vmm_read_unlock();
	return n;
}
