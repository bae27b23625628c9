# SPDX-License-Identifier: MIT
"""The console shell protocol against a real shell on a pseudo-terminal (echo
on, as a serial console has it), the way pyserial tests with loop://."""

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from zynqsim.shell import LinuxShell, ShellTimeout


@pytest.fixture
def local_shell() -> Iterator[LinuxShell]:
    child = pexpect.spawn("sh", ["-i"], env={"PS1": "# ", "PATH": "/usr/bin:/bin"}, timeout=10)

    def expect(pattern: re.Pattern[bytes], timeout: float) -> tuple[re.Match[bytes], bytes]:
        try:
            child.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT:
            raise ShellTimeout(f"timeout waiting for {pattern.pattern!r}") from None
        return child.match, child.before

    shell = LinuxShell(child.send, expect)
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
