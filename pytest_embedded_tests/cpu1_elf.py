# SPDX-License-Identifier: MIT
"""Small ARM ELF32 executables for CPU1, made by the tests: one PT_LOAD
segment, and optionally sections (a `.resource_table`, as remoteproc looks
for it by name)."""

import struct
from collections.abc import Mapping

EHDR_SIZE, PHDR_SIZE, SHDR_SIZE = 52, 32, 40
SHT_PROGBITS, SHT_STRTAB = 1, 3
SHF_WRITE, SHF_ALLOC = 1, 2


def elf(code: bytes, address: int, memsz: int, sections: Mapping[str, bytes] | None = None) -> bytes:
    """An executable entered at `address`, its one segment holding `code`
    (zero-filled up to `memsz`) followed by each section's bytes, 8-aligned,
    with section headers naming them."""
    sections = dict(sections or {})
    body = bytearray(code)
    placed: list[tuple[str, int, int]] = []  # name, offset in body, size
    for name, data in sections.items():
        body += bytes(-len(body) % 8)
        placed.append((name, len(body), len(data)))
        body += data
    memsz = max(memsz, len(body))
    names = b"\0" + b"".join(name.encode() + b"\0" for name in [*sections, ".shstrtab"])
    nsections = len(sections) + 2 if sections else 0
    data_offset = EHDR_SIZE + PHDR_SIZE
    strtab_offset = data_offset + len(body)
    shoff = (strtab_offset + len(names) + 3) & ~3 if sections else 0
    ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 40, 1, address,
                       EHDR_SIZE, shoff, 0x05000400, EHDR_SIZE, PHDR_SIZE, 1, SHDR_SIZE, nsections,
                       nsections - 1 if sections else 0)
    phdr = struct.pack("<8I", 1, data_offset, address, address, len(body), memsz, 7, 4)
    image = bytearray(ehdr + phdr + body)
    if not sections:
        return bytes(image)
    image += names
    image += bytes(shoff - len(image))
    image += bytes(SHDR_SIZE)  # the null section
    name_offset = 1
    for name, offset, size in placed:
        image += struct.pack("<10I", name_offset, SHT_PROGBITS, SHF_WRITE | SHF_ALLOC, address + offset,
                             data_offset + offset, size, 0, 0, 8, 0)
        name_offset += len(name) + 1
    image += struct.pack("<10I", name_offset, SHT_STRTAB, 0, 0, strtab_offset, len(names), 0, 0, 1, 0)
    return bytes(image)


# Linux's resource table (include/linux/remoteproc.h), for the tests' tables.
RSC_CARVEOUT, RSC_VDEV = 0, 3
VIRTIO_ID_NET, VIRTIO_ID_RPMSG = 1, 7


def vdev_entry(ring_addresses: tuple[int, int], num: int = 256, align: int = 4096,
               virtio_id: int = VIRTIO_ID_RPMSG, features: int = 1) -> bytes:
    """A `struct fw_rsc_hdr` + `struct fw_rsc_vdev` with two vrings."""
    # type; id, notifyid, dfeatures, gfeatures, config_len; status, num_of_vrings, reserved[2]
    vdev = struct.pack("<IIIIIIBBBB", RSC_VDEV, virtio_id, 0, features, 0, 0, 0, 2, 0, 0)
    rings = b"".join(struct.pack("<5I", da, align, num, 0, 0) for da in ring_addresses)
    return vdev + rings


def resource_table(*entries: bytes) -> bytes:
    """`struct resource_table` (version 1) with its offsets, then the entries."""
    header = 16 + 4 * len(entries)
    offsets, body = [], b""
    for entry in entries:
        offsets.append(header + len(body))
        body += entry
    return struct.pack(f"<IIII{len(entries)}I", 1, len(entries), 0, 0, *offsets) + body
