# SPDX-License-Identifier: MIT
"""The payload's resource table is checked before remoteproc acts on it
(issue 13; sharedmem-rpmsg.c): one RPMsg virtio device, its rings where the
device tree put them and no larger than their regions. A table that breaks
a rule is refused with a line that says which, nothing is loaded or started,
and CPU1 starts the real payload afterwards."""

import struct
from collections.abc import Iterator

import pytest
from zynqsim import memory_map

from .cpu1_elf import RSC_CARVEOUT, VIRTIO_ID_NET, elf, resource_table, vdev_entry
from .test_cpu1 import FIRMWARE_DIR, SYSFS, helper

BAD = "cpu1-bad-table.elf"
B_SELF = b"\xfe\xff\xff\xea"  # ARM `b .`: never runs, the table is refused first
RINGS = memory_map.VDEV0_VRING


def rproc(linux) -> str:
    return linux.check(f"grep -l zynq-cpu1 {SYSFS}/remoteproc*/name").strip().removesuffix("/name")


@pytest.fixture
def offline(linux) -> Iterator[str]:
    """CPU1 offline, the path of its remoteproc; the default payload chosen
    again and CPU1 offline after the test."""
    path = rproc(linux)
    if linux.check(f"cat {path}/state").strip() != "offline":
        assert helper(linux, "stop").status == 0
    yield path
    if linux.check(f"cat {path}/state").strip() != "offline":
        assert helper(linux, "stop").status == 0
    linux.run(f"rm -f {FIRMWARE_DIR}/{BAD}")
    linux.check(f"echo sharedmem-cpu1.elf > {path}/firmware")


def carveout_entry() -> bytes:
    """A `struct fw_rsc_carveout` (type 0) for 64 KiB anywhere."""
    name = b"extra".ljust(32, b"\0")
    return RSC_CARVEOUT.to_bytes(4, "little") + bytes(4 * 4) + (0x10000).to_bytes(4, "little") + bytes(8) + name


TABLES = {
    "ring-elsewhere": (resource_table(vdev_entry((RINGS[0] - 0x100000, RINGS[1]))),
                       f"resource table: vring 0 at {RINGS[0] - 0x100000:#x}; the device tree's vdev0vring0 is at"),
    "ring-too-large": (resource_table(vdev_entry(RINGS, num=2048)),
                       "resource table: vring 0 of 2048 entries aligned to 4096 does not fit vdev0vring0"),
    "ring-not-power-of-two": (resource_table(vdev_entry(RINGS, num=200)),
                              "resource table: vring 0 of 200 entries aligned to 4096 does not fit"),
    "not-rpmsg": (resource_table(vdev_entry(RINGS, virtio_id=VIRTIO_ID_NET)),
                  "resource table: virtio device 1 with 2 vrings; one RPMsg device (7) with 2 is supported"),
    "two-devices": (resource_table(vdev_entry(RINGS), vdev_entry(RINGS)),
                    "resource table: more than one virtio device"),
    "carveout": (resource_table(carveout_entry()),
                 "resource table: entry 0 has type 0; only a virtio device (3) is supported"),
    "truncated-device": (resource_table(vdev_entry(RINGS))[:-8],
                         "resource table: the virtio device entry is truncated"),
    # version 1, one entry, reserved, its offset past the table's end
    "entry-outside": (struct.pack("<5I", 1, 1, 0, 0, 0x1000), "resource table: entry 0 lies outside the table"),
}


@pytest.mark.parametrize("case", TABLES)
def test_a_bad_resource_table_is_refused_before_anything_is_loaded(offline, linux, case):
    table, expected = TABLES[case]
    image = elf(B_SELF, memory_map.CPU1_FIRMWARE, 0x100, {".resource_table": table})
    linux.put_file(f"{FIRMWARE_DIR}/{BAD}", image)
    linux.check(f"echo {BAD} > {offline}/firmware")
    mark = f"pytest-rsc-{case}"
    linux.check(f"echo {mark} > /dev/kmsg")
    status = linux.run(f"echo start > {offline}/state")
    assert status.status != 0, status.output
    log = linux.check(f"dmesg | sed -n '/{mark}/,$p'")
    assert expected in log, log
    assert linux.check(f"cat {offline}/state").strip() == "offline"
    # Nothing of it ran, nothing is left: the real payload starts and answers.
    linux.check(f"echo sharedmem-cpu1.elf > {offline}/firmware")
    result = helper(linux, "start")
    assert result.status == 0, result.output
    result = helper(linux, "ping")
    assert result.status == 0 and "pong" in result.output, result.output
