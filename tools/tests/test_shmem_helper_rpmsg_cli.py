# SPDX-License-Identifier: MIT
"""`shmem-helper status` and `shmem-helper bench` with both transports, on a
host: the channel is the payload's own code as a host process (the channel
tests' harness), RPMsg the fake sysfs tree and echoing ends of
rpmsg_fake.py."""

import argparse
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import shmem_helper
from rpmsg_fake import FakeCpu1Rpmsg
from shmem_helper import bench, cli
from shmem_helper.channel import Channel

Capture = pytest.CaptureFixture[str]


class FakeLink:
    """A ChannelLink over the harness's channel (it outlives the command)."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.busy_poll = False

    def close(self) -> None:
        pass

    def __enter__(self) -> "FakeLink":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class StoppedLink:
    def __init__(self, path: str):
        raise shmem_helper.Cpu1NotRunning("CPU1 is offline (channel state offline); start it")


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeCpu1Rpmsg]:
    board = FakeCpu1Rpmsg(tmp_path / "board")
    yield board
    board.close()


@pytest.fixture
def board(fake: FakeCpu1Rpmsg, channel: Channel, monkeypatch: pytest.MonkeyPatch) -> FakeCpu1Rpmsg:
    """The command line pointed at the harness's channel and the fake RPMsg devices."""
    monkeypatch.setattr(cli, "Cpu1", lambda: shmem_helper.Cpu1(fake.sys / "class/remoteproc"))

    def rpmsg(cpu1: shmem_helper.Cpu1 | None = None) -> shmem_helper.Rpmsg:
        return shmem_helper.Rpmsg(cpu1, sysfs=fake.sys, dev=fake.dev, opener=fake.opener)

    def link(_: str | argparse.Namespace) -> FakeLink:
        return FakeLink(channel)

    monkeypatch.setattr(cli, "Rpmsg", rpmsg)
    monkeypatch.setattr(cli, "ChannelLink", link)
    monkeypatch.setattr(cli, "_link", link)
    return fake


def test_status_shows_the_channel_and_the_rpmsg_devices(board: FakeCpu1Rpmsg, capsys: Capture) -> None:
    assert cli.main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("CPU1: running (sharedmem-cpu1.elf); channel ready, heartbeat "), lines
    assert f"RPMsg channel rpmsg-raw: src 0x401 (Linux), dst 0x401 (CPU1), {board.dev}/rpmsg0 (rpmsg_chrdev)" in lines
    assert f"RPMsg channel rpmsg-tty: src 0x400 (Linux), dst 0x400 (CPU1), {board.dev}/ttyRPMSG0 (rpmsg_tty)" in lines
    assert "RPMsg channel rpmsg_ns: src 0x35 (Linux), dst 0x35 (CPU1), no node (rpmsg_ns)" in lines
    assert len(lines) == 5, lines

    assert cli.main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["state"] == "running" and status["channel"]["state"] == "ready"
    raw = next(d for d in status["rpmsg"]["devices"] if d["channel"] == "rpmsg-raw")
    assert raw == {"channel": "rpmsg-raw", "src": 0x401, "dst": 0x401, "driver": "rpmsg_chrdev",
                   "node": f"{board.dev}/rpmsg0", "kind": "char",
                   "sysfs": f"{board.sys}/bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025"}
    assert sorted(d["channel"] for d in status["rpmsg"]["devices"]) == ["rpmsg-raw", "rpmsg-tty", "rpmsg_ctrl",
                                                                       "rpmsg_ns"]


def test_status_of_a_stopped_cpu1_says_why_there_are_no_devices(board: FakeCpu1Rpmsg, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: Capture) -> None:
    board.stop()
    monkeypatch.setattr(cli, "ChannelLink", StoppedLink)
    assert cli.main(["status"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "CPU1: offline (sharedmem-cpu1.elf); channel: CPU1 is offline (channel state offline); start it",
        "RPMsg: no devices (CPU1 is offline)"]
    assert cli.main(["--json", "status"]) == 0
    assert json.loads(capsys.readouterr().out)["rpmsg"] == {"devices": []}


def test_status_of_a_running_cpu1_without_rpmsg_says_so(board: FakeCpu1Rpmsg, capsys: Capture) -> None:
    for entry in (board.sys / "bus/rpmsg/devices").iterdir():
        if entry.name.startswith("virtio0."):
            entry.unlink()
    assert cli.main(["status"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "RPMsg: no devices (none announced yet; a payload without an RPMsg device announces none)")


def test_a_name_cpu1_announced_is_shown_safely(board: FakeCpu1Rpmsg, capsys: Capture) -> None:
    name = board.sys / "bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025/name"
    name.write_text("evil\x1b[2J\n")
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "RPMsg channel 'evil\\x1b[2J': src 0x401" in out


def test_bench_puts_both_transports_side_by_side(board: FakeCpu1Rpmsg, capsys: Capture) -> None:
    assert cli.main(["bench", "--json", "--count", "12", "--messages", "40", "--window", "4", "--bulk",
                     "65536"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rpmsg_node"] == f"{board.dev}/rpmsg0" and "rpmsg_error" not in result
    for size in ("64", "496"):
        row = result["round_trip"][size]
        for transport in ("channel", "rpmsg"):
            assert row[transport]["n"] == 12 and 0 < row[transport]["p50_us"] <= row[transport]["p99_us"], row
        assert row["rpmsg_vs_channel_p50"] == float(f"{row['rpmsg']['p50_us'] / row['channel']['p50_us']:.3g}")
    assert result["round_trip"]["64"]["channel_busy_poll"]["n"] == 12
    put = result["throughput"]
    assert put["rpmsg"]["message_bytes"] == 496 and put["rpmsg"]["window"] == 4 and put["rpmsg"]["messages"] == 40
    assert put["channel"]["echo"]["message_bytes"] > 496  # the channel's largest ECHO: the ring's capacity
    assert put["channel"]["bulk_crc"]["bytes"] == 65536
    assert put["rpmsg_vs_channel_echo"] == float(f"{put['rpmsg']['MBps'] / put['channel']['echo']['MBps']:.3g}")
    assert put["rpmsg_vs_channel_bulk"] > 0
    # Every RPMsg message went to CPU1 and came back: 12 round trips of each size and 40 pipelined.
    assert board.messages == 12 * 2 + 40

    assert cli.main(["bench", "--count", "3", "--messages", "8", "--bulk", "4096"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["channel", "RPMsg", f"({board.dev}/rpmsg0)", "RPMsg/channel"]
    assert lines[1].startswith("64 B round trip, p50 / p99") and lines[1].endswith("x")
    assert lines[2].startswith("496 B round trip, p50 / p99")
    assert lines[3].startswith("throughput, largest messages") and "(496 B, 8 in flight)" in lines[3]
    assert lines[4].startswith("throughput, bulk area (CRC-32 by CPU1)")
    assert lines[5].startswith("channel alone: 64 B busy-polled")


def test_bench_without_an_rpmsg_channel_measures_the_channel_and_says_why(board: FakeCpu1Rpmsg,
                                                                         capsys: Capture) -> None:
    (board.sys / "bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025").unlink()
    assert cli.main(["bench", "--json", "--count", "3", "--messages", "8", "--bulk", "4096"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "announced no RPMsg channel 'rpmsg-raw'" in result["rpmsg_error"]
    assert result["rpmsg_node"] is None and result["throughput"]["rpmsg"] is None
    assert result["round_trip"]["64"]["rpmsg"] is None and result["round_trip"]["64"]["channel"]["n"] == 3
    assert board.messages == 0


@pytest.mark.parametrize(("number", "said"), [(errno.EBUSY, "another process has it open"),
                                             (errno.EACCES, "join group `sharedmem`")])
def test_bench_with_an_endpoint_it_cannot_open_measures_the_channel_and_says_why(
        board: FakeCpu1Rpmsg, monkeypatch: pytest.MonkeyPatch, capsys: Capture, number: int, said: str) -> None:
    def refuse(path: str, flags: int) -> int:
        raise OSError(number, os.strerror(number))

    def rpmsg(cpu1: shmem_helper.Cpu1 | None = None) -> shmem_helper.Rpmsg:
        return shmem_helper.Rpmsg(cpu1, sysfs=board.sys, dev=board.dev, opener=refuse)

    monkeypatch.setattr(cli, "Rpmsg", rpmsg)
    assert cli.main(["bench", "--json", "--count", "2", "--messages", "4", "--bulk", "4096"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert f"{board.dev}/rpmsg0: opening failed: " in result["rpmsg_error"] and said in result["rpmsg_error"]
    assert result["rpmsg_node"] is None and result["round_trip"]["496"]["channel"]["n"] == 2
    assert cli.main(["bench", "--count", "2", "--messages", "4", "--bulk", "4096"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("RPMsg not measured: ") and said in last, last
    assert board.messages == 0


def test_bench_of_one_round_trip_reports_it_as_every_percentile(board: FakeCpu1Rpmsg, capsys: Capture) -> None:
    """`--count 1` is a quick check that both transports answer: one sample is its own p50 and p99."""
    assert bench.percentiles([12.34]) == {"p50_us": 12.3, "p99_us": 12.3, "n": 1}
    assert bench.percentiles([1.0, 3.0]) == {"p50_us": 2.0, "p99_us": 3.0, "n": 2}
    assert cli.main(["bench", "--json", "--count", "1", "--messages", "4", "--bulk", "4096"]) == 0
    result = json.loads(capsys.readouterr().out)
    for size in ("64", "496"):
        for transport in ("channel", "rpmsg"):
            row = result["round_trip"][size][transport]
            assert row["n"] == 1 and 0 < row["p50_us"] == row["p99_us"], row
    assert board.messages == 2 + 4


def test_bench_refuses_a_window_of_nothing(board: FakeCpu1Rpmsg, capsys: Capture) -> None:
    assert cli.main(["bench", "--window", "0"]) == 2
    assert "must be at least 1" in capsys.readouterr().err
