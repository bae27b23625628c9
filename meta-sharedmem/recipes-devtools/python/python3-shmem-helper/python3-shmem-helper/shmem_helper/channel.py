# SPDX-License-Identifier: MIT
"""Linux's side of the sharedmem channel protocol (sharedmem_channel.h).

A `Channel` works on any writable buffer holding the channel region: the
mmap of /dev/sharedmem/sharedmem-channel on the board, a plain file's mmap on
a host. How to wait for CPU1 and how to ring it are injected:

    wait(timeout)   block until CPU1 may have rung Linux's doorbell, or until
                    `timeout` seconds have passed (on the board: poll() on the
                    channel node; in host tests: a pipe from the harness);
    notify()        ring CPU1's doorbell (on the board: the driver's doorbell
                    call, which also orders the writes before it);
    barrier()       order the writes of a message before the index that
                    publishes it (a DMB on the board's mapping; nothing on a
                    host, where the stores of one thread are seen in order).

Everything CPU1 wrote (its state, its ring indices, the records it produced)
is validated before use; a bad value raises `ChannelCorrupt` naming the field,
records the finding in the control block's host line, and leaves the channel
to `reset()`. One Channel per channel at a time: the rings have one producer
and one consumer on each side.

Reads and writes of 32-bit fields go through a memoryview cast to unsigned
ints, so each is one aligned 32-bit access (a torn index would look corrupt).
"""

import array
import enum
import errno
import os
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import channel_layout as L
from .errors import ChannelRestarted, Cpu1NotRunning, Error, InvalidArgument, MessageTooLarge, ProtocolError, Timeout

Wait = Callable[[float], None]
Notify = Callable[[], None]

DEFAULT_TIMEOUT = 5.0
_HDR = struct.Struct("<8I")
_BULK = struct.Struct("<4I")


# The names this module's errors had before shmem_helper.Error; new code
# catches the classes of shmem_helper.errors.
ChannelError = Error
ChannelNotReady = Cpu1NotRunning
ChannelTimeout = Timeout


class Cpu1State(enum.IntEnum):
    """CPU1's state as the payload reports it in the channel's control block
    (cpu1.state, SHMEM_CPU1_*); str() and format() give the lower-case name.

    Example::

        if link.channel.state() == Cpu1State.READY: ...
    """

    OFFLINE = L.SHMEM_CPU1_OFFLINE
    BOOTING = L.SHMEM_CPU1_BOOTING
    READY = L.SHMEM_CPU1_READY
    HALTING = L.SHMEM_CPU1_HALTING
    HALTED = L.SHMEM_CPU1_HALTED
    CRASHED = L.SHMEM_CPU1_CRASHED
    BROKEN = L.SHMEM_CPU1_BROKEN

    def __str__(self) -> str:
        return self.name.lower()

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class ChannelCorrupt(ProtocolError):
    """A value CPU1 wrote is invalid; `field` and `value` name it. Nothing
    invalid was used; reset the channel.

    Example::

        except ChannelCorrupt as e:
            print(e.field, hex(e.value)); link.channel.reset()
    """

    def __init__(self, field: str, value: int, why: str):
        self.field = field
        self.value = value
        super().__init__(f"channel corrupt: {field} = {value:#x}: {why}; reset the channel")


class ChannelBroken(Error):
    """CPU1 reports the channel broken (state BROKEN): it found an invalid
    value in what Linux wrote. `reason` is its SHMEM_CHAN_ERR_* code,
    `value` the value, `ring` the ring. Reset the channel.

    Example::

        except ChannelBroken as e:
            print(e.reason); link.channel.reset()
    """

    default_errno = errno.EPROTO

    def __init__(self, reason: int, value: int, ring: int):
        self.reason = reason
        self.value = value
        self.ring = ring
        name = L.ERROR_NAMES.get(reason, f"error {reason}")
        where = f" of ring {ring}" if reason in (L.SHMEM_CHAN_ERR_HEAD, L.SHMEM_CHAN_ERR_TAIL,
                                                  L.SHMEM_CHAN_ERR_MSG_LEN, L.SHMEM_CHAN_ERR_MSG_PAD,
                                                  L.SHMEM_CHAN_ERR_MSG_RESERVED) else ""
        super().__init__(f"CPU1 reports the channel broken: bad {name}{where} (value {value:#x}); "
                         "reset the channel")


class ServiceError(Error):
    """CPU1 answered a request with a status other than OK; `type` and
    `status` name the request and the SHMEM_STATUS_* answer.

    Example::

        except ServiceError as e:
            print(e.status)             # e.g. SHMEM_STATUS_BAD_RANGE
    """

    default_errno = errno.EREMOTEIO

    def __init__(self, msg_type: int, status: int):
        self.type = msg_type
        self.status = status
        super().__init__(f"CPU1 refused {L.TYPE_NAMES.get(msg_type, str(msg_type))}: "
                         f"{L.STATUS_NAMES.get(status, f'status {status}')}")


def _not_ready(state: int) -> Cpu1NotRunning:
    if state == L.SHMEM_CPU1_CRASHED:
        return Cpu1NotRunning("CPU1 crashed (its heartbeat stopped); remoteproc restarts it unless its recovery is "
                              "disabled (see dmesg and /sys/class/remoteproc/*/recovery): open the channel again",
                              state=state)
    return Cpu1NotRunning(f"CPU1 is {state_name(state)}, not ready; start it (shmem-helper start) and wait for "
                          "state 'ready'", state=state)


def _restarted(state: int, opened: int, now: int) -> ChannelRestarted:
    return ChannelRestarted(f"CPU1 was restarted since this channel was opened (start {opened} -> {now}, now "
                            f"{state_name(state)}); open the channel again", state=state, opened=opened, now=now)


def state_name(state: int) -> str:
    """The name of a cpu1.state value ("ready"), also for unknown values.

    Example: ``state_name(2)  # 'ready'``
    """
    try:
        return str(Cpu1State(state))
    except ValueError:
        return f"unknown state {state}"


@dataclass(frozen=True)
class Layout:
    """Sizes and places of the channel's areas (the config line).

    Example: ``Layout.for_size(1 << 20, ring_size=4096).check(1 << 20)``
    """

    total_size: int = L.SHMEM_CHAN_DEFAULT_TOTAL_SIZE
    ring_offsets: tuple[int, int] = (L.SHMEM_CHAN_DEFAULT_RING0_OFFSET, L.SHMEM_CHAN_DEFAULT_RING1_OFFSET)
    ring_sizes: tuple[int, int] = (L.SHMEM_CHAN_DEFAULT_RING_SIZE, L.SHMEM_CHAN_DEFAULT_RING_SIZE)
    bulk_offset: int = L.SHMEM_CHAN_DEFAULT_BULK_OFFSET
    bulk_size: int = L.SHMEM_CHAN_DEFAULT_BULK_SIZE

    @classmethod
    def for_size(cls, total_size: int, ring_size: int = L.SHMEM_CHAN_DEFAULT_RING_SIZE) -> "Layout":
        """Control block, two rings of `ring_size`, the rest bulk (64-byte aligned)."""
        r0 = L.SHMEM_CHAN_CTRL_SIZE
        r1 = r0 + ring_size
        bulk = r1 + ring_size
        return cls(total_size, (r0, r1), (ring_size, ring_size), bulk, total_size - bulk)

    def config(self) -> dict[str, int]:
        """The config line's fields for this layout, the magic aside (written
        last by initialise(), when the rest is in place)."""
        return {"version": L.SHMEM_CHAN_VERSION, "total_size": self.total_size, "ctrl_size": L.SHMEM_CHAN_CTRL_SIZE,
                "ring[0].offset": self.ring_offsets[0], "ring[0].size": self.ring_sizes[0],
                "ring[1].offset": self.ring_offsets[1], "ring[1].size": self.ring_sizes[1],
                "bulk_offset": self.bulk_offset, "bulk_size": self.bulk_size}

    def check(self, region_size: int) -> None:
        """Raise InvalidArgument (a ValueError) unless CPU1 would accept this layout (same rules as the payload)."""
        t = self.total_size
        if t < L.SHMEM_CHAN_CTRL_SIZE or t > region_size or t % L.SHMEM_CHAN_RING_ALIGN:
            raise InvalidArgument(f"total size {t:#x} does not fit a region of {region_size:#x} bytes")
        areas = []
        for i, (off, size) in enumerate(zip(self.ring_offsets, self.ring_sizes, strict=True)):
            if off % L.SHMEM_CHAN_RING_ALIGN or off < L.SHMEM_CHAN_CTRL_SIZE or off > t:
                raise InvalidArgument(f"ring {i} offset {off:#x} is not a multiple of 64 inside the region")
            if size < L.SHMEM_CHAN_RING_MIN or size & (size - 1) or size > t - off:
                raise InvalidArgument(f"ring {i} size {size:#x} is not a power of two >= "
                                 f"{L.SHMEM_CHAN_RING_MIN} inside the region")
            areas.append((off, size))
        if (self.bulk_offset % L.SHMEM_CHAN_RING_ALIGN or self.bulk_offset < L.SHMEM_CHAN_CTRL_SIZE
                or self.bulk_offset > t or self.bulk_size > t - self.bulk_offset):
            raise InvalidArgument(f"bulk area {self.bulk_offset:#x}+{self.bulk_size:#x} is not inside the region")
        areas.append((self.bulk_offset, self.bulk_size))
        for i, (a, asz) in enumerate(areas):
            for b, bsz in areas[i + 1:]:
                if asz and bsz and a < b + bsz and b < a + asz:
                    raise InvalidArgument(f"areas at {a:#x} and {b:#x} overlap")


@dataclass(frozen=True)
class Message:
    """One message from CPU1: `type` (SHMEM_MSG_*), `flags`, `seq`, `status`
    (SHMEM_STATUS_*) and its payload, copied out of the ring.

    Example::

        msg = link.channel.recv()
        print(msg.type, msg.seq, msg.payload.hex())
    """

    type: int
    flags: int
    seq: int
    status: int
    payload: bytes


@dataclass(frozen=True)
class Ping:
    """CPU1's answer to PING: the request's `seq`, its firmware version and
    counters.

    Example: ``print(link.channel.ping().fw_version)``
    """

    seq: int
    fw_version: str
    heartbeat: int
    rx_msgs: int
    tx_msgs: int
    bad_requests: int


@dataclass(frozen=True)
class Stats:
    """CPU1's answer to STATS: its state and counters.

    Example: ``print(link.channel.stats().state)  # ready``
    """

    fw_version: str
    state: Cpu1State
    heartbeat: int
    rx_msgs: int
    tx_msgs: int
    bad_requests: int
    doorbells_in: int
    doorbells_out: int
    resets: int
    pad_records: int
    rx_bytes: int
    tx_bytes: int
    bulk_bytes: int


@dataclass(frozen=True)
class ChannelStatus:
    """The control block as Linux sees it (Channel.status()): CPU1's state,
    the error it reported, its counters and Linux's.

    Example::

        status = link.channel.status()
        print(status.state, status.heartbeat, dataclasses.asdict(status))
    """

    state: Cpu1State
    error: str
    error_value: int
    heartbeat: int
    fw_version: str
    reset_gen: int
    reset_ack: int
    rx_msgs: int
    tx_msgs: int
    bad_requests: int
    doorbells_in: int
    doorbells_out: int
    resets: int
    linux_tx_msgs: int
    linux_rx_msgs: int


def sleep_wait(interval: float = 0.0005) -> Wait:
    """A `wait` for when no doorbell can be waited on: sleep a little.

    Example: ``Channel(mapping.view, wait=sleep_wait(0.001))``
    """
    def wait(timeout: float) -> None:
        time.sleep(min(timeout, interval))
    return wait


def _nothing() -> None:
    pass


def _words(mem: Any) -> tuple[memoryview, memoryview]:
    view = memoryview(mem).cast("B")
    if view.readonly:
        raise InvalidArgument("the channel region must be mapped writable")
    if len(view) < L.SHMEM_CHAN_CTRL_SIZE or len(view) % 4:
        raise InvalidArgument(f"a channel region of {len(view)} bytes is too small or not a multiple of 4")
    if sys.byteorder != "little":
        raise InvalidArgument("the channel layout is little-endian; this host is not")
    return view, view.cast("I")


def initialise(mem: Any, layout: Layout | None = None) -> Layout:
    """Write a fresh control block (Linux, before starting CPU1): config line,
    host line and CPU1 line zeroed (state OFFLINE), all indices 0; the magic
    is written last. A reset generation is carried over, so that a CPU1 still
    running sees a change, and so is the driver's start count (epoch).
    Returns the layout written. (The driver does this when CPU1 starts.)

    Example: ``initialise(mmap.mmap(-1, 1 << 20))  # a host test's channel``
    """
    view, u32 = _words(mem)
    if layout is None:
        layout = Layout() if len(view) == L.SHMEM_CHAN_DEFAULT_TOTAL_SIZE else Layout.for_size(len(view))
    layout.check(len(view))
    gen = u32[L.host_field("reset_gen") // 4]
    epoch = u32[L.host_field("epoch") // 4]
    u32[L.config_field("magic") // 4] = 0
    view[4:L.SHMEM_CHAN_CTRL_SIZE] = bytes(L.SHMEM_CHAN_CTRL_SIZE - 4)
    for name, value in layout.config().items():
        u32[L.config_field(name) // 4] = value
    u32[L.host_field("reset_gen") // 4] = (gen + 1) & 0xFFFFFFFF
    u32[L.host_field("epoch") // 4] = epoch
    u32[L.config_field("magic") // 4] = L.SHMEM_CHAN_MAGIC
    return layout


class Channel:
    """Linux's end of the channel in `mem` (the whole channel region). On
    the board, ChannelLink builds it on the channel node with the driver's
    doorbells; elsewhere pass any writable buffer and the `wait`, `notify`
    and `barrier` calls (see the module's doc).

    Example::

        with ChannelLink() as link:
            channel = link.channel
            print(channel.ping().fw_version, channel.echo(b"hi"))
            channel.bulk[:4] = b"data"
            print(hex(channel.crc(0, 4)))
    """

    def __init__(self, mem: Any, *, wait: Wait | None = None, notify: Notify | None = None,
                 barrier: Notify | None = None):
        self._view, self._u32 = _words(mem)
        self._wait = wait or sleep_wait()
        self._notify = notify or _nothing
        self._barrier = barrier or _nothing
        try:
            self.layout = self._read_layout()
        except BaseException:
            self.close()  # the caller's mapping can be closed, and its error is the one seen
            raise
        # Adopt the indices this side owns; they are checked against CPU1's on use.
        self._epoch = self._get(L.host_field("epoch"))
        self._head = self._get(L.RING_HEAD[0])
        self._tail = self._get(L.RING_TAIL[1])
        self._seq = int.from_bytes(os.urandom(4), "little")
        self.stale_responses = 0  # responses to requests of an earlier user, dropped
        self._pad_consumed = False  # set by _try_recv: room freed that CPU1 may be waiting for

    def close(self) -> None:
        """Release this channel's views of the region (so its mmap can be
        closed). Example: ``channel.close()``"""
        self._u32.release()
        self._view.release()

    def __enter__(self) -> "Channel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- raw access ---------------------------------------------------------

    def _get(self, offset: int) -> int:
        return int(self._u32[offset // 4])

    def _put(self, offset: int, value: int) -> None:
        self._u32[offset // 4] = value & 0xFFFFFFFF

    def _cpu1(self, name: str) -> int:
        return self._get(L.cpu1_field(name))

    def _count(self, name: str, n: int = 1) -> None:
        off = L.host_field(name)
        self._put(off, self._get(off) + n)

    def _check_epoch(self) -> None:
        """Raise ChannelRestarted if CPU1 was started again since this channel
        was opened: the indices and messages it holds belong to the old run."""
        epoch = self._get(L.host_field("epoch"))
        if epoch != self._epoch:
            raise _restarted(self._cpu1("state"), self._epoch, epoch)

    def _corrupt(self, field: str, value: int, why: str, error: int) -> Error:
        """Record what Linux found in the host line and return the exception;
        a value that looks corrupt because CPU1 was restarted under us is not
        recorded (the host line is the new run's)."""
        try:
            self._check_epoch()
        except ChannelRestarted as e:
            return e
        self._put(L.host_field("error_value"), value)
        self._put(L.host_field("error"), error)
        return ChannelCorrupt(field, value, why)

    def _read_layout(self) -> Layout:
        # Each word once: CPU1 (or a group member) may rewrite any of them
        # meanwhile, so the checks and the messages use these copies only.
        g = self._get
        magic = g(L.config_field("magic"))
        if magic != L.SHMEM_CHAN_MAGIC:
            raise Cpu1NotRunning(f"no channel in this region (magic {magic:#x}, want {L.SHMEM_CHAN_MAGIC:#x}); it "
                                 "is written when CPU1 is started: start it (shmem-helper start)")
        version = g(L.config_field("version"))
        if version != L.SHMEM_CHAN_VERSION:
            raise ProtocolError(f"channel layout version {version}, this library speaks {L.SHMEM_CHAN_VERSION}; use "
                                "the shmem-helper of the payload's release")
        layout = Layout(
            g(L.config_field("total_size")),
            (g(L.config_field("ring[0].offset")), g(L.config_field("ring[1].offset"))),
            (g(L.config_field("ring[0].size")), g(L.config_field("ring[1].size"))),
            g(L.config_field("bulk_offset")), g(L.config_field("bulk_size")))
        try:
            layout.check(len(self._view))
        except InvalidArgument as e:
            raise ChannelCorrupt("config", layout.total_size, str(e)) from None
        return layout

    # -- state ---------------------------------------------------------------

    @property
    def bulk(self) -> memoryview:
        """The bulk area, zero-copy. Example: ``channel.bulk[:4] = b"data"``"""
        return self._view[self.layout.bulk_offset:self.layout.bulk_offset + self.layout.bulk_size]

    @property
    def capacity(self) -> int:
        """The largest payload a request can carry. Example: ``len(data) <= channel.capacity``"""
        return L.msg_max(self.layout.ring_sizes[L.SHMEM_CHAN_RING_TO_CPU1])

    def state(self) -> Cpu1State:
        """CPU1's state as the payload reports it (ProtocolError if unknown).

        Example: ``link.channel.state() == Cpu1State.READY``
        """
        state = self._cpu1("state")
        try:
            return Cpu1State(state)
        except ValueError:
            raise self._corrupt("cpu1.state", state, "not a known state", L.SHMEM_CHAN_ERR_STATE) from None

    def status(self) -> ChannelStatus:
        """CPU1's line and Linux's counters, for `shmem-helper status`.

        Example: ``print(link.channel.status().heartbeat)``
        """
        state = self.state()
        error = self._cpu1("error")  # once: its name and its number are of one value
        return ChannelStatus(
            state=state,
            error=L.ERROR_NAMES.get(error, str(error)),
            error_value=self._cpu1("error_value"),
            heartbeat=self._cpu1("heartbeat"),
            fw_version=L.fw_version_string(self._cpu1("fw_version")),
            reset_gen=self._get(L.host_field("reset_gen")),
            reset_ack=self._cpu1("reset_ack"),
            rx_msgs=self._cpu1("rx_msgs"),
            tx_msgs=self._cpu1("tx_msgs"),
            bad_requests=self._cpu1("bad_requests"),
            doorbells_in=self._cpu1("doorbells_in"),
            doorbells_out=self._cpu1("doorbells_out"),
            resets=self._cpu1("resets"),
            linux_tx_msgs=self._get(L.host_field("tx_msgs")),
            linux_rx_msgs=self._get(L.host_field("rx_msgs")),
        )

    def check_ready(self) -> None:
        """Raise (Cpu1NotRunning, ChannelRestarted, ChannelBroken) unless
        CPU1 serves this channel generation. Example: ``channel.check_ready()``"""
        self._check_epoch()
        state = self.state()
        if state == L.SHMEM_CPU1_BROKEN:
            raise ChannelBroken(self._cpu1("error"), self._cpu1("error_value"), self._cpu1("error_ring"))
        if state != L.SHMEM_CPU1_READY or self._cpu1("reset_ack") != self._get(L.host_field("reset_gen")):
            raise _not_ready(state)

    def wait_ready(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until CPU1 serves the channel (after a start or a reset).
        Example: ``channel.wait_ready(timeout=2)``"""
        def ready() -> bool:
            state = self.state()
            if state == L.SHMEM_CPU1_BROKEN:
                self.check_ready()
            return state == L.SHMEM_CPU1_READY and \
                self._cpu1("reset_ack") == self._get(L.host_field("reset_gen"))
        self._until("waiting for CPU1 to be ready", timeout, ready)

    def _cpu1_summary(self) -> str:
        return f"state {state_name(self._cpu1('state'))}, heartbeat {self._cpu1('heartbeat')}"

    def _until(self, what: str, timeout: float, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"{what}: no answer from CPU1 within {timeout:g} s ({self._cpu1_summary()}); "
                              "reset the channel, or restart CPU1")
            self._wait(left)

    # -- rings ---------------------------------------------------------------

    def _ring(self, n: int) -> tuple[int, int]:
        return self.layout.ring_offsets[n], self.layout.ring_sizes[n]

    def _try_send(self, msg_type: int, payload: bytes | memoryview, seq: int) -> bool:
        base, size = self._ring(L.SHMEM_CHAN_RING_TO_CPU1)
        record = L.msg_record(len(payload))
        while True:
            tail = self._get(L.RING_TAIL[0])
            used = (self._head - tail) & 0xFFFFFFFF
            if used > size or tail % L.SHMEM_CHAN_MSG_ALIGN:
                raise self._corrupt("ring[0].tail", tail, f"CPU1's tail is not within the {size:#x}-byte ring "
                                    f"behind head {self._head:#x}", L.SHMEM_CHAN_ERR_TAIL)
            free = size - used
            pos = self._head & (size - 1)
            to_end = size - pos
            if record <= to_end:
                if record > free:
                    return False
                at = base + pos
                self._view[at + L.MSG_HDR_SIZE:at + L.MSG_HDR_SIZE + len(payload)] = payload
                _HDR.pack_into(self._view, at, len(payload), msg_type, 0, seq, 0, 0, 0, 0)
                self._publish(record)
                return True
            if to_end > free:
                return False
            _HDR.pack_into(self._view, base + pos, to_end - L.MSG_HDR_SIZE, L.SHMEM_MSG_PAD, 0, 0, 0, 0, 0, 0)
            self._publish(to_end)

    def _publish(self, record: int) -> None:
        self._head = (self._head + record) & 0xFFFFFFFF
        self._barrier()  # the record before the index that publishes it
        self._put(L.RING_HEAD[0], self._head)

    def send(self, msg_type: int, payload: bytes | memoryview = b"", *, seq: int | None = None,
             timeout: float = DEFAULT_TIMEOUT, drop_responses: bool = False) -> int:
        """Queue a request and ring CPU1; return its sequence number. Waits
        for room in the ring up to `timeout`. With `drop_responses`, responses
        that arrive meanwhile are dropped as stale: a user that was killed
        with both rings full leaves CPU1 waiting for room for its answers,
        and the next user's request would otherwise never find room.

        Example: ``seq = channel.send(L.SHMEM_MSG_PING)``
        """
        if len(payload) > self.capacity:
            raise MessageTooLarge(f"a {len(payload)}-byte payload does not fit the request ring "
                                  f"(at most {self.capacity} bytes); send large data through the bulk area")
        if msg_type == L.SHMEM_MSG_PAD:
            raise InvalidArgument("type 0 (PAD) is reserved for ring padding")
        if seq is None:
            self._seq = (self._seq + 1) & 0xFFFFFFFF
            seq = self._seq
        self.check_ready()
        if not self._try_send(msg_type, payload, seq):
            self._notify()
            def room() -> bool:
                if self._try_send(msg_type, payload, seq):
                    return True
                if drop_responses:
                    dropped = 0
                    while self._try_recv() is not None:
                        dropped += 1
                    if dropped:
                        self.stale_responses += dropped
                        self._notify()  # CPU1 may be waiting for room for its responses
                return False

            self._until(f"send {L.TYPE_NAMES.get(msg_type, msg_type)}: waiting for room in the ring", timeout, room)
        self._count("tx_msgs")
        self._count("doorbells")
        self._notify()
        return seq

    def _try_recv(self) -> Message | None:
        base, size = self._ring(L.SHMEM_CHAN_RING_TO_LINUX)
        while True:
            head = self._get(L.RING_HEAD[1])
            used = (head - self._tail) & 0xFFFFFFFF
            if used > size or head % L.SHMEM_CHAN_MSG_ALIGN:
                raise self._corrupt("ring[1].head", head, f"CPU1's head is not within the {size:#x}-byte ring "
                                    f"ahead of tail {self._tail:#x}", L.SHMEM_CHAN_ERR_HEAD)
            if used == 0:
                return None
            self._barrier()  # read the record only after the index
            pos = self._tail & (size - 1)
            to_end = size - pos
            length, mtype, flags, seq, status, r0, r1, r2 = _HDR.unpack_from(self._view, base + pos)
            if length > L.msg_max(size):
                raise self._corrupt("msg.len", length, f"longer than the ring can carry ({L.msg_max(size)})",
                                    L.SHMEM_CHAN_ERR_MSG_LEN)
            record = L.msg_record(length)
            if mtype == L.SHMEM_MSG_PAD:
                if length != to_end - L.MSG_HDR_SIZE or record > used:
                    raise self._corrupt("msg.len", length, f"a PAD record at {pos:#x} must reach the end of "
                                        "the ring", L.SHMEM_CHAN_ERR_MSG_PAD)
                self._consume(record)
                self._pad_consumed = True
                continue
            if record > used:
                raise self._corrupt("msg.len", length, f"the record at {pos:#x} runs past the published head",
                                    L.SHMEM_CHAN_ERR_MSG_LEN)
            if record > to_end:
                raise self._corrupt("msg.len", length, f"the record at {pos:#x} crosses the end of the ring",
                                    L.SHMEM_CHAN_ERR_MSG_LEN)
            if r0 | r1 | r2:
                raise self._corrupt("msg.reserved", r0 | r1 | r2, "reserved fields must be zero",
                                    L.SHMEM_CHAN_ERR_MSG_RESERVED)
            if flags != L.SHMEM_MSG_F_RESPONSE:
                raise self._corrupt("msg.flags", flags, "a message from CPU1 has exactly the RESPONSE flag",
                                    L.SHMEM_CHAN_ERR_MSG_RESERVED)
            start = base + pos + L.MSG_HDR_SIZE
            msg = Message(mtype, flags, seq, status, bytes(self._view[start:start + length]))
            self._consume(record)
            self._count("rx_msgs")
            return msg

    def _consume(self, record: int) -> None:
        self._tail = (self._tail + record) & 0xFFFFFFFF
        self._barrier()  # done reading the record before CPU1 may reuse it
        self._put(L.RING_TAIL[1], self._tail)

    def recv(self, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """The next message from CPU1, waiting up to `timeout` seconds.
        Example: ``msg = channel.recv(timeout=1)``"""
        got: list[Message] = []

        def poll() -> bool:
            self._pad_consumed = False
            msg = self._try_recv()
            if msg is not None:
                got.append(msg)
                return True
            if self._pad_consumed:
                # CPU1 padded to the end because its next record did not fit
                # there; it may be waiting for the room this PAD just freed.
                self._notify()
            self._check_epoch()  # restarted under us
            if self._cpu1("state") in (L.SHMEM_CPU1_BROKEN, L.SHMEM_CPU1_CRASHED):
                self.check_ready()  # raises: broken (with CPU1's reason), crashed
            return False

        self._until("recv", timeout, poll)
        return got[0]

    def request(self, msg_type: int, payload: bytes | memoryview = b"", timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Send a request and return its response (status OK, else ServiceError).
        Responses to requests of an earlier user of the channel are dropped.

        Example: ``channel.request(L.SHMEM_MSG_ECHO, b"hi").payload``
        """
        # Until this request is in the ring, no response can be its own.
        seq = self.send(msg_type, payload, timeout=timeout, drop_responses=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.recv(max(deadline - time.monotonic(), 0.0))
            except Timeout:
                raise Timeout(f"{L.TYPE_NAMES.get(msg_type, msg_type)} request {seq:#x}: no answer from CPU1 within "
                              f"{timeout:g} s ({self._cpu1_summary()}); reset the channel, or restart CPU1") from None
            if msg.seq != seq:
                self.stale_responses += 1
                continue
            if msg.type != msg_type:
                raise self._corrupt("msg.type", msg.type, f"response to a {L.TYPE_NAMES.get(msg_type)} request",
                                    L.SHMEM_CHAN_ERR_MSG_RESERVED)
            if msg.status != L.SHMEM_STATUS_OK:
                raise ServiceError(msg_type, msg.status)
            return msg

    # -- services ------------------------------------------------------------

    def _expect(self, msg: Message, size: int) -> bytes:
        if len(msg.payload) != size:
            raise self._corrupt("msg.len", len(msg.payload), f"a {L.TYPE_NAMES.get(msg.type)} response has "
                                f"{size} bytes", L.SHMEM_CHAN_ERR_MSG_LEN)
        return msg.payload

    def ping(self, timeout: float = DEFAULT_TIMEOUT) -> Ping:
        """PING CPU1: its firmware version and counters. Example: ``channel.ping().heartbeat``"""
        msg = self.request(L.SHMEM_MSG_PING, b"", timeout)
        seq, ver, beat, rx, tx, bad, _, _ = struct.unpack("<8I", self._expect(msg, 32))
        if seq != msg.seq:
            raise self._corrupt("ping.seq", seq, f"PING answers its request's seq {msg.seq:#x}",
                                L.SHMEM_CHAN_ERR_MSG_RESERVED)
        return Ping(seq, L.fw_version_string(ver), beat, rx, tx, bad)

    def echo(self, data: bytes | memoryview, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """Send `data` to CPU1 and return what comes back. Example: ``channel.echo(b"hi")``"""
        return self.request(L.SHMEM_MSG_ECHO, data, timeout).payload

    def _check_slice(self, offset: int, length: int) -> None:
        if not (0 <= offset <= self.layout.bulk_size and 0 <= length <= self.layout.bulk_size - offset):
            raise InvalidArgument(f"bulk slice {offset:#x}+{length:#x} is outside the "
                             f"{self.layout.bulk_size:#x}-byte bulk area")

    def crc(self, offset: int, length: int, timeout: float = DEFAULT_TIMEOUT) -> int:
        """CRC-32 (as zlib.crc32) that CPU1 computes over bulk[offset:offset+length].
        Example: ``channel.crc(0, 4096) == zlib.crc32(channel.bulk[:4096])``"""
        self._check_slice(offset, length)
        msg = self.request(L.SHMEM_MSG_CRC32, _BULK.pack(offset, length, 0, 0), timeout)
        crc, off, ln, _ = _BULK.unpack(self._expect(msg, 16))
        if (off, ln) != (offset, length):
            raise self._corrupt("crc32.offset", off, "the response names another slice",
                                L.SHMEM_CHAN_ERR_MSG_RESERVED)
        return int(crc)

    def fill(self, offset: int, length: int, pattern: int, step: int = 0, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Have CPU1 fill bulk[offset:offset+length]: 32-bit little-endian word k
        is pattern + k * step (see fill_pattern()).

        Example: ``channel.fill(0, 4096, 0xA5A5A5A5)``
        """
        self._check_slice(offset, length)
        msg = self.request(L.SHMEM_MSG_FILL, _BULK.pack(offset, length, pattern & 0xFFFFFFFF, step & 0xFFFFFFFF),
                           timeout)
        off, ln, pat, st = _BULK.unpack(self._expect(msg, 16))
        if (off, ln, pat, st) != (offset, length, pattern & 0xFFFFFFFF, step & 0xFFFFFFFF):
            raise self._corrupt("fill.offset", off, "the response names another slice or pattern",
                                L.SHMEM_CHAN_ERR_MSG_RESERVED)

    def stats(self, timeout: float = DEFAULT_TIMEOUT) -> Stats:
        """CPU1's state and counters (STATS). Example: ``channel.stats().rx_bytes``"""
        msg = self.request(L.SHMEM_MSG_STATS, b"", timeout)
        v = struct.unpack("<10I3Q", self._expect(msg, 64))
        try:
            state = Cpu1State(v[1])
        except ValueError:
            raise self._corrupt("stats.state", v[1], "not a known state", L.SHMEM_CHAN_ERR_MSG_RESERVED) from None
        return Stats(L.fw_version_string(v[0]), state, *v[2:])

    def inject_fault(self, kind: int, offset: int = 0, value: int = 0, count: int = 0,
                     timeout: float = DEFAULT_TIMEOUT) -> None:
        """Make a fault-injection payload (sharedmem-cpu1-faults.elf) misbehave:
        kind is a SHMEM_FAULT_* (see sharedmem_channel.h). Returns once CPU1
        accepted it; the fault takes effect right after. The normal payload
        refuses with ServiceError (unknown message type).

        Example: ``channel.inject_fault(L.SHMEM_FAULT_SILENT)``
        """
        if kind not in L.FAULT_NAMES:
            raise InvalidArgument(f"unknown fault kind {kind}: one of {sorted(L.FAULT_NAMES)}")
        msg = self.request(L.SHMEM_MSG_FAULT, _BULK.pack(kind, offset & 0xFFFFFFFF, value & 0xFFFFFFFF,
                                                         count & 0xFFFFFFFF), timeout)
        self._expect(msg, 0)

    # -- reset and halt ------------------------------------------------------

    def reset(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Recover a broken or confused channel. With CPU1 serving it (or
        reporting it broken), run the reset handshake: rewrite the config line,
        zero Linux's indices, bump host.reset_gen, ring, wait for CPU1 to
        acknowledge. With CPU1 not running, write a fresh control block.

        Example: ``except ProtocolError: channel.reset()``
        """
        try:
            state = self.state()
        except ChannelCorrupt:
            state = Cpu1State.BROKEN
        self._head = 0
        self._tail = 0
        if state in (L.SHMEM_CPU1_OFFLINE, L.SHMEM_CPU1_HALTED, L.SHMEM_CPU1_CRASHED):
            initialise(self._view, self.layout)
            return
        for name, value in self.layout.config().items():
            self._put(L.config_field(name), value)
        self._put(L.config_field("magic"), L.SHMEM_CHAN_MAGIC)
        reserved = L.config_field("reserved")
        self._view[reserved:reserved + 24] = bytes(24)
        self._put(L.RING_HEAD[0], 0)
        self._put(L.RING_TAIL[1], 0)
        self._put(L.host_field("error"), 0)
        self._put(L.host_field("error_value"), 0)
        gen = (self._get(L.host_field("reset_gen")) + 1) & 0xFFFFFFFF
        self._barrier()  # config and indices before the request
        self._put(L.host_field("reset_gen"), gen)
        self._notify()
        self._until("reset", timeout, lambda: self._cpu1("reset_ack") == gen and self._cpu1("state") in (
            L.SHMEM_CPU1_READY, L.SHMEM_CPU1_BROKEN))
        self.check_ready()

    def halt(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Ask CPU1 to halt back into the park loop; wait for state HALTED.
        (The kernel's remoteproc stop does this; here for host tests and tools.)

        Example: ``channel.halt()``
        """
        self._put(L.host_field("halt_request"), L.SHMEM_CHAN_HALT_REQUEST)
        self._notify()
        self._until("halt", timeout, lambda: self._cpu1("state") == L.SHMEM_CPU1_HALTED)


def fill_pattern(length: int, pattern: int, step: int = 0) -> bytes:
    """The bytes FILL writes: little-endian 32-bit words pattern + k * step.

    Example: ``fill_pattern(8, 1, 1) == bytes([1, 0, 0, 0, 2, 0, 0, 0])``
    """
    words = (length + 3) // 4
    if step == 0:
        data = struct.pack("<I", pattern & 0xFFFFFFFF) * words
    else:
        arr = array.array("I", ((pattern + k * step) & 0xFFFFFFFF for k in range(words)))
        if sys.byteorder != "little":
            arr.byteswap()
        data = arr.tobytes()
    return data[:length]
