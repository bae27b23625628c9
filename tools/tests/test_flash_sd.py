# SPDX-License-Identifier: MIT
"""tools/flash-sd against fakes: images in tmp, a fake /sys/block and
/proc/mounts (FLASH_SD_ROOT), regular files standing in for the cards.
Nothing real is ever written."""

import bz2
import os
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

FLASH_SD = Path(__file__).resolve().parent.parent / "flash-sd"
MiB = 1 << 20
CARD_FILL = b"\xab" * 4096


def wic(size: int = 4 * MiB, part_end: int | None = None, payload: bytes = b"rootfs") -> bytes:
    """A disk image: an MBR with one FAT partition from 1 MiB to part_end."""
    part_end = size if part_end is None else part_end
    data = bytearray(size)
    start = MiB // 512
    struct.pack_into("<B3xB3xII", data, 446, 0x80, 0x0C, start, part_end // 512 - start)
    data[510:512] = b"\x55\xaa"
    data[MiB:MiB + len(payload)] = payload
    data[size - 6:] = b"theend"
    return bytes(data)


class Board:
    """A fake root with cards: sdb (removable, 16 MiB), nvme0n1 (system disk)."""

    def __init__(self, root: Path):
        self.root = root
        self.mounts = ["/dev/nvme0n1p2 / ext4 rw 0 0", "proc /proc proc rw 0 0"]
        self.add_disk("nvme0n1", 512 * MiB, removable=False, partitions=["nvme0n1p1", "nvme0n1p2"])
        self.add_disk("sdb", 16 * MiB, removable=True, partitions=["sdb1"])
        self.write_mounts()

    def add_disk(self, name: str, size: int, removable: bool, partitions: Sequence[str] = ()) -> Path:
        sysdir = self.root / "sys/block" / name
        (sysdir / "device").mkdir(parents=True)
        (sysdir / "removable").write_text("1\n" if removable else "0\n")
        (sysdir / "size").write_text(f"{size // 512}\n")
        (sysdir / "device/model").write_text("Fake Card\n")
        for part in partitions:
            (sysdir / part).mkdir()
        card = self.root / "dev" / name
        card.parent.mkdir(exist_ok=True)
        card.write_bytes(CARD_FILL * 64)
        return card

    def write_mounts(self) -> None:
        (self.root / "proc").mkdir(exist_ok=True)
        (self.root / "proc/mounts").write_text("\n".join(self.mounts) + "\n")

    def card(self, name: str = "sdb") -> bytes:
        return (self.root / "dev" / name).read_bytes()


@pytest.fixture
def board(tmp_path: Path) -> Board:
    return Board(tmp_path / "root")


def flash(board: Board, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FLASH_SD_ROOT=str(board.root))
    return subprocess.run([sys.executable, str(FLASH_SD), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120)


def refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 1 with one line `flash-sd: what; what to do` naming `words`."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert lines[-1].startswith("flash-sd: ") and "; " in lines[-1], result.stderr
    assert len([line for line in lines if line.startswith("flash-sd: ")]) <= 2, result.stderr
    for word in words:
        assert word in lines[-1], lines[-1]
    return lines[-1]


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "sharedmem-image-zedboard-zynq7.rootfs.wic"
    path.write_bytes(wic())
    return path


def test_missing_image_is_refused(board: Board, tmp_path: Path) -> None:
    refused(flash(board, str(tmp_path / "nope.wic"), "/dev/sdb", "--yes"), "no such file")
    assert board.card() == CARD_FILL * 64


def test_a_file_that_is_no_disk_image_is_refused(board: Board, tmp_path: Path) -> None:
    text = tmp_path / "notes.wic"
    text.write_text("not an image\n" * 1000)
    refused(flash(board, str(text), "/dev/sdb", "--yes"), "not a disk image")
    other = tmp_path / "image.iso"
    other.write_bytes(wic())
    refused(flash(board, str(other), "/dev/sdb", "--yes"), "not a .wic, .wic.bz2 or .wic.zst image")
    assert board.card() == CARD_FILL * 64


def test_a_truncated_image_is_refused(board: Board, tmp_path: Path) -> None:
    cut = tmp_path / "cut.wic"
    cut.write_bytes(wic()[:3 * MiB])
    refused(flash(board, str(cut), "/dev/sdb", "--yes"), "truncated")
    assert board.card() == CARD_FILL * 64


def test_a_truncated_bz2_image_is_refused(board: Board, tmp_path: Path) -> None:
    data = bz2.compress(wic(payload=os.urandom(256 * 1024)))
    cut = tmp_path / "cut.wic.bz2"
    cut.write_bytes(data[:len(data) // 2])
    refused(flash(board, str(cut), "/dev/sdb", "--yes"), "truncated or corrupt")
    assert board.card() == CARD_FILL * 64


def test_a_corrupt_zst_image_is_refused(board: Board, tmp_path: Path) -> None:
    plain = tmp_path / "x.wic"
    plain.write_bytes(wic(payload=os.urandom(256 * 1024)))
    subprocess.run(["zstd", "-q", str(plain), "-o", str(tmp_path / "x.wic.zst")], check=True)
    data = (tmp_path / "x.wic.zst").read_bytes()
    bad = tmp_path / "bad.wic.zst"
    bad.write_bytes(data[:len(data) - 100])
    refused(flash(board, str(bad), "/dev/sdb", "--yes"), "truncated or corrupt")
    assert board.card() == CARD_FILL * 64


def test_a_device_smaller_than_the_image_is_refused(board: Board, tmp_path: Path) -> None:
    big = tmp_path / "big.wic"
    big.write_bytes(wic(size=32 * MiB))
    refused(flash(board, str(big), "/dev/sdb", "--yes"), "smaller than the image")
    assert board.card() == CARD_FILL * 64


def test_a_mounted_device_is_refused(board: Board, image: Path) -> None:
    board.mounts.append("/dev/sdb1 /media/user/boot vfat rw 0 0")
    board.write_mounts()
    refused(flash(board, str(image), "/dev/sdb", "--yes"), "mounted at /media/user/boot", "unmount")
    assert board.card() == CARD_FILL * 64


def test_the_disk_holding_root_is_refused_even_if_removable(board: Board, image: Path) -> None:
    board.add_disk("sdc", 64 * MiB, removable=True, partitions=["sdc1", "sdc2"])
    board.mounts[0] = "/dev/sdc2 / ext4 rw 0 0"
    board.write_mounts()
    refused(flash(board, str(image), "/dev/sdc", "--yes"), "root file system")
    assert board.card("sdc") == CARD_FILL * 64


def test_a_non_removable_disk_is_refused(board: Board, image: Path) -> None:
    board.mounts[0] = "/dev/sda2 / ext4 rw 0 0"
    board.write_mounts()
    refused(flash(board, str(image), "/dev/nvme0n1", "--yes"), "not a removable disk")
    assert board.card("nvme0n1") == CARD_FILL * 64


def test_a_partition_is_refused(board: Board, image: Path) -> None:
    (board.root / "dev/sdb1").write_bytes(b"")
    refused(flash(board, str(image), "/dev/sdb1", "--yes"), "partition", "/dev/sdb")


def test_a_missing_device_is_refused(board: Board, image: Path) -> None:
    refused(flash(board, str(image), "/dev/sdz", "--yes"), "no such device")


def test_no_confirmation_no_write(board: Board, image: Path) -> None:
    refused(flash(board, str(image), "/dev/sdb", stdin=""), "not confirmed")
    refused(flash(board, str(image), "/dev/sdb", stdin="no\n"), "not confirmed")
    assert board.card() == CARD_FILL * 64


def test_confirmed_write(board: Board, image: Path) -> None:
    result = flash(board, str(image), "/dev/sdb", stdin="yes\n")
    assert result.returncode == 0, result.stderr
    assert "erases everything on" in result.stderr
    assert board.card()[:image.stat().st_size] == image.read_bytes()


def test_dry_run_says_what_it_would_do_and_writes_nothing(board: Board, image: Path) -> None:
    result = flash(board, str(image), "/dev/sdb", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would write" in result.stdout and "/dev/sdb" in result.stdout
    assert "read back and compared" in result.stdout
    assert board.card() == CARD_FILL * 64


def test_dry_run_still_refuses(board: Board, image: Path) -> None:
    board.mounts.append("/dev/sdb1 /mnt vfat rw 0 0")
    board.write_mounts()
    refused(flash(board, str(image), "/dev/sdb", "--dry-run"), "mounted")


@pytest.mark.parametrize("kind", ["wic", "wic.bz2", "wic.zst"])
def test_write_and_verify(board: Board, tmp_path: Path, kind: str) -> None:
    data = wic(payload=os.urandom(512 * 1024))
    plain = tmp_path / "img.wic"
    plain.write_bytes(data)
    if kind == "wic.bz2":
        (tmp_path / "img.wic.bz2").write_bytes(bz2.compress(data))
    elif kind == "wic.zst":
        subprocess.run(["zstd", "-q", str(plain), "-o", str(tmp_path / "img.wic.zst")], check=True)
    result = flash(board, str(tmp_path / f"img.{kind}"), "/dev/sdb", "--yes")
    assert result.returncode == 0, result.stderr
    assert "verifying 100%" in result.stderr and "verified" in result.stdout
    card = board.card()
    assert card[:len(data)] == data
    assert card[len(data):] == (CARD_FILL * 64)[len(data):]  # nothing beyond the image


def test_write_with_bmaptool_when_a_bmap_is_there(board: Board, tmp_path: Path) -> None:
    image = tmp_path / "img.wic"
    image.write_bytes(wic(payload=os.urandom(64 * 1024)))
    subprocess.run(["bmaptool", "create", "-o", str(tmp_path / "img.wic.bmap"), str(image)], check=True,
                   capture_output=True)
    (tmp_path / "img.wic.bz2").write_bytes(bz2.compress(image.read_bytes()))
    dry = flash(board, str(tmp_path / "img.wic.bz2"), "/dev/sdb", "--dry-run")
    assert "bmaptool copy --bmap" in dry.stdout and "img.wic.bmap" in dry.stdout
    (board.root / "dev/sdb").write_bytes(b"\0" * 16 * MiB)  # bmaptool skips unmapped (zero) blocks
    result = flash(board, str(tmp_path / "img.wic.bz2"), "/dev/sdb", "--yes")
    assert result.returncode == 0, result.stderr
    assert board.card()[:image.stat().st_size] == image.read_bytes()


def test_bmaptool_refuses_an_image_that_does_not_match_its_bmap(board: Board, tmp_path: Path) -> None:
    """bmaptool checks the written blocks against the bmap's checksums."""
    image = tmp_path / "img.wic"
    image.write_bytes(wic(payload=os.urandom(64 * 1024)))
    subprocess.run(["bmaptool", "create", "-o", str(tmp_path / "img.wic.bmap"), str(image)], check=True,
                   capture_output=True)
    image.write_bytes(wic(payload=os.urandom(64 * 1024)))  # same layout, other bytes
    refused(flash(board, str(image), "/dev/sdb", "--yes"), "bmaptool copy failed")


def test_usage_errors_exit_2(board: Board) -> None:
    assert flash(board).returncode == 2
    assert flash(board, "a.wic", "/dev/sdb", "--bogus").returncode == 2
