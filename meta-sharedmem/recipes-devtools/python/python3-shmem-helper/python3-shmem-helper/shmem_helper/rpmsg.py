# SPDX-License-Identifier: MIT
"""RPMsg beside the channel: the kernel's rpmsg devices of CPU1.

When CPU1 runs a payload whose resource table has an RPMsg virtio device,
the kernel's virtio_rpmsg_bus creates one rpmsg device per channel the
payload announces, under CPU1's remoteproc device in sysfs:

    /sys/class/remoteproc/remoteprocN -> .../remoteprocN
    .../remoteprocN/rproc-virtio.M.auto/virtio0/virtio0.rpmsg-raw.-1.1025

and its drivers give them device nodes: rpmsg_char a /dev/rpmsgN per
`rpmsg-raw` channel (one message per read and per write, at most
RPMSG_MTU bytes), rpmsg_tty a /dev/ttyRPMSGn per `rpmsg-tty` channel (a
byte stream, cut into messages by the kernel). `Rpmsg` finds them the way
sysfs describes them (Documentation/ABI/testing/sysfs-bus-rpmsg; the node
from the class device's `uevent`), never by guessing a /dev name: the
numbers change when CPU1 is stopped, crashes or is restarted.

    with Rpmsg().open("rpmsg-raw") as endpoint:
        endpoint.send(b"hello")
        print(endpoint.recv(timeout=1))

The devices go away when CPU1 stops (stop, crash, recovery): an open
endpoint then raises RpmsgDeviceGone, a blocked recv too; find the device
again once CPU1 runs. The sysfs root and the /dev directory are
injectable, and so is the call that opens a node (`opener`, as for
open()), so all of this runs on a host with a fake tree.
"""

import dataclasses
import errno
import functools
import math
import operator
import os
import select
import termios
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from .cpu1 import Cpu1, RemoteprocState
from .errors import (
    GROUP_HINT,
    Busy,
    Cpu1NotRunning,
    Error,
    InvalidArgument,
    MessageTooLarge,
    NotFound,
    PermissionDenied,
    RpmsgDeviceGone,
    Timeout,
)

# virtio_rpmsg_bus's buffers are 512 bytes, less its 16-byte rpmsg_hdr: the
# kernel refuses a longer message (EMSGSIZE) and has no attribute saying so.
RPMSG_MTU = 496
RAW_CHANNEL = "rpmsg-raw"
TTY_CHANNEL = "rpmsg-tty"
SYSFS = Path("/sys")
DEV = Path("/dev")
DEFAULT_TIMEOUT = 5.0
# The payload announces its channels after Linux's virtio driver is ready,
# which is after remoteproc's start returned: how long open() waits for them.
ANNOUNCE_TIMEOUT = 2.0
# Rescans of sysfs while waiting for an announcement, and retries of a
# write the kernel could not queue: virtio_rpmsg_bus has no poll() for its
# transmit buffers, so a full ring can only be tried again.
RESCAN_INTERVAL = 0.02
RETRY_INTERVAL = 0.001
# Classes whose devices are nodes of an rpmsg device; what each kind is.
NODE_CLASSES = ("rpmsg", "tty")
# The errors of a node whose rpmsg device went away: rpmsg_char answers
# EPIPE (ENETRESET on open), a hung-up tty EIO, the node itself ENODEV/ENXIO.
GONE_ERRNOS = frozenset({errno.EPIPE, errno.ENETRESET, errno.ENODEV, errno.ENXIO, errno.EIO, errno.ESHUTDOWN,
                         errno.ECONNRESET})
Opener = Callable[[str, int], int]


@dataclasses.dataclass(frozen=True)
class RpmsgDevice:
    """One rpmsg device of CPU1 (a channel): its `channel` name as CPU1
    announced it, `src` (Linux's address) and `dst` (CPU1's), the `driver`
    bound to it, its device `node` (None when no driver gave it one),
    `kind` ("char" for rpmsg_char's /dev/rpmsgN, "tty", "ctrl" for
    rpmsg_ctrl, None without a node) and its `sysfs` directory.

    Example::

        for device in shmem_helper.Rpmsg().devices():
            print(device.channel, hex(device.dst), device.node)
    """

    channel: str
    src: int
    dst: int
    driver: str | None
    node: str | None
    kind: str | None
    sysfs: str


def _read_attribute(path: Path) -> str:
    return path.read_text().rstrip("\n")


def _address(path: Path) -> int:
    """An rpmsg address attribute ("0x%x"), validated."""
    text = _read_attribute(path)
    try:
        value = int(text, 16)
    except ValueError:
        value = -1
    if not text.startswith("0x") or not 0 <= value <= 0xFFFFFFFF:
        raise Error(f"{path} reads {text!r}, not an rpmsg address (0x...): a kernel this library does not know; "
                    "update shmem-helper")
    return value


def _uevent(path: Path) -> dict[str, str]:
    out = {}
    for line in _read_attribute(path).splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


class Rpmsg:
    """CPU1's RPMsg devices, found through sysfs under its remoteproc
    (`cpu1`, default `Cpu1()`): list them, open one by channel name.
    NotFound when CPU1 is not registered (the module is not loaded).

    Example::

        rpmsg = shmem_helper.Rpmsg()
        print([d.channel for d in rpmsg.devices()])
        with rpmsg.open("rpmsg-raw") as endpoint:
            print(endpoint.echo(b"hi"))
    """

    def __init__(self, cpu1: Cpu1 | None = None, *, sysfs: Path = SYSFS, dev: Path = DEV,
                 opener: Opener = os.open):
        self.sysfs = sysfs
        self.dev = dev
        self.opener = opener
        self.cpu1 = cpu1 if cpu1 is not None else Cpu1(sysfs / "class" / "remoteproc")

    def _nodes(self) -> dict[Path, list[tuple[str, Path]]]:
        """Class devices (rpmsg, tty) by the real path of their parent device."""
        out: dict[Path, list[tuple[str, Path]]] = {}
        for cls in NODE_CLASSES:
            try:
                entries = sorted((self.sysfs / "class" / cls).iterdir())
            except OSError:
                continue  # no such class: its driver is not in this kernel
            for entry in entries:
                try:
                    parent = (entry / "device").resolve(strict=True)
                except OSError:
                    continue  # a virtual tty (no parent device), or one going away
                out.setdefault(parent, []).append((cls, entry))
        return out

    def _node(self, cls: str, entry: Path) -> tuple[str, str] | None:
        """(path, kind) of a class device's node: the name from its uevent,
        the node only if it is that character device (major:minor)."""
        try:
            name = _uevent(entry / "uevent").get("DEVNAME")
            major, _, minor = _read_attribute(entry / "dev").partition(":")
            rdev = os.makedev(int(major), int(minor))
        except (OSError, ValueError):
            return None
        if not name or ".." in name.split("/"):
            return None
        path = self.dev / name
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not (st.st_mode & 0o170000 == 0o020000 and st.st_rdev == rdev):
            return None  # not (yet) the node of this device
        kind = "tty" if cls == "tty" else "ctrl" if name.startswith("rpmsg_ctrl") else "char"
        return str(path), kind

    def devices(self) -> list[RpmsgDevice]:
        """CPU1's rpmsg devices now (none while CPU1 is offline), in sysfs order.

        Example: ``[d.node for d in Rpmsg().devices() if d.kind == "char"]``
        """
        bus = self.sysfs / "bus" / "rpmsg" / "devices"
        root = self.cpu1.path.resolve()
        try:
            entries = sorted(bus.iterdir())
        except OSError:
            return []  # no rpmsg bus in this kernel (CONFIG_RPMSG)
        nodes = self._nodes()
        found = []
        for entry in entries:
            try:
                real = entry.resolve(strict=True)
                if root not in real.parents:
                    continue  # another remote processor's
                channel = _read_attribute(entry / "name")
                src, dst = _address(entry / "src"), _address(entry / "dst")
            except Error:
                raise
            except OSError:
                continue  # removed while this scan ran
            driver_link = entry / "driver"
            driver = driver_link.resolve().name if driver_link.exists() else None
            node = kind = None
            for cls, class_entry in nodes.get(real, []):
                got = self._node(cls, class_entry)
                if got is not None:
                    node, kind = got
                    break
            found.append(RpmsgDevice(channel, src, dst, driver, node, kind, str(entry)))
        return found

    def device(self, channel: str, timeout: float = 0.0) -> RpmsgDevice:
        """The device of `channel` with its node, waiting up to `timeout`
        seconds for CPU1 to announce it. Cpu1NotRunning when CPU1 does not
        run, NotFound when it runs without announcing that channel.

        Example: ``Rpmsg().device("rpmsg-raw", timeout=2).node  # '/dev/rpmsg0'``
        """
        deadline = time.monotonic() + timeout
        while True:
            devices = self.devices()
            for device in devices:
                if device.channel == channel and device.node is not None:
                    return device
            state = self.cpu1.state()
            if state != RemoteprocState.RUNNING:
                raise Cpu1NotRunning(f"CPU1 is {state}: its RPMsg devices exist only while it runs; start it "
                                     "(`shmem-helper start`)")
            if time.monotonic() >= deadline:
                break
            time.sleep(RESCAN_INTERVAL)  # sysfs offers no notification to wait on
        named = [d for d in devices if d.channel == channel]
        if named:
            raise NotFound(f"RPMsg channel {channel!r} has no device node (driver: {named[0].driver or 'none'}); "
                           "the kernel needs rpmsg_char for rpmsg-raw and rpmsg_tty for rpmsg-tty "
                           "(CONFIG_RPMSG_CHAR, CONFIG_RPMSG_TTY), and udev to create the node")
        announced = ", ".join(sorted({repr(d.channel) for d in devices})) or "none"
        raise NotFound(f"CPU1 runs {self.cpu1.firmware()} but announced no RPMsg channel {channel!r} within "
                       f"{timeout:g} s (announced: {announced}); its payload needs an RPMsg device in its resource "
                       "table")

    def open(self, channel: str = RAW_CHANNEL, timeout: float = ANNOUNCE_TIMEOUT) -> "RpmsgEndpoint":
        """Open the rpmsg_char node of `channel` (waiting up to `timeout`
        seconds for its announcement): one message per send and recv.

        Example: ``with Rpmsg().open() as endpoint: endpoint.echo(b"hi")``
        """
        device = self.device(channel, timeout)
        if device.kind != "char":
            raise InvalidArgument(f"RPMsg channel {channel!r} is a {device.kind} ({device.node}), not an rpmsg_char "
                                  "endpoint; use open_tty() for rpmsg-tty")
        assert device.node is not None
        return RpmsgEndpoint(device.node, opener=self.opener, cpu1=self.cpu1)

    def open_tty(self, channel: str = TTY_CHANNEL, timeout: float = ANNOUNCE_TIMEOUT) -> "RpmsgTty":
        """Open the rpmsg_tty node of `channel` in raw mode (waiting up to
        `timeout` seconds for its announcement).

        Example: ``with Rpmsg().open_tty() as tty: tty.echo(b"hello\\n")``
        """
        device = self.device(channel, timeout)
        if device.kind != "tty":
            raise InvalidArgument(f"RPMsg channel {channel!r} is a {device.kind} ({device.node}), not a tty; use "
                                  "open() for rpmsg-raw")
        assert device.node is not None
        return RpmsgTty(device.node, opener=self.opener, cpu1=self.cpu1)


class _Node:
    """An open RPMsg device node: non-blocking, waits in poll() with a
    deadline, and one mapping of its errors to shmem_helper's."""

    flags = os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC

    def __init__(self, path: str, *, opener: Opener = os.open, cpu1: Cpu1 | None = None):
        self.path = path
        self.cpu1 = cpu1
        self.fd = -1
        try:
            self.fd = opener(path, self.flags)
        except OSError as e:
            raise self._error(e, "opening") from None
        self._poll = select.poll()
        self._poll.register(self.fd, select.POLLIN)

    def _gone(self, doing: str, number: int = errno.EPIPE) -> RpmsgDeviceGone:
        said = ""
        if self.cpu1 is not None:
            try:
                said = f"; remoteproc says CPU1 is {self.cpu1.state()}"
            except Error:
                said = "; CPU1's remoteproc is gone too"
        return RpmsgDeviceGone(f"{self.path}: {doing} failed: the RPMsg device went away (CPU1 was stopped, crashed "
                               f"or restarted{said}); find it again once CPU1 runs (its number may change)",
                               errno=number)

    def _cpu1_stopped(self) -> bool:
        try:
            return self.cpu1 is None or self.cpu1.state() != RemoteprocState.RUNNING
        except Error:
            return True

    def _error(self, e: OSError, doing: str) -> Error:
        number = e.errno or errno.EIO
        if number == errno.ENOENT:
            if self.cpu1 is not None and self._cpu1_stopped():
                return self._gone(doing, number)  # removed between finding it and opening it
            return NotFound(f"{self.path}: {doing} failed: no such node; CPU1's RPMsg nodes exist only while it runs: "
                            "`shmem-helper status` lists them", errno=number)
        if number in GONE_ERRNOS:
            return self._gone(doing, number)
        if number in (errno.EACCES, errno.EPERM):
            return PermissionDenied(f"{self.path}: {doing} failed: {GROUP_HINT}", errno=number)
        if number == errno.EBUSY:
            return Busy(f"{self.path}: {doing} failed: another process has it open (rpmsg_char allows one); close "
                        "that first", errno=number)
        if number == errno.EMSGSIZE:
            return MessageTooLarge(f"{self.path}: {doing} failed: the kernel refused the message as too large "
                                   f"(RPMsg carries at most {RPMSG_MTU} bytes)", errno=number)
        return Error(f"{self.path}: {doing} failed: {e.strerror or number}; the kernel log (dmesg) says why",
                     errno=number)

    def _check_open(self) -> None:
        if self.fd < 0:
            raise InvalidArgument(f"{self.path} is closed; open the device again")

    def _wait_readable(self, deadline: float, doing: str) -> int:
        """Until there is something to read, or an error to read (a device
        that went away polls as ERR or HUP and its read says so); the events."""
        while True:
            left = deadline - time.monotonic()
            events = self._poll.poll(max(math.ceil(left * 1000), 0))
            if events:
                return functools.reduce(operator.or_, (ev for _, ev in events))
            if left <= 0:
                raise Timeout(f"{self.path}: {doing}: nothing from CPU1 within the timeout; is the payload "
                              "serving RPMsg? (`shmem-helper status`)")

    def _read(self, size: int, doing: str) -> bytes | None:
        """One read(2): the bytes, or None if there was nothing yet."""
        try:
            return os.read(self.fd, size)
        except BlockingIOError:
            return None
        except OSError as e:
            raise self._error(e, doing) from None

    def _write(self, data: bytes | memoryview, deadline: float, doing: str) -> int:
        """One write(2) that the kernel took, retried while it has no room."""
        while True:
            try:
                return os.write(self.fd, data)
            except OSError as e:
                # EAGAIN: no transmit buffer free (rpmsg_char); ENOMEM: the
                # same from rpmsg_tty's rpmsg_trysend().
                if e.errno not in (errno.EAGAIN, errno.ENOMEM):
                    raise self._error(e, doing) from None
            if time.monotonic() >= deadline:
                raise Timeout(f"{self.path}: {doing}: CPU1 took no message within the timeout (all RPMsg buffers "
                              "in use); is the payload serving RPMsg? (`shmem-helper status`)")
            time.sleep(RETRY_INTERVAL)

    def fileno(self) -> int:
        """The open node's file descriptor (for select/poll). Example: ``select.select([endpoint], [], [])``"""
        self._check_open()
        return self.fd

    def close(self) -> None:
        """Close the node (twice is harmless). Example: ``endpoint.close()``"""
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)


class RpmsgEndpoint(_Node):
    """An rpmsg_char endpoint node (/dev/rpmsgN): `send` one message of at
    most RPMSG_MTU bytes, `recv` one message, both with timeouts. Usually
    from `Rpmsg().open(channel)`; any path works (`opener` opens it, as
    for open(); `cpu1`, if given, is named when the device goes away).

    Example::

        with shmem_helper.Rpmsg().open("rpmsg-raw") as endpoint:
            endpoint.send(b"ping")
            print(endpoint.recv(timeout=1))
    """

    mtu = RPMSG_MTU

    def send(self, data: bytes | memoryview, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Send `data` as one message; MessageTooLarge (nothing sent) above
        RPMSG_MTU bytes, Timeout if CPU1 takes none for `timeout` seconds.

        Example: ``endpoint.send(b"x" * 496)``
        """
        self._check_open()
        if len(data) > RPMSG_MTU:
            raise MessageTooLarge(f"{len(data)} bytes do not fit one RPMsg message (at most {RPMSG_MTU}); nothing "
                                  "was sent: split it, or use the channel (`shmem_helper.ChannelLink`), whose "
                                  "messages are not limited so")
        written = self._write(data, time.monotonic() + timeout, "sending")
        if written != len(data):
            raise Error(f"{self.path}: the kernel took {written} of {len(data)} bytes of one message; the kernel log "
                        "(dmesg) says why")

    def recv(self, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """The next message from CPU1, waiting up to `timeout` seconds.

        Example: ``data = endpoint.recv(timeout=1)``
        """
        self._check_open()
        deadline = time.monotonic() + timeout
        while True:
            events = self._wait_readable(deadline, "receiving")
            data = self._read(RPMSG_MTU + 16, "receiving")
            hangup = events & (select.POLLHUP | select.POLLERR | select.POLLNVAL)
            if hangup and not data:
                raise self._gone("receiving")  # nothing but end of file: no device behind it any more
            if data is not None:
                return data  # (rpmsg_char: b"" is an empty message)

    def echo(self, data: bytes | memoryview, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """Send one message and return the next one (CPU1's echo channels
        send it back). Example: ``endpoint.echo(b"hi") == b"hi"``"""
        self.send(data, timeout)
        return self.recv(timeout)

    def __enter__(self) -> "RpmsgEndpoint":
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class RpmsgTty(_Node):
    """An rpmsg_tty node (/dev/ttyRPMSGn) in raw mode: a byte stream that
    the kernel cuts into RPMsg messages, so `write` takes any length.
    Usually from `Rpmsg().open_tty()`; any tty path works.

    Example::

        with shmem_helper.Rpmsg().open_tty() as tty:
            tty.write(b"hello\\n")
            print(tty.read_exactly(6, timeout=1))
    """

    flags = _Node.flags | os.O_NOCTTY

    def __init__(self, path: str, *, opener: Opener = os.open, cpu1: Cpu1 | None = None):
        super().__init__(path, opener=opener, cpu1=cpu1)
        try:
            self._make_raw()
        except BaseException:
            self.close()
            raise

    def _make_raw(self) -> None:
        """cfmakeraw(3): no echo, no line editing, no CR/LF translation, 8 bits."""
        try:
            attrs = termios.tcgetattr(self.fd)
        except termios.error as e:
            number = e.args[0] if e.args and isinstance(e.args[0], int) else errno.ENOTTY
            if number == errno.ENOTTY:
                raise InvalidArgument(f"{self.path} is not a tty; open an rpmsg_char node with RpmsgEndpoint",
                                      errno=number) from None
            raise self._error(OSError(number, os.strerror(number)), "setting raw mode") from None
        iflag, oflag, cflag, lflag = attrs[0:4]
        attrs[0] = iflag & ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP | termios.INLCR
                             | termios.IGNCR | termios.ICRNL | termios.IXON)
        attrs[1] = oflag & ~termios.OPOST
        attrs[2] = (cflag & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
        attrs[3] = lflag & ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN)
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        try:
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        except termios.error as e:
            number = e.args[0] if e.args and isinstance(e.args[0], int) else errno.EIO
            raise self._error(OSError(number, os.strerror(number)), "setting raw mode") from None

    def write(self, data: bytes | memoryview, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Write all of `data`, waiting up to `timeout` seconds for room.

        Example: ``tty.write(b"hello\\n")``
        """
        self._check_open()
        deadline = time.monotonic() + timeout
        view = memoryview(data).cast("B")
        while view:
            view = view[self._write(view, deadline, "writing"):]

    def read(self, size: int = 4096, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """What has arrived, 1 to `size` bytes, waiting up to `timeout` seconds.

        Example: ``tty.read(timeout=1)``
        """
        self._check_open()
        deadline = time.monotonic() + timeout
        while True:
            events = self._wait_readable(deadline, "reading")
            data = self._read(size, "reading")
            if data is None and not events & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                continue  # another reader took it
            if not data:
                raise self._gone("reading")  # a hung-up tty reads as end of file
            return data

    def read_exactly(self, size: int, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """Exactly `size` bytes, within `timeout` seconds in all.

        Example: ``tty.read_exactly(6, timeout=1)``
        """
        deadline = time.monotonic() + timeout
        out = bytearray()
        while len(out) < size:
            out += self.read(size - len(out), max(deadline - time.monotonic(), 0.0))
        return bytes(out)

    def echo(self, data: bytes | memoryview, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """Write `data` and read as many bytes back (CPU1's rpmsg-tty echoes).
        Example: ``tty.echo(b"hello\\n") == b"hello\\n"``"""
        self.write(data, timeout)
        return self.read_exactly(len(data), timeout)

    def __enter__(self) -> "RpmsgTty":
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


__all__ = ["RPMSG_MTU", "Rpmsg", "RpmsgDevice", "RpmsgEndpoint", "RpmsgTty"]
