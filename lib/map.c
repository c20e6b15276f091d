/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scatter-gather map/unmap: a GPA range as an iovec list, one entry per
 * region fragment, with every region pinned until the mapping is released.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct vmm_mem_mapping {
	unsigned int flags;
	uint64_t gpa;
	uint64_t len;
	size_t n;
	struct vmm_region **r;
	struct iovec *iov;
};

VMM_EXPORT int vmm_mem_map(vmm_mem_t *mem, uint64_t gpa, uint64_t len,
			   unsigned int flags, vmm_mem_mapping_t **out)
{
	const struct vmm_table *t;
	struct vmm_mem_mapping *m;
	uint64_t cur, left;
	size_t n = 0, k;
	ssize_t i, j;
	int rc = 0;

	if (!mem || !out || len == 0 || !flags ||
	    (flags & ~(VMM_MEM_MAP_READ | VMM_MEM_MAP_WRITE)))
		return -EINVAL;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	if (len > SIZE_MAX)
		return -EOVERFLOW;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	vmm_read_lock();
	t = vmm_table_get(mem);
	if (vmm_span(t, gpa, len, false, &i) != len) {
		rc = -EFAULT;
		goto fail;
	}
	if ((flags & VMM_MEM_MAP_WRITE) && vmm_range_readonly(t, i, gpa, len)) {
		rc = -EACCES;
		goto fail;
	}
	for (j = i, cur = gpa, left = len; left; j++, n++) {
		uint64_t c = MIN(left, t->r[j]->last - cur + 1);

		if (!t->r[j]->hva) {
			rc = -EOPNOTSUPP;
			goto fail;
		}
		cur += c;
		left -= c;
	}
	m->r = calloc(n, sizeof(*m->r));
	m->iov = calloc(n, sizeof(*m->iov));
	if (!m->r || !m->iov) {
		rc = -ENOMEM;
		goto fail;
	}
	for (k = 0, cur = gpa, left = len; k < n; k++) {
		struct vmm_region *r = t->r[i + (ssize_t)k];
		uint64_t c = MIN(left, r->last - cur + 1);

		vmm_region_get(r);
		m->r[k] = r;
		m->iov[k].iov_base = r->hva + (cur - r->gpa);
		m->iov[k].iov_len = (size_t)c;
		cur += c;
		left -= c;
	}
	vmm_read_unlock();
	m->n = n;
	m->flags = flags;
	m->gpa = gpa;
	m->len = len;
	*out = m;
	return 0;
fail:
	vmm_read_unlock();
	free(m->r);
	free(m->iov);
	free(m);
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
	size_t k;

	if (!map)
		return 0;
	if ((map->flags & VMM_MEM_MAP_WRITE) && written) {
		uint64_t gpa = map->gpa;

		written = MIN(written, map->len);
		vmm_read_lock();
		for (k = 0; k < map->n && written; k++) {
			uint64_t c = MIN(written, (uint64_t)map->iov[k].iov_len);

			vmm_mark(map->r[k], gpa, c);
			gpa += c;
			written -= c;
		}
		vmm_read_unlock();
	}
	for (k = 0; k < map->n; k++)
		vmm_region_put(map->r[k]);
	free(map->r);
	free(map->iov);
	free(map);
	return 0;
}
