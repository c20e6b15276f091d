/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The region object (cold): the checks common to every type, creation
 * through the type's backend (backend.h), the reference count and
 * teardown.
 */
#include "backend.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* Asked each time: region creation is cold, and a cache shared by threads
 * creating regions on different handles would need synchronisation. */
uint64_t vmm_host_page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static int validate(struct vmm_mem *mem, const struct vmm_mem_region_desc *d,
		    const struct vmm_backend_ops *ops)
{
	uint64_t ps = vmm_host_page_size(), end;

	if (!ops) {
		verr(mem, "unknown region type %u", d->type);
		return -EINVAL;
	}
	if (d->flags & ~ops->flags) {
		verr(mem, "flags 0x%x do not apply to region type %u",
		     d->flags, d->type);
		return -EINVAL;
	}
	if (d->size == 0) {
		verr(mem, "region at 0x%llx has size 0",
		     (unsigned long long)d->gpa);
		return -EINVAL;
	}
	if (__builtin_add_overflow(d->gpa, d->size, &end)) {
		verr(mem, "region 0x%llx + 0x%llx passes the end of the guest "
		     "address space", (unsigned long long)d->gpa,
		     (unsigned long long)d->size);
		return -EOVERFLOW;
	}
	if (d->size > SIZE_MAX - ps) {
		verr(mem, "region size 0x%llx does not fit this host",
		     (unsigned long long)d->size);
		return -EOVERFLOW;
	}
	if (d->huge_page_size && !(d->flags & VMM_MEM_REGION_HUGETLB)) {
		verr(mem, "huge_page_size given without VMM_MEM_REGION_HUGETLB");
		return -EINVAL;
	}
	if (!(ops->fields & VMM_FIELD_FD_OFFSET) && d->fd_offset) {
		verr(mem, "fd_offset given for a %s region", ops->name);
		return -EINVAL;
	}
	if (!(ops->fields & VMM_FIELD_DOMID) && d->domid) {
		verr(mem, "domid given for a region that is not Xen's");
		return -EINVAL;
	}
	if (!(ops->fields & VMM_FIELD_HVA) && d->hva) {
		verr(mem, "hva given for a region the library maps itself");
		return -EINVAL;
	}
	if (!(ops->fields & VMM_FIELD_RELEASE) &&
	    (d->release || d->release_data)) {
		verr(mem, "release callback given for a region the library "
		     "maps itself");
		return -EINVAL;
	}
	return ops->check ? ops->check(mem, d) : 0;
}

int vmm_region_create(struct vmm_mem *mem, const struct vmm_mem_region_desc *d,
		      struct vmm_region **out)
{
	const struct vmm_backend_ops *ops =
		d->type < VMM_REGION_TYPES ? vmm_backends[d->type] : NULL;
	struct vmm_region *r;
	int rc;

	rc = validate(mem, d, ops);
	if (rc)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ops = ops;
	r->gpa = d->gpa;
	r->size = d->size;
	r->last = d->gpa + (d->size - 1);
	r->type = d->type;
	r->flags = d->flags;
	r->fd = -1;
	r->fd_offset = d->fd_offset;
	r->vua = d->vua;
	r->domid = d->domid;
	r->refcnt = 1;
	r->release = d->release;
	r->release_data = d->release_data;
	rc = ops->create(mem, d, r);
	if (rc) {
		free(r);
		return rc;
	}
	vdbg(mem, "%s region [0x%llx, 0x%llx] at %p", ops->name,
	     (unsigned long long)r->gpa, (unsigned long long)r->last,
	     (void *)r->hva);
	*out = r;
	return 0;
}

void vmm_region_get(struct vmm_region *r)
{
	__atomic_add_fetch(&r->refcnt, 1, __ATOMIC_RELAXED);
}

void vmm_region_put(struct vmm_region *r)
{
	if (__atomic_sub_fetch(&r->refcnt, 1, __ATOMIC_ACQ_REL))
		return;
	/* The mapping goes before the descriptor it was made through: an
	 * unmap ioctl needs the device still open.  An IOVA view's entry has
	 * no backend: its bytes are another region's. */
	if (r->ops)
		r->ops->destroy(r);
	if (r->fd >= 0)
		close(r->fd);
	vmm_dirty_region_release(r);
	free(r);
}
