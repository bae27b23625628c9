/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sharedmem: internal interfaces between the parts of the module.
 *
 *   sharedmem-main.c    module parameters, class, platform driver (probe)
 *   sharedmem-node.c    character-device core: one node per buffer device
 *                       or region, file operations, teardown
 *   sharedmem-buffer.c  per-open DMA buffers (dma_alloc_coherent)
 *   sharedmem-region.c  persistent regions from device-tree reserved memory
 *   sharedmem-sysfs.c   sysfs attributes of the nodes
 *   sharedmem-account.c DMA memory per user (user_limit)
 *   sharedmem-cpu1.c    CPU1 through remoteproc, the doorbells
 *   sharedmem-reset.c   CPU1's hard reset (SLCR)
 *   sharedmem-rpmsg.c   CPU1's virtio device: resource table, kick, rings
 *   sharedmem-vring.c   shadow vrings: what CPU1 returns, validated
 */
#ifndef _SHAREDMEM_PRIV_H
#define _SHAREDMEM_PRIV_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/ioport.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "include/uapi/misc/sharedmem.h"

/* Name of the per-open buffer node; no region may take it. */
#define SHAREDMEM_BUFFER_NODE	"buffer"
#define SHAREDMEM_NAME_MAX	32
/* Buffers one open file may hold at a time (ids are not reused at once). */
#define SHAREDMEM_MAX_BUFFERS	256
/* Highest buffer id: its mmap offset must fit a 32-bit page offset. */
#define SHAREDMEM_MAX_ID	4095

extern unsigned int sharedmem_default_size;
extern unsigned long sharedmem_max_size;

enum sharedmem_kind {
	SHAREDMEM_NODE_BUFFERS,	/* per-open DMA buffers */
	SHAREDMEM_NODE_REGION,	/* one persistent device-tree region */
};

/* A persistent region; fixed from probe until the node is released. */
struct sharedmem_region {
	phys_addr_t phys;	/* CPU physical address, for user mappings */
	dma_addr_t dma;		/* the address the other bus master uses */
	size_t size;
	void *vaddr;		/* write-combined kernel mapping (memremap) */
};

struct sharedmem_stats {
	atomic_t opens;			/* files open now */
	atomic_t mappings;		/* live VMAs */
	atomic64_t read_bytes;		/* by read() */
	atomic64_t written_bytes;	/* by write() */
	atomic_t buffers;		/* buffer node: buffers alive */
	atomic64_t allocated_bytes;	/* buffer node: their bytes (page-rounded) */
	atomic_t alloc_failures;	/* buffer node: ENOMEM from the DMA API */
};

/**
 * struct sharedmem_node - one character device (buffer node or region)
 * @dev: the class device; its release frees the node. Every open file holds
 *       a reference through @cdev (cdev_device_add makes @dev its parent).
 * @cdev: the character device
 * @dma_dev: the platform device: DMA allocations and mappings are its; the
 *           node holds a reference to it until released (buffers are freed
 *           on it after an unbind)
 * @kind: which kind of node
 * @name: node name (sysfs `name`, /dev/sharedmem/<name>)
 * @lock: protects @alive and @cpu1
 * @alive: cleared (under @lock) when the platform device goes away; every
 *         file operation checks it first and fails with ENODEV after that
 * @wait: poll() waiters; woken with EPOLLHUP at removal (a later doorbell
 *        will wake it too)
 * @region: the region (SHAREDMEM_NODE_REGION)
 * @cpu1: the other core whose channel this region is, or NULL. Set at probe,
 *        just after the node appears (a file opened in between sees NULL:
 *        ENOTTY for the doorbell ioctls); cleared under @lock, with @alive,
 *        before CPU1's remoteproc goes away (sharedmem_node_detach).
 *        Dereferenced only under @lock; tested for NULL with READ_ONCE
 * @events: doorbells the other core rang (sharedmem_node_signal)
 * @stats: counters shown in sysfs
 */
struct sharedmem_cpu1;

struct sharedmem_node {
	struct device dev;
	struct cdev cdev;
	struct device *dma_dev;
	enum sharedmem_kind kind;
	char name[SHAREDMEM_NAME_MAX];
	struct mutex lock;	/* protects alive, cpu1 */
	bool alive;
	wait_queue_head_t wait;
	struct sharedmem_region region;
	struct sharedmem_cpu1 *cpu1;
	atomic64_t events;
	struct sharedmem_stats stats;
};

/*
 * struct sharedmem_buf - a per-open DMA buffer
 * @ref: one reference for the file's id table, one per VMA mapping it; the
 *       last put frees the memory (sharedmem_buf_put)
 * @mappings: VMAs mapping it now (RESIZE refuses while any exist)
 * @owner: the user its @alloc_size bytes are charged to (sharedmem-account.c)
 */
struct sharedmem_buf {
	struct kref ref;
	struct rcu_head rcu;
	struct sharedmem_node *node;
	void *vaddr;
	dma_addr_t dma;
	size_t size;		/* bytes asked for: read/write bound */
	size_t alloc_size;	/* page-rounded: mmap bound */
	u32 id;
	atomic_t mappings;
	kuid_t owner;
};

/**
 * struct sharedmem_file - per-open state of the buffer node
 * @node: the node
 * @lock: serialises read/write/ioctl of this file, so that a RESIZE never
 *        swaps a buffer under a copy; mmap() does not take it (see
 *        sharedmem_buf_mmap) because mmap_lock is held there and a copy under
 *        @lock may fault, taking mmap_lock
 * @buffers: id -> struct sharedmem_buf; written under @lock, read under RCU
 * @count: buffers in @buffers (under @lock)
 * @next_id: cyclic allocation hint for xa_alloc_cyclic (under @lock)
 */
struct sharedmem_file {
	struct sharedmem_node *node;
	struct mutex lock;	/* see above */
	struct xarray buffers;
	unsigned int count;
	u32 next_id;
};

/* sharedmem-node.c */
int sharedmem_chrdev_init(void);
void sharedmem_chrdev_exit(void);
struct sharedmem_node *sharedmem_node_alloc(struct device *dma_dev, enum sharedmem_kind kind,
					    const char *name);
int sharedmem_node_add(struct sharedmem_node *node);
void sharedmem_node_remove(struct sharedmem_node *node);
int sharedmem_node_attach(struct sharedmem_node *node, struct sharedmem_cpu1 *cpu1);
bool sharedmem_node_alive(struct sharedmem_node *node);
__poll_t sharedmem_node_poll(struct sharedmem_node *node, struct file *file, poll_table *wait);
int sharedmem_ioctl_version(void __user *argp);
ssize_t sharedmem_copy_out(struct sharedmem_node *node, const void *base, size_t size,
			   char __user *buf, size_t count, loff_t *ppos);
ssize_t sharedmem_copy_in(struct sharedmem_node *node, void *base, size_t size,
			  const char __user *buf, size_t count, loff_t *ppos);
int sharedmem_check_reserved(const struct sharedmem_buffer *arg);

/* sharedmem-account.c */
int sharedmem_account_charge(size_t bytes, kuid_t *owner);
void sharedmem_account_uncharge(kuid_t owner, size_t bytes);

/* sharedmem-buffer.c */
extern const struct file_operations sharedmem_buffer_fops;

/* sharedmem-region.c */
extern const struct file_operations sharedmem_region_fops;
/*
 * The memory of CPU1's virtio (RPMsg) device, from the device tree; no node.
 * @vring: vdev0vring0 and vdev0vring1 (unset: end == 0)
 * @buffer: vdev0buffer, a shared-dma-pool
 * @buffer_index: its index in `memory-region`, for remoteproc; -1 if none
 */
struct sharedmem_vdev_regions {
	struct resource vring[2];
	struct resource buffer;
	int buffer_index;
};

/* The regions the CPU1 lifecycle needs, found by name at probe. */
struct sharedmem_regions {
	struct sharedmem_node *firmware;	/* "cpu1-firmware" */
	struct sharedmem_node *channel;		/* "sharedmem-channel" */
	struct sharedmem_vdev_regions vdev;	/* "vdev0*" */
};

int sharedmem_regions_probe(struct device *dev, struct sharedmem_regions *found);

/* The other core rang: count it and wake poll() (any context). */
static inline void sharedmem_node_signal(struct sharedmem_node *node)
{
	atomic64_inc(&node->events);
	wake_up_interruptible(&node->wait);
}

/* sharedmem-cpu1.c: CPU1 through remoteproc, and the doorbells (32-bit ARM) */
struct platform_device;
#if defined(CONFIG_ARM) && IS_ENABLED(CONFIG_REMOTEPROC)
struct firmware;
struct rproc;
/*
 * remoteproc's ELF helpers are exported but declared only in the core's
 * private header (drivers/remoteproc/remoteproc_internal.h), which an
 * out-of-tree module cannot include. Same prototypes since Linux 5.10.
 */
int rproc_elf_sanity_check(struct rproc *rproc, const struct firmware *fw);
u64 rproc_elf_get_boot_addr(struct rproc *rproc, const struct firmware *fw);
int rproc_elf_load_segments(struct rproc *rproc, const struct firmware *fw);
int rproc_elf_load_rsc_table(struct rproc *rproc, const struct firmware *fw);
struct resource_table *rproc_elf_find_loaded_rsc_table(struct rproc *rproc,
						       const struct firmware *fw);
irqreturn_t rproc_vq_interrupt(struct rproc *rproc, int notifyid);

/* sharedmem-rpmsg.c: CPU1's virtio device (RPMsg) */
struct sharedmem_rpmsg;
struct sharedmem_rpmsg *sharedmem_rpmsg_probe(struct device *dev, struct rproc *rproc,
					      const struct sharedmem_vdev_regions *regions);
int sharedmem_rpmsg_parse_fw(struct sharedmem_rpmsg *rpmsg, struct rproc *rproc,
			     const struct firmware *fw);
int sharedmem_rpmsg_loaded(struct sharedmem_rpmsg *rpmsg, struct rproc *rproc,
			   const struct firmware *fw);
void sharedmem_rpmsg_start(struct sharedmem_rpmsg *rpmsg);
void sharedmem_rpmsg_stop(struct sharedmem_rpmsg *rpmsg);
bool sharedmem_rpmsg_live(struct sharedmem_rpmsg *rpmsg);
void sharedmem_rpmsg_kick(struct sharedmem_rpmsg *rpmsg, int notifyid);
int sharedmem_rpmsg_interrupt(struct sharedmem_rpmsg *rpmsg);

struct sharedmem_cpu1 *sharedmem_cpu1_probe(struct platform_device *pdev,
					    struct sharedmem_region *firmware,
					    struct sharedmem_node *channel,
					    const struct sharedmem_vdev_regions *vdev);
void sharedmem_cpu1_ring(struct sharedmem_cpu1 *cpu1);

/* sharedmem-reset.c: CPU1's hard reset through the SLCR (Zynq-7000) */
struct sharedmem_cpu1_reset;
extern bool sharedmem_hard_stop;
struct sharedmem_cpu1_reset *sharedmem_cpu1_reset_probe(struct device *dev, void __iomem *mailbox,
							phys_addr_t mailbox_phys, u32 park_loop);
int sharedmem_cpu1_hard_reset(struct sharedmem_cpu1_reset *reset);
/* sharedmem-trampoline.S: its code and the two words the driver fills in */
extern const u8 sharedmem_cpu1_trampoline[], sharedmem_cpu1_trampoline_end[];
extern const u32 sharedmem_cpu1_trampoline_mailbox[], sharedmem_cpu1_trampoline_park[];
#else
static inline struct sharedmem_cpu1 *sharedmem_cpu1_probe(struct platform_device *pdev,
							  struct sharedmem_region *firmware,
							  struct sharedmem_node *channel,
							  const struct sharedmem_vdev_regions *vdev)
{
	return NULL;	/* no CPU1 to drive on this architecture */
}

static inline void sharedmem_cpu1_ring(struct sharedmem_cpu1 *cpu1)
{
}
#endif

/* sharedmem-sysfs.c */
extern const struct attribute_group *sharedmem_node_groups[];

#endif /* _SHAREDMEM_PRIV_H */
