# SPDX-License-Identifier: MIT
"""Least privilege (issue 11, SECURITY.md), checked on the board: the
programs of test_privilege.py and test_unbind.py. Run as root, a check
becomes the users it plays (setgroups, setresgid, setresuid: setuid drops
root's capabilities, CAP_SYS_RESOURCE among them); run through su, it is
that user already.

    python3 privilege_checks.py CHECK [ARG ...]

Prints CHECK-OK at the end of a check that passed; a failed one raises
(exit status 1, with its traceback); an unknown check exits 2.
"""

import ctypes
import errno
import mmap
import os
import select
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from shmem_helper import Region, SharedmemError, uapi
from shmem_helper import channel_layout as L
from shmem_helper.cpu1 import Cpu1
from shmem_helper.link import CHANNEL_NODE, ChannelLink

BUF = "/dev/sharedmem/buffer"
CHAN = CHANNEL_NODE
FW = "/dev/sharedmem/cpu1-firmware"
PAGE = mmap.PAGESIZE
MIB = 1 << 20
SHAREDMEM_GID = 990
USERS = {"amp": (1000, [SHAREDMEM_GID]), "amp2": (1002, [SHAREDMEM_GID]), "outsider": (1001, [])}
DRIVER = "/sys/bus/platform/drivers/sharedmem"
UNBIND_DONE = "/tmp/unbind-done"

libc = ctypes.CDLL(None, use_errno=True)
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]

CHECKS: dict[str, Callable[..., None]] = {}


def check(fn: Callable[..., None]) -> Callable[..., None]:
    CHECKS[fn.__name__] = fn
    return fn


def become(name: str) -> None:
    uid, groups = USERS[name]
    os.setgroups(groups)
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def expect_errno(err: int, fn: Callable[..., object], *args: Any) -> None:
    try:
        fn(*args)
    except OSError as e:
        assert e.errno == err, f"{fn.__name__}{args!r}: {errno.errorcode.get(e.errno or 0)}, " \
                               f"expected {errno.errorcode[err]}"
        return
    raise AssertionError(f"{fn.__name__}{args!r} succeeded, expected {errno.errorcode[err]}")


def read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


def run_self(*args: str) -> subprocess.CompletedProcess[str]:
    """This program again, in a new process: another check."""
    return subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)


# -- test_privilege.py ---------------------------------------------------------------

@check
def firmware_is_roots_as_a_member(remoteproc: str) -> None:
    """Run as amp: CPU1's code only to read, remoteproc's `firmware` not to write."""
    assert SHAREDMEM_GID in os.getgroups()
    expect_errno(errno.EACCES, os.open, FW, os.O_WRONLY)
    expect_errno(errno.EACCES, os.open, FW, os.O_RDWR)
    fd = os.open(FW, os.O_RDONLY)
    assert len(os.read(fd, 16)) == 16  # reading root's code is allowed
    # a read-only open cannot become a writable mapping
    expect_errno(errno.EACCES, mmap.mmap, fd, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    os.close(fd)
    expect_errno(errno.EACCES, open, f"{remoteproc}/firmware", "w")


@check
def firmware_is_roots_as_an_outsider(remoteproc: str) -> None:
    """Run as outsider: no node, no remoteproc attribute to write."""
    assert SHAREDMEM_GID not in os.getgroups()
    for node in (BUF, CHAN, FW):
        expect_errno(errno.EACCES, os.open, node, os.O_RDONLY)
    for attr in ("firmware", "state"):
        expect_errno(errno.EACCES, open, f"{remoteproc}/{attr}", "w")


@check
def scribble_the_lifecycle(halted_flag: str, done_flag: str) -> None:
    """Run as root, plays amp: writes READY (HALTED once `halted_flag`
    exists) into cpu1.state, acknowledges resets and moves the heartbeat,
    until `done_flag` exists."""
    become("amp")
    # The control block, mapped raw: before the first start it holds no channel yet.
    with Region(CHAN) as region, region.map(length=4096) as mapping:
        w = mapping.view.cast("I")
        state, ack, beat = (L.cpu1_field(f) // 4 for f in ("state", "reset_ack", "heartbeat"))
        gen = L.host_field("reset_gen") // 4
        print("scribbling", flush=True)
        while not os.path.exists(done_flag):
            w[state] = L.SHMEM_CPU1_HALTED if os.path.exists(halted_flag) else L.SHMEM_CPU1_READY
            w[ack] = w[gen]
            w[beat] = (w[beat] + 1) & 0xFFFFFFFF
            time.sleep(0.001)  # the driver looks every 200 ms at most; leave the CPU to the others
        w.release()


@check
def write_firmware_word(offset: str, value: str) -> None:
    """Run as root: one 32-bit word into cpu1-firmware (what releases a spinning firmware)."""
    fd = os.open(FW, os.O_WRONLY)
    try:
        os.pwrite(fd, struct.pack("<I", int(value, 0)), int(offset, 0))
    finally:
        os.close(fd)


@check
def open_node(node: str) -> None:
    """Opens `node` read-write (a PermissionError for an outsider)."""
    os.close(os.open(node, os.O_RDWR))


@check
def allocate_twice(user: str, size: str) -> None:
    """Run as root, plays `user`: two buffers of `size` bytes."""
    become(user)
    r = Region(BUF)
    r.alloc(int(size))
    r.alloc(int(size))
    print(user, "allocated")


@check
def open_node_as(user: str, node: str) -> None:
    """Run as root, plays `user`: opens `node` read-write."""
    become(user)
    open_node(node)


@check
def dma_memory_is_bounded_per_user() -> None:
    limit = int(read_text("/sys/module/sharedmem/parameters/user_limit"))
    cma_total = next(int(line.split()[1]) * 1024 for line in read_text("/proc/meminfo").splitlines()
                     if line.startswith("CmaTotal:"))
    assert 0 < limit <= cma_total // 2, (limit, cma_total)
    chunk = 4 * MIB
    to_parent, from_child = os.pipe()
    wait_parent, go_on = os.pipe()
    pid = os.fork()
    if pid == 0:  # the greedy member
        try:
            become("amp")
            r = Region(BUF)
            held = 4096  # buffer 0 of the open
            try:
                while held <= limit:
                    r.alloc(chunk)
                    held += chunk
                raise AssertionError(f"amp holds {held} bytes, over its limit {limit}")
            except SharedmemError as e:
                assert e.errno == errno.ENOMEM, e
            os.write(from_child, f"{held}".encode())
            os.read(wait_parent, 1)  # the others try while amp holds its share
            r.close()
            r = Region(BUF)
            r.alloc(chunk)  # its share is back
        except BaseException as e:
            os.write(from_child, f"amp failed: {e!r}".encode())
            os._exit(1)
        os._exit(0)
    answer = os.read(to_parent, 256).decode()
    assert answer.isdigit(), answer
    held = int(answer)
    assert held > limit - chunk, (held, limit)
    print("amp holds", held, "of", limit)
    out = run_self("allocate_twice", "amp2", str(8 * MIB))
    assert "amp2 allocated" in out.stdout, out
    with Region(BUF) as r:  # root: counted, not limited
        r.alloc(8 * MIB)
    os.write(go_on, b"x")
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    out = run_self("open_node_as", "outsider", BUF)
    assert out.returncode != 0 and "PermissionError" in out.stderr, out


# -- test_unbind.py ------------------------------------------------------------------

def errno_of(fn: Callable[..., object], *args: Any) -> int:
    try:
        fn(*args)
    except OSError as e:
        return e.errno or 0
    return 0


def ring(fd: int) -> None:
    buf = ctypes.create_string_buffer(struct.pack("<I", uapi.DOORBELL_RING))
    if libc.ioctl(fd, uapi.IOC_DOORBELL, buf) != 0:
        raise OSError(ctypes.get_errno(), "doorbell")


def worker(kind: str, report: int) -> None:
    """Runs as amp until its operation fails; reports what it saw."""
    become("amp")
    if kind == "poll":
        fd = os.open(CHAN, os.O_RDWR)
        p = select.poll()
        p.register(fd, select.POLLIN)
        os.write(report, b"ready\n")
        while True:
            events = p.poll(60000)
            if events and events[0][1] & select.POLLHUP:
                break
        result = errno_of(ring, fd)
    elif kind == "ring":
        fd = os.open(CHAN, os.O_RDWR)
        os.write(report, b"ready\n")
        while not (result := errno_of(ring, fd)):
            pass
    elif kind == "readwrite":
        fd = os.open(BUF, os.O_RDWR)
        os.write(report, b"ready\n")
        while True:
            err = errno_of(os.pwrite, fd, b"unbind", 0) or errno_of(os.pread, fd, 6, 0)
            if err:
                result = err
                break
    else:  # "map": a buffer and the channel, written while the device goes
        r = Region(BUF)
        info = r.alloc(MIB)
        m = r.map(info.id, length=MIB)
        c = Region(CHAN)
        off = c.size - PAGE
        mc = c.map(offset=off, length=PAGE)
        os.write(report, b"ready\n")
        i = 0
        while not os.path.exists(UNBIND_DONE):
            m.view[i % MIB] = i & 0xFF
            mc.view[i % PAGE] = mc.view[i % PAGE]
            i += 1
        m.view[:6] = b"mapped"
        assert bytes(m.view[:6]) == b"mapped"  # still the memory it was
        result = errno_of(r.alloc, PAGE)
        m.close()
        mc.close()
        r.close()
        c.close()
    os.write(report, f"{kind} {errno.errorcode.get(result, result)}\n".encode())
    os._exit(0)


@check
def unbind_while_members_use_the_device() -> None:
    Cpu1().start("sharedmem-cpu1.elf")
    dev = os.path.basename(os.path.realpath("/sys/class/sharedmem/" + os.path.basename(
        os.path.realpath(BUF)) + "/device"))
    if os.path.exists(UNBIND_DONE):
        os.unlink(UNBIND_DONE)
    reports, pids = [], []
    for kind in ("poll", "ring", "readwrite", "map"):
        rd, wr = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rd)
            try:
                worker(kind, wr)
            except BaseException as e:
                os.write(wr, f"{kind} failed {e!r}\n".encode())
                os._exit(1)
        os.close(wr)
        reports.append(os.fdopen(rd))
        pids.append(pid)
    for f in reports:
        assert f.readline() == "ready\n"
    with open(DRIVER + "/unbind", "w") as f:
        f.write(dev)
    assert not os.path.exists("/sys/class/sharedmem/sharedmem0")
    open(UNBIND_DONE, "w").close()
    try:
        seen = [f.readline().strip() for f in reports]
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            assert status == 0, (seen, status)
    finally:
        os.unlink(UNBIND_DONE)
    print("workers:", seen)
    assert seen == ["poll ENODEV", "ring ENODEV", "readwrite ENODEV", "map ENODEV"], seen
    with open(DRIVER + "/bind", "w") as f:
        f.write(dev)
    subprocess.run(["udevadm", "settle"], check=True)
    cpu1 = Cpu1()
    assert cpu1.state() == "offline", cpu1.state()
    pid = os.fork()
    if pid == 0:
        become("amp")
        cpu1.start()
        with ChannelLink() as link:
            assert link.channel.echo(b"after rebind") == b"after rebind"
        cpu1.stop()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    pid = os.fork()
    if pid == 0:
        become("outsider")
        try:
            open(DRIVER + "/unbind", "w")
        except PermissionError:
            os._exit(0)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert status == 0, "a non-member could open unbind"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in CHECKS:
        print(f"usage: privilege_checks.py CHECK [ARG ...]; CHECK one of {', '.join(CHECKS)}", file=sys.stderr)
        return 2
    CHECKS[argv[0]](*argv[1:])
    print("CHECK-OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
