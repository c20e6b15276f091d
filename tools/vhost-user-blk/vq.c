/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vq.c - split virtqueues (VIRTIO 1.1, 2.6) and virtio-blk requests (5.2).
 *
 * The rings live in guest memory; the driver is hostile.  Every ring field
 * is read through libvmmem at a GPA, so an index or address that points
 * into a hole is an error return, never a fault.  Indices are loaded with
 * vmm_mem_load_le() (the avail index with acquire order, pairing with the
 * driver's release store), the used index is stored with release order
 * after the used element, so the driver never sees an element before it is
 * complete.  Every guest write (data, status, used ring) goes through a
 * libvmmem write path, which marks the front end's shared dirty log once it
 * is attached (VHOST_F_LOG_ALL during migration).
 *
 * A descriptor chain is first walked into a list of segments and checked:
 * an index outside the table, more descriptors than the table holds (a
 * loop), a nested or empty indirect table, a device-readable descriptor
 * after a device-writable one, a length that wraps.  A bad chain, or a
 * request whose buffers are in a hole or read-only, completes with status
 * VIRTIO_BLK_S_IOERR (when the chain has a writable last byte) and the
 * device goes on with the next request.  Only a corrupt avail index (more
 * entries than the ring holds) stops the queue, until the front end
 * restarts it.
 *
 * --write-journal (a testing aid) records, apart from libvmmem and its
 * dirty log, every guest range the device may write: a used ring (with
 * avail_event under EVENT_IDX) when it is mapped, and every
 * device-writable buffer of every chain walked (data and status byte,
 * also for a request that then fails).  The migration test checks the
 * front end's dirty log against it.  With the option off, the journal
 * calls return at once and nothing else differs.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vub.h"

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

#define SECTOR 512u

struct vub_seg {
	uint64_t gpa;
	uint64_t len;
};

/* A request's buffers: device-readable segments, then device-writable. */
struct vub_req {
	struct vub_seg seg[VUB_MAX_SEGS];
	unsigned int nr;	/* readable: seg[0 .. nr) */
	unsigned int nw;	/* writable: seg[nr .. nr + nw) */
	uint64_t rlen, wlen;	/* bytes in each */
	bool bad;		/* a descriptor was refused */
	bool status_ok;		/* the last descriptor read is writable and
				   was kept: its last byte is the status */
};

/*
 * The journal: a text file, "w GPA LEN" per range (hexadecimal) and
 * "r GPA SIZE FD_OFFSET DEV INO" per memory region (hexadecimal, then the
 * region file's st_dev and st_ino in decimal), in a large stdio buffer.
 * A range inside one of the last JOURNAL_RECENT ranges written is not
 * written again: the same buffers and rings come back all the time.
 */
#define JOURNAL_RECENT 64

static struct {
	uint64_t start, end;
} journal_recent[JOURNAL_RECENT];
static unsigned int journal_next;

static void journal_write(struct vub_dev *dev, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;
	unsigned int i;

	if (!dev->journal || !len)
		return;
	if (end < gpa)
		end = UINT64_MAX;
	for (i = 0; i < JOURNAL_RECENT; i++)
		if (journal_recent[i].start <= gpa && end <= journal_recent[i].end)
			return;
	fprintf(dev->journal, "w %llx %llx\n", (unsigned long long)gpa,
		(unsigned long long)(end - gpa));
	journal_recent[journal_next].start = gpa;
	journal_recent[journal_next].end = end;
	journal_next = (journal_next + 1) % JOURNAL_RECENT;
}

void vub_journal_region(struct vub_dev *dev, uint64_t gpa, uint64_t size,
			uint64_t fd_offset, int fd)
{
	struct stat st;

	if (!dev->journal)
		return;
	if (fstat(fd, &st) < 0)
		st.st_dev = st.st_ino = 0;
	fprintf(dev->journal, "r %llx %llx %llx %llu %llu\n",
		(unsigned long long)gpa, (unsigned long long)size,
		(unsigned long long)fd_offset, (unsigned long long)st.st_dev,
		(unsigned long long)st.st_ino);
}

void vub_vq_init(struct vub_vq *vq)
{
	memset(vq, 0, sizeof(*vq));
	vq->kick = vq->call = vq->err = -1;
}

void vub_vq_unmap(struct vub_vq *vq)
{
	vq->mapped = false;
}

void vub_vq_stop(struct vub_vq *vq)
{
	if (vq->kick >= 0)
		close(vq->kick);
	vq->kick = -1;
	vq->mapped = false;
	vq->broken = false;
	vq->signalled_valid = false;
}

/* One ring part at front-end address @vua, @len bytes, inside one region. */
static int ring_part(vmm_mem_t *mem, uint64_t vua, uint64_t len, uint64_t *gpa)
{
	uint64_t got = len;
	int ret = vmm_mem_vua_to_gpa(mem, vua, gpa, &got);

	if (ret < 0)
		return ret;
	return got == len ? 0 : -EFAULT;
}

/* Translate the ring's front-end addresses into GPAs and pick up the used
 * index the driver left there (0 for a new ring; the migrated value after
 * an incoming migration). */
static int vq_map(struct vub_dev *dev, struct vub_vq *vq)
{
	uint64_t n = vq->num, v;
	int ret;

	if (vq->mapped)
		return 0;
	if (!dev->mem || !vq->addr_set || !vq->num)
		return -ENODEV;
	if ((ret = ring_part(dev->mem, vq->desc_vua, 16 * n, &vq->desc)) < 0 ||
	    (ret = ring_part(dev->mem, vq->avail_vua, 6 + 2 * n, &vq->avail)) < 0 ||
	    (ret = ring_part(dev->mem, vq->used_vua, 6 + 8 * n, &vq->used)) < 0) {
		vub_err("ring addresses not in guest memory: %s", strerror(-ret));
		return ret;
	}
	if ((vq->addr_flags & 1) && vq->log_gpa != vq->used)
		vub_err("used ring at GPA 0x%llx, front end logs it at 0x%llx",
			(unsigned long long)vq->used,
			(unsigned long long)vq->log_gpa);
	ret = vmm_mem_load_le(dev->mem, vq->used + 2, 2, &v, VMM_MEM_ORDER_ACQUIRE);
	if (ret < 0)
		return ret;
	vq->used_idx = (uint16_t)v;
	vq->mapped = true;
	/* idx, the elements and avail_event (the back end never writes the
	 * used ring's flags) */
	journal_write(dev, vq->used + 2, 2 + 8 * n +
		      2 * VUB_HAS(dev->features, VIRTIO_RING_F_EVENT_IDX));
	return 0;
}

/* Append [gpa, gpa + len) to the request; false when the descriptor
 * cannot be used (its range wraps, too many segments, or a device-readable
 * one after a device-writable one). */
static bool req_add(struct vub_req *req, uint64_t gpa, uint32_t len, bool wr)
{
	struct vub_seg *s;

	if (gpa + len < gpa || req->nr + req->nw >= VUB_MAX_SEGS || (!wr && req->nw))
		return false;
	if (!len)
		return true;
	s = &req->seg[req->nr + req->nw];
	s->gpa = gpa;
	s->len = len;
	if (wr) {
		req->nw++;
		req->wlen += len;
	} else {
		req->nr++;
		req->rlen += len;
	}
	return true;
}

/*
 * Walk the chain at @head into @req.  A descriptor whose buffer cannot be
 * used sets req->bad and the walk goes on, so that the request can still
 * be failed through its status byte.  Returns 0 when the chain ended, or
 * -EINVAL when its structure is broken (an index out of range, more
 * descriptors than the table holds, a bad indirect table) or -EFAULT (a
 * table in a hole): the status byte is then the last writable descriptor
 * read, if the last one read was writable.
 */
static int walk_chain(struct vub_dev *dev, struct vub_vq *vq, uint16_t head,
		      struct vub_req *req)
{
	uint64_t table = vq->desc, tnum = vq->num, count = 0;
	bool indirect = false;
	uint32_t idx = head;
	int ret;

	req->nr = req->nw = 0;
	req->rlen = req->wlen = 0;
	req->bad = req->status_ok = false;
	for (;;) {
		struct {
			uint64_t addr;
			uint32_t len;
			uint16_t flags, next;
		} d;
		uint16_t flags;
		uint32_t len;

		if (idx >= tnum || ++count > tnum)
			return -EINVAL;	/* out of range, or a loop */
		ret = vmm_mem_read_exact(dev->mem, table + 16 * (uint64_t)idx, &d,
					 sizeof(d));
		if (ret < 0)
			return ret;
		flags = le16toh(d.flags);
		len = le32toh(d.len);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (indirect || (flags & VRING_DESC_F_NEXT) ||
			    !VUB_HAS(dev->features, VIRTIO_RING_F_INDIRECT_DESC) ||
			    !len || len % 16 || len / 16 > VUB_MAX_QUEUE_SIZE)
				return -EINVAL;
			table = le64toh(d.addr);
			tnum = len / 16;
			if (table + len < table)
				return -EINVAL;
			indirect = true;
			idx = 0;
			count = 0;
			req->status_ok = false;
			continue;
		}
		req->status_ok = req_add(req, le64toh(d.addr), len,
					 flags & VRING_DESC_F_WRITE);
		if (!req->status_ok)
			req->bad = true;
		else if (!(flags & VRING_DESC_F_WRITE) || !len)
			req->status_ok = false;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		idx = le16toh(d.next);
	}
}

/* Copy @len bytes from the front of the readable segments into @buf and
 * drop them from the request. */
static int take_readable(struct vub_dev *dev, struct vub_req *req, void *buf,
			 uint64_t len)
{
	uint8_t *p = buf;

	if (req->rlen < len)
		return -EINVAL;
	while (len) {
		struct vub_seg *s = &req->seg[0];
		uint64_t n = s->len < len ? s->len : len;
		int ret = vmm_mem_read_exact(dev->mem, s->gpa, p, n);

		if (ret < 0)
			return ret;
		p += n;
		len -= n;
		req->rlen -= n;
		s->gpa += n;
		s->len -= n;
		if (!s->len) {
			memmove(&req->seg[0], &req->seg[1],
				(req->nr + req->nw - 1) * sizeof(req->seg[0]));
			req->nr--;
		}
	}
	return 0;
}

/*
 * Move the data of a read (@to_guest) or write request between the image
 * at byte @off and @n segments.  One segment goes through libvmmem's
 * positioned fd transfer; several are mapped with vmm_mem_map() (which
 * validates every segment before a byte moves) and moved with one
 * preadv/pwritev, and the mappings are released with the byte counts the
 * guest's buffers received, which logs them dirty.
 */
static int transfer(struct vub_dev *dev, const struct vub_seg *seg,
		    unsigned int n, uint64_t off, bool to_guest)
{
	vmm_mem_mapping_t *map[VUB_MAX_SEGS];
	static struct iovec iov[VUB_MAX_SEGS * 2];
	unsigned int i, m = 0, niov = 0;
	uint64_t total = 0, done = 0, left;
	int ret = 0;

	if (vub_verbose)
		for (i = 0; i < n; i++) {
			struct vmm_mem_region_info ri;

			if (vmm_mem_region_info_at(dev->mem, seg[i].gpa, &ri, sizeof(ri)) == 0 &&
			    seg[i].len > ri.size - (seg[i].gpa - ri.gpa))
				dev->n_span++;
		}
	if (n == 1)
		return to_guest ?
			vmm_mem_pread_exact_from_fd(dev->mem, seg->gpa, dev->img_fd,
						    seg->len, off, NULL) :
			vmm_mem_pwrite_all_to_fd(dev->mem, seg->gpa, dev->img_fd,
						 seg->len, off, NULL);
	for (m = 0; m < n; m++) {
		ssize_t k;

		ret = vmm_mem_map(dev->mem, seg[m].gpa, seg[m].len,
				  to_guest ? VMM_MEM_MAP_WRITE : VMM_MEM_MAP_READ,
				  &map[m]);
		if (ret < 0)
			goto out;
		k = vmm_mem_mapping_iov(map[m], iov + niov,
					sizeof(iov) / sizeof(iov[0]) - niov);
		if (k < 0 || (size_t)k > sizeof(iov) / sizeof(iov[0]) - niov) {
			m++;
			ret = -E2BIG;
			goto out;
		}
		niov += k;
		total += seg[m].len;
	}
	/* Move everything, resuming after short transfers and EINTR. */
	for (i = 0; i < niov && done < total;) {
		ssize_t k = to_guest ? preadv(dev->img_fd, iov + i, niov - i, off + done)
				     : pwritev(dev->img_fd, iov + i, niov - i, off + done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			ret = -errno;
			break;
		}
		if (k == 0) {
			ret = -ENODATA;
			break;
		}
		done += k;
		while (i < niov && (size_t)k >= iov[i].iov_len)
			k -= iov[i++].iov_len;
		if (i < niov) {
			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
		}
	}
out:
	/* Each mapping is released with the bytes that reached it. */
	left = done;
	for (i = 0; i < m; i++) {
		uint64_t w = to_guest ? (left < seg[i].len ? left : seg[i].len) : 0;

		vmm_mem_unmap(map[i], w);
		left -= w;
	}
	return ret;
}

/* Serve one request; returns the used length (bytes written to the
 * guest's buffers). */
static uint32_t serve(struct vub_dev *dev, struct vub_req *req, int walked)
{
	struct {
		uint32_t type, ioprio;
		uint64_t sector;
	} hdr;
	uint8_t status = VIRTIO_BLK_S_IOERR;
	uint64_t status_gpa, len = 0, sector;
	struct vub_seg *w;
	uint32_t used = 0;

	/* The status is the last byte of the last descriptor; without a
	 * writable one, nothing can be reported and nothing is done. */
	if (!req->status_ok)
		return 0;
	w = &req->seg[req->nr + req->nw - 1];
	status_gpa = w->gpa + w->len - 1;
	if (!--w->len)
		req->nw--;
	req->wlen--;
	if (walked < 0 || req->bad || take_readable(dev, req, &hdr, sizeof(hdr)) < 0)
		goto done;
	sector = le64toh(hdr.sector);
	switch (le32toh(hdr.type)) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		bool in = le32toh(hdr.type) == VIRTIO_BLK_T_IN;

		/* Data of a read must be writable, data of a write readable:
		 * anything else is a buffer the device may not use. */
		len = in ? req->wlen : req->rlen;
		if ((in ? req->rlen : req->wlen) || len % SECTOR ||
		    sector > dev->capacity || len / SECTOR > dev->capacity - sector)
			goto done;
		if (!in && dev->opts->read_only)
			goto done;
		if (len && transfer(dev, in ? req->seg + req->nr : req->seg,
				    in ? req->nw : req->nr, sector * SECTOR, in) < 0)
			goto done;
		if (in)
			used = len;
		status = VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_FLUSH:
		if (fdatasync(dev->img_fd) == 0)
			status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		char id[VIRTIO_BLK_ID_BYTES] = { 0 };
		uint64_t n = req->wlen < sizeof(id) ? req->wlen : sizeof(id), off = 0;
		unsigned int i;

		memcpy(id, dev->opts->serial, strnlen(dev->opts->serial, sizeof(id)));
		for (i = req->nr; i < req->nr + req->nw && off < n; i++) {
			uint64_t k = req->seg[i].len < n - off ? req->seg[i].len : n - off;

			if (vmm_mem_write_exact(dev->mem, req->seg[i].gpa, id + off, k) < 0)
				goto done;
			off += k;
		}
		used = n;
		status = VIRTIO_BLK_S_OK;
		break;
	}
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	dev->n_req++;
	if (status != VIRTIO_BLK_S_OK)
		dev->n_failed++;
	if (vmm_mem_write_exact(dev->mem, status_gpa, &status, 1) < 0)
		return used;
	if (status != VIRTIO_BLK_S_OK)
		vub_log(2, "request failed with status %u", status);
	return used + 1;
}

/* Put element (@id, @len) on the used ring and publish it. */
static int push_used(struct vub_dev *dev, struct vub_vq *vq, uint16_t id,
		     uint32_t len)
{
	struct {
		uint32_t id, len;
	} e = { htole32(id), htole32(len) };
	uint64_t at = vq->used + 4 + 8 * (uint64_t)(vq->used_idx % vq->num);
	int ret = vmm_mem_write_exact(dev->mem, at, &e, sizeof(e));

	if (ret < 0)
		return ret;
	vq->used_idx++;
	return vmm_mem_store_le(dev->mem, vq->used + 2, 2, vq->used_idx,
				VMM_MEM_ORDER_RELEASE);
}

/* Call the driver if it asked to be called (EVENT_IDX: used_event passed;
 * otherwise: the avail ring's NO_INTERRUPT flag clear). */
static void notify(struct vub_dev *dev, struct vub_vq *vq, uint16_t old)
{
	uint64_t v;
	bool call;

	if (VUB_HAS(dev->features, VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t ev, now = vq->used_idx;

		if (vmm_mem_load_le(dev->mem, vq->avail + 4 + 2 * (uint64_t)vq->num,
				    2, &v, VMM_MEM_ORDER_SEQ_CST) < 0)
			return;
		ev = (uint16_t)v;
		if (vq->signalled_valid)
			old = vq->signalled_used;
		/* vring_need_event(): did used_event pass between old and now? */
		call = (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
		vq->signalled_used = now;
		vq->signalled_valid = true;
	} else {
		if (vmm_mem_load_le(dev->mem, vq->avail, 2, &v, VMM_MEM_ORDER_SEQ_CST) < 0)
			return;
		call = !(v & VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (call && vq->call >= 0) {
		uint64_t one = 1;

		if (write(vq->call, &one, sizeof(one)) < 0)
			vub_log(1, "call eventfd: %s", strerror(errno));
	}
}

void vub_vq_process(struct vub_dev *dev, struct vub_vq *vq)
{
	static struct vub_req req;
	uint16_t start = vq->used_idx;
	bool event_idx = VUB_HAS(dev->features, VIRTIO_RING_F_EVENT_IDX);
	uint64_t v;

	if (!vq->enabled || vq->broken || vq_map(dev, vq) < 0)
		return;
	start = vq->used_idx;
	for (;;) {
		uint16_t avail_idx;

		if (vmm_mem_load_le(dev->mem, vq->avail + 2, 2, &v,
				    VMM_MEM_ORDER_ACQUIRE) < 0)
			goto broken;
		avail_idx = (uint16_t)v;
		if ((uint16_t)(avail_idx - vq->last_avail) > vq->num)
			goto broken;
		if (avail_idx == vq->last_avail) {
			if (!event_idx)
				break;
			/* Ask for a kick at the next entry, then look again:
			 * the sequentially consistent store and load close
			 * the window in which the driver added one without
			 * kicking. */
			if (vmm_mem_store_le(dev->mem, vq->used + 4 + 8 * (uint64_t)vq->num,
					     2, vq->last_avail, VMM_MEM_ORDER_SEQ_CST) < 0 ||
			    vmm_mem_load_le(dev->mem, vq->avail + 2, 2, &v,
					    VMM_MEM_ORDER_SEQ_CST) < 0)
				goto broken;
			if ((uint16_t)v == vq->last_avail)
				break;
			continue;
		}
		while (vq->last_avail != avail_idx) {
			uint16_t head;
			uint32_t used = 0;
			unsigned int i;
			int walked;

			if (vmm_mem_load_le(dev->mem, vq->avail + 4 +
					    2 * (uint64_t)(vq->last_avail % vq->num),
					    2, &v, VMM_MEM_ORDER_RELAXED) < 0)
				goto broken;
			head = (uint16_t)v;
			vq->last_avail++;
			/* A head out of range is returned unused. */
			if (head < vq->num) {
				walked = walk_chain(dev, vq, head, &req);
				for (i = req.nr; i < req.nr + req.nw; i++)
					journal_write(dev, req.seg[i].gpa, req.seg[i].len);
				if (walked < 0)
					vub_log(1, "bad descriptor chain at head %u: %s",
						head, strerror(-walked));
				used = serve(dev, &req, walked);
			}
			if (push_used(dev, vq, head, used) < 0)
				goto broken;
		}
	}
	if (vq->used_idx != start)
		notify(dev, vq, start);
	return;
broken:
	vub_err("queue %d: ring indices or ring memory corrupt; queue stopped",
		(int)(vq - dev->vq));
	vq->broken = true;
}
