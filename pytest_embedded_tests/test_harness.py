# SPDX-License-Identifier: MIT
"""The harness itself, on the board: files and programs reach it intact, and
running a program leaves nothing behind but the one kept copy."""

import copy
import hashlib
import os

from zynqsim.onboard import run_recorded

from pytest_embedded_tests.dut import PROGRAM_DIR, TARGET, ZynqLinuxDut

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
    is kept in PROGRAM_DIR, one copy, and nothing else; one run by the tools
    (a shell that keeps nothing, the kernel log recorded) leaves /tmp as it
    found it."""
    linux.run_program(PROBE, "x")
    before = linux.check("ls -A /tmp")
    assert linux.run_program(PROBE, "x").status == 0
    assert linux.run_program(PROBE, "--exit", "5", user="amp").status == 5
    with linux.program_file(PROBE) as remote:
        assert remote.startswith(PROGRAM_DIR + "/")
    kept = linux.check(f"ls -A {PROGRAM_DIR} | grep -c ^{PROBE.stem}-")
    assert kept.strip() == "1", kept
    assert linux.check(f"stat -c %u:%a {PROGRAM_DIR} {remote}").split() == ["0:755", "0:755"]
    tools_shell = copy.copy(linux.shell)
    tools_shell.program_dir = None
    result, alarms = run_recorded(tools_shell, PROBE, ["--exit", "4", "recorded"], timeout=60)
    assert result.status == 4 and "['recorded']" in result.output and not alarms, (result, alarms)
    assert linux.check("ls -A /tmp") == before
