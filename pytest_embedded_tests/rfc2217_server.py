# SPDX-License-Identifier: MIT
"""A serial server that answers every RFC 2217 control request, in front of
the emulated board's console (test_console_paths.py).

ser2net answers RFC 2217 too, but not a request to set RTS or DTR on a
device without modem lines, such as a pseudo-terminal: a client then waits
for an answer that never comes (pyserial's `?ign_set_control` works around
that). A USB-UART behind a serial server has the lines and the server
answers. This server answers like that one: pyserial's own RFC 2217 port
manager (serial.rfc2217.PortManager, which negotiates baud rate, framing,
flow control and modem lines) over the board's console, one client at a
time.

    python -m pytest_embedded_tests.rfc2217_server 127.0.0.1:PORT socket://127.0.0.1:CONSOLE
"""

import socket
import sys
import threading

import serial.rfc2217

from pytest_embedded_tests.transport import open_console


class _Client:
    """What PortManager writes its answers to: the client's socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)


def serve_one(client: socket.socket, console_url: str) -> None:
    """Serve one client until it leaves; the board's console is held only
    meanwhile (QEMU's console takes one connection at a time)."""
    port = open_console(console_url)
    assert not isinstance(port, str), "only socket:// consoles are served"
    done = threading.Event()
    reader: threading.Thread | None = None
    try:
        manager = serial.rfc2217.PortManager(port, _Client(client))  # sends the telnet negotiation

        def board_to_client() -> None:
            try:
                while not done.is_set():
                    data = port.read(max(1, port.in_waiting))
                    if data:
                        client.sendall(b"".join(manager.escape(data)))
            except (OSError, serial.SerialException):
                pass
            done.set()

        reader = threading.Thread(target=board_to_client, daemon=True)
        reader.start()
        while not done.is_set():
            data = client.recv(4096)
            if not data:
                break
            port.write(b"".join(manager.filter(data)))  # answers control requests as it goes
    finally:
        done.set()
        if reader is not None:
            reader.join()
        port.close()
        client.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or ":" not in argv[0]:
        print("usage: rfc2217_server.py HOST:PORT socket://HOST:PORT", file=sys.stderr)
        return 2
    host, port = argv[0].rsplit(":", 1)
    with socket.create_server((host, int(port))) as server:
        print(f"rfc2217_server: listening on {host}:{port}", flush=True)
        while True:
            client, _ = server.accept()
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                serve_one(client, argv[1])
            except (OSError, serial.SerialException) as e:  # a client that left at once (a port probe)
                print(f"rfc2217_server: client gone: {e}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
