/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * main.c - vmmem-vhost-user-blk(1): serve a raw disk image as a
 * vhost-user-blk device on a unix socket, one front end at a time.
 *
 *   vmmem-vhost-user-blk [OPTIONS] --socket PATH IMAGE
 *
 * The socket is bound under a temporary name and renamed into place once
 * it listens, so a front end that sees PATH can connect at once.  An
 * existing PATH is replaced only when it is a socket.  SIGINT and SIGTERM
 * end the program cleanly (exit 0); the socket is removed.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vub.h"

int vub_verbose;
static volatile sig_atomic_t stop_signal;

static void __attribute__((format(printf, 1, 0)))
vub_vlog(const char *fmt, va_list ap)
{
	fputs("vmmem-vhost-user-blk: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void vub_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (vub_verbose < level)
		return;
	va_start(ap, fmt);
	vub_vlog(fmt, ap);
	va_end(ap);
}

void vub_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vub_vlog(fmt, ap);
	va_end(ap);
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fputs("usage: vmmem-vhost-user-blk [OPTIONS] --socket PATH IMAGE\n"
	      "  -s, --socket PATH      listen on the unix socket PATH\n"
	      "  -r, --read-only        refuse writes, offer VIRTIO_BLK_F_RO\n"
	      "  -q, --num-queues N     virtqueues (1 to 8, default 1)\n"
	      "      --serial ID        the device id (up to 20 bytes)\n"
	      "      --no-mem-slots     do not offer CONFIGURE_MEM_SLOTS: the\n"
	      "                         front end sends SET_MEM_TABLE\n"
	      "      --once             exit when the first front end leaves\n"
	      "      --fault-skip-dirty-log  (testing) never mark the front\n"
	      "                         end's dirty log: migration corrupts RAM\n"
	      "      --write-journal FILE  (testing) record in the new FILE\n"
	      "                         every guest range the device may write\n"
	      "  -v, --verbose          report connections and request counts;\n"
	      "                         twice: also every protocol message\n"
	      "  -h, --help\n", f);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path)];
	struct stat st;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		vub_err("socket path too long: %s", path);
		return -1;
	}
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		vub_err("%s exists and is not a socket; not replacing it", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		vub_err("socket: %s", strerror(errno));
		return -1;
	}
	strcpy(sa.sun_path, tmp);
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0 ||
	    rename(tmp, path) < 0) {
		vub_err("cannot listen on %s: %s", path, strerror(errno));
		unlink(tmp);
		close(fd);
		return -1;
	}
	return fd;
}

/* --write-journal FILE: a new file (an existing one is left alone),
 * written through a large buffer. */
static int journal_open(struct vub_dev *dev, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0 || !(dev->journal = fdopen(fd, "w"))) {
		vub_err("--write-journal %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setvbuf(dev->journal, NULL, _IOFBF, 1 << 16);
	fputs("# vmmem-vhost-user-blk write journal\n", dev->journal);
	return 0;
}

/* The journal ends with a line "end" only when every line reached the
 * file: a reader can tell a complete journal from a truncated one. */
static int journal_close(struct vub_dev *dev)
{
	int ret = fflush(dev->journal) == 0 && !ferror(dev->journal) &&
		  fputs("end\n", dev->journal) >= 0 ? 0 : -1;

	if (fclose(dev->journal) != 0)
		ret = -1;
	dev->journal = NULL;
	if (ret < 0)
		vub_err("--write-journal %s: %s", dev->opts->write_journal,
			strerror(errno));
	return ret;
}

/* Serve one front end until it goes or a message is malformed. */
static void serve_connection(struct vub_dev *dev)
{
	while (!stop_signal) {
		struct pollfd pfd[1 + VUB_MAX_QUEUES];
		int qidx[1 + VUB_MAX_QUEUES];
		unsigned int i, n = 1;

		pfd[0].fd = dev->conn;
		pfd[0].events = POLLIN;
		for (i = 0; i < dev->opts->num_queues; i++) {
			if (dev->vq[i].kick < 0)
				continue;
			pfd[n].fd = dev->vq[i].kick;
			pfd[n].events = POLLIN;
			qidx[n++] = i;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			vub_err("poll: %s", strerror(errno));
			return;
		}
		for (i = 1; i < n; i++) {
			struct vub_vq *vq = &dev->vq[qidx[i]];
			uint64_t v;

			if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (read(vq->kick, &v, sizeof(v)) < 0 && errno != EAGAIN &&
			    errno != EINTR) {
				vub_err("kick eventfd of queue %u: %s", qidx[i],
					strerror(errno));
				vub_vq_stop(vq);
				continue;
			}
			vub_vq_process(dev, vq);
		}
		if (pfd[0].revents && vub_handle_message(dev) < 0)
			return;
	}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "num-queues", required_argument, NULL, 'q' },
		{ "serial", required_argument, NULL, 'S' },
		{ "no-mem-slots", no_argument, NULL, 'M' },
		{ "once", no_argument, NULL, 'o' },
		{ "fault-skip-dirty-log", no_argument, NULL, 'F' },
		{ "write-journal", required_argument, NULL, 'J' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vub_opts o = { .num_queues = 1, .serial = "vmmem-vhost-user-blk" };
	static struct vub_dev dev;
	struct sigaction sa;
	struct stat st;
	int c, lfd, img, status = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "s:rq:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.socket_path = optarg;
			break;
		case 'r':
			o.read_only = true;
			break;
		case 'q':
			errno = 0;
			o.num_queues = strtoul(optarg, &end, 10);
			if (errno || *end || o.num_queues < 1 || o.num_queues > VUB_MAX_QUEUES) {
				vub_err("--num-queues takes 1 to %d", VUB_MAX_QUEUES);
				return 2;
			}
			break;
		case 'S':
			o.serial = optarg;
			break;
		case 'M':
			o.no_mem_slots = true;
			break;
		case 'o':
			o.once = true;
			break;
		case 'F':
			o.skip_dirty_log = true;
			break;
		case 'J':
			o.write_journal = optarg;
			break;
		case 'v':
			vub_verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.socket_path || optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	o.image_path = argv[optind];
	o.verbose = vub_verbose;
	if (o.skip_dirty_log)
		vub_err("fault injection: the dirty log will not be marked");

	img = open(o.image_path, (o.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (img < 0 || fstat(img, &st) < 0) {
		vub_err("%s: %s", o.image_path, strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		vub_err("%s: not a regular file or block device", o.image_path);
		return 1;
	}
	if (S_ISBLK(st.st_mode)) {
		off_t e = lseek(img, 0, SEEK_END);

		if (e < 0) {
			vub_err("%s: %s", o.image_path, strerror(errno));
			return 1;
		}
		st.st_size = e;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = listen_on(o.socket_path);
	if (lfd < 0)
		return 1;
	vub_dev_init(&dev, &o, img, (uint64_t)st.st_size / 512);
	if (o.write_journal && journal_open(&dev, o.write_journal) < 0) {
		unlink(o.socket_path);
		close(lfd);
		close(img);
		return 1;
	}
	vub_log(1, "serving %s (%llu sectors) on %s", o.image_path,
		(unsigned long long)dev.capacity, o.socket_path);
	while (!stop_signal) {
		int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (conn < 0) {
			if (errno == EINTR)
				continue;
			vub_err("accept: %s", strerror(errno));
			status = 1;
			break;
		}
		vub_log(1, "front end connected");
		dev.conn = conn;
		serve_connection(&dev);
		vub_log(1, "requests: %llu, failed: %llu, segments spanning regions: %llu",
			(unsigned long long)dev.n_req, (unsigned long long)dev.n_failed,
			(unsigned long long)dev.n_span);
		vub_dev_reset(&dev);
		close(conn);
		dev.conn = -1;
		vub_log(1, "front end gone");
		if (o.once)
			break;
	}
	unlink(o.socket_path);
	close(lfd);
	close(img);
	if (dev.journal && journal_close(&dev) < 0)
		status = 1;
	return status;
}
