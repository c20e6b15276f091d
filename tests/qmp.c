/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qmp.c - a tiny QMP client for the script tests (no python, no socat).
 *
 *   qmp [-w SECONDS] SOCKET COMMAND...
 *
 * Connects to QEMU's QMP unix socket (retrying until it exists, for up to
 * SECONDS), reads the greeting, negotiates capabilities, then sends each
 * COMMAND in turn and prints its "return" value on standard output: a JSON
 * string decoded (so HMP output comes out as text, carriage returns
 * dropped), any other value as its JSON text on one line.  Asynchronous
 * events are skipped.  A COMMAND starting with '{' is sent as it is;
 * anything else is an HMP command line, sent with human-monitor-command.
 * SECONDS (default 10) also bounds the wait for each reply.
 *
 * Exit status: 0 success, 1 error reply, I/O error or timeout, 2 usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static double timeout_s = 10;
static char *buf;		/* bytes received, not yet consumed */
static size_t buf_len, buf_size;

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("qmp: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void qmp_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double deadline = now() + timeout_s;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return;
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    now() > deadline)
			die("cannot connect: %s", strerror(errno));
		close(fd);
		usleep(50000);
	}
}

static void send_all(const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("send: %s", strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

/* Receive one line (one QMP message); returns it NUL-terminated. */
static char *recv_line(void)
{
	double deadline = now() + timeout_s;
	static char *line;
	char *nl = NULL;

	while (!buf || !(nl = memchr(buf, '\n', buf_len))) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = deadline - now();
		ssize_t n;

		if (left <= 0)
			die("timed out waiting for QEMU");
		if (poll(&p, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (buf_size - buf_len < 4096) {
			buf_size = buf_size * 2 + 4096;
			buf = realloc(buf, buf_size);
			if (!buf)
				die("out of memory");
		}
		n = recv(fd, buf + buf_len, buf_size - buf_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recv: %s", strerror(errno));
		if (n == 0)
			die("QEMU closed the connection");
		buf_len += (size_t)n;
	}
	free(line);
	line = strndup(buf, (size_t)(nl - buf));
	if (!line)
		die("out of memory");
	buf_len -= (size_t)(nl + 1 - buf);
	memmove(buf, nl + 1, buf_len);
	return line;
}

/* ---- just enough JSON ---------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* The end of the JSON value at @p, or NULL if it is malformed. */
static const char *skip_value(const char *p)
{
	p = skip_ws(p);
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && !*++p)
				return NULL;
		return *p ? p + 1 : NULL;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = skip_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = skip_value(p);	/* key */
				if (!p || *(p = skip_ws(p)) != ':')
					return NULL;
				p++;
			}
			p = skip_value(p);
			if (!p)
				return NULL;
			p = skip_ws(p);
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	}
	if (!*p || strchr(",:]}", *p))
		return NULL;
	while (*p && !strchr(" \t\r\n,:]}", *p))
		p++;	/* number, true, false, null */
	return p;
}

/* The value of member @key of the object at @obj, or NULL. */
static const char *member(const char *obj, const char *key, const char **end)
{
	size_t klen = strlen(key);
	const char *p = skip_ws(obj);

	if (*p++ != '{')
		return NULL;
	for (;;) {
		const char *k, *v;

		p = skip_ws(p);
		if (*p != '"')
			return NULL;
		k = p + 1;
		p = skip_value(p);
		if (!p || *(p = skip_ws(p)) != ':')
			return NULL;
		v = skip_ws(p + 1);
		p = skip_value(v);
		if (!p)
			return NULL;
		if (!strncmp(k, key, klen) && k[klen] == '"') {
			*end = p;
			return v;
		}
		p = skip_ws(p);
		if (*p != ',')
			return NULL;
		p++;
	}
}

static void put_utf8(unsigned long c)
{
	if (c < 0x80) {
		putchar((int)c);
	} else if (c < 0x800) {
		putchar((int)(0xc0 | c >> 6));
		putchar((int)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		putchar((int)(0xe0 | c >> 12));
		putchar((int)(0x80 | (c >> 6 & 0x3f)));
		putchar((int)(0x80 | (c & 0x3f)));
	} else {
		putchar((int)(0xf0 | c >> 18));
		putchar((int)(0x80 | (c >> 12 & 0x3f)));
		putchar((int)(0x80 | (c >> 6 & 0x3f)));
		putchar((int)(0x80 | (c & 0x3f)));
	}
}

/* Print the JSON string at @p decoded, without carriage returns. */
static void print_string(const char *p, FILE *out)
{
	for (p++; *p && *p != '"'; p++) {
		unsigned long c;

		if (*p != '\\') {
			if (*p != '\r')
				fputc(*p, out);
			continue;
		}
		switch (*++p) {
		case 'n': fputc('\n', out); break;
		case 't': fputc('\t', out); break;
		case 'b': fputc('\b', out); break;
		case 'f': fputc('\f', out); break;
		case 'r': break;
		case 'u':
			c = strtoul((char[5]){ p[1], p[2], p[3], p[4], 0 },
				    NULL, 16);
			p += 4;
			if (c >= 0xd800 && c < 0xdc00 && p[1] == '\\' &&
			    p[2] == 'u') {
				unsigned long lo = strtoul(
					(char[5]){ p[3], p[4], p[5], p[6], 0 },
					NULL, 16);

				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			if (out == stdout)
				put_utf8(c);
			else
				fputc('?', out);
			break;
		default:	/* \" \\ \/ */
			fputc(*p, out);
		}
	}
}

/* Wait for the reply to a command, skipping events.  Returns the line. */
static const char *reply(const char **val, const char **end)
{
	for (;;) {
		const char *line = recv_line(), *e, *err;

		if (member(line, "event", &e))
			continue;
		*val = member(line, "return", end);
		if (*val)
			return line;
		err = member(line, "error", &e);
		if (err) {
			const char *desc = member(err, "desc", &e);

			fputs("qmp: error: ", stderr);
			if (desc && *desc == '"')
				print_string(desc, stderr);
			else
				fputs(line, stderr);
			fputc('\n', stderr);
			exit(1);
		}
		die("unexpected message: %s", line);
	}
}

/* {"execute":"human-monitor-command","arguments":{"command-line":...}} */
static char *hmp_command(const char *cmdline)
{
	size_t n = strlen(cmdline);
	char *s = malloc(n * 6 + 128), *p;

	if (!s)
		die("out of memory");
	p = s + sprintf(s, "{\"execute\":\"human-monitor-command\","
			   "\"arguments\":{\"command-line\":\"");
	for (; *cmdline; cmdline++) {
		unsigned char c = (unsigned char)*cmdline;

		if (c == '"' || c == '\\')
			p += sprintf(p, "\\%c", c);
		else if (c < 0x20)
			p += sprintf(p, "\\u%04x", c);
		else
			*p++ = (char)c;
	}
	strcpy(p, "\"}}");
	return s;
}

int main(int argc, char **argv)
{
	const char *val, *end;
	int c, i;

	while ((c = getopt(argc, argv, "w:")) != -1) {
		char *e;

		if (c != 'w')
			goto usage;
		timeout_s = strtod(optarg, &e);
		if (*e || e == optarg || timeout_s <= 0)
			goto usage;
	}
	if (argc - optind < 1)
		goto usage;

	qmp_connect(argv[optind]);
	if (!member(recv_line(), "QMP", &end))
		die("no QMP greeting");
	send_all("{\"execute\":\"qmp_capabilities\"}\n");
	reply(&val, &end);

	for (i = optind + 1; i < argc; i++) {
		if (argv[i][0] == '{') {
			send_all(argv[i]);
		} else {
			char *cmd = hmp_command(argv[i]);

			send_all(cmd);
			free(cmd);
		}
		send_all("\n");
		reply(&val, &end);
		if (*val == '"')
			print_string(val, stdout);
		else
			printf("%.*s\n", (int)(end - val), val);
		fflush(stdout);
	}
	close(fd);
	return 0;

usage:
	fputs("usage: qmp [-w SECONDS] SOCKET [COMMAND]...\n"
	      "  COMMAND: a JSON object, or an HMP command line\n", stderr);
	return 2;
}
