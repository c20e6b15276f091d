/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mmap backend (cold): anonymous memory, file descriptors (regular
 * files, memfds, hugetlbfs, devices) and host mappings made by the caller.
 * Every region it makes has a host address for all of its bytes.
 */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

/* The default huge page size from /proc/meminfo, or 0 if unknown. */
static uint64_t default_huge_page_size(void)
{
	char line[128];
	unsigned long long kb;
	uint64_t r = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %llu kB", &kb) == 1) {
			r = (uint64_t)kb * 1024;
			break;
		}
	fclose(f);
	return r;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static int map_anon(struct vmm_mem *mem, const struct vmm_mem_region_desc *d,
		    struct vmm_region *r, int prot)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	uint64_t align = vmm_host_page_size();
	void *p;

	if (d->flags & VMM_MEM_REGION_HUGETLB) {
		uint64_t hps = d->huge_page_size;

		if (hps && (!is_pow2(hps) || hps < align)) {
			verr(mem, "huge page size 0x%llx is not a power of two "
			     "above the page size", (unsigned long long)hps);
			return -EINVAL;
		}
		if (!hps) {
			hps = default_huge_page_size();
			if (!hps) {
				verr(mem, "this host has no huge pages");
				return -EOPNOTSUPP;
			}
		}
		if (d->size % hps) {
			verr(mem, "size 0x%llx is not a multiple of the huge "
			     "page size 0x%llx", (unsigned long long)d->size,
			     (unsigned long long)hps);
			return -EINVAL;
		}
		if (d->huge_page_size) {
			char path[96];

			snprintf(path, sizeof(path),
				 "/sys/kernel/mm/hugepages/hugepages-%llukB",
				 (unsigned long long)(hps >> 10));
			if (access(path, F_OK)) {
				verr(mem, "this host has no huge pages of 0x%llx "
				     "bytes", (unsigned long long)hps);
				return -EOPNOTSUPP;
			}
			/* log2 of the size in bits 26..31 of the flags */
			flags |= (int)((unsigned int)__builtin_ctzll(hps)
				       << MAP_HUGE_SHIFT);
		}
		/* No MAP_NORESERVE: a lack of huge pages fails here. */
		flags |= MAP_HUGETLB;
		r->huge_page_size = hps;
		align = hps;
	} else {
		flags |= MAP_NORESERVE;
	}
	if (d->flags & VMM_MEM_REGION_POPULATE)
		flags |= MAP_POPULATE;
	r->page_size = align;
	r->map_len = (size_t)((d->size + align - 1) & ~(align - 1));
	p = mmap(NULL, r->map_len, prot, flags, -1, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		verr(mem, "mmap of 0x%zx anonymous bytes%s failed: %s",
		     r->map_len, (flags & MAP_HUGETLB) ? " (huge pages)" : "",
		     strerror(e));
		return -e;
	}
	r->map_base = p;
	r->hva = p;
	return 0;
}

static int map_fd(struct vmm_mem *mem, const struct vmm_mem_region_desc *d,
		  struct vmm_region *r, int prot)
{
	int flags = (d->flags & VMM_MEM_REGION_PRIVATE) ? MAP_PRIVATE : MAP_SHARED;
	uint64_t align = vmm_host_page_size();
	struct statfs sfs;
	struct stat st;
	void *p;

	/* fstat and fstatfs never move the file position. */
	if (fstat(d->fd, &st) < 0) {
		int e = errno;

		verr(mem, "fstat of fd %d failed: %s", d->fd, strerror(e));
		return -e;
	}
	/* Sockets, pipes and directories hold no memory: a socket may even
	 * accept mmap(2) and then raise SIGBUS at the first access. */
	if (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode) ||
	    S_ISDIR(st.st_mode)) {
		verr(mem, "fd %d is a %s, which cannot back guest memory",
		     d->fd, S_ISSOCK(st.st_mode) ? "socket" :
			    S_ISFIFO(st.st_mode) ? "pipe or FIFO" : "directory");
		return -ENODEV;
	}
	/* Regular files and block devices have a size to hold the region;
	 * mmap(2) checks neither, and an access past the end is SIGBUS. */
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		uint64_t have = (uint64_t)st.st_size;

		if (S_ISBLK(st.st_mode) && ioctl(d->fd, BLKGETSIZE64, &have)) {
			int e = errno;

			verr(mem, "cannot get the size of block device fd %d: "
			     "%s", d->fd, strerror(e));
			return -e;
		}
		if (have < d->fd_offset + d->size) {
			verr(mem, "%s of fd %d has 0x%llx bytes, the region "
			     "needs 0x%llx",
			     S_ISBLK(st.st_mode) ? "block device" : "file",
			     d->fd, (unsigned long long)have,
			     (unsigned long long)(d->fd_offset + d->size));
			return -EINVAL;
		}
	}
	if (fstatfs(d->fd, &sfs) == 0 &&
	    (unsigned long)sfs.f_type == (unsigned long)HUGETLBFS_MAGIC) {
		uint64_t hps = (uint64_t)sfs.f_bsize;

		if (!is_pow2(hps) || d->size % hps || d->fd_offset % hps) {
			verr(mem, "hugetlbfs region: size 0x%llx and offset "
			     "0x%llx must be multiples of the huge page size "
			     "0x%llx", (unsigned long long)d->size,
			     (unsigned long long)d->fd_offset,
			     (unsigned long long)hps);
			return -EINVAL;
		}
		r->huge_page_size = hps;
		r->flags |= VMM_MEM_REGION_HUGETLB;
		align = hps;
	} else {
		flags |= MAP_NORESERVE;
	}
	if (d->flags & VMM_MEM_REGION_POPULATE)
		flags |= MAP_POPULATE;
	r->fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 3);
	if (r->fd < 0) {
		int e = errno;

		verr(mem, "cannot duplicate fd %d: %s", d->fd, strerror(e));
		return -e;
	}
	r->page_size = align;
	r->map_len = (size_t)((d->size + align - 1) & ~(align - 1));
	p = mmap(NULL, r->map_len, prot, flags, r->fd, (off_t)d->fd_offset);
	if (p == MAP_FAILED) {
		int e = errno;

		verr(mem, "mmap of fd %d (0x%zx bytes at offset 0x%llx) "
		     "failed: %s", d->fd, r->map_len,
		     (unsigned long long)d->fd_offset, strerror(e));
		close(r->fd);
		r->fd = -1;
		return -e;
	}
	r->map_base = p;
	r->hva = p;
	return 0;
}

static int prot_of(const struct vmm_mem_region_desc *d)
{
	return (d->flags & VMM_MEM_REGION_READONLY) ? PROT_READ :
						      PROT_READ | PROT_WRITE;
}

static int create_anon(struct vmm_mem *mem, const struct vmm_mem_region_desc *d,
		       struct vmm_region *r)
{
	return map_anon(mem, d, r, prot_of(d));
}

static int check_fd(struct vmm_mem *mem, const struct vmm_mem_region_desc *d)
{
	uint64_t end;

	if (d->fd < 0) {
		verr(mem, "FD region without a file descriptor");
		return -EINVAL;
	}
	if (d->fd_offset % vmm_host_page_size()) {
		verr(mem, "file offset 0x%llx is not page-aligned",
		     (unsigned long long)d->fd_offset);
		return -EINVAL;
	}
	if (__builtin_add_overflow(d->fd_offset, d->size, &end) ||
	    end > (uint64_t)INT64_MAX) {
		verr(mem, "file offset 0x%llx + size 0x%llx overflows",
		     (unsigned long long)d->fd_offset,
		     (unsigned long long)d->size);
		return -EOVERFLOW;
	}
	return 0;
}

static int create_fd(struct vmm_mem *mem, const struct vmm_mem_region_desc *d,
		     struct vmm_region *r)
{
	return map_fd(mem, d, r, prot_of(d));
}

/* Anonymous and file mappings the library made. */
static void unmap_owned(struct vmm_region *r)
{
	munmap(r->map_base, r->map_len);
}

static int check_host(struct vmm_mem *mem, const struct vmm_mem_region_desc *d)
{
	if (!d->hva || (uintptr_t)d->hva % vmm_host_page_size()) {
		verr(mem, "host mapping %p is NULL or not page-aligned", d->hva);
		return -EINVAL;
	}
	if ((uint64_t)UINTPTR_MAX - (uintptr_t)d->hva < d->size - 1) {
		verr(mem, "host mapping %p + 0x%llx wraps", d->hva,
		     (unsigned long long)d->size);
		return -EOVERFLOW;
	}
	return 0;
}

static int create_host(struct vmm_mem *mem,
		       const struct vmm_mem_region_desc *d,
		       struct vmm_region *r)
{
	r->hva = d->hva;
	r->page_size = vmm_host_page_size();
	return 0;
}

/* The caller's mapping stays the caller's. */
static void keep_host(struct vmm_region *r)
{
}

const struct vmm_backend_ops vmm_backend_anon = {
	.name = "anonymous",
	.flags = VMM_MEM_REGION_READONLY | VMM_MEM_REGION_HUGETLB |
		 VMM_MEM_REGION_POPULATE,
	.create = create_anon,
	.destroy = unmap_owned,
};

const struct vmm_backend_ops vmm_backend_fd = {
	.name = "file",
	.flags = VMM_MEM_REGION_READONLY | VMM_MEM_REGION_PRIVATE |
		 VMM_MEM_REGION_POPULATE,
	.fields = VMM_FIELD_FD_OFFSET,
	.check = check_fd,
	.create = create_fd,
	.destroy = unmap_owned,
};

const struct vmm_backend_ops vmm_backend_host = {
	.name = "host mapping",
	.flags = VMM_MEM_REGION_READONLY,
	.fields = VMM_FIELD_HVA | VMM_FIELD_RELEASE,
	.check = check_host,
	.create = create_host,
	.destroy = keep_host,
};
