# SPDX-License-Identifier: MIT
"""The labgrid farm path, proven with no hardware: a labgrid coordinator and
an exporter on loopback export the emulated board's console as a network
serial port; a place is created and the board's smoke tests run through it
(`--lg-coordinator`, `--lg-place`); a busy place and an unreachable
coordinator fail clearly; everything is torn down, no process left behind,
nothing listening beyond 127.0.0.1."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.emulated

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SMOKE = ["pytest_embedded_tests/test_board.py", "-k", "zynq or ttyps0 or udevd"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(0.1)  # the next look at a starting daemon


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def listeners(pids: list[int]) -> list[str]:
    """Local addresses on which these processes listen (from /proc): family,
    then the address and port as the kernel writes them (127.0.0.1 is
    0100007F; gRPC listens on IPv6 sockets, where it is ::ffff:127.0.0.1)."""
    inodes = set()
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                found.append(f"{family}:{fields[1]}")
    return found


class Farm:
    """A coordinator and an exporter on loopback, as child processes."""

    def __init__(self, tmp: Path, console_port: int):
        self.tmp = tmp
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {**os.environ, "LG_COORDINATOR": self.address}
        config = tmp / "exporter.yaml"
        config.write_text("zedboard-sim:\n  NetworkSerialPort:\n    host: 127.0.0.1\n"
                          f"    port: {console_port}\n    speed: 115200\n    protocol: raw\n")
        self.start("coordinator", [str(BIN / "labgrid-coordinator"), "--listen", self.address])
        wait_for(lambda: listening(self.port), "labgrid-coordinator listening")
        exporter = self.start("exporter", [str(BIN / "labgrid-exporter"), "--coordinator", self.address,
                                           "--name", "sim-exporter", str(config)])
        wait_for(lambda: b"Exporter ready" in (tmp / "exporter.log").read_bytes() or exporter.poll() is not None,
                 "labgrid-exporter ready")
        assert exporter.poll() is None, (tmp / "exporter.log").read_text()

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{name}.log", "wb")
        # cwd: the coordinator keeps its places in files there.
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.tmp,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def client(self, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(self.env, **({"LG_USERNAME": user} if user else {}))
        return subprocess.run([str(BIN / "labgrid-client"), "-x", self.address, *args], capture_output=True,
                              text=True, env=env, timeout=60)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def run_tests(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                          cwd=HERE.parent, capture_output=True, text=True, timeout=timeout)


def test_the_smoke_tests_run_through_a_labgrid_place(zynq_board, tmp_path):
    console = urlparse(zynq_board.console_url)
    farm = Farm(tmp_path, console.port)
    try:
        assert farm.client("-p", "zed", "create").returncode == 0
        assert farm.client("-p", "zed", "add-match", "sim-exporter/zedboard-sim/*").returncode == 0
        pids = [p.pid for p in farm.procs]
        loopback = ("4:0100007F:", "6:0000000000000000FFFF00000100007F:", "6:00000000000000000000000001000000:")
        assert listeners(pids) and all(a.startswith(loopback) for a in listeners(pids)), listeners(pids)

        result = run_tests(*SMOKE, "--lg-coordinator", farm.address, "--lg-place", "zed",
                           f"--junitxml={tmp_path / 'farm.xml'}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "3 passed" in result.stdout, result.stdout
        assert "acquired: None" in farm.client("-p", "zed", "show").stdout, "the place was not released"

        # A failing test: its kernel log goes into the JUnit report, the place is released.
        # (Written next to this file, in a hidden directory that collection skips, so
        # that this directory's conftest applies to it.)
        selftest = Path(tempfile.mkdtemp(prefix=".farm-selftest-", dir=HERE))
        try:
            failing = selftest / "test_fails_on_purpose.py"
            failing.write_text("def test_fails(linux):\n    linux.check('echo farm-failure-marker > /dev/kmsg')\n"
                               "    assert False, 'on purpose'\n")
            result = run_tests(str(failing.relative_to(HERE.parent)), "--lg-coordinator", farm.address,
                               "--lg-place", "zed", f"--junitxml={tmp_path / 'failing.xml'}")
        finally:
            shutil.rmtree(selftest)
        assert result.returncode == 1, result.stdout + result.stderr
        report = (tmp_path / "failing.xml").read_text()
        assert 'name="kernel_log"' in report and "farm-failure-marker" in report, report
        assert "acquired: None" in farm.client("-p", "zed", "show").stdout, "not released after a failure"

        # Busy: another user holds the place; the session waits --lg-wait, then names the holder.
        assert farm.client("-p", "zed", "acquire", user="nightly-ci").returncode == 0
        result = run_tests(*SMOKE, "--lg-coordinator", farm.address, "--lg-place", "zed", "--lg-wait", "2")
        assert result.returncode != 0
        assert "is held by" in result.stdout + result.stderr and "nightly-ci" in result.stdout + result.stderr, \
            result.stdout + result.stderr
        assert farm.client("-p", "zed", "release", user="nightly-ci").returncode == 0
    finally:
        farm.stop()
    assert all(p.poll() is not None for p in farm.procs), "a labgrid process outlived the test"

    # Unreachable: the coordinator is gone now.
    result = run_tests(*SMOKE, "--lg-coordinator", farm.address, "--lg-place", "zed")
    assert result.returncode != 0
    assert f"cannot reach the labgrid coordinator at {farm.address}" in result.stdout + result.stderr, \
        result.stdout + result.stderr
