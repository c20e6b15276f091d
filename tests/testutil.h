/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared helpers for the Check suites. */
#ifndef VMMEM_TESTUTIL_H
#define VMMEM_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vmmem.h>

/* Build a memory of anonymous regions; fails the test on error. */
vmm_mem_t *tu_mem_anon(const struct vmm_mem_range *r, size_t n);
/* Add one anonymous region; returns the library's result. */
int tu_add_anon(vmm_mem_t *m, uint64_t gpa, uint64_t size, uint32_t flags);
/* A caller-provided host mapping (VMM_MEM_REGION_HOST) at @hva. */
int tu_add_host(vmm_mem_t *m, uint64_t gpa, uint64_t size, void *hva,
		uint32_t flags);
/* Add one FD region; returns the library's result. */
int tu_add_fd(vmm_mem_t *m, uint64_t gpa, uint64_t size, int fd,
	      uint64_t off, uint32_t flags);
/* A Xen region of @type (FOREIGN or GRANT) of domain @domid, through the
 * caller's device descriptor @fd or, with -1, the library's own. */
int tu_add_xen(vmm_mem_t *m, uint32_t type, uint64_t gpa, uint64_t size,
	       uint32_t domid, int fd, uint32_t flags);
/* A memfd of @size bytes (ftruncate), fails the test on error. */
int tu_memfd(size_t size);
/* An unlinked regular temporary file of @size bytes (sparse). */
int tu_tmpfile(size_t size);
/* Fill @buf with a pattern derived from @seed. */
void tu_pattern(void *buf, size_t len, unsigned int seed);
/* Write all of @buf, retrying short writes and EINTR: 0 or -errno (-EIO
 * when a write returns 0).  No Check calls: usable from any thread. */
int tu_write_full(int fd, const void *buf, size_t len);
/* Read until @len bytes or end of file, retrying EINTR: the count or
 * -errno.  No Check calls: usable from any thread. */
ssize_t tu_read_full(int fd, void *buf, size_t len);
/* Number of open file descriptors of this process. */
int tu_count_fds(void);
/* 1 if a mapping covers @addr. */
int tu_is_mapped(const void *addr);
/* Number of /proc/self/maps lines containing @needle; tu_memfd()'s memfds
 * show as TU_MEMFD_MAPS. */
int tu_count_maps(const char *needle);
#define TU_MEMFD_MAPS "memfd:vmmem-test"
/*
 * Run a suite; returns the process exit status for main().  Each check's
 * result is printed as a TAP line ("ok N - ...", "not ok N - ...") on
 * stdout, which make check's TAP driver counts one by one; a check that
 * called TU_SKIP() is "ok N - ... # SKIP reason", counted as a skip.
 */
int tu_run(Suite *s);

/*
 * In a check's body (a START_TEST function, not a helper it calls): this
 * check cannot run here, for the reason given (printf format), so it stops
 * and is reported as skipped, never as passed.  For what the platform
 * cannot do (an emulator's limits, a 32-bit address space), found out by
 * the check itself; never for a failure of the library.
 */
#define TU_SKIP(...)                                                          \
	do {                                                                  \
		tu_skip_record(__func__, __VA_ARGS__);                        \
		return;                                                       \
	} while (0)
void tu_skip_record(const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The host's page size, in bytes. */
size_t tu_page_size(void);
/* 1 if mmap(MAP_POPULATE) populates here (qemu-user drops the flag). */
int tu_populate_works(void);

/* The scheduler state of thread @tid of this process ('R', 'S' ...), or 0
 * when it cannot be read. */
char tu_thread_state(pid_t tid);
/* xorshift64: the next pseudo-random number of state *@s (non-zero). */
uint64_t tu_xorshift(uint64_t *s);
/* 1 if environment variable @name is set, non-empty and not "0". */
int tu_env_on(const char *name);
/* Stress iterations: @base times VMMEM_SOAK (a count, default 1), divided
 * by 3 under VMMEM_TSAN and by 50 under VMMEM_SLOW (valgrind); at least 1. */
unsigned long tu_scaled(unsigned long base);

#define TU_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
