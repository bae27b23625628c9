/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device side of a virtio split ring, legacy layout (virtio 1.x
 * section 2.7, "legacy interfaces"; Linux's vring_init()): num 16-byte
 * descriptors at the ring's start, the available ring right after them
 * (flags, idx, ring[num], used_event: 16-bit each), the used ring at the
 * next `align` boundary (flags, idx: 16-bit; ring[num] of {u32 id, u32 len};
 * avail_event). Little-endian. Linux owns the descriptors and the available
 * ring; CPU1 owns the used ring. Portable: CPU1 and the host harness build it.
 *
 * Everything Linux wrote is read once into private memory and validated
 * there (avail.idx once per pass, each head and descriptor once per use)
 * before it is used as an index or an address; a bad value is reported as
 * a struct vring_error and never reaches memory.
 */
#ifndef SHAREDMEM_FW_VRING_H
#define SHAREDMEM_FW_VRING_H

#include "sharedmem_channel.h"

#define VRING_DESC_F_NEXT		1U
#define VRING_DESC_F_WRITE		2U
#define VRING_DESC_F_INDIRECT		4U
#define VRING_AVAIL_F_NO_INTERRUPT	1U

#define VRING_BUF_MIN	16U	/* an rpmsg header */
#define VRING_BUF_MAX	512U	/* Linux's rpmsg buffers */

/* Why a vring cannot be used: SHMEM_RPMSG_ERR_*, the value, the vring. */
struct vring_error {
	__u32 error;
	__u32 value;
	__u32 vring;
};

struct vring_dev {
	unsigned char *desc;	/* Linux's: read with rd32() only */
	unsigned char *avail;	/* Linux's: read with rd16()/rd32() only */
	unsigned char *used;	/* CPU1's: written only */
	unsigned char *window;	/* CPU1's view of RPMSG_WINDOW_DA (buffer addresses) */
	__u32 num;		/* descriptors: a power of two */
	__u32 number;		/* 0 or 1: which vring (errors, log) */
	__u32 last_avail;	/* next avail.ring entry to take (16-bit, free-running) */
	__u32 avail_idx;	/* avail.idx as last read and validated */
	__u32 used_idx;		/* private copy of used.idx */
	__u32 published;	/* the used.idx last written */
};

/* A buffer taken from the available ring: validated, inside the pool. */
struct vring_buf {
	__u32 head;		/* descriptor index, < num */
	__u32 len;		/* VRING_BUF_MIN..VRING_BUF_MAX */
	unsigned char *data;	/* CPU1's pointer to it */
};

/* Lay the ring out at `base` (its device address is aligned to `align`); used ring zeroed. */
void vring_attach(struct vring_dev *v, unsigned char *base, unsigned char *window, __u32 num,
		  __u32 align, __u32 number);
/*
 * Read avail.idx once; it must be at most num ahead of the entries taken.
 * Returns 0 (and the entries it publishes are readable) or -1 with *e set.
 */
int vring_refresh(struct vring_dev *v, struct vring_error *e);
/* Entries published by the last vring_refresh() and not yet taken. */
__u32 vring_pending(const struct vring_dev *v);
/*
 * Take the next published entry: its head (< num) and descriptor, read once,
 * whose flags must be exactly `flags` (0 or VRING_DESC_F_WRITE) and whose
 * buffer must lie inside the pool. 0, or -1 with *e set (nothing taken).
 */
int vring_take(struct vring_dev *v, __u32 flags, struct vring_buf *b, struct vring_error *e);
/* Return a buffer in the used ring (not yet visible to Linux). */
void vring_put(struct vring_dev *v, __u32 head, __u32 len);
/* DMB, then used.idx: the entries put become visible. 1 if there were any. */
int vring_publish(struct vring_dev *v);
/* After a publish: does Linux want an interrupt (avail.flags, read after a DMB)? */
int vring_wants_interrupt(struct vring_dev *v);

/* Copy len bytes between 4-aligned buffers of the pool; never writes past dst + len. */
void vring_copy(unsigned char *dst, const unsigned char *src, __u32 len);

#endif /* SHAREDMEM_FW_VRING_H */
