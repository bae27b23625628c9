/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CPU1 entry, vectors and the way back to the BootROM park loop.
 *
 * The BootROM's park loop (or Linux through it) jumps to `_start` with the
 * MMU, D-cache and I-cache off (SCTLR = 0), in SVC mode. We:
 *   1. mask IRQs and FIQs;
 *   2. point VBAR at our own vectors (SCTLR.V = 0: low vectors via VBAR);
 *   3. give IRQ, abort and undefined modes and SVC their own stacks;
 *   4. zero .bss (a restart without a reload must not see stale data);
 *   5. turn on the I-cache and branch prediction, MMU still off (see
 *      README.md: data accesses stay Strongly-ordered);
 *   6. call main(), which never returns.
 */
	.syntax unified
	.arm

#define MODE_IRQ	0x12
#define MODE_SVC	0x13
#define MODE_ABT	0x17
#define MODE_UND	0x1B
#define SCTLR_M		(1 << 0)	/* MMU */
#define SCTLR_C		(1 << 2)	/* D-cache */
#define SCTLR_Z		(1 << 11)	/* branch prediction */
#define SCTLR_I		(1 << 12)	/* I-cache */
#define SCTLR_V		(1 << 13)	/* high vectors */

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

	mrc	p15, 0, r0, c1, c0, 0	/* SCTLR */
	bic	r0, r0, #(SCTLR_M | SCTLR_C)
	bic	r0, r0, #SCTLR_V
	orr	r0, r0, #(SCTLR_I | SCTLR_Z)
	mcr	p15, 0, r0, c1, c0, 0
	isb
	bl	main
	b	.

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
 * caller has reset the mailbox, stopped its timer and GIC interface. Turn the
 * I-cache and branch prediction off again: SCTLR as the BootROM left it.
 */
	.global	park
park:
	cpsid	if
	mrc	p15, 0, r1, c1, c0, 0
	bic	r1, r1, #(SCTLR_I | SCTLR_Z)
	mcr	p15, 0, r1, c1, c0, 0
	isb
	dsb
	bx	r0
	.ltorg
