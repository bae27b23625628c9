# SPDX-License-Identifier: MIT
"""Unbinding the platform device while members use it (issue 11, point 5):
processes of a group member poll the channel, ring CPU1, read and write the
buffer node and hold mappings of a buffer and of the channel. After the
unbind every operation fails with ENODEV (poll reports EPOLLHUP), the
mappings stay usable until unmapped, nothing is used after free (the debug
board's KASAN and lockdep watch; the `linux` fixture fails on any report),
and a new bind gives working nodes and CPU1 again. A non-member cannot
unbind."""

import textwrap

from .test_privilege import BECOME
from .test_sharedmem_driver import run_script

WORKERS = textwrap.dedent('''
    import select, signal
    DOORBELL = uapi.IOC_DOORBELL
    RING = struct.pack("<I", 1)

    def errno_of(fn, *args):
        try:
            fn(*args)
        except OSError as e:
            return e.errno
        return 0

    def ring(fd):
        buf = ctypes.create_string_buffer(RING)
        if libc.ioctl(fd, DOORBELL, buf) != 0:
            raise OSError(ctypes.get_errno(), "doorbell")

    def worker(kind, report):
        """Runs as amp until its operation fails; reports what it saw."""
        become("amp")
        if kind == "poll":
            fd = os.open(CHAN, os.O_RDWR)
            p = select.poll()
            p.register(fd, select.POLLIN)
            os.write(report, b"ready\\n")
            while True:
                events = p.poll(60000)
                if events and events[0][1] & select.POLLHUP:
                    break
            result = errno_of(ring, fd)
        elif kind == "ring":
            fd = os.open(CHAN, os.O_RDWR)
            os.write(report, b"ready\\n")
            while not (result := errno_of(ring, fd)):
                pass
        elif kind == "readwrite":
            fd = os.open(BUF, os.O_RDWR)
            os.write(report, b"ready\\n")
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
            os.write(report, b"ready\\n")
            i = 0
            while not os.path.exists("/tmp/unbind-done"):
                m.view[i % MIB] = i & 0xFF
                mc.view[i % PAGE] = mc.view[i % PAGE]
                i += 1
            m.view[:6] = b"mapped"
            assert bytes(m.view[:6]) == b"mapped"  # still the memory it was
            result = errno_of(r.alloc, PAGE)
            m.close(); mc.close(); r.close(); c.close()
            os.write(report, f"{kind} {errno.errorcode.get(result, result)}\\n".encode())
            os._exit(0)
        os.write(report, f"{kind} {errno.errorcode.get(result, result)}\\n".encode())
        os._exit(0)
''')


def test_unbind_while_members_use_the_device(linux):
    out = run_script(linux, BECOME + WORKERS + textwrap.dedent('''
        from shmem_helper.cpu1 import Cpu1
        Cpu1().start("sharedmem-cpu1.elf")
        dev = os.path.basename(os.path.realpath("/sys/class/sharedmem/" + os.path.basename(
            os.path.realpath(BUF)) + "/device"))
        drv = "/sys/bus/platform/drivers/sharedmem"
        if os.path.exists("/tmp/unbind-done"):
            os.unlink("/tmp/unbind-done")
        reports, pids = [], []
        for kind in ("poll", "ring", "readwrite", "map"):
            rd, wr = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(rd)
                try:
                    worker(kind, wr)
                except BaseException as e:
                    os.write(wr, f"{kind} failed {e!r}\\n".encode())
                    os._exit(1)
            os.close(wr)
            reports.append(os.fdopen(rd))
            pids.append(pid)
        for f in reports:
            assert f.readline() == "ready\\n"
        with open(drv + "/unbind", "w") as f:
            f.write(dev)
        assert not os.path.exists("/sys/class/sharedmem/sharedmem0")
        open("/tmp/unbind-done", "w").close()
        seen = [f.readline().strip() for f in reports]
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            assert status == 0, (seen, status)
        print("workers:", seen)
        assert seen == ["poll ENODEV", "ring ENODEV", "readwrite ENODEV", "map ENODEV"], seen
        with open(drv + "/bind", "w") as f:
            f.write(dev)
        subprocess.run(["udevadm", "settle"], check=True)
        cpu1 = Cpu1()
        assert cpu1.state() == "offline", cpu1.state()
        pid = os.fork()
        if pid == 0:
            become("amp")
            from shmem_helper.link import ChannelLink
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
                open(drv + "/unbind", "w")
            except PermissionError:
                os._exit(0)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert status == 0, "a non-member could open unbind"
    '''), timeout=300)
    assert "workers:" in out
