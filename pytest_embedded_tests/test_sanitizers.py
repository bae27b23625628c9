# SPDX-License-Identifier: MIT
"""The debug board's own checks: that the sanitizers really run in this
kernel, and, last in the debug run, that kmemleak finds no leak after every
driver, channel and fuzzer test has loaded, used and unloaded the module.
(KASAN, lockdep, DEBUG_ATOMIC_SLEEP and DEBUG_OBJECTS report in the kernel
log, which the `linux` fixture checks after every test.)"""

import pytest

from pytest_embedded_tests.dut import ZynqLinuxDut

pytestmark = pytest.mark.debug_board

KMEMLEAK = "/sys/kernel/debug/kmemleak"
MOUNT_DEBUGFS = "grep -q ' /sys/kernel/debug debugfs ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug"


def test_the_debug_kernel_runs_its_sanitizers(linux: ZynqLinuxDut) -> None:
    boot_log = linux.check("dmesg | head -400")
    assert "Kernel address sanitizer initialized" in boot_log, boot_log
    linux.check(MOUNT_DEBUGFS)
    assert "kmemleak" in linux.check("ls /sys/kernel/debug/").split()
    assert "lock dependency validator" in linux.check("dmesg | grep -i 'lock dependency validator' || true").lower()


def test_kmemleak_finds_no_leak(linux: ZynqLinuxDut) -> None:
    linux.check(MOUNT_DEBUGFS)
    # Two scans, as kmemleak's documentation advises: an object is reported
    # only once it has looked unreferenced for a whole scan interval.
    linux.check(f"echo scan > {KMEMLEAK}", timeout=600)
    linux.check(f"echo scan > {KMEMLEAK}", timeout=600)
    report = linux.check(f"cat {KMEMLEAK}")
    assert report.strip() == "", f"kmemleak reports leaks:\n{report}"
