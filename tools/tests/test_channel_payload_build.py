# SPDX-License-Identifier: MIT
"""The CPU1 payload builds warning-free (-Wall -Wextra -Werror, linker
warnings fatal) with the bare-metal compiler and with a Linux-targeting one
given as CC (as Yocto's target toolchain is), installs under DESTDIR, and
every loadable ELF segment lies inside the cpu1-firmware region."""

import struct
import subprocess
from pathlib import Path

import pytest
from channel_support import FIRMWARE, make

FW_BASE = 0x1E000000
FW_END = 0x1E400000  # exclusive: the channel region starts here
PT_LOAD = 1


def load_segments(elf: Path) -> tuple[int, list[tuple[int, int, int, int]]]:
    """(entry, [(vaddr, paddr, filesz, memsz)] of PT_LOAD) of a 32-bit little-endian ARM ELF."""
    data = elf.read_bytes()
    assert data[:4] == b"\x7fELF", "not an ELF file"
    assert data[4] == 1 and data[5] == 1, "not ELF32 little-endian"
    e_type, e_machine, _, e_entry, e_phoff, _, _, _, e_phentsize, e_phnum = struct.unpack_from("<HHIIIIIHHH", data, 16)
    assert e_type == 2 and e_machine == 40, "not an ARM executable"
    segments = []
    for i in range(e_phnum):
        p_type, _, vaddr, paddr, filesz, memsz, _, _ = struct.unpack_from("<8I", data, e_phoff + i * e_phentsize)
        if p_type == PT_LOAD:
            segments.append((vaddr, paddr, filesz, memsz))
    return e_entry, segments


def check_inside_region(elf: Path) -> None:
    entry, segments = load_segments(elf)
    assert entry == FW_BASE, f"entry {entry:#x} is not the start of the firmware region"
    assert segments
    for vaddr, paddr, filesz, memsz in segments:
        assert filesz <= memsz
        for addr in (vaddr, paddr):
            assert FW_BASE <= addr and addr + memsz <= FW_END, \
                f"segment {addr:#x}+{memsz:#x} leaves the firmware region {FW_BASE:#x}-{FW_END - 1:#x}"


@pytest.mark.parametrize("toolchain", [
    [],  # CROSS_COMPILE=arm-none-eabi- (the Makefile's default)
    ["CC=arm-linux-gnueabihf-gcc -mfloat-abi=hard -mfpu=neon", "OBJCOPY=arm-linux-gnueabihf-objcopy"],
], ids=["arm-none-eabi", "linux-target-cc"])
def test_payload_builds_warning_free_inside_its_region(tmp_path: Path, toolchain: list[str]) -> None:
    out = make("all", tmp_path / "build", *toolchain)
    elf = out / "sharedmem-cpu1.elf"
    check_inside_region(elf)
    assert b"sharedmem-cpu1 0.1.0" in elf.read_bytes()
    # Cross-check the parser with binutils.
    readelf = subprocess.run(["arm-none-eabi-readelf", "-lW", str(elf)], capture_output=True, text=True,
                             check=True).stdout
    assert readelf.count("  LOAD ") == len(load_segments(elf)[1])
    symbols = subprocess.run(["arm-none-eabi-nm", "-u", str(elf)], capture_output=True, text=True,
                             check=True).stdout
    assert symbols.strip() == "", f"undefined symbols: {symbols}"


def test_install_honours_destdir(tmp_path: Path) -> None:
    make("install", tmp_path / "build", f"DESTDIR={tmp_path / 'root'}")
    installed = tmp_path / "root/lib/firmware/sharedmem-cpu1.elf"
    assert installed.read_bytes() == (tmp_path / "build/sharedmem-cpu1.elf").read_bytes()


def test_region_check_refuses_a_segment_outside(tmp_path: Path) -> None:
    """The check above would catch a payload linked elsewhere (here: at the channel)."""
    src = tmp_path / "t.S"
    src.write_text(".global _start\n_start: b .\n")
    elf = tmp_path / "t.elf"
    subprocess.run(["arm-none-eabi-gcc", "-nostdlib", f"-Wl,-Ttext={FW_END:#x}", "-o", str(elf), str(src)],
                   check=True)
    with pytest.raises(AssertionError, match="leaves the firmware region|not the start of the firmware region"):
        check_inside_region(elf)


def test_version_is_written_in_one_place() -> None:
    hits = [p.relative_to(FIRMWARE) for p in FIRMWARE.rglob("*") if p.is_file() and p.suffix in (".c", ".h", ".S")
            and "SHAREDMEM_FW_VERSION_MAJOR\t" in p.read_text()]
    assert [str(h) for h in hits] == ["src/version.h"]
