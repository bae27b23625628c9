# SPDX-License-Identifier: MIT
"""The on-target fuzzer (pytest_embedded_tests/target/sharedmem_fuzz.c),
on the host: it builds for the board warning-free, issues every ioctl of the
uapi, repeats itself from a seed, and refuses bad arguments clearly. (On the
host the driver's nodes do not exist: every open fails, which exercises the
fuzzer, not the driver; pytest_embedded_tests/test_fuzz.py runs it on the
board.)"""

import json
import re
import subprocess
from pathlib import Path

import pytest
from zynqsim import build, paths

SOURCE = paths.TARGET_PROGRAMS / "sharedmem_fuzz.c"
UAPI_HEADER = build.UAPI_INCLUDE / "misc" / "sharedmem.h"


@pytest.fixture(scope="module")
def native_fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fuzzer built for this host, with the flags of the board's build."""
    out = tmp_path_factory.mktemp("fuzz") / "sharedmem_fuzz"
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", str(build.UAPI_INCLUDE),
                    "-o", str(out), str(SOURCE)], check=True, capture_output=True, text=True)
    return out


def fuzz(program: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(program), *args], capture_output=True, text=True, timeout=120)


def test_the_fuzzer_builds_for_the_board() -> None:
    program = build.target_program("sharedmem_fuzz")
    header = program.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and header[4] == 1, "not a 32-bit ELF"
    assert int.from_bytes(header[18:20], "little") == 40, "not an ARM executable"  # EM_ARM


def test_the_fuzzer_issues_every_ioctl_of_the_uapi() -> None:
    ioctls = set(re.findall(r"#define\s+(SHAREDMEM_IOC_\w+)\s+_IO", UAPI_HEADER.read_text()))
    assert len(ioctls) >= 7, ioctls
    table = set(re.findall(r"\{\s*(SHAREDMEM_IOC_\w+),", SOURCE.read_text()))
    assert table == ioctls


def test_the_fuzzer_repeats_itself_from_a_seed(native_fuzzer: Path) -> None:
    def counts(seed: str) -> dict[str, int]:
        result = fuzz(native_fuzzer, "--seed", seed, "--ops", "4000", "--procs", "2", "--no-lifecycle")
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert result.returncode == 0 and summary["failures"] == [], result.stdout + result.stderr
        assert summary["seed"] == seed and summary["ops"] == 4000 and summary["procs"] == 2
        return dict(summary["counts"])

    first = counts("7")
    assert first["errors"] > 0, first
    assert counts("7") == first != counts("8")


@pytest.mark.parametrize("args, message", [
    (["--ops", "abc"], "--ops"),
    (["--procs", "0"], "--procs"),
    (["--bogus"], "bogus"),
])
def test_the_fuzzer_refuses_bad_arguments(native_fuzzer: Path, args: list[str], message: str) -> None:
    result = fuzz(native_fuzzer, *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert result.stdout == ""
