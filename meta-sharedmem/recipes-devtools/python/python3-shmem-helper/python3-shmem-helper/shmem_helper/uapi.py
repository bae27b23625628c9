# SPDX-License-Identifier: MIT
"""Mirror of the kernel's include/uapi/misc/sharedmem.h.

Kept in step by tools/tests/test_sharedmem_uapi.py, which compiles a C
program against the header and compares every size, offset and ioctl number
with this file.
"""

import struct
from dataclasses import dataclass

ABI_VERSION = 2
DEFAULT_ID = 0
MMAP_STRIDE = 1 << 32
IOC_MAGIC = 0xB9

# The generic ioctl encoding (include/uapi/asm-generic/ioctl.h), which ARM
# and x86 use: nr in bits 0-7, type 8-15, size 16-29, direction 30-31.
_IOC_NRSHIFT = 0
_IOC_TYPESHIFT = 8
_IOC_SIZESHIFT = 16
_IOC_DIRSHIFT = 30
_IOC_SIZEMASK = (1 << 14) - 1
_IOC_NONE = 0
_IOC_WRITE = 1
_IOC_READ = 2


def _ioc(direction: int, type_: int, nr: int, size: int) -> int:
    if not 0 <= size <= _IOC_SIZEMASK:
        raise ValueError(f"ioctl argument of {size} bytes does not fit the encoding")
    return (direction << _IOC_DIRSHIFT) | (type_ << _IOC_TYPESHIFT) | (nr << _IOC_NRSHIFT) | (size << _IOC_SIZESHIFT)


def _ior(type_: int, nr: int, size: int) -> int:
    return _ioc(_IOC_READ, type_, nr, size)


def _iow(type_: int, nr: int, size: int) -> int:
    return _ioc(_IOC_WRITE, type_, nr, size)


def _iowr(type_: int, nr: int, size: int) -> int:
    return _ioc(_IOC_READ | _IOC_WRITE, type_, nr, size)


# struct sharedmem_buffer: __u32 id, flags; __u64 size, dma_address,
# mmap_offset, reserved[2]. No padding anywhere, same on 32 and 64 bits.
BUFFER = struct.Struct("=IIQQQ2Q")
U32 = struct.Struct("=I")
U64 = struct.Struct("=Q")
DOORBELL_RING = 0x1

BUFFER_FIELDS = {"id": 0, "flags": 4, "size": 8, "dma_address": 16, "mmap_offset": 24, "reserved": 32}

IOC_VERSION = _ior(IOC_MAGIC, 0x00, U32.size)
IOC_INFO = _iowr(IOC_MAGIC, 0x01, BUFFER.size)
IOC_ALLOC = _iowr(IOC_MAGIC, 0x02, BUFFER.size)
IOC_FREE = _iow(IOC_MAGIC, 0x03, U32.size)
IOC_RESIZE = _iowr(IOC_MAGIC, 0x04, BUFFER.size)
IOC_DOORBELL = _iow(IOC_MAGIC, 0x05, U32.size)
IOC_EVENTS = _ior(IOC_MAGIC, 0x06, U64.size)


def mmap_offset(buffer_id: int) -> int:
    """SHAREDMEM_MMAP_OFFSET(id): where buffer `buffer_id` starts for mmap()."""
    return buffer_id * MMAP_STRIDE


@dataclass(frozen=True)
class Buffer:
    """struct sharedmem_buffer."""

    id: int = 0
    flags: int = 0
    size: int = 0
    dma_address: int = 0
    mmap_offset: int = 0
    reserved: tuple[int, int] = (0, 0)

    def pack(self) -> bytearray:
        return bytearray(BUFFER.pack(self.id, self.flags, self.size, self.dma_address, self.mmap_offset,
                                     *self.reserved))

    @classmethod
    def unpack(cls, data: bytes | bytearray) -> "Buffer":
        id_, flags, size, dma_address, offset, r0, r1 = BUFFER.unpack(data)
        return cls(id_, flags, size, dma_address, offset, (r0, r1))
