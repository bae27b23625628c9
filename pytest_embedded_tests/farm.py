# SPDX-License-Identifier: MIT
"""A board of a labgrid farm as the tests' board: the place is acquired with
`labgrid-client` (waiting while someone else holds it), its console is
found through labgrid's RemotePlace (a NetworkSerialPort, raw or rfc2217,
as an exporter publishes a USB serial port through ser2net), and the place is
released at the end, also after a failure or Ctrl-C.

    pytest pytest_embedded_tests --lg-coordinator farm.example:20408 --lg-place zedboard-1

Board preparation (power, SD mux) happens when the place offers it: see
prepare() and README.md, "Hardware-in-the-loop".
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_COORDINATOR_PORT = 20408


class FarmError(Exception):
    pass


def _client() -> str:
    # The venv's labgrid-client, next to this Python, else the PATH's.
    here = Path(sys.executable).with_name("labgrid-client")
    found = str(here) if here.exists() else shutil.which("labgrid-client")
    if not found:
        raise FarmError("labgrid-client is missing: install labgrid (tools/setup-host does, in the test venv)")
    return found


class LabgridPlace:
    """One place of a labgrid coordinator, held by this test session."""

    def __init__(self, coordinator: str, place: str, wait: float = 600.0):
        self.coordinator = coordinator if ":" in coordinator else f"{coordinator}:{DEFAULT_COORDINATOR_PORT}"
        self.place = place
        self.wait = wait
        self.acquired = False
        self._console_url: str | None = None

    def client(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([_client(), "-x", self.coordinator, "-p", self.place, *args],
                              capture_output=True, text=True, timeout=timeout)

    def _error(self, proc: subprocess.CompletedProcess[str], doing: str) -> FarmError:
        text = (proc.stderr + proc.stdout).strip()
        if "Could not connect to coordinator" in text or "coordinator is unavailable" in text:
            return FarmError(f"cannot reach the labgrid coordinator at {self.coordinator} ({doing}): "
                             "is labgrid-coordinator running there, and the port open?")
        return FarmError(f"labgrid: {doing} place {self.place!r} at {self.coordinator} failed: {text}")

    def acquire(self) -> None:
        """Acquire the place; while another user holds it, retry until
        `wait` seconds have passed, then fail naming the holder."""
        deadline = time.monotonic() + self.wait
        while True:
            proc = self.client("acquire")
            if proc.returncode == 0:
                self.acquired = True
                return
            held = re.search(r"already acquired by (\S+?)\.?(\s|$)", proc.stderr + proc.stdout)
            if not held:
                raise self._error(proc, "acquiring")
            if time.monotonic() >= deadline:
                raise FarmError(f"place {self.place!r} is held by {held.group(1)}; waited {self.wait:g} s "
                                f"(--lg-wait) at {self.coordinator}")
            time.sleep(min(5.0, max(deadline - time.monotonic(), 0.1)))  # the holder's turn

    def release(self) -> None:
        if self.acquired:
            proc = self.client("release")
            self.acquired = False
            if proc.returncode != 0:
                raise self._error(proc, "releasing")

    def resources(self) -> list[str]:
        """Classes of the resources the place holds (NetworkSerialPort,
        NetworkPowerPort, USBSDMuxDevice, ...), from `labgrid-client show`."""
        proc = self.client("show")
        if proc.returncode != 0:
            raise self._error(proc, "showing")
        return re.findall(r"^\s+[^/\s]+/[^/\s]+/(\w+)/\S+$", proc.stdout, re.MULTILINE)

    def prepare(self, image: str | None, log=print) -> None:  # type: ignore[no-untyped-def]
        """Board preparation with what the place offers: power off, write
        `image` through its SD mux (USB-SD-Mux, SDWire), power on. Without a
        power switch or an SD mux the board is assumed booted."""
        have = set(self.resources())
        power = any(r.endswith("PowerPort") or r in ("PDUDaemonPort", "ModbusTCPCoil") for r in have)
        sd_mux = any(r in ("USBSDMuxDevice", "NetworkUSBSDMuxDevice", "USBSDWireDevice",
                           "NetworkUSBSDWireDevice") for r in have)
        if image and not sd_mux:
            raise FarmError(f"--lg-image given, but place {self.place!r} has no SD mux (it has {sorted(have)})")
        steps: list[tuple[str, ...]] = []
        if power:
            steps.append(("power", "off"))
        if image:
            steps += [("sd-mux", "host"), ("write-image", image), ("sd-mux", "dut")]
        if power:
            steps.append(("power", "on"))
        for step in steps:
            log(f"labgrid: {self.place}: {' '.join(step)}")
            proc = self.client(*step, timeout=1800)
            if proc.returncode != 0:
                raise self._error(proc, " ".join(step))

    def console_url(self) -> str:
        """The place's console as a pyserial URL (socket:// or rfc2217://)."""
        if self._console_url is None:
            self._console_url = self._find_console()
        return self._console_url

    def _find_console(self) -> str:
        from labgrid import Environment
        from labgrid.resource import NetworkSerialPort

        config = f"targets:\n  main:\n    resources:\n      RemotePlace:\n        name: {self.place}\n"
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(config)
        try:
            os.environ["LG_COORDINATOR"] = self.coordinator
            target = Environment(f.name).get_target("main")
            if target is None:
                raise FarmError(f"labgrid: no target for place {self.place!r}")
            port = target.get_resource(NetworkSerialPort)
        except FarmError:
            raise
        except Exception as e:  # labgrid's errors: no such place, no serial port, not acquired
            raise FarmError(f"labgrid: place {self.place!r} at {self.coordinator} offers no console: {e}") from e
        finally:
            os.unlink(f.name)
        scheme = "rfc2217" if port.protocol == "rfc2217" else "socket"
        return f"{scheme}://{port.host}:{port.port}"
