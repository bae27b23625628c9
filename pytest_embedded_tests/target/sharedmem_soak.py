# SPDX-License-Identifier: MIT
"""Soak of the whole stack; runs on the board as root (shmem-helper's
library and the standard library only).

    python3 sharedmem_soak.py --pairs 1000000 --restarts 1000 --loads 1000

1. Request/response pairs: ECHO of 0..4 KiB whose payload ends in its own
   CRC-32, checked on return (corrupted), each with a sequence number
   (lost: no answer in time; the run goes on after a channel reset).
   Round-trip percentiles p50/p99/p99.9.
2. CPU1 restarts: stop, start, a PING through a fresh channel.
3. Module load/unload cycles (CPU1 stopped): rmmod, modprobe, the nodes
   back, a read through the buffer node.
Memory: the CMA pages the driver holds (CMA debugfs, exact) and MemFree,
before everything and after the last unload and reload.
The last line is a JSON summary; exit status 1 if anything was lost or
corrupted, a step failed, or the driver's CMA use grew.
"""

import argparse
import json
import os
import random
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable

from shmem_helper.channel import ChannelError, ChannelTimeout
from shmem_helper.cpu1 import Cpu1
from shmem_helper.link import ChannelLink

NODES = "/dev/sharedmem"
CMA_DEBUGFS = "/sys/kernel/debug/cma"


def cma_used_pages() -> int:
    """Pages allocated from the CMA areas (all of them; the driver's DMA memory)."""
    if not os.path.isdir(CMA_DEBUGFS):
        subprocess.run(["mount", "-t", "debugfs", "debugfs", "/sys/kernel/debug"], check=True)
    total = 0
    for area in os.listdir(CMA_DEBUGFS):
        with open(f"{CMA_DEBUGFS}/{area}/used") as f:
            total += int(f.read())
    return total


def meminfo(field: str) -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def percentiles(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    if not s:
        return {}

    def pick(q: float) -> float:
        return round(s[min(len(s) - 1, int(q * len(s)))], 1)

    return {"p50_us": pick(0.5), "p99_us": pick(0.99), "p99.9_us": pick(0.999), "max_us": round(s[-1], 1)}


def wait_for(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:g} s")
        time.sleep(0.02)  # the next look at a node that udev is creating


def pairs(count: int, rng: random.Random) -> dict[str, object]:
    lost = corrupted = 0
    samples: list[float] = []
    link = ChannelLink()
    try:
        for i in range(count):
            body = rng.randbytes(rng.choice((0, 8, 60, 256, 1000, 4092)))
            payload = i.to_bytes(4, "little") + body
            payload += struct.pack("<I", zlib.crc32(payload))
            t0 = time.perf_counter()
            try:
                answer = link.channel.echo(payload, timeout=5)
            except ChannelTimeout:
                lost += 1
                link.channel.reset()
                continue
            samples.append((time.perf_counter() - t0) * 1e6)
            if answer != payload or zlib.crc32(answer[:-4]) != struct.unpack("<I", answer[-4:])[0]:
                corrupted += 1
    finally:
        link.close()
    return {"pairs": count, "lost": lost, "corrupted": corrupted, "round_trip": percentiles(samples)}


def restarts(count: int) -> dict[str, object]:
    cpu1 = Cpu1()
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        cpu1.stop()
        cpu1.start()
        with ChannelLink() as link:
            link.channel.ping()
        samples.append((time.perf_counter() - t0) * 1e6)
    return {"restarts": count, "restart_and_ping": percentiles(samples)}


def loads(count: int) -> dict[str, object]:
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        subprocess.run(["rmmod", "sharedmem"], check=True)
        wait_for(lambda: not os.path.exists(f"{NODES}/buffer"), "nodes gone after rmmod")
        subprocess.run(["modprobe", "sharedmem"], check=True)
        wait_for(lambda: os.path.exists(f"{NODES}/sharedmem-channel") and os.path.exists(f"{NODES}/buffer"),
                 "nodes back after modprobe")
        with open(f"{NODES}/buffer", "rb") as f:
            f.read(4096)
        samples.append((time.perf_counter() - t0) * 1e6)
    return {"loads": count, "unload_load": percentiles(samples)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--restarts", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cpu1 = Cpu1()
    if cpu1.state() == "running":
        cpu1.stop()
    cma_before, free_before = cma_used_pages(), meminfo("MemFree")
    summary: dict[str, object] = {"seed": args.seed}
    failures = []
    start = time.monotonic()
    try:
        cpu1.start()
        summary.update(pairs(args.pairs, random.Random(args.seed)))
        summary.update(restarts(args.restarts))
        cpu1.stop()
        summary.update(loads(args.loads))
    except (ChannelError, OSError, RuntimeError, subprocess.CalledProcessError) as e:
        failures.append(f"{type(e).__name__}: {e}")
        if Cpu1().state() == "running":
            Cpu1().stop()
    summary["seconds"] = round(time.monotonic() - start, 1)
    summary["cma_pages_growth"] = cma_used_pages() - cma_before
    summary["memfree_kib_change"] = meminfo("MemFree") - free_before
    if summary.get("lost") or summary.get("corrupted"):
        failures.append("messages lost or corrupted")
    if summary["cma_pages_growth"] != 0:
        failures.append(f"the driver's CMA use grew by {summary['cma_pages_growth']} pages")
    summary["failures"] = failures
    print(json.dumps(summary, sort_keys=True))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
