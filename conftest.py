# SPDX-License-Identifier: MIT
"""What every pytest session of the repository shares (tools/tests and
pytest_embedded_tests): one `target` fixture for two plugins.

pytest-embedded and labgrid's pytest plugin both define a fixture named
`target`: pytest-embedded's is the Espressif chip (its serial service, the
only one used here, does not use it), labgrid's the environment's main
target, which its `strategy` fixture uses. pytest-embedded asks for
`target` in every test (an autouse fixture), and whichever plugin registers
last wins: with labgrid's, every test without --lg-env was skipped
("missing environment config"). This one serves both.
"""

from typing import Any

import pytest


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Any:
    """labgrid's main target under --lg-env (LG_ENV), else None."""
    from labgrid.pytestplugin.hooks import LABGRID_ENV_KEY

    if request.config.stash.get(LABGRID_ENV_KEY, None) is None:
        return None
    # The places first: labgrid builds a RemotePlace only for an acquired
    # place (pytest_embedded_tests/conftest.py acquires them).
    request.getfixturevalue("_labgrid_places")
    found = request.getfixturevalue("env").get_target()
    if found is None:
        raise pytest.UsageError(f"{request.config.option.lg_env}: the labgrid environment has no target 'main'")
    return found
