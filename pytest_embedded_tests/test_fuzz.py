# SPDX-License-Identifier: MIT
"""The syscall fuzzer (target/sharedmem_fuzz.c) on the board, bounded:
--sharedmem-fuzz-ops operations (default 200,000) by 4 processes from a
fixed seed (--sharedmem-fuzz-seed). Its own checks (no worker killed by a
signal, data read back as written) and the kernel log (checked after every
test; on the debug board KASAN, lockdep, ...) must find nothing. A longer
run is `tools/fuzz --ops 10000000`."""

import json
from collections.abc import Callable

import pytest
from zynqsim import build as sim_build

from pytest_embedded_tests.dut import ZynqLinuxDut

from .test_cpu1 import SYSFS, helper


def test_syscall_fuzzer_finds_nothing(linux: ZynqLinuxDut, request: pytest.FixtureRequest,
                                      record_property: Callable[[str, object], None]) -> None:
    ops = request.config.getoption("sharedmem_fuzz_ops")
    seed = request.config.getoption("sharedmem_fuzz_seed")
    try:
        result = linux.run_program(sim_build.target_program("sharedmem_fuzz"), "--seed", str(seed), "--ops", str(ops),
                                   "--procs", "4", timeout=max(600.0, ops / 50))
    finally:
        if "offline" not in linux.check(f"cat {SYSFS}/remoteproc*/state"):
            helper(linux, "stop")
    summary = json.loads(result.output.strip().splitlines()[-1])
    record_property("fuzz_ops", summary["ops"])
    record_property("fuzz_seconds", summary["seconds"])
    print(f"fuzzer: {summary['ops']} operations by {summary['procs']} processes in {summary['seconds']} s, "
          f"seed {seed}: {summary['counts']}")
    assert result.status == 0 and not summary["failures"], result.output
    assert summary["ops"] >= ops - summary["procs"]
    # It did reach the driver: each kind of call ran, and many were refused.
    for call in ("open", "pread", "pwrite", "mmap", "mremap", "fork", "ioctl-ALLOC", "ioctl-RESIZE", "ioctl-FREE"):
        assert summary["counts"].get(call, 0) > 0, f"the fuzzer never called {call}"
    assert summary["counts"]["errors"] > 0
    # Worker 0 started or stopped CPU1 (or tried: a start fails when the
    # others' scribbling on the channel region keeps CPU1 from reporting ready).
    lifecycle = ("remoteproc-start", "remoteproc-stop", "remoteproc-refused")
    assert sum(summary["counts"].get(c, 0) for c in lifecycle) > 0, "the fuzzer never tried remoteproc"
