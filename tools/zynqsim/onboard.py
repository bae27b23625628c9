# SPDX-License-Identifier: MIT
"""Run something on a board from a host command (tools/fuzz, tools/soak,
tools/bench-sharedmem): the console of a board that runs already (--port),
or an emulated board booted for the command and stopped after it."""

from collections.abc import Iterator
from contextlib import contextmanager

from . import board, build
from .shell import LinuxShell, SocketConsole


@contextmanager
def board_shell(port: str | None = None, variant: str = "normal",
                log: build.Log = build.stderr_log) -> Iterator[LinuxShell]:
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
    console = SocketConsole(url)
    try:
        shell = console.shell()
        shell.login(60)
        yield shell
    finally:
        console.close()
        if booted:
            board.stop()

