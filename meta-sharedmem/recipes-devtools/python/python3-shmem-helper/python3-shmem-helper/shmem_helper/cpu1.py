# SPDX-License-Identifier: MIT
"""CPU1's lifecycle through the kernel's remoteproc framework.

The sharedmem module registers CPU1 as the remote processor `zynq-cpu1`;
this class drives it through /sys/class/remoteproc/remoteprocN/{firmware,state}
like any remoteproc user would (`echo start > state`). The sysfs root is
injectable so the class is testable on a host with a fake tree.
"""

import enum
import errno
import os
import time
from pathlib import Path

from .errors import GROUP_HINT, MODULE_HINT, Busy, Cpu1Crashed, Cpu1NotRunning, Error, NotFound, from_os_error

REMOTEPROC_NAME = "zynq-cpu1"
DEFAULT_FIRMWARE = "sharedmem-cpu1.elf"
SYSFS_REMOTEPROC = Path("/sys/class/remoteproc")
FIRMWARE_DIRS = (Path("/lib/firmware/updates"), Path("/lib/firmware"))
# Where the kernel's debugfs puts each remote processor's files (remoteproc_debugfs.c).
DEBUGFS_REMOTEPROC = Path("/sys/kernel/debug/remoteproc")
# The name this module's errors had before shmem_helper.Error.
Cpu1Error = Error


class RemoteprocState(enum.StrEnum):
    """remoteproc's state of CPU1 (the kernel's sysfs `state` attribute);
    compares equal to its text.

    Example::

        if Cpu1().state() is RemoteprocState.RUNNING: ...
    """

    OFFLINE = "offline"
    SUSPENDED = "suspended"
    RUNNING = "running"
    CRASHED = "crashed"
    DELETED = "deleted"
    ATTACHED = "attached"
    DETACHED = "detached"
    INVALID = "invalid"


class Cpu1:
    """CPU1 as the kernel's remote processor `zynq-cpu1`: its state, its
    firmware, start and stop. Raises NotFound when the module is not loaded.

    Example::

        cpu1 = Cpu1()
        cpu1.start()                     # returns once the payload is ready
        print(cpu1.state(), cpu1.firmware())
        cpu1.stop()
    """

    # How long start and stop wait for a recovery under way: remoteproc shows
    # "crashed" from a crash report until its recovery (a stop and a start,
    # each bounded by the driver's 2 s, plus a hard reset) is done, holding
    # the lock a write to `state` waits for; a debug kernel is several times
    # slower.
    recovery_wait = 30.0
    # Stops stop() writes at most (see there).
    MAX_STARTS = 8

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
        raise NotFound(f"CPU1 is not registered with remoteproc (no {REMOTEPROC_NAME} in {sysfs}): {MODULE_HINT}",
                       errno=errno.ENODEV)

    def _read(self, attribute: str) -> str:
        try:
            return (self.path / attribute).read_text().strip()
        except OSError as e:
            err = e.errno or errno.EIO
            if err in (errno.ENOENT, errno.ENODEV):
                raise NotFound(f"reading CPU1's {attribute} failed: {self.path} is gone (the sharedmem module was "
                               f"unloaded or its device unbound): {MODULE_HINT}", errno=err) from None
            raise from_os_error(e, f"reading CPU1's {attribute} ({self.path / attribute})") from None

    def _sysfs_write(self, attribute: str, value: str) -> None:
        # One write(2): a buffered file whose flush fails at close flushes
        # again when it is collected, and remoteproc would start CPU1 twice.
        fd = os.open(self.path / attribute, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, value.encode())
        finally:
            os.close(fd)

    def _write(self, attribute: str, value: str, doing: str) -> None:
        try:
            self._sysfs_write(attribute, value)
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
            elif err == errno.EINVAL and attribute == "state":
                hint = f"remoteproc refused `{value}` while CPU1 is {self.state()}; `shmem-helper status` says more"
            else:
                hint = f"{e.strerror or err}; the kernel log (dmesg) says why"
            raise from_os_error(e, doing, hint) from None

    def state(self) -> RemoteprocState:
        """remoteproc's state: offline, running, crashed, ...

        Example: ``Cpu1().state() == "running"``
        """
        text = self._read("state")
        try:
            return RemoteprocState(text)
        except ValueError:
            raise Error(f"remoteproc reports CPU1's state as {text!r}, unknown to this library; update "
                        "shmem-helper") from None

    def _settled_state(self) -> RemoteprocState:
        """The state, once a recovery under way has ended (bounded by
        recovery_wait): "crashed" with recovery enabled is transient."""
        deadline = time.monotonic() + self.recovery_wait
        state = self.state()
        while state == RemoteprocState.CRASHED and time.monotonic() < deadline and self._recovery() == "enabled":
            time.sleep(0.05)  # sysfs's state gives no notification to wait on
            state = self.state()
        return state

    def _recovery(self) -> str:
        try:
            return self._read("recovery")
        except OSError:
            return ""

    def firmware(self) -> str:
        """The ELF (under /lib/firmware) CPU1 runs, or runs next.

        Example: ``Cpu1().firmware()  # 'sharedmem-cpu1.elf'``
        """
        return self._read("firmware")

    def set_firmware(self, name: str) -> None:
        """Choose the ELF CPU1 runs next: a name under /lib/firmware (a path
        there is accepted too).

        Example: ``Cpu1().set_firmware("sharedmem-cpu1-faults.elf")``
        """
        for directory in self.firmware_dirs:
            if Path(name).is_absolute() and Path(name).parent == directory:
                name = Path(name).name
        if "/" in name or not any((d / name).is_file() for d in self.firmware_dirs):
            raise NotFound(f"no firmware {name!r} in {' or '.join(map(str, self.firmware_dirs))}: "
                           "remoteproc loads firmware from there; copy the ELF there first")
        if name == self.firmware():
            return  # root's choice already (members may not write `firmware`)
        if self.state() != RemoteprocState.OFFLINE:
            raise Busy(f"CPU1 is {self.state()}; stop it before changing its firmware (`shmem-helper stop`)")
        self._write("firmware", name, f"setting the firmware to {name}")

    def start(self, firmware: str | None = None) -> None:
        """Load the firmware into the cpu1-firmware region and start CPU1;
        returns once the payload reports ready (the kernel waits for it) and
        remoteproc says it runs. Cpu1Crashed if CPU1 crashed and was not
        recovered: remoteproc starts it again only through a recovery (one
        under way is waited for, up to recovery_wait seconds).

        Example: ``Cpu1().start()`` (the current firmware)
        """
        if firmware is not None:
            self.set_firmware(firmware)
        state = self._settled_state()
        if state == RemoteprocState.RUNNING:
            raise Busy(f"CPU1 already runs {self.firmware()}; `shmem-helper stop` first")
        if state == RemoteprocState.CRASHED:
            # remoteproc would count one more user and boot nothing (rproc_boot).
            raise self._crashed("starting CPU1")
        self._write("state", "start", f"starting CPU1 with {self.firmware()}")
        state = self._settled_state()
        if state == RemoteprocState.CRASHED:
            raise self._crashed(f"starting CPU1 with {self.firmware()}")
        if state != RemoteprocState.RUNNING:
            raise Cpu1NotRunning(f"starting CPU1 with {self.firmware()} failed: remoteproc took the start but says "
                                 f"CPU1 is {state}; the kernel log (dmesg) says why, then `shmem-helper start` again")

    def stop(self) -> bool:
        """Halt the payload back into the BootROM park loop. Returns False,
        doing nothing, if CPU1 was stopped already (offline), so teardown
        code can call it unconditionally. Cpu1Crashed if CPU1 crashed and
        was not recovered: remoteproc stops only a running CPU1 (a recovery
        under way is waited for, up to recovery_wait seconds).

        remoteproc counts starts (rproc->power) and stops CPU1 at the last
        stop; a `start` written while CPU1 ran counted one more (Linux 6.12
        checks no state for it, and one that raced a recovery, which shows
        "offline" between its stop and its start, cannot tell). CPU1 has no
        users in the kernel, so stop writes `stop` until CPU1 is offline, at
        most MAX_STARTS times.

        Example: ``if not Cpu1().stop(): print("CPU1 was already stopped")``
        """
        state = self._settled_state()
        if state == RemoteprocState.OFFLINE:
            return False
        for _ in range(self.MAX_STARTS):
            if state == RemoteprocState.CRASHED:
                raise self._crashed("stopping CPU1")  # remoteproc stops only a running CPU1 (rproc_shutdown)
            self._write("state", "stop", "stopping CPU1")
            state = self._settled_state()
            if state not in (RemoteprocState.RUNNING, RemoteprocState.ATTACHED):
                return True
        raise Busy(f"stopping CPU1 failed: remoteproc still says {state} after {self.MAX_STARTS} stops (another user "
                   "of CPU1 in the kernel?); the kernel log (dmesg) says more")

    def _crashed(self, doing: str) -> Cpu1Crashed:
        """The error for a CPU1 that remoteproc holds crashed: what to do."""
        recovery = self._recovery()
        why = {"disabled": "its recovery is disabled",
               "enabled": f"its recovery failed, or took more than {self.recovery_wait:g} s"}.get(
                   recovery, "its recovery is off or failed")
        debugfs = DEBUGFS_REMOTEPROC / self.path.name / "recovery"
        return Cpu1Crashed(f"{doing} failed: CPU1 crashed and was not recovered ({why}; the kernel log, dmesg, says "
                           f"why). As root, recover it (`echo recover > {self.path / 'recovery'}`, or into "
                           f"{debugfs}) or reload the module (`rmmod sharedmem && modprobe sharedmem`)")
