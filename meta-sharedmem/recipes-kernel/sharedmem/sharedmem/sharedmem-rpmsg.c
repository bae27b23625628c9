// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: CPU1's virtio device, which carries the kernel's RPMsg bus.
 *
 * The payload's ELF may hold a resource table (section .resource_table) with
 * one virtio device: VIRTIO_ID_RPMSG, two vrings at the addresses of the
 * device tree's vdev0vring0 and vdev0vring1 regions. remoteproc then
 * registers the device, virtio_rpmsg_bus takes its buffers from the
 * vdev0buffer pool, and rpmsg_char, rpmsg_tty and the kernel's rpmsg clients
 * work as on any remoteproc. What this file adds to remoteproc's part:
 *
 * - The table is checked before remoteproc acts on it: only that one
 *   device, rings where the device tree put them and no larger than their
 *   regions. A payload without a table runs as before, without RPMsg.
 * - Linux reads nothing back from CPU1's memory. remoteproc would move its
 *   table_ptr into the loaded table (find_loaded_rsc_table) and read the
 *   virtio features and status from there while CPU1 runs: a payload could
 *   offer VIRTIO_F_ACCESS_PLATFORM and have the DMA API map buffers of a
 *   no-map pool. Here remoteproc keeps its private copy, and the driver
 *   copies it into the loaded table, one way, before CPU1 starts and at every
 *   kick (the virtio status, DRIVER_OK or reset, reaches CPU1 that way).
 * - The vrings are shadowed (sharedmem-vring.c): virtio_ring works on
 *   Linux's pages, CPU1 on the device tree's region, and every used element
 *   CPU1 returns is validated on the way, the length of each message to
 *   Linux against its rpmsg header too. A violation is a crash of CPU1:
 *   remoteproc's recovery takes the rpmsg devices away and brings them back
 *   with a restarted payload.
 *
 * Doorbells are the channel's: a kick rings SGI 15, and CPU1's SPI 29 makes
 * the doorbell thread collect both rings (sharedmem-cpu1.c).
 */

#include <linux/device.h>
#include <linux/elf.h>
#include <linux/firmware.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/remoteproc.h>
#include <linux/slab.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "sharedmem-priv.h"
#include "sharedmem-vring.h"

/* The rpmsg header (drivers/rpmsg/virtio_rpmsg_bus.c: struct rpmsg_hdr). */
struct sharedmem_rpmsg_hdr {
	__le32 src;
	__le32 dst;
	__le32 reserved;
	__le16 len;
	__le16 flags;
} __packed;

/**
 * struct sharedmem_rpmsg - CPU1's virtio device
 * @dev: the platform device
 * @rproc: CPU1's remoteproc
 * @vring: the two shadowed vrings (vdev0vring0, vdev0vring1)
 * @buffer: the vdev0buffer region
 * @buffer_index: its `memory-region` index, for remoteproc
 * @buffers: a write-combined view of it, to check CPU1's rpmsg headers
 * @table_lock: serialises copies into @loaded
 * @loaded: the resource table in cpu1-firmware (CPU1's copy), or NULL; set
 *          at load, under rproc->lock
 * @live: a virtqueue has kicked since the start: CPU1's doorbells may carry
 *        used buffers (read by the doorbell's hard handler)
 */
struct sharedmem_rpmsg {
	struct device *dev;
	struct rproc *rproc;
	struct sharedmem_vring vring[2];
	struct resource buffer;
	int buffer_index;
	void *buffers;
	spinlock_t table_lock;	/* see above */
	void *loaded;
	bool live;
};

/**
 * sharedmem_rpmsg_probe() - CPU1's virtio device, if the device tree gives
 *                           it memory
 * @dev: the platform device
 * @rproc: CPU1's remoteproc (not yet added)
 * @regions: the vdev0* regions found by sharedmem_regions_probe()
 *
 * Return: the device, NULL without vdev0* regions (no RPMsg), or an ERR_PTR.
 */
struct sharedmem_rpmsg *sharedmem_rpmsg_probe(struct device *dev, struct rproc *rproc,
					      const struct sharedmem_vdev_regions *regions)
{
	struct sharedmem_rpmsg *rpmsg;
	int i, ret;

	if (regions->buffer_index < 0)
		return NULL;
	rpmsg = devm_kzalloc(dev, sizeof(*rpmsg), GFP_KERNEL);
	if (!rpmsg)
		return ERR_PTR(-ENOMEM);
	rpmsg->dev = dev;
	rpmsg->rproc = rproc;
	rpmsg->buffer = regions->buffer;
	rpmsg->buffer_index = regions->buffer_index;
	spin_lock_init(&rpmsg->table_lock);
	for (i = 0; i < ARRAY_SIZE(rpmsg->vring); i++) {
		ret = sharedmem_vring_init(dev, &rpmsg->vring[i], &regions->vring[i]);
		if (ret)
			return ERR_PTR(dev_err_probe(dev, ret, "cannot set up vdev0vring%d\n", i));
	}
	rpmsg->buffers = devm_memremap(dev, rpmsg->buffer.start, resource_size(&rpmsg->buffer),
				       MEMREMAP_WC);
	if (IS_ERR(rpmsg->buffers))
		return ERR_CAST(rpmsg->buffers);
	return rpmsg;
}

/*
 * Does the ELF have a .resource_table section? 1 yes, 0 no, or -EINVAL for
 * section headers outside the file (rproc_elf_sanity_check() checked the
 * ELF header; the class is 32-bit, sharedmem_cpu1_sanity_check()).
 */
static int sharedmem_rpmsg_has_table(const struct firmware *fw)
{
	const struct elf32_hdr *ehdr = (const void *)fw->data;
	const struct elf32_shdr *shdr, *strtab;
	static const char name[] = ".resource_table";
	unsigned int i;

	if (!ehdr->e_shnum)
		return 0;
	if (ehdr->e_shentsize != sizeof(*shdr) || ehdr->e_shstrndx >= ehdr->e_shnum ||
	    ehdr->e_shoff > fw->size ||
	    (fw->size - ehdr->e_shoff) / sizeof(*shdr) < ehdr->e_shnum)
		return -EINVAL;
	shdr = (const void *)fw->data + ehdr->e_shoff;
	strtab = &shdr[ehdr->e_shstrndx];
	if (strtab->sh_offset > fw->size || fw->size - strtab->sh_offset < strtab->sh_size)
		return -EINVAL;
	for (i = 0; i < ehdr->e_shnum; i++) {
		if (shdr[i].sh_name >= strtab->sh_size ||
		    strtab->sh_size - shdr[i].sh_name < sizeof(name))
			continue;
		if (!memcmp(fw->data + strtab->sh_offset + shdr[i].sh_name, name, sizeof(name)))
			return 1;
	}
	return 0;
}

/* The one virtio device this driver shadows, checked in remoteproc's copy. */
static int sharedmem_rpmsg_check_vdev(struct sharedmem_rpmsg *rpmsg, struct fw_rsc_vdev *vdev,
				      size_t avail)
{
	struct device *dev = rpmsg->dev;
	int i;

	if (avail < struct_size(vdev, vring, 2) ||
	    avail - struct_size(vdev, vring, 2) < vdev->config_len) {
		dev_err(dev, "resource table: the virtio device entry is truncated\n");
		return -EINVAL;
	}
	if (vdev->id != VIRTIO_ID_RPMSG || vdev->num_of_vrings != 2) {
		dev_err(dev, "resource table: virtio device %u with %u vrings; one RPMsg device (%u) with 2 is supported\n",
			vdev->id, vdev->num_of_vrings, VIRTIO_ID_RPMSG);
		return -EINVAL;
	}
	for (i = 0; i < 2; i++) {
		struct fw_rsc_vdev_vring *vring = &vdev->vring[i];
		struct sharedmem_vring *vr = &rpmsg->vring[i];

		if (vring->da != vr->phys) {
			dev_err(dev, "resource table: vring %d at %#x; the device tree's vdev0vring%d is at %pa\n",
				i, vring->da, i, &vr->phys);
			return -EINVAL;
		}
		if (!is_power_of_2(vring->num) || vring->num > SHAREDMEM_VRING_MAX_NUM ||
		    !is_power_of_2(vring->align) || vring->align > PAGE_SIZE ||
		    PAGE_ALIGN(vring_size(vring->num, vring->align)) > vr->size) {
			dev_err(dev, "resource table: vring %d of %u entries aligned to %u does not fit vdev0vring%d (%zu bytes; at most %u entries, powers of two)\n",
				i, vring->num, vring->align, i, vr->size, SHAREDMEM_VRING_MAX_NUM);
			return -EINVAL;
		}
	}
	return 0;
}

static int sharedmem_rpmsg_check_table(struct sharedmem_rpmsg *rpmsg, struct rproc *rproc)
{
	struct resource_table *table = rproc->cached_table;
	size_t size = rproc->table_sz;
	unsigned int i, vdevs = 0;
	int ret;

	/* find_table() checked the header and that the offsets fit. */
	for (i = 0; i < table->num; i++) {
		u32 offset = table->offset[i];
		struct fw_rsc_hdr *hdr = (void *)table + offset;

		if (offset > size || size - offset < sizeof(*hdr)) {
			dev_err(rpmsg->dev, "resource table: entry %u lies outside the table\n", i);
			return -EINVAL;
		}
		if (hdr->type != RSC_VDEV) {
			dev_err(rpmsg->dev, "resource table: entry %u has type %u; only a virtio device (%u) is supported\n",
				i, hdr->type, RSC_VDEV);
			return -EINVAL;
		}
		if (vdevs++) {
			dev_err(rpmsg->dev, "resource table: more than one virtio device\n");
			return -EINVAL;
		}
		ret = sharedmem_rpmsg_check_vdev(rpmsg, (void *)hdr->data,
						 size - offset - sizeof(*hdr));
		if (ret)
			return ret;
	}
	return 0;
}

static int sharedmem_rpmsg_vring_alloc(struct rproc *rproc, struct rproc_mem_entry *mem)
{
	struct sharedmem_vring *vr = mem->priv;

	/* virtio_ring gets Linux's copy; CPU1's is the device tree region. */
	mem->va = vr->private;
	return 0;
}

static int sharedmem_rpmsg_vring_release(struct rproc *rproc, struct rproc_mem_entry *mem)
{
	mem->va = NULL;
	return 0;
}

/* remoteproc finds its memory by these names (rproc_find_carveout_by_name). */
static int sharedmem_rpmsg_add_carveouts(struct sharedmem_rpmsg *rpmsg, struct rproc *rproc)
{
	struct rproc_mem_entry *mem;
	int i;

	for (i = 0; i < ARRAY_SIZE(rpmsg->vring); i++) {
		struct sharedmem_vring *vr = &rpmsg->vring[i];

		mem = rproc_mem_entry_init(rpmsg->dev, NULL, (dma_addr_t)vr->phys, vr->size,
					   (u32)vr->phys, sharedmem_rpmsg_vring_alloc,
					   sharedmem_rpmsg_vring_release, "vdev0vring%d", i);
		if (!mem)
			return -ENOMEM;
		mem->priv = vr;
		rproc_add_carveout(rproc, mem);
	}
	/* The buffers: the pool's own allocator, through the virtio device. */
	mem = rproc_of_resm_mem_entry_init(rpmsg->dev, rpmsg->buffer_index,
					   resource_size(&rpmsg->buffer), (u32)rpmsg->buffer.start,
					   "vdev0buffer");
	if (!mem)
		return -ENOMEM;
	rproc_add_carveout(rproc, mem);
	return 0;
}

/**
 * sharedmem_rpmsg_parse_fw() - remoteproc's parse_fw: the resource table
 * @rpmsg: CPU1's virtio device, or NULL when the device tree gives it none
 * @rproc: CPU1's remoteproc
 * @fw: the firmware
 *
 * Return: 0 (also for an ELF without a table) or a negative errno.
 */
int sharedmem_rpmsg_parse_fw(struct sharedmem_rpmsg *rpmsg, struct rproc *rproc,
			     const struct firmware *fw)
{
	int ret = sharedmem_rpmsg_has_table(fw);

	if (ret <= 0) {
		if (ret)
			dev_err(&rproc->dev, "the ELF's section headers lie outside the file\n");
		return ret;
	}
	if (!rpmsg) {
		dev_err(&rproc->dev,
			"the firmware has a resource table, but the device tree gives CPU1's virtio device no memory (vdev0vring0, vdev0vring1, vdev0buffer)\n");
		return -EINVAL;
	}
	ret = rproc_elf_load_rsc_table(rproc, fw);
	if (ret)
		return ret;
	ret = sharedmem_rpmsg_check_table(rpmsg, rproc);
	if (!ret)
		ret = sharedmem_rpmsg_add_carveouts(rpmsg, rproc);
	if (ret) {
		/* Nothing half-done for remoteproc's error path to act on. */
		kfree(rproc->cached_table);
		rproc->cached_table = NULL;
		rproc->table_ptr = NULL;
		rproc->table_sz = 0;
	}
	return ret;
}

/**
 * sharedmem_rpmsg_loaded() - the segments are loaded: find CPU1's table
 * @rpmsg: CPU1's virtio device, or NULL
 * @rproc: CPU1's remoteproc
 * @fw: the firmware
 *
 * Return: 0 or -EINVAL when the table lies outside cpu1-firmware.
 */
int sharedmem_rpmsg_loaded(struct sharedmem_rpmsg *rpmsg, struct rproc *rproc,
			   const struct firmware *fw)
{
	void *loaded = NULL;

	if (!rpmsg)
		return 0;
	if (rproc->cached_table) {
		/* da_to_va() keeps it inside cpu1-firmware. */
		loaded = rproc_elf_find_loaded_rsc_table(rproc, fw);
		if (!loaded)
			return -EINVAL;
	}
	spin_lock(&rpmsg->table_lock);
	rpmsg->loaded = loaded;
	spin_unlock(&rpmsg->table_lock);
	return 0;
}

/* remoteproc's copy of the table into CPU1's, one way. */
static void sharedmem_rpmsg_mirror(struct sharedmem_rpmsg *rpmsg)
{
	struct rproc *rproc = rpmsg->rproc;

	spin_lock(&rpmsg->table_lock);
	if (rpmsg->loaded && rproc->cached_table)
		memcpy(rpmsg->loaded, rproc->cached_table, rproc->table_sz);
	spin_unlock(&rpmsg->table_lock);
}

/**
 * sharedmem_rpmsg_start() - before CPU1 starts: clean rings, its table
 * @rpmsg: CPU1's virtio device, or NULL
 */
void sharedmem_rpmsg_start(struct sharedmem_rpmsg *rpmsg)
{
	int i;

	if (!rpmsg)
		return;
	WRITE_ONCE(rpmsg->live, false);
	for (i = 0; i < ARRAY_SIZE(rpmsg->vring); i++)
		sharedmem_vring_reset(&rpmsg->vring[i]);
	sharedmem_rpmsg_mirror(rpmsg);
}

/**
 * sharedmem_rpmsg_stop() - remoteproc removed the virtio device (CPU1 still
 *                          runs): tell CPU1 (status reset), stop collecting
 * @rpmsg: CPU1's virtio device, or NULL
 */
void sharedmem_rpmsg_stop(struct sharedmem_rpmsg *rpmsg)
{
	if (!rpmsg)
		return;
	WRITE_ONCE(rpmsg->live, false);
	sharedmem_rpmsg_mirror(rpmsg);
}

bool sharedmem_rpmsg_live(struct sharedmem_rpmsg *rpmsg)
{
	return rpmsg && READ_ONCE(rpmsg->live);
}

/* Which of our rings is this remoteproc vring (only vdev 0 exists)? */
static struct sharedmem_vring *sharedmem_rpmsg_vring(struct sharedmem_rpmsg *rpmsg,
						     struct rproc_vring *rvring)
{
	ptrdiff_t i = rvring - rvring->rvdev->vring;

	if (rvring->rvdev->index != 0 || i < 0 || i >= ARRAY_SIZE(rpmsg->vring))
		return NULL;
	return &rpmsg->vring[i];
}

/**
 * sharedmem_rpmsg_kick() - remoteproc's kick: hand CPU1 the new buffers
 * @rpmsg: CPU1's virtio device
 * @notifyid: the vring that kicked
 *
 * The caller rings CPU1 afterwards. Runs in the sender's context while the
 * virtqueue exists (remoteproc's notify).
 */
void sharedmem_rpmsg_kick(struct sharedmem_rpmsg *rpmsg, int notifyid)
{
	struct rproc_vring *rvring = idr_find(&rpmsg->rproc->notifyids, notifyid);
	struct sharedmem_vring *vr = rvring ? sharedmem_rpmsg_vring(rpmsg, rvring) : NULL;
	struct virtqueue *vq = rvring ? READ_ONCE(rvring->vq) : NULL;

	/*
	 * The rings first, then the status: a new virtqueue (virtio_rpmsg
	 * bound again without a restart of CPU1) clears CPU1's copy of its
	 * ring before CPU1 can see DRIVER_OK and look at it.
	 */
	if (vr && vq) {
		sharedmem_vring_publish(vr, vq, rvring->num, rvring->align);
		WRITE_ONCE(rpmsg->live, true);
	}
	sharedmem_rpmsg_mirror(rpmsg);
}

/*
 * A message CPU1 put into one of Linux's receive buffers: the length it gave
 * holds the rpmsg header and the data length the header declares.
 * virtio_rpmsg_bus checks the second itself, but computes it unsigned from a
 * length that may be shorter than the header. The header is read once here;
 * rpmsg reads it again and checks again, so a CPU1 that changes it between
 * the two gains nothing.
 */
static int sharedmem_rpmsg_check_message(void *ctx, u64 addr, u32 len)
{
	struct sharedmem_rpmsg *rpmsg = ctx;
	u64 size = resource_size(&rpmsg->buffer);
	u64 offset = addr - rpmsg->buffer.start;
	struct sharedmem_rpmsg_hdr *hdr;
	u16 data_len;

	/* Linux's own descriptor: outside the pool only by a bug of ours. */
	if (addr < rpmsg->buffer.start || offset >= size || size - offset < len) {
		dev_err(rpmsg->dev, "RPMsg buffer %#llx+%u lies outside vdev0buffer\n", addr, len);
		return -EPROTO;
	}
	if (len < sizeof(*hdr)) {
		dev_err(rpmsg->dev, "CPU1 sent an RPMsg message of %u bytes, shorter than its header\n",
			len);
		return -EPROTO;
	}
	hdr = rpmsg->buffers + offset;
	data_len = le16_to_cpu(READ_ONCE(hdr->len));
	if (data_len > len - sizeof(*hdr)) {
		dev_err(rpmsg->dev, "CPU1 sent an RPMsg message of %u bytes whose header says %u bytes of data\n",
			len, data_len);
		return -EPROTO;
	}
	return 0;
}

/**
 * sharedmem_rpmsg_interrupt() - CPU1 rang: collect both rings, validated,
 *                               and let virtio see what passed
 * @rpmsg: CPU1's virtio device
 *
 * Called with rproc->lock held while CPU1 runs: remoteproc deletes the
 * virtqueues only under that lock (rproc_stop()).
 *
 * Return: 0, or -EPROTO when CPU1 broke a ring (the caller reports a crash).
 */
int sharedmem_rpmsg_interrupt(struct sharedmem_rpmsg *rpmsg)
{
	struct rproc *rproc = rpmsg->rproc;
	int id, ret;

	for (id = 0; id <= rproc->max_notifyid; id++) {
		struct rproc_vring *rvring = idr_find(&rproc->notifyids, id);
		struct sharedmem_vring *vr;

		if (!rvring)
			continue;
		vr = sharedmem_rpmsg_vring(rpmsg, rvring);
		if (!vr)
			continue;
		/* vring 0 is Linux's receive ring: CPU1 wrote the messages. */
		ret = sharedmem_vring_collect(vr, rvring->vq,
					      vr == &rpmsg->vring[0] ? sharedmem_rpmsg_check_message
								     : NULL, rpmsg);
		if (ret < 0)
			return ret;
		if (ret)
			rproc_vq_interrupt(rproc, id);
	}
	return 0;
}
