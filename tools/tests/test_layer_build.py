# SPDX-License-Identifier: MIT
"""The module and the CPU1 payload build with the Makefiles, and the make
calls, that their recipes use: module.bbclass's KERNEL_SRC/modules_install
contract, and sharedmem-firmware's EXTRA_OEMAKE with a Linux-targeting
compiler and OE's compiler flags standing in for the Yocto target compiler.
Both are built from a copy of exactly the files their SRC_URI lists."""

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from test_layer_recipes import LAYER, local_files, recipe, value
from zynqsim.paths import cache_dir

KERNEL_CROSS = "arm-linux-gnueabihf-"
# What OE's CC holds for a Cortex-A9 machine (cortexa9thf-neon tune, poky's
# security flags), apart from --sysroot.
OE_TARGET_CC = (f"{KERNEL_CROSS}gcc -mthumb -mfpu=neon -mfloat-abi=hard -mcpu=cortex-a9 "
                "-fstack-protector-strong -O2 -D_FORTIFY_SOURCE=2 -Wformat -Wformat-security "
                "-Werror=format-security")
FIRMWARE_REGION = (0x1E000000, 0x1E000000 + 4 * 1024 * 1024)  # cpu1-firmware in the .dtsi


def fetch(bpn: str, dest: Path) -> Path:
    """Copy the recipe's SRC_URI files as bitbake unpacks them into ${S}."""
    r = recipe(bpn)
    for path, _ in local_files(r):
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(r.parent / bpn / path, target)
    return dest


def elf_segments(path: Path) -> tuple[int, int, list[tuple[int, int]]]:
    """(e_machine, e_entry, [(p_paddr, p_memsz) of PT_LOAD]) of a 32-bit ELF."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 1 and data[5] == 1, "not a 32-bit little-endian ELF"
    machine, _, entry, phoff = struct.unpack_from("<HIII", data, 18)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    loads = []
    for i in range(phnum):
        p_type, _, _, paddr, _, memsz = struct.unpack_from("<IIIIII", data, phoff + i * phentsize)
        if p_type == 1 and memsz:
            loads.append((paddr, memsz))
    return machine, entry, loads


def oe_make_args(bpn: str, substitutions: dict[str, str]) -> list[str]:
    """The recipe's EXTRA_OEMAKE, with OE's variables replaced."""
    args = value(recipe(bpn), "EXTRA_OEMAKE")
    for var, val in substitutions.items():
        args = args.replace("${" + var + "}", val)
    assert "${" not in args, f"unhandled variable in EXTRA_OEMAKE: {args}"
    return [a.strip("'") for a in re.findall(r"'[^']*'|\S+", args)]


def test_payload_builds_as_the_recipe_builds_it(tmp_path: Path) -> None:
    src = fetch("sharedmem-firmware", tmp_path / "sharedmem-firmware-0.1.0")
    # The sharedmem recipe's do_install puts the uapi headers in the sysroot.
    incdir = tmp_path / "recipe-sysroot/usr/include"
    (incdir / "misc").mkdir(parents=True)
    for header in (LAYER / "recipes-kernel/sharedmem/sharedmem/include/uapi/misc").glob("*.h"):
        shutil.copy(header, incdir / "misc")
    args = oe_make_args("sharedmem-firmware", {
        "STAGING_INCDIR": str(incdir), "nonarch_base_libdir": "/usr/lib",
        "DEBUG_PREFIX_MAP": f"-fdebug-prefix-map={src}=/usr/src/debug/sharedmem-firmware/0.1.0"})
    env_cc = {"CC": OE_TARGET_CC, "PATH": "/usr/bin:/bin"}
    make = subprocess.run(["make", "-C", str(src), *args], capture_output=True, text=True, env=env_cc)
    assert make.returncode == 0, make.stdout + make.stderr
    image = tmp_path / "image"
    install = subprocess.run(["make", "-C", str(src), *args, "install", f"DESTDIR={image}"],
                             capture_output=True, text=True, env=env_cc)
    assert install.returncode == 0, install.stdout + install.stderr
    elf = image / "usr/lib/firmware/sharedmem-cpu1.elf"
    assert elf.is_file()
    assert value(recipe("sharedmem-firmware"), "FILES:${PN}") == "${nonarch_base_libdir}/firmware/sharedmem-cpu1.elf"
    machine, entry, loads = elf_segments(elf)
    assert machine == 40  # EM_ARM
    assert FIRMWARE_REGION[0] <= entry < FIRMWARE_REGION[1]
    assert loads and all(FIRMWARE_REGION[0] <= a and a + n <= FIRMWARE_REGION[1] for a, n in loads)
    # Freestanding: nothing of a C library, nothing to load at run time.
    assert b".interp" not in elf.read_bytes() and b"__libc" not in elf.read_bytes()
    # DEBUG_PREFIX_MAP keeps the build directory out of the ELF (OE's buildpaths QA).
    assert str(src).encode() not in elf.read_bytes()


def test_payload_builds_with_the_bare_metal_compiler_too(tmp_path: Path) -> None:
    """The same Makefile's default: arm-none-eabi-, as the emulated board uses."""
    src = fetch("sharedmem-firmware", tmp_path / "fw")
    uapi = LAYER / "recipes-kernel/sharedmem/sharedmem/include/uapi/misc"
    make = subprocess.run(["make", "-C", str(src), f"UAPI_DIR={uapi}", f"O={tmp_path / 'out'}"],
                          capture_output=True, text=True)
    assert make.returncode == 0, make.stdout + make.stderr
    _, entry, _ = elf_segments(tmp_path / "out/sharedmem-cpu1.elf")
    assert FIRMWARE_REGION[0] <= entry < FIRMWARE_REGION[1]


@pytest.fixture(scope="module")
def kernel_build() -> tuple[Path, str]:
    """The emulated board's kernel build tree (tools/test runs `tools/sim build` first)."""
    manifest = cache_dir() / "images.json"
    assert manifest.is_file(), f"{manifest} is missing: run `tools/sim build` (tools/test does) first"
    images = json.loads(manifest.read_text())
    return Path(images["kernel_build"]), images["kernel_release"]


def test_module_builds_and_installs_as_module_bbclass_calls_it(tmp_path: Path, kernel_build: tuple[Path, str]) -> None:
    build_dir, release = kernel_build
    src = fetch("sharedmem", tmp_path / "sharedmem-0.1.0")
    make = ["make", "-C", str(src), f"KERNEL_SRC={build_dir}", "ARCH=arm", f"CROSS_COMPILE={KERNEL_CROSS}"]
    result = subprocess.run([*make, "-j2"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    root = tmp_path / "image"
    # module_do_install: DEPMOD=echo, MODLIB under ${D}, target modules_install.
    result = subprocess.run([*make, "DEPMOD=echo", f"MODLIB={root}/usr/lib/modules/{release}",
                             f"INSTALL_MOD_PATH={root}", "modules_install"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    modules = list(root.rglob("sharedmem.ko*"))
    assert [m.relative_to(root).parts[:4] for m in modules] == [("usr", "lib", "modules", release)]
    info = subprocess.run(["modinfo", "-F", "version", str(modules[0])], capture_output=True, text=True)
    assert info.stdout.strip() == recipe("sharedmem").stem.split("_", 1)[1]


@pytest.fixture(scope="module")
def kernel_source() -> Path:
    manifest = cache_dir() / "images.json"
    assert manifest.is_file(), f"{manifest} is missing: run `tools/sim build` (tools/test does) first"
    return Path(json.loads(manifest.read_text())["kernel_source"])


@pytest.mark.parametrize("board,model", [("zedboard", "ZedBoard"), ("zc702", "ZC702")])
def test_device_tree_as_meta_xilinx_builds_it_with_the_bbappend(tmp_path: Path, kernel_source: Path, board: str,
                                                                    model: str) -> None:
    """meta-xilinx's device-tree recipe with CONFIG_DTFILE = boards/<board>.dts
    and the bbappend: the .dtsi appended as an /include/ (EXTRA_DT_INCLUDE_FILES),
    cpp then dtc (devicetree.bbclass) with the kernel's dts folders as include
    paths (the bbappend's KERNEL_INCLUDE)."""
    dtfiles = tmp_path / "workdir"
    dtfiles.mkdir()
    dts = dtfiles / f"{board}.dts"
    shutil.copy(LAYER / "recipes-bsp/device-tree/boards" / dts.name, dts)
    shutil.copy(LAYER / "recipes-bsp/device-tree/files/sharedmem-zynq7000.dtsi", dtfiles)
    with dts.open("a") as f:  # meta-xilinx's do_configure:append
        f.write('/include/ "sharedmem-zynq7000.dtsi"\n')
    includes = [dtfiles, kernel_source / "arch/arm/boot/dts",
                *sorted(p for p in (kernel_source / "arch/arm/boot/dts").glob("*") if p.is_dir()),
                kernel_source / "scripts/dtc/include-prefixes"]
    pp = tmp_path / f"{board}.dts.pp"
    subprocess.run(["cpp", "-nostdinc", "-undef", "-D__DTS__", "-x", "assembler-with-cpp",
                    *[f"-I{i}" for i in includes], "-o", str(pp), str(dts)], check=True)
    dtb = tmp_path / f"{board}.dtb"
    dtc_includes = [arg for i in includes for arg in ("-i", str(i))]
    result = subprocess.run(["dtc", "-R", "8", "-b", "0", "-p", "0x3000", "-@", *dtc_includes,
                             "-o", str(dtb), "-I", "dts", "-O", "dtb", str(pp)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

    def get(node: str, prop: str) -> str:
        out = subprocess.run(["fdtget", str(dtb), node, prop], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert model in get("/", "model")
    assert "maxcpus=1" in get("/chosen", "bootargs")
    assert get("/sharedmem", "compatible") == "meta-sharedmem,zynq-amp"
    assert get("/reserved-memory/cpu1-firmware@1e000000", "reg").split() == [str(0x1E000000), str(0x400000)]
    assert get("/reserved-memory/sharedmem-channel@1e400000", "reg").split() == [str(0x1E400000), str(0x1000000)]
