# SPDX-License-Identifier: MIT
"""The labgrid farm path, proven with no hardware: a labgrid coordinator and
an exporter on loopback export an emulated board's console as a network
serial port; the on-target tests run under labgrid's own pytest plugin
(`pytest --lg-env tools/labgrid/loopback-env.yaml pytest_embedded_tests -k
smoke`), which acquires the place, takes the board from off to a shell with
ZynqStrategy (labgrid's ExternalPowerDriver as the power switch: `tools/sim
stop` and `tools/sim boot`, in this test's own SHAREDMEM_SIM_RUN), and
releases the place. Also tried: a failing test (its kernel log in the JUnit
report), Ctrl-C, a busy place, a board that never reaches its login prompt
and an unreachable coordinator. Everything is torn down, no process left
behind, nothing listening beyond 127.0.0.1.

The place's state is read through labgrid's client API, never from
labgrid-client's output."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from labgrid.remote.client import start_session

from pytest_embedded_tests.nested import (
    BIN,
    REPO,
    SMOKE,
    Daemons,
    assert_loopback_only,
    free_port,
    listening,
    wait_for,
)

pytestmark = pytest.mark.emulated

HERE = Path(__file__).resolve().parent
LABGRID = REPO / "tools" / "labgrid"
SIM = REPO / "tools" / "sim"
# What a board whose SD card holds no bootable image prints, and then nothing.
BROKEN_BOOT = ("U-Boot SPL 2024.01 (Jan 01 2024 - 00:00:00 +0000)\\r\\nTrying to boot from MMC1\\r\\n"
               "spl: could not find mmc device 0. error: -19\\r\\n### ERROR ### Please RESET the board ###\\r\\n")


class Farm(Daemons):
    """A coordinator and an exporter on loopback, as child processes, with
    two places: `zed`, the emulated board's console (through sim-uart, at
    one address across power cycles), and `zed-broken`, the console of a
    board that never boots (socat telling the story of a missing SD card)."""

    def __init__(self, tmp: Path, sim_run: Path):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        super().__init__(tmp, {**os.environ, "LG_COORDINATOR": self.address, "SHAREDMEM_SIM_RUN": str(sim_run)})
        try:
            self._start_all(tmp)
        except BaseException:
            self.stop()  # nothing left behind when the farm cannot start
            raise

    def _start_all(self, tmp: Path) -> None:
        uart, broken = free_port(), free_port()
        self.start("sim-uart", [sys.executable, str(REPO / "tools" / "sim-uart"), f"127.0.0.1:{uart}"])
        script = tmp / "broken-board.sh"
        script.write_text(f"printf '{BROKEN_BOOT}'\nexec sleep 600\n")
        self.start("broken-uart", [shutil.which("socat") or "socat",
                                   f"TCP-LISTEN:{broken},bind=127.0.0.1,reuseaddr,fork", f"EXEC:sh {script}"])
        wait_for(lambda: listening(uart) and listening(broken), "the consoles listening")
        config = tmp / "exporter.yaml"
        config.write_text("".join(f"{group}:\n  NetworkSerialPort:\n    host: 127.0.0.1\n    port: {port}\n"
                                  "    speed: 115200\n    protocol: raw\n"
                                  for group, port in (("zedboard-sim", uart), ("zedboard-broken", broken))))
        self.start("coordinator", [str(BIN / "labgrid-coordinator"), "--listen", self.address])
        wait_for(lambda: listening(self.port), "labgrid-coordinator listening")
        exporter = self.start("exporter", [str(BIN / "labgrid-exporter"), "--coordinator", self.address,
                                           "--name", "sim-exporter", str(config)])
        wait_for(lambda: "Exporter ready" in self.log("exporter") or exporter.poll() is not None,
                 "labgrid-exporter ready")
        assert exporter.poll() is None, self.log("exporter")
        for place, group in (("zed", "zedboard-sim"), ("zed-broken", "zedboard-broken")):
            self.client("-p", place, "create")
            self.client("-p", place, "add-match", f"sim-exporter/{group}/*")

    def client(self, *args: str, user: str | None = None) -> None:
        """labgrid-client, for what a farm's admin or another user does (its output is not read)."""
        env = dict(self.env, **({"LG_USERNAME": user} if user else {}))
        proc = subprocess.run([str(BIN / "labgrid-client"), "-x", self.address, *args], capture_output=True,
                              text=True, env=env, timeout=60)
        assert proc.returncode == 0, f"labgrid-client {' '.join(args)}: {proc.stdout}{proc.stderr}"

    def holder(self, place: str) -> str | None:
        """Who holds the place ("host/user"), from the coordinator, through labgrid's client API."""
        session = start_session(self.address)
        try:
            return session.get_place(place).acquired  # type: ignore[no-any-return]
        finally:
            session.loop.run_until_complete(session.stop())
            session.loop.run_until_complete(session.close())

    def tests(self, *args: str, env_file: Path = LABGRID / "loopback-env.yaml", place: str = "zed",
              timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """A child session of the on-target tests under labgrid's plugin, as a farm user runs it."""
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "--lg-env", str(env_file), *args],
                              cwd=REPO, capture_output=True, text=True, timeout=timeout,
                              env=dict(self.env, LG_PLACE=place))


def sim_status(sim_run: Path) -> dict[str, object] | None:
    """The board `tools/sim` runs in that run directory, or None."""
    proc = subprocess.run([sys.executable, str(SIM), "status", "--json"], capture_output=True, text=True,
                          env={**os.environ, "SHAREDMEM_SIM_RUN": str(sim_run)}, timeout=60)
    state = json.loads(proc.stdout)
    return state if state and state.get("pid") else None


def test_labgrid_plugin_strategy_and_place_end_to_end(tmp_path: Path) -> None:
    # This test's own board: the strategy powers it off and on.
    sim_run = Path(tempfile.mkdtemp(prefix="sim-run-farm-"))  # short: QMP's socket path has a length limit
    farm = Farm(tmp_path, sim_run)
    selftest = Path(tempfile.mkdtemp(prefix=".farm-selftest-", dir=HERE))  # hidden: collection skips it
    try:
        assert_loopback_only(farm)
        assert sim_status(sim_run) is None
        started = time.time()

        # Off to shell for real: ExternalPowerDriver boots the board, the
        # strategy waits for its login prompt, pytest-embedded runs the tests.
        result = farm.tests(*SMOKE, f"--junitxml={tmp_path / 'farm.xml'}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "3 passed" in result.stdout, result.stdout
        board = sim_status(sim_run)
        assert board is not None and float(str(board["started"])) > started, "the strategy did not power the board on"
        assert farm.holder("zed") is None, "the place was not released"
        report = (tmp_path / "farm.xml").read_text()
        assert 'name="TARGET_MAIN_REMOTE" value="zed"' in report, report  # labgrid's plugin recorded the place

        # A failing test, on the board as the first session left it
        # (labgrid's --lg-initial-state: no power cycle): its kernel log goes
        # into the JUnit report, the place is released.
        (selftest / "test_fails_on_purpose.py").write_text(
            "def test_fails(linux):\n    linux.check('echo farm-failure-marker > /dev/kmsg')\n"
            "    assert False, 'on purpose'\n")
        result = farm.tests(str((selftest / "test_fails_on_purpose.py").relative_to(REPO)),
                            "--lg-initial-state", "shell", f"--junitxml={tmp_path / 'failing.xml'}")
        assert result.returncode == 1, result.stdout + result.stderr
        report = (tmp_path / "failing.xml").read_text()
        assert 'name="kernel_log"' in report and "farm-failure-marker" in report, report
        assert sim_status(sim_run)["pid"] == board["pid"], "--lg-initial-state shell power-cycled the board"  # type: ignore[index]
        assert farm.holder("zed") is None, "not released after a failure"

        # Ctrl-C while the session holds the place: released.
        (selftest / "test_waits_for_ctrl_c.py").write_text(
            "import time\n\ndef test_waits():\n    time.sleep(300)\n")
        proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "--lg-env", str(LABGRID / "loopback-env.yaml"),
                                 str((selftest / "test_waits_for_ctrl_c.py").relative_to(REPO))],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=dict(farm.env, LG_PLACE="zed"),
                                # Ctrl-C reaches it even where this session ignores SIGINT (a background job).
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            wait_for(lambda: farm.holder("zed") is not None or proc.poll() is not None, "the session acquiring")
            assert proc.poll() is None, proc.communicate()[0]
            time.sleep(1)  # into the test's sleep, past the acquisition
            proc.send_signal(signal.SIGINT)
            out = proc.communicate(timeout=120)[0]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert "KeyboardInterrupt" in out, out
        assert farm.holder("zed") is None, "not released after Ctrl-C:\n" + out

        # Busy: another user holds the place; the session waits, then names the holder.
        farm.client("-p", "zed", "acquire", user="nightly-ci")
        began = time.monotonic()
        result = farm.tests(*SMOKE, "--sharedmem-place-wait", "3")
        waited = time.monotonic() - began
        out = result.stdout + result.stderr
        assert result.returncode != 0 and "'zed'" in out and "is held by" in out and "/nightly-ci" in out, out
        assert waited >= 3, f"gave up after {waited:.1f} s"
        farm.client("-p", "zed", "release", user="nightly-ci")

        # A board that never reaches its login prompt: the strategy fails
        # with the console log, the place is released.
        broken_env = tmp_path / "broken-env.yaml"
        broken_env.write_text("targets:\n  main:\n    resources:\n      RemotePlace:\n        name: zed-broken\n"
                              "    drivers:\n      SerialDriver: {}\n"
                              "      ExternalPowerDriver:\n        cmd_on: 'true'\n        cmd_off: 'true'\n"
                              "      ZynqStrategy:\n        login_timeout: 5\n"
                              f"imports:\n  - {LABGRID / 'sharedmem_strategy.py'}\n")
        result = farm.tests(*SMOKE, env_file=broken_env, place="zed-broken")
        out = result.stdout + result.stderr
        assert result.returncode != 0, out
        assert "no login prompt within 5 s" in out and "Please RESET the board" in out, out
        assert farm.holder("zed-broken") is None, "not released after the strategy failed"
    finally:
        shutil.rmtree(selftest)
        farm.stop()
        subprocess.run([sys.executable, str(SIM), "stop"], env={**os.environ, "SHAREDMEM_SIM_RUN": str(sim_run)},
                       capture_output=True, timeout=120)
        shutil.rmtree(sim_run, ignore_errors=True)
    assert farm.all_gone(), "a labgrid process outlived the test"

    # Unreachable: the coordinator is gone now.
    result = farm.tests(*SMOKE)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"cannot reach the labgrid coordinator at {farm.address}" in out, out
