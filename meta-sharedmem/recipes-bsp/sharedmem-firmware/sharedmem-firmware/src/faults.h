/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault injection (SHMEM_MSG_FAULT, sharedmem_channel.h): the payload built
 * with FAULTS=1 misbehaves on request, so that tests can prove that Linux
 * survives a hostile CPU1. Without SHAREDMEM_FW_FAULTS none of this is
 * compiled in and FAULT is an unknown message type.
 */
#ifndef SHAREDMEM_FW_FAULTS_H
#define SHAREDMEM_FW_FAULTS_H

#include "channel.h"

#ifdef SHAREDMEM_FW_FAULTS
/* Validate a FAULT request's payload and keep it pending; a SHMEM_STATUS_*. */
__u32 faults_accept(struct channel *c, const unsigned char *in);
/* Corrupt the response about to be published, if a RESPONSE fault waits for it. */
void faults_corrupt_response(struct channel *c, struct shmem_chan_msg *resp, unsigned char *out);
/*
 * Apply the pending fault once its acknowledgement is published: POKE,
 * RESPONSE and FLOOD here (then CHANNEL_IDLE); HANG, UNDEF and SILENT are
 * the platform's (CHANNEL_FAULT, c->fault.kind says which).
 */
int faults_apply(struct channel *c);
#endif

#endif /* SHAREDMEM_FW_FAULTS_H */
