/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vu.c - the vhost-user protocol, back-end side (QEMU's
 * docs/interop/vhost-user.rst), for a block device.
 *
 * Which libvmmem call serves which message:
 *   SET_MEM_TABLE       vmm_mem_new() + vmm_mem_add_region() per region
 *                       (type FD, the region's fd and mmap offset, its
 *                       front-end address in desc.vua); the old memory is
 *                       dropped with vmm_mem_unref()
 *   ADD_MEM_REG         vmm_mem_add_region() on the live memory
 *   REM_MEM_REG         vmm_mem_remove_region()
 *   SET_VRING_ADDR      vmm_mem_vua_to_gpa() for the three ring parts (when
 *                       the ring starts, and again after a table change)
 *   SET_LOG_BASE        vmm_mem_dirty_log_attach() with the log's fd
 *   SET_FEATURES        vmm_mem_dirty_log_detach() when LOG_ALL goes away
 *   kick                vq.c: vmm_mem_load_le()/vmm_mem_store_le() for ring
 *                       indices, vmm_mem_read_exact() for descriptors,
 *                       vmm_mem_pread_exact_from_fd(),
 *                       vmm_mem_pwrite_all_to_fd() and vmm_mem_map() for
 *                       data, vmm_mem_write_exact() for status and used
 *                       elements.
 *
 * A message that is malformed (unknown request, wrong payload size, an fd
 * missing or in excess, a bad index) closes the connection: the device is
 * reset, every fd and the guest memory released, and the back end waits
 * for the next front end.  A well-formed request that cannot be carried
 * out (a region libvmmem refuses) is answered with a failure when the
 * front end asked for a reply, and closes the connection otherwise.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vub.h"

enum {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
};

#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD 1
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_CONFIG 9
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE 13
#define VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS 15

#define VHOST_USER_VERSION 0x1
#define VHOST_USER_VERSION_MASK 0x3
#define VHOST_USER_REPLY 0x4
#define VHOST_USER_NEED_REPLY 0x8
#define VHOST_USER_VRING_NOFD 0x100
#define VHOST_USER_VRING_IDX_MASK 0xff
#define VHOST_MEMORY_BASELINE_NREGIONS 8
#define VHOST_USER_MAX_FDS 8
#define VHOST_USER_MAX_PAYLOAD 4096
#define VHOST_USER_CONFIG_MAX 256
#define VHOST_VRING_F_LOG 0

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t vua;
	uint64_t mmap_offset;
};

struct vu_msg {
	struct vu_hdr hdr;
	union {
		uint64_t u64;
		struct {
			uint32_t index, num;
		} state;
		struct {
			uint32_t index, flags;
			uint64_t desc, used, avail, log;
		} addr;
		struct {
			uint32_t nregions, padding;
			struct vu_region r[VHOST_MEMORY_BASELINE_NREGIONS];
		} table;
		struct {
			uint64_t padding;
			struct vu_region r;
		} reg;
		struct {
			uint64_t size, offset;
		} log;
		struct {
			uint32_t offset, size, flags;
			uint8_t data[VHOST_USER_CONFIG_MAX];
		} config;
		uint8_t bytes[VHOST_USER_MAX_PAYLOAD];
	} p;
	int fds[VHOST_USER_MAX_FDS];
	unsigned int nfds;
};

/* virtio-blk device configuration (VIRTIO 1.1, 5.2.4), little-endian. */
struct vub_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t cylinders;
	uint8_t heads, sectors;
	uint32_t blk_size;
	uint8_t physical_block_exp, alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t wce, unused;
	uint16_t num_queues;
	uint32_t max_discard_sectors, max_discard_seg, discard_sector_alignment;
	uint32_t max_write_zeroes_sectors, max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap, unused1[3];
} __attribute__((packed));

static const char *const request_names[] = {
	[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
	[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
	[VHOST_USER_SET_OWNER] = "SET_OWNER",
	[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
	[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
	[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHOST_USER_GET_CONFIG] = "GET_CONFIG",
	[VHOST_USER_SET_CONFIG] = "SET_CONFIG",
	[VHOST_USER_RESET_DEVICE] = "RESET_DEVICE",
	[VHOST_USER_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
	[VHOST_USER_ADD_MEM_REG] = "ADD_MEM_REG",
	[VHOST_USER_REM_MEM_REG] = "REM_MEM_REG",
};

static const char *request_name(uint32_t req)
{
	if (req < sizeof(request_names) / sizeof(request_names[0]) && request_names[req])
		return request_names[req];
	return "unknown";
}

uint64_t vub_device_features(const struct vub_dev *dev)
{
	uint64_t f = 1ull << VIRTIO_F_VERSION_1 |
		     1ull << VHOST_USER_F_PROTOCOL_FEATURES |
		     1ull << VHOST_F_LOG_ALL |
		     1ull << VIRTIO_RING_F_INDIRECT_DESC |
		     1ull << VIRTIO_RING_F_EVENT_IDX |
		     1ull << VIRTIO_BLK_F_SEG_MAX |
		     1ull << VIRTIO_BLK_F_BLK_SIZE |
		     1ull << VIRTIO_BLK_F_FLUSH;

	if (dev->opts->read_only)
		f |= 1ull << VIRTIO_BLK_F_RO;
	if (dev->opts->num_queues > 1)
		f |= 1ull << VIRTIO_BLK_F_MQ;
	return f;
}

static uint64_t protocol_features(const struct vub_dev *dev)
{
	uint64_t f = 1ull << VHOST_USER_PROTOCOL_F_MQ |
		     1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD |
		     1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK |
		     1ull << VHOST_USER_PROTOCOL_F_CONFIG |
		     1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE;

	if (!dev->opts->no_mem_slots)
		f |= 1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS;
	return f;
}

void vub_dev_init(struct vub_dev *dev, const struct vub_opts *opts, int img_fd,
		  uint64_t capacity)
{
	unsigned int i;

	memset(dev, 0, sizeof(*dev));
	dev->opts = opts;
	dev->img_fd = img_fd;
	dev->capacity = capacity;
	dev->conn = -1;
	dev->log_fd = -1;
	dev->config_wce = 1;
	for (i = 0; i < VUB_MAX_QUEUES; i++)
		vub_vq_init(&dev->vq[i]);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void log_forget(struct vub_dev *dev)
{
	if (dev->log_attached && dev->mem) {
		vmm_mem_dirty_log_detach(dev->mem);
		vub_log(1, "dirty log detached");
	}
	dev->log_attached = false;
	close_fd(&dev->log_fd);
}

/* Attach the recorded shared log to the current memory, if any. */
static int log_attach(struct vub_dev *dev)
{
	struct vmm_mem_dirty_log_shared_desc d;
	int ret;

	if (dev->log_fd < 0 || !dev->mem || dev->opts->skip_dirty_log)
		return 0;
	memset(&d, 0, sizeof(d));
	d.fd = dev->log_fd;
	d.offset = dev->log_offset;
	d.size = dev->log_size;
	d.addr = NULL;
	ret = vmm_mem_dirty_log_attach(dev->mem, &d, sizeof(d));
	if (ret < 0) {
		vub_err("cannot attach the dirty log: %s", strerror(-ret));
		return ret;
	}
	dev->log_attached = true;
	vub_log(1, "dirty log attached: %llu bytes at offset %llu",
		(unsigned long long)dev->log_size, (unsigned long long)dev->log_offset);
	return 0;
}

/* Back to the state of a new connection: rings stopped, no memory, no log. */
void vub_dev_reset(struct vub_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VUB_MAX_QUEUES; i++) {
		struct vub_vq *vq = &dev->vq[i];

		vub_vq_stop(vq);
		close_fd(&vq->call);
		close_fd(&vq->err);
		vub_vq_init(vq);
	}
	log_forget(dev);
	dev->mem = vmm_mem_unref(dev->mem);
	dev->nregions = 0;
	dev->features = 0;
	dev->protocol_features = 0;
	dev->owner = false;
}

static void mem_changed(struct vub_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VUB_MAX_QUEUES; i++)
		vub_vq_unmap(&dev->vq[i]);
}

static int add_region(struct vub_dev *dev, vmm_mem_t *mem,
		      const struct vu_region *r, int fd)
{
	struct vmm_mem_region_desc d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_FD;
	d.gpa = r->gpa;
	d.size = r->size;
	d.fd = fd;
	d.fd_offset = r->mmap_offset;
	d.vua = r->vua;
	ret = vmm_mem_add_region(mem, &d, sizeof(d));
	if (ret < 0)
		vub_err("region GPA 0x%llx size 0x%llx refused: %s",
			(unsigned long long)r->gpa, (unsigned long long)r->size,
			strerror(-ret));
	else
		vub_journal_region(dev, r->gpa, r->size, r->mmap_offset, fd);
	return ret;
}

static int set_mem_table(struct vub_dev *dev, struct vu_msg *m)
{
	uint32_t n = m->p.table.nregions, i;
	vmm_mem_t *mem;
	int ret;

	if (n > VHOST_MEMORY_BASELINE_NREGIONS || m->nfds != n ||
	    m->hdr.size < offsetof(struct vu_msg, p.table.r[n]) - offsetof(struct vu_msg, p))
		return -EPROTO;
	ret = vmm_mem_new(&mem);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		ret = add_region(dev, mem, &m->p.table.r[i], m->fds[i]);
		if (ret < 0) {
			vmm_mem_unref(mem);
			return ret;
		}
	}
	if (dev->log_attached)
		vmm_mem_dirty_log_detach(dev->mem);
	dev->log_attached = false;
	vmm_mem_unref(dev->mem);
	dev->mem = mem;
	dev->nregions = n;
	mem_changed(dev);
	return log_attach(dev);
}

static int mem_for_slots(struct vub_dev *dev)
{
	if (dev->mem)
		return 0;
	return vmm_mem_new(&dev->mem);
}

static int add_mem_reg(struct vub_dev *dev, struct vu_msg *m)
{
	int ret;

	if (m->nfds != 1 || m->hdr.size < sizeof(m->p.reg))
		return -EPROTO;
	if (dev->nregions >= VUB_MAX_MEM_SLOTS)
		return -ENOSPC;
	ret = mem_for_slots(dev);
	if (ret < 0)
		return ret;
	/* A new region is logged from its first byte if the log is on. */
	if (!dev->log_attached && (ret = log_attach(dev)) < 0)
		return ret;
	ret = add_region(dev, dev->mem, &m->p.reg.r, m->fds[0]);
	if (ret < 0)
		return ret;
	dev->nregions++;
	mem_changed(dev);
	return 0;
}

static int rem_mem_reg(struct vub_dev *dev, struct vu_msg *m)
{
	int ret;

	if (m->nfds > 1 || m->hdr.size < sizeof(m->p.reg))
		return -EPROTO;
	if (!dev->mem)
		return -ENOENT;
	ret = vmm_mem_remove_region(dev->mem, m->p.reg.r.gpa, m->p.reg.r.size);
	if (ret < 0) {
		vub_err("no region at GPA 0x%llx size 0x%llx to remove",
			(unsigned long long)m->p.reg.r.gpa,
			(unsigned long long)m->p.reg.r.size);
		return ret;
	}
	dev->nregions--;
	mem_changed(dev);
	return 0;
}

static int set_log_base(struct vub_dev *dev, struct vu_msg *m)
{
	if (m->nfds != 1 || m->hdr.size < sizeof(m->p.log) ||
	    !VUB_HAS(dev->protocol_features, VHOST_USER_PROTOCOL_F_LOG_SHMFD))
		return -EPROTO;
	log_forget(dev);
	dev->log_fd = m->fds[0];
	m->fds[0] = -1;
	dev->log_size = m->p.log.size;
	dev->log_offset = m->p.log.offset;
	return log_attach(dev);
}

static int set_features(struct vub_dev *dev, uint64_t f)
{
	unsigned int i;

	if (f & ~vub_device_features(dev))
		return -EPROTO;
	dev->features = f;
	if (!VUB_HAS(f, VHOST_F_LOG_ALL))
		log_forget(dev);
	/* Without PROTOCOL_FEATURES a ring is enabled as soon as it starts. */
	if (!VUB_HAS(f, VHOST_USER_F_PROTOCOL_FEATURES))
		for (i = 0; i < VUB_MAX_QUEUES; i++)
			dev->vq[i].enabled = true;
	return 0;
}

static struct vub_vq *vq_of(struct vub_dev *dev, uint32_t index)
{
	if (index >= dev->opts->num_queues)
		return NULL;
	return &dev->vq[index];
}

static int get_config(struct vub_dev *dev, struct vu_msg *m)
{
	struct vub_config c;
	uint32_t off = m->p.config.offset, size = m->p.config.size;

	if (m->hdr.size < offsetof(struct vu_msg, p.config.data) - offsetof(struct vu_msg, p) ||
	    size > VHOST_USER_CONFIG_MAX || off > VHOST_USER_CONFIG_MAX - size)
		return -EPROTO;
	memset(&c, 0, sizeof(c));
	c.capacity = htole64(dev->capacity);
	c.seg_max = htole32(VUB_SEG_MAX);
	c.blk_size = htole32(512);
	c.wce = dev->config_wce;
	c.num_queues = htole16(dev->opts->num_queues);
	memset(m->p.config.data, 0, size);
	if (off < sizeof(c))
		memcpy(m->p.config.data, (uint8_t *)&c + off,
		       size < sizeof(c) - off ? size : sizeof(c) - off);
	m->hdr.size = offsetof(struct vu_msg, p.config.data[size]) - offsetof(struct vu_msg, p);
	return 0;
}

static int send_msg(struct vub_dev *dev, struct vu_msg *m)
{
	struct iovec iov[2] = {
		{ &m->hdr, sizeof(m->hdr) },
		{ &m->p, m->hdr.size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	m->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY;
	while (iov[0].iov_len + iov[1].iov_len) {
		ssize_t k = sendmsg(dev->conn, &mh, MSG_NOSIGNAL);
		unsigned int i;

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -EPIPE;
		for (i = 0; i < 2; i++) {
			size_t n = (size_t)k < iov[i].iov_len ? (size_t)k : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= n;
			k -= n;
		}
	}
	return 0;
}

static int reply_u64(struct vub_dev *dev, struct vu_msg *m, uint64_t v)
{
	m->hdr.size = sizeof(uint64_t);
	m->p.u64 = v;
	return send_msg(dev, m);
}

/* Read exactly @len bytes; 0, -ECONNRESET at a clean end, or an error. */
static int recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t k = recv(fd, p, len, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ECONNRESET;
		p += k;
		len -= k;
	}
	return 0;
}

static int recv_msg(struct vub_dev *dev, struct vu_msg *m)
{
	char control[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
	struct iovec iov = { &m->hdr, sizeof(m->hdr) };
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	ssize_t k;
	int ret = 0;

	m->nfds = 0;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control;
	mh.msg_controllen = sizeof(control);
	do
		k = recvmsg(dev->conn, &mh, MSG_CMSG_CLOEXEC);
	while (k < 0 && errno == EINTR);
	if (k <= 0)
		return k == 0 ? -ECONNRESET : -errno;
	/* Take every fd first, so that each is closed whatever happens. */
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t i, n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (m->nfds < VHOST_USER_MAX_FDS)
				m->fds[m->nfds++] = fd;
			else
				close(fd);
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		ret = -EPROTO;
	if (!ret && (size_t)k < sizeof(m->hdr))
		ret = recv_all(dev->conn, (char *)&m->hdr + k, sizeof(m->hdr) - k);
	if (!ret && ((m->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
		     m->hdr.size > sizeof(m->p)))
		ret = -EPROTO;
	if (!ret && m->hdr.size)
		ret = recv_all(dev->conn, &m->p, m->hdr.size);
	/* Zero the rest, so a short payload reads as zeros, never stale. */
	if (!ret)
		memset(m->p.bytes + m->hdr.size, 0, sizeof(m->p) - m->hdr.size);
	return ret;
}

/* The payload of a message that carries one u64 (or a vring state). */
static bool payload_is(const struct vu_msg *m, size_t size)
{
	return m->hdr.size >= size;
}

/* Handle @m; >0 when a reply with the payload in @m has to be sent. */
static int dispatch(struct vub_dev *dev, struct vu_msg *m)
{
	struct vub_vq *vq;
	uint32_t req = m->hdr.request;
	int ret;

	switch (req) {
	case VHOST_USER_GET_FEATURES:
		m->hdr.size = sizeof(uint64_t);
		m->p.u64 = vub_device_features(dev);
		return 1;
	case VHOST_USER_SET_FEATURES:
		if (!payload_is(m, sizeof(uint64_t)))
			return -EPROTO;
		return set_features(dev, m->p.u64);
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		m->hdr.size = sizeof(uint64_t);
		m->p.u64 = protocol_features(dev);
		return 1;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		if (!payload_is(m, sizeof(uint64_t)) ||
		    (m->p.u64 & ~protocol_features(dev)))
			return -EPROTO;
		dev->protocol_features = m->p.u64;
		return 0;
	case VHOST_USER_SET_OWNER:
		dev->owner = true;
		return 0;
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_RESET_DEVICE: {
		int conn = dev->conn;
		uint64_t pf = dev->protocol_features;

		vub_dev_reset(dev);
		dev->conn = conn;
		dev->protocol_features = pf;
		return 0;
	}
	case VHOST_USER_GET_QUEUE_NUM:
		m->hdr.size = sizeof(uint64_t);
		m->p.u64 = dev->opts->num_queues;
		return 1;
	case VHOST_USER_GET_MAX_MEM_SLOTS:
		if (dev->opts->no_mem_slots)
			return -EPROTO;
		m->hdr.size = sizeof(uint64_t);
		m->p.u64 = VUB_MAX_MEM_SLOTS;
		return 1;
	case VHOST_USER_SET_MEM_TABLE:
		return set_mem_table(dev, m);
	case VHOST_USER_ADD_MEM_REG:
		if (dev->opts->no_mem_slots)
			return -EPROTO;
		return add_mem_reg(dev, m);
	case VHOST_USER_REM_MEM_REG:
		if (dev->opts->no_mem_slots)
			return -EPROTO;
		return rem_mem_reg(dev, m);
	case VHOST_USER_SET_LOG_BASE:
		ret = set_log_base(dev, m);
		if (ret < 0)
			return ret;
		/* QEMU waits for this reply whatever the flags say. */
		m->hdr.size = sizeof(uint64_t);
		m->p.u64 = 0;
		return 1;
	case VHOST_USER_SET_LOG_FD:
		return 0;	/* the fd is closed below; LOG_KICK is not offered */
	case VHOST_USER_GET_CONFIG:
		ret = get_config(dev, m);
		return ret < 0 ? ret : 1;
	case VHOST_USER_SET_CONFIG:
		if (m->hdr.size < offsetof(struct vu_msg, p.config.data) - offsetof(struct vu_msg, p) ||
		    m->p.config.size > VHOST_USER_CONFIG_MAX ||
		    m->p.config.offset > VHOST_USER_CONFIG_MAX - m->p.config.size)
			return -EPROTO;
		if (m->p.config.offset <= offsetof(struct vub_config, wce) &&
		    m->p.config.offset + m->p.config.size > offsetof(struct vub_config, wce))
			dev->config_wce = m->p.config.data[offsetof(struct vub_config, wce) -
							   m->p.config.offset];
		return 0;
	}

	/* Everything below names a virtqueue. */
	if (!payload_is(m, sizeof(m->p.state)))
		return -EPROTO;
	switch (req) {
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR: {
		bool nofd = m->p.u64 & VHOST_USER_VRING_NOFD;
		int *slot;

		vq = vq_of(dev, m->p.u64 & VHOST_USER_VRING_IDX_MASK);
		if (!vq || (m->p.u64 & ~(uint64_t)(VHOST_USER_VRING_NOFD |
						    VHOST_USER_VRING_IDX_MASK)) ||
		    m->nfds != (nofd ? 0u : 1u))
			return -EPROTO;
		/* A ring without a kick fd would have to be polled: not
		 * supported. */
		if (req == VHOST_USER_SET_VRING_KICK && nofd)
			return -EPROTO;
		slot = req == VHOST_USER_SET_VRING_KICK ? &vq->kick :
		       req == VHOST_USER_SET_VRING_CALL ? &vq->call : &vq->err;
		close_fd(slot);
		if (!nofd) {
			*slot = m->fds[0];
			m->fds[0] = -1;
		}
		if (req == VHOST_USER_SET_VRING_KICK) {
			/* The ring starts: serve what is already there. */
			vq->mapped = false;
			vq->broken = false;
			vub_vq_process(dev, vq);
		}
		return 0;
	}
	}
	vq = vq_of(dev, m->p.state.index);
	if (!vq)
		return -EPROTO;
	switch (req) {
	case VHOST_USER_SET_VRING_NUM:
		if (!m->p.state.num || m->p.state.num > VUB_MAX_QUEUE_SIZE ||
		    (m->p.state.num & (m->p.state.num - 1)))
			return -EPROTO;
		vq->num = m->p.state.num;
		vq->mapped = false;
		return 0;
	case VHOST_USER_SET_VRING_ADDR:
		if (!payload_is(m, sizeof(m->p.addr)) ||
		    (m->p.addr.flags & ~(1u << VHOST_VRING_F_LOG)))
			return -EPROTO;
		vq->addr_flags = m->p.addr.flags;
		vq->desc_vua = m->p.addr.desc;
		vq->used_vua = m->p.addr.used;
		vq->avail_vua = m->p.addr.avail;
		vq->log_gpa = m->p.addr.log;
		vq->addr_set = true;
		vq->mapped = false;
		return 0;
	case VHOST_USER_SET_VRING_BASE:
		if (m->p.state.num > 0xffff)
			return -EPROTO;
		vq->last_avail = m->p.state.num;
		return 0;
	case VHOST_USER_GET_VRING_BASE:
		/* Stops the ring.  Requests complete synchronously, so
		 * nothing is in flight. */
		vub_vq_stop(vq);
		m->p.state.num = vq->last_avail;
		m->hdr.size = sizeof(m->p.state);
		return 1;
	case VHOST_USER_SET_VRING_ENABLE:
		if (m->p.state.num > 1)
			return -EPROTO;
		vq->enabled = m->p.state.num;
		if (vq->enabled && vq->kick >= 0)
			vub_vq_process(dev, vq);
		return 0;
	}
	return -EPROTO;
}

int vub_handle_message(struct vub_dev *dev)
{
	static struct vu_msg m;
	unsigned int i;
	bool need_reply;
	int ret;

	ret = recv_msg(dev, &m);
	if (ret == -EPROTO) {
		vub_err("malformed message header (request %u, flags 0x%x, "
			"%u bytes), closing the connection", m.hdr.request,
			m.hdr.flags, m.hdr.size);
		goto out;
	}
	if (ret < 0)
		goto out;
	need_reply = (m.hdr.flags & VHOST_USER_NEED_REPLY) &&
		     VUB_HAS(dev->protocol_features, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	vub_log(2, "%s (%u), %u bytes, %u fds", request_name(m.hdr.request),
		m.hdr.request, m.hdr.size, m.nfds);
	ret = dispatch(dev, &m);
	if (ret > 0) {
		ret = send_msg(dev, &m);
	} else if (need_reply && ret != -EPROTO) {
		/* REPLY_ACK: 0 for success, non-zero for failure. */
		ret = reply_u64(dev, &m, ret < 0);
	}
	if (ret == -EPROTO)
		vub_err("malformed %s (%u) message, closing the connection",
			request_name(m.hdr.request), m.hdr.request);
	else if (ret < 0 && ret != -EPIPE)
		vub_err("%s failed: %s; closing the connection",
			request_name(m.hdr.request), strerror(-ret));
out:
	for (i = 0; i < m.nfds; i++)
		if (m.fds[i] >= 0)
			close(m.fds[i]);
	m.nfds = 0;
	return ret;
}
