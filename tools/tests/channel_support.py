# SPDX-License-Identifier: MIT
"""Helpers of the channel tests (tools/tests/test_channel_*.py): where the
sources are, the host harness that plays CPU1, and its doorbell pipes."""

import gc
import mmap
import os
import select
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from shmem_helper import channel as C

REPO = Path(__file__).resolve().parent.parent.parent
LAYER = REPO / "meta-sharedmem"
UAPI_DIR = LAYER / "recipes-kernel/sharedmem/sharedmem/include/uapi/misc"
HEADER = UAPI_DIR / "sharedmem_channel.h"
FIRMWARE = LAYER / "recipes-bsp/sharedmem-firmware/sharedmem-firmware"
HELPER_PKG = LAYER / "recipes-devtools/python/python3-shmem-helper/python3-shmem-helper"

REGION_SIZE = 16 * 1024 * 1024



def make(target: str, out: Path, *extra: str) -> Path:
    """Run the payload's Makefile (warnings are errors) into `out`."""
    proc = subprocess.run(["make", "-C", str(FIRMWARE), f"O={out}", "WERROR=1", target, *extra],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"make {target} failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def put(mem: memoryview, offset: int, value: int) -> None:
    """Write a 32-bit little-endian word into the region, as the other side would."""
    mem[offset:offset + 4] = struct.pack("<I", value & 0xFFFFFFFF)


def get(mem: memoryview, offset: int) -> int:
    return int(struct.unpack_from("<I", mem, offset)[0])


def recovers(channel: C.Channel) -> None:
    """The reset handshake brings the channel back: ready, and a 10 kB echo works."""
    channel.reset()
    assert channel.status().state == C.Cpu1State.READY
    data = bytes(range(256)) * 40
    assert channel.echo(data) == data


class QemuMachine:
    """A bare emulated Zynq (no Linux) that the host tests start with their
    own programs: QEMU with `argv` in `run`, its log in run/qemu.log, its
    monitor at run/qmp.sock. Stopped, and its log closed, by close()."""

    def __init__(self, argv: list[str], run: Path):
        from zynqsim.errors import SimError
        from zynqsim.qmp import Qmp

        self.run = run
        self.qemu_log = open(run / "qemu.log", "wb")
        self.proc = subprocess.Popen([*argv, "-qmp", f"unix:{run / 'qmp.sock'},server=on,wait=off"],
                                     stdin=subprocess.DEVNULL, stdout=self.qemu_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"QEMU exited: {(run / 'qemu.log').read_text()}")
            if (run / "qmp.sock").exists():
                try:
                    self.qmp = Qmp(str(run / "qmp.sock"))
                    break
                except SimError:
                    pass  # the socket exists before QEMU listens on it
            assert time.monotonic() < deadline, "QEMU's monitor did not come up"
            time.sleep(0.05)  # waiting for QEMU to create its socket

    def u32(self, address: int) -> int:
        return self.qmp.read_u32(address)

    def close(self) -> None:
        self.qmp.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.qemu_log.close()


class Harness:
    """The payload's portable code as a host process (test/host_cpu1.c) on a
    shared file, with CPU1's doorbells as pipes. `mem` is the test's own
    mapping of the region (Linux's view). The harness maps the region
    between two inaccessible pages: an access just outside it kills it."""

    def __init__(self, binary: Path, path: Path, size: int = REGION_SIZE, start: bool = True,
                 env: dict[str, str] | None = None):
        """`env`: the harness's test hooks (SHMEM_HOST_TOCTOU, SHMEM_HOST_BULK_NS_PER_BYTE;
        test/host_cpu1.c)."""
        self.binary = binary
        self.env = {**os.environ, **(env or {})}
        self.path = path
        self.size = size
        with open(path, "wb") as f:
            f.truncate(size)
        self._file = open(path, "r+b")
        self.map = mmap.mmap(self._file.fileno(), size)
        self.mem = memoryview(self.map)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = path.with_suffix(".log")
        self.doorbells_in = 0
        self.args: list[str] = getattr(self, "args", [])  # more arguments (rpmsg_support: --rpmsg)
        if start:
            self.start()

    def start(self) -> None:
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.binary), str(self.path), str(self.size), *self.args],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._log, env=self.env)
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)

    def wait(self, timeout: float) -> None:
        """Channel's `wait`: sleep until the harness rings (a byte on its stdout)."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if ready:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                return
            if not data:  # harness ended: do not spin on EOF
                select.select([], [], [], timeout)
            self.doorbells_in += len(data)

    def notify(self) -> None:
        """Channel's `notify`: ring the harness (a byte on its stdin)."""
        assert self.proc is not None and self.proc.stdin is not None
        try:
            os.write(self.proc.stdin.fileno(), b"!")
        except BrokenPipeError:
            pass

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int | None:
        """End the harness (closing its stdin ends it); its exit status."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            rc = proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
        self._log.close()
        return rc

    def wait_for_log(self, text: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            assert time.monotonic() < deadline, f"harness did not log {text!r}:\n{self.log()}"
            time.sleep(0.01)  # polling the log file for the line

    def close(self) -> None:
        self.stop()
        self.mem.release()
        gc.collect()  # views of the region that tests dropped
        self.map.close()
        self._file.close()


# Fixtures of the channel tests against the payload's code as a host process
# (test_channel_interop.py, test_channel_validation.py import them).

@pytest.fixture(scope="module")
def harness_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make("host-harness", tmp_path_factory.mktemp("harness")) / "host_cpu1"


@pytest.fixture
def harness(harness_binary: Path, tmp_path: Path) -> Iterator[Harness]:
    h = Harness(harness_binary, tmp_path / "channel.bin")
    yield h
    rc = h.stop()
    log = h.log()
    h.close()
    assert rc == 0, f"harness exited {rc} (a signal: an access outside the region?):\n{log}"


@pytest.fixture
def channel(harness: Harness) -> Iterator[C.Channel]:
    C.initialise(harness.mem)
    harness.notify()
    with C.Channel(harness.mem, wait=harness.wait, notify=harness.notify) as ch:
        ch.wait_ready()
        yield ch
