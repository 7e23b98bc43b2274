"""Where the face's tokens live: `<data_dir>/portal_face_tokens.db` (SQLite, WAL).

One row per issued token, never the token itself:

    access_sha256  SHA-256 of the access token (primary key)
    id_sha256      SHA-256 of the id token
    username, facility   the account and the facility the token is bound to
    password_mac   HMAC-SHA256 keyed with the access token over the MD5 hex that was verified
                   (the `passwordHash` header is checked against it; a stolen file gives no
                   dictionary attack on the password, for the key is the access token)
    issued_at, expires_at   ISO 8601 UTC

Every process that opens the file sees every token (a restarted gateway keeps its tokens until
they expire; worker processes behind one listener share them). Why not the tokens file
(gateway/http/tokens.py)? That file holds a few long-lived tokens issued by an operator and is
rewritten whole on each change; face tokens are issued hourly by ~13,000 facilities, so each is
one row insert. Rows never change once written, so a process may cache what it has read; rows
expired for more than a day are deleted when tokens are issued.

Across hosts (PostgreSQL scale-out) the file is not shared: put the face behind one host, or
give the HIS sticky sessions, until the tokens move into the shared store (not done).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

DDL = """
CREATE TABLE IF NOT EXISTS face_tokens (
  access_sha256 TEXT PRIMARY KEY,
  id_sha256 TEXT NOT NULL,
  username TEXT NOT NULL,
  facility TEXT NOT NULL,
  password_mac TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS face_tokens_expiry ON face_tokens (expires_at);
"""
FILE_NAME = "portal_face_tokens.db"
KEEP_EXPIRED = timedelta(days=1)  # an expired token still reads "expired", not "unknown", this long
_CACHE = 50_000


@dataclass(frozen=True)
class Session:
    """What the gateway knows of one issued token (no secret in it)."""

    username: str
    facility: str
    id_token_sha256: str
    password_mac: str
    expires_at: datetime


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class TokenStoreError(Exception):
    """The tokens database cannot be read or written (our fault: a 500/503, an alarm)."""


class FaceTokenStore:
    """The tokens database (module docstring). Thread-safe: `put` runs off the event loop, `get`
    on it (a primary-key read in WAL mode never waits for a writer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # the reader and the cache (the event loop's side)
        self._write_lock = threading.Lock()  # the writer: a commit never holds up a read
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._cache: OrderedDict[str, Session] = OrderedDict()

    def open(self) -> None:
        """Create the file and table when missing. Raises TokenStoreError."""
        with self._write_lock, self._lock:
            if self._writer is not None:
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                writer = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
                writer.execute("PRAGMA journal_mode=WAL")
                writer.execute("PRAGMA synchronous=NORMAL")  # a token lost at power loss is taken again
                writer.executescript(DDL)
                self.path.chmod(0o600)
                reader = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            except (sqlite3.Error, OSError) as exc:
                raise TokenStoreError(f"{self.path}: {type(exc).__name__}") from None
            self._writer, self._reader = writer, reader

    def close(self) -> None:
        with self._write_lock, self._lock:
            for connection in (self._writer, self._reader):
                if connection is not None:
                    connection.close()
            self._writer = self._reader = None

    def put(self, access_sha256: str, session: Session, now: datetime) -> None:
        """Store a new token (and forget tokens expired for more than KEEP_EXPIRED).
        Blocking (a commit): call it off the event loop. Raises TokenStoreError."""
        self.open()
        with self._write_lock:
            assert self._writer is not None
            try:
                self._writer.execute("BEGIN IMMEDIATE")
                self._writer.execute(
                    "INSERT INTO face_tokens VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (access_sha256, session.id_token_sha256, session.username, session.facility,
                     session.password_mac, _iso(now), _iso(session.expires_at)),
                )  # fmt: skip
                self._writer.execute("DELETE FROM face_tokens WHERE expires_at < ?", (_iso(now - KEEP_EXPIRED),))
                self._writer.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                raise TokenStoreError(f"{self.path}: {type(exc).__name__}") from None
        with self._lock:
            self._remember(access_sha256, session)

    def get(self, access_sha256: str) -> Session | None:
        """The session of a token hash (expired ones included), from any process. Raises
        TokenStoreError."""
        with self._lock:
            cached = self._cache.get(access_sha256)
            if cached is not None:
                return cached
        self.open()
        with self._lock:
            assert self._reader is not None
            try:
                row = self._reader.execute(
                    "SELECT username, facility, id_sha256, password_mac, expires_at FROM face_tokens "
                    "WHERE access_sha256 = ?", (access_sha256,)).fetchone()  # fmt: skip
            except sqlite3.Error as exc:
                raise TokenStoreError(f"{self.path}: {type(exc).__name__}") from None
            if row is None:
                return None
            session = Session(row[0], row[1], row[2], row[3], datetime.fromisoformat(row[4]))
            self._remember(access_sha256, session)
            return session

    def _remember(self, key: str, session: Session) -> None:
        self._cache[key] = session
        while len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
