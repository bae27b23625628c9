# SPDX-License-Identifier: MIT
"""Long requests keep the heartbeat and honour a halt (issue 12, point 4).

The payload serves CRC32 and FILL in slices (64 KiB); between two slices the
heartbeat beats and a halt or reset request stops the request. On the host
the work is a hundred times faster than on CPU1, so the harness is told how
long silicon would take (SHMEM_HOST_BULK_NS_PER_BYTE, charged after each piece
of work): at 300 ns per byte a CRC over the 15 MiB bulk area takes 4.7 s,
longer than the driver's watchdog (2 s without a beat) and its stop timeout
(2 s). A payload that worked through the request in one piece would neither
beat nor look at the halt request for those 4.7 s."""

import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from channel_support import Harness, get, recovers
from shmem_helper import channel as C
from shmem_helper import channel_layout as L

NS_PER_BYTE = 300
WATCHDOG_S = 2.0  # the driver's crash timeout and stop timeout (sharedmem-cpu1.c)


@pytest.fixture
def slow(harness_binary: Path, tmp_path: Path) -> Iterator[tuple[Harness, C.Channel]]:
    h = Harness(harness_binary, tmp_path / "channel.bin", env={"SHMEM_HOST_BULK_NS_PER_BYTE": str(NS_PER_BYTE)})
    C.initialise(h.mem)
    h.notify()
    ch = C.Channel(h.mem, wait=h.wait, notify=h.notify)
    ch.wait_ready()
    yield h, ch
    ch.close()
    rc = h.stop()
    log = h.log()
    h.close()
    assert rc == 0, f"harness exited {rc}:\n{log}"


def heartbeat(h: Harness) -> int:
    return get(h.mem, L.cpu1_field("heartbeat"))


def test_the_heartbeat_advances_during_a_long_request(slow: tuple[Harness, C.Channel]) -> None:
    h, ch = slow
    size = ch.layout.bulk_size
    seq = ch.send(L.SHMEM_MSG_CRC32, C._BULK.pack(0, size, 0, 0))
    start = time.monotonic()
    beats = []
    # Sample the heartbeat for 3 s, while the 4.7 s request is being served.
    while time.monotonic() - start < 3.0:
        beats.append(heartbeat(h))
        assert get(h.mem, L.cpu1_field("tx_msgs")) == 0, "the request was answered early: not a long request"
        time.sleep(0.25)  # the sampling period of a watchdog
    gaps = [b - a for a, b in zip(beats, beats[1:], strict=False)]
    assert all(gap > 0 for gap in gaps), f"the heartbeat stalled during the request: {beats}"
    msg = ch.recv(timeout=10)
    assert msg.seq == seq and msg.status == L.SHMEM_STATUS_OK
    assert int.from_bytes(msg.payload[:4], "little") == zlib.crc32(bytes(ch.bulk[:size]))


def test_a_halt_during_a_long_request_is_honoured_within_the_stop_timeout(slow: tuple[Harness, C.Channel]) -> None:
    h, ch = slow
    size = ch.layout.bulk_size
    ch.send(L.SHMEM_MSG_FILL, C._BULK.pack(0, size, 0xA5A5A5A5, 1))
    time.sleep(0.5)  # well into the 4.7 s request (it takes 300 ns per byte)
    assert get(h.mem, L.cpu1_field("tx_msgs")) == 0
    start = time.monotonic()
    ch.halt(timeout=WATCHDOG_S)
    took = time.monotonic() - start
    assert took < WATCHDOG_S, f"halt took {took:.2f} s"
    assert h.proc is not None and h.proc.wait(10) == 0
    assert get(h.mem, L.cpu1_field("tx_msgs")) == 0, "the abandoned request was answered"
    # The slices done before the halt were written; the rest was not.
    assert bytes(ch.bulk[:8]) == C.fill_pattern(8, 0xA5A5A5A5, 1)
    assert bytes(ch.bulk[size - 8:size]) == bytes(8)


def test_a_reset_during_a_long_request_is_honoured_promptly(slow: tuple[Harness, C.Channel]) -> None:
    h, ch = slow
    size = ch.layout.bulk_size
    ch.send(L.SHMEM_MSG_CRC32, C._BULK.pack(0, size, 0, 0))
    time.sleep(0.5)
    start = time.monotonic()
    recovers(ch)  # reset handshake, then a 10 kB echo
    took = time.monotonic() - start
    assert took < WATCHDOG_S, f"reset took {took:.2f} s"
