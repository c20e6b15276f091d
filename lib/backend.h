/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The backend seam: how a region's memory is provided.  A region points at
 * the const operations of its backend, chosen by type from the flavour
 * table (flavour-unix.c in libvmmem, flavour-xen.c in libvmmem-xen).  The
 * operations carry only what differs between backends; common checks,
 * reference counting and the fd duplicate stay in region.c.
 *
 * A backend either gives the region a host address for all of it at
 * creation (r->hva; the fast paths then reach it through the slot's
 * direct bound), or leaves r->hva NULL and provides copy/pin, which map
 * only what one access touches (warm code: called inside a read-side
 * section for copies, which never wait for I/O).
 */
#ifndef VMMEM_BACKEND_H
#define VMMEM_BACKEND_H

#include "internal.h"

#include <sys/uio.h>

/* Descriptor fields a type may set (anything else must be zero). */
#define VMM_FIELD_FD_OFFSET (1u << 0)
#define VMM_FIELD_DOMID (1u << 1)
#define VMM_FIELD_HVA (1u << 2)
#define VMM_FIELD_RELEASE (1u << 3)	/* release, release_data */

struct vmm_backend_ops {
	const char *name;	/* in log messages */
	uint32_t flags;		/* the VMM_MEM_REGION_* it accepts */
	uint32_t fields;	/* VMM_FIELD_*: the fields it reads */
	/* The type's own checks of a descriptor that passed the common ones
	 * (cold, before anything is created). */
	int (*check)(struct vmm_mem *mem, const struct vmm_mem_region_desc *d);
	/* Provide the memory: set r->hva (or leave it NULL and provide copy
	 * and pin), r->page_size, r->fd when a descriptor is kept, r->priv. */
	int (*create)(struct vmm_mem *mem, const struct vmm_mem_region_desc *d,
		      struct vmm_region *r);
	/* Release what create provided, once, before r->fd is closed. */
	void (*destroy)(struct vmm_region *r);
	/* Only for regions without a host address.  Copy @len bytes at region
	 * offset @off to (@to_guest) or from @buf: 0 or a negative errno, with
	 * nothing left mapped either way; *@done is how many bytes from the
	 * start may have landed (all on success), which the caller marks. */
	int (*copy)(struct vmm_region *r, uint64_t off, void *buf, size_t len,
		    bool to_guest, size_t *done);
	/* Map [@off, @off + @len) until unpin(): 0 with *@hva and *@cookie
	 * set, or a negative errno with nothing mapped. */
	int (*pin)(struct vmm_region *r, uint64_t off, uint64_t len, bool write,
		   void **hva, void **cookie);
	void (*unpin)(struct vmm_region *r, void *cookie);
};

/* The flavour's backend of each region type (NULL: unknown type). */
#define VMM_REGION_TYPES (VMM_MEM_REGION_XEN_GRANT + 1)
extern const struct vmm_backend_ops *const vmm_backends[VMM_REGION_TYPES];

/* backend-mmap.c: anonymous memory, file descriptors, caller mappings. */
extern const struct vmm_backend_ops vmm_backend_anon;
extern const struct vmm_backend_ops vmm_backend_fd;
extern const struct vmm_backend_ops vmm_backend_host;

/* region.c */
uint64_t vmm_host_page_size(void);

#endif
