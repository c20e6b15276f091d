/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The handle, the RCU-published region table, lookups and queries.
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- versions ------------------------------------------------------------ */

VMM_EXPORT unsigned int vmm_mem_version(void)
{
	return VMM_MEM_VERSION;
}

VMM_EXPORT const char *vmm_mem_version_string(void)
{
	return PACKAGE_VERSION;
}

/* ---- logging ------------------------------------------------------------- */

void vmm_log(vmm_mem_log_fn log_fn, void *data, int prio, const char *file,
	     int line, const char *fn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_fn(data, prio, file, line, fn, fmt, ap);
	va_end(ap);
}

VMM_EXPORT int vmm_mem_set_log_fn(vmm_mem_t *mem, vmm_mem_log_fn fn,
				  void *data)
{
	if (!mem)
		return -EINVAL;
	/* Data first: a concurrent caller that sees the new function also
	 * sees its data (setting it while other threads run is still not
	 * recommended; the pair is not one atomic unit). */
	__atomic_store_n(&mem->log_data, data, __ATOMIC_RELEASE);
	__atomic_store_n(&mem->log_fn, fn, __ATOMIC_RELEASE);
	return 0;
}

VMM_EXPORT int vmm_mem_set_log_priority(vmm_mem_t *mem, int priority)
{
	if (!mem || priority < LOG_EMERG || priority > LOG_DEBUG)
		return -EINVAL;
	__atomic_store_n(&mem->log_priority, priority, __ATOMIC_RELAXED);
	return 0;
}

VMM_EXPORT int vmm_mem_get_log_priority(const vmm_mem_t *mem)
{
	if (!mem)
		return -EINVAL;
	return __atomic_load_n(&mem->log_priority, __ATOMIC_RELAXED);
}

/* ---- tables -------------------------------------------------------------- */

struct vmm_table *vmm_table_alloc(size_t n)
{
	struct vmm_table *t;
	size_t each = sizeof(uint64_t) + sizeof(struct vmm_slot) +
		      VMM_BUCKETS_PER_REGION * sizeof(uint32_t) +
		      sizeof(struct vmm_vua_ent);
	size_t i;

	/* region indexes fit the buckets' 32 bits */
	if (n > UINT32_MAX ||
	    n > (SIZE_MAX - sizeof(*t)) / each - VMM_TABLE_PAD)
		return NULL;
	t = calloc(1, sizeof(*t) + (n + VMM_TABLE_PAD) * each);
	if (!t)
		return NULL;
	t->refcnt = 1;
	t->n = n;
	t->slot = (struct vmm_slot *)(t + 1);	/* padding stays zero */
	t->start = (uint64_t *)(t->slot + n + VMM_TABLE_PAD);
	t->bucket = (uint32_t *)(t->start + n + VMM_TABLE_PAD);
	t->vua = (struct vmm_vua_ent *)(t->bucket + VMM_BUCKETS_PER_REGION *
						    (n + VMM_TABLE_PAD));
	for (i = n; i < n + VMM_TABLE_PAD; i++)
		t->start[i] = UINT64_MAX;
	return t;
}

void vmm_table_put(struct vmm_table *t)
{
	size_t i;

	if (!t || __atomic_sub_fetch(&t->refcnt, 1, __ATOMIC_ACQ_REL))
		return;
	for (i = 0; i < t->n; i++)
		if (t->slot[i].r)	/* NULL: a table abandoned while built */
			vmm_region_put(t->slot[i].r);
	free(t);
}

void vmm_table_index(struct vmm_table *t)
{
	size_t n = t->n, nb, b, i = 0;
	uint64_t first;

	vmm_vua_index(t);
	if (n <= VMM_TABLE_PAD)
		return;
	first = t->start[0];
	t->span = t->slot[n - 1].r->last - first;
	/* the smallest bucket size that needs no more buckets than allowed
	 * (the space holds VMM_BUCKETS_PER_REGION * (n + VMM_TABLE_PAD)
	 * entries, nb + 1 of which are used) */
	t->bshift = 0;
	while ((t->span >> t->bshift) > VMM_BUCKETS_PER_REGION * n - 2)
		t->bshift++;	/* (no "+ 2" on the left: span may be 2^64 - 2) */
	nb = (size_t)(t->span >> t->bshift) + 1;
	for (b = 0; b < nb; b++) {
		uint64_t from = first + ((uint64_t)b << t->bshift);

		while (t->slot[i].r->last < from)	/* i < n - 1: see span */
			i++;
		t->bucket[b] = (uint32_t)i;
	}
	t->bucket[nb] = (uint32_t)(n - 1);
}

void vmm_table_set(struct vmm_table *t, size_t i, struct vmm_region *r)
{
	vmm_region_get(r);
	t->start[i] = r->gpa;
	t->slot[i].size = r->size;
	t->slot[i].hoff = (uintptr_t)r->hva - (uintptr_t)r->gpa;
	t->slot[i].nscalar = r->hva && r->size >= 8 ? r->size - 7 : 0;
	t->slot[i].r = r;
}

void vmm_table_free_retired(struct vmm_mem *mem)
{
	while (mem->retired) {
		struct vmm_table *next = mem->retired->retired_next;

		vmm_table_put(mem->retired);
		mem->retired = next;
	}
	mem->nretired = 0;
}

/* Tables retired by additions alone wait at most this many for a grace
 * period of their own, so that a VMM that only ever adds keeps little. */
#define RETIRED_MAX 32

void vmm_table_publish_nowait(struct vmm_mem *mem, struct vmm_table *t)
{
	struct vmm_table *old = mem->table;

	vmm_rcu_assign(mem->table, t);
	old->retired_next = mem->retired;
	mem->retired = old;
	if (++mem->nretired >= RETIRED_MAX) {
		vmm_synchronize();
		vmm_table_free_retired(mem);
	}
}

void vmm_table_replace(struct vmm_mem *mem, struct vmm_table *t)
{
	struct vmm_table *old = mem->table;

	vmm_rcu_assign(mem->table, t);
	vmm_synchronize();
	vmm_table_free_retired(mem);	/* their grace period is over too */
	vmm_table_put(old);
}

/* -EEXIST (and why) if [gpa, last] overlaps a region of the handle's
 * current table, else 0.  Under mem->lock. */
static int table_overlap_locked(struct vmm_mem *mem, uint64_t gpa,
				uint64_t last)
{
	const struct vmm_table *t = mem->table;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->start[i] <= last && gpa <= t->slot[i].r->last) {
			verr(mem, "region [0x%llx, 0x%llx] overlaps region "
			     "[0x%llx, 0x%llx]", (unsigned long long)gpa,
			     (unsigned long long)last,
			     (unsigned long long)t->start[i],
			     (unsigned long long)t->slot[i].r->last);
			return -EEXIST;
		}
	return 0;
}

int vmm_table_insert_locked(struct vmm_mem *mem, struct vmm_region *r)
{
	struct vmm_table *old = mem->table, *t;
	size_t i, pos = 0;
	int rc = table_overlap_locked(mem, r->gpa, r->last);

	if (rc)
		return rc;
	for (i = 0; i < old->n; i++)
		if (old->start[i] < r->gpa)
			pos = i + 1;
	t = vmm_table_alloc(old->n + 1);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < pos; i++)
		vmm_table_set(t, i, old->slot[i].r);
	vmm_table_set(t, pos, r);
	for (i = pos; i < old->n; i++)
		vmm_table_set(t, i + 1, old->slot[i].r);
	vmm_table_index(t);
	vmm_table_publish_nowait(mem, t);
	return 0;
}

/* ---- handle -------------------------------------------------------------- */

VMM_EXPORT int vmm_mem_new(vmm_mem_t **out)
{
	struct vmm_mem *mem;

	if (!out)
		return -EINVAL;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->table = vmm_table_alloc(0);
	mem->ds = vmm_dstate_new();
	if (!mem->table || !mem->ds) {
		vmm_table_put(mem->table);
		vmm_dstate_put(mem->ds);
		free(mem);
		return -ENOMEM;
	}
	if (pthread_mutex_init(&mem->lock, NULL)) {
		vmm_table_put(mem->table);
		vmm_dstate_put(mem->ds);
		free(mem);
		return -ENOMEM;
	}
	mem->refcnt = 1;
	mem->log_priority = LOG_ERR;
	*out = mem;
	return 0;
}

VMM_EXPORT vmm_mem_t *vmm_mem_ref(vmm_mem_t *mem)
{
	if (mem)
		__atomic_add_fetch(&mem->refcnt, 1, __ATOMIC_RELAXED);
	return mem;
}

VMM_EXPORT vmm_mem_t *vmm_mem_unref(vmm_mem_t *mem)
{
	if (!mem)
		return NULL;
	if (__atomic_sub_fetch(&mem->refcnt, 1, __ATOMIC_ACQ_REL))
		return NULL;
	/* Last reference: no other thread can reach the handle any more
	 * (snapshots hold their own table references). */
	vmm_shared_detach_final(mem);
	vmm_table_put(mem->table);
	vmm_table_free_retired(mem);
	if (mem->view)
		vmm_view_free(mem);
	vmm_dstate_put(mem->ds);	/* regions still alive hold it too */
	pthread_mutex_destroy(&mem->lock);
	free(mem);
	return NULL;
}

/* ---- hot-plug ------------------------------------------------------------ */

VMM_EXPORT int vmm_mem_add_region(vmm_mem_t *mem,
				  const struct vmm_mem_region_desc *desc,
				  size_t desc_size)
{
	struct vmm_mem_region_desc d;
	struct vmm_region *r;
	uint64_t end;
	int rc;

	if (!mem || !desc || desc_size < VMM_MEM_REGION_DESC_SIZE_VER0)
		return -EINVAL;
	if (mem->view)
		return -EOPNOTSUPP;	/* its IOTLB makes its regions */
	rc = vmm_struct_in(&d, sizeof(d), desc, desc_size);
	if (rc)
		return rc;

	pthread_mutex_lock(&mem->lock);
	/* Overlap is judged before anything is mapped or populated (a size
	 * of 0 or a wrapping range is left to the region's own checks);
	 * vmm_table_insert_locked() checks again as it builds the table. */
	rc = d.size && !__builtin_add_overflow(d.gpa, d.size, &end) ?
		     table_overlap_locked(mem, d.gpa, end - 1) : 0;
	if (rc == 0)
		rc = vmm_region_create(mem, &d, &r);
	if (rc == 0) {
		rc = vmm_dirty_region_init(mem, r);
		if (rc == 0)
			rc = vmm_table_insert_locked(mem, r);
		if (rc)
			r->release = NULL;	/* the mapping stays the caller's */
		vmm_region_put(r);	/* the table holds it now, or nobody */
	}
	pthread_mutex_unlock(&mem->lock);
	return rc;
}

VMM_EXPORT int vmm_mem_remove_region(vmm_mem_t *mem, uint64_t gpa,
				     uint64_t size)
{
	struct vmm_table *old, *t;
	size_t i, j, pos;

	if (!mem)
		return -EINVAL;
	if (mem->view)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&mem->lock);
	old = mem->table;
	for (pos = 0; pos < old->n; pos++)
		if (old->start[pos] == gpa && old->slot[pos].r->size == size)
			break;
	if (pos == old->n) {
		pthread_mutex_unlock(&mem->lock);
		vdbg(mem, "no region at 0x%llx of size 0x%llx",
		     (unsigned long long)gpa, (unsigned long long)size);
		return -ENOENT;
	}
	t = vmm_table_alloc(old->n - 1);
	if (!t) {
		pthread_mutex_unlock(&mem->lock);
		return -ENOMEM;
	}
	for (i = 0, j = 0; i < old->n; i++)
		if (i != pos)
			vmm_table_set(t, j++, old->slot[i].r);
	vmm_table_index(t);
	vmm_table_replace(mem, t);
	pthread_mutex_unlock(&mem->lock);
	return 0;
}

static int from_ranges(vmm_mem_t **out, size_t n,
		       void (*get)(const void *, size_t,
				   struct vmm_mem_region_desc *),
		       const void *ranges)
{
	struct vmm_region **regs;
	struct vmm_table *t;
	vmm_mem_t *mem;
	size_t i, made = 0;
	int rc;

	if (!out || !ranges || n == 0)
		return -EINVAL;
	rc = vmm_mem_new(&mem);
	if (rc)
		return rc;
	regs = calloc(n, sizeof(*regs));
	if (!regs) {
		vmm_mem_unref(mem);
		return -ENOMEM;
	}
	/* Like vm-memory: create every region first, in input order. */
	for (i = 0; i < n; i++) {
		struct vmm_mem_region_desc d;

		get(ranges, i, &d);
		rc = vmm_region_create(mem, &d, &regs[i]);
		if (rc)
			goto fail;
		made++;
		rc = vmm_dirty_region_init(mem, regs[i]);
		if (rc)
			goto fail;
	}
	/* Then validate the order: unsorted first, then overlap. */
	for (i = 1; i < n; i++) {
		if (regs[i - 1]->gpa > regs[i]->gpa) {
			rc = -EINVAL;
			goto fail;
		}
		if (regs[i - 1]->last >= regs[i]->gpa) {
			rc = -EEXIST;
			goto fail;
		}
	}
	t = vmm_table_alloc(n);
	if (!t) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		vmm_table_set(t, i, regs[i]);
		vmm_region_put(regs[i]);	/* the table's now */
	}
	vmm_table_index(t);
	vmm_table_put(mem->table);
	mem->table = t;
	free(regs);
	*out = mem;
	return 0;
fail:
	for (i = 0; i < made; i++)
		vmm_region_put(regs[i]);
	free(regs);
	vmm_mem_unref(mem);
	return rc;
}

static void get_range(const void *p, size_t i, struct vmm_mem_region_desc *d)
{
	const struct vmm_mem_range *r = (const struct vmm_mem_range *)p + i;

	memset(d, 0, sizeof(*d));
	d->type = VMM_MEM_REGION_ANON;
	d->gpa = r->gpa;
	d->size = r->size;
}

static void get_file_range(const void *p, size_t i,
			   struct vmm_mem_region_desc *d)
{
	const struct vmm_mem_file_range *r =
		(const struct vmm_mem_file_range *)p + i;

	memset(d, 0, sizeof(*d));
	d->type = r->fd >= 0 ? VMM_MEM_REGION_FD : VMM_MEM_REGION_ANON;
	/* A non-zero reserved field is refused as an unknown flag would be. */
	d->flags = r->reserved ? ~0u : 0;
	d->gpa = r->gpa;
	d->size = r->size;
	d->fd = r->fd;
	d->fd_offset = r->fd_offset;	/* refused for an anonymous range */
}

VMM_EXPORT int vmm_mem_new_from_ranges(vmm_mem_t **out,
				       const struct vmm_mem_range *ranges,
				       size_t n)
{
	return from_ranges(out, n, get_range, ranges);
}

VMM_EXPORT int
vmm_mem_new_from_ranges_with_files(vmm_mem_t **out,
				   const struct vmm_mem_file_range *ranges,
				   size_t n)
{
	return from_ranges(out, n, get_file_range, ranges);
}

/* ---- queries ------------------------------------------------------------- */

VMM_EXPORT int vmm_mem_num_regions(vmm_mem_t *mem)
{
	int n;

	if (!mem)
		return -EINVAL;
	vmm_read_lock();
	n = (int)vmm_table_get(mem)->n;
	vmm_read_unlock();
	return n;
}

/* Every field; together they cover the structure (no padding). */
static inline void fill_fields(const struct vmm_region *r,
			       struct vmm_mem_region_info *i)
{
	i->gpa = r->gpa;
	i->size = r->size;
	i->hva = r->hva;
	i->type = r->type;
	i->flags = r->flags;
	i->fd_offset = r->fd_offset;
	i->vua = r->vua;
	i->huge_page_size = r->huge_page_size;
	i->page_size = r->page_size;
	i->has_fd = r->fd >= 0;
	i->domid = r->domid;
}

static int fill_info(const struct vmm_region *r,
		     struct vmm_mem_region_info *info, size_t info_size)
{
	struct vmm_mem_region_info i;

	if (likely(info_size >= sizeof(i))) {
		/* Straight into the caller's structure: no temporary, no
		 * memcpy() call of a run-time size, and no wide loads of
		 * freshly stored narrow fields (a store-forwarding stall). */
		fill_fields(r, info);
		if (info_size > sizeof(i))
			memset((char *)info + sizeof(i), 0,
			       info_size - sizeof(i));
		return 0;
	}
	fill_fields(r, &i);	/* an older, smaller structure */
	memcpy(info, &i, info_size);
	return 0;
}

/* Region @index of table @t, for the handle's and a snapshot's calls
 * (the caller checked @info and @info_size). */
static int table_region_info(const struct vmm_table *t, unsigned int index,
			     struct vmm_mem_region_info *info,
			     size_t info_size)
{
	if (index >= t->n)
		return -ENOENT;
	return fill_info(t->slot[index].r, info, info_size);
}

VMM_EXPORT int vmm_mem_region_info(vmm_mem_t *mem, unsigned int index,
				   struct vmm_mem_region_info *info,
				   size_t info_size)
{
	int rc;

	if (!mem || !info || info_size < VMM_MEM_REGION_INFO_SIZE_VER0)
		return -EINVAL;
	vmm_read_lock();
	rc = table_region_info(vmm_table_get(mem), index, info, info_size);
	vmm_read_unlock();
	return rc;
}

VMM_EXPORT int vmm_mem_region_info_at(vmm_mem_t *mem, uint64_t gpa,
				      struct vmm_mem_region_info *info,
				      size_t info_size)
{
	const struct vmm_table *t;
	ssize_t i;
	int rc = -EFAULT;

	if (!mem || !info || info_size < VMM_MEM_REGION_INFO_SIZE_VER0)
		return -EINVAL;
	vmm_read_lock();
	t = vmm_table_get(mem);
	i = vmm_find(t, gpa);
	if (i >= 0)
		rc = fill_info(t->slot[i].r, info, info_size);
	vmm_read_unlock();
	return rc;
}

/* ---- snapshots ----------------------------------------------------------- */

static inline const struct vmm_table *snap_table(const vmm_mem_snapshot_t *s)
{
	return (const struct vmm_table *)s;
}

VMM_EXPORT int vmm_mem_snapshot_get(vmm_mem_t *mem, vmm_mem_snapshot_t **out)
{
	struct vmm_table *t;

	if (!mem || !out)
		return -EINVAL;
	/* Inside the read side the table cannot be retired yet: the handle
	 * still holds its reference, so the count is above zero. */
	vmm_read_lock();
	t = vmm_table_get(mem);
	__atomic_add_fetch(&t->refcnt, 1, __ATOMIC_RELAXED);
	vmm_read_unlock();
	*out = (vmm_mem_snapshot_t *)t;
	return 0;
}

VMM_EXPORT void vmm_mem_snapshot_put(vmm_mem_snapshot_t *snap)
{
	vmm_table_put((struct vmm_table *)snap);
}

VMM_EXPORT int vmm_mem_snapshot_refresh(vmm_mem_t *mem,
					vmm_mem_snapshot_t **snap)
{
	vmm_mem_snapshot_t *n;

	if (!mem || !snap)
		return -EINVAL;
	/* A held table cannot be freed, so its address cannot come back as
	 * a newer table's: equal pointers mean the same regions. */
	if (*snap && (const struct vmm_table *)*snap ==
			     __atomic_load_n(&mem->table, __ATOMIC_RELAXED))
		return 0;
	vmm_mem_snapshot_get(mem, &n);
	vmm_mem_snapshot_put(*snap);
	*snap = n;
	return 1;
}

VMM_EXPORT int vmm_mem_snapshot_find_region(const vmm_mem_snapshot_t *snap,
					    uint64_t gpa)
{
	ssize_t i;

	if (unlikely(!snap))
		return -EINVAL;
	i = vmm_find(snap_table(snap), gpa);
	return i < 0 ? -EFAULT : (int)i;
}

VMM_EXPORT int vmm_mem_snapshot_num_regions(const vmm_mem_snapshot_t *snap)
{
	if (!snap)
		return -EINVAL;
	return (int)snap_table(snap)->n;
}

VMM_EXPORT int vmm_mem_snapshot_region_info(const vmm_mem_snapshot_t *snap,
					    unsigned int index,
					    struct vmm_mem_region_info *info,
					    size_t info_size)
{
	if (!snap || !info || info_size < VMM_MEM_REGION_INFO_SIZE_VER0)
		return -EINVAL;
	return table_region_info(snap_table(snap), index, info, info_size);
}

VMM_EXPORT int vmm_mem_last_addr(vmm_mem_t *mem, uint64_t *last)
{
	const struct vmm_table *t;
	int rc = -ENOENT;

	if (!mem || !last)
		return -EINVAL;
	vmm_read_lock();
	t = vmm_table_get(mem);
	if (t->n) {
		*last = t->slot[t->n - 1].r->last;
		rc = 0;
	}
	vmm_read_unlock();
	return rc;
}

VMM_EXPORT int vmm_mem_address_in_range(vmm_mem_t *mem, uint64_t gpa)
{
	int rc;

	if (!mem)
		return -EINVAL;
	vmm_read_lock();
	rc = vmm_find(vmm_table_get(mem), gpa) >= 0;
	vmm_read_unlock();
	return rc;
}

VMM_EXPORT int vmm_mem_check_range(vmm_mem_t *mem, uint64_t gpa, uint64_t len)
{
	ssize_t i;
	int rc;

	if (!mem)
		return -EINVAL;
	if (len == 0)
		return 1;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();
	rc = vmm_span(vmm_table_get(mem), gpa, len, false, &i) == len;
	vmm_read_unlock();
	return rc;
}

VMM_EXPORT int vmm_mem_checked_offset(vmm_mem_t *mem, uint64_t gpa,
				      uint64_t offset, uint64_t *result)
{
	uint64_t a;
	int rc;

	if (!mem || !result)
		return -EINVAL;
	if (__builtin_add_overflow(gpa, offset, &a))
		return -EOVERFLOW;
	vmm_read_lock();
	rc = vmm_find(vmm_table_get(mem), a) >= 0 ? 0 : -EFAULT;
	vmm_read_unlock();
	if (rc == 0)
		*result = a;
	return rc;
}

VMM_EXPORT int vmm_mem_get_host_address(vmm_mem_t *mem, uint64_t gpa,
					void **hva)
{
	return vmm_mem_get_slice(mem, gpa, 0, hva);
}

VMM_EXPORT int vmm_mem_get_slice(vmm_mem_t *mem, uint64_t gpa, uint64_t len,
				 void **hva)
{
	const struct vmm_table *t;
	struct vmm_region *r = NULL;
	int rc;

	if (!mem || !hva)
		return -EINVAL;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();
	t = vmm_table_get(mem);
	rc = vmm_hva_region(t, gpa, &r);
	if (rc == 0 && len && len - 1 > r->last - gpa) {
		ssize_t j;

		rc = vmm_span(t, gpa, len, false, &j) == len ?
			     -EXDEV : vmm_fault(t, gpa, len, 0);
	}
	if (rc == 0)
		*hva = r->hva + (gpa - r->gpa);
	vmm_read_unlock();
	return rc;
}

int vmm_hva_region(const struct vmm_table *t, uint64_t gpa,
		   struct vmm_region **r)
{
	ssize_t i = vmm_find(t, gpa);

	if (i < 0)
		return vmm_fault(t, gpa, 1, 0);
	if (!t->slot[i].r->hva)
		return -EOPNOTSUPP;
	*r = t->slot[i].r;
	return 0;
}

bool vmm_range_readonly(const struct vmm_table *t, ssize_t i, uint64_t gpa,
			uint64_t len, bool writable)
{
	uint64_t end = gpa + (len - 1);

	for (; (size_t)i < t->n && t->start[i] <= end; i++)
		if (writable ? (t->slot[i].r->flags & VMM_MEM_REGION_READONLY) :
			       t->slot[i].r->noread)
			return true;
	return false;
}

/* ---- address arithmetic -------------------------------------------------- */

VMM_EXPORT int vmm_mem_gpa_add(uint64_t gpa, uint64_t n, uint64_t *out)
{
	uint64_t r;

	if (!out)
		return -EINVAL;
	if (__builtin_add_overflow(gpa, n, &r))
		return -EOVERFLOW;
	*out = r;
	return 0;
}

VMM_EXPORT int vmm_mem_gpa_sub(uint64_t gpa, uint64_t base, uint64_t *out)
{
	if (!out)
		return -EINVAL;
	if (base > gpa)
		return -EOVERFLOW;
	*out = gpa - base;
	return 0;
}

VMM_EXPORT int vmm_mem_gpa_align_up(uint64_t gpa, uint64_t align,
				    uint64_t *out)
{
	uint64_t r;

	if (!out || align == 0 || (align & (align - 1)))
		return -EINVAL;
	if (__builtin_add_overflow(gpa, align - 1, &r))
		return -EOVERFLOW;
	*out = r & ~(align - 1);
	return 0;
}

#ifdef VMM_TSAN
char vmm_rcu_token;
#endif
