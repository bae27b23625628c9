# SPDX-License-Identifier: MIT
"""shmem-helper: user-space access to the sharedmem kernel module's nodes,
CPU1, the message channel and CPU1's RPMsg devices. Everything a program
needs is here:

    import shmem_helper

    with shmem_helper.Region("/dev/sharedmem/buffer") as region:
        print(hex(region.info().dma_address))
        with region.map() as mapping:
            mapping.view[:4] = b"ping"

    cpu1 = shmem_helper.Cpu1()
    cpu1.start()
    try:
        with shmem_helper.ChannelLink() as link:
            print(link.channel.ping().fw_version)
        with shmem_helper.Rpmsg().open("rpmsg-raw") as endpoint:
            print(endpoint.echo(b"hi"))
    except shmem_helper.Error as e:    # every failure; subclasses say which
        print(f"shmem-helper: {e}")
    finally:
        cpu1.stop()
"""

__version__ = "0.1.0"  # the one place: pyproject.toml reads it; the recipe's file name repeats it (a test compares)

from .channel import (
    Channel,
    ChannelBroken,
    ChannelCorrupt,
    ChannelStatus,
    Cpu1State,
    Layout,
    Message,
    Ping,
    ServiceError,
    Stats,
)
from .cpu1 import Cpu1, RemoteprocState
from .errors import (
    Busy,
    ChannelRestarted,
    Cpu1Crashed,
    Cpu1NotRunning,
    Error,
    InvalidArgument,
    MessageTooLarge,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RpmsgDeviceGone,
    Timeout,
    Unsupported,
)
from .link import CHANNEL_NODE, ChannelLink
from .region import BufferInfo, Mapping, Region, SharedmemError
from .rpmsg import RPMSG_MTU, Rpmsg, RpmsgDevice, RpmsgEndpoint, RpmsgTty
from .uapi import ABI_VERSION

__all__ = [
    "ABI_VERSION",
    "CHANNEL_NODE",
    "BufferInfo",
    "Busy",
    "Channel",
    "ChannelBroken",
    "ChannelCorrupt",
    "ChannelLink",
    "ChannelRestarted",
    "ChannelStatus",
    "Cpu1",
    "Cpu1Crashed",
    "Cpu1NotRunning",
    "Cpu1State",
    "Error",
    "InvalidArgument",
    "Layout",
    "Mapping",
    "Message",
    "MessageTooLarge",
    "NotFound",
    "PermissionDenied",
    "Ping",
    "ProtocolError",
    "RPMSG_MTU",
    "Region",
    "RemoteprocState",
    "Rpmsg",
    "RpmsgDevice",
    "RpmsgDeviceGone",
    "RpmsgEndpoint",
    "RpmsgTty",
    "ServiceError",
    "SharedmemError",
    "Stats",
    "Timeout",
    "Unsupported",
    "__version__",
]
