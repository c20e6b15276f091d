/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Xen foreign regions (cold): every page of the region is a frame of
 * domain @domid, mapped at creation and unmapped at teardown.  Frame
 * numbers are GPA / 4 KiB.  Either through the caller's privcmd
 * descriptor (the kernel's mmap + IOCTL_PRIVCMD_MMAPBATCH_V2, as a
 * vhost-user front end hands it over) or through a handle of
 * libxenforeignmemory the region opens itself, restricted to the domain.
 *
 * Every per-page error is checked: the kernel and libxenforeignmemory
 * report negative errno values in err[] (whatever the header comment
 * says), and libxenforeignmemory returns a mapping even when every page
 * failed.  One failed page fails the creation with its errno, and what was
 * mapped is unmapped: never a silent hole.
 */
#include "backend-xen.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/privcmd.h>
#include <xenforeignmemory.h>

struct xen_foreign {
	xenforeignmemory_handle *fmem;	/* NULL: the caller's fd (r->fd) */
	struct vmm_xen_logger *log;
	size_t pages;
};

/* err[] slots start here: one the kernel or library never wrote (the V1
 * fallback may leave a paging retry's slot alone) counts as failed. */
#define ERR_UNWRITTEN INT_MIN

static int first_error(struct vmm_mem *mem, const struct vmm_region *r,
		       const int *err, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int e = err[i];

		if (!e)
			continue;
		if (e == ERR_UNWRITTEN || e > 0 || e < -4095)
			e = -EIO;
		verr(mem, "Xen frame 0x%llx of domain %u (GPA 0x%llx) cannot be "
		     "mapped: %s",
		     (unsigned long long)((r->gpa >> VMM_XEN_PAGE_SHIFT) + i),
		     r->domid,
		     (unsigned long long)(r->gpa + (i << VMM_XEN_PAGE_SHIFT)),
		     strerror(-e));
		return e;
	}
	return 0;
}

/* Through the caller's privcmd descriptor, as the kernel requires: an mmap
 * of the whole range, then one batch ioctl filling it.  No retry: a frame
 * paged out (-ENOENT) fails the creation instead of looping. */
static void *map_fd(struct vmm_region *r, int prot, const xen_pfn_t *pfns,
		    int *err, size_t n)
{
	struct privcmd_mmapbatch_v2 b;
	void *p = mmap(NULL, n << VMM_XEN_PAGE_SHIFT, prot, MAP_SHARED, r->fd,
		       0);

	if (p == MAP_FAILED)
		return NULL;
	b.num = (unsigned int)n;
	b.dom = (domid_t)r->domid;
	b.addr = (uint64_t)(uintptr_t)p;
	b.arr = pfns;
	b.err = err;
	if (ioctl(r->fd, IOCTL_PRIVCMD_MMAPBATCH_V2, &b) < 0 &&
	    errno != ENOENT) {
		int e = errno;

		munmap(p, n << VMM_XEN_PAGE_SHIFT);
		errno = e;
		return NULL;
	}
	return p;	/* ENOENT: err[] names the pages */
}

static void foreign_free(struct vmm_region *r, struct xen_foreign *f)
{
	if (f->fmem)
		xenforeignmemory_close(f->fmem);
	vmm_xen_logger_free(f->log);
	free(f);
	r->priv = NULL;
}

static int foreign_create(struct vmm_mem *mem,
			  const struct vmm_mem_region_desc *d,
			  struct vmm_region *r)
{
	int prot = (d->flags & VMM_MEM_REGION_READONLY) ?
			   PROT_READ : PROT_READ | PROT_WRITE;
	size_t n = (size_t)(d->size >> VMM_XEN_PAGE_SHIFT), i;
	struct xen_foreign *f;
	xen_pfn_t *pfns;
	int *err, rc;
	void *p;

	f = calloc(1, sizeof(*f));
	pfns = calloc(n, sizeof(*pfns));
	err = malloc(n * sizeof(*err));
	if (!f || !pfns || !err) {
		rc = -ENOMEM;
		goto out;
	}
	r->priv = f;
	f->pages = n;
	for (i = 0; i < n; i++) {
		pfns[i] = (xen_pfn_t)((d->gpa >> VMM_XEN_PAGE_SHIFT) + i);
		err[i] = ERR_UNWRITTEN;
	}
	rc = vmm_xen_dup(mem, d, r);
	if (rc)
		goto out;
	if (r->fd >= 0) {
		p = map_fd(r, prot, pfns, err, n);
	} else {
		f->log = vmm_xen_logger_new(mem);
		if (!f->log) {
			rc = -ENOMEM;
			goto out;
		}
		f->fmem = xenforeignmemory_open(&f->log->base, 0);
		if (!f->fmem) {
			rc = -errno;
			verr(mem, "cannot open Xen's privileged command "
			     "interface: %s", strerror(errno));
			goto out;
		}
		/* This handle maps this domain only; kernels without the
		 * restriction ioctl (ENOTTY) still map. */
		if (xenforeignmemory_restrict(f->fmem, (domid_t)d->domid) &&
		    errno != ENOTTY) {
			rc = -errno;
			verr(mem, "cannot restrict the Xen handle to domain "
			     "%u: %s", d->domid, strerror(errno));
			goto out;
		}
		p = xenforeignmemory_map2(f->fmem, d->domid, NULL, prot, 0, n,
					  pfns, err);
	}
	if (!p) {
		rc = -errno;
		verr(mem, "mapping %zu Xen frames of domain %u failed: %s", n,
		     d->domid, strerror(errno));
		goto out;
	}
	rc = first_error(mem, r, err, n);
	if (rc) {
		if (f->fmem)
			xenforeignmemory_unmap(f->fmem, p, n);
		else
			munmap(p, n << VMM_XEN_PAGE_SHIFT);
		goto out;
	}
	r->hva = p;
	r->map_base = p;
	r->map_len = n << VMM_XEN_PAGE_SHIFT;
	r->page_size = VMM_XEN_PAGE;
out:
	free(pfns);
	free(err);
	if (rc && f) {
		foreign_free(r, f);
		vmm_xen_undup(r);
	}
	return rc;
}

static void foreign_destroy(struct vmm_region *r)
{
	struct xen_foreign *f = r->priv;

	if (f->fmem)
		xenforeignmemory_unmap(f->fmem, r->map_base, f->pages);
	else
		munmap(r->map_base, r->map_len);
	foreign_free(r, f);
}

const struct vmm_backend_ops vmm_backend_xen_foreign = {
	.name = "Xen foreign",
	.flags = VMM_MEM_REGION_READONLY,
	.fields = VMM_FIELD_DOMID,
	.check = vmm_xen_check,
	.create = foreign_create,
	.destroy = foreign_destroy,
};
