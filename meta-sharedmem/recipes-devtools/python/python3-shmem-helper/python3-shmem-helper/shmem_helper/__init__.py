# SPDX-License-Identifier: MIT
"""shmem-helper: user-space access to the sharedmem kernel module's nodes.

    from shmem_helper import Region
    with Region("/dev/sharedmem/sharedmem-channel") as region:
        print(hex(region.info().dma_address))
        with region.map() as mapping:
            mapping.view[:4] = b"ping"
"""

from .region import BufferInfo, Mapping, Region, SharedmemError
from .uapi import ABI_VERSION

__all__ = ["ABI_VERSION", "BufferInfo", "Mapping", "Region", "SharedmemError"]
__version__ = "0.1.0"
