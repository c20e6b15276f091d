/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_io.c - transfers between guest memory and file descriptors:
 * vmm_mem_read_from_fd(), vmm_mem_write_to_fd(), their positioned variants
 * and the _exact/_all variants, against real regular files, memfds, pipes
 * and socketpairs.
 *
 * Covers conformance cases 60 (fd parts), 64-69 and 114-121 (their fd
 * counterparts) of vm-memory-semantics.md, and the regression cases C04,
 * C05, C18 (read_from_fd part) and C20 of cases-regressions.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "testutil.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SENT 0xEE		/* sentinel byte: "not touched" */
#define GPA_WRAP 0xFFFFFFFFFFFFFF00ull

/* ------------------------------------------------------------------------ */
/* Syscall-count hook                                                        */
/* ------------------------------------------------------------------------ */

/*
 * The library documents one readv (writev) per non-exact call.  These
 * definitions interpose on the C library's readv and writev for the whole
 * test program: they count the calls and forward to the next definition
 * (the C library's, or a sanitizer's interceptor).  When the library does
 * not reach them (raw syscalls, static linking), the counters stay at 0
 * and the tests skip the syscall-count assertions.
 */
typedef ssize_t (*iov_fn)(int, const struct iovec *, int);

static atomic_int hook_readv_calls;
static atomic_int hook_writev_calls;

static iov_fn hook_next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	iov_fn fn;

	memcpy(&fn, &p, sizeof(fn));
	return fn;
}

__attribute__((visibility("default"))) ssize_t
readv(int fd, const struct iovec *iov, int iovcnt)
{
	static _Atomic(iov_fn) next;
	iov_fn fn = atomic_load(&next);

	if (!fn) {
		fn = hook_next("readv");
		if (!fn) {
			errno = ENOSYS;
			return -1;
		}
		atomic_store(&next, fn);
	}
	atomic_fetch_add(&hook_readv_calls, 1);
	return fn(fd, iov, iovcnt);
}

__attribute__((visibility("default"))) ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	static _Atomic(iov_fn) next;
	iov_fn fn = atomic_load(&next);

	if (!fn) {
		fn = hook_next("writev");
		if (!fn) {
			errno = ENOSYS;
			return -1;
		}
		atomic_store(&next, fn);
	}
	atomic_fetch_add(&hook_writev_calls, 1);
	return fn(fd, iov, iovcnt);
}

static void hook_reset(void)
{
	atomic_store(&hook_readv_calls, 0);
	atomic_store(&hook_writev_calls, 0);
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(p);
	return p;
}

static unsigned char *pat(size_t len, unsigned int seed)
{
	unsigned char *p = xmalloc(len);

	tu_pattern(p, len, seed);
	return p;
}

static size_t first_diff(const unsigned char *a, const unsigned char *b,
			 size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return len;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A memory of anonymous regions, every byte set to SENT. */
static vmm_mem_t *mem_sent(const struct vmm_mem_range *r, size_t n)
{
	vmm_mem_t *m = tu_mem_anon(r, n);
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(vmm_mem_fill(m, r[i].gpa, SENT, r[i].size), 0);
	return m;
}

static void guest_put(vmm_mem_t *m, uint64_t gpa, const void *buf,
		      size_t len)
{
	ck_assert_int_eq(vmm_mem_write_exact(m, gpa, buf, len), 0);
}

static void guest_expect(vmm_mem_t *m, uint64_t gpa, const void *want,
			 size_t len)
{
	unsigned char *got = xmalloc(len);

	ck_assert_int_eq(vmm_mem_read_exact(m, gpa, got, len), 0);
	ck_assert_msg(memcmp(got, want, len) == 0,
		      "guest [0x%" PRIx64 ", +0x%zx) differs at +0x%zx", gpa,
		      len, first_diff(got, want, len));
	free(got);
}

static void guest_expect_byte(vmm_mem_t *m, uint64_t gpa, int c, size_t len)
{
	unsigned char *want = xmalloc(len);

	memset(want, c, len);
	guest_expect(m, gpa, want, len);
	free(want);
}

/* The dirty bits of @npages (<= 64) 4 KiB pages from @gpa, cleared. */
static uint64_t dirty_bits(vmm_mem_t *m, uint64_t gpa, uint64_t npages)
{
	uint64_t bm = ~0ull;

	ck_assert_int_ge(vmm_mem_dirty_log_get(m, gpa, npages, &bm,
					       VMM_MEM_DIRTY_LOG_CLEAR), 0);
	return bm;
}

/* An unlinked regular file holding @buf, position 0. */
static int file_with(const void *buf, size_t len)
{
	int fd = tu_tmpfile(0);

	if (len)
		ck_assert_int_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	return fd;
}

static off_t fpos(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}

static off_t fsize(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_size;
}

static void file_expect(int fd, off_t off, const void *want, size_t len)
{
	unsigned char *got = xmalloc(len);

	ck_assert_int_eq(pread(fd, got, len, off), (ssize_t)len);
	ck_assert_msg(memcmp(got, want, len) == 0,
		      "file [0x%jx, +0x%zx) differs at +0x%zx", (intmax_t)off,
		      len, first_diff(got, want, len));
	free(got);
}

static void make_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
}

/* Bytes queued in a pipe or socket. */
static int avail(int fd)
{
	int n = -1;

	ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

static void put_pipe(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(tu_write_full(fd, buf, len), 0);
}

static void pipe_expect(int fd, const void *want, size_t len)
{
	unsigned char *got = xmalloc(len);

	ck_assert_int_eq(tu_read_full(fd, got, len), (ssize_t)len);
	ck_assert_msg(memcmp(got, want, len) == 0,
		      "stream differs at +0x%zx", first_diff(got, want, len));
	free(got);
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

/* Lower RLIMIT_FSIZE so that a regular file is a sink of @lim bytes: a
 * write reaching the limit comes back short, the next one fails with EFBIG
 * (SIGXFSZ ignored).  No Check call may run until fsize_restore(): the
 * test framework writes files too. */
struct fsize_guard {
	struct rlimit old;
	struct sigaction old_sa;
	int rc;
};

static void fsize_limit(struct fsize_guard *g, rlim_t lim)
{
	struct sigaction sa;
	struct rlimit r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGXFSZ, &sa, &g->old_sa), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &g->old), 0);
	ck_assert_uint_ge(g->old.rlim_max, lim);
	r.rlim_cur = lim;
	r.rlim_max = g->old.rlim_max;
	/* from here on no Check call until fsize_restore() */
	g->rc = setrlimit(RLIMIT_FSIZE, &r);
}

static void fsize_restore(struct fsize_guard *g)
{
	setrlimit(RLIMIT_FSIZE, &g->old);
	sigaction(SIGXFSZ, &g->old_sa, NULL);
	ck_assert_int_eq(g->rc, 0);
}

static void ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGPIPE, &sa, NULL), 0);
}

/* ---- helper threads ---- */

/* Feeds @len bytes of @buf into @fd in @chunk pieces, @delay_ms apart,
 * after @first_ms; closes @fd at the end if @close_after. */
struct feeder {
	pthread_t th;
	int fd;
	const unsigned char *buf;
	size_t len;
	size_t chunk;
	unsigned int first_ms;
	unsigned int delay_ms;
	int close_after;
	int rc;
};

static void *feeder_main(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0;

	f->rc = 0;
	sleep_ms(f->first_ms);
	while (off < f->len) {
		size_t n = f->len - off < f->chunk ? f->len - off : f->chunk;

		if (off)
			sleep_ms(f->delay_ms);
		f->rc = tu_write_full(f->fd, f->buf + off, n);
		if (f->rc)
			break;
		off += n;
	}
	if (f->close_after) {
		close(f->fd);
		f->fd = -1;
	}
	return NULL;
}

static void feeder_start(struct feeder *f)
{
	ck_assert_int_eq(pthread_create(&f->th, NULL, feeder_main, f), 0);
}

/* A feeder of @len bytes of @buf, @chunk at a time @delay_ms apart, into
 * @fd (not started). */
static void feeder_init(struct feeder *f, int fd, const unsigned char *buf,
			size_t len, size_t chunk, unsigned int delay_ms)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->buf = buf;
	f->len = len;
	f->chunk = chunk;
	f->delay_ms = delay_ms;
}

static void feeder_join(struct feeder *f)
{
	ck_assert_int_eq(pthread_join(f->th, NULL), 0);
	ck_assert_int_eq(f->rc, 0);
}

/* Drains @fd into @buf (@cap bytes) in @chunk reads, @delay_ms apart,
 * until end of file. */
struct drainer {
	pthread_t th;
	int fd;
	unsigned char *buf;
	size_t cap;
	size_t chunk;
	unsigned int first_ms;
	unsigned int delay_ms;
	size_t got;
	int rc;
};

static void *drainer_main(void *arg)
{
	struct drainer *d = arg;

	d->got = 0;
	d->rc = 0;
	sleep_ms(d->first_ms);
	for (;;) {
		size_t room = d->cap - d->got;
		ssize_t n;

		if (room == 0) {
			unsigned char extra;

			/* anything past the expected length is an error */
			n = read(d->fd, &extra, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n != 0)
				d->rc = -E2BIG;
			break;
		}
		n = read(d->fd, d->buf + d->got,
			 room < d->chunk ? room : d->chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			d->rc = -errno;
			break;
		}
		if (n == 0)
			break;
		d->got += (size_t)n;
		sleep_ms(d->delay_ms);
	}
	return NULL;
}

/* ---- SIGALRM without SA_RESTART ---- */

static volatile sig_atomic_t alarm_hits;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_hits++;
}

static void install_alarm_no_restart(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: blocking calls see EINTR */
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	alarm_hits = 0;
}

/* Waits (up to 5 s) until @tid sleeps, i.e. blocks in its system call,
 * then sends SIGALRM to @target @kicks times, @first_ms after that and
 * @gap_ms apart; then runs the feeder or drainer given (if any) in this
 * thread.  Several signals may merge into one delivery. */
struct kicker {
	pthread_t th;
	pthread_t target;
	pid_t target_tid;
	unsigned int first_ms;
	unsigned int gap_ms;
	int kicks;
	struct feeder *then_feed;
	struct drainer *then_drain;
};

/*
 * Join the kicker.  EDEADLK cannot come from joining another thread that
 * is not joining us; qemu-i386 gives it after delivering signals, having
 * lost the thread's identity: the check cannot run there.
 */
#define kicker_join(k)                                                        \
	do {                                                                  \
		int rc_ = pthread_join((k)->th, NULL);                        \
                                                                              \
		if (rc_ == EDEADLK)                                           \
			TU_SKIP("pthread_join() fails with EDEADLK after "    \
				"signals: this thread lost its identity in "  \
				"a signal handler (an emulator's fault)");    \
		ck_assert_int_eq(rc_, 0);                                     \
		if (alarm_hits == 0)                                          \
			TU_SKIP("no SIGALRM reached the blocked thread "      \
				"here, EINTR not exercised");                 \
	} while (0)

static void *kicker_main(void *arg)
{
	struct kicker *k = arg;
	int i;

	for (i = 0; i < 5000 && tu_thread_state(k->target_tid) != 'S'; i++)
		sleep_ms(1);
	sleep_ms(k->first_ms);
	for (i = 0; i < k->kicks; i++) {
		pthread_kill(k->target, SIGALRM);
		sleep_ms(k->gap_ms);
	}
	if (k->then_feed)
		feeder_main(k->then_feed);
	if (k->then_drain)
		drainer_main(k->then_drain);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Case 60 and C06: zero-length transfers                                    */
/* ------------------------------------------------------------------------ */

START_TEST(case60_zero_length_fd)
{
	/*
	 * Case 60: GM[(0x1000,0x1000)]: read_volatile_from(count 0) -> 0;
	 * read_exact_volatile_from(0) -> Ok; write_volatile_to(0) -> 0;
	 * write_all_volatile_to(0) -> Ok.  libvmmem: "A @len of 0 returns 0
	 * at once and touches neither guest memory nor @fd", and DESIGN.md:
	 * a zero-length access succeeds at any address.
	 */
	const struct vmm_mem_range r[] = { { 0x1000, 0x1000 } };
	static const unsigned char four[4] = { 1, 2, 3, 4 };
	const uint64_t gpas[] = { 0x1000, 0x1800, 0x5000, 0, GPA_WRAP };
	vmm_mem_t *m = mem_sent(r, 1);
	int in[2], out[2], dead[2], fd;
	uint64_t done;
	size_t i;

	make_pipe(in);
	make_pipe(out);
	put_pipe(in[1], four, 4);
	fd = file_with(four, 4);
	ck_assert_int_eq(lseek(fd, 2, SEEK_SET), 2);
	make_pipe(dead);
	close(dead[0]);		/* dead[] numbers are now closed fds */
	close(dead[1]);

	for (i = 0; i < TU_ARRAY_SIZE(gpas); i++) {
		uint64_t g = gpas[i];

		ck_assert_int_eq(vmm_mem_read_from_fd(m, g, in[0], 0), 0);
		ck_assert_int_eq(vmm_mem_write_to_fd(m, g, out[1], 0), 0);
		ck_assert_int_eq(vmm_mem_pread_from_fd(m, g, fd, 0, 0), 0);
		ck_assert_int_eq(vmm_mem_pwrite_to_fd(m, g, fd, 0, 0), 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, g, in[0], 0,
							    &done), 0);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_write_all_to_fd(m, g, out[1], 0,
							 &done), 0);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, g, fd, 0, 0,
							     &done), 0);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(m, g, fd, 0, 0,
							  &done), 0);
		ck_assert_uint_eq(done, 0);
		ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, g, in[0], 0,
							    NULL), 0);

		/* the fd is not touched at all: a closed one is fine too */
		ck_assert_int_eq(vmm_mem_read_from_fd(m, g, dead[0], 0), 0);
		ck_assert_int_eq(vmm_mem_write_to_fd(m, g, dead[0], 0), 0);
		ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, g, dead[0], 0,
							    NULL), 0);
		ck_assert_int_eq(vmm_mem_write_all_to_fd(m, g, dead[0], 0,
							 NULL), 0);
	}

	/* nothing consumed, nothing produced, nothing moved or written */
	ck_assert_int_eq(avail(in[0]), 4);
	ck_assert_int_eq(avail(out[0]), 0);
	ck_assert_int_eq(fpos(fd), 2);
	ck_assert_int_eq(fsize(fd), 4);
	file_expect(fd, 0, four, 4);
	guest_expect_byte(m, 0x1000, SENT, 0x1000);

	close(fd);
	close_pair(in);
	close_pair(out);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* C04: no 4 KiB cap                                                         */
/* ------------------------------------------------------------------------ */

START_TEST(c04_read_from_file_no_cap)
{
	/*
	 * C04 case A.1: R0 [0x0, 0x10000), anon.  Regular file F holds
	 * 0x3000 bytes of a known pattern.  read_from_fd(0x100, F, 0x3000)
	 * (non-exact) returns 0x3000; guest [0x100, 0x3100) equals F.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x10000 } };
	vmm_mem_t *m = mem_sent(r, 1);
	unsigned char *data = pat(0x3000, 4);
	int fd = file_with(data, 0x3000);
	int calls;
	ssize_t n;

	hook_reset();
	n = vmm_mem_read_from_fd(m, 0x100, fd, 0x3000);
	calls = atomic_load(&hook_readv_calls);
	ck_assert_int_eq(n, 0x3000);
	guest_expect(m, 0x100, data, 0x3000);
	guest_expect_byte(m, 0, SENT, 0x100);
	guest_expect_byte(m, 0x3100, SENT, 0x100);
	ck_assert_int_eq(fpos(fd), 0x3000);
	/* "one read(2)-like transfer (a single readv)" */
	if (calls > 0)
		ck_assert_int_eq(calls, 1);

	/* a larger request stops at end of file */
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	n = vmm_mem_read_from_fd(m, 0x8000, fd, 0x8000);
	ck_assert_int_eq(n, 0x3000);
	guest_expect(m, 0x8000, data, 0x3000);
	guest_expect_byte(m, 0xb000, SENT, 0x5000);

	free(data);
	close(fd);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(c04_write_to_file_no_cap)
{
	/*
	 * C04 case A.2: write_to_fd(0x100, G, 0x3000) into an empty regular
	 * file G returns 0x3000, and G equals guest [0x100, 0x3100).
	 */
	const struct vmm_mem_range r[] = { { 0, 0x10000 } };
	vmm_mem_t *m = mem_sent(r, 1);
	unsigned char *data = pat(0x3000, 5);
	int fd = tu_tmpfile(0);
	int calls;
	ssize_t n;

	guest_put(m, 0x100, data, 0x3000);
	hook_reset();
	n = vmm_mem_write_to_fd(m, 0x100, fd, 0x3000);
	calls = atomic_load(&hook_writev_calls);
	ck_assert_int_eq(n, 0x3000);
	ck_assert_int_eq(fsize(fd), 0x3000);
	ck_assert_int_eq(fpos(fd), 0x3000);
	file_expect(fd, 0, data, 0x3000);
	if (calls > 0)
		ck_assert_int_eq(calls, 1);

	free(data);
	close(fd);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(c04_two_regions_one_syscall)
{
	/*
	 * C04 case B: R0 [0x0, 0x2000) and R1 [0x2000, 0x6000):
	 * read_from_fd(0x1000, F4, 0x4000) returns 0x4000 with correct
	 * contents; at most one read syscall per region fragment (libvmmem
	 * documents a single readv over the fragments).  The same for
	 * write_to_fd in the other direction.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x2000 }, { 0x2000, 0x4000 } };
	vmm_mem_t *m = mem_sent(r, 2);
	unsigned char *data = pat(0x4000, 6);
	int fd = file_with(data, 0x4000);
	int out = tu_tmpfile(0);
	int rcalls, wcalls;
	ssize_t n, w;

	hook_reset();
	n = vmm_mem_read_from_fd(m, 0x1000, fd, 0x4000);
	w = vmm_mem_write_to_fd(m, 0x1000, out, 0x4000);
	rcalls = atomic_load(&hook_readv_calls);
	wcalls = atomic_load(&hook_writev_calls);

	ck_assert_int_eq(n, 0x4000);
	guest_expect(m, 0x1000, data, 0x4000);
	guest_expect_byte(m, 0, SENT, 0x1000);
	guest_expect_byte(m, 0x5000, SENT, 0x1000);
	ck_assert_int_eq(w, 0x4000);
	file_expect(out, 0, data, 0x4000);
	/* skipped when the hook is not reached (raw syscalls) */
	if (rcalls > 0)
		ck_assert_int_eq(rcalls, 1);
	if (wcalls > 0)
		ck_assert_int_eq(wcalls, 1);

	free(data);
	close(fd);
	close(out);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(c04_pipe_no_cap)
{
	/*
	 * C04 (kind): a pipe holding 0x8000 bytes gives all of them to one
	 * read_from_fd, and one write_to_fd puts 0x8000 bytes into an empty
	 * pipe (capacity 64 KiB): no 4 KiB chunk anywhere.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x4000 }, { 0x4000, 0xc000 } };
	vmm_mem_t *m = mem_sent(r, 2);
	unsigned char *data = pat(0x8000, 7);
	int p[2];
	ssize_t n;

	make_pipe(p);
	ck_assert_int_ge(fcntl(p[1], F_SETPIPE_SZ, 0x10000), 0x10000);
	put_pipe(p[1], data, 0x8000);
	n = vmm_mem_read_from_fd(m, 0x1000, p[0], 0x10000);
	ck_assert_int_eq(n, 0x8000);
	ck_assert_int_eq(avail(p[0]), 0);
	guest_expect(m, 0x1000, data, 0x8000);
	guest_expect_byte(m, 0x9000, SENT, 0x1000);

	n = vmm_mem_write_to_fd(m, 0x1000, p[1], 0x8000);
	ck_assert_int_eq(n, 0x8000);
	ck_assert_int_eq(avail(p[0]), 0x8000);
	pipe_expect(p[0], data, 0x8000);

	free(data);
	close_pair(p);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Cases 64-69                                                               */
/* ------------------------------------------------------------------------ */

START_TEST(case64_read_from_across_regions)
{
	/*
	 * Case 64: GM[(0,0x40),(0x40,0x40)]:
	 * read_volatile_from(0x30, src=buffer 0..0x7f, 0x20) -> Ok(0x20);
	 * memory 0x30..0x4f = 0x00..0x1f.  The source is a regular file
	 * (then a pipe) holding 0x00..0x7f.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x40 }, { 0x40, 0x40 } };
	vmm_mem_t *m = mem_sent(r, 2);
	unsigned char src[0x80], want[0x20];
	int fd, p[2];
	unsigned int i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)i;
	memcpy(want, src, sizeof(want));

	fd = file_with(src, sizeof(src));
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x30, fd, 0x20), 0x20);
	guest_expect(m, 0x30, want, 0x20);
	guest_expect_byte(m, 0, SENT, 0x30);
	guest_expect_byte(m, 0x50, SENT, 0x30);
	ck_assert_int_eq(fpos(fd), 0x20);
	close(fd);

	ck_assert_int_eq(vmm_mem_fill(m, 0, SENT, 0x80), 0);
	make_pipe(p);
	put_pipe(p[1], src, sizeof(src));
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x30, p[0], 0x20), 0x20);
	guest_expect(m, 0x30, want, 0x20);
	guest_expect_byte(m, 0x50, SENT, 0x30);
	ck_assert_int_eq(avail(p[0]), 0x60);
	close_pair(p);
	vmm_mem_unref(m);
}
END_TEST

static void case65_check(vmm_mem_t *m)
{
	uint32_t v = 0xffffffffu;
	unsigned char sink[4];
	uint64_t done = 77;
	int zero, p[2];

	zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(zero, 0);
	ck_assert_int_eq(vmm_mem_write_u32(m, 0x1010, 0xffffffffu), 0);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x1010, zero, 4,
						    &done), 0);
	ck_assert_uint_eq(done, 4);
	ck_assert_int_eq(vmm_mem_read_u32(m, 0x1010, &v), 0);
	ck_assert_uint_eq(v, 0);

	make_pipe(p);
	done = 77;
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0x1010, p[1], 4, &done),
			 0);
	ck_assert_uint_eq(done, 4);
	ck_assert_int_eq(avail(p[0]), 4);
	memset(sink, 0x5a, sizeof(sink));
	ck_assert_int_eq(read(p[0], sink, 4), 4);
	ck_assert_int_eq(sink[0] | sink[1] | sink[2] | sink[3], 0);
	close_pair(p);
	close(zero);
}

START_TEST(case65_dev_zero_anon)
{
	/*
	 * Case 65 (GM): GM[(0x1000,0x400)]: write_obj(0xffffffffu32, 0x1010);
	 * read_exact_volatile_from(0x1010, /dev/zero, 4); read_obj u32;
	 * write_all_volatile_to(0x1010, 4-byte sink, 4) -> Ok; value 0; sink
	 * [0,0,0,0].  The sink is a pipe.
	 */
	const struct vmm_mem_range r[] = { { 0x1000, 0x400 } };
	vmm_mem_t *m = tu_mem_anon(r, 1);

	case65_check(m);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(case65_dev_zero_file)
{
	/* Case 65 (GMf): the same with the region backed by a temp file of
	 * exactly 0x400 bytes at offset 0; the zeros reach the file. */
	vmm_mem_t *m = NULL;
	unsigned char b[4];
	int fd;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	fd = tu_tmpfile(0x400);
	ck_assert_int_eq(tu_add_fd(m, 0x1000, 0x400, fd, 0, 0), 0);
	case65_check(m);
	ck_assert_int_eq(pread(fd, b, 4, 0x10), 4);
	ck_assert_int_eq(b[0] | b[1] | b[2] | b[3], 0);
	close(fd);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(case66_short_source_exact)
{
	/*
	 * Case 66: GM[(0x1000,0x1000)]: read_exact_volatile_from(0x1000,
	 * source of 3 bytes, 8) -> Err(PartialBuffer{8,3}); 3 bytes written.
	 * libvmmem: -ENODATA with *done == 3.  Source: a pipe whose writer
	 * closes after 3 bytes, then a 3-byte regular file (also through
	 * pread_exact_from_fd).
	 */
	const struct vmm_mem_range r[] = { { 0x1000, 0x1000 } };
	static const unsigned char three[3] = { 0xa1, 0xa2, 0xa3 };
	vmm_mem_t *m = mem_sent(r, 1);
	uint64_t done = 77;
	int p[2], fd;

	make_pipe(p);
	put_pipe(p[1], three, 3);
	close(p[1]);
	p[1] = -1;
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x1000, p[0], 8, &done),
			 -ENODATA);
	ck_assert_uint_eq(done, 3);
	guest_expect(m, 0x1000, three, 3);
	guest_expect_byte(m, 0x1003, SENT, 0x1000 - 3);
	close_pair(p);

	ck_assert_int_eq(vmm_mem_fill(m, 0x1000, SENT, 0x1000), 0);
	fd = file_with(three, 3);
	done = 77;
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x1000, fd, 8, &done),
			 -ENODATA);
	ck_assert_uint_eq(done, 3);
	guest_expect(m, 0x1000, three, 3);
	guest_expect_byte(m, 0x1003, SENT, 5);
	ck_assert_int_eq(fpos(fd), 3);

	ck_assert_int_eq(vmm_mem_fill(m, 0x1000, SENT, 0x1000), 0);
	ck_assert_int_eq(lseek(fd, 1, SEEK_SET), 1);
	done = 77;
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, 0x1800, fd, 8, 0,
						     &done), -ENODATA);
	ck_assert_uint_eq(done, 3);
	guest_expect(m, 0x1800, three, 3);
	guest_expect_byte(m, 0x1803, SENT, 5);
	ck_assert_int_eq(fpos(fd), 1);
	close(fd);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(case67_eof_is_zero)
{
	/*
	 * Case 67: GM[(0x1000,0x1000)]: read_volatile_from(0x1000, fd at
	 * EOF, 16) -> Ok(0) (not an error).  An empty regular file, a file
	 * positioned at its end, a pipe whose writer closed, pread past the
	 * end of a file.
	 */
	const struct vmm_mem_range r[] = { { 0x1000, 0x1000 } };
	vmm_mem_t *m = mem_sent(r, 1);
	unsigned char data[8];
	int fd, p[2];

	fd = tu_tmpfile(0);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x1000, fd, 16), 0);
	close(fd);

	tu_pattern(data, sizeof(data), 67);
	fd = file_with(data, sizeof(data));
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 8);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x1000, fd, 16), 0);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0x1000, fd, 16, 8), 0);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0x1000, fd, 16, 0x100000),
			 0);
	ck_assert_int_eq(fpos(fd), 8);
	close(fd);

	make_pipe(p);
	close(p[1]);
	p[1] = -1;
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x1000, p[0], 16), 0);
	close_pair(p);

	guest_expect_byte(m, 0x1000, SENT, 0x1000);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(case68_sink_stops_early)
{
	/*
	 * Case 68: GM[(0x1000,0x1000)]: write_volatile_to(0x1000, buffer sink
	 * of 2 bytes, 4) -> Err(IOError(WriteZero)).  fd counterparts:
	 *  a) a regular file limited to 2 bytes (RLIMIT_FSIZE, SIGXFSZ
	 *     ignored): write_to_fd is one short writev (2); write_all_to_fd
	 *     fails with the fd error (-EFBIG) having done 2;
	 *  b) a pipe whose read end is closed, SIGPIPE ignored: -EPIPE,
	 *     done 0;
	 *  c) a full non-blocking pipe: -EAGAIN, done 0; a one-page pipe
	 *     takes exactly its capacity before write_all gives -EAGAIN.
	 */
	const struct vmm_mem_range r[] = { { 0x1000, 0x4000 } };
	vmm_mem_t *m = mem_sent(r, 1);
	unsigned char *data = pat(0x4000, 68);
	struct fsize_guard g;
	int fa, fb, p[2], cap;
	ssize_t n1;
	int rc2;
	uint64_t done = 77;
	unsigned char *fill;

	guest_put(m, 0x1000, data, 0x4000);

	/* a) */
	fa = tu_tmpfile(0);
	fb = tu_tmpfile(0);
	fsize_limit(&g, 2);
	n1 = vmm_mem_write_to_fd(m, 0x1000, fa, 4);
	rc2 = vmm_mem_write_all_to_fd(m, 0x1000, fb, 4, &done);
	fsize_restore(&g);
	ck_assert_int_eq(n1, 2);
	ck_assert_int_eq(rc2, -EFBIG);
	ck_assert_uint_eq(done, 2);
	ck_assert_int_eq(fsize(fa), 2);
	ck_assert_int_eq(fsize(fb), 2);
	file_expect(fa, 0, data, 2);
	file_expect(fb, 0, data, 2);
	close(fa);
	close(fb);

	/* b) */
	ignore_sigpipe();
	make_pipe(p);
	close(p[0]);
	p[0] = -1;
	ck_assert_int_eq(vmm_mem_write_to_fd(m, 0x1000, p[1], 4), -EPIPE);
	done = 77;
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0x1000, p[1], 4, &done),
			 -EPIPE);
	ck_assert_uint_eq(done, 0);
	close_pair(p);

	/* c) a full pipe */
	make_pipe(p);
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	cap = fcntl(p[1], F_GETPIPE_SZ);
	ck_assert_int_gt(cap, 0);
	fill = xmalloc((size_t)cap);
	memset(fill, 0x33, (size_t)cap);
	ck_assert_int_eq(write(p[1], fill, (size_t)cap), cap);
	ck_assert_int_eq(vmm_mem_write_to_fd(m, 0x1000, p[1], 4), -EAGAIN);
	done = 77;
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0x1000, p[1], 4, &done),
			 -EAGAIN);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(avail(p[0]), cap);
	free(fill);
	close_pair(p);

	/* c') a one-page pipe fills up in the middle of write_all */
	make_pipe(p);
	cap = fcntl(p[1], F_SETPIPE_SZ, 4096);
	ck_assert_int_gt(cap, 0);
	ck_assert_int_lt(cap, 0x4000);
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	done = 77;
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0x1000, p[1], 0x4000,
						 &done), -EAGAIN);
	ck_assert_uint_eq(done, (uint64_t)cap);
	ck_assert_int_eq(avail(p[0]), cap);
	pipe_expect(p[0], data, (size_t)cap);
	close_pair(p);

	free(data);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(case69_short_source_contiguous)
{
	/*
	 * Case 69: GM[(0,0x1000),(0x1000,0x1000)]; the source returns at
	 * most 3 bytes per read, with >= 12 bytes available:
	 * read_volatile_from(0xffa, src, 12) -> 0.14.1: Ok(12), data
	 * contiguous at 0xffa..0x1005; reads 3@0xffa, 3@0xffd, 3@0x1000,
	 * 3@0x1003 (0.17+: Ok(6) with a gap; do not reproduce that).
	 *
	 * The source is a SOCK_SEQPACKET socketpair holding four 3-byte
	 * records: every read returns one record.  In libvmmem the exact
	 * variant loops (read_exact_from_fd); the non-exact one is a single
	 * readv, so it returns the first 3 bytes and stops.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x1000 }, { 0x1000, 0x1000 } };
	vmm_mem_t *m = mem_sent(r, 2);
	unsigned char stream[12];
	uint64_t done = 77;
	int sv[2], i, calls, rc;
	ssize_t n;

	tu_pattern(stream, sizeof(stream), 69);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(send(sv[1], stream + 3 * i, 3, 0), 3);

	hook_reset();
	rc = vmm_mem_read_exact_from_fd(m, 0xffa, sv[0], 12, &done);
	calls = atomic_load(&hook_readv_calls);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(done, 12);
	guest_expect(m, 0xffa, stream, 12);
	guest_expect_byte(m, 0xf00, SENT, 0xfa);
	guest_expect_byte(m, 0x1006, SENT, 0xffa);
	if (calls > 0)
		ck_assert_int_eq(calls, 4);

	/* non-exact: one readv, 3 bytes, nothing past them */
	ck_assert_int_eq(vmm_mem_fill(m, 0, SENT, 0x2000), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(send(sv[1], stream + 3 * i, 3, 0), 3);
	n = vmm_mem_read_from_fd(m, 0xffa, sv[0], 12);
	ck_assert_int_eq(n, 3);
	guest_expect(m, 0xffa, stream, 3);
	guest_expect_byte(m, 0xffd, SENT, 0x1003);
	/* the next call continues the stream where the last one stopped */
	n = vmm_mem_read_from_fd(m, 0xffd, sv[0], 9);
	ck_assert_int_eq(n, 3);
	guest_expect(m, 0xffa, stream, 6);
	guest_expect_byte(m, 0x1000, SENT, 0x1000);

	close_pair(sv);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(c20_short_read_first_fragment_stops)
{
	/*
	 * C20: R0 [0x0, 0x1000) and R1 [0x1000, 0x2000), anon.  The pipe
	 * writer first writes 0x400 bytes; n = read_from_fd(0x800, pipe,
	 * 0x1800) (non-exact); then the writer writes 0x1400 more.  n is
	 * 0x400, or larger with guest [0x800, 0x800+n) equal to stream
	 * [0, n) with no gap; n > 0x400 with [0xC00, 0x1000) untouched is a
	 * failure.  libvmmem does one readv, so n must be exactly 0x400.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x1000 }, { 0x1000, 0x1000 } };
	vmm_mem_t *m = mem_sent(r, 2);
	unsigned char *stream = pat(0x1800, 20);
	uint64_t done = 77;
	int p[2];
	ssize_t n;

	make_pipe(p);
	put_pipe(p[1], stream, 0x400);
	n = vmm_mem_read_from_fd(m, 0x800, p[0], 0x1800);
	ck_assert_int_eq(n, 0x400);
	guest_expect(m, 0x800, stream, 0x400);
	guest_expect_byte(m, 0xc00, SENT, 0x1400);
	guest_expect_byte(m, 0, SENT, 0x800);

	/* the rest of the stream continues where the short read stopped */
	put_pipe(p[1], stream + 0x400, 0x1400);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x800 + 0x400, p[0],
						    0x1400, &done), 0);
	ck_assert_uint_eq(done, 0x1400);
	guest_expect(m, 0x800, stream, 0x1800);

	free(stream);
	close_pair(p);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Cases 114-121 (fd counterparts): 5 bytes of memory, slice = first 4      */
/* ------------------------------------------------------------------------ */

#define S5 0x2000		/* the 5-byte "memory" lives at S5..S5+4 */

static vmm_mem_t *mem5(void)
{
	const struct vmm_mem_range r[] = { { 0x1000, 0x2000 } };
	vmm_mem_t *m = tu_mem_anon(r, 1);

	ck_assert_int_eq(vmm_mem_fill(m, 0x1000, 0, 0x2000), 0);
	return m;
}

static void mem5_expect(vmm_mem_t *m, const unsigned char want[5])
{
	guest_expect(m, S5, want, 5);
}

START_TEST(case114_read_from_pipe_source)
{
	/*
	 * Case 114: buffer source [1,2] / [1,2,3,4] / [5,6,7,8,9]:
	 * read_volatile of a 4-byte slice -> 2 / 4 / 4; memory [1,2,0,0,0] /
	 * [1,2,3,4,0] / [5,6,7,8,0].  Sources: pipes whose writer closed.
	 */
	static const unsigned char s1[] = { 1, 2 }, s2[] = { 1, 2, 3, 4 },
				   s3[] = { 5, 6, 7, 8, 9 };
	static const unsigned char w1[5] = { 1, 2, 0, 0, 0 },
				   w2[5] = { 1, 2, 3, 4, 0 },
				   w3[5] = { 5, 6, 7, 8, 0 };
	const struct {
		const unsigned char *src;
		size_t len;
		ssize_t n;
		const unsigned char *want;
	} t[] = { { s1, 2, 2, w1 }, { s2, 4, 4, w2 }, { s3, 5, 4, w3 } };
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(t); i++) {
		vmm_mem_t *m = mem5();
		int p[2];

		make_pipe(p);
		put_pipe(p[1], t[i].src, t[i].len);
		close(p[1]);
		p[1] = -1;
		ck_assert_int_eq(vmm_mem_read_from_fd(m, S5, p[0], 4), t[i].n);
		mem5_expect(m, t[i].want);
		ck_assert_int_eq(avail(p[0]), (int)(t[i].len - (size_t)t[i].n));
		close_pair(p);
		vmm_mem_unref(m);
	}
}
END_TEST

START_TEST(case115_116_read_exact_file_and_pipe)
{
	/*
	 * Case 115/116: the same sources, read_exact_volatile of 4 bytes:
	 * [1,2] fails (EOF), the others are Ok.  Case 116 (file source): the
	 * partial data is kept, memory = [1,2,0,0,0].  libvmmem: -ENODATA,
	 * *done == 2, the two bytes landed (for files and pipes alike:
	 * "bytes land contiguously").  The non-exact read of a file: same
	 * counts as case 114.
	 */
	static const unsigned char s1[] = { 1, 2 }, s2[] = { 1, 2, 3, 4 },
				   s3[] = { 5, 6, 7, 8, 9 };
	static const unsigned char w1[5] = { 1, 2, 0, 0, 0 },
				   w2[5] = { 1, 2, 3, 4, 0 },
				   w3[5] = { 5, 6, 7, 8, 0 };
	const struct {
		const unsigned char *src;
		size_t len;
		int rc;
		uint64_t done;
		const unsigned char *want;
	} t[] = { { s1, 2, -ENODATA, 2, w1 },
		  { s2, 4, 0, 4, w2 },
		  { s3, 5, 0, 4, w3 } };
	size_t i;

	for (i = 0; i < TU_ARRAY_SIZE(t); i++) {
		vmm_mem_t *m;
		uint64_t done = 77;
		int fd, p[2];

		/* file, exact */
		m = mem5();
		fd = file_with(t[i].src, t[i].len);
		ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, S5, fd, 4, &done),
				 t[i].rc);
		ck_assert_uint_eq(done, t[i].done);
		mem5_expect(m, t[i].want);
		ck_assert_int_eq(fpos(fd), (off_t)t[i].done);
		vmm_mem_unref(m);

		/* file, non-exact (case 116's read_volatile) */
		m = mem5();
		ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
		ck_assert_int_eq(vmm_mem_read_from_fd(m, S5, fd, 4),
				 (ssize_t)t[i].done);
		mem5_expect(m, t[i].want);
		vmm_mem_unref(m);

		/* file, positioned exact; the position stays */
		m = mem5();
		ck_assert_int_eq(lseek(fd, 1, SEEK_SET), 1);
		done = 77;
		ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, S5, fd, 4, 0,
							     &done), t[i].rc);
		ck_assert_uint_eq(done, t[i].done);
		mem5_expect(m, t[i].want);
		ck_assert_int_eq(fpos(fd), 1);
		vmm_mem_unref(m);
		close(fd);

		/* pipe, exact (case 115) */
		m = mem5();
		make_pipe(p);
		put_pipe(p[1], t[i].src, t[i].len);
		close(p[1]);
		p[1] = -1;
		done = 77;
		ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, S5, p[0], 4,
							    &done), t[i].rc);
		ck_assert_uint_eq(done, t[i].done);
		mem5_expect(m, t[i].want);
		close_pair(p);
		vmm_mem_unref(m);
	}
}
END_TEST

START_TEST(case117_write_to_4_byte_sink)
{
	/*
	 * Case 117: 4-byte buffer sink; source slices of 2, 4, 5 bytes:
	 * write_volatile -> 2 / 4 / 4; write_all_volatile of the 5-byte
	 * slice -> Err(WriteZero) with the sink holding [5,6,7,8].  The sink
	 * is a regular file limited to 4 bytes (RLIMIT_FSIZE): the error is
	 * the fd's, -EFBIG, with *done == 4.
	 */
	static const unsigned char src[5] = { 5, 6, 7, 8, 9 };
	const size_t lens[] = { 2, 4, 5 };
	const ssize_t want[] = { 2, 4, 4 };
	const int want_all[] = { 0, 0, -EFBIG };
	vmm_mem_t *m = mem5();
	struct fsize_guard g;
	int fw[3], fa[3];
	ssize_t n[3];
	int rc[3];
	uint64_t done[3];
	size_t i;

	guest_put(m, S5, src, 5);
	for (i = 0; i < 3; i++) {
		fw[i] = tu_tmpfile(0);
		fa[i] = tu_tmpfile(0);
		done[i] = 77;
	}
	fsize_limit(&g, 4);
	for (i = 0; i < 3; i++) {
		n[i] = vmm_mem_write_to_fd(m, S5, fw[i], lens[i]);
		rc[i] = vmm_mem_write_all_to_fd(m, S5, fa[i], lens[i], &done[i]);
	}
	fsize_restore(&g);

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(n[i], want[i]);
		ck_assert_int_eq(rc[i], want_all[i]);
		ck_assert_uint_eq(done[i], (uint64_t)want[i]);
		ck_assert_int_eq(fsize(fw[i]), want[i]);
		ck_assert_int_eq(fsize(fa[i]), want[i]);
		file_expect(fw[i], 0, src, (size_t)want[i]);
		file_expect(fa[i], 0, src, (size_t)want[i]);
		close(fw[i]);
		close(fa[i]);
	}
	vmm_mem_unref(m);
}
END_TEST

START_TEST(case118_write_to_tmpfile)
{
	/*
	 * Case 118: temp file: write_volatile / write_all_volatile of an
	 * n-byte slice -> the file contains exactly those n bytes.  Also
	 * across two regions and through the positioned variants.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x2000 }, { 0x2000, 0x2000 } };
	const size_t lens[] = { 1, 4, 0x1000, 0x3000 };
	vmm_mem_t *m = tu_mem_anon(r, 2);
	unsigned char *data = pat(0x4000, 118);
	size_t i;

	guest_put(m, 0, data, 0x4000);
	for (i = 0; i < TU_ARRAY_SIZE(lens); i++) {
		uint64_t done = 77;
		int f1 = tu_tmpfile(0), f2 = tu_tmpfile(0);
		int f3 = tu_tmpfile(0), f4 = tu_tmpfile(0);

		ck_assert_int_eq(vmm_mem_write_to_fd(m, 0x800, f1, lens[i]),
				 (ssize_t)lens[i]);
		ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0x800, f2, lens[i],
							 &done), 0);
		ck_assert_uint_eq(done, lens[i]);
		ck_assert_int_eq(vmm_mem_pwrite_to_fd(m, 0x800, f3, lens[i], 0),
				 (ssize_t)lens[i]);
		done = 77;
		ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(m, 0x800, f4, lens[i],
							  0, &done), 0);
		ck_assert_uint_eq(done, lens[i]);
		ck_assert_int_eq(fsize(f1), (off_t)lens[i]);
		ck_assert_int_eq(fsize(f2), (off_t)lens[i]);
		ck_assert_int_eq(fsize(f3), (off_t)lens[i]);
		ck_assert_int_eq(fsize(f4), (off_t)lens[i]);
		file_expect(f1, 0, data + 0x800, lens[i]);
		file_expect(f2, 0, data + 0x800, lens[i]);
		file_expect(f3, 0, data + 0x800, lens[i]);
		file_expect(f4, 0, data + 0x800, lens[i]);
		ck_assert_int_eq(fpos(f1), (off_t)lens[i]);
		ck_assert_int_eq(fpos(f2), (off_t)lens[i]);
		ck_assert_int_eq(fpos(f3), 0);
		ck_assert_int_eq(fpos(f4), 0);
		close(f1);
		close(f2);
		close(f3);
		close(f4);
	}
	free(data);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(case119_file_cursor_read)
{
	/*
	 * Case 119: cursor over [1..7]; slice of 4: read, read, rewind,
	 * read_exact, read_exact -> 4 ([1,2,3,4]), 3 ([5,6,7,4]), Ok, Err.
	 * A regular file is the fd cursor.  Unlike the buffer cursor, the
	 * failed read_exact keeps what it read (done 3, memory [5,6,7,4]).
	 * The positioned variants do the same at explicit offsets and never
	 * move the position.
	 */
	static const unsigned char seven[7] = { 1, 2, 3, 4, 5, 6, 7 };
	static const unsigned char a[5] = { 1, 2, 3, 4, 0 };
	static const unsigned char b[5] = { 5, 6, 7, 4, 0 };
	vmm_mem_t *m = mem5();
	uint64_t done = 77;
	int fd = file_with(seven, 7);

	ck_assert_int_eq(vmm_mem_read_from_fd(m, S5, fd, 4), 4);
	mem5_expect(m, a);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, S5, fd, 4), 3);
	mem5_expect(m, b);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, S5, fd, 4), 0);
	mem5_expect(m, b);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, S5, fd, 4, &done), 0);
	ck_assert_uint_eq(done, 4);
	mem5_expect(m, a);
	done = 77;
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, S5, fd, 4, &done),
			 -ENODATA);
	ck_assert_uint_eq(done, 3);
	mem5_expect(m, b);
	ck_assert_int_eq(fpos(fd), 7);

	/* positioned: the same sequence, position pinned at 2 */
	ck_assert_int_eq(lseek(fd, 2, SEEK_SET), 2);
	ck_assert_int_eq(vmm_mem_fill(m, S5, 0, 5), 0);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, S5, fd, 4, 0), 4);
	mem5_expect(m, a);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, S5, fd, 4, 4), 3);
	mem5_expect(m, b);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, S5, fd, 4, 7), 0);
	done = 77;
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, S5, fd, 4, 0, &done),
			 0);
	ck_assert_uint_eq(done, 4);
	mem5_expect(m, a);
	done = 77;
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, S5, fd, 4, 4, &done),
			 -ENODATA);
	ck_assert_uint_eq(done, 3);
	mem5_expect(m, b);
	ck_assert_int_eq(fpos(fd), 2);

	close(fd);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(case120_file_cursor_write)
{
	/*
	 * Case 120: cursor over a 7-byte sink; input [1,2,3,4]; write twice
	 * -> 4 then 3; sink [1,2,3,4,1,2,3].  The sink is a regular file
	 * limited to 7 bytes; then the same with pwrite_to_fd at offsets 0
	 * and 4, the position staying at 0.
	 */
	static const unsigned char in[4] = { 1, 2, 3, 4 };
	static const unsigned char want[7] = { 1, 2, 3, 4, 1, 2, 3 };
	vmm_mem_t *m = mem5();
	struct fsize_guard g;
	int f1 = tu_tmpfile(0), f2 = tu_tmpfile(0);
	ssize_t n1, n2, n3, n4;

	guest_put(m, S5, in, 4);
	fsize_limit(&g, 7);
	n1 = vmm_mem_write_to_fd(m, S5, f1, 4);
	n2 = vmm_mem_write_to_fd(m, S5, f1, 4);
	n3 = vmm_mem_pwrite_to_fd(m, S5, f2, 4, 0);
	n4 = vmm_mem_pwrite_to_fd(m, S5, f2, 4, 4);
	fsize_restore(&g);

	ck_assert_int_eq(n1, 4);
	ck_assert_int_eq(n2, 3);
	ck_assert_int_eq(n3, 4);
	ck_assert_int_eq(n4, 3);
	ck_assert_int_eq(fsize(f1), 7);
	ck_assert_int_eq(fsize(f2), 7);
	file_expect(f1, 0, want, 7);
	file_expect(f2, 0, want, 7);
	ck_assert_int_eq(fpos(f1), 7);
	ck_assert_int_eq(fpos(f2), 0);
	close(f1);
	close(f2);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(case121_pipe_sink)
{
	/*
	 * Case 121: empty vector sink; write_volatile of [1,2,3,4] -> 4;
	 * vector = input.  The sink is an empty pipe, then an O_APPEND file
	 * that already holds data.
	 */
	static const unsigned char in[4] = { 1, 2, 3, 4 };
	static const unsigned char pre[3] = { 9, 9, 9 };
	static const unsigned char want[7] = { 9, 9, 9, 1, 2, 3, 4 };
	vmm_mem_t *m = mem5();
	int p[2], fd;

	guest_put(m, S5, in, 4);
	make_pipe(p);
	ck_assert_int_eq(vmm_mem_write_to_fd(m, S5, p[1], 4), 4);
	ck_assert_int_eq(avail(p[0]), 4);
	pipe_expect(p[0], in, 4);
	close_pair(p);

	fd = file_with(pre, 3);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
	ck_assert_int_eq(vmm_mem_write_to_fd(m, S5, fd, 4), 4);
	ck_assert_int_eq(fsize(fd), 7);
	file_expect(fd, 0, want, 7);
	close(fd);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* C05: exact transfers retry and report progress                            */
/* ------------------------------------------------------------------------ */

START_TEST(c05_chunked_sender)
{
	/*
	 * C05.1: R0 [0x0, 0x40000), anon.  Over a socketpair, a writer thread
	 * sends 0x3000 bytes as three 0x1000-byte chunks, 10 ms apart.
	 * read_exact_from_fd(0x0, sock, 0x3000) succeeds and the bytes are
	 * correct.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x40000 } };
	vmm_mem_t *m = mem_sent(r, 1);
	unsigned char *data = pat(0x3000, 51);
	struct feeder f;
	uint64_t done = 77;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	feeder_init(&f, sv[1], data, 0x3000, 0x1000, 10);
	feeder_start(&f);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0, sv[0], 0x3000, &done),
			 0);
	feeder_join(&f);
	ck_assert_uint_eq(done, 0x3000);
	guest_expect(m, 0, data, 0x3000);
	guest_expect_byte(m, 0x3000, SENT, 0x1000);

	free(data);
	close_pair(sv);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(c05_early_eof)
{
	/*
	 * C05.2: the writer sends 0x2000 bytes, then closes.
	 * read_exact_from_fd(0x0, sock, 0x3000) fails with an EOF error
	 * (-ENODATA) reporting 0x2000 completed; guest [0, 0x2000) holds the
	 * data.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x40000 } };
	vmm_mem_t *m = mem_sent(r, 1);
	unsigned char *data = pat(0x2000, 52);
	struct feeder f;
	uint64_t done = 77;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	feeder_init(&f, sv[1], data, 0x2000, 0x1000, 10);
	f.close_after = 1;
	feeder_start(&f);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0, sv[0], 0x3000, &done),
			 -ENODATA);
	feeder_join(&f);
	sv[1] = -1;	/* closed by the feeder */
	ck_assert_uint_eq(done, 0x2000);
	guest_expect(m, 0, data, 0x2000);
	guest_expect_byte(m, 0x2000, SENT, 0x1000);

	free(data);
	close_pair(sv);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(c05_slow_reader)
{
	/*
	 * C05.3: write_all_to_fd(0x0, pipe, 0x30000) runs while the reader
	 * drains slowly; 0x30000 is larger than the 64 KiB pipe.  It
	 * succeeds, and the reader gets exactly 0x30000 bytes in order.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x40000 } };
	vmm_mem_t *m = tu_mem_anon(r, 1);
	unsigned char *data = pat(0x30000, 53);
	struct drainer d;
	uint64_t done = 77;
	int p[2];

	guest_put(m, 0, data, 0x30000);
	make_pipe(p);
	memset(&d, 0, sizeof(d));
	d.fd = p[0];
	d.cap = 0x30000;
	d.buf = xmalloc(d.cap);
	d.chunk = 0x1000;
	d.first_ms = 20;
	d.delay_ms = 1;
	ck_assert_int_eq(pthread_create(&d.th, NULL, drainer_main, &d), 0);
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0, p[1], 0x30000, &done), 0);
	ck_assert_uint_eq(done, 0x30000);
	close(p[1]);
	p[1] = -1;
	ck_assert_int_eq(pthread_join(d.th, NULL), 0);
	ck_assert_int_eq(d.rc, 0);
	ck_assert_uint_eq(d.got, 0x30000);
	ck_assert_msg(memcmp(d.buf, data, 0x30000) == 0,
		      "stream differs at +0x%zx",
		      first_diff(d.buf, data, 0x30000));

	free(d.buf);
	free(data);
	close_pair(p);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(c05_eintr_read_retried)
{
	/*
	 * C05.4: a SIGALRM handler installed without SA_RESTART interrupts
	 * the blocking read; the library retries without exposing EINTR.
	 * Both read_exact_from_fd and read_from_fd ("EINTR before any byte
	 * is retried") block on an empty pipe, get SIGALRMs, then the
	 * data.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x40000 } };
	vmm_mem_t *m = mem_sent(r, 1);
	unsigned char *data = pat(0x2000, 54);
	struct feeder f;
	struct kicker k;
	uint64_t done = 77;
	int p[2], rc, calls;
	ssize_t n;

	install_alarm_no_restart();
	make_pipe(p);

	/* exact */
	feeder_init(&f, p[1], data, 0x2000, 0x800, 5);
	memset(&k, 0, sizeof(k));
	k.target = pthread_self();
	k.target_tid = gettid();
	k.first_ms = 20;
	k.gap_ms = 30;
	k.kicks = 3;
	k.then_feed = &f;
	hook_reset();
	ck_assert_int_eq(pthread_create(&k.th, NULL, kicker_main, &k), 0);
	rc = vmm_mem_read_exact_from_fd(m, 0x1000, p[0], 0x2000, &done);
	calls = atomic_load(&hook_readv_calls);
	kicker_join(&k);
	ck_assert_int_eq(f.rc, 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(done, 0x2000);
	ck_assert_int_ge(alarm_hits, 1);
	guest_expect(m, 0x1000, data, 0x2000);
	/* at least one readv came back with EINTR and was repeated */
	if (calls > 0)
		ck_assert_int_ge(calls, 2);

	/* non-exact */
	alarm_hits = 0;
	f.len = 0x800;
	f.chunk = 0x800;
	ck_assert_int_eq(vmm_mem_fill(m, 0x1000, SENT, 0x2000), 0);
	hook_reset();
	ck_assert_int_eq(pthread_create(&k.th, NULL, kicker_main, &k), 0);
	n = vmm_mem_read_from_fd(m, 0x1000, p[0], 0x2000);
	calls = atomic_load(&hook_readv_calls);
	kicker_join(&k);
	ck_assert_int_eq(f.rc, 0);
	ck_assert_int_eq(n, 0x800);
	ck_assert_int_ge(alarm_hits, 1);
	guest_expect(m, 0x1000, data, 0x800);
	guest_expect_byte(m, 0x1800, SENT, 0x1800);
	if (calls > 0)
		ck_assert_int_ge(calls, 2);

	free(data);
	close_pair(p);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(c05_eintr_write_retried)
{
	/*
	 * C05.4 (write side): write_all_to_fd blocks on a full pipe and gets
	 * SIGALRMs (no SA_RESTART) before and while the reader drains; EINTR
	 * and the short writes it causes are retried; all bytes arrive in
	 * order after the pipe's earlier content.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x40000 } };
	vmm_mem_t *m = tu_mem_anon(r, 1);
	unsigned char *data = pat(0x20000, 55);
	unsigned char *fill;
	struct drainer d;
	struct kicker k;
	uint64_t done = 77;
	int p[2], cap, rc;

	install_alarm_no_restart();
	guest_put(m, 0, data, 0x20000);
	make_pipe(p);
	cap = fcntl(p[1], F_GETPIPE_SZ);
	ck_assert_int_gt(cap, 0);
	fill = xmalloc((size_t)cap);
	memset(fill, 0x44, (size_t)cap);
	put_pipe(p[1], fill, (size_t)cap);	/* full: the next write blocks */

	memset(&d, 0, sizeof(d));
	d.fd = p[0];
	d.cap = (size_t)cap + 0x20000;
	d.buf = xmalloc(d.cap);
	d.chunk = 0x2000;
	d.delay_ms = 1;
	memset(&k, 0, sizeof(k));
	k.target = pthread_self();
	k.target_tid = gettid();
	k.first_ms = 20;
	k.gap_ms = 30;
	k.kicks = 3;
	k.then_drain = &d;
	ck_assert_int_eq(pthread_create(&k.th, NULL, kicker_main, &k), 0);
	rc = vmm_mem_write_all_to_fd(m, 0, p[1], 0x20000, &done);
	close(p[1]);
	p[1] = -1;
	kicker_join(&k);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(done, 0x20000);
	ck_assert_int_ge(alarm_hits, 1);
	ck_assert_int_eq(d.rc, 0);
	ck_assert_uint_eq(d.got, d.cap);
	ck_assert_int_eq(memcmp(d.buf, fill, (size_t)cap), 0);
	ck_assert_msg(memcmp(d.buf + cap, data, 0x20000) == 0,
		      "stream differs at +0x%zx",
		      first_diff(d.buf + cap, data, 0x20000));

	free(fill);
	free(d.buf);
	free(data);
	close_pair(p);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(c05_large_3g)
{
	/*
	 * C05.5 (optional, off by default; set VMMEM_LARGE_TESTS=1): 3 GiB of
	 * file-backed sparse memory, read_exact_from_fd of 3 GiB from a
	 * sparse file succeeds in full although Linux moves at most
	 * 0x7ffff000 bytes per call.  Markers around the 2 GiB boundaries
	 * check that the bytes landed in place.
	 */
	const uint64_t size = 3ull << 30;
	const uint64_t marks[] = { 0, 0x7ffff000ull - 8, 0x7ffff000ull,
				   0x80000000ull, size - 8 };
	vmm_mem_t *m = NULL;
	unsigned char mk[8], got[8];
	uint64_t done = 77;
	int src, back;
	size_t i;

	if (!getenv("VMMEM_LARGE_TESTS"))
		return;	/* skipped */
	src = tu_tmpfile((size_t)size);
	back = tu_tmpfile((size_t)size);
	for (i = 0; i < TU_ARRAY_SIZE(marks); i++) {
		tu_pattern(mk, sizeof(mk), 500 + (unsigned int)i);
		ck_assert_int_eq(pwrite(src, mk, 8, (off_t)marks[i]), 8);
	}
	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(tu_add_fd(m, 0x100000000ull, size, back, 0, 0), 0);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x100000000ull, src,
						    size, &done), 0);
	ck_assert_uint_eq(done, size);
	ck_assert_int_eq(fpos(src), (off_t)size);
	for (i = 0; i < TU_ARRAY_SIZE(marks); i++) {
		tu_pattern(mk, sizeof(mk), 500 + (unsigned int)i);
		ck_assert_int_eq(pread(back, got, 8, (off_t)marks[i]), 8);
		ck_assert_int_eq(memcmp(got, mk, 8), 0);
	}
	close(src);
	close(back);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Errors: wrap, holes, read-only regions, fd errors, arguments              */
/* ------------------------------------------------------------------------ */

START_TEST(c18_read_from_fd_wrap_is_eoverflow)
{
	/*
	 * C18.1 (fd part): R0 [0x0, 0x1000), anon, holding a known pattern.
	 * read_from_fd at gpa 0xFFFF_FFFF_FFFF_FF00 with length 0x200
	 * returns an overflow error (-EOVERFLOW); R0 is unchanged and nothing
	 * is consumed from the pipe.  The same for every fd transfer, and for
	 * a backed start whose length wraps.  A range ending exactly at 2^64
	 * does not pass 2^64: it is merely unbacked (-EFAULT).
	 */
	const struct vmm_mem_range r[] = { { 0, 0x1000 } };
	vmm_mem_t *m = tu_mem_anon(r, 1);
	unsigned char *data = pat(0x1000, 18);
	unsigned char sixteen[16];
	const struct {
		uint64_t gpa, len;
		int err;
	} t[] = {
		{ GPA_WRAP, 0x200, -EOVERFLOW },
		{ 0x800, UINT64_MAX, -EOVERFLOW },
		{ 0x800, UINT64_MAX - 0x7fe, -EOVERFLOW },
		{ 0x2, UINT64_MAX, -EOVERFLOW },
		{ GPA_WRAP, 0x100, -EFAULT },
	};
	int in[2], out[2], fd;
	size_t i;

	guest_put(m, 0, data, 0x1000);
	ck_assert_int_eq(vmm_mem_dirty_log_start(m, 4096), 0);
	tu_pattern(sixteen, sizeof(sixteen), 181);
	make_pipe(in);
	make_pipe(out);
	put_pipe(in[1], sixteen, 16);
	fd = file_with(sixteen, 16);

	for (i = 0; i < TU_ARRAY_SIZE(t); i++) {
		uint64_t g = t[i].gpa, l = t[i].len, done;
		int e = t[i].err;

		ck_assert_int_eq(vmm_mem_read_from_fd(m, g, in[0], l), e);
		ck_assert_int_eq(vmm_mem_write_to_fd(m, g, out[1], l), e);
		ck_assert_int_eq(vmm_mem_read_from_fd(m, g, fd, l), e);
		ck_assert_int_eq(vmm_mem_write_to_fd(m, g, fd, l), e);
		ck_assert_int_eq(vmm_mem_pread_from_fd(m, g, fd, l, 0), e);
		ck_assert_int_eq(vmm_mem_pwrite_to_fd(m, g, fd, l, 0), e);
		done = 77;
		ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, g, in[0], l,
							    &done), e);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_write_all_to_fd(m, g, out[1], l,
							 &done), e);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, g, fd, l, 0,
							     &done), e);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(m, g, fd, l, 0,
							  &done), e);
		ck_assert_uint_eq(done, 0);
	}

	ck_assert_int_eq(avail(in[0]), 16);
	ck_assert_int_eq(avail(out[0]), 0);
	ck_assert_int_eq(fpos(fd), 0);
	ck_assert_int_eq(fsize(fd), 16);
	file_expect(fd, 0, sixteen, 16);
	guest_expect(m, 0, data, 0x1000);
	/* "R0 is unchanged and has no dirty bits" */
	ck_assert_int_eq(dirty_bits(m, 0, 1), 0);

	free(data);
	close(fd);
	close_pair(in);
	close_pair(out);
	vmm_mem_unref(m);
}
END_TEST

/* R0 [0, 0x1000), hole [0x1000, 0x2000), R1 [0x2000, 0x3000) */
static vmm_mem_t *mem_hole(void)
{
	const struct vmm_mem_range r[] = { { 0, 0x1000 }, { 0x2000, 0x1000 } };

	return mem_sent(r, 2);
}

START_TEST(hole_exact_efault_before_io)
{
	/*
	 * "The whole range is validated first (-EFAULT, -EACCES: nothing is
	 * read)": an exact transfer whose range runs into a hole (or past
	 * the end of memory) fails with -EFAULT before any I/O: the file
	 * position does not move, the pipe keeps its content, the sink gets
	 * nothing, guest memory is unchanged, *done is 0.
	 */
	vmm_mem_t *m = mem_hole();
	unsigned char *data = pat(0x3000, 30);
	const uint64_t gpas[] = { 0x800, 0x2800, 0x1800, 0x5000 };
	int in[2], out[2], fd, sink;
	size_t i;

	make_pipe(in);
	make_pipe(out);
	put_pipe(in[1], data, 0x2000);
	fd = file_with(data, 0x3000);
	sink = file_with(data, 0x10);

	for (i = 0; i < TU_ARRAY_SIZE(gpas); i++) {
		uint64_t g = gpas[i], done;

		done = 77;
		ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, g, in[0], 0x1000,
							    &done), -EFAULT);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, g, fd, 0x1000,
							    &done), -EFAULT);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, g, fd, 0x1000,
							     0x100, &done),
				 -EFAULT);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_write_all_to_fd(m, g, out[1], 0x1000,
							 &done), -EFAULT);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_write_all_to_fd(m, g, sink, 0x1000,
							 &done), -EFAULT);
		ck_assert_uint_eq(done, 0);
		done = 77;
		ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(m, g, sink, 0x1000, 0,
							  &done), -EFAULT);
		ck_assert_uint_eq(done, 0);
	}

	ck_assert_int_eq(avail(in[0]), 0x2000);
	ck_assert_int_eq(avail(out[0]), 0);
	ck_assert_int_eq(fpos(fd), 0);
	ck_assert_int_eq(fpos(sink), 0);
	ck_assert_int_eq(fsize(sink), 0x10);
	file_expect(sink, 0, data, 0x10);
	guest_expect_byte(m, 0, SENT, 0x1000);
	guest_expect_byte(m, 0x2000, SENT, 0x1000);

	free(data);
	close(fd);
	close(sink);
	close_pair(in);
	close_pair(out);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(hole_nonexact_clipped)
{
	/*
	 * "The range is clipped at the first hole or read-only region, like
	 * vmm_mem_write()": a non-exact transfer that runs into a hole or
	 * the end of memory moves only the backed prefix; a start in a hole
	 * or past the end is -EFAULT and consumes nothing.
	 */
	vmm_mem_t *m = mem_hole();
	unsigned char *data = pat(0x3000, 31);
	int in[2], out[2], fd, sink;
	ssize_t n;

	make_pipe(in);
	make_pipe(out);
	fd = file_with(data, 0x3000);
	sink = tu_tmpfile(0);

	/* file -> guest, into the hole */
	n = vmm_mem_read_from_fd(m, 0x800, fd, 0x1000);
	ck_assert_int_eq(n, 0x800);
	ck_assert_int_eq(fpos(fd), 0x800);
	guest_expect(m, 0x800, data, 0x800);
	guest_expect_byte(m, 0x2000, SENT, 0x1000);
	/* positioned */
	n = vmm_mem_pread_from_fd(m, 0x400, fd, 0x1000, 0x2000);
	ck_assert_int_eq(n, 0xc00);
	ck_assert_int_eq(fpos(fd), 0x800);
	guest_expect(m, 0x400, data + 0x2000, 0xc00);
	/* past the end of memory */
	n = vmm_mem_read_from_fd(m, 0x2f00, fd, 0x100000);
	ck_assert_int_eq(n, 0x100);
	ck_assert_int_eq(fpos(fd), 0x900);
	guest_expect(m, 0x2f00, data + 0x800, 0x100);

	/* pipe -> guest */
	put_pipe(in[1], data, 0x2000);
	n = vmm_mem_read_from_fd(m, 0x2800, in[0], 0x2000);
	ck_assert_int_eq(n, 0x800);
	ck_assert_int_eq(avail(in[0]), 0x1800);
	guest_expect(m, 0x2800, data, 0x800);

	/* start in a hole or past the end: nothing consumed */
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x1000, in[0], 0x10), -EFAULT);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x1fff, in[0], 0x10), -EFAULT);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x3000, in[0], 0x10), -EFAULT);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0x1000, fd, 0x10, 0),
			 -EFAULT);
	ck_assert_int_eq(avail(in[0]), 0x1800);
	ck_assert_int_eq(fpos(fd), 0x900);

	/* guest -> pipe and file */
	ck_assert_int_eq(vmm_mem_write_exact(m, 0, data, 0x1000), 0);
	n = vmm_mem_write_to_fd(m, 0x800, out[1], 0x1000);
	ck_assert_int_eq(n, 0x800);
	ck_assert_int_eq(avail(out[0]), 0x800);
	pipe_expect(out[0], data + 0x800, 0x800);
	n = vmm_mem_write_to_fd(m, 0x800, sink, 0x1000);
	ck_assert_int_eq(n, 0x800);
	ck_assert_int_eq(fsize(sink), 0x800);
	file_expect(sink, 0, data + 0x800, 0x800);
	n = vmm_mem_pwrite_to_fd(m, 0xc00, sink, 0x1000, 0x1000);
	ck_assert_int_eq(n, 0x400);
	ck_assert_int_eq(fsize(sink), 0x1400);
	file_expect(sink, 0x1000, data + 0xc00, 0x400);
	ck_assert_int_eq(vmm_mem_write_to_fd(m, 0x1800, out[1], 0x10), -EFAULT);
	ck_assert_int_eq(vmm_mem_pwrite_to_fd(m, 0x3000, sink, 0x10, 0),
			 -EFAULT);
	ck_assert_int_eq(avail(out[0]), 0);
	ck_assert_int_eq(fsize(sink), 0x1400);

	free(data);
	close(fd);
	close(sink);
	close_pair(in);
	close_pair(out);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(readonly_fd_to_guest_eacces)
{
	/*
	 * -EACCES: a write to a read-only region.  RW [0x3000, 0x4000) is
	 * followed by the read-only [0x4000, 0x5000) (backed by a memfd with
	 * a pattern).  fd -> guest at the read-only region is -EACCES and
	 * reads nothing; the non-exact variants are clipped at the read-only
	 * region; the exact ones fail with -EACCES before any I/O.  guest ->
	 * fd from the read-only region works.
	 */
	vmm_mem_t *m = NULL;
	unsigned char *data = pat(0x2000, 40);
	unsigned char *ro = pat(0x1000, 41);
	int mfd, fd, p[2], sink;
	uint64_t done;
	ssize_t n;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	ck_assert_int_eq(tu_add_anon(m, 0x3000, 0x1000, 0), 0);
	mfd = tu_memfd(0x1000);
	ck_assert_int_eq(pwrite(mfd, ro, 0x1000, 0), 0x1000);
	ck_assert_int_eq(tu_add_fd(m, 0x4000, 0x1000, mfd,
				   0, VMM_MEM_REGION_READONLY), 0);
	ck_assert_int_eq(vmm_mem_fill(m, 0x3000, SENT, 0x1000), 0);
	fd = file_with(data, 0x2000);
	make_pipe(p);
	put_pipe(p[1], data, 0x2000);

	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x4000, fd, 0x100), -EACCES);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x4800, p[0], 0x100), -EACCES);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0x4000, fd, 0x100, 0),
			 -EACCES);
	done = 77;
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x4000, fd, 0x100,
						    &done), -EACCES);
	ck_assert_uint_eq(done, 0);
	done = 77;
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, 0x4000, fd, 0x100, 0,
						     &done), -EACCES);
	ck_assert_uint_eq(done, 0);
	/* exact across RW -> RO: refused before any byte moves */
	done = 77;
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x3800, p[0], 0x1000,
						    &done), -EACCES);
	ck_assert_uint_eq(done, 0);
	done = 77;
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, 0x3800, fd, 0x1000, 0,
						     &done), -EACCES);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(fpos(fd), 0);
	ck_assert_int_eq(avail(p[0]), 0x2000);
	guest_expect_byte(m, 0x3000, SENT, 0x1000);

	/* non-exact across RW -> RO: clipped at the read-only region */
	n = vmm_mem_read_from_fd(m, 0x3800, fd, 0x1000);
	ck_assert_int_eq(n, 0x800);
	ck_assert_int_eq(fpos(fd), 0x800);
	guest_expect(m, 0x3800, data, 0x800);
	n = vmm_mem_pread_from_fd(m, 0x3c00, fd, 0x1000, 0x1000);
	ck_assert_int_eq(n, 0x400);
	guest_expect(m, 0x3c00, data + 0x1000, 0x400);
	n = vmm_mem_read_from_fd(m, 0x3f00, p[0], 0x1000);
	ck_assert_int_eq(n, 0x100);
	ck_assert_int_eq(avail(p[0]), 0x1f00);
	guest_expect(m, 0x3f00, data, 0x100);

	/* the read-only region is untouched, in guest memory and in the
	 * memfd */
	guest_expect(m, 0x4000, ro, 0x1000);
	file_expect(mfd, 0, ro, 0x1000);

	/* guest -> fd from a read-only region is allowed */
	sink = tu_tmpfile(0);
	ck_assert_int_eq(vmm_mem_write_to_fd(m, 0x4000, sink, 0x1000), 0x1000);
	done = 77;
	ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(m, 0x4800, sink, 0x800,
						  0x2000, &done), 0);
	ck_assert_uint_eq(done, 0x800);
	file_expect(sink, 0, ro, 0x1000);
	file_expect(sink, 0x2000, ro + 0x800, 0x800);
	/* and across RW -> RO */
	done = 77;
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0x3f00, sink, 0x200, &done),
			 0);
	ck_assert_uint_eq(done, 0x200);
	file_expect(sink, 0x1000, data, 0x100);
	file_expect(sink, 0x1100, ro, 0x100);

	free(data);
	free(ro);
	close(sink);
	close(fd);
	close(mfd);
	close_pair(p);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(fd_errors_passed_through)
{
	/*
	 * "fd errors are passed through as -errno": a closed descriptor is
	 * -EBADF for every transfer; a read-only file written to and a
	 * write-only one read from are -EBADF; a positioned transfer on a
	 * pipe is -ESPIPE; a directory read is -EISDIR.  Guest memory is not
	 * changed and *done is 0.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x2000 } };
	vmm_mem_t *m = mem_sent(r, 1);
	unsigned char buf[0x10];
	int dead[2], ro, wo, dir, p[2];
	uint64_t done;
	char path[64];

	make_pipe(dead);
	close(dead[1]);
	close(dead[0]);		/* dead[0] is now a closed descriptor */

	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0, dead[0], 0x10), -EBADF);
	ck_assert_int_eq(vmm_mem_write_to_fd(m, 0, dead[0], 0x10), -EBADF);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0, dead[0], 0x10, 0), -EBADF);
	ck_assert_int_eq(vmm_mem_pwrite_to_fd(m, 0, dead[0], 0x10, 0), -EBADF);
	done = 77;
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0, dead[0], 0x10,
						    &done), -EBADF);
	ck_assert_uint_eq(done, 0);
	done = 77;
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0, dead[0], 0x10, &done),
			 -EBADF);
	ck_assert_uint_eq(done, 0);
	done = 77;
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, 0, dead[0], 0x10, 0,
						     &done), -EBADF);
	ck_assert_uint_eq(done, 0);
	done = 77;
	ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(m, 0, dead[0], 0x10, 0,
						  &done), -EBADF);
	ck_assert_uint_eq(done, 0);

	/* wrong access mode */
	wo = tu_tmpfile(0x100);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", wo);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(ro, 0);
	close(wo);
	wo = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(wo, 0);
	ck_assert_int_eq(vmm_mem_write_to_fd(m, 0, ro, 0x10), -EBADF);
	ck_assert_int_eq(vmm_mem_pwrite_to_fd(m, 0, ro, 0x10, 0), -EBADF);
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0, ro, 0x10, NULL), -EBADF);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0, wo, 0x10), -EBADF);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0, wo, 0x10, NULL),
			 -EBADF);
	ck_assert_int_eq(fsize(ro), 0x100);
	close(ro);
	close(wo);

	/* positioned on a pipe */
	make_pipe(p);
	memset(buf, 0x11, sizeof(buf));
	put_pipe(p[1], buf, sizeof(buf));
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0, p[0], 0x10, 0), -ESPIPE);
	ck_assert_int_eq(vmm_mem_pwrite_to_fd(m, 0, p[1], 0x10, 0), -ESPIPE);
	done = 77;
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, 0, p[0], 0x10, 0,
						     &done), -ESPIPE);
	ck_assert_uint_eq(done, 0);
	done = 77;
	ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(m, 0, p[1], 0x10, 0, &done),
			 -ESPIPE);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(avail(p[0]), 0x10);
	close_pair(p);

	/* a directory */
	dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dir, 0);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0, dir, 0x10), -EISDIR);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0, dir, 0x10, 0), -EISDIR);
	close(dir);

	guest_expect_byte(m, 0, SENT, 0x2000);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(invalid_arguments)
{
	/*
	 * -EINVAL: NULL handle.  Offsets for the positioned reads: "@offset
	 * above INT64_MAX or @offset + @len beyond INT64_MAX is -EOVERFLOW"
	 * (documented for pread_from_fd; the other positioned calls are
	 * "the same at @offset", so they must refuse too, with -EOVERFLOW
	 * or the kernel's -EINVAL for a negative offset), and nothing moves.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x2000 } };
	vmm_mem_t *m = mem_sent(r, 1);
	const uint64_t big = (uint64_t)INT64_MAX + 1;
	unsigned char sixteen[16];
	int p[2], fd, rc;
	uint64_t done;

	tu_pattern(sixteen, sizeof(sixteen), 7);
	make_pipe(p);
	put_pipe(p[1], sixteen, 16);
	fd = file_with(sixteen, 16);

	ck_assert_int_eq(vmm_mem_read_from_fd(NULL, 0, p[0], 0x10), -EINVAL);
	ck_assert_int_eq(vmm_mem_write_to_fd(NULL, 0, p[1], 0x10), -EINVAL);
	ck_assert_int_eq(vmm_mem_pread_from_fd(NULL, 0, fd, 0x10, 0), -EINVAL);
	ck_assert_int_eq(vmm_mem_pwrite_to_fd(NULL, 0, fd, 0x10, 0), -EINVAL);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(NULL, 0, p[0], 0x10, NULL),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_write_all_to_fd(NULL, 0, p[1], 0x10, NULL),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(NULL, 0, fd, 0x10, 0,
						     NULL), -EINVAL);
	ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(NULL, 0, fd, 0x10, 0, NULL),
			 -EINVAL);

	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0, fd, 0x10, big),
			 -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0, fd, 0x10, UINT64_MAX),
			 -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0, fd, 0x10,
					       (uint64_t)INT64_MAX - 8),
			 -EOVERFLOW);

	rc = (int)vmm_mem_pwrite_to_fd(m, 0, fd, 0x10, big);
	ck_assert_msg(rc == -EOVERFLOW || rc == -EINVAL, "pwrite: %d", rc);
	done = 77;
	rc = vmm_mem_pread_exact_from_fd(m, 0, fd, 0x10, big, &done);
	ck_assert_msg(rc == -EOVERFLOW || rc == -EINVAL, "pread_exact: %d", rc);
	ck_assert_uint_eq(done, 0);
	done = 77;
	rc = vmm_mem_pwrite_all_to_fd(m, 0, fd, 0x10, big, &done);
	ck_assert_msg(rc == -EOVERFLOW || rc == -EINVAL, "pwrite_all: %d", rc);
	ck_assert_uint_eq(done, 0);

	ck_assert_int_eq(avail(p[0]), 16);
	ck_assert_int_eq(fsize(fd), 16);
	ck_assert_int_eq(fpos(fd), 0);
	guest_expect_byte(m, 0, SENT, 0x2000);
	close(fd);
	close_pair(p);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Positioned variants, fd-backed guest memory, large exact transfers       */
/* ------------------------------------------------------------------------ */

START_TEST(positioned_keep_file_position)
{
	/*
	 * pread/pwrite variants transfer at the given offset with
	 * preadv/pwritev; "the file position does not move".  Ranges span
	 * two regions.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x2000 }, { 0x2000, 0x2000 } };
	vmm_mem_t *m = mem_sent(r, 2);
	unsigned char *data = pat(0x3000, 90);
	unsigned char *g = pat(0x4000, 91);
	uint64_t done;
	int src, dst;

	src = file_with(data, 0x3000);
	dst = tu_tmpfile(0);
	ck_assert_int_eq(lseek(src, 0x123, SEEK_SET), 0x123);
	ck_assert_int_eq(lseek(dst, 0x45, SEEK_SET), 0x45);

	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0x1800, src, 0x1000, 0x800),
			 0x1000);
	guest_expect(m, 0x1800, data + 0x800, 0x1000);
	guest_expect_byte(m, 0x2800, SENT, 0x100);
	ck_assert_int_eq(fpos(src), 0x123);

	/* non-exact pread stops at end of file */
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0x1000, src, 0x2000, 0x2800),
			 0x800);
	guest_expect(m, 0x1000, data + 0x2800, 0x800);
	ck_assert_int_eq(fpos(src), 0x123);

	done = 77;
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, 0x1000, src, 0x2000,
						     0x1000, &done), 0);
	ck_assert_uint_eq(done, 0x2000);
	guest_expect(m, 0x1000, data + 0x1000, 0x2000);
	ck_assert_int_eq(fpos(src), 0x123);

	done = 77;
	ck_assert_int_eq(vmm_mem_pread_exact_from_fd(m, 0, src, 0x2000, 0x2000,
						     &done), -ENODATA);
	ck_assert_uint_eq(done, 0x1000);
	guest_expect(m, 0, data + 0x2000, 0x1000);
	ck_assert_int_eq(fpos(src), 0x123);

	guest_put(m, 0, g, 0x4000);
	ck_assert_int_eq(vmm_mem_pwrite_to_fd(m, 0x1800, dst, 0x1000, 0x2000),
			 0x1000);
	ck_assert_int_eq(fsize(dst), 0x3000);
	file_expect(dst, 0x2000, g + 0x1800, 0x1000);
	ck_assert_int_eq(fpos(dst), 0x45);
	done = 77;
	ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(m, 0x1000, dst, 0x2000, 0x10,
						  &done), 0);
	ck_assert_uint_eq(done, 0x2000);
	file_expect(dst, 0x10, g + 0x1000, 0x2000);
	ck_assert_int_eq(fpos(dst), 0x45);

	free(data);
	free(g);
	close(src);
	close(dst);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(memfd_guest_socketpair)
{
	/*
	 * A memfd-backed (shared) guest region and a socketpair: bytes read
	 * from the socket land in the memfd (seen through pread on the
	 * caller's descriptor), and written back out they arrive unchanged.
	 */
	vmm_mem_t *m = NULL;
	unsigned char *data = pat(0x6000, 92);
	unsigned char *got = xmalloc(0x6000);
	struct feeder f;
	uint64_t done = 77;
	int mfd, sv[2];
	/* two regions of 16 KiB, or of a page where pages are larger, over
	 * consecutive ranges of the memfd (file offsets are page-aligned) */
	uint64_t rs = tu_page_size() > 0x4000 ? tu_page_size() : 0x4000;

	ck_assert_int_eq(vmm_mem_new(&m), 0);
	mfd = tu_memfd(2 * rs);
	ck_assert_int_eq(tu_add_fd(m, 0x100000, rs, mfd, 0, 0), 0);
	ck_assert_int_eq(tu_add_fd(m, 0x100000 + rs, rs, mfd, rs, 0), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	feeder_init(&f, sv[1], data, 0x6000, 0x1800, 2);
	feeder_start(&f);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x101000, sv[0], 0x6000,
						    &done), 0);
	feeder_join(&f);
	ck_assert_uint_eq(done, 0x6000);
	file_expect(mfd, 0x1000, data, 0x6000);

	done = 77;
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0x101000, sv[0], 0x6000,
						 &done), 0);
	ck_assert_uint_eq(done, 0x6000);
	ck_assert_int_eq(tu_read_full(sv[1], got, 0x6000), 0x6000);
	ck_assert_int_eq(memcmp(got, data, 0x6000), 0);

	free(got);
	free(data);
	close(mfd);
	close_pair(sv);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(exact_large_across_regions)
{
	/*
	 * No cap on the exact variants either: 0x60000 bytes across three
	 * adjacent regions from a regular file and back into another.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x20000 }, { 0x20000, 0x20000 },
					   { 0x40000, 0x20000 } };
	vmm_mem_t *m = mem_sent(r, 3);
	unsigned char *data = pat(0x60000, 93);
	uint64_t done = 77;
	int src = file_with(data, 0x60000), dst = tu_tmpfile(0);

	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0, src, 0x60000, &done),
			 0);
	ck_assert_uint_eq(done, 0x60000);
	guest_expect(m, 0, data, 0x60000);
	done = 77;
	ck_assert_int_eq(vmm_mem_write_all_to_fd(m, 0, dst, 0x60000, &done), 0);
	ck_assert_uint_eq(done, 0x60000);
	ck_assert_int_eq(fsize(dst), 0x60000);
	file_expect(dst, 0, data, 0x60000);

	free(data);
	close(src);
	close(dst);
	vmm_mem_unref(m);
}
END_TEST

START_TEST(fd_to_guest_marks_dirty)
{
	/*
	 * Dirty log: "Every library write path marks the pages it touched
	 * after the data landed: ... every fd-to-guest transfer ...  Reads
	 * never mark, nor do failed or zero-length writes."  Only the pages
	 * the bytes actually reached are marked (a short read marks its
	 * prefix; an exact read that hit end of file marks what landed);
	 * guest -> fd never marks; validation failures mark nothing.
	 * Two regions [0, 0x4000) and [0x4000, 0x8000), 4 KiB log pages.
	 */
	const struct vmm_mem_range r[] = { { 0, 0x4000 }, { 0x4000, 0x4000 } };
	vmm_mem_t *m = mem_sent(r, 2);
	unsigned char *data = pat(0x8000, 95);
	uint64_t done;
	int p[2], fd, sink;

	ck_assert_int_eq(vmm_mem_dirty_log_start(m, 4096), 0);
	ck_assert_uint_eq(dirty_bits(m, 0, 8), 0);
	make_pipe(p);
	fd = file_with(data, 0x8000);
	sink = tu_tmpfile(0);

	/* 0x2000 bytes from a pipe at 0x1800: pages 1, 2, 3 */
	put_pipe(p[1], data, 0x2000);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x1800, p[0], 0x3000),
			 0x2000);
	ck_assert_uint_eq(dirty_bits(m, 0, 8), 0x0e);

	/* across the region boundary from a file: pages 3, 4 */
	ck_assert_int_eq(vmm_mem_pread_from_fd(m, 0x3ff0, fd, 0x20, 0), 0x20);
	ck_assert_uint_eq(dirty_bits(m, 0, 8), 0x18);

	/* a short read marks only where the bytes landed: page 5 */
	put_pipe(p[1], data, 0x10);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x5ff0, p[0], 0x2000), 0x10);
	ck_assert_uint_eq(dirty_bits(m, 0, 8), 0x20);

	/* exact: pages 6 and 7 */
	done = 77;
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x6000, fd, 0x2000,
						    &done), 0);
	ck_assert_uint_eq(dirty_bits(m, 0, 8), 0xc0);

	/* exact hitting end of file: what landed (page 0) is marked */
	put_pipe(p[1], data, 3);
	close(p[1]);
	p[1] = -1;
	done = 77;
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0xf00, p[0], 0x10,
						    &done), -ENODATA);
	ck_assert_uint_eq(done, 3);
	ck_assert_uint_eq(dirty_bits(m, 0, 8), 0x01);
	close_pair(p);

	/* guest -> fd, zero-length, failed and refused transfers: nothing */
	ck_assert_int_eq(vmm_mem_write_to_fd(m, 0, sink, 0x8000), 0x8000);
	done = 77;
	ck_assert_int_eq(vmm_mem_pwrite_all_to_fd(m, 0, sink, 0x8000, 0, &done),
			 0);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x1000, fd, 0), 0);
	ck_assert_int_eq(vmm_mem_read_exact_from_fd(m, 0x7000, fd, 0x2000,
						    NULL), -EFAULT);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x2000, fd, GPA_WRAP),
			 -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_read_from_fd(m, 0x8000, fd, 0x10), -EFAULT);
	ck_assert_uint_eq(dirty_bits(m, 0, 8), 0);

	free(data);
	close(fd);
	close(sink);
	vmm_mem_unref(m);
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc;

	tc = tcase_create("zero_length");
	tcase_add_test(tc, case60_zero_length_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("no_cap");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, c04_read_from_file_no_cap);
	tcase_add_test(tc, c04_write_to_file_no_cap);
	tcase_add_test(tc, c04_two_regions_one_syscall);
	tcase_add_test(tc, c04_pipe_no_cap);
	tcase_add_test(tc, exact_large_across_regions);
	suite_add_tcase(s, tc);

	tc = tcase_create("conformance");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, case64_read_from_across_regions);
	tcase_add_test(tc, case65_dev_zero_anon);
	tcase_add_test(tc, case65_dev_zero_file);
	tcase_add_test(tc, case66_short_source_exact);
	tcase_add_test(tc, case67_eof_is_zero);
	tcase_add_test(tc, case68_sink_stops_early);
	tcase_add_test(tc, case69_short_source_contiguous);
	tcase_add_test(tc, c20_short_read_first_fragment_stops);
	tcase_add_test(tc, case114_read_from_pipe_source);
	tcase_add_test(tc, case115_116_read_exact_file_and_pipe);
	tcase_add_test(tc, case117_write_to_4_byte_sink);
	tcase_add_test(tc, case118_write_to_tmpfile);
	tcase_add_test(tc, case119_file_cursor_read);
	tcase_add_test(tc, case120_file_cursor_write);
	tcase_add_test(tc, case121_pipe_sink);
	suite_add_tcase(s, tc);

	tc = tcase_create("retry");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, c05_chunked_sender);
	tcase_add_test(tc, c05_early_eof);
	tcase_add_test(tc, c05_slow_reader);
	tcase_add_test(tc, c05_eintr_read_retried);
	tcase_add_test(tc, c05_eintr_write_retried);
	tcase_add_test(tc, memfd_guest_socketpair);
	suite_add_tcase(s, tc);

	tc = tcase_create("large");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, c05_large_3g);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, c18_read_from_fd_wrap_is_eoverflow);
	tcase_add_test(tc, hole_exact_efault_before_io);
	tcase_add_test(tc, hole_nonexact_clipped);
	tcase_add_test(tc, readonly_fd_to_guest_eacces);
	tcase_add_test(tc, fd_errors_passed_through);
	tcase_add_test(tc, invalid_arguments);
	tcase_add_test(tc, positioned_keep_file_position);
	tcase_add_test(tc, fd_to_guest_marks_dirty);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return tu_run(io_suite());
}
