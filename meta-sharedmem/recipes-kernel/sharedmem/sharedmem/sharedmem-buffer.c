// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: per-open DMA buffers (the buffer node, /dev/sharedmem/buffer).
 *
 * open() gives buffer 0 of `default_size` bytes; ALLOC, FREE and RESIZE
 * manage more, up to `max_size` bytes each. The memory comes from
 * dma_alloc_coherent() on the platform device (the CMA area by default, or
 * the device's own shared-dma-pool) and is what the other core is told about
 * by its DMA address. On a non-coherent ARM core such as the Cortex-A9 of a
 * Zynq-7000 the DMA API maps it non-cacheable (normal memory, bufferable) in
 * the kernel and, through dma_mmap_coherent(), in user space: no cache
 * maintenance is needed, and none is offered.
 *
 * A buffer is freed when its last reference goes: the file's id table holds
 * one until FREE or close, each VMA one until munmap. So a program that
 * frees or closes while it still uses a mapping never touches freed memory.
 */

#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "sharedmem-priv.h"

/* mmap offset = SHAREDMEM_MMAP_OFFSET(id) + offset: in pages, id << this. */
#define SHAREDMEM_ID_SHIFT	(32 - PAGE_SHIFT)

static struct sharedmem_buf *sharedmem_buf_alloc(struct sharedmem_node *node, size_t size)
{
	struct sharedmem_buf *buf;
	int ret;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->alloc_size = PAGE_ALIGN(size);
	/* The caller's share first: its ENOMEM must not touch the pool. */
	ret = sharedmem_account_charge(buf->alloc_size, &buf->owner);
	if (ret)
		goto err_charge;
	/* An exhausted pool is the caller's ENOMEM, not a kernel warning. */
	buf->vaddr = dma_alloc_coherent(node->dma_dev, buf->alloc_size, &buf->dma,
					GFP_KERNEL | __GFP_NOWARN);
	if (!buf->vaddr) {
		atomic_inc(&node->stats.alloc_failures);
		ret = -ENOMEM;
		goto err_alloc;
	}
	kref_init(&buf->ref);
	buf->node = node;
	buf->size = size;
	atomic_set(&buf->mappings, 0);
	atomic_inc(&node->stats.buffers);
	atomic64_add(buf->alloc_size, &node->stats.allocated_bytes);
	return buf;

err_alloc:
	sharedmem_account_uncharge(buf->owner, buf->alloc_size);
err_charge:
	kfree(buf);
	return ERR_PTR(ret);
}

static void sharedmem_buf_release(struct kref *ref)
{
	struct sharedmem_buf *buf = container_of(ref, struct sharedmem_buf, ref);
	struct sharedmem_node *node = buf->node;

	dma_free_coherent(node->dma_dev, buf->alloc_size, buf->vaddr, buf->dma);
	sharedmem_account_uncharge(buf->owner, buf->alloc_size);
	atomic_dec(&node->stats.buffers);
	atomic64_sub(buf->alloc_size, &node->stats.allocated_bytes);
	/* mmap() may be looking at the struct under RCU (sharedmem_buf_get). */
	kfree_rcu(buf, rcu);
}

static void sharedmem_buf_put(struct sharedmem_buf *buf)
{
	kref_put(&buf->ref, sharedmem_buf_release);
}

/* A reference to buffer @id of @sf, without sf->lock (see struct sharedmem_file). */
static struct sharedmem_buf *sharedmem_buf_get(struct sharedmem_file *sf, unsigned long id)
{
	struct sharedmem_buf *buf;

	rcu_read_lock();
	buf = xa_load(&sf->buffers, id);
	if (buf && !kref_get_unless_zero(&buf->ref))
		buf = NULL;
	rcu_read_unlock();
	return buf;
}

static void sharedmem_buf_describe(const struct sharedmem_buf *buf, struct sharedmem_buffer *arg)
{
	memset(arg, 0, sizeof(*arg));
	arg->id = buf->id;
	arg->size = buf->size;
	arg->dma_address = buf->dma;
	arg->mmap_offset = SHAREDMEM_MMAP_OFFSET(buf->id);
}

static int sharedmem_buffer_open(struct inode *inode, struct file *file)
{
	struct sharedmem_node *node = container_of(inode->i_cdev, struct sharedmem_node, cdev);
	struct sharedmem_file *sf;
	struct sharedmem_buf *buf;
	int ret;

	if (!sharedmem_node_alive(node))
		return -ENODEV;
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	sf->node = node;
	mutex_init(&sf->lock);
	xa_init_flags(&sf->buffers, XA_FLAGS_ALLOC);
	sf->next_id = 1;

	buf = sharedmem_buf_alloc(node, sharedmem_default_size);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto err_alloc;
	}
	buf->id = SHAREDMEM_DEFAULT_ID;
	ret = xa_insert(&sf->buffers, SHAREDMEM_DEFAULT_ID, buf, GFP_KERNEL);
	if (ret)
		goto err_insert;
	sf->count = 1;
	file->private_data = sf;
#ifndef FOP_UNSIGNED_OFFSET
	/*
	 * mmap offsets of buffers other than 0 lie at 4 GiB and beyond, past
	 * what the kernel lets a character device map on 32-bit systems unless
	 * its offsets are unsigned (as /dev/mem's). read(), write() and
	 * llseek() refuse negative positions themselves.
	 */
	file->f_mode |= FMODE_UNSIGNED_OFFSET;
#endif
	atomic_inc(&node->stats.opens);
	return 0;

err_insert:
	sharedmem_buf_put(buf);
err_alloc:
	xa_destroy(&sf->buffers);
	mutex_destroy(&sf->lock);
	kfree(sf);
	return ret;
}

/* Last close (every mapping is gone too: each VMA holds the file). */
static int sharedmem_buffer_release(struct inode *inode, struct file *file)
{
	struct sharedmem_file *sf = file->private_data;
	struct sharedmem_buf *buf;
	unsigned long id;

	xa_for_each(&sf->buffers, id, buf) {
		xa_erase(&sf->buffers, id);
		sharedmem_buf_put(buf);	/* the id table's reference */
	}
	xa_destroy(&sf->buffers);
	atomic_dec(&sf->node->stats.opens);
	mutex_destroy(&sf->lock);
	kfree(sf);
	return 0;
}

static ssize_t sharedmem_buffer_read(struct file *file, char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct sharedmem_file *sf = file->private_data;
	struct sharedmem_buf *buf;
	ssize_t ret;

	if (!sharedmem_node_alive(sf->node))
		return -ENODEV;
	if (mutex_lock_interruptible(&sf->lock))
		return -ERESTARTSYS;
	buf = xa_load(&sf->buffers, SHAREDMEM_DEFAULT_ID);
	ret = sharedmem_copy_out(sf->node, buf->vaddr, buf->size, ubuf, count, ppos);
	mutex_unlock(&sf->lock);
	return ret;
}

static ssize_t sharedmem_buffer_write(struct file *file, const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	struct sharedmem_file *sf = file->private_data;
	struct sharedmem_buf *buf;
	ssize_t ret;

	if (!sharedmem_node_alive(sf->node))
		return -ENODEV;
	if (mutex_lock_interruptible(&sf->lock))
		return -ERESTARTSYS;
	buf = xa_load(&sf->buffers, SHAREDMEM_DEFAULT_ID);
	ret = sharedmem_copy_in(sf->node, buf->vaddr, buf->size, ubuf, count, ppos);
	mutex_unlock(&sf->lock);
	return ret;
}

/*
 * Like a regular file of buffer 0's size: any position from 0 on, past the
 * end too. Written out because the file has unsigned offsets (see
 * sharedmem_buffer_open), which generic_file_llseek would let go negative.
 */
static loff_t sharedmem_buffer_llseek(struct file *file, loff_t offset, int whence)
{
	struct sharedmem_file *sf = file->private_data;
	struct sharedmem_buf *buf;
	loff_t base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = file->f_pos;
		break;
	case SEEK_END:
		mutex_lock(&sf->lock);
		buf = xa_load(&sf->buffers, SHAREDMEM_DEFAULT_ID);
		base = buf->size;
		mutex_unlock(&sf->lock);
		break;
	default:
		return -EINVAL;
	}
	/* base >= 0: no overflow below 0; the sum must stay a valid position. */
	if (offset < -base || offset > MAX_LFS_FILESIZE - base)
		return -EINVAL;
	return vfs_setpos(file, offset + base, MAX_LFS_FILESIZE);
}

static __poll_t sharedmem_buffer_poll(struct file *file, poll_table *wait)
{
	struct sharedmem_file *sf = file->private_data;

	return sharedmem_node_poll(sf->node, file, wait);
}

static void sharedmem_buf_vm_open(struct vm_area_struct *vma)
{
	struct sharedmem_buf *buf = vma->vm_private_data;

	/* A copy of a mapping (fork, split, mremap) holds its own reference. */
	kref_get(&buf->ref);
	atomic_inc(&buf->mappings);
	atomic_inc(&buf->node->stats.mappings);
}

static void sharedmem_buf_vm_close(struct vm_area_struct *vma)
{
	struct sharedmem_buf *buf = vma->vm_private_data;

	atomic_dec(&buf->node->stats.mappings);
	atomic_dec(&buf->mappings);
	sharedmem_buf_put(buf);
}

static const struct vm_operations_struct sharedmem_buf_vm_ops = {
	.open = sharedmem_buf_vm_open,
	.close = sharedmem_buf_vm_close,
};

/*
 * Runs with mmap_lock held, so it does not take sf->lock (read() holds that
 * while a copy may fault and take mmap_lock): the buffer is looked up under
 * RCU. A RESIZE racing with it may leave this mapping on the old buffer,
 * which then lives on until munmap.
 */
static int sharedmem_buffer_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct sharedmem_file *sf = file->private_data;
	unsigned long pages = vma_pages(vma);
	unsigned long id = vma->vm_pgoff >> SHAREDMEM_ID_SHIFT;
	unsigned long first = vma->vm_pgoff & ((1UL << SHAREDMEM_ID_SHIFT) - 1);
	unsigned long buf_pages;
	struct sharedmem_buf *buf;
	int ret;

	if (!sharedmem_node_alive(sf->node))
		return -ENODEV;
	/* Copy-on-write pages would never reach the other core: MAP_SHARED only. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/* The offset names a buffer of this file. */
	buf = sharedmem_buf_get(sf, id);
	if (!buf)
		return -EINVAL;
	buf_pages = buf->alloc_size >> PAGE_SHIFT;
	/* The range starts inside the buffer ... */
	if (first >= buf_pages) {
		ret = -EINVAL;
		goto err_put;
	}
	/* ... and ends inside it (no overflow: first < buf_pages). */
	if (pages > buf_pages - first) {
		ret = -EINVAL;
		goto err_put;
	}
	/* dma_mmap_coherent() takes vm_pgoff as the offset within the buffer. */
	vma->vm_pgoff = first;
	ret = dma_mmap_coherent(sf->node->dma_dev, vma, buf->vaddr, buf->dma, buf->alloc_size);
	if (ret)
		goto err_put;
	/* The reference taken above now belongs to the VMA (put in vm_close). */
	vma->vm_private_data = buf;
	vma->vm_ops = &sharedmem_buf_vm_ops;
	atomic_inc(&buf->mappings);
	atomic_inc(&sf->node->stats.mappings);
	return 0;

err_put:
	sharedmem_buf_put(buf);
	return ret;
}

static int sharedmem_check_size(u64 size)
{
	if (!size || size > sharedmem_max_size)
		return -EINVAL;
	return 0;
}

static long sharedmem_ioctl_info(struct sharedmem_file *sf, struct sharedmem_buffer *arg)
{
	struct sharedmem_buf *buf;

	buf = xa_load(&sf->buffers, arg->id);
	if (!buf)
		return -EINVAL;
	sharedmem_buf_describe(buf, arg);
	return 0;
}

static long sharedmem_ioctl_alloc(struct sharedmem_file *sf, struct sharedmem_buffer *arg)
{
	struct sharedmem_buf *buf;
	u32 id;
	int ret;

	ret = sharedmem_check_size(arg->size);
	if (ret)
		return ret;
	if (sf->count >= SHAREDMEM_MAX_BUFFERS)
		return -ENOSPC;
	buf = sharedmem_buf_alloc(sf->node, arg->size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	/* Cyclic: a freed id is not reused at once, so a stale offset fails. */
	ret = xa_alloc_cyclic(&sf->buffers, &id, buf, XA_LIMIT(1, SHAREDMEM_MAX_ID),
			      &sf->next_id, GFP_KERNEL);
	if (ret < 0) {
		sharedmem_buf_put(buf);
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	buf->id = id;
	sf->count++;
	sharedmem_buf_describe(buf, arg);
	return 0;
}

static long sharedmem_ioctl_free(struct sharedmem_file *sf, u32 id)
{
	struct sharedmem_buf *buf;

	/* Buffer 0 lives as long as the file; RESIZE it instead. */
	if (id == SHAREDMEM_DEFAULT_ID)
		return -EINVAL;
	buf = xa_erase(&sf->buffers, id);
	if (!buf)
		return -EINVAL;
	sf->count--;
	sharedmem_buf_put(buf);	/* mappings keep it until munmap */
	return 0;
}

static long sharedmem_ioctl_resize(struct sharedmem_file *sf, struct sharedmem_buffer *arg)
{
	struct sharedmem_buf *old, *buf;
	int ret;

	ret = sharedmem_check_size(arg->size);
	if (ret)
		return ret;
	old = xa_load(&sf->buffers, arg->id);
	if (!old)
		return -EINVAL;
	/* Mappings of the old memory would silently go stale. */
	if (atomic_read(&old->mappings))
		return -EBUSY;
	buf = sharedmem_buf_alloc(sf->node, arg->size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);	/* the old buffer is untouched */
	memcpy(buf->vaddr, old->vaddr, min(old->size, buf->size));
	buf->id = old->id;
	/* Replacing an existing entry allocates nothing, so it cannot fail. */
	xa_store(&sf->buffers, buf->id, buf, GFP_KERNEL);
	sharedmem_buf_put(old);
	sharedmem_buf_describe(buf, arg);
	return 0;
}

static long sharedmem_buffer_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct sharedmem_file *sf = file->private_data;
	void __user *argp = (void __user *)uarg;
	struct sharedmem_buffer arg;
	u32 id;
	long ret;

	if (!sharedmem_node_alive(sf->node))
		return -ENODEV;
	switch (cmd) {
	case SHAREDMEM_IOC_VERSION:
		return sharedmem_ioctl_version(argp);
	case SHAREDMEM_IOC_FREE:
		if (get_user(id, (u32 __user *)argp))
			return -EFAULT;
		mutex_lock(&sf->lock);
		ret = sharedmem_ioctl_free(sf, id);
		mutex_unlock(&sf->lock);
		return ret;
	case SHAREDMEM_IOC_INFO:
	case SHAREDMEM_IOC_ALLOC:
	case SHAREDMEM_IOC_RESIZE:
		break;
	default:
		return -ENOTTY;
	}

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	ret = sharedmem_check_reserved(&arg);
	if (ret)
		return ret;
	mutex_lock(&sf->lock);
	if (cmd == SHAREDMEM_IOC_INFO)
		ret = sharedmem_ioctl_info(sf, &arg);
	else if (cmd == SHAREDMEM_IOC_ALLOC)
		ret = sharedmem_ioctl_alloc(sf, &arg);
	else
		ret = sharedmem_ioctl_resize(sf, &arg);
	if (!ret && copy_to_user(argp, &arg, sizeof(arg))) {
		/* A new buffer nobody heard of would leak until close. */
		if (cmd == SHAREDMEM_IOC_ALLOC)
			sharedmem_ioctl_free(sf, arg.id);
		ret = -EFAULT;
	}
	mutex_unlock(&sf->lock);
	return ret;
}

const struct file_operations sharedmem_buffer_fops = {
	.owner = THIS_MODULE,
#ifdef FOP_UNSIGNED_OFFSET
	/* Offsets past 4 GiB, see sharedmem_buffer_open(). */
	.fop_flags = FOP_UNSIGNED_OFFSET,
#endif
	.open = sharedmem_buffer_open,
	.release = sharedmem_buffer_release,
	.read = sharedmem_buffer_read,
	.write = sharedmem_buffer_write,
	.llseek = sharedmem_buffer_llseek,
	.poll = sharedmem_buffer_poll,
	.mmap = sharedmem_buffer_mmap,
	.unlocked_ioctl = sharedmem_buffer_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
