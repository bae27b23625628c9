# SPDX-License-Identifier: MIT
"""The measurements behind `shmem-helper bench`: the channel and RPMsg side
by side, in one run, so that their ratios mean something on any machine.

- Round trips of 64 and 496 bytes (RPMsg's largest message) on the
  channel's ECHO and on an rpmsg_char endpoint: the transports alternate
  request by request, so that what else the machine does weighs on both
  alike. The channel's 64-byte echo is also measured busy-polled, its
  baseline.
- Throughput up to each one's limit: RPMsg with 496-byte messages,
  pipelined (`window` messages in flight); the channel with its largest
  ECHO (the ring's capacity) and its bulk area (a CRC-32 by CPU1), each
  against memcpy through the channel's mapping.

Every echo is compared with what was sent: a benchmark of wrong answers
is no benchmark (ProtocolError). No figure is judged here; see the
callers for what they expect.

Example::

    with ChannelLink() as link, Rpmsg().open() as endpoint:
        print(table(run(link, endpoint, count=100)))
"""

import os
import statistics
import time
import zlib
from collections.abc import Callable
from typing import Any, Protocol

from .channel import Channel
from .errors import ProtocolError
from .rpmsg import RPMSG_MTU, RpmsgEndpoint

SIZES = (64, RPMSG_MTU)
ECHO_64K = 64 * 1024


class ChannelSide(Protocol):
    """What the benchmark needs of a ChannelLink."""

    channel: Channel
    busy_poll: bool


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p99 (µs) of round trips, and their count. Every percentile
    of a single round trip is that round trip (statistics.quantiles wants
    two); `n` says how few there were."""
    if len(samples) == 1:
        q = samples * 99
    else:
        q = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return {"p50_us": round(q[49], 1), "p99_us": round(q[98], 1), "n": len(samples)}


def _ratio(a: float | None, b: float | None) -> float | None:
    """a / b to 3 significant digits (RPMsg's throughput can be a
    thousandth of the bulk area's), None without both."""
    return None if a is None or not b else float(f"{a / b:.3g}")


def _checked(got: bytes, sent: bytes, transport: str) -> None:
    if got != sent:
        raise ProtocolError(f"{transport}: the echo of {len(sent)} bytes came back different ({len(got)} bytes); "
                            "restart CPU1 (`shmem-helper stop; shmem-helper start`)")


def _checked_crc(got: int, expected: int) -> None:
    if got != expected:
        raise ProtocolError(f"CPU1's CRC-32 {got:#010x} differs from zlib's {expected:#010x}; the bulk area or CPU1 "
                            "is faulty: restart CPU1")


def _micros(call: Callable[[int], None], size: int) -> float:
    t0 = time.perf_counter()
    call(size)
    return (time.perf_counter() - t0) * 1e6


def round_trips(link: ChannelSide, endpoint: RpmsgEndpoint | None, count: int, timeout: float) -> dict[str, Any]:
    """64- and 496-byte round trips on both transports, interleaved."""
    channel = link.channel
    data = {size: os.urandom(size) for size in SIZES}
    samples: dict[tuple[int, str], list[float]] = {}

    def channel_echo(size: int) -> None:
        _checked(channel.echo(data[size], timeout), data[size], "channel")

    def rpmsg_echo(size: int) -> None:
        assert endpoint is not None
        _checked(endpoint.echo(data[size], timeout), data[size], endpoint.path)

    for _ in range(count):
        for size in SIZES:
            link.busy_poll = False
            samples.setdefault((size, "channel"), []).append(_micros(channel_echo, size))
            if endpoint is not None:
                samples.setdefault((size, "rpmsg"), []).append(_micros(rpmsg_echo, size))
            if size == 64:
                link.busy_poll = True
                samples.setdefault((size, "channel_busy_poll"), []).append(_micros(channel_echo, size))
                link.busy_poll = False
    out: dict[str, Any] = {}
    for size in SIZES:
        row: dict[str, Any] = {name: percentiles(samples[(size, name)]) if (size, name) in samples else None
                               for name in ("channel", "rpmsg")}
        if size == 64:
            row["channel_busy_poll"] = percentiles(samples[(size, "channel_busy_poll")])
        row["rpmsg_vs_channel_p50"] = _ratio(row["rpmsg"] and row["rpmsg"]["p50_us"], row["channel"]["p50_us"])
        out[str(size)] = row
    return out


def rpmsg_throughput(endpoint: RpmsgEndpoint, messages: int, window: int, timeout: float) -> dict[str, Any]:
    """496-byte messages, `window` of them in flight: bytes echoed per second."""
    data = os.urandom(RPMSG_MTU)
    sent = received = 0
    t0 = time.perf_counter()
    while received < messages:
        while sent < messages and sent - received < window:
            endpoint.send(data, timeout)
            sent += 1
        _checked(endpoint.recv(timeout), data, endpoint.path)
        received += 1
    seconds = time.perf_counter() - t0
    return {"message_bytes": RPMSG_MTU, "window": window, "messages": messages,
            "MBps": round(messages * RPMSG_MTU / seconds / 1e6, 3)}


def _rate(call: Callable[[], object], nbytes: int, repeat: int) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        call()
    return nbytes * repeat / (time.perf_counter() - t0)


def channel_throughput(link: ChannelSide, bulk: int, repeat: int, timeout: float) -> dict[str, Any]:
    """The channel's largest ECHO, a 64 KiB one and a bulk CRC, with memcpy
    through the same mapping as their baseline."""
    channel = link.channel
    link.busy_poll = False
    largest = os.urandom(channel.capacity)
    block = os.urandom(min(ECHO_64K, channel.capacity))
    size = min(bulk, channel.layout.bulk_size // 2)
    with channel.bulk as area:  # released before the mapping closes
        src, dst = area[:size], area[size:2 * size]
        src[:] = os.urandom(size)
        expected = zlib.crc32(src)
        memcpy = _rate(lambda: dst.__setitem__(slice(None), src), size, 3)
        src.release()
        dst.release()
    echo_max = _rate(lambda: _checked(channel.echo(largest, timeout), largest, "channel"), len(largest), repeat)
    echo_64k = _rate(lambda: _checked(channel.echo(block, timeout), block, "channel"), len(block), repeat)
    crc = _rate(lambda: _checked_crc(channel.crc(0, size, timeout), expected), size, 3)
    return {"echo": {"message_bytes": len(largest), "MBps": round(echo_max / 1e6, 3)},
            "echo64k": {"message_bytes": len(block), "MBps": round(echo_64k / 1e6, 3)},
            "bulk_crc": {"bytes": size, "MBps": round(crc / 1e6, 3)},
            "memcpy_mapping_MBps": round(memcpy / 1e6, 3),
            "echo_vs_memcpy": _ratio(echo_max, memcpy), "echo64k_vs_memcpy": _ratio(echo_64k, memcpy),
            "bulk_crc_vs_memcpy": _ratio(crc, memcpy)}


def run(link: ChannelSide, endpoint: RpmsgEndpoint | None, *, count: int = 1000, messages: int = 2000,
        window: int = 8, bulk: int = 4 << 20, repeat: int = 10, timeout: float = 5.0) -> dict[str, Any]:
    """Everything above in one run; RPMsg's entries are None without an
    endpoint. Example: ``run(link, endpoint, count=100)["round_trip"]["64"]``"""
    result: dict[str, Any] = {"rpmsg_node": endpoint.path if endpoint is not None else None,
                              "round_trip": round_trips(link, endpoint, count, timeout)}
    channel = channel_throughput(link, bulk, repeat, timeout)
    rpmsg = rpmsg_throughput(endpoint, messages, window, timeout) if endpoint is not None else None
    rpmsg_rate = rpmsg["MBps"] if rpmsg is not None else None
    result["throughput"] = {"channel": channel, "rpmsg": rpmsg,
                            "rpmsg_vs_channel_echo": _ratio(rpmsg_rate, channel["echo"]["MBps"]),
                            "rpmsg_vs_channel_bulk": _ratio(rpmsg_rate, channel["bulk_crc"]["MBps"])}
    busy = result["round_trip"]["64"]["channel_busy_poll"]
    result["channel_doorbell_vs_busy_poll_p50"] = _ratio(result["round_trip"]["64"]["channel"]["p50_us"],
                                                         busy["p50_us"])
    return result


def _trip(row: dict[str, float] | None) -> str:
    return "-" if row is None else f"{row['p50_us']:.0f} / {row['p99_us']:.0f} us"


def _times(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.3g}x"


def table(result: dict[str, Any]) -> str:
    """run()'s result as one side-by-side table (and the channel's own figures below it)."""
    trips, put = result["round_trip"], result["throughput"]
    channel, rpmsg = put["channel"], put["rpmsg"]
    rows = [("", "channel", f"RPMsg ({result['rpmsg_node'] or 'not measured'})", "RPMsg/channel")]
    for size in SIZES:
        row = trips[str(size)]
        rows.append((f"{size} B round trip, p50 / p99", _trip(row["channel"]), _trip(row["rpmsg"]),
                     _times(row["rpmsg_vs_channel_p50"])))
    rows.append(("throughput, largest messages", f"{channel['echo']['MBps']:.2f} MB/s "
                 f"({channel['echo']['message_bytes']} B echo)",
                 "-" if rpmsg is None else f"{rpmsg['MBps']:.2f} MB/s ({rpmsg['message_bytes']} B, "
                 f"{rpmsg['window']} in flight)", _times(put["rpmsg_vs_channel_echo"])))
    rows.append(("throughput, bulk area (CRC-32 by CPU1)", f"{channel['bulk_crc']['MBps']:.2f} MB/s "
                 f"({channel['bulk_crc']['bytes']} B)", "-", _times(put["rpmsg_vs_channel_bulk"])))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip() for r in rows]
    busy = trips["64"]["channel_busy_poll"]
    lines.append(f"channel alone: 64 B busy-polled {_trip(busy)} (doorbell / busy-poll p50 "
                 f"{_times(result['channel_doorbell_vs_busy_poll_p50'])}); 64 KiB echo "
                 f"{channel['echo64k']['MBps']:.2f} MB/s ({_times(channel['echo64k_vs_memcpy'])} of memcpy through "
                 f"the mapping, {channel['memcpy_mapping_MBps']:.2f} MB/s); bulk CRC "
                 f"{_times(channel['bulk_crc_vs_memcpy'])} of memcpy")
    if result.get("rpmsg_error"):
        lines.append(f"RPMsg not measured: {result['rpmsg_error']}")
    return "\n".join(lines)
