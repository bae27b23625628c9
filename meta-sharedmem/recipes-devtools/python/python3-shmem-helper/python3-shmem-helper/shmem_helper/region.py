# SPDX-License-Identifier: MIT
"""A sharedmem node (or any mmap-able file) as a Python object.

    region = Region("/dev/sharedmem/buffer")      # a per-open DMA buffer
    region.write(b"data")                          # like a file of its size
    with region.map() as m:                        # zero-copy memoryview
        m.view[0:4] = b"DATA"
    extra = region.alloc(1 << 20)                  # another buffer
    region.close()                                 # every buffer goes

A plain file works too (no DMA address, no ALLOC/FREE/RESIZE), so code using
this class is testable without the kernel module. The ioctl call is
injectable for the same reason.
"""

import errno
import fcntl
import mmap
import os
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from . import uapi
from .errors import (
    GROUP_HINT,
    MODULE_HINT,
    Error,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unsupported,
    from_os_error,
)

# fcntl.ioctl's shape: (fd, request, mutable buffer) -> result
IoctlFn = Callable[[int, int, bytearray], object]

_NODE_HINT = f"{MODULE_HINT} with this region in memory-region-names"

# The name this module's errors had before shmem_helper.Error.
SharedmemError = Error


@dataclass(frozen=True)
class BufferInfo:
    """One buffer (id 0 of a region node: the region): `dma_address` is
    None for a plain file; `mmap_offset` is where mmap() finds it.

    Example::

        info = Region("/dev/sharedmem/sharedmem-channel").info()
        print(f"{info.size} bytes at DMA address {info.dma_address:#x}")
    """

    id: int
    size: int
    dma_address: int | None  # None for a plain file
    mmap_offset: int


class Mapping:
    """A MAP_SHARED mapping; `view` is a memoryview of it (no copies),
    read-only when the Region was opened with `writable=False`. Close it
    (or use `with`); the memory itself stays valid as long as the mapping,
    even after the file is closed or the buffer freed.

    Example::

        with Region("/dev/sharedmem/buffer") as region, region.map() as m:
            m.view[:5] = b"hello"
    """

    def __init__(self, mm: mmap.mmap, length: int):
        self._mmap = mm
        self.view = memoryview(mm)[:length]

    def close(self) -> None:
        """Unmap. Example: ``mapping.close()`` (or ``with region.map() as mapping:``)"""
        self.view.release()
        self._mmap.close()

    def __enter__(self) -> "Mapping":
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class Region:
    """A sharedmem node or another mmap-able file, opened read-write (or
    read-only with `writable=False`: read, info and read-only maps work,
    the rest raises PermissionDenied). A plain file has no DMA buffers:
    alloc, free and resize raise Unsupported there. Errors are
    shmem_helper.Error's subclasses; `ioctl` is injectable for tests.

    Example::

        with Region("/dev/sharedmem/sharedmem-channel", writable=False) as region:
            print(region.read(16).hex())
            with region.map() as m:
                print(bytes(m.view[:4]))
    """

    def __init__(self, path: str | os.PathLike[str], *, writable: bool = True,
                 ioctl: IoctlFn = fcntl.ioctl):
        self.path = os.fspath(path)
        self.writable = writable
        self._ioctl = ioctl
        try:
            self.fd = os.open(self.path, (os.O_RDWR if writable else os.O_RDONLY) | os.O_CLOEXEC)
        except OSError as e:
            raise _open_error(self.path, e) from None
        try:
            self.version = self._version()
        except BaseException:
            self.close()
            raise
        if self.version is not None and self.version < uapi.ABI_VERSION:
            self.close()
            raise Error(f"{self.path}: the kernel module speaks ABI {self.version}, this library needs "
                        f"{uapi.ABI_VERSION} or later; update the sharedmem module", errno=errno.EPROTO)

    @property
    def is_node(self) -> bool:
        """True for a sharedmem node, False for a plain file. Example: ``Region(path).is_node``"""
        return self.version is not None

    def _version(self) -> int | None:
        arg = bytearray(uapi.U32.size)
        try:
            self._ioctl(self.fd, uapi.IOC_VERSION, arg)
        except OSError as e:
            if e.errno == errno.ENOTTY:
                return None  # not a sharedmem node: a plain mmap-able file
            raise self._error(e, "asking for the ABI version") from None
        return int(uapi.U32.unpack(arg)[0])

    def _error(self, e: OSError, doing: str) -> Error:
        err = e.errno or errno.EIO
        hint = {
            errno.ENODEV: "the sharedmem device went away (module unloaded or device removed); reopen it",
            errno.ENOMEM: "the DMA pool has no room: free buffers, or give CMA more memory (cma= on the "
                          "kernel command line, or CONFIG_CMA_SIZE_MBYTES)",
            errno.EBUSY: "the buffer is mapped; close its mappings first",
            errno.ENOSPC: "no room at that position (the size is fixed; resize a buffer first)",
            errno.ENOTTY: f"{self.path} is not a sharedmem buffer node; open /dev/sharedmem/buffer",
        }.get(err)
        return from_os_error(e, f"{self.path}: {doing}", hint)

    def _call(self, request: int, buf: uapi.Buffer, doing: str) -> uapi.Buffer:
        arg = buf.pack()
        try:
            self._ioctl(self.fd, request, arg)
        except OSError as e:
            raise self._error(e, doing) from None
        return uapi.Buffer.unpack(arg)

    def _need_writable(self, doing: str, *, buffers: bool = False) -> None:
        if not self.writable:
            what = ("open it with Region(path, writable=True)" if self.is_node or not buffers else
                    "and a plain file has no DMA buffers anyway: open /dev/sharedmem/buffer")
            raise PermissionDenied(f"{self.path}: {doing}: the region was opened read-only; {what}",
                                   errno=errno.EBADF)

    def _need_node(self, doing: str) -> None:
        if not self.is_node:
            raise Unsupported(f"{self.path}: {doing}: a plain file has no DMA buffers; open /dev/sharedmem/buffer",
                              errno=errno.ENOTTY)

    def info(self, buffer_id: int = uapi.DEFAULT_ID) -> BufferInfo:
        """Size, DMA address and mmap offset of a buffer (0: the open one, or the region).

        Example: ``Region("/dev/sharedmem/buffer").info().dma_address``
        """
        if not self.is_node:
            if buffer_id != uapi.DEFAULT_ID:
                raise InvalidArgument(f"{self.path}: a plain file has only buffer 0; use buffer id 0")
            return BufferInfo(0, os.fstat(self.fd).st_size, None, 0)
        out = self._call(uapi.IOC_INFO, uapi.Buffer(id=buffer_id), f"INFO of buffer {buffer_id}")
        return _info(out)

    @property
    def size(self) -> int:
        """Size of buffer 0 in bytes. Example: ``Region(path).size``"""
        return self.info().size

    def alloc(self, size: int) -> BufferInfo:
        """A new zeroed DMA buffer of `size` bytes (at most the module's max_size).

        Example: ``buf = region.alloc(1 << 20); region.map(buf.id)``
        """
        self._need_writable("ALLOC", buffers=True)
        self._need_node("ALLOC")
        _check_u64(size, "size")
        return _info(self._call(uapi.IOC_ALLOC, uapi.Buffer(size=size), f"ALLOC of {size} bytes"))

    def free(self, buffer_id: int) -> None:
        """Drop a buffer from ALLOC; its memory lasts until its mappings are gone.

        Example: ``region.free(buf.id)``
        """
        self._need_writable("FREE", buffers=True)
        self._need_node("FREE")
        _check_u32(buffer_id, "buffer id")
        arg = bytearray(uapi.U32.pack(buffer_id))
        try:
            self._ioctl(self.fd, uapi.IOC_FREE, arg)
        except OSError as e:
            raise self._error(e, f"FREE of buffer {buffer_id}") from None

    def resize(self, size: int, buffer_id: int = uapi.DEFAULT_ID) -> BufferInfo:
        """Give a buffer `size` bytes, keeping its contents; on failure nothing changes.

        Example: ``region.resize(16 << 20)`` (buffer 0, the open one)
        """
        self._need_writable("RESIZE", buffers=True)
        self._need_node("RESIZE")
        _check_u64(size, "size")
        _check_u32(buffer_id, "buffer id")
        return _info(self._call(uapi.IOC_RESIZE, uapi.Buffer(id=buffer_id, size=size),
                                f"RESIZE of buffer {buffer_id} to {size} bytes"))

    def read(self, length: int | None = None, offset: int = 0) -> bytes:
        """Up to `length` bytes at `offset` of buffer 0 (all of it by default).

        Example: ``header = region.read(64)``
        """
        if length is None:
            length = max(self.size - offset, 0)
        try:
            return os.pread(self.fd, length, offset)
        except OSError as e:
            raise self._error(e, f"read of {length} bytes at {offset}") from None

    def write(self, data: bytes | bytearray | memoryview, offset: int = 0) -> None:
        """Write all of `data` at `offset` of buffer 0; ENOSPC if it does not fit.

        Example: ``region.write(b"hello", offset=4096)``
        """
        self._need_writable(f"write of {len(data)} bytes")
        view = memoryview(data)
        done = 0
        while done < len(view):
            try:
                done += os.pwrite(self.fd, view[done:], offset + done)
            except OSError as e:
                raise self._error(e, f"write of {len(view)} bytes at {offset}") from None

    def map(self, buffer_id: int = uapi.DEFAULT_ID, length: int | None = None, offset: int = 0) -> Mapping:
        """Map `length` bytes (default: to the end) of a buffer from `offset`
        (a multiple of the page size), shared with the kernel and the other
        core; read-only if the Region was opened with `writable=False`.

        Example: ``with region.map(length=4096) as m: m.view[0] = 1``
        """
        info = self.info(buffer_id)
        if length is None:
            length = info.size - offset
        if length <= 0 or offset < 0 or offset + length > info.size:
            raise InvalidArgument(f"{self.path}: cannot map {length} bytes at {offset} of a {info.size}-byte "
                                  "buffer; map inside the buffer")
        if offset % mmap.ALLOCATIONGRANULARITY:
            start = offset - offset % mmap.ALLOCATIONGRANULARITY
            raise InvalidArgument(f"{self.path}: cannot map at offset {offset}: mmap maps whole pages, so the "
                                  f"offset must be a multiple of {mmap.ALLOCATIONGRANULARITY}; map from {start} "
                                  f"and use the view from {offset - start} on")
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if self.writable else 0)
        try:
            mm = mmap.mmap(self.fd, length, mmap.MAP_SHARED, prot, offset=info.mmap_offset + offset)
        except OSError as e:
            raise self._error(e, f"mmap of {length} bytes at {offset}") from None
        return Mapping(mm, length)

    def close(self) -> None:
        """Close the node; a per-open buffer and those from alloc() go with
        it (their mappings stay valid). Example: ``region.close()``"""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        if getattr(self, "fd", -1) >= 0:
            self.close()

    def __enter__(self) -> "Region":
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _info(buf: uapi.Buffer) -> BufferInfo:
    return BufferInfo(buf.id, buf.size, buf.dma_address, buf.mmap_offset)


def _check_u64(value: int, what: str) -> None:
    if not 0 <= value < 1 << 64:
        raise InvalidArgument(f"{what} {value} is out of range (0 to 2**64 - 1)")


def _check_u32(value: int, what: str) -> None:
    if not 0 <= value < 1 << 32:
        raise InvalidArgument(f"{what} {value} is out of range (0 to 2**32 - 1)")


def _open_error(path: str, e: OSError) -> Error:
    err = e.errno or errno.EIO
    if err == errno.ENOENT:
        return NotFound(f"{path} does not exist: {_NODE_HINT}", errno=err)
    if err in (errno.EACCES, errno.EPERM):
        return from_os_error(e, f"opening {path}", f"no permission: {GROUP_HINT}")
    if err == errno.ENODEV:
        return NotFound(f"{path}: the sharedmem device is gone: {_NODE_HINT}", errno=err)
    return from_os_error(e, f"opening {path}")


__all__ = ["BufferInfo", "Mapping", "Region", "SharedmemError"]
