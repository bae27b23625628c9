# SPDX-License-Identifier: MIT
"""The payload's RPMsg fault injection (SHMEM_FAULT_RPMSG_*, requested over
the channel) against the host harness, which is built with it: each kind
corrupts what Linux reads from its RX vring at the next echo exactly as the
header says, and the Linux model finds it where the sharedmem driver's
shadow vrings do (the used index, an id not out, a length beyond the buffer
or a header len beyond the length: the ring broken), while CPU1 keeps
serving the channel. What Linux's
driver then does (the ring marked broken, CPU1 reported crashed) is the
board's test (pytest_embedded_tests/test_rpmsg_faults.py)."""

import struct

import pytest
from rpmsg_support import (
    LINUX_ADDR,
    NUM,
    RAW_ADDR,
    TTY_ADDR,
    VDEV,
    VRING_AVAIL_F_NO_INTERRUPT,
    BadRing,
    Linux,
    RpmsgHarness,
    rpmsg_stats,
    u16,
    u32,
)
from shmem_helper import channel as C
from shmem_helper import channel_layout as L


def next_rx_head(linux: Linux) -> int:
    return u16(linux.window, linux.rx.avail + 4 + 2 * (linux.rx.used_idx() % NUM))


def echoed(linux: Linux, data: bytes = b"x") -> None:
    """Send one message and wait until CPU1 published its (corrupt) echo."""
    used = linux.rx.used_idx()
    assert linux.send(TTY_ADDR, data)
    linux.until("the echo", lambda: linux.rx.used_idx() != used)


@pytest.mark.parametrize("value, bad_id", [(0, NUM), (3, NUM + 3)])
def test_used_id_out_of_range(linux: Linux, link: C.Channel, value: int, bad_id: int) -> None:
    link.inject_fault(L.SHMEM_FAULT_RPMSG_USED_ID, value=value)
    echoed(linux)
    with pytest.raises(BadRing, match=f"CPU1 returned buffer {bad_id}, which is not out"):
        linux.receive()
    assert link.ping()


def test_used_id_not_out(rpmsg_harness: RpmsgHarness, linux: Linux, link: C.Channel) -> None:
    link.inject_fault(L.SHMEM_FAULT_RPMSG_NOT_HEAD)
    lent = next_rx_head(linux)
    echoed(linux, b"twice")
    # The same buffer twice in one publication: by the second it is no longer out.
    assert linux.rx.used_idx() == 4
    with pytest.raises(BadRing, match=f"CPU1 returned buffer {lent}, which is not out"):
        linux.receive()
    rpmsg_harness.wait_for_log("fault: rpmsg echo corrupted, kind 0x00000009")
    assert link.ping()


@pytest.mark.parametrize("value, length", [(0, 0x10000), (513, 513), (0xFFFFFFFF, 0xFFFFFFFF)])
def test_used_len_larger_than_the_buffer(linux: Linux, link: C.Channel, value: int, length: int) -> None:
    link.inject_fault(L.SHMEM_FAULT_RPMSG_USED_LEN, value=value)
    head = next_rx_head(linux)
    echoed(linux, b"abc")
    with pytest.raises(BadRing, match=f"CPU1 returned {length} bytes in buffer {head}, which holds 512"):
        linux.receive()
    assert link.ping()


@pytest.mark.parametrize("value, header_len", [(0, 0xFFFF), (497, 497), (3, 3)])
def test_an_echo_whose_header_len_exceeds_the_message(linux: Linux, link: C.Channel, value: int,
                                                      header_len: int) -> None:
    link.inject_fault(L.SHMEM_FAULT_RPMSG_MSG_LEN, value=value)
    echoed(linux, b"12")
    with pytest.raises(BadRing, match=f"an RPMsg message of 18 bytes whose header says {header_len} bytes"):
        linux.receive()
    assert link.ping()


def test_a_header_len_fault_corrupts_only_that_echo(linux: Linux, link: C.Channel) -> None:
    link.inject_fault(L.SHMEM_FAULT_RPMSG_MSG_LEN, value=2)  # a header len that still fits: only shorter
    echoed(linux, b"1234")
    assert linux.receive() == [(TTY_ADDR, LINUX_ADDR, b"12")]
    assert linux.send(RAW_ADDR, b"whole")
    assert linux.collect(1) == [(RAW_ADDR, LINUX_ADDR, b"whole")]


@pytest.mark.parametrize("value, jump", [(0, 0x8000), (300, 300)])
def test_used_idx_jumps_ahead(linux: Linux, link: C.Channel, value: int, jump: int) -> None:
    link.inject_fault(L.SHMEM_FAULT_RPMSG_USED_IDX, value=value)
    echoed(linux)
    # One real entry, published with an index `jump` further: more than the buffers out.
    assert (linux.rx.used_idx() - linux.rx.last_used) & 0xFFFF == 1 + jump
    with pytest.raises(BadRing, match="CPU1 moved the used index from 2 to"):
        linux.receive()
    assert link.ping()


def test_a_doorbell_flood_through_the_vrings(rpmsg_harness: RpmsgHarness, linux: Linux, link: C.Channel) -> None:
    # Linux asks for no interrupts at all: the flood rings anyway.
    linux.rx.set_flags(VRING_AVAIL_F_NO_INTERRUPT)
    linux.tx.set_flags(VRING_AVAIL_F_NO_INTERRUPT)
    before = rpmsg_stats(link)["doorbells_out"]
    bells = rpmsg_harness.doorbells_in  # (the request's own wait may read some of the flood)
    link.inject_fault(L.SHMEM_FAULT_RPMSG_FLOOD, count=5000)
    linux.until("the flood", lambda: rpmsg_harness.doorbells_in >= bells + 5000)
    assert rpmsg_stats(link)["doorbells_out"] == before + 5000
    rpmsg_harness.wait_for_log("fault: rpmsg doorbells 0x00001388")
    linux.rx.set_flags(0)
    assert linux.send(RAW_ADDR, b"after the flood")
    assert linux.collect(1) == [(RAW_ADDR, LINUX_ADDR, b"after the flood")]


# The words of the loaded table SCRIBBLE overwrites: all but the status's.
SCRIBBLED_TABLE_WORDS = [0, 4] + [VDEV + off for off in (8, 12, 16, 20, 28, 32, 36, 40, 48, 52, 56, 60)]


def test_a_scribble_over_what_linux_lent_and_got_back(rpmsg_harness: RpmsgHarness, linux: Linux,
                                                      link: C.Channel) -> None:
    """SCRIBBLE overwrites, with the next echo, the two descriptors it used
    (a chain into itself, an address in Linux's memory, 4 GiB), their avail
    slots and the loaded table's fields: what only a Linux that read them
    back would act on (the sharedmem driver does not: the board's
    test_rpmsg_faults.py). CPU1 itself is unhurt: Linux writes descriptor
    and slot anew when it lends the buffer again, and every buffer is lent
    again twice over below."""
    status = linux.status()
    link.inject_fault(L.SHMEM_FAULT_RPMSG_SCRIBBLE, value=0x1000)
    rx_slot, tx_slot = linux.rx.used_idx() % NUM, linux.tx.avail_idx % NUM
    rx_head, tx_head = next_rx_head(linux), linux.tx.free[0]
    echoed(linux, b"scribble")
    rpmsg_harness.wait_for_log("fault: rpmsg scribbled over Linux's descriptors and table, addr 0x00001000")
    for ring, head, slot in ((linux.rx, rx_head, rx_slot), (linux.tx, tx_head, tx_slot)):
        desc = struct.unpack_from("<QIHH", linux.window, ring.desc + 16 * head)
        assert desc == (0x1000, 0xFFFFFFFF, 7, head), (ring.desc, desc)
        assert u16(linux.window, ring.avail + 4 + 2 * slot) == 0xFFFF
    assert [u32(linux.table, off) for off in SCRIBBLED_TABLE_WORDS] == [0xFFFFFFFF] * len(SCRIBBLED_TABLE_WORDS)
    assert linux.status() == status
    # The echo itself is whole; then every RX and TX buffer is lent again, twice.
    assert linux.receive() == [(TTY_ADDR, LINUX_ADDR, b"scribble")]
    for batch in range(20):
        sent = [bytes([batch, i]) * (1 + i) for i in range(32)]
        for data in sent:
            assert linux.send(RAW_ADDR, data)
        assert linux.collect(32) == [(RAW_ADDR, LINUX_ADDR, data) for data in sent]
    stats = rpmsg_stats(link)
    assert stats["errors"] == 0 and stats["state"] == L.SHMEM_RPMSG_RUNNING, stats
    assert link.ping()


@pytest.mark.parametrize("kind", [L.SHMEM_FAULT_RPMSG_USED_IDX, L.SHMEM_FAULT_RPMSG_USED_ID,
                                  L.SHMEM_FAULT_RPMSG_NOT_HEAD, L.SHMEM_FAULT_RPMSG_USED_LEN,
                                  L.SHMEM_FAULT_RPMSG_MSG_LEN, L.SHMEM_FAULT_RPMSG_FLOOD,
                                  L.SHMEM_FAULT_RPMSG_SCRIBBLE])
def test_rpmsg_faults_are_refused_without_rpmsg(channel: C.Channel, kind: int) -> None:
    with pytest.raises(C.ServiceError, match="a reserved or flags field"):
        channel.inject_fault(kind)
    assert channel.echo(b"unchanged") == b"unchanged"
