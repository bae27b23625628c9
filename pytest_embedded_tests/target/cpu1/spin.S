/* SPDX-License-Identifier: MIT */
/*
 * A CPU1 payload that never cooperates: interrupts and fast interrupts
 * masked, then an endless loop. It never reports READY, never answers a
 * halt request or a doorbell: only a reset through the SLCR gets CPU1 back
 * (tests: pytest_embedded_tests/test_cpu1_reset.py; built by
 * tools/zynqsim/build.py's cpu1_test_payload, linked into cpu1-firmware).
 */
	.arm
	.text
	.globl	_start
_start:
	cpsid	if
1:	b	1b
