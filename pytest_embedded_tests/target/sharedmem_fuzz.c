// SPDX-License-Identifier: MIT
/*
 * Syscall fuzzer for the sharedmem driver; runs on the board as root (glibc
 * only). In C because the board is slow under emulation: Python managed
 * ~1,000 operations/s there, too few for runs of 10,000,000.
 *
 *     sharedmem_fuzz --seed 1 --ops 100000 --procs 4
 *
 * Cross-compiled (tools/fuzz and test_fuzz.py do it, cached: the step
 * target-sharedmem_fuzz of tools/zynqsim/build.py), then copied to the board:
 *
 *     arm-linux-gnueabihf-gcc -std=gnu11 -O2 -Wall -Wextra -Werror \
 *         -I meta-sharedmem/recipes-kernel/sharedmem/sharedmem/include/uapi \
 *         -o sharedmem_fuzz pytest_embedded_tests/target/sharedmem_fuzz.c
 *
 * Several worker processes issue random sequences of open, close, read, write,
 * lseek, mmap, munmap, mremap, fork-with-mapping, poll and every ioctl with
 * random and boundary arguments, on per-open buffers (/dev/sharedmem/buffer)
 * and on the persistent channel region; one worker also starts and stops CPU1
 * through remoteproc. Worker i draws from a xoshiro256** generator seeded with
 * the FNV-1a hash of "<seed>/<i>", so a run is reproduced by its seed (the
 * interleaving of the workers is not: the kernel's scheduler decides it).
 *
 * What counts as a failure here: a worker killed by a signal (a mapping that
 * mmap() granted must stay usable, even after close, RESIZE or FREE of its
 * buffer; a forked child that dies touching the mappings it inherited fails
 * its worker), EFAULT from a call whose buffer is valid, a call outside the
 * fuzzing that fails (fork, reading remoteproc's sysfs), or data that a per-open buffer does not give back.
 * The kernel's own verdict (KASAN, lockdep, WARN, ...) is in its log, which
 * the caller checks. The last line is a JSON summary; on failure the seed is
 * printed to reproduce it.
 *
 * The cpu1-firmware region is opened read-only: writing code into it while
 * CPU1 runs is not a driver bug but arbitrary code on CPU1 (see
 * meta-sharedmem/SECURITY.md).
 */
#define _GNU_SOURCE
/* 32-bit ARM: 64-bit offsets for pread, pwrite, lseek and mmap (buffer ids). */
#define _FILE_OFFSET_BITS 64

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <misc/sharedmem.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))

#define PROG		"sharedmem_fuzz"
#define DEV		"/dev/sharedmem"
#define REMOTEPROC	"/sys/class/remoteproc"
#define CPU1_NAME	"zynq-cpu1"

#define MAX_FILES	16		/* open fds per worker */
#define MAX_MAPS	24		/* mappings per worker */
#define MAX_IDS		16		/* ids ALLOC returned, kept for FREE */
#define READ_MAX	(1 << 17)	/* longest pread() */
#define WRITE_MAX	(1 << 16)	/* longest pwrite() (or a page) */
#define FAILURE_MAX	256		/* a worker's failure message */
#define REPORT_MAX	4096		/* a worker's report to the parent */
#define MAX_PROCS	256
#define MAX_TOTALS	64		/* counter names in the summary */

/*
 * Bogus ioctls get a zeroed buffer as large as any size the number can
 * encode, so that a driver that copies _IOC_SIZE() bytes cannot scribble
 * over the fuzzer's own memory.
 */
#define IOCTL_ARG_MAX	(_IOC_SIZEMASK + 1)
/* The first ioctl number the uapi does not use. */
#define FIRST_UNUSED_NR	(_IOC_NR(SHAREDMEM_IOC_EVENTS) + 1)

enum node { NODE_BUFFER, NODE_CHANNEL, NODE_FIRMWARE };

static const char *const node_paths[] = {
	[NODE_BUFFER]	= DEV "/buffer",
	[NODE_CHANNEL]	= DEV "/sharedmem-channel",
	[NODE_FIRMWARE]	= DEV "/cpu1-firmware",
};

/* What the summary counts: successful calls by name, refused ones as errors. */
enum counter {
	C_OPEN, C_CLOSE, C_PREAD, C_PWRITE, C_LSEEK, C_MMAP, C_MUNMAP, C_MREMAP,
	C_TOUCH, C_FORK, C_IOCTL_VERSION, C_IOCTL_INFO, C_IOCTL_ALLOC, C_IOCTL_FREE,
	C_IOCTL_RESIZE, C_IOCTL_DOORBELL, C_IOCTL_EVENTS, C_IOCTL_BOGUS,
	C_IOCTL_BADPTR, C_POLL, C_REMOTEPROC_START, C_REMOTEPROC_STOP, C_REMOTEPROC_REFUSED, C_ERRORS,
	NR_COUNTERS
};

static const char *const counter_names[NR_COUNTERS] = {
	[C_OPEN] = "open",		[C_CLOSE] = "close",
	[C_PREAD] = "pread",		[C_PWRITE] = "pwrite",
	[C_LSEEK] = "lseek",		[C_MMAP] = "mmap",
	[C_MUNMAP] = "munmap",		[C_MREMAP] = "mremap",
	[C_TOUCH] = "touch",		[C_FORK] = "fork",
	[C_IOCTL_VERSION] = "ioctl-VERSION",
	[C_IOCTL_INFO] = "ioctl-INFO",
	[C_IOCTL_ALLOC] = "ioctl-ALLOC",
	[C_IOCTL_FREE] = "ioctl-FREE",
	[C_IOCTL_RESIZE] = "ioctl-RESIZE",
	[C_IOCTL_DOORBELL] = "ioctl-DOORBELL",
	[C_IOCTL_EVENTS] = "ioctl-EVENTS",
	[C_IOCTL_BOGUS] = "ioctl-bogus",
	[C_IOCTL_BADPTR] = "ioctl-badptr",
	[C_POLL] = "poll",
	[C_REMOTEPROC_START] = "remoteproc-start",
	[C_REMOTEPROC_STOP] = "remoteproc-stop",
	[C_REMOTEPROC_REFUSED] = "remoteproc-refused",
	[C_ERRORS] = "errors",
};

/* Every ioctl of the uapi, each with its counter. */
static const struct {
	unsigned long cmd;
	enum counter counter;
} ioctls[] = {
	{ SHAREDMEM_IOC_VERSION,	C_IOCTL_VERSION },
	{ SHAREDMEM_IOC_INFO,		C_IOCTL_INFO },
	{ SHAREDMEM_IOC_ALLOC,		C_IOCTL_ALLOC },
	{ SHAREDMEM_IOC_FREE,		C_IOCTL_FREE },
	{ SHAREDMEM_IOC_RESIZE,		C_IOCTL_RESIZE },
	{ SHAREDMEM_IOC_DOORBELL,	C_IOCTL_DOORBELL },
	{ SHAREDMEM_IOC_EVENTS,		C_IOCTL_EVENTS },
};

static const uint32_t boundary_u32[] = {
	0, 1, 2, 3, 7, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF,
};

/*
 * Pointers no ioctl may follow: NULL, in the page at 0 (never mapped), and
 * kernel addresses on the board (3G/1G split).
 */
static const uintptr_t bad_pointers[] = { 0, 1, 0xFFFFF000, 0xC0000000 };

/* Set once in main() before the workers start. */
static size_t page;
static size_t write_max;	/* max(page, WRITE_MAX) */
static uint64_t boundary_sizes[14];

/* -- random numbers --------------------------------------------------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t fnv1a(uint64_t hash, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		hash = (hash ^ *p++) * UINT64_C(0x100000001b3);
	return hash;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Worker @index of a run draws from the hash of "<seed>/<index>". */
static void rng_seed(struct rng *rng, const char *seed, int index)
{
	char suffix[16];
	uint64_t x = UINT64_C(0xcbf29ce484222325);
	size_t i;

	x = fnv1a(x, seed, strlen(seed));
	x = fnv1a(x, suffix, (size_t)snprintf(suffix, sizeof(suffix), "/%d", index));
	for (i = 0; i < ARRAY_SIZE(rng->s); i++)
		rng->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t rng_next(struct rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/*
 * Uniform in [0, n), n > 0. Avoids 64-bit division where it can: the
 * Cortex-A9 has no divide instruction at all.
 */
static uint64_t rng_below(struct rng *rng, uint64_t n)
{
	uint64_t x, threshold;

	if (!(n & (n - 1)))
		return rng_next(rng) & (n - 1);
	if (n <= UINT32_MAX) {
		/* Lemire's multiply-and-reject */
		uint32_t n32 = (uint32_t)n;
		uint64_t m = (rng_next(rng) >> 32) * n32;

		if ((uint32_t)m < n32) {
			uint32_t low = -n32 % n32;

			while ((uint32_t)m < low)
				m = (rng_next(rng) >> 32) * n32;
		}
		return m >> 32;
	}
	threshold = -n % n;
	do
		x = rng_next(rng);
	while (x < threshold);
	return x % n;
}

static void rng_fill(struct rng *rng, unsigned char *buf, size_t len)
{
	uint64_t x;

	for (; len >= sizeof(x); buf += sizeof(x), len -= sizeof(x)) {
		x = rng_next(rng);
		memcpy(buf, &x, sizeof(x));
	}
	x = rng_next(rng);
	memcpy(buf, &x, len);
}

/* -- a worker's state ------------------------------------------------------- */

/* The bytes last pwrite()n whole to a buffer node's own buffer (id 0). */
struct shadow {
	unsigned char *data;	/* write_max bytes, allocated at first use */
	uint64_t at;
	size_t len;		/* 0: nothing known */
};

struct open_file {
	int fd;
	enum node node;
	struct shadow shadow;
};

struct mapping {
	unsigned char *addr;
	size_t len;
};

struct worker {
	struct rng rng;
	int index;
	bool lifecycle;
	struct open_file files[MAX_FILES];
	unsigned int nr_files;
	struct mapping maps[MAX_MAPS];
	unsigned int nr_maps;
	uint32_t ids[MAX_IDS];	/* buffer ids ALLOC returned (0: each open's own) */
	unsigned int nr_ids;
	unsigned long long counts[NR_COUNTERS];
	unsigned char *read_buf;
	unsigned char *write_buf;
	unsigned char *ioctl_buf;
	char failure[FAILURE_MAX];
};

#define CHOICE(w, array)	((array)[rng_below(&(w)->rng, ARRAY_SIZE(array))])

/*
 * One of the values: all are evaluated first
 * (at most one of them draws a random number, so their order does not
 * matter to the sequence).
 */
#define PICK(w, ...)							\
	pick(w, (const uint64_t[]){ __VA_ARGS__ },			\
	     sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

static uint64_t pick(struct worker *w, const uint64_t *values, size_t n)
{
	return values[rng_below(&w->rng, n)];
}

static bool chance(struct worker *w, unsigned int percent)
{
	return rng_below(&w->rng, 100) < percent;
}

static uint64_t random_size(struct worker *w)
{
	uint64_t r = rng_below(&w->rng, 10);

	if (r < 3)
		return CHOICE(w, boundary_sizes);
	if (r < 6)
		return rng_below(&w->rng, 1 << 20);
	return rng_below(&w->rng, 64 << 10);
}

static struct open_file *random_file(struct worker *w)
{
	return w->nr_files ? &w->files[rng_below(&w->rng, w->nr_files)] : NULL;
}

static void count(struct worker *w, enum counter c)
{
	w->counts[c]++;
}

static int __printf(2, 3) fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->failure, sizeof(w->failure), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * A call outside the fuzzing failed (fork, remoteproc's sysfs): a failure of
 * the run, reported as an exception would be.
 */
static int fail_oserror(struct worker *w, int err, const char *filename)
{
	if (filename)
		return fail(w, "%s: %s: '%s'", strerrorname_np(err), strerror(err), filename);
	return fail(w, "%s: %s", strerrorname_np(err), strerror(err));
}

/*
 * The outcome of a fuzzed call, errno set if @failed: counts[c] counts the
 * successes, counts[errors] the calls the kernel refused (many are meant to
 * be). EFAULT where the buffer was valid is a failure.
 */
static int syscall_result(struct worker *w, enum counter c, bool failed)
{
	int err = errno;

	if (!failed) {
		count(w, c);
		return 0;
	}
	if (err == EFAULT && c != C_IOCTL_BADPTR && c != C_IOCTL_BOGUS)
		return fail(w, "%s: EFAULT with a valid buffer", counter_names[c]);
	count(w, C_ERRORS);
	return 0;
}

/* -- the shadow of a buffer's contents -------------------------------------- */

/* Where touch() reads (and writes) in a mapping of @len bytes: each step. */
static size_t touch_step(size_t len)
{
	return len / 8 > page ? len / 8 : page;
}

/*
 * What a write through a mapping did to the bytes last pwrite()n: read()
 * must then see the mapping's stores (one memory, two views). touch()
 * incremented the byte at every step of a mapping at buffer offset @offset.
 */
static void shadow_apply(struct shadow *s, uint64_t offset, size_t len)
{
	size_t step = touch_step(len);
	size_t at;

	if (!s->len || !len)
		return;
	for (at = 0;; at += step) {
		uint64_t position = offset + at;

		if (position >= s->at && position - s->at < s->len)
			s->data[position - s->at]++;
		if (len - at <= step)
			break;
	}
}

/*
 * RESIZE keeps what fits in the new size; what lay beyond is gone (growing
 * again brings fresh memory there).
 */
static void shadow_resize(struct shadow *s, uint64_t size)
{
	if (!s->len)
		return;
	if (s->at >= size)
		s->len = 0;
	else if (s->len > size - s->at)
		s->len = (size_t)(size - s->at);
}

/* -- operations ------------------------------------------------------------- */

/*
 * Every page of a mapping the kernel granted must be readable (and writable
 * if asked): SIGBUS or SIGSEGV here is a failure (the worker dies of it).
 */
static void touch(struct worker *w, const struct mapping *m, bool writable)
{
	/* volatile: the accesses are the point, the compiler must keep them */
	volatile unsigned char *p = m->addr;
	size_t step = touch_step(m->len);
	size_t at;

	for (at = 0;; at += step) {
		unsigned char byte = p[at];

		if (writable)
			p[at] = byte + 1;
		if (m->len - at <= step)
			break;
	}
	(void)p[m->len - 1];
	count(w, C_TOUCH);
}

static int op_close(struct worker *w)
{
	struct open_file f;
	unsigned int i;

	if (!w->nr_files)
		return 0;
	i = (unsigned int)rng_below(&w->rng, w->nr_files);
	f = w->files[i];
	memmove(&w->files[i], &w->files[i + 1], (w->nr_files - i - 1) * sizeof(f));
	w->nr_files--;
	free(f.shadow.data);
	/* Mappings of it stay: they must keep working. */
	return syscall_result(w, C_CLOSE, close(f.fd) < 0);
}

static int op_open(struct worker *w)
{
	static const enum node nodes[] = {
		NODE_BUFFER, NODE_BUFFER, NODE_BUFFER, NODE_CHANNEL, NODE_FIRMWARE,
	};
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	enum node node;
	int flags, fd;

	if (w->nr_files >= MAX_FILES)
		return op_close(w);
	node = CHOICE(w, nodes);
	flags = node == NODE_FIRMWARE ? O_RDONLY : CHOICE(w, modes);
	fd = open(node_paths[node], flags | O_CLOEXEC);
	if (syscall_result(w, C_OPEN, fd < 0))
		return -1;
	if (fd >= 0)
		w->files[w->nr_files++] = (struct open_file){ .fd = fd, .node = node };
	return 0;
}

static int op_read(struct worker *w)
{
	struct open_file *f = random_file(w);
	const struct shadow *s;
	uint64_t offset;
	size_t n;
	ssize_t got;

	if (!f)
		return 0;
	n = (size_t)PICK(w, 0, 1, 7, page, rng_below(&w->rng, READ_MAX));
	offset = PICK(w, 0, 1, page - 1, random_size(w) & 0xFFFFFFFF);
	got = pread(f->fd, w->read_buf, n, (off_t)offset);
	if (syscall_result(w, C_PREAD, got < 0))
		return -1;
	s = &f->shadow;
	if (got >= 0 && s->len && s->at == offset && (size_t)got >= s->len &&
	    memcmp(w->read_buf, s->data, s->len))
		return fail(w, "read back at 0x%llx differs from what was written (%zu bytes)",
			    (unsigned long long)offset, s->len);
	return 0;
}

static int op_write(struct worker *w)
{
	struct open_file *f = random_file(w);
	unsigned char *data = NULL;
	uint64_t offset;
	size_t len;
	ssize_t n;

	if (!f || f->node == NODE_FIRMWARE)
		return 0;
	len = (size_t)PICK(w, 0, 1, 13, page, rng_below(&w->rng, WRITE_MAX));
	offset = PICK(w, 0, 8, page, random_size(w) & 0xFFFFFFFF);
	/* A buffer node's data goes straight into its shadow: no copy. */
	if (f->node == NODE_BUFFER) {
		if (!f->shadow.data)
			f->shadow.data = malloc(write_max);
		data = f->shadow.data;
		f->shadow.len = 0;
	}
	if (!data)
		data = w->write_buf;
	rng_fill(&w->rng, data, len);
	n = pwrite(f->fd, data, len, (off_t)offset);
	if (syscall_result(w, C_PWRITE, n < 0))
		return -1;
	if (data == f->shadow.data && len && n >= 0 && (size_t)n == len) {
		f->shadow.at = offset;
		f->shadow.len = len;
	}
	return 0;
}

static int op_lseek(struct worker *w)
{
	static const int whences[] = {
		SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, 99,
	};
	static const off_t offsets[] = {
		0, -1, 1, -(INT64_C(1) << 62), INT64_C(1) << 62,
	};
	struct open_file *f = random_file(w);
	int whence;
	off_t offset, pos;
	uint64_t i;

	if (!f)
		return 0;
	whence = CHOICE(w, whences);
	i = rng_below(&w->rng, ARRAY_SIZE(offsets) + 1);
	if (i < ARRAY_SIZE(offsets))
		offset = offsets[i];
	else	/* sizes past off_t wrap around: fuzzing input too */
		offset = (off_t)(random_size(w) - (UINT64_C(1) << 31));
	errno = 0;
	pos = lseek(f->fd, offset, whence);
	/* Any negative position is an error. */
	return syscall_result(w, C_LSEEK, pos < 0);
}

static int op_munmap(struct worker *w)
{
	struct mapping m;
	unsigned int i;

	if (!w->nr_maps)
		return 0;
	i = (unsigned int)rng_below(&w->rng, w->nr_maps);
	m = w->maps[i];
	memmove(&w->maps[i], &w->maps[i + 1], (w->nr_maps - i - 1) * sizeof(m));
	w->nr_maps--;
	return syscall_result(w, C_MUNMAP, munmap(m.addr, m.len) < 0);
}

static int op_mmap(struct worker *w)
{
	struct open_file *f = random_file(w);
	struct mapping *m;
	uint64_t size, length, offset;
	void *addr;
	int prot;

	if (!f || w->nr_maps >= MAX_MAPS)
		return op_munmap(w);
	size = random_size(w);
	length = PICK(w, page, 2 * page, 64 << 10, 1 << 20, size ? size : page);
	offset = PICK(w, 0, 0, page, SHAREDMEM_MMAP_STRIDE, 2 * SHAREDMEM_MMAP_STRIDE,
		      rng_below(&w->rng, 64) * page);
	if (f->node == NODE_FIRMWARE)
		prot = PROT_READ;
	else
		prot = chance(w, 50) ? PROT_READ : PROT_READ | PROT_WRITE;
	/* Lengths past size_t are truncated: fuzzing input too. */
	addr = mmap(NULL, (size_t)length, prot, MAP_SHARED, f->fd, (off_t)offset);
	if (syscall_result(w, C_MMAP, addr == MAP_FAILED))
		return -1;
	if (addr == MAP_FAILED)
		return 0;
	m = &w->maps[w->nr_maps++];
	*m = (struct mapping){ .addr = addr, .len = (size_t)length };
	touch(w, m, prot & PROT_WRITE);
	/* The open's own buffer, which pread() reads back. */
	if ((prot & PROT_WRITE) && offset < SHAREDMEM_MMAP_STRIDE)
		shadow_apply(&f->shadow, offset, m->len);
	return 0;
}

/*
 * mmap, mremap (grow, shrink, move) and munmap, the mapping not kept. What
 * was mapped before must stay readable; pages past the object's end, which
 * growing may add, fault with SIGBUS as past a file's end, so not those.
 */
static int op_mremap(struct worker *w)
{
	struct open_file *f = random_file(w);
	size_t old, new, at;
	void *addr, *moved;
	int prot;

	if (!f)
		return 0;
	old = (size_t)PICK(w, page, 2 * page, 16 * page);
	prot = f->node == NODE_FIRMWARE ? PROT_READ : PROT_READ | PROT_WRITE;
	addr = mmap(NULL, old, prot, MAP_SHARED, f->fd, 0);
	if (addr == MAP_FAILED) {
		count(w, C_ERRORS);
		return 0;
	}
	new = (size_t)PICK(w, page, old / 2 ? old / 2 : page, old * 2, old + page,
			   1 << 20, 64 << 20);
	moved = mremap(addr, old, new, MREMAP_MAYMOVE);
	if (moved == MAP_FAILED) {
		count(w, C_ERRORS);
		munmap(addr, old);
		return 0;
	}
	count(w, C_MREMAP);
	for (at = 0; at < (old < new ? old : new); at += page)
		(void)((volatile unsigned char *)moved)[at];
	munmap(moved, new);
	return 0;
}

static int op_touch(struct worker *w)
{
	if (w->nr_maps)
		touch(w, &w->maps[rng_below(&w->rng, w->nr_maps)], false);
	return 0;
}

/* The forked child: what it inherited must work, its errors do not matter. */
static void __noreturn fork_child(struct worker *w)
{
	unsigned char buf[16];
	unsigned int i;
	ssize_t ignored = 0;

	for (i = 0; i < w->nr_maps; i++)
		touch(w, &w->maps[i], false);
	for (i = 0; i < w->nr_files && i < 2; i++)
		ignored = pread(w->files[i].fd, buf, sizeof(buf), 0);
	(void)ignored;
	_exit(0);
}

/*
 * A child inherits the mappings, touches them, and exits (its references
 * must be dropped cleanly, the parent's kept).
 */
static int op_fork(struct worker *w)
{
	pid_t pid;
	int status;

	count(w, C_FORK);
	pid = fork();
	if (pid < 0)
		return fail_oserror(w, errno, NULL);
	if (pid == 0)
		fork_child(w);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail_oserror(w, errno, NULL);
	if (WIFSIGNALED(status))
		return fail(w, "a forked child died of signal %d touching inherited mappings",
			    WTERMSIG(status));
	return 0;
}

/* Numbers of the driver's type that the uapi does not define, or misencoded. */
static int ioctl_bogus(struct worker *w, const struct open_file *f)
{
	unsigned long cmd;

	switch (rng_below(&w->rng, 4)) {
	case 0:
		cmd = _IOC(_IOC_READ | _IOC_WRITE, SHAREDMEM_IOC_MAGIC,
			   FIRST_UNUSED_NR + rng_below(&w->rng, 256 - FIRST_UNUSED_NR),
			   sizeof(struct sharedmem_buffer));
		break;
	case 1:		/* INFO's number without direction or size */
		cmd = _IOC(_IOC_NONE, SHAREDMEM_IOC_MAGIC, _IOC_NR(SHAREDMEM_IOC_INFO), 0);
		break;
	case 2:		/* ALLOC's number with a short struct */
		cmd = _IOC(_IOC_READ | _IOC_WRITE, SHAREDMEM_IOC_MAGIC,
			   _IOC_NR(SHAREDMEM_IOC_ALLOC), sizeof(struct sharedmem_buffer) - 8);
		break;
	default:
		cmd = (uint32_t)rng_next(&w->rng);
		break;
	}
	memset(w->ioctl_buf, 0, IOCTL_ARG_MAX);
	return syscall_result(w, C_IOCTL_BOGUS, ioctl(f->fd, cmd, w->ioctl_buf) < 0);
}

/* A real ioctl with a pointer it must refuse to follow (EFAULT is fine). */
static int ioctl_badptr(struct worker *w, const struct open_file *f)
{
	unsigned long cmd = CHOICE(w, ioctls).cmd;
	void *arg = (void *)CHOICE(w, bad_pointers);

	return syscall_result(w, C_IOCTL_BADPTR, ioctl(f->fd, cmd, arg) < 0);
}

static uint32_t random_u32_arg(struct worker *w)
{
	uint64_t i = rng_below(&w->rng, ARRAY_SIZE(boundary_u32) + 1);

	return i < ARRAY_SIZE(boundary_u32) ? boundary_u32[i] : (uint32_t)rng_below(&w->rng, 8);
}

/* INFO, ALLOC and RESIZE: random and boundary fields, some that must be 0 not. */
static void random_buffer_arg(struct worker *w, struct sharedmem_buffer *b)
{
	static const uint32_t extra_ids[] = { 0, 0, 1, 2 };
	static const uint32_t flags[] = { 0, 0, 0, 1, 0xFFFFFFFF };
	static const uint64_t reserved[] = { 0, 0, 0, 1 };
	uint64_t i = rng_below(&w->rng, ARRAY_SIZE(boundary_u32) + ARRAY_SIZE(extra_ids));

	b->id = i < ARRAY_SIZE(boundary_u32) ? boundary_u32[i] :
		extra_ids[i - ARRAY_SIZE(boundary_u32)];
	b->flags = CHOICE(w, flags);
	b->size = random_size(w);
	b->dma_address = rng_below(&w->rng, UINT64_C(1) << 32);
	b->mmap_offset = rng_below(&w->rng, UINT64_C(1) << 40);
	b->reserved[0] = CHOICE(w, reserved);
	b->reserved[1] = 0;
}

static void remember_id(struct worker *w, uint32_t id)
{
	if (w->nr_ids == MAX_IDS) {
		memmove(&w->ids[0], &w->ids[1], (MAX_IDS - 1) * sizeof(w->ids[0]));
		w->nr_ids--;
	}
	w->ids[w->nr_ids++] = id;
}

static int ioctl_valid(struct worker *w, struct open_file *f, unsigned long cmd, enum counter c)
{
	union {
		__u32 u32;	/* VERSION, FREE, DOORBELL */
		__u64 u64;	/* EVENTS */
		struct sharedmem_buffer buffer;
	} arg;
	int ret;

	memset(&arg, 0, sizeof(arg));
	switch (c) {
	case C_IOCTL_FREE:
		if (chance(w, 50))
			arg.u32 = w->ids[rng_below(&w->rng, w->nr_ids)];
		else
			arg.u32 = random_u32_arg(w);
		break;
	case C_IOCTL_DOORBELL:
		arg.u32 = random_u32_arg(w);
		break;
	case C_IOCTL_VERSION:
	case C_IOCTL_EVENTS:
		break;
	default:
		random_buffer_arg(w, &arg.buffer);
		break;
	}
	ret = ioctl(f->fd, cmd, &arg);
	if (syscall_result(w, c, ret < 0))
		return -1;
	if (ret < 0)
		return 0;
	if (c == C_IOCTL_ALLOC)
		remember_id(w, arg.buffer.id);
	else if (c == C_IOCTL_RESIZE && arg.buffer.id == SHAREDMEM_DEFAULT_ID)
		shadow_resize(&f->shadow, arg.buffer.size);
	return 0;
}

static int op_ioctl(struct worker *w)
{
	struct open_file *f = random_file(w);
	uint64_t i;

	if (!f)
		return 0;
	/* Each ioctl of the uapi, "bogus" and "badptr" equally likely. */
	i = rng_below(&w->rng, ARRAY_SIZE(ioctls) + 2);
	if (i == ARRAY_SIZE(ioctls))
		return ioctl_bogus(w, f);
	if (i == ARRAY_SIZE(ioctls) + 1)
		return ioctl_badptr(w, f);
	return ioctl_valid(w, f, ioctls[i].cmd, ioctls[i].counter);
}

static int op_poll(struct worker *w)
{
	struct open_file *f = random_file(w);
	struct pollfd pfd;

	if (!f)
		return 0;
	pfd = (struct pollfd){ .fd = f->fd, .events = POLLIN | POLLOUT | POLLPRI };
	return syscall_result(w, C_POLL, poll(&pfd, 1, 0) < 0);
}

/* A sysfs attribute's contents, surrounding whitespace stripped; -1, errno. */
static int read_attr(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	while (len && strchr(" \t\n\r\f\v", buf[len - 1]))
		len--;
	buf[len] = '\0';
	len = strspn(buf, " \t\n\r\f\v");
	memmove(buf, buf + len, strlen(buf + len) + 1);
	return 0;
}

/* Writes @value as one write() (sysfs takes one store); -1 if refused. */
static int write_attr(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	n = write(fd, value, len);
	if (close(fd) < 0 || n < 0 || (size_t)n != len)
		return -1;
	return 0;
}

/* Start CPU1 if it is not running, else stop it, through remoteproc. */
static int remoteproc_toggle(struct worker *w)
{
	char path[PATH_MAX], value[64];
	struct dirent *de;
	DIR *dir;
	int ret = 0;

	dir = opendir(REMOTEPROC);
	if (!dir)
		return fail_oserror(w, errno, REMOTEPROC);
	while ((de = readdir(dir))) {
		bool running;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), REMOTEPROC "/%s/name", de->d_name);
		if (read_attr(path, value, sizeof(value)) < 0) {
			ret = fail_oserror(w, errno, path);
			break;
		}
		if (strcmp(value, CPU1_NAME))
			continue;
		snprintf(path, sizeof(path), REMOTEPROC "/%s/state", de->d_name);
		if (read_attr(path, value, sizeof(value)) < 0) {
			ret = fail_oserror(w, errno, path);
			break;
		}
		running = !strcmp(value, "running");
		/*
		 * A start fails (after its timeout) when the other workers'
		 * scribbling on the channel region keeps the payload from
		 * reporting ready: an error path worth taking, counted apart.
		 */
		if (write_attr(path, running ? "stop" : "start") < 0)
			count(w, C_REMOTEPROC_REFUSED);
		else
			count(w, running ? C_REMOTEPROC_STOP : C_REMOTEPROC_START);
	}
	closedir(dir);
	return ret;
}

/*
 * Rarely: a start or stop that the other workers' scribbling makes fail costs
 * its whole timeout (2 s), and would make the run's time. Otherwise, and in
 * the workers without the lifecycle, an ioctl.
 */
static int op_remoteproc(struct worker *w)
{
	if (!w->lifecycle || !chance(w, 5))
		return op_ioctl(w);
	return remoteproc_toggle(w);
}

static const struct {
	int (*fn)(struct worker *w);
	unsigned int weight;
} operations[] = {
	{ op_open, 8 }, { op_close, 5 }, { op_read, 10 }, { op_write, 10 },
	{ op_lseek, 5 }, { op_mmap, 8 }, { op_munmap, 5 }, { op_mremap, 4 },
	{ op_touch, 4 }, { op_fork, 1 }, { op_ioctl, 25 }, { op_poll, 4 },
	{ op_remoteproc, 1 },
};

static int random_operation(struct worker *w)
{
	static unsigned int total;
	uint64_t r;
	size_t i;

	if (!total)
		for (i = 0; i < ARRAY_SIZE(operations); i++)
			total += operations[i].weight;
	r = rng_below(&w->rng, total);
	for (i = 0; r >= operations[i].weight; i++)
		r -= operations[i].weight;
	return operations[i].fn(w);
}

/* @ops operations, then unmap and close all; -1 on a failure (w->failure). */
static int worker_run(struct worker *w, long long ops)
{
	unsigned int i;

	for (; ops > 0; ops--)
		if (random_operation(w) < 0)
			return -1;
	for (i = 0; i < w->nr_maps; i++)
		munmap(w->maps[i].addr, w->maps[i].len);
	for (i = 0; i < w->nr_files; i++)
		if (close(w->files[i].fd) < 0)
			return fail_oserror(w, errno, NULL);
	return 0;
}

/* -- worker processes and their reports ------------------------------------- */

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The report, one write() to the pipe: "failure <text>\n", or "counts\n",
 * then "<name> <count>\n" for each counter that counted, then "end\n".
 */
static void report(const struct worker *w, int out, bool failed)
{
	char buf[REPORT_MAX];
	size_t len = 0;
	int i;

	if (failed) {
		len = (size_t)snprintf(buf, sizeof(buf), "failure %s", w->failure);
		if (len > sizeof(buf) - 2)
			len = sizeof(buf) - 2;
		for (i = 0; (size_t)i < len; i++)
			if (buf[i] == '\n')
				buf[i] = ' ';
		buf[len++] = '\n';
	} else {
		len = (size_t)snprintf(buf, sizeof(buf), "counts\n");
		for (i = 0; i < NR_COUNTERS; i++)
			if (w->counts[i])
				len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %llu\n",
							counter_names[i], w->counts[i]);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "end\n");
	}
	write_all(out, buf, len);
}

static void __noreturn
worker_main(const char *seed, int index, long long ops, bool lifecycle, int out)
{
	static struct worker worker;
	struct worker *w = &worker;
	int ret;

	rng_seed(&w->rng, seed, index);
	w->index = index;
	w->lifecycle = lifecycle;
	w->ids[w->nr_ids++] = SHAREDMEM_DEFAULT_ID;
	w->read_buf = malloc(READ_MAX);
	w->write_buf = malloc(write_max);
	w->ioctl_buf = malloc(IOCTL_ARG_MAX);
	if (!w->read_buf || !w->write_buf || !w->ioctl_buf)
		ret = fail(w, "MemoryError");
	else
		ret = worker_run(w, ops);
	report(w, out, ret < 0);
	_exit(ret < 0 ? 1 : 0);
}

struct total {
	char name[32];
	unsigned long long count;
};

struct summary {
	struct total totals[MAX_TOTALS];
	size_t nr_totals;
	char (*failures)[FAILURE_MAX + 64];
	size_t nr_failures;
};

static void __printf(2, 3) add_failure(struct summary *sum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sum->failures[sum->nr_failures++], sizeof(sum->failures[0]), fmt, ap);
	va_end(ap);
}

static void add_count(struct summary *sum, const char *name, unsigned long long n)
{
	size_t i, len = strlen(name);

	for (i = 0; i < sum->nr_totals; i++)
		if (!strcmp(sum->totals[i].name, name))
			break;
	if (i == sum->nr_totals) {
		/* Not a counter of ours: they are few, their names short. */
		if (i == MAX_TOTALS || len >= sizeof(sum->totals[i].name))
			return;
		memcpy(sum->totals[i].name, name, len + 1);
		sum->totals[i].count = 0;
		sum->nr_totals++;
	}
	sum->totals[i].count += n;
}

/* Reads the pipe to its end (the worker's exit); what fits, NUL-terminated. */
static void read_report(int fd, char *buf, size_t size)
{
	char discard[256];
	size_t len = 0;
	ssize_t n;

	for (;;) {
		if (len < size - 1)
			n = read(fd, buf + len, size - 1 - len);
		else
			n = read(fd, discard, sizeof(discard));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < size - 1)
			len += (size_t)n;
	}
	buf[len] = '\0';
}

/* Adds worker @index's counts to the totals, or its failure to the list. */
static void take_report(struct summary *sum, int index, char *text)
{
	size_t len = strlen(text);
	char *line, *next, *space, *end;
	unsigned long long n;

	if (!len) {
		add_failure(sum, "worker %d: no report", index);
		return;
	}
	if (!strncmp(text, "failure ", 8) && text[len - 1] == '\n') {
		text[len - 1] = '\0';
		add_failure(sum, "worker %d: %s", index, text + 8);
		return;
	}
	/* Whole, or nothing counted: it ends with "end". */
	if (strncmp(text, "counts\n", 7) || len < 11 || strcmp(text + len - 5, "\nend\n")) {
		add_failure(sum, "worker %d: unreadable report", index);
		return;
	}
	text[len - 4] = '\0';
	for (line = text + 7; *line; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		space = strchr(line, ' ');
		if (!space)
			continue;
		*space = '\0';
		n = strtoull(space + 1, &end, 10);
		if (*end == '\0')
			add_count(sum, line, n);
	}
}

/* The signal's name, SIGBUS for 7. */
static void signal_name(int sig, char *buf, size_t size)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "signal %d", sig);
}

static void collect(struct summary *sum, int index, pid_t pid, int fd)
{
	char text[REPORT_MAX + 1], name[32];
	int status;

	read_report(fd, text, sizeof(text));
	close(fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			add_failure(sum, "worker %d: waitpid: %s", index, strerror(errno));
			return;
		}
	if (WIFSIGNALED(status)) {
		signal_name(WTERMSIG(status), name, sizeof(name));
		add_failure(sum, "worker %d killed by %s", index, name);
		return;
	}
	take_report(sum, index, text);
}

/* -- the summary: one JSON object, keys sorted -------------------------------- */

/*
 * A JSON string: control characters and bytes past ASCII (a seed is any argv
 * string) as \u00XX escapes, so that any JSON reader takes the summary.
 */
static void json_string(FILE *out, const char *str)
{
	const unsigned char *s;

	fputc('"', out);
	for (s = (const unsigned char *)str; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s < ' ' || *s >= 0x7F)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static int compare_totals(const void *a, const void *b)
{
	return strcmp(((const struct total *)a)->name, ((const struct total *)b)->name);
}

static void print_summary(struct summary *sum, const char *seed, long long ops, int procs,
			  double seconds)
{
	size_t i;

	qsort(sum->totals, sum->nr_totals, sizeof(sum->totals[0]), compare_totals);
	fputs("{\"counts\": {", stdout);
	for (i = 0; i < sum->nr_totals; i++) {
		if (i)
			fputs(", ", stdout);
		json_string(stdout, sum->totals[i].name);
		printf(": %llu", sum->totals[i].count);
	}
	fputs("}, \"failures\": [", stdout);
	for (i = 0; i < sum->nr_failures; i++) {
		if (i)
			fputs(", ", stdout);
		json_string(stdout, sum->failures[i]);
	}
	printf("], \"ops\": %lld, \"procs\": %d, \"seconds\": %.1f, \"seed\": ", ops, procs,
	       seconds);
	json_string(stdout, seed);
	fputs("}\n", stdout);
	fflush(stdout);
}

/* -- command line ----------------------------------------------------------- */

struct options {
	const char *seed;
	long long ops;
	int procs;
	bool lifecycle;
	char default_seed[16];
};

static const char usage[] =
	"usage: " PROG " [-h] [--seed SEED] [--ops OPS] [--procs PROCS] [--no-lifecycle]\n";

static void __noreturn __printf(1, 2) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(usage, stderr);
	fputs(PROG ": error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void __noreturn print_help(void)
{
	printf("%s\nSyscall fuzzer for the sharedmem driver; runs on the board as root.\n\n"
	       "options:\n"
	       "  -h, --help       show this help message and exit\n"
	       "  --seed SEED      worker i draws from \"SEED/i\" (default: a random one)\n"
	       "  --ops OPS        operations in all (split among the workers; 100000)\n"
	       "  --procs PROCS    worker processes (1 to %d; 4)\n"
	       "  --no-lifecycle   no remoteproc start/stop\n", usage, MAX_PROCS);
	exit(0);
}

/* A decimal integer in [min, max], blanks around it allowed. */
static long long parse_int(const char *option, const char *arg, long long min, long long max)
{
	char *end;
	long long value;

	errno = 0;
	value = strtoll(arg, &end, 10);
	if (end == arg || errno == ERANGE)
		usage_error("argument %s: invalid int value: '%s'", option, arg);
	while (*end && strchr(" \t\n\r\f\v", *end))
		end++;
	if (*end)
		usage_error("argument %s: invalid int value: '%s'", option, arg);
	if (max == LLONG_MAX && value < min)
		usage_error("argument %s: must be at least %lld, not %lld", option, min, value);
	if (value < min || value > max)
		usage_error("argument %s: must be between %lld and %lld, not %lld", option, min,
			    max, value);
	return value;
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "seed",		required_argument,	NULL, 's' },
		{ "ops",		required_argument,	NULL, 'o' },
		{ "procs",		required_argument,	NULL, 'p' },
		{ "no-lifecycle",	no_argument,		NULL, 'n' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 },
	};
	uint32_t random_seed;
	int c;

	opt->seed = NULL;
	opt->ops = 100000;
	opt->procs = 4;
	opt->lifecycle = true;
	opterr = 0;	/* our messages, argparse's words */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt->seed = optarg;
			break;
		case 'o':
			opt->ops = parse_int("--ops", optarg, 0, LLONG_MAX);
			break;
		case 'p':
			opt->procs = (int)parse_int("--procs", optarg, 1, MAX_PROCS);
			break;
		case 'n':
			opt->lifecycle = false;
			break;
		case 'h':
			print_help();
		case ':':
			usage_error("argument %s: expected one argument", argv[optind - 1]);
		default:
			usage_error("unrecognized arguments: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unrecognized arguments: %s", argv[optind]);
	if (!opt->seed) {
		if (getrandom(&random_seed, sizeof(random_seed), 0) != sizeof(random_seed))
			random_seed = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
		snprintf(opt->default_seed, sizeof(opt->default_seed), "%u", random_seed);
		opt->seed = opt->default_seed;
	}
}

/* -- main ------------------------------------------------------------------- */

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void init_sizes(void)
{
	const uint64_t sizes[] = {
		0, 1, page - 1, page, page + 1, 64 << 10, 1 << 20, 16 << 20,
		(16 << 20) + 1, 64 << 20, 0x7FFFFFFF, 0xFFFFFFFF, UINT64_C(1) << 32,
		UINT64_MAX,
	};

	_Static_assert(sizeof(sizes) == sizeof(boundary_sizes), "BOUNDARY_SIZES");
	memcpy(boundary_sizes, sizes, sizeof(sizes));
}

/* Forks worker @index, its report to come on *@fd; -1 if it could not be. */
static pid_t start_worker(const struct options *opt, int index, const int *earlier_fds, int *fd)
{
	int p[2], i;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(p[0]);
		close(p[1]);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		for (i = 0; i < index; i++)
			close(earlier_fds[i]);
		worker_main(opt->seed, index, opt->ops / opt->procs,
			    index == 0 && opt->lifecycle, p[1]);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct summary sum = { .nr_totals = 0 };
	double start;
	pid_t *pids;
	int *fds, started, i, err = 0;

	parse_options(argc, argv, &opt);
	page = (size_t)sysconf(_SC_PAGESIZE);
	write_max = page > WRITE_MAX ? page : WRITE_MAX;
	init_sizes();
	pids = calloc((size_t)opt.procs, sizeof(*pids));
	fds = calloc((size_t)opt.procs, sizeof(*fds));
	sum.failures = calloc((size_t)opt.procs, sizeof(*sum.failures));
	if (!pids || !fds || !sum.failures) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	fflush(NULL);	/* nothing buffered for the workers to write twice */

	start = monotonic();
	for (started = 0; started < opt.procs; started++) {
		pids[started] = start_worker(&opt, started, fds, &fds[started]);
		if (pids[started] < 0) {
			err = errno;
			break;
		}
	}
	for (i = 0; i < started; i++)
		collect(&sum, i, pids[i], fds[i]);
	if (started < opt.procs)
		add_failure(&sum, "worker %d: not started: %s", started, strerror(err));

	if (sum.nr_failures)
		fprintf(stderr, PROG ": FAILED; reproduce with --seed %s --ops %lld --procs %d\n",
			opt.seed, opt.ops, opt.procs);
	print_summary(&sum, opt.seed, opt.ops / opt.procs * opt.procs, opt.procs,
		      monotonic() - start);
	return sum.nr_failures ? 1 : 0;
}
