"""The callbacks' own SQLite file (`<data_dir>/callbacks.db`): registered URLs, the notices to
send, and how far the outbox's state changes have been read.

The outbox has no notification queue, so the dispatcher reads its audit chain (every state
change is one record, in order) from a cursor kept here. A batch of notices and the cursor past
them are committed in one transaction: after a crash the same changes are read again and the
UNIQUE audit sequence number drops what was already queued, so no notice is lost or doubled.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

DDL = """
CREATE TABLE IF NOT EXISTS callbacks (
  facility TEXT PRIMARY KEY, url TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feed (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  audit_seq INTEGER NOT NULL UNIQUE,
  message_id TEXT NOT NULL,
  facility TEXT NOT NULL,
  state TEXT NOT NULL,
  url TEXT NOT NULL,
  body BLOB NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at TEXT NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  sent_at TEXT
);
CREATE INDEX IF NOT EXISTS notices_due ON notices (next_at) WHERE status = 'pending';
"""
PENDING, SENT, FAILED = "pending", "sent", "failed"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Registration:
    """A facility's callback URL."""

    facility: str
    url: str
    updated_at: str


@dataclass(frozen=True)
class Notice:
    """One notice to send (or sent)."""

    id: int
    audit_seq: int
    message_id: str
    facility: str
    state: str
    url: str
    body: bytes
    status: str
    attempts: int
    next_at: str
    last_error: str | None


@dataclass(frozen=True)
class NewNotice:
    audit_seq: int
    message_id: str
    facility: str
    state: str
    url: str
    body: bytes


def _notice(row: Sequence[Any]) -> Notice:
    return Notice(int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]), bytes(row[6]),
                  str(row[7]), int(row[8]), str(row[9]), row[10])


class CallbackStore:
    """The callbacks database. Methods are coroutines; the SQL runs in a thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.executescript(DDL)
        self._conn = conn

    async def close(self) -> None:
        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)

    async def _run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            with self._lock:
                if self._conn is None:
                    raise sqlite3.ProgrammingError("the callbacks database is closed")
                return job(self._conn)

        return await asyncio.to_thread(locked)

    # -- registrations -------------------------------------------------------------------------

    async def register(self, facility: str, url: str, now: datetime) -> Registration:
        at = _iso(now)

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO callbacks (facility, url, updated_at) VALUES (?, ?, ?) ON CONFLICT "
                         "(facility) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at",
                         (facility, url, at))

        await self._run(job)
        return Registration(facility, url, at)

    async def registration(self, facility: str) -> Registration | None:
        def job(conn: sqlite3.Connection) -> Registration | None:
            row = conn.execute("SELECT facility, url, updated_at FROM callbacks WHERE facility = ?",
                               (facility,)).fetchone()
            return None if row is None else Registration(*row)

        return await self._run(job)

    async def unregister(self, facility: str) -> bool:
        return await self._run(
            lambda conn: conn.execute("DELETE FROM callbacks WHERE facility = ?", (facility,)).rowcount > 0
        )

    async def urls(self, facilities: Sequence[str]) -> dict[str, str]:
        """The registered URL of each of `facilities` that has one."""
        wanted = sorted(set(facilities))

        def job(conn: sqlite3.Connection) -> dict[str, str]:
            marks = ",".join("?" for _ in wanted)
            rows = conn.execute(f"SELECT facility, url FROM callbacks WHERE facility IN ({marks})", wanted)
            return dict(rows.fetchall())

        return await self._run(job) if wanted else {}

    # -- the feed cursor and the queue ---------------------------------------------------------

    async def cursor(self) -> int | None:
        def job(conn: sqlite3.Connection) -> int | None:
            row = conn.execute("SELECT seq FROM feed WHERE name = 'outbox'").fetchone()
            return None if row is None else int(row[0])

        return await self._run(job)

    async def enqueue(self, notices: Sequence[NewNotice], cursor: int, now: datetime) -> int:
        """Queue notices and move the cursor, in one transaction; returns how many were new."""
        at = _iso(now)

        def job(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")
            try:
                added = 0
                for n in notices:
                    added += conn.execute(
                        "INSERT OR IGNORE INTO notices (audit_seq, message_id, facility, state, url, body, "
                        "status, next_at, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                        (n.audit_seq, n.message_id, n.facility, n.state, n.url, n.body, PENDING, at, at),
                    ).rowcount
                conn.execute("INSERT INTO feed (name, seq) VALUES ('outbox', ?) ON CONFLICT (name) "
                             "DO UPDATE SET seq = MAX(seq, excluded.seq)", (cursor,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return added

        return await self._run(job)

    async def due(self, now: datetime, limit: int) -> list[Notice]:
        at = _iso(now)

        def job(conn: sqlite3.Connection) -> list[Notice]:
            rows = conn.execute(
                "SELECT id, audit_seq, message_id, facility, state, url, body, status, attempts, next_at, "
                "last_error FROM notices WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id "
                "LIMIT ?", (at, limit)).fetchall()
            return [_notice(row) for row in rows]

        return await self._run(job)

    async def mark_sent(self, notice_id: int, now: datetime) -> None:
        await self._run(lambda conn: conn.execute(
            "UPDATE notices SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL "
            "WHERE id = ?", (_iso(now), notice_id)))

    async def mark_failed_attempt(self, notice_id: int, error: str, next_at: datetime | None) -> None:
        """Count a failed attempt; `next_at` None gives up (status `failed`)."""
        if next_at is None:
            await self._run(lambda conn: conn.execute(
                "UPDATE notices SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
                (error, notice_id)))
        else:
            await self._run(lambda conn: conn.execute(
                "UPDATE notices SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?",
                (error, _iso(next_at), notice_id)))

    async def notices(self, message_id: str | None = None) -> list[Notice]:
        """Every notice (of one message), oldest first: for tests and operators."""

        def job(conn: sqlite3.Connection) -> list[Notice]:
            sql = ("SELECT id, audit_seq, message_id, facility, state, url, body, status, attempts, next_at, "
                   "last_error FROM notices")
            rows = (conn.execute(sql + " WHERE message_id = ? ORDER BY id", (message_id,)) if message_id
                    else conn.execute(sql + " ORDER BY id")).fetchall()
            return [_notice(row) for row in rows]

        return await self._run(job)
