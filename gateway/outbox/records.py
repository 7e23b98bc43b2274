"""What the store's read side returns: a message's metadata, its audit history, counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from gateway.outbox.model import DocumentType, State


@dataclass(frozen=True)
class Message:
    """A message's metadata (never its payload): what `get` and `list_messages` return."""

    message_id: str
    seq: int  # acceptance order (the per-MA_LK delivery order)
    facility: str
    document_type: DocumentType
    keys: tuple[str, ...]
    content_digest: str
    body_sha256: str
    size: int
    version: int
    state: State
    submitter: str
    schema_version: str
    received_at: datetime
    updated_at: datetime
    due_at: datetime | None
    attempts: int
    sends: int
    outcome_unknown: bool
    delivered_at: datetime | None
    receipt: str | None  # maGiaoDich
    portal_time: str | None  # thoiGianTiepNhan
    last_code: str | None
    last_reason: str | None
    superseded_by: str | None
    payload_pruned: bool


@dataclass(frozen=True)
class MessageFilter:
    """Which messages `list_messages` returns; every field narrows (None: any)."""

    facility: str | None = None
    states: frozenset[State] | None = None
    document_type: DocumentType | None = None
    key: str | None = None  # one MA_LK (or SO_BIEN_BAN)
    received_from: datetime | None = None  # inclusive
    received_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Page:
    """One page of messages in acceptance order; pass `next_cursor` back for the next."""

    items: tuple[Message, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class AuditRecord:
    """One link of the audit chain: what, who, when, the digest of the bytes, the answer."""

    seq: int
    at: str  # ISO 8601 UTC, as hashed
    message_id: str | None
    action: str
    actor: str
    from_state: str | None
    to_state: str | None
    body_digest: str | None  # SHA-256 hex of the exact bytes received or sent
    detail: str  # canonical JSON, as hashed
    prev_hash: str
    hash: str

    def detail_dict(self) -> dict[str, Any]:
        value = json.loads(self.detail)
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class DailyCount:
    """Per facility, per day (Asia/Ho_Chi_Minh): what the dashboard's same-day rates need."""

    facility: str
    day: date
    received: int = 0
    delivered: int = 0
    refused: int = 0
    dead: int = 0


@dataclass(frozen=True)
class HeldFacility:
    """A facility whose documents are parked (its portal credentials failed, or an operator
    held it): what `held_facilities` returns.

    `documents` counts its HELD documents (0: held, nothing waiting yet). `since` is when it was
    held; `actor` and `reason` say who held it and why (None only for HELD documents left
    without a hold, which the store does not make).
    """

    facility: str
    documents: int
    since: datetime
    actor: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"facility": self.facility, "documents": self.documents, "since": self.since.isoformat(),
                "actor": self.actor, "reason": self.reason}  # fmt: skip


@dataclass(frozen=True)
class PruneResult:
    """What `prune` removed: payloads of delivered messages, expired idempotency keys."""

    payloads_pruned: int = 0
    idempotency_keys_expired: int = 0
    message_ids: tuple[str, ...] = field(default=(), repr=False)
