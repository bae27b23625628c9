# SPDX-License-Identifier: MIT
"""tools/setup-host, what the README's two commands run first on a new
machine: it stops on a host that is not Debian 12 before changing anything,
installs what is missing, and names what failed and what to rerun. (That the
package list really installs on a fresh Debian 12 is CI's `tools/test
--fresh`, in a root made afresh for each run.)"""

import os
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent
SETUP_HOST = TOOLS / "setup-host"


@pytest.fixture
def fake_system(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Stand-ins for the commands that change the system: each records its
    call in calls.log and fails, so a test sees every change that was tried.
    dpkg-query says nothing is installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.log"
    for name in ("apt-get", "sudo", "tee", "dpkg-query", "pip"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> {calls}\nexit 1\n')
        script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return calls, env


def _os_release(tmp_path: Path, text: str) -> str:
    path = tmp_path / "os-release"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("release", ['ID=ubuntu\nVERSION_ID="24.04"\n', 'ID=debian\nVERSION_ID="11"\n',
                                     'ID=debian\nVERSION_ID="13"\n', ""])
@pytest.mark.parametrize("args", [[], ["--packages-only"]])
def test_a_host_that_is_not_debian_12_is_refused_before_anything_changes(
        release: str, args: list[str], tmp_path: Path, fake_system: tuple[Path, dict[str, str]]) -> None:
    calls, env = fake_system
    env["SHAREDMEM_OS_RELEASE"] = _os_release(tmp_path, release)
    proc = subprocess.run([str(SETUP_HOST), *args], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert "support Debian 12 (bookworm) only" in proc.stderr and "changed nothing here" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr  # one line
    assert not calls.exists(), calls.read_text()  # nothing was tried


def test_debian_12_passes_the_check(tmp_path: Path, fake_system: tuple[Path, dict[str, str]]) -> None:
    calls, env = fake_system
    env["SHAREDMEM_OS_RELEASE"] = _os_release(tmp_path, 'ID=debian\nVERSION_ID="12"\n')
    assert subprocess.run([str(SETUP_HOST), "--check-os"], env=env, timeout=60).returncode == 0
    assert not calls.exists()


def test_a_failed_install_names_what_failed_and_the_command_to_rerun(
        tmp_path: Path, fake_system: tuple[Path, dict[str, str]]) -> None:
    """apt-get fails (an unreachable archive, a missing suite, a full disk):
    the last line says so and what to run again."""
    calls, env = fake_system
    env["SHAREDMEM_OS_RELEASE"] = _os_release(tmp_path, 'ID=debian\nVERSION_ID="12"\n')
    env["SHAREDMEM_RERUN"] = "./tools/sim demo"
    proc = subprocess.run([str(SETUP_HOST), "--packages-only"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("setup-host: apt-get install failed") and last.endswith("then rerun ./tools/sim demo"), \
        proc.stderr
    assert "apt-get install" in calls.read_text()


def test_the_package_list_names_each_backports_dependency_with_its_suite() -> None:
    """apt resolves a backports package's dependencies from bookworm unless
    they are named with the suite: QEMU 10 needs its own common and data
    packages (a fresh machine said "held broken packages")."""
    entries = [line.split()[0] for line in (TOOLS / "host-packages.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for pkg in ("qemu-system-arm", "qemu-system-common", "qemu-system-data"):
        assert f"{pkg}/bookworm-backports" in entries
    # what a minimal Debian lacks and the builds and tests need
    for pkg in ("gcc", "libc6-dev", "libc6-dev-armhf-cross", "procps", "python3-venv", "python3-serial"):
        assert pkg in entries, pkg


def test_fresh_root_needs_a_command() -> None:
    proc = subprocess.run([str(TOOLS / "fresh-root")], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "usage: tools/fresh-root" in proc.stderr

