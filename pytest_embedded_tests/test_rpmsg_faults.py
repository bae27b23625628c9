# SPDX-License-Identifier: MIT
"""A hostile payload against RPMsg (issue 13), on the board: the fault
payload (sharedmem-cpu1-faults.elf) corrupts what Linux would read from its
receive ring at the next echo: the used index, a used id out of range or not
lent, a used length beyond the buffer, an rpmsg header whose length exceeds
the message, or a doorbell flood through the rings. Linux stays up (KASAN
clean on the debug board, where tools/test runs this too), the driver names
the violation, reports CPU1 crashed, and remoteproc's recovery brings the
rpmsg devices back with a payload that echoes again."""

import os
from collections.abc import Iterator

import pytest

from .test_cpu1 import SYSFS, helper
from .test_cpu1_faults import FAULTS_FIRMWARE
from .test_rpmsg import BOARD_ROUNDTRIP, ROUNDTRIP, background, roundtrip, rproc_state, summary_of, wait_for_nodes

# kind (uapi SHMEM_FAULT_RPMSG_*), value, what the driver says (sharedmem-vring.c, sharedmem-rpmsg.c)
FAULTS = {
    "used-index": (7, 0, "moved vring input's used index from"),
    "used-id-out-of-range": (8, 3, "on vring input, which is not out"),
    "used-id-not-lent": (9, 0, "on vring input, which is not out"),
    "used-length": (10, 0, "CPU1 returned 65536 bytes in buffer"),
    "header-length": (11, 0, "whose header says 65535 bytes of data"),
    "flood": (12, 0, "doorbell flood"),
}


@pytest.fixture
def faults_rpmsg(linux) -> Iterator[object]:
    """CPU1 running the fault payload, its RPMsg nodes there; stopped and the
    default payload chosen again after the test."""
    linux.put_file(BOARD_ROUNDTRIP, ROUNDTRIP.read_bytes())
    if rproc_state(linux) != "offline":
        assert helper(linux, "stop").status == 0
    result = helper(linux, f"start {FAULTS_FIRMWARE}")
    assert result.status == 0, result.output
    wait_for_nodes(linux)
    yield linux
    if rproc_state(linux) != "offline":
        result = helper(linux, "stop")
        assert result.status == 0, result.output
    linux.check(f"echo sharedmem-cpu1.elf > $(grep -l zynq-cpu1 {SYSFS}/remoteproc*/name | sed 's/name$/firmware/')")
    linux.run(f"rm -f {BOARD_ROUNDTRIP} /tmp/rpmsg-*.out /tmp/rpmsg-*.pid")


def inject(linux, kind: int, value: int) -> None:
    result = linux.run_python(
        "from shmem_helper.link import ChannelLink\n"
        f"with ChannelLink() as link:\n    link.channel.inject_fault({kind}, value={value})\n"
    )
    assert result.status == 0, result.output


@pytest.mark.parametrize("case", FAULTS)
def test_a_payload_that_breaks_the_rings_is_crashed_and_recovered(faults_rpmsg, case):
    linux = faults_rpmsg
    kind, value, expected = FAULTS[case]
    mark = f"pytest-rpmsg-fault-{case}-{os.getpid()}"
    linux.check(f"echo {mark} > /dev/kmsg")
    inject(linux, kind, value)
    # The next echo carries the fault: its sender gets no reply it could not
    # trust (the device goes away under it, or nothing comes back).
    background(linux, "raw --sizes 100 --count 1 --timeout 30", "victim")
    summary = summary_of(linux, "victim", timeout=120)
    assert summary["corrupt"] == 0, summary
    # Recovery: the devices come back, a restarted payload echoes again.
    result = linux.run("for i in $(seq 600); do dmesg | sed -n '/" + mark + "/,$p' | grep -q 'zynq-cpu1 is now up' "
                       "&& exit 0; sleep 0.1; done; exit 1", timeout=120)
    log = linux.check(f"dmesg | sed -n '/{mark}/,$p'")
    assert result.status == 0, log
    assert expected in log and "recovering zynq-cpu1" in log, log
    wait_for_nodes(linux)
    summary = roundtrip(linux, "raw --sizes 1,496 --count 3 --window 2")
    assert summary["status"] == 0 and summary["messages"] == 6, summary
    result = helper(linux, "ping")
    assert result.status == 0 and "pong" in result.output, result.output
