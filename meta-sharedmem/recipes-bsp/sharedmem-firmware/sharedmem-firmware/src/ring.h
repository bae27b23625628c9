/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Single-producer, single-consumer message rings of the sharedmem channel
 * (layout and rules in sharedmem_channel.h). Portable: CPU1 and the host
 * harness build the same file.
 */
#ifndef SHAREDMEM_FW_RING_H
#define SHAREDMEM_FW_RING_H

#include "sharedmem_channel.h"

#define MSG_HDR_SIZE	((__u32)sizeof(struct shmem_chan_msg))

/* Why a ring cannot be used: the reason and value for the cpu1 line. */
struct ring_fault {
	__u32 error;	/* SHMEM_CHAN_ERR_* */
	__u32 value;	/* the value that was wrong */
	__u32 ring;	/* which ring */
};

struct ring {
	volatile __u32 *head;	/* in the control block: read with rd32() only */
	volatile __u32 *tail;
	unsigned char *data;	/* ring data, size bytes, 32-byte aligned */
	__u32 size;		/* a power of two, validated with the config */
	__u32 own;		/* private copy of the index this side owns */
	__u32 number;		/* SHMEM_CHAN_RING_TO_* */
	__u32 pads;		/* PAD records written (producer) */
};

enum ring_status { RING_FAULT = -1, RING_EMPTY = 0, RING_OK = 1 };

/*
 * Attach to ring `number`; `desc` is its place in the validated private copy
 * of the config line; `producer` says which index this side owns. The owned
 * index starts at 0 and is written to the control block.
 */
void ring_attach(struct ring *r, volatile struct shmem_chan_ctrl *ctrl, unsigned char *base,
		 __u32 number, const struct shmem_chan_ring_desc *desc, int producer);

/*
 * Consumer: look at the next message. PAD records are skipped (consumed).
 * RING_OK: *msg holds the validated header and *payload points at its len
 * bytes, inside the ring; RING_EMPTY: nothing published; RING_FAULT: *fault
 * says what the producer wrote wrong (nothing was consumed).
 */
int ring_peek(struct ring *r, struct shmem_chan_msg *msg, unsigned char **payload,
	      struct ring_fault *fault);
/* Consumer: release the message ring_peek() returned (DMB, then tail). */
void ring_consume(struct ring *r, const struct shmem_chan_msg *msg);

/*
 * Producer: find room for a record with `len` payload bytes (len <=
 * SHMEM_CHAN_MSG_MAX(size), checked by the caller), writing and publishing a
 * PAD record first when the record would cross the end of the ring.
 * RING_OK: *payload is where the payload goes; RING_EMPTY: not enough free
 * space yet; RING_FAULT: the consumer's tail is invalid.
 */
int ring_reserve(struct ring *r, __u32 len, unsigned char **payload, struct ring_fault *fault);
/* Producer: write the header of the reserved record, DMB, publish head. */
void ring_publish_record(struct ring *r, const struct shmem_chan_msg *msg, __u32 record);
void ring_publish(struct ring *r, const struct shmem_chan_msg *msg);

/* Word copy between 4-byte aligned buffers; rounds len up to a word. */
void ring_copy_words(unsigned char *dst, const unsigned char *src, __u32 len);

#endif /* SHAREDMEM_FW_RING_H */
