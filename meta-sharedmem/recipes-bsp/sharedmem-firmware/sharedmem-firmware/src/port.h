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
 * other side may change the word at any time; an unaligned or split access
 * would fault on Device or Strongly-ordered memory, or tear).
 *
 * Every read of a word the other side can write goes through rd32() (SH_RD()
 * for a field of the control block): the caller keeps the value in private
 * memory, validates that copy and uses only the copy (STYLE.md, "read shared
 * memory once"). The host harness implements the read itself, so that a test
 * can change the word right after CPU1 has read it (test/host_cpu1.c,
 * SHMEM_HOST_TOCTOU): a second read of the same word would see the change.
 */
#ifdef SHMEM_HOST_BUILD
__u32 port_shared_read(const unsigned char *p);
__u32 port_shared_read16(const unsigned char *p);

static inline __u32 rd32(const unsigned char *p)
{
	return port_shared_read(p);
}

static inline __u32 rd16(const unsigned char *p)
{
	return port_shared_read16(p);
}
#else
static inline __u32 rd32(const unsigned char *p)
{
	return *(const volatile __u32 *)(const void *)p;
}

/* An aligned 16-bit field (a virtio avail ring entry): one access. */
static inline __u32 rd16(const unsigned char *p)
{
	return *(const volatile unsigned short *)(const void *)p;
}
#endif

#define SH_RD(field)	rd32((const unsigned char *)(const volatile void *)&(field))

static inline void wr32(unsigned char *p, __u32 v)
{
	*(volatile __u32 *)(void *)p = v;
}

/*
 * Between two slices of a long request (and between requests): let the
 * platform take its pending tick and advance the heartbeat, so that a
 * request of any size keeps the watchdog fed. CPU1: opens a window for
 * the timer interrupt; the host harness: beats when its 10 ms tick is due.
 */
void port_yield(void);

/*
 * `bytes` of bulk work (CRC32, FILL) were just done. CPU1: nothing. The host
 * harness, which is some hundred times faster than CPU1 on uncached DDR, may
 * sleep here for the time silicon would take (SHMEM_HOST_BULK_NS_PER_BYTE),
 * so that a test sees a long request as a ZedBoard would.
 */
#ifdef SHMEM_HOST_BUILD
void port_bulk_cost(__u32 bytes);
#else
static inline void port_bulk_cost(__u32 bytes)
{
	(void)bytes;
}
#endif

/* Ring Linux's doorbell (after port_dsb()). */
void port_doorbell(void);
/* Log a line (a '\n' is added) and a line with a hexadecimal value. */
void port_log(const char *text);
void port_log_hex(const char *text, __u32 value);

#endif /* SHAREDMEM_FW_PORT_H */
