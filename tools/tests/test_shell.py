# SPDX-License-Identifier: MIT
"""The console shell protocol against a real shell on a pseudo-terminal (echo
on, as a serial console has it), the way pyserial tests with loop://."""

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from zynqsim.errors import SimError
from zynqsim.shell import LinuxShell, ShellTimeout


def spawn_shell(program_dir: str | None = None) -> tuple[LinuxShell, pexpect.spawn]:
    child = pexpect.spawn("sh", ["-i"], env={"PS1": "# ", "PATH": "/usr/bin:/bin"}, timeout=10)

    def expect(pattern: re.Pattern[bytes], timeout: float) -> tuple[re.Match[bytes], bytes]:
        try:
            child.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT:
            raise ShellTimeout(f"timeout waiting for {pattern.pattern!r}") from None
        return child.match, child.before

    return LinuxShell(child.send, expect, program_dir=program_dir), child


@pytest.fixture
def local_shell() -> Iterator[LinuxShell]:
    shell, child = spawn_shell()
    yield shell
    child.close(force=True)


@pytest.fixture
def keeping_shell(tmp_path: Path) -> Iterator[LinuxShell]:
    """A shell that keeps the programs it runs (as the tests' board does)."""
    shell, child = spawn_shell(str(tmp_path / "programs"))
    yield shell
    child.close(force=True)


def test_status_and_output(local_shell: LinuxShell) -> None:
    result = local_shell.run("echo hello; echo world")
    assert result.status == 0 and result.output == "hello\nworld\n"
    assert local_shell.run("false").status == 1
    assert local_shell.run("exit_code() { return 7; }; exit_code").status == 7


def test_output_that_looks_like_a_marker_is_not_taken_for_one(local_shell: LinuxShell) -> None:
    result = local_shell.run("printf '<<end 0000:0>>\\n'")
    assert result.status == 0 and "<<end 0000:0>>" in result.output


def test_timeout_names_the_command(local_shell: LinuxShell) -> None:
    with pytest.raises(ShellTimeout, match="sleep 5"):
        local_shell.run("sleep 5", timeout=1)


def test_a_line_too_long_for_the_console_is_refused(local_shell: LinuxShell) -> None:
    with pytest.raises(ValueError, match="takes 1000 at most"):
        local_shell.run("echo " + "a" * 1000)


@pytest.fixture
def fake_kmsg(local_shell: LinuxShell, tmp_path: Path) -> Path:
    """A stand-in for /dev/kmsg: a FIFO that this shell keeps open for
    writing (fd 3), so that its reader sees no end of file."""
    kmsg = tmp_path / "kmsg"
    local_shell.check(f"mkfifo {kmsg} && exec 3<>{kmsg}")
    return kmsg


def test_a_recorded_kernel_log_gives_the_alarms_after_its_mark(local_shell: LinuxShell, fake_kmsg: Path) -> None:
    local_shell.check(f"echo 'WARNING: before the mark' > {fake_kmsg}")
    record = local_shell.record_kernel_log("rec-mark-1", str(fake_kmsg))
    local_shell.check(f"echo 'sharedmem: probed' > {fake_kmsg}; "
                      f"echo 'BUG: KASAN: use-after-free in sharedmem_copy_out' > {fake_kmsg}")
    local_shell.check(f"while ! grep -q KASAN {record}; do sleep 0.1; done")  # the reader's copy
    assert local_shell.recorded_kernel_log_alarms(record, "rec-mark-1") == [
        "BUG: KASAN: use-after-free in sharedmem_copy_out"]
    assert not Path(record).exists() and not Path(record + ".pid").exists(), "the recording was left behind"


def test_a_kernel_log_recorder_that_stopped_is_an_alarm(local_shell: LinuxShell, fake_kmsg: Path) -> None:
    record = local_shell.record_kernel_log("rec-mark-2", str(fake_kmsg))
    local_shell.check(f"while ! grep -q rec-mark-2 {record}; do sleep 0.1; done")
    local_shell.check(f"kill $(cat {record}.pid)")
    alarms = local_shell.recorded_kernel_log_alarms(record, "rec-mark-2")
    assert len(alarms) == 1 and "stopped early" in alarms[0], alarms


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    """A program under a name of its own (the shell puts it in /tmp)."""
    path = tmp_path / f"probe{secrets.token_hex(4)}.py"
    path.write_text("import sys\nprint('args', sys.argv[1:])\nsys.exit(len(sys.argv) - 1)\n")
    return path


def copies(program: Path) -> list[Path]:
    return sorted(Path("/tmp").glob(f"{program.stem}-*"))


def test_a_program_runs_with_its_arguments_and_leaves_no_file(local_shell: LinuxShell, probe: Path) -> None:
    result = local_shell.run_program(probe, ["a b", "$HOME", "c"])
    assert result.status == 3 and result.output.strip() == "args ['a b', '$HOME', 'c']", result
    assert local_shell.run_program(probe).status == 0
    assert copies(probe) == []


def test_a_program_file_is_removed_after_a_failure_too(local_shell: LinuxShell, probe: Path) -> None:
    with pytest.raises(RuntimeError, match="the test failed"):
        with local_shell.program_file(probe) as remote:
            assert copies(probe) == [Path(remote)] and Path(remote).read_bytes() == probe.read_bytes()
            raise RuntimeError("the test failed")
    assert copies(probe) == []


def test_put_file_is_byte_exact_compressible_or_not(local_shell: LinuxShell, tmp_path: Path) -> None:
    for name, data in (("text", b"sharedmem " * 3000), ("random", secrets.token_bytes(3000)), ("empty", b"")):
        local_shell.put_file(str(tmp_path / name), data, 0o640)
        assert (tmp_path / name).read_bytes() == data, name
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "random", "text"], "staging files left behind"


def test_a_kept_program_is_copied_once_per_content(keeping_shell: LinuxShell, probe: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    copied: list[str] = []
    put_file = keeping_shell.put_file

    def counted(remote: str, data: bytes, mode: int = 0o644) -> None:
        copied.append(remote)
        put_file(remote, data, mode)

    monkeypatch.setattr(keeping_shell, "put_file", counted)
    assert keeping_shell.run_program(probe, ["x"]).status == 1
    assert keeping_shell.run_program(probe, ["x", "y"]).output.strip() == "args ['x', 'y']"
    assert len(copied) == 1 and copies(probe) == []
    probe.write_text("print('changed')\n" + probe.read_text())
    assert "changed" in keeping_shell.run_program(probe).output
    assert len(copied) == 2 and copied[0] != copied[1]
    assert keeping_shell.program_dir is not None
    kept = sorted(p.name for p in Path(keeping_shell.program_dir).iterdir())
    assert kept == sorted(Path(c).name for c in copied), kept


def test_a_broken_copy_is_never_run(keeping_shell: LinuxShell, probe: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy that went wrong half-way (here, a line of it never reached the
    file) is not taken for the program: the next run copies it whole."""
    probe.write_text("#" + secrets.token_hex(3000) + "\n" + probe.read_text())  # its code after the padding
    check = keeping_shell.check
    typed: list[str] = []

    def lose_a_line(command: str, timeout: float = 60.0) -> str:
        typed.append(command)
        return "" if len(typed) == 4 else check(command, timeout)

    monkeypatch.setattr(keeping_shell, "check", lose_a_line)
    with pytest.raises(SimError, match="base64 -d"):
        keeping_shell.run_program(probe)
    assert typed[3].startswith("printf %s ") and typed[-1].startswith("base64 -d"), typed
    monkeypatch.setattr(keeping_shell, "check", check)
    assert keeping_shell.run_program(probe, ["z"]).output.strip() == "args ['z']"


def test_a_program_dir_someone_else_may_write_is_refused(keeping_shell: LinuxShell, probe: Path) -> None:
    assert keeping_shell.program_dir is not None
    Path(keeping_shell.program_dir).mkdir(mode=0o777)
    Path(keeping_shell.program_dir).chmod(0o777)
    with pytest.raises(SimError, match="not .*:755"):
        keeping_shell.run_program(probe)
    assert list(Path(keeping_shell.program_dir).iterdir()) == []
