"""Background duties of a running store: sign the chain head now and then, prune old payloads.

Each is a coroutine to run as a task for the life of the application (aiohttp `cleanup_ctx`:
create the task before `yield`, cancel and await it after; `store.close()` then signs a last
checkpoint). `sleep` is injectable so tests need no real waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from gateway.outbox.errors import OutboxError
from gateway.outbox.logs import emit
from gateway.outbox.model import Clock
from gateway.outbox.store import OutboxStore

Sleep = Callable[[float], Awaitable[None]]
_log = logging.getLogger("gateway.outbox")


async def checkpoint_periodically(store: OutboxStore, interval_seconds: float, sleep: Sleep = asyncio.sleep) -> None:
    """Sign the audit chain head every `interval_seconds` (skipped when nothing is new)."""
    while True:
        await sleep(interval_seconds)
        try:
            checkpoint = await store.checkpoint()
        except OutboxError as exc:  # keep trying: the next one covers this one's records too
            emit(_log, {"event": "outbox.checkpoint_failed", "code": exc.code})
            continue
        if checkpoint is not None:
            emit(_log, {"event": "outbox.checkpoint", "seq": checkpoint.seq, "at": checkpoint.at})


async def prune_periodically(
    store: OutboxStore, interval_seconds: float, clock: Clock, sleep: Sleep = asyncio.sleep
) -> None:
    """Prune delivered payloads past retention and expired idempotency keys, every interval."""
    while True:
        await sleep(interval_seconds)
        try:
            await store.prune(clock())
        except OutboxError as exc:
            emit(_log, {"event": "outbox.prune_failed", "code": exc.code})
