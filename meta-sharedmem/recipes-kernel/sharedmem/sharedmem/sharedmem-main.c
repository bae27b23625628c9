// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: memory shared between Linux and another core.
 *
 * The platform driver of the `meta-sharedmem,zynq-amp` device-tree node: it
 * holds the clocks of CPU1's UART0 and creates the nodes, one for per-open
 * DMA buffers and one per persistent region (see README.md).
 *
 * Unload: every open file holds the module (fops.owner), and every mapping
 * holds its file, so rmmod is refused while a node is open or mapped. Unbind
 * (sysfs, overlay removal) is allowed while files are open: the channel is
 * detached from CPU1 first, under its lock, then every node is removed; open
 * files get ENODEV and keep their memory (and mappings) until closed and
 * unmapped (sharedmem-node.c).
 *
 * Extension points for the next parts: the doorbell interrupt of the node
 * will wake sharedmem_node::wait; CPU1's lifecycle (remoteproc) will own the
 * cpu1-firmware region.
 */

#include <linux/build_bug.h>
#include <linux/clk.h>
#include <linux/dma-mapping.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>

#include "sharedmem-priv.h"

/* The uapi is the same on 32- and 64-bit: compat_ptr_ioctl suffices. */
static_assert(sizeof(struct sharedmem_buffer) == 48);
static_assert(offsetof(struct sharedmem_buffer, size) == 8);
static_assert(offsetof(struct sharedmem_buffer, reserved) == 32);

/* Largest max_size: page rounding cannot overflow, ids keep their stride. */
#define SHAREDMEM_MAX_SIZE_LIMIT	SZ_1G

unsigned int sharedmem_default_size = SZ_4K;
module_param_named(default_size, sharedmem_default_size, uint, 0444);
MODULE_PARM_DESC(default_size, "bytes of the buffer each open() of the buffer node gives (4096)");

unsigned long sharedmem_max_size = SZ_16M;
module_param_named(max_size, sharedmem_max_size, ulong, 0444);
MODULE_PARM_DESC(max_size, "largest buffer ALLOC and RESIZE give, in bytes (16 MiB, at most 1 GiB)");

/*
 * The clocks of CPU1's UART0: enabled for as long as the driver is bound,
 * so that clk_disable_unused does not gate them. Optional: a board may give
 * CPU1 no UART.
 */
static int sharedmem_hold_clock(struct device *dev, const char *name)
{
	struct clk *clk = devm_clk_get_optional_enabled(dev, name);

	if (IS_ERR(clk))
		return dev_err_probe(dev, PTR_ERR(clk), "cannot enable clock %s\n", name);
	return 0;
}

static int sharedmem_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct sharedmem_regions regions = { };
	struct sharedmem_cpu1 *cpu1;
	struct sharedmem_node *node;
	int ret;

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret)
		return dev_err_probe(dev, ret, "no 32-bit DMA\n");
	ret = sharedmem_hold_clock(dev, "uart0");
	if (ret)
		return ret;
	ret = sharedmem_hold_clock(dev, "uart0-aper");
	if (ret)
		return ret;

	/* Every node is removed by a devm action, in reverse order. */
	node = sharedmem_node_alloc(dev, SHAREDMEM_NODE_BUFFERS, SHAREDMEM_BUFFER_NODE);
	if (IS_ERR(node))
		return PTR_ERR(node);
	ret = sharedmem_node_add(node);
	if (ret)
		return dev_err_probe(dev, ret, "cannot add the buffer node\n");
	ret = sharedmem_regions_probe(dev, &regions);
	if (ret)
		return ret;
	if (regions.firmware && regions.channel) {
		cpu1 = sharedmem_cpu1_probe(pdev, &regions.firmware->region, regions.channel,
					    &regions.vdev);
		if (IS_ERR(cpu1))
			return PTR_ERR(cpu1);
		if (cpu1) {
			ret = sharedmem_node_attach(regions.channel, cpu1);
			if (ret)
				return ret;
		}
	}
	dev_info(dev, "buffers of up to %lu bytes, ABI %d\n", sharedmem_max_size,
		 SHAREDMEM_ABI_VERSION);
	return 0;
}

static const struct of_device_id sharedmem_of_match[] = {
	{ .compatible = "meta-sharedmem,zynq-amp" },
	{ }
};
MODULE_DEVICE_TABLE(of, sharedmem_of_match);

static struct platform_driver sharedmem_driver = {
	.probe = sharedmem_probe,
	.driver = {
		.name = "sharedmem",
		.of_match_table = sharedmem_of_match,
	},
};

static int __init sharedmem_init(void)
{
	int ret;

	if (!sharedmem_default_size || sharedmem_default_size > sharedmem_max_size ||
	    sharedmem_max_size > SHAREDMEM_MAX_SIZE_LIMIT) {
		pr_err("sharedmem: need 0 < default_size (%u) <= max_size (%lu) <= %u\n",
		       sharedmem_default_size, sharedmem_max_size, SHAREDMEM_MAX_SIZE_LIMIT);
		return -EINVAL;
	}
	ret = sharedmem_chrdev_init();
	if (ret)
		return ret;
	ret = platform_driver_register(&sharedmem_driver);
	if (ret)
		goto err_driver;
	return 0;

err_driver:
	sharedmem_chrdev_exit();
	return ret;
}
module_init(sharedmem_init);

static void __exit sharedmem_exit(void)
{
	platform_driver_unregister(&sharedmem_driver);
	sharedmem_chrdev_exit();
}
module_exit(sharedmem_exit);

MODULE_DESCRIPTION("Memory shared between Linux and another core: DMA buffers and device-tree regions");
MODULE_AUTHOR("meta-sharedmem");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
