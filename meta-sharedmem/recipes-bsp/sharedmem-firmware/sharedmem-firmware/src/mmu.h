/* SPDX-License-Identifier: GPL-2.0-only */
/* CPU1's flat translation table (mmu.c); turned on and off by startup.S. */
#ifndef SHAREDMEM_FW_MMU_H
#define SHAREDMEM_FW_MMU_H

#include "sharedmem_channel.h"

/* Write the table (MMU off); its address, for TTBR0. */
__u32 *mmu_build(void);

#endif /* SHAREDMEM_FW_MMU_H */
