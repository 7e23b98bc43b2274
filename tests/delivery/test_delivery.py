"""Delivery end to end: the real store, the real portal client, the simulator on loopback."""

from __future__ import annotations

import asyncio
import enum

from adapters.portal import PortalClient, SendOutcome
from adapters.portal.simulator import PortalSimulator, parse_faults
from gateway.delivery import DeliveryService
from gateway.outbox import State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.delivery.conftest import SETTINGS, FakeClock, ServiceFactory
from tests.delivery.documents import batch, versions
from tests.delivery.helpers import (
    accept_all,
    all_final,
    all_in,
    assert_latest_current,
    deliver_until,
    eventually,
    states,
)


class GatedSender:
    """The real client, but each send waits at a gate the test opens (and says when it is there)."""

    def __init__(self, client: PortalClient) -> None:
        self.client = client
        self.arrived = asyncio.Event()
        self.gate = asyncio.Event()

    async def send(
        self,
        facility: str,
        document_type: str | enum.Enum,
        document: bytes,
        *,
        version: str | None = None,
    ) -> SendOutcome:
        self.arrived.set()
        await self.gate.wait()
        return await self.client.send(facility, document_type, document, version=version)


async def test_a_batch_is_delivered_with_its_receipts(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    documents = batch("01001", 12) + batch("79001", 8)
    accepted = await accept_all(store, documents)
    await deliver_until(service, store, clock, all_final(store))
    assert set((await states(store, accepted)).values()) == {State.DELIVERED}
    for message_id in accepted:
        message = await store.get(message_id)
        assert message is not None and message.receipt and message.receipt.startswith("SIM")
        assert message.portal_time is not None and message.sends == 1
    assert len(sim.received) == len(documents)  # each sent exactly once
    assert_latest_current(sim, documents)
    assert service.status().counters["delivered"] == len(documents)


async def test_versions_of_one_ma_lk_are_sent_in_order_and_the_latest_is_current(
    store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock, client: PortalClient,
    make_service: ServiceFactory,
) -> None:  # fmt: skip
    v1, v2, v3 = versions("01001", 40, 3)
    gated = GatedSender(client)
    service = make_service(gated)
    [first] = await accept_all(store, [v1])
    sending = asyncio.create_task(service.deliver_due())
    await gated.arrived.wait()  # v1 is SENDING (marked before the network call)
    later = await accept_all(store, [v2, v3])  # v3 supersedes v2, which was never sent
    assert await store.lease("other", clock(), 10, 60) == []  # v3 waits for v1's outcome
    gated.gate.set()
    await sending
    await deliver_until(service, store, clock, all_final(store))
    assert (await states(store, [first, *later])) == {
        first: State.DELIVERED,
        next(iter(later)): State.SUPERSEDED,
        list(later)[1]: State.DELIVERED,
    }
    assert [r.sha256 for r in sim.received] == [v1.sha256, v3.sha256]
    current = sim.state.current_version("01001", v1.ma_lk)
    assert current is not None and current.sha256 == v3.sha256 and current.versions == 2


async def test_a_refused_document_is_never_retried_and_does_not_hold_up_others(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    documents = batch("01001", 6, first_seed=100)
    poison = documents[2]
    sim.set_faults(parse_faults(f"refuse={poison.ma_lk}"))
    accepted = await accept_all(store, documents)
    await deliver_until(service, store, clock, all_final(store))
    found = await states(store, accepted)
    refused = [i for i, d in accepted.items() if d is poison]
    assert found.pop(refused[0]) is State.REFUSED
    assert set(found.values()) == {State.DELIVERED}
    for _ in range(5):  # time passes; nothing comes due again
        clock.advance(hours=6)
        assert await service.deliver_due() == 0
    assert len(sim.state.receipts_for(poison.ma_lk)) == 1
    message = await store.get(refused[0])
    assert (
        message is not None
        and message.last_code == "400"
        and "refused" in (message.last_reason or "")
    )


async def test_a_service_delivers_in_the_background_until_stopped(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator
) -> None:
    documents = batch("79001", 5, first_seed=200)
    await service.start()
    assert service.running
    accepted = await accept_all(store, documents)
    service.wake()
    await eventually(lambda: all_in(store, accepted, State.DELIVERED))
    await service.stop()
    assert not service.running
    status = service.status()
    assert status.counters["delivered"] == status.counters["sent"] == 5
    assert (
        not status.running and status.in_flight == 0 and status.concurrency == SETTINGS.concurrency
    )
    assert status.to_json()["running"] is False
