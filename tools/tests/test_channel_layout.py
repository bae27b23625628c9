# SPDX-License-Identifier: MIT
"""The Python mirror of the channel layout (shmem_helper.channel_layout)
against the C header it mirrors (sharedmem_channel.h), compiled with the
host's gcc: every constant, every struct size and every member offset."""

import re
import subprocess
from pathlib import Path

import pytest
from channel_support import HEADER, UAPI_DIR
from shmem_helper import channel_layout as L

# Macros of the header that are not layout constants.
NOT_CONSTANTS = {"_UAPI_MISC_SHAREDMEM_CHANNEL_H", "SHMEM_CHAN_ASSERT"}


def header_constants() -> list[str]:
    names = re.findall(r"^#define\s+(SHMEM_\w+)\s+\S", HEADER.read_text(), re.MULTILINE)
    return [n for n in names if n not in NOT_CONSTANTS and not re.search(rf"#define\s+{n}\(", HEADER.read_text())]


def compile_and_run(tmp_path: Path, body: str, *flags: str) -> str:
    src = tmp_path / "layout.c"
    src.write_text("#include <stdio.h>\n#include <stddef.h>\n#include \"sharedmem_channel.h\"\n"
                   f"int main(void)\n{{\n{body}\treturn 0;\n}}\n")
    exe = tmp_path / "layout"
    proc = subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", *flags, "-I", str(UAPI_DIR),
                           "-o", str(exe), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout


def c_values(tmp_path: Path, *flags: str) -> dict[str, int]:
    lines = []
    for name in header_constants():
        lines.append(f'\tprintf("{name} %llu\\n", (unsigned long long)({name}));')
    for struct, (_, members) in L.STRUCTS.items():
        lines.append(f'\tprintf("sizeof {struct} %zu\\n", sizeof(struct {struct}));')
        for member in members:
            lines.append(f'\tprintf("offsetof {struct} {member} %zu\\n", offsetof(struct {struct}, {member}));')
    lines.append('\tprintf("MSG_MAX 4096 %u\\n", SHMEM_CHAN_MSG_MAX(4096U));')
    lines.append('\tprintf("MSG_RECORD 33 %u\\n", SHMEM_CHAN_MSG_RECORD(33U));')
    lines.append('\tprintf("FW_VERSION %u\\n", SHMEM_FW_VERSION(1, 2, 3));')
    out = compile_and_run(tmp_path, "\n".join(lines) + "\n", *flags)
    values = {}
    for line in out.splitlines():
        key, value = line.rsplit(" ", 1)
        values[key] = int(value)
    return values


def python_values() -> dict[str, int]:
    values = {name: getattr(L, name) for name in header_constants() if hasattr(L, name)}
    for struct, (size, members) in L.STRUCTS.items():
        values[f"sizeof {struct}"] = size
        for member, offset in members.items():
            values[f"offsetof {struct} {member}"] = offset
    values["MSG_MAX 4096"] = L.msg_max(4096)
    values["MSG_RECORD 33"] = L.msg_record(33)
    values["FW_VERSION"] = L.fw_version(1, 2, 3)
    return values


def test_every_header_constant_is_mirrored() -> None:
    names = header_constants()
    assert len(names) > 50
    missing = [n for n in names if not hasattr(L, n)]
    assert not missing, f"constants of {HEADER.name} missing in channel_layout.py: {missing}"


def test_mirror_matches_the_header(tmp_path: Path) -> None:
    c, py = c_values(tmp_path), python_values()
    assert c.keys() == py.keys()
    wrong = {k: (py[k], c[k]) for k in c if c[k] != py[k]}
    assert not wrong, f"channel_layout.py differs from {HEADER.name} (python, C): {wrong}"


def static_checks() -> str:
    """C11 static assertions of every mirrored value, for compilers whose
    programs cannot run here."""
    checks = []
    for name in header_constants():
        checks.append(f"_Static_assert(({name}) == {getattr(L, name)}ULL, \"{name}\");")
    for struct, (size, members) in L.STRUCTS.items():
        checks.append(f"_Static_assert(sizeof(struct {struct}) == {size}, \"sizeof {struct}\");")
        for member, offset in members.items():
            checks.append(f"_Static_assert(offsetof(struct {struct}, {member}) == {offset}, "
                          f"\"offsetof {struct} {member}\");")
    return "\n".join(checks) + "\n"


@pytest.mark.parametrize("compiler, flags", [
    ("arm-linux-gnueabihf-gcc", []),  # the board's 32-bit user space, <linux/types.h>
    ("arm-none-eabi-gcc", ["-ffreestanding", "-DSHMEM_CHAN_FREESTANDING"]),  # the payload
    ("gcc", ["-DSHMEM_CHAN_FREESTANDING"]),  # the fallback typedefs on the host
])
def test_layout_is_the_same_for_every_compiler_of_the_project(tmp_path: Path, compiler: str, flags: list[str]) -> None:
    src = tmp_path / "checks.c"
    src.write_text("#include <stddef.h>\n#include \"sharedmem_channel.h\"\n" + static_checks())
    proc = subprocess.run([compiler, "-std=c11", "-Wall", "-Wextra", "-Werror", *flags, "-I", str(UAPI_DIR),
                           "-c", "-o", str(tmp_path / "checks.o"), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, f"{compiler} disagrees with channel_layout.py:\n{proc.stderr[-3000:]}"


def test_header_keeps_to_fixed_width_types() -> None:
    text = HEADER.read_text()
    body = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    members = re.findall(r"^\s+(\w+(?:\s+\w+)?)\s+\**\w+(?:\[\w+\])?;", body, re.MULTILINE)
    bad = [m for m in members if m.split()[-1] not in ("__u32", "__u64")
           and not m.startswith(("struct ", "typedef "))]
    assert not bad, f"members of non-fixed-width types: {bad}"
    assert "*" not in "".join(re.findall(r"struct \w+ \{(.*?)\};", body, re.DOTALL)), "pointers in a struct"
    assert text.startswith("/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */")
