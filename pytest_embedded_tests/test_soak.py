# SPDX-License-Identifier: MIT
"""The soak (target/sharedmem_soak.py), bounded for CI: 10,000 CRC-checked
request/response pairs, 20 CPU1 restarts, 20 module unload/load cycles;
nothing lost, nothing corrupted, no growth of the driver's memory. The full
soak (1,000,000 / 1,000 / 1,000) is `tools/soak`."""

import json
from collections.abc import Callable

from pytest_embedded_tests.dut import TARGET, ZynqLinuxDut

SOAK = TARGET / "sharedmem_soak.py"


def test_bounded_soak_loses_and_leaks_nothing(linux: ZynqLinuxDut,
                                              record_property: Callable[[str, object], None]) -> None:
    result = linux.run_program(SOAK, "--pairs", "10000", "--restarts", "20", "--loads", "20", timeout=900)
    summary = json.loads(result.output.strip().splitlines()[-1])
    for key in ("pairs", "lost", "corrupted", "restarts", "loads", "cma_pages_growth", "seconds", "round_trip"):
        record_property(f"soak_{key}", summary.get(key))
    print(f"soak: {summary}")
    assert result.status == 0 and not summary["failures"], result.output
    assert (summary["pairs"], summary["restarts"], summary["loads"]) == (10000, 20, 20)
    assert summary["lost"] == summary["corrupted"] == summary["cma_pages_growth"] == 0
    assert set(summary["round_trip"]) == {"p50_us", "p99_us", "p99.9_us", "max_us"}
