# SPDX-License-Identifier: MIT
"""A Linux shell behind a serial console: log in, run a command, get its exit
status and output.

The protocol works with any transport that can write bytes and wait for a
regular expression (any pyserial URL here, pytest-embedded's Dut in the tests), on
the emulated board as on a real one:

    printf '<<%s %s>>\\n' begin TOKEN; COMMAND; printf '<<%s %s:%d>>\\n' end TOKEN $?

The terminal echoes the line as typed, with `%s` in it, so the markers match
only what printf prints: the command's output is exactly what comes between
them, whatever the prompt and echo settings.
"""

import base64
import contextlib
import gzip
import hashlib
import re
import secrets
import shlex
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import kernel_log
from .errors import SimError

LOGIN_PROMPT = re.compile(rb"\S+ login: $|^login: $", re.MULTILINE)
# A prompt may end in an escape sequence: busybox ash asks the terminal for
# the cursor position (ESC [ 6 n) after printing it.
SHELL_PROMPT = re.compile(rb"[#$] (?:\x1b\[[0-9;?]*[A-Za-z])*$")

# Longest line we type: busybox ash's line editor drops input past 1024
# characters (FEATURE_EDITING_MAX_LEN), and a canonical tty holds 4095.
MAX_LINE = 1000

# (pattern, timeout) -> (match, bytes before the match); raises on timeout.
Expect = Callable[[re.Pattern[bytes], float], tuple[re.Match[bytes], bytes]]
Write = Callable[[bytes], None]


class ShellTimeout(SimError):
    pass


@dataclass
class Result:
    status: int
    output: str

    def __bool__(self) -> bool:
        return self.status == 0


class LinuxShell:
    """`program_dir`: where programs stay between runs, one copy per content,
    copied once per boot (a test session runs the same few programs hundreds
    of times, and a copy over a console takes seconds, a minute under the
    debug board's sanitizers). None: each run copies its program and removes
    it after (the tools, which run one program and leave nothing behind)."""

    def __init__(self, write: Write, expect: Expect, user: str = "root", program_dir: str | None = None):
        self._write = write
        self._expect = expect
        self.user = user
        self.program_dir = program_dir

    def login(self, timeout: float = 60.0) -> None:
        """Reach a shell prompt: log in if the console shows a login prompt.
        Then keep kernel messages off the console so they cannot interleave
        with command output (they stay in dmesg)."""
        deadline = time.monotonic() + timeout
        self._write(b"\n")
        any_prompt = re.compile(LOGIN_PROMPT.pattern + b"|" + SHELL_PROMPT.pattern, re.MULTILINE)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ShellTimeout(f"no login or shell prompt within {timeout:.0f} s")
            try:
                match, _ = self._expect(any_prompt, min(remaining, 5.0))
            except ShellTimeout:
                self._write(b"\n")  # a prompt printed before we listened: ask again
                continue
            if LOGIN_PROMPT.search(match.group(0)):
                self._write(self.user.encode() + b"\n")
                continue
            break
        result = self.run("dmesg -n 1", timeout=max(remaining, 10.0))
        if result.status != 0:
            raise SimError(f"shell set-up failed: {result.output}")

    def run(self, command: str, timeout: float = 60.0) -> Result:
        """Run one command line; return its exit status and output."""
        if "\n" in command:
            raise ValueError("one command line at a time")
        token = secrets.token_hex(4)
        line = (f"printf '<<%s %s>>\\n' begin {token}; {command}; "
                f"printf '\\n<<%s %s:%d>>\\n' end {token} $?\n").encode()
        if len(line) > MAX_LINE:
            raise ValueError(f"command line of {len(line)} bytes; the console takes {MAX_LINE} at most")
        self._write(line)
        begin = re.compile(rb"<<begin " + token.encode() + rb">>\r?\n")
        end = re.compile(rb"\r?\n<<end " + token.encode() + rb":(\d+)>>")
        deadline = time.monotonic() + timeout
        try:
            self._expect(begin, timeout)
            match, before = self._expect(end, max(deadline - time.monotonic(), 0.1))
        except ShellTimeout:
            raise ShellTimeout(f"`{command}` did not finish within {timeout:.0f} s") from None
        output = before.decode(errors="replace").replace("\r\n", "\n")
        return Result(int(match.group(1)), output)

    def check(self, command: str, timeout: float = 60.0) -> str:
        """Run a command that must succeed; return its output."""
        result = self.run(command, timeout)
        if result.status != 0:
            raise SimError(f"`{command}` failed (exit {result.status}): {result.output.strip()[-2000:]}")
        return result.output

    def kernel_log_alarms(self, since: str) -> list[str]:
        """Lines of the kernel log after the line containing `since` that
        report a kernel problem (kernel_log.is_report)."""
        log = self.check(f"dmesg | sed -n '/{since}/,$p'")
        if since not in log:
            return [f"the kernel log lost the start mark {since} (ring buffer overrun?)"]
        return kernel_log.reports(log)

    def record_kernel_log(self, mark: str, kmsg: str = "/dev/kmsg") -> str:
        """Keep a copy of the kernel log in a file on the board (a reader of
        /dev/kmsg), for runs whose messages overrun the ring buffer (1,000
        module loads do), and write `mark` into the log. Returns the file,
        for recorded_kernel_log_alarms()."""
        record = f"/tmp/{mark}.kmsg"
        # In a subshell: not a job of this shell, whose "Done" would come later.
        self.check(f"(cat {kmsg} > {record} 2>&1 & echo $! > {record}.pid)")
        self.check(f"echo {mark} > {kmsg}")
        return record

    def recorded_kernel_log_alarms(self, record: str, mark: str) -> list[str]:
        """The alarms (kernel_log.is_report) in the kernel log recorded since
        record_kernel_log(); ends the recording. A recorder that stopped
        (it fell behind and records were lost) is an alarm too."""
        # (A zombie has no command line: dead too, if nothing reaped it yet.)
        alive = self.run(f"grep -q . /proc/$(cat {record}.pid)/cmdline").status == 0
        self.run(f"kill $(cat {record}.pid)")
        try:
            alarms = [] if alive else [f"the kernel log recorder {record} stopped early: records may be lost"]
            if self.run(f"grep -q {mark} {record}").status != 0:
                return [*alarms, f"the kernel log recording {record} lacks its start mark {mark}"]
            pattern = shlex.quote(kernel_log.GREP_PREFILTER)
            found = self.run(f"sed -n '/{mark}/,$p' {record} | grep -E {pattern}").output
            return [*alarms, *kernel_log.reports(found)]
        finally:
            self.check(f"rm -f {record} {record}.pid")

    def put_file(self, remote: str, data: bytes, mode: int = 0o644) -> None:
        """Copy a file to the board over the console: gzip'd when that makes
        it shorter, in base64 lines (busybox's line editor keeps at most
        MAX_LINE characters), decoded into a file of its own and renamed, so
        that `remote` is never there in part, even if the copy is cut off."""
        packed = gzip.compress(data, mtime=0)
        compressed = len(packed) < len(data)
        encoded = base64.b64encode(packed if compressed else data).decode()
        staging = shlex.quote(remote + ".b64")
        partial = shlex.quote(remote + ".part")
        target = shlex.quote(remote)
        self.check(f": > {staging}")
        step = MAX_LINE - 200 - len(staging)
        for i in range(0, len(encoded), step):
            self.check(f"printf %s {encoded[i:i + step]} >> {staging}")
        decode = f"base64 -d {staging}" + (" | gunzip -c" if compressed else "")
        self.check(f"{decode} > {partial} && chmod {mode:o} {partial} && mv -f {partial} {target} && rm {staging}")

    @contextlib.contextmanager
    def program_file(self, program: Path) -> Iterator[str]:
        """`program` on the board, executable, for the time of the block: its
        path there. Without a program_dir, a copy under a name of its own in
        /tmp, removed after whatever happened (after a failure, as far as the
        console still answers); with one, the kept copy of this content,
        copied first if the board has none."""
        data = program.read_bytes()
        if self.program_dir is not None:
            yield self._kept_program(program, data)
            return
        remote = f"/tmp/{program.stem}-{secrets.token_hex(4)}{program.suffix}"
        remove = f"rm -f {shlex.quote(remote)} {shlex.quote(remote + '.b64')} {shlex.quote(remote + '.part')}"
        try:
            self.put_file(remote, data, 0o755)
            yield remote
        except BaseException:
            with contextlib.suppress(SimError):  # the console itself may be what failed
                self.run(remove)
            raise
        self.check(remove)

    def _kept_program(self, program: Path, data: bytes) -> str:
        assert self.program_dir is not None
        directory = shlex.quote(self.program_dir)
        remote = f"{self.program_dir}/{program.stem}-{hashlib.sha256(data).hexdigest()[:16]}{program.suffix}"
        if self.run(f"test -f {shlex.quote(remote)}").status == 0:
            return remote
        # Others run the kept programs (su): only this user may write them,
        # so a directory someone else made first is refused.
        owner = self.check(f"mkdir -p -m 755 {directory} && stat -c %u:%a {directory} && id -u").split()
        if owner[0] != f"{owner[1]}:755":
            raise SimError(f"{self.program_dir} on the board is {owner[0]} (uid:mode), not {owner[1]}:755: "
                           "remove it, or use another program_dir")
        self.put_file(remote, data, 0o755)
        return remote

    def run_program(self, program: Path, args: Sequence[str] = (), user: str = "root",
                    timeout: float = 120.0) -> Result:
        """Run `program` (a Python script: *.py, or an executable for the
        board) on the board with `args` as `user` (through su for another
        user than root), its file there as program_file() has it: its result."""
        with self.program_file(program) as remote:
            return self.run(program_command(remote, program.suffix, args, user), timeout)


def program_command(remote: str, suffix: str, args: Sequence[str], user: str = "root") -> str:
    """The command line that runs the program at `remote` with `args` as `user`."""
    command = " ".join([*(["python3"] if suffix == ".py" else []), shlex.quote(remote), *map(shlex.quote, args)])
    if user != "root":
        command = f"su -s /bin/sh {shlex.quote(user)} -c {shlex.quote(command)}"
    return command


class SerialConsole:
    """Transport over any console URL that pyserial's serial_for_url opens: a
    serial device (/dev/ttyUSB1), rfc2217://HOST:PORT (a serial server),
    socket://HOST:PORT (QEMU's console, ser2net's raw mode)."""

    def __init__(self, url: str, timeout: float = 30.0):
        import serial  # pyserial: Debian's python3-serial on the host, the test venv's

        self._serial_exception = serial.SerialException
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._port = serial.serial_for_url(url, baudrate=115200, timeout=1.0)
                break
            except ValueError as e:  # not a URL pyserial knows
                raise SimError(f"cannot open the console {url}: {e}; give a serial device (/dev/ttyUSB1), "
                               "rfc2217://HOST:PORT or socket://HOST:PORT") from None
            except serial.SerialException as e:
                # A network console may serve one client at a time (QEMU's
                # does): wait for the last one to leave. A device is there or not.
                if "://" not in url or time.monotonic() > deadline:
                    raise SimError(f"cannot open the console {url}: {e}") from None
                time.sleep(0.2)
        self._buffer = b""

    def close(self) -> None:
        self._port.close()

    def write(self, data: bytes) -> None:
        self._port.write(data)

    def expect(self, pattern: re.Pattern[bytes], timeout: float) -> tuple[re.Match[bytes], bytes]:
        deadline = time.monotonic() + timeout
        while True:
            match = pattern.search(self._buffer)
            if match:
                before = self._buffer[:match.start()]
                self._buffer = self._buffer[match.end():]
                return match, before
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ShellTimeout(f"waited {timeout:.0f} s for {pattern.pattern!r}; "
                                   f"last output: {self._buffer[-500:]!r}")
            self._port.timeout = min(remaining, 1.0)
            try:
                # At least one byte (or the timeout), then whatever else waits.
                self._buffer += self._port.read(max(1, self._port.in_waiting))
            except self._serial_exception as e:
                raise SimError(f"the console connection closed: {e}") from None

    def shell(self, user: str = "root") -> LinuxShell:
        return LinuxShell(self.write, self.expect, user)
