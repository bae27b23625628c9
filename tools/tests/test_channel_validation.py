# SPDX-License-Identifier: MIT
"""Corrupt or hostile values in the channel, from either side.

Linux side corrupts what CPU1 reads (indices, record lengths, the config):
the payload's code (host harness, the region between guard pages) must
report state BROKEN with the reason and the bad value, keep running (no
access outside the region: that would kill it), and recover on reset().
CPU1 side writes hostile values for Linux: shmem_helper.channel must raise
ChannelCorrupt naming the field, never an IndexError, and recover on reset().
"""

import random
import struct
from collections.abc import Callable

import pytest
from channel_support import Harness, get, put, recovers
from shmem_helper import channel as C
from shmem_helper import channel_layout as L

HDR = struct.Struct("<8I")


@pytest.fixture
def channel(channel: C.Channel) -> C.Channel:
    """The shared fixture's channel, proven to work before it is attacked."""
    assert channel.echo(b"warm-up") == b"warm-up"
    return channel


def wait_broken(harness: Harness, channel: C.Channel) -> tuple[int, int, int]:
    """Wait until the harness reports BROKEN; its (reason, value, ring)."""
    channel._until("broken", 5.0, lambda: get(harness.mem, L.cpu1_field("state")) == L.SHMEM_CPU1_BROKEN)
    assert harness.proc is not None and harness.proc.poll() is None, "the harness died"
    reason, value, ring = (get(harness.mem, L.cpu1_field(f)) for f in ("error", "error_value", "error_ring"))
    return reason, value, ring


def request_record(channel: C.Channel, length: int, msg_type: int = L.SHMEM_MSG_ECHO, reserved: int = 0,
                   advance: int | None = None) -> None:
    """Write a request header at Linux's head and publish `advance` bytes (default: the record)."""
    base = channel.layout.ring_offsets[0]
    pos = channel._head & (channel.layout.ring_sizes[0] - 1)
    HDR.pack_into(channel._view, base + pos, length, msg_type, 0, 1, 0, reserved, 0, 0)
    channel._publish(L.msg_record(min(length, 1 << 20)) if advance is None else advance)
    channel._notify()


def across_the_end(channel: C.Channel) -> None:
    """A request record that starts 64 bytes before the end of the ring and claims 160."""
    size = channel.layout.ring_sizes[0]
    gap = (size - 64 - channel._head) % size
    if gap:
        channel.echo(bytes(gap - 32))  # moves head to 64 bytes before the end
    assert channel._head % size == size - 64
    request_record(channel, 100, advance=160)


def poke(channel: C.Channel, mem: memoryview, offset: int, value: int, ping: bool = False) -> None:
    """Write a word that CPU1 reads, then ring CPU1 (or send it a PING)."""
    put(mem, offset, value)
    if ping:
        channel.send(L.SHMEM_MSG_PING)
    else:
        channel._notify()


# (what, how, expected reason): each corrupts a value that CPU1 reads.
LINUX_SIDE = [
    ("ring[0].head far ahead", lambda ch, m: poke(ch, m, L.RING_HEAD[0], 0xDEADBEE0), L.SHMEM_CHAN_ERR_HEAD),
    ("ring[0].head misaligned", lambda ch, m: poke(ch, m, L.RING_HEAD[0], get(m, L.RING_HEAD[0]) + 4),
     L.SHMEM_CHAN_ERR_HEAD),
    ("ring[0].head behind tail", lambda ch, m: poke(ch, m, L.RING_HEAD[0], get(m, L.RING_HEAD[0]) - 64),
     L.SHMEM_CHAN_ERR_HEAD),
    ("ring[1].tail far ahead", lambda ch, m: poke(ch, m, L.RING_TAIL[1], 0x7FFFFFE0, ping=True),
     L.SHMEM_CHAN_ERR_TAIL),
    ("msg.len huge", lambda ch, m: request_record(ch, 0xFFFFFFF0, advance=64), L.SHMEM_CHAN_ERR_MSG_LEN),
    ("msg.len past head", lambda ch, m: request_record(ch, 100, advance=32), L.SHMEM_CHAN_ERR_MSG_LEN),
    ("msg.len across the end", lambda ch, m: across_the_end(ch), L.SHMEM_CHAN_ERR_MSG_LEN),
    ("PAD len short", lambda ch, m: request_record(ch, 64, msg_type=L.SHMEM_MSG_PAD), L.SHMEM_CHAN_ERR_MSG_PAD),
    ("msg.reserved", lambda ch, m: request_record(ch, 8, reserved=1), L.SHMEM_CHAN_ERR_MSG_RESERVED),
]


@pytest.mark.parametrize("what, corrupt, reason", LINUX_SIDE, ids=[c[0] for c in LINUX_SIDE])
def test_cpu1_reports_bad_values_from_linux_and_recovers(harness: Harness, channel: C.Channel, what: str,
                                                         corrupt: Callable[[C.Channel, memoryview], object],
                                                         reason: int) -> None:
    corrupt(channel, harness.mem)
    got = wait_broken(harness, channel)
    if reason is not None:
        assert got[0] == reason, f"{what}: reason {L.ERROR_NAMES.get(got[0])}"
    harness.wait_for_log("channel broken")  # logged right after the state changes
    with pytest.raises(C.ChannelBroken, match="CPU1 reports the channel broken: bad"):
        channel.ping()
    recovers(channel)


# (field, value, expected reason): the config line, read by CPU1 at a reset.
BAD_CONFIGS = [
    ("magic", 0x12345678, L.SHMEM_CHAN_ERR_MAGIC),
    ("version", 2, L.SHMEM_CHAN_ERR_VERSION),
    ("total_size", 0x02000000, L.SHMEM_CHAN_ERR_TOTAL_SIZE),
    ("ctrl_size", 64, L.SHMEM_CHAN_ERR_CTRL_SIZE),
    ("ring[0].offset", 0xFFFFFFC0, L.SHMEM_CHAN_ERR_RING_OFFSET),
    ("ring[0].offset", 0x1004, L.SHMEM_CHAN_ERR_RING_OFFSET),
    ("ring[1].offset", 0, L.SHMEM_CHAN_ERR_RING_OFFSET),
    ("ring[0].size", 0x30000, L.SHMEM_CHAN_ERR_RING_SIZE),
    ("ring[1].size", 0x80000000, L.SHMEM_CHAN_ERR_RING_SIZE),
    ("ring[1].size", 16, L.SHMEM_CHAN_ERR_RING_SIZE),
    ("bulk_offset", 0x01000040, L.SHMEM_CHAN_ERR_BULK),
    ("bulk_offset", 0x00100004, L.SHMEM_CHAN_ERR_BULK),
    ("bulk_size", 0xFFFFFFFF, L.SHMEM_CHAN_ERR_BULK),
    ("bulk_offset", 0x00040000, L.SHMEM_CHAN_ERR_OVERLAP),
    ("ring[1].offset", 0x00002000, L.SHMEM_CHAN_ERR_OVERLAP),
    ("reserved", 1, L.SHMEM_CHAN_ERR_RESERVED),
]


@pytest.mark.parametrize("field, value, reason", BAD_CONFIGS,
                         ids=[f"{f}={v:#x}" for f, v, _ in BAD_CONFIGS])
def test_cpu1_validates_the_config_line(harness: Harness, channel: C.Channel, field: str, value: int,
                                        reason: int) -> None:
    put(harness.mem, L.config_field(field), value)
    gen = get(harness.mem, L.host_field("reset_gen")) + 1
    put(harness.mem, L.host_field("reset_gen"), gen)  # a raw reset request with the bad config
    channel._notify()
    got = wait_broken(harness, channel)
    assert got[:2] == (reason, value) or (got[0] == reason and reason == L.SHMEM_CHAN_ERR_OVERLAP), \
        f"{field}={value:#x}: got {L.ERROR_NAMES.get(got[0])} value {got[1]:#x}"
    assert get(harness.mem, L.cpu1_field("reset_ack")) == gen
    recovers(channel)  # reset() rewrites the config line Linux chose


def test_random_corruption_of_cpu1_inputs_never_escapes_the_region(harness: Harness, channel: C.Channel) -> None:
    """Seeded fuzzing: random values in every word CPU1 reads from the ring
    indices and request headers. The harness keeps running (its region sits
    between guard pages), either serving or reporting BROKEN."""
    rng = random.Random(20261122)
    targets = [L.RING_HEAD[0], L.RING_TAIL[1]]
    broken = 0
    for round_ in range(150):
        if rng.random() < 0.5:
            near = get(harness.mem, L.RING_HEAD[0]) + 32 * rng.randrange(-8, 9)
            put(harness.mem, rng.choice(targets),
                rng.choice([rng.getrandbits(32), rng.getrandbits(32) & ~31, near]))
            channel._notify()
        else:
            words = [rng.choice([rng.getrandbits(32), rng.randrange(0, 600), 0]) for _ in range(8)]
            base = channel.layout.ring_offsets[0]
            pos = channel._head & (channel.layout.ring_sizes[0] - 1)
            HDR.pack_into(channel._view, base + pos, *words)
            channel._publish(32 * rng.randrange(1, 40))
            channel._notify()
        try:
            channel.ping(timeout=2)
        except (C.ChannelBroken, C.ChannelCorrupt, C.ServiceError, C.ChannelTimeout):
            broken += 1
        assert harness.proc is not None and harness.proc.poll() is None, f"harness died in round {round_}"
        recovers(channel)
    assert broken > 50


# -- CPU1 side: hostile values for Linux ------------------------------------------

def hostile_response(channel: C.Channel, mem: memoryview, length: int, msg_type: int = L.SHMEM_MSG_PING, flags: int = 1,
                     reserved: int = 0, advance: int | None = None) -> None:
    """Play a hostile CPU1: a response record at ring 1's head, published."""
    base, size = channel.layout.ring_offsets[1], channel.layout.ring_sizes[1]
    head = get(mem, L.RING_HEAD[1])
    HDR.pack_into(mem, base + (head & (size - 1)), length, msg_type, flags, 0, 0, reserved, 0, 0)
    put(mem, L.RING_HEAD[1], head + (L.msg_record(min(length, 1 << 20)) if advance is None else advance))


CPU1_SIDE = [
    ("cpu1.state", lambda ch, m: put(m, L.cpu1_field("state"), 99), "cpu1.state = 0x63"),
    ("ring[1].head far ahead", lambda ch, m: put(m, L.RING_HEAD[1], 0x40000000), "ring[1].head = 0x40000000"),
    ("ring[1].head misaligned", lambda ch, m: put(m, L.RING_HEAD[1], 8), "ring[1].head = 0x8"),
    ("ring[0].tail ahead of head", lambda ch, m: put(m, L.RING_TAIL[0], get(m, L.RING_HEAD[0]) + 64),
     "ring[0].tail"),
    ("msg.len huge", lambda ch, m: hostile_response(ch, m, 0xFFFFFF00, advance=32), "msg.len = 0xffffff00"),
    ("msg.len past head", lambda ch, m: hostile_response(ch, m, 4000, advance=64), "msg.len = 0xfa0"),
    ("PAD short", lambda ch, m: hostile_response(ch, m, 32, msg_type=L.SHMEM_MSG_PAD), "msg.len = 0x20"),
    ("msg.reserved", lambda ch, m: hostile_response(ch, m, 0, reserved=7), "msg.reserved = 0x7"),
    ("msg.flags", lambda ch, m: hostile_response(ch, m, 0, flags=0x10), "msg.flags = 0x10"),
]


@pytest.mark.parametrize("what, hostile, field", CPU1_SIDE, ids=[c[0] for c in CPU1_SIDE])
def test_linux_validates_what_cpu1_wrote_and_recovers(harness: Harness, channel: C.Channel, what: str,
                                                      hostile: Callable[[C.Channel, memoryview], object],
                                                      field: str) -> None:
    harness.stop()  # CPU1 stops; the test plays a hostile one
    hostile(channel, harness.mem)
    with pytest.raises(C.ChannelCorrupt, match=f"channel corrupt: {field.replace('[', '.').replace(']', '.')}"):
        if what.startswith("ring[0]"):
            channel.send(L.SHMEM_MSG_PING)
        else:
            channel.state()
            channel.recv(timeout=1)
    assert get(harness.mem, L.host_field("error")) != 0, "Linux records what it found"
    harness.start()  # CPU1 again (restarted): attaches, the reset handshake recovers
    harness.notify()
    recovers(channel)
    assert get(harness.mem, L.host_field("error")) == 0
