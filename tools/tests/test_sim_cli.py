# SPDX-License-Identifier: MIT
"""tools/sim's answers to a host that cannot run the board, and a board that
never boots: one clear line, no traceback, no QEMU left behind."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from zynqsim import board
from zynqsim.build import Images
from zynqsim.errors import SimError

SIM = Path(__file__).resolve().parent.parent / "sim"


def fake_qemu(tmp_path: Path, version_line: str) -> dict[str, str]:
    qemu = tmp_path / "qemu-system-arm"
    qemu.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    qemu.chmod(0o755)
    return {**os.environ, board.QEMU_ENV: str(qemu)}


@pytest.mark.parametrize("version_line", [
    "QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)",
    "QEMU emulator version 9.0.2",
])
def test_old_qemu_is_refused_with_what_to_install(tmp_path: Path, sim_cache: Path, version_line: str) -> None:
    proc = subprocess.run([sys.executable, SIM, "boot"], env=fake_qemu(tmp_path, version_line),
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "too old" in proc.stderr and "bookworm-backports" in proc.stderr and "qemu-system-arm" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_qemu_is_named(tmp_path: Path, sim_cache: Path) -> None:
    env = {**os.environ, board.QEMU_ENV: str(tmp_path / "no-such-dir" / "qemu-system-arm")}
    proc = subprocess.run([sys.executable, SIM, "boot"], env=env, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "qemu-system-arm is not installed" in proc.stderr and "bookworm-backports" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_board_that_never_boots_fails_in_time_and_leaves_no_qemu(tmp_path: Path, sim_cache: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\0" * 4096)  # CPU0 runs zeros: no Linux, no prompt
    images = Images(kernel=str(junk), device_tree=str(junk), initramfs=str(junk),
                    cpu0_entry=str(junk), cpu1_park=str(junk), kernel_source="", kernel_build="",
                    kernel_release="")
    images.cpu0_entry = images.cpu1_park = str(_tiny_elf(tmp_path))
    with pytest.raises(SimError, match="did not reach its login prompt within 3 s; console log: .*console.log"):
        board.boot(images, timeout=3)
    assert board.running() is None
    leftovers = subprocess.run(["pgrep", "-f", str(sim_cache)], capture_output=True, text=True).stdout
    assert leftovers == "", f"QEMU left running: {leftovers}"


def _tiny_elf(tmp_path: Path) -> Path:
    """An ELF whose code is an endless loop, so the loader can point a CPU at it."""
    src = tmp_path / "loop.S"
    src.write_text(".global _start\n_start: b _start\n")
    elf = tmp_path / "loop.elf"
    subprocess.run(["arm-none-eabi-gcc", "-nostdlib", "-Wl,-Ttext=0x100000", "-Wl,-n", "-o", elf, src], check=True)
    return elf


def test_debug_after_a_command_is_the_debug_board_and_before_it_tracebacks() -> None:
    from zynqsim import cli
    from zynqsim.build import VARIANTS

    board_args = cli.get_parser().parse_args(["build", "--debug"])
    assert (board_args.debug, cli._variant(board_args)) == (False, "debug")
    trace_args = cli.get_parser().parse_args(["--debug", "boot"])
    assert (trace_args.debug, cli._variant(trace_args)) == (True, "normal")
    assert VARIANTS["debug"] and all(f.exists() for f in VARIANTS["debug"])


def test_an_unknown_board_variant_is_refused(sim_cache: Path) -> None:
    from zynqsim.build import build

    with pytest.raises(SimError, match="no board variant 'fast': one of normal, debug"):
        build(variant="fast")
