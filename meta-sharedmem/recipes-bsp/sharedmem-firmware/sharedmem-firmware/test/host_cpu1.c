// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host harness: a Linux process that plays CPU1 on a shared file, running
 * the payload's portable code (channel.c, ring.c, services.c, crc32.c,
 * and faults.c: it is built with fault injection) unchanged, so that the Linux side of the protocol (shmem_helper.channel)
 * can be tested against it on the host.
 *
 *   host_cpu1 FILE [REGION_SIZE]
 *
 * FILE is mmap'd shared, between two guard pages; it plays the channel region. Doorbells are bytes on
 * pipes: a byte on stdin is Linux's doorbell to CPU1, each doorbell to Linux
 * writes one byte to stdout. The log goes to stderr. The harness waits in
 * poll() on stdin with a 10 ms timeout, which doubles as the heartbeat tick,
 * like the payload waits in WFI for the SGI or its private timer. It exits 0
 * after a halt request has been honoured, or when stdin is closed.
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
#include "version.h"

#define TICK_MS 10

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

int main(int argc, char **argv)
{
	static struct channel chan;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	long long next_tick;
	int serving = 1, beating = 1;
	unsigned long size, page;
	struct stat st;
	void *base, *guard;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s FILE [REGION_SIZE]\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	size = argc == 3 ? strtoul(argv[2], NULL, 0) : (unsigned long)st.st_size;
	if (size == 0 || size > (unsigned long)st.st_size) {
		fprintf(stderr, "%s: region size %lu does not fit the file (%lld bytes)\n", argv[1], size,
			(long long)st.st_size);
		return 2;
	}
	/*
	 * The region between two inaccessible guard pages: an access just
	 * outside it kills the harness (SIGSEGV), which the tests notice.
	 */
	page = (unsigned long)sysconf(_SC_PAGESIZE);
	guard = mmap(NULL, size + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	base = mmap((char *)guard + page, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	crc32_init();
	channel_init(&chan, base, (__u32)size, SHAREDMEM_FW_VERSION_CODE);
	fprintf(stderr, "sharedmem-cpu1 %s (host harness)\n", SHAREDMEM_FW_VERSION_STRING);
	next_tick = now_ms() + TICK_MS;
	for (;;) {
		int r = CHANNEL_IDLE;
		long long now;

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
		now = now_ms();
		if (now >= next_tick) {
			if (beating)
				channel_heartbeat(&chan);
			next_tick = now + TICK_MS;
		}
		if (r == CHANNEL_BUSY)
			continue;
		/* Idle: wait for a doorbell or the next tick (CPU1's WFI). */
		if (poll(&pfd, 1, (int)(next_tick - now)) > 0) {
			char buf[256];
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n <= 0)
				return 0;	/* Linux side closed: end */
			while (n-- > 0)
				channel_doorbell_in(&chan);
		}
	}
}
