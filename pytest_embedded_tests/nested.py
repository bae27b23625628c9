# SPDX-License-Identifier: MIT
"""What the tests that run a second pytest session against the board share
(test_farm.py, test_console_paths.py): free loopback ports, waiting for a
daemon, the smoke tests and how to run them in a child session.

The outer test must not ask for `dut` (it would hold the console, which
takes one client at a time; see conftest.port)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The smoke tests: three tests of test_board.py (marker `smoke`) that pass on
# any booted board, real or emulated. (Outer tests that run them must not
# have "smoke" in their own names.)
SMOKE = ["pytest_embedded_tests", "-k", "smoke"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60.0) -> None:
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


LOOPBACK = ("4:0100007F:", "6:0000000000000000FFFF00000100007F:", "6:00000000000000000000000001000000:")


def assert_loopback_only(daemons: "Daemons") -> None:
    """The daemons listen somewhere, and only on loopback addresses."""
    found = listeners([p.pid for p in daemons.procs if p.poll() is None])
    assert found and all(a.startswith(LOOPBACK) for a in found), found


def run_tests(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """A child pytest session in the repository (its pyproject.toml and conftest)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=timeout)


class Daemons:
    """Daemons started for one test, each in its own process group with its
    log in `logs`; stop() ends them all (and whatever they started)."""

    def __init__(self, logs: Path, env: dict[str, str] | None = None):
        self.logs = logs
        self.env = env or dict(os.environ)
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str], cwd: Path | None = None) -> subprocess.Popen[bytes]:
        # cwd: the logs by default, where some keep state in files (the labgrid
        # coordinator its places); the repository for a module of its own (-m).
        with open(self.logs / f"{name}.log", "wb") as log:  # the child keeps its own copy
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=cwd or self.logs,
                                    start_new_session=True)
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def end(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop(self) -> None:
        for proc in reversed(self.procs):
            self.end(proc)

    def all_gone(self) -> bool:
        return all(p.poll() is not None for p in self.procs)
