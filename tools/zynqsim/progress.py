# SPDX-License-Identifier: MIT
"""Progress of a long build command whose output goes to a log file: every
few seconds, how many units it has done (lines of the log that match a
pattern), against the total of the previous build where one is known, and
what it works on now. Never a minute of silence on a cold cache."""

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

INTERVAL = 10.0  # seconds between two reports (a user waits at most this long)


class LogProgress:
    """Reports on a log file while a command writes to it (a context manager).
    `count` is the number of matching lines when it ends."""

    def __init__(self, what: str, log_file: Path, unit_pattern: str, log: Callable[[str], None],
                 total: int | None = None, unit: str = "objects", interval: float = INTERVAL):
        self.what, self.log_file, self.unit, self.total = what, log_file, unit, total
        self._pattern = re.compile(unit_pattern)
        self._log = log
        self._interval = interval
        self.count = 0
        self._last = ""
        self._offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"progress {what}", daemon=True)

    def __enter__(self) -> "LogProgress":
        self._started = time.monotonic()
        self._offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._scan()

    def _scan(self) -> None:
        if not self.log_file.exists():
            return
        with open(self.log_file, "rb") as f:
            f.seek(self._offset)
            data = f.read()
        # Whole lines only: a line still being written is read next time.
        end = data.rfind(b"\n") + 1
        self._offset += end
        for line in data[:end].decode(errors="replace").splitlines():
            match = self._pattern.search(line)
            if match:
                self.count += 1
                self._last = match.group(match.lastindex or 0)

    def report(self) -> str:
        elapsed = time.monotonic() - self._started
        done = f"{self.count}/{self.total}" if self.total else f"{self.count}"
        percent = f" ({min(99, 100 * self.count // self.total)}%)" if self.total else ""
        now = f", now {self._last}" if self._last else ""
        return f"{self.what}: {done} {self.unit}{percent} after {elapsed // 60:.0f} min {elapsed % 60:02.0f} s{now}"

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            self._scan()
            self._log(self.report())
