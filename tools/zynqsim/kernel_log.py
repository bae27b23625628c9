# SPDX-License-Identifier: MIT
"""Which kernel log lines report a problem: the kernel's own report formats,
nothing else.

A report starts a message (after the printk prefix: a `[ seconds]`
timestamp, a `[T123]`/`[C1]` caller id, a `<level>`, or /dev/kmsg's
`level,seq,usec,flags;`), with a case-sensitive word and punctuation the
kernel prints:

    BUG: ...                      lib/bug.c, mm/kasan/report.c ("BUG: KASAN: ..."),
                                  kernel/sched ("BUG: sleeping function called ...",
                                  "BUG: scheduling while atomic"), lockdep's own BUGs
    kernel BUG at FILE:LINE!      BUG() (lib/bug.c)
    BUG CACHE (Not tainted): ...  SLUB debugging (mm/slub.c slab_bug())
    WARNING: ...                  WARN() ("WARNING: CPU: 0 PID: 1 at ...") and every
                                  lockdep report ("WARNING: possible circular locking
                                  dependency detected", "... recursive locking ...",
                                  "WARNING: suspicious RCU usage", "WARNING: inconsistent
                                  lock state", "WARNING: bad unlock balance detected!")
    Internal error: Oops ...      ARM (arch/arm/kernel/traps.c die()); "Oops: ..." elsewhere
    Unable to handle kernel ...   ARM page faults (arch/arm/mm/fault.c)
    Call trace: / Call Trace:     the stack dump that follows every report
    KASAN: / UBSAN: ...           KASAN's and UBSAN's own lines ("UBSAN: shift-out-of-bounds in ...")
    kmemleak: N new suspected memory leaks
    Kernel panic - not syncing: ...
    INFO: task X blocked for more than N seconds.   (the hung-task detector)
    rcu: INFO: rcu_sched detected stalls / self-detected stall

Look-alikes stay quiet: "debug port", "3 loops", a driver's lowercase
"warning", "Lockdep disabled", "kasan: KernelAddressSanitizer initialized",
"ODEBUG: selftest passed" (every ODEBUG report is a WARNING too).
"""

import re

# A message's printk prefix, in any of the forms the log reaches us in.
_PREFIX = r"^(?:<\d+>)?(?:\d+,\d+,\d+,[^;]*;)?(?:\[[^\]]*\]\s*)*"
_REPORTS = (
    r"BUG: ",
    r"kernel BUG at ",
    r"BUG \S+ \((?:Not tainted|Tainted: [^)]*)\): ",
    r"WARNING: ",
    r"(?:Internal error: )?Oops(?: -|:|\[#)",
    r"Unable to handle kernel ",
    r"Call [Tt]race:",
    r"KASAN: ",
    r"UBSAN: ",
    r"kmemleak: \d+ new suspected memory leaks",
    r"Kernel panic - not syncing",
    r"INFO: task \S+ blocked for more than ",
    r"rcu: INFO: rcu_\w+ (?:self-)?detected stall",
)
REPORT = re.compile(_PREFIX + "(?:" + "|".join(_REPORTS) + ")")

# A coarse, case-sensitive extended regular expression (busybox `grep -E` on
# the board) that every report line matches: it keeps the bulk of a long log
# on the board; REPORT decides.
GREP_PREFILTER = "BUG|WARNING: |Oops|Unable to handle|[Tt]race:|KASAN: |UBSAN: |kmemleak: |panic|INFO: "


def is_report(line: str) -> bool:
    """True if a kernel log line reports a kernel problem."""
    return REPORT.search(line) is not None


def reports(log: str) -> list[str]:
    """The lines of a kernel log that report a problem."""
    return [line for line in log.splitlines() if is_report(line)]
