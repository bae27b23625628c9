# SPDX-License-Identifier: MIT
"""shmem-helper's RPMsg side on the board (issue 13): `status` shows both
transports, `bench` measures both in one run, and the library
(shmem_helper.Rpmsg, target/shmem_helper_rpmsg_check.py) finds CPU1's
devices through sysfs, echoes on them, refuses a message over 496 bytes,
and gives a reader blocked when CPU1 stops an error instead of a hang."""

import json
from collections.abc import Iterator

import pytest

from pytest_embedded_tests.dut import TARGET, ZynqLinuxDut
from pytest_embedded_tests.test_cpu1 import SYSFS, helper

CHECK = TARGET / "shmem_helper_rpmsg_check.py"
# The node rpmsg_char gave the payload's rpmsg-raw channel, as sysfs says
# (the class device's `name` attribute is the channel's).
RAW_NODE = "for d in /sys/class/rpmsg/rpmsg[0-9]*; do [ \"$(cat $d/name)\" = rpmsg-raw ] && basename $d; done"


def state(linux: ZynqLinuxDut) -> str:
    return linux.check(f"cat {SYSFS}/remoteproc*/state").strip()


@pytest.fixture
def running(linux: ZynqLinuxDut) -> Iterator[ZynqLinuxDut]:
    """CPU1 running the default payload with its channels announced; stopped after."""
    if state(linux) != "offline":
        assert helper(linux, "stop").status == 0
    # The first start after boot imports the package afresh: on a host with
    # more QEMUs than cores that took 115 s once.
    result = helper(linux, "start", timeout=300)
    assert result.status == 0, result.output
    result = linux.run_program(CHECK, "wait", timeout=120)
    assert result.status == 0, result.output
    yield linux
    if state(linux) != "offline":
        result = helper(linux, "stop")
        assert result.status == 0, result.output


def test_status_shows_the_channel_and_the_rpmsg_devices(running: ZynqLinuxDut) -> None:
    result = helper(running, "status --json")
    assert result.status == 0, result.output
    status = json.loads(result.output)
    assert status["state"] == "running" and status["channel"]["state"] == "ready", status
    devices = {d["channel"]: d for d in status["rpmsg"]["devices"]}
    raw, tty = devices["rpmsg-raw"], devices["rpmsg-tty"]
    # The payload's addresses (dst: CPU1's), Linux's own (src), the kernel's nodes.
    assert (raw["dst"], raw["kind"], raw["driver"]) == (0x401, "char", "rpmsg_chrdev"), raw
    assert (tty["dst"], tty["kind"], tty["driver"]) == (0x400, "tty", "rpmsg_tty"), tty
    assert raw["node"] == "/dev/" + running.check(RAW_NODE).strip(), raw
    assert tty["node"].startswith("/dev/ttyRPMSG"), tty
    assert raw["src"] >= 0x400 and tty["src"] >= 0x400 and raw["src"] != tty["src"], devices
    for device in (raw, tty):
        sysfs = running.check(f"cat {device['sysfs']}/name {device['sysfs']}/src {device['sysfs']}/dst").split()
        assert sysfs == [device["channel"], f"{device['src']:#x}", f"{device['dst']:#x}"], (sysfs, device)

    text = helper(running, "status")
    assert text.status == 0, text.output
    assert text.output.startswith("CPU1: running (sharedmem-cpu1.elf); channel ready"), text.output
    assert (f"RPMsg channel rpmsg-raw: src {raw['src']:#x} (Linux), dst 0x401 (CPU1), {raw['node']} (rpmsg_chrdev)"
            in text.output), text.output
    assert f"RPMsg channel rpmsg-tty: src {tty['src']:#x} (Linux), dst 0x400 (CPU1), {tty['node']}" in text.output


def test_status_of_a_stopped_cpu1_has_no_rpmsg_devices(running: ZynqLinuxDut) -> None:
    assert helper(running, "stop").status == 0
    status = json.loads(helper(running, "status --json").output)
    assert status["state"] == "offline" and status["rpmsg"] == {"devices": []}, status
    assert "RPMsg: no devices (CPU1 is offline)" in helper(running, "status").output


def test_the_library_finds_echoes_and_survives_a_stop(running: ZynqLinuxDut) -> None:
    # As a member of group sharedmem: the nodes and CPU1's start/stop are the group's.
    result = running.run_program(CHECK, "check", user="amp", timeout=600)
    assert result.status == 0, result.output
    seen = json.loads(result.output.strip().splitlines()[-1])
    assert seen["devices"]["rpmsg-raw"]["kind"] == "char" and seen["devices"]["rpmsg-tty"]["kind"] == "tty", seen
    assert seen["echoed"] == [1, 100, 496], seen
    assert seen["too_big"] == "MessageTooLarge" and seen["after_too_big"] is True, seen
    assert seen["tty_echo"] is True, seen
    gone = seen["stopped_under_reader"]
    assert gone["returned"] is True and gone["error"] == "RpmsgDeviceGone" and gone["is_cpu1_not_running"], gone
    assert "went away" in gone["message"], gone
    assert seen["devices_when_stopped"] == [], seen
    assert "CPU1 is offline" in seen["open_when_stopped"], seen
    assert seen["after_restart"]["echo"] is True, seen


def test_bench_compares_both_transports_in_one_run(running: ZynqLinuxDut) -> None:
    result = helper(running, "bench --json --count 30 --messages 300 --window 8 --bulk 1048576", timeout=900)
    assert result.status == 0, result.output
    bench = json.loads(result.output)
    assert "rpmsg_error" not in bench and bench["rpmsg_node"].startswith("/dev/rpmsg"), bench
    for size in ("64", "496"):
        row = bench["round_trip"][size]
        assert row["channel"]["n"] == row["rpmsg"]["n"] == 30, row
        assert row["rpmsg_vs_channel_p50"] > 0, row
    put = bench["throughput"]
    assert put["rpmsg"] == {**put["rpmsg"], "message_bytes": 496, "window": 8, "messages": 300}, put
    assert put["rpmsg"]["MBps"] > 0 and put["channel"]["echo"]["MBps"] > 0 and put["rpmsg_vs_channel_echo"] > 0, put
    assert put["channel"]["echo"]["message_bytes"] > 496, put

    text = helper(running, "bench --count 5 --messages 40 --bulk 65536", timeout=600)
    assert text.status == 0, text.output
    lines = text.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["channel", "RPMsg"])
    assert lines[header + 1].startswith("64 B round trip") and lines[header + 2].startswith("496 B round trip")
    assert "496 B, 8 in flight" in lines[header + 3], lines
