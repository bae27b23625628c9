# SPDX-License-Identifier: MIT
"""The real CPU1 payload binary on QEMU's two-core Zynq, without Linux.

CPU1 starts in the payload (QEMU's generic loader sets its PC to the ELF's
entry, where the BootROM park loop would have jumped); CPU0 runs a tiny
stub in place of Linux. UART0 goes to a socket chardev with a log file. The
channel region's content, prepared by shmem_helper.channel in Linux's role,
is put in place by another loader device, and read back through QMP.

  no control block  banner, "waiting for Linux", nothing written anywhere
  served requests   ECHO, PING, CRC32, FILL answered in ring 1 (CPU0 stub
                    enables the GIC distributor, as Linux does: heartbeat ticks)
  halt              HALTED, the BootROM mailbox reset, CPU1 in the park loop
  MMU               CPU1 translates through its flat table (QEMU walks it:
                    what is not mapped is "Unmapped"); a payload whose table
                    leaves the channel unmapped, or marks its own code
                    execute-never, faults (QEMU checks the translation; it
                    models no caches, so cache behaviour is a silicon test)
"""

import subprocess
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from channel_support import REPO, QemuMachine, make
from shmem_helper import channel as C
from shmem_helper import channel_layout as L
from zynqsim import board

CHANNEL_BASE = 0x1E400000
FW_BASE = 0x1E000000
PARK_LOOP = 0xFFFFFF2C
MAILBOX = 0xFFFFFFF0
IMAGE_SIZE = 0x00104000  # control block, both rings and the first 16 KiB of bulk

CPU0_PARKED = """
	.global _start
_start:	wfi
	b	_start
"""
# In Linux's place: enable the GIC distributor (GICD_CTLR = 1, as Linux's
# GIC driver does), route ID 61 to CPU0 (GICD_ITARGETSR, as request_irq()
# does), then count CPU1's doorbells: SPI 29 pending in
# GICD_ISPENDR1 is cleared through GICD_ICPENDR1 and counted at DOORBELLS.
DOORBELLS = 0x2000
CPU0_GIC_ON = f"""
	.global _start
_start:	ldr	r0, =0xF8F01000
	mov	r1, #1
	str	r1, [r0]
	strb	r1, [r0, #0x83D]
	ldr	r2, ={DOORBELLS:#x}
	mov	r3, #0
	str	r3, [r2]
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


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    board.check_qemu()
    out = tmp_path_factory.mktemp("qemu-images")
    make("all", out)
    cc = ["arm-none-eabi-gcc", "-nostdlib", "-marm", "-mcpu=cortex-a9", "-Wl,-n", "-Wl,--build-id=none"]
    for name, text in (("cpu0-parked", CPU0_PARKED), ("cpu0-gic-on", CPU0_GIC_ON)):
        (out / f"{name}.S").write_text(text)
        subprocess.run([*cc, "-Wl,-Ttext=0x1000", "-o", out / f"{name}.elf", out / f"{name}.S"], check=True)
    subprocess.run([*cc, f"-Wl,-Ttext={PARK_LOOP:#x}", "-Wl,-e,park", "-o", out / "bootrom-park.elf",
                    REPO / "tools/zynqsim/board/bootrom-park.S"], check=True)
    # Payloads with a wrong translation table (mmu.c's entries overridden):
    # the channel region left unmapped; the firmware region execute-never.
    for name, entry in (("no-channel", "-DMMU_CHANNEL_SECTION=0"),
                        ("xn-firmware", "-DMMU_FIRMWARE_SECTION=0x4416")):
        build = make("all", out / name, f"EXTRA_CFLAGS={entry}")
        (out / f"sharedmem-cpu1-{name}.elf").write_bytes((build / "sharedmem-cpu1.elf").read_bytes())
    return out


class Machine(QemuMachine):
    def __init__(self, images: Path, run: Path, cpu0: str, channel_image: bytes | None,
                 payload: str = "sharedmem-cpu1.elf"):
        self.uart_log = run / "uart0.log"
        argv = [board.qemu_binary(), "-M", "xilinx-zynq-a9", "-smp", "2", "-m", "512M",
                "-nodefaults", "-display", "none",
                "-chardev", f"socket,id=uart0,path={run / 'uart0.sock'},server=on,wait=off,"
                f"logfile={self.uart_log},logappend=off",
                "-serial", "chardev:uart0", "-serial", "null",
                "-device", f"loader,file={images / 'bootrom-park.elf'}",
                "-device", f"loader,file={images / f'{cpu0}.elf'},cpu-num=0",
                "-device", f"loader,file={images / payload},cpu-num=1"]
        if channel_image is not None:
            (run / "channel.bin").write_bytes(channel_image)
            argv += ["-device", f"loader,file={run / 'channel.bin'},addr={CHANNEL_BASE:#x},force-raw=on"]
        super().__init__(argv, run)

    def uart(self) -> str:
        return self.uart_log.read_text(errors="replace") if self.uart_log.exists() else ""

    def wait_for_uart(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.uart():
            assert self.proc.poll() is None, f"QEMU exited; UART0: {self.uart()!r}"
            assert time.monotonic() < deadline, f"UART0 did not show {text!r}; it showed {self.uart()!r}"
            time.sleep(0.05)  # polling the UART log for output

    def wait_for(self, what: str, done: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"{what}; UART0: {self.uart()!r}"
            time.sleep(0.05)  # polling memory through the monitor

    def read(self, address: int, size: int) -> bytes:
        path = self.run / f"dump-{address:x}-{size:x}.bin"
        self.qmp.execute("pmemsave", val=address, size=size, filename=str(path))
        return path.read_bytes()


@pytest.fixture
def machine(images: Path, tmp_path: Path) -> Iterator[Callable[..., Machine]]:
    started: list[Machine] = []

    def start(cpu0: str, channel_image: bytes | None = None, payload: str = "sharedmem-cpu1.elf") -> Machine:
        m = Machine(images, tmp_path, cpu0, channel_image, payload)
        started.append(m)
        return m

    yield start
    for m in started:
        m.close()


def test_payload_banner_and_waiting_without_a_control_block(machine: Callable[..., Machine]) -> None:
    m = machine("cpu0-parked")
    m.wait_for_uart("sharedmem-cpu1 0.1.0: started on CPU1")
    m.wait_for_uart("waiting for Linux: no valid control block, magic 0x00000000")
    pc = m.qmp.cpu_registers(1)["R15"]
    assert FW_BASE <= pc < FW_BASE + 0x400000, f"CPU1 left its region: pc {pc:#x}"
    assert not any(m.read(CHANNEL_BASE, 0x01000000)), "CPU1 wrote into a channel without a control block"
    for start in (FW_BASE - 0x100000, CHANNEL_BASE + 0x01000000):
        assert not any(m.read(start, 0x100000)), f"CPU1 wrote near {start:#x}, outside its regions"


def prepared_channel() -> tuple[bytearray, dict[str, object]]:
    """A control block with requests queued in ring 0, as Linux would write it."""
    mem = bytearray(L.SHMEM_CHAN_DEFAULT_TOTAL_SIZE)
    C.initialise(mem)
    ch = C.Channel(mem)
    data = bytes((i * 7 + 3) & 0xFF for i in range(8192))
    ch.bulk[:len(data)] = data
    expect: dict[str, Any] = {"echo": b"hello from Linux" * 64, "crc": zlib.crc32(data[5:5 + 8000]),
              "fill": C.fill_pattern(1001, 0xCAFE0000, 3)}
    assert ch._try_send(L.SHMEM_MSG_ECHO, expect["echo"], 1)
    assert ch._try_send(L.SHMEM_MSG_PING, b"", 2)
    assert ch._try_send(L.SHMEM_MSG_CRC32, C._BULK.pack(5, 8000, 0, 0), 3)
    assert ch._try_send(L.SHMEM_MSG_FILL, C._BULK.pack(8192 + 1, 1001, 0xCAFE0000, 3), 4)
    ch.close()
    return mem, expect


def test_payload_serves_requests_queued_before_it_started(machine: Callable[..., Machine]) -> None:
    mem, expect = prepared_channel()
    m = machine("cpu0-gic-on", bytes(mem[:IMAGE_SIZE]))
    m.wait_for_uart("channel ready")
    head1 = CHANNEL_BASE + L.RING_HEAD[1]
    m.wait_for("CPU1 did not answer the 4 queued requests",
               lambda: m.u32(CHANNEL_BASE + L.cpu1_field("tx_msgs")) == 4)
    beat = m.u32(CHANNEL_BASE + L.cpu1_field("heartbeat"))
    m.wait_for("the heartbeat does not advance",
               lambda: m.u32(CHANNEL_BASE + L.cpu1_field("heartbeat")) > beat + 2)
    assert m.u32(head1) > 0
    mem[:IMAGE_SIZE] = m.read(CHANNEL_BASE, IMAGE_SIZE)
    ch = C.Channel(mem)
    ch.check_ready()
    replies = {msg.seq: msg for msg in (ch.recv(timeout=0) for _ in range(4))}
    assert replies[1].payload == expect["echo"]
    ping = replies[2].payload
    assert int.from_bytes(ping[:4], "little") == 2 and len(ping) == 32
    assert int.from_bytes(replies[3].payload[:4], "little") == expect["crc"]
    assert bytes(ch.bulk[8193:8193 + 1001]) == expect["fill"]
    assert all(msg.status == L.SHMEM_STATUS_OK for msg in replies.values())
    # CPU1 rang Linux (SPI 29, ID 61) at READY and after answering; a pending
    # bit not yet taken merges doorbells. (QEMU's monitor cannot read the GIC
    # itself: reading its registers from the monitor crashes QEMU 10.)
    # CPU1 rang; CPU0's stub may still be setting up its GIC interface when
    # these early doorbells come, so it can count fewer (never more). That
    # Linux gets them is proven on the board (test_cpu1.py, /proc/interrupts).
    assert m.u32(CHANNEL_BASE + L.cpu1_field("doorbells_out")) >= 1
    assert m.u32(DOORBELLS) <= m.u32(CHANNEL_BASE + L.cpu1_field("doorbells_out"))
    ch.close()


def test_payload_halts_back_into_the_bootrom_park_loop(machine: Callable[..., Machine]) -> None:
    mem = bytearray(L.SHMEM_CHAN_DEFAULT_TOTAL_SIZE)
    C.initialise(mem)
    mem[L.host_field("halt_request"):L.host_field("halt_request") + 4] = \
        L.SHMEM_CHAN_HALT_REQUEST.to_bytes(4, "little")
    m = machine("cpu0-gic-on", bytes(mem[:L.SHMEM_CHAN_CTRL_SIZE]))
    m.wait_for_uart("halted, back to the park loop")
    assert m.u32(CHANNEL_BASE + L.cpu1_field("state")) == L.SHMEM_CPU1_HALTED
    assert m.u32(MAILBOX) == PARK_LOOP
    m.wait_for("CPU1 is not in the park loop",
               lambda: PARK_LOOP <= m.qmp.cpu_registers(1)["R15"] < MAILBOX)



def translate(m: Machine, cpu: int, address: int) -> str:
    """QEMU's walk of `address` through CPU `cpu`'s current translation regime:
    "gpa: ADDRESS" or "Unmapped". With SCTLR.M = 0 every address maps to itself."""
    return str(m.qmp.execute("human-monitor-command", **{"command-line": f"gva2gpa {address:#x}",
                                                         "cpu-index": cpu})).strip()


MAPPED = {
    "firmware region": (FW_BASE, FW_BASE + 0x3FFFFC),
    "channel region": (CHANNEL_BASE, CHANNEL_BASE + 0xFFFFFC),
    "RPMsg vrings and buffers": (0x1F400000, 0x1F5FFFFC),
    "UART0": (0xE0000000,),
    "GIC CPU interface, private timer": (0xF8F00100, 0xF8F00600),
    "GIC distributor": (0xF8F01000,),
    "BootROM mailbox": (MAILBOX,),
}
UNMAPPED = {
    "Linux's memory": (0x00000000, 0x00100000, 0x10000000, FW_BASE - 4),
    "past the RPMsg window": (0x1F600000,),
    "UART1 (Linux's console)": (0xE0001000,),
    "SLCR": (0xF8000000, 0xF8000244),
    "L2 cache controller": (0xF8F02000,),
    "OCM below the mailbox page": (0xFFFF0000, PARK_LOOP - 0x1000),
}


def test_payload_runs_with_its_mmu_on_and_a_flat_map(machine: Callable[..., Machine]) -> None:
    m = machine("cpu0-parked")
    m.wait_for_uart("waiting for Linux")
    for what, addresses in MAPPED.items():
        for address in addresses:
            assert translate(m, 1, address) == f"gpa: {address:#x}", f"{what} at {address:#x} not mapped flat"
    for what, addresses in UNMAPPED.items():
        for address in addresses:
            assert translate(m, 1, address) == "Unmapped", f"{what} at {address:#x} is mapped for CPU1"
    # The same question of CPU0 (its stub runs with the MMU off): everything maps to itself.
    assert translate(m, 0, 0x10000000) == "gpa: 0x10000000"


def test_a_table_without_the_channel_faults_at_its_first_read(machine: Callable[..., Machine]) -> None:
    m = machine("cpu0-parked", payload="sharedmem-cpu1-no-channel.elf")
    m.wait_for_uart("data abort")
    m.wait_for_uart(f"address {CHANNEL_BASE:#010x}")
    assert "waiting for Linux" not in m.uart()
    assert not any(m.read(CHANNEL_BASE, 0x1000)), "CPU1 wrote into the channel"


def test_a_table_with_execute_never_code_faults_at_once(machine: Callable[..., Machine]) -> None:
    m = machine("cpu0-parked", payload="sharedmem-cpu1-xn-firmware.elf")
    # The first fetch after the MMU is on aborts, and so does the fetch of
    # the prefetch abort vector itself: CPU1 stays at the vector, in Abort mode.
    m.wait_for("CPU1 did not take a prefetch abort",
               lambda: m.qmp.cpu_registers(1)["R15"] == FW_BASE + 0x0C
               and m.qmp.cpu_registers(1)["PSR"] & 0x1F == 0x17)
    assert "started on CPU1" not in m.uart()
