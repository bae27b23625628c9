# SPDX-License-Identifier: MIT
"""CPU1's lifecycle through the kernel's remoteproc framework.

The sharedmem module registers CPU1 as the remote processor `zynq-cpu1`;
this class drives it through /sys/class/remoteproc/remoteprocN/{firmware,state}
like any remoteproc user would (`echo start > state`). The sysfs root is
injectable so the class is testable on a host with a fake tree.
"""

import errno
import os
from pathlib import Path

REMOTEPROC_NAME = "zynq-cpu1"
DEFAULT_FIRMWARE = "sharedmem-cpu1.elf"
SYSFS_REMOTEPROC = Path("/sys/class/remoteproc")
FIRMWARE_DIRS = (Path("/lib/firmware/updates"), Path("/lib/firmware"))
GROUP_HINT = "join group `sharedmem` (`adduser $USER sharedmem`, then log in again) or run as root"


class Cpu1Error(OSError):
    """Starting, stopping or finding CPU1 failed; str() says what to do."""

    def __init__(self, err: int, message: str):
        super().__init__(err, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Cpu1:
    def __init__(self, sysfs: Path = SYSFS_REMOTEPROC, firmware_dirs: tuple[Path, ...] = FIRMWARE_DIRS):
        self.firmware_dirs = firmware_dirs
        self.path = self._find(sysfs)

    @staticmethod
    def _find(sysfs: Path) -> Path:
        try:
            instances = sorted(sysfs.iterdir())
        except OSError:
            instances = []
        for instance in instances:
            try:
                if (instance / "name").read_text().strip() == REMOTEPROC_NAME:
                    return instance
            except OSError:
                continue
        raise Cpu1Error(errno.ENODEV, f"CPU1 is not registered with remoteproc (no {REMOTEPROC_NAME} in {sysfs}): "
                        "load the kernel module (`modprobe sharedmem`) on a board whose device tree has the "
                        "`meta-sharedmem,zynq-amp` node")

    def _read(self, attribute: str) -> str:
        return (self.path / attribute).read_text().strip()

    def _write(self, attribute: str, value: str, doing: str) -> None:
        try:
            with open(self.path / attribute, "w") as f:
                f.write(value)
        except OSError as e:
            err = e.errno or errno.EIO
            if err in (errno.EACCES, errno.EPERM) and attribute == "firmware":
                hint = "which firmware CPU1 runs is root's choice; start the current one without naming it, or ask root"
            elif err in (errno.EACCES, errno.EPERM):
                hint = GROUP_HINT
            elif err == errno.EBUSY:
                hint = f"CPU1 is {self.state()}; stop it first (`shmem-helper stop`)"
            elif err == errno.ETIMEDOUT:
                hint = "the payload did not answer in time; the kernel log (dmesg) says why"
            elif err == errno.ENOENT:
                hint = f"no firmware {self.firmware()!r} in {' or '.join(map(str, self.firmware_dirs))}"
            else:
                hint = f"{os.strerror(err)}; the kernel log (dmesg) says why"
            raise Cpu1Error(err, f"{doing} failed: {hint}") from None

    def state(self) -> str:
        """remoteproc's state: offline, running, crashed, ..."""
        return self._read("state")

    def firmware(self) -> str:
        return self._read("firmware")

    def set_firmware(self, name: str) -> None:
        """Choose the ELF CPU1 runs next: a name under /lib/firmware (a path
        there is accepted too)."""
        for directory in self.firmware_dirs:
            if Path(name).is_absolute() and Path(name).parent == directory:
                name = Path(name).name
        if "/" in name or not any((d / name).is_file() for d in self.firmware_dirs):
            raise Cpu1Error(errno.ENOENT, f"no firmware {name!r} in {' or '.join(map(str, self.firmware_dirs))}: "
                            "remoteproc loads firmware from there; copy the ELF there first")
        if name == self.firmware():
            return  # root's choice already (members may not write `firmware`)
        if self.state() != "offline":
            raise Cpu1Error(errno.EBUSY, f"CPU1 is {self.state()}; stop it before changing its firmware")
        self._write("firmware", name, f"setting the firmware to {name}")

    def start(self, firmware: str | None = None) -> None:
        """Load the firmware into the cpu1-firmware region and start CPU1;
        returns once the payload reports ready (the kernel waits for it)."""
        if firmware is not None:
            self.set_firmware(firmware)
        state = self.state()
        if state == "running":
            raise Cpu1Error(errno.EBUSY, f"CPU1 already runs {self.firmware()}; `shmem-helper stop` first")
        self._write("state", "start", f"starting CPU1 with {self.firmware()}")

    def stop(self) -> None:
        """Halt the payload back into the BootROM park loop."""
        if self.state() == "offline":
            raise Cpu1Error(errno.EALREADY, "CPU1 is not running (state offline); start it with `shmem-helper start`")
        self._write("state", "stop", "stopping CPU1")
