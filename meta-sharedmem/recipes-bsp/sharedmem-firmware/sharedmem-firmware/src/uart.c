// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPU1's log on UART0, transmit only, polled.
 *
 * Only UART0's own registers are touched. Its clocks (uart0 reference clock
 * and APER clock) belong to Linux, which keeps them on because the sharedmem
 * device-tree node holds them; this file never writes the SLCR. If the
 * transmitter is already enabled (a boot loader set the UART up), its baud
 * rate and format are kept; otherwise 115200 8N1 is programmed assuming the
 * usual 100 MHz uart_ref_clk.
 */
#include "uart.h"
#include "zynq.h"

#define UART(reg)	REG32(UART0_BASE + (reg))
/* 100 MHz / (124 * (6 + 1)) = 115207 baud. */
#define BAUDGEN_115200	124U
#define BAUDDIV_115200	6U

void uart_init(void)
{
	__u32 cr = UART(UART_CR);

	if ((cr & UART_CR_TXEN) && !(cr & UART_CR_TXDIS))
		return;
	UART(UART_CR) = UART_CR_TXDIS | UART_CR_RXDIS;
	UART(UART_MR) = UART_MR_8N1;
	UART(UART_BAUDGEN) = BAUDGEN_115200;
	UART(UART_BAUDDIV) = BAUDDIV_115200;
	UART(UART_CR) = UART_CR_TXRST | UART_CR_RXRST;
	UART(UART_CR) = UART_CR_TXEN | UART_CR_RXEN | UART_CR_STPBRK;
}

static void uart_putc(char c)
{
	while (UART(UART_SR) & UART_SR_TXFULL)
		;
	UART(UART_FIFO) = (__u32)(unsigned char)c;
}

void uart_puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			uart_putc('\r');
		uart_putc(*s++);
	}
}

void uart_put_hex(__u32 v)
{
	int shift;

	uart_puts("0x");
	for (shift = 28; shift >= 0; shift -= 4)
		uart_putc("0123456789abcdef"[(v >> shift) & 0xF]);
}
