# SPDX-License-Identifier: MIT
"""shmem-helper on the board as its users meet it: every Region operation
(target/shmem_helper_check.py, as a member of group sharedmem and as an
outsider), the package's public API and types as installed, the command
line's contract (options before or after the command, JSON failures, exit
statuses, an idempotent stop), and the throughput benchmark's board program
(target/sharedmem_bench.py), shortened. CPU1 is not started here."""

import json
from pathlib import Path

import pytest

TARGET = Path(__file__).parent / "target"
SYSFS = "/sys/class/remoteproc"


def run_program(linux, name: str, args: str = "", user: str = "root", timeout: float = 120.0):
    """Copy a program of target/ to the board, run it (as `user`), remove it."""
    remote = f"/tmp/{name}"
    linux.put_file(remote, (TARGET / name).read_bytes())
    command = f"python3 {remote} {args} 2>&1"
    if user != "root":
        command = f"su -s /bin/sh {user} -c '{command}'"
    try:
        return linux.run(command, timeout)
    finally:
        linux.run(f"rm -f {remote}")


def helper(linux, args: str, user: str = "root"):
    """shmem-helper on the board: (status, stdout), stderr apart."""
    command = f"shmem-helper {args} 2>/tmp/shmem-helper.err"
    if user != "root":
        command = f"su -s /bin/sh {user} -c '{command}'"
    result = linux.run(command)
    return result.status, result.output, linux.check("cat /tmp/shmem-helper.err; rm -f /tmp/shmem-helper.err")


@pytest.mark.parametrize("user,mode", [("amp", "member"), ("outsider", "outsider")])
def test_every_region_operation_on_the_board(linux, user, mode):
    result = run_program(linux, "shmem_helper_check.py", mode, user=user)
    assert result.status == 0 and result.output.rstrip().endswith("ALL-OK"), result.output


def test_the_public_api_and_its_types_are_installed(linux):
    out = linux.check('python3 -c "import shmem_helper as s; s.Region, s.Cpu1, s.ChannelLink, s.Error; '
                      'import os; print(s.__version__, os.path.isfile(os.path.join(os.path.dirname(s.__file__), '
                      '\'py.typed\')))"')
    assert out.split() == ["0.1.0", "True"], out


def _cpu1_offline(linux) -> None:
    if "running" in linux.check(f"cat {SYSFS}/remoteproc*/state"):
        assert helper(linux, "stop")[0] == 0


def test_the_command_line_contract_on_the_board(linux):
    _cpu1_offline(linux)
    status, out, err = helper(linux, "--json info")
    assert status == 0 and "/dev/sharedmem/buffer" in {n["node"] for n in json.loads(out)["nodes"]}, err
    assert json.loads(helper(linux, "info buffer --json")[1])["nodes"][0]["node"] == "/dev/sharedmem/buffer"
    # stop twice on a stopped CPU1: done, and says so
    for _ in range(2):
        status, out, err = helper(linux, "stop")
        assert status == 0 and out.strip() == "CPU1 was already stopped (offline)", (out, err)
    # CPU1 not running: a JSON failure that says to start it
    status, out, err = helper(linux, "--json ping")
    failure = json.loads(out)
    assert status == 1 and failure["exit"] == 1 and "start" in failure["error"], (out, err)
    assert err.strip() == f"shmem-helper: {failure['error']}"
    # no permission, as JSON too
    status, out, err = helper(linux, "read sharedmem-channel -n 4 --json", user="outsider")
    assert status == 1 and "group `sharedmem`" in json.loads(out)["error"], (out, err)
    # usage errors exit 2
    for usage in ("send 2 --hex zz", "fill buffer --byte 256", "frobnicate --json"):
        status, out, err = helper(linux, usage)
        assert status == 2 and "usage:" in err, (usage, out, err)
    assert json.loads(helper(linux, "--json frobnicate")[1])["exit"] == 2


def test_the_benchmark_program_runs(linux):
    result = run_program(linux, "sharedmem_bench.py", "--size 1048576 --min-time 0 --rounds 1", timeout=300)
    assert result.status == 0, result.output
    rates = json.loads(result.output.strip().splitlines()[-1])
    assert set(rates) == {"anon memcpy", "mapping memcpy (store)", "mapping memcpy (load)", "write() 4 KiB",
                          "read() 4 KiB", "write() 1 MiB", "read() 1 MiB"}
    assert all(v > 0 for v in rates.values()), rates
    assert "x anon" in result.output
