# SPDX-License-Identifier: MIT
"""Where things are: the repository's sources and the user's cache."""

import os
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent
REPO = TOOLS.parent
LAYER = REPO / "meta-sharedmem"
BOARD = Path(__file__).resolve().parent / "board"

# Sources that live once, in the layer, and are built for the emulated board.
KERNEL_FRAGMENT = LAYER / "recipes-kernel" / "linux" / "files" / "sharedmem.cfg"
DEVICE_TREE_DIR = LAYER / "recipes-bsp" / "device-tree" / "files"
# Test programs that run on the board (built for its user space, not installed).
TARGET_PROGRAMS = REPO / "pytest_embedded_tests" / "target"

CACHE_ENV = "SHAREDMEM_SIM_CACHE"


def cache_dir() -> Path:
    """Build artefacts: $SHAREDMEM_SIM_CACHE or ~/.cache/meta-sharedmem/sim."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "meta-sharedmem" / "sim"


RUN_ENV = "SHAREDMEM_SIM_RUN"


def run_dir() -> Path:
    """State of the running board: pid, ports, logs. $SHAREDMEM_SIM_RUN, or
    `run` in the cache: a second directory runs a second board beside the
    first from the same cache (two test sessions at once)."""
    env = os.environ.get(RUN_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return cache_dir() / "run"
