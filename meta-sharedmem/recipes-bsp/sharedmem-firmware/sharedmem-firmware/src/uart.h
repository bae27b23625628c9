/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SHAREDMEM_FW_UART_H
#define SHAREDMEM_FW_UART_H

#include "sharedmem_channel.h"

void uart_init(void);
void uart_puts(const char *s);
void uart_put_hex(__u32 v);

#endif /* SHAREDMEM_FW_UART_H */
