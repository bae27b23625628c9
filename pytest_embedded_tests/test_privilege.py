# SPDX-License-Identifier: MIT
"""Least privilege (issue 11, SECURITY.md): a member of group sharedmem uses
buffers, the channel and start/stop of the firmware root chose, and nothing
more; a non-member gets nothing; what CPU1 or a member does cannot break
Linux. Each test runs its hostile part as a member (amp, amp2: setuid in the
on-board script, or su) and checks that a non-member (outsider) is refused.
The unbind case is in test_unbind.py."""

import struct

from zynqsim.shell import Result

from pytest_embedded_tests.dut import TARGET, ZynqLinuxDut

from .test_cpu1 import FIRMWARE_DIR, SYSFS, doorbell_limit, helper
from .test_cpu1 import run_check as run_cpu1_check
from .test_cpu1_faults import FAULTS_FIRMWARE, faults_cpu1  # noqa: F401 (fixture)

CHECKS = TARGET / "privilege_checks.py"


def run_check(linux: ZynqLinuxDut, check: str, *args: str, user: str = "root", timeout: float = 180.0) -> str:
    """Run one of target/privilege_checks.py's checks on the board; its output."""
    result = linux.run_program(CHECKS, check, *args, user=user, timeout=timeout)
    assert result.status == 0 and "CHECK-OK" in result.output, f"on-board check {check} failed:\n{result.output}"
    return result.output


REMOTEPROC_OF_CPU1 = f"$(dirname $(grep -l zynq-cpu1 {SYSFS}/remoteproc*/name))"


def test_cpu1s_code_and_firmware_are_roots_choice(linux: ZynqLinuxDut) -> None:
    """Point 2: no node through which the group writes CPU1's code, and the
    remoteproc `firmware` attribute is root's; members start and stop the
    firmware root chose; outsiders get nothing."""
    rp = linux.check(f"echo {REMOTEPROC_OF_CPU1}").strip()
    modes = linux.check(f"stat -L -c '%a %u %G' /dev/sharedmem/cpu1-firmware {rp}/firmware {rp}/state")
    assert modes.split() == ["640", "0", "sharedmem", "644", "0", "root", "664", "0", "sharedmem"], modes
    run_check(linux, "firmware_is_roots_as_a_member", rp, user="amp")
    result = helper(linux, f"start {FAULTS_FIRMWARE}", user="amp")
    assert result.status == 1 and "root's choice" in result.output, result.output
    assert "sharedmem-cpu1.elf" in linux.check(f"cat {rp}/firmware")
    result = helper(linux, "start sharedmem-cpu1.elf", user="amp")  # root's choice already: allowed
    assert result.status == 0, result.output
    result = helper(linux, "stop", user="amp")
    assert result.status == 0, result.output
    run_check(linux, "firmware_is_roots_as_an_outsider", rp, user="outsider")

def _elf(code: bytes, address: int, memsz: int) -> bytes:
    """An ARM ELF32 executable with one PT_LOAD segment (code, zero-filled
    up to memsz) at `address`, entered at its start."""
    ehdr_size, phdr_size = 52, 32
    ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 40, 1, address,
                       ehdr_size, 0, 0x05000400, ehdr_size, phdr_size, 1, 40, 0, 0)
    phdr = struct.pack("<8I", 1, ehdr_size + phdr_size, address, address, len(code), memsz, 7, 4)
    return ehdr + phdr + code


# A firmware that ignores the channel (and so every halt request): it spins
# until root writes GO into cpu1-firmware at FLAG, then does what the payload
# does to halt (mailbox back to the park loop, cpu1.state HALTED) and parks.
SPIN_FLAG_OFFSET = 0x100
SPIN_GO = 0x474F474F
SPIN_CODE = struct.pack("<20I", *[
    0xE59F0034,  # ldr r0, flag
    0xE59F3034,  # ldr r3, go
    0xE5901000,  # 1: ldr r1, [r0]
    0xE1510003,  # cmp r1, r3
    0x1AFFFFFC,  # bne 1b
    0xE59F0028,  # ldr r0, mailbox
    0xE59F1028,  # ldr r1, park
    0xE5801000,  # str r1, [r0]
    0xF57FF04F,  # dsb sy
    0xE59F0020,  # ldr r0, state
    0xE3A01004,  # mov r1, #4 (SHMEM_CPU1_HALTED)
    0xE5801000,  # str r1, [r0]
    0xF57FF04F,  # dsb sy
    0xE59F000C,  # ldr r0, park
    0xE12FFF10,  # bx r0
    0x1E000000 + SPIN_FLAG_OFFSET,  # flag: in cpu1-firmware
    SPIN_GO,     # go
    0xFFFFFFF0,  # mailbox
    0xFFFFFF2C,  # park: the BootROM loop
    0x1E400080,  # state: cpu1.state of the channel
])


def test_a_member_cannot_fake_the_lifecycle(linux: ZynqLinuxDut) -> None:
    """Point 3: a member who writes READY, then HALTED into cpu1.state (and
    keeps the heartbeat moving) while CPU1 runs a firmware that never halts
    cannot make the driver believe CPU1 stopped: the cooperative stop is not
    confirmed (the mailbox), so the driver resets CPU1 through the SLCR
    (issue 12) and only then says offline; nothing is loaded over a running
    CPU1. Before the fix the faked HALTED let stop succeed (the driver even
    reset the mailbox), and the next start loaded segments over the running
    CPU1."""
    linux.put_file(f"{FIRMWARE_DIR}/spin.elf", _elf(SPIN_CODE, 0x1E000000, SPIN_FLAG_OFFSET + 4))
    rp = linux.check(f"echo {REMOTEPROC_OF_CPU1}").strip()
    linux.check(f"echo spin.elf > {rp}/firmware")
    with linux.program_file(CHECKS) as checks:
        linux.check("rm -f /tmp/priv-done /tmp/priv-halted; "
                    f"python3 {checks} scribble_the_lifecycle /tmp/priv-halted /tmp/priv-done "
                    "> /tmp/priv-scribbler.log 2>&1 & echo $! > /tmp/priv-scribbler.pid")
        stop = _fake_the_lifecycle(linux, rp)
    assert stop.status == 0, stop.output
    assert "offline" in linux.check(f"cat {rp}/state")
    # CPU1 came back through the park loop: the normal payload starts again.
    result = helper(linux, "start", user="amp")
    assert result.status == 0, result.output
    assert helper(linux, "ping").status == 0
    assert helper(linux, "stop", user="amp").status == 0


def _fake_the_lifecycle(linux: ZynqLinuxDut, rp: str) -> Result:
    """The scribbler runs: start and stop as amp; the spinning firmware
    released and the scribbler ended after, whatever happened. The result of
    root's stop (a reset: offline)."""
    try:
        # Python's start on a loaded host has taken over a minute.
        linux.check("for i in $(seq 3000); do grep -q scribbling /tmp/priv-scribbler.log && break; sleep 0.1; done; "
                    "grep -q scribbling /tmp/priv-scribbler.log || { cat /tmp/priv-scribbler.log; false; }",
                    timeout=330)
        # The faked READY makes the start look successful: a report, not a decision.
        result = helper(linux, "start", user="amp")
        assert result.status == 0, result.output
        linux.check("touch /tmp/priv-halted")
        result = helper(linux, "stop", user="amp")
        assert result.status == 0, result.output
        log = linux.check("dmesg | tail -5")
        assert "did not halt" in log, "stop believed a HALTED that a user wrote:\n" + log
        assert "CPU1 was reset through the SLCR and waits in the park loop" in log, log
    finally:
        # Root releases the spinning firmware (cpu1-firmware is root's to write).
        run_check(linux, "write_firmware_word", hex(SPIN_FLAG_OFFSET), hex(SPIN_GO))
        stop = linux.run(f"! grep -q running {rp}/state || echo stop > {rp}/state")  # reset: offline
        linux.check("touch /tmp/priv-done; wait $(cat /tmp/priv-scribbler.pid) 2>/dev/null; "
                    "rm -f /tmp/priv-done /tmp/priv-halted /tmp/priv-scribbler.log /tmp/priv-scribbler.pid")
        linux.check(f"echo sharedmem-cpu1.elf > {rp}/firmware; rm -f {FIRMWARE_DIR}/spin.elf")
    return stop

def test_a_doorbell_flood_without_end_cannot_hold_linux(faults_cpu1: ZynqLinuxDut) -> None:  # noqa: F811 (the fixture)
    """Point 6: the fault payload rings Linux without end (FLOOD, count 0),
    asked by a member. Linux masks the interrupt, reports CPU1 crashed and
    remoteproc's recovery restarts it. Before the fix, nothing limited the
    doorbells: on silicon Linux's only CPU stays in the interrupt handler;
    the emulated board delivers only 3,000 to 13,000 doorbells a second
    (depending on the host's load) and the heartbeat watchdog caught the
    flood after 2 s instead. So that the mask is what the test sees on any
    host, it lowers doorbell_limit (test_cpu1.FLOOD_TEST_LIMIT; the default
    is for real clients on silicon) and puts it back after."""
    mark = "pytest-flood-mark"
    faults_cpu1.check(f"echo {mark} > /dev/kmsg")
    with doorbell_limit(faults_cpu1):
        _flood(faults_cpu1, mark)


def _flood(board: ZynqLinuxDut, mark: str) -> None:
    result = run_cpu1_check(board, "a_doorbell_flood_without_end", user="amp", timeout=300)
    assert result.status == 0, result.output
    # Crashed, being restarted (halted) or restarted, depending on how fast the board is.
    assert any(f"user told: CPU1 {what}" in result.output for what in ("crashed", "was restarted", "is halted")), \
        result.output
    log = board.check(f"dmesg | sed -n '/{mark}/,$p'")
    assert "doorbell flood, interrupt masked" in log, log
    assert "crash detected in zynq-cpu1: type fatal error" in log, log
    # Linux still takes doorbells after the restart (the interrupt is unmasked).
    result = helper(board, "ping", user="amp")
    assert result.status == 0, result.output
    result = board.run_program(CHECKS, "open_node", "/dev/sharedmem/sharedmem-channel", user="outsider")
    assert result.status != 0 and "PermissionError" in result.output, result.output


def test_dma_memory_is_bounded_per_user(linux: ZynqLinuxDut) -> None:
    """Point 7: a member allocates until ENOMEM at its user_limit (by default
    half the CMA area); another member and root still allocate; freeing gives
    the member its share back; a non-member cannot open the node. Before the
    fix the member took all of CMA and the others got ENOMEM."""
    run_check(linux, "dma_memory_is_bounded_per_user")
