# SPDX-License-Identifier: MIT
"""shmem_helper's Region on the board, one check per operation, the errors
a user meets, and the package as installed (its API, py.typed); runs on
the board (pytest_embedded_tests/test_shmem_helper.py copies it there).

    python3 shmem_helper_check.py member      # as root or a member of group sharedmem
    python3 shmem_helper_check.py outsider    # as a user outside the group

Prints `ok <operation>` for each check and `ALL-OK` at the end; a failed
check raises (exit status 1, with its traceback).
"""

import errno
import functools
import mmap
import os
import sys
from collections.abc import Callable

import shmem_helper
from shmem_helper import Region

BUF = "/dev/sharedmem/buffer"
CHAN = "/dev/sharedmem/sharedmem-channel"
PAGE = mmap.PAGESIZE
MIB = 1 << 20


def ok(what: str) -> None:
    print(f"ok {what}", flush=True)


def refused(kind: type[shmem_helper.Error], words: str, call: Callable[[], object]) -> shmem_helper.Error:
    """call() must raise `kind` (a shmem_helper.Error) whose message contains `words`."""
    try:
        call()
    except shmem_helper.Error as e:
        assert isinstance(e, kind), f"{type(e).__name__}: {e} (expected {kind.__name__})"
        assert words in str(e), f"{e!s} lacks {words!r}"
        return e
    raise AssertionError(f"no {kind.__name__}")


def member() -> None:
    # The check, and the types as installed (PEP 561 marker).
    for name in ("Region", "Cpu1", "ChannelLink", "Channel", "Error"):
        assert hasattr(shmem_helper, name), name
    assert os.path.isfile(os.path.join(os.path.dirname(shmem_helper.__file__), "py.typed"))
    ok(f"public API, py.typed, version {shmem_helper.__version__}")
    with Region(BUF) as region:
        assert region.is_node and region.writable
        ok("open, is_node")
        assert region.version is not None and region.version >= shmem_helper.ABI_VERSION
        ok("version")
        info = region.info()
        assert info.id == 0 and info.size > 0 and info.dma_address is not None and info.mmap_offset == 0, info
        ok("info")
        grown = region.resize(2 * MIB)
        assert grown.size == region.size == 2 * MIB, grown
        ok("resize, size")
        region.write(b"hello", 100)
        assert region.read(5, 100) == b"hello"
        assert len(region.read()) == 2 * MIB
        ok("write, read")
        with region.map() as m:
            assert len(m.view) == 2 * MIB and not m.view.readonly
            m.view[:4] = b"DATA"
            assert bytes(m.view[100:105]) == b"hello"
        assert region.read(4) == b"DATA"  # the same memory the mapping wrote
        ok("map")
        with region.map(length=PAGE, offset=PAGE) as m:
            m.view[:3] = b"pg1"
        assert region.read(3, PAGE) == b"pg1"
        ok("map length offset")
        extra = region.alloc(MIB)
        assert extra.id != 0 and extra.size == MIB and extra.dma_address is not None
        assert region.info(extra.id) == extra
        ok("alloc, info of a buffer")
        with region.map(extra.id) as m:
            m.view[:4] = b"xtra"
            assert region.read(4) == b"DATA"  # buffer 0 is another buffer
        ok("map of a buffer")
        region.resize(2 * MIB, extra.id)
        assert region.info(extra.id).size == 2 * MIB
        ok("resize of a buffer")
        region.free(extra.id)
        refused(shmem_helper.InvalidArgument, f"INFO of buffer {extra.id}", lambda: region.info(extra.id))
        ok("free")
        refused(shmem_helper.Error, "no room", lambda: region.write(b"x" * 8, 2 * MIB - 4))
        refused(shmem_helper.InvalidArgument, "map inside the buffer", lambda: region.map(offset=2 * MIB))
        refused(shmem_helper.InvalidArgument, "RESIZE", lambda: region.resize(1 << 40))
        ok("bad ranges")
        refused(shmem_helper.Error, "/dev/sharedmem/buffer", lambda: Region(CHAN).alloc(PAGE))
        ok("no buffers on a region node")
    assert region.fd == -1
    ok("close")

    with Region(CHAN, writable=False) as ro:
        assert not ro.writable and ro.is_node
        head = ro.read(64)
        with ro.map(length=PAGE) as m:
            assert m.view.readonly and bytes(m.view[:64]) == head
        with ro.map() as m:
            assert len(m.view) == ro.size
        ok("read-only map")
        e = refused(shmem_helper.PermissionDenied, "opened read-only", lambda: ro.write(b"x"))
        assert e.errno == errno.EBADF
        refused(shmem_helper.PermissionDenied, "opened read-only", lambda: ro.resize(PAGE))
        ok("read-only refuses writes")
    refused(shmem_helper.NotFound, "modprobe sharedmem", lambda: Region("/dev/sharedmem/no-such-region"))
    ok("missing node")


def outsider() -> None:
    for node in (BUF, CHAN):
        e = refused(shmem_helper.PermissionDenied, "group `sharedmem`", functools.partial(Region, node, writable=False))
        assert e.errno == errno.EACCES and isinstance(e, PermissionError)
    ok("no permission")


def main() -> int:
    {"member": member, "outsider": outsider}[sys.argv[1]]()
    print("ALL-OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
