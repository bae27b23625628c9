# SPDX-License-Identifier: MIT
"""The sharedmem module builds warning-free (W=1, sparse C=1) for ARM against
Linux 6.12 (the emulated board's kernel) and 6.1, and for x86-64 against
Debian's 6.1 headers; checkpatch.pl --strict has nothing to say; its ioctl
magic is free in both kernels' ioctl-number.rst. Each build works on a copy
of the layer's sources, as OE's `module` class and tools/sim do."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from zynqsim import build as sim_build
from zynqsim.build import KERNEL_CROSS, MODULE_SOURCE, package_version, run, tool_version
from zynqsim.cache import Step, stderr_log

LINUX_61_PACKAGE = "linux-source-6.1"
LINUX_61_TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")
# Debian's prepared x86-64 headers (linux-headers-amd64 depends on them).
AMD64_HEADERS_PACKAGE = "linux-headers-amd64"
UAPI_HEADER = MODULE_SOURCE / "include" / "uapi" / "misc" / "sharedmem.h"
MY_SOURCES = sorted(MODULE_SOURCE.glob("*.[ch]")) + [UAPI_HEADER]
IOCTL_MAGIC = 0xB9


@pytest.fixture(scope="module")
def sim_images() -> sim_build.Images:
    return sim_build.build()


@pytest.fixture(scope="module")
def linux_61_arm() -> Path:
    """Linux 6.1 for ARM, configured (multi_v7_defconfig: has ARCH_ZYNQ) and
    `modules_prepare`d, cached under the sim cache by its inputs. Debian's
    armhf header packages ship armhf host tools, which cannot run here."""
    step = Step("linux-6.1-arm-prepared", [package_version(LINUX_61_PACKAGE), "multi_v7_defconfig",
                                           tool_version(KERNEL_CROSS + "gcc")])

    def prepare(out: Path) -> None:
        run(["tar", "-xf", str(LINUX_61_TARBALL), "-C", str(out), "--strip-components=1"])
        make = ["make", "-C", str(out), "ARCH=arm", f"CROSS_COMPILE={KERNEL_CROSS}"]
        log_file = out / "prepare.log"
        run([*make, "multi_v7_defconfig"], log_file)
        run([*make, "-j2", "modules_prepare"], log_file)

    step.run(prepare, stderr_log)
    return step.out


@pytest.fixture(scope="module")
def amd64_headers() -> Path:
    depends = run(["dpkg-query", "-W", "-f", "${Depends}", AMD64_HEADERS_PACKAGE])
    m = re.search(r"linux-headers-(\S+-amd64)", depends)
    assert m, f"{AMD64_HEADERS_PACKAGE} depends on no headers package: {depends}"
    path = Path("/usr/src") / f"linux-headers-{m[1]}"
    assert (path / "Makefile").exists(), f"{path} is missing; run ./tools/test (setup-host installs it)"
    return path


def build_module(tmp_path: Path, kernel: Path, *make_args: str) -> str:
    src = tmp_path / "sharedmem"
    shutil.copytree(MODULE_SOURCE, src)
    proc = subprocess.run(["make", "-C", str(src), f"KERNEL_SRC={kernel}", "W=1", "C=1", *make_args],
                          capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert (src / "sharedmem.ko").exists(), output
    # The tree we were given stays clean: the build happened in the copy.
    assert not list(MODULE_SOURCE.glob("*.o")), "build products in the layer's tree"
    return output


def complaints(output: str, *, symvers_missing: bool = False) -> list[str]:
    """Compiler, sparse and modpost warnings/errors of a module build."""
    lines = [line for line in output.splitlines() if re.search(r"warning|error|\bwarn\b", line, re.IGNORECASE)]
    if symvers_missing:
        # A `modules_prepare`d tree has no Module.symvers (no vmlinux was
        # built), so modpost cannot resolve any kernel symbol there; the
        # 6.12 build against the full kernel build checks that part.
        lines = [line for line in lines
                 if not re.match(r'WARNING: (Module\.symvers is missing|modpost: "\w+" .* undefined!|'
                                 r"modpost: suppressed \d+ unresolved symbol warnings)", line)
                 and "You may get many unresolved symbol warnings" not in line]
    return lines


def test_builds_clean_for_arm_against_the_boards_612_kernel(tmp_path: Path, sim_images: sim_build.Images) -> None:
    out = build_module(tmp_path, Path(sim_images.kernel_build), "ARCH=arm", f"CROSS_COMPILE={KERNEL_CROSS}")
    assert "CHECK" in out, "sparse did not run"
    assert not complaints(out), "\n".join(complaints(out))


def test_builds_clean_for_arm_against_61(tmp_path: Path, linux_61_arm: Path) -> None:
    out = build_module(tmp_path, linux_61_arm, "ARCH=arm", f"CROSS_COMPILE={KERNEL_CROSS}")
    assert "CHECK" in out, "sparse did not run"
    found = complaints(out, symvers_missing=True)
    assert not found, "\n".join(found)


def test_builds_clean_for_x86_64_against_debians_61_headers(tmp_path: Path, amd64_headers: Path) -> None:
    out = build_module(tmp_path, amd64_headers)
    assert "CHECK" in out, "sparse did not run"
    found = [line for line in complaints(out) if "Skipping BTF generation" not in line]
    assert not found, "\n".join(found)


def test_install_follows_the_oe_module_contract(tmp_path: Path, sim_images: sim_build.Images) -> None:
    build_module(tmp_path, Path(sim_images.kernel_build), "ARCH=arm", f"CROSS_COMPILE={KERNEL_CROSS}")
    root = tmp_path / "root"
    subprocess.run(["make", "-C", str(tmp_path / "sharedmem"), f"KERNEL_SRC={sim_images.kernel_build}",
                    "ARCH=arm", f"CROSS_COMPILE={KERNEL_CROSS}", f"INSTALL_MOD_PATH={root}", "DEPMOD=true",
                    "modules_install"], check=True, capture_output=True)
    installed = list(root.glob(f"lib/modules/{sim_images.kernel_release}/**/sharedmem.ko"))
    assert installed, list(root.rglob("*"))
    modinfo = run(["modinfo", "-F", "version", installed[0]]).strip()
    assert modinfo == "0.1.0"
    alias = run(["modinfo", "-F", "alias", installed[0]])
    assert "of:N*T*Cmeta-sharedmem,zynq-amp" in alias
    subprocess.run(["make", "-C", str(tmp_path / "sharedmem"), f"KERNEL_SRC={sim_images.kernel_build}",
                    "ARCH=arm", f"CROSS_COMPILE={KERNEL_CROSS}", "clean"], check=True, capture_output=True)
    assert not list((tmp_path / "sharedmem").glob("*.ko"))


def test_checkpatch_strict_is_clean(sim_images: sim_build.Images) -> None:
    checkpatch = Path(sim_images.kernel_source) / "scripts" / "checkpatch.pl"
    # MACRO_ARG_REUSE: SHAREDMEM_STAT_ATTR (sharedmem-sysfs.c) pastes its
    # argument, a struct field name, into identifiers; it is never an
    # expression that could have side effects.
    proc = subprocess.run(["perl", str(checkpatch), "--strict", "--no-tree", "--terse", "--show-types",
                           "--ignore", "MACRO_ARG_REUSE", "-f", *map(str, MY_SOURCES)],
                          capture_output=True, text=True)
    found = [line for line in proc.stdout.splitlines() if not line.startswith("total:")]
    assert proc.returncode == 0 and not found, proc.stdout + proc.stderr


def test_ioctl_magic_is_free(sim_images: sim_build.Images, linux_61_arm: Path) -> None:
    """0xB9 appears in neither kernel's registry of ioctl numbers."""
    for tree in (Path(sim_images.kernel_source), linux_61_arm):
        registry = (tree / "Documentation" / "userspace-api" / "ioctl" / "ioctl-number.rst").read_text()
        taken = {int(m[1], 16) for m in re.finditer(r"^(0x[0-9A-Fa-f]{2})\s", registry, re.MULTILINE)}
        taken |= {ord(m[1]) for m in re.finditer(r"^'(.)'\s", registry, re.MULTILINE)}
        assert len(taken) > 100, f"could not parse {tree}'s ioctl-number.rst"
        assert IOCTL_MAGIC not in taken, f"ioctl magic {IOCTL_MAGIC:#x} is registered in {tree}"
    assert f"SHAREDMEM_IOC_MAGIC\t\t{IOCTL_MAGIC:#X}".replace("0X", "0x") in UAPI_HEADER.read_text()
