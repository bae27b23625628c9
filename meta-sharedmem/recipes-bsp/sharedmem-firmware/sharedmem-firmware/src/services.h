/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SHAREDMEM_FW_SERVICES_H
#define SHAREDMEM_FW_SERVICES_H

#include "channel.h"

/*
 * Payload bytes of the response to a request (checked against the free space
 * of the response ring before the request is taken); req->len is validated.
 */
__u32 services_response_len(const struct channel *c, const struct shmem_chan_msg *req);
/*
 * Serve one request whose payload is at `in`; write the response payload
 * at `out` (room for services_response_len() bytes) and fill `resp`.
 */
void services_handle(struct channel *c, const struct shmem_chan_msg *req, const unsigned char *in,
		     struct shmem_chan_msg *resp, unsigned char *out);

#endif /* SHAREDMEM_FW_SERVICES_H */
