# SPDX-License-Identifier: MIT
"""shmem-helper's command line and CPU1 control, on the host: a plain file
stands in for a node, a fake sysfs tree for remoteproc."""

import json
import subprocess
import sys
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


def test_cpu1_is_found_by_name_and_started_through_sysfs(tmp_path: Path) -> None:
    instance = fake_remoteproc(tmp_path / "sys")
    firmware = tmp_path / "lib-firmware"
    firmware.mkdir()
    (firmware / "other.elf").write_bytes(b"\x7fELF")
    cpu1 = Cpu1(tmp_path / "sys", firmware_dirs=(firmware,))
    assert cpu1.path == instance and cpu1.state() == "offline"
    cpu1.start(str(firmware / "other.elf"))
    assert (instance / "firmware").read_text() == "other.elf"
    assert (instance / "state").read_text() == "start"


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
    assert Cpu1(tmp_path / "sys").stop() is True  # (the fake's state file then holds what was written)
    assert (instance / "state").read_text() == "stop"


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
