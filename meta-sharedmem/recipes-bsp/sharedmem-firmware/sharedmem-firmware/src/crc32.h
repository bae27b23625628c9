/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SHAREDMEM_FW_CRC32_H
#define SHAREDMEM_FW_CRC32_H

#include "sharedmem_channel.h"

/* Build the lookup tables; call once before crc32_update(). */
void crc32_init(void);
/*
 * IEEE 802.3 CRC-32, the same as zlib's crc32(data, crc): start with crc = 0.
 * Reads `data` with aligned word loads only (Strongly-ordered memory).
 */
__u32 crc32_update(__u32 crc, const unsigned char *data, __u32 len);

#endif /* SHAREDMEM_FW_CRC32_H */
