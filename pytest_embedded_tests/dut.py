# SPDX-License-Identifier: MIT
"""The board under test: pytest-embedded's serial Dut plus a Linux shell.

pytest-embedded gives the transport (any pyserial URL: a device, rfc2217://,
socket://) and expect(); this class adds what a Linux target needs on top of
it: log in, run a command and get its status and output, read the kernel log.
The shell protocol itself lives in tools/zynqsim/shell.py, shared with
`tools/sim demo`.
"""

import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pexpect
from pytest_embedded_serial import SerialDut
from zynqsim.shell import LinuxShell, Result, ShellTimeout

# The programs that run on the board: real files, linted and typed with the
# rest (tools/tests/test_repository.py), copied there once per boot and kept
# in PROGRAM_DIR (LinuxShell.program_dir), a copy per content.
TARGET = Path(__file__).parent / "target"
PROGRAM_DIR = "/tmp/sharedmem-test-programs"


class ZynqLinuxDut(SerialDut):  # type: ignore[misc]  # (pytest-embedded ships no types: SerialDut is Any)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shell = LinuxShell(self._write_bytes, self._expect_with_before, program_dir=PROGRAM_DIR)

    def _write_bytes(self, data: bytes) -> None:
        self.serial.proc.write(data)

    def _expect_with_before(self, pattern: re.Pattern[bytes], timeout: float) -> tuple[re.Match[bytes], bytes]:
        try:
            match = self.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT as e:
            # pytest-embedded's message carries the buffer and the log path.
            raise ShellTimeout(str(e)) from None
        return match, self.pexpect_proc.before

    def login(self, timeout: float = 60.0) -> None:
        self.shell.login(timeout)

    def run(self, command: str, timeout: float = 60.0) -> Result:
        """Run a command line on the board: exit status and output."""
        return self.shell.run(command, timeout)

    def check(self, command: str, timeout: float = 60.0) -> str:
        """Run a command that must succeed; its output."""
        return self.shell.check(command, timeout)

    def put_file(self, remote: str, data: bytes, mode: int = 0o644) -> None:
        """Copy a file to the board over the console."""
        self.shell.put_file(remote, data, mode)

    def run_program(self, program: Path, *args: str, user: str = "root", timeout: float = 120.0) -> Result:
        """Run a program (a Python script of TARGET, or an executable for the
        board) with `args` as `user`."""
        return self.shell.run_program(program, args, user, timeout)

    def program_file(self, program: Path) -> AbstractContextManager[str]:
        """`program` on the board for the time of a with block (one that runs
        in the background): its path there."""
        return self.shell.program_file(program)

    def kernel_log_alarms(self, since: str) -> list[str]:
        return self.shell.kernel_log_alarms(since)
