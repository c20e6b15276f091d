/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Front-end address translation for vhost-user back ends (warm: one
 * read-side section and a binary search per call): a front end's user
 * address (VUA, recorded per region) to a GPA, a GPA to a host address with
 * its contiguous length clamped at the region's end, and the backed prefix
 * of a range as host fragments.
 *
 * Each table carries a VUA index (built with the table, cold): the regions
 * that have a VUA, sorted by it.  Regions of one table never overlap in GPA;
 * their VUA ranges should not overlap either (a front end's address space),
 * and when they do the region with the highest VUA at or below the address
 * answers.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

static int vua_cmp(const void *a, const void *b)
{
	const struct vmm_vua_ent *x = a, *y = b;

	return x->vua < y->vua ? -1 : x->vua > y->vua;
}

void vmm_vua_index(struct vmm_table *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		const struct vmm_region *r = t->slot[i].r;
		uint64_t last;

		/* 0 is "no VUA"; a VUA range that would wrap is not indexed */
		if (!r->vua || __builtin_add_overflow(r->vua, r->size - 1, &last))
			continue;
		t->vua[n].vua = r->vua;
		t->vua[n].last = last;
		t->vua[n].idx = (uint32_t)i;
		n++;
	}
	qsort(t->vua, n, sizeof(t->vua[0]), vua_cmp);
	t->nvua = n;
}

/* The index entry whose range holds @vua, or NULL.  O(log n), branch-free
 * like vmm_candidate(): a front end's ring addresses spread over its
 * regions, so the halving steps would mispredict. */
static const struct vmm_vua_ent *vua_find(const struct vmm_table *t,
					  uint64_t vua)
{
	const struct vmm_vua_ent *v = t->vua;
	size_t base = 0, n = t->nvua;

	if (!n)
		return NULL;
	while (n > 1) {	/* the last entry with a start <= vua, or 0 */
		size_t half = n / 2;

		base += half & -(size_t)(v[base + half].vua <= vua);
		n -= half;
	}
	if (vua < v[base].vua || vua > v[base].last)
		return NULL;
	return &v[base];
}

int vmm_vua_lookup(const struct vmm_table *t, uint64_t vua, uint64_t *gpa,
		   uint64_t *len)
{
	const struct vmm_vua_ent *e = vua_find(t, vua);

	if (!e)
		return -EFAULT;
	*gpa = t->start[e->idx] + (vua - e->vua);
	*len = MIN(*len, e->last - vua + 1);
	return 0;
}

VMM_EXPORT int vmm_mem_vua_to_gpa(vmm_mem_t *mem, uint64_t vua, uint64_t *gpa,
				  uint64_t *len)
{
	const struct vmm_table *t;
	const struct vmm_vua_ent *e;
	int rc = 0;

	if (!mem || !gpa)
		return -EINVAL;
	if (mem->view)
		return -EOPNOTSUPP;
	vmm_read_lock();
	t = vmm_table_get(mem);
	e = vua_find(t, vua);
	if (!e) {
		rc = -EFAULT;
	} else {
		*gpa = t->start[e->idx] + (vua - e->vua);
		if (len)
			*len = MIN(*len, e->last - vua + 1);
	}
	vmm_read_unlock();
	return rc;
}

VMM_EXPORT int vmm_mem_gpa_to_hva(vmm_mem_t *mem, uint64_t gpa, uint64_t *len,
				  void **hva)
{
	struct vmm_region *r = NULL;
	int rc;

	if (!mem || !len || !hva)
		return -EINVAL;
	vmm_read_lock();
	rc = vmm_hva_region(vmm_table_get(mem), gpa, &r);
	if (rc == 0) {
		*hva = r->hva + (gpa - r->gpa);
		*len = MIN(*len, r->last - gpa + 1);
	}
	vmm_read_unlock();
	return rc;
}

VMM_EXPORT ssize_t vmm_mem_get_slices_prefix(vmm_mem_t *mem, uint64_t gpa,
					     uint64_t len, struct iovec *iov,
					     size_t iovcnt, uint64_t *done)
{
	const struct vmm_table *t;
	uint64_t got = 0;
	ssize_t i, n = 0;

	if (!mem || !iov || !iovcnt || !done)
		return -EINVAL;
	*done = 0;
	if (len == 0)
		return 0;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	vmm_read_lock();
	t = vmm_table_get(mem);
	len = vmm_span(t, gpa, len, false, &i);
	if (len == 0) {
		n = vmm_fault(t, gpa, 1, 0);
		goto out;
	}
	while (got < len && (size_t)n < iovcnt) {
		const struct vmm_region *r = t->slot[i++].r;
		uint64_t c = MIN(len - got, r->last - (gpa + got) + 1);

		if (!r->hva) {
			if (n == 0)
				n = -EOPNOTSUPP;
			break;
		}
		/* c fits: a region fits the host's address space */
		iov[n].iov_base = r->hva + (gpa + got - r->gpa);
		iov[n].iov_len = (size_t)c;
		n++;
		got += c;
	}
	if (n > 0)
		*done = got;
out:
	vmm_read_unlock();
	return n;
}
