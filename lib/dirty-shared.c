/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shared dirty log of vhost-user (SET_LOG_BASE, LOG_SHMFD): memory the
 * front end owns, one bit per 4 KiB guest page at absolute GPA, bit
 * (page % 8) of byte page / 8.  Attaching and detaching are cold; the mark
 * (vmm_shared_mark()) is hot and runs inside a read-side section.
 *
 * Publication.  The dirty state (struct vmm_dstate) holds the attached log
 * in an RCU-published pointer.  While one is attached, every registered
 * region has a mark target: its bitmap, flagged slow so that the mark also
 * reaches the shared log, or the state's marker when the internal log is
 * off.  Writers mark inside a read-side section (a snapshot's writer too,
 * see snap_mark()), so replacing or detaching waits for a grace period
 * after unpublishing the old log and only then unmaps it: a write whose
 * mark chose the old log finished marking it.  A write whose data landed
 * after the call returned marks the new one.
 *
 * The front end clears bits while we set them, so every set is an atomic
 * OR with release order, never skipped when the bit looks set: a skipped
 * OR could let the front end clear the bit and copy the page before our
 * data store is visible to it.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHARED_PAGE_SHIFT 12	/* the vhost-user log page, 4 KiB */

struct vmm_shared {
	uint8_t *base;			/* byte 0 of the log */
	uint64_t npages;		/* pages the log covers: 8 per byte */
	uint64_t size;			/* bytes */
	void *map_base;			/* what we munmap (fd logs) */
	size_t map_len;
	uint64_t overflow;		/* atomic: marks beyond the log */
	vmm_mem_log_fn log_fn;		/* the handle's, at attach time */
	void *log_data;
	int log_priority;
};

void vmm_shared_mark(struct vmm_shared *sh, uint64_t gpa, uint64_t len)
{
	uint64_t p = gpa >> SHARED_PAGE_SHIFT;
	uint64_t last = (gpa + (len - 1)) >> SHARED_PAGE_SHIFT;

	if (unlikely(last >= sh->npages)) {
		/* never past the log: count it, say it once */
		if (!__atomic_fetch_add(&sh->overflow, 1, __ATOMIC_RELAXED) &&
		    sh->log_fn && LOG_ERR <= sh->log_priority)
			vmm_log(sh->log_fn, sh->log_data, LOG_ERR, __FILE__,
				__LINE__, __func__,
				"write to GPA 0x%llx is beyond the shared dirty "
				"log of 0x%llx bytes: the front end's log is "
				"too small", (unsigned long long)gpa,
				(unsigned long long)sh->size);
		if (p >= sh->npages)
			return;
		last = sh->npages - 1;
	}
	while (p <= last) {
		uint64_t bit = p & 7, n = 8 - bit;

		if (n > last - p + 1)
			n = last - p + 1;
		__atomic_fetch_or(&sh->base[p >> 3],
				  (uint8_t)(((1u << n) - 1) << bit),
				  __ATOMIC_RELEASE);
		p += n;
	}
}

void vmm_shared_free(struct vmm_shared *sh)
{
	if (!sh)
		return;
	if (sh->map_base)
		munmap(sh->map_base, sh->map_len);
	free(sh);
}

static int shared_map(struct vmm_mem *mem,
		      const struct vmm_mem_dirty_log_shared_desc *d,
		      struct vmm_shared *sh)
{
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE), end, skip;
	struct stat st;
	void *p;

	if (d->fd < 0) {
		if (!d->addr || d->offset) {
			verr(mem, "shared dirty log without an fd needs an "
			     "address and no offset");
			return -EINVAL;
		}
		sh->base = d->addr;
		return 0;
	}
	if (d->addr) {
		verr(mem, "shared dirty log: both an fd and an address");
		return -EINVAL;
	}
	if (__builtin_add_overflow(d->offset, d->size, &end) ||
	    end > (uint64_t)INT64_MAX) {
		verr(mem, "shared dirty log: offset 0x%llx + size 0x%llx "
		     "overflows", (unsigned long long)d->offset,
		     (unsigned long long)d->size);
		return -EOVERFLOW;
	}
	if (fstat(d->fd, &st) < 0) {
		int e = errno;

		verr(mem, "shared dirty log: fstat of fd %d failed: %s", d->fd,
		     strerror(e));
		return -e;
	}
	/* a mapping past a file's end would raise SIGBUS */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < end) {
		verr(mem, "shared dirty log: fd %d has 0x%llx bytes, the log "
		     "needs 0x%llx", d->fd, (unsigned long long)st.st_size,
		     (unsigned long long)end);
		return -EINVAL;
	}
	skip = d->offset & (ps - 1);
	if (d->size > SIZE_MAX - skip)
		return -EOVERFLOW;
	sh->map_len = (size_t)(d->size + skip);
	p = mmap(NULL, sh->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		 (off_t)(d->offset - skip));
	if (p == MAP_FAILED) {
		int e = errno;

		verr(mem, "shared dirty log: mmap of fd %d failed: %s", d->fd,
		     strerror(e));
		return -e;
	}
	sh->map_base = p;
	sh->base = (uint8_t *)p + skip;
	return 0;
}

/* Report what went past a log that is going away (cold). */
static void shared_report(struct vmm_mem *mem, struct vmm_shared *sh)
{
	uint64_t n = __atomic_load_n(&sh->overflow, __ATOMIC_RELAXED);

	if (n)
		verr(mem, "%llu writes went beyond the shared dirty log of "
		     "0x%llx bytes", (unsigned long long)n,
		     (unsigned long long)sh->size);
}

/*
 * Publish @sh (NULL: detach) as mem's shared log and give every region the
 * mark target that goes with it (caller holds mem->lock).  Returns the old
 * log, which no writer reaches once a grace period has passed.
 */
static struct vmm_shared *shared_publish(struct vmm_mem *mem,
					 struct vmm_shared *sh)
{
	struct vmm_dstate *ds = mem->ds;
	struct vmm_shared *old = ds->shared;
	struct vmm_region *r;
	struct vmm_dirty *d;

	pthread_mutex_lock(&ds->lock);
	vmm_rcu_assign(ds->shared, sh);
	if (!old != !sh) {
		/* the bitmaps' marks take the slow path while a log is on */
		for (d = ds->list; d; d = d->list_next)
			__atomic_store_n(&d->slow, sh != NULL,
					 __ATOMIC_RELAXED);
		/* regions without a bitmap get the marker, or lose it */
		for (r = ds->regions; r; r = r->ds_next) {
			if (sh && !r->dirty)
				vmm_rcu_assign(r->dirty, ds->marker);
			else if (!sh && r->dirty == ds->marker)
				vmm_rcu_assign(r->dirty, NULL);
		}
	}
	pthread_mutex_unlock(&ds->lock);
	return old;
}

VMM_EXPORT int vmm_mem_dirty_log_attach(
	vmm_mem_t *mem, const struct vmm_mem_dirty_log_shared_desc *desc,
	size_t desc_size)
{
	struct vmm_mem_dirty_log_shared_desc d;
	struct vmm_shared *sh, *old;
	int rc;

	if (!mem || !desc || desc_size < VMM_MEM_DIRTY_LOG_SHARED_DESC_SIZE_VER0)
		return -EINVAL;
	if (!mem->ds)
		return -EOPNOTSUPP;
	rc = vmm_struct_in(&d, sizeof(d), desc, desc_size);
	if (rc)
		return rc;
	if (d.flags || d.size == 0)
		return -EINVAL;
	if (d.size > SIZE_MAX)
		return -EOVERFLOW;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	rc = shared_map(mem, &d, sh);
	if (rc) {
		free(sh);
		return rc;
	}
	sh->size = d.size;
	sh->npages = d.size > UINT64_MAX / 8 ? UINT64_MAX : d.size * 8;
	sh->log_fn = __atomic_load_n(&mem->log_fn, __ATOMIC_ACQUIRE);
	sh->log_data = __atomic_load_n(&mem->log_data, __ATOMIC_ACQUIRE);
	sh->log_priority = __atomic_load_n(&mem->log_priority,
					   __ATOMIC_RELAXED);
	pthread_mutex_lock(&mem->lock);
	old = shared_publish(mem, sh);
	/* every write that may still mark the old log, or saw none, is over
	 * (its data visible) when the call returns */
	vmm_synchronize();
	vmm_table_free_retired(mem);
	pthread_mutex_unlock(&mem->lock);
	if (old) {
		shared_report(mem, old);
		vmm_shared_free(old);
	}
	vdbg(mem, "shared dirty log of 0x%llx bytes attached",
	     (unsigned long long)d.size);
	return 0;
}

VMM_EXPORT int vmm_mem_dirty_log_detach(vmm_mem_t *mem)
{
	struct vmm_shared *old;

	if (!mem)
		return -EINVAL;
	if (!mem->ds)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&mem->lock);
	if (!mem->ds->shared) {
		pthread_mutex_unlock(&mem->lock);
		return -ENOENT;
	}
	old = shared_publish(mem, NULL);
	vmm_synchronize();
	vmm_table_free_retired(mem);
	pthread_mutex_unlock(&mem->lock);
	shared_report(mem, old);
	vmm_shared_free(old);
	return 0;
}

VMM_EXPORT int vmm_mem_dirty_log_overflow(vmm_mem_t *mem, uint64_t *count)
{
	int rc = 0;

	if (!mem || !count)
		return -EINVAL;
	if (!mem->ds)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&mem->lock);
	if (mem->ds->shared)
		*count = __atomic_load_n(&mem->ds->shared->overflow,
					 __ATOMIC_RELAXED);
	else
		rc = -ENOENT;
	pthread_mutex_unlock(&mem->lock);
	return rc;
}

/* The handle's last reference: detach, so that regions it leaves behind
 * (pinned by mappings or snapshots) stop writing into the caller's log. */
void vmm_shared_detach_final(struct vmm_mem *mem)
{
	struct vmm_shared *old;

	if (!mem->ds || !mem->ds->shared)
		return;
	old = shared_publish(mem, NULL);
	vmm_synchronize();
	vmm_shared_free(old);
}
