"""Documents for bench/intake.py: typical facility-signed envelopes, each with its own MA_LK,
plus a share of new versions of earlier ones, generated before the run (both cores) into one
file that the load generator maps instead of holding ~3 GB in memory.

A document is planned as (seed, number, version): the episode drawn from `random.Random(seed)`
by the sample generator (gateway.samples, profile typical), its MA_LK rewritten to
`<MACSKCB><yymmdd of admission><number:08d>` in every table (unique per number), and for a new
version (version >= 2) the same episode with NGAYLAP moved on by version - 1 days, so that the
content differs (a new version, not a duplicate) while the MA_LK stays.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

FACILITY = "01001"


@dataclass(frozen=True)
class Planned:
    """One document to send: `version` 1 is a new MA_LK, 2+ a new version of `number`'s."""

    seed: int
    number: int
    version: int = 1


def plan(count: int, first_number: int, new_version_share: float, rate: float, seed: int) -> list[Planned]:
    """`count` documents, numbers from `first_number`; about `new_version_share` of them are new
    versions of a document sent 2..30 s (at `rate`) earlier, so most of the earlier versions
    are delivered already (a new delivery) and a few may still be pending (SUPERSEDED)."""
    rng = random.Random(seed)
    versions: dict[int, int] = {}
    items: list[Planned] = []
    for position in range(count):
        reach = (max(1, int(2 * rate)), max(2, int(30 * rate)))
        if position > reach[0] and rng.random() < new_version_share:
            earlier = items[position - rng.randint(reach[0], min(reach[1], position))]
            version = versions.get(earlier.number, 1) + 1
            versions[earlier.number] = version
            items.append(Planned(earlier.seed, earlier.number, version))
        else:
            number = first_number + position
            items.append(Planned(seed * 1_000_000 + number, number))
    return items


def build(item: Planned, signer: Any) -> bytes:
    """The signed envelope of one planned document."""
    from gateway.samples import make_dossier
    from gateway.signing import facility_key_id, sign

    dossier, _ = make_dossier(random.Random(item.seed), "typical", FACILITY)
    episode = dossier.episodes[0]
    ma_lk = f"{episode.ma_lk[:11]}{item.number:08d}"
    for rows in episode.tables.values():
        for row in rows:
            if "MA_LK" in row:
                row["MA_LK"] = ma_lk
    if item.version > 1:
        created = date(int(dossier.created[:4]), int(dossier.created[4:6]), int(dossier.created[6:]))
        dossier.created = f"{created + timedelta(days=item.version - 1):%Y%m%d}"
    return sign(dossier.to_bytes(), signer, facility_key_id(FACILITY))


_signers: dict[str, Any] = {}


def _build_in_pool(args: tuple[Planned, str]) -> bytes:
    item, pki_dir = args
    signer = _signers.get(pki_dir)
    if signer is None:
        from gateway.signing import FileKeySigner

        signer = _signers[pki_dir] = FileKeySigner.from_pki(Path(pki_dir))
    return build(item, signer)


def write(path: Path, items: list[Planned], pki_dir: Path, processes: int | None = None) -> None:
    """Generate and sign `items` on every core, appending each as <length><bytes> to `path`."""
    work = [(item, str(pki_dir)) for item in items]
    with multiprocessing.get_context("fork").Pool(processes or os.cpu_count() or 2) as pool, \
            open(path, "wb") as handle:
        for document in pool.imap(_build_in_pool, work, chunksize=32):
            handle.write(struct.pack(">I", len(document)))
            handle.write(document)


class Documents:
    """The documents of a file written by `write`, by position, read from a memory map."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # closed by close()
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self._offsets: list[tuple[int, int]] = []
        offset = 0
        while offset < len(self._map):
            (size,) = struct.unpack_from(">I", self._map, offset)
            self._offsets.append((offset + 4, size))
            offset += 4 + size

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, position: int) -> bytes:
        start, size = self._offsets[position]
        return self._map[start : start + size]

    def __iter__(self) -> Iterator[bytes]:
        return (self[i] for i in range(len(self)))

    def mean_size(self) -> float:
        return sum(size for _, size in self._offsets) / max(1, len(self._offsets))

    def close(self) -> None:
        self._map.close()
        self._file.close()
