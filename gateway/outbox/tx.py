"""`Tx`: what one store operation sees inside the writer's transaction.

Every state change is a function `(Tx) -> result` run by the writer (writer.py) inside its own
savepoint: its SQL, its audit records, its daily counts and its log lines stand or fall together.
Audit records and count increments are buffered and written by the writer, for the whole group,
just before the COMMIT that also carries the state changes (one `executemany` instead of a
statement per record); a job that fails leaves nothing in the buffers. Log lines are emitted only
after that commit.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.outbox.audit import GENESIS, detail_text, link_hash
from gateway.outbox.config import OutboxSettings
from gateway.outbox.timeutil import iso, local_day

Params = Sequence[Any] | Mapping[str, Any]
AuditRow = tuple[int, str, str | None, str, str, str | None, str | None, str | None, str, str, str]
COUNTERS = ("received", "delivered", "refused", "dead")
_log = logging.getLogger("gateway.outbox")

INSERT_AUDIT = (
    "INSERT INTO audit (seq, at, message_id, action, actor, from_state, to_state, body_digest, detail, "
    "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


@dataclass
class ChainHead:
    """The last audit record: where the next one links."""

    seq: int = 0
    hash: str = GENESIS


def load_head(conn: sqlite3.Connection) -> ChainHead:
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return ChainHead() if row is None else ChainHead(int(row[0]), str(row[1]))


class Tx:
    """One operation's slice of a group commit (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection, now: datetime, head: ChainHead, settings: OutboxSettings) -> None:
        self.conn = conn
        self.now = now
        self.now_iso = iso(now)
        self.head = ChainHead(head.seq, head.hash)
        self.settings = settings
        self.audit_rows: list[AuditRow] = []
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.events: list[dict[str, Any]] = []

    def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Params = ()) -> int:
        """Execute a statement; returns the number of rows it changed."""
        return self.conn.execute(sql, params).rowcount

    def audit(
        self,
        action: str,
        actor: str,
        *,
        message_id: str | None = None,
        from_state: str | None = None,
        to_state: str | None = None,
        body_digest: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> str:
        """Append one record to the chain (written with the group); returns its hash."""
        seq = self.head.seq + 1
        text = detail_text(detail or {})
        digest = link_hash(seq, self.now_iso, message_id, action, actor, from_state, to_state,
                           body_digest, text, self.head.hash)
        self.audit_rows.append((seq, self.now_iso, message_id, action, actor, from_state, to_state,
                                body_digest, text, self.head.hash, digest))
        self.head = ChainHead(seq, digest)
        return digest

    def count(self, facility: str, counter: str) -> None:
        """Count one event (received, delivered, refused, dead) for the facility, today in the
        configured time zone (Asia/Ho_Chi_Minh)."""
        if counter not in COUNTERS:
            raise ValueError(counter)
        self.counts[(facility, local_day(self.now, self.settings.timezone).isoformat(), counter)] += 1

    def log(self, event: str, **fields: Any) -> None:
        """Queue a structured log line, emitted after the commit (if anyone listens)."""
        if _log.isEnabledFor(logging.INFO):
            self.events.append({"event": event, "at": self.now_iso, **fields})


def flush(conn: sqlite3.Connection, audit_rows: list[AuditRow], counts: Counter[tuple[str, str, str]]) -> None:
    """Write a group's buffered audit records and count increments (inside its transaction)."""
    conn.executemany(INSERT_AUDIT, audit_rows)
    for (facility, day, counter), amount in sorted(counts.items()):
        conn.execute(
            f"INSERT INTO daily_counts (facility, day, {counter}) VALUES (?, ?, ?) "
            f"ON CONFLICT (facility, day) DO UPDATE SET {counter} = {counter} + excluded.{counter}",
            (facility, day, amount),
        )
