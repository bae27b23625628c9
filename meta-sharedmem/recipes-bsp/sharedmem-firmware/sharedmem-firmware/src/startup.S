/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CPU1 entry, vectors, the MMU and caches, and the way back to the BootROM
 * park loop. Rules and references (ARMv7-A ARM, Cortex-A9 TRM): README.md,
 * "Memory attributes, caches and barriers".
 *
 * CPU1 arrives at `_start` in SVC mode from the BootROM's park loop (which
 * sets SCTLR = 0) or from its reset vector after a hard reset (the L1 RAMs
 * then hold garbage, valid or dirty bits included). Nothing left by an
 * earlier run is trusted. We:
 *   1. mask IRQs and FIQs, switch MMU, caches, prediction, alignment checks
 *      and high vectors off;
 *   2. invalidate (never clean: the lines may be garbage) the L1 D-cache by
 *      set/way, the I-cache, the branch predictor and the TLBs;
 *   3. point VBAR at our own vectors (SCTLR.V = 0: low vectors via VBAR);
 *   4. give IRQ, abort and undefined modes and SVC their own stacks;
 *   5. zero .bss (a restart without a reload must not see stale data);
 *   6. build the flat translation table (mmu.c) and turn on the MMU, the
 *      D-cache, the I-cache and branch prediction, in that order of setup;
 *   7. call main(), which never returns.
 * caches_off() undoes 6 before parking: D-cache off, cleaned and
 * invalidated, then MMU, I-cache and prediction off, all invalidated.
 */
	.syntax unified
	.arm

#define MODE_IRQ	0x12
#define MODE_SVC	0x13
#define MODE_ABT	0x17
#define MODE_UND	0x1B
#define SCTLR_M		(1 << 0)	/* MMU */
#define SCTLR_A		(1 << 1)	/* alignment checks */
#define SCTLR_C		(1 << 2)	/* D-cache (and unified) */
#define SCTLR_Z		(1 << 11)	/* branch prediction */
#define SCTLR_I		(1 << 12)	/* I-cache */
#define SCTLR_V		(1 << 13)	/* high vectors */
#define SCTLR_TRE	(1 << 28)	/* TEX remap */
#define SCTLR_AFE	(1 << 29)	/* access flag */

/*
 * Every line of CPU1's L1 data cache by set/way (ARM ARM B4.2.1: DCISW is
 * c7, c6, 2, DCCISW is c7, c14, 2; the geometry from CCSIDR after CSSELR
 * selects the level 1 data cache). Only the L1: the L2 (PL310) is Linux's.
 * Uses r0-r4 and r12, no memory.
 */
	.macro	l1_dcache_all crm
	mov	r0, #0
	mcr	p15, 2, r0, c0, c0, 0	/* CSSELR: level 1, data */
	isb
	mrc	p15, 1, r0, c0, c0, 0	/* CCSIDR */
	and	r1, r0, #7
	add	r1, r1, #4		/* log2(line bytes) */
	ubfx	r2, r0, #3, #10		/* ways - 1 */
	ubfx	r3, r0, #13, #15	/* sets - 1 */
	clz	r12, r2			/* the way field's shift */
1:	mov	r4, r3
2:	lsl	r0, r2, r12
	orr	r0, r0, r4, lsl r1
	mcr	p15, 0, r0, c7, \crm, 2
	subs	r4, r4, #1
	bge	2b
	subs	r2, r2, #1
	bge	1b
	dsb
	.endm

	.section .vectors, "ax"
	.align	5			/* VBAR needs 32-byte alignment */
	.global	_start
_start:
vectors:
	b	reset			/* 0x00 reset: also the ELF entry */
	b	undef_entry		/* 0x04 undefined instruction */
	b	.			/* 0x08 SVC: not used */
	b	pabort_entry		/* 0x0C prefetch abort */
	b	dabort_entry		/* 0x10 data abort */
	b	.			/* 0x14 reserved */
	b	irq_entry		/* 0x18 IRQ */
	b	.			/* 0x1C FIQ: never enabled */

	.text
reset:
	cpsid	if
	mrc	p15, 0, r0, c1, c0, 0	/* SCTLR */
	bic	r0, r0, #(SCTLR_M | SCTLR_A | SCTLR_C)
	bic	r0, r0, #(SCTLR_Z | SCTLR_I | SCTLR_V)	/* 0x3800 */
	bic	r0, r0, #(SCTLR_TRE | SCTLR_AFE)
	mcr	p15, 0, r0, c1, c0, 0
	isb
	l1_dcache_all c6		/* DCISW: invalidate, no write-back */
	mov	r0, #0
	mcr	p15, 0, r0, c7, c5, 0	/* ICIALLU: I-cache */
	mcr	p15, 0, r0, c7, c5, 6	/* BPIALL: branch predictor */
	mcr	p15, 0, r0, c8, c7, 0	/* TLBIALL */
	dsb
	isb

	ldr	r0, =vectors
	mcr	p15, 0, r0, c12, c0, 0	/* VBAR */

	cps	#MODE_IRQ
	ldr	sp, =__irq_stack_top
	cps	#MODE_ABT
	ldr	sp, =__exc_stack_top
	cps	#MODE_UND
	ldr	sp, =__exc_stack_top
	cps	#MODE_SVC
	ldr	sp, =__svc_stack_top

	ldr	r0, =__bss_start
	ldr	r1, =__bss_end
	mov	r2, #0
1:	cmp	r0, r1
	strlo	r2, [r0], #4
	blo	1b

	bl	mmu_build		/* r0 = the table; written with the MMU off */
	bl	mmu_on
	bl	main
	b	.

/*
 * mmu_on(table): translation through `table`, then caches and prediction.
 * The table was written with the MMU off (Strongly-ordered stores, straight
 * to DDR); the walks are Non-cacheable (TTBR0's RGN/IRGN = 0), so no cache
 * maintenance of the table is needed. The map is flat: the instruction
 * after the SCTLR write is fetched from the same address.
 */
mmu_on:
	mov	r1, #0
	mcr	p15, 0, r1, c2, c0, 2	/* TTBCR: TTBR0 only, short descriptors */
	mcr	p15, 0, r0, c2, c0, 0	/* TTBR0: table, walks Non-cacheable, Non-shareable */
	mcr	p15, 0, r1, c13, c0, 1	/* CONTEXTIDR: ASID 0 */
	mov	r1, #1
	mcr	p15, 0, r1, c3, c0, 0	/* DACR: domain 0 client (AP checked), others none */
	mov	r1, #0
	mcr	p15, 0, r1, c8, c7, 0	/* TLBIALL */
	dsb				/* table stores and TLB invalidation complete */
	isb
	mrc	p15, 0, r1, c1, c0, 0
	orr	r1, r1, #(SCTLR_M | SCTLR_C)
	orr	r1, r1, #(SCTLR_I | SCTLR_Z)
	mcr	p15, 0, r1, c1, c0, 0
	isb
	bx	lr

/*
 * caches_off(): before parking. The D-cache goes off first so that no new
 * line is allocated, then every L1 line is cleaned to memory and
 * invalidated (the stack frame pushed here included: it is popped from
 * memory), then the MMU, I-cache and prediction go off and are invalidated.
 * CPU1 then runs as the BootROM left it; a new image written by Linux meets
 * no dirty line of ours that could be written back over it.
 */
	.global	caches_off
caches_off:
	push	{r4, lr}
	mrc	p15, 0, r0, c1, c0, 0
	bic	r0, r0, #SCTLR_C
	mcr	p15, 0, r0, c1, c0, 0
	isb
	l1_dcache_all c14		/* DCCISW: clean and invalidate */
	mrc	p15, 0, r0, c1, c0, 0
	bic	r0, r0, #SCTLR_M
	bic	r0, r0, #(SCTLR_I | SCTLR_Z)
	mcr	p15, 0, r0, c1, c0, 0
	isb
	mov	r0, #0
	mcr	p15, 0, r0, c7, c5, 0	/* ICIALLU */
	mcr	p15, 0, r0, c7, c5, 6	/* BPIALL */
	mcr	p15, 0, r0, c8, c7, 0	/* TLBIALL */
	dsb
	isb
	pop	{r4, pc}

/* IRQ: save the caller-saved registers, run the C handler, return. */
irq_entry:
	sub	lr, lr, #4
	push	{r0-r3, r12, lr}	/* 24 bytes: sp stays 8-byte aligned */
	bl	irq_handler
	ldm	sp!, {r0-r3, r12, pc}^	/* also restores CPSR from SPSR */

undef_entry:
	mov	r0, #0
	sub	r1, lr, #4
	b	fault_handler
pabort_entry:
	mov	r0, #1
	sub	r1, lr, #4
	b	fault_handler
dabort_entry:
	mov	r0, #2
	sub	r1, lr, #8
	b	fault_handler

/*
 * park(loop): leave for the BootROM park loop at `loop` (0xFFFFFF2C). The
 * caller has run caches_off(), reset the mailbox, stopped its timer and GIC
 * interface: SCTLR is as the BootROM left it.
 */
	.global	park
park:
	cpsid	if
	dsb
	bx	r0
	.ltorg
