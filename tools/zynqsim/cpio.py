# SPDX-License-Identifier: MIT
"""Write a gzip'd `newc` cpio archive (the initramfs format) from a directory.

Written here rather than with cpio(1) so that every entry is owned by root and
device nodes can be added without being root on the host.
"""

import gzip
import os
import stat
from pathlib import Path

_TRAILER = "TRAILER!!!"


def _header(name: str, mode: int, size: int, mtime: int, nlink: int = 1,
            rdev: tuple[int, int] = (0, 0), ino: int = 0) -> bytes:
    namesize = len(name.encode()) + 1
    fields = [ino, mode, 0, 0, nlink, mtime, size, 0, 0, rdev[0], rdev[1], namesize, 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields)
    return _pad(head + name.encode() + b"\0")


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def write_initramfs(trees: list[Path], output: Path, char_devices: dict[str, tuple[int, int]]) -> None:
    """Archive the union of `trees` into `output` (gzip'd): a path in a later
    tree replaces the same path in an earlier one. Adds the given character
    device nodes (path -> (major, minor)); device files in the trees are
    skipped, as devtmpfs provides /dev at boot."""
    entries: dict[str, Path] = {}
    for tree in trees:
        for root, dirs, files in os.walk(tree):
            for name in dirs + files:
                path = Path(root) / name
                entries[str(path.relative_to(tree))] = path
    ino = 1
    with open(output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out:
        # Sorted, a directory comes before everything inside it.
        for rel in sorted(entries):
            path = entries[rel]
            st = path.lstat()
            mode = st.st_mode
            mtime = int(st.st_mtime)
            ino += 1
            if stat.S_ISLNK(mode):
                target = os.readlink(path).encode()
                out.write(_header(rel, mode, len(target), mtime, ino=ino))
                out.write(_pad(target))
            elif stat.S_ISREG(mode):
                data = path.read_bytes()
                out.write(_header(rel, mode, len(data), mtime, ino=ino))
                out.write(_pad(data))
            elif stat.S_ISDIR(mode):
                out.write(_header(rel, mode, 0, mtime, nlink=2, ino=ino))
        for rel, rdev in sorted(char_devices.items()):
            ino += 1
            out.write(_header(rel, stat.S_IFCHR | 0o600, 0, 0, rdev=rdev, ino=ino))
        out.write(_header(_TRAILER, 0, 0, 0))
