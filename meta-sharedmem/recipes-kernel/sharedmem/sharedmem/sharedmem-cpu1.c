// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: CPU1's lifecycle through the kernel's remoteproc framework, and
 * the doorbells between Linux and CPU1.
 *
 * Start (the Zynq-7000 BootROM protocol, UG585 "Starting code on CPU 1"):
 * after the BootROM, CPU1 waits in on-chip memory, looping on `wfe` until the
 * word at 0xFFFFFFF0 differs from the loop's own address 0xFFFFFF2C, then
 * jumps to it with the MMU and caches off. remoteproc loads the ELF into the
 * cpu1-firmware region (segments elsewhere are refused), this driver writes
 * the channel's control block, the entry point into that mailbox, and
 * executes DSB and SEV. start() returns once the payload reports READY.
 *
 * Stop is cooperative first: Linux sets the halt request and rings; the
 * payload resets the mailbox, reports HALTED and returns to the park loop.
 * A payload that does not within the timeout (hung, crashed, interrupts
 * masked) is reset through the SLCR (sharedmem-reset.c) into a park loop of
 * the driver's, on stop, in crash recovery, after a failed start and at
 * unload. remoteproc's state follows what CPU1 confirmed: a stop whose reset
 * did not take fails, and CPU1 does not count as parked.
 *
 * What decides (SECURITY.md): the channel's control block is mapped by every
 * member of group sharedmem, so nothing read from it protects Linux. Whether
 * CPU1 may be loaded is the driver's own `parked`, set only when the BootROM
 * mailbox (on-chip memory no user can map; after a start only CPU1 writes it)
 * is back at the park loop's address. A user who writes HALTED into
 * cpu1.state can at worst make a stop wait for its timeout, never make the
 * driver load segments over a running CPU1.
 *
 * Doorbells: Linux -> CPU1 is SGI 15, targeted at CPU1 only through
 * GICD_SGIR (Linux's own IPIs are SGIs 0-7). CPU1 -> Linux pends SPI 29
 * (the node's interrupt); its handler only counts and wakes (STYLE: the
 * heavy lifting is in process context). A CPU1 that rings faster than
 * `doorbell_limit` times per SHAREDMEM_CPU1_FLOOD_WINDOW would hold Linux's
 * only CPU in hard interrupts: the handler masks the interrupt and a work
 * item reports CPU1 crashed; the next start unmasks it.
 *
 * Heartbeat: while CPU1 runs, a delayed work checks that cpu1.heartbeat
 * moves; when it has not for SHAREDMEM_CPU1_HEARTBEAT_MISSES periods, the
 * payload is declared crashed (rproc_report_crash), and remoteproc's
 * recovery stops and starts it again.
 */

#include <linux/delay.h>
#include <linux/elf.h>
#include <linux/firmware.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/of_irq.h>
#include <linux/platform_device.h>
#include <linux/remoteproc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <asm/outercache.h>

#include "sharedmem-priv.h"
#include "include/uapi/misc/sharedmem_channel.h"

#define SHAREDMEM_CPU1_FIRMWARE		"sharedmem-cpu1.elf"
#define SHAREDMEM_CPU1_START_TIMEOUT	(2 * HZ)
#define SHAREDMEM_CPU1_STOP_TIMEOUT	(2 * HZ)
#define SHAREDMEM_CPU1_HEARTBEAT_PERIOD	(HZ / 2)
#define SHAREDMEM_CPU1_HEARTBEAT_MISSES	4
#define SHAREDMEM_CPU1_FLOOD_WINDOW	(HZ / 10)
/*
 * 10,000 per 100 ms: twice what RPMsg one message at a time may ring on a
 * 667 MHz A9 (a round trip of 20 us or more), while that rate in hard
 * interrupts (about 2 us each) leaves CPU0 four fifths of its time; a payload
 * ringing in a loop reaches millions a second. The driver's README has the
 * arithmetic ("Doorbell budget on silicon").
 */
#define SHAREDMEM_CPU1_DOORBELL_LIMIT	10000

/* Bit of sharedmem_cpu1::flags: the doorbell interrupt is masked (flood). */
#define SHAREDMEM_CPU1_IRQ_MASKED	0

static unsigned int sharedmem_doorbell_limit = SHAREDMEM_CPU1_DOORBELL_LIMIT;
module_param_named(doorbell_limit, sharedmem_doorbell_limit, uint, 0644);
MODULE_PARM_DESC(doorbell_limit,
		 "doorbells from CPU1 per 100 ms above which it is flooding: masked, reported crashed (10000; 0: no limit)");

/* Per-SoC constants (imx_rproc style: a table behind of_device_id.data). */
struct sharedmem_cpu1_soc {
	phys_addr_t mailbox;	/* the BootROM's CPU1 start word */
	u32 park_loop;		/* the BootROM loop's address: "keep waiting" */
	u32 doorbell_sgi;	/* SGI that rings CPU1 */
	u32 cpu1_mask;		/* GICD_SGIR CPU target list: CPU1 only */
};

static const struct sharedmem_cpu1_soc sharedmem_zynq7000_cpu1 = {
	.mailbox = 0xfffffff0,
	.park_loop = 0xffffff2c,
	.doorbell_sgi = 15,
	.cpu1_mask = BIT(1),
};

#define GICD_SGIR			0xf00
#define GICD_SGIR_TARGET_LIST(mask)	((mask) << 16)

/**
 * struct sharedmem_cpu1 - CPU1 as a remote processor
 * @dev: the platform device
 * @rproc: its remoteproc; @rproc->lock serialises start, stop and recovery
 * @soc: per-SoC constants
 * @firmware: the cpu1-firmware region: the only place ELF segments may go
 * @channel: the sharedmem-channel node: control block, poll() waiters
 * @mailbox: the BootROM mailbox word (Device memory, OCM)
 * @sgir: GICD_SGIR, to ring CPU1
 * @state_wait: start() and stop() wait here for cpu1.state; the doorbell
 *              interrupt wakes it
 * @heartbeat_work: checks cpu1.heartbeat while CPU1 runs
 * @last_heartbeat: heartbeat seen last (only @heartbeat_work uses it)
 * @misses: periods without a new heartbeat (only @heartbeat_work uses it)
 * @epoch: starts so far, written into host.epoch (under @rproc->lock)
 * @parked: CPU1 waits in the BootROM park loop, as far as the driver knows:
 *          nothing may be loaded into cpu1-firmware otherwise. Under
 *          @rproc->lock; set at probe and by a halt that CPU1 confirmed in
 *          the mailbox, cleared when an entry point is written
 * @irq: the doorbell interrupt
 * @flags: SHAREDMEM_CPU1_IRQ_MASKED (atomic bit operations)
 * @flood_start: start of the current counting window (only the doorbell
 *               handler uses it: one interrupt, never concurrent with itself)
 * @flood_count: doorbells in that window (same)
 * @flood_work: reports the flood (process context)
 * @reset: CPU1's hard reset (sharedmem-reset.c)
 * @rpmsg: CPU1's virtio device (sharedmem-rpmsg.c), NULL without its memory
 * @rpmsg_crashed: a broken ring was reported since the start (doorbell
 *                 thread, under @rproc->lock)
 */
struct sharedmem_cpu1 {
	struct device *dev;
	struct rproc *rproc;
	const struct sharedmem_cpu1_soc *soc;
	struct sharedmem_region *firmware;
	struct sharedmem_node *channel;
	void __iomem *mailbox;
	void __iomem *sgir;
	wait_queue_head_t state_wait;
	struct delayed_work heartbeat_work;
	u32 last_heartbeat;
	unsigned int misses;
	u32 epoch;
	bool parked;
	int irq;
	unsigned long flags;
	unsigned long flood_start;
	unsigned int flood_count;
	struct work_struct flood_work;
	struct sharedmem_cpu1_reset *reset;
	struct sharedmem_rpmsg *rpmsg;
	bool rpmsg_crashed;
};

static struct shmem_chan_ctrl *sharedmem_cpu1_ctrl(struct sharedmem_cpu1 *cpu1)
{
	return cpu1->channel->region.vaddr;
}

static u32 sharedmem_cpu1_state(struct sharedmem_cpu1 *cpu1)
{
	return READ_ONCE(sharedmem_cpu1_ctrl(cpu1)->cpu1.state);
}

static const char *const sharedmem_cpu1_state_names[] = {
	[SHMEM_CPU1_OFFLINE] = "offline",
	[SHMEM_CPU1_BOOTING] = "booting",
	[SHMEM_CPU1_READY] = "ready",
	[SHMEM_CPU1_HALTING] = "halting",
	[SHMEM_CPU1_HALTED] = "halted",
	[SHMEM_CPU1_CRASHED] = "crashed",
	[SHMEM_CPU1_BROKEN] = "broken",
};

/* cpu1.state is CPU1's to write: never index with it unchecked. */
static const char *sharedmem_cpu1_state_name(u32 state)
{
	if (state < ARRAY_SIZE(sharedmem_cpu1_state_names))
		return sharedmem_cpu1_state_names[state];
	return "invalid";
}

/* Ring CPU1 (SGI 15 to CPU1 only). */
void sharedmem_cpu1_ring(struct sharedmem_cpu1 *cpu1)
{
	struct shmem_chan_ctrl *ctrl = sharedmem_cpu1_ctrl(cpu1);

	WRITE_ONCE(ctrl->host.doorbells, READ_ONCE(ctrl->host.doorbells) + 1);
	/*
	 * writel() starts with wmb(): DSB plus, with an outer cache, a PL310
	 * sync. Every store to the channel (write-combined) is then complete
	 * before CPU1 can take the interrupt and look.
	 */
	writel(GICD_SGIR_TARGET_LIST(cpu1->soc->cpu1_mask) | cpu1->soc->doorbell_sgi, cpu1->sgir);
}

/* More than doorbell_limit doorbells in the current window? */
static bool sharedmem_cpu1_flooding(struct sharedmem_cpu1 *cpu1)
{
	unsigned int limit = READ_ONCE(sharedmem_doorbell_limit);

	/* (In range, not after: a window idle for 2^31 jiffies is over too.) */
	if (!time_in_range(jiffies, cpu1->flood_start,
			   cpu1->flood_start + SHAREDMEM_CPU1_FLOOD_WINDOW)) {
		cpu1->flood_start = jiffies;
		cpu1->flood_count = 0;
	}
	return limit && ++cpu1->flood_count > limit;
}

/* CPU1 rang Linux: wake start/stop and the channel's poll() waiters. */
static irqreturn_t sharedmem_cpu1_doorbell(int irq, void *data)
{
	struct sharedmem_cpu1 *cpu1 = data;

	if (sharedmem_cpu1_flooding(cpu1)) {
		/* Masked until the next start; the report needs process context. */
		if (!test_and_set_bit(SHAREDMEM_CPU1_IRQ_MASKED, &cpu1->flags)) {
			disable_irq_nosync(irq);
			schedule_work(&cpu1->flood_work);
		}
		return IRQ_HANDLED;
	}
	sharedmem_node_signal(cpu1->channel);
	wake_up(&cpu1->state_wait);
	/* Used RPMsg buffers are collected in process context. */
	return sharedmem_rpmsg_live(cpu1->rpmsg) ? IRQ_WAKE_THREAD : IRQ_HANDLED;
}

/*
 * The doorbell's thread: CPU1's used RPMsg buffers, validated, to virtio.
 * Under rproc->lock, which remoteproc holds while it deletes the virtqueues
 * (rproc_stop), and only while CPU1 runs: the rings exist then. The line is
 * not kept masked while this waits for the lock (no IRQF_ONESHOT): a start
 * that holds it waits for CPU1's READY through the hard handler.
 */
static irqreturn_t sharedmem_cpu1_doorbell_thread(int irq, void *data)
{
	struct sharedmem_cpu1 *cpu1 = data;
	struct rproc *rproc = cpu1->rproc;

	mutex_lock(&rproc->lock);
	if (rproc->state == RPROC_RUNNING && !cpu1->rpmsg_crashed &&
	    sharedmem_rpmsg_interrupt(cpu1->rpmsg)) {
		cpu1->rpmsg_crashed = true;
		WRITE_ONCE(sharedmem_cpu1_ctrl(cpu1)->cpu1.state, SHMEM_CPU1_CRASHED);
		sharedmem_node_signal(cpu1->channel);
		/* Recovery takes the rpmsg devices away and brings them back. */
		rproc_report_crash(rproc, RPROC_FATAL_ERROR);
	}
	mutex_unlock(&rproc->lock);
	return IRQ_HANDLED;
}

/* The control block for the region's size, before CPU1 runs (see the header). */
static int sharedmem_cpu1_init_channel(struct sharedmem_cpu1 *cpu1)
{
	struct shmem_chan_ctrl *ctrl = sharedmem_cpu1_ctrl(cpu1);
	size_t size = cpu1->channel->region.size;
	struct shmem_chan_config *config = &ctrl->config;

	if (size < SHMEM_CHAN_DEFAULT_TOTAL_SIZE || size > U32_MAX) {
		dev_err(cpu1->dev, "the channel region has %zu bytes; the layout needs %u\n", size,
			SHMEM_CHAN_DEFAULT_TOTAL_SIZE);
		return -EINVAL;
	}
	memset(ctrl, 0, sizeof(*ctrl));
	config->magic = SHMEM_CHAN_MAGIC;
	config->version = SHMEM_CHAN_VERSION;
	config->total_size = size;
	config->ctrl_size = SHMEM_CHAN_CTRL_SIZE;
	config->ring[SHMEM_CHAN_RING_TO_CPU1].offset = SHMEM_CHAN_DEFAULT_RING0_OFFSET;
	config->ring[SHMEM_CHAN_RING_TO_CPU1].size = SHMEM_CHAN_DEFAULT_RING_SIZE;
	config->ring[SHMEM_CHAN_RING_TO_LINUX].offset = SHMEM_CHAN_DEFAULT_RING1_OFFSET;
	config->ring[SHMEM_CHAN_RING_TO_LINUX].size = SHMEM_CHAN_DEFAULT_RING_SIZE;
	config->bulk_offset = SHMEM_CHAN_DEFAULT_BULK_OFFSET;
	config->bulk_size = size - SHMEM_CHAN_DEFAULT_BULK_OFFSET;
	ctrl->cpu1.state = SHMEM_CPU1_OFFLINE;
	/* Users of the channel compare it with the epoch they attached to. */
	ctrl->host.epoch = ++cpu1->epoch;
	return 0;
}

/* Has CPU1 left OFFLINE/BOOTING since the start? */
static bool sharedmem_cpu1_settled(struct sharedmem_cpu1 *cpu1)
{
	u32 state = sharedmem_cpu1_state(cpu1);

	return state != SHMEM_CPU1_OFFLINE && state != SHMEM_CPU1_BOOTING;
}

/*
 * Is CPU1 on its way back into the park loop? Only CPU1 writes the mailbox
 * back to the loop's address after a start (the payload does it just before
 * it reports HALTED), and no user can map on-chip memory: unlike cpu1.state,
 * users cannot fake it.
 */
static bool sharedmem_cpu1_mailbox_parked(struct sharedmem_cpu1 *cpu1)
{
	return readl(cpu1->mailbox) == cpu1->soc->park_loop;
}

/* Halted: CPU1 said so (cpu1.state) and confirmed it (the mailbox). */
static bool sharedmem_cpu1_halted(struct sharedmem_cpu1 *cpu1)
{
	return sharedmem_cpu1_state(cpu1) == SHMEM_CPU1_HALTED &&
	       sharedmem_cpu1_mailbox_parked(cpu1);
}

/* Called with rproc->lock held (start, stop). */
static int sharedmem_cpu1_halt(struct sharedmem_cpu1 *cpu1)
{
	struct shmem_chan_ctrl *ctrl = sharedmem_cpu1_ctrl(cpu1);
	unsigned long deadline = jiffies + SHAREDMEM_CPU1_STOP_TIMEOUT;

	/*
	 * The host line is writable by every user of the channel node: one
	 * that scribbles over it must not be able to cancel a stop. The
	 * request is written again, and CPU1 rung again, every tenth of the
	 * timeout until CPU1 reports HALTED.
	 */
	while (!sharedmem_cpu1_halted(cpu1)) {
		if (time_after_eq(jiffies, deadline))
			return -ETIMEDOUT;
		WRITE_ONCE(ctrl->host.halt_request, SHMEM_CHAN_HALT_REQUEST);
		sharedmem_cpu1_ring(cpu1);
		wait_event_timeout(cpu1->state_wait, sharedmem_cpu1_halted(cpu1),
				   max(SHAREDMEM_CPU1_STOP_TIMEOUT / 10, 1));
	}
	/*
	 * Never written here: a mailbox that Linux resets would make a CPU1
	 * that still runs look parked to the next start.
	 */
	cpu1->parked = true;
	return 0;
}

/*
 * Cooperation failed (or was skipped, hard_stop=1): reset CPU1 through the
 * SLCR. Parked again only once CPU1 itself confirmed it (the trampoline's
 * store into the mailbox); the channel then says HALTED, which it is, and
 * its users are woken to see it. Called with rproc->lock held.
 */
static int sharedmem_cpu1_force_park(struct sharedmem_cpu1 *cpu1)
{
	int ret = sharedmem_cpu1_hard_reset(cpu1->reset);

	if (ret)
		return ret;
	cpu1->parked = true;
	WRITE_ONCE(sharedmem_cpu1_ctrl(cpu1)->cpu1.state, SHMEM_CPU1_HALTED);
	sharedmem_node_signal(cpu1->channel);
	return 0;
}

/*
 * The ELF's segments go into cpu1-firmware only while CPU1 is parked, by
 * the driver's own knowledge: also on remoteproc's recovery path, which loads
 * without calling prepare().
 */
static int sharedmem_cpu1_load(struct rproc *rproc, const struct firmware *fw)
{
	struct sharedmem_cpu1 *cpu1 = rproc->priv;
	int ret;

	if (!cpu1->parked || !sharedmem_cpu1_mailbox_parked(cpu1)) {
		dev_err(cpu1->dev,
			"CPU1 was not seen back in the BootROM park loop: not loading over it (reset CPU1 or reload the module)\n");
		return -EBUSY;
	}
	/*
	 * Clean and invalidate the outer cache (PL310) over the region before
	 * the image is written, not after: a dirty line that a boot loader or
	 * an earlier payload left there is written back now, not later over
	 * the new image, and no stale line can shadow it. The segments then go
	 * through Linux's non-cacheable mapping (no line is allocated), and
	 * start() orders them before CPU1 runs. The L1 caches hold nothing of
	 * the region: Linux maps it only non-cacheable (no-map), and CPU1's own
	 * L1 is the payload's to invalidate before it enables it. A no-op
	 * without an outer cache (and in QEMU, which has no caches).
	 */
	outer_flush_range(cpu1->firmware->phys, cpu1->firmware->phys + cpu1->firmware->size);
	ret = rproc_elf_load_segments(rproc, fw);
	if (ret)
		return ret;
	return sharedmem_rpmsg_loaded(cpu1->rpmsg, rproc, fw);
}

static int sharedmem_cpu1_start(struct rproc *rproc)
{
	struct sharedmem_cpu1 *cpu1 = rproc->priv;
	struct shmem_chan_ctrl *ctrl = sharedmem_cpu1_ctrl(cpu1);
	u32 mailbox = readl(cpu1->mailbox);
	u32 state;
	int ret;

	if (!cpu1->parked || mailbox != cpu1->soc->park_loop) {
		dev_err(cpu1->dev, "CPU1 is not waiting in the BootROM park loop (mailbox %#x)\n",
			mailbox);
		return -EBUSY;
	}
	/* As for the firmware in load(): the outer cache first, then the writes. */
	outer_flush_range(cpu1->channel->region.phys,
			  cpu1->channel->region.phys + cpu1->channel->region.size);
	ret = sharedmem_cpu1_init_channel(cpu1);
	if (ret)
		return ret;
	/* Clean rings and CPU1's copy of the resource table (virtio reset). */
	sharedmem_rpmsg_start(cpu1->rpmsg);
	cpu1->rpmsg_crashed = false;
	/*
	 * The control block and the loaded segments (both write-combined) must
	 * be in memory before CPU1 can run: writel()'s wmb() orders them before
	 * the mailbox store, the DSB completes that store before SEV wakes CPU1
	 * from its WFE. CPU1 runs with its caches off until it sets them up.
	 */
	/* A doorbell flood of the previous run masked the interrupt. */
	if (test_and_clear_bit(SHAREDMEM_CPU1_IRQ_MASKED, &cpu1->flags))
		enable_irq(cpu1->irq);
	cpu1->parked = false;
	writel(lower_32_bits(rproc->bootaddr), cpu1->mailbox);
	dsb(sy);
	sev();

	wait_event_timeout(cpu1->state_wait, sharedmem_cpu1_settled(cpu1),
			   SHAREDMEM_CPU1_START_TIMEOUT);
	state = sharedmem_cpu1_state(cpu1);
	if (state == SHMEM_CPU1_READY &&
	    READ_ONCE(ctrl->cpu1.reset_ack) == READ_ONCE(ctrl->host.reset_gen)) {
		cpu1->last_heartbeat = READ_ONCE(ctrl->cpu1.heartbeat);
		cpu1->misses = 0;
		schedule_delayed_work(&cpu1->heartbeat_work, SHAREDMEM_CPU1_HEARTBEAT_PERIOD);
		dev_info(cpu1->dev, "CPU1 runs %s (entry %#llx), firmware version %#x\n",
			 rproc->firmware, rproc->bootaddr, READ_ONCE(ctrl->cpu1.fw_version));
		return 0;
	}
	if (state == SHMEM_CPU1_BROKEN)
		dev_err(cpu1->dev, "the payload rejected the channel: error %u, value %#x\n",
			READ_ONCE(ctrl->cpu1.error), READ_ONCE(ctrl->cpu1.error_value));
	else
		dev_err(cpu1->dev, "CPU1 did not report ready within %u ms (state %s)\n",
			jiffies_to_msecs(SHAREDMEM_CPU1_START_TIMEOUT),
			sharedmem_cpu1_state_name(state));
	/*
	 * Back to a known state: whatever cpu1.state says (users can write
	 * it), CPU1 is asked to halt, then reset, and counts as parked only
	 * once it confirmed that in the mailbox. If neither takes, loads are
	 * refused until a reset takes or the module is reloaded; Linux never
	 * writes the park value itself (the reset attempt left its mark in the
	 * mailbox), so a later probe or unload cannot take this CPU1 for parked.
	 */
	if (sharedmem_cpu1_halt(cpu1) && sharedmem_cpu1_force_park(cpu1))
		dev_err(cpu1->dev, "CPU1 does not halt and its reset did not take: its state is unknown\n");
	return -ETIMEDOUT;
}

static int sharedmem_cpu1_stop(struct rproc *rproc)
{
	struct sharedmem_cpu1 *cpu1 = rproc->priv;
	bool hard = READ_ONCE(sharedmem_hard_stop);
	int ret;

	cancel_delayed_work_sync(&cpu1->heartbeat_work);
	/* remoteproc removed the virtio device: its status reset, to CPU1. */
	sharedmem_rpmsg_stop(cpu1->rpmsg);
	ret = hard ? -ETIMEDOUT : sharedmem_cpu1_halt(cpu1);
	if (!ret)
		return 0;
	if (!hard)
		dev_warn(cpu1->dev, "CPU1 did not halt within %u ms (state %s): resetting it\n",
			 jiffies_to_msecs(SHAREDMEM_CPU1_STOP_TIMEOUT),
			 sharedmem_cpu1_state_name(sharedmem_cpu1_state(cpu1)));
	ret = sharedmem_cpu1_force_park(cpu1);
	/*
	 * A stop that failed leaves remoteproc saying "running", which CPU1
	 * still is: keep watching it. (A failed recovery leaves "crashed": no
	 * new report, no loop of resets that do not take.)
	 */
	if (ret && rproc->state == RPROC_RUNNING)
		schedule_delayed_work(&cpu1->heartbeat_work, SHAREDMEM_CPU1_HEARTBEAT_PERIOD);
	return ret;
}

/*
 * rproc_elf_sanity_check, and an entry point inside cpu1-firmware: checked
 * before anything is written (remoteproc loads after this), so that a bad
 * ELF leaves the region and CPU1 as they were.
 */
static int sharedmem_cpu1_sanity_check(struct rproc *rproc, const struct firmware *fw)
{
	struct sharedmem_cpu1 *cpu1 = rproc->priv;
	struct sharedmem_region *region = cpu1->firmware;
	u64 entry;
	int ret;

	ret = rproc_elf_sanity_check(rproc, fw);
	if (ret)
		return ret;
	/* CPU1 is a 32-bit core (and sharedmem-rpmsg.c reads ELF32 sections). */
	if (fw->data[EI_CLASS] != ELFCLASS32) {
		dev_err(cpu1->dev, "the firmware is not a 32-bit ELF\n");
		return -EINVAL;
	}
	entry = rproc_elf_get_boot_addr(rproc, fw);
	if (entry < region->phys || entry - region->phys >= region->size) {
		dev_err(cpu1->dev, "entry point %#llx lies outside the cpu1-firmware region %pa+%#zx\n",
			entry, &region->phys, region->size);
		return -EINVAL;
	}
	return 0;
}

/*
 * CPU1 runs with a flat address map: its device addresses are physical
 * addresses. Only the cpu1-firmware region is CPU1's to be loaded into.
 */
static void *sharedmem_cpu1_da_to_va(struct rproc *rproc, u64 da, size_t len, bool *is_iomem)
{
	struct sharedmem_cpu1 *cpu1 = rproc->priv;
	struct sharedmem_region *fw = cpu1->firmware;

	/* Checked without an overflowing addition: da + len may wrap. */
	if (da < fw->phys || len > fw->size || da - fw->phys > fw->size - len) {
		dev_err(cpu1->dev,
			"firmware segment %#llx-%#llx lies outside the cpu1-firmware region %pa+%#zx\n",
			da, da + len, &fw->phys, fw->size);
		return NULL;
	}
	return fw->vaddr + (da - fw->phys);
}

/* The resource table (RPMsg): sharedmem-rpmsg.c. */
static int sharedmem_cpu1_parse_fw(struct rproc *rproc, const struct firmware *fw)
{
	struct sharedmem_cpu1 *cpu1 = rproc->priv;

	return sharedmem_rpmsg_parse_fw(cpu1->rpmsg, rproc, fw);
}

/* A virtqueue has buffers for CPU1: hand them over, ring CPU1. */
static void sharedmem_cpu1_kick(struct rproc *rproc, int vqid)
{
	struct sharedmem_cpu1 *cpu1 = rproc->priv;

	if (!cpu1->rpmsg)
		return;
	sharedmem_rpmsg_kick(cpu1->rpmsg, vqid);
	sharedmem_cpu1_ring(cpu1);
}

static const struct rproc_ops sharedmem_cpu1_ops = {
	.start = sharedmem_cpu1_start,
	.stop = sharedmem_cpu1_stop,
	.da_to_va = sharedmem_cpu1_da_to_va,
	.kick = sharedmem_cpu1_kick,
	/*
	 * No find_loaded_rsc_table: remoteproc keeps its own copy of the
	 * table, never CPU1's (sharedmem-rpmsg.c).
	 */
	.parse_fw = sharedmem_cpu1_parse_fw,
	.load = sharedmem_cpu1_load,
	.sanity_check = sharedmem_cpu1_sanity_check,
	.get_boot_addr = rproc_elf_get_boot_addr,
};

static void sharedmem_cpu1_heartbeat(struct work_struct *work)
{
	struct sharedmem_cpu1 *cpu1 = container_of(to_delayed_work(work), struct sharedmem_cpu1,
						   heartbeat_work);
	struct shmem_chan_ctrl *ctrl = sharedmem_cpu1_ctrl(cpu1);
	u32 heartbeat = READ_ONCE(ctrl->cpu1.heartbeat);

	if (heartbeat != cpu1->last_heartbeat) {
		cpu1->last_heartbeat = heartbeat;
		cpu1->misses = 0;
	} else if (++cpu1->misses >= SHAREDMEM_CPU1_HEARTBEAT_MISSES) {
		WRITE_ONCE(ctrl->cpu1.state, SHMEM_CPU1_CRASHED);
		dev_err(cpu1->dev, "CPU1's heartbeat stopped at %u for %u ms\n", heartbeat,
			jiffies_to_msecs(SHAREDMEM_CPU1_HEARTBEAT_PERIOD * cpu1->misses));
		/* Users waiting for an answer learn it now, not at their timeout. */
		sharedmem_node_signal(cpu1->channel);
		/* remoteproc's crash handler stops and restarts it (recovery). */
		rproc_report_crash(cpu1->rproc, RPROC_WATCHDOG);
		return;
	}
	schedule_delayed_work(&cpu1->heartbeat_work, SHAREDMEM_CPU1_HEARTBEAT_PERIOD);
}

/* The doorbell handler masked a flood: say so, and let recovery restart CPU1. */
static void sharedmem_cpu1_flood(struct work_struct *work)
{
	struct sharedmem_cpu1 *cpu1 = container_of(work, struct sharedmem_cpu1, flood_work);

	WRITE_ONCE(sharedmem_cpu1_ctrl(cpu1)->cpu1.state, SHMEM_CPU1_CRASHED);
	dev_err(cpu1->dev,
		"CPU1 rang more than %u times in %u ms: doorbell flood, interrupt masked until the next start\n",
		READ_ONCE(sharedmem_doorbell_limit), jiffies_to_msecs(SHAREDMEM_CPU1_FLOOD_WINDOW));
	sharedmem_node_signal(cpu1->channel);
	rproc_report_crash(cpu1->rproc, RPROC_FATAL_ERROR);
}

static void sharedmem_cpu1_cancel_work(void *data)
{
	struct sharedmem_cpu1 *cpu1 = data;

	cancel_delayed_work_sync(&cpu1->heartbeat_work);
	cancel_work_sync(&cpu1->flood_work);
}

/* GICD_SGIR, from the interrupt parent's first reg (the distributor). */
static void __iomem *sharedmem_cpu1_map_sgir(struct device *dev)
{
	struct device_node *gic = of_irq_find_parent(dev->of_node);
	struct resource res;
	int ret;

	if (!gic)
		return IOMEM_ERR_PTR(-ENODEV);
	ret = of_address_to_resource(gic, 0, &res);
	of_node_put(gic);
	if (ret)
		return IOMEM_ERR_PTR(ret);
	/* Not requested: the GIC driver owns the distributor; we only write SGIR. */
	return devm_ioremap(dev, res.start + GICD_SGIR, sizeof(u32)) ?: IOMEM_ERR_PTR(-ENOMEM);
}

struct sharedmem_cpu1 *sharedmem_cpu1_probe(struct platform_device *pdev,
					    struct sharedmem_region *firmware,
					    struct sharedmem_node *channel,
					    const struct sharedmem_vdev_regions *vdev)
{
	struct device *dev = &pdev->dev;
	struct sharedmem_cpu1 *cpu1;
	struct rproc *rproc;
	int irq, ret;

	rproc = devm_rproc_alloc(dev, "zynq-cpu1", &sharedmem_cpu1_ops, SHAREDMEM_CPU1_FIRMWARE,
				 sizeof(*cpu1));
	if (!rproc)
		return ERR_PTR(-ENOMEM);
	/* Started on request (sysfs, shmem-helper start), never at boot. */
	rproc->auto_boot = false;
	cpu1 = rproc->priv;
	cpu1->dev = dev;
	cpu1->rproc = rproc;
	cpu1->soc = &sharedmem_zynq7000_cpu1;
	cpu1->firmware = firmware;
	cpu1->channel = channel;
	init_waitqueue_head(&cpu1->state_wait);
	INIT_DELAYED_WORK(&cpu1->heartbeat_work, sharedmem_cpu1_heartbeat);
	INIT_WORK(&cpu1->flood_work, sharedmem_cpu1_flood);
	cpu1->flood_start = jiffies;

	cpu1->mailbox = devm_ioremap(dev, cpu1->soc->mailbox, sizeof(u32));
	if (!cpu1->mailbox)
		return ERR_PTR(dev_err_probe(dev, -ENOMEM, "cannot map CPU1's mailbox\n"));
	/* After the BootROM, or after an earlier instance halted CPU1. */
	cpu1->parked = sharedmem_cpu1_mailbox_parked(cpu1);
	if (!cpu1->parked)
		dev_warn(dev, "CPU1 is not in the BootROM park loop: it will not be started\n");
	/* Before remoteproc: its reset at unload runs after remoteproc's stop. */
	cpu1->reset = sharedmem_cpu1_reset_probe(dev, cpu1->mailbox, cpu1->soc->mailbox,
						 cpu1->soc->park_loop);
	if (IS_ERR(cpu1->reset))
		return ERR_PTR(dev_err_probe(dev, PTR_ERR(cpu1->reset),
					     "cannot set up CPU1's reset through the SLCR\n"));
	cpu1->rpmsg = sharedmem_rpmsg_probe(dev, rproc, vdev);
	if (IS_ERR(cpu1->rpmsg))
		return ERR_CAST(cpu1->rpmsg);
	cpu1->sgir = sharedmem_cpu1_map_sgir(dev);
	if (IS_ERR(cpu1->sgir))
		return ERR_PTR(dev_err_probe(dev, PTR_ERR(cpu1->sgir), "cannot map GICD_SGIR\n"));
	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return ERR_PTR(irq);
	cpu1->irq = irq;
	/*
	 * Run at release after rproc_del(), which stops CPU1, and after
	 * free_irq() (devm runs in reverse): no doorbell can queue the work
	 * again once it is cancelled.
	 */
	ret = devm_add_action_or_reset(dev, sharedmem_cpu1_cancel_work, cpu1);
	if (ret)
		return ERR_PTR(ret);
	ret = devm_request_threaded_irq(dev, irq, sharedmem_cpu1_doorbell,
					sharedmem_cpu1_doorbell_thread, 0, "sharedmem-doorbell",
					cpu1);
	if (ret)
		return ERR_PTR(dev_err_probe(dev, ret, "cannot request the doorbell interrupt\n"));
	ret = devm_rproc_add(dev, rproc);
	if (ret)
		return ERR_PTR(dev_err_probe(dev, ret, "cannot register CPU1 with remoteproc\n"));
	return cpu1;
}
