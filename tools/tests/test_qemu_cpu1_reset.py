# SPDX-License-Identifier: MIT
"""The emulated board's QEMU (build.py's `qemu` step, board/qemu/*.patch)
models CPU1's reset and clock-stop lines in the SLCR, without Linux.

CPU1 runs a counter loop with interrupts masked; CPU0 runs a tiny program
that writes A9_CPU_RST_CTRL as Linux's zynq_slcr_cpu_stop/start do, then
counts in a loop of its own. Address 0, CPU1's reset vector, holds a program
that stamps a word. Everything is read back through QMP.

  pulse     hold and release written back to back: CPU1 is reset and runs
            from its reset vector (the model must not lose the pulse)
  hold      RST1 and CLKSTOP1 left set: CPU1 stops while CPU0 goes on
  model off `cpu1-reset=off` (stock QEMU's behaviour): the same writes do
            nothing, CPU1 keeps counting
"""

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from channel_support import QemuMachine
from zynqsim import build
from zynqsim.cache import stderr_log

CPU1_COUNTER = 0x2000
STAMP = 0x3000
CPU0_DONE = 0x4000
CPU0_COUNTER = 0x5000
STAMPED = 0x600DF00D

CPU1_LOOP = f"""
	.globl _start
_start:
	cpsid	if
	mov	r5, #0
	ldr	r0, ={CPU1_COUNTER:#x}
1:	add	r5, r5, #1
	str	r5, [r0]
	b	1b
"""

RESET_VECTOR = f"""
	.globl _start
_start:
	ldr	r0, ={STAMP:#x}
	ldr	r1, ={STAMPED:#x}
	str	r1, [r0]
	b	.
"""

# CPU0: wait for CPU1 to count, unlock the SLCR, hold CPU1 (RST1|CLKSTOP1),
# release it (RST1 first, then CLKSTOP1) unless HOLD, mark done, count.
CPU0 = f"""
	.globl _start
_start:
	ldr	r0, ={CPU1_COUNTER:#x}
1:	ldr	r1, [r0]
	cmp	r1, #1000
	blo	1b
	ldr	r0, =0xF8000000
	ldr	r1, =0xDF0D
	str	r1, [r0, #8]
	ldr	r2, =0x244
	mov	r1, #0x22
	str	r1, [r0, r2]
#ifndef HOLD
	mov	r1, #0x20
	str	r1, [r0, r2]
	mov	r1, #0
	str	r1, [r0, r2]
#endif
	dsb
	ldr	r0, ={CPU0_DONE:#x}
	mov	r1, #1
	str	r1, [r0]
	ldr	r0, ={CPU0_COUNTER:#x}
	mov	r5, #0
2:	add	r5, r5, #1
	str	r5, [r0]
	b	2b
"""


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cpu1-reset")
    cc = ["arm-none-eabi-gcc", "-nostdlib", "-marm", "-mcpu=cortex-a9", "-Wl,-n", "-Wl,--build-id=none"]
    for name, text, base, defines in (("cpu1", CPU1_LOOP, 0x100000, []), ("vector", RESET_VECTOR, 0x0, []),
                                      ("cpu0-pulse", CPU0, 0x1000, []), ("cpu0-hold", CPU0, 0x1000, ["-DHOLD"])):
        (out / f"{name}.S").write_text(text)
        subprocess.run([*cc, *defines, f"-Wl,-Ttext={base:#x}", "-o", out / f"{name}.elf", out / f"{name}.S"],
                       check=True)
    return out


@pytest.fixture(scope="module")
def qemu() -> str:
    """The board's own qemu-system-arm (built, or found in the cache)."""
    return str(build.qemu(stderr_log).out / "qemu-system-arm")


class Machine(QemuMachine):
    def __init__(self, qemu: str, programs: Path, cpu0: str, run: Path, extra: list[str]):
        super().__init__([qemu, "-M", "xilinx-zynq-a9", "-smp", "2", "-m", "512M", "-nodefaults", "-display", "none",
                          "-serial", "null", "-serial", "null",
                          "-device", f"loader,file={programs / 'vector.elf'}",
                          "-device", f"loader,file={programs / f'{cpu0}.elf'},cpu-num=0",
                          "-device", f"loader,file={programs / 'cpu1.elf'},cpu-num=1", *extra], run)

    def wait_for(self, what: str, done: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, what
            time.sleep(0.02)  # polling memory through the monitor


@pytest.fixture
def machine(qemu: str, programs: Path, tmp_path: Path) -> Iterator[Callable[..., Machine]]:
    machines: list[Machine] = []

    def start(cpu0: str, *extra: str) -> Machine:
        machines.append(Machine(qemu, programs, cpu0, tmp_path, list(extra)))
        return machines[-1]

    yield start
    for m in machines:
        m.close()


def test_a_reset_pulse_restarts_cpu1_at_its_reset_vector(machine: Callable[..., Machine]) -> None:
    m = machine("cpu0-pulse")
    m.wait_for("CPU0 did not write the SLCR", lambda: m.u32(CPU0_DONE) == 1)
    m.wait_for("CPU1 did not run its reset vector", lambda: m.u32(STAMP) == STAMPED)
    pc = m.qmp.cpu_registers(1)["R15"]
    assert pc < 0x20, f"CPU1 at {pc:#x}, not in the reset-vector program"


def test_cpu1_is_held_while_its_reset_lines_are_set(machine: Callable[..., Machine]) -> None:
    m = machine("cpu0-hold")
    m.wait_for("CPU0 did not write the SLCR", lambda: m.u32(CPU0_DONE) == 1)
    held_at = m.u32(CPU1_COUNTER)
    cpu0_then = m.u32(CPU0_COUNTER)
    # CPU0 counts on (a few million loops), CPU1 must not move meanwhile.
    m.wait_for("CPU0 stopped counting", lambda: m.u32(CPU0_COUNTER) > cpu0_then + 1_000_000)
    assert m.u32(CPU1_COUNTER) == held_at
    assert m.u32(STAMP) == 0


def test_with_the_model_off_the_writes_do_nothing(machine: Callable[..., Machine]) -> None:
    m = machine("cpu0-pulse", "-global", "xilinx-zynq_slcr.cpu1-reset=off")
    m.wait_for("CPU0 did not write the SLCR", lambda: m.u32(CPU0_DONE) == 1)
    cpu1_then = m.u32(CPU1_COUNTER)
    m.wait_for("CPU1 stopped counting", lambda: m.u32(CPU1_COUNTER) > cpu1_then + 1_000_000)
    assert m.u32(STAMP) == 0
