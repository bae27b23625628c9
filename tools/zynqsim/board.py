# SPDX-License-Identifier: MIT
"""Start, find and stop the emulated ZedBoard (QEMU 10, `xilinx-zynq-a9`).

Images are placed by QEMU's generic loader device, not `-kernel` (with two
cores the zynq machine's boot blobs overlap at 0). CPU0 starts in the entry
stub, which enters the zImage; CPU1 starts in the replica of the BootROM's
wait loop, where it stays until the sharedmem driver writes its mailbox.

QEMU is the board's own build (build.py's `qemu` step): Debian's QEMU with
CPU1's reset line modelled in the SLCR (board/qemu/*.patch), so that the
driver's hard reset of CPU1 works here as on silicon.

Serial ports: the first `-serial` is UART0 (0xE0000000, CPU1's log), the
second UART1 (0xE0001000), which is ttyPS0, the Linux console. Each is a TCP
server on 127.0.0.1 whose output is also logged to a file, so nothing is lost
while no client is connected.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import memory_map
from .build import Images
from .errors import SimError
from .paths import run_dir

QEMU_ENV = "SHAREDMEM_SIM_QEMU"  # another qemu-system-arm than the board's own
QEMU_MIN = (9, 1)  # first QEMU whose zynq machine has two cores
QEMU_INSTALL = ("install QEMU 10 from Debian's bookworm-backports suite: add "
                "'deb http://deb.debian.org/debian bookworm-backports main' to apt's sources, then "
                "`apt-get install -t bookworm-backports qemu-system-arm` (./tools/test does both)")
LOGIN_PROMPT = re.compile(rb"^\S+ login: ", re.MULTILINE)
# Seconds to the login prompt: the normal board takes ~5 s idle and ~30 s on
# a busy machine; the debug board (KASAN, kmemleak, ...) ~100 s idle.
BOOT_TIMEOUTS = {"normal": 180.0, "debug": 900.0}
BOOT_TIMEOUT = BOOT_TIMEOUTS["normal"]


@dataclass
class BoardState:
    """A running board, as recorded in `<run dir>/board.json`."""

    pid: int
    console_url: str
    cpu1_uart_url: str
    qmp_socket: str
    console_log: str
    cpu1_log: str
    qemu_log: str
    images: dict[str, str]
    started: float

    def describe(self) -> str:
        return (f"Linux console (ttyPS0): {self.console_url}\n"
                f"CPU1 UART0:             {self.cpu1_uart_url}\n"
                f"QMP:                    {self.qmp_socket}\n"
                f"console log:            {self.console_log}\n"
                f"QEMU pid:               {self.pid}")


def _state_file() -> Path:
    return run_dir() / "board.json"


def qemu_binary(images: Images | None = None) -> str:
    """$SHAREDMEM_SIM_QEMU, else the board's own build (the `qemu` step:
    CPU1's reset line modelled), else qemu-system-arm on PATH."""
    return os.environ.get(QEMU_ENV) or (images.qemu if images and images.qemu else "qemu-system-arm")


def qemu_version(images: Images | None = None) -> tuple[int, int, int]:
    qemu = qemu_binary(images)
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        raise SimError(f"{qemu} is not installed; {QEMU_INSTALL}") from None
    m = re.search(r"version (\d+)\.(\d+)\.(\d+)", out)
    if not m:
        raise SimError(f"cannot tell the version of {qemu} from {out.strip()!r}; {QEMU_INSTALL}")
    return int(m[1]), int(m[2]), int(m[3])


def check_qemu(images: Images | None = None) -> None:
    version = qemu_version(images)
    if version[:2] < QEMU_MIN:
        raise SimError(f"{qemu_binary(images)} {'.'.join(map(str, version))} is too old: the two-core Zynq needs "
                       f"QEMU {QEMU_MIN[0]}.{QEMU_MIN[1]} or later; {QEMU_INSTALL}")


def _is_our_qemu(pid: int, qmp_socket: str) -> bool:
    """True if `pid` is a QEMU that this run directory started (never trust a
    recycled pid: check its command line)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and cmdline[0].endswith(b"qemu-system-arm") and any(
        qmp_socket.encode() in arg for arg in cmdline)


def running() -> BoardState | None:
    """The board started from this cache, if it still runs."""
    try:
        state = BoardState(**json.loads(_state_file().read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not _is_our_qemu(state.pid, state.qmp_socket):
        _state_file().unlink(missing_ok=True)
        return None
    return state


def _free_ports(count: int) -> list[int]:
    """Ports that are free now on 127.0.0.1 (QEMU may still lose a race for
    them: `boot` retries with new ones if it does)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def qemu_argv(images: Images, ports: list[int], run: Path) -> list[str]:
    paths = [images.kernel, images.device_tree, images.initramfs, images.cpu0_entry, images.cpu1_park, str(run)]
    if any("," in p for p in paths):
        raise SimError(f"QEMU's option syntax cannot take a ',' in a path: move the cache (SHAREDMEM_SIM_CACHE) "
                       f"away from {run}")

    def serial(name: str, port: int, log: str) -> list[str]:
        return ["-chardev", f"socket,id={name},host=127.0.0.1,port={port},server=on,wait=off,"
                f"logfile={run / log},logappend=off", "-serial", f"chardev:{name}"]

    def raw(file: str, addr: int) -> list[str]:
        return ["-device", f"loader,file={file},addr={addr:#x},force-raw=on"]

    return [
        qemu_binary(images), "-M", "xilinx-zynq-a9", "-smp", "2", "-m", "512M",
        "-nodefaults", "-display", "none",
        *serial("uart0", ports[0], "cpu1-uart0.log"),
        *serial("uart1", ports[1], "console.log"),
        "-qmp", f"unix:{run / 'qmp.sock'},server=on,wait=off",
        *raw(images.kernel, memory_map.KERNEL),
        *raw(images.device_tree, memory_map.DTB),
        *raw(images.initramfs, memory_map.INITRD),
        "-device", f"loader,file={images.cpu0_entry},cpu-num=0",
        "-device", f"loader,file={images.cpu1_park},cpu-num=1",
    ]


def boot(images: Images, timeout: float | None = None) -> BoardState:
    """Start QEMU in the background; return once Linux shows its login prompt
    (within `timeout` seconds, by default the board variant's BOOT_TIMEOUTS)."""
    if timeout is None:
        timeout = BOOT_TIMEOUTS.get(images.variant, BOOT_TIMEOUT)
    other = running()
    if other:
        raise SimError("a board is already running; stop it first with `tools/sim stop`.\n" + other.describe())
    check_qemu(images)
    run = run_dir()
    run.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        for log in ("console.log", "cpu1-uart0.log", "qemu.log"):
            (run / log).unlink(missing_ok=True)
        ports = _free_ports(2)
        with open(run / "qemu.log", "wb") as qemu_log:
            proc = subprocess.Popen(qemu_argv(images, ports, run), stdin=subprocess.DEVNULL,
                                    stdout=qemu_log, stderr=subprocess.STDOUT, start_new_session=True)
        try:  # from here on, any failure must not leave QEMU behind
            state = BoardState(
                pid=proc.pid,
                console_url=f"socket://127.0.0.1:{ports[1]}",
                cpu1_uart_url=f"socket://127.0.0.1:{ports[0]}",
                qmp_socket=str(run / "qmp.sock"),
                console_log=str(run / "console.log"),
                cpu1_log=str(run / "cpu1-uart0.log"),
                qemu_log=str(run / "qemu.log"),
                images=images.identity(),
                started=time.time(),
            )
            tmp = _state_file().with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(state), indent=2) + "\n")
            tmp.replace(_state_file())
            _wait_for_login(proc, state, timeout)
            return state
        except _PortTaken:
            _state_file().unlink(missing_ok=True)
            if attempt == 2:
                raise SimError(f"QEMU could not listen on 127.0.0.1 ports {ports} (in use); "
                               f"see {run / 'qemu.log'}") from None
        except BaseException:
            _kill(proc.pid)
            _state_file().unlink(missing_ok=True)
            raise
    raise AssertionError("unreachable")


class _PortTaken(Exception):
    pass


def _wait_for_login(proc: subprocess.Popen[bytes], state: BoardState, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    console = Path(state.console_log)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = Path(state.qemu_log).read_text(errors="replace").strip()
            if "Address already in use" in text:
                raise _PortTaken()
            raise SimError(f"QEMU exited at start (exit {proc.returncode}): {text[-1500:]}\n"
                           f"QEMU log: {state.qemu_log}")
        if console.exists() and LOGIN_PROMPT.search(console.read_bytes()):
            return
        time.sleep(0.1)  # polling the console log for the prompt
    raise SimError(f"the board did not reach its login prompt within {timeout:.0f} s; "
                   f"console log: {state.console_log} (QEMU stopped)")


def _kill(pid: int) -> None:
    """End QEMU: SIGTERM, then SIGKILL if it lingers; reap it if it is ours."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return
            except ChildProcessError:  # not our child: watch /proc instead
                if not Path(f"/proc/{pid}").exists():
                    return
            time.sleep(0.05)


def stop() -> BoardState | None:
    """Stop the board this cache started (by its recorded pid); None if none ran."""
    state = running()
    if state is None:
        return None
    _kill(state.pid)
    _state_file().unlink(missing_ok=True)
    Path(state.qmp_socket).unlink(missing_ok=True)
    return state
