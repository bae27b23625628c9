# SPDX-License-Identifier: MIT
"""Unbinding the platform device while members use it (issue 11, point 5):
processes of a group member poll the channel, ring CPU1, read and write the
buffer node and hold mappings of a buffer and of the channel. After the
unbind every operation fails with ENODEV (poll reports EPOLLHUP), the
mappings stay usable until unmapped, nothing is used after free (the debug
board's KASAN and lockdep watch; the `linux` fixture fails on any report),
and a new bind gives working nodes and CPU1 again. A non-member cannot
unbind."""

from pytest_embedded_tests.dut import ZynqLinuxDut

from .test_privilege import run_check


def test_unbind_while_members_use_the_device(linux: ZynqLinuxDut) -> None:
    out = run_check(linux, "unbind_while_members_use_the_device", timeout=300)
    assert "workers:" in out
