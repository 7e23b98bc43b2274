"""A schema-1 database (before the retry window was kept with each message) opens as schema 2,
with each pending message's window rebuilt from its audit trail."""

from __future__ import annotations

import sqlite3

from gateway.outbox.sqlite_schema import SCHEMA_VERSION
from tests.outbox.conftest import FakeClock, StoreFactory, submission
from tests.outbox.helpers import fail, lease_one


def downgrade_to_schema_1(store_path: str) -> None:
    """What a schema-1 database looked like: no window columns, version "1"."""
    with sqlite3.connect(store_path) as conn:
        conn.execute("ALTER TABLE messages DROP COLUMN window_sends")
        conn.execute("ALTER TABLE messages DROP COLUMN first_attempt_at")
        conn.execute("UPDATE meta SET value = '1' WHERE name = 'schema_version'")


async def test_a_schema_1_store_is_migrated_with_its_retry_windows_rebuilt(
    open_test_store: StoreFactory, clock: FakeClock
) -> None:
    store = await open_test_store()
    await store.accept(submission(("LK1",), "a"))
    await store.accept(submission(("LK2",), "b"))
    first_send = clock()
    await fail(store, clock, await lease_one(store, clock), "held")  # LK1: held, then released
    clock.advance(minutes=1)
    await store.release_facility("01001", "ops:lan", "login works again")
    released_send = clock()
    [lk1, lk2] = await store.lease("w1", clock(), 2, 60)
    await fail(store, clock, lk1, "retry")
    await fail(store, clock, lk2, "unknown")
    await store.close()
    downgrade_to_schema_1(str(store.path))

    clock.advance(minutes=5)
    reopened = await open_test_store()
    with sqlite3.connect(f"file:{reopened.path}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0] == SCHEMA_VERSION
    leases = {lease.keys: lease for lease in await reopened.lease("w3", clock(), 2, 60)}
    assert (leases[("LK1",)].retry_attempt, leases[("LK1",)].first_attempt_at) == (2, released_send)
    assert (leases[("LK2",)].retry_attempt, leases[("LK2",)].first_attempt_at) == (2, released_send)
    assert first_send < released_send
