# SPDX-License-Identifier: MIT
"""Throughput of the sharedmem buffer node; runs on the board (shmem-helper's
library and the standard library only). tools/bench-sharedmem copies it there.

    python3 sharedmem_bench.py [--size BYTES] [--min-time S] [--rounds N]

write()/read() in 4 KiB and 1 MiB chunks and memcpy through the mapping,
each as a ratio to memcpy between anonymous mappings measured in the same
run; interleaved rounds, the best of each counts (a busy host slows single
measurements). The last line is a JSON object of the rates in bytes/s.
"""

import argparse
import json
import mmap
import os
import sys
import time
from collections.abc import Callable

from shmem_helper import Error, Region

MIB = 1 << 20
NODE = "/dev/sharedmem/buffer"


def rate(fn: Callable[[], None], size: int, min_time: float) -> float:
    """Bytes per second of fn(), which moves `size` bytes, repeated for `min_time` seconds."""
    fn()  # warm-up: page faults, caches
    runs, start = 0, time.perf_counter()
    while True:
        fn()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return runs * size / elapsed


def measure(size: int, min_time: float, rounds: int) -> dict[str, float]:
    src, dst = mmap.mmap(-1, size), mmap.mmap(-1, size)
    src[:] = (os.urandom(MIB) * (size // MIB + 1))[:size]
    vsrc, vdst = memoryview(src), memoryview(dst)
    with Region(NODE) as region:
        region.resize(size)
        fd = region.fd
        with region.map() as mapping:
            vmap = mapping.view

            def anon() -> None:
                vdst[:] = vsrc

            def map_store() -> None:
                vmap[:] = vsrc

            def map_load() -> None:
                vdst[:] = vmap

            def writes(chunk: int) -> Callable[[], None]:
                def run() -> None:
                    for off in range(0, size, chunk):
                        os.pwrite(fd, vsrc[off:off + chunk], off)
                return run

            def reads(chunk: int) -> Callable[[], None]:
                def run() -> None:
                    for off in range(0, size, chunk):
                        os.preadv(fd, [vdst[off:off + chunk]], off)
                return run

            cases: dict[str, Callable[[], None]] = {
                "anon memcpy": anon, "mapping memcpy (store)": map_store, "mapping memcpy (load)": map_load}
            for chunk, label in ((4096, "4 KiB"), (MIB, "1 MiB")):
                cases[f"write() {label}"] = writes(chunk)
                cases[f"read() {label}"] = reads(chunk)
            results = dict.fromkeys(cases, 0.0)
            for _ in range(rounds):
                for name, fn in cases.items():
                    results[name] = max(results[name], rate(fn, size, min_time))
        if bytes(vdst[:MIB]) != bytes(vsrc[:MIB]):
            raise SystemExit("bench-sharedmem: read() returned other data than was written")
    vsrc.release()
    vdst.release()
    src.close()
    dst.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=16 * MIB, help="bytes per measurement (16 MiB)")
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds per measurement (1)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    args = parser.parse_args()
    if args.size < MIB or args.size % MIB:
        parser.error("--size is a multiple of 1 MiB")
    try:
        results = measure(args.size, args.min_time, args.rounds)
    except Error as e:
        print(f"bench-sharedmem: {e}", file=sys.stderr)
        return 1
    base = results["anon memcpy"]
    mapping_rate = (results["mapping memcpy (store)"] + results["mapping memcpy (load)"]) / 2
    print(f"mapping memcpy (mean)    {mapping_rate / MIB:8.1f} MiB/s  {mapping_rate / base:5.2f}x anon")
    for name, value in results.items():
        extra = f"  {value / mapping_rate:5.2f}x mapping" if name.startswith(("read", "write")) else ""
        print(f"{name:24s} {value / MIB:8.1f} MiB/s  {value / base:5.2f}x anon{extra}")
    print(json.dumps({name: round(value) for name, value in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
