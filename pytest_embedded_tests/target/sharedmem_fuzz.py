# SPDX-License-Identifier: MIT
"""Syscall fuzzer for the sharedmem driver; runs on the board as root
(Python's standard library and shmem-helper's uapi module).

    python3 sharedmem_fuzz.py --seed 1 --ops 100000 --procs 4

Several worker processes issue random sequences of open, close, read, write,
lseek, mmap, munmap, mremap, fork-with-mapping, poll and every ioctl with
random and boundary arguments, on per-open buffers (/dev/sharedmem/sharedmem)
and on the persistent channel region; one worker also starts and stops CPU1
through remoteproc. Worker i draws from random.Random(f"{seed}/{i}"), so a
run is reproduced by its seed (the interleaving of the workers is not: the
kernel's scheduler decides it).

What counts as a failure here: a worker killed by a signal (a mapping that
mmap() granted must stay usable, even after close, RESIZE or FREE of its
buffer), an exception other than OSError from a syscall, or data that a
per-open buffer does not give back. The kernel's own verdict (KASAN,
lockdep, WARN, ...) is in its log, which the caller checks. The last line is
a JSON summary; on failure the seed is printed to reproduce it.

The cpu1-firmware region is opened read-only: writing code into it while
CPU1 runs is not a driver bug but arbitrary code on CPU1 (see SECURITY.md).
"""

import argparse
import ctypes
import errno
import fcntl
import json
import mmap
import os
import random
import select
import signal
import struct
import sys
import time

from shmem_helper import uapi

DEV = "/dev/sharedmem"
BUFFER_NODE = f"{DEV}/buffer"
CHANNEL_NODE = f"{DEV}/sharedmem-channel"
FIRMWARE_NODE = f"{DEV}/cpu1-firmware"
REMOTEPROC = "/sys/class/remoteproc"

# The uapi, from shmem-helper's mirror of include/uapi/misc/sharedmem.h
# (tools/tests/test_sharedmem_uapi.py ties it to the header).
BUFFER = uapi.BUFFER
MMAP_STRIDE = uapi.MMAP_STRIDE
IOCTLS = {name[4:]: getattr(uapi, name) for name in dir(uapi) if name.startswith("IOC_") and name != "IOC_MAGIC"}


def _ioc(direction: int, nr: int, size: int) -> int:
    """An ioctl number of the driver's type with any direction, number and size (bogus ones)."""
    return uapi._ioc(direction, uapi.IOC_MAGIC, nr, size)


PAGE = mmap.PAGESIZE
BOUNDARY_SIZES = (0, 1, PAGE - 1, PAGE, PAGE + 1, 64 << 10, 1 << 20, 16 << 20, (16 << 20) + 1, 64 << 20,
                  0x7FFFFFFF, 0xFFFFFFFF, 1 << 32, (1 << 64) - 1)
BOUNDARY_U32 = (0, 1, 2, 3, 7, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)


class Failure(Exception):
    pass


LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.mmap.restype = ctypes.c_void_p
LIBC.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
LIBC.mremap.restype = ctypes.c_void_p
LIBC.mremap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int)
LIBC.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
MAP_FAILED = ctypes.c_void_p(-1).value
MREMAP_MAYMOVE = 1


class Worker:
    def __init__(self, rng: random.Random, index: int, lifecycle: bool):
        self.rng = rng
        self.index = index
        self.lifecycle = lifecycle
        self.fds: list[tuple[int, str]] = []
        self.maps: list[tuple[mmap.mmap, int]] = []  # (mapping, fd it came from)
        self.shadow: dict[int, tuple[int, bytes]] = {}  # fd -> (offset, bytes) last written to its buffer
        self.ids: list[int] = [0]  # buffer ids ALLOC returned (0: each open's own buffer)
        self.counts: dict[str, int] = {}

    # -- helpers -------------------------------------------------------------

    def size(self) -> int:
        r = self.rng.random()
        if r < 0.3:
            return self.rng.choice(BOUNDARY_SIZES)
        if r < 0.6:
            return self.rng.randrange(0, 1 << 20)
        return self.rng.randrange(0, 64 << 10)

    def fd(self) -> tuple[int, str] | None:
        return self.rng.choice(self.fds) if self.fds else None

    def count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def syscall(self, name: str, fn, *args):  # type: ignore[no-untyped-def]
        """Call fn; counts[name] counts its successes, counts["errors"] the
        calls the kernel refused (the fuzzer expects many)."""
        try:
            result = fn(*args)
        except OSError as e:
            if e.errno == errno.EFAULT and name not in ("ioctl-badptr", "ioctl-bogus"):
                raise Failure(f"{name}: EFAULT with a valid buffer") from e
            self.count("errors")
            return None
        except (ValueError, OverflowError, BufferError):
            self.count("refused-by-python")
            return None
        self.count(name)
        return result if result is not None else True

    # -- operations ----------------------------------------------------------

    def op_open(self) -> None:
        if len(self.fds) >= 16:
            return self.op_close()
        node = self.rng.choice((BUFFER_NODE, BUFFER_NODE, BUFFER_NODE, CHANNEL_NODE, FIRMWARE_NODE))
        flags = os.O_RDONLY if node == FIRMWARE_NODE else self.rng.choice((os.O_RDWR, os.O_RDONLY, os.O_WRONLY))
        fd = self.syscall("open", os.open, node, flags | os.O_CLOEXEC)
        if fd is not None:
            self.fds.append((fd, node))

    def op_close(self) -> None:
        if self.fds:
            fd, _ = self.fds.pop(self.rng.randrange(len(self.fds)))
            self.shadow.pop(fd, None)
            self.syscall("close", os.close, fd)  # mappings of it stay: they must keep working

    def op_read(self) -> None:
        if (f := self.fd()) is None:
            return
        fd, _ = f
        n = self.rng.choice((0, 1, 7, PAGE, self.rng.randrange(0, 1 << 17)))
        offset = self.rng.choice((0, 1, PAGE - 1, self.size() & 0xFFFFFFFF))
        data = self.syscall("pread", os.pread, fd, n, offset)
        if data is not None and fd in self.shadow:
            at, written = self.shadow[fd]
            if at == offset and len(data) >= len(written) and data[:len(written)] != written:
                raise Failure(f"read back at {offset:#x} differs from what was written ({len(written)} bytes)")

    def op_write(self) -> None:
        if (f := self.fd()) is None:
            return
        fd, node = f
        if node == FIRMWARE_NODE:
            return
        data = self.rng.randbytes(self.rng.choice((0, 1, 13, PAGE, self.rng.randrange(0, 1 << 16))))
        offset = self.rng.choice((0, 8, PAGE, self.size() & 0xFFFFFFFF))
        n = self.syscall("pwrite", os.pwrite, fd, data, offset)
        if node == BUFFER_NODE:
            if n == len(data) and data:
                self.shadow[fd] = (offset, data)
            else:
                self.shadow.pop(fd, None)

    def op_lseek(self) -> None:
        if (f := self.fd()) is None:
            return
        whence = self.rng.choice((os.SEEK_SET, os.SEEK_CUR, os.SEEK_END, 3, 4, 99))
        offset = self.rng.choice((0, -1, 1, -(1 << 62), (1 << 62), self.size() - (1 << 31)))
        self.syscall("lseek", os.lseek, f[0], offset, whence)

    def op_mmap(self) -> None:
        if (f := self.fd()) is None or len(self.maps) >= 24:
            return self.op_munmap()
        fd, node = f
        length = self.rng.choice((PAGE, 2 * PAGE, 64 << 10, 1 << 20, self.size() or PAGE))
        offset = self.rng.choice((0, 0, PAGE, MMAP_STRIDE, 2 * MMAP_STRIDE, self.rng.randrange(0, 64) * PAGE))
        prot = mmap.PROT_READ if node == FIRMWARE_NODE else self.rng.choice(
            (mmap.PROT_READ, mmap.PROT_READ | mmap.PROT_WRITE))
        m = self.syscall("mmap", mmap.mmap, fd, length, mmap.MAP_SHARED, prot, 0, offset)
        if m is not None:
            self.maps.append((m, fd))
            written = self.touch(m, prot & mmap.PROT_WRITE != 0)
            if offset < MMAP_STRIDE:  # the open's own buffer, which pread() reads back
                self.shadow_apply(fd, [offset + at for at in written])

    def touch(self, m: mmap.mmap, writable: bool) -> list[int]:
        """Every page of a mapping the kernel granted must be readable (and
        writable if asked): SIGBUS or SIGSEGV here is a failure. Returns the
        offsets in the mapping that it incremented."""
        written = []
        for at in range(0, len(m), max(PAGE, len(m) // 8)):
            _ = m[at]
            if writable:
                m[at] = (m[at] + 1) & 0xFF
                written.append(at)
        _ = m[len(m) - 1]
        self.count("touch")
        return written

    def shadow_apply(self, fd: int, incremented: list[int]) -> None:
        """What a write through a mapping did to the bytes last pwrite()n:
        read() must then see the mapping's stores (one memory, two views)."""
        if fd not in self.shadow:
            return
        at, data = self.shadow[fd]
        expected = bytearray(data)
        for position in incremented:
            if at <= position < at + len(expected):
                expected[position - at] = (expected[position - at] + 1) & 0xFF
        self.shadow[fd] = (at, bytes(expected))

    def shadow_resize(self, fd: int, size: int) -> None:
        """RESIZE keeps what fits in the new size; what lay beyond is gone
        (growing again brings fresh memory there)."""
        if fd not in self.shadow:
            return
        at, data = self.shadow[fd]
        if at >= size:
            del self.shadow[fd]
        else:
            self.shadow[fd] = (at, data[:size - at])

    def op_munmap(self) -> None:
        if self.maps:
            m, _ = self.maps.pop(self.rng.randrange(len(self.maps)))
            self.syscall("munmap", m.close)

    def op_mremap(self) -> None:
        """mmap, mremap (grow, shrink, move) and munmap through libc: Python's
        mmap.resize() would ftruncate() the device instead."""
        if (f := self.fd()) is None:
            return
        fd, node = f
        old = self.rng.choice((PAGE, 2 * PAGE, 16 * PAGE))
        prot = mmap.PROT_READ if node == FIRMWARE_NODE else mmap.PROT_READ | mmap.PROT_WRITE
        addr = LIBC.mmap(None, old, prot, mmap.MAP_SHARED, fd, 0)
        if addr in (None, MAP_FAILED):
            self.count("errors")
            return
        new = self.rng.choice((PAGE, old // 2 or PAGE, old * 2, old + PAGE, 1 << 20, 64 << 20))
        moved = LIBC.mremap(addr, old, new, MREMAP_MAYMOVE)
        if moved in (None, MAP_FAILED):
            self.count("errors")
            LIBC.munmap(addr, old)
            return
        self.count("mremap")
        # What was mapped before stays there (pages past the object's end,
        # which growing may add, fault with SIGBUS as past a file's end).
        for at in range(0, min(old, new), PAGE):
            ctypes.string_at(moved + at, 1)
        LIBC.munmap(moved, new)

    def op_touch(self) -> None:
        if self.maps:
            m, _ = self.rng.choice(self.maps)
            try:
                self.touch(m, False)
            except (ValueError, IndexError):
                pass  # closed by munmap in Python's view

    def op_fork(self) -> None:
        """A child inherits the mappings, touches them, and exits (its
        references must be dropped cleanly, the parent's kept)."""
        self.count("fork")
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for m, _ in self.maps:
                    if not m.closed:
                        self.touch(m, False)
                for fd, _ in self.fds[:2]:
                    os.pread(fd, 16, 0)
            except OSError:
                pass
            except BaseException:
                code = 3
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            raise Failure(f"a forked child died of signal {os.WTERMSIG(status)} touching inherited mappings")

    def op_ioctl(self) -> None:
        if (f := self.fd()) is None:
            return
        fd, _ = f
        name = self.rng.choice(list(IOCTLS) + ["bogus", "badptr"])
        if name == "bogus":
            cmd = self.rng.choice((_ioc(3, self.rng.randrange(7, 256), BUFFER.size), _ioc(0, 1, 0),
                                   _ioc(3, 0x02, BUFFER.size - 8), self.rng.randrange(0, 1 << 32)))
            self.syscall("ioctl-bogus", fcntl.ioctl, fd, cmd, bytearray(64))
            return
        if name == "badptr":
            cmd = self.rng.choice(list(IOCTLS.values()))
            self.syscall("ioctl-badptr", fcntl.ioctl, fd, cmd, self.rng.choice((0, 1, 0xFFFFF000, 0xC0000000)))
            return
        cmd = IOCTLS[name]
        if name == "FREE" and self.rng.random() < 0.5:
            arg = bytearray(struct.pack("=I", self.rng.choice(self.ids)))
        elif name in ("FREE", "DOORBELL"):
            arg = bytearray(struct.pack("=I", self.rng.choice(BOUNDARY_U32 + (self.rng.randrange(0, 8),))))
        elif name in ("VERSION", "EVENTS"):
            arg = bytearray(4 if name == "VERSION" else 8)
        else:
            ident = self.rng.choice(BOUNDARY_U32 + (0, 0, 1, 2))
            flags = self.rng.choice((0, 0, 0, 1, 0xFFFFFFFF))
            reserved = self.rng.choice((0, 0, 0, 1))
            arg = bytearray(BUFFER.pack(ident, flags, self.size() & ((1 << 64) - 1),
                                        self.rng.randrange(0, 1 << 32), self.rng.randrange(0, 1 << 40),
                                        reserved, 0))
        if self.syscall(f"ioctl-{name}", fcntl.ioctl, fd, cmd, arg) is None:
            return
        if name == "ALLOC":
            self.ids = (self.ids + [BUFFER.unpack(arg)[0]])[-16:]
        elif name == "RESIZE" and BUFFER.unpack(arg)[0] == 0:
            self.shadow_resize(fd, BUFFER.unpack(arg)[2])

    def op_poll(self) -> None:
        if (f := self.fd()) is None:
            return
        p = select.poll()
        p.register(f[0], select.POLLIN | select.POLLOUT | select.POLLPRI)
        self.syscall("poll", p.poll, 0)

    def op_remoteproc(self) -> None:
        # Rarely: a start or stop that the other workers' scribbling makes
        # fail costs its whole timeout (2 s), and would make the run's time.
        if not self.lifecycle or self.rng.random() >= 0.05:
            return self.op_ioctl()
        for rp in os.listdir(REMOTEPROC):
            base = f"{REMOTEPROC}/{rp}"
            with open(f"{base}/name") as f:
                if f.read().strip() != "zynq-cpu1":
                    continue
            with open(f"{base}/state") as f:
                running = f.read().strip() == "running"
            action = "stop" if running else "start"
            try:
                with open(f"{base}/state", "w") as f:
                    f.write(action)
                self.count(f"remoteproc-{action}")
            except OSError:
                self.count("errors")

    OPS = (("open", 8), ("close", 5), ("read", 10), ("write", 10), ("lseek", 5), ("mmap", 8), ("munmap", 5),
           ("mremap", 4), ("touch", 4), ("fork", 1), ("ioctl", 25), ("poll", 4), ("remoteproc", 1))

    def run(self, ops: int) -> dict[str, int]:
        names = [n for n, _ in self.OPS]
        weights = [w for _, w in self.OPS]
        for _ in range(ops):
            getattr(self, "op_" + self.rng.choices(names, weights)[0])()
        for m, _ in self.maps:
            m.close()
        for fd, _ in self.fds:
            os.close(fd)
        return self.counts


def worker_main(seed: str, index: int, ops: int, lifecycle: bool, out: int) -> None:
    rng = random.Random(f"{seed}/{index}")
    code = 0
    try:
        result = {"counts": Worker(rng, index, lifecycle).run(ops)}
    except Failure as e:
        result, code = {"failure": str(e)}, 1
    except Exception as e:  # noqa: BLE001 - reported with the seed
        result, code = {"failure": f"{type(e).__name__}: {e}"}, 1
    os.write(out, (json.dumps(result) + "\n").encode())
    os._exit(code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", default=str(random.randrange(1 << 32)))
    parser.add_argument("--ops", type=int, default=100_000, help="operations in all (split among the workers)")
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--no-lifecycle", action="store_true", help="no remoteproc start/stop")
    args = parser.parse_args()
    start = time.monotonic()
    workers = {}
    for i in range(args.procs):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            worker_main(args.seed, i, args.ops // args.procs, i == 0 and not args.no_lifecycle, w)
        os.close(w)
        workers[pid] = (i, r)
    totals: dict[str, int] = {}
    failures = []
    for pid, (i, r) in workers.items():
        with os.fdopen(r, "rb") as pipe:
            report = pipe.read().decode()
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            failures.append(f"worker {i} killed by {signal.Signals(os.WTERMSIG(status)).name}")
            continue
        result = json.loads(report or '{"failure": "no report"}')
        if "failure" in result:
            failures.append(f"worker {i}: {result['failure']}")
            continue
        for k, v in result["counts"].items():
            totals[k] = totals.get(k, 0) + v
    summary = {"seed": args.seed, "ops": args.ops // args.procs * args.procs, "procs": args.procs,
               "seconds": round(time.monotonic() - start, 1), "failures": failures, "counts": totals}
    if failures:
        print(f"sharedmem_fuzz: FAILED; reproduce with --seed {args.seed} --ops {args.ops} --procs {args.procs}",
              file=sys.stderr)
    print(json.dumps(summary, sort_keys=True))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
