"""Verify the audit chain of an outbox database against its signed checkpoints.

Checks, in order: the checkpoint file (readable, one store, signed by the gateway key, seq never
going back); the chain (each record's hash, its link to the one before, no gap), from the start
or from the last signed checkpoint before `since`; every checkpointed seq's hash (a chain
rewritten consistently fails here); the chain's end (records deleted from the end fail on the
last checkpoint); each message row against its audit trail (identity and digests as accepted,
the state the trail ends in, the receipt); each kept payload against the digest recorded when
it was accepted.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from gateway.outbox.audit import ChainBreak, ChainWalk, record_hash
from gateway.outbox.checkpoint import Checkpoint, CheckpointLog
from gateway.outbox.errors import SCHEMA, StoreFault
from gateway.outbox.identity import keyset_text
from gateway.outbox.records import AuditRecord
from gateway.outbox.sqlite_reads import AUDIT_COLUMNS, to_audit
from gateway.outbox.timeutil import iso


class CheckpointVerifier(Protocol):
    @property
    def key_id(self) -> str: ...

    def verify(self, data: bytes, signature: bytes) -> bool: ...


@dataclass
class VerifyReport:
    """What `verify_sqlite` found; `ok` when nothing is wrong (notes are not problems)."""

    records: int = 0
    first_seq: int = 1
    last_seq: int = 0
    checkpoints_matched: int = 0
    last_checkpoint_seq: int = 0
    first_break: ChainBreak | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_break is None and not self.problems

    @property
    def uncovered(self) -> int:
        """Records after the last signed checkpoint (a rewrite of these alone is not caught)."""
        return max(0, self.last_seq - max(self.last_checkpoint_seq, self.first_seq - 1))


def verify_sqlite(
    db_path: Path,
    checkpoint_dir: Path,
    verifier: CheckpointVerifier | None,
    *,
    since: datetime | int | None = None,
    check_payloads: bool = True,
) -> VerifyReport:
    """Verify one SQLite outbox (see the module docstring). Raises StoreFault `store.schema`
    when the file is missing or not an outbox database."""
    if not db_path.is_file():
        raise StoreFault(SCHEMA, f"{db_path}: no such database")
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        store_row = conn.execute("SELECT value FROM meta WHERE name = 'store_id'").fetchone()
    except sqlite3.Error as exc:
        raise StoreFault(SCHEMA, f"{db_path}: not an outbox database ({exc})") from None
    report = VerifyReport()
    try:
        checkpoints = _checked_checkpoints(CheckpointLog(checkpoint_dir), store_row[0] if store_row else "",
                                           verifier, report)
        _walk(conn, checkpoints, since, report)
        _check_states(conn, report)
        if check_payloads:
            _check_payloads(conn, report)
    finally:
        conn.close()
    return report


def _checked_checkpoints(
    log: CheckpointLog, store_id: str, verifier: CheckpointVerifier | None, report: VerifyReport
) -> dict[int, Checkpoint]:
    found = log.read()
    report.problems.extend(found.errors)
    report.notes.extend(found.notes)
    if verifier is None:
        report.notes.append("checkpoint signatures not checked (no gateway certificate given)")
    if not found.checkpoints:
        report.notes.append(f"no signed checkpoints in {log.path}: a consistent rewrite of the "
                            "whole chain would not be caught")
    result: dict[int, Checkpoint] = {}
    previous = 0
    for number, cp in enumerate(found.checkpoints, start=1):
        where = f"checkpoint {number} (seq {cp.seq}, {cp.at})"
        if cp.store_id != store_id:
            report.problems.append(f"{where} belongs to store {cp.store_id}, the database is store "
                                   f"{store_id}: the database was replaced")
            continue
        if verifier is not None:
            if cp.key != verifier.key_id:
                report.problems.append(f"{where} is signed by another key ({cp.key[:16]}...)")
                continue
            if not verifier.verify(cp.signed_bytes(), cp.signature()):
                report.problems.append(f"{where}: the signature does not verify (checkpoint file edited)")
                continue
        if cp.seq < previous:
            report.problems.append(f"{where} goes back from seq {previous}: the checkpoint file was edited")
        previous = max(previous, cp.seq)
        result[cp.seq] = cp
    return result


def _records(conn: sqlite3.Connection, from_seq: int) -> Iterator[AuditRecord]:
    cursor = conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit WHERE seq >= ? ORDER BY seq", (from_seq,))
    for row in cursor:
        yield to_audit(row)


def _anchor(checkpoints: dict[int, Checkpoint], since: datetime | int | None) -> Checkpoint | None:
    if since is None:
        return None
    eligible = [cp for cp in checkpoints.values()
                if (cp.seq <= since if isinstance(since, int) else cp.at <= iso(since))]
    return max(eligible, key=lambda cp: cp.seq, default=None)


def _walk(conn: sqlite3.Connection, checkpoints: dict[int, Checkpoint], since: datetime | int | None,
          report: VerifyReport) -> None:
    walk = ChainWalk()
    anchor = _anchor(checkpoints, since)
    start = 1
    if anchor is not None:
        row = conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit WHERE seq = ?", (anchor.seq,)).fetchone()
        record = None if row is None else to_audit(row)
        if record is None or record.hash != anchor.hash or record_hash(record) != record.hash:
            report.first_break = ChainBreak(anchor.seq, "the record at the starting checkpoint does not "
                                            "match it (edited, deleted or rewritten)")
            return
        walk = ChainWalk(expected_seq=anchor.seq + 1, prev_hash=anchor.hash)
        start = anchor.seq + 1
        report.checkpoints_matched += 1
        report.last_checkpoint_seq = anchor.seq
    elif since is not None:
        report.notes.append("no signed checkpoint before --since: verifying from the first record")
    report.first_seq = start
    last_seq = start - 1
    for record in _records(conn, start):
        walk.feed([record])
        if walk.first_break is not None:
            report.first_break = walk.first_break
            break
        last_seq = record.seq
        cp = checkpoints.get(record.seq)
        if cp is not None:
            if cp.hash != record.hash:
                lower = report.last_checkpoint_seq + 1
                report.first_break = ChainBreak(record.seq, f"the chain was rewritten: record {record.seq} "
                                                f"differs from the checkpoint signed at {cp.at} (the "
                                                f"change is in records {lower}..{record.seq})")
                break
            report.checkpoints_matched += 1
            report.last_checkpoint_seq = record.seq
    report.records = walk.count
    report.last_seq = last_seq
    if report.first_break is None:
        beyond = [seq for seq in checkpoints if seq > last_seq]
        if beyond:
            report.first_break = ChainBreak(last_seq + 1, f"the chain ends at record {last_seq} but a "
                                            f"checkpoint signed record {max(beyond)}: records were deleted")


def _check_states(conn: sqlite3.Connection, report: VerifyReport) -> None:
    """Each message row must agree with its audit trail: identity as accepted, the state the
    trail ends in, the receipt the portal gave."""
    trails: dict[str, dict[str, Any]] = {}
    query = "SELECT message_id, action, to_state, body_digest, detail FROM audit WHERE message_id IS NOT NULL"
    for message_id, action, to_state, body_digest, detail in conn.execute(query + " ORDER BY seq"):
        trail = trails.setdefault(message_id, {})
        if action == "accepted":
            fields = json.loads(detail)
            trail.update(facility=fields.get("facility"), document_type=fields.get("document_type"),
                         keyset=keyset_text(fields.get("keys", [])), content_digest=fields.get("content_digest"),
                         body_sha256=body_digest)
        if action == "outcome.DELIVERED":
            trail["receipt"] = json.loads(detail).get("receipt")
        if to_state is not None:
            trail["state"] = to_state
    rows = conn.execute("SELECT id, facility, document_type, keyset, content_digest, body_sha256, state, "
                        "receipt FROM messages ORDER BY seq")
    names = ("facility", "document_type", "keyset", "content_digest", "body_sha256", "state", "receipt")
    for message_id, *values in rows:
        trail = trails.get(message_id, {})
        for name, value in zip(names, values, strict=True):
            expected = trail.get(name)
            if value != expected:
                report.problems.append(f"message {message_id}: {name} is {value!r} in the table but its audit "
                                       f"trail says {expected!r}: the table was edited")


def _check_payloads(conn: sqlite3.Connection, report: VerifyReport) -> None:
    rows = conn.execute(
        "SELECT m.id, m.body_sha256, p.content, (SELECT a.body_digest FROM audit a WHERE "
        "a.message_id = m.id AND a.action = 'accepted') FROM messages m JOIN payloads p ON p.seq = m.seq "
        "ORDER BY m.seq"
    )
    for message_id, recorded, content, accepted_digest in rows:
        actual = hashlib.sha256(content).hexdigest()
        if actual != recorded or actual != accepted_digest:
            report.problems.append(f"message {message_id}: the stored payload does not match the digest "
                                   "recorded when it was accepted")
