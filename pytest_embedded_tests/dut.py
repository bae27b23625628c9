# SPDX-License-Identifier: MIT
"""The board under test: pytest-embedded's serial Dut plus a Linux shell.

pytest-embedded gives the transport (any pyserial URL: a device, rfc2217://,
socket://) and expect(); this class adds what a Linux target needs on top of
it: log in, run a command and get its status and output, read the kernel log.
The shell protocol itself lives in tools/zynqsim/shell.py, shared with
`tools/sim demo`.
"""

import re

import pexpect
from pytest_embedded_serial import SerialDut
from zynqsim.shell import KERNEL_LOG_ALARMS, LinuxShell, Result, ShellTimeout


class ZynqLinuxDut(SerialDut):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.shell = LinuxShell(self._write_bytes, self._expect_with_before)

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

    def kernel_log_alarms(self, since: str) -> list[str]:
        """Lines of the kernel log after the line containing `since` that
        report a kernel problem (Oops, BUG, WARNING, KASAN, call trace)."""
        log = self.check(f"dmesg | sed -n '/{since}/,$p'")
        if since not in log:
            return [f"the kernel log lost the test's start mark {since} (ring buffer overrun?)"]
        return [line for line in log.splitlines() if KERNEL_LOG_ALARMS.search(line)]
