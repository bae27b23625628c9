# SPDX-License-Identifier: MIT
"""Linux's end of the channel (shmem_helper.channel) reads each word CPU1 can
write once and uses that copy, in its decisions and in its messages alike:
a Channel whose shared words change on every read after the first, as CPU1
(or a group member) racing Linux could make them, never shows the later
value, and each word is read once per operation."""

import collections
import mmap
from collections.abc import Iterator

import pytest
import shmem_helper
from shmem_helper import channel as C
from shmem_helper import channel_layout as L

POISON = 0xFFFFFFE0


class Racing(C.Channel):
    """A Channel whose memory gives each word's value at its first read and
    POISON at every later one; `reads` counts the reads of each offset
    (pass it to see them when opening fails)."""

    def __init__(self, mem: mmap.mmap, reads: collections.Counter[int] | None = None):
        self.reads = collections.Counter() if reads is None else reads
        super().__init__(mem)

    def _get(self, offset: int) -> int:
        self.reads[offset] += 1
        return super()._get(offset) if self.reads[offset] == 1 else POISON


@pytest.fixture
def mem() -> Iterator[mmap.mmap]:
    region = mmap.mmap(-1, 1 << 20)
    C.initialise(region)
    yield region
    region.close()


def put(mem: mmap.mmap, offset: int, value: int) -> None:
    mem[offset:offset + 4] = value.to_bytes(4, "little")


def test_a_channel_is_opened_reading_each_word_once(mem: mmap.mmap) -> None:
    channel = Racing(mem)
    try:
        assert channel.layout == C.Layout.for_size(1 << 20)
        assert max(channel.reads.values()) == 1, channel.reads
    finally:
        channel.close()


@pytest.mark.parametrize(("field", "value", "kind", "said"), [
    ("magic", 0x1234, shmem_helper.Cpu1NotRunning, "magic 0x1234, want"),
    ("version", 7, shmem_helper.ProtocolError, "channel layout version 7, this library speaks"),
    ("total_size", 3 << 20, C.ChannelCorrupt, "channel corrupt: config = 0x300000: "),
])
def test_a_refused_layout_names_the_value_it_refused(mem: mmap.mmap, field: str, value: int,
                                                     kind: type[shmem_helper.Error], said: str) -> None:
    put(mem, L.config_field(field), value)
    reads: collections.Counter[int] = collections.Counter()
    with pytest.raises(kind) as e:
        Racing(mem, reads)
    assert said in str(e.value) and f"{POISON:#x}" not in str(e.value), str(e.value)
    assert reads[L.config_field(field)] == 1 and max(reads.values()) == 1, reads


def test_status_reads_cpu1s_error_once(mem: mmap.mmap) -> None:
    channel = Racing(mem)
    try:
        put(mem, L.cpu1_field("error"), 77)  # no name: the status shows the number
        channel.reads.clear()
        assert channel.status().error == "77"
        assert channel.reads[L.cpu1_field("error")] == 1 and max(channel.reads.values()) == 1, channel.reads
        put(mem, L.cpu1_field("error"), L.SHMEM_CHAN_ERR_MAGIC)
        channel.reads.clear()
        assert channel.status().error == L.ERROR_NAMES[L.SHMEM_CHAN_ERR_MAGIC]
    finally:
        channel.close()
