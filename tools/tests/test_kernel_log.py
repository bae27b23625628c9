# SPDX-License-Identifier: MIT
"""The kernel-log check flags the kernel's own reports and nothing else: real
report lines (as Linux 6.12 prints them, with each prefix the log reaches us
with) and harmless lines that share a word with them."""

import re

import pytest
from zynqsim import kernel_log

REPORTS = [
    "BUG: KASAN: use-after-free in sharedmem_copy_out+0x5c/0x98 [sharedmem]",
    "BUG: sleeping function called from invalid context at mm/slab.h:332",
    "BUG: scheduling while atomic: kworker/0:1/23/0x00000002",
    "BUG: spinlock bad magic on CPU#0, swapper/0/1",
    "BUG: MAX_LOCKDEP_KEYS too low!",
    "kernel BUG at lib/list_debug.c:59!",
    "BUG kmalloc-128 (Not tainted): Redzone overwritten",
    "BUG kmalloc-64 (Tainted: G    B      O      ): Poison overwritten",
    "WARNING: CPU: 0 PID: 97 at drivers/misc/sharedmem/sharedmem-cpu1.c:210 sharedmem_cpu1_stop+0x40/0x88 [sharedmem]",
    "WARNING: possible circular locking dependency detected",
    "WARNING: possible recursive locking detected",
    "WARNING: inconsistent lock state",
    "WARNING: suspicious RCU usage",
    "WARNING: bad unlock balance detected!",
    "Internal error: Oops: 17 [#1] SMP ARM",
    "Internal error: Oops - BUG: 0 [#1] SMP ARM",
    "Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP",
    "Unable to handle kernel NULL pointer dereference at virtual address 00000000 when write",
    "Unable to handle kernel paging request at virtual address e0a01000 when read",
    "Call trace: ",
    "Call Trace:",
    "KASAN: null-ptr-deref in range [0x0000000000000000-0x0000000000000007]",
    "UBSAN: shift-out-of-bounds in drivers/misc/sharedmem/sharedmem-buffer.c:120:14",
    "UBSAN: array-index-out-of-bounds in lib/string.c:10:3",
    "kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
    "Kernel panic - not syncing: Fatal exception in interrupt",
    "INFO: task shmem-helper:131 blocked for more than 122 seconds.",
    "rcu: INFO: rcu_sched self-detected stall on CPU",
    "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
]

HARMLESS = [
    "xuartps e0001000.serial: debug port is ttyPS0",
    "sharedmem: CPU1 answered after 3 loops",
    "usb 1-1: warning: device not accepting address 2",
    "Lockdep disabled: CONFIG_DEBUG_LOCK_ALLOC is off",
    "lockdep: fixed up 2 classes",
    "kasan: KernelAddressSanitizer initialized (generic)",
    "kasan: Kernel address sanitizer initialized",
    "ODEBUG: selftest passed",
    "kmemleak: Kernel memory leak detector initialized (mem pool available: 15682)",
    "kmemleak: Automatic memory scanning thread started",
    "Bluetooth: hci0: BUGGY firmware, please update",
    "sharedmem sharedmem: DEBUG_BUG_VERBOSE is off",
    "random: crng init done; no WARNINGS",
    "Kernel command line: console=ttyPS0,115200 panic=1",
    "Run /init as init process with a call trace buffer",
    "sharedmem: the payload reported Oopsie in a test string",
    "printk: console [ttyPS0] enabled; INFO: none",
]

PREFIXES = ["", "[   12.345678] ", "[   12.345678][    T1] ", "<4>[   12.345678] ", "4,1234,12345678,-;"]


@pytest.mark.parametrize("prefix", PREFIXES, ids=["bare", "dmesg", "caller-id", "level", "kmsg"])
@pytest.mark.parametrize("line", REPORTS)
def test_every_kernel_report_is_flagged(line: str, prefix: str) -> None:
    assert kernel_log.is_report(prefix + line), prefix + line


@pytest.mark.parametrize("prefix", PREFIXES, ids=["bare", "dmesg", "caller-id", "level", "kmsg"])
@pytest.mark.parametrize("line", HARMLESS)
def test_a_harmless_line_is_not_flagged(line: str, prefix: str) -> None:
    assert not kernel_log.is_report(prefix + line), prefix + line


def test_a_report_word_inside_another_message_is_not_a_report() -> None:
    # A driver quoting a report word mid-message is not the kernel's report.
    assert not kernel_log.is_report("[    3.1] sharedmem: CPU1 wrote 'BUG: x' into its log")


def test_reports_picks_the_report_lines_out_of_a_log() -> None:
    log = "\n".join(["[    1.0] " + h for h in HARMLESS] + ["[    2.0] " + REPORTS[0], "[    2.1] " + REPORTS[9]])
    assert kernel_log.reports(log) == ["[    2.0] " + REPORTS[0], "[    2.1] " + REPORTS[9]]


@pytest.mark.parametrize("line", REPORTS)
def test_the_board_side_prefilter_keeps_every_report(line: str) -> None:
    """The board greps a long recorded log with GREP_PREFILTER first
    (busybox grep -E): it must not drop a report that REPORT would flag."""
    assert re.search(kernel_log.GREP_PREFILTER, "[   12.345678] " + line), line
