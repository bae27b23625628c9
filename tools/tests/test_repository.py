# SPDX-License-Identifier: MIT
"""Repository-wide rules: every source file names its license."""

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
SOURCE_SUFFIXES = {".c", ".h", ".S", ".s", ".ld", ".lds", ".py", ".sh", ".bb", ".bbappend", ".bbclass", ".inc",
                   ".conf", ".dts", ".dtsi", ".cfg", ".yml", ".yaml", ".toml", ".rules", ".wks", ".in"}
SOURCE_NAMES = {"Makefile", "Kbuild"}


def tracked_sources() -> list[Path]:
    files = subprocess.run(["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True,
                           check=True).stdout.split()
    sources = []
    for name in files:
        path = REPO / name
        if not path.is_file():
            continue
        if path.suffix in SOURCE_SUFFIXES or path.name in SOURCE_NAMES:
            sources.append(path)
        elif path.read_bytes()[:2] == b"#!":
            sources.append(path)  # scripts without a suffix (tools/sim, tools/test, ...)
    return sources


def test_every_source_file_has_an_spdx_identifier() -> None:
    sources = tracked_sources()
    assert len(sources) > 20
    missing = [str(p.relative_to(REPO)) for p in sources
               if "SPDX-License-Identifier:" not in p.read_text(errors="replace")[:1000]]
    assert not missing, "files without an SPDX-License-Identifier line: " + ", ".join(missing)


def test_python_is_ruff_clean() -> None:
    """ruff with the repository's settings (pyproject.toml) over every Python file."""
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run([str(ruff), "check", "--config", str(REPO / "pyproject.toml"), str(REPO)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_checks_the_python_scripts_without_a_suffix() -> None:
    """ruff finds Python files by their suffix: the scripts without one
    (tools/sim, tools/flash-sd, ...) are named in pyproject.toml's
    extend-include, and none may be missing from it."""
    ruff = Path(sys.executable).parent / "ruff"
    checked = set(subprocess.run([str(ruff), "check", "--show-files", "--config", str(REPO / "pyproject.toml"),
                                  str(REPO)], capture_output=True, text=True, check=True).stdout.split())
    scripts = [p for p in tracked_sources() if p.suffix == "" and p.read_bytes().startswith(b"#!/usr/bin/env python3")]
    assert len(scripts) >= 5
    assert not [str(p) for p in scripts if str(p) not in checked]


def mypy_runs() -> list[list[Path]]:
    """Every Python file, in as few mypy runs as module names allow: a script
    without a suffix is module __main__ (one run each), and tools/tests
    (whose modules pytest imports by their bare names) has a conftest of its
    own beside the repository's."""
    files = python_files()
    scripts = [p for p in files if p.suffix == ""]
    tests = [p for p in files if p.parent == REPO / "tools" / "tests"]
    rest = [p for p in files if p not in scripts and p not in tests]
    return [rest, tests, *([s] for s in scripts)]


def test_every_python_file_is_mypy_strict(tmp_path: Path) -> None:
    """mypy --strict, with the repository's settings (pyproject.toml: the paths
    pytest imports from, the untyped packages), over every Python file: the
    tools and their scripts, the tests, the board programs, shmem_helper."""
    runs = mypy_runs()
    assert sum(len(r) for r in runs) == len(python_files()) > 80
    assert len(runs) >= 2 + 6, "the scripts without a suffix (tools/sim, tools/flash-sd, ...) each get a run"
    mypy = Path(sys.executable).parent / "mypy"
    failed = []
    for files in runs:
        proc = subprocess.run([str(mypy), "--strict", "--config-file", str(REPO / "pyproject.toml"),
                               "--cache-dir", str(tmp_path / "cache"), *map(str, files)],
                              capture_output=True, text=True, cwd=tmp_path)
        if proc.returncode != 0:
            failed.append(proc.stdout + proc.stderr)
    assert not failed, "\n".join(failed)


def python_files() -> list[Path]:
    """Every tracked Python file: by suffix, or a script by its shebang."""
    return [p for p in tracked_sources()
            if p.suffix == ".py" or (p.suffix == "" and p.read_bytes().startswith(b"#!/usr/bin/env python3"))]


def test_no_python_file_changes_sys_path() -> None:
    """Imports resolve without path edits: tests through pytest's `pythonpath`
    (pyproject.toml), scripts through their own directory, which Python puts
    first on the path (tools/ holds tools/zynqsim)."""
    files = python_files()
    assert len(files) > 50
    edits = [f"{p.relative_to(REPO)}:{n}: {line.strip()}" for p in files
             for n, line in enumerate(p.read_text().splitlines(), 1)
             if re.search(r"sys\.path\s*(\.(insert|append|extend)|\[|\+?=)", line)]
    assert not edits, "\n".join(edits)


@pytest.mark.parametrize("script, args, said", [
    ("tools/sim", ["--help"], "usage: sim"),
    ("tools/fuzz", ["--help"], "usage: fuzz"),
    ("tools/soak", ["--help"], "usage: soak"),
    ("tools/bench-sharedmem", ["--help"], "usage: bench-sharedmem"),
    ("tools/flash-sd", ["--help"], "usage: flash-sd"),
    ("tools/sim-uart", [], "usage: sim-uart HOST:PORT"),
])
def test_the_python_scripts_start_from_anywhere(script: str, args: list[str], said: str, tmp_path: Path) -> None:
    """Each script imports what it needs run from another directory, by the
    system's python3 (as `./tools/sim demo` runs on a fresh Debian 12) and
    without PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(["/usr/bin/python3", str(REPO / script), *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)
    assert said in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


def program_strings(path: Path) -> list[str]:
    """String literals of a file that hold a Python program (more than one
    line that compiles and imports something) or run one (`python3 -c`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if "python3 -c" in text or "python -c" in text:
            found.append(f"{path.relative_to(REPO)}:{node.lineno}: python -c")
            continue
        if text.count("\n") < 2:
            continue
        try:
            tree = ast.parse(textwrap.dedent(text))
        except SyntaxError:
            continue
        if any(isinstance(n, ast.Import | ast.ImportFrom) for n in ast.walk(tree)):
            found.append(f"{path.relative_to(REPO)}:{node.lineno}: a program in a string: {text.splitlines()[0]}")
    return found


# Programs in strings that run on the host, not on the board: each says why.
HOST_PROGRAM_STRINGS = {
    # a test of the child pytest session that test_farm.py interrupts with Ctrl-C
    ("pytest_embedded_tests/test_farm.py", "import time"),
}


def test_board_programs_are_files_not_strings() -> None:
    """What runs on the board is a file of pytest_embedded_tests/target/
    (linted and typed with the rest), never a string in a test or a tool."""
    files = [p for p in python_files() if "target" not in p.parts and "tests" not in p.parts[-2:-1]]
    assert any(p.name == "test_sharedmem_driver.py" for p in files) and any(p.name == "bench-sharedmem" for p in files)
    found = [f for p in files for f in program_strings(p)
             if (f.split(":")[0], f.split(": ")[-1]) not in HOST_PROGRAM_STRINGS]
    assert not found, "\n".join(found)


def test_every_on_board_test_runs_in_a_session_of_tools_test() -> None:
    """tools/test names its on-board sessions' files and tests one by one: a
    new test file, or a test renamed, must not drop out of every run unseen."""
    script = (REPO / "tools" / "test").read_text()
    named = re.findall(r'"\$t/(test_\w+\.py)(?:::(\w+))?"', script)
    assert named, "no on-board test named in tools/test"
    files = sorted(p.name for p in (REPO / "pytest_embedded_tests").glob("test_*.py"))
    assert sorted({f for f, _ in named}) == files, "files tools/test does not run, or runs without them existing"
    for file, test in named:
        if test:
            source = (REPO / "pytest_embedded_tests" / file).read_text()
            assert re.search(rf"^def {test}\(", source, re.MULTILINE), f"tools/test names {file}::{test}, not there"
