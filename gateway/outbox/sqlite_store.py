"""The SQLite outbox: WAL, synchronous=FULL, one group-committing writer thread, a small pool
of read-only connections for queries. Create it with `open_store("sqlite:///path")`."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from gateway.outbox import sqlite_accept, sqlite_delivery, sqlite_operator, sqlite_reads
from gateway.outbox.checkpoint import Checkpoint, CheckpointLog, CheckpointSigner, make_checkpoint
from gateway.outbox.config import OutboxSettings
from gateway.outbox.disk import DiskGuard, FreeSpaceProbe, free_bytes
from gateway.outbox.errors import CLOSED, IO, StoreFault, StoreUnavailable
from gateway.outbox.model import Accepted, Clock, Lease, Outcome, Submission
from gateway.outbox.records import (
    AuditRecord,
    DailyCount,
    HeldFacility,
    Message,
    MessageFilter,
    Page,
    PruneResult,
)
from gateway.outbox.retention import prune_batch
from gateway.outbox.sqlite_schema import connect, initialise
from gateway.outbox.timeutil import iso, utc_now
from gateway.outbox.walcheckpoint import WalCheckpointer
from gateway.outbox.writer import GroupCommitWriter

T = TypeVar("T")


class SqliteOutboxStore:
    """An OutboxStore on one SQLite file (see gateway/outbox/README.md)."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock = utc_now,
        settings: OutboxSettings | None = None,
        checkpoint_signer: CheckpointSigner | None = None,
        disk_probe: FreeSpaceProbe = free_bytes,
    ) -> None:
        self.path = path
        self._clock = clock
        self.settings = settings or OutboxSettings()
        self._signer = checkpoint_signer
        self._disk = DiskGuard(path.parent, self.settings.min_free_bytes, disk_probe)
        self._wal = WalCheckpointer(partial(connect, path))
        self._writer = GroupCommitWriter(partial(connect, path, writer=True), clock, self.settings,
                                         after_commit=self._wal.poke)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(self.settings.read_pool_size, thread_name_prefix="outbox-read")
        self._checkpoints = CheckpointLog(self.settings.checkpoint_dir or path.parent / "checkpoints")
        self._checkpoint_lock = asyncio.Lock()
        self._last_checkpoint_seq = 0
        self.store_id = ""
        self._closed = False
        self._pool_closed = False

    async def open(self) -> None:
        """Create or open the database and start the writer. Raises StoreFault."""
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path)
        try:
            self.store_id = initialise(conn)
        finally:
            conn.close()
        self._wal.start()
        self._writer.start()
        existing = self._checkpoints.read().checkpoints
        self._last_checkpoint_seq = max((c.seq for c in existing if c.store_id == self.store_id), default=0)

    @property
    def commits(self) -> int:
        """Group commits so far (benchmarks and tests)."""
        return self._writer.commits

    # -- writes (the writer thread) ----------------------------------------------------------

    async def accept(self, submission: Submission) -> Accepted:
        self._disk.check()
        body_sha256 = submission.body_sha256
        return await self._writer.run(partial(sqlite_accept.accept, sub=submission, body_sha256=body_sha256))

    async def lease(
        self, worker_id: str, now: datetime, limit: int, lease_seconds: float,
        exclude_facilities: Collection[str] = (),
    ) -> list[Lease]:  # fmt: skip
        job = partial(sqlite_delivery.lease, worker_id=worker_id, limit=limit, lease_seconds=lease_seconds,
                      exclude_facilities=tuple(exclude_facilities))  # fmt: skip
        return await self._writer.run(job, now=now)

    async def extend_lease(self, lease: Lease, lease_seconds: float) -> Lease | None:
        return await self._writer.run(partial(sqlite_delivery.extend_lease, lease=lease, lease_seconds=lease_seconds))

    async def mark_sending(self, lease: Lease, sent_digest: str | None = None) -> bool:
        return await self._writer.run(partial(sqlite_delivery.mark_sending, lease=lease, sent_digest=sent_digest))

    async def record_outcome(self, lease: Lease, outcome: Outcome) -> bool:
        return await self._writer.run(partial(sqlite_delivery.record_outcome, lease=lease, outcome=outcome))

    async def hold_facility(self, facility: str, actor: str, reason: str) -> int:
        job = partial(sqlite_operator.hold_facility, facility=facility, actor=actor, reason=reason)
        return await self._writer.run(job)

    async def release_facility(self, facility: str, actor: str, reason: str) -> int:
        job = partial(sqlite_operator.release_facility, facility=facility, actor=actor, reason=reason)
        return await self._writer.run(job)

    async def replay(self, message_id: str, operator: str, reason: str) -> Message:
        job = partial(sqlite_operator.replay, message_id=message_id, operator=operator, reason=reason)
        return await self._writer.run(job)

    async def prune(self, now: datetime) -> PruneResult:
        total = PruneResult()
        while True:  # one transaction per batch, so the writer never stalls on a big prune
            batch = await self._writer.run(prune_batch, now=now)
            total = PruneResult(total.payloads_pruned + batch.payloads_pruned,
                                total.idempotency_keys_expired + batch.idempotency_keys_expired,
                                total.message_ids + batch.message_ids)
            if batch.payloads_pruned < self.settings.prune_batch:
                return total

    # -- reads (the pool) --------------------------------------------------------------------

    async def idempotency_lookup(self, submitter: str, key: str, body: bytes) -> Accepted | None:
        cutoff = iso(self._clock() - self.settings.idempotency_ttl)
        digest = hashlib.sha256(body).hexdigest()
        return await self._read(lambda c: sqlite_accept.remembered_answer(c, submitter, key, digest, cutoff))

    async def get(self, message_id: str) -> Message | None:
        return await self._read(lambda c: sqlite_reads.get(c, message_id))

    async def payload(self, message_id: str) -> bytes | None:
        return await self._read(lambda c: sqlite_reads.payload(c, message_id))

    async def history(self, message_id: str) -> list[AuditRecord]:
        return await self._read(lambda c: sqlite_reads.history(c, message_id))

    async def list_messages(
        self, filters: MessageFilter | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page:
        chosen = filters or MessageFilter()
        return await self._read(lambda c: sqlite_reads.list_messages(c, chosen, cursor, limit))

    async def held_facilities(self) -> list[HeldFacility]:
        return await self._read(sqlite_reads.held_facilities)

    async def daily_counts(self, first: date, last: date, facility: str | None = None) -> list[DailyCount]:
        return await self._read(lambda c: sqlite_reads.daily_counts(c, first, last, facility))

    async def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        if self._pool_closed:
            raise StoreUnavailable(CLOSED, "the outbox store is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._in_reader, query)

    def _in_reader(self, query: Callable[[sqlite3.Connection], T]) -> T:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, read_only=True)
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        try:
            return query(conn)
        except sqlite3.Error as exc:
            raise StoreFault(IO, f"reading the outbox database failed: {exc}") from None

    # -- checkpoints and shutdown ------------------------------------------------------------

    async def checkpoint(self) -> Checkpoint | None:
        if self._signer is None:
            return None
        async with self._checkpoint_lock:
            head = await self._read(sqlite_reads.chain_head)
            if head is None or head[0] <= self._last_checkpoint_seq:
                return None
            signer = self._signer
            at = iso(self._clock())
            checkpoint = await asyncio.to_thread(make_checkpoint, self.store_id, head[0], head[1], at, signer)
            await asyncio.to_thread(self._checkpoints.append, checkpoint)
            self._last_checkpoint_seq = checkpoint.seq
            return checkpoint

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._writer.close)
        await asyncio.to_thread(self._wal.close)
        try:
            await self.checkpoint()
        finally:
            self._pool_closed = True
            self._pool.shutdown(wait=True)
            with self._readers_lock:
                for conn in self._readers:
                    conn.close()
                self._readers.clear()
