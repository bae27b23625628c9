# SPDX-License-Identifier: MIT
import gzip
import stat
from pathlib import Path
from typing import Any

from zynqsim.cpio import write_initramfs


def read_newc(data: bytes) -> dict[str, dict[str, Any]]:
    """A minimal reader of the newc format, independent of the writer."""
    entries: dict[str, dict[str, Any]] = {}
    pos = 0
    while True:
        assert data[pos:pos + 6] == b"070701", f"bad magic at {pos}"
        fields = [int(data[pos + 6 + 8 * i: pos + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = fields[11], fields[6]
        name = data[pos + 110: pos + 110 + namesize - 1].decode()
        pos += 110 + namesize
        pos += -pos % 4
        body = data[pos: pos + filesize]
        pos += filesize
        pos += -pos % 4
        if name == "TRAILER!!!":
            return entries
        entries[name] = {"mode": fields[1], "uid": fields[2], "gid": fields[3], "body": body,
                         "rdev": (fields[9], fields[10])}


def test_union_of_trees_owned_by_root(tmp_path: Path) -> None:
    base, overlay = tmp_path / "base", tmp_path / "overlay"
    (base / "etc").mkdir(parents=True)
    (base / "etc" / "passwd").write_text("from base\n")
    (base / "bin").mkdir()
    (base / "bin" / "tool").write_text("#!/bin/sh\n")
    (base / "bin" / "tool").chmod(0o755)
    (base / "bin" / "link").symlink_to("tool")
    (overlay / "etc").mkdir(parents=True)
    (overlay / "etc" / "passwd").write_text("from overlay\n")
    out = tmp_path / "initramfs.cpio.gz"

    write_initramfs([base, overlay], out, char_devices={"dev/console": (5, 1)})

    entries = read_newc(gzip.decompress(out.read_bytes()))
    assert entries["etc/passwd"]["body"] == b"from overlay\n"
    assert stat.S_IMODE(entries["bin/tool"]["mode"]) == 0o755
    assert stat.S_ISLNK(entries["bin/link"]["mode"]) and entries["bin/link"]["body"] == b"tool"
    assert stat.S_ISCHR(entries["dev/console"]["mode"]) and entries["dev/console"]["rdev"] == (5, 1)
    assert all(e["uid"] == 0 and e["gid"] == 0 for e in entries.values())
    names = list(entries)
    assert names.index("etc") < names.index("etc/passwd"), "a directory must precede its contents"
