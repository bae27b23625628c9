# SPDX-License-Identifier: MIT
"""CPU1 and the channel, checked on the board through shmem_helper: the
programs of test_cpu1.py, test_cpu1_faults.py and test_cpu1_reset.py.

    python3 cpu1_checks.py CHECK [ARG ...]

Each check prints what its test looks for and raises (exit status 1, with
its traceback) when something is wrong; an unknown check exits 2.
"""

import math
import os
import select
import struct
import sys
import time
from collections.abc import Callable

from shmem_helper import MessageTooLarge
from shmem_helper import channel_layout as L
from shmem_helper.channel import (
    _BULK,
    ChannelBroken,
    ChannelCorrupt,
    ChannelError,
    ChannelNotReady,
    Ping,
    ServiceError,
    fill_pattern,
)
from shmem_helper.cpu1 import Cpu1
from shmem_helper.link import ChannelLink

FIRMWARE_DIR = "/lib/firmware"
FIRMWARE_NODE = "/dev/sharedmem/cpu1-firmware"
B_SELF = 0xEAFFFFFE  # ARM `b .`

CHECKS: dict[str, Callable[..., None]] = {}


def check(fn: Callable[..., None]) -> Callable[..., None]:
    CHECKS[fn.__name__] = fn
    return fn


def wait_for_recovery(timeout: float = 60.0) -> Ping:
    """A fresh channel's answer, once remoteproc's recovery restarted CPU1."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with ChannelLink() as link:
                link.channel.wait_ready(timeout=5)
                return link.channel.ping()
        except ChannelError as e:  # crashed, restarting, not yet ready
            assert time.monotonic() < deadline, f"CPU1 was not recovered: {e}"
            time.sleep(0.1)  # the next look at a channel being restarted


# -- test_cpu1.py ------------------------------------------------------------------

@check
def start_stop(cycles: str) -> None:
    """Start, ping and stop CPU1 `cycles` times."""
    cpu1 = Cpu1()
    done = 0
    for i in range(int(cycles)):
        cpu1.start()
        with ChannelLink() as link:
            assert link.channel.ping().seq is not None, i
        cpu1.stop()
        assert cpu1.state() == "offline", (i, cpu1.state())
        done = i + 1
    print("cycles", done)


@check
def echo_sizes_and_the_limit() -> None:
    with ChannelLink() as link:
        ch = link.channel
        for size in (0, 1, 4096, ch.capacity):
            data = os.urandom(size)
            assert ch.echo(data) == data, size
        try:
            ch.echo(bytes(ch.capacity + 1))
        except MessageTooLarge as e:
            print("refused:", e)
        else:
            raise SystemExit("capacity + 1 was not refused")
        assert ch.echo(b"still fine") == b"still fine"
        print("capacity", ch.capacity)


@check
def long_requests() -> None:
    """CRC32 requests over the whole bulk area (15 MiB), queued deep enough
    for 8 s of work: more than the 2 s of the driver's watchdog and of its
    stop, however fast this QEMU runs the payload (85 ms a request on an idle
    host, 480 ms on a loaded one). The 256 KiB request ring holds thousands."""
    with ChannelLink() as link:
        ch = link.channel
        size = ch.layout.bulk_size
        start = time.monotonic()
        ch.crc(0, size, timeout=120)
        one = time.monotonic() - start
        queued = max(32, math.ceil(8.0 / one))
        print("one-crc-ms", round(one * 1000), "queued", queued)
        answered = ch._cpu1("tx_msgs")
        for _ in range(queued):
            ch.send(L.SHMEM_MSG_CRC32, _BULK.pack(0, size, 0, 0))
        beats = []
        for _ in range(8):
            beats.append(ch._cpu1("heartbeat"))
            time.sleep(0.25)  # the watchdog's view: a sample every 250 ms
        served = ch._cpu1("tx_msgs") - answered
        print("beats", beats, "served", served)
        assert all(b > a for a, b in zip(beats, beats[1:], strict=False)), f"the heartbeat stalled: {beats}"
        assert served < queued, "the requests were not long enough to overlap the stop"
        start = time.monotonic()
        Cpu1().stop()
        print("stop-ms", round((time.monotonic() - start) * 1000), Cpu1().state())


@check
def fill_is_seen_from_linux() -> None:
    with ChannelLink() as link:
        ch = link.channel
        ch.bulk[:8192] = bytes(8192)
        ch.fill(100, 4000, 0xDEADBEEF, 3)
        assert bytes(ch.bulk[100:4100]) == fill_pattern(4000, 0xDEADBEEF, 3)
        assert bytes(ch.bulk[:100]) == bytes(100) and bytes(ch.bulk[4100:8192]) == bytes(4092)
    print("fill ok")


@check
def requests_without_loss(requests: str) -> None:
    with ChannelLink() as link:
        ch = link.channel
        before = ch.stats().rx_msgs
        for i in range(int(requests)):
            payload = struct.pack("<I", i)
            assert ch.echo(payload) == payload, i
        after = ch.stats().rx_msgs
    print("served", after - before - 1)


@check
def flood() -> None:
    """Echo requests without end, never reading the answers (a user to kill)."""
    with ChannelLink() as link:
        ch = link.channel
        for i in range(1000000):
            ch.send(L.SHMEM_MSG_ECHO, os.urandom(2000))
            print("sent", i, flush=True)


@check
def linux_side_corruption_is_caught_and_reset_recovers() -> None:
    with ChannelLink() as link:
        ch = link.channel
        assert link.mapping is not None
        words = link.mapping.view.cast("I")
        # CPU1's index of ring 1, as if CPU1 had written garbage: Linux refuses it.
        words[L.RING_HEAD[1] // 4] = 0x7FFFFFF3
        try:
            ch.recv(timeout=1)
        except ChannelCorrupt as e:
            print("linux caught:", e)
        ch.reset()
        assert ch.echo(b"after reset 1") == b"after reset 1"
        # Linux's own index of ring 0 made hostile: CPU1 must refuse it.
        words[L.RING_HEAD[0] // 4] = 0x0BADBAD1
        link._ring()
        deadline = time.monotonic() + 10
        while ch.state() != L.SHMEM_CPU1_BROKEN:  # CPU1 answers the doorbell
            assert time.monotonic() < deadline, "CPU1 did not report the bad head"
            link._wait(0.5)
        try:
            ch.check_ready()
        except ChannelBroken as e:
            print("cpu1 caught:", e)
        ch.reset()
        assert ch.echo(b"after reset 2") == b"after reset 2"
        words.release()
    print("recovered")


@check
def poll_sleeps_until_cpu1_rings() -> None:
    with ChannelLink() as link:
        link.events()                       # acknowledge what came before
        p = select.poll()
        p.register(link.region.fd, select.POLLIN)
        assert p.poll(300) == [], "poll() returned without a doorbell"
        before = link.events()
        link.channel.ping()                 # CPU1 rings Linux to answer
        assert link.events() > before, "no doorbell from CPU1 was counted"
        print("doorbells", link.events() - before)


@check
def caches_on_silicon() -> None:
    """Silicon only (QEMU models no caches): the cached payload of issue 12."""
    cpu1 = Cpu1()
    # 1. Switching images runs the image just loaded, each time: no stale
    #    I-cache, predictor, L1 or L2 line of the other image is executed (the
    #    normal payload calls FAULT an unknown type; the faults payload refuses
    #    kind 0 as a bad argument).
    for i in range(10):
        faults = i % 2 == 1
        if cpu1.state() != "offline":
            cpu1.stop()
        cpu1.start("sharedmem-cpu1-faults.elf" if faults else "sharedmem-cpu1.elf")
        with ChannelLink() as link:
            try:
                link.channel.request(L.SHMEM_MSG_FAULT, _BULK.pack(0, 0, 0, 0))
            except ServiceError as e:
                expected = L.SHMEM_STATUS_BAD_ARG if faults else L.SHMEM_STATUS_BAD_TYPE
                assert e.status == expected, (i, e.status)
            else:
                raise SystemExit(f"start {i}: FAULT of kind 0 was accepted")
    cpu1.stop()
    cpu1.start("sharedmem-cpu1.elf")
    with ChannelLink() as link:
        ch = link.channel
        size = ch.layout.bulk_size
        # 2. What CPU1 writes (non-cacheable) is what Linux reads, at once.
        ch.fill(0, size, 0x01020304, 0x11111111)
        assert bytes(ch.bulk[:4096]) == fill_pattern(4096, 0x01020304, 0x11111111)
        assert bytes(ch.bulk[size - 4096:size]) == fill_pattern(size, 0x01020304, 0x11111111)[-4096:]
        # 3. The README's budget: 15 MiB of CRC32 well within the watchdog, the
        #    heartbeat never still for more than 100 ms meanwhile.
        answered = ch._cpu1("tx_msgs")
        seq = ch.send(L.SHMEM_MSG_CRC32, _BULK.pack(0, size, 0, 0))
        start = last = time.monotonic()
        beat, longest = ch._cpu1("heartbeat"), 0.0
        while ch._cpu1("tx_msgs") == answered:
            now, b = time.monotonic(), ch._cpu1("heartbeat")
            if b != beat:
                beat, longest, last = b, max(longest, now - last), now
            assert now - start < 2.0, "15 MiB of CRC32 took more than 2 s"
            time.sleep(0.005)  # sampling the heartbeat
        msg = ch.recv(timeout=5)
        took = time.monotonic() - start
        print("crc-15MiB-ms", round(took * 1000), "longest-beat-gap-ms", round(longest * 1000))
        assert msg.seq == seq and longest < 0.1


# -- test_cpu1_faults.py -------------------------------------------------------------

@check
def the_normal_payload_has_no_fault_injection() -> None:
    with ChannelLink() as link:
        try:
            link.channel.inject_fault(L.SHMEM_FAULT_HANG)
        except ServiceError as e:
            print("refused:", e)
        assert link.channel.echo(b"alive") == b"alive"


@check
def a_stopped_heartbeat_is_a_crash(kind: str) -> None:
    """kind: HANG or UNDEF (SHMEM_FAULT_*); the user is told, remoteproc recovers CPU1."""
    fault = {"HANG": L.SHMEM_FAULT_HANG, "UNDEF": L.SHMEM_FAULT_UNDEF}[kind]
    with ChannelLink() as link:
        assert link.channel.ping()
        link.channel.inject_fault(fault)
        try:
            link.channel.ping(timeout=60)
        except ChannelNotReady as e:  # woken by the driver, not by the timeout
            print("user told:", e)
        else:
            raise SystemExit("a dead CPU1 answered")
    again = wait_for_recovery()
    assert again.rx_msgs == 0, again  # a fresh run: nothing served yet
    print("recovered, fresh run:", again)


# What a hostile CPU1 does (test_linux_survives_a_hostile_cpu1): the fault's arguments.
HOSTILE: dict[str, Callable[[], tuple[int, int, int, int]]] = {
    # name: () -> (kind, offset, value, count)
    "garbage cpu1.state": lambda: (L.SHMEM_FAULT_POKE, L.cpu1_field("state"), 0x0BADF00D, 0),
    "garbage ring[1].head": lambda: (L.SHMEM_FAULT_POKE, L.RING_HEAD[1], 0x7FFFFFE0, 0),
    "garbage message length": lambda: (L.SHMEM_FAULT_RESPONSE, 0, 0xFFFFFFF0, 0),
    "garbage bulk offset": lambda: (L.SHMEM_FAULT_RESPONSE, 32 + 4, 0x7FFFFFFF, 0),
    "garbage config line": lambda: (L.SHMEM_FAULT_POKE, L.config_field("ring[1].size"), 3, 0),
    "stops answering": lambda: (L.SHMEM_FAULT_SILENT, 0, 0, 0),
    "doorbell flood": lambda: (L.SHMEM_FAULT_FLOOD, 0, 0, 200000),
}


@check
def linux_survives_a_hostile_cpu1(case: str) -> None:
    """case: one of HOSTILE; the user is told, a reset (or else a restart) recovers."""
    kind, offset, value, count = HOSTILE[case]()
    with ChannelLink() as link:
        ch = link.channel
        try:
            ch.inject_fault(kind, offset, value, count)
            ch.crc(0, 4096, timeout=2)
            ch.crc(0, 4096, timeout=2)
            with ChannelLink() as fresh:  # a new user reads the config line
                fresh.channel.ping(timeout=2)
        except ChannelError as e:
            print("user told:", e)
        try:
            ch.reset(timeout=2)
            assert ch.echo(b"after reset") == b"after reset"
            print("recovered by a reset")
        except ChannelError as e:
            print("reset failed:", e)
            cpu1 = Cpu1()
            cpu1.stop()
            cpu1.start()
            wait_for_recovery()
            print("recovered by a restart")


@check
def a_doorbell_flood_without_end() -> None:
    """The fault payload rings Linux without end; the user is told, remoteproc recovers CPU1."""
    with ChannelLink() as link:
        link.channel.inject_fault(L.SHMEM_FAULT_FLOOD, count=0)
        started = time.monotonic()
        try:
            link.channel.ping(timeout=60)
        except ChannelNotReady as e:
            print("user told:", e, "after", round(time.monotonic() - started, 2), "s")
        else:
            raise SystemExit("a flooding CPU1 answered")
    print("recovered:", wait_for_recovery())


# -- test_cpu1_reset.py ---------------------------------------------------------------

@check
def overwrite_the_running_payload(address: str, size: str) -> None:
    """Every loaded byte of the running payload overwritten with `b .` (as a
    wild store would) through cpu1-firmware (at `address`, `size` bytes);
    then wait until crash recovery brought CPU1 back."""
    start, end = int(address, 0), int(address, 0) + int(size, 0)
    with open(f"{FIRMWARE_DIR}/sharedmem-cpu1.elf", "rb") as f:
        elf = f.read()
    (phoff,) = struct.unpack_from("<I", elf, 28)
    phentsize, phnum = struct.unpack_from("<HH", elf, 42)
    for i in range(phnum):
        p_type, _, _, paddr, _, memsz = struct.unpack_from("<6I", elf, phoff + i * phentsize)
        if p_type == 1 and memsz:
            assert start <= paddr and paddr + memsz <= end, (paddr, memsz)
            with open(FIRMWARE_NODE, "r+b", buffering=0) as node:
                node.seek(paddr - start)
                node.write(struct.pack("<I", B_SELF) * (memsz // 4))
            print(f"overwritten: {paddr:#x}+{memsz:#x}")
    print("recovered:", wait_for_recovery(timeout=60))


@check
def firmware_head() -> None:
    """The first 16 bytes of cpu1-firmware, in hex."""
    with open(FIRMWARE_NODE, "rb") as f:
        print(f.read(16).hex())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in CHECKS:
        print(f"usage: cpu1_checks.py CHECK [ARG ...]; CHECK one of {', '.join(CHECKS)}", file=sys.stderr)
        return 2
    CHECKS[argv[0]](*argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
