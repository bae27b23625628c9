# SPDX-License-Identifier: MIT
"""RPMsg on a mainline kernel (issue 13), on the board: after `shmem-helper
start`, the payload's name service gives /dev/ttyRPMSG0 (rpmsg_tty) and
/dev/rpmsgN (rpmsg_char), both echo, 100,000 messages come back while the
channel answers too, the devices go away with CPU1 and come back with it,
and a reader blocked in read() gets an error or end of file, not a hang.

The on-board side is target/rpmsg_roundtrip.py; its JSON summary is the
result."""

import json
import os
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from zynqsim.shell import program_command

from .dut import TARGET, ZynqLinuxDut
from .test_cpu1 import SYSFS, helper
from .test_cpu1_faults import FAULTS_FIRMWARE

ROUNDTRIP = TARGET / "rpmsg_roundtrip.py"
CPU1_CHECKS = TARGET / "cpu1_checks.py"
RPMSG_DEVICES = "/sys/bus/rpmsg/devices"
# The payload's two channels have their nodes.
NODES_THERE = "ls /dev/ttyRPMSG0 >/dev/null 2>&1 && grep -qx rpmsg-raw /sys/class/rpmsg/rpmsg[0-9]*/name 2>/dev/null"
# CPU1's rpmsg devices are gone.
NO_DEVICES = f'[ -z "$(ls {RPMSG_DEVICES})" ] && ! ls /dev/ttyRPMSG0 >/dev/null 2>&1'


def wait_on_board(linux: ZynqLinuxDut, condition: str, timeout: float) -> bool:
    """Whether the shell `condition` came true within `timeout` seconds,
    looked at every 0.1 s on the board, in a shell of its own (an `exit` in
    the console's shell would log it out)."""
    loop = f"for i in $(seq {int(timeout * 10)}); do {condition} && exit 0; sleep 0.1; done; exit 1"
    return linux.run(f"sh -c {shlex.quote(loop)}", timeout=timeout + 30).status == 0


def rproc_state(linux: ZynqLinuxDut) -> str:
    return linux.check(f"cat {SYSFS}/remoteproc*/state").strip()


def wait_for_nodes(linux: ZynqLinuxDut) -> None:
    assert wait_on_board(linux, NODES_THERE, 60), linux.check(
        f"ls -l /dev/ttyRPMSG* /dev/rpmsg* {RPMSG_DEVICES}; dmesg | tail -20")


@dataclass
class RpmsgBoard:
    """The board with CPU1 running, and the round-trip program on it."""

    linux: ZynqLinuxDut
    program: str  # its path on the board

    def roundtrip(self, args: str, timeout: float = 300.0, user: str = "root") -> dict[str, Any]:
        """Run the program to its end: its JSON summary, and its exit status."""
        result = self.linux.run(program_command(self.program, ".py", args.split(), user) + " 2>&1", timeout)
        lines = result.output.strip().splitlines()
        assert lines and lines[-1].startswith("{"), result.output
        summary: dict[str, Any] = json.loads(lines[-1])
        summary["status"] = result.status
        return summary

    def background(self, args: str, name: str) -> None:
        """Start the program in the background, its output in /tmp/rpmsg-NAME.out."""
        self.linux.check(f"{program_command(self.program, '.py', args.split())} > /tmp/rpmsg-{name}.out 2>&1 "
                         f"& echo $! > /tmp/rpmsg-{name}.pid")

    def running(self, name: str) -> bool:
        return self.linux.run(f"kill -0 $(cat /tmp/rpmsg-{name}.pid) 2>/dev/null").status == 0

    def summary(self, name: str, timeout: float = 600.0) -> dict[str, Any]:
        """The background program's JSON summary, once it wrote it (bounded wait)."""
        # Until its last line is the JSON summary, or it ended without one.
        done = f"tail -n 1 /tmp/rpmsg-{name}.out | grep -q '^{{' || ! kill -0 $(cat /tmp/rpmsg-{name}.pid)"
        assert wait_on_board(self.linux, done, timeout), self.linux.check(f"cat /tmp/rpmsg-{name}.out")
        last = self.linux.check(f"tail -n 1 /tmp/rpmsg-{name}.out").strip()
        assert last.startswith("{"), self.linux.check(f"cat /tmp/rpmsg-{name}.out")
        summary: dict[str, Any] = json.loads(last)
        return summary

    def blocked_readers(self) -> None:
        """A reader blocked in read() on each node."""
        for channel in ("raw", "tty"):
            self.background(f"{channel} --block-read", channel)
        both = "[ $(grep -l blocked /tmp/rpmsg-raw.out /tmp/rpmsg-tty.out | wc -l) = 2 ]"
        assert wait_on_board(self.linux, both, 30), self.linux.check("cat /tmp/rpmsg-*.out")

    def reader_outcomes(self) -> dict[str, dict[str, Any]]:
        return {channel: self.summary(channel, timeout=60) for channel in ("raw", "tty")}

    def inject(self, kind: str, value: int = 0) -> None:
        """Ask the fault payload for SHMEM_FAULT_<kind> (target/cpu1_checks.py)."""
        result = self.linux.run_program(CPU1_CHECKS, "inject", kind, str(value))
        assert result.status == 0, result.output


@contextmanager
def cpu1_with_rpmsg(linux: ZynqLinuxDut, firmware: str) -> Iterator[RpmsgBoard]:
    """CPU1 running `firmware`, its RPMsg nodes there, the round-trip program
    on the board; afterwards CPU1 stopped, the default payload chosen and
    the program and its outputs removed."""
    if rproc_state(linux) != "offline":
        assert helper(linux, "stop").status == 0
    result = helper(linux, f"start {firmware}", timeout=300)  # the first start after boot: slow on a busy host
    assert result.status == 0, result.output
    try:
        wait_for_nodes(linux)
        with linux.program_file(ROUNDTRIP) as program:
            yield RpmsgBoard(linux, program)
    finally:
        linux.run("for p in /tmp/rpmsg-*.pid; do [ -e $p ] && kill $(cat $p) 2>/dev/null; done; "
                  "rm -f /tmp/rpmsg-*.out /tmp/rpmsg-*.pid")
        if rproc_state(linux) != "offline":
            result = helper(linux, "stop")
            assert result.status == 0, result.output
        linux.check(f"echo sharedmem-cpu1.elf > $(grep -l zynq-cpu1 {SYSFS}/remoteproc*/name "
                    "| sed 's/name$/firmware/')")


@pytest.fixture
def rpmsg(linux: ZynqLinuxDut) -> Iterator[RpmsgBoard]:
    """CPU1 running the default payload (see cpu1_with_rpmsg)."""
    with cpu1_with_rpmsg(linux, "sharedmem-cpu1.elf") as board:
        yield board


def test_the_payload_announces_both_channels(rpmsg: RpmsgBoard) -> None:
    names = rpmsg.linux.check(f"cat {RPMSG_DEVICES}/*/name").split()
    assert "rpmsg-tty" in names and "rpmsg-raw" in names, names
    drivers = rpmsg.linux.check(f"for d in {RPMSG_DEVICES}/*; do basename $(readlink $d/driver); done").split()
    assert "rpmsg_tty" in drivers and "rpmsg_chrdev" in drivers, drivers


def test_text_written_to_ttyRPMSG0_comes_back(rpmsg: RpmsgBoard) -> None:
    summary = rpmsg.roundtrip("tty --sizes 1,5,100,496,1000 --count 3")
    assert summary["status"] == 0 and summary["messages"] == 15, summary


@pytest.mark.parametrize("size", [1, 100, 400, 496])
def test_messages_on_rpmsg_raw_come_back(rpmsg: RpmsgBoard, size: int) -> None:
    summary = rpmsg.roundtrip(f"raw --sizes {size} --count 10 --window 4")
    assert summary["status"] == 0 and summary["messages"] == 10 and summary["corrupt"] == 0, summary


def test_a_message_over_496_bytes_is_refused_and_the_next_one_passes(rpmsg: RpmsgBoard) -> None:
    summary = rpmsg.roundtrip("raw --too-big --sizes 496 --count 2")
    assert summary["too_big"] == "EMSGSIZE", summary
    assert summary["status"] == 0 and summary["messages"] == 2, summary


def test_100000_messages_none_lost_while_the_channel_answers(rpmsg: RpmsgBoard, repeat: Callable[[int], int]) -> None:
    pairs = repeat(50_000)  # one 64-byte and one 496-byte message each
    rpmsg.background(f"raw --sizes 64,496 --count {pairs} --window 32", "flow")
    # The channel answers meanwhile: five pings, each while the flow still runs.
    for _ in range(5):
        result = helper(rpmsg.linux, "ping")
        assert result.status == 0 and "pong" in result.output, result.output
    assert rpmsg.running("flow"), "the flow ended before the channel was asked: make it longer"
    summary = rpmsg.summary("flow", timeout=1200)  # ~4 min on an idle host (450 messages/s)
    assert summary["messages"] == 2 * pairs and summary["lost"] == 0 and summary["corrupt"] == 0, summary


def test_group_members_get_the_payload_endpoints_and_others_do_not(rpmsg: RpmsgBoard) -> None:
    summary = rpmsg.roundtrip("raw --sizes 100 --count 2", user="amp")
    assert summary["status"] == 0 and summary["messages"] == 2, summary
    summary = rpmsg.roundtrip("tty --sizes 100 --count 2", user="amp")
    assert summary["status"] == 0 and summary["messages"] == 2, summary
    outsider = rpmsg.linux.run(program_command(rpmsg.program, ".py", ["raw"], "outsider") + " 2>&1")
    assert outsider.status != 0 and "Permission denied" in outsider.output, outsider.output
    ctrl = rpmsg.linux.check("stat -c '%u %g %a' /dev/rpmsg_ctrl0").split()  # busybox names no owner
    assert ctrl == ["0", "0", "600"], ctrl


def test_stop_takes_the_devices_away_and_blocked_readers_return(rpmsg: RpmsgBoard) -> None:
    rpmsg.blocked_readers()
    result = helper(rpmsg.linux, "stop")
    assert result.status == 0, result.output
    assert wait_on_board(rpmsg.linux, NO_DEVICES, 60)
    outcomes = rpmsg.reader_outcomes()
    # rpmsg_char: EPIPE once its endpoint is gone; rpmsg_tty: a hangup (end of file or EIO).
    assert outcomes["raw"]["read"] == "EPIPE", outcomes
    assert outcomes["tty"]["read"] in ("eof", "EIO"), outcomes
    result = helper(rpmsg.linux, "start")
    assert result.status == 0, result.output
    wait_for_nodes(rpmsg.linux)
    summary = rpmsg.roundtrip("raw --sizes 100 --count 5")
    assert summary["status"] == 0 and summary["messages"] == 5, summary


@pytest.mark.parametrize("cycle", range(3))
def test_start_stop_cycles_bring_the_devices_back(rpmsg: RpmsgBoard, cycle: int) -> None:
    for _ in range(2):
        assert helper(rpmsg.linux, "stop").status == 0
        assert wait_on_board(rpmsg.linux, NO_DEVICES, 60)
        assert helper(rpmsg.linux, "start").status == 0
        wait_for_nodes(rpmsg.linux)
        summary = rpmsg.roundtrip("tty --sizes 20 --count 2")
        assert summary["status"] == 0, summary


def test_a_crash_takes_the_devices_away_and_recovery_brings_them_back(linux: ZynqLinuxDut) -> None:
    """The faults payload stops its heartbeat (HANG): the driver reports the
    crash, remoteproc's recovery removes the virtio device (readers return)
    and restarts CPU1, and the payload announces its channels again."""
    with cpu1_with_rpmsg(linux, FAULTS_FIRMWARE) as rpmsg:
        rpmsg.blocked_readers()
        mark = f"pytest-rpmsg-crash-{os.getpid()}"
        linux.check(f"echo {mark} > /dev/kmsg")
        rpmsg.inject("HANG")
        outcomes = rpmsg.reader_outcomes()
        assert outcomes["raw"]["read"] == "EPIPE" and outcomes["tty"]["read"] in ("eof", "EIO"), outcomes
        wait_for_recovery(linux, mark)
        log = linux.check(f"dmesg | sed -n '/{mark}/,$p'")
        assert "heartbeat stopped" in log and "recovering zynq-cpu1" in log, log
        summary = rpmsg.roundtrip("raw --sizes 496 --count 5 --window 2")
        assert summary["status"] == 0 and summary["messages"] == 5, summary


def wait_for_recovery(linux: ZynqLinuxDut, mark: str) -> None:
    """remoteproc restarted CPU1 after `mark` was logged, and the payload's
    RPMsg nodes are back (bounded waits)."""
    up = f"dmesg | sed -n '/{mark}/,$p' | grep -q 'zynq-cpu1 is now up'"
    assert wait_on_board(linux, up, 120), linux.check(f"dmesg | sed -n '/{mark}/,$p'")
    wait_for_nodes(linux)


@pytest.mark.silicon
def test_rpmsg_at_full_speed_stays_inside_the_doorbell_budget(rpmsg: RpmsgBoard) -> None:
    """On silicon, one message at a time, as fast as it goes: the payload rings
    once per pass, so the doorbell rate is the round-trip rate, which a
    667 MHz Cortex-A9 may push to 50,000 a second, half doorbell_limit's
    default (the driver's README, "RPMsg: CPU1's virtio device"). The run
    must end without the flood report: the image's limit has to be above
    what RPMsg really does."""
    mark = f"pytest-rpmsg-budget-{os.getpid()}"
    rpmsg.linux.check(f"echo {mark} > /dev/kmsg")
    summary = rpmsg.roundtrip("raw --sizes 64 --count 50000 --window 1", timeout=600)
    log = rpmsg.linux.check(f"dmesg | sed -n '/{mark}/,$p'")
    assert summary["status"] == 0 and summary["lost"] == 0, summary
    assert "doorbell flood" not in log, f"{summary['messages_per_s']} round trips/s tripped doorbell_limit:\n{log}"
