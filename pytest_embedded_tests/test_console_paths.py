# SPDX-License-Identifier: MIT
"""The console paths of a real board, proven on the emulated one: the smoke
tests run unchanged over a local serial device (`--port /dev/tty...`) and
over a serial server (`--port rfc2217://HOST:PORT`). The emulated board's
console becomes a serial device the way a USB-UART is one: socat turns it
into a pseudo-terminal. The serial server, on loopback, answers RFC 2217's
control requests as one in front of a USB-UART does (rfc2217_server.py:
pyserial's port manager; ser2net leaves them unanswered for a device without
modem lines), so the client needs no `?ign_set_control`. (The labgrid path
is test_farm.py; the emulated board's own socket:// path, every other test.)"""

import shutil
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import serial
from zynqsim.board import BoardState

from pytest_embedded_tests.nested import (
    REPO,
    SMOKE,
    Daemons,
    assert_loopback_only,
    free_port,
    listening,
    run_tests,
    wait_for,
)

pytestmark = pytest.mark.emulated



def serial_device(daemons: Daemons, name: str, console_port: int) -> Path:
    """A pseudo-terminal that carries the board's console, as a USB-UART's
    /dev/ttyUSBn would (raw, no echo; at its link path once it exists)."""
    link = daemons.logs / name
    proc = daemons.start(name, [shutil.which("socat") or "socat", "-d", f"PTY,link={link},rawer",
                                f"TCP:127.0.0.1:{console_port}"])
    wait_for(lambda: link.exists() or proc.poll() is not None, f"socat's {link}")
    assert proc.poll() is None, daemons.log(name)
    return link


def test_the_quick_checks_run_over_a_serial_device_and_a_serial_server(zynq_board: BoardState | None,
                                                                       tmp_path: Path) -> None:
    assert zynq_board is not None  # an `emulated` test: deselected without it
    console_port = urlparse(zynq_board.console_url).port
    assert console_port, zynq_board.console_url
    daemons = Daemons(tmp_path)
    try:
        # On the desk: a serial device.
        device = serial_device(daemons, "ttyZED0", console_port)
        result = run_tests(*SMOKE, "--port", str(device))
        assert result.returncode == 0 and "3 passed" in result.stdout, result.stdout + result.stderr
        daemons.stop()  # the console takes one client at a time

        # Behind a serial server that answers RFC 2217's control requests
        # (as one in front of a USB-UART does): no `?ign_set_control`.
        port = free_port()
        server = daemons.start("rfc2217", [sys.executable, "-m", "pytest_embedded_tests.rfc2217_server",
                                           f"127.0.0.1:{port}", zynq_board.console_url], cwd=REPO)
        wait_for(lambda: listening(port) or server.poll() is not None, "the RFC 2217 server listening")
        assert server.poll() is None, daemons.log("rfc2217")
        assert_loopback_only(daemons)
        # The client's requests are answered: opening negotiates the line
        # (baud rate, framing), setting RTS and DTR waits for the server's
        # answer; without one, pyserial fails after its timeout.
        with serial.serial_for_url(f"rfc2217://127.0.0.1:{port}?timeout=10", baudrate=115200) as client:
            client.rts = False
            client.dtr = False
            client.baudrate = 57600
        assert serial.VERSION == "3.5.0.2", f"serial {serial.VERSION} is not labgrid's fork (pyserial-labgrid)"
        result = run_tests(*SMOKE, "--port", f"rfc2217://127.0.0.1:{port}")
        assert result.returncode == 0 and "3 passed" in result.stdout, result.stdout + result.stderr
    finally:
        daemons.stop()
    assert daemons.all_gone(), "a bridge outlived the test"
