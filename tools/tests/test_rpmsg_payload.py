# SPDX-License-Identifier: MIT
"""The payload's RPMsg device (src/rpmsg.c, src/vring.c) against a model of
Linux's virtio_rpmsg (rpmsg_support.Linux), in the host harness: the same
portable code CPU1 runs, its window and table between guard pages.

  lifecycle   nothing before DRIVER_OK; two announcements at DRIVER_OK; a
              vdev reset hands the vrings back at once; a new DRIVER_OK
              starts over (new indices, new announcements)
  echo        from each endpoint, 1 to 496 bytes; other addresses consumed
  flow        a message is taken only with an RX buffer for its echo: none
              lost with few buffers, 100,000 in a row
  doorbells   one per batch, none when both vrings say NO_INTERRUPT
  both        the channel answers while the vrings are busy
"""

from pathlib import Path

import pytest
from channel_support import Harness
from rpmsg_support import (
    ANNOUNCEMENTS,
    DRIVER_OK,
    FAILED,
    HDR,
    LINUX_ADDR,
    NS_ADDR,
    NS_MSG,
    NUM,
    RAW_ADDR,
    TTY_ADDR,
    VRING_AVAIL_F_NO_INTERRUPT,
    Linux,
    RpmsgHarness,
    rpmsg_stats,
    u16,
)
from shmem_helper import channel as C
from shmem_helper import channel_layout as L


def echo_all(linux: Linux, messages: list[tuple[int, bytes]]) -> list[tuple[int, int, bytes]]:
    for dst, data in messages:
        assert linux.send(dst, data)
    return linux.collect(len(messages))


# -- lifecycle ------------------------------------------------------------------

@pytest.mark.parametrize("status", [0, 1, 3, DRIVER_OK | FAILED | 3])
def test_nothing_is_touched_before_driver_ok(rpmsg_harness: RpmsgHarness, link: C.Channel, status: int) -> None:
    model = Linux(rpmsg_harness)
    model.probe(kick=False)
    model.set_status(status)  # the vrings are set up, but virtio has not said DRIVER_OK
    window = bytes(rpmsg_harness.window)
    model.kick()
    link.ping()
    link.ping()  # a whole pass of the loop ran after the kick (README: the main loop)
    assert bytes(rpmsg_harness.window) == window
    stats = rpmsg_stats(link)
    assert (stats["state"], stats["vdev_status"], stats["starts"]) == (L.SHMEM_RPMSG_OFF, status, 0)
    assert stats["doorbells_out"] == 0
    rpmsg_harness.wait_for_log("rpmsg: waiting for DRIVER_OK")


def test_driver_ok_brings_two_announcements_and_one_doorbell(rpmsg_harness: RpmsgHarness) -> None:
    model = Linux(rpmsg_harness)
    rpmsg_harness.wait_for_log(f"rpmsg: waiting for DRIVER_OK, vdev status 0x{0:08x}")
    model.probe()
    model.until("the announcements", lambda: model.rx.used_idx() == 2)
    model.until("a doorbell", lambda: rpmsg_harness.doorbells_in > 0)
    assert model.receive() == ANNOUNCEMENTS
    # src is the announced endpoint, length exactly a struct rpmsg_ns_msg (rpmsg_ns_cb checks it).
    assert model.tx.used_idx() == 0
    rpmsg_harness.wait_for_log("rpmsg: DRIVER_OK, announcing rpmsg-tty (0x400) and rpmsg-raw (0x401)")
    assert rpmsg_harness.doorbells_in == 1


def test_announcements_wait_for_rx_buffers(rpmsg_harness: RpmsgHarness) -> None:
    model = Linux(rpmsg_harness)
    model.probe(rx_buffers=1)
    assert model.collect(1) == ANNOUNCEMENTS[:1]
    assert model.collect(1) == ANNOUNCEMENTS[1:]  # once the buffer came back


def test_a_vdev_reset_hands_the_vrings_back_and_driver_ok_starts_over(rpmsg_harness: RpmsgHarness, linux: Linux,
                                                                       link: C.Channel) -> None:
    assert echo_all(linux, [(TTY_ADDR, b"before")]) == [(TTY_ADDR, LINUX_ADDR, b"before")]
    linux.reset()
    rpmsg_harness.wait_for_log("rpmsg: vdev reset by Linux, status 0x00000000")
    # Linux's vrings after the reset are no longer CPU1's: a message queued there stays.
    assert linux.send(RAW_ADDR, b"into a reset vdev")
    window = bytes(rpmsg_harness.window)
    link.ping()
    link.ping()
    assert bytes(rpmsg_harness.window) == window
    assert rpmsg_stats(link)["state"] == L.SHMEM_RPMSG_OFF
    # A new probe: zeroed vrings, indices from 0, the announcements again.
    linux.probe()
    assert linux.announcements() == ANNOUNCEMENTS
    assert echo_all(linux, [(RAW_ADDR, b"after")]) == [(RAW_ADDR, LINUX_ADDR, b"after")]
    assert (linux.rx.used_idx(), linux.tx.used_idx()) == (3, 1)
    stats = rpmsg_stats(link)
    assert (stats["starts"], stats["announcements"], stats["state"]) == (2, 4, L.SHMEM_RPMSG_RUNNING)


# -- echo -------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 100, 400, 495, 496])
@pytest.mark.parametrize("endpoint", [TTY_ADDR, RAW_ADDR], ids=["rpmsg-tty", "rpmsg-raw"])
def test_each_endpoint_echoes_from_its_address(linux: Linux, endpoint: int, size: int) -> None:
    data = bytes((i * 37 + size) & 0xFF for i in range(size))
    assert echo_all(linux, [(endpoint, data)]) == [(endpoint, LINUX_ADDR, data)]


def test_an_echo_writes_nothing_past_its_length(rpmsg_harness: RpmsgHarness, linux: Linux) -> None:
    """The tail of an odd-sized echo is written bytewise: the rest of the RX buffer is untouched."""
    head = u16(linux.window, linux.rx.avail + 4 + 2 * 2)  # the RX buffer the next echo takes
    offset = linux.at(linux.rbuf(linux.rx.tokens[head]))
    linux.window[offset:offset + 512] = b"\xEE" * 512
    assert echo_all(linux, [(RAW_ADDR, b"abcde")]) == [(RAW_ADDR, LINUX_ADDR, b"abcde")]
    assert bytes(linux.window[offset + 16 + 5:offset + 512]) == b"\xEE" * (512 - 21)


def test_the_source_address_is_answered_whatever_it_is(linux: Linux) -> None:
    for src in (0x400, 1024 + 77, 0xFFFFFFFF):
        assert linux.send(TTY_ADDR, b"x", src=src)
        assert linux.collect(1) == [(TTY_ADDR, src, b"x")]


def test_messages_to_other_addresses_are_consumed_not_answered(linux: Linux, link: C.Channel) -> None:
    for dst in (NS_ADDR, 0x402, 0):
        assert linux.send(dst, b"nobody here")
    assert echo_all(linux, [(RAW_ADDR, b"then this")]) == [(RAW_ADDR, LINUX_ADDR, b"then this")]
    assert linux.tx.used_idx() == 4
    stats = rpmsg_stats(link)
    assert (stats["rx_msgs"], stats["tx_msgs"], stats["dropped"]) == (4, 3, 3)
    assert (stats["rx_bytes"], stats["tx_bytes"]) == (3 * 11 + 9, 9)


# -- flow control -------------------------------------------------------------------

def test_with_few_rx_buffers_nothing_is_taken_without_room_for_its_echo(rpmsg_harness: RpmsgHarness) -> None:
    model = Linux(rpmsg_harness)
    model.probe(rx_buffers=3)
    model.until("the announcements", lambda: model.rx.used_idx() == 2 and rpmsg_harness.doorbells_in == 1)
    # Linux does not read them yet: one RX buffer left for 100 messages.
    for i in range(100):
        assert model.send(TTY_ADDR, i.to_bytes(4, "little"), kick=False)
    model.kick()
    # The pass that echoes the first also publishes what it took from the TX vring, then rings.
    model.until("the first echo's doorbell", lambda: rpmsg_harness.doorbells_in == 2)
    assert (model.rx.used_idx(), model.tx.used_idx()) == (3, 1), "a message taken without an RX buffer"
    got = model.receive()  # the announcements and one echo; the buffers come back, with a kick
    assert got[:2] == ANNOUNCEMENTS and got[2:] == [(TTY_ADDR, LINUX_ADDR, bytes(4))]
    got = model.collect(99)
    assert [int.from_bytes(d, "little") for _, _, d in got] == list(range(1, 100))


def test_100000_messages_in_a_row_all_come_back(linux: Linux, link: C.Channel) -> None:
    sent = received = 0
    total = 100_000
    while received < total:
        while sent < total and sent - received < 240 and linux.send(
                RAW_ADDR if sent % 2 else TTY_ADDR, sent.to_bytes(4, "little") * (1 + sent % 124), kick=False):
            sent += 1
        linux.kick()
        for src, dst, data in linux.collect(1, timeout=20):
            assert (src, dst) == (RAW_ADDR if received % 2 else TTY_ADDR, LINUX_ADDR)
            assert data == received.to_bytes(4, "little") * (1 + received % 124), f"message {received}"
            received += 1
    stats = rpmsg_stats(link)
    assert (stats["rx_msgs"], stats["tx_msgs"], stats["errors"]) == (total, total + 2, 0)
    # Batched: far fewer doorbells than messages.
    assert stats["doorbells_out"] < total // 4, stats


# -- doorbells -----------------------------------------------------------------------

@pytest.mark.parametrize("count, doorbells", [(1, 1), (64, 1), (65, 2), (128, 2), (200, 4)])
def test_one_doorbell_per_batch_of_64(rpmsg_harness: RpmsgHarness, linux: Linux, count: int, doorbells: int) -> None:
    bells = rpmsg_harness.doorbells_in
    for i in range(count):
        assert linux.send(TTY_ADDR, bytes([i]), kick=False, publish=False)
    linux.tx.publish()  # all at once: the payload sees them in one look
    linux.kick()
    linux.until("the echoes", lambda: linux.rx.used_idx() == 2 + count)
    linux.until("the doorbells", lambda: rpmsg_harness.doorbells_in >= bells + doorbells)
    assert [d for _, _, d in linux.collect(count)] == [bytes([i]) for i in range(count)]
    # Nothing more comes: a later message's doorbell is the next one.
    assert echo_all(linux, [(TTY_ADDR, b"next")]) == [(TTY_ADDR, LINUX_ADDR, b"next")]
    linux.until("the last doorbell", lambda: rpmsg_harness.doorbells_in >= bells + doorbells + 1)
    assert rpmsg_harness.doorbells_in == bells + doorbells + 1


@pytest.mark.parametrize("rx_flags, tx_flags, rung", [
    (0, 0, True),
    (0, VRING_AVAIL_F_NO_INTERRUPT, True),   # Linux's usual: TX callbacks off until it waits for a buffer
    (VRING_AVAIL_F_NO_INTERRUPT, 0, True),
    (VRING_AVAIL_F_NO_INTERRUPT, VRING_AVAIL_F_NO_INTERRUPT, False),
])
def test_a_doorbell_only_when_a_vring_wants_one(rpmsg_harness: RpmsgHarness, linux: Linux, rx_flags: int, tx_flags: int,
                                                rung: bool) -> None:
    linux.rx.set_flags(rx_flags)
    linux.tx.set_flags(tx_flags)
    bells = rpmsg_harness.doorbells_in
    assert linux.send(TTY_ADDR, b"quiet?")
    linux.until("the echo", lambda: linux.rx.used_idx() == 3)
    if rung:
        # One vring wants it: a doorbell comes (one or, when the echo and
        # the returned buffer go out in two passes, two).
        linux.until("the echo's doorbell", lambda: rpmsg_harness.doorbells_in > bells)
        assert rpmsg_harness.doorbells_in <= bells + 2
        assert [d for _, _, d in linux.receive()] == [b"quiet?"]
        return
    # Neither wants one: a message whose echo does ring (TX still quiet) shows
    # that its doorbell is the only one, the first echo rang none.
    linux.rx.set_flags(0)
    assert linux.send(TTY_ADDR, b"ring")
    linux.until("the second echo's doorbell", lambda: rpmsg_harness.doorbells_in > bells)
    assert rpmsg_harness.doorbells_in == bells + 1
    assert [d for _, _, d in linux.receive()] == [b"quiet?", b"ring"]


# -- both transports, one loop ---------------------------------------------------------

def test_the_channel_answers_while_the_vrings_are_busy(linux: Linux, link: C.Channel) -> None:
    for round_ in range(20):
        for i in range(50):
            assert linux.send(RAW_ADDR, bytes([round_, i]) * 100, kick=False)
        linux.kick()
        assert link.echo(b"channel %d" % round_) == b"channel %d" % round_
        got = linux.collect(50)
        assert [d for _, _, d in got] == [bytes([round_, i]) * 100 for i in range(50)]
    assert link.stats().rx_msgs >= 20
    stats = rpmsg_stats(link)
    assert (stats["rx_msgs"], stats["tx_msgs"], stats["state"]) == (1000, 1002, L.SHMEM_RPMSG_RUNNING)


def test_a_payload_without_rpmsg_refuses_rpmsg_stats(channel: C.Channel) -> None:
    with pytest.raises(C.ServiceError, match="unknown message type"):
        channel.request(L.SHMEM_MSG_RPMSG_STATS, b"")


def test_rpmsg_stats_take_no_payload(link: C.Channel) -> None:
    with pytest.raises(C.ServiceError, match="wrong payload length"):
        link.request(L.SHMEM_MSG_RPMSG_STATS, b"\0\0\0\0")


def test_the_harness_needs_both_rpmsg_files(harness_binary: Path, tmp_path: Path) -> None:
    h = Harness(harness_binary, tmp_path / "channel.bin", start=False)
    h.args = ["--rpmsg", str(tmp_path / "missing-window"), str(tmp_path / "missing-table")]
    h.start()
    assert h.stop() == 1
    assert "missing-window" in h.log()
    h.close()


def test_hdr_is_16_bytes() -> None:
    assert HDR.size == 16 and NS_MSG.size == 40 and NUM == 256
