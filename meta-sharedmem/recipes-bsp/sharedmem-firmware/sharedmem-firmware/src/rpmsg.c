// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPU1's RPMsg device (rpmsg.h). Lifecycle, following the vdev status that
 * Linux writes into the loaded resource table:
 *
 *   OFF      status without DRIVER_OK: the vrings are Linux's to set up, or
 *            Linux reset the vdev; CPU1 does not touch them.
 *   RUNNING  DRIVER_OK seen and the table's vrings are the compiled-in ones:
 *            rings attached from index 0, two name-service announcements,
 *            then echo.
 *   STOPPED  a bad value in a vring, or a table that names other vrings:
 *            one UART line with the value, nothing touched until the status
 *            drops (Linux resets the vdev), then OFF again. The channel is
 *            served all along.
 *
 * Flow control: a message is taken from Linux's TX vring only when an RX
 * buffer is there for its answer, so none is lost: a message left waiting
 * is taken when Linux returns RX buffers (it kicks after each batch it reads).
 */
#include "rpmsg.h"
#include "port.h"
#include "rsc_table.h"

#define STATUS_WORD	(RSC_VDEV_OFFSET + 24U)	/* status, num_of_vrings, reserved[2] */

static const char *const error_names[] = {
	[SHMEM_RPMSG_ERR_NONE] = "none",
	[SHMEM_RPMSG_ERR_TABLE] = "resource table vring",
	[SHMEM_RPMSG_ERR_AVAIL_IDX] = "avail.idx",
	[SHMEM_RPMSG_ERR_HEAD] = "avail.ring head",
	[SHMEM_RPMSG_ERR_DESC_ADDR] = "descriptor addr",
	[SHMEM_RPMSG_ERR_DESC_LEN] = "descriptor len",
	[SHMEM_RPMSG_ERR_DESC_FLAGS] = "descriptor flags",
	[SHMEM_RPMSG_ERR_MSG_LEN] = "rpmsg header len",
};

void rpmsg_init(struct rpmsg *rp, const void *table, void *window)
{
	unsigned char *p = (unsigned char *)rp;
	__u32 i;

	for (i = 0; i < sizeof(*rp); i++)
		p[i] = 0;
	rp->table = table;
	rp->window = window;
	rp->state = SHMEM_RPMSG_OFF;
}

void rpmsg_ring_linux(struct rpmsg *rp)
{
	rp->doorbells_out++;
	/* Everything announced is written before Linux can take the interrupt. */
	port_dsb();
	port_doorbell();
}

static char *append(char *at, const char *end, const char *text)
{
	while (*text && at < end)
		*at++ = *text++;
	return at;
}

/* A bad value: one log line with it, then nothing until the vdev is reset. */
static void stop(struct rpmsg *rp, const struct vring_error *e)
{
	char line[96], *at = line, *end = line + sizeof(line) - 1;
	char ring[] = "vring0 ";

	rp->state = SHMEM_RPMSG_STOPPED;
	rp->errors++;
	rp->error = e->error;
	rp->error_value = e->value;
	rp->error_vring = e->vring;
	ring[5] = (char)('0' + (e->vring & 1));
	at = append(at, end, "sharedmem-cpu1: rpmsg stopped until a vdev reset: ");
	if (e->error != SHMEM_RPMSG_ERR_TABLE)
		at = append(at, end, ring);
	at = append(at, end, e->error < sizeof(error_names) / sizeof(error_names[0]) ?
			     error_names[e->error] : "?");
	*at = 0;
	port_log_hex(line, e->value);
}

/* The loaded table must name the vrings this payload was built for: each field read once. */
static int check_table(struct rpmsg *rp, struct vring_error *e)
{
	static const __u32 want[2][3] = {
		{ RPMSG_VRING0_DA, RPMSG_VRING_ALIGN, RPMSG_VRING_NUM },
		{ RPMSG_VRING1_DA, RPMSG_VRING_ALIGN, RPMSG_VRING_NUM },
	};
	__u32 i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++) {
			__u32 got = rd32(rp->table + RSC_VDEV_OFFSET + 28 + 20 * i + 4 * j);

			if (got != want[i][j]) {
				e->error = SHMEM_RPMSG_ERR_TABLE;
				e->value = got;
				e->vring = i;
				return -1;
			}
		}
	return 0;
}

static void start(struct rpmsg *rp)
{
	struct vring_error e;

	rp->starts++;
	if (check_table(rp, &e)) {
		stop(rp, &e);
		return;
	}
	vring_attach(&rp->rx, rp->window + (RPMSG_VRING0_DA - RPMSG_WINDOW_DA), rp->window,
		     RPMSG_VRING_NUM, RPMSG_VRING_ALIGN, 0);
	vring_attach(&rp->tx, rp->window + (RPMSG_VRING1_DA - RPMSG_WINDOW_DA), rp->window,
		     RPMSG_VRING_NUM, RPMSG_VRING_ALIGN, 1);
	rp->announced = 0;
	rp->state = SHMEM_RPMSG_RUNNING;
	port_log("sharedmem-cpu1: rpmsg: DRIVER_OK, announcing rpmsg-tty (0x400) and rpmsg-raw (0x401)");
}

static void write_header(unsigned char *buf, __u32 src, __u32 dst, __u32 len)
{
	wr32(buf + 0, src);
	wr32(buf + 4, dst);
	wr32(buf + 8, 0);		/* reserved */
	wr32(buf + 12, len & 0xFFFF);	/* len, flags 0 */
}

/* A name-service announcement (struct rpmsg_ns_msg, RPMSG_NS_CREATE) in an RX buffer. */
static int announce(struct rpmsg *rp, struct vring_error *e)
{
	static const char *const names[] = { "rpmsg-tty", "rpmsg-raw" };
	static const __u32 addrs[] = { RPMSG_TTY_ADDR, RPMSG_RAW_ADDR };
	const char *name = names[rp->announced];
	struct vring_buf rb;
	__u32 i, k, w;

	if (vring_take(&rp->rx, VRING_DESC_F_WRITE, &rb, e))
		return -1;
	if (rb.len < RPMSG_HDR_SIZE + RPMSG_NS_MSG_SIZE) {
		e->error = SHMEM_RPMSG_ERR_DESC_LEN;
		e->value = rb.len;
		e->vring = 0;
		return -1;
	}
	write_header(rb.data, addrs[rp->announced], RPMSG_NS_ADDR, RPMSG_NS_MSG_SIZE);
	/* name[32], zero-padded, little-endian words. */
	for (i = 0; i < 32; i += 4) {
		for (w = 0, k = 0; k < 4; k++) {
			w |= (__u32)(unsigned char)*name << (8 * k);
			if (*name)
				name++;
		}
		wr32(rb.data + RPMSG_HDR_SIZE + i, w);
	}
	wr32(rb.data + RPMSG_HDR_SIZE + 32, addrs[rp->announced]);
	wr32(rb.data + RPMSG_HDR_SIZE + 36, 0);	/* RPMSG_NS_CREATE */
	vring_put(&rp->rx, rb.head, RPMSG_HDR_SIZE + RPMSG_NS_MSG_SIZE);
	rp->announced++;
	rp->announcements++;
	rp->tx_msgs++;
	return 0;
}

#ifdef SHAREDMEM_FW_FAULTS
/*
 * Corrupt the echo about to be put in the RX vring, if a fault is armed
 * (README, faults). 1: put its used entry twice.
 */
static int corrupt_echo(struct rpmsg *rp, struct vring_buf *rb, __u32 *used_id, __u32 *used_len)
{
	__u32 kind = rp->fault, value = rp->fault_value;
	int twice = 0;

	if (!kind || kind == SHMEM_FAULT_RPMSG_SCRIBBLE)	/* after the echo: scribble() */
		return 0;
	rp->fault = 0;
	switch (kind) {
	case SHMEM_FAULT_RPMSG_USED_IDX:
		/* Published with this echo: used.idx lands far past the entries written. */
		rp->rx.used_idx = (rp->rx.used_idx + (value ? value : 0x8000U)) & 0xFFFF;
		break;
	case SHMEM_FAULT_RPMSG_USED_ID:
		*used_id = rp->rx.num + value;
		break;
	case SHMEM_FAULT_RPMSG_USED_LEN:
		*used_len = value ? value : 0x10000U;
		break;
	case SHMEM_FAULT_RPMSG_MSG_LEN:
		wr32(rb->data + 12, value ? value & 0xFFFF : 0xFFFFU);
		break;
	case SHMEM_FAULT_RPMSG_NOT_HEAD:
		/*
		 * The echo's used entry twice in one publication: by the second,
		 * Linux has that buffer back already (its driver takes the used
		 * entries of a doorbell together, before virtio lends anything
		 * again), so the second names a buffer that is not out.
		 */
		twice = 1;
		break;
	default:
		break;
	}
	port_log_hex("sharedmem-cpu1: fault: rpmsg echo corrupted, kind", kind);
	return twice;
}

/*
 * SCRIBBLE: overwrite what Linux wrote for CPU1 and no longer lends it, so
 * that only a Linux that read it back could be hurt: the descriptor of a
 * buffer just returned (a chain into itself, NEXT | WRITE | INDIRECT, an
 * address `value` (0: 0, Linux's own memory) and a length of 4 GiB), its
 * avail slot (a head out of range), and, in the loaded resource table,
 * every field Linux wrote or could read except the status (which CPU1 itself
 * follows on every pass): notify ids, features, config length, the vrings'
 * addresses, alignments and sizes. CPU1 reads none of these again until
 * Linux lends the buffer again (its driver writes the descriptor and the
 * slot anew) or starts the vdev again (the table anew).
 */
static void scribble_desc(struct vring_dev *v, __u32 head, __u32 addr)
{
	unsigned char *d = v->desc + 16U * head;
	__u32 slot = (v->last_avail - 1U) & (v->num - 1U);

	wr32(d + 0, addr);		/* addr, low word */
	wr32(d + 4, 0);			/* addr, high word */
	wr32(d + 8, 0xFFFFFFFFU);	/* len */
	wr32(d + 12, (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT) | head << 16);
	*(volatile unsigned short *)(void *)(v->avail + 4U + 2U * slot) = 0xFFFFU;
}

static void scribble(struct rpmsg *rp, __u32 rx_head, __u32 tx_head, __u32 addr)
{
#define RSC_WORD(field)	((unsigned char)__builtin_offsetof(struct rsc_table, field))
	static const unsigned char table_words[] = {
		RSC_WORD(ver), RSC_WORD(num),
		RSC_WORD(vdev.notifyid), RSC_WORD(vdev.dfeatures), RSC_WORD(vdev.gfeatures), RSC_WORD(vdev.config_len),
		RSC_WORD(vdev.vring[0].da), RSC_WORD(vdev.vring[0].align),
		RSC_WORD(vdev.vring[0].num), RSC_WORD(vdev.vring[0].notifyid),
		RSC_WORD(vdev.vring[1].da), RSC_WORD(vdev.vring[1].align),
		RSC_WORD(vdev.vring[1].num), RSC_WORD(vdev.vring[1].notifyid),
	};
#undef RSC_WORD
	unsigned char *table = (unsigned char *)(unsigned long)rp->table;
	__u32 i;

	scribble_desc(&rp->rx, rx_head, addr);
	scribble_desc(&rp->tx, tx_head, addr);
	for (i = 0; i < sizeof(table_words); i++)
		wr32(table + table_words[i], 0xFFFFFFFFU);
	port_log_hex("sharedmem-cpu1: fault: rpmsg scribbled over Linux's descriptors and table, addr", addr);
}

void rpmsg_arm_fault(struct rpmsg *rp, __u32 kind, __u32 value)
{
	rp->fault = kind;
	rp->fault_value = value;
}
#endif

/*
 * One message from Linux's TX vring (an RX buffer is available): echo it
 * from the endpoint it was sent to, or drop it (no such endpoint).
 */
static int serve_one(struct rpmsg *rp, struct vring_error *e)
{
	struct vring_buf tb, rb;
	__u32 src, dst, len, used_id, used_len;
	int twice = 0;

	if (vring_take(&rp->tx, 0, &tb, e))
		return -1;
	/* The header, each word read once. */
	src = rd32(tb.data + 0);
	dst = rd32(tb.data + 4);
	len = rd32(tb.data + 12) & 0xFFFF;	/* len; flags and reserved are not used */
	if (len > tb.len - RPMSG_HDR_SIZE) {
		e->error = SHMEM_RPMSG_ERR_MSG_LEN;
		e->value = len;
		e->vring = 1;
		return -1;
	}
	rp->rx_msgs++;
	rp->rx_bytes += len;
	if (dst == RPMSG_TTY_ADDR || dst == RPMSG_RAW_ADDR) {
		if (vring_take(&rp->rx, VRING_DESC_F_WRITE, &rb, e))
			return -1;
		if (rb.len < RPMSG_HDR_SIZE + len) {
			e->error = SHMEM_RPMSG_ERR_DESC_LEN;
			e->value = rb.len;
			e->vring = 0;
			return -1;
		}
		write_header(rb.data, dst, src, len);
		vring_copy(rb.data + RPMSG_HDR_SIZE, tb.data + RPMSG_HDR_SIZE, len);
		used_id = rb.head;
		used_len = RPMSG_HDR_SIZE + len;
#ifdef SHAREDMEM_FW_FAULTS
		twice = corrupt_echo(rp, &rb, &used_id, &used_len);
#endif
		vring_put(&rp->rx, used_id, used_len);
		if (twice)
			vring_put(&rp->rx, used_id, used_len);
#ifdef SHAREDMEM_FW_FAULTS
		if (rp->fault == SHMEM_FAULT_RPMSG_SCRIBBLE) {
			/* Both buffers read for the last time: the TX one goes back below. */
			rp->fault = 0;
			scribble(rp, rb.head, tb.head, rp->fault_value);
		}
#endif
		rp->tx_msgs++;
		rp->tx_bytes += len;
	} else {
		rp->dropped++;
	}
	/* Linux's TX buffers are read-only for CPU1: nothing written into them. */
	vring_put(&rp->tx, tb.head, 0);
	return 0;
}

static int serve(struct rpmsg *rp)
{
	struct vring_error e;
	__u32 done = 0;
	int ring;

	if (vring_refresh(&rp->rx, &e) || vring_refresh(&rp->tx, &e))
		goto bad;
	while (rp->announced < 2 && vring_pending(&rp->rx)) {
		if (announce(rp, &e))
			goto bad;
		done++;
	}
	/* A message is taken only with an RX buffer for its answer: none is lost. */
	while (rp->announced == 2 && done < RPMSG_BATCH && vring_pending(&rp->tx) &&
	       vring_pending(&rp->rx)) {
		if (serve_one(rp, &e))
			goto bad;
		done++;
	}
	/* One doorbell for the batch, if a vring with new used entries wants one. */
	ring = vring_publish(&rp->rx) && vring_wants_interrupt(&rp->rx);
	if (vring_publish(&rp->tx) && vring_wants_interrupt(&rp->tx))
		ring = 1;
	if (ring)
		rpmsg_ring_linux(rp);
	return done == RPMSG_BATCH ? RPMSG_BUSY : RPMSG_IDLE;
bad:
	/* Nothing more is published: the vrings are not to be trusted. */
	stop(rp, &e);
	return RPMSG_IDLE;
}

int rpmsg_poll(struct rpmsg *rp)
{
	/* One read of the status word; only its copy decides. */
	__u32 status = rd32(rp->table + STATUS_WORD) & 0xFF;
	int up = (status & VIRTIO_CONFIG_S_DRIVER_OK) && !(status & VIRTIO_CONFIG_S_FAILED);

	rp->status = status;
	if (rp->state == SHMEM_RPMSG_OFF) {
		if (!up) {
			if (!rp->waiting_logged)
				port_log_hex("sharedmem-cpu1: rpmsg: waiting for DRIVER_OK, vdev status", status);
			rp->waiting_logged = 1;
			return RPMSG_IDLE;
		}
		start(rp);
		return RPMSG_BUSY;
	}
	if (!up) {
		/* Linux reset the vdev (stop, crash recovery, a new probe): hands off the vrings at once. */
		rp->state = SHMEM_RPMSG_OFF;
		rp->waiting_logged = 0;
		port_log_hex("sharedmem-cpu1: rpmsg: vdev reset by Linux, status", status);
		return RPMSG_BUSY;
	}
	if (rp->state == SHMEM_RPMSG_STOPPED)
		return RPMSG_IDLE;
	return serve(rp);
}

void rpmsg_write_stats(const struct rpmsg *rp, unsigned char *out)
{
	wr32(out + 0, rp->state);
	wr32(out + 4, rp->status);
	wr32(out + 8, rp->rx_msgs);
	wr32(out + 12, rp->tx_msgs);
	wr32(out + 16, rp->announcements);
	wr32(out + 20, rp->dropped);
	wr32(out + 24, rp->errors);
	wr32(out + 28, rp->error);
	wr32(out + 32, rp->error_value);
	wr32(out + 36, rp->error_vring);
	wr32(out + 40, rp->doorbells_out);
	wr32(out + 44, rp->starts);
	wr32(out + 48, (__u32)rp->rx_bytes);
	wr32(out + 52, (__u32)(rp->rx_bytes >> 32));
	wr32(out + 56, (__u32)rp->tx_bytes);
	wr32(out + 60, (__u32)(rp->tx_bytes >> 32));
}
