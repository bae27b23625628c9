# SPDX-License-Identifier: MIT
"""Bad values in what Linux shares with the payload's RPMsg device: every
index, descriptor and header CPU1 reads from the vrings, and the loaded
resource table. CPU1 (the host harness, its memory between guard pages)
must log one line with the value, report it in RPMSG_STATS, write nothing
more into the window (Linux's descriptors and available rings never), keep
serving the channel, and start over at the next vdev reset and DRIVER_OK.
Each value is read once: with SHMEM_HOST_TOCTOU=rpmsg the harness poisons
every descriptor, avail entry and buffer word right after CPU1 read it."""

import random
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import pytest
from rpmsg_support import (
    ALIGN,
    ANNOUNCEMENTS,
    LINUX_ADDR,
    NUM,
    POOL_OFFSET,
    POOL_SIZE,
    RAW_ADDR,
    TTY_ADDR,
    VRING_DESC_F_INDIRECT,
    VRING_DESC_F_NEXT,
    VRING_DESC_F_WRITE,
    VRINGS,
    WINDOW_DA,
    Linux,
    RpmsgHarness,
    Vring,
    put16,
    put32,
    rpmsg_stats,
    table_image,
    u16,
)
from shmem_helper import channel as C
from shmem_helper import channel_layout as L

POOL = WINDOW_DA + POOL_OFFSET
POOL_END = POOL + POOL_SIZE

# A corruption of what Linux shares: it returns the bad value when the case's expected value is None.
Corruption = Callable[[Linux], int | None]


def tx_desc(linux: Linux) -> int:
    """The descriptor of the last message queued on Linux's TX vring."""
    head = u16(linux.window, linux.tx.avail + 4 + 2 * ((linux.tx.avail_idx - 1) % NUM))
    return linux.tx.desc + 16 * head


def rx_next(linux: Linux) -> int:
    """The avail entry of the RX buffer CPU1 takes next (it takes them in order)."""
    return linux.rx.avail + 4 + 2 * (linux.rx.used_idx() % NUM)


def rx_desc(linux: Linux) -> int:
    return linux.rx.desc + 16 * u16(linux.window, rx_next(linux))


def queued(linux: Linux, data: bytes = b"0123456789") -> None:
    """A message on the TX vring, not yet visible to CPU1 (avail.idx not written:
    Linux's tx.publish() does it once the corruption is in place)."""
    assert linux.send(TTY_ADDR, data, kick=False, publish=False)


def set_desc(linux: Linux, desc: int, addr: int | None = None, length: int | None = None,
             flags: int | None = None) -> None:
    if addr is not None:
        put32(linux.window, desc, addr & 0xFFFFFFFF)
        put32(linux.window, desc + 4, addr >> 32)
    if length is not None:
        put32(linux.window, desc + 8, length)
    if flags is not None:
        put16(linux.window, desc + 12, flags)


def tx(**fields: int) -> Corruption:
    def corrupt(linux: Linux) -> None:
        queued(linux)
        set_desc(linux, tx_desc(linux), **fields)
        linux.tx.publish()
    return corrupt


def rx(**fields: int) -> Corruption:
    def corrupt(linux: Linux) -> None:
        set_desc(linux, rx_desc(linux), **fields)
        queued(linux)
        linux.tx.publish()
    return corrupt


def tx_header_len(value: int) -> Corruption:
    def corrupt(linux: Linux) -> None:
        queued(linux)
        put16(linux.window, linux.at(u32_at(linux, tx_desc(linux))) + 12, value)
        linux.tx.publish()
    return corrupt


def u32_at(linux: Linux, offset: int) -> int:
    return int.from_bytes(linux.window[offset:offset + 4], "little")


def avail_idx(ring: str, delta: int) -> Corruption:
    def corrupt(linux: Linux) -> int:
        v: Vring = getattr(linux, ring)
        bad = (v.avail_idx + delta) & 0xFFFF
        put16(linux.window, v.avail + 2, bad)
        return bad
    return corrupt


def head(ring: str, value: int) -> Corruption:
    def corrupt(linux: Linux) -> None:
        if ring == "tx":
            queued(linux)
            put16(linux.window, linux.tx.avail + 4 + 2 * ((linux.tx.avail_idx - 1) % NUM), value)
        else:
            put16(linux.window, rx_next(linux), value)
            queued(linux)
        linux.tx.publish()
    return corrupt


E = L
# (what, corruption, (error, value, vring)); value None: the one the corruption returns.
CASES: list[tuple[str, Corruption, tuple[int, int | None, int]]] = [
    ("tx avail.idx 300 ahead", avail_idx("tx", 300), (E.SHMEM_RPMSG_ERR_AVAIL_IDX, None, 1)),
    ("tx avail.idx behind", avail_idx("tx", -1), (E.SHMEM_RPMSG_ERR_AVAIL_IDX, None, 1)),
    ("rx avail.idx 257 ahead", avail_idx("rx", 257), (E.SHMEM_RPMSG_ERR_AVAIL_IDX, None, 0)),
    ("tx head = num", head("tx", NUM), (E.SHMEM_RPMSG_ERR_HEAD, NUM, 1)),
    ("tx head 0xffff", head("tx", 0xFFFF), (E.SHMEM_RPMSG_ERR_HEAD, 0xFFFF, 1)),
    ("rx head 300", head("rx", 300), (E.SHMEM_RPMSG_ERR_HEAD, 300, 0)),
    ("tx addr in the vrings", tx(addr=WINDOW_DA + 0x10000), (E.SHMEM_RPMSG_ERR_DESC_ADDR, WINDOW_DA + 0x10000, 1)),
    ("tx addr below the window", tx(addr=0x1E400000), (E.SHMEM_RPMSG_ERR_DESC_ADDR, 0x1E400000, 1)),
    ("tx addr past the pool", tx(addr=POOL_END), (E.SHMEM_RPMSG_ERR_DESC_ADDR, POOL_END, 1)),
    ("tx buffer across the pool's end", tx(addr=POOL_END - 16, length=32),
     (E.SHMEM_RPMSG_ERR_DESC_ADDR, POOL_END - 16, 1)),
    ("tx addr + len wraps", tx(addr=0xFFFFFFF0, length=32), (E.SHMEM_RPMSG_ERR_DESC_ADDR, 0xFFFFFFF0, 1)),
    ("tx addr above 4 GiB", tx(addr=(1 << 32) | POOL), (E.SHMEM_RPMSG_ERR_DESC_ADDR, 1, 1)),
    ("tx addr unaligned", tx(addr=POOL + 2), (E.SHMEM_RPMSG_ERR_DESC_ADDR, POOL + 2, 1)),
    ("tx len 15", tx(length=15), (E.SHMEM_RPMSG_ERR_DESC_LEN, 15, 1)),
    ("tx len 513", tx(length=513), (E.SHMEM_RPMSG_ERR_DESC_LEN, 513, 1)),
    ("tx len 0xffffffff", tx(length=0xFFFFFFFF), (E.SHMEM_RPMSG_ERR_DESC_LEN, 0xFFFFFFFF, 1)),
    ("tx flags NEXT", tx(flags=VRING_DESC_F_NEXT), (E.SHMEM_RPMSG_ERR_DESC_FLAGS, 1, 1)),
    ("tx flags WRITE", tx(flags=VRING_DESC_F_WRITE), (E.SHMEM_RPMSG_ERR_DESC_FLAGS, 2, 1)),
    ("tx flags INDIRECT", tx(flags=VRING_DESC_F_INDIRECT), (E.SHMEM_RPMSG_ERR_DESC_FLAGS, 4, 1)),
    ("rx addr on tx descriptors", rx(addr=WINDOW_DA + 0x10000), (E.SHMEM_RPMSG_ERR_DESC_ADDR, WINDOW_DA + 0x10000, 0)),
    ("rx addr past the pool", rx(addr=POOL_END - 4), (E.SHMEM_RPMSG_ERR_DESC_ADDR, POOL_END - 4, 0)),
    ("rx len 8", rx(length=8), (E.SHMEM_RPMSG_ERR_DESC_LEN, 8, 0)),
    ("rx len 600", rx(length=600), (E.SHMEM_RPMSG_ERR_DESC_LEN, 600, 0)),
    ("rx too short for the echo", rx(length=20), (E.SHMEM_RPMSG_ERR_DESC_LEN, 20, 0)),
    ("rx flags without WRITE", rx(flags=0), (E.SHMEM_RPMSG_ERR_DESC_FLAGS, 0, 0)),
    ("rx flags WRITE|NEXT", rx(flags=VRING_DESC_F_WRITE | VRING_DESC_F_NEXT), (E.SHMEM_RPMSG_ERR_DESC_FLAGS, 3, 0)),
    ("header len 11 in 26 bytes", tx_header_len(11), (E.SHMEM_RPMSG_ERR_MSG_LEN, 11, 1)),
    ("header len 0xffff", tx_header_len(0xFFFF), (E.SHMEM_RPMSG_ERR_MSG_LEN, 0xFFFF, 1)),
]


def stopped(rpmsg_harness: RpmsgHarness, linux: Linux, link: C.Channel, expect: tuple[int, int | None, int]) -> None:
    error, value, vring = expect
    name = L.RPMSG_ERROR_NAMES[error]
    where = "" if error == L.SHMEM_RPMSG_ERR_TABLE else f"vring{vring} "
    rpmsg_harness.wait_for_log(f"rpmsg stopped until a vdev reset: {where}{name} 0x{value:08x}")
    stats = rpmsg_stats(link)
    assert (stats["state"], stats["error"], stats["error_value"], stats["error_vring"], stats["errors"]) == \
        (L.SHMEM_RPMSG_STOPPED, error, value, vring, 1)
    assert link.echo(b"the channel still serves") == b"the channel still serves"


def restarts(rpmsg_harness: RpmsgHarness, linux: Linux, link: C.Channel) -> None:
    linux.reset()
    rpmsg_harness.wait_for_log("rpmsg: vdev reset by Linux")
    linux.probe()
    assert linux.announcements() == ANNOUNCEMENTS
    assert linux.send(RAW_ADDR, b"again")
    assert linux.collect(1) == [(RAW_ADDR, LINUX_ADDR, b"again")]
    assert rpmsg_stats(link)["state"] == L.SHMEM_RPMSG_RUNNING


@pytest.mark.parametrize("what, corrupt, expect", CASES, ids=[c[0] for c in CASES])
def test_a_bad_value_stops_rpmsg_touches_nothing_and_a_reset_recovers(
        rpmsg_harness: RpmsgHarness, linux: Linux, link: C.Channel, what: str, corrupt: Corruption,
        expect: tuple[int, int | None, int]) -> None:
    assert linux.send(TTY_ADDR, b"warm-up") and linux.collect(1) == [(TTY_ADDR, LINUX_ADDR, b"warm-up")]
    used = (linux.rx.used_idx(), linux.tx.used_idx())
    bad = corrupt(linux)  # each corruption publishes what it queued
    window = bytes(rpmsg_harness.window)  # after Linux's writes, before CPU1 may look
    linux.kick()
    stopped(rpmsg_harness, linux, link, (expect[0], bad if expect[1] is None else expect[1], expect[2]))
    assert (linux.rx.used_idx(), linux.tx.used_idx()) == used, "published after a bad value"
    assert bytes(rpmsg_harness.window) == window, "CPU1 wrote into the window after a bad value"
    # Stopped means stopped: more kicks and messages change nothing.
    assert linux.send(RAW_ADDR, b"ignored")
    window = bytes(rpmsg_harness.window)
    link.ping()
    link.ping()
    assert bytes(rpmsg_harness.window) == window
    restarts(rpmsg_harness, linux, link)


class TableChange(TypedDict, total=False):
    """What a case changes: the vring addresses remoteproc writes (Linux.probe's vring_da) or the table's vrings."""
    vring_da: tuple[int, int]
    table: list[tuple[int, int, int]]


TABLES: list[tuple[str, TableChange, tuple[int, int]]] = [
    ("vring0 da", {"vring_da": (WINDOW_DA + 0x1000, WINDOW_DA + 0x10000)}, (WINDOW_DA + 0x1000, 0)),
    ("vring1 da", {"vring_da": (WINDOW_DA, 0x1F600000)}, (0x1F600000, 1)),
    ("vring0 align", {"table": [(WINDOW_DA, 0x2000, NUM), (WINDOW_DA + 0x10000, ALIGN, NUM)]}, (0x2000, 0)),
    ("vring0 num", {"table": [(WINDOW_DA, ALIGN, 128), (WINDOW_DA + 0x10000, ALIGN, NUM)]}, (128, 0)),
    ("vring1 num", {"table": [(WINDOW_DA, ALIGN, NUM), (WINDOW_DA + 0x10000, ALIGN, 0x10000)]}, (0x10000, 1)),
]


@pytest.mark.parametrize("what, change, expect", TABLES, ids=[t[0] for t in TABLES])
def test_a_table_naming_other_vrings_leaves_rpmsg_off(harness_binary: Path, tmp_path: Path, what: str,
                                                      change: TableChange, expect: tuple[int, int]) -> None:
    h = RpmsgHarness(harness_binary, tmp_path, table=table_image(change.get("table", VRINGS)))
    try:
        C.initialise(h.mem)
        h.notify()
        with C.Channel(h.mem, wait=h.wait, notify=h.notify) as ch:
            ch.wait_ready()
            model = Linux(h)
            if "vring_da" in change:
                model.probe(driver_ok=False, vring_da=change["vring_da"])
            else:
                model.probe(driver_ok=False)
            window = bytes(h.window)
            model.driver_ok()
            stopped(h, model, ch, (L.SHMEM_RPMSG_ERR_TABLE, *expect))
            assert bytes(h.window) == window, "CPU1 touched vrings its table does not name"
            ch.ping()
        assert h.stop() == 0
    finally:
        h.close()


def test_random_values_in_the_vrings_never_escape_the_window(rpmsg_harness: RpmsgHarness, linux: Linux,
                                                             link: C.Channel) -> None:
    """Seeded fuzzing of every field CPU1 reads: the harness keeps running
    (its window sits between guard pages), either echoing or stopped."""
    rng = random.Random(20261202)
    stops = 0
    for round_ in range(120):
        queued(linux, rng.randbytes(rng.randrange(0, 497)))
        desc = tx_desc(linux) if rng.random() < 0.6 else rx_desc(linux)
        choice = rng.randrange(5)
        value = rng.choice([rng.getrandbits(32), rng.getrandbits(16), rng.randrange(0, 700), POOL + rng.randrange(
            -0x1000, POOL_SIZE + 0x1000)])
        if choice == 0:
            put32(linux.window, desc, value)
        elif choice == 1:
            put32(linux.window, desc + 8, value)
        elif choice == 2:
            put16(linux.window, desc + 12, value)
        elif choice == 3:
            put16(linux.window, linux.tx.avail + 4 + 2 * ((linux.tx.avail_idx - 1) % NUM), value)
        else:
            put16(linux.window, linux.at(u32_at(linux, tx_desc(linux))) + 12, value)
        linux.tx.publish()
        linux.kick()
        link.ping()
        link.ping()
        assert rpmsg_harness.proc is not None and rpmsg_harness.proc.poll() is None, f"died in round {round_}"
        linux.receive()
        if rpmsg_stats(link)["state"] == L.SHMEM_RPMSG_STOPPED:
            stops += 1
        # Linux's model itself would be confused by its own corruption: start afresh each round.
        linux.reset()
        rpmsg_harness.wait_for_log("rpmsg: vdev reset by Linux")
        rpmsg_harness.log_path.write_text("")
        linux.probe()
        assert linux.announcements() == ANNOUNCEMENTS
    assert stops > 40


def test_each_value_is_read_once(harness_binary: Path, tmp_path: Path) -> None:
    """Under SHMEM_HOST_TOCTOU=rpmsg a second read of any descriptor, avail
    entry or header word gets 0xFFFFFFE0: far outside the window (SIGSEGV)
    or a bad value (stopped). Neither happens: everything is echoed."""
    h = RpmsgHarness(harness_binary, tmp_path, env={"SHMEM_HOST_TOCTOU": "rpmsg"})
    try:
        h.wait_for_log("TOCTOU injection on rpmsg")
        model = Linux(h)
        model.probe()
        assert model.announcements() == ANNOUNCEMENTS
        rng = random.Random(13)
        for round_ in range(40):
            sent = [rng.randbytes(rng.randrange(0, 497)) for _ in range(50)]
            for i, data in enumerate(sent):
                assert model.send(TTY_ADDR if i % 2 else RAW_ADDR, data, kick=False)
            model.kick()
            assert [d for _, _, d in model.collect(50)] == sent, f"round {round_}"
        assert "rpmsg stopped" not in h.log()
        assert h.stop() == 0, h.log()
    finally:
        h.close()
