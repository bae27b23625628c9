# SPDX-License-Identifier: MIT
"""A misbehaving CPU1, on the board: the fault-injection payload
(sharedmem-cpu1-faults.elf, SHMEM_MSG_FAULT) stops beating, takes an
undefined instruction, stops answering, floods Linux with doorbells and
writes garbage into the control block, ring indices, message lengths and
bulk offsets. Linux must survive each: the kernel reports a crash and
remoteproc's recovery restarts CPU1, users get clear errors instead of
hanging, and the channel works again after a reset or a restart."""

import os
import textwrap

import pytest

from .test_cpu1 import SYSFS, helper

FAULTS_FIRMWARE = "sharedmem-cpu1-faults.elf"


@pytest.fixture
def faults_cpu1(linux):
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


# Waits until a fresh channel answers (remoteproc's recovery restarted CPU1).
WAIT_FOR_RECOVERY = """
import time
from shmem_helper.channel import ChannelError
from shmem_helper.link import ChannelLink

def wait_for_recovery(timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with ChannelLink() as link:
                link.channel.wait_ready(timeout=5)
                return link.channel.ping()
        except ChannelError as e:  # crashed, restarting, not yet ready
            assert time.monotonic() < deadline, f"CPU1 was not recovered: {e}"
            time.sleep(0.1)  # the next look at a channel being restarted
"""


def test_the_normal_payload_has_no_fault_injection(linux):
    result = helper(linux, "start sharedmem-cpu1.elf")
    assert result.status == 0, result.output
    try:
        script = textwrap.dedent("""
            from shmem_helper import channel_layout as L
            from shmem_helper.channel import ServiceError
            from shmem_helper.link import ChannelLink
            with ChannelLink() as link:
                try:
                    link.channel.inject_fault(L.SHMEM_FAULT_HANG)
                except ServiceError as e:
                    print("refused:", e)
                assert link.channel.echo(b"alive") == b"alive"
        """)
        result = linux.run_python(script)
        assert result.status == 0, result.output
        assert "refused: CPU1 refused FAULT: unknown message type" in result.output
    finally:
        assert helper(linux, "stop").status == 0


@pytest.mark.parametrize("kind", ["HANG", "UNDEF"])
def test_a_stopped_heartbeat_is_a_crash_and_remoteproc_recovers_cpu1(faults_cpu1, kind):
    mark = f"pytest-crash-mark-{kind}-{os.getpid()}"
    faults_cpu1.check(f"echo {mark} > /dev/kmsg")
    script = WAIT_FOR_RECOVERY + textwrap.dedent(f"""
        from shmem_helper import channel_layout as L
        from shmem_helper.channel import ChannelNotReady
        with ChannelLink() as link:
            assert link.channel.ping()
            link.channel.inject_fault(L.SHMEM_FAULT_{kind})
            try:
                link.channel.ping(timeout=60)
            except ChannelNotReady as e:  # woken by the driver, not by the timeout
                print("user told:", e)
            else:
                raise SystemExit("a dead CPU1 answered")
        again = wait_for_recovery()
        assert again.rx_msgs == 0, again  # a fresh run: nothing served yet
        print("recovered, fresh run:", again)
    """)
    result = faults_cpu1.run_python(script)
    assert result.status == 0, result.output
    assert "user told: CPU1 crashed" in result.output or "user told: CPU1 was restarted" in result.output, \
        result.output
    log = faults_cpu1.check(f"dmesg | sed -n '/{mark}/,$p'")
    assert "CPU1's heartbeat stopped" in log, log
    assert "crash detected in zynq-cpu1: type watchdog" in log, log
    assert log.count(f"CPU1 runs {FAULTS_FIRMWARE}") == 1, log  # the restart
    assert "running" in faults_cpu1.check(f"cat {SYSFS}/remoteproc*/state")


HOSTILE = {
    # name: (fault arguments, what the user must be told)
    "garbage cpu1.state": ("L.SHMEM_FAULT_POKE, L.cpu1_field('state'), 0x0BADF00D",
                           "channel corrupt: cpu1.state = 0xbadf00d"),
    "garbage ring[1].head": ("L.SHMEM_FAULT_POKE, L.RING_HEAD[1], 0x7FFFFFE0",
                             "channel corrupt: ring[1].head = 0x7fffffe0"),
    "garbage message length": ("L.SHMEM_FAULT_RESPONSE, 0, 0xFFFFFFF0", "channel corrupt: msg.len = 0xfffffff0"),
    "garbage bulk offset": ("L.SHMEM_FAULT_RESPONSE, 32 + 4, 0x7FFFFFFF",
                            "channel corrupt: crc32.offset = 0x7fffffff"),
    "garbage config line": ("L.SHMEM_FAULT_POKE, L.config_field('ring[1].size'), 3", "ring 1 size 0x3"),
    "stops answering": ("L.SHMEM_FAULT_SILENT", "no answer from CPU1 within 2 s (state ready"),
    "doorbell flood": ("L.SHMEM_FAULT_FLOOD, count=200000", "recovered"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_linux_survives_a_hostile_cpu1(faults_cpu1, case):
    args, told = HOSTILE[case]
    script = WAIT_FOR_RECOVERY + textwrap.dedent(f"""
        from shmem_helper import channel_layout as L
        from shmem_helper.cpu1 import Cpu1
        with ChannelLink() as link:
            ch = link.channel
            try:
                ch.inject_fault({args})
                ch.crc(0, 4096, timeout=2)
                ch.crc(0, 4096, timeout=2)
                with ChannelLink() as fresh:  # a new user reads the config line
                    fresh.channel.ping(timeout=2)
            except ChannelError as e:
                print("user told:", e)
            try:
                ch.reset(timeout=2)
                assert ch.echo(b"after reset") == b"after reset"
                print("recovered by a reset")
            except ChannelError as e:
                print("reset failed:", e)
                cpu1 = Cpu1()
                cpu1.stop()
                cpu1.start()
                wait_for_recovery()
                print("recovered by a restart")
    """)
    result = faults_cpu1.run_python(script, timeout=300)
    assert result.status == 0, result.output
    assert told in result.output, result.output
    assert "recovered by a" in result.output, result.output
