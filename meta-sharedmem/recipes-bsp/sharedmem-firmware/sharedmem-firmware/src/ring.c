// SPDX-License-Identifier: GPL-2.0-only
/*
 * Single-producer, single-consumer rings (see sharedmem_channel.h).
 *
 * Every value the other side wrote (its index, a record's length, a PAD's
 * length, reserved fields) is checked before it is used as an offset, so a
 * corrupt or hostile value is reported and never turns into an access
 * outside the ring. Each such value is read once (rd32()) into private
 * memory and only that copy is checked and used. Accesses to shared memory
 * are aligned 32-bit words.
 */
#include "ring.h"
#include "port.h"

void ring_copy_words(unsigned char *dst, const unsigned char *src, __u32 len)
{
	__u32 i;

	for (i = 0; i < len; i += 4)
		wr32(dst + i, rd32(src + i));
}

void ring_attach(struct ring *r, volatile struct shmem_chan_ctrl *ctrl, unsigned char *base,
		 __u32 number, const struct shmem_chan_ring_desc *desc, int producer)
{
	r->head = &ctrl->idx[number].head.value;
	r->tail = &ctrl->idx[number].tail.value;
	/* The validated private copy of the config line, never the line itself. */
	r->data = base + desc->offset;
	r->size = desc->size;
	r->number = number;
	r->own = 0;
	r->pads = 0;
	if (producer)
		*r->head = 0;
	else
		*r->tail = 0;
}

static int fault_at(struct ring_fault *fault, const struct ring *r, __u32 error, __u32 value)
{
	fault->error = error;
	fault->value = value;
	fault->ring = r->number;
	return RING_FAULT;
}

int ring_peek(struct ring *r, struct shmem_chan_msg *msg, unsigned char **payload,
	      struct ring_fault *fault)
{
	for (;;) {
		__u32 head = SH_RD(*r->head);	/* the producer's: validate the copy */
		__u32 used = head - r->own;
		__u32 pos, to_end, record, i;
		__u32 *words = (__u32 *)(void *)msg;

		if (used > r->size || head % SHMEM_CHAN_MSG_ALIGN)
			return fault_at(fault, r, SHMEM_CHAN_ERR_HEAD, head);
		if (used == 0)
			return RING_EMPTY;
		/* The record's bytes are read only after head (pairs with the producer's DMB). */
		port_dmb();
		pos = r->own & (r->size - 1);
		to_end = r->size - pos;
		for (i = 0; i < MSG_HDR_SIZE / 4; i++)
			words[i] = rd32(r->data + pos + 4 * i);
		if (msg->len > SHMEM_CHAN_MSG_MAX(r->size))
			return fault_at(fault, r, SHMEM_CHAN_ERR_MSG_LEN, msg->len);
		record = SHMEM_CHAN_MSG_RECORD(msg->len);
		if (msg->type == SHMEM_MSG_PAD) {
			if (msg->len != to_end - MSG_HDR_SIZE || record > used)
				return fault_at(fault, r, SHMEM_CHAN_ERR_MSG_PAD, msg->len);
			ring_consume(r, msg);
			continue;
		}
		if (record > used || record > to_end)
			return fault_at(fault, r, SHMEM_CHAN_ERR_MSG_LEN, msg->len);
		if (msg->reserved[0] | msg->reserved[1] | msg->reserved[2])
			return fault_at(fault, r, SHMEM_CHAN_ERR_MSG_RESERVED,
					msg->reserved[0] | msg->reserved[1] | msg->reserved[2]);
		*payload = r->data + pos + MSG_HDR_SIZE;
		return RING_OK;
	}
}

void ring_consume(struct ring *r, const struct shmem_chan_msg *msg)
{
	r->own += SHMEM_CHAN_MSG_RECORD(msg->len);
	/* Finish reading the record before the producer may overwrite it. */
	port_dmb();
	*r->tail = r->own;
}

int ring_reserve(struct ring *r, __u32 len, unsigned char **payload, struct ring_fault *fault)
{
	__u32 record = SHMEM_CHAN_MSG_RECORD(len);

	for (;;) {
		__u32 tail = SH_RD(*r->tail);	/* the consumer's: validate the copy */
		__u32 used = r->own - tail;
		__u32 free_bytes, pos, to_end;

		if (used > r->size || tail % SHMEM_CHAN_MSG_ALIGN)
			return fault_at(fault, r, SHMEM_CHAN_ERR_TAIL, tail);
		free_bytes = r->size - used;
		pos = r->own & (r->size - 1);
		to_end = r->size - pos;
		if (record <= to_end) {
			if (record > free_bytes)
				return RING_EMPTY;
			/* The consumer is done with this space (pairs with its DMB). */
			port_dmb();
			*payload = r->data + pos + MSG_HDR_SIZE;
			return RING_OK;
		}
		/* The record would cross the end: pad up to it, then start at 0. */
		if (to_end > free_bytes)
			return RING_EMPTY;
		port_dmb();
		wr32(r->data + pos + 0, to_end - MSG_HDR_SIZE);	/* len */
		wr32(r->data + pos + 4, SHMEM_MSG_PAD);		/* type */
		wr32(r->data + pos + 8, 0);			/* flags */
		wr32(r->data + pos + 12, 0);			/* seq */
		wr32(r->data + pos + 16, 0);			/* status */
		wr32(r->data + pos + 20, 0);
		wr32(r->data + pos + 24, 0);
		wr32(r->data + pos + 28, 0);
		r->own += to_end;
		r->pads++;
		/* The PAD record before the index that publishes it. */
		port_dmb();
		*r->head = r->own;
	}
}

/*
 * `record` is the record's size as reserved; it differs from the one that
 * msg->len gives only when a fault-injection build corrupts the header.
 */
void ring_publish_record(struct ring *r, const struct shmem_chan_msg *msg, __u32 record)
{
	__u32 pos = r->own & (r->size - 1);
	const __u32 *words = (const __u32 *)(const void *)msg;
	__u32 i;

	for (i = 0; i < MSG_HDR_SIZE / 4; i++)
		wr32(r->data + pos + 4 * i, words[i]);
	r->own += record;
	/* Header and payload before the index that publishes them. */
	port_dmb();
	*r->head = r->own;
}

void ring_publish(struct ring *r, const struct shmem_chan_msg *msg)
{
	ring_publish_record(r, msg, SHMEM_CHAN_MSG_RECORD(msg->len));
}
