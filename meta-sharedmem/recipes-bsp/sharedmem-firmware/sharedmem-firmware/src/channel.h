/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CPU1's side of the sharedmem channel: the start, reset and halt protocol
 * of sharedmem_channel.h and the request loop. Portable: the payload and the
 * host harness drive the same code.
 */
#ifndef SHAREDMEM_FW_CHANNEL_H
#define SHAREDMEM_FW_CHANNEL_H

#include "ring.h"
#include "rpmsg.h"

struct channel {
	volatile struct shmem_chan_ctrl *ctrl;
	unsigned char *base;
	__u32 region_size;	/* the most this side may touch */
	__u32 fw_version;
	int attached;		/* the config line was valid, rings attached */
	int waiting_logged;
	__u32 state;		/* private copy of cpu1.state */
	__u32 reset_gen;	/* the host.reset_gen last honoured */
	__u32 heartbeat;	/* private copy of cpu1.heartbeat (users can write the line) */
	int interrupted;	/* a long request stopped for a halt or reset request */
	struct ring rx;		/* ring 0, consumer */
	struct ring tx;		/* ring 1, producer */
	unsigned char *bulk;
	__u32 bulk_size;
	/* Counters also published in the cpu1 line. */
	__u32 rx_msgs, tx_msgs, bad_requests, doorbells_in, doorbells_out, resets;
	__u64 rx_bytes, tx_bytes, bulk_bytes;
	/* Fault injection (FAULTS=1 builds, faults.c): accepted, then applied. */
	struct shmem_svc_fault fault;
	int corrupt_next;	/* a RESPONSE fault waits for the next response */
	struct shmem_svc_fault corrupt;
	/* The RPMsg device served beside the channel (RPMSG_STATS, its faults), or NULL. */
	struct rpmsg *rpmsg;
};

/* CHANNEL_FAULT: a HANG, UNDEF or SILENT fault is due (c->fault.kind). */
enum channel_poll { CHANNEL_IDLE, CHANNEL_BUSY, CHANNEL_HALT, CHANNEL_FAULT };

/*
 * `base` is the channel region, `region_size` its size (the limit of
 * config.total_size). c->rpmsg starts NULL: the caller sets it after.
 */
void channel_init(struct channel *c, void *base, __u32 region_size, __u32 fw_version);
/*
 * One round: look at the control block, handle a reset request, serve up to
 * a batch of requests, ring Linux if anything was answered. CHANNEL_BUSY:
 * call again at once; CHANNEL_IDLE: wait for a doorbell or the next tick;
 * CHANNEL_HALT: Linux asked for a halt (state is HALTING).
 */
int channel_poll(struct channel *c);
/* A doorbell from Linux arrived (counted). */
void channel_doorbell_in(struct channel *c);
/* Periodic tick: advance the heartbeat (only once the control block is valid). */
void channel_heartbeat(struct channel *c);
/* Last step before parking: state HALTED, DSB, doorbell. */
void channel_halted(struct channel *c);
/* Has Linux asked for a halt? (Checked by the loops that no longer serve.) */
int channel_halt_requested(const struct channel *c);
/*
 * Between two slices of a long request, or two requests: port_yield() (the
 * heartbeat keeps beating), then 1 if Linux asked for a halt or a reset, which
 * the request must not delay: the caller stops and returns to channel_poll().
 */
int channel_should_stop(struct channel *c);

/* For services.c and faults.c. */
void channel_set_state(struct channel *c, __u32 state);
void channel_ring_linux(struct channel *c);

#endif /* SHAREDMEM_FW_CHANNEL_H */
