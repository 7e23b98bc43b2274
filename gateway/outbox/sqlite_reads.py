"""The read side on SQLite: plain queries on a read-only connection (WAL readers never block
the writer)."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Any

from gateway.outbox.errors import SUBMISSION_INVALID, OutboxInputError
from gateway.outbox.records import (
    AuditRecord,
    DailyCount,
    HeldFacility,
    Message,
    MessageFilter,
    Page,
)
from gateway.outbox.sqlite_rows import placeholders, to_message
from gateway.outbox.timeutil import iso, parse_iso

MAX_PAGE = 1000
AUDIT_COLUMNS = "seq, at, message_id, action, actor, from_state, to_state, body_digest, detail, prev_hash, hash"


def get(conn: sqlite3.Connection, message_id: str) -> Message | None:
    row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
    return None if row is None else to_message(row)


def payload(conn: sqlite3.Connection, message_id: str) -> bytes | None:
    """The exact bytes received, or None once pruned (or for an unknown id)."""
    row = conn.execute(
        "SELECT p.content FROM payloads p JOIN messages m ON m.seq = p.seq WHERE m.id = ?", (message_id,)
    ).fetchone()
    return None if row is None else bytes(row[0])


def history(conn: sqlite3.Connection, message_id: str) -> list[AuditRecord]:
    rows = conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit WHERE message_id = ? ORDER BY seq",
                        (message_id,)).fetchall()
    return [to_audit(r) for r in rows]


def to_audit(row: Sequence[Any]) -> AuditRecord:
    """An audit row selected as AUDIT_COLUMNS."""
    return AuditRecord(*row)


def list_messages(conn: sqlite3.Connection, filters: MessageFilter, cursor: str | None, limit: int) -> Page:
    """Messages matching `filters`, newest first; `cursor` continues a previous page."""
    where: list[str] = []
    params: list[Any] = []
    if filters.facility is not None:
        where.append("m.facility = ?")
        params.append(filters.facility)
    if filters.states:
        values = sorted(s.value for s in filters.states)
        where.append(f"m.state IN ({placeholders(values)})")
        params.extend(values)
    if filters.document_type is not None:
        where.append("m.document_type = ?")
        params.append(filters.document_type.value)
    if filters.key is not None and filters.facility is not None:
        where.append("m.seq IN (SELECT seq FROM message_keys WHERE facility = ? AND key = ?)")
        params.extend((filters.facility, filters.key))
    elif filters.key is not None:  # no facility: a scan of the key table (operators' searches)
        where.append("m.seq IN (SELECT seq FROM message_keys WHERE key = ?)")
        params.append(filters.key)
    if filters.received_from is not None:
        where.append("m.received_at >= ?")
        params.append(iso(filters.received_from))
    if filters.received_to is not None:
        where.append("m.received_at < ?")
        params.append(iso(filters.received_to))
    if cursor is not None:
        where.append("m.seq < ?")
        params.append(_decode_cursor(cursor))
    size = max(1, min(limit, MAX_PAGE))
    sql = "SELECT m.* FROM messages m" + (" WHERE " + " AND ".join(where) if where else "")
    rows = conn.execute(sql + " ORDER BY m.seq DESC LIMIT ?", (*params, size + 1)).fetchall()
    items = tuple(to_message(r) for r in rows[:size])
    next_cursor = _encode_cursor(items[-1].seq) if len(rows) > size else None
    return Page(items, next_cursor)


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not text.startswith("s"):
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, UnicodeDecodeError):
        raise OutboxInputError(SUBMISSION_INVALID, "not a cursor this store gave out") from None


def daily_counts(conn: sqlite3.Connection, first: date, last: date, facility: str | None) -> list[DailyCount]:
    """Counts for the days first..last inclusive (local days), by facility then day."""
    sql = ("SELECT facility, day, received, delivered, refused, dead FROM daily_counts "
           "WHERE day >= ? AND day <= ?")
    params: list[Any] = [first.isoformat(), last.isoformat()]
    if facility is not None:
        sql += " AND facility = ?"
        params.append(facility)
    rows = conn.execute(sql + " ORDER BY facility, day", params).fetchall()
    return [DailyCount(r[0], date.fromisoformat(r[1]), r[2], r[3], r[4], r[5]) for r in rows]


def held_facilities(conn: sqlite3.Connection) -> list[HeldFacility]:
    """Held facilities and facilities with HELD documents, with counts and since when."""
    waiting = {
        str(r[0]): (int(r[1]), str(r[2]))
        for r in conn.execute("SELECT facility, count(*), min(updated_at) FROM messages "
                              "WHERE state = 'HELD' GROUP BY facility")
    }  # fmt: skip
    found = {}
    for facility, held_at, actor, reason in conn.execute(
        "SELECT facility, held_at, actor, reason FROM facility_holds"
    ):
        documents = waiting.pop(facility, (0, held_at))[0]
        found[facility] = HeldFacility(facility, documents, parse_iso(held_at), actor, reason)
    for facility, (documents, since) in waiting.items():
        found[facility] = HeldFacility(facility, documents, parse_iso(since))
    return [found[code] for code in sorted(found)]


def chain_head(conn: sqlite3.Connection) -> tuple[int, str] | None:
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def store_id(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE name = 'store_id'").fetchone()
    return "" if row is None else str(row[0])
