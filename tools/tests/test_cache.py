# SPDX-License-Identifier: MIT
from pathlib import Path

import pytest
from zynqsim.cache import COMPLETE, Step


def test_step_builds_once_per_key(sim_cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "input.txt"
    source.write_text("one")
    calls = []

    def build(out: Path) -> None:
        calls.append(out)
        (out / "artefact").write_text(source.read_text())

    first = Step("demo", [source]).run(build, log=lambda m: None)
    again = Step("demo", [source]).run(build, log=lambda m: None)
    assert first == again and len(calls) == 1

    source.write_text("two")
    second = Step("demo", [source]).run(build, log=lambda m: None)
    assert second != first and (second / "artefact").read_text() == "two" and len(calls) == 2


def test_an_interrupted_build_is_never_used(sim_cache: Path, tmp_path: Path) -> None:
    def interrupted(out: Path) -> None:
        (out / "artefact").write_text("half")
        raise KeyboardInterrupt

    step = Step("demo", ["inputs"])
    with pytest.raises(KeyboardInterrupt):
        step.run(interrupted, log=lambda m: None)
    assert not step.done and not (step.out / COMPLETE).exists()

    def whole(out: Path) -> None:
        assert not (out / "artefact").exists(), "the broken step must start clean"
        (out / "artefact").write_text("whole")

    out = Step("demo", ["inputs"]).run(whole, log=lambda m: None)
    assert (out / "artefact").read_text() == "whole"
