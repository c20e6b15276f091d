/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOVA views (cold: IOTLB updates and invalidations; the miss record is on
 * the slow paths only).  A view is a struct vmm_mem whose region table is
 * its IOTLB: one region per entry and guest region, in IOVA space, with the
 * host address of the guest bytes it translates to.  So every access path
 * of a guest memory serves a view unchanged, fast paths included, and an
 * IOTLB change is published like a hot-plug: a new table through RCU,
 * after a grace period when a translation went away.
 *
 * Such a region (an entry) holds a reference to the guest region it
 * translates to, through its dirty mark target, a FORWARD one: a write
 * through the view marks the guest region at GPA = IOVA + delta, so views
 * are logged by guest physical page in the guest memory's logs.  Entries
 * have no dirty state and no file of their own.
 *
 * A miss is recorded per thread (vmm_fault()), so that the back end can ask
 * the front end for the translation and retry.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

#define IOTLB_PERMS (VMM_MEM_IOTLB_READ | VMM_MEM_IOTLB_WRITE)

/* The calling thread's last miss. */
static __thread struct {
	uint64_t view;			/* the view's number, 0: none */
	uint64_t iova;
	unsigned int perm;
} last_miss __attribute__((tls_model("initial-exec")));

int vmm_fault(const struct vmm_table *t, uint64_t addr, uint64_t len,
	      unsigned int perm)
{
	ssize_t i;

	if (likely(!t->view))
		return -EFAULT;
	last_miss.view = t->view;
	last_miss.iova = len ? addr + vmm_span(t, addr, len, VMM_SPAN_ANY, &i) :
			       addr;
	last_miss.perm = perm;
	return -ENXIO;
}

/* The views made so far: each view's number. */
static uint64_t view_ids;

/* An entry [iova, iova + size) translating to @to at @gpa (an IOVA region
 * whose host bytes are @to's; @to has a host address, vmm_hva_region()),
 * with one reference. */
static struct vmm_region *entry_new(struct vmm_region *to, uint64_t iova,
				    uint64_t gpa, uint64_t size,
				    uint32_t flags, bool noread)
{
	struct vmm_region *e;

	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->gpa = iova;
	e->size = size;
	e->last = iova + (size - 1);
	e->hva = to->hva + (gpa - to->gpa);
	e->type = to->type;
	e->flags = flags | (to->flags & VMM_MEM_REGION_READONLY);
	e->noread = noread;
	e->fd = -1;
	e->page_size = to->page_size;
	e->huge_page_size = to->huge_page_size;
	e->refcnt = 1;
	e->dirty = vmm_dirty_forward_new(to, gpa - iova);
	if (!e->dirty) {
		free(e);
		return NULL;
	}
	return e;
}

/* The part [from, from + size) of entry @e, as a new entry. */
static struct vmm_region *entry_part(const struct vmm_region *e, uint64_t from,
				     uint64_t size)
{
	const struct vmm_dirty *f = e->dirty;

	return entry_new(f->fwd, from, from + f->fwd_delta, size, e->flags,
			 e->noread);
}

static int by_start(const void *a, const void *b)
{
	const struct vmm_region *x = *(struct vmm_region *const *)a;
	const struct vmm_region *y = *(struct vmm_region *const *)b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/*
 * Publish the view's IOTLB without translations of [iova, iova + size) and
 * with the entries add[0..nadd) (which lie inside that range; the call
 * takes their references).  Caller holds view->lock.  Waits for a grace
 * period when a translation went away, so that no later access uses it.
 */
static int iotlb_rebuild(struct vmm_mem *view, uint64_t iova, uint64_t size,
			 struct vmm_region **add, size_t nadd)
{
	struct vmm_table *old = view->table, *t;
	struct vmm_region **list, **fresh;
	uint64_t end = iova + (size - 1);
	size_t n = 0, nfresh = 0, i, noread = 0;
	bool dropped = false;
	int rc = 0;

	/* list: the new table's entries; fresh: those made here, whose
	 * first reference this call owns */
	list = calloc(2 * (old->n + 2 + nadd), sizeof(*list));
	if (!list) {
		for (i = 0; i < nadd; i++)
			vmm_region_put(add[i]);
		return -ENOMEM;
	}
	fresh = list + old->n + 2 + nadd;
	for (i = 0; i < nadd; i++)
		fresh[nfresh++] = add[i];
	for (i = 0; i < old->n; i++) {
		struct vmm_region *e = old->slot[i].r, *p;

		if (e->last < iova || e->gpa > end) {
			list[n++] = e;	/* outside the range, as it is */
			continue;
		}
		dropped = true;
		/* what is left of an entry the range cuts */
		if (e->gpa < iova) {
			p = entry_part(e, e->gpa, iova - e->gpa);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			list[n++] = fresh[nfresh++] = p;
		}
		if (e->last > end) {
			p = entry_part(e, end + 1, e->last - end);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			list[n++] = fresh[nfresh++] = p;
		}
	}
	if (!dropped && !nadd)
		goto out;	/* nothing translated there: nothing changes */
	for (i = 0; i < nadd; i++)
		list[n++] = add[i];
	qsort(list, n, sizeof(*list), by_start);
	t = vmm_table_alloc(n);
	if (!t) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		vmm_table_set(t, i, list[i]);
		noread += list[i]->noread;
	}
	vmm_table_index(t);
	t->view = view->view->id;
	t->noread = (unsigned int)noread;
	if (dropped)
		vmm_table_replace(view, t);
	else
		vmm_table_publish_nowait(view, t);
out:
	/* the new table holds its own references, if it was made */
	for (i = 0; i < nfresh; i++)
		vmm_region_put(fresh[i]);
	free(list);
	return rc;
}

static bool is_view(const vmm_mem_t *m)
{
	return m && m->view;
}

VMM_EXPORT int vmm_mem_new_iova_view(vmm_mem_t *parent, vmm_mem_t **out)
{
	vmm_mem_t *v;
	int rc;

	if (!parent || !out)
		return -EINVAL;
	if (parent->view)
		return -EOPNOTSUPP;
	rc = vmm_mem_new(&v);
	if (rc)
		return rc;
	v->view = calloc(1, sizeof(*v->view));
	if (!v->view) {
		vmm_mem_unref(v);
		return -ENOMEM;
	}
	v->view->parent = vmm_mem_ref(parent);
	/* the miss record names a view by number: an address can come back */
	v->view->id = __atomic_add_fetch(&view_ids, 1, __ATOMIC_RELAXED);
	/* its writes are logged in the guest memory's state */
	vmm_dstate_put(v->ds);
	v->ds = NULL;
	v->table->view = v->view->id;
	v->log_fn = __atomic_load_n(&parent->log_fn, __ATOMIC_ACQUIRE);
	v->log_data = __atomic_load_n(&parent->log_data, __ATOMIC_ACQUIRE);
	v->log_priority = __atomic_load_n(&parent->log_priority,
					  __ATOMIC_RELAXED);
	*out = v;
	return 0;
}

void vmm_view_free(struct vmm_mem *mem)
{
	vmm_mem_unref(mem->view->parent);
	free(mem->view);
	mem->view = NULL;
}

VMM_EXPORT int vmm_mem_iotlb_update(vmm_mem_t *view, uint64_t iova,
				    uint64_t size, uint64_t target,
				    unsigned int flags)
{
	const struct vmm_table *pt;
	struct vmm_region **add = NULL;
	size_t nadd = 0, cap = 0, i;
	uint32_t rflags;
	bool noread;
	uint64_t off = 0, tend, iend;
	int rc = 0;

	if (!is_view(view) || size == 0 || !(flags & IOTLB_PERMS) ||
	    (flags & ~(IOTLB_PERMS | VMM_MEM_IOTLB_TARGET_VUA)))
		return -EINVAL;
	if (__builtin_add_overflow(iova, size, &iend) ||
	    __builtin_add_overflow(target, size, &tend))
		return -EOVERFLOW;
	rflags = (flags & VMM_MEM_IOTLB_WRITE) ? 0 : VMM_MEM_REGION_READONLY;
	noread = !(flags & VMM_MEM_IOTLB_READ);

	/* Resolve the target in the guest memory, one entry per region. */
	vmm_read_lock();
	pt = vmm_table_get(view->view->parent);
	while (off < size) {
		uint64_t want = size - off, gpa = target + off, n;
		struct vmm_region *r = NULL, *e;

		if (flags & VMM_MEM_IOTLB_TARGET_VUA) {
			rc = vmm_vua_lookup(pt, target + off, &gpa, &want);
			if (rc)
				break;
		}
		/* -EFAULT on a hole (the parent is a guest memory), or
		 * -EOPNOTSUPP: no host bytes to translate to */
		rc = vmm_hva_region(pt, gpa, &r);
		if (rc)
			break;
		n = MIN(want, r->last - gpa + 1);
		if (nadd == cap) {
			size_t nc = cap ? 2 * cap : 4;
			struct vmm_region **na = realloc(add, nc * sizeof(*na));

			if (!na) {
				rc = -ENOMEM;
				break;
			}
			add = na;
			cap = nc;
		}
		e = entry_new(r, iova + off, gpa, n, rflags, noread);
		if (!e) {
			rc = -ENOMEM;
			break;
		}
		add[nadd++] = e;
		off += n;
	}
	vmm_read_unlock();
	if (rc) {
		for (i = 0; i < nadd; i++)
			vmm_region_put(add[i]);
		free(add);
		vdbg(view, "IOTLB update of 0x%llx: target 0x%llx%s: %d",
		     (unsigned long long)iova, (unsigned long long)target,
		     (flags & VMM_MEM_IOTLB_TARGET_VUA) ? " (VUA)" : "", rc);
		return rc;
	}
	pthread_mutex_lock(&view->lock);
	rc = iotlb_rebuild(view, iova, size, add, nadd);
	pthread_mutex_unlock(&view->lock);
	free(add);
	return rc;
}

VMM_EXPORT int vmm_mem_iotlb_invalidate(vmm_mem_t *view, uint64_t iova,
					uint64_t size)
{
	int rc;

	if (!is_view(view) || size == 0)
		return -EINVAL;
	if (vmm_wraps(iova, size))
		return -EOVERFLOW;
	pthread_mutex_lock(&view->lock);
	rc = iotlb_rebuild(view, iova, size, NULL, 0);
	pthread_mutex_unlock(&view->lock);
	return rc;
}

VMM_EXPORT int vmm_mem_iotlb_last_miss(vmm_mem_t *view, uint64_t *iova,
				       unsigned int *perm)
{
	if (!is_view(view))
		return -EINVAL;
	if (last_miss.view != view->view->id)
		return 0;
	if (iova)
		*iova = last_miss.iova;
	if (perm)
		*perm = last_miss.perm;
	last_miss.view = 0;
	return 1;
}
