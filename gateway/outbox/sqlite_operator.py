"""Operator actions on SQLite: hold and release a facility, replay a DEAD message."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from gateway.outbox.errors import INVALID_TRANSITION, NOT_FOUND, REPLAY_REFUSED, OutboxInputError
from gateway.outbox.model import State
from gateway.outbox.records import Message
from gateway.outbox.sqlite_rows import message_row, newer_version, to_message, transition
from gateway.outbox.sqlite_schema import PENDING
from gateway.outbox.tx import Tx

# A replay or a release starts the message's retry window again (model.Lease).
NEW_RETRY_WINDOW = {"window_sends": 0, "first_attempt_at": None}


def hold_messages(tx: Tx, rows: Iterable[sqlite3.Row], actor: str, reason: str) -> int:
    """Park messages (QUEUED / RETRY_WAIT) as HELD; a lease on them is void."""
    count = 0
    for row in rows:
        transition(tx, row, State.HELD, "held", actor, detail={"reason": reason},
                   columns={"lease_owner": None, "lease_expires_at": None, "due_at": None})
        count += 1
    return count


def hold_facility(tx: Tx, facility: str, actor: str, reason: str) -> int:
    """Hold a facility: its QUEUED and RETRY_WAIT messages become HELD, new ones arrive HELD.
    Returns how many messages were held now."""
    _require(actor, reason)
    tx.run("INSERT INTO facility_holds (facility, held_at, actor, reason) VALUES (?,?,?,?) "
           "ON CONFLICT (facility) DO UPDATE SET held_at = excluded.held_at, actor = excluded.actor, "
           "reason = excluded.reason", (facility, tx.now_iso, actor, reason))
    tx.audit("facility.hold", actor, detail={"facility": facility, "reason": reason})
    rows = tx.all(f"SELECT * FROM messages WHERE {PENDING} AND state IN ('QUEUED','RETRY_WAIT') "
                  "AND facility = ? ORDER BY seq", (facility,))
    return hold_messages(tx, rows, actor, reason)


def release_facility(tx: Tx, facility: str, actor: str, reason: str) -> int:
    """Release a facility: its HELD messages go back to QUEUED, due now. Returns how many."""
    _require(actor, reason)
    tx.run("DELETE FROM facility_holds WHERE facility = ?", (facility,))
    tx.audit("facility.release", actor, detail={"facility": facility, "reason": reason})
    rows = tx.all(f"SELECT * FROM messages WHERE {PENDING} AND state = 'HELD' AND facility = ? ORDER BY seq",
                  (facility,))
    for row in rows:
        transition(tx, row, State.QUEUED, "released", actor, detail={"reason": reason},
                   columns={"due_at": tx.now_iso, **NEW_RETRY_WINDOW})
    return len(rows)


def replay(tx: Tx, message_id: str, operator: str, reason: str) -> Message:
    """DEAD -> QUEUED (HELD if the facility is held), by an operator, who and why audited.

    Raises OutboxInputError: `outbox.not_found`; `outbox.invalid_transition` when the message
    is not DEAD; `outbox.replay_refused` when sending it now could overwrite newer data at the
    portal (a newer version exists, or a later document sharing a MA_LK was delivered or sent).
    """
    _require(operator, reason)
    row = message_row(tx, message_id)
    if row is None:
        raise OutboxInputError(NOT_FOUND, f"no message {message_id}")
    if row["state"] != State.DEAD.value:
        raise OutboxInputError(INVALID_TRANSITION, f"only a DEAD message can be replayed; this one is {row['state']}")
    newer = newer_version(tx, row)
    if newer is not None:
        raise OutboxInputError(REPLAY_REFUSED, f"a newer version of this document exists ({newer['id']})")
    later = tx.one(
        "SELECT p.id, p.state FROM json_each(?) k "
        "CROSS JOIN message_keys e ON e.facility = ? AND e.key = k.value AND e.document_type = ? AND e.seq > ? "
        "JOIN messages p ON p.seq = e.seq "
        "WHERE p.state IN ('DELIVERED','SENDING') OR (p.state IN ('QUEUED','RETRY_WAIT','HELD') AND p.sends > 0) "
        "LIMIT 1",
        (row["keyset"], row["facility"], row["document_type"], row["seq"]),
    )
    if later is not None:
        raise OutboxInputError(REPLAY_REFUSED, f"a later document sharing a MA_LK was already sent "
                               f"({later['id']}, {later['state']}): replaying this one would overwrite it")
    held = tx.one("SELECT 1 FROM facility_holds WHERE facility = ?", (row["facility"],)) is not None
    to = State.HELD if held else State.QUEUED
    transition(tx, row, to, "replay", operator, detail={"reason": reason},
               columns={"attempts": 0, "due_at": None if held else tx.now_iso, "lease_owner": None,
                        "lease_expires_at": None, **NEW_RETRY_WINDOW})
    updated = message_row(tx, message_id)
    assert updated is not None
    return to_message(updated)


def _require(actor: str, reason: str) -> None:
    if not actor.strip() or not reason.strip():
        raise OutboxInputError(INVALID_TRANSITION, "an operator action needs who (actor) and why (reason)")
