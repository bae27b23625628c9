// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection for tests (see faults.h). A fault is accepted by a FAULT
 * request and applied after its response is published, so the requester
 * learns that it was accepted before CPU1 misbehaves. Even here, CPU1 never
 * writes outside its region: POKE's offset is checked like any other.
 */
#include "faults.h"
#include "port.h"

__u32 faults_accept(struct channel *c, const unsigned char *in)
{
	struct shmem_svc_fault f;

	f.kind = rd32(in + 0);
	f.offset = rd32(in + 4);
	f.value = rd32(in + 8);
	f.count = rd32(in + 12);
	switch (f.kind) {
	case SHMEM_FAULT_HANG:
	case SHMEM_FAULT_UNDEF:
	case SHMEM_FAULT_SILENT:
	case SHMEM_FAULT_FLOOD:
		break;
	case SHMEM_FAULT_POKE:
		if (f.offset % 4 || f.offset > c->region_size - 4)
			return SHMEM_STATUS_BAD_RANGE;
		break;
	case SHMEM_FAULT_RESPONSE:
		if (f.offset % 4 || f.offset >= SHMEM_CHAN_MSG_MAX(c->tx.size))
			return SHMEM_STATUS_BAD_RANGE;
		break;
	case SHMEM_FAULT_RPMSG_USED_IDX:
	case SHMEM_FAULT_RPMSG_USED_ID:
	case SHMEM_FAULT_RPMSG_NOT_HEAD:
	case SHMEM_FAULT_RPMSG_USED_LEN:
	case SHMEM_FAULT_RPMSG_MSG_LEN:
	case SHMEM_FAULT_RPMSG_FLOOD:
	case SHMEM_FAULT_RPMSG_SCRIBBLE:
		if (!c->rpmsg)
			return SHMEM_STATUS_BAD_ARG;
		break;
	default:
		return SHMEM_STATUS_BAD_ARG;
	}
	c->fault = f;
	return SHMEM_STATUS_OK;
}

void faults_corrupt_response(struct channel *c, struct shmem_chan_msg *resp, unsigned char *out)
{
	__u32 at = c->corrupt.offset;

	if (!c->corrupt_next)
		return;
	c->corrupt_next = 0;
	port_log_hex("sharedmem-cpu1: fault: response word corrupted at", at);
	if (at < MSG_HDR_SIZE)
		((__u32 *)(void *)resp)[at / 4] = c->corrupt.value;
	else if (at - MSG_HDR_SIZE + 4 <= resp->len)
		*(volatile __u32 *)(void *)(out + at - MSG_HDR_SIZE) = c->corrupt.value;
}

int faults_apply(struct channel *c)
{
	struct shmem_svc_fault f = c->fault;
	__u32 i;

	switch (f.kind) {
	case SHMEM_FAULT_POKE:
		port_log_hex("sharedmem-cpu1: fault: poke at", f.offset);
		*(volatile __u32 *)(void *)(c->base + f.offset) = f.value;
		break;
	case SHMEM_FAULT_RESPONSE:
		c->corrupt = f;
		c->corrupt_next = 1;
		break;
	case SHMEM_FAULT_FLOOD:
		port_log_hex("sharedmem-cpu1: fault: doorbells", f.count);
		/*
		 * count 0: without end. A halt request ends it (then the main
		 * loop parks), so that recovery can stop a flooding CPU1.
		 */
		for (i = 0; !f.count || i < f.count; i++) {
			if (channel_halt_requested(c))
				break;
			channel_ring_linux(c);
		}
		break;
	case SHMEM_FAULT_RPMSG_FLOOD:
		/*
		 * The same flood, rung for the vrings (counted in RPMSG_STATS)
		 * whatever avail.flags ask: the driver's flood guard must catch it.
		 */
		port_log_hex("sharedmem-cpu1: fault: rpmsg doorbells", f.count);
		for (i = 0; !f.count || i < f.count; i++) {
			if (channel_halt_requested(c))
				break;
			rpmsg_ring_linux(c->rpmsg);
		}
		break;
	case SHMEM_FAULT_RPMSG_USED_IDX:
	case SHMEM_FAULT_RPMSG_USED_ID:
	case SHMEM_FAULT_RPMSG_NOT_HEAD:
	case SHMEM_FAULT_RPMSG_USED_LEN:
	case SHMEM_FAULT_RPMSG_MSG_LEN:
	case SHMEM_FAULT_RPMSG_SCRIBBLE:
		rpmsg_arm_fault(c->rpmsg, f.kind, f.value);
		break;
	default:
		return CHANNEL_FAULT;	/* the platform's: c->fault stays set */
	}
	c->fault.kind = 0;
	return CHANNEL_IDLE;
}
