# SPDX-License-Identifier: MIT
"""shmem_helper's RPMsg API on the board, as a program of a user in group
`sharedmem` runs it (CPU1 running the default payload): find CPU1's
devices, echo 1-, 100- and 496-byte messages on rpmsg-raw, refuse 497
bytes before sending, echo text through rpmsg-tty, then stop CPU1 under a
reader blocked in recv() (it must get RpmsgDeviceGone, not hang), start
CPU1 again and echo on the devices found afresh.

Prints one JSON line of what it saw; test_shmem_helper_rpmsg.py judges it.
Exit status 0 unless a step raised something unexpected.

    python3 shmem_helper_rpmsg_check.py wait    # until both channels have nodes (60 s at most)
    python3 shmem_helper_rpmsg_check.py check   # the checks above"""

import json
import sys
import threading
import time

import shmem_helper


def blocked_reader_outcome(rpmsg: shmem_helper.Rpmsg, cpu1: shmem_helper.Cpu1) -> dict[str, object]:
    """Stop CPU1 while a thread waits in recv(); what that thread got, and when."""
    outcome: dict[str, object] = {}
    endpoint = rpmsg.open("rpmsg-raw")
    waiting = threading.Event()

    def reader() -> None:
        waiting.set()
        t0 = time.monotonic()
        try:
            endpoint.recv(timeout=120)
            outcome["error"] = None
        except shmem_helper.Error as e:
            outcome.update(error=type(e).__name__, message=str(e), errno=e.errno,
                           is_cpu1_not_running=isinstance(e, shmem_helper.Cpu1NotRunning))
        outcome["seconds"] = round(time.monotonic() - t0, 2)

    thread = threading.Thread(target=reader)
    thread.start()
    waiting.wait(30)
    cpu1.stop()
    thread.join(150)
    outcome["returned"] = not thread.is_alive()
    endpoint.close()
    return outcome


def main(mode: str) -> int:
    cpu1 = shmem_helper.Cpu1()
    rpmsg = shmem_helper.Rpmsg(cpu1)
    seen: dict[str, object] = {}
    # Announced right after a start: waiting for it is the library's (bounded).
    raw = rpmsg.device("rpmsg-raw", timeout=60)
    tty = rpmsg.device("rpmsg-tty", timeout=60)
    if mode == "wait":
        print(raw.node, tty.node)
        return 0
    seen["devices"] = {d.channel: {"node": d.node, "kind": d.kind, "src": d.src, "dst": d.dst}
                       for d in (raw, tty)}
    with rpmsg.open("rpmsg-raw") as endpoint:
        echoed = []
        for size in (1, 100, 496):
            data = bytes((i * 7 + size) & 0xFF for i in range(size))
            if endpoint.echo(data, timeout=10) == data:
                echoed.append(size)
        seen["echoed"] = echoed
        try:
            endpoint.send(b"x" * 497)
            seen["too_big"] = "sent"
        except shmem_helper.MessageTooLarge as e:
            seen["too_big"] = type(e).__name__
        seen["after_too_big"] = endpoint.echo(b"next", timeout=10) == b"next"
    with rpmsg.open_tty("rpmsg-tty") as line:
        text = b"hello\r\nworld\n"
        seen["tty_echo"] = line.echo(text, timeout=10) == text
    seen["stopped_under_reader"] = blocked_reader_outcome(rpmsg, cpu1)
    seen["devices_when_stopped"] = [d.channel for d in rpmsg.devices()]
    try:
        rpmsg.open("rpmsg-raw", timeout=0)
        seen["open_when_stopped"] = "opened"
    except shmem_helper.Cpu1NotRunning as e:
        seen["open_when_stopped"] = str(e)
    cpu1.start()
    with rpmsg.open("rpmsg-raw", timeout=30) as endpoint:
        seen["after_restart"] = {"node": endpoint.path, "echo": endpoint.echo(b"again", timeout=10) == b"again"}
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    if sys.argv[1:] not in (["wait"], ["check"]):
        raise SystemExit(f"usage: {sys.argv[0]} wait|check")
    raise SystemExit(main(sys.argv[1]))
