# SPDX-License-Identifier: MIT
"""layer.conf, the layer's documents, and what ties recipes together."""

import fnmatch
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
LAYER = REPO / "meta-sharedmem"
LAYER_CONF = (LAYER / "conf/layer.conf").read_text()


def conf_value(name: str) -> str:
    m = re.search(rf'^{re.escape(name)}\s*[?:+.]*=\s*"((?:[^"\\]|\\\n)*)"', LAYER_CONF, re.M)
    assert m, f"layer.conf does not set {name}"
    return " ".join(m[1].replace("\\\n", " ").split())


def test_layer_conf_declares_the_collection() -> None:
    assert conf_value("BBFILE_COLLECTIONS") == "sharedmem"
    assert conf_value("BBFILE_PATTERN_sharedmem") == "^${LAYERDIR}/"
    assert conf_value("BBFILE_PRIORITY_sharedmem").isdigit()
    assert conf_value("LAYERDEPENDS_sharedmem").split() == ["core"]
    assert "scarthgap" in conf_value("LAYERSERIES_COMPAT_sharedmem").split()


def test_every_recipe_and_bbappend_is_found_by_bbfiles() -> None:
    """Recipes by BBFILES; bbappends of meta-xilinx recipes by BBFILES_DYNAMIC,
    only when meta-xilinx-core (collection `xilinx`) is there."""
    dynamic = [p.split(":", 1) for p in conf_value("BBFILES_DYNAMIC").split()]
    assert {collection for collection, _ in dynamic} == {"xilinx"}
    patterns = [p.replace("${LAYERDIR}/", "") for p in conf_value("BBFILES").split() + [p for _, p in dynamic]]
    files = [p.relative_to(LAYER).as_posix() for p in LAYER.rglob("*.bb*") if p.suffix in (".bb", ".bbappend")]
    assert len(files) >= 7
    for f in files:
        # bitbake's glob: `*` does not cross a `/`
        assert any(fnmatch.fnmatch(f, p) and f.count("/") == p.count("/") for p in patterns), f"BBFILES misses {f}"


def test_nothing_assumes_the_poky_distro() -> None:
    for path in [*LAYER.rglob("*.bb*"), *LAYER.rglob("*.conf"), *LAYER.rglob("*.bbclass")]:
        text = path.read_text()
        assert not re.search(r"\bDISTRO\s*[?:]*=|:poky\b|_poky\b", text), f"{path} sets or tests the distro"


def test_the_image_installs_what_the_layer_builds() -> None:
    image = (LAYER / "recipes-core/images/sharedmem-image.bb").read_text()
    for package in ("kernel-module-sharedmem", "sharedmem-udev-rules", "sharedmem-firmware", "python3-shmem-helper",
                    "python3"):
        assert re.search(rf"^\s+{re.escape(package)} \\$", image, re.M), f"{package} is not installed"
    wks = re.search(r'^WKS_FILE = "([^"]+)"', image, re.M)
    assert wks and (LAYER / "wic" / wks[1]).is_file()


def test_the_wks_has_the_boot_and_root_partitions() -> None:
    wks = (LAYER / "wic/sharedmem-sdimage.wks").read_text()
    assert re.search(r"^part /boot --source bootimg-partition .*--fstype=vfat .*--active", wks, re.M)
    assert re.search(r"^part / --source rootfs .*--fstype=ext4", wks, re.M)
    assert re.search(r"^bootloader --ptable msdos", wks, re.M)  # the BootROM reads an MBR card
    common = (REPO / "kas/common.yml").read_text()
    boot_files = re.search(r'IMAGE_BOOT_FILES:zynq = "([^"]+)"', common)
    assert boot_files and boot_files[1].split() == ["boot.bin", "u-boot.img", "boot.scr", "uImage", "system.dtb"]


def test_readme_says_who_where_and_how() -> None:
    readme = (LAYER / "README.md").read_text()
    assert re.search(r"^- Maintainers: [^\n]*\n?[^\n]*<[^@\s]+@[^>\s]+>", readme, re.M)
    for needed in ("## Dependencies", "Patches:", "git send-email", "## In a PetaLinux project",
                   "system-user.dtsi", "User Layers", "## With a real board", "115200", "--port /dev/ttyUSB1",
                   "## How this was checked", "bitbake -n sharedmem-image", "yocto-check-layer"):
        assert needed in readme, f"README.md lacks {needed!r}"
    assert (LAYER / "SECURITY.md").read_text().count("@") >= 1
    assert (LAYER / "COPYING.MIT").is_file()
