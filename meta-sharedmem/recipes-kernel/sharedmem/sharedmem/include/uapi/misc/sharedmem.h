/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * sharedmem: memory shared between Linux and another core (user-space ABI).
 *
 * Nodes (udev names, see the module's README.md):
 *   /dev/sharedmem/buffer    per-open DMA buffers: open() gives buffer 0 of
 *                            `default_size` bytes; ALLOC/FREE/RESIZE manage more
 *   /dev/sharedmem/<region>  a persistent region declared in the device tree
 *
 * mmap() offset selects the buffer: SHAREDMEM_MMAP_OFFSET(id) + offset
 * within it (the `mmap_offset` field says the same). Only MAP_SHARED.
 *
 * All structures have the same layout on 32- and 64-bit; fields marked
 * "must be 0" are checked (EINVAL otherwise) so they can gain a meaning.
 */
#ifndef _UAPI_MISC_SHAREDMEM_H
#define _UAPI_MISC_SHAREDMEM_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped when the ABI gains something; SHAREDMEM_IOC_VERSION returns it. */
#define SHAREDMEM_ABI_VERSION		2

/* Buffer id 0: the buffer of the open file, or the whole region. */
#define SHAREDMEM_DEFAULT_ID		0
/* Bytes of mmap() offset space per buffer id: a buffer is smaller. */
#define SHAREDMEM_MMAP_STRIDE		_BITULL(32)
#define SHAREDMEM_MMAP_OFFSET(id)	((__u64)(id) * SHAREDMEM_MMAP_STRIDE)

/**
 * struct sharedmem_buffer - one buffer: argument of INFO, ALLOC and RESIZE
 * @id:          INFO, RESIZE: in, the buffer; ALLOC: out, the new id
 * @flags:       in, must be 0
 * @size:        ALLOC, RESIZE: in, bytes wanted; INFO: out; all: out, bytes
 * @dma_address: out: the address another bus master (CPU1) uses; not
 *               necessarily the CPU physical address (see README.md)
 * @mmap_offset: out: the mmap() offset of the buffer's first byte
 * @reserved:    in, must be 0
 */
struct sharedmem_buffer {
	__u32 id;
	__u32 flags;
	__u64 size;
	__u64 dma_address;
	__u64 mmap_offset;
	__u64 reserved[2];
};

#define SHAREDMEM_IOC_MAGIC		0xB9

/* The driver's SHAREDMEM_ABI_VERSION. */
#define SHAREDMEM_IOC_VERSION	_IOR(SHAREDMEM_IOC_MAGIC, 0x00, __u32)
/* Describe buffer @id (0 on a region node: the region). */
#define SHAREDMEM_IOC_INFO	_IOWR(SHAREDMEM_IOC_MAGIC, 0x01, struct sharedmem_buffer)
/* Buffer node only: a new zeroed buffer of @size bytes (<= max_size). */
#define SHAREDMEM_IOC_ALLOC	_IOWR(SHAREDMEM_IOC_MAGIC, 0x02, struct sharedmem_buffer)
/* Buffer node only: drop buffer id (not 0); memory goes when unmapped. */
#define SHAREDMEM_IOC_FREE	_IOW(SHAREDMEM_IOC_MAGIC, 0x03, __u32)
/*
 * Buffer node only: give buffer @id @size bytes (<= max_size), keeping the
 * contents up to the smaller size. EBUSY while it is mapped; on failure the
 * old buffer and its contents stay. The DMA address may change.
 */
#define SHAREDMEM_IOC_RESIZE	_IOWR(SHAREDMEM_IOC_MAGIC, 0x04, struct sharedmem_buffer)

/*
 * ABI 2. Channel node only (the region of the other core's channel; ENOTTY
 * elsewhere): the doorbells.
 *
 * DOORBELL: a write barrier (everything this thread stored into its mappings
 * is visible to the other core before what follows), then, with
 * SHAREDMEM_DOORBELL_RING, an interrupt to the other core. Other flag bits
 * must be 0.
 */
#define SHAREDMEM_DOORBELL_RING		0x1
#define SHAREDMEM_IOC_DOORBELL	_IOW(SHAREDMEM_IOC_MAGIC, 0x05, __u32)
/*
 * EVENTS: how many times the other core has rung Linux since the module
 * loaded; it also acknowledges them for this open file. poll() on the node
 * reports EPOLLIN while the count is above the one last acknowledged, and
 * sleeps otherwise: wait with poll(), then EVENTS, then look at the memory.
 */
#define SHAREDMEM_IOC_EVENTS	_IOR(SHAREDMEM_IOC_MAGIC, 0x06, __u64)

#endif /* _UAPI_MISC_SHAREDMEM_H */
