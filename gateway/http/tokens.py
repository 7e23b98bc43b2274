"""Bearer tokens: random, shown once, stored only as SHA-256 hashes, with expiry and revocation.

A token reads `gwt_<id>_<secret>`: `id` (12 hex digits) names the record so that it can be
listed and revoked without the secret; `secret` is 32 random bytes (base64url). The gateway keeps
only SHA-256 of the whole token: tokens are high-entropy random values, so a fast hash is enough
(no dictionary to attack), and a stolen tokens file grants nothing.

The file (`<data_dir>/tokens.json`, managed by `gateway tokens issue|revoke|list`):

    {"format": "gateway-tokens/1",
     "tokens": [{"id": "3f9c0a1b2c4d", "sha256": "<hex>", "subject": "facility:01001",
                 "role": "facility", "created_at": "...Z", "expires_at": "...Z" | null,
                 "revoked_at": null, "note": ""}]}

Writes are atomic (temporary file + rename) and serialised by a lock file; the running gateway
re-reads the file when it changes, so a revocation takes effect on the next request.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

FORMAT = "gateway-tokens/1"
PREFIX = "gwt_"
_TOKEN = re.compile(r"^gwt_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")
ROLES = ("facility", "viewer", "operator")


class TokenFileError(Exception):
    """The tokens file cannot be read or written (an operator's fault, not a caller's)."""


@dataclass(frozen=True)
class TokenRecord:
    """One issued token, without its secret."""

    id: str
    sha256: str
    subject: str  # "facility:01001" or "operator:alice"
    role: str  # facility | viewer | operator
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None
    note: str = ""

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and _time(self.expires_at) <= now

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def hash_token(token: str) -> str:
    """SHA-256 hex of a token: what configuration and the tokens file store."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_id(token: str) -> str | None:
    """The id part of a well-formed token, or None."""
    match = _TOKEN.match(token)
    return match.group(1) if match else None


def new_token() -> tuple[str, str]:
    """A fresh (id, token)."""
    ident = secrets.token_hex(6)
    return ident, f"{PREFIX}{ident}_{secrets.token_urlsafe(32)}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TokenFile:
    """The tokens file: read, issue, revoke (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, TokenRecord]:
        """Every record by id; a missing file is empty. Raises TokenFileError."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise TokenFileError(f"{self.path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
            records = [TokenRecord(**item) for item in data["tokens"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TokenFileError(f"{self.path}: {exc}") from None
        return {record.id: record for record in records}

    def issue(
        self, subject: str, role: str, *, expires_at: datetime | None, now: datetime, note: str = ""
    ) -> tuple[str, TokenRecord]:
        """Create a token for `subject`; returns (token, record). The token is not kept."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        with self._locked():
            records = self.read()
            ident, token = new_token()
            while ident in records:
                ident, token = new_token()
            record = TokenRecord(
                ident, hash_token(token), subject, role, _iso(now),
                _iso(expires_at) if expires_at else None, None, note,
            )  # fmt: skip
            records[ident] = record
            self._write(records)
        return token, record

    def revoke(self, ident: str, *, now: datetime) -> TokenRecord | None:
        """Revoke by id (idempotent); None when no such token."""
        with self._locked():
            records = self.read()
            record = records.get(ident)
            if record is None:
                return None
            if record.revoked_at is None:
                record = replace(record, revoked_at=_iso(now))
                records[ident] = record
                self._write(records)
        return record

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(self.path.with_name("." + self.path.name + ".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                yield
        except OSError as exc:
            raise TokenFileError(f"{self.path}: {exc.strerror}") from None

    def _write(self, records: dict[str, TokenRecord]) -> None:
        data = {"format": FORMAT, "tokens": [asdict(r) for r in sorted(records.values(), key=lambda r: r.created_at)]}
        fd, temp = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, self.path)


class TokenBook:
    """The running gateway's view of the tokens file, re-read whenever the file changes."""

    def __init__(self, path: Path) -> None:
        self._file = TokenFile(path)
        self._stamp: tuple[int, int] | None = None
        self._records: dict[str, TokenRecord] = {}
        self._lock = threading.Lock()

    def lookup(self, token: str) -> TokenRecord | None:
        """The record of a presented token (expired and revoked ones included: the caller
        says why it refuses); None for a token the file does not know."""
        ident = token_id(token)
        if ident is None:
            return None
        record = self._current().get(ident)
        if record is None or not secrets.compare_digest(record.sha256, hash_token(token)):
            return None
        return record

    def _current(self) -> dict[str, TokenRecord]:
        try:
            info = os.stat(self._file.path)
            stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            stamp = None
        except OSError:
            return self._records  # keep the last good view rather than lock everyone out
        if stamp != self._stamp:
            with self._lock:
                try:
                    self._records = self._file.read() if stamp is not None else {}
                    self._stamp = stamp
                except TokenFileError:
                    pass  # a half-edited file: keep the last good view
        return self._records
