# SPDX-License-Identifier: MIT
"""The sharedmem kernel module's checks that run on the board, one per test
of test_sharedmem_driver.py: raw os/mmap/ctypes calls for the ABI,
shmem_helper where the library is the subject.

    python3 driver_checks.py CHECK [ARG ...]

Prints CHECK-OK at the end of a check that passed; a failed one raises
(exit status 1, with its traceback); an unknown check exits 2. Checks that
write a persistent region touch only the last page of sharedmem-channel and
put its old contents back.
"""

import ctypes
import errno
import functools
import mmap
import os
import select
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from shmem_helper import CHANNEL_NODE, Region, SharedmemError, uapi

BUF = "/dev/sharedmem/buffer"
CHAN = CHANNEL_NODE
FW = "/dev/sharedmem/cpu1-firmware"
PAGE = mmap.PAGESIZE
MIB = 1 << 20
SHAREDMEM_GID = 990

libc = ctypes.CDLL(None, use_errno=True)
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
libc.read.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
libc.read.restype = ctypes.c_ssize_t
libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
libc.write.restype = ctypes.c_ssize_t

CHECKS: dict[str, Callable[..., None]] = {}


def check(fn: Callable[..., None]) -> Callable[..., None]:
    CHECKS[fn.__name__] = fn
    return fn


def expect_errno(err: int, fn: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except OSError as e:
        assert e.errno == err, f"{fn.__name__}{args!r}: {errno.errorcode.get(e.errno or 0)}, " \
                               f"expected {errno.errorcode[err]}"
        return
    raise AssertionError(f"{fn.__name__}{args!r} succeeded, expected {errno.errorcode[err]}")


def refused(err: int, what: str, fn: Callable[[], object]) -> SharedmemError:
    """fn() must raise SharedmemError with errno `err`."""
    try:
        fn()
    except SharedmemError as e:
        assert e.errno == err, (what, e)
        return e
    raise AssertionError(f"{what} succeeded")


def ioctl(fd: int, cmd: int, arg: Any) -> int:
    """Raw ioctl: 0 or the errno."""
    return 0 if libc.ioctl(fd, cmd, arg) == 0 else ctypes.get_errno()


def buffer_arg(**fields: Any) -> bytearray:
    return bytearray(uapi.Buffer(**fields).pack())


def call(fd: int, cmd: int, arg: bytearray) -> tuple[int, uapi.Buffer | None]:
    err = ioctl(fd, cmd, (ctypes.c_char * len(arg)).from_buffer(arg))
    return err, uapi.Buffer.unpack(arg) if len(arg) == uapi.BUFFER.size else None


def raw_cma_free() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("CmaFree:"):
                return int(line.split()[1])
    raise AssertionError("no CmaFree in /proc/meminfo")


def read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


def cma_free() -> int:
    """CmaFree (KiB) comparable between calls: freed CMA pages may wait in the
    per-cpu page lists, which CmaFree does not count; a CMA allocation drains
    them, so read it while a fresh one-page buffer (open) is held."""
    fd = os.open("/dev/" + next(n for n in os.listdir("/sys/class/sharedmem")
                                if read_text(f"/sys/class/sharedmem/{n}/name") == "buffer\n"), os.O_RDWR)
    try:
        return raw_cma_free()
    finally:
        os.close(fd)


def cma_used() -> int:
    """Pages the CMA allocator has handed out (debugfs; mounted if needed)."""
    if not os.path.isdir("/sys/kernel/debug/cma"):
        subprocess.run(["mount", "-t", "debugfs", "debugfs", "/sys/kernel/debug"], check=True)
    return sum(int(read_text(f"/sys/kernel/debug/cma/{area}/used")) for area in os.listdir("/sys/kernel/debug/cma"))


def sysfs(node: str, attr: str) -> str:
    base = "/sys/class/sharedmem/" + os.path.basename(os.path.realpath(node))
    return read_text(f"{base}/{attr}").strip()


def last_page(path: str) -> int:
    with Region(path) as r:
        return r.size - PAGE


@check
def module_loads_from_the_device_tree() -> None:
    for node in (BUF, CHAN, FW):
        st = os.stat(node)
        assert os.path.islink(node) and os.path.dirname(os.readlink(node)) == "..", node
        mode = 0o640 if node == FW else 0o660  # CPU1's code is root's to write (SECURITY.md)
        assert (st.st_mode & 0o777, st.st_gid) == (mode, SHAREDMEM_GID), (node, oct(st.st_mode), st.st_gid)
    assert os.path.isdir("/dev/sharedmem")


@check
def regions_are_claimed_and_named() -> None:
    iomem = read_text("/proc/iomem")
    for node, start, size in ((FW, 0x1E000000, 4 * MIB), (CHAN, 0x1E400000, 16 * MIB)):
        name = os.path.basename(node)
        assert f"{start:08x}-{start + size - 1:08x} : {name}" in iomem, iomem
        with Region(node) as r:
            info = r.info()
            assert (info.dma_address, info.size, info.mmap_offset) == (start, size, 0), info
        assert sysfs(node, "name") == name and int(sysfs(node, "size")) == size
        assert int(sysfs(node, "dma_address"), 16) == start


@check
def buffer_dma_address_lies_in_cma(cma_start: str, cma_end: str) -> None:
    """cma_start, cma_end: the CMA area, as the kernel log says it reserved it."""
    start, end = int(cma_start, 0), int(cma_end, 0)
    before = cma_free()
    with Region(BUF) as r:
        big = r.alloc(4 * MIB)
        for info in (r.info(), big):
            assert info.dma_address is not None and start <= info.dma_address < end, info
            assert info.dma_address % PAGE == 0
        assert before - cma_free() >= 4 * 1024, (before, cma_free())
    assert cma_free() == before


@check
def read_write_behave_like_a_file_of_the_buffer_size() -> None:
    fd = os.open(BUF, os.O_RDWR)
    size = 4096
    assert os.read(fd, 10000) == bytes(size), "a new buffer reads as zeros, all of it"
    assert os.read(fd, 10) == b"", "0 at EOF"
    assert os.lseek(fd, 0, os.SEEK_END) == size
    assert os.lseek(fd, 100, os.SEEK_END) == size + 100 and os.read(fd, 1) == b""
    expect_errno(errno.EINVAL, os.lseek, fd, -1, os.SEEK_SET)
    expect_errno(errno.EINVAL, os.lseek, fd, -size - 1, os.SEEK_END)
    expect_errno(errno.EINVAL, os.pread, fd, 1, -1)
    os.lseek(fd, 0, os.SEEK_SET)
    data = os.urandom(size)
    assert os.write(fd, data) == size
    expect_errno(errno.ENOSPC, os.write, fd, b"x")
    assert os.pread(fd, 100, size - 10) == data[-10:], "short read at the end"
    assert os.pwrite(fd, b"A" * 20, size - 5) == 5, "short write at the end"
    expect_errno(errno.ENOSPC, os.pwrite, fd, b"x", size)
    expect_errno(errno.ENOSPC, os.pwrite, fd, b"x", 1 << 40)
    assert os.pread(fd, 10, 1 << 40) == b""
    # position + length overflowing: refused, nothing written
    assert os.pread(fd, 16, (1 << 63) - 8) == b""
    expect_errno(errno.ENOSPC, os.pwrite, fd, b"y" * 16, (1 << 63) - 8)
    # a huge length is cut at the end of the buffer ...
    small = ctypes.create_string_buffer(size)
    os.lseek(fd, 0, os.SEEK_SET)
    assert libc.read(fd, small, 0x7FFFFFF0) == size
    assert small.raw == data[:-5] + b"A" * 5
    # ... a negative one is refused before anything is copied
    os.lseek(fd, 0, os.SEEK_SET)
    assert libc.write(fd, small, ctypes.c_size_t(-1).value) == -1 and ctypes.get_errno() == errno.EFAULT
    assert libc.read(fd, small, ctypes.c_size_t(-2).value) == -1 and ctypes.get_errno() == errno.EFAULT
    # a bad user pointer: EFAULT, buffer unchanged
    assert libc.write(fd, ctypes.c_void_p(16), 64) == -1 and ctypes.get_errno() == errno.EFAULT
    assert os.pread(fd, size, 0) == data[:-5] + b"A" * 5
    os.close(fd)
    # a region: the same rules, its own size
    fd = os.open(CHAN, os.O_RDWR)
    size = 16 * MIB
    assert os.lseek(fd, 0, os.SEEK_END) == size and os.read(fd, 1) == b""
    assert len(os.pread(fd, 100, size - 10)) == 10
    expect_errno(errno.ENOSPC, os.pwrite, fd, b"x", size)
    expect_errno(errno.EINVAL, os.pread, fd, 16, (1 << 63) - 8)
    expect_errno(errno.EINVAL, os.lseek, fd, -1, os.SEEK_SET)
    os.close(fd)


@check
def write_shows_in_the_mapping_and_back() -> None:
    with Region(BUF) as r, r.map() as m:
        r.write(b"written by write()", 100)
        assert bytes(m.view[100:118]) == b"written by write()"
        m.view[2000:2013] = b"via the mmap!"
        assert r.read(13, 2000) == b"via the mmap!"
    with Region(CHAN) as r:
        off = last_page(CHAN)
        saved = r.read(PAGE, off)
        try:
            with r.map(offset=off, length=PAGE) as m:
                token = os.urandom(64)
                r.write(token, off + 8)
                assert bytes(m.view[8:72]) == token
                m.view[100:164] = token[::-1]
                assert r.read(64, off + 100) == token[::-1]
        finally:
            r.write(saved, off)


@check
def mmap_bounds_and_flags() -> None:
    fd = os.open(BUF, os.O_RDWR)
    mmap.mmap(fd, PAGE, mmap.MAP_SHARED).close()
    expect_errno(errno.EINVAL, mmap.mmap, fd, 2 * PAGE, mmap.MAP_SHARED)               # longer than the buffer
    expect_errno(errno.EINVAL, mmap.mmap, fd, PAGE, mmap.MAP_SHARED, offset=PAGE)      # starts past its end
    expect_errno(errno.EINVAL, mmap.mmap, fd, PAGE, mmap.MAP_PRIVATE)                  # copy-on-write refused
    expect_errno(errno.EINVAL, mmap.mmap, fd, PAGE, mmap.MAP_SHARED, offset=uapi.mmap_offset(7))  # no buffer 7
    big = Region(BUF)
    info = big.alloc(3 * PAGE)
    mmap.mmap(big.fd, PAGE, mmap.MAP_SHARED, offset=info.mmap_offset + 2 * PAGE).close()
    expect_errno(errno.EINVAL, mmap.mmap, big.fd, 2 * PAGE, mmap.MAP_SHARED, offset=info.mmap_offset + 2 * PAGE)
    os.close(fd)
    fd = os.open(CHAN, os.O_RDWR)
    size = 16 * MIB
    mmap.mmap(fd, size, mmap.MAP_SHARED).close()
    expect_errno(errno.EINVAL, mmap.mmap, fd, size + PAGE, mmap.MAP_SHARED)
    expect_errno(errno.EINVAL, mmap.mmap, fd, PAGE, mmap.MAP_SHARED, offset=size)
    expect_errno(errno.EINVAL, mmap.mmap, fd, PAGE, mmap.MAP_PRIVATE)
    # read-only shared mapping of a read-only open: allowed
    ro = os.open(FW, os.O_RDONLY)
    m = mmap.mmap(ro, PAGE, mmap.MAP_SHARED, mmap.PROT_READ)
    m.close()
    expect_errno(errno.EACCES, mmap.mmap, ro, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    # the mapping is visible in /proc/self/maps under the node's name
    m = mmap.mmap(fd, PAGE, mmap.MAP_SHARED)
    maps = read_text("/proc/self/maps")
    assert "/dev/sharedmem" in maps, maps
    m.close()


@check
def ioctl_version_info_and_bad_input() -> None:
    for node in (BUF, CHAN):
        fd = os.open(node, os.O_RDWR)
        v = bytearray(4)
        assert ioctl(fd, uapi.IOC_VERSION, (ctypes.c_char * 4).from_buffer(v)) == 0
        assert struct.unpack("=I", v)[0] == uapi.ABI_VERSION
        # unknown commands: a free number in our magic, another driver's, and garbage
        for cmd in (uapi._iowr(uapi.IOC_MAGIC, 0x3F, 48), 0x5401, 0xDEADBEEF):
            assert ioctl(fd, cmd, None) == errno.ENOTTY, hex(cmd)
        # bad user pointers
        for cmd in (uapi.IOC_VERSION, uapi.IOC_INFO):
            assert ioctl(fd, cmd, 16) == errno.EFAULT, hex(cmd)
            assert ioctl(fd, cmd, 0xC0000000) == errno.EFAULT, hex(cmd)
        # reserved input must be zero
        assert call(fd, uapi.IOC_INFO, buffer_arg(flags=1))[0] == errno.EINVAL
        assert call(fd, uapi.IOC_INFO, buffer_arg(reserved=(0, 1)))[0] == errno.EINVAL
        assert call(fd, uapi.IOC_INFO, buffer_arg(id=9))[0] == errno.EINVAL
        err, info = call(fd, uapi.IOC_INFO, buffer_arg())
        assert err == 0 and info is not None and info.size > 0 and info.dma_address, info
        assert info.reserved == (0, 0), info
        os.close(fd)
    fd = os.open(CHAN, os.O_RDWR)
    assert call(fd, uapi.IOC_ALLOC, buffer_arg(size=PAGE))[0] == errno.ENOTTY
    assert call(fd, uapi.IOC_RESIZE, buffer_arg(size=PAGE))[0] == errno.ENOTTY
    assert ioctl(fd, uapi.IOC_FREE, ctypes.byref(ctypes.c_uint32(1))) == errno.ENOTTY
    fd = os.open(BUF, os.O_RDWR)
    for cmd in (uapi.IOC_ALLOC, uapi.IOC_RESIZE):
        assert ioctl(fd, cmd, 16) == errno.EFAULT
    assert ioctl(fd, uapi.IOC_FREE, 16) == errno.EFAULT
    # ALLOC whose result cannot be written back (read-only page): EFAULT, nothing leaks
    before = int(sysfs(BUF, "stats/buffers"))
    page = mmap.mmap(-1, PAGE)
    page[:48] = uapi.Buffer(size=PAGE).pack()
    addr = ctypes.addressof(ctypes.c_char.from_buffer(page))
    assert libc.mprotect(ctypes.c_void_p(addr), PAGE, mmap.PROT_READ) == 0
    assert ioctl(fd, uapi.IOC_ALLOC, addr) == errno.EFAULT
    assert int(sysfs(BUF, "stats/buffers")) == before
    # library errors say what to do
    e = refused(errno.ENOTTY, "ALLOC on a region", lambda: Region(CHAN).alloc(PAGE))
    assert "/dev/sharedmem/buffer" in str(e), str(e)


@check
def alloc_free_and_mapping_by_offset() -> None:
    r = Region(BUF)
    a, b = r.alloc(MIB), r.alloc(100)
    assert a.id != b.id and 0 not in (a.id, b.id)
    assert (a.size, b.size) == (MIB, 100)
    assert a.mmap_offset == uapi.mmap_offset(a.id) and a.dma_address != b.dma_address
    assert r.info(a.id) == a
    # each offset maps its own buffer
    with r.map(a.id) as ma, r.map(b.id) as mb, r.map() as m0:
        ma.view[:3], mb.view[:3], m0.view[:3] = b"aaa", b"bbb", b"000"
        assert (bytes(ma.view[:3]), bytes(mb.view[:3]), bytes(m0.view[:3])) == (b"aaa", b"bbb", b"000")
        assert len(mb.view) == 100
    assert int(sysfs(BUF, "stats/buffers")) >= 3
    for bad in (0, MIB * 16 + 1, 1 << 40, (1 << 64) - 1):
        refused(errno.EINVAL, f"ALLOC of {bad} bytes", functools.partial(r.alloc, bad))
    r.free(b.id)
    for bad in (b.id, 0, 12345, 0xFFFFFFFF):  # double FREE, buffer 0, unknown ids
        refused(errno.EINVAL, f"FREE of {bad}", functools.partial(r.free, bad))
    # a freed id is not reused at once: its offset fails instead of mapping another buffer
    c = r.alloc(PAGE)
    assert c.id not in (a.id, b.id)
    expect_errno(errno.EINVAL, mmap.mmap, r.fd, PAGE, mmap.MAP_SHARED, offset=uapi.mmap_offset(b.id))
    r.close()


@check
def resize_keeps_contents_and_refuses_what_it_cannot_do() -> None:
    r = Region(BUF)
    data = os.urandom(4096)
    r.write(data)
    info = r.resize(3 * MIB)
    assert info.size == 3 * MIB and r.size == 3 * MIB
    assert r.read(4096) == data and r.read(10, 3 * MIB - 10) == bytes(10)
    r.write(b"end", 3 * MIB - 3)

    def resize_refused(err: int, size: int, buffer_id: int = 0) -> None:
        refused(err, f"RESIZE to {size}", lambda: r.resize(size, buffer_id))
        assert r.size == 3 * MIB and r.read(4096) == data and r.read(3, 3 * MIB - 3) == b"end"

    resize_refused(errno.EINVAL, 16 * MIB + 1)       # beyond max_size
    resize_refused(errno.EINVAL, 0)
    resize_refused(errno.EINVAL, PAGE, 77)           # no such buffer
    with r.map():
        resize_refused(errno.EBUSY, MIB)             # mapped: the mapping would go stale
    # the pool cannot give it: ENOMEM, old buffer intact
    hogs = []
    while True:
        try:
            hogs.append(r.alloc(16 * MIB))
        except SharedmemError as e:
            assert e.errno == errno.ENOMEM, e
            break
    resize_refused(errno.ENOMEM, 16 * MIB)
    for h in hogs:
        r.free(h.id)
    info = r.resize(100)
    assert info.size == 100 and r.read() == data[:100]
    r.close()


@check
def alloc_until_the_pool_is_exhausted_then_close_frees_all() -> None:
    before = cma_free()
    failures = int(sysfs(BUF, "stats/alloc_failures"))
    r = Region(BUF)
    got = []
    for size in (16 * MIB, MIB, 64 * 1024, PAGE):
        while True:
            try:
                got.append(r.alloc(size))
            except SharedmemError as e:
                assert e.errno == errno.ENOMEM and "CMA" in str(e), e
                break
    assert sum(i.size for i in got) > 48 * MIB, len(got)
    assert raw_cma_free() < 1024, raw_cma_free()
    assert int(sysfs(BUF, "stats/alloc_failures")) >= failures + 4
    # the system still works: a process starts, a file is written (and removed)
    assert subprocess.run(["sh", "-c", "echo alive > /tmp/alive && cat /tmp/alive && rm /tmp/alive"],
                          capture_output=True, text=True).stdout == "alive\n"
    r.close()
    assert cma_free() == before, (before, cma_free())
    assert int(sysfs(BUF, "stats/buffers")) == 0


@check
def close_with_a_live_mapping_keeps_the_memory() -> None:
    before = cma_free()
    r = Region(BUF)
    extra = r.alloc(MIB)
    m0, m1 = r.map(), r.map(extra.id)
    r.write(b"zero")
    r.free(extra.id)
    r.close()
    assert int(sysfs(BUF, "stats/mappings")) >= 2
    assert bytes(m0.view[:4]) == b"zero"
    m1.view[:] = b"\x5a" * MIB
    assert bytes(m1.view[-4:]) == b"ZZZZ"
    assert before - cma_free() >= 1024
    # fork: the child's copy of the mapping holds its own reference
    pid = os.fork()
    if pid == 0:
        m1.view[:4] = b"kid!"
        os._exit(0)
    os.waitpid(pid, 0)
    assert bytes(m1.view[:4]) == b"kid!"
    m0.close()
    assert cma_free() < before
    m1.close()
    assert cma_free() == before, (before, cma_free())
    assert int(sysfs(BUF, "stats/buffers")) == 0


@check
def print_region(path: str, length: str, offset: str) -> None:
    """What a new process reads of a region (for two_processes_share_a_persistent_region)."""
    with Region(path) as r:
        print(r.read(int(length), int(offset)).decode())


@check
def two_processes_share_a_persistent_region() -> None:
    off = last_page(CHAN)
    with Region(CHAN) as reg:
        saved = reg.read(PAGE, off)
    token = os.urandom(32).hex().encode()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: writes through its mapping, then waits for the answer
        with Region(CHAN) as reg, reg.map(offset=off, length=PAGE) as m:
            m.view[:64] = token
            os.write(w, b"1")
            deadline = time.monotonic() + 30
            while bytes(m.view[64:128]) != token[::-1]:
                assert time.monotonic() < deadline, "no answer from the parent"
                time.sleep(0.01)
        os._exit(0)
    assert os.read(r, 1) == b"1"
    with Region(CHAN) as reg:
        assert reg.read(64, off) == token
        reg.write(token[::-1], off + 64)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    # contents survive: a new open (new process) reads them
    out = subprocess.run([sys.executable, __file__, "print_region", CHAN, "128", str(off)],
                         capture_output=True, text=True)
    assert out.stdout.splitlines()[0] == (token + token[::-1]).decode(), out
    with Region(CHAN) as reg:
        reg.write(saved, off)


@check
def group_member() -> None:
    assert SHAREDMEM_GID in os.getgroups()
    with Region(BUF) as r, r.map() as m:
        r.write(b"amp")
        assert bytes(m.view[:3]) == b"amp"
        assert r.alloc(PAGE).dma_address
    with Region(CHAN) as r:
        assert r.info().dma_address == 0x1E400000
        off = last_page(CHAN)
        saved = r.read(PAGE, off)
        r.write(b"member", off)
        with r.map(offset=off, length=PAGE) as m:
            assert bytes(m.view[:6]) == b"member"
        r.write(saved, off)
    with Region(FW, writable=False) as r:
        assert len(r.read(16)) == 16
    expect_errno(errno.EACCES, open, "/sys/class/sharedmem/sharedmem1/dma_address")
    assert read_text("/sys/class/sharedmem/sharedmem1/name") == "cpu1-firmware\n"


@check
def outsider() -> None:
    assert SHAREDMEM_GID not in os.getgroups()
    for node in (BUF, CHAN, FW):
        expect_errno(errno.EACCES, os.open, node, os.O_RDONLY)
        e = refused(errno.EACCES, "outsider opened " + node, functools.partial(Region, node))
        assert "group `sharedmem`" in str(e), str(e)


@check
def missing_node_error_says_what_to_do() -> None:
    e = refused(errno.ENOENT, "opened a missing node", lambda: Region("/dev/sharedmem/no-such-region"))
    assert "modprobe sharedmem" in str(e) and "device tree" in str(e), str(e)


@check
def sysfs_counters() -> None:
    def stats(node: str) -> dict[str, int]:
        return {k: int(sysfs(node, "stats/" + k)) for k in ("opens", "mappings", "read_bytes", "written_bytes")}

    s0 = stats(CHAN)
    r = Region(CHAN)
    off = last_page(CHAN)
    saved = r.read(PAGE, off)
    r.write(saved, off)
    m = r.map(length=PAGE)
    s1 = stats(CHAN)
    assert s1["opens"] == s0["opens"] + 1 and s1["mappings"] == s0["mappings"] + 1, (s0, s1)
    assert s1["read_bytes"] >= s0["read_bytes"] + PAGE and s1["written_bytes"] >= s0["written_bytes"] + PAGE
    m.close()
    r.close()
    s2 = stats(CHAN)
    assert (s2["opens"], s2["mappings"]) == (s0["opens"], s0["mappings"]), (s0, s2)
    b0 = int(sysfs(BUF, "stats/allocated_bytes"))
    with Region(BUF) as b:
        b.alloc(100)
        assert int(sysfs(BUF, "stats/allocated_bytes")) == b0 + 2 * PAGE
        assert int(sysfs(BUF, "size")) == 4096
    assert int(sysfs(BUF, "stats/allocated_bytes")) == b0
    assert not os.path.exists("/sys/class/sharedmem/sharedmem0/dma_address")  # per buffer: INFO


@check
def poll_reports_readable_and_writable() -> None:
    for node, ready in ((BUF, select.POLLIN | select.POLLOUT), (CHAN, select.POLLOUT)):
        fd = os.open(node, os.O_RDWR)
        p = select.poll()
        p.register(fd, select.POLLIN | select.POLLOUT | select.POLLPRI)
        events = p.poll(5000)
        assert events == [(fd, ready)], (node, events)
        os.close(fd)


@check
def unload_is_refused_while_open_or_mapped() -> None:
    def rmmod() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["rmmod", "sharedmem"], capture_output=True, text=True)

    fd = os.open(BUF, os.O_RDWR)
    out = rmmod()
    assert out.returncode != 0 and "in use" in out.stderr, out
    m = mmap.mmap(fd, PAGE, mmap.MAP_SHARED)
    os.close(fd)
    out = rmmod()
    assert out.returncode != 0, "unloaded while mapped"
    m[:4] = b"safe"
    m.close()
    r = Region(CHAN)
    mc = r.map(length=PAGE)
    r.close()
    assert rmmod().returncode != 0, "unloaded while a region is mapped"
    mc.close()
    out = rmmod()
    assert out.returncode == 0, out
    assert not os.path.exists("/sys/class/sharedmem/sharedmem0")
    # unbind while in use: test_unbind.py
    subprocess.run(["modprobe", "sharedmem"], check=True)
    subprocess.run(["udevadm", "settle"], check=True)
    assert os.path.exists(BUF) and os.path.exists(CHAN)


@check
def load_unload_leaks_nothing(cycles: str) -> None:
    before = cma_free()
    used_before = cma_used()
    nodes = "/sys/class/sharedmem"
    for i in range(int(cycles)):
        subprocess.run(["rmmod", "sharedmem"], check=True)
        subprocess.run(["modprobe", "sharedmem"], check=True)
        # the kernel's own node (devtmpfs), before udev has renamed anything
        if i % 10 == 0:  # use it now and then: open, ALLOC, mmap, close
            minor = next(n for n in os.listdir(nodes) if read_text(f"{nodes}/{n}/name") == "buffer\n")
            r = Region("/dev/" + minor)
            r.alloc(MIB)
            with r.map():
                pass
            r.close()
    subprocess.run(["udevadm", "settle"], check=True)
    # The driver's DMA memory, counted exactly by the CMA allocator.
    assert cma_used() == used_before, (used_before, cma_used())
    # CmaFree also moves with other processes' movable pages that the
    # kernel puts in CMA pageblocks (udev's workers run the rules of every
    # add/remove and linger when idle); they go when those exit. Wait for
    # it, bounded, and allow what a few lingering processes may hold.
    deadline = time.monotonic() + 60
    while cma_free() < before and time.monotonic() < deadline:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3")
        time.sleep(0.5)
    assert before - cma_free() <= 128, (before, cma_free())
    iomem = read_text("/proc/iomem")
    assert iomem.count(": cpu1-firmware") == 1 and iomem.count(": sharedmem-channel") == 1, iomem
    assert sorted(os.listdir(nodes)) == ["sharedmem0", "sharedmem1", "sharedmem2"], os.listdir(nodes)
    assert os.path.islink(BUF) and os.path.islink(CHAN) and os.path.islink(FW)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in CHECKS:
        print(f"usage: driver_checks.py CHECK [ARG ...]; CHECK one of {', '.join(CHECKS)}", file=sys.stderr)
        return 2
    CHECKS[argv[0]](*argv[1:])
    if argv[0] != "print_region":
        print("CHECK-OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
