/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Zynq-7000 addresses CPU1 uses (UG585), and the channel's place. Only
 * registers CPU1 owns are named here: UART0's own registers, the banked GIC
 * CPU interface and banked distributor registers of IDs 0-31, CPU1's private
 * timer, one distributor word to pend Linux's doorbell, and the BootROM
 * mailbox. Nothing of the SLCR, clocks, SCU or L2 controller: Linux owns them.
 */
#ifndef SHAREDMEM_FW_ZYNQ_H
#define SHAREDMEM_FW_ZYNQ_H

#include "sharedmem_channel.h"

#define REG32(addr)		(*(volatile __u32 *)(addr))

/* The regions of the device tree (sharedmem-zynq7000.dtsi); the Makefile may override. */
#ifndef CHANNEL_BASE
#define CHANNEL_BASE		0x1E400000U
#endif
#ifndef CHANNEL_SIZE
#define CHANNEL_SIZE		0x01000000U
#endif

/* UART0 (Cadence UART). */
#define UART0_BASE		0xE0000000U
#define UART_CR			0x00	/* control */
#define UART_MR			0x04	/* mode */
#define UART_BAUDGEN		0x18
#define UART_SR			0x2C	/* channel status */
#define UART_FIFO		0x30
#define UART_BAUDDIV		0x34
#define UART_CR_TXRST		(1U << 1)
#define UART_CR_RXRST		(1U << 0)
#define UART_CR_RXEN		(1U << 2)
#define UART_CR_RXDIS		(1U << 3)
#define UART_CR_TXEN		(1U << 4)
#define UART_CR_TXDIS		(1U << 5)
#define UART_CR_STPBRK		(1U << 8)
#define UART_MR_8N1		0x20U	/* 8 data bits, no parity, 1 stop bit, uart_ref_clk */
#define UART_SR_TXFULL		(1U << 4)
#define UART_SR_TXEMPTY		(1U << 3)

/* GIC (Cortex-A9 MPCore private region). */
#define GICC_BASE		0xF8F00100U	/* CPU interface, banked per CPU */
#define GICC_CTLR		0x00
#define GICC_PMR		0x04
#define GICC_BPR		0x08
#define GICC_IAR		0x0C
#define GICC_EOIR		0x10
#define GICD_BASE		0xF8F01000U
#define GICD_ISENABLER0		0x100	/* IDs 0-31: banked per CPU */
#define GICD_ISPENDR1		0x204	/* IDs 32-63 */
#define GICD_ICENABLER0		0x180	/* banked */
#define GICD_ICPENDR0		0x280	/* banked */
#define GICD_IPRIORITYR(id)	(0x400 + (id))	/* byte access; 0-31 banked */
#define GIC_SPURIOUS		1023U

#define DOORBELL_FROM_LINUX	15U	/* SGI 15, sent by Linux through GICD_SGIR */
#define DOORBELL_TO_LINUX_SPI	29U	/* SPI 29 = ID 61: bit 29 of GICD_ISPENDR1 */
#define PRIVATE_TIMER_ID	29U	/* PPI 29 */

/* CPU1's private timer (banked per CPU at the same address). */
#define PTIMER_BASE		0xF8F00600U
#define PTIMER_LOAD		0x00
#define PTIMER_CONTROL		0x08
#define PTIMER_ISR		0x0C
#define PTIMER_CTRL_ENABLE	(1U << 0)
#define PTIMER_CTRL_AUTO	(1U << 1)
#define PTIMER_CTRL_IRQ		(1U << 2)
/* PERIPHCLK = CPU clock / 2: 333 MHz with a 667 MHz CPU (ZedBoard, ZC702). */
#ifndef PERIPHCLK_HZ
#define PERIPHCLK_HZ		333333333U
#endif
#define HEARTBEAT_HZ		100U

/* The BootROM's CPU1 park loop and its mailbox (UG585, "Starting code on CPU 1"). */
#define BOOTROM_PARK_LOOP	0xFFFFFF2CU
#define BOOTROM_MAILBOX		0xFFFFFFF0U

#endif /* SHAREDMEM_FW_ZYNQ_H */
