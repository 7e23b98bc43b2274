"""Real documents for the delivery tests, made by the sample generator users get: envelopes of
one treatment episode (one MA_LK) each, and later versions of the same episode."""

from __future__ import annotations

import functools
import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta

from gateway.outbox import DocumentType, Submission
from gateway.samples import make_dossier
from gateway.signing.content import content_digest


@dataclass(frozen=True)
class Document:
    """One version of one facility's dossier for one MA_LK."""

    facility: str
    ma_lk: str
    version: int  # 1, 2, ...: the order in which the hospital sends them
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def submission(self) -> Submission:
        return Submission(self.facility, DocumentType.ENVELOPE, (self.ma_lk,), content_digest(self.content),
                          self.content, f"facility:{self.facility}")  # fmt: skip


@functools.lru_cache(maxsize=512)
def versions(facility: str, seed: int, count: int = 1) -> tuple[Document, ...]:
    """`count` versions of one dossier: the same episode, a later NGAYLAP each time."""
    dossier, _ = make_dossier(random.Random(f"{facility}:{seed}"), "small", facility)
    first = date(int(dossier.created[:4]), int(dossier.created[4:6]), int(dossier.created[6:]))
    made = []
    for number in range(1, count + 1):
        dossier.created = (first + timedelta(days=number - 1)).strftime("%Y%m%d")
        made.append(Document(facility, dossier.episodes[0].ma_lk, number, dossier.to_bytes()))
    return tuple(made)


def batch(facility: str, count: int, first_seed: int = 0) -> list[Document]:
    """`count` distinct dossiers (one version each) of a facility."""
    return [versions(facility, seed)[0] for seed in range(first_seed, first_seed + count)]
