# SPDX-License-Identifier: MIT
"""The tools that take a board's console (tools/fuzz, tools/soak,
tools/bench-sharedmem, tools/sim console) open it with pyserial's
serial_for_url: a serial device and socket:// work alike. Here the "board" is
a local shell behind socat, on a pseudo-terminal (a serial device, as a
USB-UART is one) or a TCP port (as QEMU's console is)."""

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest
from zynqsim.errors import SimError
from zynqsim.onboard import program_summary
from zynqsim.shell import Result, SerialConsole

TOOLS = Path(__file__).resolve().parent.parent


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """A shell with a '# ' prompt, whose `dmesg` (which login runs to keep
    kernel messages off the console) does nothing to this machine."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dmesg").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "dmesg").chmod(0o755)
    return {"PS1": "# ", "PATH": f"{bin_dir}:/usr/bin:/bin", "ENV": ""}


def _socat(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    socat = shutil.which("socat")
    assert socat, "socat is missing: tools/setup-host installs it (tools/host-packages.txt)"
    return subprocess.Popen([socat, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait(condition: Callable[[], object], what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert proc.poll() is None, f"socat ended: {proc.stderr.read().decode() if proc.stderr else ''}"
        assert time.monotonic() < deadline, f"{what}: not within 30 s"
        time.sleep(0.05)  # socat is starting


@pytest.fixture
def device_console(tmp_path: Path, shell_env: dict[str, str]) -> Iterator[str]:
    link = tmp_path / "ttyUSB-test"
    proc = _socat([f"PTY,link={link},rawer", "EXEC:sh -i,pty,setsid,ctty,stderr"], shell_env)
    _wait(link.exists, "the pseudo-terminal", proc)
    yield str(link)
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def socket_console(shell_env: dict[str, str]) -> Iterator[str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = _socat([f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr", "EXEC:sh -i,pty,setsid,ctty,stderr"], shell_env)
    # A probe connection would take socat's one client: look at the listener instead.
    _wait(lambda: f":{port:04X} " in Path("/proc/net/tcp").read_text(), "socat listening", proc)
    yield f"socket://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


@pytest.mark.parametrize("kind", ["device_console", "socket_console"])
def test_a_shell_behind_any_console_url(kind: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(kind)
    console = SerialConsole(url)
    try:
        shell = console.shell()
        shell.login(30)
        result = shell.run("echo over $((40 + 2))")
        assert result.status == 0 and result.output == "over 42\n", result
        assert shell.run("exit_code() { return 3; }; exit_code").status == 3
    finally:
        console.close()


def test_a_missing_device_is_a_clear_error_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(SimError, match=r"cannot open the console .*/ttyUSB9"):
        SerialConsole(str(tmp_path / "ttyUSB9"))
    assert time.monotonic() - started < 5  # a device is there or not: no waiting


def test_an_unknown_url_says_which_urls_work() -> None:
    with pytest.raises(SimError, match="rfc2217://HOST:PORT or socket://HOST:PORT"):
        SerialConsole("telnet://127.0.0.1:1")


@pytest.mark.parametrize("tool", ["fuzz", "soak", "bench-sharedmem"])
def test_each_tool_takes_a_device_path_and_fails_in_one_line(tool: str, tmp_path: Path) -> None:
    """A device path goes to pyserial (it used to end in a traceback)."""
    proc = subprocess.run([sys.executable, str(TOOLS / tool), "--port", str(tmp_path / "ttyUSB1")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc
    assert "Traceback" not in proc.stderr
    assert f"cannot open the console {tmp_path / 'ttyUSB1'}" in proc.stderr, proc.stderr


def test_sim_console_is_a_terminal_on_a_device_url(device_console: str) -> None:
    term = pexpect.spawn(sys.executable, [str(TOOLS / "sim"), "console", "--port", device_console], timeout=30)
    term.expect_exact(f"Connected to {device_console}; Ctrl-] quits.")
    term.send("echo $((6 * 7))done\r")
    term.expect_exact("42done")
    term.send("\x1d")  # Ctrl-]
    term.expect_exact("Disconnected.")
    term.expect(pexpect.EOF)
    term.close()
    assert term.exitstatus == 0


def test_sim_console_without_a_terminal_says_so() -> None:
    proc = subprocess.run([sys.executable, str(TOOLS / "sim"), "console", "--port", "/dev/ttyUSB-none"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc
    assert "needs a terminal" in proc.stderr, proc.stderr


def test_a_program_summary_is_its_last_json_line() -> None:
    result = Result(0, 'working\n{"ops": 10, "failures": []}\n')
    assert program_summary(result, "the fuzzer") == {"ops": 10, "failures": []}


@pytest.mark.parametrize("output", ["", "Segmentation fault\n", "Traceback (most recent call last):\n  boom\n",
                                    '{"ops": 10, "fail\n', "[1, 2]\n"])
def test_a_program_that_died_without_its_summary_is_a_clear_error(output: str) -> None:
    with pytest.raises(SimError, match="the fuzzer ended with exit status 139 before printing its summary") as e:
        program_summary(Result(139, output), "the fuzzer")
    assert (output.strip().splitlines() or ["(no output at all)"])[-1] in str(e.value)
