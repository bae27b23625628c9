/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SHAREDMEM_FW_GIC_H
#define SHAREDMEM_FW_GIC_H

#include "sharedmem_channel.h"

/* Enable CPU1's banked CPU interface and its own SGI 15 and PPI 29. */
void gic_init(void);
/* Undo gic_init() before parking. */
void gic_shutdown(void);
/* Acknowledge the highest pending interrupt: its IAR value (ID in bits 9:0). */
__u32 gic_ack(void);
void gic_eoi(__u32 iar);
/* Pend SPI 29 (ID 61): Linux's doorbell. */
void gic_ring_linux(void);

#endif /* SHAREDMEM_FW_GIC_H */
