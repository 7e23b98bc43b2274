"""The delivery side on SQLite: lease, mark_sending, record_outcome (each a writer job).

Order: a message is leasable only when no earlier-accepted message sharing one of its lanes
(facility, document type, MA_LK) is still pending (QUEUED, SENDING, RETRY_WAIT, HELD). So the
versions of one MA_LK go out strictly in acceptance order, and at most one message per lane is
ever in flight.

The lanes of a message are its keys (`json_each` of its key set; CROSS JOIN keeps SQLite from
scanning a facility's whole key table) looked up in `message_keys`.

Fencing: every lease increments the message's `lease_token`; `mark_sending` and
`record_outcome` take effect only while the token is still the message's (nobody leased it
since), and only from the states they expect.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from dataclasses import replace
from datetime import timedelta
from typing import Any

from gateway.outbox.audit import answer_detail
from gateway.outbox.errors import INVALID_TRANSITION, NOT_FOUND, OutboxInputError
from gateway.outbox.identity import keys_from_text
from gateway.outbox.model import DocumentType, Lease, Outcome, OutcomeKind, State
from gateway.outbox.sqlite_operator import hold_messages
from gateway.outbox.sqlite_rows import message_row, newer_version, transition
from gateway.outbox.sqlite_schema import PENDING
from gateway.outbox.timeutil import iso, parse_iso, parse_iso_opt
from gateway.outbox.tx import Tx

_LEASABLE = f"""
SELECT m.* FROM messages m
WHERE m.{PENDING} AND m.state <> 'HELD' AND m.due_at <= ?
  AND m.facility NOT IN (SELECT value FROM json_each(?))
  AND NOT EXISTS (
    SELECT 1 FROM json_each(m.keyset) k
    CROSS JOIN message_keys e ON e.facility = m.facility AND e.key = k.value
                       AND e.document_type = m.document_type AND e.seq < m.seq
    JOIN messages p ON p.seq = e.seq
    WHERE p.{PENDING})
ORDER BY m.due_at, m.seq
LIMIT ?
"""
_NOT_SENT = (State.QUEUED.value, State.RETRY_WAIT.value)
SYSTEM = "system"
UNKNOWN_CODE = "outcome.unknown"  # DEAD because a re-send is not allowed (resend_on_unknown=False)


def lease(
    tx: Tx, worker_id: str, limit: int, lease_seconds: float, exclude_facilities: Collection[str] = ()
) -> list[Lease]:
    """Lease up to `limit` due messages, in lane order (see the module docstring), none of
    `exclude_facilities` (whose portal cannot take anything now; their messages stay as they
    are, an expired send included, until a lease without the exclusion finds them).

    A message found SENDING with an expired lease had its outcome lost (a crashed worker): it
    goes to RETRY_WAIT as "outcome unknown" (its next send is audited as a re-send), or to
    SUPERSEDED if a newer version arrived meanwhile, or to HELD if its facility is held.
    """
    held = {r[0] for r in tx.all("SELECT facility FROM facility_holds")}
    excluded = json.dumps(sorted(set(exclude_facilities)))
    leases: list[Lease] = []
    while len(leases) < limit:
        moved = False  # a message moved out of a lane may unblock later ones: look again
        for row in tx.all(_LEASABLE, (tx.now_iso, excluded, limit - len(leases))):
            if row["state"] == State.SENDING.value:
                requeued = _expire_send(tx, row, held)
                if requeued is None:
                    moved = True
                    continue
                row = requeued
            if row["facility"] in held:
                hold_messages(tx, [row], SYSTEM, "facility held")
                moved = True
                continue
            leases.append(_grant(tx, row, worker_id, lease_seconds))
        if not moved:
            break
    return leases


def _expire_send(tx: Tx, row: sqlite3.Row, held: set[str]) -> sqlite3.Row | None:
    detail = {"previous_worker": row["lease_owner"], "reason": "lease expired while sending: outcome unknown"}
    newer = newer_version(tx, row)
    if newer is not None:
        transition(tx, row, State.SUPERSEDED, "lease_expired", SYSTEM, detail={**detail, "by": newer["id"]},
                   columns={"superseded_by": newer["id"], "lease_owner": None, "lease_expires_at": None,
                            "due_at": None, "outcome_unknown": 1})
        return None
    if not tx.settings.resend_on_unknown:
        transition(tx, row, State.DEAD, "lease_expired", SYSTEM, detail={**detail, "code": UNKNOWN_CODE},
                   columns={"lease_owner": None, "lease_expires_at": None, "outcome_unknown": 1,
                            "due_at": None, "last_code": UNKNOWN_CODE, "last_reason": detail["reason"]})
        return None
    to = State.HELD if row["facility"] in held else State.RETRY_WAIT
    transition(tx, row, to, "lease_expired", SYSTEM, detail=detail,
               columns={"lease_owner": None, "lease_expires_at": None, "outcome_unknown": 1,
                        "due_at": None if to is State.HELD else tx.now_iso})
    return None if to is State.HELD else message_row(tx, row["id"])


def _grant(tx: Tx, row: sqlite3.Row, worker_id: str, lease_seconds: float) -> Lease:
    token = row["lease_token"] + 1
    expires = tx.now + timedelta(seconds=lease_seconds)
    tx.run("UPDATE messages SET lease_owner = ?, lease_token = ?, lease_expires_at = ?, due_at = ? "
           "WHERE seq = ?", (worker_id, token, iso(expires), iso(expires), row["seq"]))
    payload = tx.one("SELECT content FROM payloads WHERE seq = ?", (row["seq"],))
    return Lease(
        message_id=row["id"], worker_id=worker_id, token=token, expires_at=expires,
        lease_seconds=lease_seconds, attempt=row["attempts"] + 1, resend=bool(row["outcome_unknown"]),
        facility=row["facility"], document_type=DocumentType(row["document_type"]),
        keys=keys_from_text(row["keyset"]), content_digest=row["content_digest"],
        content=bytes(payload[0]) if payload else b"", version=row["version"],
        schema_version=row["schema_version"], received_at=parse_iso(row["received_at"]),
        retry_attempt=row["window_sends"] + 1, first_attempt_at=parse_iso_opt(row["first_attempt_at"]),
    )


def _owned_row(tx: Tx, lease: Lease) -> sqlite3.Row | None:
    row = message_row(tx, lease.message_id)
    if row is None:
        raise OutboxInputError(NOT_FOUND, f"no message {lease.message_id}")
    return row if row["lease_token"] == lease.token else None


def mark_sending(tx: Tx, lease: Lease, sent_digest: str | None) -> bool:
    """Record that the worker is about to send (before the network call). False: the lease
    was lost or the message left the queue (superseded, held): the worker must not send."""
    row = _owned_row(tx, lease)
    if row is None or row["state"] not in _NOT_SENT:
        return False
    expires = iso(tx.now + timedelta(seconds=lease.lease_seconds))
    resend = bool(row["outcome_unknown"])
    detail: dict[str, Any] = {"attempt": row["attempts"] + 1, "token": lease.token}
    if resend:
        detail["reason"] = "the previous send's outcome is unknown: this send may duplicate it"
    transition(tx, row, State.SENDING, "resend" if resend else "send", lease.worker_id,
               body_digest=sent_digest or row["body_sha256"], detail=detail,
               columns={"attempts": row["attempts"] + 1, "sends": row["sends"] + 1,
                        "window_sends": row["window_sends"] + 1,
                        "first_attempt_at": row["first_attempt_at"] or tx.now_iso,
                        "lease_expires_at": expires, "due_at": expires})
    return True


def record_outcome(tx: Tx, lease: Lease, outcome: Outcome) -> bool:
    """Record an attempt's outcome while the lease is still the worker's. False when fenced:
    the outcome is then audited as `outcome_fenced` (the portal's answer is evidence) and
    changes nothing."""
    row = _owned_row(tx, lease)
    detail = _outcome_detail(outcome)
    if row is None or row["state"] not in (*_NOT_SENT, State.SENDING.value):
        current = message_row(tx, lease.message_id)
        tx.audit("outcome_fenced", lease.worker_id, message_id=lease.message_id,
                 detail={**detail, "token": lease.token, "state": current["state"] if current else None})
        return False
    sent = row["state"] == State.SENDING.value
    if outcome.kind in (OutcomeKind.DELIVERED, OutcomeKind.REFUSED, OutcomeKind.UNKNOWN) and not sent:
        raise OutboxInputError(INVALID_TRANSITION, f"{outcome.kind.value} for a message not marked SENDING")
    to, columns = _target(tx, row, outcome, sent)
    columns.update({"lease_owner": None, "lease_expires_at": None,
                    "last_code": outcome.code, "last_reason": outcome.reason})
    if to is State.SUPERSEDED:
        newer = newer_version(tx, row)
        columns["superseded_by"] = newer["id"] if newer else None
    transition(tx, row, to, f"outcome.{outcome.kind.value}", lease.worker_id, columns=columns,
               detail={**detail, "token": lease.token})
    if outcome.kind is OutcomeKind.HELD:
        _hold_facility_of(tx, row, lease.worker_id, outcome)
    return True


def _target(tx: Tx, row: sqlite3.Row, outcome: Outcome, sent: bool) -> tuple[State, dict[str, Any]]:
    kind = outcome.kind
    if kind is OutcomeKind.DELIVERED:
        return State.DELIVERED, {"delivered_at": tx.now_iso, "receipt": outcome.receipt,
                                 "portal_time": outcome.portal_time, "due_at": None, "outcome_unknown": 0}
    if kind is OutcomeKind.REFUSED:
        return State.REFUSED, {"due_at": None, "outcome_unknown": 0}
    unknown = 1 if kind is OutcomeKind.UNKNOWN else (0 if sent else row["outcome_unknown"])
    if newer_version(tx, row) is not None:
        return State.SUPERSEDED, {"due_at": None, "outcome_unknown": unknown}
    if kind is OutcomeKind.UNKNOWN and not tx.settings.resend_on_unknown:
        return State.DEAD, {"due_at": None, "outcome_unknown": 1}
    if kind in (OutcomeKind.RETRY, OutcomeKind.UNKNOWN):
        retry_at = iso(outcome.retry_at) if outcome.retry_at else tx.now_iso
        return State.RETRY_WAIT, {"due_at": retry_at, "outcome_unknown": unknown}
    if kind is OutcomeKind.HELD:
        return State.HELD, {"due_at": None, "outcome_unknown": unknown}
    return State.DEAD, {"due_at": None, "outcome_unknown": unknown}


def _hold_facility_of(tx: Tx, row: sqlite3.Row, actor: str, outcome: Outcome) -> None:
    reason = f"portal credentials failed ({outcome.code}): {outcome.reason}"
    inserted = tx.run("INSERT INTO facility_holds (facility, held_at, actor, reason) VALUES (?,?,?,?) "
                      "ON CONFLICT (facility) DO NOTHING", (row["facility"], tx.now_iso, actor, reason))
    if inserted:
        tx.audit("facility.hold", actor, detail={"facility": row["facility"], "reason": reason})
    others = tx.all(f"SELECT * FROM messages WHERE {PENDING} AND state IN ('QUEUED','RETRY_WAIT') "
                    "AND facility = ? ORDER BY seq", (row["facility"],))
    hold_messages(tx, others, actor, reason)


def _outcome_detail(outcome: Outcome) -> dict[str, Any]:
    return {
        "kind": outcome.kind.value, "code": outcome.code, "reason": outcome.reason,
        "receipt": outcome.receipt, "portal_time": outcome.portal_time,
        "retry_at": iso(outcome.retry_at) if outcome.retry_at else None,
        **answer_detail(outcome.answer),
    }


def extend_lease(tx: Tx, lease: Lease, lease_seconds: float) -> Lease | None:
    """Push a lease's expiry to now + `lease_seconds`; None when it is no longer the worker's."""
    expires = tx.now + timedelta(seconds=lease_seconds)
    changed = tx.run(
        "UPDATE messages SET lease_expires_at = ?, due_at = ? WHERE id = ? AND lease_token = ? "
        "AND state IN ('QUEUED','RETRY_WAIT','SENDING')",
        (iso(expires), iso(expires), lease.message_id, lease.token),
    )
    if not changed:
        return None
    return replace(lease, expires_at=expires, lease_seconds=lease_seconds)
