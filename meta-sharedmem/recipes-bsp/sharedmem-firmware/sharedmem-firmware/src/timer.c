// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPU1's private timer (banked: the same address reaches each CPU's own
 * timer), the tick of the heartbeat and of the idle loop's re-polls.
 */
#include "timer.h"
#include "zynq.h"

#define PTIMER(reg)	REG32(PTIMER_BASE + (reg))

void timer_init(void)
{
	PTIMER(PTIMER_CONTROL) = 0;
	PTIMER(PTIMER_ISR) = 1;
	PTIMER(PTIMER_LOAD) = PERIPHCLK_HZ / HEARTBEAT_HZ - 1;
	PTIMER(PTIMER_CONTROL) = PTIMER_CTRL_ENABLE | PTIMER_CTRL_AUTO | PTIMER_CTRL_IRQ;
}

void timer_stop(void)
{
	PTIMER(PTIMER_CONTROL) = 0;
	PTIMER(PTIMER_ISR) = 1;
}

void timer_ack(void)
{
	PTIMER(PTIMER_ISR) = 1;
}
