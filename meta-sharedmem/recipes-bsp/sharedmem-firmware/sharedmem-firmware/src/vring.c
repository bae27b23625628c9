// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device side of a legacy virtio split ring (vring.h). Barriers (virtio
 * 1.x 2.7.13, Linux's virtio_ring.c on the other side): avail.idx is read,
 * DMB, then the entries and descriptors it publishes; buffers and used
 * entries are written, DMB, then used.idx; used.idx is written, DMB, then
 * avail.flags is read to decide on an interrupt (Linux clears
 * NO_INTERRUPT, then looks at used.idx: one of the two sides sees the other).
 */
#include "vring.h"
#include "port.h"
#include "rsc_table.h"

static int fail(struct vring_error *e, const struct vring_dev *v, __u32 error, __u32 value)
{
	e->error = error;
	e->value = value;
	e->vring = v->number;
	return -1;
}

void vring_attach(struct vring_dev *v, unsigned char *base, unsigned char *window, __u32 num,
		  __u32 align, __u32 number)
{
	__u32 avail_end = 16 * num + 4 + 2 * num + 2;	/* desc[num], avail incl. used_event */

	v->desc = base;
	v->avail = base + 16 * num;
	v->used = base + ((avail_end + align - 1) & ~(align - 1));
	v->window = window;
	v->num = num;
	v->number = number;
	v->last_avail = 0;
	v->avail_idx = 0;
	v->used_idx = 0;
	v->published = 0;
	/* flags 0 (notify CPU1 on every add), idx 0: Linux zeroed it too. */
	wr32(v->used, 0);
}

int vring_refresh(struct vring_dev *v, struct vring_error *e)
{
	__u32 idx = rd32(v->avail) >> 16;	/* flags | idx << 16: one read */

	if (((idx - v->last_avail) & 0xFFFF) > v->num)
		return fail(e, v, SHMEM_RPMSG_ERR_AVAIL_IDX, idx);
	v->avail_idx = idx;
	/* The entries idx publishes are read after it (pairs with Linux's write barrier). */
	port_dmb();
	return 0;
}

__u32 vring_pending(const struct vring_dev *v)
{
	return (v->avail_idx - v->last_avail) & 0xFFFF;
}

int vring_take(struct vring_dev *v, __u32 flags, struct vring_buf *b, struct vring_error *e)
{
	__u32 head = rd16(v->avail + 4 + 2 * (v->last_avail & (v->num - 1)));
	const unsigned char *d;
	__u32 addr, addr_hi, len, got;

	if (head >= v->num)
		return fail(e, v, SHMEM_RPMSG_ERR_HEAD, head);
	/* The descriptor, each word read once; only these copies are checked and used. */
	d = v->desc + 16 * head;
	addr = rd32(d);
	addr_hi = rd32(d + 4);
	len = rd32(d + 8);
	got = rd32(d + 12) & 0xFFFF;	/* flags; next is not used: no chains */
	if (got != flags)
		return fail(e, v, SHMEM_RPMSG_ERR_DESC_FLAGS, got);
	if (len < VRING_BUF_MIN || len > VRING_BUF_MAX)
		return fail(e, v, SHMEM_RPMSG_ERR_DESC_LEN, len);
	if (addr_hi)
		return fail(e, v, SHMEM_RPMSG_ERR_DESC_ADDR, addr_hi);
	/* Inside the pool without an overflowing addr + len; word-aligned (Linux's are 512-byte slots). */
	if (addr % 4 || addr < RPMSG_BUF_DA || addr - RPMSG_BUF_DA > RPMSG_BUF_POOL_SIZE - len)
		return fail(e, v, SHMEM_RPMSG_ERR_DESC_ADDR, addr);
	b->head = head;
	b->len = len;
	b->data = v->window + (addr - RPMSG_WINDOW_DA);
	v->last_avail = (v->last_avail + 1) & 0xFFFF;
	return 0;
}

void vring_put(struct vring_dev *v, __u32 head, __u32 len)
{
	unsigned char *entry = v->used + 4 + 8 * (v->used_idx & (v->num - 1));

	wr32(entry, head);
	wr32(entry + 4, len);
	v->used_idx = (v->used_idx + 1) & 0xFFFF;
}

int vring_publish(struct vring_dev *v)
{
	if (v->used_idx == v->published)
		return 0;
	/* Buffers and used entries before the index that publishes them. */
	port_dmb();
	wr32(v->used, v->used_idx << 16);	/* flags 0 | idx << 16 */
	v->published = v->used_idx;
	return 1;
}

int vring_wants_interrupt(struct vring_dev *v)
{
	/* used.idx is written before avail.flags is read (a store, then a load). */
	port_dmb();
	return !(rd32(v->avail) & VRING_AVAIL_F_NO_INTERRUPT);
}

void vring_copy(unsigned char *dst, const unsigned char *src, __u32 len)
{
	__u32 i, w, k;

	for (i = 0; i + 4 <= len; i += 4)
		wr32(dst + i, rd32(src + i));
	if (i == len)
		return;
	/*
	 * The last word starts inside the source buffer and, src being 4-aligned
	 * and the pool's end too, ends inside the pool; only its first bytes are
	 * written, so dst + len is never passed.
	 */
	w = rd32(src + i);
	for (k = 0; i + k < len; k++)
		((volatile unsigned char *)dst)[i + k] = (unsigned char)(w >> (8 * k));
}
