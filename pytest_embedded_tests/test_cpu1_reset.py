# SPDX-License-Identifier: MIT
"""CPU1's hard reset through the SLCR (A9_CPU_RST_CTRL), on the board: a
payload that never cooperates is reset and replaced without a reboot, a hung
payload is brought back by remoteproc's crash recovery, the reset repeats,
a reset that does not take is reported, and an entry point outside
cpu1-firmware is refused before anything is written.

The emulated board's QEMU models CPU1's reset line (tools/zynqsim/board/qemu),
so these run the driver path of a ZedBoard. Tests that reach into QEMU (its
monitor, or code overwritten under a running CPU1, which on silicon its
caches could hide) are marked `emulated`."""

import struct
from collections.abc import Callable, Iterator

import pytest
from zynqsim import build as sim_build
from zynqsim import memory_map
from zynqsim.board import BoardState
from zynqsim.qmp import Qmp

from pytest_embedded_tests.dut import ZynqLinuxDut

from .test_cpu1 import FIRMWARE_DIR, SYSFS, helper, run_check

SPIN = "cpu1-spin.elf"
FIRMWARE_NODE = "/dev/sharedmem/cpu1-firmware"
HARD_STOP = "/sys/module/sharedmem/parameters/hard_stop"
RESET_DONE = "CPU1 was reset through the SLCR and waits in the park loop"
RESET_FAILED = "CPU1 did not come out of its reset into the park loop"
TRAMPOLINE_SIZE = 0x40  # sharedmem-trampoline.S, with its two words
B_SELF = 0xEAFFFFFE  # ARM `b .`


def rproc_state(linux: ZynqLinuxDut) -> str:
    return linux.check(f"cat {SYSFS}/remoteproc*/state").strip()


def kernel_log_since(linux: ZynqLinuxDut, mark: str) -> str:
    return linux.check(f"dmesg | sed -n '/{mark}/,$p'")


def set_mark(linux: ZynqLinuxDut, name: str) -> str:
    mark = f"pytest-reset-mark-{name}"
    linux.check(f"echo {mark} > /dev/kmsg")
    return mark


@pytest.fixture
def parked(linux: ZynqLinuxDut) -> Iterator[ZynqLinuxDut]:
    """CPU1 offline before the test; offline again (and the default payload
    chosen, hard_stop off) after it, whatever the test left behind."""
    if rproc_state(linux) != "offline":
        assert helper(linux, "stop").status == 0
    yield linux
    linux.run(f"echo 0 > {HARD_STOP}")
    if rproc_state(linux) != "offline":
        result = helper(linux, "stop")
        assert result.status == 0, result.output
    linux.run(f"rm -f {FIRMWARE_DIR}/{SPIN} {FIRMWARE_DIR}/outside-entry.elf")
    linux.check(f"echo sharedmem-cpu1.elf > $(grep -l zynq-cpu1 {SYSFS}/remoteproc*/name | sed 's/name$/firmware/')")


def ping_works(linux: ZynqLinuxDut) -> None:
    result = helper(linux, "ping")
    assert result.status == 0 and "pong" in result.output, result.output


def slcr_path(qmp: Qmp) -> str:
    """QOM path of the Zynq SLCR (the machine creates it unnamed)."""
    for entry in qmp.execute("qom-list", path="/machine/unattached"):
        if entry["type"] == "child<xilinx-zynq_slcr>":
            return f"/machine/unattached/{entry['name']}"
    raise AssertionError("QEMU has no xilinx-zynq_slcr device")


@pytest.mark.emulated
def test_the_board_models_cpu1_reset_line(zynq_board: BoardState | None) -> None:
    assert zynq_board is not None  # an `emulated` test: deselected without it
    with Qmp(zynq_board.qmp_socket) as qmp:
        assert qmp.execute("qom-get", path=slcr_path(qmp), property="cpu1-reset") is True


def test_a_payload_that_never_cooperates_is_reset_and_replaced_without_reboot(parked: ZynqLinuxDut,
                                                                               zynq_board: BoardState | None) -> None:
    linux = parked
    linux.put_file(f"{FIRMWARE_DIR}/{SPIN}", sim_build.cpu1_test_payload("spin").read_bytes())
    mark = set_mark(linux, "spin")
    result = helper(linux, f"start {SPIN}")
    assert result.status == 1 and "shmem-helper: starting CPU1" in result.output, result.output
    log = kernel_log_since(linux, mark)
    assert "CPU1 did not report ready" in log, log
    assert RESET_DONE in log, log
    assert rproc_state(linux) == "offline"
    if zynq_board is not None:  # CPU1 waits in the trampoline at its reset vector
        with Qmp(zynq_board.qmp_socket) as qmp:
            pc = qmp.cpu_registers(1)["R15"]
            mailbox = qmp.read_u32(memory_map.CPU1_MAILBOX)
        assert memory_map.CPU1_RESET_VECTOR <= pc < memory_map.CPU1_RESET_VECTOR + TRAMPOLINE_SIZE, f"{pc:#x}"
        assert mailbox == memory_map.CPU1_PARK_LOOP
    mark = set_mark(linux, "spin-replaced")
    result = helper(linux, "start sharedmem-cpu1.elf")
    assert result.status == 0, result.output
    ping_works(linux)
    result = helper(linux, "stop")  # the real payload cooperates: no reset
    assert result.status == 0, result.output
    assert RESET_DONE not in kernel_log_since(linux, mark)


@pytest.mark.emulated
def test_a_hung_payload_is_brought_back_by_crash_recovery(parked: ZynqLinuxDut) -> None:
    """The real payload, its code overwritten with `b .` while it runs (as a
    wild store would): no heartbeat, no answer to a halt request. The
    watchdog reports a crash; recovery's stop times out, resets CPU1, and
    the payload is loaded and started again."""
    linux = parked
    assert helper(linux, "start sharedmem-cpu1.elf").status == 0
    ping_works(linux)
    mark = set_mark(linux, "hang")
    result = run_check(linux, "overwrite_the_running_payload", hex(memory_map.CPU1_FIRMWARE),
                       hex(memory_map.CPU1_FIRMWARE_SIZE))
    assert result.status == 0 and "overwritten" in result.output and "recovered:" in result.output, result.output
    log = kernel_log_since(linux, mark)
    assert "CPU1's heartbeat stopped" in log, log
    assert "crash detected in zynq-cpu1: type watchdog" in log, log
    assert "CPU1 did not halt within" in log, log
    assert RESET_DONE in log, log
    assert log.count("CPU1 runs sharedmem-cpu1.elf") == 1, log  # the restart
    assert rproc_state(linux) == "running"
    ping_works(linux)


def test_100_hard_resets_in_a_row(parked: ZynqLinuxDut, repeat: Callable[[int], int]) -> None:
    linux = parked
    cycles = repeat(100)
    mark = set_mark(linux, "hundred")
    linux.check(f"echo 1 > {HARD_STOP}")
    result = run_check(linux, "start_stop", str(cycles), timeout=900)
    assert result.status == 0 and f"cycles {cycles}" in result.output, result.output
    log = kernel_log_since(linux, mark)
    assert log.count(RESET_DONE) == cycles, log[-3000:]
    assert "did not halt" not in log  # no cooperative attempt: hard_stop=1


def _elf(segment: int, entry: int, code: bytes) -> bytes:
    """A minimal ARM ELF32 executable: one PT_LOAD segment, its own entry."""
    ehdr_size, phdr_size = 52, 32
    ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 40, 1, entry,
                       ehdr_size, 0, 0x05000400, ehdr_size, phdr_size, 1, 40, 0, 0)
    phdr = struct.pack("<8I", 1, ehdr_size + phdr_size, segment, segment, len(code), len(code), 5, 4)
    return ehdr + phdr + code


def test_an_entry_point_outside_the_firmware_region_is_refused_before_anything_is_written(parked: ZynqLinuxDut) -> None:
    linux = parked
    code = struct.pack("<4I", 0x5EA1F00D, 0x5EA1F00D, 0x5EA1F00D, B_SELF)
    linux.put_file(f"{FIRMWARE_DIR}/outside-entry.elf", _elf(memory_map.CPU1_FIRMWARE, 0x8000, code))
    before = run_check(linux, "firmware_head").output.strip()
    mark = set_mark(linux, "entry")
    result = helper(linux, "start outside-entry.elf")
    assert result.status == 1, result.output
    log = kernel_log_since(linux, mark)
    assert "entry point 0x8000 lies outside the cpu1-firmware region" in log, log
    after = run_check(linux, "firmware_head").output.strip()
    assert after == before and code.hex() != after
    assert rproc_state(linux) == "offline"
    assert helper(linux, "start sharedmem-cpu1.elf").status == 0  # nothing was lost
    ping_works(linux)


@pytest.mark.emulated
def test_a_reset_that_does_not_take_is_reported_not_hidden(parked: ZynqLinuxDut,
                                                           zynq_board: BoardState | None) -> None:
    """QEMU's SLCR with its CPU1 reset model switched off (as stock QEMU):
    the hard stop fails, says so, and remoteproc keeps saying `running`,
    which is the truth: the payload still runs and still answers."""
    linux = parked
    assert helper(linux, "start sharedmem-cpu1.elf").status == 0
    assert zynq_board is not None  # an `emulated` test: deselected without it
    with Qmp(zynq_board.qmp_socket) as qmp:
        slcr = slcr_path(qmp)
        qmp.execute("qom-set", path=slcr, property="cpu1-reset", value=False)
        try:
            linux.check(f"echo 1 > {HARD_STOP}")
            mark = set_mark(linux, "notaken")
            result = helper(linux, "stop")
            assert result.status == 1, result.output
            log = kernel_log_since(linux, mark)
            assert RESET_FAILED in log, log
            assert rproc_state(linux) == "running"
            ping_works(linux)
        finally:
            qmp.execute("qom-set", path=slcr, property="cpu1-reset", value=True)
    linux.check(f"echo 0 > {HARD_STOP}")
    result = helper(linux, "stop")  # cooperative: the payload parks itself
    assert result.status == 0, result.output
    assert rproc_state(linux) == "offline"
