// SPDX-License-Identifier: GPL-2.0-only
/* The platform functions of port.h for CPU1: UART0 log, SPI 29 doorbell. */
#include "gic.h"
#include "port.h"
#include "uart.h"

void port_doorbell(void)
{
	gic_ring_linux();
}

void port_log(const char *text)
{
	uart_puts(text);
	uart_puts("\n");
}

void port_log_hex(const char *text, __u32 value)
{
	uart_puts(text);
	uart_puts(" ");
	uart_put_hex(value);
	uart_puts("\n");
}
