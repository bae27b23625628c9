// SPDX-License-Identifier: GPL-2.0-only
/*
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final
 * XOR 0xFFFFFFFF), as zlib's crc32(). Slicing-by-4: four 256-entry tables,
 * one aligned word load per four bytes. The tables (4 KiB) are computed at
 * start-up into .bss rather than stored in the image.
 */
#include "crc32.h"

static __u32 table[4][256];

void crc32_init(void)
{
	__u32 i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0xEDB88320U : c >> 1;
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = table[0][i];
		for (j = 1; j < 4; j++) {
			c = table[0][c & 0xFF] ^ (c >> 8);
			table[j][i] = c;
		}
	}
}

__u32 crc32_update(__u32 crc, const unsigned char *data, __u32 len)
{
	const volatile unsigned char *p = data;

	crc = ~crc;
	while (len && ((unsigned long)p & 3)) {
		crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
		len--;
	}
	while (len >= 4) {
		/* Little-endian word: byte 0 is the least significant. */
		crc ^= *(const volatile __u32 *)(const volatile void *)p;
		crc = table[3][crc & 0xFF] ^ table[2][(crc >> 8) & 0xFF] ^
		      table[1][(crc >> 16) & 0xFF] ^ table[0][crc >> 24];
		p += 4;
		len -= 4;
	}
	while (len--)
		crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}
