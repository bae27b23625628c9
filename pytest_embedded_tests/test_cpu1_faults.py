# SPDX-License-Identifier: MIT
"""A misbehaving CPU1, on the board: the fault-injection payload
(sharedmem-cpu1-faults.elf, SHMEM_MSG_FAULT) stops beating, takes an
undefined instruction, stops answering, floods Linux with doorbells and
writes garbage into the control block, ring indices, message lengths and
bulk offsets. Linux must survive each: the kernel reports a crash and
remoteproc's recovery restarts CPU1, users get clear errors instead of
hanging, and the channel works again after a reset or a restart."""

import os
from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from pytest_embedded_tests.dut import ZynqLinuxDut

from .test_cpu1 import SYSFS, doorbell_limit, helper, run_check

FAULTS_FIRMWARE = "sharedmem-cpu1-faults.elf"


@pytest.fixture
def faults_cpu1(linux: ZynqLinuxDut) -> Iterator[ZynqLinuxDut]:
    """CPU1 running the fault-injection payload; stopped and set back to the
    default payload afterwards, whatever the test left behind."""
    if "running" in linux.check(f"cat {SYSFS}/remoteproc*/state"):
        assert helper(linux, "stop").status == 0
    result = helper(linux, f"start {FAULTS_FIRMWARE}")
    assert result.status == 0, result.output
    yield linux
    if "offline" not in linux.check(f"cat {SYSFS}/remoteproc*/state"):
        result = helper(linux, "stop")
        assert result.status == 0, result.output
    linux.check(f"echo sharedmem-cpu1.elf > $(grep -l zynq-cpu1 {SYSFS}/remoteproc*/name | sed 's/name$/firmware/')")


def test_the_normal_payload_has_no_fault_injection(linux: ZynqLinuxDut) -> None:
    result = helper(linux, "start sharedmem-cpu1.elf")
    assert result.status == 0, result.output
    try:
        result = run_check(linux, "the_normal_payload_has_no_fault_injection")
        assert result.status == 0, result.output
        assert "refused: CPU1 refused FAULT: unknown message type" in result.output
    finally:
        assert helper(linux, "stop").status == 0


@pytest.mark.parametrize("kind", ["HANG", "UNDEF"])
def test_a_stopped_heartbeat_is_a_crash_and_remoteproc_recovers_cpu1(faults_cpu1: ZynqLinuxDut, kind: str) -> None:
    mark = f"pytest-crash-mark-{kind}-{os.getpid()}"
    faults_cpu1.check(f"echo {mark} > /dev/kmsg")
    result = run_check(faults_cpu1, "a_stopped_heartbeat_is_a_crash", kind)
    assert result.status == 0, result.output
    assert "user told: CPU1 crashed" in result.output or "user told: CPU1 was restarted" in result.output, \
        result.output
    log = faults_cpu1.check(f"dmesg | sed -n '/{mark}/,$p'")
    assert "CPU1's heartbeat stopped" in log, log
    assert "crash detected in zynq-cpu1: type watchdog" in log, log
    assert log.count(f"CPU1 runs {FAULTS_FIRMWARE}") == 1, log  # the restart
    assert "running" in faults_cpu1.check(f"cat {SYSFS}/remoteproc*/state")


# What the user must be told, by hostile act (target/cpu1_checks.py's HOSTILE).
HOSTILE = {
    "garbage cpu1.state": "channel corrupt: cpu1.state = 0xbadf00d",
    "garbage ring[1].head": "channel corrupt: ring[1].head = 0x7fffffe0",
    "garbage message length": "channel corrupt: msg.len = 0xfffffff0",
    "garbage bulk offset": "channel corrupt: crc32.offset = 0x7fffffff",
    "garbage config line": "ring 1 size 0x3",
    "stops answering": "no answer from CPU1 within 2 s (state ready",
    "doorbell flood": "recovered",
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_linux_survives_a_hostile_cpu1(faults_cpu1: ZynqLinuxDut, case: str) -> None:
    told = HOSTILE[case]
    # The flood must trip the limit on an emulated board too (test_cpu1.FLOOD_TEST_LIMIT).
    limit = doorbell_limit(faults_cpu1) if case == "doorbell flood" else nullcontext()
    with limit:
        result = run_check(faults_cpu1, "linux_survives_a_hostile_cpu1", case, timeout=300)
    assert result.status == 0, result.output
    assert told in result.output, result.output
    assert "recovered by a" in result.output, result.output
