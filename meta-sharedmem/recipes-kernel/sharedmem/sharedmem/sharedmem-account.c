// SPDX-License-Identifier: GPL-2.0-only
/*
 * sharedmem: DMA memory per user.
 *
 * Every per-open buffer is charged, for its page-rounded size, to the
 * effective uid of the process that allocated it (open, ALLOC, RESIZE) and
 * uncharged when the memory is freed (after its last mapping). A user whose
 * buffers would pass `user_limit` bytes gets ENOMEM; the others do not notice.
 * The default is half the CMA area the kernel was configured with: one user
 * can never take the memory that everybody else allocates from. Processes
 * with CAP_SYS_RESOURCE (root) are counted but not limited, as for other
 * per-user limits.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "sharedmem-priv.h"

#if defined(CONFIG_CMA_SIZE_MBYTES) && CONFIG_CMA_SIZE_MBYTES > 0
#define SHAREDMEM_DEFAULT_USER_LIMIT	((unsigned long)CONFIG_CMA_SIZE_MBYTES * SZ_1M / 2)
#else
#define SHAREDMEM_DEFAULT_USER_LIMIT	SZ_32M
#endif

static unsigned long sharedmem_user_limit = SHAREDMEM_DEFAULT_USER_LIMIT;
module_param_named(user_limit, sharedmem_user_limit, ulong, 0644);
MODULE_PARM_DESC(user_limit,
		 "bytes of DMA buffers one user may hold at once (half the configured CMA area; 0: no limit; CAP_SYS_RESOURCE is not limited)");

/* What one uid holds now; the entry goes when it holds nothing. */
struct sharedmem_user {
	size_t bytes;
};

/* Protects sharedmem_users and the entries' bytes. */
static DEFINE_MUTEX(sharedmem_users_lock);
/* uid (in the initial user namespace) -> struct sharedmem_user */
static DEFINE_XARRAY(sharedmem_users);

/**
 * sharedmem_account_charge() - charge @bytes of DMA memory to the caller
 * @bytes: page-rounded size of the buffer about to be allocated
 * @owner: set to the uid charged, for sharedmem_account_uncharge()
 *
 * Return: 0, or -ENOMEM when the caller's user would pass user_limit.
 */
int sharedmem_account_charge(size_t bytes, kuid_t *owner)
{
	kuid_t uid = current_euid();
	unsigned long index = from_kuid(&init_user_ns, uid);
	unsigned long limit = READ_ONCE(sharedmem_user_limit);
	struct sharedmem_user *user;
	int ret = 0;

	mutex_lock(&sharedmem_users_lock);
	user = xa_load(&sharedmem_users, index);
	if (!user) {
		user = kzalloc(sizeof(*user), GFP_KERNEL_ACCOUNT);
		if (!user) {
			ret = -ENOMEM;
			goto out;
		}
		ret = xa_err(xa_store(&sharedmem_users, index, user, GFP_KERNEL_ACCOUNT));
		if (ret) {
			kfree(user);
			goto out;
		}
	}
	/* Written without an overflowing addition: bytes may be large. */
	if (limit && (bytes > limit || user->bytes > limit - bytes) &&
	    !capable(CAP_SYS_RESOURCE)) {
		ret = -ENOMEM;
		if (!user->bytes) {
			xa_erase(&sharedmem_users, index);
			kfree(user);
		}
		goto out;
	}
	user->bytes += bytes;
	*owner = uid;
out:
	mutex_unlock(&sharedmem_users_lock);
	return ret;
}

/* The memory of a buffer charged to @owner was freed. */
void sharedmem_account_uncharge(kuid_t owner, size_t bytes)
{
	unsigned long index = from_kuid(&init_user_ns, owner);
	struct sharedmem_user *user;

	mutex_lock(&sharedmem_users_lock);
	user = xa_load(&sharedmem_users, index);
	if (!WARN_ON_ONCE(!user || user->bytes < bytes)) {
		user->bytes -= bytes;
		if (!user->bytes) {
			xa_erase(&sharedmem_users, index);
			kfree(user);
		}
	}
	mutex_unlock(&sharedmem_users_lock);
}
