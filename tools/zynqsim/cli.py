# SPDX-License-Identifier: MIT
"""Command line of tools/sim. Each command is a thin layer over the library
(build.build, board.boot/stop/running, demo.run)."""

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict

from .errors import SimError
from .onboard import PORT_HELP
from .paths import TOOLS


def ensure_host_packages() -> None:
    """Install the host's Debian packages if some are missing (tools/setup-host),
    so that `tools/sim demo` works on a fresh Debian 12 machine."""
    command = " ".join(["./tools/sim", *sys.argv[1:]])
    env = {**os.environ, "SHAREDMEM_RERUN": command}
    if subprocess.run([str(TOOLS / "setup-host"), "--packages-only"], env=env).returncode != 0:
        raise SimError(f"the host is not ready (see above); tools/host-packages.txt lists what {command} needs")


def _variant(args: argparse.Namespace) -> str:
    return "debug" if args.debug_kernel else "normal"


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    ensure_host_packages()
    images = build(variant=_variant(args))
    for name, path in images.identity().items():
        print(f"{name:14} {path}")
    return 0


def cmd_boot(args: argparse.Namespace) -> int:
    from . import board
    from .build import build

    other = board.running()
    if other:  # before building: say at once what already runs
        raise SimError("a board is already running; stop it first with `tools/sim stop`.\n" + other.describe())
    ensure_host_packages()
    board.check_qemu()
    state = board.boot(build(variant=_variant(args)), timeout=args.timeout)
    print(state.describe())
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from . import board

    state = board.stop()
    print(f"stopped QEMU (pid {state.pid})" if state else "no board was running", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from . import board

    state = board.running()
    if args.json:
        print(json.dumps(asdict(state) if state else None, indent=2))
    elif state:
        print(state.describe())
    else:
        print("no board running (start one with `tools/sim boot`)")
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from . import board
    from .console import attach

    if args.port:
        attach(args.port)
        return 0
    state = board.running()
    if state is None:
        raise SimError("no board running; start one with `tools/sim boot`, or name a console with --port")
    attach(state.cpu1_uart_url if args.cpu1 else state.console_url)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run

    ensure_host_packages()
    return run(keep=args.keep)


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sim", description="The emulated ZedBoard: Linux on CPU0, CPU1 parked as the Zynq BootROM parks it.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # `build --debug` / `boot --debug`: the debug board; `sim --debug COMMAND`: tracebacks.
    debug_board = argparse.ArgumentParser(add_help=False)
    debug_board.add_argument("--debug", dest="debug_kernel", action="store_true",
                             help="the debug board: the kernel with KASAN, lockdep, kmemleak, SLUB debugging, ...")

    p = sub.add_parser("build", help="build (or refresh) every image the board boots", parents=[debug_board])
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("boot", help="start the board in the background; return at the login prompt",
                       parents=[debug_board])
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds to wait for the login prompt (default: 180, the debug board 900)")
    p.set_defaults(func=cmd_boot)

    p = sub.add_parser("stop", help="stop the board that `boot` started")
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("status", help="say what runs where")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("console", help="attach this terminal to the Linux console (Ctrl-] quits)")
    p.add_argument("--cpu1", action="store_true", help="CPU1's UART0 instead of the Linux console")
    p.add_argument("--port", metavar="URL", help=PORT_HELP + " (default: the emulated board's)")
    p.set_defaults(func=cmd_console)

    p = sub.add_parser("demo", help="build, boot and show the stack at work")
    p.add_argument("--keep", action="store_true", help="leave the board running afterwards")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = get_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SimError as e:
        if args.debug:
            raise
        print(f"sim: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sim: interrupted", file=sys.stderr)
        return 130
