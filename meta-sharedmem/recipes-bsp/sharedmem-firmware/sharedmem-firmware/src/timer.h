/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SHAREDMEM_FW_TIMER_H
#define SHAREDMEM_FW_TIMER_H

/* CPU1's private timer: an interrupt (PPI 29) HEARTBEAT_HZ times a second. */
void timer_init(void);
void timer_stop(void);
/* In the interrupt handler: clear the timer's event. */
void timer_ack(void);

#endif /* SHAREDMEM_FW_TIMER_H */
