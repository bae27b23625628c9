# SPDX-License-Identifier: MIT
"""Build steps whose outputs are cached under a key made from their inputs.

A step builds into `<cache>/<step>/<key>/` and marks success with a `.complete`
file written last. A directory without that mark is what an interrupted build
(Ctrl-C, full disk, crash) leaves behind: it is wiped and built again, never
used. Older keys of a step are pruned once a new one is complete.
"""

import fcntl
import hashlib
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .paths import cache_dir

COMPLETE = ".complete"
KEEP_OLD = 4  # older complete keys kept per step (branches and worktrees sharing one cache)


def hash_inputs(parts: Iterable[object]) -> str:
    """Key of a step: a hash of files (by content, directories recursively)
    and of plain values (strings, numbers, other keys)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            _hash_path(h, part)
        else:
            h.update(b"value\0" + str(part).encode() + b"\0")
    return h.hexdigest()[:16]


def _hash_path(h: "hashlib._Hash", path: Path) -> None:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and "__pycache__" not in child.parts:
                h.update(b"file\0" + str(child.relative_to(path)).encode() + b"\0")
                h.update(hashlib.sha256(child.read_bytes()).digest())
                h.update(b"x" if child.stat().st_mode & 0o111 else b"-")
    elif path.is_file():
        h.update(b"file\0" + path.name.encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    else:
        raise FileNotFoundError(f"build input {path} does not exist")


class Step:
    """One cached build step."""

    def __init__(self, name: str, inputs: Iterable[object]):
        self.name = name
        self.key = hash_inputs(inputs)
        self.root = cache_dir() / name
        self.out = self.root / self.key

    @property
    def done(self) -> bool:
        return (self.out / COMPLETE).exists()

    def run(self, build: Callable[[Path], None], log: Callable[[str], None]) -> Path:
        """Return the step's output directory, building it first if needed."""
        if self.done:
            return self.out
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.done:  # another build finished it while we waited
                return self.out
            if self.out.exists():
                log(f"{self.name}: discarding an incomplete earlier build")
                shutil.rmtree(self.out)
            self.out.mkdir()
            log(f"{self.name}: building ({self.key})")
            started = time.monotonic()
            build(self.out)
            (self.out / COMPLETE).write_text(f"{time.time():.0f}\n")
            log(f"{self.name}: done in {time.monotonic() - started:.0f} s")
            self._prune()
        return self.out

    def _prune(self) -> None:
        others = [d for d in self.root.iterdir() if d.is_dir() and d != self.out]
        complete = sorted(
            (d for d in others if (d / COMPLETE).exists()),
            key=lambda d: (d / COMPLETE).stat().st_mtime,
            reverse=True,
        )
        for d in complete[KEEP_OLD:] + [d for d in others if not (d / COMPLETE).exists()]:
            shutil.rmtree(d, ignore_errors=True)


def stderr_log(message: str) -> None:
    print(f"sim: {message}", file=sys.stderr, flush=True)
