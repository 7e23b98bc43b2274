"""The single writer: one thread owns the write connection and commits in groups.

Callers `await writer.run(job)`. The thread takes every job waiting (up to `max_batch`), runs
each in its own SAVEPOINT inside one `BEGIN IMMEDIATE` transaction, then COMMITs once: one fsync
(synchronous=FULL) acknowledges the whole group. A job that raises is rolled back alone and its
caller gets the exception; a failed COMMIT fails every job of the group. No job's answer is
released before the commit that makes it durable.

While a group commits, the next group gathers: under load the groups grow by themselves and
durability costs one fsync per group, not per document (TECH_NOTES "Durable writes").
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from gateway.outbox.config import OutboxSettings
from gateway.outbox.errors import (
    CLOSED,
    DISK_FULL,
    IO,
    DiskFull,
    OutboxError,
    StoreFault,
    StoreUnavailable,
)
from gateway.outbox.logs import emit
from gateway.outbox.model import Clock
from gateway.outbox.tx import AuditRow, ChainHead, Tx, flush, load_head

T = TypeVar("T")
Job = Callable[[Tx], Any]
_log = logging.getLogger("gateway.outbox")


@dataclass
class _Pending:
    job: Job
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    now: datetime | None


class GroupCommitWriter:
    """Runs store operations on one thread, committing them in groups (see the module docstring)."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        clock: Clock,
        settings: OutboxSettings,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._connect = connect
        self._after_commit = after_commit
        self._clock = clock
        self._settings = settings
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._conn: sqlite3.Connection | None = None
        self._head = ChainHead()
        self.commits = 0  # groups committed (for the benchmark and tests)

    def start(self) -> None:
        """Open the write connection and start the thread. Raises StoreFault."""
        self._conn = self._connect()
        self._conn.row_factory = sqlite3.Row
        self._head = load_head(self._conn)
        self._thread = threading.Thread(target=self._loop, name="outbox-writer", daemon=True)
        self._thread.start()

    async def run(self, job: Callable[[Tx], T], now: datetime | None = None) -> T:
        """Run `job` in the next group commit; returns its result once durable. The job's
        `tx.now` is `now`, or the clock's time when it runs.

        Raises what the job raised, StoreFault when the commit failed, StoreUnavailable
        `store.closed` after `close`.
        """
        if self._closed:
            raise StoreUnavailable(CLOSED, "the outbox store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Pending(job, future, loop, now))
        return await future

    def close(self) -> None:
        """Finish the jobs already queued, then stop the thread and close the connection."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join()
        if self._conn is not None:
            self._conn.close()

    def _loop(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._settings.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
        self._refuse_the_rest()

    def _refuse_the_rest(self) -> None:
        """Jobs that raced `close` (queued after the stop mark) fail instead of waiting forever."""
        late: list[tuple[_Pending, Any, BaseException | None]] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                late.append((item, None, StoreUnavailable(CLOSED, "the outbox store is closed")))
        _deliver(late)

    def _commit(self, batch: list[_Pending]) -> None:
        assert self._conn is not None
        conn = self._conn
        outcomes: list[tuple[_Pending, Any, BaseException | None]] = []
        events: list[dict[str, Any]] = []
        audit_rows: list[AuditRow] = []
        counts: Counter[tuple[str, str, str]] = Counter()
        head = self._head
        try:
            conn.execute("BEGIN IMMEDIATE")
            for item in batch:
                tx = Tx(conn, item.now or self._clock(), head, self._settings)
                conn.execute("SAVEPOINT job")
                try:
                    result = item.job(tx)
                except BaseException as exc:  # the job's failure is its caller's, not the group's
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((item, None, _as_store_error(exc)))
                    continue
                conn.execute("RELEASE job")
                head = tx.head
                audit_rows.extend(tx.audit_rows)
                counts.update(tx.counts)
                events.extend(tx.events)
                outcomes.append((item, result, None))
            flush(conn, audit_rows, counts)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            failure = _as_store_error(exc)
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self._head = load_head(conn)
            _deliver([(item, None, failure) for item in batch])
            return
        self._head = head
        self.commits += 1
        self._after_commit()
        for event in events:
            emit(_log, event)
        _deliver(outcomes)


def _as_store_error(exc: BaseException) -> BaseException:
    if isinstance(exc, OutboxError) or not isinstance(exc, sqlite3.Error):
        return exc
    text = str(exc)
    if "full" in text.lower():
        return DiskFull(DISK_FULL, f"the database reported a full disk ({text})")
    return StoreFault(IO, f"the outbox database failed: {text}")


def _deliver(outcomes: list[tuple[_Pending, Any, BaseException | None]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, Any, BaseException | None]]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, items)
        except RuntimeError:  # the caller's loop is gone: nobody is waiting
            pass


def _resolve(items: list[tuple[_Pending, Any, BaseException | None]]) -> None:
    for item, result, error in items:
        if item.future.done():  # the caller was cancelled; the work is durable all the same
            continue
        if error is not None:
            item.future.set_exception(error)
        else:
            item.future.set_result(result)
