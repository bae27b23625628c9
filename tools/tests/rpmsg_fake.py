# SPDX-License-Identifier: MIT
"""A fake of CPU1's RPMsg devices on a host, for the shmem_helper.rpmsg tests:
a sysfs tree laid out as Linux 6.12 lays it out (remoteproc, the rpmsg bus,
the rpmsg and tty classes, see drivers/rpmsg/rpmsg_core.c, rpmsg_char.c,
drivers/tty/rpmsg_tty.c), a /dev whose nodes are real character devices,
and CPU1's echoing ends:

- rpmsg-raw (rpmsg_char): a SOCK_SEQPACKET socketpair, which keeps message
  boundaries as /dev/rpmsgN does; the node is a pseudo-terminal (a real
  character device whose major:minor the fake `dev` attribute names) and
  the opener hands out the socket in its place;
- rpmsg-tty (rpmsg_tty): a pseudo-terminal, a tty like /dev/ttyRPMSG0.

`stop()` does what CPU1's stop does to them: the devices leave sysfs and
/dev, CPU1's ends close, remoteproc says offline."""

import os
import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path

RPROC = "devices/soc0/axi/f8f00000.zynq-cpu1/remoteproc/remoteproc1"
OTHER_RPROC = "devices/soc0/axi/other-dsp/remoteproc/remoteproc0"


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target, link.parent))


def _attrs(directory: Path, **values: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, value in values.items():
        (directory / name).write_text(value + "\n")


class FakeCpu1Rpmsg:
    """The tree under `root` (root/sys, root/dev) with CPU1 running and its
    channels announced; `messages` counts what CPU1's raw end echoed."""

    def __init__(self, root: Path, *, echo: bool = True, raw_index: int = 0, tty_index: int = 0):
        self.sys = root / "sys"
        self.dev = root / "dev"
        self.dev.mkdir(parents=True)
        self.messages = 0
        self.echo = echo
        self._threads: list[threading.Thread] = []
        self._quit_r, self._quit_w = os.pipe()
        self.rproc = self.sys / RPROC
        _attrs(self.rproc, name="zynq-cpu1", state="running", firmware="sharedmem-cpu1.elf")
        _link(self.sys / "class/remoteproc/remoteproc1", self.rproc)
        other = self.sys / OTHER_RPROC
        _attrs(other, name="other-dsp", state="running", firmware="dsp.elf")
        _link(self.sys / "class/remoteproc/remoteproc0", other)
        for driver in ("rpmsg_chrdev", "rpmsg_tty", "rpmsg_ctrl", "rpmsg_ns"):
            (self.sys / "bus/rpmsg/drivers" / driver).mkdir(parents=True)
        (self.sys / "class/rpmsg").mkdir(parents=True)
        (self.sys / "class/tty").mkdir(parents=True)
        # A tty without a parent device, as /sys/class/tty/tty0 is.
        _attrs(self.sys / "devices/virtual/tty/tty0", uevent="MAJOR=4\nMINOR=0\nDEVNAME=tty0", dev="4:0")
        _link(self.sys / "class/tty/tty0", self.sys / "devices/virtual/tty/tty0")
        # CPU1's ends.
        self.raw_linux, self.raw_cpu1 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # The slave stays open, as the kernel holds its tty: a master whose
        # slave has no opener reads EIO, which would end the echo.
        self.tty_master, self._tty_slave = os.openpty()
        self.tty_path = os.ttyname(self._tty_slave)
        self.raw_pty_master, raw_slave = os.openpty()  # the rpmsg node's character device
        self.raw_path = os.ttyname(raw_slave)
        os.close(raw_slave)
        self.add_devices(raw_index, tty_index)
        # Another remote processor's rpmsg device: not CPU1's.
        _attrs(other / "rproc-virtio.1.auto/virtio1/virtio1.rpmsg-raw.-1.1025", name="rpmsg-raw", src="0x400",
               dst="0x401")
        _link(self.sys / "bus/rpmsg/devices/virtio1.rpmsg-raw.-1.1025",
              other / "rproc-virtio.1.auto/virtio1/virtio1.rpmsg-raw.-1.1025")
        if echo:
            self._start(self._echo_raw)
            self._start(self._echo_tty)

    def add_devices(self, raw_index: int, tty_index: int) -> None:
        """The four rpmsg devices virtio_rpmsg_bus creates for our payload
        (name service, ctrl, tty, raw), with their class devices and nodes."""
        vdev = self.rproc / "rproc-virtio.0.auto/virtio0"
        for name, src, dst, driver in (("rpmsg_ns", 0x35, 0x35, "rpmsg_ns"), ("rpmsg_ctrl", 0, 0, "rpmsg_ctrl"),
                                       ("rpmsg-tty", 0x400, 0x400, "rpmsg_tty"),
                                       ("rpmsg-raw", 0x401, 0x401, "rpmsg_chrdev")):
            # Named as rpmsg_register_device() names them: the src before a driver bound (-1).
            first_src = -1 if name.startswith("rpmsg-") else src
            device = vdev / f"virtio0.{name}.{first_src}.{dst}"
            _attrs(device, name=name, src=f"{src:#x}", dst=f"{dst:#x}", announce="false")
            _link(device / "driver", self.sys / "bus/rpmsg/drivers" / driver)
            _link(self.sys / "bus/rpmsg/devices" / device.name, device)
            if name == "rpmsg-raw":
                self._class_device(device, "rpmsg", f"rpmsg{raw_index}", self.raw_path)
            elif name == "rpmsg-tty":
                self._class_device(device, "tty", f"ttyRPMSG{tty_index}", self.tty_path)
            elif name == "rpmsg_ctrl":
                self._class_device(device, "rpmsg", "rpmsg_ctrl0", "/dev/null")

    def _class_device(self, parent: Path, cls: str, name: str, node: str) -> None:
        rdev = os.stat(node).st_rdev
        entry = parent / cls / name
        _attrs(entry, uevent=f"MAJOR={os.major(rdev)}\nMINOR={os.minor(rdev)}\nDEVNAME={name}",
               dev=f"{os.major(rdev)}:{os.minor(rdev)}")
        _link(entry / "device", parent)
        _link(self.sys / "class" / cls / name, entry)
        (self.dev / name).symlink_to(node)  # what udev makes: a node with that major:minor

    def opener(self, path: str, flags: int) -> int:
        """os.open, but the raw channel's node gives Linux's end of the socketpair."""
        if os.path.realpath(path) == self.raw_path:
            return os.dup(self.raw_linux.fileno())
        return os.open(path, flags)

    def _start(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _echo_raw(self) -> None:
        while True:
            try:
                data = self.raw_cpu1.recv(4096)
            except OSError:
                return
            if not data:
                return  # shut down (the fake sends no empty messages)
            self.messages += 1
            try:
                self.raw_cpu1.send(data)
            except OSError:
                return

    def _echo_tty(self) -> None:
        while True:
            ready, _, _ = select.select([self.tty_master, self._quit_r], [], [])
            if self._quit_r in ready:
                return
            try:
                data = os.read(self.tty_master, 4096)
            except OSError:
                return
            os.write(self.tty_master, data)

    def _join(self) -> None:
        """End the echo threads before their descriptors close (a thread
        blocked on a closed descriptor could read a reused one)."""
        if not self._threads:
            return
        os.write(self._quit_w, b"q")
        self.raw_cpu1.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(10)
            assert not thread.is_alive(), "an echo thread did not end"
        self._threads = []

    def stop(self, state: str = "offline") -> None:
        """CPU1 stops: its rpmsg devices leave, its ends close."""
        for entry in list((self.sys / "bus/rpmsg/devices").iterdir()):
            if entry.name.startswith("virtio0."):
                entry.unlink()
        for cls in ("rpmsg", "tty"):
            for entry in list((self.sys / "class" / cls).iterdir()):
                if entry.name != "tty0":
                    entry.unlink()
        for node in self.dev.iterdir():
            node.unlink()
        (self.rproc / "state").write_text(state + "\n")
        self._join()
        self.raw_cpu1.close()
        os.close(self.tty_master)
        os.close(self._tty_slave)
        self.tty_master = self._tty_slave = -1

    def close(self) -> None:
        self._join()
        for sock in (self.raw_linux, self.raw_cpu1):
            sock.close()
        for fd in (self.tty_master, self._tty_slave, self.raw_pty_master, self._quit_r, self._quit_w):
            if fd >= 0:
                os.close(fd)
        self.tty_master = self._tty_slave = self.raw_pty_master = self._quit_r = self._quit_w = -1
