# SPDX-License-Identifier: MIT
"""The harness itself, on the board: files and programs reach it intact, and
running a program leaves nothing behind."""

import hashlib
import os

from zynqsim.onboard import run_recorded

from pytest_embedded_tests.dut import TARGET, ZynqLinuxDut

PROBE = TARGET / "harness_probe.py"


def test_put_file_is_byte_exact(linux: ZynqLinuxDut) -> None:
    data = os.urandom(5000)
    linux.put_file("/tmp/harness-blob", data)
    try:
        assert linux.check("sha256sum /tmp/harness-blob").split()[0] == hashlib.sha256(data).hexdigest()
    finally:
        linux.check("rm /tmp/harness-blob")


def test_a_program_runs_as_another_user_with_its_arguments(linux: ZynqLinuxDut) -> None:
    result = linux.run_program(PROBE, "a b", "c", "$HOME", user="amp")
    assert result.status == 0 and result.output.strip() == "1000 ['a b', 'c', '$HOME']", result.output
    assert linux.run_program(PROBE, "--exit", "3").status == 3


def test_programs_leave_tmp_as_it_was(linux: ZynqLinuxDut) -> None:
    """A program run by the tests (as root or another user, failing or not)
    or by the tools (with the kernel log recorded) leaves /tmp as it found it."""
    before = linux.check("ls -A /tmp")
    assert linux.run_program(PROBE, "x").status == 0
    assert linux.run_program(PROBE, "--exit", "5", user="amp").status == 5
    with linux.program_file(PROBE) as remote:
        assert remote.startswith("/tmp/") and remote in linux.check("ls -A /tmp/*")
    result, alarms = run_recorded(linux.shell, PROBE, ["--exit", "4", "recorded"], timeout=60)
    assert result.status == 4 and "['recorded']" in result.output and not alarms, (result, alarms)
    assert linux.check("ls -A /tmp") == before
