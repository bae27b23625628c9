# SPDX-License-Identifier: MIT
"""shmem-helper: the command line over the library (Region, Cpu1, ChannelLink, Rpmsg).

Data goes to stdout, status to stderr; `--json` prints one JSON document per
command, a failure included (`{"error": ..., "exit": ...}`). Exit status: 0
done, 1 an expected failure (a shmem_helper.Error: one line, what happened;
what to do), 2 a usage error, 130 (128 + SIGINT) interrupted by Ctrl-C, 141
(128 + SIGPIPE, silently) when the reader of stdout went away, as
`shmem-helper read ... | head` does. `--debug` shows
the traceback of an expected failure too; anything else is a bug and shows
its traceback.
"""

import argparse
import dataclasses
import json
import os
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from . import __version__, bench
from .channel import ChannelBroken
from .cpu1 import Cpu1
from .errors import Cpu1NotRunning, Error, InvalidArgument, NotFound, ProtocolError, from_os_error
from .link import CHANNEL_NODE, ChannelLink
from .region import Region
from .rpmsg import RAW_CHANNEL, Rpmsg, RpmsgDevice

NODE_DIR = "/dev/sharedmem"
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 128 + 2  # SIGINT's number: Ctrl-C, as a shell reports it
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE's number: what a shell reports for `cat` in `cat big | head`


class CliError(Exception):
    """A usage problem (exit 2) that argparse found; `parser` is the (sub)command's parser."""

    def __init__(self, message: str, parser: argparse.ArgumentParser | None = None):
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors raise CliError instead of
    exiting, so that main() can report them as JSON too."""

    def error(self, message: str) -> NoReturn:
        raise CliError(message, self)


def _node_path(node: str) -> str:
    """A node name (`sharedmem-channel`) or a path."""
    return node if "/" in node else os.path.join(NODE_DIR, node)


def _int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def _positive(text: str) -> int:
    value = _int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _byte(text: str) -> int:
    value = _int(text)
    if value > 0xFF:
        raise argparse.ArgumentTypeError(f"a byte is 0..255, not {text}")
    return value


def _hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not hexadecimal bytes: {text!r} (e.g. 0a1b2c)") from None


def _read_input(path: str) -> bytes:
    """The bytes of a file the user named (`-`: stdin)."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise from_os_error(e, f"reading {path}", f"{e.strerror}; name a readable file") from None


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


def _span(region: Region, offset: int, length: int | None) -> int:
    size = region.size
    if offset > size:
        raise InvalidArgument(f"offset {offset:#x} is past the end of {region.path} ({size:#x} bytes); give a "
                              "smaller --offset")
    return size - offset if length is None else length


# -- memory ------------------------------------------------------------------

def cmd_info(args: argparse.Namespace) -> int:
    if args.nodes:
        nodes = args.nodes
    elif os.path.isdir(NODE_DIR):
        nodes = sorted(os.listdir(NODE_DIR))
    else:
        nodes = []
    if not nodes:
        raise NotFound(f"no nodes in {NODE_DIR}: load the kernel module (`modprobe sharedmem`)")
    infos = []
    for node in nodes:
        with Region(_node_path(node)) as region:
            info = region.info()
            infos.append({"node": region.path, "size": info.size, "dma_address": info.dma_address,
                          "abi": region.version})
    _emit(args, {"nodes": infos}, "\n".join(
        f"{i['node']}: {i['size']} bytes" + (f" at DMA address {i['dma_address']:#x}" if i["dma_address"] is not None
                                             else "") for i in infos))
    return 0


def _read_node(args: argparse.Namespace) -> bytes | None:
    """The bytes `read` and `dump` show; None once printed as JSON."""
    with Region(_node_path(args.node), writable=False) as region:
        data = region.read(_span(region, args.offset, args.length), args.offset)
    if args.json:
        _emit(args, {"offset": args.offset, "length": len(data), "hex": data.hex()}, "")
        return None
    return data


def cmd_read(args: argparse.Namespace) -> int:
    data = _read_node(args)
    if data is not None:
        view = memoryview(data)
        while view:  # an unbuffered stdout (python -u, PYTHONUNBUFFERED) may take part of it
            view = view[sys.stdout.buffer.write(view):]
    return 0


def cmd_write(args: argparse.Namespace) -> int:
    data = _read_input(args.file)
    with Region(_node_path(args.node)) as region:
        if args.offset + len(data) > region.size:
            raise InvalidArgument(f"{len(data)} bytes at offset {args.offset:#x} do not fit {region.path} "
                             f"({region.size:#x} bytes); nothing was written")
        region.write(data, args.offset)
    _emit(args, {"offset": args.offset, "written": len(data)}, f"wrote {len(data)} bytes at {args.offset:#x}")
    return 0


def cmd_dump(args: argparse.Namespace) -> int:
    data = _read_node(args)
    if data is None:
        return 0
    for i in range(0, len(data), 16):
        row = data[i:i + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        print(f"{args.offset + i:08x}  {row[:8].hex(' '):<23}  {row[8:].hex(' '):<23}  |{text}|")
    return 0


def cmd_fill(args: argparse.Namespace) -> int:
    with Region(_node_path(args.node)) as region:
        length = _span(region, args.offset, args.length)
        if args.offset + length > region.size:
            raise InvalidArgument(f"{length} bytes at {args.offset:#x} pass the end of {region.path}; nothing "
                                  "written; give a smaller --length")
        region.write(bytes([args.byte]) * length, args.offset)
    _emit(args, {"offset": args.offset, "length": length, "byte": args.byte},
          f"filled {length} bytes at {args.offset:#x} with {args.byte:#04x}")
    return 0


# -- CPU1 --------------------------------------------------------------------

def cmd_start(args: argparse.Namespace) -> int:
    cpu1 = Cpu1()
    cpu1.start(args.firmware)
    _emit(args, {"state": cpu1.state(), "firmware": cpu1.firmware()},
          f"CPU1 runs {cpu1.firmware()}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    cpu1 = Cpu1()
    stopped = cpu1.stop()
    _emit(args, {"state": cpu1.state(), "was_running": stopped},
          "CPU1 halted (back in the BootROM park loop)" if stopped else "CPU1 was already stopped (offline)")
    return 0


def _shown(name: str) -> str:
    """A channel name as CPU1 announced it, safe on a terminal."""
    return name if name.isprintable() else repr(name)


def _rpmsg_status(cpu1: Cpu1) -> tuple[dict[str, Any], list[str]]:
    """CPU1's RPMsg devices for `status`: (JSON, text lines)."""
    try:
        devices = Rpmsg(cpu1).devices()
    except Error as e:
        return {"devices": [], "error": str(e)}, [f"RPMsg: {e}"]
    if not devices:
        state = cpu1.state()
        why = (f"CPU1 is {state}" if state != "running" else
               "none announced yet; a payload without an RPMsg device announces none")
        return {"devices": []}, [f"RPMsg: no devices ({why})"]

    def line(d: RpmsgDevice) -> str:
        node = d.node if d.node is not None else "no node"
        return (f"RPMsg channel {_shown(d.channel)}: src {d.src:#x} (Linux), dst {d.dst:#x} (CPU1), {node} "
                f"({d.driver or 'no driver'})")

    return {"devices": [dataclasses.asdict(d) for d in devices]}, [line(d) for d in devices]


def cmd_status(args: argparse.Namespace) -> int:
    cpu1 = Cpu1()
    status: dict[str, Any] = {"remoteproc": cpu1.path.name, "state": cpu1.state(), "firmware": cpu1.firmware()}
    try:
        with ChannelLink(args.channel) as link:
            channel = link.channel.status()
        status["channel"] = {**dataclasses.asdict(channel), "state": str(channel.state)}
        summary = (f"channel {channel.state}, heartbeat {channel.heartbeat}, "
                   f"{channel.rx_msgs} requests served, firmware {channel.fw_version}")
    except (Cpu1NotRunning, ProtocolError, ChannelBroken) as e:  # e.g. CPU1 never started: no control block yet
        status["channel"] = {"error": str(e)}
        summary = f"channel: {e}"
    status["rpmsg"], rpmsg_lines = _rpmsg_status(cpu1)
    _emit(args, status, "\n".join([f"CPU1: {status['state']} ({status['firmware']}); {summary}", *rpmsg_lines]))
    return 0


def _link(args: argparse.Namespace) -> ChannelLink:
    link = ChannelLink(args.channel)
    try:
        link.channel.check_ready()
    except Cpu1NotRunning as e:
        link.close()
        state = "unknown"
        try:
            state = Cpu1().state()
        except Error:
            pass
        raise Cpu1NotRunning(f"{e}; remoteproc says CPU1 is {state}", state=e.state) from None
    except BaseException:
        link.close()
        raise
    return link


def cmd_ping(args: argparse.Namespace) -> int:
    with _link(args) as link:
        results = []
        for _ in range(args.count):
            t0 = time.perf_counter()
            ping = link.channel.ping(args.timeout)
            results.append((ping, (time.perf_counter() - t0) * 1e6))
    last = results[-1][0]
    _emit(args, {"pings": [{"seq": p.seq, "round_trip_us": round(us, 1)} for p, us in results],
                 "firmware": last.fw_version, "heartbeat": last.heartbeat, "rx_msgs": last.rx_msgs,
                 "tx_msgs": last.tx_msgs, "bad_requests": last.bad_requests},
          "\n".join(f"pong seq={p.seq:#010x} from {p.fw_version}: {us:.0f} us, CPU1 served {p.rx_msgs} requests"
                    for p, us in results))
    return 0


def cmd_echo(args: argparse.Namespace) -> int:
    data = args.text.encode() if args.text is not None else os.urandom(args.size)
    with _link(args) as link:
        back = link.channel.echo(data, args.timeout)
    if back != data:
        raise ProtocolError(f"echo came back different: sent {len(data)} bytes, got {len(back)}; reset the "
                            "channel or restart CPU1")
    _emit(args, {"length": len(back), "match": True}, back.decode(errors="replace") if args.text is not None
          else f"echoed {len(back)} bytes intact")
    return 0


def cmd_crc(args: argparse.Namespace) -> int:
    with _link(args) as link:
        channel = link.channel
        if args.file:
            data = _read_input(args.file)
        else:
            data = os.urandom(args.random)
        if args.offset + len(data) > channel.layout.bulk_size:
            raise InvalidArgument(f"{len(data)} bytes at bulk offset {args.offset:#x} do not fit the "
                                  f"{channel.layout.bulk_size:#x}-byte bulk area; send less")
        channel.bulk[args.offset:args.offset + len(data)] = data
        crc = channel.crc(args.offset, len(data), args.timeout)
    expected = zlib.crc32(data)
    if crc != expected:
        raise ProtocolError(f"CPU1's CRC-32 {crc:#010x} differs from zlib's {expected:#010x}; the bulk area or "
                            "CPU1 is faulty: restart CPU1")
    _emit(args, {"offset": args.offset, "length": len(data), "crc32": crc, "match": True},
          f"crc32 {crc:#010x} over {len(data)} bytes (matches zlib)")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    payload = args.hex if args.hex is not None else (args.text or "").encode()
    with _link(args) as link:
        seq = link.channel.send(args.type, payload, timeout=args.timeout)
    _emit(args, {"type": args.type, "seq": seq, "length": len(payload)},
          f"sent type {args.type} seq {seq:#010x} ({len(payload)} bytes)")
    return 0


def cmd_recv(args: argparse.Namespace) -> int:
    with _link(args) as link:
        msg = link.channel.recv(args.timeout)
    _emit(args, {"type": msg.type, "flags": msg.flags, "seq": msg.seq, "status": msg.status,
                 "hex": msg.payload.hex()},
          f"type {msg.type} seq {msg.seq:#010x} status {msg.status}: {msg.payload.hex()}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """The channel and RPMsg side by side (shmem_helper.bench); RPMsg is
    left out, and the output says why, when its endpoint cannot be opened
    (not announced, held by another process, no permission, ...)."""
    with _link(args) as link:
        endpoint = None
        reason = None
        try:
            endpoint = Rpmsg().open(args.rpmsg)
        except Error as e:  # the channel is worth measuring all the same
            reason = str(e)
        try:
            result = bench.run(link, endpoint, count=args.count, messages=args.messages, window=args.window,
                               bulk=args.bulk, timeout=args.timeout)
        finally:
            if endpoint is not None:
                endpoint.close()
    if reason is not None:
        result["rpmsg_error"] = reason
    _emit(args, result, bench.table(result))
    return 0


def get_parser() -> argparse.ArgumentParser:
    """The command line's parser; every subcommand sets `func`."""
    parser = _Parser(prog="shmem-helper", description="Shared memory and CPU1 of a Zynq-7000 running the sharedmem "
                     "stack.", epilog="example:\n  shmem-helper start && shmem-helper --json ping -c 3\n\n"
                     "--json and --debug go before or after the command. Exit status: 0 done, 1 failed (one line "
                     "saying what to do), 2 usage, 130 Ctrl-C, 141 stdout closed early (`| head`).",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--json", action="store_true", help="machine-readable output, failures included")
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure")
    # The same options after the command; SUPPRESS keeps a value given before it.
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    chan = _Parser(add_help=False, parents=[common])
    chan.add_argument("--channel", default=CHANNEL_NODE, help=f"channel node (default {CHANNEL_NODE})")
    chan.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for CPU1 (default 5)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str, example: str,
            parent: _Parser = common) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".", parents=[parent],
                           epilog="example:\n  " + example.replace("\n", "\n  "),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = add("info", cmd_info, "nodes, sizes and DMA addresses", "shmem-helper info sharedmem-channel --json")
    p.add_argument("nodes", nargs="*", metavar="NODE", help="node names or paths (default: all)")
    for name, func, what, example in (
            ("read", cmd_read, "raw bytes to stdout", "shmem-helper read sharedmem-channel -n 64 > header.bin"),
            ("dump", cmd_dump, "hexdump", "shmem-helper dump sharedmem-channel -o 0x1000 -n 64")):
        p = add(name, func, f"{what} from a node", example)
        p.add_argument("node", metavar="NODE")
        p.add_argument("-o", "--offset", type=_int, default=0)
        p.add_argument("-n", "--length", type=_int, default=None, help="bytes (default: to the end)")
    p = add("write", cmd_write, "bytes from a file (or stdin) into a node",
            "echo -n hello | shmem-helper write buffer -o 16")
    p.add_argument("node", metavar="NODE")
    p.add_argument("file", nargs="?", default="-", metavar="FILE", help="default: stdin")
    p.add_argument("-o", "--offset", type=_int, default=0)
    p = add("fill", cmd_fill, "fill part of a node with one byte", "shmem-helper fill buffer --byte 0xAA -n 4096")
    p.add_argument("node", metavar="NODE")
    p.add_argument("--byte", type=_byte, required=True, help="0..255")
    p.add_argument("-o", "--offset", type=_int, default=0)
    p.add_argument("-n", "--length", type=_int, default=None)

    p = add("start", cmd_start, "load firmware into CPU1's region and start it",
            "shmem-helper start sharedmem-cpu1.elf")
    p.add_argument("firmware", nargs="?", metavar="FIRMWARE", help="ELF under /lib/firmware (default: current)")
    add("stop", cmd_stop, "halt CPU1 back into the BootROM park loop (done at once if it is stopped)",
        "shmem-helper stop")
    add("status", cmd_status, "CPU1's state, the channel's and CPU1's RPMsg devices", "shmem-helper status --json",
        chan)
    p = add("ping", cmd_ping, "ping CPU1", "shmem-helper ping -c 3", chan)
    p.add_argument("-c", "--count", type=_int, default=1)
    p = add("echo", cmd_echo, "send data to CPU1 and back", "shmem-helper echo hello\nshmem-helper echo --size 65536",
            chan)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("text", nargs="?", metavar="TEXT")
    g.add_argument("--size", type=_int, help="random bytes instead of TEXT")
    p = add("crc", cmd_crc, "CRC-32 by CPU1 over data put in the bulk area", "shmem-helper crc --random 8388608",
            chan)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--file", metavar="FILE")
    g.add_argument("--random", type=_int, metavar="BYTES")
    p.add_argument("-o", "--offset", type=_int, default=0, help="bulk offset")
    p = add("send", cmd_send, "send one raw message (no wait for the response)",
            "shmem-helper send 2 --hex 68690a && shmem-helper recv", chan)
    p.add_argument("type", type=_int, metavar="TYPE")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--text")
    g.add_argument("--hex", type=_hex, help="payload as hexadecimal bytes")
    add("recv", cmd_recv, "receive one message", "shmem-helper recv --timeout 1 --json", chan)
    p = add("bench", cmd_bench, "the channel and RPMsg side by side: round trips and throughput, in one run",
            "shmem-helper bench --json --count 2000", chan)
    p.add_argument("--count", type=_positive, default=1000, help="round trips per size and transport (default 1000)")
    p.add_argument("--messages", type=_positive, default=2000,
                   help="496-byte RPMsg messages for the throughput (default 2000)")
    p.add_argument("--window", type=_positive, default=8, help="RPMsg messages in flight (default 8)")
    p.add_argument("--rpmsg", default=RAW_CHANNEL, metavar="CHANNEL",
                   help=f"the rpmsg_char channel to measure (default {RAW_CHANNEL})")
    p.add_argument("--bulk", type=_positive, default=4 << 20, help="bytes for the memcpy/CRC comparison")
    return parser


def _fail(message: str, code: int, as_json: bool) -> int:
    """Report a failure: one line on stderr, and the JSON object on stdout with --json."""
    print(f"shmem-helper: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"error": message, "exit": code}))
    return code


def _wants_json(argv: Sequence[str]) -> bool:
    """--json anywhere before `--`: known even when parsing fails."""
    return "--json" in list(argv)[:list(argv).index("--")] if "--" in argv else "--json" in argv


def main(argv: Sequence[str] | None = None) -> int:
    """The shmem-helper command: its exit status.

    Example: ``sys.exit(main(["--json", "info"]))``
    """
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a reader that left shows here, not in the interpreter's exit
    except BrokenPipeError:
        # The reader of stdout left (`shmem-helper read ... | head`): stop
        # quietly, as a program that SIGPIPE ends, after the Python docs'
        # "Note on SIGPIPE": stdout becomes /dev/null so that no later flush
        # fails again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = get_parser()
    try:
        args = parser.parse_args(argv)
    except CliError as e:
        (e.parser or parser).print_usage(sys.stderr)
        return _fail(str(e), EXIT_USAGE, _wants_json(argv))
    try:
        return int(args.func(args))
    except Error as e:
        if args.debug:
            raise
        return _fail(str(e), EXIT_FAILED, args.json)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED, args.json)


if __name__ == "__main__":
    sys.exit(main())
