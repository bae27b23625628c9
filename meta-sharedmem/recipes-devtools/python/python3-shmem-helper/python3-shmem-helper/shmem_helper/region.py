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

# fcntl.ioctl's shape: (fd, request, mutable buffer) -> result
IoctlFn = Callable[[int, int, bytearray], object]

MODULE_HINT = ("load the kernel module (`modprobe sharedmem`) and check that the device tree has the "
               "`meta-sharedmem,zynq-amp` node with this region in memory-region-names")
GROUP_HINT = "join group `sharedmem` (`adduser $USER sharedmem`, then log in again) or run as root"


class SharedmemError(OSError):
    """An operation failed; str() says what happened and what to do. `errno`
    is the system's error number."""

    def __init__(self, err: int, message: str):
        super().__init__(err, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class BufferInfo:
    """One buffer (id 0 of a region node: the region)."""

    id: int
    size: int
    dma_address: int | None  # None for a plain file
    mmap_offset: int


class Mapping:
    """A MAP_SHARED mapping; `view` is a memoryview of it (no copies).
    Close it (or use `with`) before closing its Region's mmap users: the
    memory itself stays valid as long as the mapping, even after the file
    is closed or the buffer freed."""

    def __init__(self, mm: mmap.mmap, length: int):
        self._mmap = mm
        self.view = memoryview(mm)[:length]

    def close(self) -> None:
        self.view.release()
        self._mmap.close()

    def __enter__(self) -> "Mapping":
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class Region:
    """A sharedmem node or another mmap-able file, opened read-write."""

    def __init__(self, path: str | os.PathLike[str], *, writable: bool = True,
                 ioctl: IoctlFn = fcntl.ioctl):
        self.path = os.fspath(path)
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
            raise SharedmemError(errno.EPROTO, f"{self.path}: the kernel module speaks ABI {self.version}, this "
                                 f"library needs {uapi.ABI_VERSION} or later; update the sharedmem module")

    @property
    def is_node(self) -> bool:
        """True for a sharedmem node, False for a plain file."""
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

    def _error(self, e: OSError, doing: str) -> SharedmemError:
        err = e.errno or errno.EIO
        hint = {
            errno.ENODEV: "the sharedmem device went away (module unloaded or device removed); reopen it",
            errno.ENOMEM: "the DMA pool has no room: free buffers, or give CMA more memory (cma= on the "
                          "kernel command line, or CONFIG_CMA_SIZE_MBYTES)",
            errno.EBUSY: "the buffer is mapped; close its mappings first",
            errno.ENOSPC: "no room at that position (the size is fixed; resize a buffer first)",
            errno.ENOTTY: f"{self.path} is not a sharedmem buffer node; open /dev/sharedmem/buffer",
        }.get(err, os.strerror(err))
        return SharedmemError(err, f"{self.path}: {doing} failed: {hint}")

    def _call(self, request: int, buf: uapi.Buffer, doing: str) -> uapi.Buffer:
        arg = buf.pack()
        try:
            self._ioctl(self.fd, request, arg)
        except OSError as e:
            raise self._error(e, doing) from None
        return uapi.Buffer.unpack(arg)

    def _need_node(self, doing: str) -> None:
        if not self.is_node:
            raise SharedmemError(errno.ENOTTY, f"{self.path}: {doing}: a plain file has no DMA buffers; "
                                 "open /dev/sharedmem/buffer")

    def info(self, buffer_id: int = uapi.DEFAULT_ID) -> BufferInfo:
        """Size, DMA address and mmap offset of a buffer (0: the open one, or the region)."""
        if not self.is_node:
            if buffer_id != uapi.DEFAULT_ID:
                raise SharedmemError(errno.EINVAL, f"{self.path}: a plain file has only buffer 0")
            return BufferInfo(0, os.fstat(self.fd).st_size, None, 0)
        out = self._call(uapi.IOC_INFO, uapi.Buffer(id=buffer_id), f"INFO of buffer {buffer_id}")
        return _info(out)

    @property
    def size(self) -> int:
        return self.info().size

    def alloc(self, size: int) -> BufferInfo:
        """A new zeroed DMA buffer of `size` bytes (at most the module's max_size)."""
        self._need_node("ALLOC")
        _check_u64(size, "size")
        return _info(self._call(uapi.IOC_ALLOC, uapi.Buffer(size=size), f"ALLOC of {size} bytes"))

    def free(self, buffer_id: int) -> None:
        """Drop a buffer from ALLOC; its memory lasts until its mappings are gone."""
        self._need_node("FREE")
        _check_u32(buffer_id, "buffer id")
        arg = bytearray(uapi.U32.pack(buffer_id))
        try:
            self._ioctl(self.fd, uapi.IOC_FREE, arg)
        except OSError as e:
            raise self._error(e, f"FREE of buffer {buffer_id}") from None

    def resize(self, size: int, buffer_id: int = uapi.DEFAULT_ID) -> BufferInfo:
        """Give a buffer `size` bytes, keeping its contents; on failure nothing changes."""
        self._need_node("RESIZE")
        _check_u64(size, "size")
        _check_u32(buffer_id, "buffer id")
        return _info(self._call(uapi.IOC_RESIZE, uapi.Buffer(id=buffer_id, size=size),
                                f"RESIZE of buffer {buffer_id} to {size} bytes"))

    def read(self, length: int | None = None, offset: int = 0) -> bytes:
        """Up to `length` bytes at `offset` of buffer 0 (all of it by default)."""
        if length is None:
            length = max(self.size - offset, 0)
        try:
            return os.pread(self.fd, length, offset)
        except OSError as e:
            raise self._error(e, f"read of {length} bytes at {offset}") from None

    def write(self, data: bytes | bytearray | memoryview, offset: int = 0) -> None:
        """Write all of `data` at `offset` of buffer 0; ENOSPC if it does not fit."""
        view = memoryview(data)
        done = 0
        while done < len(view):
            try:
                done += os.pwrite(self.fd, view[done:], offset + done)
            except OSError as e:
                raise self._error(e, f"write of {len(view)} bytes at {offset}") from None

    def map(self, buffer_id: int = uapi.DEFAULT_ID, length: int | None = None, offset: int = 0) -> Mapping:
        """Map `length` bytes (default: to the end) of a buffer from `offset`
        (a multiple of the page size), shared with the kernel and the other core."""
        info = self.info(buffer_id)
        if length is None:
            length = info.size - offset
        if length <= 0 or offset < 0 or offset + length > info.size:
            raise SharedmemError(errno.EINVAL, f"{self.path}: cannot map {length} bytes at {offset} of a "
                                 f"{info.size}-byte buffer")
        try:
            mm = mmap.mmap(self.fd, length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE,
                           offset=info.mmap_offset + offset)
        except OSError as e:
            raise self._error(e, f"mmap of {length} bytes at {offset}") from None
        return Mapping(mm, length)

    def close(self) -> None:
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
        raise SharedmemError(errno.EINVAL, f"{what} {value} is out of range")


def _check_u32(value: int, what: str) -> None:
    if not 0 <= value < 1 << 32:
        raise SharedmemError(errno.EINVAL, f"{what} {value} is out of range")


def _open_error(path: str, e: OSError) -> SharedmemError:
    err = e.errno or errno.EIO
    if err == errno.ENOENT:
        return SharedmemError(err, f"{path} does not exist: {MODULE_HINT}")
    if err in (errno.EACCES, errno.EPERM):
        return SharedmemError(err, f"no permission to open {path}: {GROUP_HINT}")
    if err == errno.ENODEV:
        return SharedmemError(err, f"{path}: the sharedmem device is gone: {MODULE_HINT}")
    return SharedmemError(err, f"cannot open {path}: {os.strerror(err)}")


__all__ = ["BufferInfo", "Mapping", "Region", "SharedmemError"]
