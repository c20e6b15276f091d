/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Dirty-page logging, by guest physical page (cold, except the marks).
 *
 * A memory's dirty state (struct vmm_dstate) outlives its handle as long as
 * a region of it lives, and knows every live region (the registry), in the
 * table or not: a region removed while a mapping, a snapshot or a pinned fd
 * transfer still holds it keeps being logged.  While logging is on, each
 * registered region has a bitmap of its GPA pages, bit k standing for page
 * first_page + k; the period's bitmaps are on the state's list, which holds
 * a reference to each until logging stops, so a harvest reports the pages
 * of regions that went away too.  Bitmaps of one period may overlap (a
 * region removed and added again at the same GPA while a mapping of the old
 * one lives): a harvest ORs them.
 *
 * Bits are set with an atomic OR after the data landed, and harvested with
 * an atomic AND that returns the old word, so a write racing with a harvest
 * is reported by this harvest or the next one, never lost.
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

static struct vmm_dirty *dirty_alloc(struct vmm_dstate *ds,
				     const struct vmm_region *r,
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
	d->kind = VMM_DIRTY_BITMAP;
	d->refcnt = 1;
	d->ds = ds;
	d->page_shift = shift;
	d->first_page = first;
	d->npages = npages;
	return d;
}

static void dirty_put(struct vmm_dirty *d)
{
	if (d && d->kind == VMM_DIRTY_BITMAP &&
	    !__atomic_sub_fetch(&d->refcnt, 1, __ATOMIC_ACQ_REL))
		free(d);
}

/* A clean bitmap of log page 2^@shift for @r: a kept one, or a new one
 * (under the memory's lock).  A snapshot's writer of the previous logging
 * period may still set a bit in a reused bitmap: a page reported dirty
 * that was not, never the reverse.  A kept bitmap is the region's alone
 * (the list of its period let go of it when logging stopped). */
static struct vmm_dirty *dirty_get(struct vmm_dstate *ds, struct vmm_region *r,
				   uint64_t shift)
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
	return dirty_alloc(ds, r, shift);
}

/* Put an unpublished bitmap on @r's kept list (under the memory's lock). */
static void dirty_keep(struct vmm_region *r, struct vmm_dirty *d)
{
	if (!d || d->kind != VMM_DIRTY_BITMAP)
		return;
	d->kept_next = r->dirty_kept;
	r->dirty_kept = d;
}

/* Put @d, a region's bitmap, on the period's list, which takes a reference
 * (under the memory's lock). */
static void dirty_list_add(struct vmm_dstate *ds, struct vmm_dirty *d)
{
	__atomic_add_fetch(&d->refcnt, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&d->slow, ds->shared != NULL, __ATOMIC_RELAXED);
	d->list_next = ds->list;
	vmm_rcu_assign(ds->list, d);
}

/* ---- the dirty state ----------------------------------------------------- */

struct vmm_dstate *vmm_dstate_new(void)
{
	struct vmm_dstate *ds = calloc(1, sizeof(*ds));

	if (!ds)
		return NULL;
	ds->marker = calloc(1, sizeof(*ds->marker));
	if (!ds->marker || pthread_mutex_init(&ds->lock, NULL)) {
		free(ds->marker);
		free(ds);
		return NULL;
	}
	ds->marker->kind = VMM_DIRTY_MARKER;
	ds->marker->slow = 1;
	ds->marker->ds = ds;
	ds->refcnt = 1;
	return ds;
}

static void dstate_get(struct vmm_dstate *ds)
{
	__atomic_add_fetch(&ds->refcnt, 1, __ATOMIC_RELAXED);
}

/* Drop the period's list; no reader can reach it any more. */
static void list_put(struct vmm_dirty *d)
{
	while (d) {
		struct vmm_dirty *next = d->list_next;

		dirty_put(d);
		d = next;
	}
}

void vmm_dstate_put(struct vmm_dstate *ds)
{
	if (!ds || __atomic_sub_fetch(&ds->refcnt, 1, __ATOMIC_ACQ_REL))
		return;
	/* no region and no handle left: nothing can mark or harvest */
	list_put(ds->list);
	vmm_shared_free(ds->shared);
	pthread_mutex_destroy(&ds->lock);
	free(ds->marker);
	free(ds);
}

int vmm_dirty_region_init(struct vmm_mem *mem, struct vmm_region *r)
{
	struct vmm_dstate *ds = mem->ds;
	uint64_t shift = mem->dirty_page_shift;

	if (!ds)
		return -EOPNOTSUPP;	/* a view has no regions of its own */
	if (shift) {
		r->dirty = dirty_alloc(ds, r, shift);
		if (!r->dirty)
			return -ENOMEM;
	} else if (ds->shared) {
		r->dirty = ds->marker;
	}
	pthread_mutex_lock(&ds->lock);
	if (shift)
		dirty_list_add(ds, r->dirty);
	r->ds_prev = NULL;
	r->ds_next = ds->regions;
	if (ds->regions)
		ds->regions->ds_prev = r;
	ds->regions = r;
	pthread_mutex_unlock(&ds->lock);
	dstate_get(ds);
	r->ds = ds;
	return 0;
}

void vmm_dirty_region_release(struct vmm_region *r)
{
	struct vmm_dstate *ds = r->ds;

	if (ds) {
		pthread_mutex_lock(&ds->lock);
		if (r->ds_prev)
			r->ds_prev->ds_next = r->ds_next;
		else
			ds->regions = r->ds_next;
		if (r->ds_next)
			r->ds_next->ds_prev = r->ds_prev;
		pthread_mutex_unlock(&ds->lock);
	}
	/* the region's reference; the list's keeps its bits for a harvest.
	 * The kind is read before the put: once the region's reference is
	 * gone, a concurrent stop may free the bitmap. */
	if (r->dirty && r->dirty->kind == VMM_DIRTY_FORWARD) {
		vmm_region_put(r->dirty->fwd);
		free(r->dirty);
	} else {
		dirty_put(r->dirty);
	}
	while (r->dirty_kept) {
		struct vmm_dirty *d = r->dirty_kept;

		r->dirty_kept = d->kept_next;
		dirty_put(d);
	}
	r->dirty = NULL;
	if (r->release)
		r->release(r->release_data, r->hva, r->size);
	vmm_dstate_put(ds);
}

struct vmm_dirty *vmm_dirty_forward_new(struct vmm_region *to, uint64_t delta)
{
	struct vmm_dirty *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->kind = VMM_DIRTY_FORWARD;
	d->slow = 1;
	vmm_region_get(to);
	d->fwd = to;
	d->fwd_delta = delta;
	return d;
}

void vmm_mark_slow(struct vmm_dirty *d, uint64_t gpa, uint64_t len)
{
	struct vmm_shared *sh;

	switch (d->kind) {
	case VMM_DIRTY_FORWARD:
		vmm_mark(d->fwd, gpa + d->fwd_delta, len);
		return;
	case VMM_DIRTY_BITMAP:
		vmm_mark_bits(d, gpa, len);
		break;
	}
	sh = vmm_rcu_deref(d->ds->shared);
	if (sh)
		vmm_shared_mark(sh, gpa, len);
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

/* The dirty calls refuse a view: its writes are logged in its guest
 * memory, by GPA. */
static int dirty_handle(vmm_mem_t *mem)
{
	if (!mem)
		return -EINVAL;
	return mem->ds ? 0 : -EOPNOTSUPP;
}

VMM_EXPORT int vmm_mem_dirty_log_start(vmm_mem_t *mem, uint64_t page_size)
{
	struct vmm_dstate *ds;
	struct vmm_region *r;
	struct vmm_dirty **fresh;
	uint64_t shift;
	size_t n, i;
	int rc = dirty_handle(mem);

	if (rc)
		return rc;
	ds = mem->ds;
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
	/* Every live region, in the table or held by a mapping, snapshot or
	 * transfer only, gets a clean bitmap. */
	pthread_mutex_lock(&ds->lock);
	for (n = 0, r = ds->regions; r; r = r->ds_next)
		n++;
	fresh = calloc(n ? n : 1, sizeof(*fresh));
	if (!fresh) {
		pthread_mutex_unlock(&ds->lock);
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0, r = ds->regions; r; r = r->ds_next, i++) {
		fresh[i] = dirty_get(ds, r, shift);
		if (!fresh[i]) {
			size_t j;

			for (j = 0, r = ds->regions; j < i;
			     j++, r = r->ds_next)
				dirty_keep(r, fresh[j]);
			pthread_mutex_unlock(&ds->lock);
			free(fresh);
			rc = -ENOMEM;
			goto out;
		}
	}
	for (i = 0, r = ds->regions; r; r = r->ds_next, i++) {
		/* no bitmap is published while logging is off */
		dirty_list_add(ds, fresh[i]);
		vmm_rcu_assign(r->dirty, fresh[i]);
	}
	free(fresh);
	pthread_mutex_unlock(&ds->lock);
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
	struct vmm_dstate *ds;
	struct vmm_dirty *list;
	struct vmm_region *r;
	int rc = dirty_handle(mem);

	if (rc)
		return rc;
	ds = mem->ds;
	pthread_mutex_lock(&mem->lock);
	if (!mem->dirty_page_shift) {
		rc = -ENOENT;
		goto out;
	}
	pthread_mutex_lock(&ds->lock);
	for (r = ds->regions; r; r = r->ds_next) {
		struct vmm_dirty *d = r->dirty;

		vmm_rcu_assign(r->dirty, ds->shared ? ds->marker : NULL);
		/* kept, not put: a snapshot's writer may still hold it */
		dirty_keep(r, d);
	}
	list = ds->list;
	vmm_rcu_assign(ds->list, NULL);
	pthread_mutex_unlock(&ds->lock);
	__atomic_store_n(&mem->dirty_page_shift, 0, __ATOMIC_RELEASE);
	vmm_synchronize();
	list_put(list);		/* no harvest walks it any more */
	vmm_table_free_retired(mem);
out:
	pthread_mutex_unlock(&mem->lock);
	return rc;
}

VMM_EXPORT int64_t vmm_mem_dirty_log_page_size(vmm_mem_t *mem)
{
	uint64_t shift;
	int rc = dirty_handle(mem);

	if (rc)
		return rc;
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
	struct vmm_dirty *d;
	uint64_t shift, wfirst, wlast, words, end;
	int64_t count = 0;
	size_t i;
	int rc = dirty_handle(mem);

	if (rc)
		return rc;
	if ((flags & ~VMM_MEM_DIRTY_LOG_CLEAR) || (npages && !bitmap))
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

	/* Every bitmap of the period, of regions present or gone: the pages
	 * are the guest's, whatever region object was written through. */
	vmm_read_lock();
	for (d = vmm_rcu_deref(mem->ds->list); d;
	     d = vmm_rcu_deref(d->list_next)) {
		uint64_t p, plast;

		if (d->page_shift != shift || d->first_page > wlast ||
		    d->first_page + d->npages - 1 < wfirst)
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
	 * vmm_mark_bits()): wait until every write that may have seen a bit
	 * this harvest cleared has left its read-side section, so that its
	 * data is visible to the caller's copy of the page. */
	if (flags & VMM_MEM_DIRTY_LOG_CLEAR)
		vmm_synchronize();
	/* Count the bits of the result, not of the bitmaps: a page shared by
	 * two adjacent regions, or two region objects, is one page. */
	for (i = 0; i < words; i++)
		if (bitmap[i])	/* popcount is a libgcc call on x86-64 v1 */
			count += __builtin_popcountll(bitmap[i]);
	return count;
}

VMM_EXPORT int vmm_mem_dirty_log_test(vmm_mem_t *mem, uint64_t gpa)
{
	struct vmm_dirty *d;
	uint64_t shift, page;
	int rc = dirty_handle(mem);

	if (rc)
		return rc;
	shift = __atomic_load_n(&mem->dirty_page_shift, __ATOMIC_ACQUIRE);
	if (!shift)
		return -ENOENT;
	page = gpa >> shift;
	vmm_read_lock();
	/* A log page larger than the host page may be shared by adjacent
	 * regions, each with its own bitmap, and a GPA page by a region and
	 * one that outlived its removal: dirty if any of them says so, as a
	 * harvest would. */
	for (d = vmm_rcu_deref(mem->ds->list); d && rc == 0;
	     d = vmm_rcu_deref(d->list_next)) {
		uint64_t b;

		if (d->page_shift != shift || page < d->first_page ||
		    page - d->first_page >= d->npages)
			continue;
		b = page - d->first_page;
		rc = (__atomic_load_n(&d->words[b >> 6], __ATOMIC_ACQUIRE) >>
		      (b & 63)) & 1;
	}
	/* a clean page no region holds is unbacked */
	if (rc == 0 && vmm_find(vmm_table_get(mem), gpa) < 0)
		rc = -EFAULT;
	vmm_read_unlock();
	return rc;
}

VMM_EXPORT int vmm_mem_dirty_log_mark(vmm_mem_t *mem, uint64_t gpa,
				      uint64_t len)
{
	if (!mem)
		return -EINVAL;	/* on a view: by IOVA, logged by GPA */
	if (len == 0)
		return 0;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();
	vmm_mark_range(vmm_table_get(mem), gpa, len);
	vmm_read_unlock();
	return 0;
}
