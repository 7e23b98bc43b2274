"""`accept` on SQLite: idempotency, duplicates, versions, and the durable insert, in one job."""

from __future__ import annotations

import json
import sqlite3

from gateway.outbox.errors import IdempotencyConflict
from gateway.outbox.identity import keyset_text, new_message_id
from gateway.outbox.model import Accepted, State, Submission
from gateway.outbox.sqlite_rows import transition
from gateway.outbox.timeutil import iso
from gateway.outbox.tx import Tx

SUPERSEDABLE = (State.QUEUED.value, State.RETRY_WAIT.value, State.HELD.value)
# A resubmission of a document in one of these states is a new attempt, not a duplicate.
RETRYABLE_BY_RESUBMISSION = (State.REFUSED.value, State.DEAD.value)


def accepted_to_json(accepted: Accepted) -> str:
    return json.dumps({
        "message_id": accepted.message_id, "state": accepted.state.value,
        "duplicate": accepted.duplicate, "receipt_ref": accepted.receipt_ref,
        "version": accepted.version, "superseded_ids": list(accepted.superseded_ids),
    }, sort_keys=True)


def accepted_from_json(text: str) -> Accepted:
    data = json.loads(text)
    return Accepted(data["message_id"], State(data["state"]), data["duplicate"], data["receipt_ref"],
                    data["version"], tuple(data["superseded_ids"]))


def remembered_answer(
    conn: sqlite3.Connection, scope: str, key: str, body_sha256: str, not_before: str
) -> Accepted | None:
    """The original answer to (scope, key) if it was given at or after `not_before`.

    Raises IdempotencyConflict when that answer was for another body.
    """
    row = conn.execute(
        "SELECT body_sha256, answer, created_at FROM idempotency WHERE scope = ? AND key = ?", (scope, key)
    ).fetchone()
    if row is None or row[2] < not_before:
        return None
    if row[0] != body_sha256:
        raise IdempotencyConflict(
            "this Idempotency-Key was used with a different body; use a new key for a new document"
        )
    return accepted_from_json(row[1])


def accept(tx: Tx, sub: Submission, body_sha256: str) -> Accepted:
    """Accept one submission (a writer job): the idempotent answer, the existing message for a
    duplicate, or a new message (superseding older versions not yet delivered)."""
    key = sub.idempotency_key
    if key is not None:
        cutoff = iso(tx.now - tx.settings.idempotency_ttl)
        original = remembered_answer(tx.conn, sub.submitter, key, body_sha256, cutoff)
        if original is not None:
            return original
    keyset = keyset_text(sub.keys)
    versions = tx.all(  # every earlier version, newest first: usually none or one
        "SELECT seq, id, state, content_digest, version, accept_hash, facility, document_type, keyset "
        "FROM messages WHERE facility = ? AND document_type = ? AND keyset = ? ORDER BY seq DESC",
        (sub.facility, sub.document_type.value, keyset),
    )
    latest = versions[0] if versions else None
    if (latest is not None and latest["content_digest"] == sub.content_digest
            and latest["state"] not in RETRYABLE_BY_RESUBMISSION):
        answer = Accepted(latest["id"], State(latest["state"]), True, latest["accept_hash"], latest["version"])
        tx.audit("duplicate", sub.submitter, message_id=latest["id"], body_digest=body_sha256,
                 detail={"idempotency_key": key is not None})
        tx.log("outbox.duplicate", message_id=latest["id"], facility=sub.facility,
               document_type=sub.document_type.value, keys=list(sub.keys))
    else:
        older = [row for row in reversed(versions) if row["state"] in SUPERSEDABLE]
        version = 1 if latest is None else latest["version"] + 1
        answer = _insert(tx, sub, body_sha256, keyset, version, older)
    if key is not None:
        tx.run(
            "INSERT INTO idempotency (scope, key, body_sha256, answer, created_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT (scope, key) DO UPDATE SET body_sha256 = excluded.body_sha256, "
            "answer = excluded.answer, created_at = excluded.created_at",
            (sub.submitter, key, body_sha256, accepted_to_json(answer), tx.now_iso),
        )
    return answer


def _insert(
    tx: Tx, sub: Submission, body_sha256: str, keyset: str, version: int, older: list[sqlite3.Row]
) -> Accepted:
    message_id = new_message_id(tx.now)
    for row in older:
        transition(tx, row, State.SUPERSEDED, "superseded", sub.submitter,
                   columns={"superseded_by": message_id, "lease_owner": None, "lease_expires_at": None,
                            "due_at": None},
                   detail={"by": message_id, "version": version})
    held = tx.one("SELECT 1 FROM facility_holds WHERE facility = ?", (sub.facility,)) is not None
    state = State.HELD if held else State.QUEUED
    accept_hash = tx.audit(
        "accepted", sub.submitter, message_id=message_id, to_state=state.value, body_digest=body_sha256,
        detail={"facility": sub.facility, "document_type": sub.document_type.value,
                "keys": list(sub.keys), "content_digest": sub.content_digest, "version": version,
                "size": len(sub.content), "schema_version": sub.schema_version},
    )
    cursor = tx.conn.execute(
        "INSERT INTO messages (id, facility, document_type, keyset, content_digest, body_sha256, size, "
        "version, state, submitter, schema_version, received_at, updated_at, due_at, accept_hash) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (message_id, sub.facility, sub.document_type.value, keyset, sub.content_digest, body_sha256,
         len(sub.content), version, state.value, sub.submitter, sub.schema_version, tx.now_iso,
         tx.now_iso, None if held else tx.now_iso, accept_hash),
    )
    seq = cursor.lastrowid
    tx.conn.execute("INSERT INTO payloads (seq, content) VALUES (?, ?)", (seq, sub.content))
    tx.conn.executemany(
        "INSERT INTO message_keys (facility, document_type, key, seq) VALUES (?,?,?,?)",
        [(sub.facility, sub.document_type.value, k, seq) for k in sub.keys],
    )
    tx.count(sub.facility, "received")
    tx.log("outbox.transition", message_id=message_id, facility=sub.facility,
           document_type=sub.document_type.value, keys=sub.keys, from_state=None,
           to_state=state.value, action="accepted", actor=sub.submitter)
    return Accepted(message_id, state, False, accept_hash, version, tuple(r["id"] for r in older))
