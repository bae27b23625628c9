# SPDX-License-Identifier: MIT
"""The console paths of a real board, proven on the emulated one: the smoke
tests run unchanged over a local serial device (`--port /dev/tty...`) and
over a serial server (`--port rfc2217://HOST:PORT`). The emulated board's
console becomes a serial device the way a USB-UART is one: socat turns it
into a pseudo-terminal; ser2net, the serial server that labgrid's exporter
uses too, serves that device with RFC 2217 on loopback. (The labgrid path is
test_farm.py; the emulated board's own socket:// path, every other test.)"""

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pytest_embedded_tests.nested import SMOKE, Daemons, assert_loopback_only, free_port, listening, run_tests, wait_for

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


def test_the_smoke_tests_run_over_a_serial_device_and_a_serial_server(zynq_board, tmp_path):
    console_port = urlparse(zynq_board.console_url).port
    assert console_port, zynq_board.console_url
    daemons = Daemons(tmp_path)
    try:
        # On the desk: a serial device.
        device = serial_device(daemons, "ttyZED0", console_port)
        result = run_tests(*SMOKE, "--port", str(device))
        assert result.returncode == 0 and "3 passed" in result.stdout, result.stdout + result.stderr
        daemons.stop()  # the console takes one client at a time

        # Behind a serial server: ser2net serves the device with RFC 2217.
        device = serial_device(daemons, "ttyZED1", console_port)
        port = free_port()
        config = tmp_path / "ser2net.yaml"
        config.write_text("%YAML 1.1\n---\nconnection: &zed\n"
                          f"  accepter: telnet(rfc2217),tcp,127.0.0.1,{port}\n"
                          f"  connector: serialdev,{device},115200n81,local\n"
                          "  options:\n    kickolduser: true\n")
        ser2net = daemons.start("ser2net", [shutil.which("ser2net") or "ser2net", "-n", "-d", "-c", str(config),
                                            "-P", str(tmp_path / "ser2net.pid")])
        wait_for(lambda: listening(port) or ser2net.poll() is not None, "ser2net listening")
        assert ser2net.poll() is None, daemons.log("ser2net")
        assert_loopback_only(daemons)
        # ign_set_control: a pseudo-terminal has no modem lines, so ser2net
        # leaves pyserial's SET_CONTROL unanswered (a USB-UART answers it).
        result = run_tests(*SMOKE, "--port", f"rfc2217://127.0.0.1:{port}?ign_set_control")
        assert result.returncode == 0 and "3 passed" in result.stdout, result.stdout + result.stderr
    finally:
        daemons.stop()
    assert daemons.all_gone(), "a bridge outlived the test"
