# SPDX-License-Identifier: MIT
"""The exceptions of shmem_helper: one root, `Error`, and a subclass for
each kind of failure a caller may want to handle apart.

Every message says what happened and what to do about it. Every error is
an `OSError` too (the failures are about files, devices and another core),
with `errno` set: the system's error number where the system gave one,
else the number that fits the kind (`Timeout`: ETIMEDOUT,
`ProtocolError`: EPROTO, ...).

Example::

    import shmem_helper
    try:
        with shmem_helper.ChannelLink() as link:
            link.channel.ping()
    except shmem_helper.Cpu1NotRunning:
        ...                             # start it: shmem_helper.Cpu1().start()
    except shmem_helper.Error as e:
        print(f"shmem-helper: {e}")    # what happened; what to do
"""

import errno as _errno
import io
import mmap
import os

GROUP_HINT = "join group `sharedmem` (`adduser $USER sharedmem`, then log in again) or run as root"
MODULE_HINT = ("load the kernel module (`modprobe sharedmem`) and check that the device tree has the "
               "`meta-sharedmem,zynq-amp` node")


class Error(OSError):
    """Root of every error shmem_helper raises; `str()` says what happened
    and what to do, `errno` is an error number (see the module's doc).

    Example::

        try:
            shmem_helper.Region("/dev/sharedmem/buffer").alloc(1 << 30)
        except shmem_helper.Error as e:
            print(e, e.errno)
    """

    default_errno = _errno.EIO

    def __init__(self, message: str, *, errno: int | None = None):
        number = self.default_errno if errno is None else errno
        super().__init__(number, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PermissionDenied(Error, PermissionError):
    """The user may not open a node or drive CPU1: join group `sharedmem`
    (the message says how) or run as root.

    Example::

        except shmem_helper.PermissionDenied as e:
            sys.exit(f"{e}")             # "... join group `sharedmem` ..."
    """

    default_errno = _errno.EACCES


class NotFound(Error, FileNotFoundError):
    """A node, CPU1's remote processor or a firmware file does not exist:
    the message names it and where it should come from.

    Example::

        except shmem_helper.NotFound:
            subprocess.run(["modprobe", "sharedmem"], check=True)
    """

    default_errno = _errno.ENOENT


class Busy(Error):
    """The resource is in use: a buffer still mapped, CPU1 already running.

    Example::

        except shmem_helper.Busy:
            cpu1.stop()                  # then start it with other firmware
    """

    default_errno = _errno.EBUSY


class InvalidArgument(Error, ValueError):
    """An argument out of range (offset, size, buffer id, bulk slice);
    nothing was changed. It is a ValueError too.

    Example::

        except shmem_helper.InvalidArgument as e:
            print(f"bad input: {e}")
    """

    default_errno = _errno.EINVAL


class Unsupported(Error, io.UnsupportedOperation):
    """The file cannot do that: a plain file (not a sharedmem node) has no
    DMA buffers to ALLOC, FREE or RESIZE; open /dev/sharedmem/buffer. It is
    an io.UnsupportedOperation too.

    Example::

        except shmem_helper.Unsupported:
            region = shmem_helper.Region("/dev/sharedmem/buffer")
    """

    default_errno = _errno.ENOTTY


class MessageTooLarge(InvalidArgument):
    """A payload larger than the ring can carry; nothing was sent.

    Example::

        if len(data) > link.channel.capacity: ...   # or catch MessageTooLarge
    """

    default_errno = _errno.EMSGSIZE


class Cpu1NotRunning(Error):
    """CPU1 does not serve the channel (offline, halted, crashed, booting):
    start it (`shmem-helper start`, `Cpu1().start()`). `state` is the
    channel's `Cpu1State` when the channel was readable, else None.

    Example::

        try:
            link.channel.ping()
        except shmem_helper.Cpu1NotRunning:
            shmem_helper.Cpu1().start()
    """

    default_errno = _errno.ENOTCONN

    def __init__(self, message: str, *, state: int | None = None, errno: int | None = None):
        super().__init__(message, errno=errno)
        self.state = state


class Cpu1Crashed(Cpu1NotRunning):
    """remoteproc says CPU1 crashed and was not recovered (its recovery is
    disabled, or it failed): it can be neither started nor stopped until it
    is recovered. The message says how (as root: `echo recover` into the
    remote processor's `recovery` file, or reload the module).

    Example::

        try:
            shmem_helper.Cpu1().start()
        except shmem_helper.Cpu1Crashed as e:
            sys.exit(f"{e}")             # "... echo recover > ..."
    """

    default_errno = _errno.EHOSTDOWN


class ChannelRestarted(Cpu1NotRunning):
    """CPU1 was started again (by a user, or by remoteproc's recovery after a
    crash) since this channel was opened: its rings start afresh, so open
    the channel again.

    Example::

        except shmem_helper.ChannelRestarted:
            link.close(); link = shmem_helper.ChannelLink()
    """

    default_errno = _errno.ECONNRESET

    def __init__(self, message: str, *, state: int | None = None, opened: int = 0, now: int = 0):
        super().__init__(message, state=state)
        self.opened = opened  # the driver's start count when the channel was opened
        self.now = now  # and now


class RpmsgDeviceGone(Cpu1NotRunning):
    """An RPMsg device went away under an open endpoint, or before it was
    opened: CPU1 was stopped, crashed or restarted. RPMsg devices come back
    when CPU1 runs again, maybe with other numbers: find the device again.

    Example::

        try:
            endpoint.recv(timeout=1)
        except shmem_helper.RpmsgDeviceGone:
            endpoint = shmem_helper.Rpmsg().open("rpmsg-raw")
    """

    default_errno = _errno.EPIPE


class Timeout(Error, TimeoutError):
    """CPU1 did not answer in time; the message names the operation and
    CPU1's state and heartbeat. It is a TimeoutError too.

    Example::

        except shmem_helper.Timeout:
            link.channel.reset()
    """

    default_errno = _errno.ETIMEDOUT


class ProtocolError(Error):
    """The other side broke the protocol: a value CPU1 wrote is invalid (a
    ring index, a record, a response), or it speaks another version. Reset
    the channel (`Channel.reset()`); nothing invalid was used.

    Example::

        except shmem_helper.ProtocolError:
            link.channel.reset()
    """

    default_errno = _errno.EPROTO


def from_os_error(e: OSError, doing: str, hint: str | None = None) -> Error:
    """The Error for an OSError met while `doing` something: its kind by
    errno, the message `doing failed: hint` (hint defaults to the system's
    text and what to do about that error)."""
    number = e.errno or _errno.EIO
    if hint is None:
        hint = GROUP_HINT if number in (_errno.EACCES, _errno.EPERM) else \
            f"{os.strerror(number)}; {_WHAT_TO_DO.get(number, _UNKNOWN)}"
    cls: type[Error] = _BY_ERRNO.get(number, Error)
    return cls(f"{doing} failed: {hint}", errno=number)


# What to do about an error number, where the caller knows nothing better.
_WHAT_TO_DO: dict[int, str] = {
    _errno.EINVAL: ("the kernel refused an offset, a size or an alignment (mmap offsets are multiples of the page "
                    f"size, {mmap.PAGESIZE} bytes); check the arguments"),
    _errno.ENOMEM: "free buffers or mappings, or ask for less",
    _errno.EBUSY: "it is in use (mapped, or open in another process); close that and try again",
    _errno.ENOSPC: "no room left there: free some, or ask for less",
    _errno.EFAULT: "the kernel could not reach a buffer it was given: a bug; report it with the traceback "
                   "(`shmem-helper --debug`)",
    _errno.ENOENT: "check the name",
    _errno.ENODEV: "the device went away (the module unloaded or the device removed): reopen it",
    _errno.ENXIO: "stay inside what the device offers (a smaller offset or size)",
    _errno.EOVERFLOW: "a size or an offset too large: ask for less",
    _errno.EAGAIN: "the resource is busy for now: try again in a moment",
    _errno.EINTR: "a signal interrupted the call: try again",
    _errno.ETIMEDOUT: "try again; if it keeps failing, restart CPU1 (`shmem-helper stop; shmem-helper start`)",
    _errno.EBADF: "the file is closed, or not open for this: open it again (writable, to change it)",
    _errno.ENOTTY: "this file is not the node that does this: check the path",
    _errno.EIO: "the kernel log (dmesg) may say more",
}
_UNKNOWN = "nothing here knows what to do about it: report it with the traceback (`shmem-helper --debug`)"


_BY_ERRNO: dict[int, type[Error]] = {
    _errno.EACCES: PermissionDenied,
    _errno.EPERM: PermissionDenied,
    _errno.ENOENT: NotFound,
    _errno.ENODEV: NotFound,
    _errno.EBUSY: Busy,
    _errno.EINVAL: InvalidArgument,
    _errno.ENOTTY: Unsupported,
    _errno.ETIMEDOUT: Timeout,
}

__all__ = ["Busy", "ChannelRestarted", "Cpu1Crashed", "Cpu1NotRunning", "Error", "InvalidArgument", "MessageTooLarge",
           "NotFound", "PermissionDenied", "ProtocolError", "RpmsgDeviceGone", "Timeout", "Unsupported"]
