"""`open_store(dsn)`: the one place that maps a DSN to a store implementation.

    sqlite:///relative/path/outbox.db      sqlite:////absolute/path/outbox.db
    postgresql://...                       (a later issue)
"""

from __future__ import annotations

from pathlib import Path

from gateway.outbox.checkpoint import CheckpointSigner
from gateway.outbox.config import OutboxSettings
from gateway.outbox.disk import FreeSpaceProbe, free_bytes
from gateway.outbox.errors import DSN, StoreFault
from gateway.outbox.model import Clock
from gateway.outbox.sqlite_store import SqliteOutboxStore
from gateway.outbox.store import OutboxStore
from gateway.outbox.timeutil import utc_now

SQLITE_PREFIX = "sqlite:///"


def sqlite_path(dsn: str) -> Path:
    """The database file a `sqlite:///...` DSN names. Raises StoreFault `store.dsn`."""
    if not dsn.startswith(SQLITE_PREFIX) or len(dsn) == len(SQLITE_PREFIX):
        raise StoreFault(DSN, f"not a sqlite DSN: {dsn!r} (expected sqlite:///path/outbox.db)")
    return Path(dsn[len(SQLITE_PREFIX):])


async def open_store(
    dsn: str,
    *,
    clock: Clock = utc_now,
    settings: OutboxSettings | None = None,
    checkpoint_signer: CheckpointSigner | None = None,
    disk_probe: FreeSpaceProbe = free_bytes,
) -> OutboxStore:
    """Open (creating if needed) the store a DSN names, started and ready.

    Raises StoreFault `store.dsn` for a DSN not understood, `store.schema` for a database that
    is not ours.
    """
    if dsn.startswith(("postgresql://", "postgres://")):
        raise StoreFault(DSN, "the PostgreSQL outbox is not implemented yet (use sqlite:///path)")
    store = SqliteOutboxStore(sqlite_path(dsn), clock=clock, settings=settings,
                              checkpoint_signer=checkpoint_signer, disk_probe=disk_probe)
    await store.open()
    return store
