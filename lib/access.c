/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Byte access (read, write, exact variants, fill, copy), atomics and the
 * fragment walk.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Copy @n bytes between @buf and region @r at @gpa; mark what was written. */
static inline void copy_one(struct vmm_region *r, uint64_t gpa, uint8_t *buf,
			    uint64_t n, bool to_guest)
{
	uint8_t *h = r->hva + (gpa - r->gpa);

	if (to_guest) {
		vmm_copy(h, buf, (size_t)n);
		vmm_mark(r, gpa, n);
	} else {
		vmm_copy(buf, h, (size_t)n);
	}
}

/* Copy [gpa, gpa+len), known to be backed from region index i on. */
static void copy_frags(const struct vmm_table *t, ssize_t i, uint64_t gpa,
		       uint8_t *buf, uint64_t len, bool to_guest)
{
	while (len) {
		struct vmm_region *r = t->r[i++];
		uint64_t n = MIN(len, r->last - gpa + 1);

		copy_one(r, gpa, buf, n, to_guest);
		buf += n;
		gpa += n;
		len -= n;
	}
}

static ssize_t rw(vmm_mem_t *mem, uint64_t gpa, uint8_t *buf, size_t len,
		  bool to_guest)
{
	const struct vmm_table *t;
	struct vmm_region *r;
	uint64_t n;
	ssize_t i;

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
		vmm_read_unlock();
		return -EFAULT;
	}
	r = t->r[i];
	if (to_guest && unlikely(r->flags & VMM_MEM_REGION_READONLY)) {
		vmm_read_unlock();
		return -EACCES;
	}
	if (likely(len - 1 <= r->last - gpa)) {
		copy_one(r, gpa, buf, len, to_guest);
		vmm_read_unlock();
		return (ssize_t)len;
	}
	n = vmm_span(t, gpa, len, to_guest, &i);
	copy_frags(t, i, gpa, buf, n, to_guest);
	vmm_read_unlock();
	return (ssize_t)n;
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
rw_exact_slow(vmm_mem_t *mem, uint64_t gpa, uint8_t *buf, size_t len,
	      bool to_guest)
{
	const struct vmm_table *t;
	ssize_t i;

	if (!mem || (!buf && len))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();
	t = vmm_table_get(mem);
	i = vmm_range_check(t, gpa, len, to_guest);
	if (i >= 0)
		copy_frags(t, i, gpa, buf, len, to_guest);
	vmm_read_unlock();
	return i < 0 ? (int)i : 0;
}

/* Any exact access with valid arguments inside one region; the rest goes on
 * to rw_exact_slow().  Out of line, below the small fast path. */
static __attribute__((noinline)) int
rw_exact_any(vmm_mem_t *mem, uint64_t gpa, uint8_t *buf, size_t len,
	     bool to_guest)
{
	const struct vmm_table *t;
	struct vmm_region *r;
	ssize_t i;

	if (unlikely(!mem || !buf || len == 0 || vmm_wraps(gpa, len)))
		return rw_exact_slow(mem, gpa, buf, len, to_guest);
	vmm_read_lock();
	t = vmm_table_get(mem);
	i = vmm_find(t, gpa);
	if (likely(i >= 0)) {
		r = t->r[i];
		if (likely(len - 1 <= t->slot[i].last - gpa) &&
		    !(to_guest && (r->flags & VMM_MEM_REGION_READONLY))) {
			copy_one(r, gpa, buf, len, to_guest);
			vmm_read_unlock();
			return 0;
		}
	}
	vmm_read_unlock();
	return rw_exact_slow(mem, gpa, buf, len, to_guest);
}

/*
 * The fast paths' lookup, inside the read side: the host address of
 * [@gpa, @gpa + @len) when it lies inside one region, else 0 (the slow path
 * then finds the error).  *@reg is that region, taken from the same table
 * snapshot (reloading the table could give a newer one, where the index
 * means another region).  Inside one region also means gpa + len does not
 * wrap.
 */
static inline __attribute__((always_inline)) uintptr_t
fast_host(vmm_mem_t *mem, uint64_t gpa, size_t len, struct vmm_region **reg)
{
	const struct vmm_table *t = vmm_table_get(mem);
	ssize_t i = vmm_find(t, gpa);

	if (unlikely(i < 0 || len - 1 > t->slot[i].last - gpa))
		return 0;
	*reg = t->r[i];
	return (uintptr_t)gpa + t->slot[i].hoff;
}

/*
 * 9 to 64 bytes, a virtio descriptor or header: copied inline, 16 (or 8)
 * bytes at a time, the last chunk overlapping the one before.  Only for a
 * caller buffer that does not overlap the guest bytes (else memmove()).
 */
typedef uint64_t vmm_u64u __attribute__((aligned(1), may_alias));
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
rw_fast(vmm_mem_t *mem, uint64_t gpa, uint8_t *buf, const size_t len,
	bool to_guest, const bool scalar)
{
	struct vmm_region *r;
	uintptr_t h;

	if (unlikely(!mem || !buf || !urcu_bp_reader))
		return rw_exact_any(mem, gpa, buf, len, to_guest);
	vmm_read_lock();
	h = fast_host(mem, gpa, len, &r);
	if (unlikely(!h))
		goto other;
	if (scalar ? unlikely((h | (uintptr_t)buf) & (len - 1)) :
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
		switch (len) {
		case 1: *(volatile uint8_t *)h = *buf; break;
		case 2: __atomic_store_n((uint16_t *)h, *(uint16_t *)buf,
					 __ATOMIC_RELAXED); break;
		case 4: __atomic_store_n((uint32_t *)h, *(uint32_t *)buf,
					 __ATOMIC_RELAXED); break;
		default: __atomic_store_n((uint64_t *)h, *(uint64_t *)buf,
					  __ATOMIC_RELAXED); break;
		}
	} else {
		switch (len) {
		case 1: *buf = *(volatile uint8_t *)h; break;
		case 2: *(uint16_t *)buf = __atomic_load_n((uint16_t *)h,
							   __ATOMIC_RELAXED);
			break;
		case 4: *(uint32_t *)buf = __atomic_load_n((uint32_t *)h,
							   __ATOMIC_RELAXED);
			break;
		default: *(uint64_t *)buf = __atomic_load_n((uint64_t *)h,
							    __ATOMIC_RELAXED);
			break;
		}
	}
	vmm_guest_end();
	if (to_guest)
		vmm_mark(r, gpa, len);
	vmm_read_unlock();
	return 0;
other:
	vmm_read_unlock();
	return rw_exact_any(mem, gpa, buf, len, to_guest);
}

/* One function per size and direction: each has few live registers and
 * needs no stack frame; the exported functions jump to them. */
#define RW_FIXED(name, size, to_guest)                                        \
	static __attribute__((noinline)) int name(vmm_mem_t *mem,           \
						  uint64_t gpa,             \
						  uint8_t *buf)             \
	{                                                                     \
		return rw_fast(mem, gpa, buf, size, to_guest, true);          \
	}
RW_FIXED(read_1, 1, false)
RW_FIXED(read_2, 2, false)
RW_FIXED(read_4, 4, false)
RW_FIXED(read_8, 8, false)
RW_FIXED(write_1, 1, true)
RW_FIXED(write_2, 2, true)
RW_FIXED(write_4, 4, true)
RW_FIXED(write_8, 8, true)

static __attribute__((noinline)) int read_mid(vmm_mem_t *mem, uint64_t gpa,
					      uint8_t *buf, size_t len)
{
	return rw_fast(mem, gpa, buf, len, false, false);
}

static __attribute__((noinline)) int write_mid(vmm_mem_t *mem, uint64_t gpa,
					       uint8_t *buf, size_t len)
{
	return rw_fast(mem, gpa, buf, len, true, false);
}

VMM_EXPORT int vmm_mem_read_exact(vmm_mem_t *mem, uint64_t gpa, void *buf,
				  size_t len)
{
	if (likely(len == 8))	/* u64, the commonest scalar */
		return read_8(mem, gpa, buf);
	if (len - 9 < 56)	/* 9 to 64 bytes */
		return read_mid(mem, gpa, buf, len);
	switch (len) {
	case 4: return read_4(mem, gpa, buf);
	case 2: return read_2(mem, gpa, buf);
	case 1: return read_1(mem, gpa, buf);
	default: return rw_exact_any(mem, gpa, buf, len, false);
	}
}

VMM_EXPORT int vmm_mem_write_exact(vmm_mem_t *mem, uint64_t gpa,
				   const void *buf, size_t len)
{
	uint8_t *b = (uint8_t *)buf;

	if (likely(len == 8))	/* u64, the commonest scalar */
		return write_8(mem, gpa, b);
	if (len - 9 < 56)	/* 9 to 64 bytes */
		return write_mid(mem, gpa, b, len);
	switch (len) {
	case 4: return write_4(mem, gpa, b);
	case 2: return write_2(mem, gpa, b);
	case 1: return write_1(mem, gpa, b);
	default: return rw_exact_any(mem, gpa, b, len, true);
	}
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
			struct vmm_region *r = t->r[i++];
			uint64_t n = MIN(len, r->last - gpa + 1);

			vmm_guest_begin();
			memset(r->hva + (gpa - r->gpa), c, (size_t)n);
			vmm_guest_end();
			vmm_mark(r, gpa, n);
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
	struct vmm_region *r = t->r[i];

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

			dr = t->r[di];
			sr = t->r[si];
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

static int atomic_target(vmm_mem_t *mem, uint64_t gpa, unsigned int size,
			 bool store, void **p, struct vmm_region **reg)
{
	const struct vmm_table *t = vmm_table_get(mem);
	struct vmm_region *r;
	ssize_t i = vmm_find(t, gpa);

	if (i < 0)
		return -EFAULT;
	r = t->r[i];
	if (size - 1 > r->last - gpa)
		return -EINVAL;	/* would span two regions or the end */
	if (!r->hva)
		return -EOPNOTSUPP;
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

/* Every case, with its error: what the fast paths below hand on. */
static __attribute__((noinline)) int
load_slow(vmm_mem_t *mem, uint64_t gpa, unsigned int size, uint64_t *val,
	  int order)
{
	struct vmm_region *r;
	void *p;
	int rc;

	if (unlikely(!mem || !val || !good_size(size)))
		return -EINVAL;
	if (unlikely(order != VMM_MEM_ORDER_RELAXED &&
		     order != VMM_MEM_ORDER_ACQUIRE &&
		     order != VMM_MEM_ORDER_SEQ_CST))
		return -EINVAL;
	vmm_read_lock();
	rc = atomic_target(mem, gpa, size, false, &p, &r);
	if (likely(rc == 0)) {
		switch (size) {
		case 1: *val = LOAD(uint8_t, p, order); break;
		case 2: *val = LOAD(uint16_t, p, order); break;
		case 4: *val = LOAD(uint32_t, p, order); break;
		default: *val = LOAD(uint64_t, p, order); break;
		}
	}
	vmm_read_unlock();
	return rc;
}

static __attribute__((noinline)) int
store_slow(vmm_mem_t *mem, uint64_t gpa, unsigned int size, uint64_t val,
	   int order)
{
	struct vmm_region *r;
	void *p;
	int rc;

	if (unlikely(!mem || !good_size(size)))
		return -EINVAL;
	if (unlikely(order != VMM_MEM_ORDER_RELAXED &&
		     order != VMM_MEM_ORDER_RELEASE &&
		     order != VMM_MEM_ORDER_SEQ_CST))
		return -EINVAL;
	if (size < 8 && (val >> (size * 8)))
		return -ERANGE;
	vmm_read_lock();
	rc = atomic_target(mem, gpa, size, true, &p, &r);
	if (likely(rc == 0)) {
		switch (size) {
		case 1: STORE(uint8_t, p, val, order); break;
		case 2: STORE(uint16_t, p, val, order); break;
		case 4: STORE(uint32_t, p, val, order); break;
		default: STORE(uint64_t, p, val, order); break;
		}
		vmm_mark(r, gpa, size);
	}
	vmm_read_unlock();
	return rc;
}

/* One load function per size, frame-less like read_8() and friends. */
#define LOAD_FIXED(name, type)                                                \
	static __attribute__((noinline)) int name(vmm_mem_t *mem,           \
						  uint64_t gpa,             \
						  uint64_t *val, int order) \
	{                                                                     \
		struct vmm_region *r;                                         \
		uintptr_t h;                                                  \
                                                                              \
		if (unlikely(!mem || !val || !urcu_bp_reader))                \
			return load_slow(mem, gpa, sizeof(type), val, order); \
		vmm_read_lock();                                              \
		h = fast_host(mem, gpa, sizeof(type), &r);                    \
		if (unlikely(!h || (h & (sizeof(type) - 1)))) {               \
			vmm_read_unlock();                                    \
			return load_slow(mem, gpa, sizeof(type), val, order); \
		}                                                             \
		*val = LOAD(type, h, order);                                  \
		vmm_read_unlock();                                            \
		return 0;                                                     \
	}
LOAD_FIXED(load_1, uint8_t)
LOAD_FIXED(load_2, uint16_t)
LOAD_FIXED(load_4, uint32_t)
LOAD_FIXED(load_8, uint64_t)

#define STORE_FIXED(name, type)                                               \
	static __attribute__((noinline)) int name(vmm_mem_t *mem,           \
						  uint64_t gpa,             \
						  uint64_t val, int order)  \
	{                                                                     \
		struct vmm_region *r;                                         \
		uintptr_t h;                                                  \
                                                                              \
		if (unlikely(!mem || !urcu_bp_reader))                        \
			return store_slow(mem, gpa, sizeof(type), val,        \
					  order);                             \
		vmm_read_lock();                                              \
		h = fast_host(mem, gpa, sizeof(type), &r);                    \
		if (unlikely(!h || (h & (sizeof(type) - 1)) ||                \
			     (r->flags & VMM_MEM_REGION_READONLY))) {         \
			vmm_read_unlock();                                    \
			return store_slow(mem, gpa, sizeof(type), val,        \
					  order);                             \
		}                                                             \
		STORE(type, h, val, order);                                   \
		vmm_mark(r, gpa, sizeof(type));                               \
		vmm_read_unlock();                                            \
		return 0;                                                     \
	}
STORE_FIXED(store_1, uint8_t)
STORE_FIXED(store_2, uint16_t)
STORE_FIXED(store_4, uint32_t)
STORE_FIXED(store_8, uint64_t)

VMM_EXPORT int vmm_mem_load(vmm_mem_t *mem, uint64_t gpa, unsigned int size,
			    uint64_t *val, int order)
{
	if (unlikely(order != VMM_MEM_ORDER_RELAXED &&
		     order != VMM_MEM_ORDER_ACQUIRE &&
		     order != VMM_MEM_ORDER_SEQ_CST))
		return -EINVAL;
	switch (size) {
	case 4: return load_4(mem, gpa, val, order);
	case 8: return load_8(mem, gpa, val, order);
	case 2: return load_2(mem, gpa, val, order);
	case 1: return load_1(mem, gpa, val, order);
	default: return -EINVAL;
	}
}

VMM_EXPORT int vmm_mem_store(vmm_mem_t *mem, uint64_t gpa, unsigned int size,
			     uint64_t val, int order)
{
	if (unlikely(!mem || (order != VMM_MEM_ORDER_RELAXED &&
			      order != VMM_MEM_ORDER_RELEASE &&
			      order != VMM_MEM_ORDER_SEQ_CST)))
		return -EINVAL;
	switch (size) {	/* -EINVAL comes before -ERANGE, as it always did */
	case 4: if (unlikely(val >> 32)) return -ERANGE;
		return store_4(mem, gpa, val, order);
	case 8: return store_8(mem, gpa, val, order);
	case 2: if (unlikely(val >> 16)) return -ERANGE;
		return store_2(mem, gpa, val, order);
	case 1: if (unlikely(val >> 8)) return -ERANGE;
		return store_1(mem, gpa, val, order);
	default: return -EINVAL;
	}
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
		vmm_read_unlock();
		return -EFAULT;
	}
	while (len) {
		const struct vmm_region *r = t->r[i++];
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
