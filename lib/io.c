/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Transfers between guest memory and file descriptors: readv/preadv/writev/
 * pwritev straight over the per-region fragments, with the regions pinned so
 * that a blocking call never holds the RCU read side and a concurrent
 * hot-remove stays safe.
 */
#include "backend.h"

#include <errno.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Fragments per system call, and bytes per call (Linux's MAX_RW_COUNT). */
#define PIN_MAX 64
#define CALL_MAX ((uint64_t)0x7ffff000)
/* Bytes of a region mapped on demand per fragment (the rest follows in
 * the next call, or the next round of the _exact variants). */
#define DEMAND_MAX ((uint64_t)1 << 20)

struct pins {
	size_t n;
	uint64_t gpa;
	uint64_t len;
	struct vmm_region *r[PIN_MAX];
	void *cookie[PIN_MAX];	/* backend pins of regions mapped on demand */
	struct iovec iov[PIN_MAX];
};

/*
 * Pin the fragments of [gpa, gpa+len) that are backed contiguously from gpa
 * (and writable when @to_guest), at most PIN_MAX of them and CALL_MAX bytes.
 * Returns 0 with p->len > 0, or -EFAULT / -EACCES when gpa itself fails.
 */
static int pin(struct vmm_mem *mem, uint64_t gpa, uint64_t len, bool to_guest,
	       struct pins *p)
{
	const struct vmm_table *t;
	ssize_t i;
	uint64_t cur = gpa;
	int rc = 0;

	p->n = 0;
	p->gpa = gpa;
	p->len = 0;
	len = MIN(len, CALL_MAX);
	vmm_read_lock();
	t = vmm_table_get(mem);
	i = vmm_find(t, gpa);
	if (i < 0) {
		rc = vmm_fault(t, gpa, len, to_guest ? VMM_MEM_IOTLB_WRITE :
						       VMM_MEM_IOTLB_READ);
		goto out;
	}
	while (p->len < len && p->n < PIN_MAX) {
		struct vmm_region *r = t->slot[i].r;
		uint64_t c;

		/* read-only regions refuse writes, a view's write-only
		 * translations reads: at @gpa an error, later the end */
		if (to_guest ? (r->flags & VMM_MEM_REGION_READONLY) != 0 :
			       r->noread) {
			if (p->n == 0)
				rc = -EACCES;
			break;
		}
		c = MIN(len - p->len, r->last - cur + 1);
		p->cookie[p->n] = NULL;
		if (r->hva) {
			p->iov[p->n].iov_base = r->hva + (cur - r->gpa);
		} else {
			int e = -EOPNOTSUPP;

			c = MIN(c, DEMAND_MAX);
			if (r->ops->pin)
				e = r->ops->pin(r, cur - r->gpa, c, to_guest,
						&p->iov[p->n].iov_base,
						&p->cookie[p->n]);
			if (e) {
				if (p->n == 0)
					rc = e;
				break;
			}
		}
		vmm_region_get(r);
		p->r[p->n] = r;
		p->iov[p->n].iov_len = (size_t)c;
		p->n++;
		p->len += c;
		cur += c;
		if (p->len == len || (size_t)i + 1 >= t->n ||
		    t->start[i + 1] != cur)
			break;
		i++;
	}
out:
	vmm_read_unlock();
	return rc;
}

/* Mark the first @n bytes as written, then drop the pins. */
static void unpin(struct pins *p, uint64_t n, bool to_guest)
{
	size_t k;

	if (to_guest)
		vmm_mark_frags(p->r, p->iov, p->n, p->gpa, n);
	for (k = 0; k < p->n; k++) {
		if (p->cookie[k])
			p->r[k]->ops->unpin(p->r[k], p->cookie[k]);
		vmm_region_put(p->r[k]);
	}
	p->n = 0;
}

/* One system call over the pinned fragments; EINTR is retried. */
static ssize_t xfer(int fd, struct pins *p, bool to_guest, bool positioned,
		    uint64_t offset)
{
	ssize_t n;

	do {
		if (to_guest)
			n = positioned ? preadv(fd, p->iov, (int)p->n,
						(off_t)offset) :
					 readv(fd, p->iov, (int)p->n);
		else
			n = positioned ? pwritev(fd, p->iov, (int)p->n,
						 (off_t)offset) :
					 writev(fd, p->iov, (int)p->n);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int check_args(struct vmm_mem *mem, uint64_t gpa, int fd, uint64_t len,
		      bool positioned, uint64_t offset)
{
	if (!mem)
		return -EINVAL;
	if (fd < 0)
		return -EBADF;
	if (vmm_wraps(gpa, len))
		return -EOVERFLOW;
	if (positioned && (offset > (uint64_t)INT64_MAX ||
			   len > (uint64_t)INT64_MAX - offset))
		return -EOVERFLOW;
	return 0;
}

static ssize_t once(struct vmm_mem *mem, uint64_t gpa, int fd, uint64_t len,
		    bool to_guest, bool positioned, uint64_t offset)
{
	struct pins p;
	ssize_t n;
	int rc;

	rc = check_args(mem, gpa, fd, len, positioned, offset);
	if (rc)
		return rc;
	if (len == 0)
		return 0;
	rc = pin(mem, gpa, len, to_guest, &p);
	if (rc)
		return rc;
	n = xfer(fd, &p, to_guest, positioned, offset);
	unpin(&p, n > 0 ? (uint64_t)n : 0, to_guest);
	return n;
}

VMM_EXPORT ssize_t vmm_mem_read_from_fd(vmm_mem_t *mem, uint64_t gpa, int fd,
					uint64_t len)
{
	return once(mem, gpa, fd, len, true, false, 0);
}

VMM_EXPORT ssize_t vmm_mem_write_to_fd(vmm_mem_t *mem, uint64_t gpa, int fd,
				       uint64_t len)
{
	return once(mem, gpa, fd, len, false, false, 0);
}

VMM_EXPORT ssize_t vmm_mem_pread_from_fd(vmm_mem_t *mem, uint64_t gpa, int fd,
					 uint64_t len, uint64_t offset)
{
	return once(mem, gpa, fd, len, true, true, offset);
}

VMM_EXPORT ssize_t vmm_mem_pwrite_to_fd(vmm_mem_t *mem, uint64_t gpa, int fd,
					uint64_t len, uint64_t offset)
{
	return once(mem, gpa, fd, len, false, true, offset);
}

static int all(struct vmm_mem *mem, uint64_t gpa, int fd, uint64_t len,
	       bool to_guest, bool positioned, uint64_t offset, uint64_t *done)
{
	uint64_t got = 0;
	ssize_t i;
	int rc;

	if (done)
		*done = 0;
	rc = check_args(mem, gpa, fd, len, positioned, offset);
	if (rc || len == 0)
		return rc;
	/* All or nothing on the address range: validate before any I/O. */
	vmm_read_lock();
	i = vmm_range_check(vmm_table_get(mem), gpa, len, to_guest);
	vmm_read_unlock();
	if (i < 0)
		return (int)i;

	while (got < len) {
		struct pins p;
		ssize_t n;

		/* A concurrent hot-remove may have opened a hole since. */
		rc = pin(mem, gpa + got, len - got, to_guest, &p);
		if (rc)
			break;
		n = xfer(fd, &p, to_guest, positioned, offset + got);
		unpin(&p, n > 0 ? (uint64_t)n : 0, to_guest);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0) {
			rc = to_guest ? -ENODATA : -EPIPE;
			break;
		}
		got += (uint64_t)n;
	}
	if (done)
		*done = got;
	return rc;
}

VMM_EXPORT int vmm_mem_read_exact_from_fd(vmm_mem_t *mem, uint64_t gpa, int fd,
					  uint64_t len, uint64_t *done)
{
	return all(mem, gpa, fd, len, true, false, 0, done);
}

VMM_EXPORT int vmm_mem_write_all_to_fd(vmm_mem_t *mem, uint64_t gpa, int fd,
				       uint64_t len, uint64_t *done)
{
	return all(mem, gpa, fd, len, false, false, 0, done);
}

VMM_EXPORT int vmm_mem_pread_exact_from_fd(vmm_mem_t *mem, uint64_t gpa,
					   int fd, uint64_t len,
					   uint64_t offset, uint64_t *done)
{
	return all(mem, gpa, fd, len, true, true, offset, done);
}

VMM_EXPORT int vmm_mem_pwrite_all_to_fd(vmm_mem_t *mem, uint64_t gpa, int fd,
					uint64_t len, uint64_t offset,
					uint64_t *done)
{
	return all(mem, gpa, fd, len, false, true, offset, done);
}
