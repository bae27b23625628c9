/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The remoteproc resource table of the payload (its ".resource_table" ELF
 * section) and the RPMsg memory it names. Wire format of Linux's
 * include/linux/remoteproc.h (struct resource_table, fw_rsc_hdr,
 * fw_rsc_vdev, fw_rsc_vdev_vring), written out here for one table with one
 * entry: a virtio RPMsg device with two vrings. Little-endian, packed by
 * construction (every member at its natural alignment), sizes asserted.
 *
 * Linux copies remoteproc's table into the loaded section before CPU1
 * starts and again while CPU1 runs (the sharedmem driver: at every kick and
 * when the vdev stops), so that CPU1 sees what remoteproc wrote: vring[].da
 * and notifyid at virtio probe, gfeatures, and status
 * (VIRTIO_CONFIG_S_DRIVER_OK once virtio_rpmsg probed, 0 when the vdev is
 * reset at stop or crash). CPU1 only reads it, each field once per use.
 */
#ifndef SHAREDMEM_FW_RSC_TABLE_H
#define SHAREDMEM_FW_RSC_TABLE_H

#include "sharedmem_channel.h"

#define RSC_TABLE_VERSION		1U
#define RSC_VDEV			3U	/* enum fw_resource_type */
#define VIRTIO_ID_RPMSG			7U	/* include/uapi/linux/virtio_ids.h */
#define VIRTIO_RPMSG_F_NS		0U	/* feature bit: name-service announcements */
#define VIRTIO_CONFIG_S_DRIVER_OK	4U	/* include/uapi/linux/virtio_config.h */
#define VIRTIO_CONFIG_S_FAILED		0x80U

/*
 * The RPMsg memory of the device tree (vdev0vring0, vdev0vring1,
 * vdev0buffer in sharedmem-zynq7000.dtsi): one 2 MiB window that CPU1 maps
 * Normal non-cacheable, as Linux does. Device addresses are physical.
 */
#ifndef RPMSG_WINDOW_DA
#define RPMSG_WINDOW_DA		0x1F400000U
#endif
#define RPMSG_WINDOW_SIZE	0x00200000U
#define RPMSG_VRING0_DA		(RPMSG_WINDOW_DA + 0x000000U)	/* Linux's RX: CPU1 -> Linux */
#define RPMSG_VRING1_DA		(RPMSG_WINDOW_DA + 0x010000U)	/* Linux's TX: Linux -> CPU1 */
#define RPMSG_VRING_REGION	0x00010000U			/* each vring's reserved region */
#define RPMSG_BUF_DA		(RPMSG_WINDOW_DA + 0x100000U)	/* vdev0buffer: the buffer pool */
#define RPMSG_BUF_POOL_SIZE	0x00100000U
#define RPMSG_VRING_ALIGN	4096U
#define RPMSG_VRING_NUM		256U

struct rsc_vdev_vring {
	__u32 da;		/* device address of the vring */
	__u32 align;		/* alignment of its used ring */
	__u32 num;		/* descriptors */
	__u32 notifyid;		/* written by Linux */
	__u32 pa;		/* reserved: 0 */
};

struct rsc_vdev {
	__u32 type;		/* struct fw_rsc_hdr: RSC_VDEV */
	__u32 id;		/* VIRTIO_ID_RPMSG */
	__u32 notifyid;		/* written by Linux */
	__u32 dfeatures;	/* device features: 1 << VIRTIO_RPMSG_F_NS */
	__u32 gfeatures;	/* negotiated, written by Linux */
	__u32 config_len;	/* 0: no config space */
	unsigned char status;	/* VIRTIO_CONFIG_S_*, written by Linux */
	unsigned char num_of_vrings;
	unsigned char reserved[2];
	struct rsc_vdev_vring vring[2];
};

struct rsc_table {
	__u32 ver;		/* RSC_TABLE_VERSION */
	__u32 num;		/* entries: 1 */
	__u32 reserved[2];	/* 0 */
	__u32 offset[1];	/* of each entry, from the table's start */
	struct rsc_vdev vdev;
};

#define RSC_VDEV_OFFSET		20U	/* offsetof(struct rsc_table, vdev) */

_Static_assert(sizeof(struct rsc_vdev_vring) == 20, "fw_rsc_vdev_vring");
_Static_assert(sizeof(struct rsc_vdev) == 4 + 24 + 2 * 20, "fw_rsc_hdr + fw_rsc_vdev + 2 vrings");
_Static_assert(__builtin_offsetof(struct rsc_table, vdev) == RSC_VDEV_OFFSET, "one offset entry");
_Static_assert(__builtin_offsetof(struct rsc_vdev, status) == 24, "status byte");
_Static_assert(__builtin_offsetof(struct rsc_vdev, vring) == 28, "vrings after the vdev header");
_Static_assert(sizeof(struct rsc_table) == 88, "the whole table");

#endif /* SHAREDMEM_FW_RSC_TABLE_H */
