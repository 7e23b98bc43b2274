"""The audit chain: append-only records, each hash-chained to the one before.

    hash(n) = SHA-256( canonical JSON [n, at, message_id, action, actor, from_state, to_state,
                                       body_digest, detail, hash(n-1)] )

with hash(0) = GENESIS. The detail is stored as the exact canonical JSON text that was hashed,
so verification never depends on re-serialising. Editing, deleting or reordering a record
breaks the chain at that record; rewriting the whole chain consistently is caught by the
signed checkpoints (checkpoint.py), kept outside the database.

This module is pure: the stores append through it and `gateway audit verify` checks through it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.outbox.records import AuditRecord

GENESIS = "0" * 64
ANSWER_LIMIT = 8192  # characters of a portal answer kept in a record (its digest covers all)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept (what is hashed and stored)."""
    return _CANONICAL.encode(value)


def detail_text(detail: Mapping[str, Any]) -> str:
    """The stored form of a record's detail; None values are dropped."""
    return canonical({k: v for k, v in detail.items() if v is not None})


def link_hash(
    seq: int,
    at: str,
    message_id: str | None,
    action: str,
    actor: str,
    from_state: str | None,
    to_state: str | None,
    body_digest: str | None,
    detail: str,
    prev_hash: str,
) -> str:
    """The hash of one record (see the module docstring)."""
    fields = [seq, at, message_id, action, actor, from_state, to_state, body_digest, detail, prev_hash]
    return hashlib.sha256(canonical(fields).encode("utf-8")).hexdigest()


def record_hash(record: AuditRecord) -> str:
    """Recompute a stored record's hash from its fields."""
    return link_hash(
        record.seq, record.at, record.message_id, record.action, record.actor,
        record.from_state, record.to_state, record.body_digest, record.detail, record.prev_hash,
    )


def answer_detail(answer: bytes | None) -> dict[str, Any]:
    """How a portal answer goes into a record: its text (capped) and the digest of all of it."""
    if answer is None:
        return {}
    text = answer.decode("utf-8", errors="replace")
    return {"answer": text[:ANSWER_LIMIT], "answer_sha256": hashlib.sha256(answer).hexdigest()}


@dataclass(frozen=True)
class ChainBreak:
    """The first record where the chain does not hold, and why."""

    seq: int
    reason: str


@dataclass
class ChainWalk:
    """Walks records in order from an anchor, remembering the first break and every hash seen."""

    expected_seq: int = 1
    prev_hash: str = GENESIS
    count: int = 0
    first_break: ChainBreak | None = None

    def feed(self, records: Iterable[AuditRecord]) -> None:
        """Check records given in ascending seq order; stops at the first break."""
        for record in records:
            if self.first_break is not None:
                return
            self._check(record)

    def _check(self, record: AuditRecord) -> None:
        if record.seq != self.expected_seq:
            what = "missing (deleted)" if record.seq > self.expected_seq else "out of order"
            self.first_break = ChainBreak(self.expected_seq, f"record {self.expected_seq} is {what}; "
                                          f"found record {record.seq} next")
            return
        if record.prev_hash != self.prev_hash:
            self.first_break = ChainBreak(record.seq, "its prev_hash does not match the hash of the "
                                          "record before it (records removed, reordered or replaced)")
            return
        if record_hash(record) != record.hash:
            self.first_break = ChainBreak(record.seq, "its content does not match its hash (edited)")
            return
        self.prev_hash = record.hash
        self.expected_seq += 1
        self.count += 1
