// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPU1's share of the GIC. Linux owns the distributor (GICD_CTLR, SPI
 * routing, configuration); CPU1 writes only registers banked per CPU (its
 * CPU interface, the enable, pending and priority registers of IDs 0-31) and,
 * to ring Linux, one bit of GICD_ISPENDR1: a write of 1 bits affects only
 * those bits, so Linux's other SPIs are untouched.
 */
#include "gic.h"
#include "zynq.h"

#define GICC(reg)	REG32(GICC_BASE + (reg))
#define GICD(reg)	REG32(GICD_BASE + (reg))
#define PRIORITY	0xA0U	/* below (numerically above) anything Linux might use on CPU1's interface */

static void set_priority(__u32 id, __u32 prio)
{
	*(volatile unsigned char *)(GICD_BASE + GICD_IPRIORITYR(id)) = (unsigned char)prio;
}

void gic_init(void)
{
	const __u32 mine = (1U << DOORBELL_FROM_LINUX) | (1U << PRIVATE_TIMER_ID);

	GICC(GICC_CTLR) = 0;
	GICD(GICD_ICENABLER0) = mine;
	/*
	 * No write to GICD_ICPENDR0 here or in gic_shutdown(): on silicon it
	 * is banked per CPU, but QEMU's GIC clears a PPI's pending state for
	 * every CPU, which drops CPU0's pending private-timer tick (the same
	 * ID 29) and stops Linux's clock. A doorbell left pending from an
	 * earlier run is harmless: a doorbell only means "look at the channel".
	 */
	set_priority(DOORBELL_FROM_LINUX, PRIORITY);
	set_priority(PRIVATE_TIMER_ID, PRIORITY);
	GICD(GICD_ISENABLER0) = mine;
	GICC(GICC_PMR) = 0xF0;	/* let both through */
	GICC(GICC_BPR) = 0;
	GICC(GICC_CTLR) = 1;
}

void gic_shutdown(void)
{
	const __u32 mine = (1U << DOORBELL_FROM_LINUX) | (1U << PRIVATE_TIMER_ID);

	GICD(GICD_ICENABLER0) = mine;
	GICC(GICC_CTLR) = 0;
}

__u32 gic_ack(void)
{
	return GICC(GICC_IAR);
}

void gic_eoi(__u32 iar)
{
	GICC(GICC_EOIR) = iar;
}

void gic_ring_linux(void)
{
	GICD(GICD_ISPENDR1) = 1U << DOORBELL_TO_LINUX_SPI;
}
