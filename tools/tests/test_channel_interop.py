# SPDX-License-Identifier: MIT
"""Linux's side of the channel (shmem_helper.channel) against the payload's
own protocol code (ring.c, channel.c, services.c, crc32.c) built for the host
and run as a separate process on a shared file (test/host_cpu1.c), with the
doorbells as pipes: nothing busy-polls."""

import os
import random
import time
import zlib
from collections import deque
from collections.abc import Callable

import pytest
import shmem_helper
from channel_support import Harness
from shmem_helper import channel as C
from shmem_helper import channel_layout as L

ROUND_TRIPS = 100_000


def test_start_validates_and_reports_ready(harness: Harness) -> None:
    harness.wait_for_log("waiting for Linux: no valid control block")
    assert not any(harness.mem), "CPU1 wrote into a region without a control block"
    C.initialise(harness.mem)
    harness.notify()
    with C.Channel(harness.mem, wait=harness.wait, notify=harness.notify) as channel:
        channel.wait_ready()
        status = channel.status()
    assert status.state == C.Cpu1State.READY
    assert status.fw_version == "0.1.0"
    assert status.reset_ack == status.reset_gen
    harness.wait_for_log("channel ready")  # logged right after READY
    assert status.doorbells_out >= 1  # READY rang Linux


def test_ping_returns_sequence_and_counters(channel: C.Channel) -> None:
    first = channel.ping()
    second = channel.ping()
    assert second.seq == (first.seq + 1) & 0xFFFFFFFF
    assert first.fw_version == "0.1.0"
    assert second.rx_msgs == first.rx_msgs + 1
    assert second.tx_msgs == first.tx_msgs + 1


def test_heartbeat_advances(channel: C.Channel) -> None:
    before = channel.status().heartbeat
    deadline = time.monotonic() + 5
    while channel.status().heartbeat < before + 3:
        assert time.monotonic() < deadline, "heartbeat does not advance"
        time.sleep(0.01)  # the harness ticks every 10 ms


@pytest.mark.parametrize("size", [0, 1, 4096, "capacity"])
def test_echo(channel: C.Channel, size: int | str) -> None:
    n = channel.capacity if size == "capacity" else int(size)
    data = os.urandom(n)
    assert channel.echo(data) == data


def test_echo_of_capacity_plus_one_is_refused_cleanly(channel: C.Channel) -> None:
    head = channel._get(L.RING_HEAD[0])
    with pytest.raises(shmem_helper.MessageTooLarge, match=f"at most {channel.capacity} bytes"):
        channel.echo(bytes(channel.capacity + 1))
    assert channel._get(L.RING_HEAD[0]) == head, "nothing may be written to the ring"
    assert channel.echo(b"still fine") == b"still fine"


def test_echo_wraps_around_with_pad_records(channel: C.Channel) -> None:
    rng = random.Random(4)
    for _ in range(300):
        data = rng.randbytes(rng.randrange(0, 20_000))
        assert channel.echo(data) == data
    assert channel.stats().pad_records > 0


def test_a_pad_published_without_room_for_the_response_rings_linux(harness: Harness, channel: C.Channel) -> None:
    """CPU1 pads to the end of its ring when a response does not fit before
    it, then finds no room for the response until Linux consumes the PAD.
    Linux sleeps until it is rung, so the PAD must ring: else both sides wait
    for each other until the request times out (a CI failure, 2026-11-22)."""
    assert channel.echo(b"x" * 100) == b"x" * 100  # both rings' positions leave 0
    base, size = channel._ring(L.SHMEM_CHAN_RING_TO_LINUX)
    head_before = channel._get(L.RING_HEAD[1])
    harness.wait(0)  # drain the doorbells of the first echo
    rung_before = harness.doorbells_in
    data = os.urandom(channel.capacity)
    channel.send(L.SHMEM_MSG_ECHO, data)
    deadline = time.monotonic() + 10
    while channel._get(L.RING_HEAD[1]) == head_before:
        assert time.monotonic() < deadline, "CPU1 did not pad its ring"
        harness.wait(0.05)
    assert channel._get(L.RING_HEAD[1]) == (head_before + size - head_before % size) & 0xFFFFFFFF, \
        "CPU1 published more than the PAD: the response had room"
    while harness.doorbells_in == rung_before:
        assert time.monotonic() < deadline, "CPU1 published a PAD and never rang Linux"
        harness.wait(deadline - time.monotonic())
    assert channel.recv().payload == data


def test_consuming_a_pad_rings_cpu1() -> None:
    """The other half: CPU1 may be waiting for the room a PAD held; Linux
    rings it once the PAD is consumed, not leaving it to CPU1's next tick."""
    mem = memoryview(bytearray(1 << 20))
    C.initialise(mem)
    rings: list[None] = []
    with C.Channel(mem, wait=C.sleep_wait(), notify=lambda: rings.append(None)) as ch:
        base, size = ch._ring(L.SHMEM_CHAN_RING_TO_LINUX)
        C._HDR.pack_into(mem, base, size - L.MSG_HDR_SIZE, L.SHMEM_MSG_PAD, 0, 0, 0, 0, 0, 0)
        ch._put(L.RING_HEAD[1], size)
        with pytest.raises(C.ChannelTimeout):
            ch.recv(timeout=0.05)
        assert ch._get(L.RING_TAIL[1]) == size, "the PAD was not consumed"
        assert len(rings) == 1, f"rang CPU1 {len(rings)} times for one consumed PAD"
        with pytest.raises(C.ChannelTimeout):
            ch.recv(timeout=0.05)
        assert len(rings) == 1, "rang CPU1 with nothing consumed"


def test_crc_of_random_bulk_data_equals_zlib(channel: C.Channel) -> None:
    rng = random.Random(1)
    data = rng.randbytes(8 * 1024 * 1024)
    channel.bulk[:len(data)] = data
    assert channel.crc(0, len(data)) == zlib.crc32(data)
    for offset, length in [(1, 0), (1, 1), (3, 5), (4097, 65_535), (len(data) - 7, 7)]:
        assert channel.crc(offset, length) == zlib.crc32(data[offset:offset + length]), (offset, length)
    end = channel.layout.bulk_size
    channel.bulk[end - 5:end] = b"tail!"
    assert channel.crc(end - 5, 5) == zlib.crc32(b"tail!")


@pytest.mark.parametrize("offset, length, pattern, step", [
    (0, 4096, 0xA5A5A5A5, 0), (1, 1001, 0x11223344, 7), (4096 * 3 + 2, 65_539, 0xFFFFFFF0, 1),
])
def test_fill_checked_from_linux(channel: C.Channel, offset: int, length: int, pattern: int, step: int) -> None:
    channel.bulk[offset - 1 if offset else 0:offset + length + 1] = b"\x5a" * (length + (2 if offset else 1))
    channel.fill(offset, length, pattern, step)
    assert bytes(channel.bulk[offset:offset + length]) == C.fill_pattern(length, pattern, step)
    assert channel.bulk[offset + length] == 0x5A, "FILL wrote past its slice"
    if offset:
        assert channel.bulk[offset - 1] == 0x5A, "FILL wrote before its slice"


def test_bulk_slices_outside_the_area_are_refused(channel: C.Channel) -> None:
    with pytest.raises(ValueError, match="outside"):
        channel.crc(channel.layout.bulk_size - 3, 4)
    # Bypassing the library's check: CPU1 refuses with a status, the channel stays usable.
    for offset, length in [(channel.layout.bulk_size, 1), (0xFFFFFFFF, 2), (16, 0xFFFFFFF0)]:
        with pytest.raises(C.ServiceError, match="outside the bulk area"):
            channel.request(L.SHMEM_MSG_FILL, C._BULK.pack(offset, length, 0, 0))
    with pytest.raises(C.ServiceError, match="unknown message type"):
        channel.request(77, b"")
    with pytest.raises(C.ServiceError, match="wrong payload length"):
        channel.request(L.SHMEM_MSG_CRC32, b"short")
    assert channel.stats().bad_requests == 5
    assert channel.ping().bad_requests == 5


def test_stats_counts(channel: C.Channel) -> None:
    channel.echo(b"x" * 100)
    s = channel.stats()
    assert s.state == C.Cpu1State.READY
    assert s.rx_msgs == s.tx_msgs == 1  # STATS itself is counted after its answer
    assert s.rx_bytes == 100 and s.tx_bytes == 100
    assert s.doorbells_in >= 2 and s.doorbells_out >= 2


def test_request_response_pairs_without_loss_duplication_or_corruption(
        channel: C.Channel, record_property: Callable[[str, object], None]) -> None:
    rng = random.Random(7)
    sizes = [rng.choice((0, 1, 8, 64, 64, 64, 300, 1500)) for _ in range(256)]
    start = time.monotonic()
    for i in range(ROUND_TRIPS):
        payload = i.to_bytes(4, "little") * (sizes[i & 255] // 4) + bytes(sizes[i & 255] % 4)
        msg = channel.request(L.SHMEM_MSG_ECHO, payload)
        assert msg.payload == payload, f"pair {i} corrupted"
    elapsed = time.monotonic() - start
    stats = channel.stats()
    assert stats.rx_msgs == stats.tx_msgs == ROUND_TRIPS
    assert channel.stale_responses == 0
    status = channel.status()
    assert status.linux_tx_msgs == status.linux_rx_msgs == ROUND_TRIPS + 1
    record_property("round_trips_per_s", round(ROUND_TRIPS / elapsed))
    print(f"{ROUND_TRIPS} request/response pairs in {elapsed:.1f} s: {ROUND_TRIPS / elapsed:.0f}/s")


def test_pipelined_requests_fill_both_rings_without_loss(channel: C.Channel) -> None:
    """Up to 400 requests in flight, more responses than the response ring
    holds: CPU1 waits for room, send waits for room, nothing is lost or reordered."""
    inflight: deque[tuple[int, bytes]] = deque()

    def check_one() -> None:
        seq, payload = inflight.popleft()
        msg = channel.recv()
        assert (msg.seq, msg.payload) == (seq, payload)

    for i in range(3000):
        if len(inflight) == 400:
            check_one()
        payload = i.to_bytes(4, "little") * 250
        inflight.append((channel.send(L.SHMEM_MSG_ECHO, payload), payload))
    while inflight:
        check_one()
    assert channel.stats().rx_msgs == 3000


def test_halt_returns_to_park_and_reports_halted(harness: Harness, channel: C.Channel) -> None:
    channel.halt()
    assert channel.status().state == C.Cpu1State.HALTED
    assert harness.proc is not None and harness.proc.wait(10) == 0
    assert "halted, back to the park loop" in harness.log()
    with pytest.raises(C.ChannelNotReady, match="CPU1 is halted"):
        channel.ping()
    # Started again (a new harness): a fresh control block, ready again.
    harness.stop()
    channel.reset()
    harness.start()
    harness.notify()
    channel.wait_ready()
    assert channel.echo(b"again") == b"again"


def test_a_user_killed_mid_transfer_leaves_the_channel_usable(harness: Harness, channel: C.Channel) -> None:
    channel.send(L.SHMEM_MSG_ECHO, b"orphan 1")
    channel.send(L.SHMEM_MSG_ECHO, b"orphan 2")
    # A new user of the same region adopts the indices and drops the stale answers.
    with C.Channel(harness.mem, wait=harness.wait, notify=harness.notify) as second:
        assert second.echo(b"next user") == b"next user"
        assert second.stale_responses == 2
