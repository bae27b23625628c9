# SPDX-License-Identifier: MIT
"""Console transports that pytest-embedded's serial service gets from us.

pytest-embedded's reader thread reads `in_waiting` bytes every 50 ms. pyserial's
socket:// handler reports `in_waiting` as 0 or 1 (readable or not), so over a
TCP console (QEMU's, ser2net's raw mode) the reader got one byte per 50 ms:
a 100-byte command line took five seconds to come back. `SocketSerial`
reports the bytes really waiting. Other URLs (a device, rfc2217://) report
real counts already and are left to pyserial.

Under labgrid (`--lg-env`), the console is the port that labgrid's
SerialDriver opened; adopt_console() hands that same object to
pytest-embedded, with the same fix for a raw TCP console.
"""

import array
import fcntl
import select
import termios

import serial
from serial.urlhandler.protocol_socket import Serial as _PyserialSocket


class SocketSerial(_PyserialSocket):  # type: ignore[misc]
    @property
    def in_waiting(self) -> int:
        if not self.is_open:
            raise serial.PortNotOpenError()
        count = array.array("i", [0])
        fcntl.ioctl(self._socket, termios.FIONREAD, count)
        if count[0] == 0 and select.select([self._socket], [], [], 0)[0]:
            return 1  # readable with nothing queued: the peer closed; let read() report it
        return int(count[0])


def open_console(url: str) -> "serial.SerialBase | str":
    """What to hand pytest-embedded as its port: an open SocketSerial for
    socket:// URLs, the URL itself for everything else."""
    if url.startswith("socket://"):
        return SocketSerial(url, baudrate=115200, timeout=0.05)
    return url


def adopt_console(port: "serial.SerialBase") -> "serial.SerialBase":
    """A port that labgrid's SerialDriver made, ready for pytest-embedded:
    open (pytest-embedded closes its port after each test), and, for a raw
    TCP console (labgrid's NetworkSerialPort with protocol raw: pyserial's
    socket:// class, whose state is all SocketSerial has), with real
    `in_waiting` counts."""
    if type(port) is _PyserialSocket:
        port.__class__ = SocketSerial
    if not port.is_open:
        port.open()
    return port
