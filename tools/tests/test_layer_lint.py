# SPDX-License-Identifier: MIT
"""oelint-adv on every recipe and bbappend of the layer: no findings.

Findings that are right to keep are suppressed inline in the recipe, each
with its reason on the lines above (`# nooelint: <rule>`).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
LAYER = REPO / "meta-sharedmem"


def oelint(files: list[Path], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # oelint-adv knows OE-Core's machines, not meta-xilinx's: teach it the
    # ones the layer names (SHAREDMEM_MACHINES) and meta-xilinx's Zynq-7000
    # SoC override `zynq`.
    layer_conf = (LAYER / "conf/layer.conf").read_text()
    machines = re.search(r'SHAREDMEM_MACHINES \?\?= "([^"]*)"', layer_conf)
    assert machines
    mods = tmp_path / "xilinx-machines.json"
    mods.write_text(json.dumps({"replacements": {"machines": ["zynq", *machines[1].split()]}}))
    return subprocess.run([sys.executable, "-m", "oelint_adv", "--quiet", "--release", "scarthgap",
                           f"--constantmods=+{mods}", "--relpaths", *map(str, files)],
                          capture_output=True, text=True, cwd=REPO)


def test_oelint_adv_finds_nothing(tmp_path: Path) -> None:
    files = sorted(LAYER.glob("recipes-*/**/*.bb")) + sorted(LAYER.glob("recipes-*/**/*.bbappend"))
    assert len(files) >= 7
    result = oelint(files, tmp_path)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), \
        result.stdout + result.stderr


def test_oelint_adv_would_catch_a_mistake(tmp_path: Path) -> None:
    """The run above really lints: a recipe with variables out of order fails."""
    bad = tmp_path / "bad_1.0.bb"
    bad.write_text('# SPDX-License-Identifier: MIT\nLICENSE = "MIT"\nSUMMARY = "x"\n')
    result = oelint([bad], tmp_path)
    assert result.returncode != 0
    assert "oelint.var.order" in result.stdout + result.stderr


def test_each_inline_suppression_is_justified() -> None:
    """A `# nooelint:` line follows a comment that says why."""
    for path in sorted(LAYER.glob("recipes-*/**/*.bb*")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# nooelint:"):
                reason = lines[i + 1] if i == 0 else lines[i - 1]
                assert reason.startswith("#") and "nooelint" not in reason and len(reason) > 20, \
                    f"{path.relative_to(REPO)}:{i + 1}: suppression without a reason"
