// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: persistent regions from the device tree.
 *
 * Each entry of the node's `memory-region` (named by `memory-region-names`)
 * becomes a node /dev/sharedmem/<name>. The region must be `no-map`
 * reserved memory: Linux then has no cacheable linear mapping of it that
 * could hold stale or dirty lines for memory that the other core writes, and
 * never hands it to the page allocator, so its contents and address last as
 * long as the board runs.
 *
 * Attributes: the kernel maps a region with memremap(MEMREMAP_WC) and user
 * space gets pgprot_writecombine(); on ARMv7 both are Normal memory,
 * non-cacheable, bufferable, the same attributes the DMA API gives coherent
 * buffers on this non-coherent core. The other core, which does not take part
 * in CPU0's cache coherency (a bare-metal CPU1 runs without the SCU's SMP
 * mode), must map it non-cacheable as well. Bufferable means stores may wait
 * in the write buffer: whoever hands data over issues a barrier first (the
 * doorbell will; a user program polling a flag needs a release barrier).
 *
 * Entries named vdev0vring0, vdev0vring1 and vdev0buffer are not nodes: they
 * are the memory of CPU1's virtio (RPMsg) device, which remoteproc and the
 * driver own (sharedmem-rpmsg.c). Users never map the rings: RPMsg reaches
 * them through the rpmsg character and tty devices.
 */

#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "sharedmem-priv.h"

/**
 * struct sharedmem_region_file - an open region
 * @node: the node
 * @events_seen: node->events when this file last acknowledged (EVENTS);
 *               updated with atomic64 ops, the file may be shared by threads
 */
struct sharedmem_region_file {
	struct sharedmem_node *node;
	atomic64_t events_seen;
};

static struct sharedmem_node *sharedmem_region_node(struct file *file)
{
	return ((struct sharedmem_region_file *)file->private_data)->node;
}

static int sharedmem_region_open(struct inode *inode, struct file *file)
{
	struct sharedmem_node *node = container_of(inode->i_cdev, struct sharedmem_node, cdev);
	struct sharedmem_region_file *rfile;

	if (!sharedmem_node_alive(node))
		return -ENODEV;
	rfile = kzalloc(sizeof(*rfile), GFP_KERNEL);
	if (!rfile)
		return -ENOMEM;
	rfile->node = node;
	/* Doorbells rung before this open are not news to it. */
	atomic64_set(&rfile->events_seen, atomic64_read(&node->events));
	file->private_data = rfile;
	atomic_inc(&node->stats.opens);
	return 0;
}

static int sharedmem_region_release(struct inode *inode, struct file *file)
{
	struct sharedmem_region_file *rfile = file->private_data;

	atomic_dec(&rfile->node->stats.opens);
	kfree(rfile);
	return 0;
}

/*
 * The kernel mapping lives as long as the node, which this open file pins:
 * a removal racing with the copy cannot unmap it underneath.
 */
static ssize_t sharedmem_region_read(struct file *file, char __user *buf, size_t count,
				     loff_t *ppos)
{
	struct sharedmem_node *node = sharedmem_region_node(file);

	if (!sharedmem_node_alive(node))
		return -ENODEV;
	return sharedmem_copy_out(node, node->region.vaddr, node->region.size, buf, count, ppos);
}

static ssize_t sharedmem_region_write(struct file *file, const char __user *buf, size_t count,
				      loff_t *ppos)
{
	struct sharedmem_node *node = sharedmem_region_node(file);

	if (!sharedmem_node_alive(node))
		return -ENODEV;
	return sharedmem_copy_in(node, node->region.vaddr, node->region.size, buf, count, ppos);
}

static loff_t sharedmem_region_llseek(struct file *file, loff_t offset, int whence)
{
	struct sharedmem_node *node = sharedmem_region_node(file);

	return generic_file_llseek_size(file, offset, whence, MAX_LFS_FILESIZE, node->region.size);
}

static __poll_t sharedmem_region_poll(struct file *file, poll_table *wait)
{
	struct sharedmem_region_file *rfile = file->private_data;
	struct sharedmem_node *node = rfile->node;
	__poll_t mask = sharedmem_node_poll(node, file, wait);

	/*
	 * The channel node waits for the other core: readable only when it
	 * rang since this file last acknowledged (SHAREDMEM_IOC_EVENTS).
	 */
	if (READ_ONCE(node->cpu1) && !(mask & EPOLLHUP) &&
	    atomic64_read(&node->events) == atomic64_read(&rfile->events_seen))
		mask &= ~(EPOLLIN | EPOLLRDNORM);
	return mask;
}

static void sharedmem_region_vm_open(struct vm_area_struct *vma)
{
	struct sharedmem_node *node = vma->vm_private_data;

	atomic_inc(&node->stats.mappings);
}

static void sharedmem_region_vm_close(struct vm_area_struct *vma)
{
	struct sharedmem_node *node = vma->vm_private_data;

	atomic_dec(&node->stats.mappings);
}

/* Counting only: the memory is reserved for good, the VMA pins the file. */
static const struct vm_operations_struct sharedmem_region_vm_ops = {
	.open = sharedmem_region_vm_open,
	.close = sharedmem_region_vm_close,
};

static int sharedmem_region_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct sharedmem_node *node = sharedmem_region_node(file);
	int ret;

	if (!sharedmem_node_alive(node))
		return -ENODEV;
	/* Copy-on-write pages would never reach the other core: MAP_SHARED only. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/* Non-cacheable, as the kernel's mapping and the other core's (see top). */
	vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	/* vm_iomap_memory() refuses offsets and lengths past the region (EINVAL). */
	ret = vm_iomap_memory(vma, node->region.phys, node->region.size);
	if (ret)
		return ret;
	vma->vm_private_data = node;
	vma->vm_ops = &sharedmem_region_vm_ops;
	atomic_inc(&node->stats.mappings);
	return 0;
}

/* SHAREDMEM_IOC_DOORBELL: barrier, and ring the other core if asked. */
static long sharedmem_region_doorbell(struct sharedmem_node *node, void __user *argp)
{
	long ret = 0;
	u32 flags;

	if (!READ_ONCE(node->cpu1))
		return -ENOTTY;
	if (get_user(flags, (u32 __user *)argp))
		return -EFAULT;
	if (flags & ~SHAREDMEM_DOORBELL_RING)
		return -EINVAL;
	/*
	 * Orders this CPU's earlier stores to the channel (the caller's,
	 * through its write-combined mapping) before whatever the caller
	 * stores next, e.g. the ring index that publishes a message: DSB, and
	 * with an outer cache a PL310 sync.
	 */
	wmb();
	if (!(flags & SHAREDMEM_DOORBELL_RING))
		return 0;
	/* node->lock keeps CPU1 (its GIC mapping) from going away under the ring. */
	mutex_lock(&node->lock);
	if (!node->alive)
		ret = -ENODEV;
	else if (node->cpu1)
		sharedmem_cpu1_ring(node->cpu1);
	mutex_unlock(&node->lock);
	return ret;
}

/* SHAREDMEM_IOC_EVENTS: the doorbell count, acknowledged for this file. */
static long sharedmem_region_events(struct sharedmem_region_file *rfile, void __user *argp)
{
	struct sharedmem_node *node = rfile->node;
	u64 events;

	if (!READ_ONCE(node->cpu1))
		return -ENOTTY;
	events = atomic64_read(&node->events);
	if (put_user(events, (u64 __user *)argp))
		return -EFAULT;
	atomic64_set(&rfile->events_seen, events);
	return 0;
}

static long sharedmem_region_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct sharedmem_node *node = sharedmem_region_node(file);
	void __user *argp = (void __user *)uarg;
	struct sharedmem_buffer arg;
	int ret;

	if (!sharedmem_node_alive(node))
		return -ENODEV;
	switch (cmd) {
	case SHAREDMEM_IOC_VERSION:
		return sharedmem_ioctl_version(argp);
	case SHAREDMEM_IOC_INFO:
		break;
	case SHAREDMEM_IOC_DOORBELL:
		return sharedmem_region_doorbell(node, argp);
	case SHAREDMEM_IOC_EVENTS:
		return sharedmem_region_events(file->private_data, argp);
	default:
		/* ALLOC, FREE and RESIZE belong to the buffer node. */
		return -ENOTTY;
	}
	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	ret = sharedmem_check_reserved(&arg);
	if (ret)
		return ret;
	/* A region is one buffer, id 0. */
	if (arg.id != SHAREDMEM_DEFAULT_ID)
		return -EINVAL;
	memset(&arg, 0, sizeof(arg));
	arg.size = node->region.size;
	arg.dma_address = node->region.dma;
	arg.mmap_offset = SHAREDMEM_MMAP_OFFSET(SHAREDMEM_DEFAULT_ID);
	if (copy_to_user(argp, &arg, sizeof(arg)))
		return -EFAULT;
	return 0;
}

const struct file_operations sharedmem_region_fops = {
	.owner = THIS_MODULE,
	.open = sharedmem_region_open,
	.release = sharedmem_region_release,
	.read = sharedmem_region_read,
	.write = sharedmem_region_write,
	.llseek = sharedmem_region_llseek,
	.poll = sharedmem_region_poll,
	.mmap = sharedmem_region_mmap,
	.unlocked_ioctl = sharedmem_region_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static int sharedmem_region_check_name(struct device *dev, const char *name)
{
	if (!*name || strlen(name) >= SHAREDMEM_NAME_MAX || strchr(name, '/') ||
	    !strcmp(name, SHAREDMEM_BUFFER_NODE) || !strcmp(name, ".") || !strcmp(name, ".."))
		return dev_err_probe(dev, -EINVAL,
				     "memory-region-names entry \"%s\" is not a usable node name (1-%d characters, no '/', not \"%s\")\n",
				     name, SHAREDMEM_NAME_MAX - 1, SHAREDMEM_BUFFER_NODE);
	return 0;
}

/* Entry @index of `memory-region`: its reserved-memory node's range. */
static int sharedmem_region_resource(struct device *dev, int index, const char *name,
				     struct resource *res)
{
	struct device_node *rmem;
	bool no_map;
	int ret;

	rmem = of_parse_phandle(dev->of_node, "memory-region", index);
	if (!rmem)
		return dev_err_probe(dev, -EINVAL, "memory-region %d (%s) is not a phandle\n",
				     index, name);
	ret = of_address_to_resource(rmem, 0, res);
	no_map = of_property_read_bool(rmem, "no-map");
	of_node_put(rmem);
	if (ret)
		return dev_err_probe(dev, ret, "reserved memory of region %s has no usable reg\n",
				     name);
	/*
	 * Mapped RAM would keep a cacheable alias in the kernel's linear map,
	 * and ioremap of it is refused on ARM.
	 */
	if (!no_map)
		return dev_err_probe(dev, -EINVAL,
				     "reserved memory of region %s must have the no-map property\n",
				     name);
	/* User mappings and the other core's MMU work in whole pages. */
	if (!PAGE_ALIGNED(res->start) || !PAGE_ALIGNED(resource_size(res)))
		return dev_err_probe(dev, -EINVAL, "region %s (%pR) is not page-aligned\n",
				     name, res);
	return 0;
}

/*
 * A region of CPU1's virtio device: recorded for sharedmem-rpmsg.c, claimed
 * so that /proc/iomem names it, never a node.
 */
static int sharedmem_region_vdev(struct device *dev, int index, const char *name,
				 struct sharedmem_regions *found)
{
	struct sharedmem_vdev_regions *vdev = &found->vdev;
	struct device_node *rmem;
	struct resource res;
	bool pool;
	int ret;

	ret = sharedmem_region_resource(dev, index, name, &res);
	if (ret)
		return ret;
	if (!strcmp(name, "vdev0vring0")) {
		vdev->vring[0] = res;
	} else if (!strcmp(name, "vdev0vring1")) {
		vdev->vring[1] = res;
	} else if (!strcmp(name, "vdev0buffer")) {
		/* remoteproc hands it to the virtio device as its DMA pool. */
		rmem = of_parse_phandle(dev->of_node, "memory-region", index);
		pool = of_device_is_compatible(rmem, "shared-dma-pool");
		of_node_put(rmem);
		if (!pool)
			return dev_err_probe(dev, -EINVAL,
					     "reserved memory of region %s must be a \"shared-dma-pool\"\n",
					     name);
		vdev->buffer = res;
		vdev->buffer_index = index;
	} else {
		return dev_err_probe(dev, -EINVAL,
				     "memory-region-names entry \"%s\": one virtio device (vdev0vring0, vdev0vring1, vdev0buffer) is supported\n",
				     name);
	}
	if (!devm_request_mem_region(dev, res.start, resource_size(&res),
				     devm_kstrdup(dev, name, GFP_KERNEL) ?: "sharedmem-vdev"))
		return dev_err_probe(dev, -EBUSY, "region %s (%pR) is claimed\n", name, &res);
	return 0;
}

static int sharedmem_region_probe(struct device *dev, int index, struct sharedmem_regions *found)
{
	struct sharedmem_node *node;
	struct resource res;
	const char *name;
	const char *claim;
	size_t size;
	int ret;

	ret = of_property_read_string_index(dev->of_node, "memory-region-names", index, &name);
	if (ret)
		return dev_err_probe(dev, ret, "memory-region %d has no name\n", index);
	if (!strncmp(name, "vdev", 4))
		return sharedmem_region_vdev(dev, index, name, found);
	ret = sharedmem_region_check_name(dev, name);
	if (ret)
		return ret;
	ret = sharedmem_region_resource(dev, index, name, &res);
	if (ret)
		return ret;
	size = resource_size(&res);
	/* Named in /proc/iomem, and nobody else may claim it while we hold it. */
	claim = devm_kstrdup(dev, name, GFP_KERNEL);
	if (!claim)
		return -ENOMEM;
	if (!devm_request_mem_region(dev, res.start, size, claim))
		return dev_err_probe(dev, -EBUSY, "region %s (%pR) is claimed\n", name, &res);

	node = sharedmem_node_alloc(dev, SHAREDMEM_NODE_REGION, name);
	if (IS_ERR(node))
		return PTR_ERR(node);
	node->region.phys = res.start;
	node->region.size = size;
	/*
	 * The address a bus master uses, which is not __pa() in general: an
	 * IOMMU or the bus offsets of `dma-ranges` translate it. Unmapped in
	 * sharedmem_node_remove().
	 */
	node->region.dma = dma_map_resource(dev, res.start, size, DMA_BIDIRECTIONAL,
					    DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(dev, node->region.dma)) {
		ret = dev_err_probe(dev, -EIO, "region %s (%pR) is out of the device's DMA reach\n",
				    name, &res);
		goto err_put;
	}
	/* Released with the node (sharedmem_node_release), not at removal. */
	node->region.vaddr = memremap(res.start, size, MEMREMAP_WC);
	if (!node->region.vaddr) {
		ret = dev_err_probe(dev, -ENOMEM, "cannot map region %s (%pR)\n", name, &res);
		goto err_unmap_dma;
	}
	/* Consumes the node; from here removal is a devm action. */
	ret = sharedmem_node_add(node);
	if (ret)
		return ret;
	if (!strcmp(name, "cpu1-firmware"))
		found->firmware = node;
	else if (!strcmp(name, "sharedmem-channel"))
		found->channel = node;
	return 0;

err_unmap_dma:
	dma_unmap_resource(dev, node->region.dma, size, DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
err_put:
	put_device(&node->dev);
	return ret;
}

/**
 * sharedmem_regions_probe() - a node for each region of the device tree
 * @dev: the platform device
 * @found: set to the nodes of the regions that CPU1's lifecycle uses (they
 *         stay valid while the device is bound)
 *
 * Return: 0 (also when the node has no `memory-region`) or a negative errno.
 */
int sharedmem_regions_probe(struct device *dev, struct sharedmem_regions *found)
{
	bool has_buffer;
	int count, i, ret;

	found->vdev.buffer_index = -1;
	count = of_count_phandle_with_args(dev->of_node, "memory-region", NULL);
	if (count == -ENOENT)
		return 0;
	if (count < 0)
		return dev_err_probe(dev, count, "cannot parse memory-region\n");
	for (i = 0; i < count; i++) {
		ret = sharedmem_region_probe(dev, i, found);
		if (ret)
			return ret;
	}
	/* All three or none: remoteproc would take CMA for a missing one. */
	has_buffer = found->vdev.buffer_index >= 0;
	if (has_buffer != !!found->vdev.vring[0].end || has_buffer != !!found->vdev.vring[1].end)
		return dev_err_probe(dev, -EINVAL,
				     "CPU1's virtio device needs all of vdev0vring0, vdev0vring1 and vdev0buffer\n");
	return 0;
}
