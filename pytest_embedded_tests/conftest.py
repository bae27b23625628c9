# SPDX-License-Identifier: MIT
"""On-target tests over the Linux serial console (pytest-embedded's serial
service), unchanged for a real board and for the emulated one.

    pytest pytest_embedded_tests                          # boots the emulated board, stops it after
    pytest pytest_embedded_tests --port socket://127.0.0.1:PORT   # a board already running (tools/sim boot)
    pytest pytest_embedded_tests --port /dev/ttyUSB1      # a real ZedBoard (UART1 over USB)
    pytest pytest_embedded_tests --port rfc2217://host:port       # a board behind a serial server
    LG_PLACE=NAME pytest --lg-env tools/labgrid/zedboard-env.yaml pytest_embedded_tests   # a labgrid farm

The emulated board boots once per test run. Each test gets `linux`, the
board's console logged in as root, and fails if the kernel log gained an
Oops, BUG, WARNING, KASAN report or call trace while it ran.

Markers: `emulated` tests need the emulated board (they look at CPU1 through
QEMU's monitor); `silicon` tests need a real Zynq (caches, timing). Each kind
is deselected where it cannot run.
"""

import secrets
import subprocess
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
import serial
from zynqsim import board as sim_board
from zynqsim import build as sim_build

from pytest_embedded_tests.dut import ZynqLinuxDut
from pytest_embedded_tests.farm import FarmError, Places
from pytest_embedded_tests.transport import adopt_console, open_console

REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sharedmem", "meta-sharedmem on-target tests")
    group.addoption("--sharedmem-boot-timeout", type=float, default=None,
                    help="seconds the emulated board may take to reach its login prompt "
                    f"(default: {', '.join(f'{k} {v:g}' for k, v in sim_board.BOOT_TIMEOUTS.items())})")
    group.addoption("--sharedmem-login-timeout", type=float, default=60.0,
                    help="seconds to reach a shell prompt on the console")
    group.addoption("--sharedmem-place-wait", type=float, default=600.0,
                    help="with labgrid's --lg-env: seconds to wait for a place that another user holds "
                    "(default 600), then fail naming the holder")
    group.addoption("--sharedmem-repeat-scale", type=float, default=1.0,
                    help="scale of the repetition counts of the endurance tests (100 starts, 100,000 requests, "
                    "100 module loads); tools/test uses 0.1 on the debug board, where the full counts run "
                    "on the normal board")
    group.addoption("--sharedmem-fuzz-ops", type=int, default=200_000,
                    help="operations of the on-target syscall fuzzer (test_fuzz.py)")
    group.addoption("--sharedmem-fuzz-seed", default="20261122",
                    help="the fuzzer's seed (a failure prints it; the same seed repeats the operations)")
    group.addoption("--sharedmem-board", choices=sorted(sim_build.VARIANTS), default="normal",
                    help="which emulated board to boot: normal, or debug (KASAN, lockdep, kmemleak, ...)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "emulated: needs the emulated board (QEMU's monitor)")
    config.addinivalue_line("markers", "silicon: needs a real Zynq-7000 (caches, real timing)")
    config.addinivalue_line("markers", "debug_board: needs the debug kernel (kmemleak, ...)")
    config.addinivalue_line("markers", "smoke: quick checks that pass on any booted board (`-k smoke`)")


def _labgrid_env(config: pytest.Config) -> Any:
    """labgrid's Environment when the session runs under labgrid's plugin
    (`--lg-env` or LG_ENV), else None."""
    from labgrid.pytestplugin.hooks import LABGRID_ENV_KEY

    return config.stash.get(LABGRID_ENV_KEY, None)


def _emulated_port(config: pytest.Config) -> bool:
    """True if the tests will run on the emulated board: no --port (they boot
    it), or --port naming the console of the one `tools/sim boot` started.
    A labgrid place counts as a real board."""
    if _labgrid_env(config) is not None:
        return False
    port = config.getoption("port", None)
    if not port:
        return True
    state = sim_board.running()
    return state is not None and state.console_url == port


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    unwanted = {"silicon" if _emulated_port(config) else "emulated"}
    if config.getoption("sharedmem_board") != "debug" or config.getoption("port", None):
        unwanted.add("debug_board")
    deselected = [i for i in items if here in Path(i.fspath).parents
                  and any(i.get_closest_marker(m) for m in unwanted)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if i not in deselected]


@pytest.fixture(scope="session")
def zynq_board(request: pytest.FixtureRequest) -> Iterator[sim_board.BoardState | None]:
    """The emulated board (booted here if no --port was given), or None for a
    real board."""
    config = request.config
    if config.getoption("port", None) or _labgrid_env(config) is not None:
        yield sim_board.running() if _emulated_port(config) else None
        return
    variant = config.getoption("sharedmem_board")
    state = sim_board.boot(sim_build.build(variant=variant), timeout=config.getoption("sharedmem_boot_timeout"))
    try:
        yield state
    finally:
        sim_board.stop()


@pytest.fixture
def repeat(request: pytest.FixtureRequest) -> Callable[[int], int]:
    """repeat(n): how often an endurance test repeats what it names n times
    (n, scaled by --sharedmem-repeat-scale, at least 1)."""
    scale = request.config.getoption("sharedmem_repeat_scale")
    return lambda n: max(1, round(n * scale))


@pytest.fixture(scope="session", autouse=True)
def _labgrid_places(request: pytest.FixtureRequest) -> Iterator[Places | None]:
    """Under labgrid's plugin: the environment's places, acquired before
    labgrid builds its targets (a RemotePlace needs an acquired place: the
    `target` fixture of ../conftest.py asks for this one first) and
    released at the end, whatever the outcome (a Ctrl-C too: pytest runs
    session finalizers on KeyboardInterrupt). See farm.py."""
    env = _labgrid_env(request.config)
    if env is None:
        yield None
        return
    places = Places(env, wait=request.config.getoption("sharedmem_place_wait"))
    try:
        places.acquire()
    except FarmError as e:
        places.release()
        pytest.exit(str(e), returncode=3)
    try:
        yield places
    finally:
        places.release()


@pytest.fixture(scope="session")
def _labgrid_shell(request: pytest.FixtureRequest, _labgrid_places: Places | None) -> Any:
    """labgrid's strategy (the plugin's `strategy` fixture) brought to
    `shell` once per session: the board powered off, its image written
    (with an SD mux), powered on, at its login prompt. A board that never
    gets there fails every test with the strategy's error and console log."""
    from labgrid.strategy import StrategyError

    strategy = request.getfixturevalue("strategy")
    try:
        strategy.transition("shell")
    except StrategyError as e:
        cause = e.__cause__ or e
        pytest.fail(f"labgrid: {type(strategy).__name__} could not bring the board to a shell: "
                    f"{getattr(cause, 'msg', None) or cause}", pytrace=False)
    return strategy


@pytest.fixture
def port(request: pytest.FixtureRequest,
         zynq_board: sim_board.BoardState | None) -> Iterator[serial.SerialBase | str | None]:
    """pytest-embedded's serial port: the console of labgrid's strategy
    (under `--lg-env`), --port, else the emulated board's console
    (socket:// URLs as an open SocketSerial, see transport.py), closed
    after the test.

    pytest-embedded asks for it in every test (an autouse fixture), but a
    console takes one client at a time: a test without `dut` gets none, so
    that it does not hold the console (test_farm.py runs a second session
    on it)."""
    if "dut" not in request.fixturenames:
        yield None
        return
    if _labgrid_env(request.config) is not None:
        # labgrid's SerialDriver keeps the port; pytest-embedded reads and
        # writes it (and closes it after each test: reopened here).
        console = adopt_console(request.getfixturevalue("_labgrid_shell").console.serial)
        yield console
        return
    url = request.config.getoption("port", None) or (zynq_board.console_url if zynq_board else None)
    assert url, "no --port and no emulated board"
    console = open_console(str(url))
    yield console
    if not isinstance(console, str):
        console.close()  # pytest-embedded closes it too when it made a Dut of it; closing twice is harmless


@pytest.fixture
def _fixture_classes_and_options(_fixture_classes_and_options: Any) -> Any:
    """Make pytest-embedded build our Dut class on its serial transport."""
    _fixture_classes_and_options.classes["dut"] = ZynqLinuxDut
    return _fixture_classes_and_options


@pytest.fixture(scope="session", autouse=True)
def _record_what_was_tested(record_testsuite_property: Callable[[str, object], None],
                            zynq_board: sim_board.BoardState | None) -> None:
    """Each run records the commit and the images it tested (JUnit properties)."""
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    record_testsuite_property("commit", commit or "unknown")
    if zynq_board is not None:
        for name, ident in zynq_board.images.items():
            record_testsuite_property(f"image.{name}", ident)
    else:
        record_testsuite_property("board", "real")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the call phase's report on the item: `linux` adds the kernel log
    of a failed test to the JUnit report."""
    report = yield
    if report.when == "call":
        item.sharedmem_call_report = report  # type: ignore[attr-defined]
    return report


@pytest.fixture
def linux(dut: ZynqLinuxDut, request: pytest.FixtureRequest) -> Iterator[ZynqLinuxDut]:
    """The board's console with a root shell; checks the kernel log after the test."""
    dut.login(timeout=request.config.getoption("sharedmem_login_timeout"))
    mark = f"pytest-mark-{secrets.token_hex(6)}"
    dut.check(f"echo {mark} > /dev/kmsg")
    yield dut
    try:
        report = getattr(request.node, "sharedmem_call_report", None)
        if report is not None and report.failed:
            # The kernel's view of a failed test, in the JUnit report (property kernel_log).
            request.node.user_properties.append(("kernel_log", dut.check(f"dmesg | sed -n '/{mark}/,$p'")))
        alarms = dut.kernel_log_alarms(since=mark)
    except pexpect.ExceptionPexpect as e:
        pytest.fail(f"the board stopped answering after the test: {e}")
    assert not alarms, f"kernel log gained warnings during {request.node.name}:\n" + "\n".join(alarms)
