/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Xen grant regions: page i of the region is grant reference
 * ((GPA without bit 63) / 4 KiB) + i of domain @domid, always counted in
 * 4 KiB Xen pages.  Either through the caller's gntdev descriptor (the
 * kernel's IOCTL_GNTDEV_* and mmap) or through a libxengnttab handle the
 * region opens itself.
 *
 * Mapped in advance (cold): every reference is mapped at creation and
 * unmapped exactly once at teardown; an mmap that fails after the map
 * ioctl releases the references; a failed unmap is logged, never fatal.
 *
 * With VMM_MEM_REGION_NO_ADVANCE_MAP (warm): nothing is mapped at
 * creation and the region has no host address.  Byte copies use the
 * hypervisor's grant copy, one segment per 4 KiB page, each segment's
 * status checked; pins (atomics, fd transfers, vmm_mem_map()) map the
 * pages they cover and unmap them exactly once when released.
 */
#include "backend-xen.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/privcmd.h>
#include <xen/gntdev.h>
#include <xengnttab.h>

struct xen_grant {
	xengnttab_handle *xgt;	/* NULL: the caller's fd (r->fd) */
	struct vmm_xen_logger *log;
	uint32_t first_ref;	/* of the region's first page */
	uint32_t pages;
	uint64_t index;		/* in-advance map through the fd */
};

/* A mapping of @n pages from page @first: what unmap needs exactly. */
struct grant_map {
	void *p;
	uint32_t n;
	uint64_t index;		/* gntdev offset (fd path) */
};

/* Map pages [first, first + n) of the region: 0 or a negative errno with
 * nothing mapped. */
static int grant_map(struct vmm_region *r, uint32_t first, uint32_t n,
		     bool write, struct grant_map *m)
{
	struct xen_grant *g = r->priv;
	int prot = write ? PROT_READ | PROT_WRITE : PROT_READ;
	uint32_t i;

	m->n = n;
	m->index = 0;
	if (g->xgt) {
		uint32_t *refs = malloc(n * sizeof(*refs));

		if (!refs)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			refs[i] = g->first_ref + first + i;
		m->p = xengnttab_map_domain_grant_refs(g->xgt, n, r->domid,
						       refs, prot);
		free(refs);
		return m->p ? 0 : -(errno ? errno : EIO);
	} else {
		struct ioctl_gntdev_map_grant_ref *a;
		struct ioctl_gntdev_unmap_grant_ref u;
		int e;

		a = calloc(1, sizeof(*a) + n * sizeof(a->refs[0]));
		if (!a)
			return -ENOMEM;
		a->count = n;
		for (i = 0; i < n; i++) {
			a->refs[i].domid = r->domid;
			a->refs[i].ref = g->first_ref + first + i;
		}
		if (ioctl(r->fd, IOCTL_GNTDEV_MAP_GRANT_REF, a) < 0) {
			e = errno;
			free(a);
			return -e;
		}
		m->index = a->index;
		free(a);
		m->p = mmap(NULL, (size_t)n << VMM_XEN_PAGE_SHIFT, prot,
			    MAP_SHARED, r->fd, (off_t)m->index);
		if (m->p != MAP_FAILED)
			return 0;
		e = errno;
		/* release the references the ioctl took */
		memset(&u, 0, sizeof(u));
		u.index = m->index;
		u.count = n;
		if (ioctl(r->fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u) < 0)
			vmm_xen_log(g->log, LOG_ERR, "releasing Xen grants after "
				    "a failed mmap: %s", strerror(errno));
		m->p = NULL;
		return -e;
	}
}

/* Unmap what grant_map() mapped, exactly once; failures are logged. */
static void grant_unmap(struct vmm_region *r, const struct grant_map *m)
{
	struct xen_grant *g = r->priv;
	size_t len = (size_t)m->n << VMM_XEN_PAGE_SHIFT;

	if (g->xgt) {
		if (xengnttab_unmap(g->xgt, m->p, m->n) == 0)
			return;
		/* e.g. ENOTTY after xentoolcore_restrict_all(): the mapping
		 * still goes, the grants with it when the file closes */
		vmm_xen_log(g->log, LOG_ERR, "unmapping %u Xen grants at %p: "
			    "%s", m->n, m->p, strerror(errno));
		munmap(m->p, len);
	} else {
		struct ioctl_gntdev_unmap_grant_ref u;

		munmap(m->p, len);
		memset(&u, 0, sizeof(u));
		u.index = m->index;
		u.count = m->n;
		if (ioctl(r->fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u) < 0)
			vmm_xen_log(g->log, LOG_ERR, "unmapping %u Xen grants "
				    "at index 0x%llx: %s", m->n,
				    (unsigned long long)m->index,
				    strerror(errno));
	}
}

static int grant_check(struct vmm_mem *mem,
		       const struct vmm_mem_region_desc *d)
{
	uint64_t last;
	int rc = vmm_xen_check(mem, d);

	if (rc)
		return rc;
	last = ((d->gpa & ~VMM_XEN_GRANT_BIT) + (d->size - 1)) >>
	       VMM_XEN_PAGE_SHIFT;
	if (last > UINT32_MAX || (d->gpa & ~VMM_XEN_GRANT_BIT) + (d->size - 1) <
					 (d->gpa & ~VMM_XEN_GRANT_BIT)) {
		verr(mem, "Xen grant region 0x%llx + 0x%llx needs references "
		     "beyond 2^32", (unsigned long long)d->gpa,
		     (unsigned long long)d->size);
		return -EINVAL;
	}
	return 0;
}

static void grant_free(struct vmm_region *r)
{
	struct xen_grant *g = r->priv;

	if (g->xgt)
		xengnttab_close(g->xgt);
	vmm_xen_logger_free(g->log);
	free(g);
	r->priv = NULL;
}

static int grant_create(struct vmm_mem *mem,
			const struct vmm_mem_region_desc *d,
			struct vmm_region *r)
{
	struct xen_grant *g = calloc(1, sizeof(*g));
	struct grant_map m;
	int rc;

	if (!g)
		return -ENOMEM;
	r->priv = g;
	g->first_ref = (uint32_t)((d->gpa & ~VMM_XEN_GRANT_BIT) >>
				  VMM_XEN_PAGE_SHIFT);
	g->pages = (uint32_t)(d->size >> VMM_XEN_PAGE_SHIFT);
	g->log = vmm_xen_logger_new(mem);
	if (!g->log) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = vmm_xen_dup(mem, d, r);
	if (rc)
		goto fail;
	if (r->fd < 0) {
		g->xgt = xengnttab_open(&g->log->base, 0);
		if (!g->xgt) {
			rc = -errno;
			verr(mem, "cannot open Xen's grant device: %s",
			     strerror(errno));
			goto fail;
		}
	}
	r->page_size = VMM_XEN_PAGE;
	if (d->flags & VMM_MEM_REGION_NO_ADVANCE_MAP)
		return 0;
	rc = grant_map(r, 0, g->pages,
		       !(d->flags & VMM_MEM_REGION_READONLY), &m);
	if (rc) {
		verr(mem, "mapping Xen grants 0x%x..0x%x of domain %u failed: "
		     "%s", g->first_ref, g->first_ref + g->pages - 1, d->domid,
		     strerror(-rc));
		goto fail;
	}
	r->hva = m.p;
	r->map_base = m.p;
	r->map_len = (size_t)d->size;
	g->index = m.index;
	return 0;
fail:
	grant_free(r);
	vmm_xen_undup(r);
	return rc;
}

static void grant_destroy(struct vmm_region *r)
{
	struct xen_grant *g = r->priv;

	if (r->map_base) {
		struct grant_map m = { r->map_base, g->pages, g->index };

		grant_unmap(r, &m);
	}
	grant_free(r);
}

/* Hypervisor status of one copy segment as an errno. */
static int copy_status(int16_t st)
{
	return st == GNTST_permission_denied ? -EACCES : -EIO;
}

/* Segments per grant copy call (the kernel works through 16 at a time). */
#define COPY_BATCH 16

static int grant_copy(struct vmm_region *r, uint64_t off, void *buf,
		      size_t len, bool to_guest, size_t *done)
{
	struct xen_grant *g = r->priv;
	struct gntdev_grant_copy_segment seg[COPY_BATCH];
	uint8_t *b = buf;
	size_t pos = 0;

	*done = 0;
	while (pos < len) {
		unsigned int n = 0, k;
		int rc = 0;

		for (; n < COPY_BATCH && pos < len; n++) {
			uint64_t o = off + pos;
			size_t in = (size_t)(o & (VMM_XEN_PAGE - 1));
			size_t c = VMM_XEN_PAGE - in;
			struct gntdev_grant_copy_segment *s = &seg[n];
			__typeof__(s->dest) *gref, *virt;

			if (c > len - pos)
				c = len - pos;
			memset(s, 0, sizeof(*s));
			gref = to_guest ? &s->dest : &s->source;
			virt = to_guest ? &s->source : &s->dest;
			virt->virt = b + pos;
			gref->foreign.ref = g->first_ref +
					    (uint32_t)(o >> VMM_XEN_PAGE_SHIFT);
			gref->foreign.offset = (uint16_t)in;
			gref->foreign.domid = (domid_t)r->domid;
			s->flags = to_guest ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
			s->len = (uint16_t)c;
			/* a segment the call never reached stays failed */
			s->status = GNTST_general_error;
			pos += c;
		}
		if (g->xgt) {
			if (xengnttab_grant_copy(g->xgt, n,
				(xengnttab_grant_copy_segment_t *)seg))
				rc = -(errno ? errno : EIO);
		} else {
			struct ioctl_gntdev_grant_copy a = { n, seg };

			if (ioctl(r->fd, IOCTL_GNTDEV_GRANT_COPY, &a) < 0)
				rc = -errno;
		}
		/* Bytes that may have landed: the segments reported done,
		 * in order (a failed call may still have copied some). */
		for (k = 0; k < n && seg[k].status == GNTST_okay; k++)
			*done += seg[k].len;
		if (rc)
			return rc;
		if (k < n)
			return copy_status(seg[k].status);
	}
	return 0;
}

static int grant_pin(struct vmm_region *r, uint64_t off, uint64_t len,
		     bool write, void **hva, void **cookie)
{
	uint64_t first = off >> VMM_XEN_PAGE_SHIFT;
	uint64_t last = (off + len - 1) >> VMM_XEN_PAGE_SHIFT;
	struct grant_map *m = malloc(sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	rc = grant_map(r, (uint32_t)first, (uint32_t)(last - first + 1), write,
		       m);
	if (rc) {
		free(m);
		return rc;
	}
	*hva = (uint8_t *)m->p + (off & (VMM_XEN_PAGE - 1));
	*cookie = m;
	return 0;
}

static void grant_unpin(struct vmm_region *r, void *cookie)
{
	grant_unmap(r, cookie);
	free(cookie);
}

const struct vmm_backend_ops vmm_backend_xen_grant = {
	.name = "Xen grant",
	.flags = VMM_MEM_REGION_READONLY | VMM_MEM_REGION_NO_ADVANCE_MAP,
	.fields = VMM_FIELD_DOMID,
	.check = grant_check,
	.create = grant_create,
	.destroy = grant_destroy,
	.copy = grant_copy,
	.pin = grant_pin,
	.unpin = grant_unpin,
};
