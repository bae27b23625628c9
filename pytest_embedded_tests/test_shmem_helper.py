# SPDX-License-Identifier: MIT
"""shmem-helper on the board as its users meet it: every Region operation
(target/shmem_helper_check.py, as a member of group sharedmem and as an
outsider), the package's public API and types as installed, the command
line's contract (options before or after the command, JSON failures, exit
statuses, an idempotent stop, start and stop refused on a crashed CPU1),
and the throughput benchmark's board program (target/sharedmem_bench.py),
shortened. CPU1 is started only to be crashed, and stopped again."""

import json

from pytest_embedded_tests.dut import TARGET, ZynqLinuxDut

from .test_rpmsg import wait_on_board

SYSFS = "/sys/class/remoteproc"
MOUNT_DEBUGFS = "grep -q ' /sys/kernel/debug debugfs ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug"


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


def _wait_state(linux: ZynqLinuxDut, rproc: str, state: str) -> str:
    """remoteproc's state once it is `state`, or what it is after 60 s."""
    wait_on_board(linux, f"grep -qx {state} {rproc}/state", 60)
    return linux.check(f"cat {rproc}/state").strip()


def test_a_crashed_cpu1_is_neither_started_nor_stopped_on_the_board(linux: ZynqLinuxDut) -> None:
    """Recovery disabled and a crash reported (debugfs `crash`): remoteproc
    holds CPU1 crashed, where a `start` returns 0 and boots nothing and a
    `stop` is EINVAL. shmem-helper refuses both, exit 1, naming the recovery
    file; the recovery it names brings CPU1 back."""
    rproc = linux.check(f"grep -l '^zynq-cpu1$' {SYSFS}/remoteproc*/name").strip().rpartition("/")[0]
    name = rproc.rpartition("/")[2]
    if "running" not in linux.check(f"cat {rproc}/state"):
        assert helper(linux, "start")[0] == 0
    linux.check(MOUNT_DEBUGFS)
    try:
        linux.check(f"echo disabled > {rproc}/recovery && echo 1 > /sys/kernel/debug/remoteproc/{name}/crash")
        assert _wait_state(linux, rproc, "crashed") == "crashed"
        for command in ("start", "stop"):
            status, out, err = helper(linux, command)
            assert status == 1 and "CPU1 crashed and was not recovered (its recovery is disabled" in err, (out, err)
            assert f"echo recover > {rproc}/recovery" in err and "CPU1 runs" not in out, (out, err)
        linux.check(f"echo recover > {rproc}/recovery")
        assert _wait_state(linux, rproc, "running") == "running"
        assert helper(linux, "stop")[0] == 0
    finally:
        linux.check(f"echo enabled > {rproc}/recovery")
