# SPDX-License-Identifier: MIT
"""shmem-helper's command line and CPU1 control, on the host: a plain file
stands in for a node, a fake sysfs tree for remoteproc."""

import errno
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from shmem_helper.cpu1 import Cpu1, Cpu1Error

PKG = (Path(__file__).resolve().parents[2] / "meta-sharedmem/recipes-devtools/python/python3-shmem-helper/"
       "python3-shmem-helper")


def cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "shmem_helper.cli", *args], input=stdin, capture_output=True,
                          cwd=PKG)


@pytest.fixture
def node(tmp_path: Path) -> Path:
    path = tmp_path / "region"
    path.write_bytes(bytes(range(256)) * 16)  # 4 KiB
    return path


def test_dump_and_read(node: Path) -> None:
    out = cli("dump", str(node), "-o", "16", "-n", "16")
    assert out.returncode == 0
    assert out.stdout.decode().startswith("00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |")
    out = cli("read", str(node), "-o", "0x100", "-n", "4", "--json")
    assert out.returncode == 0 and json.loads(out.stdout) == {"offset": 256, "length": 4, "hex": "00010203"}


def test_write_and_fill(node: Path) -> None:
    assert cli("write", str(node), "-o", "8", stdin=b"hello").returncode == 0
    assert node.read_bytes()[8:13] == b"hello"
    assert cli("fill", str(node), "--byte", "0xAA", "-o", "4096", "-n", "0").returncode == 0
    assert cli("fill", str(node), "--byte", "0xAA", "-n", "4").returncode == 0
    assert node.read_bytes()[:4] == b"\xaa" * 4


def test_bad_input_is_one_line_and_loses_nothing(node: Path) -> None:
    before = node.read_bytes()
    out = cli("write", str(node), "-o", "4090", stdin=b"0123456789")
    assert out.returncode == 1
    lines = out.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("shmem-helper: ") and "nothing was written" in lines[0]
    assert node.read_bytes() == before
    out = cli("read", str(node), "-o", "5000")
    assert out.returncode == 1 and b"past the end" in out.stderr and b"Traceback" not in out.stderr
    for bad in (["read", str(node), "-o", "-1"], ["fill", str(node), "--byte", "300"], ["frobnicate"]):
        assert cli(*bad).returncode == 2, bad
    out = cli("dump", str(node.parent / "missing"))
    assert out.returncode == 1 and b"modprobe sharedmem" in out.stderr


def fake_remoteproc(root: Path, name: str = "zynq-cpu1", state: str = "offline") -> Path:
    for i, n in enumerate(("other-dsp", name)):
        d = root / f"remoteproc{i}"
        d.mkdir(parents=True)
        (d / "name").write_text(n + "\n")
        (d / "state").write_text(state + "\n")
        (d / "firmware").write_text("sharedmem-cpu1.elf\n")
    return root / "remoteproc1"


class KernelCpu1(Cpu1):
    """Cpu1 over a fake tree whose `state` file answers writes as Linux
    6.12's remoteproc does (remoteproc_sysfs.c state_store, rproc_boot and
    rproc_shutdown in remoteproc_core.c): `start` counts one more user and
    boots only the first (on a crashed CPU1, whose user count is still 1, it
    returns 0 and boots nothing); `stop` is EINVAL unless CPU1 runs. What
    reaches the file goes through Cpu1's own write first; `writes` records it."""

    def __init__(self, sysfs: Path, *, power: int = 0, crash_on_boot: bool = False):
        super().__init__(sysfs)
        self.power = power  # rproc->power
        self.crash_on_boot = crash_on_boot  # the payload dies right after it reported ready
        self.writes: list[tuple[str, str]] = []

    def _sysfs_write(self, attribute: str, value: str) -> None:
        state = (self.path / "state").read_text().strip()
        if attribute == "state" and value == "stop" and state not in ("running", "attached"):
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        super()._sysfs_write(attribute, value)
        self.writes.append((attribute, value))
        if attribute != "state":
            return
        if value == "start":
            self.power += 1
            if self.power == 1:
                state = "crashed" if self.crash_on_boot else "running"
        elif value == "stop":
            self.power -= 1
            if self.power == 0:
                state = "offline"
        (self.path / "state").write_text(state + "\n")


def test_cpu1_is_found_by_name_and_started_through_sysfs(tmp_path: Path) -> None:
    instance = fake_remoteproc(tmp_path / "sys")
    firmware = tmp_path / "lib-firmware"
    firmware.mkdir()
    (firmware / "other.elf").write_bytes(b"\x7fELF")
    cpu1 = Cpu1(tmp_path / "sys", firmware_dirs=(firmware,))
    assert cpu1.path == instance and cpu1.state() == "offline"
    cpu1.set_firmware(str(firmware / "other.elf"))
    assert (instance / "firmware").read_text() == "other.elf"
    kernel = KernelCpu1(tmp_path / "sys")
    kernel.start()
    assert kernel.writes == [("state", "start")] and kernel.state() == "running" and kernel.power == 1
    assert kernel.stop() is True and kernel.state() == "offline" and kernel.power == 0


def test_a_crashed_cpu1_is_neither_started_nor_stopped_but_said_how_to_recover(tmp_path: Path) -> None:
    """remoteproc leaves `crashed` when recovery is disabled or failed: a start
    would return 0 and boot nothing, a stop is EINVAL with nothing in dmesg."""
    import shmem_helper

    instance = fake_remoteproc(tmp_path / "sys", state="crashed")
    (instance / "recovery").write_text("disabled\n")
    cpu1 = KernelCpu1(tmp_path / "sys", power=1)
    for call in (cpu1.start, cpu1.stop):
        with pytest.raises(shmem_helper.Cpu1Crashed) as e:
            call()
        text = str(e.value)
        assert "CPU1 crashed and was not recovered (its recovery is disabled" in text, text
        assert f"echo recover > {instance / 'recovery'}" in text, text
        assert "/sys/kernel/debug/remoteproc/remoteproc1/recovery" in text, text
        assert "modprobe sharedmem" in text and "Invalid argument" not in text, text
    assert cpu1.writes == [] and cpu1.power == 1, "remoteproc was asked to start or stop a crashed CPU1"
    (instance / "state").write_text("suspended\n")  # another state remoteproc stops nothing in: no dmesg either
    with pytest.raises(shmem_helper.InvalidArgument, match="refused `stop` while CPU1 is suspended") as refused:
        cpu1.stop()
    assert "dmesg" not in str(refused.value)
    (instance / "state").write_text("crashed\n")

    out = subprocess.run([sys.executable, "-c", "import sys\nfrom pathlib import Path\n"
                          "from shmem_helper import cli\nfrom shmem_helper.cpu1 import Cpu1\n"
                          f"cli.Cpu1 = lambda: Cpu1(Path({str(tmp_path / 'sys')!r}))\n"
                          "sys.exit(cli.main(sys.argv[1:]))", "start"], capture_output=True, cwd=PKG)
    assert out.returncode == 1 and out.stdout == b"", out
    assert out.stderr.decode().count("\n") == 1 and b"crashed and was not recovered" in out.stderr, out.stderr


def test_start_says_cpu1_runs_only_when_remoteproc_says_so(tmp_path: Path) -> None:
    import shmem_helper

    instance = fake_remoteproc(tmp_path / "sys")
    (instance / "recovery").write_text("enabled\n")
    cpu1 = KernelCpu1(tmp_path / "sys", crash_on_boot=True)
    cpu1.recovery_wait = 0.2
    with pytest.raises(shmem_helper.Cpu1Crashed, match="its recovery failed, or took more than 0.2 s"):
        cpu1.start()
    (instance / "state").write_text("offline\n")  # a start remoteproc took and did not boot: a user counted
    cpu1 = KernelCpu1(tmp_path / "sys", power=1)
    with pytest.raises(shmem_helper.Cpu1NotRunning, match="remoteproc took the start but says CPU1 is offline"):
        cpu1.start()


@pytest.mark.parametrize("call", ["start", "stop"])
def test_a_recovery_under_way_is_waited_for(tmp_path: Path, call: str) -> None:
    """remoteproc shows `crashed` from a crash report until its recovery is
    done (a stop and a start: seconds on the debug board), and a write to
    `state` waits for it on remoteproc's lock. A stop (a test's clean-up, a
    teardown script) in that window must wait too, then act on what the
    recovery left, not fail because it looked too early."""
    import shmem_helper

    instance = fake_remoteproc(tmp_path / "sys", state="crashed")
    (instance / "recovery").write_text("enabled\n")
    cpu1 = KernelCpu1(tmp_path / "sys", power=1)
    recovered = threading.Timer(0.3, lambda: (instance / "state").write_text("running\n"))
    recovered.start()
    try:
        if call == "stop":
            assert cpu1.stop() is True
            assert cpu1.writes == [("state", "stop")] and cpu1.state() == "offline"
        else:
            with pytest.raises(shmem_helper.Busy, match="CPU1 already runs"):
                cpu1.start()
            assert cpu1.writes == []
    finally:
        recovered.cancel()


def test_stop_stops_cpu1_that_remoteproc_counted_twice(tmp_path: Path) -> None:
    """A `start` written while CPU1 ran (one that raced a recovery: it saw
    "offline" between the recovery's stop and start) left remoteproc counting
    two users; one `stop` only lowered the count and CPU1 ran on, while
    `shmem-helper stop` said it halted (the debug board's flood case, then
    EBUSY on the next firmware change)."""
    fake_remoteproc(tmp_path / "sys", state="running")
    cpu1 = KernelCpu1(tmp_path / "sys", power=2)
    assert cpu1.stop() is True
    assert cpu1.writes == [("state", "stop")] * 2 and cpu1.state() == "offline" and cpu1.power == 0


def test_cpu1_errors_say_what_to_do(tmp_path: Path) -> None:
    import shmem_helper

    with pytest.raises(shmem_helper.NotFound, match="modprobe sharedmem"):
        Cpu1(tmp_path / "nothing")
    instance = fake_remoteproc(tmp_path / "sys", state="running")
    cpu1 = Cpu1(tmp_path / "sys", firmware_dirs=(tmp_path,))
    assert cpu1.state() is shmem_helper.RemoteprocState.RUNNING
    with pytest.raises(shmem_helper.NotFound, match="no firmware 'missing.elf'"):
        cpu1.start("missing.elf")
    with pytest.raises(shmem_helper.Busy, match="already runs"):
        cpu1.start()
    with pytest.raises(Cpu1Error):  # the former name still catches them
        cpu1.start()
    (instance / "state").write_text("rebooting\n")
    with pytest.raises(shmem_helper.Error, match="unknown to this library"):
        cpu1.state()


# -- the command line's contract: options anywhere, JSON failures, exit statuses, help

@pytest.mark.parametrize("unbuffered", ["", "1"])
@pytest.mark.parametrize("command", [["read"], ["dump"], ["read", "--json"]])
def test_a_reader_that_leaves_early_ends_the_command_quietly(tmp_path: Path, command: list[str],
                                                             unbuffered: str) -> None:
    """`shmem-helper read NODE | head`: a real pipe whose reader closes it
    after a few bytes; the command stops with 141 (128 + SIGPIPE), no
    traceback, whether stdout is buffered or not (PYTHONUNBUFFERED: a raw
    stdout, whose write may take part of the data and say nothing)."""
    big = tmp_path / "big"
    big.write_bytes(bytes(range(256)) * 8192)  # 2 MiB: far more than a pipe holds
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
    proc = subprocess.Popen([sys.executable, "-m", "shmem_helper.cli", command[0], str(big), *command[1:]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PKG, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    assert len(proc.stdout.read(16)) == 16
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(30) == 141 and err == b"", err.decode()

def test_global_options_go_before_or_after_the_command(node: Path) -> None:
    before = cli("--json", "read", str(node), "-n", "4")
    after = cli("read", str(node), "-n", "4", "--json")
    assert before.returncode == after.returncode == 0
    assert json.loads(before.stdout) == json.loads(after.stdout) == {"offset": 0, "length": 4, "hex": "00010203"}
    assert cli("--debug", "dump", str(node), "-n", "16").returncode == 0


def test_json_failures_are_json_objects(node: Path) -> None:
    out = cli("--json", "dump", str(node.parent / "missing"))
    assert out.returncode == 1
    assert json.loads(out.stdout) == {"error": out.stderr.decode().strip().removeprefix("shmem-helper: "), "exit": 1}
    assert "modprobe sharedmem" in json.loads(out.stdout)["error"]
    out = cli("write", str(node), "-o", "4090", "--json", stdin=b"0123456789")
    assert out.returncode == 1 and json.loads(out.stdout)["exit"] == 1
    for usage in (["--json", "frobnicate"], ["read", str(node), "-o", "-1", "--json"], ["--json"]):
        out = cli(*usage)
        assert out.returncode == 2, usage
        assert json.loads(out.stdout)["exit"] == 2 and out.stderr.startswith(b"usage: "), usage


def test_usage_errors_exit_2_and_expected_failures_exit_1(node: Path, tmp_path: Path) -> None:
    out = cli("send", "2", "--hex", "zz")  # parsed before any channel is opened
    assert out.returncode == 2 and b"not hexadecimal" in out.stderr
    out = cli("write", str(node), str(tmp_path / "no-such-input"))
    assert out.returncode == 1 and b"reading" in out.stderr and b"Traceback" not in out.stderr


def test_a_bug_shows_its_traceback_and_debug_shows_an_expected_one(node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shmem_helper import Error
    from shmem_helper import cli as shmem_cli

    def bug(args: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(shmem_cli, "cmd_info", bug)
    with pytest.raises(ZeroDivisionError):
        shmem_cli.main(["info", str(node)])
    with pytest.raises(Error, match="modprobe"):
        shmem_cli.main(["--debug", "dump", str(node.parent / "missing")])


def test_stop_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    from shmem_helper import cli as shmem_cli

    instance = fake_remoteproc(tmp_path / "sys", state="offline")
    monkeypatch.setattr(shmem_cli, "Cpu1", lambda: Cpu1(tmp_path / "sys"))
    assert shmem_cli.main(["stop"]) == 0
    assert capsys.readouterr().out.strip() == "CPU1 was already stopped (offline)"
    assert (instance / "state").read_text() == "offline\n", "a stopped CPU1 was asked to stop"
    assert shmem_cli.main(["stop", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"state": "offline", "was_running": False}
    (instance / "state").write_text("running\n")
    kernel = KernelCpu1(tmp_path / "sys", power=1)
    assert kernel.stop() is True
    assert kernel.writes == [("state", "stop")] and (instance / "state").read_text() == "offline\n"


def test_every_exit_status_is_documented(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """What main() returns, Ctrl-C's 130 included, is in the module's doc, in --help and on the API page."""
    from shmem_helper import cli as shmem_cli

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(shmem_cli, "cmd_info", interrupted)
    assert shmem_cli.main(["info"]) == shmem_cli.EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err == "shmem-helper: interrupted\n"
    with pytest.raises(SystemExit):
        shmem_cli.main(["--help"])
    texts = {"cli.py's doc": shmem_cli.__doc__ or "", "--help": capsys.readouterr().out,
             "README.md": (PKG / "README.md").read_text()}
    for code in (0, shmem_cli.EXIT_FAILED, shmem_cli.EXIT_USAGE, shmem_cli.EXIT_INTERRUPTED,
                 shmem_cli.EXIT_BROKEN_PIPE):
        for where, text in texts.items():
            statuses = " ".join(text.split()).partition("Exit status:")[2][:400]
            assert re.search(rf"(^|,) {code} ", statuses), (code, where, statuses)


def test_every_command_shows_an_example_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    from shmem_helper import cli as shmem_cli

    commands = shmem_cli.get_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert isinstance(commands, dict), commands
    assert len(commands) >= 14
    for name in commands:
        with pytest.raises(SystemExit) as e:
            shmem_cli.main([name, "--help"])
        assert e.value.code == 0
        text = capsys.readouterr().out
        example = text.partition("\nexample:\n")[2]
        assert f"shmem-helper {name}" in example, (name, text)
