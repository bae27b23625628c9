# SPDX-License-Identifier: MIT
"""The hardware-in-the-loop examples (tools/labgrid, tools/ci-examples) stay
true: they parse, name labgrid resources and drivers that exist, use only
options that the on-target tests define, and the image that kas builds."""

import re
import subprocess
import sys
from pathlib import Path

import labgrid.driver
import labgrid.resource
import yaml

REPO = Path(__file__).resolve().parent.parent.parent
LABGRID = REPO / "tools" / "labgrid"
EXAMPLES = REPO / "tools" / "ci-examples"


def test_exporter_and_environment_name_real_labgrid_classes():
    exporter = yaml.safe_load((LABGRID / "zedboard-exporter.yaml").read_text())
    for group in exporter.values():
        for cls in group:
            assert hasattr(labgrid.resource, cls), f"labgrid has no resource {cls}"
    env = yaml.safe_load((LABGRID / "zedboard-env.yaml").read_text())
    target = env["targets"]["main"]
    assert list(target["resources"]) == ["RemotePlace"]
    for cls in target["drivers"]:
        assert hasattr(labgrid.driver, cls), f"labgrid has no driver {cls}"


def test_pipelines_use_options_the_tests_define_and_the_image_kas_builds():
    help_text = subprocess.run([sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
                               cwd=REPO, capture_output=True, text=True).stdout
    image_recipe = (REPO / "meta-sharedmem/recipes-core/images/sharedmem-image.bb").read_text()
    assert re.search(r'IMAGE_FSTYPES \+= "wic', image_recipe)
    for example in EXAMPLES.glob("*.yml"):
        text = example.read_text()
        yaml.safe_load(text)
        for option in set(re.findall(r"(--lg-[a-z-]+)", text)):
            assert option in help_text, f"{example.name}: pytest has no option {option}"
        assert "kas build kas/zynq.yml" in text
        assert "sharedmem-image-zedboard-zynq7.rootfs.wic" in text
        assert "release" in text and ("if: always()" in text or "after_script" in text), \
            f"{example.name}: the board must be released on every path"
