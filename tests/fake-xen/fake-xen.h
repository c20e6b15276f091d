/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control interface of the Xen simulation (fake-xen.so), for tests
 * that run with it preloaded: they look these functions up with dlsym()
 * (fake_xen_bind()), so that a test needing the simulation and running
 * without it fails loudly instead of reaching a real /dev/xen.
 */
#ifndef VMMEM_FAKE_XEN_H
#define VMMEM_FAKE_XEN_H

#include <stddef.h>
#include <stdint.h>

/* The simulated guest's domain id, and its memory in 4 KiB frames
 * (FAKE_XEN_PAGES in the environment, default 4096). */
#define FAKE_XEN_DOMID 7

/* The ledger: every device call the simulation answered. */
struct fake_xen_stats {
	unsigned long opens;		/* of /dev/xen/privcmd or gntdev */
	unsigned long restricts;	/* IOCTL_PRIVCMD_RESTRICT */
	unsigned long foreign_mmaps;	/* mmap of a privcmd descriptor */
	unsigned long foreign_batches;	/* IOCTL_PRIVCMD_MMAPBATCH_V2 */
	unsigned long foreign_pages;	/* frames mapped by them */
	unsigned long foreign_munmaps;	/* munmap of a privcmd mapping */
	unsigned long grant_map_ioctls;	/* IOCTL_GNTDEV_MAP_GRANT_REF */
	unsigned long grant_unmap_ioctls; /* IOCTL_GNTDEV_UNMAP_GRANT_REF */
	unsigned long grant_mmaps;	/* mmap of a gntdev descriptor */
	unsigned long grant_munmaps;	/* munmap of a grant mapping */
	unsigned long grant_copies;	/* IOCTL_GNTDEV_GRANT_COPY */
	unsigned long grant_copy_segments;
	unsigned long refused;		/* calls the kernel would refuse */
	unsigned long live_mappings;	/* device mappings still mapped */
	unsigned long live_grant_maps;	/* grant maps not yet released */
};

/* Bring the simulation back to its initial state (grants: ref i is frame
 * i, writable; no failures; ledger zero; guest memory zero). */
typedef void (*fake_xen_reset_fn)(void);
typedef void (*fake_xen_stats_fn)(struct fake_xen_stats *st);
/* The guest's memory as the guest sees it: frame f at (uint8_t *)p + f *
 * 4096; *len receives its size. */
typedef void *(*fake_xen_guest_fn)(size_t *len);
/* Grant @ref of the guest: frame @frame, @readonly, @present. */
typedef int (*fake_xen_set_grant_fn)(uint32_t ref, uint64_t frame,
				     int readonly, int present);
/* Make frame @pfn (foreign map) or grant @ref (map and copy) fail with
 * -@err (0 clears). */
typedef void (*fake_xen_fail_frame_fn)(uint64_t pfn, int err);
typedef void (*fake_xen_fail_ref_fn)(uint32_t ref, int err);

void fake_xen_reset(void);
void fake_xen_stats(struct fake_xen_stats *st);
void *fake_xen_guest(size_t *len);
int fake_xen_set_grant(uint32_t ref, uint64_t frame, int readonly,
		       int present);
void fake_xen_fail_frame(uint64_t pfn, int err);
void fake_xen_fail_ref(uint32_t ref, int err);

struct fake_xen {
	fake_xen_reset_fn reset;
	fake_xen_stats_fn stats;
	fake_xen_guest_fn guest;
	fake_xen_set_grant_fn set_grant;
	fake_xen_fail_frame_fn fail_frame;
	fake_xen_fail_ref_fn fail_ref;
};

#endif
