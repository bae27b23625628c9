# SPDX-License-Identifier: MIT
"""Where QEMU's loader devices put each image in the emulated ZedBoard.

The ZedBoard has 512 MiB of DDR at 0. Linux reserves the first 512 KiB, the
layer's device tree reserves 0x1E000000-0x1F5FFFFF for CPU1, the channel and
RPMsg (meta-sharedmem/recipes-bsp/device-tree/files/sharedmem-zynq7000.dtsi).
"""

RAM_SIZE = 512 * 1024 * 1024

# CPU0's entry stub (cpu0-entry.S): below the zImage, clear of it.
CPU0_ENTRY = 0x00001000
# The zImage relocates itself if its decompressed kernel would overlap it.
KERNEL = 0x00010000
# Room for a 64 MiB initramfs between INITRD and DTB.
INITRD = 0x04000000
INITRD_MAX = 0x04000000
DTB = 0x08000000

# CPU1's BootROM wait loop and its mailbox, in OCM (bootrom-park.S).
CPU1_PARK_LOOP = 0xFFFFFF2C
CPU1_MAILBOX = 0xFFFFFFF0

# The layer's device tree: CPU1's code, data and stack (the test payloads of
# pytest_embedded_tests/target/cpu1 are linked here).
CPU1_FIRMWARE = 0x1E000000
CPU1_FIRMWARE_SIZE = 0x00400000
# Where CPU1 starts after a reset through the SLCR (low vectors): the
# driver's trampoline (sharedmem-trampoline.S) waits there for the next start.
CPU1_RESET_VECTOR = 0x00000000

# The layer's device tree: CPU1's virtio (RPMsg) device, vdev0vring0/1 and
# vdev0buffer (the payload's resource table names the same ring addresses).
VDEV0_VRING = (0x1F400000, 0x1F410000)
VDEV0_VRING_SIZE = 0x00010000
VDEV0_BUFFER = 0x1F500000
VDEV0_BUFFER_SIZE = 0x00100000
