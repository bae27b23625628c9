# SPDX-License-Identifier: MIT
"""Build everything the emulated ZedBoard boots, each part a cached step.

    linux-source  Debian's linux-source-6.12, unpacked
    kernel        allnoconfig + board basics + the layer's fragment -> zImage
    boot-stubs    CPU0 entry stub and CPU1's BootROM park loop (ELF)
    rootfs-base   Debian armhf packages, unpacked (mmdebstrap, no chroot)
    python-bytecode  the byte code of rootfs-base's Python standard library
    sharedmem-module  the layer's kernel module, built from a copy against `kernel`
    sharedmem-userspace  the layer's udev rules and Python package, staged
    firmware      the layer's CPU1 payload, built from a copy -> /lib/firmware/sharedmem-cpu1.elf
                  and its fault-injection build (sharedmem-cpu1-faults.elf, for the tests)
    initramfs     rootfs-base + the board's files + the project's parts
    target-NAME   a test program of pytest_embedded_tests/target/NAME.c for the
                  board's user space (copied to the board by the tests, not installed)
    cpu1-test-NAME  a test payload for CPU1, pytest_embedded_tests/target/cpu1/NAME.S
                  (copied to the board by the tests)
    device-tree   zynq-zed.dts + the layer's .dtsi, with cpp and dtc
    qemu          qemu-system-arm from Debian's source of the installed QEMU, with
                  board/qemu/*.patch (CPU1's reset line in the SLCR), the Zynq
                  machine only

The debug board (variant "debug", `tools/sim build --debug`) is the same
with board/kernel-debug.cfg added to the kernel (KASAN, lockdep, kmemleak,
...): its kernel, module, initramfs and device tree are steps of their own
(`kernel-debug`, ...), so both boards stay cached side by side.
"""

import compileall
import contextlib
import importlib.util
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from . import memory_map
from .cache import Step, stderr_log
from .cpio import write_initramfs
from .errors import SimError
from .paths import BOARD, DEVICE_TREE_DIR, KERNEL_FRAGMENT, LAYER, TARGET_PROGRAMS, cache_dir
from .progress import LogProgress

LINUX_SOURCE_PACKAGE = "linux-source-6.12"
LINUX_TARBALL = Path("/usr/src/linux-source-6.12.tar.xz")
KERNEL_CROSS = "arm-linux-gnueabihf-"
KERNEL_BASE_FRAGMENT = BOARD / "kernel-base.cfg"
# variant -> kernel fragments added after the base and the layer's fragment
VARIANTS: dict[str, tuple[Path, ...]] = {
    "normal": (),
    "debug": (BOARD / "kernel-debug.cfg",),
}
BAREMETAL_CC = "arm-none-eabi-gcc"
MODULE_SOURCE = LAYER / "recipes-kernel" / "sharedmem" / "sharedmem"
UDEV_RULES = LAYER / "recipes-core" / "sharedmem-udev-rules" / "sharedmem-udev-rules"
FIRMWARE_SOURCE = LAYER / "recipes-bsp" / "sharedmem-firmware" / "sharedmem-firmware"
UAPI_INCLUDE = MODULE_SOURCE / "include" / "uapi"
CHANNEL_HEADER = UAPI_INCLUDE / "misc" / "sharedmem_channel.h"
# Test programs for the board's user space: Debian's armhf toolchain, linked
# to glibc dynamically (bookworm's 2.36 or newer: the emulated board's rootfs
# or a Yocto image), so that they stay small to copy over a serial console.
TARGET_CC = "arm-linux-gnueabihf-gcc"
PYTHON_PACKAGE = (LAYER / "recipes-devtools" / "python" / "python3-shmem-helper" / "python3-shmem-helper"
                  / "shmem_helper")

# QEMU: built from the source of the Debian package installed on the host
# (bookworm-backports), so the board's QEMU is that version plus our patches.
QEMU_PACKAGE = "qemu-system-arm"
QEMU_SOURCE_PACKAGE = "qemu"
QEMU_PATCHES = BOARD / "qemu"
QEMU_DEVICES = QEMU_PATCHES / "sharedmem-zynq.mak"
# The Zynq machine and nothing else: every optional feature off (no display,
# network back ends, block formats...), only the devices the machine selects.
QEMU_CONFIGURE = (
    "--python=/usr/bin/python3", "--target-list=arm-softmmu",
    "--without-default-features", "--without-default-devices", f"--with-devices-arm={QEMU_DEVICES.stem}",
    "--enable-fdt=system", "--disable-docs", "--disable-tools", "--disable-download", "--disable-install-blobs",
    "--disable-debug-info",
)

ROOTFS_SUITE = "bookworm"
# The Python of that suite (python3.11): the byte code the image carries is its.
BOARD_PYTHON = (3, 11)
ROOTFS_MIRROR = "http://deb.debian.org/debian"
ROOTFS_PACKAGES = (
    "busybox-static",
    "python3-minimal",
    "libpython3.11-stdlib",
    "udev",
    "kmod",
)
# Unused on a serial-console board; trimmed to keep the initramfs small.
ROOTFS_TRIM = ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info",
               "usr/share/lintian", "usr/share/bug")

Log = Callable[[str], None]


@dataclass
class Images:
    """What `boot` needs, plus what later build steps build against."""

    kernel: str
    device_tree: str
    initramfs: str
    cpu0_entry: str
    cpu1_park: str
    kernel_source: str
    kernel_build: str
    kernel_release: str
    variant: str = "normal"
    qemu: str = ""  # the board's qemu-system-arm ("" = the one on PATH)

    def identity(self) -> dict[str, str]:
        """Each image as `step/key` (which build of which inputs it is), or
        its path if it does not come from the cache."""
        def name(path: Path) -> str:
            return "/".join(path.relative_to(cache_dir()).parts[:2]) if path.is_relative_to(cache_dir()) else str(path)
        return {k: name(Path(v)) for k, v in asdict(self).items() if k not in ("kernel_release", "variant")}


def run(cmd: Sequence[str | os.PathLike[str]], log_file: Path | None = None, **kwargs: object) -> str:
    """Run a build command; on failure, raise an error naming it and its log."""
    argv = [str(c) for c in cmd]
    if log_file is None:
        proc = subprocess.run(argv, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
        if proc.returncode != 0:
            raise SimError(f"`{' '.join(argv)}` failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return str(proc.stdout)
    with open(log_file, "a") as log:
        log.write(f"$ {' '.join(argv)}\n")
        log.flush()
        proc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        tail = "".join(log_file.read_text(errors="replace").splitlines(keepends=True)[-25:])
        raise SimError(f"`{' '.join(argv[:3])} ...` failed (exit {proc.returncode}); "
                       f"full log: {log_file}\n{tail}")
    return ""


def tool_version(tool: str) -> str:
    if shutil.which(tool) is None:
        raise SimError(f"{tool} is missing; run ./tools/test once, or install it with apt-get")
    return run([tool, "--version"]).splitlines()[0]


def package_version(package: str) -> str:
    try:
        return run(["dpkg-query", "-W", "-f", "${Version}", package])
    except SimError:
        raise SimError(f"Debian package {package} is not installed; run ./tools/test once, or "
                       f"`apt-get install -t bookworm-backports {package}`") from None


def linux_source(log: Log) -> Step:
    step = Step("linux-source", [package_version(LINUX_SOURCE_PACKAGE)])

    def build(out: Path) -> None:
        run(["tar", "-xf", LINUX_TARBALL, "-C", out, "--strip-components=1"])

    step.run(build, log)
    return step


def _fragment_options(fragment: Path) -> dict[str, str]:
    """CONFIG_X -> value ('n' for '# CONFIG_X is not set') of a fragment."""
    options = {}
    for line in fragment.read_text().splitlines():
        line = line.strip()
        if line.startswith("CONFIG_") and "=" in line:
            name, value = line.split("=", 1)
            options[name] = value
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            options[line[2:].split()[0]] = "n"
    return options


def _step_name(name: str, variant: str) -> str:
    return name if variant == "normal" else f"{name}-{variant}"


def kernel(source: Step, log: Log, variant: str = "normal") -> Step:
    fragments = [KERNEL_BASE_FRAGMENT, KERNEL_FRAGMENT, *VARIANTS[variant]]
    step = Step(_step_name("kernel", variant), [source.key, *fragments, tool_version(KERNEL_CROSS + "gcc")])

    def build(out: Path) -> None:
        merged = out / "fragments.cfg"
        merged.write_text("".join(f.read_text() for f in fragments))
        make: list[str | Path] = ["make", "-C", source.out, f"O={out}", "ARCH=arm", f"CROSS_COMPILE={KERNEL_CROSS}"]
        log_file = out / "build.log"
        run([*make, f"KCONFIG_ALLCONFIG={merged}", "allnoconfig"], log_file)
        # Kconfig drops an option silently when its dependencies are unmet:
        # refuse a kernel that lacks what the fragments ask for.
        config = _fragment_options(out / ".config")
        wrong = [f"{name}={want} (got {config.get(name, 'n')})"
                 for f in fragments for name, want in _fragment_options(f).items()
                 if config.get(name, "n") != want]
        if wrong:
            raise SimError("kernel configuration lacks options the fragments ask for: " + ", ".join(wrong))
        # Objects compiled, against the count of the last build of this step
        # (unknown the first time on a machine).
        total = _previous_count(step, KERNEL_OBJECTS)
        log(f"{step.name}: compiling zImage and modules"
            + (f" ({total} objects last time)" if total else " (a few minutes on a cold cache)"))
        with LogProgress(step.name, log_file, KERNEL_OBJECT_LINE, log, total) as progress:
            run([*make, f"-j{os.cpu_count() or 2}", "zImage", "modules"], log_file)
        (out / KERNEL_OBJECTS).write_text(f"{progress.count}\n")
        release = run([*make, "-s", "kernelrelease"]).strip()
        (out / "kernelrelease").write_text(release + "\n")

    step.run(build, log)
    return step


# Kbuild's line for each object it compiles or assembles ("  CC      kernel/fork.o").
KERNEL_OBJECT_LINE = r"^\s+(?:CC|AS)\s+(?:\[M\]\s+)?(\S+)"
KERNEL_OBJECTS = "objects"  # the count, kept with each kernel build


def _previous_count(step: Step, name: str) -> int | None:
    """A count an earlier complete build of `step` left in file `name`."""
    for other in sorted(step.root.glob(f"*/{name}"), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            return int(other.read_text())
        except ValueError:
            continue
    return None


def boot_stubs(log: Log) -> Step:
    sources = [BOARD / "cpu0-entry.S", BOARD / "bootrom-park.S"]
    step = Step("boot-stubs", [*sources, Path(memory_map.__file__), tool_version(BAREMETAL_CC)])

    def build(out: Path) -> None:
        # -n: no ELF headers inside the loaded segment, so the loader writes
        # only the code (at its link address) and nothing below it.
        cc = [BAREMETAL_CC, "-nostdlib", "-marm", "-mcpu=cortex-a9", "-Wl,-n", "-Wl,--build-id=none"]
        run([*cc, f"-Wl,-Ttext={memory_map.CPU0_ENTRY:#x}", "-Wl,-e,_start",
             f"-DKERNEL_ADDR={memory_map.KERNEL:#x}", f"-DDTB_ADDR={memory_map.DTB:#x}",
             "-o", out / "cpu0-entry.elf", sources[0]])
        run([*cc, f"-Wl,-Ttext={memory_map.CPU1_PARK_LOOP:#x}", "-Wl,-e,park",
             "-o", out / "bootrom-park.elf", sources[1]])

    step.run(build, log)
    return step


def qemu(log: Log) -> Step:
    """qemu-system-arm with CPU1's reset line modelled (board/qemu/*.patch)."""
    version = package_version(QEMU_PACKAGE)
    patches = sorted(QEMU_PATCHES.glob("*.patch"))
    step = Step("qemu", [version, *patches, QEMU_DEVICES, *QEMU_CONFIGURE, tool_version("gcc"),
                         tool_version("meson"), tool_version("ninja")])

    def build(out: Path) -> None:
        log_file = out / "build.log"
        download = out / "download"
        download.mkdir()
        # Only the upstream tarball (Debian's patches do not touch the Zynq
        # machine); apt checks it against the signed Sources index.
        try:
            run(["apt-get", "source", "--download-only", "--tar-only", f"{QEMU_SOURCE_PACKAGE}={version}"],
                log_file, cwd=download)
        except SimError as e:
            raise SimError(f"could not download the source of QEMU {version}: apt needs a deb-src line for "
                           f"bookworm-backports (./tools/setup-host adds it): {e}") from None
        tarballs = list(download.glob("*.orig.tar.*"))
        if len(tarballs) != 1:
            raise SimError(f"expected one QEMU source tarball in {download}, found {tarballs}")
        src = out / "src"
        src.mkdir()
        run(["tar", "-xf", tarballs[0], "-C", src, "--strip-components=1"], log_file)
        tarballs[0].unlink()
        for patch in patches:
            run(["patch", "-p1", "--forward", "-d", src, "-i", patch], log_file)
        shutil.copy(QEMU_DEVICES, src / "configs" / "devices" / "arm-softmmu" / QEMU_DEVICES.name)
        objdir = out / "build"
        objdir.mkdir()
        run([src / "configure", *QEMU_CONFIGURE], log_file, cwd=objdir)
        log("qemu: compiling qemu-system-arm (a few minutes on a cold cache)")
        run(["ninja", "-C", objdir, f"-j{os.cpu_count() or 2}", "qemu-system-arm"], log_file)
        run(["strip", "-o", out / "qemu-system-arm", objdir / "qemu-system-arm"], log_file)
        # Only the binary is kept (the tree and objects are ~600 MB).
        shutil.rmtree(src)
        shutil.rmtree(objdir)

    step.run(build, log)
    return step


def rootfs_base(log: Log) -> Step:
    step = Step("rootfs-base", [ROOTFS_SUITE, ROOTFS_MIRROR, *ROOTFS_PACKAGES, *ROOTFS_TRIM,
                                package_version("mmdebstrap")])

    def build(out: Path) -> None:
        tree = out / "tree"
        log_file = out / "mmdebstrap.log"
        try:
            # mmdebstrap's stages ("I: downloading packages with apt...").
            with LogProgress(step.name, log_file, r"^I: (.*)", log, unit="stages"):
                run(["mmdebstrap", "--variant=extract", "--arch=armhf", "--include=" + ",".join(ROOTFS_PACKAGES),
                     ROOTFS_SUITE, tree, ROOTFS_MIRROR], log_file)
        except SimError as e:
            raise SimError(f"could not fetch the root filesystem's Debian armhf packages from {ROOTFS_MIRROR} "
                           f"(network?): {e}") from None
        for rel in ROOTFS_TRIM:
            shutil.rmtree(tree / rel, ignore_errors=True)
        # devtmpfs provides /dev at boot; the nodes mmdebstrap made are not needed.
        for entry in (tree / "dev").iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    step.run(build, log)
    return step


def python_bytecode(base: Step, log: Log) -> Step:
    """The byte code of the board's Python standard library, as Debian's
    py3compile makes it when the package is installed (mmdebstrap's extract
    variant runs no maintainer scripts): without it, every python3 on the
    board compiles each module it imports, and cannot keep the result when
    it runs as a user (seconds per start; several on the debug board, where
    every file a compile touches goes through KASAN). Hash-based without a
    check, as for the project's package (sharedmem_userspace)."""
    stdlib = Path(f"usr/lib/python{BOARD_PYTHON[0]}.{BOARD_PYTHON[1]}")
    step = Step("python-bytecode", [base.key, "unchecked-hash", sys.version_info[:2]])

    def build(out: Path) -> None:
        tree = out / "tree"
        tree.mkdir()
        if sys.version_info[:2] != BOARD_PYTHON:
            return  # another Python's byte code would be ignored on the board
        for source in sorted((base.out / "tree" / stdlib).rglob("*.py")):
            rel = source.relative_to(base.out / "tree")
            pyc = tree / Path(importlib.util.cache_from_source(str(rel)))
            with contextlib.suppress(py_compile.PyCompileError):  # a few test files are not Python 3
                py_compile.compile(str(source), cfile=str(pyc), dfile="/" + str(rel), doraise=True,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)

    step.run(build, log)
    return step


def sharedmem_module(kernel_step: Step, log: Log, variant: str = "normal") -> Step:
    step = Step(_step_name("sharedmem-module", variant),
                [MODULE_SOURCE, kernel_step.key, tool_version(KERNEL_CROSS + "gcc")])

    def build(out: Path) -> None:
        # Built from a copy, as OE builds it, so the layer's tree stays clean.
        src = out / "src"
        shutil.copytree(MODULE_SOURCE, src)
        tree = out / "tree"
        release = (kernel_step.out / "kernelrelease").read_text().strip()
        make: list[str | Path] = ["make", "-C", src, f"KERNEL_SRC={kernel_step.out}", "ARCH=arm",
                                  f"CROSS_COMPILE={KERNEL_CROSS}"]
        log_file = out / "build.log"
        run([*make, f"-j{os.cpu_count() or 2}"], log_file)
        run([*make, f"INSTALL_MOD_PATH={tree}", "DEPMOD=true", "modules_install"], log_file)
        moddir = tree / "lib" / "modules" / release
        for name in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
            if (kernel_step.out / name).exists():
                shutil.copy(kernel_step.out / name, moddir / name)
        # modules.alias lets udev load the module from the device tree's compatible.
        run(["depmod", "-b", tree, release], log_file)

    step.run(build, log)
    return step


def sharedmem_userspace(log: Log) -> Step:
    pyproject = PYTHON_PACKAGE.parent / "pyproject.toml"
    step = Step("sharedmem-userspace", [UDEV_RULES, PYTHON_PACKAGE, pyproject, "byte-compiled", sys.version_info[:2]])

    def build(out: Path) -> None:
        tree = out / "tree"
        rules = tree / "lib" / "udev" / "rules.d"
        rules.mkdir(parents=True)
        for rule in UDEV_RULES.glob("*.rules"):
            shutil.copy(rule, rules / rule.name)
        package = tree / "usr" / "lib" / "python3" / "dist-packages" / PYTHON_PACKAGE.name
        shutil.copytree(PYTHON_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
        # Byte-compiled, as a packaged Python module is: the emulated CPU
        # would otherwise compile the package at each boot's first command
        # (tens of seconds on a busy host). Hash-based without a check: the
        # sources in the image never change after this step. Only for the
        # board's Python (Debian 12: 3.11); the magic number is per version.
        if sys.version_info[:2] == BOARD_PYTHON:
            compileall.compile_dir(package, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        # The console scripts that pyproject.toml declares, as pip (and OE's
        # python_setuptools_build_meta) would install them.
        bindir = tree / "usr" / "bin"
        bindir.mkdir(parents=True)
        for name, entry in tomllib.loads(pyproject.read_text())["project"].get("scripts", {}).items():
            module, func = entry.split(":")
            script = bindir / name
            script.write_text(f"#!/usr/bin/python3\nimport sys\nfrom {module} import {func}\nsys.exit({func}())\n")
            script.chmod(0o755)

    step.run(build, log)
    return step


def firmware(log: Log) -> Step:
    step = Step("firmware", [FIRMWARE_SOURCE, CHANNEL_HEADER, tool_version(BAREMETAL_CC)])

    def build(out: Path) -> None:
        # From a copy, as OE builds it; the channel header comes with it.
        src = out / "src"
        shutil.copytree(FIRMWARE_SOURCE, src, ignore=shutil.ignore_patterns("build"))
        (out / "include").mkdir()
        shutil.copy(CHANNEL_HEADER, out / "include" / CHANNEL_HEADER.name)
        run(["make", "-C", src, f"O={out / 'build'}", f"UAPI_DIR={out / 'include'}", "WERROR=1",
             f"DESTDIR={out / 'tree'}", "install", "install-faults"], out / "build.log")

    step.run(build, log)
    return step


def target_program(name: str, log: Log = stderr_log) -> Path:
    """pytest_embedded_tests/target/<name>.c, built for the board's user
    space (with the driver's uapi headers): the path of the program."""
    source = TARGET_PROGRAMS / f"{name}.c"
    step = Step(f"target-{name}", [source, UAPI_INCLUDE, tool_version(TARGET_CC)])

    def build(out: Path) -> None:
        run([TARGET_CC, "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", UAPI_INCLUDE,
             "-o", out / name, source], out / "build.log")

    step.run(build, log)
    return step.out / name


def cpu1_test_payload(name: str, log: Log = stderr_log) -> Path:
    """pytest_embedded_tests/target/cpu1/<name>.S, a bare-metal CPU1 payload
    linked into cpu1-firmware (copied to the board's /lib/firmware by the
    tests, not installed): the path of the ELF."""
    source = TARGET_PROGRAMS / "cpu1" / f"{name}.S"
    step = Step(f"cpu1-test-{name}", [source, Path(memory_map.__file__), tool_version(BAREMETAL_CC)])

    def build(out: Path) -> None:
        run([BAREMETAL_CC, "-nostdlib", "-marm", "-mcpu=cortex-a9", "-Wl,-n", "-Wl,--build-id=none",
             f"-Wl,-Ttext={memory_map.CPU1_FIRMWARE:#x}", "-Wl,-e,_start", "-o", out / f"{name}.elf", source],
            out / "build.log")

    step.run(build, log)
    return step.out / f"{name}.elf"


def initramfs(base: Step, kernel_step: Step, parts: Sequence[Step], log: Log, variant: str = "normal") -> Step:
    overlay = BOARD / "rootfs"
    step = Step(_step_name("initramfs", variant), [base.key, kernel_step.key, overlay, *(p.key for p in parts)])

    def build(out: Path) -> None:
        write_initramfs([base.out / "tree", overlay, *(p.out / "tree" for p in parts)], out / "initramfs.cpio.gz",
                        char_devices={"dev/console": (5, 1)})
        size = (out / "initramfs.cpio.gz").stat().st_size
        if size > memory_map.INITRD_MAX:
            raise SimError(f"initramfs is {size} bytes, more than the {memory_map.INITRD_MAX} reserved for it "
                           "in tools/zynqsim/memory_map.py")

    step.run(build, log)
    return step


def device_tree(source: Step, initramfs_step: Step, log: Log, variant: str = "normal") -> Step:
    wrapper = BOARD / "zynq-zed-sim.dts"
    size = (initramfs_step.out / "initramfs.cpio.gz").stat().st_size
    start, end = memory_map.INITRD, memory_map.INITRD + size
    step = Step(_step_name("device-tree", variant),
                [source.key, wrapper, DEVICE_TREE_DIR, start, end, tool_version("dtc")])

    def build(out: Path) -> None:
        # The kernel's own way (scripts/Makefile.dtbs): cpp, then dtc.
        src = Path(source.out)
        preprocessed = out / "zynq-zed-sim.dts.tmp"
        run(["cpp", "-nostdinc", "-undef", "-D__DTS__", "-x", "assembler-with-cpp", "-P",
             "-I", src / "arch/arm/boot/dts/xilinx", "-I", src / "scripts/dtc/include-prefixes",
             "-I", src / "include", "-I", DEVICE_TREE_DIR,
             f"-DINITRD_START={start:#x}", f"-DINITRD_END={end:#x}",
             "-o", preprocessed, wrapper])
        run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out / "zynq-zed-sim.dtb", preprocessed])

    step.run(build, log)
    return step


def build(log: Log = stderr_log, variant: str = "normal") -> Images:
    """Build (or find in the cache) every image of the emulated board
    (variant "debug": the debug board, see the module's docstring)."""
    if variant not in VARIANTS:
        raise SimError(f"no board variant {variant!r}: one of {', '.join(VARIANTS)}")
    if not LINUX_TARBALL.exists():
        package_version(LINUX_SOURCE_PACKAGE)  # says how to install it
    source = linux_source(log)
    kernel_step = kernel(source, log, variant)
    stubs = boot_stubs(log)
    qemu_step = qemu(log)
    base = rootfs_base(log)
    parts = [python_bytecode(base, log), sharedmem_module(kernel_step, log, variant), sharedmem_userspace(log),
             firmware(log)]
    ramfs = initramfs(base, kernel_step, parts, log, variant)
    dtb = device_tree(source, ramfs, log, variant)
    images = Images(
        kernel=str(kernel_step.out / "arch/arm/boot/zImage"),
        device_tree=str(dtb.out / "zynq-zed-sim.dtb"),
        initramfs=str(ramfs.out / "initramfs.cpio.gz"),
        cpu0_entry=str(stubs.out / "cpu0-entry.elf"),
        cpu1_park=str(stubs.out / "bootrom-park.elf"),
        kernel_source=str(source.out),
        kernel_build=str(kernel_step.out),
        kernel_release=(kernel_step.out / "kernelrelease").read_text().strip(),
        variant=variant,
        qemu=str(qemu_step.out / "qemu-system-arm"),
    )
    manifest = cache_dir() / f"{_step_name('images', variant)}.json"
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(images), indent=2) + "\n")
    tmp.replace(manifest)
    return images
