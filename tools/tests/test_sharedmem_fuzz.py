# SPDX-License-Identifier: MIT
"""The on-target fuzzer (pytest_embedded_tests/target/sharedmem_fuzz.py):
it issues every ioctl of the uapi, and repeats itself from a seed."""

import importlib.util
import random
import sys
from pathlib import Path

from shmem_helper import uapi

TARGET = Path(__file__).resolve().parent.parent.parent / "pytest_embedded_tests" / "target"


def load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, TARGET / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_fuzzer_issues_every_ioctl_of_the_uapi():
    fuzz = load("sharedmem_fuzz")
    assert set(fuzz.IOCTLS) == {"VERSION", "INFO", "ALLOC", "FREE", "RESIZE", "DOORBELL", "EVENTS"}
    assert fuzz.IOCTLS == {name: getattr(uapi, f"IOC_{name}") for name in fuzz.IOCTLS}


def test_the_fuzzer_repeats_its_operations_from_a_seed():
    fuzz = load("sharedmem_fuzz")
    names = [n for n, _ in fuzz.Worker.OPS]
    weights = [w for _, w in fuzz.Worker.OPS]

    def plan(seed: str) -> list[str]:
        rng = random.Random(f"{seed}/0")
        return [rng.choices(names, weights)[0] for _ in range(1000)]

    assert plan("7") == plan("7") != plan("8")
    assert set(plan("7")) == set(names), "every operation is drawn"
