# SPDX-License-Identifier: MIT
"""The payload's fault injection (SHMEM_MSG_FAULT, src/faults.c) against the
host harness, which is built with it: each fault does what the header says,
bad fault requests are refused, and Linux's side reports every one of them
clearly and recovers. The same faults run on the board against the real
driver (pytest_embedded_tests/test_cpu1_faults.py)."""

import mmap
import time

import pytest
import shmem_helper
from channel_support import Harness, put, recovers
from shmem_helper import channel as C
from shmem_helper import channel_layout as L


def fault(ch: C.Channel, kind: int, offset: int = 0, value: int = 0, count: int = 0) -> C.Message:
    return ch.request(L.SHMEM_MSG_FAULT, C._BULK.pack(kind, offset, value, count))


@pytest.mark.parametrize("kind, offset, status", [
    (0, 0, "a reserved or flags field"),
    (99, 0, "a reserved or flags field"),
    (L.SHMEM_FAULT_POKE, 2, "outside the bulk area"),          # unaligned
    (L.SHMEM_FAULT_POKE, 16 * 1024 * 1024, "outside the bulk area"),  # past the region
    (L.SHMEM_FAULT_POKE, 0xFFFFFFFC, "outside the bulk area"),
    (L.SHMEM_FAULT_RESPONSE, 0x40000, "outside the bulk area"),  # past the largest record
])
def test_bad_fault_requests_are_refused_and_change_nothing(harness: Harness, channel: C.Channel, kind: int,
                                                           offset: int, status: str) -> None:
    config = bytes(harness.mem[:64])
    with pytest.raises(C.ServiceError, match=status):
        fault(channel, kind, offset, 0xDEADBEEF)
    assert channel.echo(b"still fine") == b"still fine"
    assert bytes(harness.mem[:64]) == config
    assert 0xDEADBEEF.to_bytes(4, "little") not in bytes(harness.mem[:4096])


def test_fault_of_a_wrong_length_is_refused(channel: C.Channel) -> None:
    with pytest.raises(C.ServiceError, match="wrong payload length"):
        channel.request(L.SHMEM_MSG_FAULT, b"\x04\x00\x00\x00")


def test_poke_of_cpu1_state_is_reported_and_reset_recovers(channel: C.Channel) -> None:
    # The payload applies a poke before it rings Linux with the fault's answer.
    channel.inject_fault(L.SHMEM_FAULT_POKE, L.cpu1_field("state"), 0x0BADF00D)
    with pytest.raises(C.ChannelCorrupt, match="cpu1.state = 0xbadf00d: not a known state"):
        channel.ping()
    assert channel._get(L.host_field("error")) == L.SHMEM_CHAN_ERR_STATE
    recovers(channel)


def test_poke_of_cpu1_head_is_reported_and_reset_recovers(channel: C.Channel) -> None:
    with pytest.raises(C.ChannelCorrupt, match=r"ring\[1\].head = 0x7fffffe0"):
        # Seen while taking the fault's own answer, or by the next look
        # (before a response of CPU1's own rewrites the head).
        channel.inject_fault(L.SHMEM_FAULT_POKE, L.RING_HEAD[1], 0x7FFFFFE0)
        channel.recv(timeout=1)
    recovers(channel)


@pytest.mark.parametrize("offset, value, field", [
    (0, 0xFFFFFFF0, "msg.len"),            # header: len
    (8, 0x10, "msg.flags"),                # header: flags
    (20, 1, "msg.reserved"),               # header: reserved
    (32 + 4, 0x1234, "crc32.offset"),      # payload: the bulk offset CPU1 names
])
def test_a_corrupt_response_is_reported_and_reset_recovers(channel: C.Channel, offset: int, value: int,
                                                           field: str) -> None:
    channel.inject_fault(L.SHMEM_FAULT_RESPONSE, offset, value)
    with pytest.raises(C.ChannelCorrupt, match=f"channel corrupt: {field}"):
        channel.crc(0, 64)
    recovers(channel)


def test_a_doorbell_flood_changes_nothing(harness: Harness, channel: C.Channel) -> None:
    channel.inject_fault(L.SHMEM_FAULT_FLOOD, count=20_000)
    deadline = time.monotonic() + 30
    while channel._cpu1("doorbells_out") < 20_000:
        assert time.monotonic() < deadline, "the flood did not arrive"
        harness.wait(1)
    assert channel.echo(b"after the flood") == b"after the flood"


@pytest.mark.parametrize("kind, beating", [(L.SHMEM_FAULT_SILENT, True), (L.SHMEM_FAULT_HANG, False)])
def test_a_cpu1_that_stops_answering_times_out_and_still_halts(harness: Harness, channel: C.Channel, kind: int,
                                                               beating: bool) -> None:
    channel.inject_fault(kind)
    beat = channel._cpu1("heartbeat")
    timed_out = r"PING request 0x[0-9a-f]+: no answer from CPU1 within 0.5 s \(state ready"
    with pytest.raises(C.ChannelTimeout, match=timed_out):
        channel.ping(timeout=0.5)
    assert (channel._cpu1("heartbeat") > beat) == beating
    channel.halt()
    assert harness.proc is not None and harness.proc.wait(10) == 0


def test_a_restart_under_a_user_is_reported_not_taken_for_corruption(channel: C.Channel) -> None:
    assert channel.ping()
    put(channel._view, L.host_field("epoch"), channel._get(L.host_field("epoch")) + 1)  # as the driver's start
    put(channel._view, L.RING_HEAD[1], 0)  # the new run's indices
    with pytest.raises(shmem_helper.ChannelRestarted, match="CPU1 was restarted since this channel was opened"):
        channel.recv(timeout=1)
    assert channel._get(L.host_field("error")) == 0, "a restart is not recorded as corruption"
    with pytest.raises(shmem_helper.ChannelRestarted):
        channel.ping()


def test_a_corrupt_config_line_is_reported_and_the_mapping_can_be_closed() -> None:
    """A new user of a channel whose config line CPU1 overwrote gets the
    config error, not a BufferError from closing its mapping."""
    region = mmap.mmap(-1, 1 << 20)
    C.initialise(region)
    put(memoryview(region), L.config_field("ring[1].size"), 3)
    try:
        C.Channel(region)
    except C.ChannelCorrupt as e:
        assert "ring 1 size 0x3 is not a power of two" in str(e)
        # As ChannelLink does, while the traceback (and the failed Channel's
        # frame) is alive: BufferError if the Channel kept views of the region.
        region.close()
    else:
        pytest.fail("a corrupt config line was accepted")
