// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: sysfs attributes of a node, /sys/class/sharedmem/sharedmem<N>/
 * (documented in ABI/sysfs-class-sharedmem).
 *
 * dma_address is readable by root only: a physical address tells an
 * attacker where kernel-adjacent memory lies, and sysfs is world-readable.
 * Members of group `sharedmem` get it from the INFO ioctl on a node they
 * can open, since handing it to the other core is the point of the node.
 */

#include <linux/sysfs.h>

#include "sharedmem-priv.h"

static struct sharedmem_node *to_node(struct device *dev)
{
	return container_of(dev, struct sharedmem_node, dev);
}

static ssize_t name_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_node(dev)->name);
}
static DEVICE_ATTR_RO(name);

/* A region's size; for the buffer node, the size open() gives (default_size). */
static ssize_t size_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct sharedmem_node *node = to_node(dev);

	if (node->kind == SHAREDMEM_NODE_REGION)
		return sysfs_emit(buf, "%zu\n", node->region.size);
	return sysfs_emit(buf, "%u\n", sharedmem_default_size);
}
static DEVICE_ATTR_RO(size);

static ssize_t dma_address_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%llx\n", (unsigned long long)to_node(dev)->region.dma);
}
static DEVICE_ATTR_ADMIN_RO(dma_address);

static struct attribute *sharedmem_node_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_size.attr,
	&dev_attr_dma_address.attr,
	NULL
};

static umode_t sharedmem_node_attr_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	struct sharedmem_node *node = to_node(kobj_to_dev(kobj));

	/* The buffer node has many buffers: each has its own, from INFO. */
	if (attr == &dev_attr_dma_address.attr && node->kind != SHAREDMEM_NODE_REGION)
		return 0;
	return attr->mode;
}

static const struct attribute_group sharedmem_node_group = {
	.attrs = sharedmem_node_attrs,
	.is_visible = sharedmem_node_attr_visible,
};

#define SHAREDMEM_STAT_ATTR(field, fmt, read)					\
static ssize_t field##_show(struct device *dev, struct device_attribute *attr,	\
			    char *buf)						\
{										\
	return sysfs_emit(buf, fmt "\n", read(&to_node(dev)->stats.field));	\
}										\
static DEVICE_ATTR_RO(field)

SHAREDMEM_STAT_ATTR(opens, "%d", atomic_read);
SHAREDMEM_STAT_ATTR(mappings, "%d", atomic_read);
SHAREDMEM_STAT_ATTR(read_bytes, "%lld", atomic64_read);
SHAREDMEM_STAT_ATTR(written_bytes, "%lld", atomic64_read);
SHAREDMEM_STAT_ATTR(buffers, "%d", atomic_read);
SHAREDMEM_STAT_ATTR(allocated_bytes, "%lld", atomic64_read);
SHAREDMEM_STAT_ATTR(alloc_failures, "%d", atomic_read);

static struct attribute *sharedmem_stats_attrs[] = {
	&dev_attr_opens.attr,
	&dev_attr_mappings.attr,
	&dev_attr_read_bytes.attr,
	&dev_attr_written_bytes.attr,
	&dev_attr_buffers.attr,
	&dev_attr_allocated_bytes.attr,
	&dev_attr_alloc_failures.attr,
	NULL
};

static umode_t sharedmem_stats_attr_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	struct sharedmem_node *node = to_node(kobj_to_dev(kobj));

	/* Allocation counters mean something on the buffer node only. */
	if (node->kind == SHAREDMEM_NODE_REGION &&
	    (attr == &dev_attr_buffers.attr || attr == &dev_attr_allocated_bytes.attr ||
	     attr == &dev_attr_alloc_failures.attr))
		return 0;
	return attr->mode;
}

static const struct attribute_group sharedmem_stats_group = {
	.name = "stats",
	.attrs = sharedmem_stats_attrs,
	.is_visible = sharedmem_stats_attr_visible,
};

const struct attribute_group *sharedmem_node_groups[] = {
	&sharedmem_node_group,
	&sharedmem_stats_group,
	NULL
};
