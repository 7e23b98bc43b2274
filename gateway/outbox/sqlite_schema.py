"""The SQLite outbox schema, and opening a connection the way the store needs it.

Times are fixed-width ISO 8601 UTC text (they sort as they read). Payloads live in their own
table so that pruning them leaves the metadata (and every index) untouched. The SQL uses only
what PostgreSQL also has (ON CONFLICT, partial indexes), so the later port is a translation.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

from gateway.outbox.errors import SCHEMA, StoreFault

SCHEMA_VERSION = "2"  # 2: the retry window (window_sends, first_attempt_at)
WRITER_CACHE_KIB = 65536

# The messages still to deliver; queries that must use the `messages_pending` index repeat this
# term word for word (SQLite uses a partial index only when the query contains its condition).
PENDING = "state IN ('QUEUED','SENDING','RETRY_WAIT','HELD')"

DDL = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  facility TEXT NOT NULL,
  document_type TEXT NOT NULL,
  keyset TEXT NOT NULL,
  content_digest TEXT NOT NULL,
  body_sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  version INTEGER NOT NULL,
  state TEXT NOT NULL,
  submitter TEXT NOT NULL,
  schema_version TEXT NOT NULL,
  received_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  due_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  sends INTEGER NOT NULL DEFAULT 0,
  window_sends INTEGER NOT NULL DEFAULT 0,
  first_attempt_at TEXT,
  outcome_unknown INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_token INTEGER NOT NULL DEFAULT 0,
  lease_expires_at TEXT,
  delivered_at TEXT,
  receipt TEXT,
  portal_time TEXT,
  last_code TEXT,
  last_reason TEXT,
  superseded_by TEXT,
  accept_hash TEXT NOT NULL,
  pruned_at TEXT
);
CREATE INDEX IF NOT EXISTS messages_identity ON messages (facility, document_type, keyset, seq);
CREATE INDEX IF NOT EXISTS messages_pending ON messages (due_at, seq) WHERE {PENDING};
CREATE INDEX IF NOT EXISTS messages_delivered ON messages (delivered_at)
  WHERE state = 'DELIVERED' AND pruned_at IS NULL;
CREATE INDEX IF NOT EXISTS messages_held ON messages (facility) WHERE state = 'HELD';
CREATE TABLE IF NOT EXISTS message_keys (
  facility TEXT NOT NULL, document_type TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (facility, key, document_type, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS payloads (seq INTEGER PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  message_id TEXT,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  body_digest TEXT,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_message ON audit (message_id, seq);
CREATE TABLE IF NOT EXISTS idempotency (
  scope TEXT NOT NULL, key TEXT NOT NULL, body_sha256 TEXT NOT NULL, answer TEXT NOT NULL,
  created_at TEXT NOT NULL, PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
CREATE TABLE IF NOT EXISTS facility_holds (
  facility TEXT PRIMARY KEY, held_at TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS daily_counts (
  facility TEXT NOT NULL, day TEXT NOT NULL,
  received INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0,
  refused INTEGER NOT NULL DEFAULT 0, dead INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (facility, day)
);
"""


def connect(path: Path, *, read_only: bool = False, writer: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode with synchronous=FULL (every commit fsynced before it returns).

    Transactions are explicit (BEGIN IMMEDIATE ... COMMIT in the writer). The writer's
    connection leaves WAL checkpoints to walcheckpoint.py. Raises StoreFault.
    """
    try:
        if read_only:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA query_only=ON")
        else:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            if writer:
                conn.execute("PRAGMA wal_autocheckpoint=0")
                # A whole group (up to max_batch documents of ~40 KB) fits in the page cache:
                # no spilling to the log in the middle of a transaction.
                conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn
    except sqlite3.Error as exc:
        raise StoreFault(SCHEMA, f"{path}: cannot open the outbox database ({exc})") from None


# Schema 1 -> 2: the retry window of each message, kept in its row so that a lease carries it.
# Backfilled from the audit trail the way the retry policy used to read it: the sends since the
# last replay or release, and the time of the first of them.
_WINDOW_SENDS = (
    "FROM audit a WHERE a.message_id = messages.id AND a.action IN ('send','resend') AND a.seq > "
    "COALESCE((SELECT MAX(r.seq) FROM audit r WHERE r.message_id = messages.id "
    "AND r.action IN ('replay','released')), 0)"
)
MIGRATE_1_TO_2 = (
    "ALTER TABLE messages ADD COLUMN window_sends INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE messages ADD COLUMN first_attempt_at TEXT",
    f"UPDATE messages SET window_sends = (SELECT COUNT(*) {_WINDOW_SENDS}), "
    f"first_attempt_at = (SELECT MIN(a.at) {_WINDOW_SENDS}) WHERE {PENDING} OR state = 'DEAD'",
)


def initialise(conn: sqlite3.Connection) -> str:
    """Create the schema if needed (migrating a schema-1 database) and return the store's id
    (random, made once).

    Raises StoreFault `store.schema` for a database of another schema version.
    """
    conn.execute("BEGIN IMMEDIATE")
    rows = _meta(conn)
    if rows.get("schema_version") == "1":
        for statement in MIGRATE_1_TO_2:
            conn.execute(statement)
        conn.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (SCHEMA_VERSION,))
        rows["schema_version"] = SCHEMA_VERSION
    for statement in DDL.replace("{PENDING}", PENDING).split(";"):
        if statement.strip():
            conn.execute(statement)
    version = rows.get("schema_version")
    if version is None:
        store_id = secrets.token_hex(8)
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?), ('store_id', ?)", (SCHEMA_VERSION, store_id))
    elif version != SCHEMA_VERSION:
        conn.execute("ROLLBACK")
        raise StoreFault(SCHEMA, f"outbox schema version {version}, this gateway knows {SCHEMA_VERSION}")
    else:
        store_id = rows["store_id"]
    conn.execute("COMMIT")
    return str(store_id)


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    """The meta table's rows ({} for a new database)."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
    return {} if exists is None else {str(k): str(v) for k, v in conn.execute("SELECT name, value FROM meta")}
