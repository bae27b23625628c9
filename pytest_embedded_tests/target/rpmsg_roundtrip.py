# SPDX-License-Identifier: MIT
"""RPMsg round trips against the payload's echo endpoints; runs on the board
(the standard library, and shmem_helper to find the nodes).

    python3 rpmsg_roundtrip.py raw --sizes 1,100,400,496 --count 4
    python3 rpmsg_roundtrip.py raw --sizes 64 --count 100000 --window 32
    python3 rpmsg_roundtrip.py tty --sizes 1,100,1000 --count 3
    python3 rpmsg_roundtrip.py raw --block-read
    python3 rpmsg_roundtrip.py raw --too-big

`raw` is the payload's `rpmsg-raw` channel (rpmsg_char, /dev/rpmsgN: one
read is one message), `tty` its `rpmsg-tty` channel (rpmsg_tty,
/dev/ttyRPMSGn, raw mode: a byte stream). Each message carries its sequence
number and a pattern derived from it; up to --window are in flight. A
message that does not come back within --timeout seconds counts as lost and
ends the run. --block-read blocks in read() until the device goes away and
reports how the read ended; --too-big writes one byte more than a message
holds and reports the error, then does the round trips. The last line is a JSON summary; exit status 1
if anything was lost or corrupted.
"""

import argparse
import errno
import json
import os
import select
import struct
import sys
import termios
import time
import tty
from collections import deque

from shmem_helper import Error, Rpmsg

MAX_PAYLOAD = 496  # 512-byte buffers less the rpmsg header


def device_node(channel: str) -> str:
    """The node of the payload's channel (shmem_helper finds it in sysfs)."""
    try:
        node = Rpmsg().device(channel).node
    except Error as e:
        raise SystemExit(str(e)) from None
    assert node is not None  # device() returns channels with a node only
    return node


# Every pattern a message can carry, as slices of one table: a byte at a time
# in Python, the emulated CPU spent more time making 100,000 messages than
# RPMsg spent moving them.
PATTERNS = bytes(range(256)) * 3


def message(seq: int, size: int) -> bytes:
    """Sequence number, then bytes counting up from seq * 7 (mod 256)."""
    start = seq * 7 & 0xFF
    return (struct.pack("<I", seq) + PATTERNS[start:start + max(size - 4, 0)])[:size]


class Stream:
    """Reads whole messages: one read() each (rpmsg_char) or exactly the
    expected bytes (a tty)."""

    def __init__(self, fd: int, is_tty: bool, timeout: float) -> None:
        self.fd, self.is_tty, self.timeout = fd, is_tty, timeout

    def read(self, size: int) -> bytes | None:
        data = b""
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, MAX_PAYLOAD if not self.is_tty else size - len(data))
            if not self.is_tty:
                return chunk
            data += chunk
            if len(data) >= size:
                return data


def roundtrips(fd: int, is_tty: bool, sizes: list[int], count: int, window: int, timeout: float) -> dict[str, object]:
    stream = Stream(fd, is_tty, timeout)
    plan = [(seq, sizes[seq % len(sizes)]) for seq in range(count * len(sizes))]
    pending: deque[bytes] = deque()
    sent = done = corrupt = 0
    nbytes = 0
    start = time.monotonic()
    error = None
    try:
        while done < len(plan):
            while sent < len(plan) and len(pending) < window:
                seq, size = plan[sent]
                data = message(seq, size)
                written = 0
                while written < len(data):  # a tty takes at most one RPMsg message per write
                    written += os.write(fd, data[written:])
                pending.append(data)
                sent += 1
            expected = pending.popleft()
            got = stream.read(len(expected))
            if got is None:
                break
            if got != expected:
                corrupt += 1
            nbytes += len(expected)
            done += 1
    except OSError as e:  # the device went away (CPU1 stopped or crashed)
        error = errno.errorcode.get(e.errno or 0, str(e.errno))
    seconds = time.monotonic() - start
    return {"messages": done, "lost": len(plan) - done, "corrupt": corrupt, "bytes": nbytes, "error": error,
            "seconds": round(seconds, 3), "messages_per_s": round(done / seconds, 1) if seconds else None}


def block_read(fd: int) -> dict[str, object]:
    """Block in read() until the device goes away: how did the read end?"""
    print("blocked", flush=True)
    start = time.monotonic()
    try:
        data = os.read(fd, MAX_PAYLOAD)
        outcome = "eof" if not data else f"data:{len(data)}"
    except OSError as e:
        outcome = errno.errorcode.get(e.errno or 0, str(e.errno))
    return {"read": outcome, "seconds": round(time.monotonic() - start, 3)}


def too_big(fd: int) -> dict[str, object]:
    """Write one byte more than an RPMsg message holds: which error?"""
    try:
        os.write(fd, bytes(MAX_PAYLOAD + 1))
    except OSError as e:
        return {"too_big": errno.errorcode.get(e.errno or 0, str(e.errno))}
    return {"too_big": "accepted"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("channel", choices=["raw", "tty"])
    parser.add_argument("--sizes", default="64", help="comma-separated message sizes, bytes")
    parser.add_argument("--count", type=int, default=1, help="round trips of each size")
    parser.add_argument("--window", type=int, default=1, help="messages in flight")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a message counts as lost")
    parser.add_argument("--block-read", action="store_true")
    parser.add_argument("--too-big", action="store_true")
    args = parser.parse_args()
    path = device_node("rpmsg-raw" if args.channel == "raw" else "rpmsg-tty")
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    if args.channel == "tty":
        tty.setraw(fd)
        termios.tcflush(fd, termios.TCIOFLUSH)
    summary: dict[str, object] = {"device": path}
    if args.block_read:
        summary.update(block_read(fd))
        ok = True
    else:
        if args.too_big:
            summary.update(too_big(fd))
        sizes = [int(size) for size in args.sizes.split(",")]
        summary.update(roundtrips(fd, args.channel == "tty", sizes, args.count, args.window, args.timeout))
        ok = summary["lost"] == 0 and summary["corrupt"] == 0
    try:
        os.close(fd)
    except OSError:  # the device went away under the descriptor
        pass
    print(json.dumps(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
