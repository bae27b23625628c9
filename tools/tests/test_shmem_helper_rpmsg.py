# SPDX-License-Identifier: MIT
"""shmem_helper.rpmsg on a host: CPU1's RPMsg devices found through a fake
sysfs tree laid out as Linux 6.12's, echoed by fake ends (rpmsg_fake.py):
discovery, one message per send and recv, the 496-byte limit, the tty in
raw mode, and what users get when CPU1 stops under them."""

import errno
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import shmem_helper
from rpmsg_fake import FakeCpu1Rpmsg
from shmem_helper import rpmsg as R


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeCpu1Rpmsg]:
    board = FakeCpu1Rpmsg(tmp_path)
    yield board
    board.close()


def rpmsg(fake: FakeCpu1Rpmsg) -> shmem_helper.Rpmsg:
    return shmem_helper.Rpmsg(sysfs=fake.sys, dev=fake.dev, opener=fake.opener)


def test_cpu1s_devices_are_found_through_sysfs(fake: FakeCpu1Rpmsg) -> None:
    listed = rpmsg(fake).devices()
    devices = {d.channel: d for d in listed}
    assert len(listed) == 4, "another processor's device counted"
    assert set(devices) == {"rpmsg_ns", "rpmsg_ctrl", "rpmsg-tty", "rpmsg-raw"}
    raw = devices["rpmsg-raw"]
    assert (raw.src, raw.dst, raw.driver, raw.kind) == (0x401, 0x401, "rpmsg_chrdev", "char")
    assert raw.node == str(fake.dev / "rpmsg0")
    assert raw.sysfs == str(fake.sys / "bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025")
    tty = devices["rpmsg-tty"]
    assert (tty.node, tty.kind, tty.driver, tty.dst) == (str(fake.dev / "ttyRPMSG0"), "tty", "rpmsg_tty", 0x400)
    assert (devices["rpmsg_ctrl"].node, devices["rpmsg_ctrl"].kind) == (str(fake.dev / "rpmsg_ctrl0"), "ctrl")
    assert (devices["rpmsg_ns"].node, devices["rpmsg_ns"].kind) == (None, None)


def test_nodes_come_from_sysfs_not_from_guessed_names(tmp_path: Path) -> None:
    board = FakeCpu1Rpmsg(tmp_path, raw_index=3, tty_index=2)
    try:
        found = rpmsg(board)
        assert found.device("rpmsg-raw").node == str(board.dev / "rpmsg3")
        assert found.device("rpmsg-tty").node == str(board.dev / "ttyRPMSG2")
        # A node of that name that is another device (a stale node, say) is not the device's.
        (board.dev / "rpmsg3").unlink()
        (board.dev / "rpmsg3").symlink_to("/dev/null")
        assert {d.channel: d.node for d in found.devices()}["rpmsg-raw"] is None
        with pytest.raises(shmem_helper.NotFound, match="'rpmsg-raw' has no device node.*rpmsg_chrdev"):
            found.device("rpmsg-raw")
    finally:
        board.close()


def test_messages_of_1_100_and_496_bytes_come_back_one_by_one(fake: FakeCpu1Rpmsg) -> None:
    with rpmsg(fake).open("rpmsg-raw") as endpoint:
        for size in (1, 100, 496):
            data = os.urandom(size)
            assert endpoint.echo(data, timeout=5) == data
        # Message boundaries: two sends, two receives.
        endpoint.send(b"first")
        endpoint.send(b"second")
        assert (endpoint.recv(5), endpoint.recv(5)) == (b"first", b"second")
    assert fake.messages == 5


def test_a_message_over_496_bytes_is_refused_before_anything_is_sent(fake: FakeCpu1Rpmsg) -> None:
    with rpmsg(fake).open() as endpoint:
        with pytest.raises(shmem_helper.MessageTooLarge, match="497 bytes.*at most 496.*nothing was sent") as e:
            endpoint.send(b"x" * 497)
        assert isinstance(e.value, ValueError) and e.value.errno == errno.EMSGSIZE
        assert endpoint.echo(b"next") == b"next", "the refused message reached CPU1"
    assert fake.messages == 1
    assert shmem_helper.RPMSG_MTU == R.RpmsgEndpoint.mtu == 496


def test_recv_times_out_with_an_error_that_says_where(tmp_path: Path) -> None:
    board = FakeCpu1Rpmsg(tmp_path, echo=False)
    try:
        with rpmsg(board).open() as endpoint:
            endpoint.send(b"unanswered")
            with pytest.raises(shmem_helper.Timeout, match="rpmsg0: receiving: nothing from CPU1") as e:
                endpoint.recv(timeout=0.05)
            assert isinstance(e.value, TimeoutError)
    finally:
        board.close()


def test_the_tty_is_raw_and_takes_more_than_one_message(fake: FakeCpu1Rpmsg) -> None:
    with rpmsg(fake).open_tty() as tty:
        # No echo, no CR/LF translation, no signals, no flow control: bytes as written.
        text = b"hello\r\nworld\n\x03\x11\x13\x7f"
        assert tty.echo(text, timeout=5) == text
        big = os.urandom(2000)  # rpmsg_tty cuts it into messages of at most 496 bytes
        assert tty.echo(big, timeout=5) == big


def test_stop_takes_the_devices_away_and_users_get_errors(fake: FakeCpu1Rpmsg) -> None:
    found = rpmsg(fake)
    endpoint = found.open()
    tty = found.open_tty()
    try:
        fake.stop()
        for call in (lambda: endpoint.recv(5), lambda: endpoint.send(b"x"), lambda: tty.read(timeout=5),
                     lambda: tty.write(b"x")):
            with pytest.raises(shmem_helper.RpmsgDeviceGone, match="went away.*remoteproc says CPU1 is offline"):
                call()
        assert issubclass(shmem_helper.RpmsgDeviceGone, shmem_helper.Cpu1NotRunning)
        assert found.devices() == []
        with pytest.raises(shmem_helper.Cpu1NotRunning, match="CPU1 is offline.*shmem-helper start"):
            found.open("rpmsg-raw")
    finally:
        endpoint.close()
        tty.close()


def test_a_reader_blocked_when_cpu1_stops_gets_an_error_not_a_hang(fake: FakeCpu1Rpmsg) -> None:
    got: list[BaseException] = []
    with rpmsg(fake).open() as endpoint:
        started = threading.Event()

        def reader() -> None:
            started.set()
            try:
                endpoint.recv(timeout=60)
            except BaseException as e:  # noqa: BLE001 - the test looks at it
                got.append(e)

        thread = threading.Thread(target=reader)
        thread.start()
        started.wait(10)
        fake.stop("crashed")
        thread.join(30)
        assert not thread.is_alive(), "the reader still waits"
    assert len(got) == 1 and isinstance(got[0], shmem_helper.RpmsgDeviceGone), got
    assert "CPU1 is crashed" in str(got[0])


def test_open_waits_for_cpu1s_announcement(fake: FakeCpu1Rpmsg, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = fake.sys / "bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025"
    target = os.readlink(raw)
    raw.unlink()  # not announced yet
    scans = []

    def announce_on_the_first_wait(seconds: float) -> None:
        scans.append(seconds)
        if not raw.is_symlink():
            raw.symlink_to(target)

    monkeypatch.setattr(time, "sleep", announce_on_the_first_wait)
    with rpmsg(fake).open("rpmsg-raw", timeout=5) as endpoint:
        assert endpoint.echo(b"late") == b"late"
    assert len(scans) == 1


def test_a_running_cpu1_without_the_channel_is_not_found(fake: FakeCpu1Rpmsg) -> None:
    (fake.sys / "bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025").unlink()
    with pytest.raises(shmem_helper.NotFound, match="runs sharedmem-cpu1.elf but announced no RPMsg channel "
                       r"'rpmsg-raw' within 0 s \(announced: 'rpmsg-tty', 'rpmsg_ctrl', 'rpmsg_ns'\)"):
        rpmsg(fake).open("rpmsg-raw", timeout=0)
    with pytest.raises(shmem_helper.InvalidArgument, match="is a tty.*open_tty"):
        rpmsg(fake).open("rpmsg-tty")
    with pytest.raises(shmem_helper.InvalidArgument, match="is a ctrl.*not a tty"):
        rpmsg(fake).open_tty("rpmsg_ctrl")


def test_an_address_that_is_not_one_is_an_error(fake: FakeCpu1Rpmsg) -> None:
    (fake.sys / "bus/rpmsg/devices/virtio0.rpmsg-raw.-1.1025/dst").write_text("1025\n")
    with pytest.raises(shmem_helper.Error, match="dst reads '1025', not an rpmsg address"):
        rpmsg(fake).devices()


@pytest.mark.parametrize(("number", "kind", "text"), [
    (errno.EBUSY, shmem_helper.Busy, "another process has it open"),
    (errno.EACCES, shmem_helper.PermissionDenied, "run as root"),
    (errno.ENETRESET, shmem_helper.RpmsgDeviceGone, "went away"),
    (errno.ENOENT, shmem_helper.NotFound, "no such node"),
    (errno.EMSGSIZE, shmem_helper.MessageTooLarge, "at most 496"),
    (errno.EINVAL, shmem_helper.Error, "Invalid argument; the kernel log"),
])
def test_open_errors_say_what_to_do(fake: FakeCpu1Rpmsg, number: int, kind: type[shmem_helper.Error],
                                   text: str) -> None:
    def refuse(path: str, flags: int) -> int:
        raise OSError(number, os.strerror(number))

    found = shmem_helper.Rpmsg(sysfs=fake.sys, dev=fake.dev, opener=refuse)
    with pytest.raises(kind, match=text) as e:
        found.open()
    assert e.value.errno == number and f"{fake.dev}/rpmsg0: opening failed" in str(e.value)


def test_a_node_removed_between_finding_and_opening_is_gone_once_cpu1_stopped(fake: FakeCpu1Rpmsg) -> None:
    node = rpmsg(fake).device("rpmsg-raw").node
    assert node is not None
    fake.stop()
    with pytest.raises(shmem_helper.RpmsgDeviceGone, match="opening failed: the RPMsg device went away"):
        shmem_helper.RpmsgEndpoint(node, cpu1=rpmsg(fake).cpu1)


def test_a_cpu1_whose_device_was_unbound_gives_errors_of_the_package(fake: FakeCpu1Rpmsg) -> None:
    """The module unloaded (or the device unbound) under open endpoints: CPU1's
    sysfs directory goes with its RPMsg devices; what users get says so."""
    found = rpmsg(fake)
    endpoint = found.open()
    node = endpoint.path
    try:
        fake.stop()
        shutil.rmtree(fake.rproc)
        for call in (found.cpu1.state, found.cpu1.firmware):
            with pytest.raises(shmem_helper.NotFound, match="is gone.*unloaded or its device unbound.*modprobe"):
                call()
        with pytest.raises(shmem_helper.RpmsgDeviceGone, match="CPU1's remoteproc is gone too"):
            endpoint.recv(5)
        with pytest.raises(shmem_helper.RpmsgDeviceGone, match="opening failed: the RPMsg device went away"):
            shmem_helper.RpmsgEndpoint(node, cpu1=found.cpu1)
    finally:
        endpoint.close()


def test_a_file_that_is_no_tty_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    with pytest.raises(shmem_helper.InvalidArgument, match="is not a tty"):
        shmem_helper.RpmsgTty(str(plain))


def test_a_closed_endpoint_says_so(fake: FakeCpu1Rpmsg) -> None:
    endpoint = rpmsg(fake).open()
    endpoint.close()
    endpoint.close()
    with pytest.raises(shmem_helper.InvalidArgument, match="is closed"):
        endpoint.send(b"x")
