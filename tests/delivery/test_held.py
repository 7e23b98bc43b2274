"""Account refusals: the facility is HELD (alert, no retry spent, circuit untouched), the other
facilities carry on, and the documents go back to the queue, in order, when a login succeeds."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from adapters.portal.simulator import PortalSimulator, parse_faults
from gateway.delivery import BreakerState, DeliveryService
from gateway.outbox import State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.delivery.conftest import SETTINGS, FakeClock, ServiceFactory
from tests.delivery.documents import batch
from tests.delivery.helpers import accept_all, all_final, all_in, deliver_until, eventually, states


async def test_refused_credentials_hold_the_facility_while_the_others_are_delivered(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    sim.set_faults(parse_faults("deny=01001_BV"))
    held_docs = await accept_all(store, batch("01001", 6, first_seed=900))
    other = await accept_all(store, batch("79001", 6, first_seed=900))
    with caplog.at_level(logging.ERROR, logger="gateway.delivery"):
        await deliver_until(service, store, clock, all_final(store))
    assert set((await states(store, held_docs)).values()) == {State.HELD}
    assert set((await states(store, other)).values()) == {State.DELIVERED}
    assert (
        caplog.text.count('"event": "delivery.alert.auth_failed"') == 1
    )  # one alert, six documents
    [circuit] = service.status().circuits
    assert circuit.state is BreakerState.CLOSED and circuit.consecutive_failures == 0
    assert service.status().held_facilities == ("01001",)
    later = await accept_all(store, batch("01001", 2, first_seed=950))  # arrive HELD
    assert set((await states(store, later)).values()) == {State.HELD}


async def test_held_documents_are_released_in_order_when_the_login_succeeds_again(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    sim.set_faults(parse_faults("deny=01001_BV"))
    accepted = await accept_all(store, batch("01001", 5, first_seed=1000))
    await deliver_until(service, store, clock, all_final(store))
    assert await service.check_held() == {}  # still refused: still held
    assert set((await states(store, accepted)).values()) == {State.HELD}
    sim.set_faults(parse_faults("none"))
    assert await service.check_held() == {"01001": 5}
    leased = await store.lease("peek", clock(), 10, 1)
    assert [lease.message_id for lease in leased] == list(accepted)  # acceptance order
    clock.advance(seconds=2)  # the peek's leases run out
    await deliver_until(service, store, clock, all_final(store))
    assert set((await states(store, accepted)).values()) == {State.DELIVERED}
    for message_id in accepted:
        actions = [(r.action, r.actor) for r in await store.history(message_id)]
        assert ("released", service.worker_id) in actions


async def test_an_account_refusal_spends_no_retry(
    make_service: ServiceFactory, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    service = make_service(settings=dataclasses.replace(SETTINGS, max_attempts=2))
    sim.set_faults(parse_faults("deny=79001_BV"))
    [message_id] = await accept_all(store, batch("79001", 1, first_seed=1100))
    await service.deliver_due()  # attempt 1: refused credentials -> HELD
    sim.set_faults(parse_faults("none"))
    await service.check_held()
    sim.set_faults(parse_faults("error_rate=1"))
    await service.deliver_due()  # the first attempt since the release fails: one retry left
    message = await store.get(message_id)
    assert message is not None and message.state is State.RETRY_WAIT and message.attempts == 2
    sim.set_faults(parse_faults("none"))
    await deliver_until(service, store, clock, all_final(store))
    assert (await states(store, [message_id]))[message_id] is State.DELIVERED


async def test_a_facility_without_a_portal_account_is_held_unsent(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    [message_id] = await accept_all(store, batch("01002", 1, first_seed=1200))
    await service.deliver_due()
    message = await store.get(message_id)
    assert message is not None and message.state is State.HELD and message.sends == 0
    assert message.last_code == "portal.auth.no_account"
    assert sim.received == []


async def test_the_running_service_releases_a_held_facility_by_itself(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator
) -> None:
    accepted = await accept_all(store, batch("79001", 3, first_seed=1300))
    await store.hold_facility("79001", "operator:test", "credentials rotated")
    assert set((await states(store, accepted)).values()) == {State.HELD}
    await service.start()  # the held check runs at once, then every held_check_minutes
    try:
        await eventually(lambda: all_in(store, accepted, State.DELIVERED))
    finally:
        await service.stop()
