/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the Xen backends share (libvmmem-xen only): the 4 KiB Xen page, the
 * logger that routes Xen's messages into the log callback, the checks
 * common to foreign and grant regions and the descriptor duplicate.
 */
#ifndef VMMEM_BACKEND_XEN_H
#define VMMEM_BACKEND_XEN_H

#include "backend.h"

#include <xentoollog.h>

/* Xen's page: frame numbers and grant references count 4 KiB units,
 * whatever the host page size. */
#define VMM_XEN_PAGE_SHIFT 12
#define VMM_XEN_PAGE (UINT64_C(1) << VMM_XEN_PAGE_SHIFT)
/* Bit 63 of a GPA marks grant space (Linux's grant DMA, vm-memory). */
#define VMM_XEN_GRANT_BIT (UINT64_C(1) << 63)

/* A xentoollog logger that hands Xen's messages to the log callback the
 * guest memory had when the region was created (the region may outlive
 * the handle), so that Xen's libraries never print. */
struct vmm_xen_logger {
	xentoollog_logger base;	/* first: Xen's libraries see only this */
	vmm_mem_log_fn fn;
	void *data;
	int priority;
};

struct vmm_xen_logger *vmm_xen_logger_new(struct vmm_mem *mem);
void vmm_xen_logger_free(struct vmm_xen_logger *l);
/* Log through @l as vlog() does through a guest memory. */
#define vmm_xen_log(l, prio, ...)                                             \
	do {                                                                  \
		if ((l)->fn && (prio) <= (l)->priority)                       \
			vmm_log((l)->fn, (l)->data, (prio), __FILE__,         \
				__LINE__, __func__, __VA_ARGS__);             \
	} while (0)

/* The checks both Xen types make: 4 KiB multiples, a 4 KiB host page. */
int vmm_xen_check(struct vmm_mem *mem, const struct vmm_mem_region_desc *d);
/* r->fd = a close-on-exec duplicate of d->fd (when >= 0): 0 or -errno. */
int vmm_xen_dup(struct vmm_mem *mem, const struct vmm_mem_region_desc *d,
		struct vmm_region *r);
/* Close that duplicate after a failed creation. */
void vmm_xen_undup(struct vmm_region *r);

extern const struct vmm_backend_ops vmm_backend_xen_foreign;
extern const struct vmm_backend_ops vmm_backend_xen_grant;

#endif
