// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: the character-device core shared by every node.
 *
 * A node is a class device plus its cdev, embedded in one structure
 * (cdev_device_add): an open file pins the node through the cdev, so the
 * node lives until the last file is closed, even after the platform device
 * went away. Teardown follows drivers/uio/uio.c: removal clears `alive`
 * under the node's lock and wakes poll() waiters; every file operation checks
 * `alive` first. Memory that a racing operation may still touch stays valid
 * by ownership, not by the lock: a region's kernel mapping is released with
 * the node, a buffer with its last reference.
 */

#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "sharedmem-priv.h"

#define SHAREDMEM_MINORS	64

static dev_t sharedmem_devt;
static DEFINE_IDA(sharedmem_minors);

static struct class sharedmem_class = {
	.name = "sharedmem",
};

int sharedmem_chrdev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&sharedmem_devt, 0, SHAREDMEM_MINORS, "sharedmem");
	if (ret)
		return ret;
	ret = class_register(&sharedmem_class);
	if (ret)
		goto err_class;
	return 0;

err_class:
	unregister_chrdev_region(sharedmem_devt, SHAREDMEM_MINORS);
	return ret;
}

void sharedmem_chrdev_exit(void)
{
	class_unregister(&sharedmem_class);
	unregister_chrdev_region(sharedmem_devt, SHAREDMEM_MINORS);
	ida_destroy(&sharedmem_minors);
}

/* The last reference is gone: no file, no mapping, no probe uses the node. */
static void sharedmem_node_release(struct device *dev)
{
	struct sharedmem_node *node = container_of(dev, struct sharedmem_node, dev);

	if (node->region.vaddr)
		memunmap(node->region.vaddr);
	put_device(node->dma_dev);
	ida_free(&sharedmem_minors, MINOR(node->dev.devt));
	mutex_destroy(&node->lock);
	kfree(node);
}

/**
 * sharedmem_node_alloc() - a node, not yet visible
 * @dma_dev: the platform device whose DMA memory the node serves
 * @kind: buffer node or region
 * @name: node name
 *
 * Return: the node (release it with put_device(&node->dev)) or an ERR_PTR.
 */
struct sharedmem_node *sharedmem_node_alloc(struct device *dma_dev, enum sharedmem_kind kind,
					    const char *name)
{
	struct sharedmem_node *node;
	int minor;
	int ret;

	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return ERR_PTR(-ENOMEM);
	minor = ida_alloc_max(&sharedmem_minors, SHAREDMEM_MINORS - 1, GFP_KERNEL);
	if (minor < 0) {
		kfree(node);
		return ERR_PTR(minor);
	}
	/* Buffers outlive an unbind; they are freed on this device. */
	node->dma_dev = get_device(dma_dev);
	node->kind = kind;
	strscpy(node->name, name, sizeof(node->name));
	mutex_init(&node->lock);
	init_waitqueue_head(&node->wait);

	device_initialize(&node->dev);
	node->dev.class = &sharedmem_class;
	node->dev.parent = dma_dev;
	node->dev.devt = MKDEV(MAJOR(sharedmem_devt), minor);
	node->dev.groups = sharedmem_node_groups;
	node->dev.release = sharedmem_node_release;
	/* From here on, put_device() frees the node and its minor. */
	ret = dev_set_name(&node->dev, "sharedmem%d", minor);
	if (ret) {
		put_device(&node->dev);
		return ERR_PTR(ret);
	}
	cdev_init(&node->cdev, kind == SHAREDMEM_NODE_REGION ? &sharedmem_region_fops
							      : &sharedmem_buffer_fops);
	node->cdev.owner = THIS_MODULE;
	return node;
}

/* The DMA mapping of a region's bus address (sharedmem_region_probe). */
static void sharedmem_node_unmap_dma(struct sharedmem_node *node)
{
	if (node->kind == SHAREDMEM_NODE_REGION)
		dma_unmap_resource(node->dma_dev, node->region.dma, node->region.size,
				   DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
}

static void sharedmem_node_remove_action(void *data)
{
	sharedmem_node_remove(data);
}

/**
 * sharedmem_node_add() - make a node visible (device node, sysfs)
 * @node: from sharedmem_node_alloc(), with a region's DMA mapping made;
 *        consumed: on failure both are released
 *
 * Removal is a devm action of the platform device.
 *
 * Return: 0 or a negative errno.
 */
int sharedmem_node_add(struct sharedmem_node *node)
{
	int ret;

	node->alive = true;
	ret = cdev_device_add(&node->cdev, &node->dev);
	if (ret) {
		sharedmem_node_unmap_dma(node);
		put_device(&node->dev);
		return ret;
	}
	return devm_add_action_or_reset(node->dma_dev, sharedmem_node_remove_action, node);
}

/**
 * sharedmem_node_remove() - the platform device goes away
 * @node: the node
 *
 * Open files keep the node (and their memory) until they are closed; they
 * get ENODEV from now on, and poll() reports EPOLLHUP.
 */
void sharedmem_node_remove(struct sharedmem_node *node)
{
	mutex_lock(&node->lock);
	node->alive = false;
	mutex_unlock(&node->lock);
	wake_up_interruptible_all(&node->wait);

	cdev_device_del(&node->cdev, &node->dev);
	sharedmem_node_unmap_dma(node);
	put_device(&node->dev);
}

/* CPU1 goes away first at removal: no operation may reach it after this. */
static void sharedmem_node_detach(void *data)
{
	struct sharedmem_node *node = data;

	mutex_lock(&node->lock);
	node->alive = false;
	WRITE_ONCE(node->cpu1, NULL);
	mutex_unlock(&node->lock);
	wake_up_interruptible_all(&node->wait);
}

/**
 * sharedmem_node_attach() - make @node the channel of @cpu1
 * @node: the channel region's node
 * @cpu1: CPU1, registered with remoteproc by a devm action just before
 *
 * Detached by a devm action, which runs before CPU1's own teardown.
 *
 * Return: 0 or a negative errno (then already detached).
 */
int sharedmem_node_attach(struct sharedmem_node *node, struct sharedmem_cpu1 *cpu1)
{
	mutex_lock(&node->lock);
	WRITE_ONCE(node->cpu1, cpu1);
	mutex_unlock(&node->lock);
	return devm_add_action_or_reset(node->dma_dev, sharedmem_node_detach, node);
}

bool sharedmem_node_alive(struct sharedmem_node *node)
{
	bool alive;

	mutex_lock(&node->lock);
	alive = node->alive;
	mutex_unlock(&node->lock);
	return alive;
}

/*
 * poll(): read() and write() never block, so a node is always readable and
 * writable, as a regular file is; EPOLLHUP once the device is gone. The wait
 * queue is where the doorbell from the other core will wake waiters.
 */
__poll_t sharedmem_node_poll(struct sharedmem_node *node, struct file *file, poll_table *wait)
{
	poll_wait(file, &node->wait, wait);
	if (!sharedmem_node_alive(node))
		return EPOLLHUP | EPOLLERR;
	return EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
}

/**
 * sharedmem_copy_out() - read() from memory of @size bytes, like a file
 * @node: for the counters
 * @base: kernel address of the memory
 * @size: its size: the end of file
 * @buf: user buffer
 * @count: bytes asked for
 * @ppos: file position, advanced by what was copied
 *
 * Return: bytes copied (short at the end, 0 at or past it) or -errno.
 */
ssize_t sharedmem_copy_out(struct sharedmem_node *node, const void *base, size_t size,
			   char __user *buf, size_t count, loff_t *ppos)
{
	loff_t pos = *ppos;
	size_t n;

	if (pos < 0)
		return -EINVAL;
	/* At or past the end: EOF. From here on pos < size, so no overflow. */
	if ((u64)pos >= size || !count)
		return 0;
	n = min_t(size_t, count, size - (size_t)pos);
	n -= copy_to_user(buf, base + pos, n);
	if (!n)
		return -EFAULT;
	*ppos = pos + n;
	atomic64_add(n, &node->stats.read_bytes);
	return n;
}

/**
 * sharedmem_copy_in() - write() to memory of @size bytes, like a full disk
 * @node: for the counters
 * @base: kernel address of the memory
 * @size: its size: nothing is written past it
 * @buf: user buffer
 * @count: bytes to write
 * @ppos: file position, advanced by what was copied
 *
 * Return: bytes copied (short at the end) or -errno: ENOSPC at or past the end.
 */
ssize_t sharedmem_copy_in(struct sharedmem_node *node, void *base, size_t size,
			  const char __user *buf, size_t count, loff_t *ppos)
{
	loff_t pos = *ppos;
	size_t n;

	if (pos < 0)
		return -EINVAL;
	if (!count)
		return 0;
	/* The memory cannot grow: at or past the end, the "disk" is full. */
	if ((u64)pos >= size)
		return -ENOSPC;
	n = min_t(size_t, count, size - (size_t)pos);
	/*
	 * copy_from_user() zero-fills what it could not copy: limit the copy
	 * to the readable start of @buf, so that a bad pointer loses nothing
	 * (only a concurrent munmap could still race with it).
	 */
	n -= fault_in_readable(buf, n);
	if (!n)
		return -EFAULT;
	n -= copy_from_user(base + pos, buf, n);
	if (!n)
		return -EFAULT;
	*ppos = pos + n;
	atomic64_add(n, &node->stats.written_bytes);
	return n;
}

/* Reserved input of struct sharedmem_buffer must be zero (future meaning). */
int sharedmem_check_reserved(const struct sharedmem_buffer *arg)
{
	if (arg->flags || arg->reserved[0] || arg->reserved[1])
		return -EINVAL;
	return 0;
}

int sharedmem_ioctl_version(void __user *argp)
{
	return put_user((u32)SHAREDMEM_ABI_VERSION, (u32 __user *)argp);
}
