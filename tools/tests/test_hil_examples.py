# SPDX-License-Identifier: MIT
"""The hardware-in-the-loop examples (tools/labgrid, tools/ci-examples) stay
true: they parse, name labgrid resources and drivers that exist, use only
options that pytest knows with labgrid's plugin loaded, the environment file
of the repository and the image that kas builds; the README's farm by hand
uses the same file. The test environment has one `serial` package,
labgrid's fork, and `pip check` is satisfied."""

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import labgrid.resource
import pytest
import yaml
from labgrid import Environment
from labgrid.factory import target_factory

REPO = Path(__file__).resolve().parent.parent.parent
LABGRID = REPO / "tools" / "labgrid"
EXAMPLES = REPO / "tools" / "ci-examples"


def test_exporter_and_environment_name_real_labgrid_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = yaml.safe_load((LABGRID / "zedboard-exporter.yaml").read_text())
    for group in exporter.values():
        for cls in group:
            assert hasattr(labgrid.resource, cls), f"labgrid has no resource {cls}"
    monkeypatch.setenv("LG_PLACE", "zedboard-1")
    monkeypatch.setenv("LG_IMAGE", "/images/sharedmem-image-zedboard-zynq7.rootfs.wic")
    for name in ("zedboard-env.yaml", "loopback-env.yaml"):
        # labgrid reads the file (templates, imports: our strategy registers itself) ...
        env = Environment(str(LABGRID / name))
        target = env.config.get_targets()["main"]
        assert list(target["resources"]) == ["RemotePlace"]
        assert target["resources"]["RemotePlace"]["name"] == "zedboard-1"
        # ... and every driver it names is one labgrid knows, ZynqStrategy among them.
        for cls in target["drivers"]:
            assert cls in target_factory.drivers, f"{name}: labgrid has no driver {cls}"
        assert "ZynqStrategy" in target["drivers"] and "SerialDriver" in target["drivers"]
    env = Environment(str(LABGRID / "zedboard-env.yaml"))
    assert env.config.get_image_path("root") == "/images/sharedmem-image-zedboard-zynq7.rootfs.wic"
    drivers = env.config.get_targets()["main"]["drivers"]
    assert {"NetworkPowerDriver", "USBSDMuxDriver", "USBStorageDriver"} <= set(drivers)


def test_the_environment_names_its_variables_when_they_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LG_PLACE", raising=False)
    with pytest.raises(Exception, match="LG_PLACE"):
        Environment(str(LABGRID / "loopback-env.yaml"))


def test_one_serial_package_and_pip_check_is_clean() -> None:
    """labgrid's fork of pyserial provides `serial`, alone: both
    distributions install the same directory, and the last one installed
    used to win (plain pyserial, without the fork's RFC 2217 fixes)."""
    providers = sorted({dist.metadata["Name"] for dist in importlib.metadata.distributions()
                        if any(str(f).replace(os.sep, "/") == "serial/__init__.py" for f in dist.files or [])})
    assert providers == ["pyserial-labgrid"], providers
    import serial

    assert serial.VERSION == importlib.metadata.version("pyserial-labgrid"), serial.VERSION
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_no_session_disables_labgrids_plugin() -> None:
    """labgrid's pytest plugin loads in every session: nothing passes
    `-p no:labgrid`, and no option of ours starts with --lg-."""
    for path in [REPO / "pyproject.toml", REPO / "tools" / "test", *REPO.glob("pytest_embedded_tests/*.py"),
                 *EXAMPLES.glob("*.yml"), REPO / "README.md"]:
        assert "no:labgrid" not in path.read_text(), path
    plugins = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "pytest_embedded_tests/test_harness.py",
                              "--trace-config"], cwd=REPO, capture_output=True, text=True).stdout
    assert "labgrid.pytestplugin" in plugins, plugins[-2000:]
    conftest = (REPO / "pytest_embedded_tests" / "conftest.py").read_text()
    assert not re.search(r"addoption\(\s*[\"']--lg-", conftest)


def test_pipelines_use_options_the_tests_define_and_the_image_kas_builds() -> None:
    help_text = subprocess.run([sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
                               cwd=REPO, capture_output=True, text=True).stdout
    image_recipe = (REPO / "meta-sharedmem/recipes-core/images/sharedmem-image.bb").read_text()
    assert re.search(r'IMAGE_FSTYPES \+= "wic', image_recipe)
    for example in EXAMPLES.glob("*.yml"):
        text = example.read_text()
        yaml.safe_load(text)
        for option in set(re.findall(r"(--(?:lg|sharedmem)-[a-z-]+)", text)):
            assert option in help_text, f"{example.name}: pytest has no option {option}"
        assert "--lg-env tools/labgrid/zedboard-env.yaml" in text, f"{example.name}: not the repository's env file"
        assert "kas build kas/zynq.yml" in text
        assert "sharedmem-image-zedboard-zynq7.rootfs.wic" in text
        assert "release" in text and ("if: always()" in text or "after_script" in text), \
            f"{example.name}: the board must be released on every path"


def test_the_readme_farm_by_hand_uses_the_same_environment_file() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("A one-board farm, by hand"):]
    section = section[:section.index("```", section.index("```") + 3)]
    assert "--lg-env tools/labgrid/zedboard-env.yaml" in section, section
