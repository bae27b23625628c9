/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sharedmem: what CPU1 runs when it comes out of a hard reset.
 *
 * Released from reset (sharedmem-reset.c), CPU1 starts at its reset vector,
 * address 0, with the MMU and caches off. The driver copies this code there
 * (Linux's own Zynq SMP code does the same with zynq_secondary_trampoline)
 * and fills in the two words at its end. It is the BootROM's wait loop, in
 * DDR instead of on-chip memory so that a payload that scribbled over OCM
 * cannot break it:
 *
 *   - it stores the park value into the mailbox: the driver waits for that
 *     store to know that the reset took and CPU1 runs again;
 *   - it waits (WFE) until the mailbox holds something else, the entry
 *     point that the next start writes before its SEV;
 *   - it invalidates the I-cache, branch predictor and TLBs, as the BootROM
 *     does, and jumps there.
 *
 * This is data for Linux (.rodata), never executed on CPU0; it is copied
 * as a whole, so it only uses PC-relative loads of its own words.
 */
	.section .rodata, "a"
	.arm
	.align	5

	.globl	sharedmem_cpu1_trampoline
sharedmem_cpu1_trampoline:
	ldr	r0, sharedmem_cpu1_trampoline_mailbox
	ldr	r1, sharedmem_cpu1_trampoline_park
	str	r1, [r0]			@ "out of reset, waiting"
1:	dsb	sy				@ the store above, then the mailbox read below
	wfe
	ldr	r2, [r0]
	cmp	r2, r1
	beq	1b
	mov	r3, #0
	mcr	p15, 0, r3, c7, c5, 0		@ ICIALLU
	mcr	p15, 0, r3, c7, c5, 6		@ BPIALL
	mcr	p15, 0, r3, c8, c7, 0		@ TLBIALL
	dsb	sy
	isb	sy
	bx	r2

	/* Filled in by the driver before each reset. */
	.globl	sharedmem_cpu1_trampoline_mailbox
sharedmem_cpu1_trampoline_mailbox:
	.word	0				@ physical address of the mailbox
	.globl	sharedmem_cpu1_trampoline_park
sharedmem_cpu1_trampoline_park:
	.word	0				@ the mailbox's "keep waiting" value
	.globl	sharedmem_cpu1_trampoline_end
sharedmem_cpu1_trampoline_end:
