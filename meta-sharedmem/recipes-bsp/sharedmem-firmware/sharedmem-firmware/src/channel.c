// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPU1's side of the sharedmem channel protocol (sharedmem_channel.h):
 * wait for a valid control block, validate it, serve requests, honour reset
 * and halt requests. Anything Linux wrote is validated before use; a bad
 * value sets state BROKEN with the reason and the value, and CPU1 then waits
 * for a reset (host.reset_gen changes) or a halt.
 */
#include "channel.h"
#include "faults.h"
#include "port.h"
#include "services.h"

#define BATCH	64	/* requests served per round before looking at halt/reset */

static int is_pow2(__u32 v)
{
	return v && !(v & (v - 1));
}

/* [a, a + as) and [b, b + bs) overlap? (Both end within the region: no overflow.) */
static int overlap(__u32 a, __u32 as, __u32 b, __u32 bs)
{
	return as && bs && a < b + bs && b < a + as;
}

static void publish_counters(struct channel *c)
{
	volatile struct shmem_chan_cpu1 *l = &c->ctrl->cpu1;

	l->rx_msgs = c->rx_msgs;
	l->tx_msgs = c->tx_msgs;
	l->bad_requests = c->bad_requests;
	l->doorbells_in = c->doorbells_in;
	l->doorbells_out = c->doorbells_out;
	l->resets = c->resets;
}

void channel_ring_linux(struct channel *c)
{
	c->doorbells_out++;
	publish_counters(c);
	/* Everything announced is written before Linux can take the interrupt. */
	port_dsb();
	port_doorbell();
}

void channel_set_state(struct channel *c, __u32 state)
{
	c->state = state;
	/* Whatever the new state describes is visible before the state itself. */
	port_dmb();
	c->ctrl->cpu1.state = state;
}

static void broken(struct channel *c, __u32 error, __u32 value, __u32 ring)
{
	volatile struct shmem_chan_cpu1 *l = &c->ctrl->cpu1;

	l->error = error;
	l->error_value = value;
	l->error_ring = ring;
	c->attached = 0;
	channel_set_state(c, SHMEM_CPU1_BROKEN);
	port_log_hex("sharedmem-cpu1: channel broken, reason", error);
	port_log_hex("sharedmem-cpu1:   bad value", value);
	channel_ring_linux(c);
}

/*
 * Copy the config line into private memory, each word read once: Linux (or
 * a group member who maps the channel) may rewrite it at any time, so only
 * the copy is validated and used.
 */
static void read_config(const struct channel *c, struct shmem_chan_config *cfg)
{
	const unsigned char *line = (const unsigned char *)(const volatile void *)&c->ctrl->config;
	__u32 *words = (__u32 *)(void *)cfg;
	__u32 i;

	for (i = 0; i < sizeof(*cfg) / 4; i++)
		words[i] = rd32(line + 4 * i);
}

/* Check a private copy of the config line: 0, or the SHMEM_CHAN_ERR_* (value in *bad). */
static __u32 check_config(const struct channel *c, const struct shmem_chan_config *cfg, __u32 *bad)
{
	__u32 total = cfg->total_size, ctrl_size = cfg->ctrl_size;
	__u32 off[SHMEM_CHAN_NR_RINGS + 1], size[SHMEM_CHAN_NR_RINGS + 1];
	__u32 i, j;

	*bad = cfg->magic;
	if (cfg->magic != SHMEM_CHAN_MAGIC)
		return SHMEM_CHAN_ERR_MAGIC;
	*bad = cfg->version;
	if (cfg->version != SHMEM_CHAN_VERSION)
		return SHMEM_CHAN_ERR_VERSION;
	*bad = total;
	if (total < SHMEM_CHAN_CTRL_SIZE || total > c->region_size || total % SHMEM_CHAN_RING_ALIGN)
		return SHMEM_CHAN_ERR_TOTAL_SIZE;
	*bad = ctrl_size;
	if (ctrl_size != SHMEM_CHAN_CTRL_SIZE)
		return SHMEM_CHAN_ERR_CTRL_SIZE;
	for (i = 0; i < 6; i++) {
		*bad = cfg->reserved[i];
		if (cfg->reserved[i])
			return SHMEM_CHAN_ERR_RESERVED;
	}
	for (i = 0; i < SHMEM_CHAN_NR_RINGS; i++) {
		off[i] = cfg->ring[i].offset;
		size[i] = cfg->ring[i].size;
		*bad = off[i];
		if (off[i] % SHMEM_CHAN_RING_ALIGN || off[i] < ctrl_size || off[i] > total)
			return SHMEM_CHAN_ERR_RING_OFFSET;
		*bad = size[i];
		if (!is_pow2(size[i]) || size[i] < SHMEM_CHAN_RING_MIN || size[i] > total - off[i])
			return SHMEM_CHAN_ERR_RING_SIZE;
	}
	off[i] = cfg->bulk_offset;
	size[i] = cfg->bulk_size;
	*bad = off[i];
	if (off[i] % SHMEM_CHAN_RING_ALIGN || off[i] < ctrl_size || off[i] > total)
		return SHMEM_CHAN_ERR_BULK;
	*bad = size[i];
	if (size[i] > total - off[i])
		return SHMEM_CHAN_ERR_BULK;
	for (i = 0; i <= SHMEM_CHAN_NR_RINGS; i++)
		for (j = i + 1; j <= SHMEM_CHAN_NR_RINGS; j++) {
			*bad = off[j];
			if (overlap(off[i], size[i], off[j], size[j]))
				return SHMEM_CHAN_ERR_OVERLAP;
		}
	*bad = 0;
	return SHMEM_CHAN_ERR_NONE;
}

/*
 * (Re)start serving generation `reset_gen`: validate the private copy of the
 * config line, attach the rings from it (never from shared memory again),
 * READY or BROKEN.
 */
static void attach(struct channel *c, const struct shmem_chan_config *cfg, __u32 reset_gen)
{
	volatile struct shmem_chan_cpu1 *l = &c->ctrl->cpu1;
	__u32 bad, error;

	c->reset_gen = reset_gen;
	error = check_config(c, cfg, &bad);
	if (error) {
		/* Acknowledge first: Linux waits for the ack, then reads the final state. */
		l->reset_ack = c->reset_gen;
		broken(c, error, bad, 0);
		return;
	}
	ring_attach(&c->rx, c->ctrl, c->base, SHMEM_CHAN_RING_TO_CPU1, &cfg->ring[0], 0);
	ring_attach(&c->tx, c->ctrl, c->base, SHMEM_CHAN_RING_TO_LINUX, &cfg->ring[1], 1);
	c->bulk = c->base + cfg->bulk_offset;
	c->bulk_size = cfg->bulk_size;
	c->attached = 1;
	l->error = SHMEM_CHAN_ERR_NONE;
	l->error_value = 0;
	l->error_ring = 0;
	l->fw_version = c->fw_version;
	l->reset_ack = c->reset_gen;
	channel_set_state(c, SHMEM_CPU1_READY);
	port_log("sharedmem-cpu1: channel ready");
	channel_ring_linux(c);
}

void channel_init(struct channel *c, void *base, __u32 region_size, __u32 fw_version)
{
	unsigned char *p = (unsigned char *)c;
	__u32 i;

	for (i = 0; i < sizeof(*c); i++)
		p[i] = 0;
	c->ctrl = (volatile struct shmem_chan_ctrl *)base;
	c->base = base;
	c->region_size = region_size;
	c->fw_version = fw_version;
	c->state = SHMEM_CPU1_OFFLINE;
}

int channel_halt_requested(const struct channel *c)
{
	return SH_RD(c->ctrl->host.halt_request) == SHMEM_CHAN_HALT_REQUEST;
}

int channel_should_stop(struct channel *c)
{
	port_yield();
	if (channel_halt_requested(c) || SH_RD(c->ctrl->host.reset_gen) != c->reset_gen) {
		c->interrupted = 1;
		return 1;
	}
	return 0;
}

void channel_doorbell_in(struct channel *c)
{
	c->doorbells_in++;
}

void channel_heartbeat(struct channel *c)
{
	/* Counted privately: the cpu1 line is only written here, never read back. */
	if (c->state != SHMEM_CPU1_OFFLINE) {
		c->heartbeat++;
		c->ctrl->cpu1.heartbeat = c->heartbeat;
	}
}

void channel_halted(struct channel *c)
{
	channel_set_state(c, SHMEM_CPU1_HALTED);
	port_log("sharedmem-cpu1: halted, back to the park loop");
	channel_ring_linux(c);
}

/* Serve one request if there is one and room for its response. */
static int serve_one(struct channel *c)
{
	struct shmem_chan_msg req, resp;
	struct ring_fault fault;
	unsigned char *in, *out;
	__u32 record;
	int st;

	st = ring_peek(&c->rx, &req, &in, &fault);
	if (st == RING_OK)
		st = ring_reserve(&c->tx, services_response_len(c, &req), &out, &fault);
	if (st == RING_FAULT) {
		/* A reset in progress moves the indices under our feet: not a fault. */
		if (SH_RD(c->ctrl->host.reset_gen) != c->reset_gen)
			return 0;
		broken(c, fault.error, fault.value, fault.ring);
		return 0;
	}
	if (st == RING_EMPTY)
		return 0;
	services_handle(c, &req, in, &resp, out);
	if (c->interrupted)
		return 0;	/* a halt or reset came first: no response, nothing consumed */
	record = SHMEM_CHAN_MSG_RECORD(resp.len);
#ifdef SHAREDMEM_FW_FAULTS
	faults_corrupt_response(c, &resp, out);
#endif
	ring_publish_record(&c->tx, &resp, record);
	ring_consume(&c->rx, &req);
	c->rx_msgs++;
	c->tx_msgs++;
	return 1;
}

int channel_poll(struct channel *c)
{
	volatile struct shmem_chan_ctrl *ctrl = c->ctrl;
	struct shmem_chan_config cfg;
	__u32 published, gen;
	int served = 0;
#ifdef SHAREDMEM_FW_FAULTS
	int fault;
#endif

	c->interrupted = 0;
	if (c->state == SHMEM_CPU1_OFFLINE) {
		/* One copy of the line: its magic decides, the same copy is validated. */
		read_config(c, &cfg);
		/* Nothing is written into the region until its magic says it is a channel. */
		if (cfg.magic != SHMEM_CHAN_MAGIC) {
			if (!c->waiting_logged)
				port_log_hex("sharedmem-cpu1: waiting for Linux: no valid control block, magic",
					     cfg.magic);
			c->waiting_logged = 1;
			return CHANNEL_IDLE;
		}
		channel_set_state(c, SHMEM_CPU1_BOOTING);
		attach(c, &cfg, SH_RD(ctrl->host.reset_gen));
		return CHANNEL_BUSY;
	}
	if (channel_halt_requested(c)) {
		channel_set_state(c, SHMEM_CPU1_HALTING);
		return CHANNEL_HALT;
	}
	gen = SH_RD(ctrl->host.reset_gen);
	if (gen != c->reset_gen) {
		c->resets++;
		port_log("sharedmem-cpu1: channel reset by Linux");
		/* Not READY until the new generation is acknowledged and checked. */
		channel_set_state(c, SHMEM_CPU1_BOOTING);
		read_config(c, &cfg);
		attach(c, &cfg, gen);
		return CHANNEL_BUSY;
	}
	if (!c->attached)
		return CHANNEL_IDLE;
	published = c->tx.own;
	/*
	 * A FAULT request ends the batch: the fault applies before the next one.
	 * Between requests, as between the slices of one, the heartbeat beats
	 * and a halt or reset request ends the batch.
	 */
	while (served < BATCH && !c->fault.kind && serve_one(c)) {
		served++;
		/* (Not after a FAULT request: its fault follows its answer at once.) */
		if (!c->fault.kind && channel_should_stop(c))
			break;
	}
#ifdef SHAREDMEM_FW_FAULTS
	/*
	 * A POKE or RESPONSE fault is in place before Linux is rung for the
	 * answer that accepted it: a requester who sends its next request as
	 * soon as it is rung meets the fault (HANG, UNDEF, SILENT: after this
	 * function returns).
	 */
	fault = c->fault.kind ? faults_apply(c) : CHANNEL_IDLE;
#endif
	/*
	 * Ring for whatever was published, a PAD record included: a PAD that
	 * ring_reserve() wrote before finding no room for the response itself
	 * is what Linux must consume to make that room, and Linux sleeps until
	 * it is rung.
	 */
	if (served || c->tx.own != published)
		channel_ring_linux(c);
#ifdef SHAREDMEM_FW_FAULTS
	if (fault == CHANNEL_FAULT)
		return CHANNEL_FAULT;
#endif
	/* Interrupted: poll again at once, where the halt or reset is handled. */
	return served == BATCH || c->interrupted ? CHANNEL_BUSY : CHANNEL_IDLE;
}
