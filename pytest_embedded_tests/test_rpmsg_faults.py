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
from contextlib import nullcontext

import pytest

from .dut import ZynqLinuxDut
from .test_cpu1 import doorbell_limit, helper
from .test_cpu1_faults import FAULTS_FIRMWARE
from .test_rpmsg import cpu1_with_rpmsg, wait_for_recovery

# SHMEM_FAULT_<kind>, value, what the driver says (sharedmem-vring.c, sharedmem-rpmsg.c)
FAULTS = {
    "used-index": ("RPMSG_USED_IDX", 0, "moved vring input's used index from"),
    "used-id-out-of-range": ("RPMSG_USED_ID", 3, "on vring input, which is not out"),
    "used-id-not-lent": ("RPMSG_NOT_HEAD", 0, "on vring input, which is not out"),
    "used-length": ("RPMSG_USED_LEN", 0, "CPU1 returned 65536 bytes in buffer"),
    "header-length": ("RPMSG_MSG_LEN", 0, "whose header says 65535 bytes of data"),
    "flood": ("RPMSG_FLOOD", 0, "doorbell flood"),
}


@pytest.mark.parametrize("case", FAULTS)
def test_a_payload_that_breaks_the_rings_is_crashed_and_recovered(linux: ZynqLinuxDut, case: str) -> None:
    kind, value, expected = FAULTS[case]
    # The flood must trip the limit on an emulated board too (test_cpu1.FLOOD_TEST_LIMIT).
    limit = doorbell_limit(linux) if case == "flood" else nullcontext()
    with cpu1_with_rpmsg(linux, FAULTS_FIRMWARE) as rpmsg, limit:
        mark = f"pytest-rpmsg-fault-{case}-{os.getpid()}"
        linux.check(f"echo {mark} > /dev/kmsg")
        rpmsg.inject(kind, value)
        # The next echo carries the fault: its sender gets no reply it could
        # not trust (the device goes away under it, or nothing comes back).
        rpmsg.background("raw --sizes 100 --count 1 --timeout 30", "victim")
        summary = rpmsg.summary("victim", timeout=120)
        assert summary["corrupt"] == 0, summary
        # Recovery: the devices come back, a restarted payload echoes again.
        wait_for_recovery(linux, mark)
        log = linux.check(f"dmesg | sed -n '/{mark}/,$p'")
        assert expected in log and "recovering zynq-cpu1" in log, log
        summary = rpmsg.roundtrip("raw --sizes 1,496 --count 3 --window 2")
        assert summary["status"] == 0 and summary["messages"] == 6, summary
        result = helper(linux, "ping")
        assert result.status == 0 and "pong" in result.output, result.output


def test_a_payload_that_scribbles_over_what_linux_lent_hurts_nothing(linux: ZynqLinuxDut) -> None:
    """SCRIBBLE: with an echo, the fault payload overwrites the descriptors of
    both buffers it used (a chain into itself, an address in Linux's memory,
    4 GiB), their avail slots, and every field of the loaded resource table
    but the status. virtio_ring would follow such a chain when it frees the
    buffer (detach_buf_split() reads the flags from the ring), remoteproc
    would read the table; the driver gives neither CPU1's memory (shadow
    vrings, a one-way copy of the table). So: no crash, the echo whole, and
    with every buffer lent again twice over, RPMsg and the channel serve on."""
    with cpu1_with_rpmsg(linux, FAULTS_FIRMWARE) as rpmsg:
        mark = f"pytest-rpmsg-scribble-{os.getpid()}"
        linux.check(f"echo {mark} > /dev/kmsg")
        rpmsg.inject("RPMSG_SCRIBBLE", 0)
        summary = rpmsg.roundtrip("raw --sizes 100 --count 1")
        assert summary["status"] == 0 and summary["messages"] == 1 and summary["corrupt"] == 0, summary
        # 2 x 300 messages: each of the 256 RX and 256 TX buffers lent again at least twice.
        summary = rpmsg.roundtrip("raw --sizes 1,496 --count 300 --window 8")
        assert summary["status"] == 0 and summary["messages"] == 600, summary
        result = helper(linux, "ping")
        assert result.status == 0 and "pong" in result.output, result.output
        log = linux.check(f"dmesg | sed -n '/{mark}/,$p'")
        # (The driver names any ring it finds broken: "... vring ...".)
        assert not any(word in log for word in ("crash detected", "recovering", "vring")), log
