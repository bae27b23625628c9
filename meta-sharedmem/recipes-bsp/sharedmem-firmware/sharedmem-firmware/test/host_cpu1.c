// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host harness: a Linux process that plays CPU1 on a shared file, running
 * the payload's portable code (channel.c, ring.c, services.c, crc32.c,
 * vring.c, rpmsg.c, and faults.c: it is built with fault injection)
 * unchanged, so that the Linux side of the protocols (shmem_helper.channel,
 * a model of Linux's virtio_rpmsg in the tests) can be tested against it on
 * the host.
 *
 *   host_cpu1 FILE [REGION_SIZE] [--rpmsg WINDOW TABLE]
 *
 * With --rpmsg the same loop also serves the RPMsg device, as the payload's
 * main loop does: WINDOW (RPMSG_WINDOW_SIZE bytes) plays the memory at
 * RPMSG_WINDOW_DA (vrings, buffer pool), TABLE (4096 bytes) the loaded
 * resource table that Linux writes. Each is mapped between guards like FILE.
 *
 * FILE is mmap'd shared; it plays the channel region. Before it lies an
 * inaccessible guard page, after it an inaccessible guard as large as
 * anything a 32-bit offset plus a 32-bit length can reach (8 GiB): whatever
 * offset the payload computes, an access outside the region kills the
 * harness (SIGSEGV) instead of landing in other memory. Doorbells are bytes on
 * pipes: a byte on stdin is Linux's doorbell to CPU1, each doorbell to Linux
 * writes one byte to stdout. The log goes to stderr. The harness waits in
 * poll() on stdin with a 10 ms timeout, which doubles as the heartbeat tick,
 * like the payload waits in WFI for the SGI or its private timer. It exits 0
 * after a halt request has been honoured, or when stdin is closed.
 *
 * Test hooks (environment):
 *   SHMEM_HOST_TOCTOU=config,rings,rpmsg  right after the payload reads a word of
 *       the config line (config) or of a ring or bulk slice (rings: anything
 *       past the control block), or a descriptor, avail.ring entry or buffer
 *       word of the RPMsg window (rpmsg: all but avail.flags/idx, which are
 *       read afresh on every pass), the harness overwrites it with
 *       TOCTOU_POISON, as a user who races writes against the payload would.
 *       Code that reads a value once and uses its copy is unaffected; code
 *       that reads it again (a double fetch) gets the poison, an offset or
 *       size that leads outside the region.
 *   SHMEM_HOST_BULK_NS_PER_BYTE=N   port_bulk_cost() sleeps N ns per byte of
 *       CRC32 or FILL work: a long request on the host, as on silicon.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "crc32.h"
#include "port.h"
#include "rpmsg.h"
#include "rsc_table.h"
#include "version.h"

#define TICK_MS 10
#define TOCTOU_POISON 0xFFFFFFE0U	/* 32-byte aligned, and far outside any region */
#define GUARD_AFTER (8ULL << 30)	/* > UINT32_MAX + UINT32_MAX */

static struct channel chan;
static struct rpmsg rpmsg;
static unsigned char *region, *window;
static unsigned long region_size;
static int toctou_config, toctou_rings, toctou_rpmsg;
static long bulk_ns_per_byte;
static long long next_tick;
static int beating = 1;

void port_doorbell(void)
{
	static const char bell = '!';

	if (write(STDOUT_FILENO, &bell, 1) != 1 && errno != EAGAIN)
		_exit(3);	/* Linux side gone */
}

void port_log(const char *text)
{
	fprintf(stderr, "%s\n", text);
}

void port_log_hex(const char *text, __u32 value)
{
	fprintf(stderr, "%s 0x%08x\n", text, value);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The avail.flags/idx word of either vring: read again on every pass, by design. */
static int rpmsg_poisoned(unsigned long offset)
{
	unsigned long avail0 = RPMSG_VRING0_DA - RPMSG_WINDOW_DA + 16 * RPMSG_VRING_NUM;
	unsigned long avail1 = RPMSG_VRING1_DA - RPMSG_WINDOW_DA + 16 * RPMSG_VRING_NUM;

	return toctou_rpmsg && offset < RPMSG_WINDOW_SIZE && offset != avail0 && offset != avail1;
}

__u32 port_shared_read(const unsigned char *p)
{
	volatile __u32 *word = (volatile __u32 *)(unsigned long)p;
	unsigned long offset = (unsigned long)(p - region);
	__u32 value = *word;

	if (offset < region_size) {
		if ((toctou_config && offset < sizeof(struct shmem_chan_config)) ||
		    (toctou_rings && offset >= SHMEM_CHAN_CTRL_SIZE))
			*word = TOCTOU_POISON;
	}
	if (window && rpmsg_poisoned((unsigned long)(p - window)))
		*word = TOCTOU_POISON;
	return value;
}

__u32 port_shared_read16(const unsigned char *p)
{
	volatile unsigned short *half = (volatile unsigned short *)(unsigned long)p;
	__u32 value = *half;

	if (window && rpmsg_poisoned((unsigned long)(p - window)))
		*half = (unsigned short)TOCTOU_POISON;
	return value;
}

/* The heartbeat tick, due every TICK_MS; also called between slices. */
static void tick(void)
{
	long long now = now_ms();

	if (now >= next_tick) {
		if (beating)
			channel_heartbeat(&chan);
		next_tick = now + TICK_MS;
	}
}

void port_yield(void)
{
	tick();
}

void port_bulk_cost(__u32 bytes)
{
	long long ns = (long long)bytes * bulk_ns_per_byte;
	struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };

	if (ns)
		nanosleep(&ts, NULL);
}

static void read_hooks(void)
{
	const char *toctou = getenv("SHMEM_HOST_TOCTOU");
	const char *cost = getenv("SHMEM_HOST_BULK_NS_PER_BYTE");

	toctou_config = toctou && strstr(toctou, "config");
	toctou_rings = toctou && strstr(toctou, "rings");
	toctou_rpmsg = toctou && strstr(toctou, "rpmsg");
	bulk_ns_per_byte = cost ? strtol(cost, NULL, 0) : 0;
	if (toctou)
		fprintf(stderr, "host harness: TOCTOU injection on%s%s%s\n", toctou_config ? " config" : "",
			toctou_rings ? " rings" : "", toctou_rpmsg ? " rpmsg" : "");
}

/*
 * `size` bytes of `path` (0: the whole file) mapped shared between
 * inaccessible guards (a page before, 8 GiB after): an access outside it
 * kills the harness (SIGSEGV), which the tests notice. NULL on failure.
 */
static unsigned char *map_guarded(const char *path, unsigned long *size)
{
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	struct stat st;
	void *base, *guard;
	int fd;

	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		return NULL;
	}
	if (!*size)
		*size = (unsigned long)st.st_size;
	if (*size == 0 || *size > (unsigned long)st.st_size) {
		fprintf(stderr, "%s: size %lu does not fit the file (%lld bytes)\n", path, *size,
			(long long)st.st_size);
		return NULL;
	}
	guard = mmap(NULL, page + *size + GUARD_AFTER, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (guard == MAP_FAILED) {
		perror("mmap");
		return NULL;
	}
	base = mmap((char *)guard + page, *size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		return NULL;
	}
	close(fd);
	return base;
}

int main(int argc, char **argv)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	int serving = 1, rpmsg_on = 0, args = argc;
	unsigned long size = 0, window_size = RPMSG_WINDOW_SIZE, table_size = 4096;
	unsigned char *base, *table = NULL;

	if (args >= 4 && !strcmp(argv[args - 3], "--rpmsg")) {
		rpmsg_on = 1;
		args -= 3;
	}
	if (args < 2 || args > 3) {
		fprintf(stderr, "usage: %s FILE [REGION_SIZE] [--rpmsg WINDOW TABLE]\n", argv[0]);
		return 2;
	}
	if (args == 3)
		size = strtoul(argv[2], NULL, 0);
	base = map_guarded(argv[1], &size);
	if (!base)
		return 1;
	if (rpmsg_on) {
		window = map_guarded(argv[argc - 2], &window_size);
		table = map_guarded(argv[argc - 1], &table_size);
		if (!window || !table)
			return 1;
	}
	region = base;
	region_size = size;
	read_hooks();
	crc32_init();
	channel_init(&chan, base, (__u32)size, SHAREDMEM_FW_VERSION_CODE);
	if (rpmsg_on) {
		rpmsg_init(&rpmsg, table, window);
		chan.rpmsg = &rpmsg;
	}
	fprintf(stderr, "sharedmem-cpu1 %s (host harness%s)\n", SHAREDMEM_FW_VERSION_STRING,
		rpmsg_on ? ", rpmsg" : "");
	next_tick = now_ms() + TICK_MS;
	for (;;) {
		int r = CHANNEL_IDLE;

		if (serving)
			r = channel_poll(&chan);
		else if (channel_halt_requested(&chan))
			r = CHANNEL_HALT;
		if (r == CHANNEL_HALT) {
			channel_halted(&chan);
			return 0;
		}
		if (r == CHANNEL_FAULT) {
			/* HANG, SILENT, and UNDEF (no exception to take here: a hang). */
			fprintf(stderr, "sharedmem-cpu1: fault %u: no longer serving\n", chan.fault.kind);
			serving = 0;
			beating = chan.fault.kind == SHMEM_FAULT_SILENT;
			r = CHANNEL_IDLE;
		}
		/* The vrings, on the same doorbells and ticks (as main.c); not once the payload hangs. */
		if (rpmsg_on && serving && rpmsg_poll(&rpmsg) == RPMSG_BUSY)
			r = CHANNEL_BUSY;
		tick();
		if (r == CHANNEL_BUSY)
			continue;
		/* Idle: wait for a doorbell or the next tick (CPU1's WFI). */
		if (poll(&pfd, 1, (int)(next_tick > now_ms() ? next_tick - now_ms() : 0)) > 0) {
			char buf[256];
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n <= 0)
				return 0;	/* Linux side closed: end */
			while (n-- > 0)
				channel_doorbell_in(&chan);
		}
	}
}
