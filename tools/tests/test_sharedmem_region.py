# SPDX-License-Identifier: MIT
"""shmem_helper.region on the host: a plain file stands in for a node (the
transport is any mmap-able file), and a fake ioctl stands in for the
kernel's buffer calls. The package is also type- and lint-checked."""

import errno
import io
import mmap
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shmem_helper
from shmem_helper import Region, SharedmemError, uapi
from zynqsim.build import PYTHON_PACKAGE

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "region.bin"
    path.write_bytes(bytes(range(256)) * 32)  # 8 KiB
    return path


def test_a_plain_file_is_a_region(plain: Path) -> None:
    with Region(plain) as r:
        assert not r.is_node and r.version is None
        info = r.info()
        assert (info.id, info.size, info.dma_address, info.mmap_offset) == (0, 8192, None, 0)
        assert r.read(4, 254) == bytes([254, 255, 0, 1])
        r.write(b"hello", 100)
        with r.map() as m:
            assert bytes(m.view[100:105]) == b"hello"
            m.view[0:3] = b"abc"  # zero-copy: lands in the file
        with r.map(length=4096, offset=4096) as m:
            assert len(m.view) == 4096 and m.view[0] == 0
    assert plain.read_bytes()[:3] == b"abc" and plain.read_bytes()[100:105] == b"hello"


def test_a_read_only_region_reads_and_maps_and_refuses_writes(plain: Path) -> None:
    before = plain.read_bytes()
    with Region(plain, writable=False) as r:
        assert not r.writable and r.size == 8192 and r.read(2, 255) == bytes([255, 0])
        with r.map() as m:
            assert m.view.readonly and bytes(m.view[:4]) == before[:4]
            with pytest.raises(TypeError):
                m.view[0] = 1
        with r.map(length=4096, offset=4096) as m:
            assert bytes(m.view) == before[4096:]
        with pytest.raises(shmem_helper.PermissionDenied, match="opened read-only; open it with") as e:
            r.write(b"x")
        assert e.value.errno == errno.EBADF
    assert plain.read_bytes() == before


def test_a_read_only_plain_file_refuses_every_change_as_the_doc_says(plain: Path) -> None:
    """Region's doc: on a read-only Region all but read, info and map raise
    PermissionDenied, on a plain file too (whose message adds that it has
    no DMA buffers to begin with)."""
    assert "the rest raises PermissionDenied" in " ".join((Region.__doc__ or "").split())
    with Region(plain, writable=False) as r:
        for call in (lambda: r.alloc(4096), lambda: r.free(1), lambda: r.resize(4096), lambda: r.write(b"x")):
            with pytest.raises(shmem_helper.PermissionDenied, match="opened read-only"):
                call()
        with pytest.raises(shmem_helper.PermissionDenied, match="no DMA buffers anyway: open /dev/sharedmem/buffer"):
            r.alloc(4096)


def test_a_read_only_node_maps_read_only(plain: Path) -> None:
    """What map() asks the kernel for: PROT_READ only on a read-only Region
    (a read-only descriptor refuses PROT_WRITE with EACCES)."""
    kernel = FakeKernel()
    with Region(plain, writable=False, ioctl=kernel) as r:
        assert r.is_node
        with r.map(length=4096) as m:
            assert m.view.readonly and bytes(m.view[:2]) == bytes([0, 1])
        for call in (lambda: r.alloc(4096), lambda: r.free(1), lambda: r.resize(4096)):
            with pytest.raises(shmem_helper.PermissionDenied, match="opened read-only; open it with"):
                call()
    assert kernel.calls == [(uapi.IOC_INFO, uapi.Buffer())], "a refused call reached the kernel"


def test_region_errors_are_kinds_of_shmem_helper_error(plain: Path, tmp_path: Path) -> None:
    with pytest.raises(shmem_helper.NotFound):
        Region(tmp_path / "missing")
    with Region(plain) as r:
        with pytest.raises(shmem_helper.InvalidArgument, match="map inside the buffer"):
            r.map(offset=8192)
        with pytest.raises(ValueError):  # InvalidArgument is a ValueError too
            r.info(1)
        r.close()
        r.close()  # twice is harmless
        assert r.fd == -1


def test_plain_file_refuses_buffer_calls_and_bad_ranges(plain: Path) -> None:
    with Region(plain) as r:
        for call in (lambda: r.alloc(4096), lambda: r.free(1), lambda: r.resize(4096)):
            with pytest.raises(shmem_helper.Unsupported) as unsupported:
                call()
            assert unsupported.value.errno == errno.ENOTTY and "/dev/sharedmem/buffer" in str(unsupported.value)
            assert isinstance(unsupported.value, io.UnsupportedOperation)
        with pytest.raises(SharedmemError) as e:
            r.map(length=8192 + 1)
        assert e.value.errno == errno.EINVAL
        with pytest.raises(SharedmemError):
            r.info(3)


def test_a_map_off_a_page_boundary_says_where_to_map_from(plain: Path) -> None:
    with Region(plain) as r:
        with pytest.raises(shmem_helper.InvalidArgument) as e:
            r.map(offset=100)
        assert e.value.errno == errno.EINVAL
        assert str(e.value).endswith(f"offset must be a multiple of {mmap.ALLOCATIONGRANULARITY}; map from 0 and "
                                     "use the view from 100 on"), str(e.value)


@pytest.mark.parametrize(("number", "kind", "said"), [
    (errno.EINVAL, shmem_helper.InvalidArgument, "multiples of the page size"),
    (errno.EFAULT, shmem_helper.Error, "a bug; report it with the traceback"),
    (errno.EOVERFLOW, shmem_helper.Error, "ask for less"),
])
def test_kernel_errors_without_a_region_hint_still_say_what_to_do(plain: Path, number: int,
                                                                  kind: type[shmem_helper.Error], said: str) -> None:
    kernel = FakeKernel()
    with Region(plain, ioctl=kernel) as r:
        kernel.fail = number
        with pytest.raises(kind) as e:
            r.alloc(4096)
    assert str(e.value).startswith(f"{plain}: ALLOC of 4096 bytes failed: {os.strerror(number)}; "), str(e.value)
    assert said in str(e.value) and e.value.errno == number


def test_missing_node_and_permission_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SharedmemError) as e:
        Region(tmp_path / "missing")
    assert e.value.errno == errno.ENOENT and "modprobe sharedmem" in str(e.value)
    locked = tmp_path / "locked"
    locked.write_bytes(b"x")
    locked.chmod(0)
    if os.geteuid() == 0:  # root ignores file modes: have open() refuse instead
        def deny(*a: object) -> None:
            raise PermissionError(errno.EACCES, "Permission denied")
        real = os.open
        os.open = deny  # type: ignore[assignment]
        try:
            with pytest.raises(SharedmemError) as e:
                Region(locked)
        finally:
            os.open = real
    else:
        with pytest.raises(SharedmemError) as e:
            Region(locked)
    assert e.value.errno == errno.EACCES and "group `sharedmem`" in str(e.value)


class FakeKernel:
    """The buffer node's ioctls, enough to check what the library sends."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, uapi.Buffer | int]] = []
        self.next_id = 1
        self.fail: int | None = None

    def __call__(self, fd: int, request: int, arg: bytearray) -> int:
        if request == uapi.IOC_VERSION:
            arg[:] = uapi.U32.pack(uapi.ABI_VERSION)
            return 0
        if self.fail is not None:
            raise OSError(self.fail, os.strerror(self.fail))
        if request == uapi.IOC_FREE:
            self.calls.append((request, uapi.U32.unpack(arg)[0]))
            return 0
        buf = uapi.Buffer.unpack(arg)
        self.calls.append((request, buf))
        assert buf.flags == 0 and buf.reserved == (0, 0)
        if request == uapi.IOC_ALLOC:
            out = uapi.Buffer(id=self.next_id, size=buf.size, dma_address=0x1A000000,
                              mmap_offset=uapi.mmap_offset(self.next_id))
            self.next_id += 1
        else:
            out = uapi.Buffer(id=buf.id, size=buf.size or 4096, dma_address=0x1A100000,
                              mmap_offset=uapi.mmap_offset(buf.id))
        arg[:] = out.pack()
        return 0


def test_buffer_calls_go_through_the_injected_ioctl(plain: Path) -> None:
    kernel = FakeKernel()
    with Region(plain, ioctl=kernel) as r:
        assert r.is_node and r.version == uapi.ABI_VERSION
        a = r.alloc(1 << 20)
        assert (a.id, a.size, a.dma_address, a.mmap_offset) == (1, 1 << 20, 0x1A000000, 1 << 32)
        r.resize(8192, a.id)
        r.free(a.id)
        assert [c[0] for c in kernel.calls] == [uapi.IOC_ALLOC, uapi.IOC_RESIZE, uapi.IOC_FREE]
        assert kernel.calls[1][1] == uapi.Buffer(id=1, size=8192)
        assert kernel.calls[2][1] == 1
        for err, words, kind in ((errno.ENOMEM, "CMA", shmem_helper.Error), (errno.EBUSY, "mapped", shmem_helper.Busy),
                                 (errno.EINVAL, "Invalid", shmem_helper.InvalidArgument),
                                 (errno.EACCES, "group `sharedmem`", shmem_helper.PermissionDenied),
                                 (errno.ENODEV, "reopen it", shmem_helper.NotFound)):
            kernel.fail = err
            with pytest.raises(SharedmemError) as e:
                r.alloc(4096)
            assert e.value.errno == err and words in str(e.value), str(e.value)
            assert type(e.value) is kind, (err, type(e.value))
        with pytest.raises(SharedmemError):
            r.alloc(-1)
        with pytest.raises(SharedmemError):
            r.free(1 << 32)


def test_old_module_abi_is_refused(plain: Path) -> None:
    def old(fd: int, request: int, arg: bytearray) -> int:
        arg[:] = uapi.U32.pack(0)
        return 0
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(SharedmemError) as e:
        Region(plain, ioctl=old)
    assert e.value.errno == errno.EPROTO and "update the sharedmem module" in str(e.value)
    assert set(os.listdir("/proc/self/fd")) <= before, "the file stayed open"


def test_package_is_mypy_strict_and_ruff_clean() -> None:
    files = sorted(str(p) for p in PYTHON_PACKAGE.glob("*.py"))
    mypy = subprocess.run([str(VENV_BIN / "mypy"), "--strict", "--no-incremental", *files],
                          capture_output=True, text=True, cwd=PYTHON_PACKAGE.parent)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = subprocess.run([str(VENV_BIN / "ruff"), "check", *files], capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
