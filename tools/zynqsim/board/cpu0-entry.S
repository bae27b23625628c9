/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CPU0 entry stub of the emulated ZedBoard.
 *
 * QEMU's zynq machine cannot take `-kernel` together with `-smp 2` (its
 * boot ROM blob and its SMP boot blob overlap at address 0), so every image
 * is placed by QEMU's generic loader device and CPU0 starts here instead. It
 * does what a boot loader does last: enter the zImage following the ARM
 * Linux boot protocol (Documentation/arch/arm/booting.rst):
 *   r0 = 0, r1 = machine type (~0: "use the device tree"), r2 = DTB address,
 *   MMU and D-cache off, IRQs masked, SVC mode (QEMU resets the CPU so).
 *
 * KERNEL_ADDR and DTB_ADDR come from tools/zynqsim/memory_map.py.
 */
	.syntax unified
	.arm
	.section .text, "ax"
	.global	_start
_start:
	mov	r0, #0
	mvn	r1, #0
	ldr	r2, =DTB_ADDR
	ldr	pc, =KERNEL_ADDR
	.ltorg
