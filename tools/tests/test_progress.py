# SPDX-License-Identifier: MIT
"""Long build steps report how far they are while they run (the kernel:
objects compiled against the last build's count), never minutes of silence."""

import threading
from pathlib import Path

from zynqsim.build import KERNEL_OBJECT_LINE
from zynqsim.progress import INTERVAL, LogProgress


def test_reports_come_while_the_command_runs_and_count_objects(tmp_path: Path) -> None:
    log_file = tmp_path / "build.log"
    log_file.write_text("$ make allnoconfig\n  HOSTCC  scripts/basic/fixdep\n")  # before: not counted
    reports: list[str] = []
    seen = threading.Event()

    def log(message: str) -> None:
        reports.append(message)
        if "3/10 objects" in message:
            seen.set()

    with LogProgress("kernel", log_file, KERNEL_OBJECT_LINE, log, total=10, interval=0.02) as progress:
        with open(log_file, "a") as f:
            f.write("  CC      init/main.o\n  AS      arch/arm/kernel/entry-armv.o\n  WRAP    arch/arm/include\n")
            f.write("  CC [M]  drivers/misc/sharedmem.o\n  CC      kernel/fo")  # a line still being written
            f.flush()
            assert seen.wait(30), reports
    assert progress.count == 3  # a line not yet whole is not counted
    last = [r for r in reports if "3/10" in r][-1]
    assert last.startswith("kernel: 3/10 objects (30%) after 0 min") and last.endswith("now drivers/misc/sharedmem.o")


def test_without_a_total_it_still_says_how_far(tmp_path: Path) -> None:
    log_file = tmp_path / "build.log"
    log_file.write_text("")
    with LogProgress("kernel-debug", log_file, KERNEL_OBJECT_LINE, lambda m: None, interval=60) as progress:
        log_file.write_text("  CC      mm/kasan/report.o\n")
    assert progress.count == 1
    assert progress.report().startswith("kernel-debug: 1 objects after 0 min")


def test_the_interval_keeps_a_user_waiting_less_than_15_s() -> None:
    assert INTERVAL <= 15
