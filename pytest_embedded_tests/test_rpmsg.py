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
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_cpu1 import SYSFS, helper
from .test_cpu1_faults import FAULTS_FIRMWARE

ROUNDTRIP = Path(__file__).parent / "target" / "rpmsg_roundtrip.py"
BOARD_ROUNDTRIP = "/tmp/rpmsg_roundtrip.py"
RPMSG_DEVICES = "/sys/bus/rpmsg/devices"
# Waits (bounded) until the payload's two channels have their nodes.
WAIT_FOR_NODES = (
    "for i in $(seq 300); do "
    "ls /dev/ttyRPMSG0 >/dev/null 2>&1 && grep -qx rpmsg-raw /sys/class/rpmsg/rpmsg[0-9]*/name 2>/dev/null && exit 0; "
    "sleep 0.1; done; exit 1"
)
# Waits (bounded) until CPU1's rpmsg devices are gone.
WAIT_FOR_NO_DEVICES = (
    f"for i in $(seq 300); do [ -z \"$(ls {RPMSG_DEVICES})\" ] && ! ls /dev/ttyRPMSG0 >/dev/null 2>&1 && exit 0; "
    "sleep 0.1; done; exit 1"
)


def rproc_state(linux) -> str:
    return linux.check(f"cat {SYSFS}/remoteproc*/state").strip()


def wait_for_nodes(linux) -> None:
    result = linux.run(f"sh -c '{WAIT_FOR_NODES}'", timeout=60)
    assert result.status == 0, linux.check(f"ls -l /dev/ttyRPMSG* /dev/rpmsg* {RPMSG_DEVICES}; dmesg | tail -20")


def roundtrip(linux, args: str, timeout: float = 300.0, user: str = "root") -> dict[str, object]:
    command = f"python3 {BOARD_ROUNDTRIP} {args}"
    if user != "root":
        command = f"su -s /bin/sh {user} -c '{command}'"
    result = linux.run(command + " 2>&1", timeout=timeout)
    lines = result.output.strip().splitlines()
    assert lines and lines[-1].startswith("{"), result.output
    summary: dict[str, object] = json.loads(lines[-1])
    summary["status"] = result.status
    return summary


@pytest.fixture
def rpmsg(linux) -> Iterator[object]:
    """CPU1 running the default payload, its RPMsg nodes there; CPU1 stopped
    after the test."""
    linux.put_file(BOARD_ROUNDTRIP, ROUNDTRIP.read_bytes())
    if rproc_state(linux) != "offline":
        assert helper(linux, "stop").status == 0
    result = helper(linux, "start")
    assert result.status == 0, result.output
    wait_for_nodes(linux)
    yield linux
    if rproc_state(linux) != "offline":
        result = helper(linux, "stop")
        assert result.status == 0, result.output
    linux.check(f"echo sharedmem-cpu1.elf > $(grep -l zynq-cpu1 {SYSFS}/remoteproc*/name | sed 's/name$/firmware/')")
    linux.run(f"rm -f {BOARD_ROUNDTRIP} /tmp/rpmsg-*.out /tmp/rpmsg-*.pid")


def test_the_payload_announces_both_channels(rpmsg):
    names = rpmsg.check(f"cat {RPMSG_DEVICES}/*/name").split()
    assert "rpmsg-tty" in names and "rpmsg-raw" in names, names
    drivers = rpmsg.check(f"for d in {RPMSG_DEVICES}/*; do basename $(readlink $d/driver); done").split()
    assert "rpmsg_tty" in drivers and "rpmsg_chrdev" in drivers, drivers


def test_text_written_to_ttyRPMSG0_comes_back(rpmsg):
    summary = roundtrip(rpmsg, "tty --sizes 1,5,100,496,1000 --count 3")
    assert summary["status"] == 0 and summary["messages"] == 15, summary


@pytest.mark.parametrize("size", [1, 100, 400, 496])
def test_messages_on_rpmsg_raw_come_back(rpmsg, size):
    summary = roundtrip(rpmsg, f"raw --sizes {size} --count 10 --window 4")
    assert summary["status"] == 0 and summary["messages"] == 10 and summary["corrupt"] == 0, summary


def test_a_message_over_496_bytes_is_refused_and_the_next_one_passes(rpmsg):
    summary = roundtrip(rpmsg, "raw --too-big --sizes 496 --count 2")
    assert summary["too_big"] == "EMSGSIZE", summary
    assert summary["status"] == 0 and summary["messages"] == 2, summary


def background(linux, args: str, name: str) -> None:
    """Start the round-trip program in the background, its output in /tmp."""
    linux.check(f"python3 {BOARD_ROUNDTRIP} {args} > /tmp/rpmsg-{name}.out 2>&1 & echo $! > /tmp/rpmsg-{name}.pid")


def running(linux, name: str) -> bool:
    return linux.run(f"kill -0 $(cat /tmp/rpmsg-{name}.pid) 2>/dev/null").status == 0


def summary_of(linux, name: str, timeout: float = 600.0) -> dict[str, object]:
    """The background program's JSON summary, once it wrote it (bounded wait)."""
    result = linux.run(f"for i in $(seq {int(timeout * 10)}); do tail -n 1 /tmp/rpmsg-{name}.out | grep -q '^{{' "
                       f"&& exit 0; sleep 0.1; done; exit 1", timeout=timeout + 30)
    assert result.status == 0, linux.check(f"cat /tmp/rpmsg-{name}.out")
    return json.loads(linux.check(f"tail -n 1 /tmp/rpmsg-{name}.out"))


def test_100000_messages_none_lost_while_the_channel_answers(rpmsg, repeat):
    pairs = repeat(50_000)  # one 64-byte and one 496-byte message each
    background(rpmsg, f"raw --sizes 64,496 --count {pairs} --window 32", "flow")
    # The channel answers meanwhile: five pings, each while the flow still runs.
    for _ in range(5):
        result = helper(rpmsg, "ping")
        assert result.status == 0 and "pong" in result.output, result.output
    assert running(rpmsg, "flow"), "the flow ended before the channel was asked: make it longer"
    summary = summary_of(rpmsg, "flow", timeout=3000)
    assert summary["messages"] == 2 * pairs and summary["lost"] == 0 and summary["corrupt"] == 0, summary


def test_group_members_get_the_payload_endpoints_and_others_do_not(rpmsg):
    summary = roundtrip(rpmsg, "raw --sizes 100 --count 2", user="amp")
    assert summary["status"] == 0 and summary["messages"] == 2, summary
    summary = roundtrip(rpmsg, "tty --sizes 100 --count 2", user="amp")
    assert summary["status"] == 0 and summary["messages"] == 2, summary
    outsider = rpmsg.run(f"su -s /bin/sh outsider -c 'python3 {BOARD_ROUNDTRIP} raw' 2>&1")
    assert outsider.status != 0 and "Permission denied" in outsider.output, outsider.output
    ctrl = rpmsg.check("stat -c '%U %G %a' /dev/rpmsg_ctrl0").split()
    assert ctrl == ["root", "root", "600"], ctrl


def blocked_readers(linux) -> None:
    """A reader blocked in read() on each node, their summaries in /tmp."""
    for channel in ("raw", "tty"):
        background(linux, f"{channel} --block-read", channel)
    result = linux.run("for i in $(seq 300); do [ $(grep -l blocked /tmp/rpmsg-*.out | wc -l) = 2 ] && exit 0; "
                       "sleep 0.1; done; exit 1")
    assert result.status == 0, linux.check("cat /tmp/rpmsg-*.out")


def reader_outcomes(linux) -> dict[str, dict[str, object]]:
    return {channel: summary_of(linux, channel, timeout=60) for channel in ("raw", "tty")}


def test_stop_takes_the_devices_away_and_blocked_readers_return(rpmsg):
    blocked_readers(rpmsg)
    result = helper(rpmsg, "stop")
    assert result.status == 0, result.output
    assert rpmsg.run(f"sh -c '{WAIT_FOR_NO_DEVICES}'", timeout=60).status == 0
    outcomes = reader_outcomes(rpmsg)
    # rpmsg_char: EPIPE once its endpoint is gone; rpmsg_tty: a hangup (end of file or EIO).
    assert outcomes["raw"]["read"] == "EPIPE", outcomes
    assert outcomes["tty"]["read"] in ("eof", "EIO"), outcomes
    result = helper(rpmsg, "start")
    assert result.status == 0, result.output
    wait_for_nodes(rpmsg)
    summary = roundtrip(rpmsg, "raw --sizes 100 --count 5")
    assert summary["status"] == 0 and summary["messages"] == 5, summary


@pytest.mark.parametrize("cycle", range(3))
def test_start_stop_cycles_bring_the_devices_back(rpmsg, cycle):
    for _ in range(2):
        assert helper(rpmsg, "stop").status == 0
        assert rpmsg.run(f"sh -c '{WAIT_FOR_NO_DEVICES}'", timeout=60).status == 0
        assert helper(rpmsg, "start").status == 0
        wait_for_nodes(rpmsg)
        summary = roundtrip(rpmsg, "tty --sizes 20 --count 2")
        assert summary["status"] == 0, summary


def test_a_crash_takes_the_devices_away_and_recovery_brings_them_back(rpmsg):
    """The faults payload stops its heartbeat (HANG): the driver reports the
    crash, remoteproc's recovery removes the virtio device (readers return)
    and restarts CPU1, and the payload announces its channels again."""
    assert helper(rpmsg, "stop").status == 0
    assert helper(rpmsg, f"start {FAULTS_FIRMWARE}").status == 0
    wait_for_nodes(rpmsg)
    blocked_readers(rpmsg)
    mark = f"pytest-rpmsg-crash-{os.getpid()}"
    rpmsg.check(f"echo {mark} > /dev/kmsg")
    result = rpmsg.run_python(
        "from shmem_helper import channel_layout as L\n"
        "from shmem_helper.link import ChannelLink\n"
        "with ChannelLink() as link:\n    link.channel.inject_fault(L.SHMEM_FAULT_HANG)\n"
    )
    assert result.status == 0, result.output
    outcomes = reader_outcomes(rpmsg)
    assert outcomes["raw"]["read"] == "EPIPE" and outcomes["tty"]["read"] in ("eof", "EIO"), outcomes
    wait_for_nodes(rpmsg)
    log = rpmsg.check(f"dmesg | sed -n '/{mark}/,$p'")
    assert "heartbeat stopped" in log and "recovering" in log.lower(), log
    summary = roundtrip(rpmsg, "raw --sizes 496 --count 5 --window 2")
    assert summary["status"] == 0 and summary["messages"] == 5, summary
