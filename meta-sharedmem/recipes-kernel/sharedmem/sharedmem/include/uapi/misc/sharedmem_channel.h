/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * sharedmem channel: the layout of the "sharedmem-channel" region shared by
 * Linux (CPU0) and the bare-metal payload (CPU1) of the Zynq-7000.
 *
 * This header is the one source of truth for that layout. The kernel module,
 * the CPU1 payload (meta-sharedmem/recipes-bsp/sharedmem-firmware) and, through
 * a mirror checked against it by a test, the Python library shmem_helper all
 * follow it. Everything is little-endian, every field a __u32 or __u64, no
 * pointers, explicit padding: the sizes are the same for every compiler.
 *
 * Region (version 1; offsets from the start of the region):
 *
 *   0x000000  control block, SHMEM_CHAN_CTRL_SIZE bytes (struct shmem_chan_ctrl)
 *   ring[0]   Linux -> CPU1 ring data (requests), ring[0].size bytes
 *   ring[1]   CPU1 -> Linux ring data (responses), ring[1].size bytes
 *   bulk      bulk area, referenced by offset + length from messages
 *
 * The defaults (SHMEM_CHAN_DEFAULT_*) fill a 16 MiB region: two 256 KiB rings
 * after the 4 KiB control block, and 15 MiB of bulk from offset 1 MiB. Linux
 * may choose other sizes; they are published in the control block.
 *
 * Who writes what. Each 64-byte line of the control block has one writer:
 *   line 0  config   Linux, before it starts CPU1 (or during a reset)
 *   line 1  host     Linux (halt request, reset generation, Linux's counters)
 *   line 2  cpu1     CPU1 (state, reason, heartbeat, CPU1's counters)
 *   line 3  ring[0] head  Linux (producer of ring 0)
 *   line 4  ring[0] tail  CPU1  (consumer of ring 0)
 *   line 5  ring[1] head  CPU1  (producer of ring 1)
 *   line 6  ring[1] tail  Linux (consumer of ring 1)
 *
 * Start: Linux writes the whole control block (config, host line zeroed,
 * cpu1.state = OFFLINE, all indices 0), then makes the writes visible (wmb)
 * and starts CPU1. CPU1 writes state BOOTING, validates the config line
 * (magic, version, sizes, that every area lies inside the region and no two
 * overlap); on success it sets state READY, copies host.reset_gen into
 * cpu1.reset_ack and rings Linux's doorbell. On failure it sets state BROKEN
 * with the reason and the bad value, rings, and waits for a reset.
 *
 * Doorbells: Linux -> CPU1 is SGI 15 sent to CPU1 through GICD_SGIR;
 * CPU1 -> Linux pends SPI 29 (interrupt ID 61) through GICD_ISPENDR1 bit 29.
 * A doorbell only says "look at the channel"; all state is in memory.
 *
 * Stop: Linux writes host.halt_request = SHMEM_CHAN_HALT_REQUEST and rings.
 * CPU1 stops taking requests, sets state HALTED (after resetting the BootROM
 * mailbox, so that a new start cannot be lost), rings Linux and returns to the
 * BootROM park loop.
 *
 * Reset (CPU1 running): Linux sets its own indices (ring[0] head, ring[1]
 * tail) to 0, then host.reset_gen += 1, and rings. CPU1 drops what it was
 * doing, sets its own indices (ring[0] tail, ring[1] head) to 0, clears its
 * reason, re-validates the config line, sets reset_ack = reset_gen and state
 * READY (or BROKEN), and rings. A channel is usable when state is READY and
 * reset_ack equals reset_gen.
 *
 * Rings: single producer, single consumer. head and tail are free-running
 * byte counters (they wrap at 2^32; size is a power of two, so position =
 * index & (size - 1)). used = head - tail, in 0..size. The producer owns head,
 * the consumer owns tail; each keeps a private copy of the index it owns and
 * only reads the other side's index from memory, which it validates: a value
 * giving used > size or an index not a multiple of SHMEM_CHAN_MSG_ALIGN makes
 * the reader report the channel broken.
 *
 * A message is a struct shmem_chan_msg header followed by len payload bytes,
 * padded to SHMEM_CHAN_MSG_ALIGN; a record never wraps. When a record does
 * not fit between its position and the end of the ring, the producer first
 * writes a PAD record (type SHMEM_MSG_PAD, len = bytes to the end - header)
 * and continues at position 0. The largest payload is size - header
 * (SHMEM_CHAN_MSG_MAX): when needed, the producer waits for the consumer to
 * drain the ring after the PAD record. A consumer checks, before any use:
 * len <= SHMEM_CHAN_MSG_MAX(size), the record lies inside what head published
 * and does not cross the end of the ring, a PAD record reaches exactly the end,
 * and reserved fields are zero.
 *
 * Ordering (see the firmware's README for the memory attributes): producer
 * writes header and payload, DMB, then writes head; a DSB (Linux: wmb(),
 * which also drains the PL310's buffers) before ringing a doorbell. Consumer
 * reads head, DMB, reads the record, DMB, then writes tail.
 *
 * Bulk: a message refers to bulk data by (offset, length) relative to the
 * start of the bulk area; a reader checks offset <= bulk_size and
 * length <= bulk_size - offset (no overflowing addition) before any access.
 */
#ifndef _UAPI_MISC_SHAREDMEM_CHANNEL_H
#define _UAPI_MISC_SHAREDMEM_CHANNEL_H

#if (defined(__KERNEL__) || defined(__linux__)) && !defined(SHMEM_CHAN_FREESTANDING)
#include <linux/types.h>
#else
/* Bare-metal payload: no libc, no kernel headers; GCC's own type macros. */
typedef __UINT32_TYPE__ __u32;
typedef __UINT64_TYPE__ __u64;
#endif

/* ---- Control block: config line (Linux writes it before starting CPU1) ---- */

#define SHMEM_CHAN_MAGIC		0x48434D53U	/* "SMCH" little-endian */
#define SHMEM_CHAN_VERSION		1U
#define SHMEM_CHAN_CTRL_SIZE		4096U	/* the control block's share of the region */
#define SHMEM_CHAN_LINE			64U	/* one writer per 64-byte line */
#define SHMEM_CHAN_RING_MIN		256U	/* smallest ring size */
#define SHMEM_CHAN_RING_ALIGN		64U	/* ring and bulk offsets are multiples of it */
#define SHMEM_CHAN_NR_RINGS		2U
#define SHMEM_CHAN_RING_TO_CPU1		0U	/* requests, Linux produces */
#define SHMEM_CHAN_RING_TO_LINUX	1U	/* responses, CPU1 produces */

/* Defaults for the 16 MiB region of the device tree. */
#define SHMEM_CHAN_DEFAULT_TOTAL_SIZE	0x01000000U
#define SHMEM_CHAN_DEFAULT_RING_SIZE	0x00040000U
#define SHMEM_CHAN_DEFAULT_RING0_OFFSET	0x00001000U
#define SHMEM_CHAN_DEFAULT_RING1_OFFSET	0x00041000U
#define SHMEM_CHAN_DEFAULT_BULK_OFFSET	0x00100000U
#define SHMEM_CHAN_DEFAULT_BULK_SIZE	0x00F00000U

struct shmem_chan_ring_desc {
	__u32 offset;		/* from the start of the region */
	__u32 size;		/* bytes; a power of two >= SHMEM_CHAN_RING_MIN */
};

struct shmem_chan_config {
	__u32 magic;		/* SHMEM_CHAN_MAGIC */
	__u32 version;		/* SHMEM_CHAN_VERSION */
	__u32 total_size;	/* bytes of the region */
	__u32 ctrl_size;	/* SHMEM_CHAN_CTRL_SIZE */
	struct shmem_chan_ring_desc ring[SHMEM_CHAN_NR_RINGS];
	__u32 bulk_offset;	/* from the start of the region */
	__u32 bulk_size;	/* bytes */
	__u32 reserved[6];	/* zero */
};

/* ---- Control block: host line (Linux writes it at any time) ---- */

#define SHMEM_CHAN_HALT_REQUEST		0x544C4148U	/* "HALT": halt_request when asked */

struct shmem_chan_host {
	__u32 halt_request;	/* 0 or SHMEM_CHAN_HALT_REQUEST */
	__u32 reset_gen;	/* Linux increments it to reset the channel */
	__u32 error;		/* SHMEM_CHAN_ERR_* Linux found in what CPU1 wrote */
	__u32 error_value;	/* the offending value */
	__u32 tx_msgs;		/* messages Linux sent */
	__u32 rx_msgs;		/* messages Linux received */
	__u32 doorbells;	/* doorbells Linux rang */
	__u32 epoch;		/* the driver's count of CPU1 starts: a user notices a restart */
	__u32 reserved[8];	/* zero */
};

/* ---- Control block: CPU1 line (CPU1 writes it) ---- */

/* cpu1.state */
#define SHMEM_CPU1_OFFLINE	0U	/* Linux wrote the control block; CPU1 not started */
#define SHMEM_CPU1_BOOTING	1U	/* CPU1 runs and validates the control block */
#define SHMEM_CPU1_READY	2U	/* serving the rings */
#define SHMEM_CPU1_HALTING	3U	/* saw the halt request */
#define SHMEM_CPU1_HALTED	4U	/* back in the BootROM park loop */
#define SHMEM_CPU1_CRASHED	5U	/* written by Linux: the heartbeat stopped */
#define SHMEM_CPU1_BROKEN	6U	/* bad value found; see error; waits for a reset */

/* cpu1.error and host.error: what was wrong (0 = nothing) */
#define SHMEM_CHAN_ERR_NONE		0U
#define SHMEM_CHAN_ERR_MAGIC		1U	/* config.magic */
#define SHMEM_CHAN_ERR_VERSION		2U	/* config.version */
#define SHMEM_CHAN_ERR_TOTAL_SIZE	3U	/* config.total_size */
#define SHMEM_CHAN_ERR_CTRL_SIZE	4U	/* config.ctrl_size */
#define SHMEM_CHAN_ERR_RING_OFFSET	5U	/* config.ring[].offset */
#define SHMEM_CHAN_ERR_RING_SIZE	6U	/* config.ring[].size */
#define SHMEM_CHAN_ERR_BULK		7U	/* config.bulk_offset/bulk_size */
#define SHMEM_CHAN_ERR_OVERLAP		8U	/* two areas overlap */
#define SHMEM_CHAN_ERR_RESERVED		9U	/* a reserved field is not zero */
#define SHMEM_CHAN_ERR_HEAD		10U	/* the producer's head */
#define SHMEM_CHAN_ERR_TAIL		11U	/* the consumer's tail */
#define SHMEM_CHAN_ERR_MSG_LEN		12U	/* a message's len */
#define SHMEM_CHAN_ERR_MSG_PAD		13U	/* a PAD record's len */
#define SHMEM_CHAN_ERR_MSG_RESERVED	14U	/* a message's reserved field */
#define SHMEM_CHAN_ERR_STATE		15U	/* cpu1.state (found by Linux) */

struct shmem_chan_cpu1 {
	__u32 state;		/* SHMEM_CPU1_* */
	__u32 error;		/* SHMEM_CHAN_ERR_* when state is BROKEN */
	__u32 error_value;	/* the offending value */
	__u32 error_ring;	/* ring of a ring error, else 0 */
	__u32 heartbeat;	/* incremented periodically while CPU1 runs */
	__u32 reset_ack;	/* host.reset_gen that CPU1 last honoured */
	__u32 fw_version;	/* SHMEM_FW_VERSION(major, minor, patch) */
	__u32 rx_msgs;		/* requests CPU1 consumed */
	__u32 tx_msgs;		/* responses CPU1 produced */
	__u32 bad_requests;	/* requests answered with a status other than OK */
	__u32 doorbells_in;	/* doorbells CPU1 received */
	__u32 doorbells_out;	/* doorbells CPU1 rang */
	__u32 resets;		/* resets CPU1 honoured */
	__u32 reserved[3];	/* zero */
};

#define SHMEM_FW_VERSION(major, minor, patch) \
	(((__u32)(major) << 16) | ((__u32)(minor) << 8) | (__u32)(patch))

/* ---- Control block: ring indices, each alone on its line ---- */

struct shmem_chan_index {
	__u32 value;		/* free-running byte counter */
	__u32 reserved[15];	/* keeps the other side's index off this line */
};

struct shmem_chan_ring_indices {
	struct shmem_chan_index head;	/* written by the producer only */
	struct shmem_chan_index tail;	/* written by the consumer only */
};

struct shmem_chan_ctrl {
	struct shmem_chan_config config;			/* 0x000 */
	struct shmem_chan_host host;				/* 0x040 */
	struct shmem_chan_cpu1 cpu1;				/* 0x080 */
	struct shmem_chan_ring_indices idx[SHMEM_CHAN_NR_RINGS];	/* 0x0C0 */
	__u32 reserved[912];					/* 0x1C0: zero */
};

/* ---- Messages ---- */

#define SHMEM_CHAN_MSG_ALIGN		32U	/* records start and end on it */
#define SHMEM_CHAN_MSG_MAX(ring_size)	((ring_size) - (__u32)sizeof(struct shmem_chan_msg))
#define SHMEM_CHAN_MSG_RECORD(len) \
	(((__u32)sizeof(struct shmem_chan_msg) + (len) + SHMEM_CHAN_MSG_ALIGN - 1) & ~(SHMEM_CHAN_MSG_ALIGN - 1))

/* msg.type */
#define SHMEM_MSG_PAD		0U	/* filler up to the end of the ring */
#define SHMEM_MSG_PING		1U	/* -> struct shmem_svc_ping */
#define SHMEM_MSG_ECHO		2U	/* payload returned unchanged */
#define SHMEM_MSG_CRC32		3U	/* struct shmem_svc_bulk -> struct shmem_svc_crc32 */
#define SHMEM_MSG_FILL		4U	/* struct shmem_svc_bulk -> struct shmem_svc_bulk */
#define SHMEM_MSG_STATS		5U	/* -> struct shmem_svc_stats */
#define SHMEM_MSG_FAULT		127U	/* struct shmem_svc_fault -> nothing (fault builds only) */

/* msg.flags */
#define SHMEM_MSG_F_RESPONSE	0x1U	/* set on every message CPU1 sends */

/* msg.status of a response */
#define SHMEM_STATUS_OK		0U
#define SHMEM_STATUS_BAD_TYPE	1U	/* unknown type */
#define SHMEM_STATUS_BAD_LEN	2U	/* payload length wrong for the type */
#define SHMEM_STATUS_BAD_RANGE	3U	/* bulk slice outside the bulk area */
#define SHMEM_STATUS_BAD_ARG	4U	/* a reserved or flags field not zero */
#define SHMEM_STATUS_TOO_BIG	5U	/* response would not fit the ring */

struct shmem_chan_msg {
	__u32 len;		/* payload bytes after the header */
	__u32 type;		/* SHMEM_MSG_* */
	__u32 flags;		/* SHMEM_MSG_F_* */
	__u32 seq;		/* chosen by the requester, copied into the response */
	__u32 status;		/* SHMEM_STATUS_* in a response, 0 in a request */
	__u32 reserved[3];	/* zero */
};

/* ---- Service payloads ---- */

/* PING response (the request has no payload). */
struct shmem_svc_ping {
	__u32 seq;		/* the request's seq */
	__u32 fw_version;
	__u32 heartbeat;
	__u32 rx_msgs;
	__u32 tx_msgs;
	__u32 bad_requests;
	__u32 reserved[2];
};

/*
 * CRC32 and FILL request; FILL's response repeats it. CRC32: pattern and
 * step must be 0. FILL: word k of the slice (byte i is byte i % 4,
 * little-endian, of word i / 4) is pattern + k * step (mod 2^32).
 */
struct shmem_svc_bulk {
	__u32 offset;		/* from the start of the bulk area */
	__u32 length;		/* bytes */
	__u32 pattern;
	__u32 step;
};

/* CRC32 response: IEEE 802.3 CRC-32 (zlib's crc32) of the slice. */
struct shmem_svc_crc32 {
	__u32 crc;
	__u32 offset;
	__u32 length;
	__u32 reserved;
};

/* STATS response (the request has no payload). */
struct shmem_svc_stats {
	__u32 fw_version;
	__u32 state;
	__u32 heartbeat;
	__u32 rx_msgs;
	__u32 tx_msgs;
	__u32 bad_requests;
	__u32 doorbells_in;
	__u32 doorbells_out;
	__u32 resets;
	__u32 pad_records;	/* PAD records CPU1 wrote */
	__u64 rx_bytes;		/* request payload bytes */
	__u64 tx_bytes;		/* response payload bytes */
	__u64 bulk_bytes;	/* bytes CRC32 read and FILL wrote */
};

/*
 * FAULT request: fault injection, to prove that Linux survives a misbehaving
 * CPU1. Only the payload built with FAULTS=1 (sharedmem-cpu1-faults.elf, a
 * test firmware never installed by default) serves it; the normal payload
 * answers SHMEM_STATUS_BAD_TYPE. The response (status OK, no payload) is
 * published first; the fault takes effect after it.
 */
#define SHMEM_FAULT_HANG	1U	/* stop serving and beating (a halt request is still honoured) */
#define SHMEM_FAULT_UNDEF	2U	/* execute an undefined instruction (the payload's fault handler) */
#define SHMEM_FAULT_SILENT	3U	/* stop serving, keep beating (a halt request is still honoured) */
#define SHMEM_FAULT_POKE	4U	/* write value at offset (4-aligned, within the region) */
#define SHMEM_FAULT_RESPONSE	5U	/* next response: its word at byte offset (header, then payload) becomes value */
#define SHMEM_FAULT_FLOOD	6U	/* ring Linux count times, back to back (0: until halted) */

struct shmem_svc_fault {
	__u32 kind;		/* SHMEM_FAULT_* */
	__u32 offset;		/* POKE: from the region's start; RESPONSE: in the record */
	__u32 value;		/* POKE, RESPONSE */
	__u32 count;		/* FLOOD; 0: without end */
};

#if (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L) || defined(__cplusplus)
#ifdef __cplusplus
#define SHMEM_CHAN_ASSERT static_assert
#else
#define SHMEM_CHAN_ASSERT _Static_assert
#endif
SHMEM_CHAN_ASSERT(sizeof(struct shmem_chan_config) == 64, "config line");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_chan_host) == 64, "host line");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_chan_cpu1) == 64, "cpu1 line");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_chan_index) == 64, "index line");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_chan_ctrl) == SHMEM_CHAN_CTRL_SIZE, "control block");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_chan_msg) == SHMEM_CHAN_MSG_ALIGN, "message header");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_svc_ping) == 32, "ping");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_svc_bulk) == 16, "bulk");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_svc_crc32) == 16, "crc32");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_svc_stats) == 64, "stats");
SHMEM_CHAN_ASSERT(sizeof(struct shmem_svc_fault) == 16, "fault");
#undef SHMEM_CHAN_ASSERT
#endif

/*
 * ---- RPMsg (issue 13): the payload's virtio RPMsg device, beside the channel ----
 *
 * CPU1 also serves a remoteproc virtio RPMsg device (its resource table,
 * vdev0vring0/1 and vdev0buffer; the firmware's README, "RPMsg"). Its
 * counters are read over the channel with RPMSG_STATS; its faults are
 * requested over the channel with FAULT (fault-injection build).
 */
#define SHMEM_MSG_RPMSG_STATS		6U	/* -> struct shmem_svc_rpmsg_stats */

/* rpmsg_stats.state */
#define SHMEM_RPMSG_OFF			0U	/* waiting for Linux's DRIVER_OK */
#define SHMEM_RPMSG_RUNNING		1U	/* announced, echoing */
#define SHMEM_RPMSG_STOPPED		2U	/* a bad value: off until Linux resets the vdev */

/* rpmsg_stats.error: what stopped RPMsg (0 = nothing) */
#define SHMEM_RPMSG_ERR_NONE		0U
#define SHMEM_RPMSG_ERR_TABLE		1U	/* the loaded table's vring da/align/num */
#define SHMEM_RPMSG_ERR_AVAIL_IDX	2U	/* avail.idx more than num ahead */
#define SHMEM_RPMSG_ERR_HEAD		3U	/* an avail.ring[] head >= num */
#define SHMEM_RPMSG_ERR_DESC_ADDR	4U	/* a buffer not inside vdev0buffer (or not 4-aligned) */
#define SHMEM_RPMSG_ERR_DESC_LEN	5U	/* a buffer length not 16..512 (or too short for the echo) */
#define SHMEM_RPMSG_ERR_DESC_FLAGS	6U	/* NEXT, INDIRECT, or WRITE where not expected */
#define SHMEM_RPMSG_ERR_MSG_LEN		7U	/* an rpmsg header len > buffer length - 16 */

/* RPMSG_STATS response (the request has no payload). */
struct shmem_svc_rpmsg_stats {
	__u32 state;		/* SHMEM_RPMSG_* */
	__u32 vdev_status;	/* the vdev status byte CPU1 last read */
	__u32 rx_msgs;		/* messages taken from Linux's TX vring */
	__u32 tx_msgs;		/* messages put in Linux's RX vring (echoes, announcements) */
	__u32 announcements;	/* name-service announcements sent */
	__u32 dropped;		/* messages to an address without an endpoint (consumed) */
	__u32 errors;		/* times RPMsg stopped for a bad value */
	__u32 error;		/* SHMEM_RPMSG_ERR_* of the last stop */
	__u32 error_value;	/* the offending value */
	__u32 error_vring;	/* the vring of the last stop */
	__u32 doorbells_out;	/* doorbells rung for the vrings */
	__u32 starts;		/* vdev starts (DRIVER_OK) seen */
	__u64 rx_bytes;		/* payload bytes received */
	__u64 tx_bytes;		/* payload bytes sent */
};

/*
 * FAULT kinds against the vrings (RPMsg running; what Linux reads from its
 * RX vring goes wrong at the next echo): see the firmware's README.
 */
#define SHMEM_FAULT_RPMSG_USED_IDX	7U	/* used.idx jumps value (0: 0x8000) ahead */
#define SHMEM_FAULT_RPMSG_USED_ID	8U	/* the used id is num + value */
#define SHMEM_FAULT_RPMSG_NOT_HEAD	9U	/* the used entry twice: the second names a buffer not out */
#define SHMEM_FAULT_RPMSG_USED_LEN	10U	/* the used len is value (0: 0x10000) */
#define SHMEM_FAULT_RPMSG_MSG_LEN	11U	/* the rpmsg header len is value (0: 0xFFFF) */
#define SHMEM_FAULT_RPMSG_FLOOD		12U	/* ring Linux count times for the vrings (0: until halted) */
/* the next echo: its two descriptors, avail slots and the loaded table's fields overwritten */
#define SHMEM_FAULT_RPMSG_SCRIBBLE	13U

#if (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L) || defined(__cplusplus)
#ifdef __cplusplus
static_assert(sizeof(struct shmem_svc_rpmsg_stats) == 64, "rpmsg stats");
#else
_Static_assert(sizeof(struct shmem_svc_rpmsg_stats) == 64, "rpmsg stats");
#endif
#endif

#endif /* _UAPI_MISC_SHAREDMEM_CHANNEL_H */
