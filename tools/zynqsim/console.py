# SPDX-License-Identifier: MIT
"""`tools/sim console`: a terminal on the board's Linux console (ttyPS0)."""

import os
import select
import socket
import sys
import termios
import tty

ESCAPE = b"\x1d"  # Ctrl-]


def attach(url: str) -> None:
    host, _, port = url.removeprefix("socket://").rpartition(":")
    with socket.create_connection((host, int(port))) as sock:
        print(f"Connected to {url}; Ctrl-] quits.", file=sys.stderr)
        stdin = sys.stdin.fileno()
        interactive = os.isatty(stdin)
        saved = termios.tcgetattr(stdin) if interactive else None
        try:
            if interactive:
                tty.setraw(stdin)
            sock.sendall(b"\n")
            while True:
                ready, _, _ = select.select([sock, stdin], [], [])
                if sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        break
                    os.write(sys.stdout.fileno(), data)
                if stdin in ready:
                    data = os.read(stdin, 1024)
                    if not data or ESCAPE in data:
                        break
                    sock.sendall(data.replace(b"\n", b"\r") if not interactive else data)
        finally:
            if saved is not None:
                termios.tcsetattr(stdin, termios.TCSADRAIN, saved)
    print("\r\nDisconnected.", file=sys.stderr)
