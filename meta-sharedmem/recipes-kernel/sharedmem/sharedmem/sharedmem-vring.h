/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sharedmem: shadow vrings between remoteproc's virtio device and CPU1
 * (sharedmem-vring.c).
 */
#ifndef _SHAREDMEM_VRING_H
#define _SHAREDMEM_VRING_H

#include <linux/ioport.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <uapi/linux/virtio_ring.h>

/* The largest ring the resource table may ask for (a power of two). */
#define SHAREDMEM_VRING_MAX_NUM	1024

struct device;
struct virtqueue;

/**
 * struct sharedmem_vring - one vring, Linux's copy and CPU1's
 * @dev: for messages
 * @phys: CPU1's copy: the device tree region
 * @size: its size, and the private copy's
 * @shared: CPU1's copy, write-combined
 * @private: Linux's copy (remoteproc's carveout va)
 * @lock: see sharedmem-vring.c
 * @vq: the virtqueue the ring was last attached to (under @lock)
 * @num: its size (under @lock)
 * @priv: the layout of @private (under @lock)
 * @cpu1: the layout of @shared (under @lock)
 * @avail_seen: available index already given to CPU1 (under @lock)
 * @used_seen: used index already taken from CPU1 (under @lock)
 * @broken: CPU1 broke the ring; nothing more is taken (under @lock)
 * @outstanding: heads given to CPU1 and not yet returned (under @lock)
 * @head_len: their lengths (under @lock)
 */
struct sharedmem_vring {
	struct device *dev;
	phys_addr_t phys;
	size_t size;
	void *shared;
	void *private;
	spinlock_t lock;	/* see above */
	struct virtqueue *vq;
	unsigned int num;
	struct vring priv;
	struct vring cpu1;
	u16 avail_seen;
	u16 used_seen;
	bool broken;
	DECLARE_BITMAP(outstanding, SHAREDMEM_VRING_MAX_NUM);
	u32 head_len[SHAREDMEM_VRING_MAX_NUM];
};

int sharedmem_vring_init(struct device *dev, struct sharedmem_vring *vr,
			 const struct resource *res);
void sharedmem_vring_reset(struct sharedmem_vring *vr);
void sharedmem_vring_publish(struct sharedmem_vring *vr, struct virtqueue *vq, unsigned int num,
			     unsigned int align);
int sharedmem_vring_collect(struct sharedmem_vring *vr, struct virtqueue *vq,
			    int (*check)(void *ctx, u64 addr, u32 len), void *ctx);

#endif /* _SHAREDMEM_VRING_H */
