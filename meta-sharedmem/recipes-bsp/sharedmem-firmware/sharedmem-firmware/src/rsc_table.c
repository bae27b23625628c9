// SPDX-License-Identifier: GPL-2.0-only
/*
 * The resource table remoteproc finds by its section name (rsc_table.h).
 * linker.ld gives ".resource_table" a 4 KiB page of its own, which mmu.c
 * maps Normal non-cacheable: Linux writes status into the loaded copy
 * while CPU1 runs, and CPU1's reads must reach memory, never a cache line
 * (README.md, "RPMsg").
 */
#include "rsc_table.h"

struct rsc_table resource_table __attribute__((section(".resource_table"), used)) = {
	.ver = RSC_TABLE_VERSION,
	.num = 1,
	.offset = { RSC_VDEV_OFFSET },
	.vdev = {
		.type = RSC_VDEV,
		.id = VIRTIO_ID_RPMSG,
		.dfeatures = 1U << VIRTIO_RPMSG_F_NS,
		.config_len = 0,
		.num_of_vrings = 2,
		.vring = {
			{ .da = RPMSG_VRING0_DA, .align = RPMSG_VRING_ALIGN, .num = RPMSG_VRING_NUM },
			{ .da = RPMSG_VRING1_DA, .align = RPMSG_VRING_ALIGN, .num = RPMSG_VRING_NUM },
		},
	},
};
