// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: shadow vrings between remoteproc's virtio device and CPU1.
 *
 * virtio_ring trusts the device: it reads the used ring's index, ids and
 * lengths, and even the descriptor table's flags (detach_buf_split() follows
 * VRING_DESC_F_NEXT as read back from the ring), from the ring memory
 * itself. Handed CPU1's memory, a payload that scribbles over a ring could
 * make Linux loop forever or pass rpmsg a length it underflows
 * (rpmsg_recv_single() computes len - sizeof(hdr) unsigned).
 *
 * So virtio_ring never sees CPU1's memory. Each vring exists twice:
 *   private  Linux's pages: remoteproc's carveout for the vring (its va), the
 *            ring virtio_ring and virtio_rpmsg_bus work on;
 *   shared   the device tree's no-map region at the address the resource
 *            table gives CPU1, mapped write-combined: CPU1's ring.
 * Driver to device (the kick): the descriptors of newly available heads and
 * the available ring are copied from private to shared, then CPU1 is rung.
 * Device to driver (CPU1's doorbell): the shared used ring is read once per
 * element, each copy validated (the index moves by at most the heads that are
 * out, every id is such a head, every length fits that head's buffer, and a
 * caller's check of the message), then written into the private used ring.
 * A violation leaves the private ring as it was and is reported: the caller
 * declares CPU1 crashed. Nothing CPU1 writes reaches virtio unvalidated.
 *
 * Locking: @lock serialises the two directions of one vring (the kick runs in
 * the sender's context, the collection in the doorbell thread). The
 * virtqueue's own users serialise their virtio_ring calls.
 */

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "sharedmem-vring.h"

static void sharedmem_vring_free_pages(void *data)
{
	struct sharedmem_vring *vr = data;

	free_pages_exact(vr->private, vr->size);
}

/**
 * sharedmem_vring_init() - the two copies of one vring
 * @dev: the platform device (devm owner)
 * @vr: the vring
 * @res: its device-tree region (CPU1's copy)
 *
 * Return: 0 or a negative errno.
 */
int sharedmem_vring_init(struct device *dev, struct sharedmem_vring *vr, const struct resource *res)
{
	vr->dev = dev;
	vr->phys = res->start;
	vr->size = resource_size(res);
	spin_lock_init(&vr->lock);
	vr->shared = devm_memremap(dev, res->start, vr->size, MEMREMAP_WC);
	if (IS_ERR(vr->shared))
		return PTR_ERR(vr->shared);
	vr->private = alloc_pages_exact(vr->size, GFP_KERNEL | __GFP_ZERO);
	if (!vr->private)
		return -ENOMEM;
	return devm_add_action_or_reset(dev, sharedmem_vring_free_pages, vr);
}

/*
 * Detach from any virtqueue and clear CPU1's copy (before CPU1 starts, and
 * when a new virtqueue takes the ring). Called with @vr->lock held.
 */
static void sharedmem_vring_clear(struct sharedmem_vring *vr)
{
	vr->vq = NULL;
	vr->num = 0;
	vr->broken = false;
	memset(vr->shared, 0, vr->size);
	/* The clearing lands before the doorbell that follows it. */
	wmb();
}

/* Before CPU1 starts: no ring is in use, CPU1's copy is zero. */
void sharedmem_vring_reset(struct sharedmem_vring *vr)
{
	spin_lock(&vr->lock);
	sharedmem_vring_clear(vr);
	spin_unlock(&vr->lock);
}

/* A new virtqueue on this ring (remoteproc zeroed the private copy). */
static void sharedmem_vring_attach(struct sharedmem_vring *vr, struct virtqueue *vq,
				   unsigned int num, unsigned int align)
{
	sharedmem_vring_clear(vr);
	vr->vq = vq;
	vr->num = num;
	vring_init(&vr->priv, num, vr->private, align);
	vring_init(&vr->cpu1, num, vr->shared, align);
	vr->avail_seen = 0;
	vr->used_seen = 0;
	bitmap_zero(vr->outstanding, SHAREDMEM_VRING_MAX_NUM);
}

/* Copy the descriptor chain of @head to CPU1; its total length. */
static u32 sharedmem_vring_copy_chain(struct sharedmem_vring *vr, u16 head)
{
	struct virtio_device *vdev = vr->vq->vdev;
	unsigned int i = head, steps;
	u32 len = 0;

	for (steps = 0; steps < vr->num; steps++) {
		struct vring_desc desc = vr->priv.desc[i];

		vr->cpu1.desc[i] = desc;
		len += virtio32_to_cpu(vdev, desc.len);
		if (!(desc.flags & cpu_to_virtio16(vdev, VRING_DESC_F_NEXT)))
			break;
		i = virtio16_to_cpu(vdev, desc.next);
		if (i >= vr->num)
			break;
	}
	return len;
}

/**
 * sharedmem_vring_publish() - hand CPU1 what virtio made available (kick)
 * @vr: the vring
 * @vq: the virtqueue that kicked
 * @num: its size (remoteproc's, validated against the region at parse)
 * @align: its used-ring alignment
 *
 * The caller rings CPU1 afterwards.
 */
void sharedmem_vring_publish(struct sharedmem_vring *vr, struct virtqueue *vq, unsigned int num,
			     unsigned int align)
{
	struct virtio_device *vdev = vq->vdev;
	u16 avail;

	spin_lock(&vr->lock);
	if (vr->vq != vq)
		sharedmem_vring_attach(vr, vq, num, align);
	/* Linux's own ring: virtio_ring wrote it before it kicked. */
	avail = virtio16_to_cpu(vdev, READ_ONCE(vr->priv.avail->idx));
	for (; vr->avail_seen != avail; vr->avail_seen++) {
		unsigned int slot = vr->avail_seen & (num - 1);
		u16 head = virtio16_to_cpu(vdev, vr->priv.avail->ring[slot]);

		if (head >= num)	/* not virtio_ring's: never */
			break;
		vr->head_len[head] = sharedmem_vring_copy_chain(vr, head);
		set_bit(head, vr->outstanding);
		vr->cpu1.avail->ring[slot] = vr->priv.avail->ring[slot];
	}
	/*
	 * Never VRING_AVAIL_F_NO_INTERRUPT: virtio re-enables a callback in
	 * Linux's copy without kicking (a sender waiting for buffers), and
	 * CPU1 would not learn it. CPU1 rings once per batch instead.
	 */
	WRITE_ONCE(vr->cpu1.avail->flags, 0);
	/* Descriptors and ring entries before the index that publishes them. */
	wmb();
	WRITE_ONCE(vr->cpu1.avail->idx, cpu_to_virtio16(vdev, vr->avail_seen));
	spin_unlock(&vr->lock);
}

/**
 * sharedmem_vring_collect() - take what CPU1 used, validated (its doorbell)
 * @vr: the vring
 * @vq: the virtqueue now on the ring (remoteproc's; NULL: none)
 * @check: optional check of each used buffer: its address (Linux's
 *         descriptor) and the length CPU1 gave; 0 or a negative errno
 * @ctx: for @check
 *
 * Return: the number of used elements handed to virtio (0 when none, or when
 * @vq has not kicked yet), or -EPROTO when CPU1 broke the ring (logged; the
 * ring stays broken until the next reset).
 */
int sharedmem_vring_collect(struct sharedmem_vring *vr, struct virtqueue *vq,
			    int (*check)(void *ctx, u64 addr, u32 len), void *ctx)
{
	struct virtio_device *vdev;
	u16 used, count, taken = 0;
	int ret = 0;

	spin_lock(&vr->lock);
	if (!vq || vr->vq != vq || vr->broken)
		goto out;
	vdev = vq->vdev;
	used = virtio16_to_cpu(vdev, READ_ONCE(vr->cpu1.used->idx));
	count = used - vr->used_seen;
	if (count > bitmap_weight(vr->outstanding, vr->num)) {
		dev_err(vr->dev, "CPU1 moved vring %s's used index from %u to %u, with %u buffers out\n",
			vq->name, vr->used_seen, used, bitmap_weight(vr->outstanding, vr->num));
		ret = -EPROTO;
		goto out;
	}
	/* The index before the elements it publishes. */
	rmb();
	for (; taken < count; taken++) {
		unsigned int slot = (vr->used_seen + taken) & (vr->num - 1);
		struct vring_used_elem elem = {
			.id = READ_ONCE(vr->cpu1.used->ring[slot].id),
			.len = READ_ONCE(vr->cpu1.used->ring[slot].len),
		};
		u32 id = virtio32_to_cpu(vdev, elem.id);
		u32 len = virtio32_to_cpu(vdev, elem.len);

		if (id >= vr->num || !test_bit(id, vr->outstanding)) {
			dev_err(vr->dev, "CPU1 returned buffer %u on vring %s, which is not out\n",
				id, vq->name);
			ret = -EPROTO;
			break;
		}
		if (len > vr->head_len[id]) {
			dev_err(vr->dev, "CPU1 returned %u bytes in buffer %u of vring %s, which holds %u\n",
				len, id, vq->name, vr->head_len[id]);
			ret = -EPROTO;
			break;
		}
		if (check) {
			ret = check(ctx, virtio64_to_cpu(vdev, vr->priv.desc[id].addr), len);
			if (ret)
				break;
		}
		clear_bit(id, vr->outstanding);
		/* Exactly the validated values, never a second read of CPU1's. */
		vr->priv.used->ring[slot].id = cpu_to_virtio32(vdev, id);
		vr->priv.used->ring[slot].len = cpu_to_virtio32(vdev, len);
	}
	/*
	 * What passed so far is virtio's (it is consistent); what failed is
	 * not, and the ring is handed no more.
	 */
	vr->used_seen += taken;
	virtio_wmb(false);
	WRITE_ONCE(vr->priv.used->idx, cpu_to_virtio16(vdev, vr->used_seen));
out:
	if (ret)
		vr->broken = true;
	spin_unlock(&vr->lock);
	return ret ?: taken;
}
