# SPDX-License-Identifier: MIT
"""The labgrid farm path, proven with no hardware: a labgrid coordinator and
an exporter on loopback export the emulated board's console as a network
serial port; a place is created and the board's smoke tests run through it
(`--lg-coordinator`, `--lg-place`); a busy place and an unreachable
coordinator fail clearly; everything is torn down, no process left behind,
nothing listening beyond 127.0.0.1."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pytest_embedded_tests.nested import (
    BIN,
    SMOKE,
    Daemons,
    assert_loopback_only,
    free_port,
    listening,
    run_tests,
    wait_for,
)

pytestmark = pytest.mark.emulated

HERE = Path(__file__).resolve().parent


class Farm(Daemons):
    """A coordinator and an exporter on loopback, as child processes."""

    def __init__(self, tmp: Path, console_port: int):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        super().__init__(tmp, {**os.environ, "LG_COORDINATOR": self.address})
        config = tmp / "exporter.yaml"
        config.write_text("zedboard-sim:\n  NetworkSerialPort:\n    host: 127.0.0.1\n"
                          f"    port: {console_port}\n    speed: 115200\n    protocol: raw\n")
        self.start("coordinator", [str(BIN / "labgrid-coordinator"), "--listen", self.address])
        wait_for(lambda: listening(self.port), "labgrid-coordinator listening")
        exporter = self.start("exporter", [str(BIN / "labgrid-exporter"), "--coordinator", self.address,
                                           "--name", "sim-exporter", str(config)])
        wait_for(lambda: "Exporter ready" in self.log("exporter") or exporter.poll() is not None,
                 "labgrid-exporter ready")
        assert exporter.poll() is None, self.log("exporter")

    def client(self, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(self.env, **({"LG_USERNAME": user} if user else {}))
        return subprocess.run([str(BIN / "labgrid-client"), "-x", self.address, *args], capture_output=True,
                              text=True, env=env, timeout=60)


def test_the_smoke_tests_run_through_a_labgrid_place(zynq_board, tmp_path):
    console = urlparse(zynq_board.console_url)
    farm = Farm(tmp_path, console.port)
    try:
        assert farm.client("-p", "zed", "create").returncode == 0
        assert farm.client("-p", "zed", "add-match", "sim-exporter/zedboard-sim/*").returncode == 0
        assert_loopback_only(farm)

        result = run_tests(*SMOKE, "--lg-coordinator", farm.address, "--lg-place", "zed",
                           f"--junitxml={tmp_path / 'farm.xml'}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "3 passed" in result.stdout, result.stdout
        assert "acquired: None" in farm.client("-p", "zed", "show").stdout, "the place was not released"

        # A failing test: its kernel log goes into the JUnit report, the place is released.
        # (Written next to this file, in a hidden directory that collection skips, so
        # that this directory's conftest applies to it.)
        selftest = Path(tempfile.mkdtemp(prefix=".farm-selftest-", dir=HERE))
        try:
            failing = selftest / "test_fails_on_purpose.py"
            failing.write_text("def test_fails(linux):\n    linux.check('echo farm-failure-marker > /dev/kmsg')\n"
                               "    assert False, 'on purpose'\n")
            result = run_tests(str(failing.relative_to(HERE.parent)), "--lg-coordinator", farm.address,
                               "--lg-place", "zed", f"--junitxml={tmp_path / 'failing.xml'}")
        finally:
            shutil.rmtree(selftest)
        assert result.returncode == 1, result.stdout + result.stderr
        report = (tmp_path / "failing.xml").read_text()
        assert 'name="kernel_log"' in report and "farm-failure-marker" in report, report
        assert "acquired: None" in farm.client("-p", "zed", "show").stdout, "not released after a failure"

        # Busy: another user holds the place; the session waits --lg-wait, then names the holder.
        assert farm.client("-p", "zed", "acquire", user="nightly-ci").returncode == 0
        result = run_tests(*SMOKE, "--lg-coordinator", farm.address, "--lg-place", "zed", "--lg-wait", "2")
        assert result.returncode != 0
        assert "is held by" in result.stdout + result.stderr and "nightly-ci" in result.stdout + result.stderr, \
            result.stdout + result.stderr
        assert farm.client("-p", "zed", "release", user="nightly-ci").returncode == 0
    finally:
        farm.stop()
    assert farm.all_gone(), "a labgrid process outlived the test"

    # Unreachable: the coordinator is gone now.
    result = run_tests(*SMOKE, "--lg-coordinator", farm.address, "--lg-place", "zed")
    assert result.returncode != 0
    assert f"cannot reach the labgrid coordinator at {farm.address}" in result.stdout + result.stderr, \
        result.stdout + result.stderr
