"""Steps the delivery tests repeat: accept documents, deliver round by round on the fake clock,
and read back what the store and the simulator hold."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from adapters.portal.simulator import PortalSimulator
from gateway.delivery import DeliveryService
from gateway.outbox import Message, MessageFilter, OutboxStore, State
from tests.delivery.conftest import FakeClock
from tests.delivery.documents import Document

PENDING = frozenset({State.QUEUED, State.RETRY_WAIT, State.SENDING})


async def accept_all(store: OutboxStore, documents: Iterable[Document]) -> dict[str, Document]:
    """Accept each document; {message id: document}."""
    accepted = {}
    for document in documents:
        answer = await store.accept(document.submission())
        accepted[answer.message_id] = document
    return accepted


async def messages(store: OutboxStore, states: frozenset[State] | None = None) -> list[Message]:
    found: list[Message] = []
    cursor = None
    while True:
        page = await store.list_messages(MessageFilter(states=states), cursor, 500)
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return found


async def states(store: OutboxStore, ids: Iterable[str]) -> dict[str, State]:
    result = {}
    for message_id in ids:
        message = await store.get(message_id)
        assert message is not None
        result[message_id] = message.state
    return result


async def advance_to_next_due(
    store: OutboxStore, clock: FakeClock, most: timedelta, also: Iterable[datetime] = ()
) -> None:
    """Move the fake clock to the next moment something can happen (at most `most` on): the
    earliest future due time of a waiting message, or one of `also` (e.g. when a circuit lets a
    probe through). Nothing was leased, so what is due already is blocked until then."""
    waiting = [m.due_at for m in await messages(store, PENDING) if m.due_at is not None]
    target = min((t for t in (*waiting, *also) if t > clock()), default=clock() + most)
    clock.now = max(clock() + timedelta(milliseconds=1), min(target, clock() + most))


async def deliver_until(
    service: DeliveryService, store: OutboxStore, clock: FakeClock, done: Callable[[], Awaitable[bool]],
    *, rounds: int = 3000, most: timedelta = timedelta(seconds=30),
) -> int:  # fmt: skip
    """Deliver round by round, moving the fake clock when nothing is due, until `done()`.
    Returns the rounds taken; fails after `rounds`."""
    for number in range(1, rounds + 1):
        leased = await service.deliver_due()
        if await done():
            return number
        if leased == 0:
            probes = [c.probe_at for c in service.status().circuits if c.probe_at is not None]
            await advance_to_next_due(store, clock, most, probes)
    raise AssertionError(f"not done after {rounds} rounds: {service.status().to_json()}")


def all_final(store: OutboxStore) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not await messages(store, PENDING)

    return check


def accepted_versions_in_order(
    sim: PortalSimulator, documents: Iterable[Document]
) -> dict[str, list[int]]:
    """Per MA_LK, the versions the portal took (maKetQua 200), in the order they arrived."""
    by_sha = {d.sha256: d for d in documents}
    order: dict[str, list[int]] = {}
    for receipt in sim.received:
        if receipt.ma_giao_dich is not None and receipt.sha256 in by_sha:
            document = by_sha[receipt.sha256]
            order.setdefault(document.ma_lk, []).append(document.version)
    return order


def assert_latest_current(sim: PortalSimulator, documents: Iterable[Document]) -> None:
    """The portal holds, for every MA_LK, the latest version as current; and took the versions
    in order (never an older one after a newer one)."""
    chosen = list(documents)
    latest: dict[tuple[str, str], Document] = {}
    for document in chosen:
        key = (document.facility, document.ma_lk)
        if key not in latest or document.version > latest[key].version:
            latest[key] = document
    for (facility, ma_lk), document in latest.items():
        current = sim.state.current_version(facility, ma_lk)
        assert current is not None, f"{ma_lk} never reached the portal"
        assert current.sha256 == document.sha256, f"{ma_lk}: the portal holds an older version"
    for ma_lk, arrived in accepted_versions_in_order(sim, chosen).items():
        assert arrived == sorted(arrived), f"{ma_lk}: versions arrived out of order: {arrived}"


async def audit_actions(store: OutboxStore, message_id: str) -> list[str]:
    return [record.action for record in await store.history(message_id)]


async def all_in(store: OutboxStore, ids: Iterable[str], state: State) -> bool:
    return set((await states(store, ids)).values()) == {state}


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait (real time, for tests of the background tasks) until `check()` holds."""
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.005)
