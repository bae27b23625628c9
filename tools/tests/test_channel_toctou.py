# SPDX-License-Identifier: MIT
"""The payload reads each shared value once and uses only its copy (issue 11,
point 4), proven against the host harness's TOCTOU injection: right after the
payload's code reads a word of the config line (or of a ring), the harness
overwrites that word with a poison (0xFFFFFFE0), as a group member who races
writes against a start or a reset would. Code that validated a copy and uses
that copy serves every request correctly; code that reads a value again (a
double fetch) gets the poison: an offset or size far outside the region. The
harness maps the region before an 8 GiB inaccessible guard, so such an access
kills it (SIGSEGV) instead of landing in other memory; a double fetch inside
the validation itself turns into a wrong BROKEN verdict."""

import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from channel_support import Harness, get, recovers
from shmem_helper import channel as C
from shmem_helper import channel_layout as L

POISON = 0xFFFFFFE0
CONFIG_WORDS = 16  # the 64-byte config line


@pytest.fixture
def racer(harness_binary: Path, tmp_path: Path) -> Iterator[Callable[[str], tuple[Harness, C.Channel]]]:
    """Start the harness with TOCTOU injection on `hooks`; yield (harness, channel).
    The channel (Linux's side) reads the layout before CPU1 starts, so the
    poison CPU1's reads leave behind does not mislead it."""
    started: list[tuple[Harness, C.Channel]] = []

    def start(hooks: str) -> tuple[Harness, C.Channel]:
        h = Harness(harness_binary, tmp_path / "channel.bin", start=False, env={"SHMEM_HOST_TOCTOU": hooks})
        C.initialise(h.mem)
        ch = C.Channel(h.mem, wait=h.wait, notify=h.notify)
        started.append((h, ch))
        h.start()
        h.notify()
        ch.wait_ready()
        return h, ch

    yield start
    for h, ch in started:
        ch.close()
        rc = h.stop()
        log = h.log()
        h.close()
        assert rc == 0, f"harness exited {rc} (a signal: an access outside the region?):\n{log}"


def exercise(h: Harness, ch: C.Channel) -> None:
    """Every service over the whole bulk area and a large echo, each result checked."""
    size = ch.layout.bulk_size
    ch.fill(0, size, 0x12345678, 7)
    assert bytes(ch.bulk[:4096]) == C.fill_pattern(4096, 0x12345678, 7)
    tail_at = size - 4096
    assert bytes(ch.bulk[tail_at:size]) == C.fill_pattern(size, 0x12345678, 7)[tail_at:]
    assert ch.crc(0, size) == zlib.crc32(bytes(ch.bulk[:size]))
    data = bytes((i * 13 + 1) & 0xFF for i in range(100_000))
    assert ch.echo(data) == data
    assert ch.ping().seq > 0


def test_config_rewritten_after_validation_is_never_used(racer: Callable[[str], tuple[Harness, C.Channel]]) -> None:
    h, ch = racer("config")
    # The injection ran: every word of the config line CPU1 read is now the poison.
    assert [get(h.mem, 4 * i) for i in range(CONFIG_WORDS)] == [POISON] * CONFIG_WORDS
    exercise(h, ch)
    # A reset rewrites the config line; CPU1 copies and checks it again, poisoned again.
    recovers(ch)
    assert get(h.mem, L.config_field("bulk_offset")) == POISON
    exercise(h, ch)
    assert "TOCTOU injection on config" in h.log()


def test_ring_words_rewritten_after_reading_are_never_used(racer: Callable[[str], tuple[Harness, C.Channel]]) -> None:
    """Message headers, request arguments (bulk offset and length) and echo
    payloads: each read once, the copy checked and used."""
    h, ch = racer("rings")
    exercise(h, ch)
    request_ring = ch.layout.ring_offsets[L.SHMEM_CHAN_RING_TO_CPU1]
    assert get(h.mem, request_ring) == POISON, "the injection did not run on the request ring"
    assert ch.status().state == C.Cpu1State.READY


def test_both_at_once_with_resets(racer: Callable[[str], tuple[Harness, C.Channel]]) -> None:
    h, ch = racer("config,rings")
    for _ in range(3):
        exercise(h, ch)
        recovers(ch)
