# SPDX-License-Identifier: MIT
"""Run something on a board from a host command (tools/fuzz, tools/soak,
tools/bench-sharedmem): the console of a board that runs already (--port),
or an emulated board booted for the command and stopped after it."""

import json
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import board, build
from .cache import stderr_log
from .errors import SimError
from .shell import LinuxShell, Result, SerialConsole

PORT_HELP = ("a board's console: a serial device (/dev/ttyUSB1), rfc2217://HOST:PORT (a serial server) or "
             "socket://HOST:PORT, any URL pyserial's serial_for_url opens")


@contextmanager
def board_shell(port: str | None = None, variant: str = "normal",
                log: build.Log = stderr_log) -> Iterator[LinuxShell]:
    """A root shell on the board's console. Without `port`, boots the
    emulated board (`variant`: normal or debug) unless one runs, and stops
    it afterwards if it booted it."""
    booted = False
    url = port
    if not url:
        state = board.running()
        if state is None:
            state = board.boot(build.build(log, variant))
            booted = True
        url = state.console_url
    console = SerialConsole(url)
    try:
        shell = console.shell()
        shell.login(60)
        yield shell
    finally:
        console.close()
        if booted:
            board.stop()


def run_program(program: Path, args: Sequence[str], timeout: float, port: str | None = None,
                variant: str = "normal") -> tuple[Result, list[str]]:
    """Copy a program (a Python script, or a binary for the board) to the
    board, run it as root with `args`, and return its result and the kernel
    log's alarms while it ran. The board keeps no file of it."""
    with board_shell(port, variant) as shell:
        return run_recorded(shell, program, args, timeout)


def run_recorded(shell: LinuxShell, program: Path, args: Sequence[str], timeout: float) -> tuple[Result, list[str]]:
    """run_program() on a shell already open: the program's result and the
    kernel log's alarms while it ran, recorded whole (a long run may overrun
    the ring buffer); the recording is removed after, the program as the
    shell does (LinuxShell.program_dir)."""
    mark = f"{program.stem}-mark-{secrets.token_hex(6)}"
    record = shell.record_kernel_log(mark)
    result = shell.run_program(program, args, timeout=timeout)
    # Leave CPU1 stopped, whatever the program did to it.
    shell.run("for r in /sys/class/remoteproc/*; do grep -q running $r/state && echo stop > $r/state; done")
    return result, shell.recorded_kernel_log_alarms(record, mark)


def program_summary(result: Result, program: str) -> dict[str, object]:
    """The JSON object a board program prints as its last line: its summary.
    A program that died before printing one is a clear error, with what it
    did print."""
    lines = result.output.strip().splitlines()
    try:
        summary = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        summary = None
    if not isinstance(summary, dict):
        said = "\n".join(lines[-20:]) if lines else "(no output at all)"
        raise SimError(f"{program} ended with exit status {result.status} before printing its summary; "
                       f"its last output:\n{said}")
    return summary
