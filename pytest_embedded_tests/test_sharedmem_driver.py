# SPDX-License-Identifier: MIT
"""The sharedmem kernel module on the board: nodes, file semantics, mmap,
ioctls, bad input, users, sysfs, unload (issue 3).

Each test runs a check of target/driver_checks.py on the board (raw
os/mmap/ctypes calls for the ABI, shmem_helper where the library is the
subject), which asserts and prints CHECK-OK at its end. Checks that write a
persistent region touch only the last page of sharedmem-channel and put its
old contents back.
"""

import re
from collections.abc import Callable

from pytest_embedded_tests.dut import TARGET, ZynqLinuxDut

CHECKS = TARGET / "driver_checks.py"


def run_check(linux: ZynqLinuxDut, check: str, *args: str, user: str = "root", timeout: float = 180.0) -> str:
    """Run one of target/driver_checks.py's checks on the board; its output."""
    result = linux.run_program(CHECKS, check, *args, user=user, timeout=timeout)
    assert result.status == 0 and "CHECK-OK" in result.output, f"on-board check {check} failed:\n{result.output}"
    return result.output


def test_module_loads_from_the_device_tree(linux: ZynqLinuxDut) -> None:
    """udev loaded the module from the node's compatible (modalias), bound it
    to the device and named the nodes; version 0.1.0."""
    assert re.search(r"^sharedmem\s", linux.check("lsmod"), re.MULTILINE)
    assert linux.check("cat /sys/module/sharedmem/version").strip() == "0.1.0"
    compatible = linux.check("tr -d '\\0' < /sys/bus/platform/devices/sharedmem/of_node/compatible")
    assert compatible == "meta-sharedmem,zynq-amp"
    linux.check("test -e /sys/bus/platform/drivers/sharedmem/sharedmem")
    run_check(linux, "module_loads_from_the_device_tree")


def test_regions_are_claimed_and_named(linux: ZynqLinuxDut) -> None:
    """Each region is claimed under its name in /proc/iomem, and INFO gives
    the device tree's address (DMA address = physical on Zynq) and size."""
    run_check(linux, "regions_are_claimed_and_named")


def test_buffer_dma_address_lies_in_cma(linux: ZynqLinuxDut) -> None:
    """A per-open buffer comes from the CMA area: its DMA address lies in the
    range the kernel reserved for CMA, and CmaFree drops while it exists."""
    dmesg = linux.check("dmesg | grep 'cma: Reserved'")
    m = re.search(r"Reserved (\d+) MiB at 0x([0-9a-f]+)", dmesg)
    assert m, dmesg
    start, size = int(m[2], 16), int(m[1]) << 20
    run_check(linux, "buffer_dma_address_lies_in_cma", hex(start), hex(start + size))


def test_read_write_behave_like_a_file_of_the_buffer_size(linux: ZynqLinuxDut) -> None:
    run_check(linux, "read_write_behave_like_a_file_of_the_buffer_size")


def test_write_shows_in_the_mapping_and_back(linux: ZynqLinuxDut) -> None:
    """write() lands in the mapping, stores through the mapping come out of
    read(), for a buffer and for a region."""
    run_check(linux, "write_shows_in_the_mapping_and_back")


def test_mmap_bounds_and_flags(linux: ZynqLinuxDut) -> None:
    run_check(linux, "mmap_bounds_and_flags")


def test_ioctl_version_info_and_bad_input(linux: ZynqLinuxDut) -> None:
    run_check(linux, "ioctl_version_info_and_bad_input")


def test_alloc_free_and_mapping_by_offset(linux: ZynqLinuxDut) -> None:
    run_check(linux, "alloc_free_and_mapping_by_offset")


def test_resize_keeps_contents_and_refuses_what_it_cannot_do(linux: ZynqLinuxDut) -> None:
    run_check(linux, "resize_keeps_contents_and_refuses_what_it_cannot_do")


def test_alloc_until_the_pool_is_exhausted_then_close_frees_all(linux: ZynqLinuxDut) -> None:
    run_check(linux, "alloc_until_the_pool_is_exhausted_then_close_frees_all")


def test_close_with_a_live_mapping_keeps_the_memory(linux: ZynqLinuxDut) -> None:
    """Closing the file, or FREE, while a mapping lives: the mapping keeps
    working; the memory goes back to the pool only at munmap."""
    run_check(linux, "close_with_a_live_mapping_keeps_the_memory")


def test_two_processes_share_a_persistent_region(linux: ZynqLinuxDut) -> None:
    """Two processes with their own opens of sharedmem-channel see each
    other's stores; what was written survives close and reopen."""
    run_check(linux, "two_processes_share_a_persistent_region")


def test_group_member_and_outsider(linux: ZynqLinuxDut) -> None:
    """amp (group sharedmem) opens, reads, writes and maps every node and gets
    the DMA address from INFO; outsider gets EACCES with a hint; sysfs keeps
    dma_address for root."""
    run_check(linux, "group_member", user="amp")
    run_check(linux, "outsider", user="outsider")


def test_missing_node_error_says_what_to_do(linux: ZynqLinuxDut) -> None:
    run_check(linux, "missing_node_error_says_what_to_do")


def test_sysfs_counters(linux: ZynqLinuxDut) -> None:
    run_check(linux, "sysfs_counters")


def test_poll_reports_readable_and_writable(linux: ZynqLinuxDut) -> None:
    """poll(): read and write never block, so a node is readable and writable
    at once; the channel node is the exception for reading: it is readable
    only after CPU1 rang Linux (test_cpu1.py covers the doorbell)."""
    run_check(linux, "poll_reports_readable_and_writable")


def test_unload_is_refused_while_open_or_mapped(linux: ZynqLinuxDut) -> None:
    run_check(linux, "unload_is_refused_while_open_or_mapped")


def test_load_unload_100_times_leaks_nothing(linux: ZynqLinuxDut, repeat: Callable[[int], int]) -> None:
    run_check(linux, "load_unload_leaks_nothing", str(repeat(100)), timeout=600)
