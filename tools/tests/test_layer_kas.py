# SPDX-License-Identifier: MIT
"""The kas configurations: valid against kas's own schema, pinned, locked."""

import argparse
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema.validators import validator_for

REPO = Path(__file__).resolve().parent.parent.parent
KAS = REPO / "kas"
KAS_FILES = sorted(KAS.glob("*.yml"))
BOARD_FILES = [p for p in KAS_FILES if p.name != "common.yml" and not p.name.endswith(".lock.yml")]
SCHEMA_LINE = "# yaml-language-server: $schema="


def kas_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(resources.files("kas").joinpath("schema-kas.json").read_text())
    return schema


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), path
    return data


def expand(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[str]]:
    """kas's own include handler: includes, lock files and merge, no fetch."""
    from kas.context import create_global_context
    from kas.includehandler import IncludeHandler

    monkeypatch.setenv("KAS_WORK_DIR", str(tmp_path))
    monkeypatch.chdir(REPO)
    create_global_context(argparse.Namespace(no_color=True))
    config: tuple[dict[str, Any], list[str]] = IncludeHandler([str(path)]).get_config()
    return config


def test_the_kas_files_are_there() -> None:
    names = {p.name for p in KAS_FILES}
    assert {"common.yml", "common.lock.yml", "zynq.yml", "zc702.yml"} <= names


@pytest.mark.parametrize("path", KAS_FILES, ids=lambda p: p.name)
def test_kas_file_is_valid_against_the_kas_schema(path: Path) -> None:
    errors = sorted(validator_for(kas_schema())(kas_schema()).iter_errors(load(path)), key=str)
    assert not errors, f"{path.name}: " + "; ".join(e.message for e in errors)


@pytest.mark.parametrize("path", KAS_FILES, ids=lambda p: p.name)
def test_kas_file_names_its_schema_on_line_1_and_a_recent_format(path: Path) -> None:
    assert path.read_text().splitlines()[0].startswith(SCHEMA_LINE)
    assert int(load(path)["header"]["version"]) >= 14  # commit/branch keys


def test_the_base_pins_every_remote_repository_to_a_commit_of_a_branch() -> None:
    repos = load(KAS / "common.yml")["repos"]
    remote = {name: repo for name, repo in repos.items() if repo and repo.get("url")}
    assert set(remote) == {"poky", "meta-arm", "meta-xilinx"}
    for name, repo in remote.items():
        assert len(repo.get("commit", "")) == 40, f"{name} is not pinned to a full commit id"
        assert repo.get("branch"), f"{name} names no release branch"
    assert repos["poky"]["branch"] == repos["meta-arm"]["branch"] == "scarthgap"
    assert repos["meta-xilinx"]["branch"] == "rel-v2024.2"


def test_the_lock_file_pins_the_same_commits_as_the_base() -> None:
    repos = load(KAS / "common.yml")["repos"]
    locked = load(KAS / "common.lock.yml")["overrides"]["repos"]
    assert locked == {name: {"commit": repo["commit"]} for name, repo in repos.items() if repo and repo.get("url")}


@pytest.mark.parametrize("path", BOARD_FILES, ids=lambda p: p.name)
def test_board_file_expands_offline_with_kas(path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, missing = expand(path, tmp_path, monkeypatch)
    assert not missing
    assert config["target"] == "sharedmem-image"
    assert config["repos"]["meta-xilinx"]["commit"] == load(KAS / "common.lock.yml")["overrides"]["repos"][
        "meta-xilinx"]["commit"]
    local_conf = "\n".join(config["local_conf_header"].values())
    # The choices meta-xilinx needs without Vivado (see kas/common.yml).
    for setting in ('PREFERRED_PROVIDER_virtual/boot-bin = "u-boot-xlnx"',
                    'PREFERRED_PROVIDER_virtual/dtb = "device-tree"',
                    "CONFIG_DTFILE = ", "UBOOT_USER_SPECIFIED_DTS = "):
        assert setting in local_conf, f"{path.name} lacks {setting}"


@pytest.mark.parametrize("path", BOARD_FILES, ids=lambda p: p.name)
def test_board_file_machine_is_one_the_layer_supports_and_its_dts_exists(path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = expand(path, tmp_path, monkeypatch)
    layer_conf = (REPO / "meta-sharedmem/conf/layer.conf").read_text()
    machines = layer_conf.split('SHAREDMEM_MACHINES ??= "', 1)[1].split('"', 1)[0].split()
    assert config["machine"] in machines
    board = config["local_conf_header"]["sharedmem-board"]
    dts = board.split("${SHAREDMEM_BOARD_DTS_DIR}/", 1)[1].split('"', 1)[0]
    assert (REPO / "meta-sharedmem/recipes-bsp/device-tree/boards" / dts).is_file()


def test_board_files_are_short() -> None:
    """Another Zynq-7000 board is one short file on top of the base."""
    for path in BOARD_FILES:
        lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
        assert len(lines) <= 12, f"{path.name} has {len(lines)} lines of configuration"
        assert load(path)["header"]["includes"] == ["kas/common.yml"]


def test_kas_layers_exist_in_this_repository() -> None:
    repos = load(KAS / "common.yml")["repos"]
    for layer in repos["meta-sharedmem"]["layers"]:
        assert (REPO / layer / "conf" / "layer.conf").is_file()
