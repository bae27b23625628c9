// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPU1's translation table: a flat (virtual = physical) map of what the
 * payload may touch, everything else faults. Built once by startup.S, with
 * the MMU and caches still off, before mmu_on() turns them on. Rules and
 * references (ARMv7-A ARM, Cortex-A9 TRM): README.md, "Memory attributes".
 *
 * Short-descriptor format, no TEX remap (SCTLR.TRE = 0), no access flag
 * (SCTLR.AFE = 0), domain 0 only and as a client (DACR = 1): the AP and XN
 * bits of each entry are checked on every access.
 *
 *   firmware region (4 MiB, 1 MiB sections)  Normal, inner write-back
 *       write-allocate, outer non-cacheable, not shareable, executable;
 *       the MiB holding the resource table in 4 KiB pages, the table's page
 *       Normal non-cacheable, shareable, execute-never (Linux writes it)
 *   channel region (16 MiB, sections)        Normal non-cacheable, shareable,
 *       execute-never: what Linux's memremap(MEMREMAP_WC) and
 *       pgprot_writecombine() mappings are
 *   RPMsg window (2 MiB at 0x1F400000: vrings, buffers)  the same as the
 *       channel: Linux maps them write-combined too
 *   UART0, CPU1's GIC CPU interface and private timer, the GIC distributor:
 *       4 KiB pages, Device, execute-never
 *   the BootROM mailbox page (OCM, 0xFFFFF000): Strongly-ordered,
 *       execute-never (the park loop reads it with its MMU off)
 *   everything else (the rest of DDR, Linux's memory included; SLCR; SCU;
 *       the L2 controller; the other peripherals): no entry, a fault
 */
#include "mmu.h"
#include "rsc_table.h"
#include "zynq.h"

/* Short-descriptor first-level entries (ARM ARM B3.5.1). */
#define L1_SECTION		0x2U
#define L1_PAGE_TABLE		0x1U
#define L1_B			(1U << 2)
#define L1_C			(1U << 3)
#define L1_XN			(1U << 4)
#define L1_AP_PRIV_RW		(1U << 10)	/* AP[2:0] = 0b001: PL1 read/write, PL0 none */
#define L1_TEX(x)		((__u32)(x) << 12)
#define L1_S			(1U << 16)

/* Second-level small pages (ARM ARM B3.5.1). */
#define L2_SMALL		0x2U
#define L2_XN			0x1U
#define L2_B			(1U << 2)
#define L2_C			(1U << 3)
#define L2_AP_PRIV_RW		(1U << 4)
#define L2_TEX(x)		((__u32)(x) << 6)
#define L2_S			(1U << 10)

/*
 * Memory types, TEX[2:0] C B without TEX remap (ARM ARM B3.8.2, Table B3-10):
 *   0b100 0 1  Normal, inner write-back write-allocate, outer non-cacheable
 *   0b001 0 0  Normal, inner and outer non-cacheable
 *   0b000 0 1  Shareable Device
 *   0b000 0 0  Strongly-ordered
 */
#ifndef MMU_FIRMWARE_SECTION
#define MMU_FIRMWARE_SECTION	(L1_SECTION | L1_AP_PRIV_RW | L1_TEX(4) | L1_B)
#endif
#ifndef MMU_CHANNEL_SECTION
#define MMU_CHANNEL_SECTION	(L1_SECTION | L1_AP_PRIV_RW | L1_TEX(1) | L1_S | L1_XN)
#endif
#ifndef MMU_RPMSG_SECTION
#define MMU_RPMSG_SECTION	(L1_SECTION | L1_AP_PRIV_RW | L1_TEX(1) | L1_S | L1_XN)
#endif
#ifndef MMU_RSC_TABLE_PAGE
#define MMU_RSC_TABLE_PAGE	(L2_SMALL | L2_AP_PRIV_RW | L2_TEX(1) | L2_S | L2_XN)
#endif
#define MMU_DEVICE_PAGE		(L2_SMALL | L2_AP_PRIV_RW | L2_B | L2_XN)
#define MMU_ORDERED_PAGE	(L2_SMALL | L2_AP_PRIV_RW | L2_XN)

#define SECTION			0x100000U
#define PAGE			0x1000U

/* The firmware region and the resource table's page as linked (linker.ld). */
extern const unsigned char __fw_start[], __fw_end[], __rsc_start[], __rsc_end[];

/* 16 KiB, aligned to 16 KiB as TTBR0 with TTBCR.N = 0 requires (B4.1.154). */
static __u32 l1[4096] __attribute__((aligned(16384)));
/* Second-level tables, 1 KiB each and aligned to it: UART0, MPCore, OCM, resource table. */
static __u32 l2[4][256] __attribute__((aligned(1024)));

static void map_sections(__u32 base, __u32 size, __u32 attr)
{
	__u32 a;

	for (a = base; a - base < size; a += SECTION)
		l1[a >> 20] = (a & ~(SECTION - 1)) | attr;
}

static void map_page(__u32 *table, __u32 address, __u32 attr)
{
	__u32 *entry = &l1[address >> 20];

	if (!*entry)
		*entry = (__u32)(unsigned long)table | L1_PAGE_TABLE;	/* domain 0 */
	table[(address >> 12) & 0xFF] = (address & ~(PAGE - 1)) | attr;
}

/*
 * The section holding `address` becomes a second-level table of 4 KiB pages
 * with the same attributes (bit by bit, ARM ARM B3.5.1: XN, B, C, AP[1:0],
 * TEX, AP[2], S), so that one of its pages can differ.
 */
static void split_section(__u32 *table, __u32 address)
{
	__u32 *entry = &l1[address >> 20];
	__u32 s = *entry, base = s & ~(SECTION - 1), i;
	__u32 page = L2_SMALL | ((s >> 4) & 1) | (s & (L1_B | L1_C)) | (((s >> 10) & 3) << 4) |
		     (((s >> 12) & 7) << 6) | (((s >> 15) & 1) << 9) | (((s >> 16) & 1) << 10);

	for (i = 0; i < 256; i++)
		table[i] = (base + i * PAGE) | page;
	*entry = (__u32)(unsigned long)table | L1_PAGE_TABLE;	/* domain 0 */
}

__u32 *mmu_build(void)
{
	__u32 i;

	/* .bss is zeroed, but a restart without a reload must not trust that. */
	for (i = 0; i < 4096; i++)
		l1[i] = 0;
	for (i = 0; i < 4 * 256; i++)
		l2[i / 256][i % 256] = 0;
	map_sections((__u32)(unsigned long)__fw_start, (__u32)(__fw_end - __fw_start),
		     MMU_FIRMWARE_SECTION);
	split_section(l2[3], (__u32)(unsigned long)__rsc_start);
	for (i = (__u32)(unsigned long)__rsc_start; i < (__u32)(unsigned long)__rsc_end; i += PAGE)
		l2[3][(i >> 12) & 0xFF] = i | MMU_RSC_TABLE_PAGE;
	map_sections(CHANNEL_BASE, CHANNEL_SIZE, MMU_CHANNEL_SECTION);
	map_sections(RPMSG_WINDOW_DA, RPMSG_WINDOW_SIZE, MMU_RPMSG_SECTION);
	map_page(l2[0], UART0_BASE, MMU_DEVICE_PAGE);
	map_page(l2[1], GICC_BASE, MMU_DEVICE_PAGE);	/* also the private timer: same page */
	map_page(l2[1], GICD_BASE, MMU_DEVICE_PAGE);
	map_page(l2[2], BOOTROM_MAILBOX, MMU_ORDERED_PAGE);
	return l1;
}
