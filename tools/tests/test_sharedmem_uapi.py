# SPDX-License-Identifier: MIT
"""shmem_helper's uapi.py mirrors include/uapi/misc/sharedmem.h: a C program
compiled against the header prints every size, offset, constant and ioctl
number (x86-64, run here), and the same values are asserted at compile time
for 32-bit ARM (the board), so both layouts match the Python mirror."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from shmem_helper import uapi
from zynqsim.build import KERNEL_CROSS, MODULE_SOURCE

FIELDS = ["id", "flags", "size", "dma_address", "mmap_offset", "reserved"]
IOCTLS = ["VERSION", "INFO", "ALLOC", "FREE", "RESIZE", "DOORBELL", "EVENTS"]


def c_values() -> dict[str, str]:
    """C expression for each value the mirror must agree on."""
    values = {"sizeof": "sizeof(struct sharedmem_buffer)", "ABI_VERSION": "SHAREDMEM_ABI_VERSION",
              "MAGIC": "SHAREDMEM_IOC_MAGIC", "DEFAULT_ID": "SHAREDMEM_DEFAULT_ID",
              "STRIDE": "SHAREDMEM_MMAP_STRIDE", "OFFSET_3": "SHAREDMEM_MMAP_OFFSET(3)"}
    values |= {f"offsetof.{f}": f"offsetof(struct sharedmem_buffer, {f})" for f in FIELDS}
    values |= {f"IOC_{name}": f"SHAREDMEM_IOC_{name}" for name in IOCTLS}
    return values


def python_values() -> dict[str, int]:
    values = {"sizeof": uapi.BUFFER.size, "ABI_VERSION": uapi.ABI_VERSION, "MAGIC": uapi.IOC_MAGIC,
              "DEFAULT_ID": uapi.DEFAULT_ID, "STRIDE": uapi.MMAP_STRIDE, "OFFSET_3": uapi.mmap_offset(3)}
    values |= {f"offsetof.{f}": off for f, off in uapi.BUFFER_FIELDS.items()}
    values |= {f"IOC_{name}": getattr(uapi, f"IOC_{name}") for name in IOCTLS}
    return values


def compile_args(cc: str, src: Path, out: Path) -> list[str]:
    return [cc, "-std=c11", "-Wall", "-Werror", "-I", str(MODULE_SOURCE / "include" / "uapi"), "-o", str(out), str(src)]


def test_every_field_of_the_header_is_mirrored() -> None:
    header = (MODULE_SOURCE / "include" / "uapi" / "misc" / "sharedmem.h").read_text()
    body = header[header.index("struct sharedmem_buffer {"):]
    body = body[:body.index("};")]
    declared = [line.split()[-1].rstrip(";").split("[")[0] for line in body.splitlines()[1:] if line.strip()]
    assert declared == FIELDS == list(uapi.BUFFER_FIELDS)
    ioctls = sorted(n.removeprefix("SHAREDMEM_IOC_") for n in re.findall(
        r"#define (SHAREDMEM_IOC_\w+)\s+_IO", header))
    assert ioctls == sorted(IOCTLS)


def test_host_layout_and_numbers_match(tmp_path: Path) -> None:
    src = tmp_path / "uapi.c"
    prints = "\n".join(f'    printf("%s\\"{k}\\": %llu", first++ ? ", " : "", (unsigned long long)({v}));'
                       for k, v in c_values().items())
    src.write_text("#include <stddef.h>\n#include <stdio.h>\n#include <misc/sharedmem.h>\n"
                   f"int main(void)\n{{\n    int first = 0;\n    printf(\"{{\");\n{prints}\n"
                   "    printf(\"}\\n\");\n    return 0;\n}\n")
    subprocess.run(compile_args("gcc", src, tmp_path / "uapi"), check=True)
    got = json.loads(subprocess.run([str(tmp_path / "uapi")], capture_output=True, text=True, check=True).stdout)
    assert got == python_values()


@pytest.mark.parametrize("cc", [KERNEL_CROSS + "gcc"])
def test_32bit_arm_layout_and_numbers_match(tmp_path: Path, cc: str) -> None:
    """The same struct on 32-bit ARM: checked by the compiler itself."""
    src = tmp_path / "uapi_arm.c"
    asserts = "\n".join(f'_Static_assert(({v}) == {python_values()[k]}ULL, "{k}");' for k, v in c_values().items())
    src.write_text(f"#include <stddef.h>\n#include <misc/sharedmem.h>\n{asserts}\n")
    subprocess.run([*compile_args(cc, src, tmp_path / "uapi_arm.o"), "-c"], check=True)


def test_the_mirror_would_notice_a_change(tmp_path: Path) -> None:
    """Guard for the guard: a header whose field moved fails the comparison."""
    header = (MODULE_SOURCE / "include" / "uapi" / "misc" / "sharedmem.h").read_text()
    changed = tmp_path / "include" / "misc"
    changed.mkdir(parents=True)
    (changed / "sharedmem.h").write_text(header.replace("\t__u32 flags;", "\t__u64 flags;"))
    src = tmp_path / "check.c"
    offset = uapi.BUFFER_FIELDS["size"]
    src.write_text("#include <stddef.h>\n#include <misc/sharedmem.h>\n"
                   f'_Static_assert(offsetof(struct sharedmem_buffer, size) == {offset}, "size");\n')
    proc = subprocess.run(["gcc", "-c", "-I", str(tmp_path / "include"), "-o", str(tmp_path / "c.o"), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "size" in proc.stderr
