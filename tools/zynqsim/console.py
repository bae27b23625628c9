# SPDX-License-Identifier: MIT
"""`tools/sim console`: a terminal on a board's console, through pyserial's
own terminal (miniterm), so every URL pyserial opens works: the emulated
board's socket://, a serial device (/dev/ttyUSB1), rfc2217://HOST:PORT."""

import sys

from .errors import SimError

ESCAPE = "\x1d"  # Ctrl-], as telnet and `tools/sim console` always had it


def attach(url: str) -> None:
    import serial  # pyserial: Debian's python3-serial
    from serial.tools.miniterm import Miniterm

    if not sys.stdin.isatty():
        raise SimError("tools/sim console needs a terminal on standard input; a script can open "
                       f"{url} with pyserial's serial_for_url")
    try:
        port = serial.serial_for_url(url, baudrate=115200)
    except (ValueError, serial.SerialException) as e:
        raise SimError(f"cannot open the console {url}: {e}") from None
    # Raw: every key goes to the board (Ctrl-C included); the board's line
    # discipline does the echo, as on a serial terminal.
    term = Miniterm(port, echo=False, eol="lf", filters=["direct"])
    term.exit_character = ESCAPE
    term.raw = True
    term.set_rx_encoding("UTF-8")
    term.set_tx_encoding("UTF-8")
    print(f"Connected to {url}; Ctrl-] quits.", file=sys.stderr)
    term.start()
    try:
        term.join(True)
    except KeyboardInterrupt:
        pass
    term.join()
    term.close()
    print("\r\nDisconnected.", file=sys.stderr)
