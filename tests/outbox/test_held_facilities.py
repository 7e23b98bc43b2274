"""`held_facilities()`: which facilities are held, how many documents wait, since when, why."""

from __future__ import annotations

from gateway.outbox import HeldFacility
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock, submission
from tests.outbox.helpers import fail, lease_one


async def test_no_facility_is_held_at_first(store: SqliteOutboxStore) -> None:
    await store.accept(submission())
    assert await store.held_facilities() == []


async def test_a_credentials_failure_holds_the_facility_with_its_documents_counted(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    await store.accept(submission(("LK1",), "a"))
    await store.accept(submission(("LK2",), "b"))
    await store.accept(submission(("LK1",), "c", facility="79001"))
    held_at = clock()
    await fail(store, clock, await lease_one(store, clock), "held")
    clock.advance(minutes=3)
    await store.accept(submission(("LK3",), "d"))  # arrives HELD
    [held] = await store.held_facilities()
    assert (held.facility, held.documents, held.since) == ("01001", 3, held_at)
    assert held.actor == "w1" and held.reason is not None and "401" in held.reason


async def test_an_operator_hold_is_listed_even_with_nothing_waiting(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    await store.hold_facility("79001", "ops:lan", "password rotated")
    assert await store.held_facilities() == [HeldFacility("79001", 0, clock(), "ops:lan", "password rotated")]


async def test_a_released_facility_is_no_longer_listed(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission())
    await store.hold_facility("01001", "ops:lan", "password rotated")
    await store.hold_facility("79001", "ops:lan", "password rotated")
    assert [h.facility for h in await store.held_facilities()] == ["01001", "79001"]
    await store.release_facility("01001", "ops:lan", "new password configured")
    assert [h.facility for h in await store.held_facilities()] == ["79001"]
