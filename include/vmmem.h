/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmmem.h - libvmmem, safe and fast access to a virtual machine's guest
 * physical memory from a virtual machine monitor (VMM).
 *
 * libvmmem is the C, stable-ABI counterpart of the Rust crate vm-memory
 * (rust-vmm) 0.14.1.  A guest memory is an opaque handle, vmm_mem_t, holding a
 * sorted set of non-overlapping regions.  Each region maps a range of guest
 * physical addresses (GPA) onto a host virtual address (HVA) range of this
 * process: anonymous memory, a file descriptor (memfd, regular file, device),
 * hugetlbfs, or a mapping the caller made itself.
 *
 * Conventions, valid for every function below unless its comment says
 * otherwise:
 *
 *  - Functions return 0 or a non-negative count on success and a negative
 *    errno value on failure.  They never print, never abort on bad input, and
 *    never set errno as their way of reporting.  A failed call changes
 *    nothing: no partial table update, no leaked mapping or file descriptor.
 *    The data calls that document a partial count (vmm_mem_read(),
 *    vmm_mem_write(), the non-exact fd transfers) are the only ones that may
 *    have transferred a prefix, and they say how much.
 *  - Guest addresses, guest range lengths and file offsets are uint64_t.  A
 *    range [gpa, gpa + len) whose last byte would lie beyond 2^64 - 1 is
 *    -EOVERFLOW (a range ending exactly at 2^64 is merely unbacked, since no
 *    region includes GPA 2^64 - 1).  Host buffer lengths are
 *    size_t.  Lengths are in bytes unless a name says pages.
 *  - -EINVAL: NULL handle or pointer, unknown flag, bad size or order.
 *    -EFAULT: the guest address is not backed by any region.
 *    -EACCES: a write to a read-only region (on an IOVA view also a read
 *    through a write-only translation).
 *    -ENXIO: on an IOVA view (since 1.2), an address the IOTLB has no
 *    translation for: every access and translation call on a view says
 *    -ENXIO where a guest memory says -EFAULT (see vmm_mem_new_iova_view()).
 *  - Thread safety: every access and query may run at the same time as
 *    vmm_mem_add_region() and vmm_mem_remove_region() from other threads.
 *    Readers never block and never touch a region after it was unmapped:
 *    the region table is published through RCU (liburcu-bp; callers need no
 *    thread registration).  Each access sees one consistent table: the one
 *    before or the one after a concurrent hot-plug, never a mix.  Adding and
 *    removing regions serialise on an internal mutex.
 *  - A caller's buffer may lie in guest memory, even overlapping the guest
 *    range it is copied to or from, within one region or across several:
 *    every read and write (vmm_mem_read(), vmm_mem_write(), the exact calls
 *    and their snapshot twins) has memmove() semantics, the whole source
 *    read as if before any byte is written.  Across regions such an overlap
 *    goes through a bounce buffer of the access's length (-ENOMEM if it
 *    cannot be had; nothing is copied then).
 *  - Structures crossing the ABI are passed with their size (the kernel's
 *    openat2/clone3 rule): a caller built against an older, smaller version
 *    is accepted; a larger one is accepted only if the part this library does
 *    not know is all zero (else -E2BIG).
 *
 * Every function has a manual page, vmm_mem_FUNCTION(3); libvmmem(7) is the
 * overview.  Build with: cc app.c $(pkg-config --cflags --libs libvmmem)
 */
#ifndef VMMEM_H
#define VMMEM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define VMM_MEM_EXPORT __attribute__((visibility("default")))
#else
#define VMM_MEM_EXPORT
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

/** Compile-time version of this header. */
#define VMM_MEM_VERSION_MAJOR 1
#define VMM_MEM_VERSION_MINOR 2
#define VMM_MEM_VERSION_MICRO 0
/** (major << 16) | (minor << 8) | micro, comparable with vmm_mem_version(). */
#define VMM_MEM_VERSION \
	((VMM_MEM_VERSION_MAJOR << 16) | (VMM_MEM_VERSION_MINOR << 8) | \
	 VMM_MEM_VERSION_MICRO)

/**
 * vmm_mem_version - run-time version of the loaded library.
 *
 * Returns (major << 16) | (minor << 8) | micro of the library actually loaded,
 * to compare with VMM_MEM_VERSION.  Never fails.  Thread-safe.
 */
VMM_MEM_EXPORT unsigned int vmm_mem_version(void);

/**
 * vmm_mem_version_string - run-time version as a string, e.g. "1.0.0".
 *
 * Returns a static string; never NULL.  Thread-safe.
 */
VMM_MEM_EXPORT const char *vmm_mem_version_string(void);

/* ------------------------------------------------------------------------ */
/* Handle                                                                    */
/* ------------------------------------------------------------------------ */

/** A guest physical address space: a set of non-overlapping regions. */
typedef struct vmm_mem vmm_mem_t;

/**
 * vmm_mem_new - create an empty guest memory (vm-memory:
 * GuestMemoryMmap::new() wrapped in GuestMemoryAtomic).
 * @out: receives the new handle, with a reference count of 1.
 *
 * Returns 0, -EINVAL (@out NULL) or -ENOMEM.
 */
VMM_MEM_EXPORT int vmm_mem_new(vmm_mem_t **out);

/**
 * vmm_mem_ref - take a reference.  Returns @mem (NULL stays NULL).
 * The count is atomic: any thread may ref and unref.
 */
VMM_MEM_EXPORT vmm_mem_t *vmm_mem_ref(vmm_mem_t *mem);

/**
 * vmm_mem_unref - drop a reference; the last one unmaps every region the
 * library mapped, closes the file descriptors it duplicated and frees the
 * handle.  Accepts NULL.  Always returns NULL.  Mappings obtained with
 * vmm_mem_map() keep their regions alive until vmm_mem_unmap().
 */
VMM_MEM_EXPORT vmm_mem_t *vmm_mem_unref(vmm_mem_t *mem);

/* ------------------------------------------------------------------------ */
/* Diagnostics                                                               */
/* ------------------------------------------------------------------------ */

/**
 * vmm_mem_log_fn - a log callback.  @priority is a syslog(3) priority
 * (LOG_ERR = 3 ... LOG_DEBUG = 7); @file, @line and @fn name the place in the
 * library; @format and @args are printf-style.  The callback may run in any
 * thread that calls into the library, possibly inside an RCU read-side
 * section: it must not call back into libvmmem.
 */
typedef void (*vmm_mem_log_fn)(void *data, int priority, const char *file,
			       int line, const char *fn, const char *format,
			       va_list args);

/**
 * vmm_mem_set_log_fn - route the library's explanations of failures (a
 * refused mmap, an overlap, a short file ...) to @fn.  By default the
 * library prints nothing.  @fn NULL turns logging off.
 *
 * Returns 0 or -EINVAL (@mem NULL).  Set it before sharing the handle
 * between threads.
 */
VMM_MEM_EXPORT int vmm_mem_set_log_fn(vmm_mem_t *mem, vmm_mem_log_fn fn,
				      void *data);

/**
 * vmm_mem_set_log_priority / vmm_mem_get_log_priority - messages with a
 * priority above @priority are dropped.  The default is LOG_ERR (3); the
 * range is 0 (LOG_EMERG) to 7 (LOG_DEBUG).  set returns 0 or -EINVAL; get
 * returns the priority or -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_set_log_priority(vmm_mem_t *mem, int priority);
VMM_MEM_EXPORT int vmm_mem_get_log_priority(const vmm_mem_t *mem);

/* ------------------------------------------------------------------------ */
/* Guest address arithmetic                                                  */
/* ------------------------------------------------------------------------ */

/*
 * vm-memory's GuestAddress operations that can fail.  The rest (new, raw
 * value, comparison, mask, &, |, unchecked add/sub, which wrap) are the C
 * operators on uint64_t.  All three are pure functions: thread-safe, no
 * handle.
 */

/** vmm_mem_gpa_add - *@out = @gpa + @n (vm-memory: checked_add).
 *  Returns 0, -EOVERFLOW (the sum passes 2^64; *@out untouched) or -EINVAL
 *  (@out NULL). */
VMM_MEM_EXPORT int vmm_mem_gpa_add(uint64_t gpa, uint64_t n, uint64_t *out);

/** vmm_mem_gpa_sub - *@out = @gpa - @base (vm-memory: checked_sub,
 *  checked_offset_from).  Returns 0, -EOVERFLOW (@base > @gpa) or -EINVAL. */
VMM_MEM_EXPORT int vmm_mem_gpa_sub(uint64_t gpa, uint64_t base,
				   uint64_t *out);

/** vmm_mem_gpa_align_up - round @gpa up to a multiple of @align, a power of
 *  two (vm-memory: checked_align_up).  Returns 0, -EINVAL (@align 0 or not
 *  a power of two, where vm-memory panics; or @out NULL) or -EOVERFLOW (the
 *  result would be 2^64). */
VMM_MEM_EXPORT int vmm_mem_gpa_align_up(uint64_t gpa, uint64_t align,
					uint64_t *out);

/* ------------------------------------------------------------------------ */
/* Regions                                                                   */
/* ------------------------------------------------------------------------ */

/** Region types (struct vmm_mem_region_desc.type). */
enum vmm_mem_region_type {
	/** Anonymous memory mapped by the library (MAP_PRIVATE|MAP_ANONYMOUS,
	 *  MAP_NORESERVE unless HUGETLB). */
	VMM_MEM_REGION_ANON = 0,
	/** @fd mapped at @fd_offset (MAP_SHARED, or MAP_PRIVATE with
	 *  VMM_MEM_REGION_PRIVATE).  A file on hugetlbfs is detected. */
	VMM_MEM_REGION_FD = 1,
	/** A host mapping the caller made (@hva); never unmapped by the
	 *  library. */
	VMM_MEM_REGION_HOST = 2,
	/** Xen foreign mapping of domain @domid (libvmmem-xen only): frame
	 *  @gpa / 4096 + i is page i, all mapped at creation. */
	VMM_MEM_REGION_XEN_FOREIGN = 3,
	/** Xen grant mapping of domain @domid (libvmmem-xen only): grant
	 *  reference (@gpa without bit 63) / 4096 + i is page i, mapped at
	 *  creation or, with VMM_MEM_REGION_NO_ADVANCE_MAP, per access. */
	VMM_MEM_REGION_XEN_GRANT = 4,
};

/** Region flags (struct vmm_mem_region_desc.flags). */
/** The guest memory refuses every write to the region (-EACCES); mapped
 *  PROT_READ. */
#define VMM_MEM_REGION_READONLY (1u << 0)
/** FD regions: MAP_PRIVATE (copy-on-write) instead of MAP_SHARED. */
#define VMM_MEM_REGION_PRIVATE (1u << 1)
/** ANON regions: back with huge pages (MAP_HUGETLB).  Size must be a
 *  multiple of the huge page size (@huge_page_size, 0 = the system default);
 *  no MAP_NORESERVE, so a lack of free huge pages fails at creation
 *  (-ENOMEM) rather than with SIGBUS later. */
#define VMM_MEM_REGION_HUGETLB (1u << 2)
/** Populate the mapping at creation (MAP_POPULATE). */
#define VMM_MEM_REGION_POPULATE (1u << 3)
/** Xen grant regions: map nothing at creation; each access maps only the
 *  pages it touches (byte copies use the hypervisor's grant copy) and
 *  releases them before it returns.  Such a region has no host address. */
#define VMM_MEM_REGION_NO_ADVANCE_MAP (1u << 4)
/** All flags this version knows. */
#define VMM_MEM_REGION_FLAGS_ALL (0x1fu)

/**
 * struct vmm_mem_region_desc - what vmm_mem_add_region() creates.
 * Zero it first (memset or "= {0}"), set what applies, pass its sizeof.
 */
struct vmm_mem_region_desc {
	uint32_t type;		/* enum vmm_mem_region_type */
	uint32_t flags;		/* VMM_MEM_REGION_* */
	uint64_t gpa;		/* first guest physical address */
	uint64_t size;		/* bytes; > 0; gpa + size <= 2^64 - 1 */
	int32_t fd;		/* FD: the file; Xen: a /dev/xen/privcmd
				   (FOREIGN) or /dev/xen/gntdev (GRANT)
				   descriptor, or -1 for the library's own
				   handles (duplicated either way) */
	uint32_t domid;		/* Xen: the domain */
	uint64_t fd_offset;	/* FD: page-aligned offset in the file */
	void *hva;		/* HOST: page-aligned start of the mapping */
	uint64_t vua;		/* optional VMM user address (vhost-user);
				   recorded and reported, 0 = none */
	uint64_t huge_page_size;/* HUGETLB: 0 = default huge page size */
	/* since 1.2 */
	/* HOST: optional; called exactly once, with @release_data, @hva and
	 * @size, when the library will never touch the mapping again: after
	 * the region was removed (or the memory dropped) and the last
	 * snapshot, mapping, pinned transfer and IOVA translation that listed
	 * it let go.  It runs in the thread that let go last, possibly inside
	 * vmm_mem_remove_region() or vmm_mem_unref() with the memory's
	 * internal lock held: it may munmap(2) and close(2), but must not
	 * call libvmmem functions that change a memory (add, remove, log
	 * start/stop/attach/detach, IOTLB updates).  Not called when adding
	 * the region fails.  Must be NULL for other types (-EINVAL). */
	void (*release)(void *data, void *hva, uint64_t size);
	void *release_data;
};
/** Size of the first version of struct vmm_mem_region_desc. */
#define VMM_MEM_REGION_DESC_SIZE_VER0 \
	(offsetof(struct vmm_mem_region_desc, huge_page_size) + sizeof(uint64_t))

/*
 * Xen regions (libvmmem-xen).  Every function works on them, with these
 * differences:
 *  - FOREIGN and GRANT mapped in advance have a host address for all of
 *    their bytes: they behave as FD regions do, fast paths included.
 *  - GRANT with NO_ADVANCE_MAP has no host address.  vmm_mem_get_host_address(),
 *    vmm_mem_get_slice() and vmm_mem_get_slices() return -EOPNOTSUPP.
 *    vmm_mem_read(), _write(), the _exact variants, vmm_mem_fill() and
 *    vmm_mem_copy() move bytes with the hypervisor's grant copy (one
 *    segment per 4 KiB page, each segment's status checked), mapping
 *    nothing; vmm_mem_load()/_store() map the one page for the access; the
 *    fd transfers map at most 1 MiB of such a region per system call; a
 *    vmm_mem_map() mapping maps its pages until vmm_mem_unmap().  All of
 *    them unmap what they mapped before they return.  A hypervisor
 *    failure part-way returns its errno (-EACCES for a permission the grant
 *    lacks, -EIO otherwise, or the device call's errno) with nothing left
 *    mapped; the pages that landed before it are dirty-logged, the others
 *    are not, and the exact variants are then not all or nothing.  Writes
 *    to a READONLY region are refused with -EACCES before any device call.
 *  - The snapshot calls behave as the handle's.
 */

/**
 * vmm_mem_add_region - hot-add a region (vm-memory: GuestRegionMmap::new +
 * GuestMemoryMmap::insert_region, published like GuestMemoryAtomic::lock()
 * + replace()).
 * @mem: the guest memory.
 * @desc: the region; @desc_size: sizeof(*desc) as the caller knows it.
 *
 * Validation, before anything is mapped:
 *  - @desc NULL, @desc_size below VMM_MEM_REGION_DESC_SIZE_VER0: -EINVAL;
 *    @desc_size above sizeof(struct vmm_mem_region_desc) with a non-zero
 *    byte beyond it: -E2BIG;
 *  - flags per type: ANON takes READONLY, HUGETLB, POPULATE; FD takes
 *    READONLY, PRIVATE, POPULATE (hugetlbfs is detected from the file);
 *    HOST takes READONLY; fields that do not apply to the type (@fd_offset
 *    without a file, @hva for a type the library maps) must be zero;
 *  - @size 0, unknown type or flag, flags that do not apply to the type,
 *    a negative @fd for FD, a NULL or unaligned @hva for HOST, an @fd_offset
 *    not page-aligned, a HUGETLB size that is not a multiple of the huge
 *    page size: -EINVAL;
 *  - @gpa + @size beyond 2^64 - 1 (no region includes GPA 2^64 - 1, as in
 *    vm-memory), @fd_offset + @size beyond 2^63 - 1: -EOVERFLOW;
 *  - a regular file (fstat's S_ISREG, which includes memfds) or a block
 *    device shorter than @fd_offset + @size: -EINVAL (the file position
 *    never moves); character devices, guest_memfd and other descriptors
 *    are not size-checked, mmap(2) judges them;
 *  - @domid for a type that is not Xen's: -EINVAL (@fd is ignored for types
 *    without a file, since a zeroed descriptor holds fd 0);
 *  - HUGETLB on a host without huge pages, or an explicit @huge_page_size
 *    (a power of two above the page size) that the host does not offer:
 *    -EOPNOTSUPP;
 *  - overlap with an existing region: -EEXIST;
 *  - an FD region on a socket, a pipe or FIFO, or a directory: -ENODEV
 *    (they hold no memory; a socket may accept mmap(2) and then raise
 *    SIGBUS at the first access);
 *  - a Xen type in libvmmem.so: -EOPNOTSUPP (after the checks above and
 *    below, which both libraries make alike);
 *  - Xen types (libvmmem-xen): @gpa or @size not a multiple of the 4 KiB
 *    Xen page, a non-zero @fd_offset, NO_ADVANCE_MAP on a FOREIGN region,
 *    grant references beyond 2^32: -EINVAL; a host page size other than
 *    4 KiB: -EOPNOTSUPP; no Xen device (this host is not a Xen domain):
 *    -ENOENT (or -ENODEV, -EACCES from the device); a frame or grant the
 *    hypervisor refuses: the first failing page's errno (a foreign frame
 *    paged out through a caller's descriptor: -ENOENT, no retry), with
 *    everything mapped so far unmapped;
 *  - a size above SIZE_MAX less a page: -EOVERFLOW; a smaller size that
 *    still exceeds the host's free address space: mmap(2)'s -ENOMEM;
 *  - mmap(2) or dup(2) failure: its errno (-ENOMEM, -EACCES, -ENODEV ...).
 * On any failure the table is unchanged.  For FD regions the library maps a
 * duplicate of @fd (F_DUPFD_CLOEXEC); the caller may close its own at once.
 * Xen regions (libvmmem-xen): with @fd >= 0 the library drives the kernel's
 * privcmd or gntdev ioctls on its duplicate (a vhost-user front end's
 * VHOST_USER_PROTOCOL_F_XEN_MMAP descriptor); with @fd -1 it opens its
 * own handle per region through xenforeignmemory_open() (restricted to
 * @domid) or xengnttab_open(), whose messages go to the log callback set
 * when the region is created, never to stderr.  From a vhost-user memory
 * region: xen_mmap_flags bit 0 (FOREIGN) gives VMM_MEM_REGION_XEN_FOREIGN,
 * bit 1 (GRANT) VMM_MEM_REGION_XEN_GRANT (both bits: refuse the region),
 * the "no advance map" bit VMM_MEM_REGION_NO_ADVANCE_MAP (rust-vmm uses
 * 0x8, the vhost-user specification's text says bit 8, 0x100: accept
 * both), xen_mmap_data is @domid, and the region's GPA gives the frames
 * or grant references as above.
 * The library trusts what it cannot check: a HOST mapping must really be
 * mapped for @size bytes, and a file must not shrink below the region while
 * it is mapped (an access past the end of a file raises SIGBUS, as for any
 * mapping; seal memfds with F_SEAL_SHRINK).
 * Returns 0 on success.  Thread-safe; concurrent readers see the region
 * appear atomically.
 */
VMM_MEM_EXPORT int vmm_mem_add_region(vmm_mem_t *mem,
				      const struct vmm_mem_region_desc *desc,
				      size_t desc_size);

/**
 * vmm_mem_remove_region - hot-remove the region that starts at @gpa and is
 * exactly @size bytes long (vm-memory: GuestMemoryMmap::remove_region).
 * New lookups no longer find it as soon as this returns.  The call waits
 * for readers already inside an access (an RCU grace period); the mapping is
 * then released, or later when the last vmm_mem_map() mapping and the last
 * snapshot (vmm_mem_snapshot_get()) listing it are released.  The memory of
 * a VMM_MEM_REGION_HOST region is the caller's: it must stay mapped until
 * then, since snapshots taken before the removal still access it.
 * Returns 0, -ENOENT (no region with that start and size) or -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_remove_region(vmm_mem_t *mem, uint64_t gpa,
					 uint64_t size);

/** One guest range for vmm_mem_new_from_ranges(). */
struct vmm_mem_range {
	uint64_t gpa;
	uint64_t size;
};

/** One guest range with an optional file for
 *  vmm_mem_new_from_ranges_with_files(); @fd < 0 means anonymous. */
struct vmm_mem_file_range {
	uint64_t gpa;
	uint64_t size;
	int32_t fd;
	uint32_t reserved;	/* must be 0 */
	uint64_t fd_offset;
};

/**
 * vmm_mem_new_from_ranges - create a guest memory of anonymous regions
 * (vm-memory: GuestMemoryMmap::from_ranges).
 * @out: receives the handle; @ranges: @n ranges sorted by ascending gpa.
 * Every region is created first, in order; then the set is validated as
 * vm-memory's from_regions does: @n == 0 is -EINVAL (NoMemoryRegion), a
 * range starting below its predecessor is -EINVAL (UnsortedMemoryRegions;
 * the input is not sorted for you), an overlap (including equal starts) is
 * -EEXIST (MemoryRegionOverlap).  Adjacent ranges are allowed.  Region
 * errors are those of vmm_mem_add_region().  On failure nothing stays
 * mapped and *@out is untouched.
 */
VMM_MEM_EXPORT int vmm_mem_new_from_ranges(vmm_mem_t **out,
					   const struct vmm_mem_range *ranges,
					   size_t n);

/**
 * vmm_mem_new_from_ranges_with_files - the same with an optional file per
 * range (vm-memory: from_ranges_with_files): a range with @fd >= 0 becomes a
 * shared FD region at @fd_offset, otherwise an anonymous one.
 */
VMM_MEM_EXPORT int vmm_mem_new_from_ranges_with_files(
	vmm_mem_t **out, const struct vmm_mem_file_range *ranges, size_t n);

/**
 * struct vmm_mem_region_info - what the library reports about a region.
 */
struct vmm_mem_region_info {
	uint64_t gpa;		/* first GPA */
	uint64_t size;		/* bytes */
	void *hva;		/* host address of @gpa */
	uint32_t type;		/* enum vmm_mem_region_type */
	uint32_t flags;		/* VMM_MEM_REGION_* as created, plus HUGETLB
				   when the backing turned out to be
				   hugetlbfs */
	uint64_t fd_offset;	/* FD: offset in the file; else 0 */
	uint64_t vua;		/* as given at creation */
	uint64_t huge_page_size;/* backing huge page size, 0 if none */
	uint64_t page_size;	/* backing page size (host or huge) */
	int32_t has_fd;		/* 1 if the region maps a file descriptor */
	uint32_t domid;		/* Xen regions: the domain */
};
/** Size of the first version of struct vmm_mem_region_info. */
#define VMM_MEM_REGION_INFO_SIZE_VER0 \
	(offsetof(struct vmm_mem_region_info, domid) + sizeof(uint32_t))

/**
 * vmm_mem_num_regions - number of regions (vm-memory: num_regions).
 * Returns the count (>= 0) or -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_num_regions(vmm_mem_t *mem);

/**
 * vmm_mem_region_info - describe the region at @index in ascending GPA
 * order (vm-memory: iter()).  @info_size is sizeof(*info) as the caller
 * knows it, at least VMM_MEM_REGION_INFO_SIZE_VER0; a larger structure gets
 * its unknown tail zeroed.
 * Returns 0, -ENOENT (@index >= number of regions) or -EINVAL.  Indexes are
 * a snapshot: a concurrent hot-plug may shift them.
 */
VMM_MEM_EXPORT int vmm_mem_region_info(vmm_mem_t *mem, unsigned int index,
				       struct vmm_mem_region_info *info,
				       size_t info_size);

/**
 * vmm_mem_region_info_at - describe the region holding @gpa (vm-memory:
 * find_region).  Returns 0, -EFAULT (no region holds @gpa) or -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_region_info_at(vmm_mem_t *mem, uint64_t gpa,
					  struct vmm_mem_region_info *info,
					  size_t info_size);

/**
 * vmm_mem_last_addr - the highest backed GPA, inclusive (vm-memory:
 * last_addr).  Returns 0 with *@last set, -ENOENT on an empty memory (no
 * 0 - 1 underflow), or -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_last_addr(vmm_mem_t *mem, uint64_t *last);

/**
 * vmm_mem_address_in_range - is the single byte at @gpa backed (vm-memory:
 * address_in_range)?  Returns 1, 0 or -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_address_in_range(vmm_mem_t *mem, uint64_t gpa);

/**
 * vmm_mem_check_range - is every byte of [@gpa, @gpa + @len) backed, the
 * range possibly spanning adjacent regions (vm-memory: check_range)?
 * Returns 1 (yes), 0 (a hole or the end of memory inside the range),
 * -EOVERFLOW (@gpa + @len passes 2^64) or -EINVAL.  @len 0 is 1 at any
 * address (vm-memory 0.17 and later; 0.14.1 said 0 at an unbacked one).
 */
VMM_MEM_EXPORT int vmm_mem_check_range(vmm_mem_t *mem, uint64_t gpa,
				       uint64_t len);

/**
 * vmm_mem_checked_offset - @gpa + @offset, if that sum does not wrap and
 * the resulting address is backed; holes in between do not matter
 * (vm-memory: checked_offset).  Returns 0 with *@result set, -EOVERFLOW,
 * -EFAULT or -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_checked_offset(vmm_mem_t *mem, uint64_t gpa,
					  uint64_t offset, uint64_t *result);

/**
 * vmm_mem_get_host_address - the host address of @gpa (vm-memory:
 * get_host_address).  Returns 0 with *@hva set, -EFAULT (unbacked) or
 * -EINVAL.  The pointer is valid only until the region is removed, and
 * writes through it are not dirty-logged: use vmm_mem_map() to hold a
 * pointer safely across hot-plug.  -EOPNOTSUPP for regions not mapped in
 * advance (Xen grants with NO_ADVANCE_MAP).
 */
VMM_MEM_EXPORT int vmm_mem_get_host_address(vmm_mem_t *mem, uint64_t gpa,
					    void **hva);

/**
 * vmm_mem_get_slice - the host address of [@gpa, @gpa + @len), which must
 * lie inside one region (vm-memory: get_slice).  Returns 0 with *@hva set;
 * -EFAULT when @gpa is unbacked or the range runs into a hole or past the
 * end of memory; -EXDEV when the range is backed but spans two or more
 * regions (use vmm_mem_get_slices()); -EOVERFLOW; -EINVAL.  @len 0 at a
 * backed @gpa gives its address.  Same lifetime rules as
 * vmm_mem_get_host_address().
 */
VMM_MEM_EXPORT int vmm_mem_get_slice(vmm_mem_t *mem, uint64_t gpa,
				     uint64_t len, void **hva);

/**
 * vmm_mem_gpa_to_hva - the host address of @gpa and how much of a range is
 * contiguous there (since 1.2; libvhost-user: vu_gpa_to_va(), DPDK:
 * rte_vhost_va_from_guest_pa(); vm-memory: get_host_address plus the
 * region's remaining length).
 * @len: in, the bytes wanted; out, that many or fewer: the length is
 * clamped at the end of the region holding @gpa, so [*@hva, *@hva + *@len)
 * never crosses into another region or a hole (a range over adjacent
 * regions takes one call per region).  In 0 gives out 0.
 * Returns 0 with *@hva and *@len set; -EFAULT (@gpa unbacked; -ENXIO on an
 * IOVA view, see vmm_mem_new_iova_view()), -EOPNOTSUPP (region not mapped
 * in advance), -EINVAL (@mem, @len or @hva NULL); nothing is written on
 * failure.  O(log n) in the number of regions.  Same lifetime rules as
 * vmm_mem_get_host_address(); writes through the pointer are not logged
 * (vmm_mem_dirty_log_mark()).  Thread-safe.
 */
VMM_MEM_EXPORT int vmm_mem_gpa_to_hva(vmm_mem_t *mem, uint64_t gpa,
				      uint64_t *len, void **hva);

/**
 * vmm_mem_vua_to_gpa - translate a front end's user address (a vhost-user
 * VUA: ring addresses in SET_VRING_ADDR, IOTLB targets) into a GPA (since
 * 1.2; libvhost-user: qva_to_va, DPDK: the vhost user address lookup).  The
 * region created with desc.vua = V and desc.gpa = G maps V + x to G + x for
 * x < its size; regions created without a VUA (0) never match.
 * @len: NULL, or in the bytes wanted and out that many or fewer, clamped
 * at the end of the region's VUA range (the next VUA region need not be
 * adjacent in GPA).  Should VUA ranges overlap, the region with the
 * highest VUA at or below @vua answers (-EFAULT when its range ends before
 * @vua; of two regions with that same VUA, either); a region whose VUA
 * range would pass 2^64 - 1 never matches.
 * Returns 0 with *@gpa set; -EFAULT (no region's VUA range holds @vua),
 * -EOPNOTSUPP (@mem is an IOVA view), -EINVAL (@mem or @gpa NULL).
 * O(log n): each region table carries an index of its regions by VUA.
 * Thread-safe, like every lookup.
 */
VMM_MEM_EXPORT int vmm_mem_vua_to_gpa(vmm_mem_t *mem, uint64_t vua,
				      uint64_t *gpa, uint64_t *len);

/* ------------------------------------------------------------------------ */
/* Byte access                                                               */
/* ------------------------------------------------------------------------ */

/**
 * vmm_mem_read - copy up to @len bytes from guest memory at @gpa into @buf
 * (vm-memory: Bytes::read, with the 0.17 per-chunk bound).
 * The copy runs across adjacent regions and stops at the first hole, the
 * end of memory or (for writes) a read-only region.  Returns the number of
 * bytes copied (> 0, possibly less than @len), 0 when @len is 0 (at any
 * address), -EFAULT when @gpa is unbacked, -EOVERFLOW when the last byte,
 * @gpa + @len - 1, would pass 2^64 - 1, -EINVAL (also for @len above
 * SSIZE_MAX).  Aligned 2-, 4- and 8-byte copies of a length of
 * at most 8 are never torn (aligned in host memory, as for vmm_mem_load():
 * a GPA multiple of the size, in a region whose GPA is aligned like its
 * host address, as page-aligned regions are; the caller's buffer may have
 * any alignment).  @buf may overlap the guest range, also across regions
 * (memmove() semantics, see the conventions above; -ENOMEM when the bounce
 * buffer this then needs cannot be allocated).
 */
VMM_MEM_EXPORT ssize_t vmm_mem_read(vmm_mem_t *mem, uint64_t gpa, void *buf,
				    size_t len);

/**
 * vmm_mem_write - copy up to @len bytes from @buf to guest memory at @gpa
 * (vm-memory: Bytes::write).  As vmm_mem_read(); in addition -EACCES when
 * the region at @gpa is read-only.  Marks the pages written in the dirty
 * log.
 */
VMM_MEM_EXPORT ssize_t vmm_mem_write(vmm_mem_t *mem, uint64_t gpa,
				     const void *buf, size_t len);

/**
 * vmm_mem_read_exact - read exactly @len bytes (vm-memory: read_slice,
 * read_obj).  The whole range is validated in one table snapshot before
 * any byte moves: all or nothing.  Returns 0, -EFAULT (some byte of the
 * range is unbacked; @buf untouched), -EOVERFLOW, -EINVAL, -ENOMEM (@buf
 * overlaps the guest memory of another region of the range and no bounce
 * buffer could be allocated; nothing copied).  @len 0 succeeds at any
 * address.  @buf may overlap the range: memmove() semantics.
 */
VMM_MEM_EXPORT int vmm_mem_read_exact(vmm_mem_t *mem, uint64_t gpa,
				      void *buf, size_t len);

/**
 * vmm_mem_write_exact - write exactly @len bytes (vm-memory: write_slice,
 * write_obj), all or nothing: -EFAULT or -EACCES leave guest memory and the
 * dirty log untouched.  Otherwise as vmm_mem_read_exact().
 */
VMM_MEM_EXPORT int vmm_mem_write_exact(vmm_mem_t *mem, uint64_t gpa,
				       const void *buf, size_t len);

/**
 * vmm_mem_fill - set [@gpa, @gpa + @len) to the byte @c (no vm-memory
 * counterpart; memset for guest memory).  All or nothing, as
 * vmm_mem_write_exact().  Returns 0, -EFAULT, -EACCES, -EOVERFLOW, -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_fill(vmm_mem_t *mem, uint64_t gpa, int c,
				uint64_t len);

/**
 * vmm_mem_copy - copy @len bytes inside guest memory from @src_gpa to
 * @dst_gpa, overlapping ranges allowed (memmove semantics; vm-memory:
 * VolatileSlice::copy_to_volatile_slice between two guest slices).  Both
 * ranges may span adjacent regions.  Overlap is judged by GPA: two regions
 * that map the same file pages at different GPAs are not known to alias.
 * All or nothing; the destination pages
 * are dirty-logged.  @len 0 succeeds at any address.  Returns 0, -EFAULT,
 * -EACCES, -EOVERFLOW, -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_copy(vmm_mem_t *mem, uint64_t dst_gpa,
				uint64_t src_gpa, uint64_t len);

/* ------------------------------------------------------------------------ */
/* Atomics                                                                   */
/* ------------------------------------------------------------------------ */

/** Memory orders for vmm_mem_load() and vmm_mem_store() (C11 names and
 *  values; 1, consume, is refused like every value not listed). */
enum vmm_mem_order {
	VMM_MEM_ORDER_RELAXED = 0,
	VMM_MEM_ORDER_ACQUIRE = 2,	/* loads only */
	VMM_MEM_ORDER_RELEASE = 3,	/* stores only */
	VMM_MEM_ORDER_ACQ_REL = 4,	/* refused by both (-EINVAL) */
	VMM_MEM_ORDER_SEQ_CST = 5,
};

/**
 * vmm_mem_load - atomic load of @size (1, 2, 4 or 8) bytes at @gpa in host
 * byte order, with memory order @order (RELAXED, ACQUIRE or SEQ_CST)
 * (vm-memory: Bytes::load).  The value is zero-extended into *@val.
 * Returns 0, -EFAULT (@gpa unbacked), -EINVAL (bad size or order, host
 * address not a multiple of @size, or the value would span two regions or
 * run past the region end).  Never torn.
 */
VMM_MEM_EXPORT int vmm_mem_load(vmm_mem_t *mem, uint64_t gpa,
				unsigned int size, uint64_t *val, int order);

/**
 * vmm_mem_store - atomic store of the low @size bytes of @val at @gpa with
 * @order (RELAXED, RELEASE or SEQ_CST) (vm-memory: Bytes::store).  Errors
 * as vmm_mem_load(), plus -EACCES (read-only region) and -ERANGE (@val does
 * not fit in @size bytes).  Marks the page dirty after the store.
 */
VMM_MEM_EXPORT int vmm_mem_store(vmm_mem_t *mem, uint64_t gpa,
				 unsigned int size, uint64_t val, int order);

/**
 * vmm_mem_load_le - vmm_mem_load() of a little-endian value (since 1.2):
 * virtio ring indexes and flags, which are little-endian whatever the host.
 * @size 2, 4 or 8; *@val receives the value in host order (one atomic load,
 * byte-swapped on a big-endian host).  Orders, alignment rule and errors as
 * vmm_mem_load() (-EINVAL also for @size 1).  The typical use is an acquire
 * load of a ring's idx.
 */
VMM_MEM_EXPORT int vmm_mem_load_le(vmm_mem_t *mem, uint64_t gpa,
				   unsigned int size, uint64_t *val, int order);

/**
 * vmm_mem_store_le - vmm_mem_store() of @val as a little-endian value of
 * @size (2, 4 or 8) bytes (since 1.2): one atomic store, byte-swapped on a
 * big-endian host; the typical use is a release store of the used ring's
 * idx.  Errors as vmm_mem_store() (-ERANGE: @val does not fit); marks the
 * dirty logs.
 */
VMM_MEM_EXPORT int vmm_mem_store_le(vmm_mem_t *mem, uint64_t gpa,
				    unsigned int size, uint64_t val,
				    int order);

/* ------------------------------------------------------------------------ */
/* Snapshots (since 1.1)                                                     */
/* ------------------------------------------------------------------------ */

/**
 * A snapshot: the regions of a guest memory as they were when it was taken,
 * held until vmm_mem_snapshot_put().  vmm_mem_t is vm-memory's
 * GuestMemoryAtomic<GuestMemoryMmap>; a snapshot is the GuestMemoryMmap
 * behind it, the guard that GuestMemoryAtomic::memory() returns.
 *
 * Hot-plug does not change a snapshot: a region removed from the memory
 * stays mapped, and keeps answering through the snapshot, until every
 * snapshot that lists it is put (and every vmm_mem_map() pin released); a
 * region added later is not in it.  A VMM_MEM_REGION_HOST region's memory
 * belongs to the caller, who must keep it mapped that long.  Accesses through a snapshot need no
 * RCU read-side section, so they cost less than the same calls on the
 * handle: take one per batch of work (a virtqueue notification, a DMA
 * request) and refresh it between batches with vmm_mem_snapshot_refresh().
 * Host addresses from vmm_mem_snapshot_region_info() stay valid while the
 * snapshot is held.
 *
 * Writes through a snapshot are dirty-logged like writes through the
 * handle, while logging is on, also to a region no longer in the memory:
 * the log belongs to guest pages, and a harvest reports them (see
 * vmm_mem_dirty_log_start()).  A snapshot may outlive its handle.  Snapshots are immutable:
 * any number of threads may use one at the same time; its reference count
 * is atomic.
 */
typedef struct vmm_mem_snapshot vmm_mem_snapshot_t;

/**
 * vmm_mem_snapshot_get - take a snapshot of @mem's current regions
 * (vm-memory: GuestMemoryAtomic::memory()).  Never blocks: it may run at
 * the same time as hot-plug in other threads, and sees the memory before or
 * after a concurrent change, never a mix.
 * @out: receives the snapshot, which holds one reference.
 * Returns 0 or -EINVAL (@mem or @out NULL).
 */
VMM_MEM_EXPORT int vmm_mem_snapshot_get(vmm_mem_t *mem,
					vmm_mem_snapshot_t **out);

/**
 * vmm_mem_snapshot_put - drop the reference of @snap (accepts NULL).  The
 * last reference to a removed region unmaps it.  The caller's pointer is
 * left dangling: set it to NULL before refreshing it again.  Thread-safe.
 */
VMM_MEM_EXPORT void vmm_mem_snapshot_put(vmm_mem_snapshot_t *snap);

/**
 * vmm_mem_snapshot_refresh - make *@snap current: when @mem's regions
 * changed since *@snap was taken (or *@snap is NULL), put *@snap and store a
 * new snapshot of @mem there.  The unchanged case is one load and one
 * compare, cheap enough to call before every batch of accesses.
 * Returns 0 (*@snap was current and is unchanged), 1 (*@snap replaced) or
 * -EINVAL (@mem or @snap NULL; *@snap is untouched).  A snapshot of another
 * memory is replaced like an old one.  Thread-safe for distinct @snap
 * variables (two threads must not refresh one variable at once).
 */
VMM_MEM_EXPORT int vmm_mem_snapshot_refresh(vmm_mem_t *mem,
					    vmm_mem_snapshot_t **snap);

/**
 * vmm_mem_snapshot_read_exact - vmm_mem_read_exact() on a snapshot
 * (vm-memory: Bytes::read_slice and read_obj on a GuestMemoryMmap).  Same
 * arguments, results and errors, with @snap (NULL: -EINVAL) for the handle:
 * all or nothing; aligned 2-, 4- and 8-byte reads are never torn.
 */
VMM_MEM_EXPORT int vmm_mem_snapshot_read_exact(const vmm_mem_snapshot_t *snap,
					       uint64_t gpa, void *buf,
					       size_t len);

/**
 * vmm_mem_snapshot_write_exact - vmm_mem_write_exact() on a snapshot
 * (vm-memory: Bytes::write_slice and write_obj on a GuestMemoryMmap).  Same
 * arguments, results and errors (-EACCES for a read-only region; nothing
 * written or marked on failure); marks the dirty log while logging is on.
 */
VMM_MEM_EXPORT int vmm_mem_snapshot_write_exact(const vmm_mem_snapshot_t *snap,
						uint64_t gpa, const void *buf,
						size_t len);

/**
 * vmm_mem_snapshot_load - vmm_mem_load() on a snapshot (vm-memory:
 * Bytes::load).  Same sizes, memory orders, alignment rule and errors.
 */
VMM_MEM_EXPORT int vmm_mem_snapshot_load(const vmm_mem_snapshot_t *snap,
					 uint64_t gpa, unsigned int size,
					 uint64_t *val, int order);

/**
 * vmm_mem_snapshot_store - vmm_mem_store() on a snapshot (vm-memory:
 * Bytes::store).  Same sizes, memory orders, alignment rule and errors
 * (-EACCES, -ERANGE); marks the dirty log while logging is on.
 */
VMM_MEM_EXPORT int vmm_mem_snapshot_store(const vmm_mem_snapshot_t *snap,
					  uint64_t gpa, unsigned int size,
					  uint64_t val, int order);

/**
 * vmm_mem_snapshot_find_region - index of the region holding @gpa in @snap
 * (vm-memory: GuestMemory::find_region, whose reference the index stands
 * for).  Indexes count regions in ascending GPA order and are fixed for the
 * snapshot's life.  Returns the index (>= 0), -EFAULT (no region holds
 * @gpa) or -EINVAL (@snap NULL).
 */
VMM_MEM_EXPORT int vmm_mem_snapshot_find_region(const vmm_mem_snapshot_t *snap,
						uint64_t gpa);

/**
 * vmm_mem_snapshot_num_regions - number of regions in @snap (vm-memory:
 * num_regions).  Returns the count (>= 0) or -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_snapshot_num_regions(const vmm_mem_snapshot_t *snap);

/**
 * vmm_mem_snapshot_region_info - vmm_mem_region_info() on a snapshot: the
 * region at @index (as vmm_mem_snapshot_find_region() returns it).  The
 * host address it reports stays valid while @snap is held.  Returns 0,
 * -ENOENT (@index >= number of regions) or -EINVAL (@snap or @info NULL,
 * @info_size below VMM_MEM_REGION_INFO_SIZE_VER0).
 */
VMM_MEM_EXPORT int
vmm_mem_snapshot_region_info(const vmm_mem_snapshot_t *snap,
			     unsigned int index,
			     struct vmm_mem_region_info *info,
			     size_t info_size);

/* ------------------------------------------------------------------------ */
/* Transfers between guest memory and file descriptors                      */
/* ------------------------------------------------------------------------ */

/*
 * All of these move data straight between @fd and guest pages with
 * readv/preadv/writev/pwritev over the per-region fragments of the range:
 * no bounce buffer and no 4 KiB cap.  @len is a guest range length in
 * bytes; the range must start at a backed @gpa (-EFAULT) and must not wrap
 * (-EOVERFLOW).  A @len of 0 returns 0 at once and touches neither guest
 * memory nor @fd.  A negative @fd is -EBADF (also with @len 0); other fd
 * errors are passed through as -errno (so -EFAULT may also be the kernel's
 * word for a mapping it could not touch, e.g. a file truncated under an FD
 * region).  Transfers into guest memory refuse a read-only region
 * at @gpa with -EACCES.  Each system call pins the regions it covers and
 * runs outside the RCU read side, so a concurrent vmm_mem_remove_region()
 * neither waits for a blocking call nor pulls the memory from under it: the
 * removed region stays mapped until the call returns.  One call moves at
 * most 0x7ffff000 bytes and 64 region fragments (Linux's per-call limit);
 * the exact variants loop over as many calls as needed.
 */

/**
 * vmm_mem_read_from_fd - one read(2)-like transfer (a single readv) from
 * @fd into guest memory at @gpa (vm-memory: read_volatile_from).  The range
 * is clipped at the first hole or read-only region, like vmm_mem_write().
 * A short read stops: the bytes land contiguously from @gpa and the count
 * says how many.  EINTR before any byte is retried.  Returns the count
 * (0 at end of file), or a negative errno.
 */
VMM_MEM_EXPORT ssize_t vmm_mem_read_from_fd(vmm_mem_t *mem, uint64_t gpa,
					    int fd, uint64_t len);

/** vmm_mem_write_to_fd - one writev from guest memory at @gpa to @fd
 *  (vm-memory: write_volatile_to).  Clipped at the first hole. */
VMM_MEM_EXPORT ssize_t vmm_mem_write_to_fd(vmm_mem_t *mem, uint64_t gpa,
					   int fd, uint64_t len);

/** vmm_mem_pread_from_fd - vmm_mem_read_from_fd() at file @offset with
 *  preadv; the file position does not move.  @offset above INT64_MAX or
 *  @offset + @len beyond INT64_MAX is -EOVERFLOW. */
VMM_MEM_EXPORT ssize_t vmm_mem_pread_from_fd(vmm_mem_t *mem, uint64_t gpa,
					     int fd, uint64_t len,
					     uint64_t offset);

/** vmm_mem_pwrite_to_fd - vmm_mem_write_to_fd() at file @offset with
 *  pwritev.  Every positioned call refuses @offset above INT64_MAX or
 *  @offset + @len beyond INT64_MAX with -EOVERFLOW. */
VMM_MEM_EXPORT ssize_t vmm_mem_pwrite_to_fd(vmm_mem_t *mem, uint64_t gpa,
					    int fd, uint64_t len,
					    uint64_t offset);

/**
 * vmm_mem_read_exact_from_fd - fill exactly [@gpa, @gpa + @len) from @fd
 * (vm-memory: read_exact_volatile_from).  The whole range is validated
 * first in one table snapshot (-EFAULT, -EACCES: nothing is read).  Should
 * a concurrent hot-remove open a hole later, the call stops there with
 * -EFAULT and *@done says how far it got.  Short reads and EINTR are
 * retried; bytes land contiguously.  Returns 0; -ENODATA when end of file
 * came first; or the fd error.  *@done (may be NULL) always receives the
 * number of bytes that reached guest memory, also on failure.
 */
VMM_MEM_EXPORT int vmm_mem_read_exact_from_fd(vmm_mem_t *mem, uint64_t gpa,
					      int fd, uint64_t len,
					      uint64_t *done);

/**
 * vmm_mem_write_all_to_fd - write all of [@gpa, @gpa + @len) to @fd
 * (vm-memory: write_all_volatile_to), retrying short writes and EINTR.
 * The whole range is validated first, as for vmm_mem_read_exact_from_fd().
 * Returns 0; -EPIPE when a write returned 0; or the fd error (-EAGAIN for a
 * non-blocking fd that filled up).  *@done as above.
 */
VMM_MEM_EXPORT int vmm_mem_write_all_to_fd(vmm_mem_t *mem, uint64_t gpa,
					   int fd, uint64_t len,
					   uint64_t *done);

/** vmm_mem_pread_exact_from_fd - vmm_mem_read_exact_from_fd() at file
 *  @offset (preadv); -ENODATA when the file ends first. */
VMM_MEM_EXPORT int vmm_mem_pread_exact_from_fd(vmm_mem_t *mem, uint64_t gpa,
					       int fd, uint64_t len,
					       uint64_t offset, uint64_t *done);

/** vmm_mem_pwrite_all_to_fd - vmm_mem_write_all_to_fd() at file @offset
 *  (pwritev). */
VMM_MEM_EXPORT int vmm_mem_pwrite_all_to_fd(vmm_mem_t *mem, uint64_t gpa,
					    int fd, uint64_t len,
					    uint64_t offset, uint64_t *done);

/* ------------------------------------------------------------------------ */
/* Fragments and scatter-gather mappings                                     */
/* ------------------------------------------------------------------------ */

/**
 * vmm_mem_get_slices - the host fragments of [@gpa, @gpa + @len), one
 * struct iovec per region the range touches, in GPA order (vm-memory 0.17:
 * get_slices).  Nothing is pinned: the pointers are valid until the regions
 * are removed, and writes through them are not dirty-logged (see
 * vmm_mem_dirty_log_mark(), or use vmm_mem_map()).
 * @iov: receives up to @iovcnt entries (may be NULL when @iovcnt is 0).
 * Returns the number of fragments the whole range needs (0 when @len is 0,
 * at any address), which may exceed @iovcnt: then only the first @iovcnt
 * are filled, so call again with a larger array.  -EFAULT when any byte of
 * the range is unbacked (a hole stops the walk; nothing is filled),
 * -EOVERFLOW, -EINVAL.
 */
VMM_MEM_EXPORT ssize_t vmm_mem_get_slices(vmm_mem_t *mem, uint64_t gpa,
					  uint64_t len, struct iovec *iov,
					  size_t iovcnt);

/**
 * vmm_mem_get_slices_prefix - the host fragments of the backed prefix of
 * [@gpa, @gpa + @len) (since 1.2): as vmm_mem_get_slices(), but a range
 * that runs into a hole, the end of memory, a region not mapped in advance
 * or past @iovcnt fragments yields what comes before it instead of failing
 * (the translation loop of a vhost-user back end: map what is there, then
 * decide).  vmm_mem_get_slices() keeps its all-or-nothing contract.
 * @iov: receives up to @iovcnt (> 0) entries, in GPA order, one per region.
 * @done: receives the bytes the filled entries cover (0 on failure, but
 * untouched on -EINVAL).
 * Returns the number of entries filled (0 when @len is 0), -EFAULT (@gpa
 * itself unbacked; -ENXIO on an IOVA view), -EOPNOTSUPP (the region at @gpa
 * is not mapped in advance), -EOVERFLOW, -EINVAL (@mem, @iov or @done NULL,
 * @iovcnt 0).  Nothing is pinned or logged, as for vmm_mem_get_slices().
 */
VMM_MEM_EXPORT ssize_t vmm_mem_get_slices_prefix(vmm_mem_t *mem, uint64_t gpa,
						 uint64_t len,
						 struct iovec *iov,
						 size_t iovcnt,
						 uint64_t *done);

/** An opaque scatter-gather mapping made by vmm_mem_map(). */
typedef struct vmm_mem_mapping vmm_mem_mapping_t;

/** vmm_mem_map() access flags. */
#define VMM_MEM_MAP_READ (1u << 0)
#define VMM_MEM_MAP_WRITE (1u << 1)

/**
 * vmm_mem_map - map [@gpa, @gpa + @len) for zero-copy device I/O (QEMU:
 * address_space_map; vm-memory: get_slices with a held guard).  The range
 * may span adjacent regions: one iovec per fragment.  Every region touched
 * is pinned: a region removed while mapped disappears for new lookups at
 * once but stays mapped until the last mapping of it is released by
 * vmm_mem_unmap().
 * @flags: VMM_MEM_MAP_READ and/or VMM_MEM_MAP_WRITE.
 * Returns 0 with *@out set; -EFAULT (any byte unbacked: a hole or the end of
 * memory; nothing is mapped), -EACCES (WRITE on a read-only region),
 * -EOVERFLOW, -EINVAL (@len 0, bad flags), -ENOMEM.  Thread-safe.
 */
VMM_MEM_EXPORT int vmm_mem_map(vmm_mem_t *mem, uint64_t gpa, uint64_t len,
			       unsigned int flags, vmm_mem_mapping_t **out);

/**
 * vmm_mem_mapping_iov - copy the mapping's fragments into @iov (up to
 * @iovcnt entries).  Returns the total number of fragments (so a caller with
 * too small an array learns the count it needs), or -EINVAL.
 */
VMM_MEM_EXPORT ssize_t vmm_mem_mapping_iov(const vmm_mem_mapping_t *map,
					   struct iovec *iov, size_t iovcnt);

/**
 * vmm_mem_unmap - release a mapping and its pins.  For a mapping made with
 * VMM_MEM_MAP_WRITE, the first @written bytes of the range (what the caller
 * says it wrote; QEMU's access_len) are marked in the dirty log, clamped to
 * the mapped length.  Only that prefix is marked, not the whole mapping
 * (vm-memory's guards mark the whole slice): a device that wrote a byte in
 * the middle of its mapping passes the end offset of that byte.  Accepts
 * NULL (returns 0).  Returns 0.  Each mapping is released exactly once; any
 * thread may release it.
 */
VMM_MEM_EXPORT int vmm_mem_unmap(vmm_mem_mapping_t *map, uint64_t written);

/* ------------------------------------------------------------------------ */
/* Dirty-page logging (live migration)                                       */
/* ------------------------------------------------------------------------ */

/**
 * vmm_mem_dirty_log_start - start logging writes to the whole guest memory
 * with pages of @page_size bytes (0 = the host page size; otherwise a power
 * of two from 4096, the vhost-user log page, to 2^30, the largest huge
 * page; a larger one is -EINVAL).  Every library write
 * path marks the pages it touched after the data landed: write, write_exact,
 * fill, copy, store, the snapshot writes and stores, every fd-to-guest
 * transfer, and writable mappings at vmm_mem_unmap().  Reads never mark, nor do failed or zero-length writes.
 * Regions added while logging is on are logged from their first byte, and
 * so are regions removed before the start that a mapping, snapshot or
 * transfer still holds.  The log starts clean.  Each region added while
 * logging is on brings a bitmap that stays until logging stops (a bit per
 * page), also when the region goes earlier.  The call waits for an RCU grace period, so a write
 * that raced with it and was not marked is complete and visible to a copy
 * of guest memory made after the call returns.  Bytes that reached guest memory are marked even when
 * the call then fails (an exact fd read that hit end of file, say).
 * Returns 0, -EBUSY (already on; stop it first to change the page size),
 * -EINVAL, -ENOMEM, -EOPNOTSUPP (an IOVA view: start it on the guest
 * memory, which logs the view's writes by GPA; the same for _stop(),
 * _page_size(), _get() and _test()).
 */
VMM_MEM_EXPORT int vmm_mem_dirty_log_start(vmm_mem_t *mem,
					   uint64_t page_size);

/**
 * vmm_mem_dirty_log_stop - stop logging and drop the log.  The bitmaps'
 * memory (a bit per page) stays with each region until it goes, for
 * snapshots' writers, and is reused, cleared, by the next start with the
 * same page size.  Returns 0, -ENOENT (not on) or -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_dirty_log_stop(vmm_mem_t *mem);

/**
 * vmm_mem_dirty_log_page_size - the page size in use, or 0 when logging is
 * off; -EINVAL for a NULL handle.
 */
VMM_MEM_EXPORT int64_t vmm_mem_dirty_log_page_size(vmm_mem_t *mem);

/** vmm_mem_dirty_log_get() flag: clear the bits that were read. */
#define VMM_MEM_DIRTY_LOG_CLEAR (1u << 0)

/**
 * vmm_mem_dirty_log_get - harvest the log of the GPA window [@gpa, @gpa +
 * @npages * page size) into @bitmap (KVM's and vhost-user's layout): bit i
 * (bit i % 64 of the uint64_t word i / 64) is the page at @gpa + i * page
 * size.  @gpa must be page-aligned.  @bitmap holds ceil(@npages / 64) words;
 * every bit of them is written (0 for clean pages, and for the bits past
 * @npages in the last word).  Dirty state belongs to guest pages, not to
 * region objects: a page written while logging was on is reported whatever
 * happened to its region since (removed, added again at the same or
 * another GPA, written through a mapping or snapshot that outlived it), at
 * the GPA the write was made through, until a clearing harvest or
 * vmm_mem_dirty_log_stop(); a page no write touched is 0, backed or not.  With VMM_MEM_DIRTY_LOG_CLEAR, the
 * bits read are cleared in the same atomic operation, word by word: a write
 * racing with the harvest is reported either by this harvest or by the next
 * one, never lost.  A harvest with CLEAR waits for an RCU grace period
 * before it returns, so that the data of every write it reports is
 * visible to the caller's copy of the page (writers skip the atomic OR
 * when their bit is already set); call it from a migration thread, not
 * from inside a log callback.  Returns the number of dirty pages reported,
 * -ENOENT
 * (logging off), -EINVAL (misaligned @gpa, unknown flags, NULL @bitmap with
 * @npages > 0), -EOVERFLOW (window passes 2^64).
 */
VMM_MEM_EXPORT int64_t vmm_mem_dirty_log_get(vmm_mem_t *mem, uint64_t gpa,
					     uint64_t npages,
					     uint64_t *bitmap,
					     unsigned int flags);

/**
 * vmm_mem_dirty_log_test - is the page holding @gpa dirty?  Returns 1, 0,
 * -EFAULT (unbacked and clean: a page written before its region went away
 * is 1 until harvested), -ENOENT (logging off), -EINVAL, -EOPNOTSUPP (an
 * IOVA view: its writes are logged in its guest memory).
 */
VMM_MEM_EXPORT int vmm_mem_dirty_log_test(vmm_mem_t *mem, uint64_t gpa);

/**
 * vmm_mem_dirty_log_mark - mark [@gpa, @gpa + @len) dirty, for writes the
 * caller did through its own pointers (vm-memory: Bitmap::mark_dirty).
 * The shared log (vmm_mem_dirty_log_attach()) is marked too.  On an IOVA
 * view @gpa is an IOVA and the GPAs it translates to are marked.
 * Unbacked parts are ignored.  Returns 0 (also when logging is off: then
 * nothing is recorded), -EOVERFLOW, -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_dirty_log_mark(vmm_mem_t *mem, uint64_t gpa,
					  uint64_t len);

/**
 * struct vmm_mem_dirty_log_shared_desc - a shared dirty log as vhost-user's
 * SET_LOG_BASE carries it (since 1.2).  Zero it, set what applies, pass its
 * sizeof.
 */
struct vmm_mem_dirty_log_shared_desc {
	int32_t fd;		/* the log's fd (mapped MAP_SHARED by the
				   library; the caller keeps and may close its
				   fd), or -1 to use @addr */
	uint32_t flags;		/* 0 */
	uint64_t offset;	/* byte offset of the log in @fd (vhost-user
				   mmap_offset; any alignment); 0 with @addr */
	uint64_t size;		/* bytes of log (vhost-user mmap_size), > 0 */
	void *addr;		/* @fd -1: the caller's writable mapping of
				   @size bytes */
};
/** Size of the first version of struct vmm_mem_dirty_log_shared_desc. */
#define VMM_MEM_DIRTY_LOG_SHARED_DESC_SIZE_VER0 \
	(offsetof(struct vmm_mem_dirty_log_shared_desc, addr) + sizeof(void *))

/**
 * vmm_mem_dirty_log_attach - attach, or replace, the shared dirty log of a
 * vhost-user front end (since 1.2; VHOST_USER_SET_LOG_BASE with
 * VHOST_USER_PROTOCOL_F_LOG_SHMFD).  Layout: bit (p % 8) of byte p / 8
 * stands for the 4 KiB guest page p = GPA / 4096, absolute; the library
 * sets bits with an atomic OR (release order), never clears one, so the
 * front end's concurrent clears lose nothing.  From then on every write
 * path marks it directly, after the data landed, with no harvest: write,
 * write_exact, fill, copy, store (and _le), the fd-to-guest transfers,
 * snapshot writes and stores, writable mappings at vmm_mem_unmap(),
 * vmm_mem_dirty_log_mark(), and writes through IOVA views (by GPA); also
 * writes through mappings and snapshots of regions removed since.  It works
 * alone or beside the internal log (vmm_mem_dirty_log_start()).
 * Replacing: once the call returns, every write whose data lands afterwards
 * is in the new log, and every write that marked the old one has finished;
 * the old log is then unmapped (an fd log) or never touched again (@addr).
 * The call waits for an RCU grace period: never call it from inside a
 * libvmmem callback.
 * A write to a page beyond the log (p >= 8 * size) never touches memory
 * past it: it is counted (vmm_mem_dirty_log_overflow()), and the first one
 * of each attachment is reported through the log callback set when the log
 * was attached (LOG_ERR), as is the count when the log is replaced or
 * detached: the front end's log is too small.
 * An @addr log must stay mapped until the log is detached or replaced, or
 * the memory's last reference is dropped (which detaches it).
 * Returns 0; -EINVAL (@mem or @desc NULL, @desc_size below
 * VMM_MEM_DIRTY_LOG_SHARED_DESC_SIZE_VER0, non-zero @flags, @size 0, both
 * or neither of @fd and @addr, @offset with @addr, a regular file shorter
 * than @offset + @size); -E2BIG (unknown non-zero tail); -EOVERFLOW
 * (@offset + @size beyond 2^63 - 1, or @size beyond the address space);
 * -EOPNOTSUPP (@mem is an IOVA view: attach to its guest memory); -ENOMEM;
 * fstat(2) and mmap(2) errors (-EBADF, -EACCES, -ENODEV ...).  On failure
 * the log in place, if any, stays.  Thread-safe; attach and detach
 * serialise with hot-plug.
 */
VMM_MEM_EXPORT int vmm_mem_dirty_log_attach(
	vmm_mem_t *mem, const struct vmm_mem_dirty_log_shared_desc *desc,
	size_t desc_size);

/**
 * vmm_mem_dirty_log_detach - detach the shared dirty log (since 1.2).  When
 * it returns no write marks it any more, and an fd log is unmapped.  Waits
 * for a grace period, as vmm_mem_dirty_log_attach().  The internal log is
 * unaffected.  Returns 0, -ENOENT (none attached), -EOPNOTSUPP (a view),
 * -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_dirty_log_detach(vmm_mem_t *mem);

/**
 * vmm_mem_dirty_log_overflow - how many marks of the attached shared log
 * fell beyond its end since it was attached (since 1.2).  Non-zero means the
 * front end's log is too small for the guest's memory (a write whose pages
 * straddle the end counts once and still marks the pages inside).
 * Returns 0 with *@count set, -ENOENT (no shared log), -EOPNOTSUPP (a
 * view), -EINVAL.
 */
VMM_MEM_EXPORT int vmm_mem_dirty_log_overflow(vmm_mem_t *mem,
					      uint64_t *count);

/* ------------------------------------------------------------------------ */
/* IOVA views (since 1.2)                                                    */
/* ------------------------------------------------------------------------ */

/*
 * A device behind a virtual IOMMU (virtio's VIRTIO_F_ACCESS_PLATFORM) sees
 * I/O virtual addresses (IOVA), translated through an IOTLB that a
 * vhost-user back end fills from VHOST_USER_IOTLB_MSG updates and
 * invalidations.  An IOVA view is a vmm_mem_t whose addresses are IOVAs:
 * every consumer call works on it unchanged, with "gpa" meaning IOVA (read,
 * write and their exact variants, fill, copy, load/store and _le, the fd
 * transfers, map/unmap, get_slice(s), gpa_to_hva, snapshots, region info,
 * check_range ...), so a device model does not care whether an IOMMU sits
 * in front.  Each IOTLB entry appears as one region (one per guest region
 * its target spans) in IOVA space; a range over several entries is handled
 * like a range over several regions.
 *
 * Differences from a guest memory, named "IOVA views" on each page:
 *  - an access needing a translation the IOTLB lacks fails with -ENXIO
 *    (never -EFAULT, which a guest memory uses for holes) and records the
 *    first missing IOVA and the access kind for the calling thread
 *    (vmm_mem_iotlb_last_miss()), so the back end can send IOTLB_MISS and
 *    retry; the calls that only ask whether an address is backed
 *    (address_in_range, check_range, checked_offset, region_info_at) answer
 *    as for a hole;
 *  - a write through a read-only translation, or a read through a
 *    write-only one, is -EACCES;
 *  - writes are dirty-logged by guest physical address, in the guest
 *    memory's internal and shared logs (as Linux vhost, DPDK and the
 *    vhost-user specification do); the dirty_log calls, add/remove_region,
 *    vua_to_gpa and new_iova_view itself refuse a view (-EOPNOTSUPP);
 *  - an entry holds the guest memory's region it translates to, as a
 *    mapping does: removing that region from the guest memory does not
 *    change the view; invalidate the entries when the memory table changes.
 *
 * IOTLB updates and invalidations run concurrently with accesses, with the
 * RCU rules of region hot-plug: an access sees the IOTLB before or after a
 * change, and after vmm_mem_iotlb_invalidate() returns no access that began
 * afterwards uses the old translation.  Snapshots of a view and mappings
 * (vmm_mem_map()) keep the translations they were made with, as they keep
 * removed regions: take one per batch of work.
 */

/** IOTLB entry permissions and access kinds (the values of vhost-user's
 *  VHOST_ACCESS_RO, _WO and _RW). */
#define VMM_MEM_IOTLB_READ (1u << 0)
#define VMM_MEM_IOTLB_WRITE (1u << 1)
/** vmm_mem_iotlb_update() flag: @target is a front-end user address (VUA,
 *  what vhost-user IOTLB messages carry), translated with
 *  vmm_mem_vua_to_gpa() when the entry is made; without it, a GPA. */
#define VMM_MEM_IOTLB_TARGET_VUA (1u << 2)

/**
 * vmm_mem_new_iova_view - create an empty IOVA view of guest memory
 * @parent (since 1.2; vm-memory 0.18: IommuMemory).  The view holds a
 * reference on @parent; release it with vmm_mem_unref() like any handle.
 * Returns 0 with *@out set; -EINVAL (@parent or @out NULL), -EOPNOTSUPP
 * (@parent is itself a view), -ENOMEM.  Thread-safe.
 */
VMM_MEM_EXPORT int vmm_mem_new_iova_view(vmm_mem_t *parent, vmm_mem_t **out);

/**
 * vmm_mem_iotlb_update - translate IOVAs [@iova, @iova + @size) to @target
 * on, with permission @flags (VMM_MEM_IOTLB_READ and/or _WRITE), @target a
 * GPA or, with VMM_MEM_IOTLB_TARGET_VUA, a VUA (since 1.2;
 * VHOST_IOTLB_UPDATE).  The whole target must be backed in the guest
 * memory at the time of the call; it may span several regions (one entry
 * per region).  An update replaces any translation of the IOVAs it covers
 * (what is left of an entry it overlaps stays).  A write permission over a
 * read-only region translates to a read-only entry.
 * Returns 0; -EINVAL (@view NULL or not a view, @size 0, no permission or
 * an unknown flag), -EOVERFLOW (@iova + @size or @target + @size above
 * 2^64 - 1: an entry never holds the last IOVA, nor a target the last
 * address, unlike vmm_mem_iotlb_invalidate()'s range), -EFAULT (part of the target is not backed, or a VUA no region
 * has), -EOPNOTSUPP (the target region is not mapped in advance), -ENOMEM.
 * On failure the IOTLB is unchanged.  Serialises with other updates of the
 * view; accesses run concurrently.  Waits for an RCU grace period when it
 * replaced a translation.
 */
VMM_MEM_EXPORT int vmm_mem_iotlb_update(vmm_mem_t *view, uint64_t iova,
					uint64_t size, uint64_t target,
					unsigned int flags);

/**
 * vmm_mem_iotlb_invalidate - drop every translation of the IOVAs
 * [@iova, @iova + @size) (since 1.2; VHOST_IOTLB_INVALIDATE); parts of
 * entries outside the range stay.  @iova 0 and @size UINT64_MAX invalidate
 * everything.  When it returns, no access that begins afterwards uses a
 * dropped translation (it waits for an RCU grace period); snapshots and
 * mappings taken before keep theirs.  Returns 0 (also when nothing was
 * translated there), -EINVAL (@view NULL or not a view, @size 0),
 * -EOVERFLOW (@iova + @size passes 2^64), -ENOMEM.
 */
VMM_MEM_EXPORT int vmm_mem_iotlb_invalidate(vmm_mem_t *view, uint64_t iova,
					    uint64_t size);

/**
 * vmm_mem_iotlb_last_miss - the calling thread's last IOTLB miss on @view
 * (since 1.2): the first IOVA an access or translation call found no entry
 * for (its -ENXIO), and *@perm the access kind it needed
 * (VMM_MEM_IOTLB_READ or _WRITE; 0 for the translation-only calls
 * get_slice(s), get_slices_prefix, get_host_address and gpa_to_hva), what a
 * back end puts in VHOST_IOTLB_MISS.  Snapshots of the view report here
 * too.  Returns 1 with *@iova and *@perm set and the record cleared, 0 when
 * this thread has no miss of @view recorded (either pointer may be NULL;
 * a view made after another was dropped, even at its address, starts
 * with none),
 * -EINVAL (@view NULL or not a view).  The record is per thread, so no
 * locking is needed and concurrent misses of other threads do not mix.
 */
VMM_MEM_EXPORT int vmm_mem_iotlb_last_miss(vmm_mem_t *view, uint64_t *iova,
					   unsigned int *perm);

/* ------------------------------------------------------------------------ */
/* Scalar helpers (inline; they call exported functions only)                */
/* ------------------------------------------------------------------------ */

/*
 * vmm_mem_read_u8 ... vmm_mem_write_be64: read or write one integer with
 * vmm_mem_read_exact() / vmm_mem_write_exact() (vm-memory: read_obj /
 * write_obj, and the Le/Be endian types).  _uN use host byte order, _leN
 * little-endian (virtio), _beN big-endian.  An aligned value is never torn.
 * Same errors as the exact calls.
 */
#define VMM_MEM__RD(name, type)                                              \
	static inline int vmm_mem_read_##name(vmm_mem_t *m, uint64_t gpa,     \
					      type *v)                        \
	{                                                                     \
		return vmm_mem_read_exact(m, gpa, v, sizeof(*v));             \
	}                                                                     \
	static inline int vmm_mem_write_##name(vmm_mem_t *m, uint64_t gpa,    \
					       type v)                        \
	{                                                                     \
		return vmm_mem_write_exact(m, gpa, &v, sizeof(v));            \
	}
VMM_MEM__RD(u8, uint8_t)
VMM_MEM__RD(u16, uint16_t)
VMM_MEM__RD(u32, uint32_t)
VMM_MEM__RD(u64, uint64_t)
#undef VMM_MEM__RD

#define VMM_MEM__END(name, type, bits, big)                                   \
	static inline int vmm_mem_read_##name(vmm_mem_t *m, uint64_t gpa,     \
					      type *v)                        \
	{                                                                     \
		type raw;                                                     \
		const unsigned char *b = (const unsigned char *)&raw;         \
		type x = 0;                                                   \
		unsigned int i;                                               \
		int r;                                                        \
		if (!v)                                                       \
			return -EINVAL;                                       \
		r = vmm_mem_read_exact(m, gpa, &raw, sizeof(raw));            \
		if (r < 0)                                                    \
			return r;                                             \
		for (i = 0; i < (bits) / 8; i++)                              \
			x |= (type)b[(big) ? i : (bits) / 8 - 1 - i]          \
			     << (((bits) / 8 - 1 - i) * 8);                   \
		*v = x;                                                       \
		return 0;                                                     \
	}                                                                     \
	static inline int vmm_mem_write_##name(vmm_mem_t *m, uint64_t gpa,    \
					       type v)                        \
	{                                                                     \
		type raw;                                                     \
		unsigned char *b = (unsigned char *)&raw;                     \
		unsigned int i;                                               \
		for (i = 0; i < (bits) / 8; i++)                              \
			b[(big) ? i : (bits) / 8 - 1 - i] =                    \
				(unsigned char)(v >> (((bits) / 8 - 1 - i) * 8)); \
		return vmm_mem_write_exact(m, gpa, &raw, sizeof(raw));        \
	}
VMM_MEM__END(le16, uint16_t, 16, 0)
VMM_MEM__END(le32, uint32_t, 32, 0)
VMM_MEM__END(le64, uint64_t, 64, 0)
VMM_MEM__END(be16, uint16_t, 16, 1)
VMM_MEM__END(be32, uint32_t, 32, 1)
VMM_MEM__END(be64, uint64_t, 64, 1)
#undef VMM_MEM__END

#ifdef __cplusplus
}
#endif

#endif /* VMMEM_H */
