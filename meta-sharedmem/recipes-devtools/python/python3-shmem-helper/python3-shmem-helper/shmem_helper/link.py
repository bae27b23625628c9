# SPDX-License-Identifier: MIT
"""The channel on the board: the sharedmem-channel node, mapped, with the
driver's doorbells.

    with ChannelLink() as link:
        print(link.channel.ping())

`wait` sleeps in poll() on the node until CPU1 rings Linux (the driver
counts CPU1's doorbells; SHAREDMEM_IOC_EVENTS acknowledges them, so a
doorbell that arrives between a check and the poll() is never lost).
`notify` rings CPU1 through SHAREDMEM_IOC_DOORBELL, which issues the write
barrier first; `barrier` is the same call without the ring, used between
writing a message and publishing it (a DMB cannot be issued from Python).
With `busy_poll=True`, `wait` spins instead of sleeping: the benchmark's
baseline.
"""

import errno
import fcntl
import select
from types import TracebackType

from . import uapi
from .channel import Channel
from .errors import Error, from_os_error
from .region import Mapping, Region

CHANNEL_NODE = "/dev/sharedmem/sharedmem-channel"


class ChannelLink:
    """The channel node mapped, with the driver's doorbells: `channel` is
    the Channel to talk to CPU1 through. Close it (or use `with`).

    Example::

        with ChannelLink() as link:
            print(link.channel.ping().fw_version)
    """

    def __init__(self, path: str = CHANNEL_NODE, *, busy_poll: bool = False):
        self.region = Region(path)
        self.mapping: Mapping | None = None
        try:
            if not self.region.is_node:
                raise Error(f"{path} is not a sharedmem node: the channel needs the driver's doorbells; open "
                            f"{CHANNEL_NODE}", errno=errno.ENOTTY)
            self.mapping = self.region.map()
            self._poll = select.poll()
            self._poll.register(self.region.fd, select.POLLIN)
            self.busy_poll = busy_poll
            self.channel = Channel(self.mapping.view, wait=self._wait, notify=self._ring, barrier=self._barrier)
        except BaseException:
            self.close()
            raise

    def _doorbell(self, flags: int) -> None:
        try:
            fcntl.ioctl(self.region.fd, uapi.IOC_DOORBELL, bytearray(uapi.U32.pack(flags)))
        except OSError as e:
            raise from_os_error(e, f"{self.region.path}: ringing CPU1") from None

    def _ring(self) -> None:
        self._doorbell(uapi.DOORBELL_RING)

    def _barrier(self) -> None:
        self._doorbell(0)

    def events(self) -> int:
        """Doorbells CPU1 rang so far; acknowledges them for this file.

        Example: ``before = link.events(); link.channel.ping(); link.events() > before``
        """
        arg = bytearray(uapi.U64.size)
        try:
            fcntl.ioctl(self.region.fd, uapi.IOC_EVENTS, arg)
        except OSError as e:
            raise from_os_error(e, f"{self.region.path}: reading the doorbell count") from None
        return int(uapi.U64.unpack(arg)[0])

    def _wait(self, timeout: float) -> None:
        if self.busy_poll:
            return
        if self._poll.poll(max(int(timeout * 1000), 1)):
            self.events()

    def close(self) -> None:
        """Release the channel, the mapping and the node. Example: ``link.close()``"""
        channel = getattr(self, "channel", None)
        if channel is not None:
            channel.close()
        if self.mapping is not None:
            self.mapping.close()
            self.mapping = None
        self.region.close()

    def __enter__(self) -> "ChannelLink":
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
