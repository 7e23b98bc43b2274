"""What the workers take from the store: the retry window on the lease (the deadline counts
from the first send, across restarts, and again after a release), the held facilities with their
counts, and leases that skip facilities whose destination's circuit is open."""

from __future__ import annotations

import dataclasses
import random

import aiohttp

from adapters.portal import PortalClient, PortalDirectory, PortalSettings
from adapters.portal.simulator import PortalSimulator, SimConfig, dev_accounts, parse_faults
from gateway.delivery import BreakerState, DeliveryService, PortalLogin
from gateway.delivery.errors import CIRCUIT_OPEN, RETRIES_EXHAUSTED
from gateway.outbox import State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.delivery.conftest import (
    FACILITIES,
    SETTINGS,
    TIMEOUTS,
    FakeClock,
    ServiceFactory,
    directory_for,
)
from tests.delivery.documents import batch
from tests.delivery.helpers import accept_all, all_final, deliver_until, states

ONE_DAY = dataclasses.replace(SETTINGS, deadline_days=1.0, max_attempts=1000)


async def test_the_deadline_counts_from_the_first_send_even_after_a_restart(
    make_service: ServiceFactory, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    sim.set_faults(parse_faults("error_rate=1"))
    [message_id] = await accept_all(store, batch("01001", 1, first_seed=1400))
    await make_service(settings=ONE_DAY).deliver_due()  # the first send fails
    clock.advance(hours=25)  # the gateway was down for a day
    await make_service(settings=ONE_DAY, worker_id="delivery:restarted").deliver_due()
    message = await store.get(message_id)
    assert message is not None and message.state is State.DEAD and message.last_code == RETRIES_EXHAUSTED
    assert message.attempts == 2


async def test_a_release_starts_the_deadline_again(
    make_service: ServiceFactory, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    service = make_service(settings=ONE_DAY)
    sim.set_faults(parse_faults("deny=01001_BV"))
    [message_id] = await accept_all(store, batch("01001", 1, first_seed=1450))
    await service.deliver_due()  # refused credentials: HELD
    clock.advance(hours=25)
    sim.set_faults(parse_faults("none"))
    assert await service.check_held() == {"01001": 1}
    sim.set_faults(parse_faults("error_rate=1"))
    await service.deliver_due()
    message = await store.get(message_id)
    assert message is not None and message.state is State.RETRY_WAIT  # not a day since the release


async def test_the_status_shows_each_held_facility_with_its_documents_and_since_when(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    sim.set_faults(parse_faults("deny=79001_BV"))
    held_at = clock()
    await accept_all(store, batch("79001", 3, first_seed=1500))
    await service.deliver_due()
    assert await service.check_held() == {}  # the login is still refused
    [hold] = service.status().holds
    assert (hold.facility, hold.documents, hold.since) == ("79001", 3, held_at)
    shown = service.status().to_json()["holds"]
    assert isinstance(shown, list) and shown[0]["documents"] == 3


async def test_an_operator_hold_with_nothing_waiting_is_released_when_the_login_works(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    await store.hold_facility("01001", "operator:test", "password being rotated")
    assert await service.check_held() == {"01001": 0}
    assert await store.held_facilities() == []
    accepted = await accept_all(store, batch("01001", 1, first_seed=1550))
    assert set((await states(store, accepted)).values()) == {State.QUEUED}  # not HELD on arrival


async def test_an_open_circuit_stops_leasing_its_facilities_while_the_others_are_delivered(
    store: SqliteOutboxStore, sim: PortalSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    other = PortalSimulator(SimConfig(accounts=dev_accounts(FACILITIES), clock=clock, seed=4), shutdown_timeout=0.5)
    other_url = await other.start()
    try:
        portal = PortalDirectory({**directory_for(sim.url, ("01001",)).accounts,
                                  **directory_for(other_url, ("79001",)).accounts})  # fmt: skip
        client = PortalClient(session, portal, clock=clock, settings=PortalSettings(timeouts=TIMEOUTS))
        service = DeliveryService(store, client, portal, settings=SETTINGS, clock=clock, worker_id="delivery:two",
                                  login=PortalLogin(session, clock=clock, timeouts=TIMEOUTS), rng=random.Random(7))
        sim.set_faults(parse_faults("down=0..3600"))
        down = await accept_all(store, batch("01001", 12, first_seed=1600))
        await service.deliver_due()  # 8 sends fail: the circuit of 01001's portal opens
        assert [c.state for c in service.status().circuits] == [BreakerState.OPEN]
        up = await accept_all(store, batch("79001", 6, first_seed=1600))
        await service.deliver_due()
        assert set((await states(store, up)).values()) == {State.DELIVERED}
        assert service.status().counters["deferred"] == 0  # nothing leased only to be put off
        untouched = [m for m in down if (message := await store.get(m)) and message.state is State.QUEUED]
        assert len(untouched) == 4
        for message_id in down:
            message = await store.get(message_id)
            assert message is not None and message.last_code != CIRCUIT_OPEN
        sim.set_faults(parse_faults("none"))
        await deliver_until(service, store, clock, all_final(store))
        assert set((await states(store, down)).values()) == {State.DELIVERED}
    finally:
        await other.stop()
