/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the portable parts of the payload (ring.c, channel.c, services.c,
 * crc32.c) need from the platform they run on: barriers, the doorbell to
 * Linux and a log. The payload provides them for CPU1 (port_cpu1.c); the
 * host harness (test/host_cpu1.c) provides them for a Linux process that
 * plays CPU1 on a shared file.
 */
#ifndef SHAREDMEM_FW_PORT_H
#define SHAREDMEM_FW_PORT_H

#include "sharedmem_channel.h"

#ifdef SHMEM_HOST_BUILD
/* A full fence orders both loads and stores, as DMB SY does on CPU1. */
#define port_dmb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define port_dsb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#else
/*
 * DMB: orders this CPU's earlier memory accesses before later ones, as seen
 * by Linux on CPU0 (the message before its index, the index before reading
 * the message). DSB: waits until earlier accesses are complete, needed before
 * the doorbell write so that Linux cannot take the interrupt before the data
 * it announces has arrived. Both are compiler barriers too.
 */
#define port_dmb()	__asm__ __volatile__("dmb" : : : "memory")
#define port_dsb()	__asm__ __volatile__("dsb" : : : "memory")
#endif

/*
 * Aligned 32-bit accesses to shared memory, each one access (volatile: the
 * other side may change the word at any time; with CPU1's MMU off an
 * unaligned or split access would fault or tear).
 */
static inline __u32 rd32(const unsigned char *p)
{
	return *(const volatile __u32 *)(const void *)p;
}

static inline void wr32(unsigned char *p, __u32 v)
{
	*(volatile __u32 *)(void *)p = v;
}

/* Ring Linux's doorbell (after port_dsb()). */
void port_doorbell(void);
/* Log a line (a '\n' is added) and a line with a hexadecimal value. */
void port_log(const char *text);
void port_log_hex(const char *text, __u32 value);

#endif /* SHAREDMEM_FW_PORT_H */
