# SPDX-License-Identifier: MIT
"""Host-side tests of the tools: no board needed."""

from pathlib import Path

import pytest


@pytest.fixture
def sim_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache (and so a private run directory) for tools/sim."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("SHAREDMEM_SIM_CACHE", str(cache))
    return cache

# The channel and RPMsg tests' fixtures (harness, channel; rpmsg_harness, linux, link) live with their helpers.
pytest_plugins = ["channel_support", "rpmsg_support"]
