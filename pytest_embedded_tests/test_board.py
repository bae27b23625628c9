# SPDX-License-Identifier: MIT
"""The board itself: Linux on CPU0, CPU1 parked as the BootROM parks it,
memory carved out for CPU1 and the channel, the console, udev."""

import re
import subprocess
import sys

import pytest
from zynqsim import memory_map
from zynqsim.board import BoardState
from zynqsim.onboard import program_summary
from zynqsim.paths import DEVICE_TREE_DIR, REPO
from zynqsim.qmp import Qmp

from pytest_embedded_tests.dut import TARGET, ZynqLinuxDut

DTSI = DEVICE_TREE_DIR / "sharedmem-zynq7000.dtsi"
BYTECODE_CHECK = TARGET / "bytecode_check.py"


def layer_reserved_regions() -> dict[str, tuple[int, int]]:
    """node name -> (start, size) of the reserved-memory nodes that the
    layer's .dtsi declares: what every board with the layer must have."""
    nodes = re.findall(r"(\S+@[0-9a-f]+)\s*\{\s*reg = <(0x[0-9a-f]+) (0x[0-9a-f]+)>;\s*no-map;", DTSI.read_text())
    assert nodes, f"no no-map reserved-memory nodes found in {DTSI}"
    return {name: (int(start, 16), int(size, 16)) for name, start, size in nodes}


@pytest.mark.smoke
def test_linux_runs_on_a_zynq(linux: ZynqLinuxDut) -> None:
    assert linux.check("uname -m").strip() == "armv7l"
    assert "xlnx,zynq-7000" in linux.check("tr '\\0' '\\n' < /proc/device-tree/compatible").split()


@pytest.mark.smoke
def test_console_is_ttyps0(linux: ZynqLinuxDut) -> None:
    """The login shell talks over ttyPS0 (UART1), the kernel's console too."""
    assert linux.check("tty").strip() == "/dev/ttyPS0"
    assert linux.check("cat /proc/consoles").split()[0] == "ttyPS0"


def test_only_cpu0_is_online(linux: ZynqLinuxDut) -> None:
    """Two cores exist; Linux brought up CPU0 only, CPU1 stays for the payload."""
    assert "maxcpus=1" in linux.check("cat /proc/cmdline").split()
    assert linux.check("cat /sys/devices/system/cpu/present").strip() == "0-1"
    assert linux.check("cat /sys/devices/system/cpu/online").strip() == "0"


@pytest.mark.emulated
def test_cpu1_waits_in_the_bootrom_park_loop(linux: ZynqLinuxDut, zynq_board: BoardState | None) -> None:
    """Seen from outside (QEMU's monitor, as a JTAG probe would): CPU1's PC lies
    in the park loop and the mailbox still says 'keep waiting'."""
    assert zynq_board is not None  # an `emulated` test: deselected without it
    with Qmp(zynq_board.qmp_socket) as qmp:
        pcs = [qmp.cpu_registers(1)["R15"] for _ in range(5)]
        mailbox = qmp.read_u32(memory_map.CPU1_MAILBOX)
    for pc in pcs:
        assert memory_map.CPU1_PARK_LOOP <= pc < memory_map.CPU1_MAILBOX, f"CPU1 runs outside the park loop: {pc:#x}"
    assert mailbox == memory_map.CPU1_PARK_LOOP, f"mailbox holds {mailbox:#x}"


def _iomem_ranges(iomem: str, name: str) -> list[tuple[int, int]]:
    ranges = []
    for line in iomem.splitlines():
        m = re.match(r"\s*([0-9a-f]+)-([0-9a-f]+) : (.*)$", line)
        if m and m[3] == name:
            ranges.append((int(m[1], 16), int(m[2], 16)))
    return ranges


def test_cpu1_and_channel_memory_is_reserved(linux: ZynqLinuxDut) -> None:
    """Each of the layer's regions is in the device tree as no-map reserved
    memory, inside DDR, and Linux left it out of System RAM. (32-bit ARM's
    /proc/iomem shows no-map carve-outs as gaps in System RAM; arm64 would
    name them 'reserved'.)"""
    iomem = linux.check("cat /proc/iomem")
    system_ram = _iomem_ranges(iomem, "System RAM")
    assert system_ram, iomem
    for node, (start, size) in layer_reserved_regions().items():
        path = f"/proc/device-tree/reserved-memory/{node}"
        reg = linux.check(f"od -An -tx1 -v {path}/reg").split()
        assert (int("".join(reg[:4]), 16), int("".join(reg[4:8]), 16)) == (start, size), node
        linux.check(f"test -e {path}/no-map")
        end = start + size - 1
        assert end < memory_map.RAM_SIZE
        for ram_start, ram_end in system_ram:
            assert end < ram_start or start > ram_end, (
                f"{node} ({start:#x}-{end:#x}) overlaps System RAM {ram_start:#x}-{ram_end:#x}:\n{iomem}")


@pytest.mark.smoke
def test_udevd_runs(linux: ZynqLinuxDut) -> None:
    """The real udev daemon answers, so the layer's udev rules are exercised."""
    linux.check("udevadm control --ping")
    linux.check("test -S /run/udev/control")


@pytest.mark.emulated
def test_a_second_boot_is_refused(linux: ZynqLinuxDut, zynq_board: BoardState | None) -> None:
    """`tools/sim boot` while a board runs: refused, naming the running one."""
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "sim"), "boot"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert zynq_board is not None  # an `emulated` test: deselected without it
    assert "already running" in proc.stderr and zynq_board.console_url in proc.stderr
    assert "Traceback" not in proc.stderr


def test_python_starts_from_byte_code(linux: ZynqLinuxDut) -> None:
    """Every module that shmem-helper and the board programs import comes
    with its byte code, as a packaged Python has it: a user (who cannot write
    it) would otherwise compile the standard library at each start, seconds
    each time (tens on the debug board)."""
    summary = program_summary(linux.run_program(BYTECODE_CHECK, user="amp"), "bytecode_check.py")
    imported = summary["imported"]
    assert isinstance(imported, int) and imported > 50 and summary["uncompiled"] == [], summary
