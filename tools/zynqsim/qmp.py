# SPDX-License-Identifier: MIT
"""A minimal QMP client: read the emulated CPUs' registers and physical memory
from outside, the way a JTAG probe would on silicon."""

import json
import re
import socket
from typing import Any

from .errors import SimError


class Qmp:
    def __init__(self, path: str, timeout: float = 30.0):
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(path)
        except OSError as e:
            raise SimError(f"cannot reach QEMU's monitor at {path}: {e}; is the board running?") from None
        self._file = self._sock.makefile("rwb")
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self) -> "Qmp":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> dict[str, Any]:
        line = self._file.readline()
        if not line:
            raise SimError("QEMU closed its monitor connection")
        return dict(json.loads(line))

    def execute(self, command: str, **arguments: Any) -> Any:
        msg: dict[str, Any] = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self._file.write(json.dumps(msg).encode() + b"\n")
        self._file.flush()
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise SimError(f"QMP {command}: {reply['error'].get('desc', reply['error'])}")
            # anything else is an asynchronous event: skip it

    def hmp(self, command_line: str) -> str:
        return str(self.execute("human-monitor-command", **{"command-line": command_line}))

    def cpu_registers(self, cpu: int) -> dict[str, int]:
        """Core registers (R00..R15, PSR) of one CPU, by index."""
        out = self.hmp("info registers -a")
        sections = re.split(r"^CPU#(\d+)\s*$", out, flags=re.MULTILINE)
        for index, body in zip(sections[1::2], sections[2::2], strict=True):
            if int(index) == cpu:
                regs = {name: int(value, 16) for name, value in re.findall(r"\b(R\d\d|PSR)=([0-9a-f]{8})", body)}
                if "R15" in regs:
                    return regs
        raise SimError(f"QEMU reported no registers for CPU{cpu}: {out[:500]!r}")

    def read_u32(self, address: int) -> int:
        """A 32-bit word of physical memory."""
        out = self.hmp(f"xp /1wx {address:#x}")
        m = re.search(r":\s*0x([0-9a-f]+)", out)
        if not m:
            raise SimError(f"QEMU could not read physical address {address:#x}: {out!r}")
        return int(m[1], 16)
