/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CPU1's RPMsg device: the remote (virtio device) side of Linux's
 * virtio_rpmsg_bus over the two vrings of the resource table (rsc_table.h).
 * Waits for DRIVER_OK, checks the loaded table, announces two endpoints
 * through the name service, echoes what they receive. Portable: the payload
 * and the host harness drive the same code; the main loop calls
 * rpmsg_poll() beside channel_poll(), on every doorbell and tick.
 */
#ifndef SHAREDMEM_FW_RPMSG_H
#define SHAREDMEM_FW_RPMSG_H

#include "vring.h"

#define RPMSG_NS_ADDR		53U	/* Linux's name service */
#define RPMSG_TTY_ADDR		0x400U	/* "rpmsg-tty": /dev/ttyRPMSGn */
#define RPMSG_RAW_ADDR		0x401U	/* "rpmsg-raw": /dev/rpmsgN */
#define RPMSG_HDR_SIZE		16U	/* struct rpmsg_hdr: src, dst, reserved, len:16, flags:16 */
#define RPMSG_NS_MSG_SIZE	40U	/* struct rpmsg_ns_msg: name[32], addr, flags */
#define RPMSG_BATCH		64U	/* messages per pass, one doorbell per pass */

enum rpmsg_poll { RPMSG_IDLE, RPMSG_BUSY };

struct rpmsg {
	const unsigned char *table;	/* the loaded resource table: Linux writes it */
	unsigned char *window;		/* CPU1's view of RPMSG_WINDOW_DA */
	__u32 state;			/* SHMEM_RPMSG_* */
	__u32 status;			/* the vdev status byte last read */
	int waiting_logged;
	__u32 announced;		/* announcements sent since DRIVER_OK */
	struct vring_dev rx;		/* vring0: Linux's RX, CPU1 -> Linux */
	struct vring_dev tx;		/* vring1: Linux's TX, Linux -> CPU1 */
	/* Counters (struct shmem_svc_rpmsg_stats). */
	__u32 rx_msgs, tx_msgs, announcements, dropped, errors, error, error_value, error_vring;
	__u32 doorbells_out, starts;
	__u64 rx_bytes, tx_bytes;
#ifdef SHAREDMEM_FW_FAULTS
	__u32 fault;			/* a SHMEM_FAULT_RPMSG_* for the next echo, or 0 */
	__u32 fault_value;
#endif
};

/* `table` is the loaded resource table, `window` where RPMSG_WINDOW_DA is mapped. */
void rpmsg_init(struct rpmsg *rp, const void *table, void *window);
/*
 * One pass: follow the vdev status, then (running) serve up to a batch of
 * messages and ring Linux once if it wants an interrupt. RPMSG_BUSY: call
 * again at once; RPMSG_IDLE: wait for a doorbell or the next tick.
 */
int rpmsg_poll(struct rpmsg *rp);
/* The counters as struct shmem_svc_rpmsg_stats, at `out` (shared memory). */
void rpmsg_write_stats(const struct rpmsg *rp, unsigned char *out);
/* Ring Linux for the vrings (counted): DSB, doorbell. */
void rpmsg_ring_linux(struct rpmsg *rp);
#ifdef SHAREDMEM_FW_FAULTS
/* Corrupt the next echo as `kind` says (SHMEM_FAULT_RPMSG_*, not FLOOD). */
void rpmsg_arm_fault(struct rpmsg *rp, __u32 kind, __u32 value);
#endif

#endif /* SHAREDMEM_FW_RPMSG_H */
