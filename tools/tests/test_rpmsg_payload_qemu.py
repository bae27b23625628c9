# SPDX-License-Identifier: MIT
"""The real CPU1 payload's RPMsg device on QEMU's two-core Zynq, without Linux.

The ELF carries the resource table Linux's remoteproc looks for; CPU1's own
translation table maps that table's page and the vrings non-cacheable (read
back from memory and decoded: QEMU models no caches, but the descriptors are
what silicon would use). A vring image prepared by the model of Linux's side
(rpmsg_support.Linux: RX buffers added, messages queued) is loaded at
0x1F400000; CPU0's stub plays Linux's last step, writing DRIVER_OK into the
loaded table and sending SGI 15; CPU1 announces both endpoints, echoes every
message, and rings SPI 29."""

import struct
import subprocess
from pathlib import Path

import pytest
import test_channel_qemu
from channel_support import QemuMachine, make
from rpmsg_support import ANNOUNCEMENTS, LINUX_ADDR, RAW_ADDR, STATUS, TTY_ADDR, WINDOW_DA, WINDOW_SIZE, Linux
from test_channel_qemu import DOORBELLS, Machine
from zynqsim import board

FW_BASE = 0x1E000000
images = test_channel_qemu.images  # the fixture: payload, CPU0 stubs, BootROM park loop


def symbol(elf: Path, name: str) -> int:
    out = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        address, _, sym = line.split()
        if sym == name:
            return int(address, 16)
    raise AssertionError(f"{name} not in {elf}")


def section(elf: Path, name: str) -> tuple[int, int]:
    """(address, size) of a section, from readelf."""
    out = subprocess.run(["arm-none-eabi-readelf", "-SW", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == name:
            return int(fields[3], 16), int(fields[5], 16)
    raise AssertionError(f"no section {name} in {elf}")


# CPU0 in Linux's place: the GIC distributor on and SPI 29 routed to CPU0
# (as in test_channel_qemu), then DRIVER_OK into the loaded table, DSB, and
# SGI 15 to CPU1 (GICD_SGIR: target list CPU1, ID 15); then count doorbells.
def cpu0_driver_ok(status_address: int) -> str:
    return f"""
	.global _start
_start:	ldr	r0, =0xF8F01000
	mov	r1, #1
	str	r1, [r0]
	strb	r1, [r0, #0x83D]
	ldr	r2, ={DOORBELLS:#x}
	mov	r3, #0
	str	r3, [r2]
	ldr	r5, ={status_address:#x}
	mov	r3, #7
	strb	r3, [r5]
	dsb
	ldr	r3, =0x0002000F
	str	r3, [r0, #0xF00]
	mov	r4, #(1 << 29)
1:	ldr	r1, [r0, #0x204]
	tst	r1, r4
	beq	1b
	str	r4, [r0, #0x284]
	ldr	r3, [r2]
	add	r3, r3, #1
	str	r3, [r2]
	b	1b
	.ltorg
"""


class Image:
    """What the model needs of a harness, over plain memory: the window image to load."""

    def __init__(self) -> None:
        self.window = memoryview(bytearray(WINDOW_SIZE))
        self.table = memoryview(bytearray(4096))
        self.proc = None

    def notify(self) -> None:
        pass


@pytest.fixture(scope="module")
def rpmsg_images(images: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    elf = images / "sharedmem-cpu1.elf"
    table, size = section(elf, ".resource_table")
    assert table == symbol(elf, "resource_table") and size == 4096 and table % 4096 == 0
    out = tmp_path_factory.mktemp("rpmsg-images")
    src = out / "cpu0-driver-ok.S"
    src.write_text(cpu0_driver_ok(table + STATUS))
    subprocess.run(["arm-none-eabi-gcc", "-nostdlib", "-marm", "-mcpu=cortex-a9", "-Wl,-n", "-Wl,--build-id=none",
                    "-Wl,-Ttext=0x1000", "-o", str(images / "cpu0-driver-ok.elf"), str(src)], check=True)
    return images


def test_the_elf_carries_the_resource_table_remoteproc_expects(tmp_path: Path) -> None:
    elf = make("all", tmp_path) / "sharedmem-cpu1.elf"
    address, size = section(elf, ".resource_table")
    data = elf.read_bytes()
    # Its file offset: the loadable segment holding it (remoteproc copies the table there).
    e_phoff, = struct.unpack_from("<I", data, 28)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 42)
    for i in range(e_phnum):
        p_type, p_offset, p_vaddr, _, p_filesz, _, _, _ = struct.unpack_from("<8I", data, e_phoff + i * e_phentsize)
        if p_type == 1 and p_vaddr <= address and address + size <= p_vaddr + p_filesz:
            table = data[p_offset + address - p_vaddr:p_offset + address - p_vaddr + 88]
            break
    else:
        raise AssertionError(".resource_table is not loaded by a PT_LOAD segment")
    ver, num, r0, r1, offset = struct.unpack_from("<5I", table)
    assert (ver, num, r0, r1, offset) == (1, 1, 0, 0, 20)
    rtype, vid, notifyid, dfeatures, gfeatures, config_len = struct.unpack_from("<6I", table, 20)
    assert (rtype, vid, notifyid, dfeatures, gfeatures, config_len) == (3, 7, 0, 1, 0, 0)
    assert tuple(table[44:48]) == (0, 2, 0, 0)
    vrings = [struct.unpack_from("<5I", table, 48 + 20 * i) for i in range(2)]
    assert vrings == [(0x1F400000, 4096, 256, 0, 0), (0x1F410000, 4096, 256, 0, 0)]


def descriptor(m: Machine, l1: int, address: int) -> tuple[str, int]:
    """CPU1's translation of `address`: ("section", entry) or ("page", second-level entry)."""
    first = m.u32(l1 + 4 * (address >> 20))
    if first & 3 == 2:
        return "section", first
    assert first & 3 == 1, f"{address:#x}: first-level entry {first:#x}"
    return "page", m.u32((first & ~0x3FF) + 4 * ((address >> 12) & 0xFF))


class RpmsgMachine(Machine):
    """test_channel_qemu's machine with CPU0 in Linux's place and a vring image at 0x1F400000."""

    def __init__(self, images: Path, run: Path, window: bytes):
        self.uart_log = run / "uart0.log"
        (run / "window.bin").write_bytes(window)
        argv = [board.qemu_binary(), "-M", "xilinx-zynq-a9", "-smp", "2", "-m", "512M",
                "-nodefaults", "-display", "none",
                "-chardev", f"socket,id=uart0,path={run / 'uart0.sock'},server=on,wait=off,"
                f"logfile={self.uart_log},logappend=off",
                "-serial", "chardev:uart0", "-serial", "null",
                "-device", f"loader,file={images / 'bootrom-park.elf'}",
                "-device", f"loader,file={images / 'cpu0-driver-ok.elf'},cpu-num=0",
                "-device", f"loader,file={images / 'sharedmem-cpu1.elf'},cpu-num=1",
                "-device", f"loader,file={run / 'window.bin'},addr={WINDOW_DA:#x},force-raw=on"]
        QemuMachine.__init__(self, argv, run)


def test_the_real_payload_announces_and_echoes_on_qemu(rpmsg_images: Path, tmp_path: Path) -> None:
    image = Image()
    linux = Linux(image)  # type: ignore[arg-type]
    linux.probe(kick=False)
    messages = [(TTY_ADDR, b"hello from Linux"), (RAW_ADDR, bytes(range(256)) + bytes(240)), (RAW_ADDR, b"x"),
                (0x402, b"nobody")]
    for dst, data in messages:
        assert linux.send(dst, data, kick=False)
    m = RpmsgMachine(rpmsg_images, tmp_path, bytes(image.window))
    try:
        m.wait_for_uart("rpmsg: DRIVER_OK, announcing rpmsg-tty (0x400) and rpmsg-raw (0x401)")
        m.wait_for("the announcements and 3 echoes", lambda: m.u32(WINDOW_DA + 0x2000) >> 16 == 5)
        m.wait_for("the TX buffers back", lambda: m.u32(WINDOW_DA + 0x12000) >> 16 == 4)
        m.wait_for("a doorbell", lambda: m.u32(DOORBELLS) >= 1)
        image.window[:] = m.read(WINDOW_DA, WINDOW_SIZE)
        got = linux.receive(kick=False)
        assert got[:2] == ANNOUNCEMENTS
        assert got[2:] == [(dst, LINUX_ADDR, data) for dst, data in messages[:3]]
        # CPU1's translation table: the table's page and the vrings non-cacheable, shareable, execute-never.
        elf = rpmsg_images / "sharedmem-cpu1.elf"
        l1, table = symbol(elf, "l1"), symbol(elf, "resource_table")
        kind, entry = descriptor(m, l1, table)
        # Small page: TEX 001, C 0, B 0, AP 01 (PL1 RW), S, XN.
        assert kind == "page" and entry & 0x5FF == (1 << 10) | (1 << 6) | (1 << 4) | 2 | 1, \
            f"the resource table's page: {entry:#x}"
        kind, entry = descriptor(m, l1, FW_BASE)
        # The code next to it: TEX 100, C 0, B 1 (inner write-back), executable, as the section was.
        assert kind == "page" and entry & 0x5FF == (4 << 6) | (1 << 4) | 4 | 2, f"code page: {entry:#x}"
        for address in (WINDOW_DA, WINDOW_DA + 0x100000):
            kind, entry = descriptor(m, l1, address)
            # Section: TEX 001, C 0, B 0, AP 01, S, XN.
            assert kind == "section" and entry & 0x1FC1F == (1 << 16) | (1 << 12) | (1 << 10) | (1 << 4) | 2, \
                f"RPMsg window at {address:#x}: {entry:#x}"
    finally:
        m.close()
