/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmmem's region types: the mmap backend.  The Xen types validate as in
 * libvmmem-xen (same flags and fields), then are refused with -EOPNOTSUPP.
 */
#include "backend.h"

static int refuse_xen(struct vmm_mem *mem, const struct vmm_mem_region_desc *d)
{
	verr(mem, "Xen regions need libvmmem-xen");
	return -EOPNOTSUPP;
}

static int create_none(struct vmm_mem *mem,
		       const struct vmm_mem_region_desc *d,
		       struct vmm_region *r)
{
	return -EOPNOTSUPP;
}

static void destroy_none(struct vmm_region *r)
{
}

static const struct vmm_backend_ops xen_foreign_refused = {
	.name = "Xen foreign",
	.flags = VMM_MEM_REGION_READONLY,
	.fields = VMM_FIELD_DOMID,
	.check = refuse_xen,
	.create = create_none,
	.destroy = destroy_none,
};

static const struct vmm_backend_ops xen_grant_refused = {
	.name = "Xen grant",
	.flags = VMM_MEM_REGION_READONLY | VMM_MEM_REGION_NO_ADVANCE_MAP,
	.fields = VMM_FIELD_DOMID,
	.check = refuse_xen,
	.create = create_none,
	.destroy = destroy_none,
};

const struct vmm_backend_ops *const vmm_backends[VMM_REGION_TYPES] = {
	[VMM_MEM_REGION_ANON] = &vmm_backend_anon,
	[VMM_MEM_REGION_FD] = &vmm_backend_fd,
	[VMM_MEM_REGION_HOST] = &vmm_backend_host,
	[VMM_MEM_REGION_XEN_FOREIGN] = &xen_foreign_refused,
	[VMM_MEM_REGION_XEN_GRANT] = &xen_grant_refused,
};
