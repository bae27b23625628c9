# SPDX-License-Identifier: MIT
"""shmem-helper on the board as its users meet it: every Region operation
(target/shmem_helper_check.py, as a member of group sharedmem and as an
outsider), the package's public API and types as installed, the command
line's contract (options before or after the command, JSON failures, exit
statuses, an idempotent stop), and the throughput benchmark's board program
(target/sharedmem_bench.py), shortened. CPU1 is not started here."""

import json

from pytest_embedded_tests.dut import TARGET, ZynqLinuxDut

SYSFS = "/sys/class/remoteproc"


def helper(linux: ZynqLinuxDut, args: str, user: str = "root") -> tuple[int, str, str]:
    """shmem-helper on the board, in one command line: (status, stdout, stderr)."""
    command = f"shmem-helper {args} 2>/tmp/shmem-helper.err"
    if user != "root":
        command = f"su -s /bin/sh {user} -c '{command}'"
    result = linux.run(f"{command}; s=$?; echo '<stderr>'; cat /tmp/shmem-helper.err; rm -f /tmp/shmem-helper.err; "
                       "(exit $s)")
    out, _, err = result.output.rpartition("<stderr>\n")
    return result.status, out, err


def test_every_region_operation_and_the_installed_package_on_the_board(linux: ZynqLinuxDut) -> None:
    for user, mode in (("amp", "member"), ("outsider", "outsider")):
        result = linux.run_program(TARGET / "shmem_helper_check.py", mode, user=user, timeout=180)
        assert result.status == 0 and result.output.rstrip().endswith("ALL-OK"), (user, result.output)


def test_the_command_line_contract_on_the_board(linux: ZynqLinuxDut) -> None:
    if "running" in linux.check(f"cat {SYSFS}/remoteproc*/state"):
        assert helper(linux, "stop")[0] == 0
    # an option after the command
    status, out, err = helper(linux, "info buffer --json")
    assert status == 0 and json.loads(out)["nodes"][0]["node"] == "/dev/sharedmem/buffer", (out, err)
    # stop on a stopped CPU1: done, and says so
    status, out, err = helper(linux, "stop")
    assert status == 0 and out.strip() == "CPU1 was already stopped (offline)", (out, err)
    # an option before the command; CPU1 not running: a JSON failure that says to start it
    status, out, err = helper(linux, "--json ping")
    failure = json.loads(out)
    assert status == 1 and failure["exit"] == 1 and "start" in failure["error"], (out, err)
    assert err.strip() == f"shmem-helper: {failure['error']}"
    # no permission
    status, out, err = helper(linux, "read sharedmem-channel -n 4 --json", user="outsider")
    assert status == 1 and "group `sharedmem`" in json.loads(out)["error"], (out, err)
    # a usage error
    status, out, err = helper(linux, "--json send 2 --hex zz")
    assert status == 2 and json.loads(out)["exit"] == 2 and "usage:" in err, (out, err)


def test_the_benchmark_program_runs(linux: ZynqLinuxDut) -> None:
    result = linux.run_program(TARGET / "sharedmem_bench.py", "--size", "1048576", "--min-time", "0", "--rounds", "1",
                               timeout=300)
    assert result.status == 0, result.output
    rates = json.loads(result.output.strip().splitlines()[-1])
    assert set(rates) == {"anon memcpy", "mapping memcpy (store)", "mapping memcpy (load)", "write() 4 KiB",
                          "read() 4 KiB", "write() 1 MiB", "read() 1 MiB"}
    assert all(v > 0 for v in rates.values()), rates
    assert "x anon" in result.output
