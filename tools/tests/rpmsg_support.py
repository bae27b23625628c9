# SPDX-License-Identifier: MIT
"""Helpers of the RPMsg payload tests (tools/tests/test_rpmsg_payload*.py):
the host harness with its RPMsg window and resource table, and a model of
Linux's side (remoteproc writing the table, virtio_ring's driver side of two
legacy split rings, virtio_rpmsg_bus's buffers, the sharedmem driver's
validation of what CPU1 returns).

The model does what Linux 6.12 with the sharedmem driver does where it
matters to CPU1: at probe it zeroes the vrings, writes vring da/notifyid,
adds its RX buffers (512 bytes, VRING_DESC_F_WRITE) and only then sets
DRIVER_OK and kicks; a send uses a fresh TX buffer (the first 256) or
recycles one CPU1 returned, writes header and data, adds it with length
16 + len and kicks; a receive collects the used RX entries CPU1 published,
each checked as sharedmem-vring.c and sharedmem-rpmsg.c check them (the
index moves by at most the buffers out, every id is out, every length fits
its buffer, every header's len fits the length: any violation breaks the
ring, BadRing), then hands each message on, gives the buffer back, and
kicks once. Free descriptors are reused last-freed first, as virtio_ring's
free list does."""

import collections
import mmap
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from channel_support import REGION_SIZE, Harness
from shmem_helper import channel as C
from shmem_helper import channel_layout as L

WINDOW_DA = 0x1F400000
WINDOW_SIZE = 0x00200000
VRING_OFFSETS = (0x000000, 0x010000)  # vring0: Linux's RX (CPU1 -> Linux), vring1: Linux's TX
POOL_OFFSET = 0x100000
POOL_SIZE = 0x100000
NUM = 256
ALIGN = 4096
BUF_SIZE = 512
HDR = struct.Struct("<IIIHH")  # struct rpmsg_hdr: src, dst, reserved, len, flags
NS_MSG = struct.Struct("<32sII")  # struct rpmsg_ns_msg: name, addr, flags
NS_ADDR = 53
TTY_ADDR = 0x400
RAW_ADDR = 0x401
LINUX_ADDR = 0x400 + 0x100  # a local address of Linux's (its own numbering, from 1024)

TABLE_SIZE = 4096
VDEV = 20  # offset of the vdev entry in the table
STATUS = VDEV + 24
VRING_DESC_F_NEXT = 1
VRING_DESC_F_WRITE = 2
VRING_DESC_F_INDIRECT = 4
VRING_AVAIL_F_NO_INTERRUPT = 1
ACKNOWLEDGE, DRIVER, DRIVER_OK, FAILED = 1, 2, 4, 0x80

# struct shmem_svc_rpmsg_stats
STATS = struct.Struct("<12I2Q")
STATS_FIELDS = ("state", "vdev_status", "rx_msgs", "tx_msgs", "announcements", "dropped", "errors", "error",
                "error_value", "error_vring", "doorbells_out", "starts", "rx_bytes", "tx_bytes")


VRINGS = ((WINDOW_DA, ALIGN, NUM), (WINDOW_DA + 0x10000, ALIGN, NUM))  # (da, align, num) of rsc_table.c


def table_image(vrings: Iterable[tuple[int, int, int]] = VRINGS) -> bytes:
    """The resource table as the payload's ELF carries it (rsc_table.c), padded to its page."""
    image = struct.pack("<5I", 1, 1, 0, 0, VDEV)
    image += struct.pack("<6I4B", 3, 7, 0, 1, 0, 0, 0, 2, 0, 0)
    for da, align, num in vrings:
        image += struct.pack("<5I", da, align, num, 0, 0)
    return image.ljust(TABLE_SIZE, b"\0")


def u16(mem: memoryview, offset: int) -> int:
    return int(struct.unpack_from("<H", mem, offset)[0])


def u32(mem: memoryview, offset: int) -> int:
    return int(struct.unpack_from("<I", mem, offset)[0])


def put16(mem: memoryview, offset: int, value: int) -> None:
    """One aligned 16-bit store, as Linux's: struct.pack_into() may store byte
    by byte, and a torn avail.idx (0x00FF -> 0x0000 -> 0x0100) is a corrupt one."""
    assert offset % 2 == 0
    mem[offset:offset + 2].cast("H")[0] = value & 0xFFFF


def put32(mem: memoryview, offset: int, value: int) -> None:
    assert offset % 4 == 0
    mem[offset:offset + 4].cast("I")[0] = value & 0xFFFFFFFF


class BadRing(Exception):
    """What CPU1 broke (the driver's message): the ring is broken from then on."""


class Vring:
    """The driver (Linux) side of a legacy split ring at `offset` of the window."""

    def __init__(self, mem: memoryview, offset: int, num: int = NUM, align: int = ALIGN):
        self.mem, self.num = mem, num
        self.desc = offset
        self.avail = offset + 16 * num
        self.used = offset + ((16 * num + 6 + 2 * num + align - 1) & ~(align - 1))
        self.size = self.used + 6 + 8 * num - offset
        self.offset = offset
        self.reset()

    def reset(self) -> None:
        """rp_find_vq(): the whole vring zeroed, every descriptor free."""
        self.mem[self.offset:self.offset + self.size] = bytes(self.size)
        self.free = collections.deque(range(self.num))
        self.tokens: dict[int, int] = {}  # heads out (lent to CPU1): their token
        self.lengths: dict[int, int] = {}  # and their buffer's length
        self.avail_idx = 0
        self.last_used = 0
        self.broken = False

    def add(self, addr: int, length: int, flags: int, token: int, publish: bool = True) -> int:
        """virtqueue_add_split(): a descriptor, an avail entry, and (publish) avail.idx."""
        head = self.free.popleft()
        struct.pack_into("<QIHH", self.mem, self.desc + 16 * head, addr, length, flags, 0)
        put16(self.mem, self.avail + 4 + 2 * (self.avail_idx % self.num), head)
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self.tokens[head] = token
        self.lengths[head] = length
        if publish:
            self.publish()
        return head

    def publish(self) -> None:
        put16(self.mem, self.avail + 2, self.avail_idx)

    def used_idx(self) -> int:
        return u16(self.mem, self.used + 2)

    def collect(self, check: Callable[[int, int], None] | None = None) -> list[tuple[int, int]]:
        """sharedmem_vring_collect() then virtqueue_get_buf(): (token, len) of
        every used entry CPU1 published, each validated first; BadRing if not."""
        if self.broken:
            return []
        used = self.used_idx()
        count = (used - self.last_used) & 0xFFFF
        if count > len(self.tokens):
            self.broken = True
            raise BadRing(f"CPU1 moved the used index from {self.last_used} to {used}, "
                          f"with {len(self.tokens)} buffers out")
        got = []
        for _ in range(count):
            entry = self.used + 4 + 8 * (self.last_used % self.num)
            head, length = u32(self.mem, entry), u32(self.mem, entry + 4)
            if head not in self.tokens:
                self.broken = True
                raise BadRing(f"CPU1 returned buffer {head}, which is not out")
            if length > self.lengths[head]:
                self.broken = True
                raise BadRing(f"CPU1 returned {length} bytes in buffer {head}, which holds {self.lengths[head]}")
            token = self.tokens.pop(head)
            if check is not None:
                try:
                    check(token, length)
                except BadRing:
                    self.broken = True
                    raise
            self.free.appendleft(head)  # detach_buf_split(): the freed descriptor is the next one used
            self.last_used = (self.last_used + 1) & 0xFFFF
            got.append((token, length))
        return got

    def set_flags(self, flags: int) -> None:
        put16(self.mem, self.avail, flags)

    def snapshot(self) -> bytes:
        """Linux's part: descriptors and available ring (CPU1 must never write them)."""
        return bytes(self.mem[self.desc:self.used])


class Linux:
    """Linux's side of the payload's RPMsg device, driven by the test."""

    def __init__(self, harness: "RpmsgHarness"):
        self.h = harness
        self.window, self.table = harness.window, harness.table
        self.rx = Vring(self.window, VRING_OFFSETS[0])
        self.tx = Vring(self.window, VRING_OFFSETS[1])
        self.last_sbuf = 0
        self.tx_back: collections.deque[int] = collections.deque()  # TX buffers CPU1 returned

    # -- remoteproc and virtio core --
    def status(self) -> int:
        return int(self.table[STATUS])

    def set_status(self, status: int) -> None:
        self.table[STATUS] = status  # a byte store, as rproc_virtio_set_status()

    def probe(self, rx_buffers: int = NUM, kick: bool = True, driver_ok: bool = True,
              vring_da: tuple[int, int] = (WINDOW_DA + VRING_OFFSETS[0], WINDOW_DA + VRING_OFFSETS[1])) -> None:
        """rproc_add_virtio_dev() + rpmsg_probe(): fresh vrings, RX buffers added, DRIVER_OK, kick.
        `vring_da`: what remoteproc writes into the table (the carveouts' addresses)."""
        self.set_status(ACKNOWLEDGE)
        self.set_status(ACKNOWLEDGE | DRIVER)
        put32(self.table, VDEV + 16, 1)  # gfeatures: the name service
        for i, ring in enumerate((self.rx, self.tx)):
            ring.reset()
            put32(self.table, VDEV + 28 + 20 * i, vring_da[i])  # rsc->vring[i].da
            put32(self.table, VDEV + 28 + 20 * i + 12, i)  # notifyid
        self.window[POOL_OFFSET:POOL_OFFSET + POOL_SIZE] = bytes(POOL_SIZE)
        self.last_sbuf = 0
        self.tx_back.clear()
        for i in range(rx_buffers):
            self.rx.add(self.rbuf(i), BUF_SIZE, VRING_DESC_F_WRITE, i)
        if driver_ok:
            self.driver_ok(kick)

    def driver_ok(self, kick: bool = True) -> None:
        self.set_status(ACKNOWLEDGE | DRIVER | DRIVER_OK)
        if kick:
            self.kick()

    def reset(self) -> None:
        """rproc_virtio_reset(): status 0 (stop, crash recovery, unbind)."""
        self.set_status(0)

    def kick(self) -> None:
        self.h.notify()

    @staticmethod
    def rbuf(i: int) -> int:
        return WINDOW_DA + POOL_OFFSET + BUF_SIZE * i

    @staticmethod
    def sbuf(i: int) -> int:
        return WINDOW_DA + POOL_OFFSET + BUF_SIZE * (NUM + i)

    def at(self, da: int) -> int:
        return da - WINDOW_DA

    # -- virtio_rpmsg_bus --
    def send(self, dst: int, data: bytes, src: int = LINUX_ADDR, kick: bool = True,
             publish: bool = True) -> bool:
        """rpmsg_send_offchannel_raw() without waiting: False when no TX buffer is free."""
        assert len(data) <= BUF_SIZE - HDR.size
        if self.last_sbuf < NUM:
            addr = self.sbuf(self.last_sbuf)
            self.last_sbuf += 1
        else:
            if not self.tx_back:
                self.tx_back.extend(token for token, _ in self.tx.collect())
            if not self.tx_back:
                return False
            addr = self.tx_back.popleft()
        offset = self.at(addr)
        HDR.pack_into(self.window, offset, src, dst, 0, len(data), 0)
        self.window[offset + HDR.size:offset + HDR.size + len(data)] = data
        self.tx.add(addr, HDR.size + len(data), 0, addr, publish)
        if kick:
            self.kick()
        return True

    def check_message(self, index: int, length: int) -> None:
        """sharedmem_rpmsg_check_message(): the header's len fits the length CPU1 gave."""
        msg_len = HDR.unpack_from(self.window, self.at(self.rbuf(index)))[3]
        if length < HDR.size:
            raise BadRing(f"CPU1 sent an RPMsg message of {length} bytes, shorter than its header")
        if msg_len > length - HDR.size:
            raise BadRing(f"CPU1 sent an RPMsg message of {length} bytes whose header says {msg_len} bytes of data")

    def receive(self, kick: bool = True) -> list[tuple[int, int, bytes]]:
        """CPU1's doorbell, then rpmsg_recv_done(): every used RX buffer as
        (src, dst, data), given back, one kick. BadRing: CPU1 broke the ring."""
        got = []
        for index, _ in self.rx.collect(self.check_message):
            offset = self.at(self.rbuf(index))
            src, dst, _, msg_len, _ = HDR.unpack_from(self.window, offset)
            got.append((src, dst, bytes(self.window[offset + HDR.size:offset + HDR.size + msg_len])))
            self.rx.add(self.rbuf(index), BUF_SIZE, VRING_DESC_F_WRITE, index)
        if got and kick:
            self.kick()
        return got

    def until(self, what: str, done: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait for CPU1's doorbells (or its 10 ms tick) until done()."""
        deadline = time.monotonic() + timeout
        while not done():
            assert self.h.proc is not None and self.h.proc.poll() is None, \
                f"the harness died while waiting for {what}:\n{self.h.log()}"
            assert time.monotonic() < deadline, f"{what}: not within {timeout} s\n{self.h.log()}"
            self.h.wait(0.02)

    def collect(self, count: int, timeout: float = 10.0) -> list[tuple[int, int, bytes]]:
        """Receive until `count` messages came."""
        got: list[tuple[int, int, bytes]] = []

        def enough() -> bool:
            got.extend(self.receive())
            return len(got) >= count

        self.until(f"{count} messages from CPU1 (got {len(got)})", enough, timeout)
        return got

    def announcements(self) -> list[tuple[int, int, bytes]]:
        return self.collect(2)


class RpmsgHarness(Harness):
    """The host harness serving both the channel (an all-zero region: CPU1
    waits for its magic until a test initialises it) and the RPMsg device:
    `window` is the memory at WINDOW_DA, `table` the loaded resource table."""

    def __init__(self, binary: Path, tmp: Path, table: bytes | None = None,
                 env: dict[str, str] | None = None):
        self.window_path, self.table_path = tmp / "rpmsg-window.bin", tmp / "rsc-table.bin"
        self.window_path.write_bytes(bytes(WINDOW_SIZE))
        self.table_path.write_bytes(table if table is not None else table_image())
        self._files = [open(p, "r+b") for p in (self.window_path, self.table_path)]
        self._maps = [mmap.mmap(f.fileno(), 0) for f in self._files]
        self.window, self.table = (memoryview(m) for m in self._maps)
        self.args = ["--rpmsg", str(self.window_path), str(self.table_path)]
        super().__init__(binary, tmp / "channel.bin", REGION_SIZE, env=env)

    def close(self) -> None:
        super().close()
        self.window.release()
        self.table.release()
        for m in self._maps:
            m.close()
        for f in self._files:
            f.close()


def rpmsg_stats(channel: C.Channel) -> dict[str, int]:
    """CPU1's RPMsg counters over the channel (RPMSG_STATS)."""
    msg = channel.request(L.SHMEM_MSG_RPMSG_STATS, b"")
    return dict(zip(STATS_FIELDS, STATS.unpack(bytes(msg.payload)), strict=True))


# Fixtures of the RPMsg payload tests (registered in conftest.py).

def ns(name: str, addr: int) -> tuple[int, int, bytes]:
    return addr, NS_ADDR, NS_MSG.pack(name.encode(), addr, 0)


ANNOUNCEMENTS = [ns("rpmsg-tty", TTY_ADDR), ns("rpmsg-raw", RAW_ADDR)]


@pytest.fixture
def rpmsg_harness(harness_binary: Path, tmp_path: Path) -> Iterator[RpmsgHarness]:
    h = RpmsgHarness(harness_binary, tmp_path)
    yield h
    rc = h.stop()
    log = h.log()
    h.close()
    assert rc == 0, f"harness exited {rc} (a signal: an access outside its memory?):\n{log}"


@pytest.fixture
def linux(rpmsg_harness: RpmsgHarness) -> Linux:
    """Linux after virtio_rpmsg probed: both announcements received."""
    model = Linux(rpmsg_harness)
    model.probe()
    assert model.announcements() == ANNOUNCEMENTS
    return model


@pytest.fixture
def link(rpmsg_harness: RpmsgHarness) -> Iterator[C.Channel]:
    """The channel of the same harness, ready (for RPMSG_STATS and PING)."""
    C.initialise(rpmsg_harness.mem)
    rpmsg_harness.notify()
    with C.Channel(rpmsg_harness.mem, wait=rpmsg_harness.wait, notify=rpmsg_harness.notify) as ch:
        ch.wait_ready()
        yield ch


