"""The disk watermark: refuse new documents before the disk fills, not when it has."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from gateway.outbox.errors import DISK_WATERMARK, DiskFull

FreeSpaceProbe = Callable[[Path], int]  # free bytes on the file system holding the path


def free_bytes(path: Path) -> int:
    """The real probe: bytes available to us on the file system of `path`."""
    return shutil.disk_usage(path).free


class DiskGuard:
    """Checks free space before each acceptance (the probe is injectable for tests)."""

    def __init__(self, path: Path, min_free_bytes: int, probe: FreeSpaceProbe = free_bytes) -> None:
        self._path = path
        self._min_free = min_free_bytes
        self._probe = probe

    def free(self) -> int:
        return self._probe(self._path)

    def check(self) -> None:
        """Raises DiskFull `store.disk_watermark` when free space is under the watermark."""
        free = self._probe(self._path)
        if free < self._min_free:
            raise DiskFull(
                DISK_WATERMARK,
                f"free disk space {free // 2**20} MiB is under the watermark "
                f"{self._min_free // 2**20} MiB: new documents are refused until space is freed",
            )
