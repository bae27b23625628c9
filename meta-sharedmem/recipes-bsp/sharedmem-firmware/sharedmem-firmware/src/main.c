// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem CPU1 payload: entered from startup.S with the MMU and caches
 * on, IRQs masked, its own vectors and stacks. Serves the channel and the
 * RPMsg device (its vrings) from one loop until Linux asks for a halt, then
 * returns CPU1 to the BootROM park loop so that Linux can start it (or
 * another payload) again.
 *
 * Idle waiting is WFI with IRQs masked at the CPU: the SGI doorbell or the
 * timer tick wakes it, the interrupt is taken once IRQs are unmasked, and the
 * channel and the vrings are polled again (one doorbell from Linux, SGI 15,
 * serves both; so does each tick, which also notices a vdev status change). Masking around the check-then-WFI closes the race
 * where a doorbell arrives between the last poll and the WFI.
 */
#include "channel.h"
#include "crc32.h"
#include "gic.h"
#include "port.h"
#include "rpmsg.h"
#include "rsc_table.h"
#include "timer.h"
#include "uart.h"
#include "version.h"
#include "zynq.h"

void irq_handler(void);
void fault_handler(__u32 kind, __u32 address);
void main(void) __attribute__((noreturn));
/* startup.S: D-cache off, cleaned and invalidated; MMU, I-cache, prediction off. */
void caches_off(void);
/* startup.S: IRQs and FIQs off, jump to the park loop (never returns). */
void park(__u32 loop) __attribute__((noreturn));

static struct channel chan;
static struct rpmsg rpmsg;
/* rsc_table.c: the loaded copy, which Linux writes. */
extern struct rsc_table resource_table;
/* Written by the interrupt handler, read by the main loop with IRQs masked. */
static volatile __u32 ticks, doorbells;
/* The ticks already turned into heartbeats (main loop and port_yield()). */
static __u32 ticks_seen;

void irq_handler(void)
{
	for (;;) {
		__u32 iar = gic_ack();
		__u32 id = iar & 0x3FF;

		if (id == GIC_SPURIOUS)
			break;
		if (id == PRIVATE_TIMER_ID) {
			timer_ack();
			ticks = ticks + 1;
		} else if (id == DOORBELL_FROM_LINUX) {
			doorbells = doorbells + 1;
		}
		gic_eoi(iar);
	}
}

static void __attribute__((noreturn)) halt(void);

/* One heartbeat per timer tick taken since the last call (IRQs masked). */
static void beat(void)
{
	while (ticks_seen != ticks) {
		channel_heartbeat(&chan);
		ticks_seen++;
	}
}

/*
 * port.h: between slices of a long request. The main loop serves with IRQs
 * masked; open a short window so that a pending timer tick is taken (the ISB
 * makes the unmasking take effect before the mask is set again), then beat.
 */
void port_yield(void)
{
	__asm__ __volatile__("cpsie i\n\tisb\n\tcpsid i" : : : "memory");
	beat();
}

/*
 * Undefined instruction or abort: log it and stop beating, so that Linux
 * declares CPU1 crashed. The halt request of remoteproc's recovery is still
 * honoured: with IRQs masked, WFI wakes on the doorbell or the tick (taken
 * here, by hand), and CPU1 goes back to the park loop to be started again.
 * Neither the heartbeat nor the channel is touched before that.
 */
void fault_handler(__u32 kind, __u32 address)
{
	static const char *const names[] = { "undefined instruction", "prefetch abort", "data abort" };

	__u32 far = 0, fsr = 0;

	/* The fault address and status registers (ARM ARM B4.1.52, B4.1.96). */
	if (kind == 1)
		__asm__ __volatile__("mrc p15, 0, %0, c6, c0, 2\n\tmrc p15, 0, %1, c5, c0, 1"
				     : "=r"(far), "=r"(fsr));
	else if (kind == 2)
		__asm__ __volatile__("mrc p15, 0, %0, c6, c0, 0\n\tmrc p15, 0, %1, c5, c0, 0"
				     : "=r"(far), "=r"(fsr));
	port_log(kind < 3 ? names[kind] : "unknown exception");
	port_log_hex("sharedmem-cpu1: fault at", address);
	if (kind == 1 || kind == 2) {
		port_log_hex("sharedmem-cpu1:   address", far);
		port_log_hex("sharedmem-cpu1:   status", fsr);
	}
	for (;;) {
		__asm__ __volatile__("cpsid if\n\twfi" : : : "memory");
		irq_handler();
		if (channel_halt_requested(&chan))
			halt();
	}
}

#ifdef SHAREDMEM_FW_FAULTS
/*
 * HANG (beating = 0) and SILENT (beating = 1) faults: never serve the
 * channel again, but honour a halt request, as a payload stuck in a loop of
 * its own that still checks for one would.
 */
static void __attribute__((noreturn)) stop_serving(int beating)
{
	port_log(beating ? "sharedmem-cpu1: fault: silent (beating, not serving)"
			 : "sharedmem-cpu1: fault: hang (neither beating nor serving)");
	for (;;) {
		__asm__ __volatile__("cpsid i" : : : "memory");
		if (beating)
			beat();
		else
			ticks_seen = ticks;
		if (channel_halt_requested(&chan)) {
			channel_set_state(&chan, SHMEM_CPU1_HALTING);
			halt();
		}
		__asm__ __volatile__("wfi\n\tcpsie i" : : : "memory");
	}
}

static void __attribute__((noreturn)) misbehave(__u32 kind)
{
	if (kind == SHMEM_FAULT_UNDEF) {
		port_log("sharedmem-cpu1: fault: executing an undefined instruction");
		/* UDF #0 (A1 encoding, permanently undefined). */
		__asm__ __volatile__(".inst 0xe7f000f0" : : : "memory");
	}
	stop_serving(kind == SHMEM_FAULT_SILENT);
}
#endif

static void __attribute__((noreturn)) halt(void)
{
	__asm__ __volatile__("cpsid if" : : : "memory");
	timer_stop();
	gic_shutdown();
	/*
	 * Caches clean and off, MMU off, before Linux may learn of the halt:
	 * from HALTED on it may write a new image over this one.
	 */
	caches_off();
	/*
	 * Reset the mailbox before saying HALTED: once Linux sees HALTED it may
	 * write a new entry point, which must not be overwritten here. The DSB
	 * completes the write before the state change that follows.
	 */
	REG32(BOOTROM_MAILBOX) = BOOTROM_PARK_LOOP;
	port_dsb();
	channel_halted(&chan);
	park(BOOTROM_PARK_LOOP);
}

void main(void)
{
	__u32 doorbells_seen = 0;

	uart_init();
	port_log("sharedmem-cpu1 " SHAREDMEM_FW_VERSION_STRING ": started on CPU1");
	crc32_init();
	channel_init(&chan, (void *)CHANNEL_BASE, CHANNEL_SIZE, SHAREDMEM_FW_VERSION_CODE);
	rpmsg_init(&rpmsg, &resource_table, (void *)RPMSG_WINDOW_DA);
	chan.rpmsg = &rpmsg;
	gic_init();
	timer_init();
	for (;;) {
		int r, rr;

		__asm__ __volatile__("cpsid i" : : : "memory");
		beat();
		while (doorbells_seen != doorbells) {
			channel_doorbell_in(&chan);
			doorbells_seen++;
		}
		r = channel_poll(&chan);
		if (r == CHANNEL_HALT)
			halt();
#ifdef SHAREDMEM_FW_FAULTS
		if (r == CHANNEL_FAULT)
			misbehave(chan.fault.kind);
#endif
		rr = rpmsg_poll(&rpmsg);
		if (r == CHANNEL_IDLE && rr == RPMSG_IDLE && ticks_seen == ticks && doorbells_seen == doorbells)
			__asm__ __volatile__("wfi" : : : "memory");
		__asm__ __volatile__("cpsie i" : : : "memory");
	}
}
