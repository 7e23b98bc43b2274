"""The DeliveryService's life: start, status, graceful stop, and what happens to a send that a
stopping (or dying) process abandons: its lease runs out and another worker re-sends, audited."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from adapters.portal import PortalClient
from adapters.portal.simulator import PortalSimulator
from gateway.delivery import DeliveryService, DeliverySettings
from gateway.delivery.errors import DeliveryConfigError
from gateway.delivery.worker import kept_leased
from gateway.outbox import State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.delivery.conftest import SETTINGS, FakeClock, ServiceFactory
from tests.delivery.documents import batch
from tests.delivery.helpers import accept_all, audit_actions, states
from tests.delivery.test_delivery import GatedSender


async def test_start_and_stop_are_idempotent_and_running_says_which(
    service: DeliveryService,
) -> None:
    assert not service.running
    await service.start()
    await service.start()
    assert service.running and service.status().running
    await service.stop()
    await service.stop()
    assert not service.running
    assert service.status().to_json()["worker_id"] == "delivery:test"


async def test_stop_abandons_a_stuck_send_after_the_timeout_and_another_worker_resends_it(
    store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock, client: PortalClient,
    make_service: ServiceFactory,
) -> None:  # fmt: skip
    stuck = GatedSender(client)
    quick = dataclasses.replace(SETTINGS, stop_timeout_seconds=0.2)
    first = make_service(stuck, settings=quick, worker_id="delivery:first")
    [message_id] = await accept_all(store, batch("01001", 1, first_seed=1400))
    await first.start()
    await stuck.arrived.wait()
    started = time.monotonic()
    await first.stop()
    assert time.monotonic() - started < quick.stop_timeout_seconds + 0.5
    assert (await states(store, [message_id]))[message_id] is State.SENDING
    second = make_service(worker_id="delivery:second")
    assert await second.deliver_due() == 0  # the abandoned lease is still running
    clock.advance(seconds=SETTINGS.lease_seconds)
    assert await second.deliver_due() == 1
    assert (await states(store, [message_id]))[message_id] is State.DELIVERED
    actions = await audit_actions(store, message_id)
    assert actions[actions.index("send") + 1] == "lease_expired" and "resend" in actions


async def test_a_slow_send_keeps_its_lease(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await accept_all(store, batch("01001", 1, first_seed=1500))
    [lease] = await store.lease("w", clock(), 1, 30)
    renewals = asyncio.Event()
    count = 0

    async def sleep(seconds: float) -> None:  # a fake sleep: time passes on the fake clock
        nonlocal count
        clock.advance(seconds=seconds)
        count += 1
        if count == 4:
            renewals.set()
        await asyncio.sleep(0)

    assert await store.mark_sending(lease)
    async with kept_leased(store, lease, sleep):
        await renewals.wait()
        await asyncio.sleep(0.05)  # the fourth renewal reaches the store
        assert clock() > lease.expires_at  # the original lease would have run out
        assert await store.lease("other", clock(), 1, 30) == []


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(DeliveryConfigError):
        DeliverySettings(concurrency=0)
    with pytest.raises(DeliveryConfigError):
        DeliverySettings(retry_base_seconds=10, retry_cap_seconds=1)
