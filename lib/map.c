/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scatter-gather map/unmap: a GPA range as an iovec list, one entry per
 * region fragment, with every region pinned until the mapping is released.
 */
#include "backend.h"

#include <errno.h>
#include <stdlib.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* One allocation: the header, then r[n], then iov[n], then cookie[n]. */
struct vmm_mem_mapping {
	unsigned int flags;
	uint64_t gpa;
	uint64_t len;
	size_t n;
	struct iovec *iov;		/* n entries, after r */
	void **cookie;			/* n entries, after iov: the backend's
					   pin of a region mapped on demand,
					   for the life of the mapping */
	struct vmm_region *r[];		/* n entries */
};

/* Release fragments [0, n) of @m: backend pins, then region references. */
static void release(struct vmm_mem_mapping *m, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (m->cookie[k])
			m->r[k]->ops->unpin(m->r[k], m->cookie[k]);
		vmm_region_put(m->r[k]);
	}
}

VMM_EXPORT int vmm_mem_map(vmm_mem_t *mem, uint64_t gpa, uint64_t len,
			   unsigned int flags, vmm_mem_mapping_t **out)
{
	const struct vmm_table *t;
	struct vmm_mem_mapping *m;
	uint64_t cur = gpa, left = len;
	size_t n, k;
	ssize_t i;
	int rc = 0;

	if (!mem || !out || len == 0 || !flags ||
	    (flags & ~(VMM_MEM_MAP_READ | VMM_MEM_MAP_WRITE)))
		return -EINVAL;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	if (len > SIZE_MAX)
		return -EOVERFLOW;
	vmm_read_lock();
	t = vmm_table_get(mem);
	i = vmm_range_check(t, gpa, len, flags & VMM_MEM_MAP_WRITE);
	/* a mapping for reading and writing: reads too (IOVA views) */
	if (i >= 0 && (flags & VMM_MEM_MAP_WRITE) && (flags & VMM_MEM_MAP_READ) &&
	    t->noread && vmm_range_readonly(t, i, gpa, len, false))
		i = -EACCES;
	if (i < 0) {
		rc = (int)i;
		goto out;
	}
	/* one fragment per region from i to the one holding the last byte */
	n = (size_t)(vmm_find(t, gpa + (len - 1)) - i) + 1;
	for (k = 0; k < n; k++) {
		const struct vmm_region *r = t->slot[i + (ssize_t)k].r;

		if (!r->hva && !r->ops->pin) {
			rc = -EOPNOTSUPP;
			goto out;
		}
	}
	m = calloc(1, sizeof(*m) + n * (sizeof(m->r[0]) + sizeof(m->iov[0]) +
					sizeof(m->cookie[0])));
	if (!m) {
		rc = -ENOMEM;
		goto out;
	}
	m->iov = (struct iovec *)(m->r + n);
	m->cookie = (void **)(m->iov + n);
	for (k = 0; k < n; k++) {
		struct vmm_region *r = t->slot[i + (ssize_t)k].r;
		uint64_t c = MIN(left, r->last - cur + 1);

		if (r->hva) {
			m->iov[k].iov_base = r->hva + (cur - r->gpa);
		} else {
			rc = r->ops->pin(r, cur - r->gpa, c,
					 flags & VMM_MEM_MAP_WRITE,
					 &m->iov[k].iov_base, &m->cookie[k]);
			if (rc) {
				release(m, k);
				free(m);
				goto out;
			}
		}
		vmm_region_get(r);
		m->r[k] = r;
		m->iov[k].iov_len = (size_t)c;
		cur += c;
		left -= c;
	}
	m->n = n;
	m->flags = flags;
	m->gpa = gpa;
	m->len = len;
	*out = m;
out:
	vmm_read_unlock();
	return rc;
}

VMM_EXPORT ssize_t vmm_mem_mapping_iov(const vmm_mem_mapping_t *map,
				       struct iovec *iov, size_t iovcnt)
{
	size_t k;

	if (!map || (!iov && iovcnt))
		return -EINVAL;
	for (k = 0; k < map->n && k < iovcnt; k++)
		iov[k] = map->iov[k];
	return (ssize_t)map->n;
}

VMM_EXPORT int vmm_mem_unmap(vmm_mem_mapping_t *map, uint64_t written)
{
	if (!map)
		return 0;
	if (map->flags & VMM_MEM_MAP_WRITE)
		vmm_mark_frags(map->r, map->iov, map->n, map->gpa, written);
	release(map, map->n);
	free(map);
	return 0;
}
