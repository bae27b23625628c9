// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: CPU1's hard reset through the Zynq-7000 SLCR, for a payload
 * that does not cooperate (hung with interrupts masked, wild jump, crash).
 *
 * The cooperative stop (sharedmem-cpu1.c) stays first; this is what comes
 * after its timeout, in crash recovery and at unload. It does what Linux's
 * own Zynq SMP code does to (re)start a secondary core (zynq_cpun_start in
 * arch/arm/mach-zynq/platsmp.c, zynq_slcr_cpu_stop/start in slcr.c):
 *
 *   1. hold CPU1: A9_RST1 and A9_CLKSTOP1 set in A9_CPU_RST_CTRL;
 *   2. put the trampoline (sharedmem-trampoline.S) at CPU1's reset vector,
 *      address 0 (Linux on Zynq keeps the first 512 KiB of RAM to itself,
 *      zynq_memory_init), and clean it to memory: CPU1 will fetch it with
 *      its caches off;
 *   3. release the reset, then the clock (Linux's order);
 *   4. wait until the trampoline has stored the park value into the BootROM
 *      mailbox: CPU1 runs again and waits there for the next start, exactly
 *      as after the BootROM. If that does not happen, the reset did not take
 *      and the caller is told so (-ETIMEDOUT): nothing claims a parked CPU1.
 *
 * The emulated board's QEMU models the same reset line (tools/zynqsim/board/
 * qemu), so this code path is the one a ZedBoard runs.
 */

#include <linux/device.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/mfd/syscon.h>
#include <linux/moduleparam.h>
#include <linux/regmap.h>

#include <asm/cacheflush.h>
#include <asm/outercache.h>

#include "sharedmem-priv.h"

#define SLCR_UNLOCK			0x008
#define SLCR_UNLOCK_KEY			0xdf0d
#define SLCR_A9_CPU_RST_CTRL		0x244
#define SLCR_A9_CPU_RST(cpu)		BIT(cpu)
#define SLCR_A9_CPU_CLKSTOP(cpu)	BIT(4 + (cpu))
#define SHAREDMEM_CPU1			1
/* CPU1's reset vector (SCTLR.V is 0 out of reset: low vectors) */
#define SHAREDMEM_CPU1_RESET_VECTOR	0x0
/* How long CPU1 may take from the release to the trampoline's store. */
#define SHAREDMEM_RESET_TIMEOUT_MS	500
/* What the mailbox holds while the reset is under way (never the park value). */
#define SHAREDMEM_RESET_MARK		0x0

bool sharedmem_hard_stop;
module_param_named(hard_stop, sharedmem_hard_stop, bool, 0644);
MODULE_PARM_DESC(hard_stop,
		 "stop CPU1 by its reset at once, without asking the payload to halt first (0: cooperative first)");

/**
 * struct sharedmem_cpu1_reset - CPU1's reset line and what it restarts into
 * @dev: the platform device
 * @slcr: the SLCR's syscon regmap (shared with Linux's own SLCR code; the
 *        regmap's lock serialises our read-modify-writes with theirs)
 * @vector: CPU1's reset vector in Linux's linear mapping (cacheable)
 * @mailbox: the BootROM mailbox (Device memory), the trampoline's stamp
 * @mailbox_phys: its physical address, for the trampoline
 * @park_loop: the mailbox value that means "keep waiting"
 *
 * Used under the caller's rproc->lock only (start, stop, recovery) or at
 * unload, when nothing else runs.
 */
struct sharedmem_cpu1_reset {
	struct device *dev;
	struct regmap *slcr;
	void *vector;
	void __iomem *mailbox;
	phys_addr_t mailbox_phys;
	u32 park_loop;
};

static size_t sharedmem_trampoline_size(void)
{
	return sharedmem_cpu1_trampoline_end - sharedmem_cpu1_trampoline;
}

/* Where the copy at CPU1's reset vector has the trampoline's word @word. */
static u32 *sharedmem_trampoline_word(struct sharedmem_cpu1_reset *reset, const u32 *word)
{
	return reset->vector + ((const u8 *)word - sharedmem_cpu1_trampoline);
}

/* The trampoline at CPU1's reset vector, in memory (not only in a cache). */
static void sharedmem_cpu1_place_trampoline(struct sharedmem_cpu1_reset *reset)
{
	size_t size = sharedmem_trampoline_size();

	/* Written each time: a wild payload may have overwritten it. */
	memcpy(reset->vector, sharedmem_cpu1_trampoline, size);
	*sharedmem_trampoline_word(reset, sharedmem_cpu1_trampoline_mailbox) = reset->mailbox_phys;
	*sharedmem_trampoline_word(reset, sharedmem_cpu1_trampoline_park) = reset->park_loop;
	/*
	 * Linux wrote through its cacheable linear mapping; CPU1 fetches with
	 * its MMU and caches off, from memory. Clean (and invalidate) CPU0's L1
	 * to the point of coherency, then the outer L2 (PL310) over the same
	 * bytes: Linux's zynq_cpun_start does flush_cache_all() and
	 * outer_flush_range() for the same reason. No-ops in QEMU (no caches).
	 */
	__cpuc_flush_dcache_area(reset->vector, size);
	outer_flush_range(SHAREDMEM_CPU1_RESET_VECTOR, SHAREDMEM_CPU1_RESET_VECTOR + size);
}

/**
 * sharedmem_cpu1_hard_reset() - reset CPU1 into the trampoline's park loop
 * @reset: from sharedmem_cpu1_reset_probe()
 *
 * Return: 0 once CPU1 waits in the park loop (mailbox = park value);
 * -ETIMEDOUT if it did not get there (the reset did not take), -errno if
 * the SLCR could not be written.
 */
int sharedmem_cpu1_hard_reset(struct sharedmem_cpu1_reset *reset)
{
	const u32 rst = SLCR_A9_CPU_RST(SHAREDMEM_CPU1);
	const u32 clkstop = SLCR_A9_CPU_CLKSTOP(SHAREDMEM_CPU1);
	u32 mailbox, ctrl = 0;
	int ret;

	/* Linux leaves the SLCR unlocked; unlock anyway, it costs one write. */
	ret = regmap_write(reset->slcr, SLCR_UNLOCK, SLCR_UNLOCK_KEY);
	if (!ret)
		ret = regmap_set_bits(reset->slcr, SLCR_A9_CPU_RST_CTRL, rst | clkstop);
	if (ret) {
		dev_err(reset->dev, "cannot write the SLCR to reset CPU1: %d\n", ret);
		return ret;
	}
	/* CPU1 is held: nothing it ran can race with what follows. */
	sharedmem_cpu1_place_trampoline(reset);
	writel(SHAREDMEM_RESET_MARK, reset->mailbox);
	/*
	 * The trampoline (cleaned to memory above) and the mark must be there
	 * before CPU1 runs: wmb() is a DSB (plus an outer-cache sync), and
	 * completes them before the releasing SLCR write below.
	 */
	wmb();
	ret = regmap_clear_bits(reset->slcr, SLCR_A9_CPU_RST_CTRL, rst);
	if (!ret)
		ret = regmap_clear_bits(reset->slcr, SLCR_A9_CPU_RST_CTRL, clkstop);
	if (ret) {
		dev_err(reset->dev, "cannot write the SLCR to release CPU1: %d\n", ret);
		return ret;
	}
	ret = readl_poll_timeout(reset->mailbox, mailbox, mailbox == reset->park_loop,
				 100, SHAREDMEM_RESET_TIMEOUT_MS * USEC_PER_MSEC);
	if (ret) {
		regmap_read(reset->slcr, SLCR_A9_CPU_RST_CTRL, &ctrl);
		dev_err(reset->dev,
			"CPU1 did not come out of its reset into the park loop within %u ms (mailbox %#x, A9_CPU_RST_CTRL %#x): its state is unknown\n",
			SHAREDMEM_RESET_TIMEOUT_MS, mailbox, ctrl);
		return ret;
	}
	dev_info(reset->dev, "CPU1 was reset through the SLCR and waits in the park loop\n");
	return 0;
}

/*
 * At unload (after remoteproc's own stop): CPU1 must not go on running a
 * payload out of memory that Linux may give to someone else. A CPU1 that
 * is not back in the park loop is reset.
 */
static void sharedmem_cpu1_reset_at_remove(void *data)
{
	struct sharedmem_cpu1_reset *reset = data;

	if (readl(reset->mailbox) != reset->park_loop)
		sharedmem_cpu1_hard_reset(reset);
}

/**
 * sharedmem_cpu1_reset_probe() - CPU1's reset line, device-managed
 * @dev: the platform device
 * @mailbox: the BootROM mailbox, mapped (Device memory)
 * @mailbox_phys: its physical address
 * @park_loop: the mailbox value that means "keep waiting"
 *
 * Call before remoteproc is registered: the reset at unload then runs after
 * remoteproc is gone.
 */
struct sharedmem_cpu1_reset *sharedmem_cpu1_reset_probe(struct device *dev, void __iomem *mailbox,
							phys_addr_t mailbox_phys, u32 park_loop)
{
	struct sharedmem_cpu1_reset *reset;
	int ret;

	reset = devm_kzalloc(dev, sizeof(*reset), GFP_KERNEL);
	if (!reset)
		return ERR_PTR(-ENOMEM);
	reset->dev = dev;
	reset->mailbox = mailbox;
	reset->mailbox_phys = mailbox_phys;
	reset->park_loop = park_loop;
	/* The SLCR belongs to Linux's Zynq code: share its regmap. */
	reset->slcr = syscon_regmap_lookup_by_compatible("xlnx,zynq-slcr");
	if (IS_ERR(reset->slcr))
		return ERR_CAST(reset->slcr);
	/*
	 * RAM at 0 is Linux's (reserved at boot, in the linear mapping), not a
	 * device's: memremap() gives that mapping, where ioremap() would refuse.
	 */
	reset->vector = devm_memremap(dev, SHAREDMEM_CPU1_RESET_VECTOR, sharedmem_trampoline_size(),
				      MEMREMAP_WB);
	if (IS_ERR(reset->vector))
		return ERR_CAST(reset->vector);
	ret = devm_add_action_or_reset(dev, sharedmem_cpu1_reset_at_remove, reset);
	if (ret)
		return ERR_PTR(ret);
	return reset;
}
