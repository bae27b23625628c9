/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Replica of the Zynq-7000 BootROM's wait loop for CPU1.
 *
 * After the BootROM has run, CPU1 sits in on-chip memory at 0xFFFFFF2C:
 *
 *	dsb; wfe; r0 = [0xFFFFFFF0]; if r0 == 0xFFFFFF2C loop;
 *	invalidate I-cache, TLBs and branch predictor; SCTLR = 0; jump to r0
 *
 * and 0xFFFFFFF0 holds 0xFFFFFF2C (its own address). Whoever wants CPU1 to
 * run writes an entry address to 0xFFFFFFF0 and then executes DSB and SEV
 * (UG585, "Starting code on CPU 1"). Older BootROMs and XAPP1078 compare with
 * 0 instead; the 0xFFFFFF2C form is what current silicon does.
 *
 * This file is linked at 0xFFFFFF2C, the loop's address, and also places the
 * mailbox word at 0xFFFFFFF0, preset to "keep waiting". QEMU's generic
 * loader loads it into OCM and points CPU1's PC at `park`.
 */
	.syntax unified
	.arm
	.section .text, "ax"
	.global	park
park:
	dsb
	wfe
	ldr	r0, mailbox
	adr	r1, park
	cmp	r0, r1
	beq	park

	/* Leave CPU1 as the BootROM does: caches, TLBs, predictor clean, MMU off. */
	mov	r1, #0
	mcr	p15, 0, r1, c7, c5, 0	/* ICIALLU: invalidate I-cache */
	mcr	p15, 0, r1, c8, c7, 0	/* TLBIALL: invalidate unified TLB */
	mcr	p15, 0, r1, c7, c5, 6	/* BPIALL: invalidate branch predictor */
	dsb
	isb
	mcr	p15, 0, r1, c1, c0, 0	/* SCTLR = 0: MMU, caches, alignment off */
	isb
	bx	r0

	/* The mailbox sits at 0xFFFFFFF0; everything up to it is the loop. */
	.org	0xFFFFFFF0 - 0xFFFFFF2C
	.global	mailbox
mailbox:
	.word	0xFFFFFF2C
