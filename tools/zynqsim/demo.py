# SPDX-License-Identifier: MIT
"""`tools/sim demo`: build, boot, and show the stack at work on the emulated
board, printing each step and what the board answered."""

import sys

from . import board, memory_map
from .build import build
from .qmp import Qmp
from .shell import LinuxShell, SerialConsole


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _show(shell: LinuxShell, command: str) -> str:
    output = shell.check(command, timeout=120)
    print(f"$ {command}")
    print(output.rstrip())
    return output


def run(keep: bool = False) -> int:
    _step("build (cached; only what changed is rebuilt)")
    images = build()
    state = board.running()
    started_here = state is None
    if state is None:
        _step("boot the emulated ZedBoard")
        state = board.boot(images)
    print(state.describe())
    console = SerialConsole(state.console_url)
    try:
        shell = console.shell()
        shell.login()

        _step("Linux runs on CPU0 only; CPU1 is held back")
        _show(shell, "uname -a")
        _show(shell, "cat /proc/cmdline")
        _show(shell, "echo online: $(cat /sys/devices/system/cpu/online) present: "
                     "$(cat /sys/devices/system/cpu/present)")

        _step("CPU1 waits in the BootROM park loop (read through QEMU's monitor, like a JTAG probe)")
        with Qmp(state.qmp_socket) as qmp:
            pc = qmp.cpu_registers(1)["R15"]
            mailbox = qmp.read_u32(memory_map.CPU1_MAILBOX)
        print(f"CPU1 PC = {pc:#010x} (park loop {memory_map.CPU1_PARK_LOOP:#x}-{memory_map.CPU1_MAILBOX:#x}), "
              f"mailbox [{memory_map.CPU1_MAILBOX:#x}] = {mailbox:#010x}")

        _step("memory for CPU1's firmware and the shared channel, claimed by the sharedmem driver")
        _show(shell, "grep -E 'cpu1-firmware|sharedmem-channel' /proc/iomem")
        _show(shell, "ls -l /dev/sharedmem/")
        _show(shell, "shmem-helper info")

        _step("start CPU1 through remoteproc: ELF into cpu1-firmware, entry into the BootROM mailbox, SEV")
        _show(shell, "shmem-helper start")
        _show(shell, "shmem-helper status")

        _step("round trips over the channel (doorbells both ways)")
        _show(shell, "shmem-helper ping -c 3")
        _show(shell, "shmem-helper echo 'hello from Linux, echoed by CPU1'")
        _show(shell, "shmem-helper crc --random 8388608")

        _step("stop CPU1: it halts back into the BootROM park loop")
        _show(shell, "shmem-helper stop")
        with Qmp(state.qmp_socket) as qmp:
            pc = qmp.cpu_registers(1)["R15"]
        print(f"CPU1 PC = {pc:#010x} (park loop again)")
    finally:
        console.close()
        if started_here and not keep:
            board.stop()
            print("\n(board stopped; `tools/sim demo --keep` leaves it running)", file=sys.stderr)
    print("\ndemo: OK")
    return 0
