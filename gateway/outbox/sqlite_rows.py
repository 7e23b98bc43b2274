"""Shared pieces of the SQLite operations: rows to values, the one way a state changes."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.outbox.identity import keys_from_text
from gateway.outbox.model import DocumentType, State
from gateway.outbox.records import Message
from gateway.outbox.timeutil import parse_iso, parse_iso_opt
from gateway.outbox.tx import Tx

COUNTED = {State.DELIVERED: "delivered", State.REFUSED: "refused", State.DEAD: "dead"}


def to_message(row: sqlite3.Row) -> Message:
    """A messages row as a Message."""
    return Message(
        message_id=row["id"],
        seq=row["seq"],
        facility=row["facility"],
        document_type=DocumentType(row["document_type"]),
        keys=keys_from_text(row["keyset"]),
        content_digest=row["content_digest"],
        body_sha256=row["body_sha256"],
        size=row["size"],
        version=row["version"],
        state=State(row["state"]),
        submitter=row["submitter"],
        schema_version=row["schema_version"],
        received_at=parse_iso(row["received_at"]),
        updated_at=parse_iso(row["updated_at"]),
        due_at=parse_iso_opt(row["due_at"]),
        attempts=row["attempts"],
        sends=row["sends"],
        outcome_unknown=bool(row["outcome_unknown"]),
        delivered_at=parse_iso_opt(row["delivered_at"]),
        receipt=row["receipt"],
        portal_time=row["portal_time"],
        last_code=row["last_code"],
        last_reason=row["last_reason"],
        superseded_by=row["superseded_by"],
        payload_pruned=row["pruned_at"] is not None,
    )


def message_row(tx: Tx, message_id: str) -> sqlite3.Row | None:
    return tx.one("SELECT * FROM messages WHERE id = ?", (message_id,))


def newer_version(tx: Tx, row: sqlite3.Row) -> sqlite3.Row | None:
    """The newest later version of the same document (same facility, type and key set), if any."""
    return tx.one(
        "SELECT id, seq FROM messages WHERE facility = ? AND document_type = ? AND keyset = ? "
        "AND seq > ? ORDER BY seq DESC LIMIT 1",
        (row["facility"], row["document_type"], row["keyset"], row["seq"]),
    )


def transition(
    tx: Tx,
    row: sqlite3.Row,
    to: State,
    action: str,
    actor: str,
    *,
    columns: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    body_digest: str | None = None,
) -> str:
    """Move one message to `to`, with its audit record, log line and daily count; returns the
    audit record's hash. `columns` are further columns to set in the same UPDATE."""
    sets = {"state": to.value, "updated_at": tx.now_iso, **(columns or {})}
    assignments = ", ".join(f"{name} = ?" for name in sets)
    tx.run(f"UPDATE messages SET {assignments} WHERE seq = ?", (*sets.values(), row["seq"]))
    digest = tx.audit(action, actor, message_id=row["id"], from_state=row["state"], to_state=to.value,
                      body_digest=body_digest, detail=detail)
    if to in COUNTED:
        tx.count(row["facility"], COUNTED[to])
    tx.log("outbox.transition", message_id=row["id"], facility=row["facility"],
           document_type=row["document_type"], keys=keys_from_text(row["keyset"]),
           from_state=row["state"], to_state=to.value, action=action, actor=actor)
    return digest


def placeholders(values: Sequence[Any]) -> str:
    return ",".join("?" for _ in values)
