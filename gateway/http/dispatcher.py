"""The callback dispatcher: turns the outbox's state changes into signed notices and POSTs them
to the facilities' registered URLs, retrying with backoff (a background component).

Driven from the outbox, so a restart loses nothing: it reads the audit chain (every state change
is a record, in order) from a cursor kept in the callbacks database, queues a notice for each
change to DELIVERED, REFUSED or DEAD of a facility with a registered URL, and moves the cursor in
the same transaction (callback_store.py). Sending is at least once; `AuditRef` lets a HIS drop a
repeat.

The outbox interface has no "changes since" read yet; `feed_for` uses the proposed
`state_changes_after(seq, limit)` when a store has it, and otherwise reads the SQLite store's
audit table through a read-only connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from gateway.config import CallbackConfig
from gateway.http.callback_store import CallbackStore, NewNotice, Notice
from gateway.http.callbacks import check_callback_url, is_public_address
from gateway.http.metrics import Metrics
from gateway.http.notices import NOTIFY_STATES, StateChange, sign_notice
from gateway.outbox import Message
from gateway.outbox.store import OutboxStore
from gateway.signing import Signer

_log = logging.getLogger("gateway.http.callbacks")
BATCH = 500


class StateFeed(Protocol):
    """The outbox's state changes in order (audit sequence numbers)."""

    async def head(self) -> int: ...

    async def after(self, seq: int, limit: int) -> list[StateChange]: ...


class SqliteAuditFeed:
    """Reads the SQLite outbox's audit table, read-only (WAL readers never block its writer)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # a cancelled read may still run in its thread at close

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, check_same_thread=False)
                self._conn.execute("PRAGMA busy_timeout=10000")
            return self._conn.execute(sql, params).fetchall()

    async def head(self) -> int:
        rows = await asyncio.to_thread(self._query, "SELECT COALESCE(MAX(seq), 0) FROM audit", ())
        return int(rows[0][0])

    async def after(self, seq: int, limit: int) -> list[StateChange]:
        rows = await asyncio.to_thread(
            self._query, "SELECT seq, at, message_id, to_state, hash FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit))
        return [StateChange(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class _StoreMethodFeed:
    """A store that offers `state_changes_after(seq, limit)` and `audit_head()` itself."""

    def __init__(self, store: Any) -> None:
        self._store = store

    async def head(self) -> int:
        return int(await self._store.audit_head())

    async def after(self, seq: int, limit: int) -> list[StateChange]:
        records = await self._store.state_changes_after(seq, limit)
        return [StateChange(r.seq, r.at, r.message_id, r.to_state, r.hash) for r in records]


def feed_for(store: OutboxStore) -> StateFeed | None:
    """The state-change feed of a store, or None when it offers none (callbacks then idle)."""
    if hasattr(store, "state_changes_after") and hasattr(store, "audit_head"):
        return _StoreMethodFeed(store)
    path = getattr(store, "path", None)
    return SqliteAuditFeed(path) if isinstance(path, Path) else None


class PublicOnlyResolver(AbstractResolver):
    """Resolves names to public addresses only: a callback cannot be pointed at the gateway's
    own network by a DNS name (checked at connect time, so re-binding does not help)."""

    def __init__(self) -> None:
        self._inner = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        public = [r for r in results if is_public_address(r["host"])]
        if not public:
            raise OSError(f"{host} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()


class CallbackDispatcher:
    """Queues and sends notices (module docstring). A component: `start`, `stop`, `running`."""

    name = "callbacks"

    def __init__(
        self,
        *,
        store: OutboxStore,
        callbacks: CallbackStore,
        feed: StateFeed,
        signer: Signer,
        executor: Executor,
        config: CallbackConfig,
        clock: Callable[[], datetime],
        metrics: Metrics,
    ) -> None:
        self._store = store
        self._callbacks = callbacks
        self._feed = feed
        self._signer = signer
        self._executor = executor
        self._config = config
        self._clock = clock
        self._metrics = metrics
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        resolver = None if self._config.allow_private_addresses else PublicOnlyResolver()
        connector = aiohttp.TCPConnector(resolver=resolver, limit=self._config.concurrency)
        timeout = aiohttp.ClientTimeout(total=self._config.timeout_seconds)
        self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        self._task = asyncio.create_task(self._loop(), name="callback-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()
        if isinstance(self._feed, SqliteAuditFeed):
            await asyncio.to_thread(self._feed.close)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep going: the cursor only moves past what was queued
                _log.error(json.dumps({"event": "callbacks.failed", "error": type(exc).__name__}))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.poll_seconds)
            self._wake.clear()

    async def run_once(self) -> tuple[int, int]:
        """Queue notices for new state changes, then send those due; returns (queued, sent)."""
        return await self.scan(), await self.send_due()

    async def scan(self) -> int:
        """Read state changes past the cursor and queue their notices; returns how many."""
        cursor = await self._callbacks.cursor()
        if cursor is None:  # first start: notify from now on, not for the whole history
            await self._callbacks.enqueue([], await self._feed.head(), self._clock())
            return 0
        queued = 0
        while True:
            changes = await self._feed.after(cursor, BATCH)
            if not changes:
                return queued
            notices = await self._notices([c for c in changes if c.to_state in NOTIFY_STATES and c.message_id])
            added = await self._callbacks.enqueue(notices, changes[-1].seq, self._clock())
            if added:
                self._metrics.notices.labels("queued").inc(added)
            queued += added
            cursor = changes[-1].seq
            if len(changes) < BATCH:
                return queued

    async def _notices(self, changes: list[StateChange]) -> list[NewNotice]:
        if not changes:
            return []
        messages: dict[str, Message] = {}
        for change in changes:
            assert change.message_id is not None
            if change.message_id not in messages:
                message = await self._store.get(change.message_id)
                if message is not None:
                    messages[change.message_id] = message
        urls = await self._callbacks.urls([m.facility for m in messages.values()])
        loop = asyncio.get_running_loop()
        result = []
        for change in changes:
            message = messages.get(change.message_id or "")
            url = urls.get(message.facility) if message is not None else None
            if message is None or url is None:
                continue
            body = await loop.run_in_executor(self._executor, sign_notice, change, message, self._signer)
            result.append(NewNotice(change.seq, message.message_id, message.facility, str(change.to_state), url, body))
        return result

    async def send_due(self) -> int:
        """POST every notice that is due; returns how many were delivered."""
        due = await self._callbacks.due(self._clock(), self._config.concurrency * 4)
        if not due:
            return 0
        results = await asyncio.gather(*(self._send(notice) for notice in due))
        return sum(results)

    async def _send(self, notice: Notice) -> int:
        assert self._session is not None, "start() the dispatcher first"
        error: str
        try:
            url = check_callback_url(notice.url, self._config)
        except ValueError:
            await self._callbacks.mark_failed_attempt(notice.id, "url.refused", None)
            self._metrics.notices.labels("failed").inc()
            return 0
        try:
            async with self._session.post(url, data=notice.body, allow_redirects=False,
                                          headers={"Content-Type": "application/xml"}) as response:
                await response.read()
                if 200 <= response.status < 300:
                    await self._callbacks.mark_sent(notice.id, self._clock())
                    self._metrics.notices.labels("sent").inc()
                    _log.info(json.dumps({"event": "callbacks.sent", "message_id": notice.message_id,
                                          "facility": notice.facility, "state": notice.state}))
                    return 1
                error = f"http.{response.status}"
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = type(exc).__name__
        attempts = notice.attempts + 1
        if attempts >= self._config.max_attempts:
            await self._callbacks.mark_failed_attempt(notice.id, error, None)
            self._metrics.notices.labels("failed").inc()
            outcome = "gave_up"
        else:
            delay = min(self._config.retry_base_seconds * 2 ** notice.attempts, self._config.retry_max_seconds)
            await self._callbacks.mark_failed_attempt(notice.id, error, self._clock() + timedelta(seconds=delay))
            self._metrics.notices.labels("retry").inc()
            outcome = "retry"
        _log.warning(json.dumps({"event": f"callbacks.{outcome}", "message_id": notice.message_id,
                                 "facility": notice.facility, "error": error, "attempts": attempts}))
        return 0
