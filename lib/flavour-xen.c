/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvmmem-xen's region types: the mmap backend and Xen's. */
#include "backend-xen.h"

const struct vmm_backend_ops *const vmm_backends[VMM_REGION_TYPES] = {
	[VMM_MEM_REGION_ANON] = &vmm_backend_anon,
	[VMM_MEM_REGION_FD] = &vmm_backend_fd,
	[VMM_MEM_REGION_HOST] = &vmm_backend_host,
	[VMM_MEM_REGION_XEN_FOREIGN] = &vmm_backend_xen_foreign,
	[VMM_MEM_REGION_XEN_GRANT] = &vmm_backend_xen_grant,
};
