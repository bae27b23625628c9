# SPDX-License-Identifier: MIT
"""The ZedBoard's labgrid Strategy: from off to a shell.

labgrid's split: the place's resources say what the board has (a serial
port, a power switch, an SD mux), drivers say how to use them, and this
strategy says how to get from off to a shell. Environment files name it
(tools/labgrid/zedboard-env.yaml; loopback-env.yaml for the emulated board)
and import this file, which registers it with labgrid's target_factory.

    off:   power off
    shell: off, then (with an image and an SD mux) the SD card to the host,
           the image written with bmaptool, the card back to the board; the
           console opened; power on; wait for the login prompt

The on-target tests (pytest_embedded_tests, under labgrid's pytest plugin)
ask for `shell`, then hand the strategy's console to pytest-embedded, which
logs in and runs the tests. A board that never shows its login prompt
fails the transition with the console log it printed.
"""

import enum
import re
import time
from typing import NoReturn

import attr
from labgrid.driver.usbstoragedriver import Mode
from labgrid.factory import target_factory
from labgrid.step import step
from labgrid.strategy import Strategy, StrategyError, never_retry
from pexpect import TIMEOUT
from serial import SerialException

# Linux's getty, as tools/zynqsim/board.py and shell.py know it.
LOGIN_PROMPT = re.compile(rb"^\S+ login: ", re.MULTILINE)
# How much of the console log a failure shows (the tail: the last words of the board).
LOG_TAIL = 6000


class Status(enum.Enum):
    unknown = 0
    off = 1
    shell = 2


@attr.s(eq=False)
class ZynqStrategy(Strategy):  # type: ignore[misc]  # (labgrid ships no types: Strategy is Any)
    """Off to shell for a Zynq-7000 board that boots from an SD card."""

    bindings = {
        "power": "PowerProtocol",
        "console": "ConsoleProtocol",
        # Optional: a place without an SD mux boots what its card holds.
        "sdmux": {"USBSDMuxDriver", "USBSDWireDriver", None},
        "storage": {"USBStorageDriver", None},
    }

    status: Status = attr.ib(default=Status.unknown)
    # Seconds from power on to the login prompt (a ZedBoard: about 15 s;
    # generous for a busy emulated one).
    login_timeout = attr.ib(default=300.0, converter=float)
    # Key of the image to write in the environment's `images:` (none there: no write).
    image: str = attr.ib(default="root", validator=attr.validators.instance_of(str))

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.console_log = b""

    def _image_path(self) -> str | None:
        env = self.target.env
        if env is None or self.image not in env.config.get_images():
            return None
        return str(env.config.get_image_path(self.image))

    @never_retry
    @step(args=["status"])
    def transition(self, status, *, step):  # type: ignore[no-untyped-def]  # noqa: ANN001
        if not isinstance(status, Status):
            status = Status[status]
        if status == Status.unknown:
            raise StrategyError(f"can not transition to {status}")
        if status == self.status:
            step.skip("nothing to do")
            return
        if status == Status.off:
            self.target.deactivate(self.console)
            self.target.activate(self.power)
            self.power.off()
        elif status == Status.shell:
            self.transition(Status.off)
            self._write_image()
            # The console first: a failure then shows the whole boot log.
            self.target.activate(self.console)
            self.power.on()
            self._wait_for_login()
        else:
            raise StrategyError(f"no transition found from {self.status} to {status}")
        self.status = status

    @never_retry
    @step(args=["status"])
    def force(self, status, *, step):  # type: ignore[no-untyped-def]  # noqa: ANN001
        """Take the board as being in `status` already (labgrid's
        --lg-initial-state: a board booted by hand)."""
        if not isinstance(status, Status):
            status = Status[status]
        if status == Status.unknown:
            raise StrategyError(f"can not force state {status}")
        self.target.activate(self.power)
        if status == Status.shell:
            self.target.activate(self.console)
        self.status = status

    def _write_image(self) -> None:
        image = self._image_path()
        if image is None:
            return
        if self.sdmux is None or self.storage is None:
            raise StrategyError(f"the environment names an image ({image}), but the place has no SD mux "
                                "to write it with (USBSDMuxDevice or USBSDWireDevice, and USBStorageDriver)")
        self.target.activate(self.sdmux)
        self.sdmux.set_mode("host")
        self.target.activate(self.storage)
        self.storage.write_image(image, mode=Mode.BMAPTOOL)
        self.target.deactivate(self.storage)
        self.sdmux.set_mode("dut")

    def _wait_for_login(self) -> None:
        """Read the console until the login prompt; keep what it printed."""
        log = bytearray()
        deadline = time.monotonic() + self.login_timeout
        while not LOGIN_PROMPT.search(log):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(log, f"the board showed no login prompt within {self.login_timeout:g} s after power on")
            try:
                log += self.console.read(size=1, timeout=min(remaining, 1.0), max_size=4096)
            except TIMEOUT:
                continue  # nothing printed this second
            except SerialException as e:
                self._fail(log, f"the console closed before the login prompt ({e})")
        self.console_log = bytes(log)

    def _fail(self, log: bytearray, what: str) -> NoReturn:
        self.console_log = bytes(log)
        text = log[-LOG_TAIL:].decode(errors="replace") or "(the console printed nothing)"
        raise StrategyError(f"{what}; console log ({len(log)} bytes, the last {LOG_TAIL} at most):\n{text}")


# labgrid executes an environment's imports each time it reads the file (a
# second Environment in one process reads it again); the first class stays
# registered, as labgrid refuses a second one of the same name.
if "ZynqStrategy" not in target_factory.all_classes:
    target_factory.reg_driver(ZynqStrategy)
