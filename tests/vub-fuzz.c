/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vub-fuzz.c - a hostile vhost-user front end against vmmem-vhost-user-blk.
 *
 * Starts the back end (serving many connections) on a scratch image and a
 * socket in a temporary directory, then, over that loopback unix socket:
 *  1. a well-behaved session (features, two memory regions by ADD_MEM_REG,
 *     one split ring with EVENT_IDX and indirect descriptors) whose read,
 *     write, flush and GET_ID requests must succeed, one of them through a
 *     buffer that spans both regions;
 *  2. hostile descriptor chains: an index out of range, a loop, a length
 *     that wraps, buffers in a hole, data of a read in a device-readable
 *     buffer, a readable descriptor after a writable one, nested and
 *     malformed indirect tables, a sector past the end, an unknown type, a
 *     head out of range, a corrupt avail index: each request completes with
 *     status IOERR (or is returned unused when it has no status byte), and
 *     a good request after each one succeeds;
 *  3. malformed messages (bad version, oversized payload, unknown request,
 *     fd counts that do not match, bad indices, too many fds, a truncated
 *     message) and a seeded run of random messages: each must make the back
 *     end close the connection (or answer), never crash or hang;
 *  4. a last well-behaved session (this time by SET_MEM_TABLE) still works,
 *     and the back end's open fds and mappings are back to what they were
 *     after the first session: nothing leaked.
 *  5. the back end runs with --write-journal: after it exits, its journal
 *     is complete, names the memory regions and holds every range the good
 *     requests had it write (used ring with avail_event, data, status).
 *
 *   vub-fuzz [BACKEND]   (default $top_builddir/tools/vmmem-vhost-user-blk)
 *
 * Environment: VUB_FUZZ_ROUNDS (random messages, default 300),
 * VUB_FUZZ_SEED, VUB_WRAPPER (a command the back end runs under, such as
 * valgrind).  Exit status 0 pass, 1 fail, 99 setup error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* vhost-user */
#define GET_FEATURES 1
#define SET_FEATURES 2
#define SET_OWNER 3
#define SET_MEM_TABLE 5
#define SET_VRING_NUM 8
#define SET_VRING_ADDR 9
#define SET_VRING_BASE 10
#define GET_VRING_BASE 11
#define SET_VRING_KICK 12
#define SET_VRING_CALL 13
#define GET_PROTOCOL_FEATURES 15
#define SET_PROTOCOL_FEATURES 16
#define SET_VRING_ENABLE 18
#define GET_CONFIG 24
#define ADD_MEM_REG 37
#define F_REPLY 0x4
#define F_NEED_REPLY 0x8
#define PF_REPLY_ACK 3
#define PF_CONFIG 9
#define PF_MEM_SLOTS 15
#define VERSION_1 32
#define PROTOCOL_FEATURES 30
#define INDIRECT 28
#define EVENT_IDX 29

/* rings */
#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4
#define QSIZE 16

/* guest layout: two 1 MiB regions of one memfd, GPA 0 and GPA 1 MiB, at
 * unrelated front-end addresses; GPA 3 MiB is a hole. */
#define MB (1ull << 20)
#define VUA0 0x7f1200000000ull
#define VUA1 0x7f3400000000ull
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define ITABLE 0x4000
#define HDR 0x8000
#define STATUS 0x9000
#define DATA 0x10000
#define SPAN (MB - 0x1000)	/* 8 KiB here cross into region 1 */
#define HOLE (3 * MB)
#define IMAGE_SECTORS 2048

static const char *tmpdir;
static char sock_path[256], img_path[256], journal_path[256];
static pid_t backend = -1;
static uint8_t *g;	/* the client's view of guest memory */
static int memfd = -1, failures;

static void __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	failures++;
}

static void die(const char *what)
{
	printf("setup error: %s: %s\n", what, strerror(errno));
	if (backend > 0)
		kill(backend, SIGKILL);
	exit(99);
}

/* ---- the back end's write journal ---------------------------------------- */

#define JOURNAL_MAX 4096
static struct {
	uint64_t start, end;
} jr[JOURNAL_MAX];
static unsigned int njr;

/* Is every byte of [gpa, gpa + len) inside a journalled range? */
static bool journalled(uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;
	unsigned int i;
	bool moved = true;

	while (gpa < end && moved) {
		moved = false;
		for (i = 0; i < njr; i++)
			if (jr[i].start <= gpa && gpa < jr[i].end) {
				gpa = jr[i].end;
				moved = true;
			}
	}
	return gpa >= end;
}

static void check_journal(void)
{
	static const struct {
		const char *what;
		uint64_t gpa, len;
	} want[] = {
		{ "used ring and avail_event", USED + 2, 2 + 8 * QSIZE + 2 },
		{ "read data", DATA, 4096 },
		{ "spanning read data", SPAN, 8192 },
		{ "status byte", STATUS, 1 },
	};
	char line[256], last[256] = "";
	unsigned int i, regions = 0, bad = 0;
	FILE *f = fopen(journal_path, "r");

	if (!f) {
		fail("no write journal: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b, c, d, e;

		strcpy(last, line);
		if (line[0] == '#' || !strcmp(line, "end\n"))
			continue;
		if (sscanf(line, "r %llx %llx %llx %llu %llu", &a, &b, &c, &d, &e) == 5)
			regions++;
		else if (sscanf(line, "w %llx %llx", &a, &b) == 2 && a + b > a) {
			if (njr < JOURNAL_MAX) {
				jr[njr].start = a;
				jr[njr++].end = a + b;
			}
		} else
			bad++;
	}
	fclose(f);
	if (strcmp(last, "end\n") || bad || !regions || njr >= JOURNAL_MAX) {
		fail("write journal: last line '%.20s', %u bad lines, %u regions, %u ranges",
		     last, bad, regions, njr);
		return;
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!journalled(want[i].gpa, want[i].len))
			fail("write journal lacks the %s (GPA %#llx, %llu bytes)", want[i].what,
			     (unsigned long long)want[i].gpa, (unsigned long long)want[i].len);
	printf("ok: write journal complete: %u regions, %u ranges, the good requests' "
	       "ring, data and status among them\n", regions, njr);
}

/* ---- messages ------------------------------------------------------------ */

static int send_msg(int s, uint32_t req, uint32_t flags, const void *p, uint32_t size,
		    const int *fds, int nfds)
{
	struct {
		uint32_t req, flags, size;
	} __attribute__((packed)) h = { req, flags, size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)p, size } };
	char control[CMSG_SPACE(16 * sizeof(int))];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };

	if (nfds) {
		struct cmsghdr *c;

		memset(control, 0, sizeof(control));
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Wait up to @ms for @s to be readable; 1 yes, 0 timeout. */
static int readable(int s, int ms)
{
	struct pollfd p = { s, POLLIN, 0 };

	return poll(&p, 1, ms) > 0;
}

/* Receive a reply to @req; its payload into @p (up to @size).  -1 when the
 * connection ended or no reply came within 10 s. */
static int recv_reply(int s, uint32_t req, void *p, uint32_t size)
{
	struct {
		uint32_t req, flags, size;
	} __attribute__((packed)) h;
	uint8_t buf[512];

	if (!readable(s, 10000) || recv(s, &h, sizeof(h), MSG_WAITALL) != sizeof(h))
		return -1;
	if (h.req != req || !(h.flags & F_REPLY) || h.size > sizeof(buf))
		return -1;
	if (h.size && recv(s, buf, h.size, MSG_WAITALL) != (ssize_t)h.size)
		return -1;
	memcpy(p, buf, h.size < size ? h.size : size);
	return (int)h.size;
}

static uint64_t get_u64(int s, uint32_t req)
{
	uint64_t v = 0;

	if (send_msg(s, req, 1, NULL, 0, NULL, 0) < 0 || recv_reply(s, req, &v, 8) != 8)
		fail("no reply to request %u", req);
	return v;
}

static void set_u64(int s, uint32_t req, uint64_t v)
{
	if (send_msg(s, req, 1, &v, 8, NULL, 0) < 0)
		fail("send %u", req);
}

/* Did the back end close the connection within 10 s?  (Replies it sends
 * first are read and dropped.) */
static bool closed_by_backend(int s)
{
	char buf[512];
	time_t end = time(NULL) + 10;

	while (time(NULL) < end) {
		ssize_t k;

		if (!readable(s, 1000))
			continue;
		k = recv(s, buf, sizeof(buf), 0);
		if (k == 0 || (k < 0 && errno == ECONNRESET))
			return true;
		if (k < 0)
			return false;
	}
	return false;
}

static int connect_backend(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, sock_path);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	return s;
}

/* ---- a session ----------------------------------------------------------- */

struct region {
	uint64_t gpa, size, vua, offset;
};

static const struct region regions[2] = {
	{ 0, MB, VUA0, 0 },
	{ MB, MB, VUA1, MB },
};

static uint64_t vua_of(uint64_t gpa)
{
	return gpa < MB ? VUA0 + gpa : VUA1 + gpa - MB;
}

struct session {
	int s, kick, call;
	uint16_t avail_idx, used_seen;
};

static uint16_t rd16(uint64_t gpa)
{
	return __atomic_load_n((uint16_t *)(g + gpa), __ATOMIC_ACQUIRE);
}

static void wr16(uint64_t gpa, uint16_t v)
{
	__atomic_store_n((uint16_t *)(g + gpa), v, __ATOMIC_RELEASE);
}

static void start_ring(struct session *ss, uint16_t base)
{
	struct {
		uint32_t index, num;
	} st = { 0, QSIZE };
	struct {
		uint32_t index, flags;
		uint64_t desc, used, avail, log;
	} addr = { 0, 0, vua_of(DESC), vua_of(USED), vua_of(AVAIL), 0 };
	uint64_t zero = 0;

	send_msg(ss->s, SET_VRING_NUM, 1, &st, sizeof(st), NULL, 0);
	send_msg(ss->s, SET_VRING_ADDR, 1, &addr, sizeof(addr), NULL, 0);
	st.num = base;
	send_msg(ss->s, SET_VRING_BASE, 1, &st, sizeof(st), NULL, 0);
	send_msg(ss->s, SET_VRING_CALL, 1, &zero, 8, &ss->call, 1);
	send_msg(ss->s, SET_VRING_KICK, 1, &zero, 8, &ss->kick, 1);
	st.num = 1;
	send_msg(ss->s, SET_VRING_ENABLE, 1, &st, sizeof(st), NULL, 0);
}

/* A new connection brought up to a running ring.  @table: SET_MEM_TABLE
 * instead of ADD_MEM_REG. */
static bool session_open(struct session *ss, bool table)
{
	uint64_t f, pf, ack;
	int i;

	memset(g, 0, 0x10000);
	ss->avail_idx = ss->used_seen = 0;
	ss->s = connect_backend();
	ss->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ss->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f = get_u64(ss->s, GET_FEATURES);
	if (!(f >> PROTOCOL_FEATURES & 1) || !(f >> INDIRECT & 1) || !(f >> EVENT_IDX & 1)) {
		fail("features %#llx lack what the test needs", (unsigned long long)f);
		return false;
	}
	set_u64(ss->s, SET_FEATURES, f & (1ull << VERSION_1 | 1ull << PROTOCOL_FEATURES |
					  1ull << INDIRECT | 1ull << EVENT_IDX));
	pf = get_u64(ss->s, GET_PROTOCOL_FEATURES);
	pf &= 1ull << PF_REPLY_ACK | 1ull << PF_CONFIG | (table ? 0 : 1ull << PF_MEM_SLOTS);
	set_u64(ss->s, SET_PROTOCOL_FEATURES, pf);
	send_msg(ss->s, SET_OWNER, 1, NULL, 0, NULL, 0);
	if (table) {
		struct {
			uint32_t n, pad;
			struct region r[2];
		} t = { 2, 0, { regions[0], regions[1] } };
		int fds[2] = { memfd, memfd };

		send_msg(ss->s, SET_MEM_TABLE, 1 | F_NEED_REPLY, &t, sizeof(t), fds, 2);
		if (recv_reply(ss->s, SET_MEM_TABLE, &ack, 8) != 8 || ack) {
			fail("SET_MEM_TABLE not acknowledged");
			return false;
		}
	} else {
		for (i = 0; i < 2; i++) {
			struct {
				uint64_t pad;
				struct region r;
			} m = { 0, regions[i] };

			send_msg(ss->s, ADD_MEM_REG, 1 | F_NEED_REPLY, &m, sizeof(m), &memfd, 1);
			if (recv_reply(ss->s, ADD_MEM_REG, &ack, 8) != 8 || ack) {
				fail("ADD_MEM_REG %d not acknowledged", i);
				return false;
			}
		}
	}
	start_ring(ss, 0);
	return true;
}

static void session_close(struct session *ss)
{
	close(ss->s);
	close(ss->kick);
	close(ss->call);
}

static void desc(uint64_t table, unsigned int i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	uint8_t *d = g + table + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void header(uint64_t gpa, uint32_t type, uint64_t sector)
{
	memcpy(g + gpa, &type, 4);
	memset(g + gpa + 4, 0, 4);
	memcpy(g + gpa + 8, &sector, 8);
}

/* Offer @head, kick, and wait for the used element.  Returns its length,
 * or -1 when nothing came back within 10 s. */
static int64_t submit(struct session *ss, uint16_t head)
{
	uint64_t one = 1;
	int i;

	wr16(AVAIL + 4 + 2 * (ss->avail_idx % QSIZE), head);
	ss->avail_idx++;
	wr16(AVAIL + 2, ss->avail_idx);
	if (write(ss->kick, &one, 8) != 8)
		return -1;
	for (i = 0; i < 10000; i++) {
		if (rd16(USED + 2) != ss->used_seen) {
			uint32_t id, len;
			uint64_t at = USED + 4 + 8 * (ss->used_seen % QSIZE);

			memcpy(&id, g + at, 4);
			memcpy(&len, g + at + 4, 4);
			ss->used_seen++;
			if (id != head)
				fail("used id %u, offered %u", id, head);
			return len;
		}
		usleep(1000);
	}
	return -1;
}

/* A three-descriptor request: header, data (@dgpa, @dlen, @dflags),
 * status; returns the status byte, or -1 (no used element) or -2 (status
 * untouched). */
static int request(struct session *ss, uint32_t type, uint64_t sector,
		   uint64_t dgpa, uint32_t dlen, uint16_t dflags)
{
	int64_t len;

	header(HDR, type, sector);
	g[STATUS] = 0xaa;
	desc(DESC, 0, HDR, 16, D_NEXT, 1);
	desc(DESC, 1, dgpa, dlen, dflags | D_NEXT, 2);
	desc(DESC, 2, STATUS, 1, D_WRITE, 0);
	len = submit(ss, 0);
	if (len < 0)
		return -1;
	return g[STATUS] == 0xaa ? -2 : g[STATUS];
}

static int img_fd = -1;

static void image_bytes(uint64_t off, void *buf, size_t len)
{
	if (pread(img_fd, buf, len, off) != (ssize_t)len)
		die("pread image");
}

/* The requests a well-behaved driver makes; all must succeed. */
static void good_requests(struct session *ss, const char *when)
{
	static uint8_t want[8192];
	char id[21] = { 0 };
	int st;

	/* read 4 KiB at sector 1 */
	memset(g + DATA, 0, 4096);
	st = request(ss, 0, 1, DATA, 4096, D_WRITE);
	image_bytes(512, want, 4096);
	if (st != 0 || memcmp(g + DATA, want, 4096))
		fail("%s: read: status %d, data %s", when, st,
		     memcmp(g + DATA, want, 4096) ? "wrong" : "right");
	/* write 8 KiB from a buffer spanning both regions, at sector 16 */
	for (st = 0; st < 8192; st++)
		g[SPAN + st] = (uint8_t)(st * 7 + ss->avail_idx);
	st = request(ss, 1, 16, SPAN, 8192, 0);
	image_bytes(16 * 512, want, 8192);
	if (st != 0 || memcmp(g + SPAN, want, 8192))
		fail("%s: spanning write: status %d", when, st);
	/* read it back through an indirect table into the spanning buffer */
	memset(g + SPAN, 0, 8192);
	header(HDR, 0, 16);
	g[STATUS] = 0xaa;
	desc(ITABLE, 0, HDR, 16, D_NEXT, 1);
	desc(ITABLE, 1, SPAN, 4096, D_WRITE | D_NEXT, 2);
	desc(ITABLE, 2, SPAN + 4096, 4096, D_WRITE | D_NEXT, 3);
	desc(ITABLE, 3, STATUS, 1, D_WRITE, 0);
	desc(DESC, 5, ITABLE, 4 * 16, D_INDIRECT, 0);
	if (submit(ss, 5) != 8193 || g[STATUS] != 0 || memcmp(g + SPAN, want, 8192))
		fail("%s: indirect read: status %d", when, g[STATUS]);
	/* flush, GET_ID */
	g[STATUS] = 0xaa;
	header(HDR, 4, 0);
	desc(DESC, 0, HDR, 16, D_NEXT, 2);
	desc(DESC, 2, STATUS, 1, D_WRITE, 0);
	if (submit(ss, 0) != 1 || g[STATUS] != 0)
		fail("%s: flush", when);
	st = request(ss, 8, 0, DATA, 20, D_WRITE);
	memcpy(id, g + DATA, 20);
	if (st != 0 || strcmp(id, "fuzz-serial"))
		fail("%s: GET_ID: status %d, id '%s'", when, st, id);
}

/* ---- hostile chains ------------------------------------------------------ */

static void expect_status(struct session *ss, const char *what, int st, int want)
{
	if (st != want)
		fail("%s: status %d, expected %d", what, st, want);
	else
		printf("ok: %s: status %d\n", what, st);
	good_requests(ss, what);
}

static void hostile_chains(struct session *ss)
{
	uint8_t before[512], after[512];
	int64_t len;

	/* next index out of range, after the status descriptor */
	header(HDR, 0, 1);
	g[STATUS] = 0xaa;
	desc(DESC, 0, HDR, 16, D_NEXT, 1);
	desc(DESC, 1, DATA, 512, D_WRITE | D_NEXT, 2);
	desc(DESC, 2, STATUS, 1, D_WRITE | D_NEXT, 200);
	len = submit(ss, 0);
	expect_status(ss, "next index out of range", len < 0 ? -1 : g[STATUS], 1);
	/* a loop: the status descriptor chains to itself */
	g[STATUS] = 0xaa;
	desc(DESC, 2, STATUS, 1, D_WRITE | D_NEXT, 2);
	len = submit(ss, 0);
	expect_status(ss, "descriptor loop", len < 0 ? -1 : g[STATUS], 1);
	/* a loop through the whole table */
	g[STATUS] = 0xaa;
	desc(DESC, 2, STATUS, 1, D_WRITE | D_NEXT, 0);
	len = submit(ss, 0);
	if (len != 0 || g[STATUS] != 0xaa)
		fail("loop through the header: used length %lld", (long long)len);
	else
		printf("ok: loop ending on a readable descriptor: returned unused\n");
	good_requests(ss, "loop through the header");
	/* lengths and addresses */
	image_bytes(64 * 512, before, 512);
	expect_status(ss, "write whose buffer wraps 2^64",
		      request(ss, 1, 64, 0xfffffffffffff000ull, 0x2000, 0), 1);
	expect_status(ss, "read into a hole", request(ss, 0, 1, HOLE, 4096, D_WRITE), 1);
	expect_status(ss, "write from a hole", request(ss, 1, 64, HOLE, 512, 0), 1);
	expect_status(ss, "write from a buffer running into a hole",
		      request(ss, 1, 64, 2 * MB - 512, 1024, 0), 1);
	image_bytes(64 * 512, after, 512);
	if (memcmp(before, after, 512))
		fail("a failed write changed the image");
	expect_status(ss, "read into a device-readable buffer",
		      request(ss, 0, 1, DATA, 512, 0), 1);
	expect_status(ss, "read past the end of the disk",
		      request(ss, 0, IMAGE_SECTORS, DATA, 512, D_WRITE), 1);
	expect_status(ss, "sector number near 2^64",
		      request(ss, 0, ~0ull >> 1, DATA, 512, D_WRITE), 1);
	expect_status(ss, "length not a multiple of 512",
		      request(ss, 0, 1, DATA, 100, D_WRITE), 1);
	expect_status(ss, "unknown request type", request(ss, 77, 0, DATA, 512, D_WRITE), 2);
	/* header in a hole */
	g[STATUS] = 0xaa;
	desc(DESC, 0, HOLE, 16, D_NEXT, 1);
	desc(DESC, 1, DATA, 512, D_WRITE | D_NEXT, 2);
	desc(DESC, 2, STATUS, 1, D_WRITE, 0);
	len = submit(ss, 0);
	expect_status(ss, "header in a hole", len < 0 ? -1 : g[STATUS], 1);
	/* readable after writable */
	header(HDR, 0, 1);
	g[STATUS] = 0xaa;
	desc(DESC, 0, HDR, 16, D_NEXT, 1);
	desc(DESC, 1, DATA, 512, D_WRITE | D_NEXT, 3);
	desc(DESC, 3, DATA + 512, 512, D_NEXT, 2);
	len = submit(ss, 0);
	expect_status(ss, "readable descriptor after a writable one",
		      len < 0 ? -1 : g[STATUS], 1);
	/* indirect tables: nested, empty, odd length, in a hole */
	g[STATUS] = 0xaa;
	desc(ITABLE, 0, ITABLE + 0x100, 16, D_INDIRECT, 0);
	desc(DESC, 5, ITABLE, 16, D_INDIRECT, 0);
	len = submit(ss, 5);
	if (len != 0 || g[STATUS] != 0xaa)
		fail("nested indirect table: used length %lld", (long long)len);
	good_requests(ss, "nested indirect");
	desc(DESC, 5, ITABLE, 24, D_INDIRECT, 0);
	if (submit(ss, 5) != 0)
		fail("indirect table of 24 bytes");
	good_requests(ss, "indirect table of 24 bytes");
	desc(DESC, 5, HOLE, 64, D_INDIRECT, 0);
	if (submit(ss, 5) != 0)
		fail("indirect table in a hole");
	good_requests(ss, "indirect table in a hole");
	desc(DESC, 5, ITABLE, 0, D_INDIRECT, 0);
	if (submit(ss, 5) != 0)
		fail("empty indirect table");
	good_requests(ss, "empty indirect table");
	desc(DESC, 5, ~0ull - 8, 64, D_INDIRECT, 0);
	if (submit(ss, 5) != 0)
		fail("indirect table wrapping 2^64");
	good_requests(ss, "indirect table wrapping 2^64");
	/* a head out of range is returned unused */
	if (submit(ss, 100) != 0)
		fail("head out of range");
	good_requests(ss, "head out of range");
	printf("ok: malformed indirect tables and heads returned unused\n");
}

/* A corrupt avail index stops the queue; a restart brings it back. */
static void corrupt_avail_index(struct session *ss)
{
	struct {
		uint32_t index, num;
	} st = { 0, 0 };
	uint64_t one = 1;

	wr16(AVAIL + 2, ss->avail_idx + 1000);
	if (write(ss->kick, &one, 8) != 8)
		fail("kick");
	usleep(100000);
	if (rd16(USED + 2) != ss->used_seen)
		fail("a corrupt avail index was served");
	wr16(AVAIL + 2, ss->avail_idx);
	send_msg(ss->s, GET_VRING_BASE, 1, &st, sizeof(st), NULL, 0);
	if (recv_reply(ss->s, GET_VRING_BASE, &st, sizeof(st)) != sizeof(st) ||
	    st.num != ss->avail_idx)
		fail("GET_VRING_BASE after the corrupt index: %u, expected %u", st.num,
		     ss->avail_idx);
	close(ss->kick);
	ss->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	start_ring(ss, ss->avail_idx);
	good_requests(ss, "ring restarted after a corrupt avail index");
	printf("ok: corrupt avail index stops the queue until it is restarted\n");
}

/* ---- malformed messages -------------------------------------------------- */

static void expect_closed(const char *what, uint32_t req, uint32_t flags, const void *p,
			  uint32_t size, const int *fds, int nfds)
{
	struct session ss;

	if (!session_open(&ss, false))
		return;
	send_msg(ss.s, req, flags, p, size, fds, nfds);
	if (!closed_by_backend(ss.s))
		fail("%s: connection not closed", what);
	else
		printf("ok: %s: connection closed\n", what);
	session_close(&ss);
}

static void malformed_messages(void)
{
	static uint8_t big[5000];
	uint32_t st[2];
	uint64_t v;
	int fds[12], i;
	struct {
		uint32_t n, pad;
		struct region r[9];
	} t;
	struct session ss;
	uint64_t ack;

	expect_closed("version 2 header", GET_FEATURES, 2, NULL, 0, NULL, 0);
	expect_closed("unknown request", 99, 1, NULL, 0, NULL, 0);
	/* the header claims more than the back end takes: it closes before
	 * reading the payload */
	expect_closed("payload of 4097 bytes", SET_FEATURES, 1, big, 4097, NULL, 0);
	{
		struct session s2;

		if (session_open(&s2, false)) {
			struct {
				uint32_t req, flags, size;
			} __attribute__((packed)) h = { SET_FEATURES, 1, 1u << 20 };

			send(s2.s, &h, sizeof(h), MSG_NOSIGNAL);
			if (!closed_by_backend(s2.s))
				fail("1 MiB payload size: connection not closed");
			else
				printf("ok: 1 MiB payload size: connection closed\n");
			session_close(&s2);
		}
	}
	v = 1ull << 63;
	expect_closed("unknown feature bit", SET_FEATURES, 1, &v, 8, NULL, 0);
	expect_closed("short SET_FEATURES", SET_FEATURES, 1, &v, 4, NULL, 0);
	memset(&t, 0, sizeof(t));
	t.n = 2;
	t.r[0] = regions[0];
	t.r[1] = regions[1];
	expect_closed("SET_MEM_TABLE with 2 regions and 1 fd", SET_MEM_TABLE, 1, &t,
		      8 + 2 * 32, &memfd, 1);
	t.n = 9;
	for (i = 0; i < 9; i++)
		fds[i] = memfd;
	expect_closed("SET_MEM_TABLE with 9 regions", SET_MEM_TABLE, 1, &t, sizeof(t), fds, 8);
	expect_closed("9 fds on one message", GET_FEATURES, 1, NULL, 0, fds, 9);
	st[0] = 0;
	st[1] = 3;
	expect_closed("queue size 3", SET_VRING_NUM, 1, st, 8, NULL, 0);
	st[1] = 65536;
	expect_closed("queue size 65536", SET_VRING_NUM, 1, st, 8, NULL, 0);
	st[0] = 5;
	st[1] = 16;
	expect_closed("queue index 5", SET_VRING_NUM, 1, st, 8, NULL, 0);
	v = 0x100;
	expect_closed("SET_VRING_KICK: no fd flag, with an fd", SET_VRING_KICK, 1, &v, 8, &memfd, 1);
	expect_closed("SET_VRING_KICK: no fd", SET_VRING_KICK, 1, &v, 8, NULL, 0);
	v = 0;
	expect_closed("SET_VRING_CALL without its fd", SET_VRING_CALL, 1, &v, 8, NULL, 0);
	v = 7;
	expect_closed("SET_VRING_CALL for queue 7", SET_VRING_CALL, 1, &v, 8, &memfd, 1);
	{
		uint32_t c[3] = { 0, 4096, 0 };

		expect_closed("GET_CONFIG of 4096 bytes", GET_CONFIG, 1, c, 12, NULL, 0);
	}

	/* A region libvmmem refuses (it overlaps one already there), with a
	 * reply asked for: a failure reply, and the connection goes on. */
	if (session_open(&ss, false)) {
		struct {
			uint64_t pad;
			struct region r;
		} m = { 0, { MB / 2, MB, 0x1000, 0 } };

		send_msg(ss.s, ADD_MEM_REG, 1 | F_NEED_REPLY, &m, sizeof(m), &memfd, 1);
		if (recv_reply(ss.s, ADD_MEM_REG, &ack, 8) != 8 || !ack)
			fail("overlapping ADD_MEM_REG: no failure reply");
		else
			printf("ok: overlapping ADD_MEM_REG answered with a failure\n");
		good_requests(&ss, "after a refused region");
		session_close(&ss);
	}
	/* A truncated message, then the front end goes away. */
	if (session_open(&ss, false)) {
		send_msg(ss.s, SET_VRING_ADDR, 1, big, 20, NULL, 0);
		session_close(&ss);
	}
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random messages with plausible request numbers and random payloads, on
 * a set-up session; after each the connection is either still answering
 * (GET_FEATURES) or closed. */
static void random_messages(unsigned int rounds)
{
	struct session ss = { -1, -1, -1, 0, 0 };
	unsigned int i, closed = 0;
	bool up = false;
	/* fds to attach: an eventfd and /dev/null, never guest memory */
	int junk[2] = { eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), open("/dev/null", O_RDWR | O_CLOEXEC) };

	for (i = 0; i < rounds; i++) {
		uint8_t p[300];
		uint32_t req = rnd() % 42, size = rnd() % sizeof(p), j;
		int nfds = rnd() % 4 == 0 ? (int)(rnd() % 3) : 0;
		uint64_t f;

		if (!up) {
			if (!session_open(&ss, rnd() & 1))
				break;
			up = true;
		}
		for (j = 0; j < size; j++)
			p[j] = rnd();
		if (rnd() & 1)	/* small numbers reach more code */
			for (j = 0; j < size; j += 4)
				p[j] %= 20;
		send_msg(ss.s, req, 1 | (rnd() & F_NEED_REPLY), p, size, junk, nfds);
		/* Is it still there? */
		if (send_msg(ss.s, GET_FEATURES, 1, NULL, 0, NULL, 0) < 0 ||
		    !readable(ss.s, 10000)) {
			if (!readable(ss.s, 0)) {
				fail("random message %u (request %u): no answer, no close", i, req);
				session_close(&ss);
				up = false;
				break;
			}
		}
		/* Drain replies until GET_FEATURES' or the end. */
		for (;;) {
			struct {
				uint32_t req, flags, size;
			} __attribute__((packed)) h;
			uint8_t buf[600];

			if (!readable(ss.s, 10000) ||
			    recv(ss.s, &h, sizeof(h), MSG_WAITALL) != sizeof(h)) {
				closed++;
				session_close(&ss);
				up = false;
				break;
			}
			if (h.size > sizeof(buf) ||
			    (h.size && recv(ss.s, buf, h.size, MSG_WAITALL) != (ssize_t)h.size)) {
				fail("random message %u: bad reply", i);
				session_close(&ss);
				up = false;
				break;
			}
			if (h.req == GET_FEATURES) {
				memcpy(&f, buf, 8);
				break;
			}
		}
	}
	if (up)
		session_close(&ss);
	close(junk[0]);
	close(junk[1]);
	printf("ok: %u random messages, %u of them closed the connection\n", rounds, closed);
}

/* ---- the back end process ------------------------------------------------ */

/* The entries of the back end's /proc/PID/@what ("fd" or "maps"). */
static int count_entries(const char *what)
{
	char path[64];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)backend, what);
	if (strstr(what, "maps")) {
		FILE *f = fopen(path, "r");
		int c;

		if (!f)
			return -1;
		while ((c = fgetc(f)) != EOF)
			n += c == '\n';
		fclose(f);
	} else {
		DIR *d = opendir(path);

		if (!d)
			return -1;
		while (readdir(d))
			n++;
		closedir(d);
	}
	return n;
}

/* The back end's fds and mappings once it waits for a connection again. */
static void settle(int *fds, int *maps, int want_fds, int want_maps)
{
	int i;

	for (i = 0; i < 100; i++) {
		*fds = count_entries("fd");
		*maps = count_entries("maps");
		if (*fds == want_fds && *maps == want_maps)
			return;
		usleep(50000);
	}
}

int main(int argc, char **argv)
{
	const char *bin = argc > 1 ? argv[1] : NULL;
	char binbuf[512], tmpl[] = "/tmp/vub-fuzz.XXXXXX";
	const char *e;
	int fds0, maps0, fds1, maps1, status, i;
	unsigned int rounds = 300;
	static uint8_t zero[IMAGE_SECTORS * 512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bin) {
		snprintf(binbuf, sizeof(binbuf), "%s/tools/vmmem-vhost-user-blk",
			 getenv("top_builddir") ? getenv("top_builddir") : ".");
		bin = binbuf;
	}
	if ((e = getenv("VUB_FUZZ_ROUNDS")))
		rounds = strtoul(e, NULL, 0);
	rng_state = (e = getenv("VUB_FUZZ_SEED")) ? strtoull(e, NULL, 0) : 0x9e3779b97f4a7c15ull;
	if (!rng_state)
		rng_state = 1;
	printf("seed %#llx, %u random messages\n", (unsigned long long)rng_state, rounds);
	tmpdir = mkdtemp(tmpl);
	if (!tmpdir)
		die("mkdtemp");
	snprintf(sock_path, sizeof(sock_path), "%s/s", tmpdir);
	snprintf(img_path, sizeof(img_path), "%s/disk.img", tmpdir);
	snprintf(journal_path, sizeof(journal_path), "%s/journal", tmpdir);
	img_fd = open(img_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (img_fd < 0)
		die("image");
	for (i = 0; i < (int)sizeof(zero); i++)
		zero[i] = (uint8_t)(i * 13 + i / 512);
	if (pwrite(img_fd, zero, sizeof(zero), 0) != (ssize_t)sizeof(zero))
		die("image");
	memfd = memfd_create("guest", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 2 * MB) < 0)
		die("memfd");
	g = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (g == MAP_FAILED)
		die("mmap");
	signal(SIGPIPE, SIG_IGN);
	backend = fork();
	if (backend < 0)
		die("fork");
	if (backend == 0) {
		/* VUB_WRAPPER (e.g. "valgrind -q --error-exitcode=3") runs the
		 * back end under a checker; the checker's exit status counts. */
		if ((e = getenv("VUB_WRAPPER")) && *e)
			execl("/bin/sh", "sh", "-c", "exec $VUB_WRAPPER \"$@\"", "sh", bin, "-s",
			      sock_path, "--serial", "fuzz-serial", "--write-journal",
			      journal_path, img_path, (char *)NULL);
		else
			execl(bin, bin, "-s", sock_path, "--serial", "fuzz-serial",
			      "--write-journal", journal_path, img_path, (char *)NULL);
		perror(bin);
		_exit(127);
	}
	for (i = 0; i < 400 && access(sock_path, F_OK); i++)
		usleep(50000);
	if (access(sock_path, F_OK))
		die("the back end did not start");

	{
		struct session ss;

		if (!session_open(&ss, false))
			goto out;
		good_requests(&ss, "first session");
		printf("ok: first session: read, spanning write, indirect read, flush, GET_ID\n");
		session_close(&ss);
	}
	usleep(300000);	/* the back end cleans up after the front end left */
	fds0 = count_entries("fd");
	maps0 = count_entries("maps");
	{
		struct session ss;

		if (session_open(&ss, false)) {
			hostile_chains(&ss);
			corrupt_avail_index(&ss);
			session_close(&ss);
		}
	}
	malformed_messages();
	random_messages(rounds);
	{
		struct session ss;

		if (session_open(&ss, true)) {
			good_requests(&ss, "last session (SET_MEM_TABLE)");
			printf("ok: last session by SET_MEM_TABLE serves requests\n");
			session_close(&ss);
		}
	}
	settle(&fds1, &maps1, fds0, maps0);
	if (fds1 != fds0 || maps1 != maps0)
		fail("back end holds %d fds and %d mappings, %d and %d after the first session",
		     fds1, maps1, fds0, maps0);
	else
		printf("ok: no fd or mapping leaked (%d fds, %d mappings)\n", fds1, maps1);
out:
	if (kill(backend, 0) < 0)
		fail("the back end died");
	kill(backend, SIGTERM);
	if (waitpid(backend, &status, 0) != backend || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		fail("back end exit status %#x", status);
	else
		check_journal();
	unlink(journal_path);
	unlink(img_path);
	rmdir(tmpdir);
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
