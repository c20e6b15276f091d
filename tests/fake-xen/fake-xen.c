/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake-xen.so: a simulated Xen hypervisor and Linux Xen devices, preloaded
 * with LD_PRELOAD into test programs, so that libvmmem-xen and through it
 * Xen's real libxenforeignmemory and libxengnttab run unmodified.
 *
 * It answers open() of /dev/xen/privcmd and /dev/xen/gntdev with a memfd
 * that stands for the open device (so dup(), close-on-exec and fd counts
 * behave as for the real thing; a descriptor is recognised by its inode),
 * the ioctls of both devices and mmap()/munmap() on them:
 *  - privcmd: the probe ioctl ('P', 0xFF: ENOTTY, as a current kernel),
 *    IOCTL_PRIVCMD_RESTRICT, mmap (an empty, inaccessible range, as the
 *    kernel's), IOCTL_PRIVCMD_MMAPBATCH_V2 (each frame mapped from the
 *    guest's memory, per-frame errors as negative errno values in err[]);
 *  - gntdev: IOCTL_GNTDEV_MAP_GRANT_REF (takes an index), mmap at that
 *    index (maps the granted frames; a read-only grant mapped writable
 *    fails with EINVAL as the kernel's), IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR,
 *    IOCTL_GNTDEV_UNMAP_GRANT_REF, IOCTL_GNTDEV_SET_MAX_GRANTS (ENOTTY, as
 *    current kernels), IOCTL_GNTDEV_GRANT_COPY (per-segment status, a
 *    segment crossing a 4 KiB page refuses the call with EINVAL).
 * One guest domain (FAKE_XEN_DOMID) with a memfd as its memory and a grant
 * table; a ledger of every map and unmap; chosen frames and references can
 * be made to fail.  Everything else passes through to the C library.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xen/interface/xen.h>
#include <xen/privcmd.h>
#include <xen/gntdev.h>

#include "fake-xen.h"

#define EXPORT __attribute__((visibility("default")))
#define PAGE 4096ul
#define MAX_DEVS 256
#define MAX_MAPS 4096
#define MAX_GMAPS 4096
#define IOCTL_PRIVCMD_PROBE _IOC(_IOC_NONE, 'P', 0xff, 0)

enum kind { PRIVCMD = 1, GNTDEV };

struct dev {
	dev_t sdev;
	ino_t ino;
	enum kind kind;
	int restricted;		/* -1: any domain */
	bool used;
};

/* A mapping of a device descriptor. */
struct map {
	uintptr_t addr;
	size_t len;
	int prot;
	enum kind kind;
	int gmap;		/* grant map index in gmaps[], or -1 */
	bool live;
};

/* A grant map taken by IOCTL_GNTDEV_MAP_GRANT_REF. */
struct gmap {
	struct dev *dev;
	uint64_t index;
	uint32_t count;
	uint32_t *refs;
	bool live;
	bool mapped;
};

struct grant {
	uint64_t frame;
	bool readonly;
	bool present;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static int (*real_close)(int);

static struct dev devs[MAX_DEVS];
static struct map maps[MAX_MAPS];
static struct gmap gmaps[MAX_GMAPS];
static unsigned int ngmaps;
static uint64_t next_index;
static struct fake_xen_stats st;
static int guest_fd = -1;
static uint8_t *guest;
static uint64_t npages;
static struct grant *grants;	/* npages entries: refs 0 .. npages - 1 */
static int *fail_frame;		/* npages entries: errno to fail with */
static int *fail_ref;

/* The C library's functions.  Also called by each wrapper that finds one
 * missing: a sanitizer runtime initialises (and may call them) before this
 * object's constructor runs. */
static void resolve(void)
{
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT,
								  "openat");
	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(
		RTLD_NEXT, "mmap");
	real_munmap = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

#define RESOLVED(f) (__builtin_expect(!(f), 0) ? resolve() : (void)0)

__attribute__((constructor)) static void fake_init(void)
{
	const char *p = getenv("FAKE_XEN_PAGES");

	resolve();
	npages = p ? strtoull(p, NULL, 0) : 4096;
	if (!npages)
		npages = 4096;
	guest_fd = memfd_create("fake-xen-guest", MFD_CLOEXEC);
	if (guest_fd < 0 || ftruncate(guest_fd, (off_t)(npages * PAGE)))
		abort();
	guest = real_mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, guest_fd, 0);
	grants = calloc(npages, sizeof(*grants));
	fail_frame = calloc(npages, sizeof(*fail_frame));
	fail_ref = calloc(npages, sizeof(*fail_ref));
	if (guest == MAP_FAILED || !grants || !fail_frame || !fail_ref)
		abort();
	for (uint64_t i = 0; i < npages; i++)
		grants[i] = (struct grant){ i, false, true };
}

/* ---- control interface -------------------------------------------------- */

EXPORT void fake_xen_reset(void)
{
	pthread_mutex_lock(&lock);
	for (uint64_t i = 0; i < npages; i++) {
		grants[i] = (struct grant){ i, false, true };
		fail_frame[i] = 0;
		fail_ref[i] = 0;
	}
	memset(guest, 0, npages * PAGE);
	memset(&st, 0, sizeof(st));
	pthread_mutex_unlock(&lock);
}

EXPORT void fake_xen_stats(struct fake_xen_stats *out)
{
	unsigned int i;

	pthread_mutex_lock(&lock);
	st.live_mappings = 0;
	for (i = 0; i < MAX_MAPS; i++)
		st.live_mappings += maps[i].live;
	st.live_grant_maps = 0;
	for (i = 0; i < ngmaps; i++)
		st.live_grant_maps += gmaps[i].live;
	*out = st;
	pthread_mutex_unlock(&lock);
}

EXPORT void *fake_xen_guest(size_t *len)
{
	*len = npages * PAGE;
	return guest;
}

EXPORT int fake_xen_set_grant(uint32_t ref, uint64_t frame, int readonly,
			      int present)
{
	if (ref >= npages || frame >= npages)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	grants[ref] = (struct grant){ frame, readonly != 0, present != 0 };
	pthread_mutex_unlock(&lock);
	return 0;
}

EXPORT void fake_xen_fail_frame(uint64_t pfn, int err)
{
	if (pfn < npages)
		__atomic_store_n(&fail_frame[pfn], err, __ATOMIC_RELAXED);
}

EXPORT void fake_xen_fail_ref(uint32_t ref, int err)
{
	if (ref < npages)
		__atomic_store_n(&fail_ref[ref], err, __ATOMIC_RELAXED);
}

/* ---- devices ------------------------------------------------------------ */

static enum kind path_kind(const char *path)
{
	if (!path)
		return 0;
	if (!strcmp(path, "/dev/xen/privcmd"))
		return PRIVCMD;
	if (!strcmp(path, "/dev/xen/gntdev"))
		return GNTDEV;
	return 0;
}

static int dev_open(enum kind k, int flags)
{
	int fd = memfd_create(k == PRIVCMD ? "fake-xen-privcmd" :
					     "fake-xen-gntdev",
			      (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	struct stat s;
	int i;

	if (fd < 0)
		return -1;
	fstat(fd, &s);
	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_DEVS && devs[i].used; i++)
		;
	if (i == MAX_DEVS) {
		pthread_mutex_unlock(&lock);
		close(fd);
		errno = EMFILE;
		return -1;
	}
	devs[i] = (struct dev){ s.st_dev, s.st_ino, k, -1, true };
	st.opens++;
	pthread_mutex_unlock(&lock);
	return fd;
}

/* The device @fd stands for, or NULL (caller holds the lock). */
static struct dev *dev_of(int fd)
{
	struct stat s;
	int i;

	if (fd < 0 || fstat(fd, &s))
		return NULL;
	for (i = 0; i < MAX_DEVS; i++)
		if (devs[i].used && devs[i].ino == s.st_ino &&
		    devs[i].sdev == s.st_dev)
			return &devs[i];
	return NULL;
}

/* The mode argument of an open() call that creates a file, else 0. */
#define MODE_ARG(flags, last)                                                 \
	__extension__({                                                       \
		mode_t m_ = 0;                                                \
		va_list ap_;                                                  \
		if ((flags) & (O_CREAT | O_TMPFILE)) {                        \
			va_start(ap_, last);                                  \
			m_ = va_arg(ap_, mode_t);                             \
			va_end(ap_);                                          \
		}                                                             \
		m_;                                                           \
	})

EXPORT int open(const char *path, int flags, ...)
{
	enum kind k = path_kind(path);

	RESOLVED(real_open);
	if (k)
		return dev_open(k, flags);
	return real_open(path, flags, MODE_ARG(flags, flags));
}

EXPORT int open64(const char *path, int flags, ...)
	__attribute__((alias("open")));

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	enum kind k = path_kind(path);

	RESOLVED(real_openat);
	if (k)
		return dev_open(k, flags);
	return real_openat(dirfd, path, flags, MODE_ARG(flags, flags));
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
	__attribute__((alias("openat")));

/* Is any descriptor of this process still open on device @d? */
static bool dev_open_anywhere(const struct dev *d)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	bool found = false;

	if (!dir)
		return true;
	while (!found && (e = readdir(dir))) {
		struct stat s;
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(dir) && !fstat(fd, &s) &&
		    s.st_ino == d->ino && s.st_dev == d->sdev)
			found = true;
	}
	closedir(dir);
	return found;
}

/* The last descriptor of a device closes the device, as the kernel's
 * release does (its grant maps stay in the ledger as they were). */
EXPORT int close(int fd)
{
	struct dev *d;
	int rc;

	RESOLVED(real_close);
	if (!guest)	/* before the constructor: no device yet */
		return real_close(fd);
	pthread_mutex_lock(&lock);
	d = dev_of(fd);
	rc = real_close(fd);
	if (d && rc == 0 && !dev_open_anywhere(d))
		d->used = false;
	pthread_mutex_unlock(&lock);
	return rc;
}

static int refuse(int e)
{
	st.refused++;
	errno = e;
	return -1;
}

static struct map *map_at(uintptr_t addr)
{
	for (int i = 0; i < MAX_MAPS; i++)
		if (maps[i].live && maps[i].addr == addr)
			return &maps[i];
	return NULL;
}

static struct map *map_new(void)
{
	for (int i = 0; i < MAX_MAPS; i++)
		if (!maps[i].live)
			return &maps[i];
	return NULL;
}

/* Map frame @pfn of the guest at @addr. */
static int map_frame(uintptr_t addr, uint64_t pfn, int prot)
{
	void *p = real_mmap((void *)addr, PAGE, prot, MAP_SHARED | MAP_FIXED,
			    guest_fd, (off_t)(pfn * PAGE));

	return p == MAP_FAILED ? -errno : 0;
}

static int privcmd_batch(struct dev *d, struct privcmd_mmapbatch_v2 *b)
{
	struct map *m = map_at((uintptr_t)b->addr);
	bool paged = false;

	st.foreign_batches++;
	if (!m || m->kind != PRIVCMD || (uint64_t)b->num * PAGE > m->len)
		return refuse(EINVAL);
	if (b->dom != FAKE_XEN_DOMID)
		return refuse(ESRCH);
	if (d->restricted >= 0 && d->restricted != b->dom)
		return refuse(EPERM);
	for (unsigned int i = 0; i < b->num; i++) {
		uint64_t pfn = b->arr[i];
		int e;

		if (pfn >= npages)
			e = -EINVAL;
		else if ((e = __atomic_load_n(&fail_frame[pfn],
					      __ATOMIC_RELAXED)))
			e = -e;
		else
			e = map_frame(m->addr + i * PAGE, pfn, m->prot);
		b->err[i] = e;
		if (e == -ENOENT)
			paged = true;
		else if (!e)
			st.foreign_pages++;
	}
	if (paged) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

static struct gmap *gmap_find(struct dev *d, uint64_t index)
{
	for (unsigned int i = 0; i < ngmaps; i++)
		if (gmaps[i].live && gmaps[i].dev == d &&
		    gmaps[i].index == index)
			return &gmaps[i];
	return NULL;
}

static int gntdev_map(struct dev *d, struct ioctl_gntdev_map_grant_ref *a)
{
	struct gmap *g;

	unsigned int i;

	st.grant_map_ioctls++;
	for (i = 0; i < ngmaps && (gmaps[i].live || gmaps[i].mapped); i++)
		;
	if (!a->count || a->count > npages || i == MAX_GMAPS)
		return refuse(EINVAL);
	for (uint32_t k = 0; k < a->count; k++)
		if (a->refs[k].domid != FAKE_XEN_DOMID)
			return refuse(EINVAL);
	g = &gmaps[i];
	g->refs = malloc(a->count * sizeof(*g->refs));
	if (!g->refs)
		return refuse(ENOMEM);
	if (i == ngmaps)
		ngmaps++;
	for (uint32_t k = 0; k < a->count; k++)
		g->refs[k] = a->refs[k].ref;
	g->dev = d;
	g->count = a->count;
	g->index = next_index;
	g->live = true;
	g->mapped = false;
	next_index += (uint64_t)a->count * PAGE;
	a->index = g->index;
	return 0;
}

static int gntdev_unmap(struct dev *d, struct ioctl_gntdev_unmap_grant_ref *a)
{
	struct gmap *g = gmap_find(d, a->index);

	st.grant_unmap_ioctls++;
	if (!g || g->count != a->count)
		return refuse(EINVAL);
	g->live = false;
	free(g->refs);
	g->refs = NULL;
	return 0;
}

static int gntdev_offset(struct ioctl_gntdev_get_offset_for_vaddr *a)
{
	struct map *m = map_at((uintptr_t)a->vaddr);

	if (!m || m->kind != GNTDEV || m->gmap < 0)
		return refuse(EINVAL);
	a->offset = gmaps[m->gmap].index;
	a->count = gmaps[m->gmap].count;
	return 0;
}

/* One grant copy segment: its status. */
static int16_t copy_segment(struct gntdev_grant_copy_segment *s)
{
	bool to_guest = s->flags & GNTCOPY_dest_gref;
	typeof(s->dest) *gr = to_guest ? &s->dest : &s->source;
	uint32_t ref = gr->foreign.ref;
	uint8_t *frame;
	int e;

	if (gr->foreign.domid != FAKE_XEN_DOMID)
		return GNTST_bad_domain;
	if (ref >= npages || !grants[ref].present)
		return GNTST_bad_gntref;
	if ((e = __atomic_load_n(&fail_ref[ref], __ATOMIC_RELAXED)))
		return GNTST_general_error;
	if (to_guest && grants[ref].readonly)
		return GNTST_permission_denied;
	frame = guest + grants[ref].frame * PAGE + gr->foreign.offset;
	if (to_guest)
		memcpy(frame, s->source.virt, s->len);
	else
		memcpy(s->dest.virt, frame, s->len);
	return GNTST_okay;
}

static int gntdev_copy(struct ioctl_gntdev_grant_copy *a)
{
	st.grant_copies++;
	/* the kernel refuses the whole call for a malformed segment */
	for (unsigned int i = 0; i < a->count; i++) {
		struct gntdev_grant_copy_segment *s = &a->segments[i];
		bool src = s->flags & GNTCOPY_source_gref;
		bool dst = s->flags & GNTCOPY_dest_gref;
		typeof(s->dest) *gr = dst ? &s->dest : &s->source;

		if (src == dst || gr->foreign.offset + s->len > PAGE)
			return refuse(EINVAL);
	}
	for (unsigned int i = 0; i < a->count; i++) {
		a->segments[i].status = copy_segment(&a->segments[i]);
		st.grant_copy_segments++;
	}
	return 0;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	struct dev *d;
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	RESOLVED(real_ioctl);
	if (!guest)
		return real_ioctl(fd, req, arg);
	pthread_mutex_lock(&lock);
	d = dev_of(fd);
	if (!d) {
		pthread_mutex_unlock(&lock);
		return real_ioctl(fd, req, arg);
	}
	if (d->kind == PRIVCMD) {
		switch (req) {
		case IOCTL_PRIVCMD_MMAPBATCH_V2:
			rc = privcmd_batch(d, arg);
			break;
		case IOCTL_PRIVCMD_RESTRICT:
			st.restricts++;
			if (d->restricted >= 0 &&
			    d->restricted != *(domid_t *)arg) {
				rc = refuse(EINVAL);
				break;
			}
			d->restricted = *(domid_t *)arg;
			rc = 0;
			break;
		default:	/* the probe, V1 and the rest */
			errno = ENOTTY;
			rc = -1;
		}
	} else {
		switch (req) {
		case IOCTL_GNTDEV_MAP_GRANT_REF:
			rc = gntdev_map(d, arg);
			break;
		case IOCTL_GNTDEV_UNMAP_GRANT_REF:
			rc = gntdev_unmap(d, arg);
			break;
		case IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR:
			rc = gntdev_offset(arg);
			break;
		case IOCTL_GNTDEV_GRANT_COPY:
			rc = gntdev_copy(arg);
			break;
		default:	/* SET_MAX_GRANTS and the rest */
			errno = ENOTTY;
			rc = -1;
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static void *gntdev_mmap(struct dev *d, size_t len, int prot, int flags,
			 off_t off)
{
	struct gmap *g = gmap_find(d, (uint64_t)off);
	struct map *m = map_new();
	uint8_t *p;

	st.grant_mmaps++;
	if (!g || g->mapped || !(flags & MAP_SHARED) ||
	    len != (size_t)g->count * PAGE || !m) {
		refuse(EINVAL);
		return MAP_FAILED;
	}
	for (uint32_t i = 0; i < g->count; i++) {
		uint32_t ref = g->refs[i];
		int e = ref < npages ? __atomic_load_n(&fail_ref[ref],
						       __ATOMIC_RELAXED) : 0;

		if (e || ref >= npages || !grants[ref].present ||
		    ((prot & PROT_WRITE) && grants[ref].readonly)) {
			refuse(e ? e : EINVAL);
			return MAP_FAILED;
		}
	}
	p = real_mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return p;
	for (uint32_t i = 0; i < g->count; i++)
		if (map_frame((uintptr_t)p + i * PAGE,
			      grants[g->refs[i]].frame, prot)) {
			real_munmap(p, len);
			return MAP_FAILED;
		}
	g->mapped = true;
	*m = (struct map){ (uintptr_t)p, len, prot, GNTDEV,
			   (int)(g - gmaps), true };
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	struct dev *d;
	struct map *m;
	void *p;

	RESOLVED(real_mmap);
	if (fd < 0 || (flags & MAP_ANONYMOUS) || !guest)
		return real_mmap(addr, len, prot, flags, fd, off);
	pthread_mutex_lock(&lock);
	d = dev_of(fd);
	if (!d) {
		pthread_mutex_unlock(&lock);
		return real_mmap(addr, len, prot, flags, fd, off);
	}
	if (d->kind == GNTDEV) {
		p = gntdev_mmap(d, len, prot, flags, off);
	} else {
		/* privcmd: an empty range that the batch ioctl fills */
		st.foreign_mmaps++;
		m = map_new();
		p = MAP_FAILED;
		if (!m || off || !(flags & MAP_SHARED) || !len || len % PAGE)
			refuse(EINVAL);
		else
			p = real_mmap(addr, len, PROT_NONE,
				      MAP_PRIVATE | MAP_ANONYMOUS |
					      (flags & MAP_FIXED), -1, 0);
		if (p != MAP_FAILED)
			*m = (struct map){ (uintptr_t)p, len, prot, PRIVCMD, -1,
					   true };
	}
	pthread_mutex_unlock(&lock);
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
		    off_t off) __attribute__((alias("mmap")));

EXPORT int munmap(void *addr, size_t len)
{
	struct map *m;

	RESOLVED(real_munmap);
	if (!guest)
		return real_munmap(addr, len);
	pthread_mutex_lock(&lock);
	m = map_at((uintptr_t)addr);
	if (m) {
		if (m->len != len) {
			/* a partial unmap: the ledger wants whole ones */
			st.refused++;
		} else {
			m->live = false;
			if (m->kind == PRIVCMD)
				st.foreign_munmaps++;
			else
				st.grant_munmaps++;
			if (m->gmap >= 0)
				gmaps[m->gmap].mapped = false;
		}
	}
	pthread_mutex_unlock(&lock);
	return real_munmap(addr, len);
}
