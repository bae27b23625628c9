// SPDX-License-Identifier: GPL-2.0-only
/*
 * The payload's services: PING, ECHO, CRC32, FILL, STATS, RPMSG_STATS (message formats in
 * sharedmem_channel.h). A request that is malformed for its type gets a
 * response with a status other than OK and no payload; it never breaks the
 * channel. Bulk slices are checked against the bulk area before any access.
 */
#include "services.h"
#include "crc32.h"
#include "faults.h"
#include "port.h"

static void wr64(unsigned char *p, __u64 v)
{
	wr32(p, (__u32)v);
	wr32(p + 4, (__u32)(v >> 32));
}

/* The request is well-formed for its type (flags, status, length)? */
static __u32 check_request(const struct channel *c, const struct shmem_chan_msg *req)
{
	if (req->flags || req->status)
		return SHMEM_STATUS_BAD_ARG;
	switch (req->type) {
	case SHMEM_MSG_PING:
	case SHMEM_MSG_STATS:
		return req->len == 0 ? SHMEM_STATUS_OK : SHMEM_STATUS_BAD_LEN;
	case SHMEM_MSG_RPMSG_STATS:
		if (!c->rpmsg)
			return SHMEM_STATUS_BAD_TYPE;	/* a payload without RPMsg */
		return req->len == 0 ? SHMEM_STATUS_OK : SHMEM_STATUS_BAD_LEN;
	case SHMEM_MSG_ECHO:
		return req->len <= SHMEM_CHAN_MSG_MAX(c->tx.size) ? SHMEM_STATUS_OK : SHMEM_STATUS_TOO_BIG;
	case SHMEM_MSG_CRC32:
	case SHMEM_MSG_FILL:
		return req->len == sizeof(struct shmem_svc_bulk) ? SHMEM_STATUS_OK : SHMEM_STATUS_BAD_LEN;
#ifdef SHAREDMEM_FW_FAULTS
	case SHMEM_MSG_FAULT:
		return req->len == sizeof(struct shmem_svc_fault) ? SHMEM_STATUS_OK : SHMEM_STATUS_BAD_LEN;
#endif
	default:
		return SHMEM_STATUS_BAD_TYPE;
	}
}

__u32 services_response_len(const struct channel *c, const struct shmem_chan_msg *req)
{
	if (check_request(c, req) != SHMEM_STATUS_OK)
		return 0;
	switch (req->type) {
	case SHMEM_MSG_PING:
		return sizeof(struct shmem_svc_ping);
	case SHMEM_MSG_ECHO:
		return req->len;
	case SHMEM_MSG_CRC32:
		return sizeof(struct shmem_svc_crc32);
	case SHMEM_MSG_FILL:
		return sizeof(struct shmem_svc_bulk);
	case SHMEM_MSG_STATS:
		return sizeof(struct shmem_svc_stats);
	case SHMEM_MSG_RPMSG_STATS:
		return sizeof(struct shmem_svc_rpmsg_stats);
	default:
		return 0;
	}
}

static __u32 ping(const struct channel *c, const struct shmem_chan_msg *req, unsigned char *out)
{
	wr32(out + 0, req->seq);
	wr32(out + 4, c->fw_version);
	wr32(out + 8, c->heartbeat);
	wr32(out + 12, c->rx_msgs);
	wr32(out + 16, c->tx_msgs);
	wr32(out + 20, c->bad_requests);
	wr32(out + 24, 0);
	wr32(out + 28, 0);
	return sizeof(struct shmem_svc_ping);
}

static __u32 stats(const struct channel *c, unsigned char *out)
{
	wr32(out + 0, c->fw_version);
	wr32(out + 4, c->state);
	wr32(out + 8, c->heartbeat);
	wr32(out + 12, c->rx_msgs);
	wr32(out + 16, c->tx_msgs);
	wr32(out + 20, c->bad_requests);
	wr32(out + 24, c->doorbells_in);
	wr32(out + 28, c->doorbells_out);
	wr32(out + 32, c->resets);
	wr32(out + 36, c->tx.pads);
	wr64(out + 40, c->rx_bytes);
	wr64(out + 48, c->tx_bytes);
	wr64(out + 56, c->bulk_bytes);
	return sizeof(struct shmem_svc_stats);
}

/*
 * Long requests are served in slices of at most SLICE bytes; between two
 * slices the heartbeat beats and a halt or reset request stops the request
 * (channel_should_stop()). The README's "Time budget" gives the worst time
 * of a slice on silicon; it must stay far below the watchdog's 2 s and the
 * stop's 2 s.
 */
#ifndef SLICE
#define SLICE	0x10000U	/* 64 KiB; a multiple of 4 (FILL's words stay aligned) */
#endif

/* Word k of the area is pattern + k * step; byte i is byte i % 4 of word i / 4. */
static void fill(unsigned char *p, __u32 length, __u32 pattern, __u32 step)
{
	volatile unsigned char *b = p;
	__u32 i = 0, word = pattern;

	if (((unsigned long)p & 3) == 0) {
		for (; i + 4 <= length; i += 4, word += step)
			*(volatile __u32 *)(volatile void *)(b + i) = word;
	} else {
		for (; i + 4 <= length; i += 4, word += step) {
			b[i] = (unsigned char)word;
			b[i + 1] = (unsigned char)(word >> 8);
			b[i + 2] = (unsigned char)(word >> 16);
			b[i + 3] = (unsigned char)(word >> 24);
		}
	}
	for (; i < length; i++)
		b[i] = (unsigned char)(word >> (8 * (i & 3)));
}

static __u32 bulk(struct channel *c, const struct shmem_chan_msg *req, const unsigned char *in,
		  unsigned char *out, __u32 *status)
{
	/* Each argument read once from the ring: only these copies are checked and used. */
	__u32 offset = rd32(in + 0), length = rd32(in + 4);
	__u32 pattern = rd32(in + 8), step = rd32(in + 12);
	unsigned char *area;
	__u32 done, n, crc = 0;

	/* Inside the bulk area, without an overflowing offset + length. */
	if (offset > c->bulk_size || length > c->bulk_size - offset) {
		*status = SHMEM_STATUS_BAD_RANGE;
		return 0;
	}
	if (req->type == SHMEM_MSG_CRC32 && (pattern || step)) {
		*status = SHMEM_STATUS_BAD_ARG;
		return 0;
	}
	area = c->bulk + offset;
	for (done = 0; done < length; done += n) {
		/* Not before the first slice: a request always makes progress. */
		if (done && channel_should_stop(c))
			return 0;
		n = length - done < SLICE ? length - done : SLICE;
		if (req->type == SHMEM_MSG_CRC32)
			crc = crc32_update(crc, area + done, n);
		else
			fill(area + done, n, pattern + (done / 4) * step, step);
		port_bulk_cost(n);
	}
	c->bulk_bytes += length;
	if (req->type == SHMEM_MSG_CRC32) {
		wr32(out + 0, crc);
		wr32(out + 4, offset);
		wr32(out + 8, length);
		wr32(out + 12, 0);
		return sizeof(struct shmem_svc_crc32);
	}
	wr32(out + 0, offset);
	wr32(out + 4, length);
	wr32(out + 8, pattern);
	wr32(out + 12, step);
	return sizeof(struct shmem_svc_bulk);
}

void services_handle(struct channel *c, const struct shmem_chan_msg *req, const unsigned char *in,
		     struct shmem_chan_msg *resp, unsigned char *out)
{
	__u32 status = check_request(c, req);
	__u32 len = 0;

	if (status == SHMEM_STATUS_OK) {
		switch (req->type) {
		case SHMEM_MSG_PING:
			len = ping(c, req, out);
			break;
		case SHMEM_MSG_ECHO:
			ring_copy_words(out, in, req->len);
			len = req->len;
			break;
		case SHMEM_MSG_CRC32:
		case SHMEM_MSG_FILL:
			len = bulk(c, req, in, out, &status);
			break;
		case SHMEM_MSG_STATS:
			len = stats(c, out);
			break;
		case SHMEM_MSG_RPMSG_STATS:
			rpmsg_write_stats(c->rpmsg, out);
			len = sizeof(struct shmem_svc_rpmsg_stats);
			break;
#ifdef SHAREDMEM_FW_FAULTS
		case SHMEM_MSG_FAULT:
			status = faults_accept(c, in);
			break;
#endif
		default:
			break;
		}
	}
	if (c->interrupted)
		return;	/* abandoned for a halt or reset request: no response */
	resp->len = len;
	resp->type = req->type;
	resp->flags = SHMEM_MSG_F_RESPONSE;
	resp->seq = req->seq;
	resp->status = status;
	resp->reserved[0] = 0;
	resp->reserved[1] = 0;
	resp->reserved[2] = 0;
	if (status != SHMEM_STATUS_OK)
		c->bad_requests++;
	c->rx_bytes += req->len;
	c->tx_bytes += len;
}
