/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Dirty-page logging: one bitmap of 64-bit words per region, bit k standing
 * for the GPA page (first_page + k).  Bits are set with an atomic OR after
 * the data landed, and harvested with an atomic AND that returns the old
 * word, so a write racing with a harvest is reported by this harvest or the
 * next one, never lost.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* The largest log page: a 1 GiB huge page. */
#define DIRTY_PAGE_MAX (UINT64_C(1) << 30)

/* @n (1 to 64) one bits from bit @sh up, within one word. */
static inline uint64_t bit_run(uint64_t n, uint64_t sh)
{
	return (n == 64 ? ~0ull : ((1ull << n) - 1)) << sh;
}

static struct vmm_dirty *dirty_alloc(const struct vmm_region *r,
				     uint64_t shift)
{
	uint64_t first = r->gpa >> shift, npages = (r->last >> shift) - first + 1;
	uint64_t words = (npages + 63) / 64;
	struct vmm_dirty *d;

	if (words > (SIZE_MAX - sizeof(*d)) / sizeof(uint64_t))
		return NULL;
	d = calloc(1, sizeof(*d) + (size_t)words * sizeof(uint64_t));
	if (!d)
		return NULL;
	d->page_shift = shift;
	d->first_page = first;
	d->npages = npages;
	return d;
}

void vmm_dirty_free(struct vmm_dirty *d)
{
	free(d);
}

/* A clean bitmap of log page 2^@shift for @r: a kept one, or a new one
 * (under the memory's lock).  A snapshot's writer of the previous logging
 * period may still set a bit in a reused bitmap: a page reported dirty
 * that was not, never the reverse. */
static struct vmm_dirty *dirty_get(struct vmm_region *r, uint64_t shift)
{
	struct vmm_dirty **pp;

	for (pp = &r->dirty_kept; *pp; pp = &(*pp)->kept_next) {
		struct vmm_dirty *d = *pp;
		uint64_t i, words = (d->npages + 63) / 64;

		if (d->page_shift != shift)
			continue;
		*pp = d->kept_next;
		d->kept_next = NULL;
		for (i = 0; i < words; i++)
			__atomic_store_n(&d->words[i], 0, __ATOMIC_RELAXED);
		return d;
	}
	return dirty_alloc(r, shift);
}

/* Put an unpublished bitmap on @r's kept list (under the memory's lock). */
static void dirty_keep(struct vmm_region *r, struct vmm_dirty *d)
{
	if (!d)
		return;
	d->kept_next = r->dirty_kept;
	r->dirty_kept = d;
}

void vmm_dirty_set(struct vmm_dirty *d, uint64_t gpa, uint64_t len)
{
	uint64_t p = gpa >> d->page_shift;
	uint64_t last = (gpa + (len - 1)) >> d->page_shift;

	if (p < d->first_page)
		p = d->first_page;
	if (last >= d->first_page + d->npages)
		last = d->first_page + d->npages - 1;
	p -= d->first_page;
	last -= d->first_page;
	while (p <= last) {
		uint64_t bit = p & 63, n = 64 - bit, mask;

		if (n > last - p + 1)
			n = last - p + 1;
		mask = bit_run(n, bit);
		/* see vmm_mark(): no locked op when every bit is set */
		if ((__atomic_load_n(&d->words[p >> 6], __ATOMIC_RELAXED) &
		     mask) != mask)
			__atomic_fetch_or(&d->words[p >> 6], mask,
					  __ATOMIC_RELEASE);
		p += n;
	}
}

void vmm_mark_frags(struct vmm_region *const *r, const struct iovec *iov,
		    size_t n, uint64_t gpa, uint64_t written)
{
	size_t k;

	if (!written)
		return;
	vmm_read_lock();
	for (k = 0; k < n && written; k++) {
		uint64_t c = written < iov[k].iov_len ? written
						      : (uint64_t)iov[k].iov_len;

		vmm_mark(r[k], gpa, c);
		gpa += c;
		written -= c;
	}
	vmm_read_unlock();
}

/* Index of the first region whose last byte is >= gpa (may be t->n). */
static size_t first_at_or_after(const struct vmm_table *t, uint64_t gpa)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->slot[mid].r->last < gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void vmm_mark_range(const struct vmm_table *t, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + (len - 1);
	size_t i;

	for (i = first_at_or_after(t, gpa); i < t->n && t->start[i] <= end; i++) {
		struct vmm_region *r = t->slot[i].r;
		uint64_t a = gpa > r->gpa ? gpa : r->gpa;
		uint64_t b = end < r->last ? end : r->last;

		vmm_mark(r, a, b - a + 1);
	}
}

int vmm_dirty_region_init(struct vmm_mem *mem, struct vmm_region *r)
{
	uint64_t shift = mem->dirty_page_shift;

	if (!shift)
		return 0;
	r->dirty = dirty_alloc(r, shift);
	return r->dirty ? 0 : -ENOMEM;
}

VMM_EXPORT int vmm_mem_dirty_log_start(vmm_mem_t *mem, uint64_t page_size)
{
	struct vmm_table *t;
	struct vmm_dirty **fresh;
	uint64_t shift;
	size_t i;
	int rc = 0;

	if (!mem)
		return -EINVAL;
	if (!page_size)
		page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	if (page_size < 4096 || page_size > DIRTY_PAGE_MAX ||
	    (page_size & (page_size - 1)))
		return -EINVAL;
	shift = (uint64_t)__builtin_ctzll(page_size);
	pthread_mutex_lock(&mem->lock);
	if (mem->dirty_page_shift) {
		rc = -EBUSY;
		goto out;
	}
	t = mem->table;
	fresh = calloc(t->n ? t->n : 1, sizeof(*fresh));
	if (!fresh) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < t->n; i++) {
		fresh[i] = dirty_get(t->slot[i].r, shift);
		if (!fresh[i]) {
			while (i--)
				dirty_keep(t->slot[i].r, fresh[i]);
			free(fresh);
			rc = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < t->n; i++) {
		/* table regions have no published log while logging is off */
		dirty_keep(t->slot[i].r, t->slot[i].r->dirty);
		vmm_rcu_assign(t->slot[i].r->dirty, fresh[i]);
	}
	free(fresh);
	__atomic_store_n(&mem->dirty_page_shift, shift, __ATOMIC_RELEASE);
	/* A write that saw no log is over, and its data visible, before the
	 * call returns: a copy made after it sees that data, and every later
	 * write is marked. */
	vmm_synchronize();
	vmm_table_free_retired(mem);
	vdbg(mem, "dirty log on, page size 0x%llx",
	     (unsigned long long)page_size);
out:
	pthread_mutex_unlock(&mem->lock);
	return rc;
}

VMM_EXPORT int vmm_mem_dirty_log_stop(vmm_mem_t *mem)
{
	struct vmm_table *t;
	size_t i;
	int rc = 0;

	if (!mem)
		return -EINVAL;
	pthread_mutex_lock(&mem->lock);
	if (!mem->dirty_page_shift) {
		rc = -ENOENT;
		goto out;
	}
	t = mem->table;
	for (i = 0; i < t->n; i++) {
		struct vmm_dirty *d = t->slot[i].r->dirty;

		vmm_rcu_assign(t->slot[i].r->dirty, NULL);
		/* kept, not freed: a snapshot's writer may still hold it */
		dirty_keep(t->slot[i].r, d);
	}
	__atomic_store_n(&mem->dirty_page_shift, 0, __ATOMIC_RELEASE);
	vmm_synchronize();
	vmm_table_free_retired(mem);
out:
	pthread_mutex_unlock(&mem->lock);
	return rc;
}

VMM_EXPORT int64_t vmm_mem_dirty_log_page_size(vmm_mem_t *mem)
{
	uint64_t shift;

	if (!mem)
		return -EINVAL;
	shift = __atomic_load_n(&mem->dirty_page_shift, __ATOMIC_ACQUIRE);
	return shift ? (int64_t)(UINT64_C(1) << shift) : 0;
}

/* Read (and with @clear, clear) bits [b, b+n) of @d, n <= 64, not crossing
 * a word boundary of @d.  Returns them in the low bits. */
static uint64_t take(struct vmm_dirty *d, uint64_t b, uint64_t n, bool clear)
{
	uint64_t *w = &d->words[b >> 6], sh = b & 63, old;
	uint64_t mask = bit_run(n, sh);

	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	if (clear && (old & mask))	/* a clean word needs no locked op */
		old = __atomic_fetch_and(w, ~mask, __ATOMIC_ACQ_REL);
	return (old & mask) >> sh;
}

VMM_EXPORT int64_t vmm_mem_dirty_log_get(vmm_mem_t *mem, uint64_t gpa,
					 uint64_t npages, uint64_t *bitmap,
					 unsigned int flags)
{
	const struct vmm_table *t;
	uint64_t shift, wfirst, wlast, words, end;
	int64_t count = 0;
	size_t i;

	if (!mem || (flags & ~VMM_MEM_DIRTY_LOG_CLEAR) || (npages && !bitmap))
		return -EINVAL;
	shift = __atomic_load_n(&mem->dirty_page_shift, __ATOMIC_ACQUIRE);
	if (!shift)
		return -ENOENT;
	if (gpa & ((1ull << shift) - 1))
		return -EINVAL;
	if (npages == 0)
		return 0;
	if (npages > (UINT64_MAX >> shift) ||
	    __builtin_add_overflow(gpa, (npages << shift) - 1, &end))
		return -EOVERFLOW;
	words = (npages + 63) / 64;
	if (words > SIZE_MAX / sizeof(uint64_t))
		return -EOVERFLOW;
	memset(bitmap, 0, (size_t)words * sizeof(uint64_t));
	wfirst = gpa >> shift;
	wlast = end >> shift;

	vmm_read_lock();
	t = vmm_table_get(mem);
	for (i = first_at_or_after(t, gpa); i < t->n && t->start[i] <= end; i++) {
		struct vmm_dirty *d = vmm_rcu_deref(t->slot[i].r->dirty);
		uint64_t p, plast;

		if (!d || d->page_shift != shift)
			continue;
		p = d->first_page > wfirst ? d->first_page : wfirst;
		plast = d->first_page + d->npages - 1;
		if (plast > wlast)
			plast = wlast;
		while (p <= plast) {
			uint64_t b = p - d->first_page, n = 64 - (b & 63), bits;
			uint64_t w = p - wfirst;

			if (n > plast - p + 1)
				n = plast - p + 1;
			bits = take(d, b, n, flags & VMM_MEM_DIRTY_LOG_CLEAR);
			if (bits) {
				bitmap[w >> 6] |= bits << (w & 63);
				if ((w & 63) + n > 64)
					bitmap[(w >> 6) + 1] |=
						bits >> (64 - (w & 63));
			}
			p += n;
		}
	}
	vmm_read_unlock();
	/* Writers skip the atomic OR when their bit is already set (see
	 * vmm_mark()): wait until every write that may have seen a bit this
	 * harvest cleared has left its read-side section, so that its data
	 * is visible to the caller's copy of the page. */
	if (flags & VMM_MEM_DIRTY_LOG_CLEAR)
		vmm_synchronize();
	/* Count the bits of the result, not of the regions: a page shared by
	 * two adjacent regions is one page. */
	for (i = 0; i < words; i++)
		if (bitmap[i])	/* popcount is a libgcc call on x86-64 v1 */
			count += __builtin_popcountll(bitmap[i]);
	return count;
}

VMM_EXPORT int vmm_mem_dirty_log_test(vmm_mem_t *mem, uint64_t gpa)
{
	const struct vmm_table *t;
	struct vmm_dirty *d;
	ssize_t i;
	int rc;

	if (!mem)
		return -EINVAL;
	if (!__atomic_load_n(&mem->dirty_page_shift, __ATOMIC_ACQUIRE))
		return -ENOENT;
	vmm_read_lock();
	t = vmm_table_get(mem);
	i = vmm_find(t, gpa);
	if (i < 0) {
		rc = -EFAULT;
	} else {
		/* A log page larger than the host page may be shared by
		 * adjacent regions, each with its own bitmap: the page is
		 * dirty if any of them says so, as a harvest would. */
		uint64_t page, first, last;
		size_t j;

		rc = -ENOENT;
		d = vmm_rcu_deref(t->slot[i].r->dirty);
		if (d) {
			page = gpa >> d->page_shift;
			first = page << d->page_shift;
			last = first + ((UINT64_C(1) << d->page_shift) - 1);
			rc = 0;
			for (j = first_at_or_after(t, first);
			     j < t->n && t->start[j] <= last && rc == 0; j++) {
				struct vmm_dirty *e = vmm_rcu_deref(t->slot[j].r->dirty);
				uint64_t b;

				if (!e || e->page_shift != d->page_shift)
					continue;
				b = page - e->first_page;
				rc = (__atomic_load_n(&e->words[b >> 6],
						      __ATOMIC_ACQUIRE) >>
				      (b & 63)) & 1;
			}
		}
	}
	vmm_read_unlock();
	return rc;
}

VMM_EXPORT int vmm_mem_dirty_log_mark(vmm_mem_t *mem, uint64_t gpa,
				      uint64_t len)
{
	if (!mem)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();
	vmm_mark_range(vmm_table_get(mem), gpa, len);
	vmm_read_unlock();
	return 0;
}
