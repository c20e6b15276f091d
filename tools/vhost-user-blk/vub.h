/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vub.h - the vhost-user-blk back end vmmem-vhost-user-blk(1): shared state
 * of main.c (options, socket, event loop), vu.c (the vhost-user protocol)
 * and vq.c (split virtqueues and block requests).
 *
 * Every access to guest memory goes through libvmmem: the back end holds
 * one vmm_mem_t per connection, built from the front end's memory table,
 * and never keeps a host pointer into guest memory.  The process is single
 * threaded: one poll(2) loop serves the socket and the kick eventfds, and a
 * request is complete (data, status, used ring, dirty log, call) before the
 * next message is read.
 */
#ifndef VUB_H
#define VUB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <vmmem.h>

#define VUB_MAX_QUEUES 8
/* The largest queue the back end accepts (the virtio split-ring limit). */
#define VUB_MAX_QUEUE_SIZE 32768
/* Guest memory slots offered with CONFIGURE_MEM_SLOTS (QEMU's maximum). */
#define VUB_MAX_MEM_SLOTS 509
/* Segments (descriptors with data) in one request; longer chains fail. */
#define VUB_MAX_SEGS 1024
/* seg_max in the device configuration. */
#define VUB_SEG_MAX 126

/* Command-line options. */
struct vub_opts {
	const char *socket_path;
	const char *image_path;
	const char *serial;
	unsigned int num_queues;
	bool read_only;
	bool no_mem_slots;	/* do not offer CONFIGURE_MEM_SLOTS */
	bool once;		/* exit when the first connection ends */
	bool skip_dirty_log;	/* fault injection: never attach the log */
	const char *write_journal;	/* testing: --write-journal FILE */
	int verbose;
};

/* One split virtqueue. */
struct vub_vq {
	/* as the front end set them */
	uint32_t num;
	uint32_t addr_flags;
	uint64_t desc_vua, avail_vua, used_vua, log_gpa;
	bool addr_set;
	/* translated when the ring starts or the memory table changes */
	bool mapped;
	uint64_t desc, avail, used;	/* GPAs */
	/* state */
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled_used;
	bool signalled_valid;
	bool enabled;
	bool broken;		/* index corruption: ignored until restarted */
	int kick, call, err;
};

/* One vhost-user connection and the device behind it. */
struct vub_dev {
	const struct vub_opts *opts;
	int img_fd;
	uint64_t capacity;	/* in 512-byte sectors */

	int conn;		/* connected socket, or -1 */
	uint64_t features;	/* acked virtio features */
	uint64_t protocol_features;
	bool owner;
	vmm_mem_t *mem;		/* guest memory, or NULL before a table */
	unsigned int nregions;
	/* the front end's shared dirty log (SET_LOG_BASE) */
	int log_fd;
	uint64_t log_size, log_offset;
	bool log_attached;
	uint8_t config_wce;
	/* counted for -v: requests, failed ones, data segments that span
	 * two memory regions */
	uint64_t n_req, n_failed, n_span;
	/* --write-journal: every guest range the device may write, or NULL */
	FILE *journal;
	struct vub_vq vq[VUB_MAX_QUEUES];
};

/* main.c */
void vub_log(int verbose_level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vub_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int vub_verbose;

/* vu.c */
void vub_dev_init(struct vub_dev *dev, const struct vub_opts *opts, int img_fd,
		  uint64_t capacity);
void vub_dev_reset(struct vub_dev *dev);
/* Read and handle one message from dev->conn: 0, or a negative errno when
 * the connection must be closed (end of file or a malformed message). */
int vub_handle_message(struct vub_dev *dev);
uint64_t vub_device_features(const struct vub_dev *dev);

/* vq.c */
void vub_vq_init(struct vub_vq *vq);
void vub_vq_stop(struct vub_vq *vq);
/* Forget ring translations (the memory table changed). */
void vub_vq_unmap(struct vub_vq *vq);
/* Serve everything available on queue @vq. */
void vub_vq_process(struct vub_dev *dev, struct vub_vq *vq);
/* --write-journal: note a memory region (GPA, size, offset in @fd), so
 * that the reader can tell which file a journalled GPA is in. */
void vub_journal_region(struct vub_dev *dev, uint64_t gpa, uint64_t size,
			uint64_t fd_offset, int fd);

/* virtio feature bits */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VHOST_F_LOG_ALL 26
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VIRTIO_F_VERSION_1 32

#define VUB_HAS(features, bit) (((features) >> (bit)) & 1)

#endif
