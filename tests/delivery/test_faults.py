"""Faults at the portal: everything deliverable is delivered once it recovers; every re-send of a
document whose outcome was unknown is in the audit; versions arrive in order."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

from adapters.portal import PortalClient
from adapters.portal.simulator import PortalSimulator, parse_faults
from gateway.delivery import BreakerState, DeliveryService
from gateway.delivery.errors import CIRCUIT_OPEN, RETRIES_EXHAUSTED
from gateway.outbox import State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.delivery.conftest import SETTINGS, FakeClock, ServiceFactory
from tests.delivery.documents import Document, batch, versions
from tests.delivery.helpers import (
    accept_all,
    all_final,
    assert_latest_current,
    audit_actions,
    deliver_until,
    states,
)


async def assert_every_send_audited(
    store: SqliteOutboxStore, sim: PortalSimulator, accepted: dict[str, Document]
) -> None:
    """Each request that reached the portal is a `send` or `resend` record of its message, and
    a document the portal may have got twice was re-sent only as an audited `resend`."""
    for message_id, document in accepted.items():
        actions = await audit_actions(store, message_id)
        arrived = [r for r in sim.received if r.sha256 == document.sha256]
        assert len(arrived) == actions.count("send") + actions.count("resend"), (
            document.ma_lk,
            actions,
        )
        stored = sum(1 for r in arrived if r.ma_giao_dich is not None)
        assert stored <= 1 + actions.count("resend")


async def test_with_30_percent_of_requests_failing_everything_is_delivered_in_order(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    sim.set_faults(parse_faults("error_rate=0.3"))
    documents = batch("01001", 14, first_seed=300) + batch("79001", 10, first_seed=300)
    accepted = await accept_all(store, documents)
    for number in range(2, 5):  # new versions arrive while earlier ones are being retried
        await service.deliver_due()
        newer = [versions("01001", seed, 4)[number - 1] for seed in range(300, 304)]
        accepted |= await accept_all(store, newer)
    await deliver_until(service, store, clock, all_final(store))
    final = await states(store, accepted)
    assert set(final.values()) <= {State.DELIVERED, State.SUPERSEDED}
    assert_latest_current(sim, accepted.values())
    await assert_every_send_audited(store, sim, accepted)
    assert any(r.fault == "error" for r in sim.received)
    assert service.status().counters["unknown"] > 0  # an HTTP 500: the portal may have it


async def test_timeouts_are_resent_audited_and_the_latest_version_stays_current(
    make_service: ServiceFactory, short_client: PortalClient, store: SqliteOutboxStore, sim: PortalSimulator,
    clock: FakeClock,
) -> None:  # fmt: skip
    service = make_service(short_client)
    sim.set_faults(parse_faults("timeout_rate=0.3,reset_rate=0.1,hang_s=2"))
    documents = batch("79001", 10, first_seed=400)
    accepted = await accept_all(store, documents)
    await deliver_until(service, store, clock, all_final(store))
    assert set((await states(store, accepted)).values()) == {State.DELIVERED}
    assert_latest_current(sim, documents)
    await assert_every_send_audited(store, sim, accepted)
    resent = [m for m in accepted if "resend" in await audit_actions(store, m)]
    assert resent, "with 30% timeouts some document must have been re-sent"
    for message_id in resent:
        history = await store.history(message_id)
        record = next(r for r in history if r.action == "resend")
        assert "outcome is unknown" in record.detail_dict()["reason"]


async def test_retry_after_in_seconds_is_honoured(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    sim.set_faults(parse_faults("rate_429=1:120"))
    [message_id] = await accept_all(store, batch("01001", 1, first_seed=500))
    sent_at = clock()
    await service.deliver_due()
    message = await store.get(message_id)
    assert (
        message is not None
        and message.state is State.RETRY_WAIT
        and message.last_code == "portal.http.429"
    )
    assert message.due_at == sent_at + timedelta(seconds=120)
    clock.advance(seconds=119)
    assert await service.deliver_due() == 0
    sim.set_faults(parse_faults("none"))
    clock.advance(seconds=1)
    assert await service.deliver_due() == 1
    assert (await states(store, [message_id]))[message_id] is State.DELIVERED


async def test_retry_after_as_an_http_date_is_honoured(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    sim.set_faults(parse_faults("rate_429=1:90:date"))
    [message_id] = await accept_all(store, batch("01001", 1, first_seed=501))
    sent_at = clock()
    await service.deliver_due()
    message = await store.get(message_id)
    assert message is not None and message.due_at == sent_at + timedelta(seconds=90)
    assert message.attempts == 1


async def test_an_outage_opens_the_circuit_and_everything_is_delivered_after_it(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    sim.set_faults(parse_faults("down=0..300"))
    documents = batch("01001", 12, first_seed=600)
    accepted = await accept_all(store, documents)
    await service.deliver_due()  # 8 sends fail: the circuit opens at the 5th failure
    [circuit] = service.status().circuits
    assert circuit.state is BreakerState.OPEN and circuit.times_opened == 1

    def sent() -> int:  # the token endpoint is down too: nothing reaches a submission path
        return service.status().counters["sent"]

    assert sent() == SETTINGS.concurrency
    assert await service.deliver_due() == 0  # the circuit cools down: the other 4 are not leased
    assert sent() == SETTINGS.concurrency
    waiting = [m for m in accepted if (message := await store.get(m)) and message.state is State.QUEUED]
    assert len(waiting) == 4
    for message_id in waiting:
        message = await store.get(message_id)
        assert message is not None and message.attempts == 0 and message.last_code is None
    clock.advance(seconds=SETTINGS.breaker_cooldown_seconds)
    await service.deliver_due()  # one probe, still down: open again; the rest put off, unsent
    assert service.status().circuits[0].times_opened == 2
    assert sent() == SETTINGS.concurrency + 1
    put_off = [
        m for m in accepted if (message := await store.get(m)) and message.last_code == CIRCUIT_OPEN
    ]
    assert len(put_off) == SETTINGS.concurrency - 1
    clock.advance(seconds=300)
    await deliver_until(service, store, clock, all_final(store))
    assert set((await states(store, accepted)).values()) == {State.DELIVERED}
    [circuit] = service.status().circuits
    assert circuit.state is BreakerState.CLOSED and circuit.consecutive_failures == 0
    assert_latest_current(sim, documents)


async def test_after_the_maximum_attempts_a_document_is_dead_until_replayed(
    make_service: ServiceFactory, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    service = make_service(settings=dataclasses.replace(SETTINGS, max_attempts=3))
    sim.set_faults(parse_faults("error_rate=1"))
    [message_id] = await accept_all(store, batch("79001", 1, first_seed=700))
    await deliver_until(service, store, clock, all_final(store))
    message = await store.get(message_id)
    assert message is not None and message.state is State.DEAD and message.attempts == 3
    assert message.last_code == RETRIES_EXHAUSTED
    assert len(sim.received) == 3
    clock.advance(days=3)
    assert await service.deliver_due() == 0  # DEAD stays DEAD
    sim.set_faults(parse_faults("none"))
    await store.replay(message_id, "operator:lan", "portal fixed")
    await service.deliver_due()
    assert (await states(store, [message_id]))[message_id] is State.DELIVERED


async def test_retries_stop_before_the_deadline_would_pass(
    service: DeliveryService, store: SqliteOutboxStore, sim: PortalSimulator, clock: FakeClock
) -> None:
    sim.set_faults(parse_faults("error_rate=1"))
    [message_id] = await accept_all(store, batch("79001", 1, first_seed=701))
    await service.deliver_due()  # the first attempt: the deadline counts from here
    clock.advance(days=SETTINGS.deadline_days)
    await service.deliver_due()
    message = await store.get(message_id)
    assert message is not None and message.state is State.DEAD and message.attempts == 2
    assert "retry policy stopped after attempt 2" in (message.last_reason or "")


async def test_under_every_fault_at_once_everything_deliverable_is_delivered(
    make_service: ServiceFactory, short_client: PortalClient, store: SqliteOutboxStore, sim: PortalSimulator,
    clock: FakeClock,
) -> None:  # fmt: skip
    service = make_service(short_client)
    documents = batch("01001", 10, first_seed=800) + batch("79001", 10, first_seed=800)
    refused = documents[3]
    sim.set_faults(parse_faults(
        "error_rate=0.1,timeout_rate=0.05,reset_rate=0.05,rate_429=0.1:2,burst_5xx=6@10,"
        f"refuse={refused.ma_lk},down=30..90,hang_s=2"
    ))  # fmt: skip
    accepted = await accept_all(store, documents)
    await deliver_until(service, store, clock, all_final(store))
    final = await states(store, accepted)
    for message_id, document in accepted.items():
        assert final[message_id] is (State.REFUSED if document is refused else State.DELIVERED)
    assert_latest_current(sim, [d for d in documents if d is not refused])
    assert sum(1 for r in sim.received if r.sha256 == hashlib.sha256(refused.content).hexdigest()
               and r.fault == "refuse") == 1  # fmt: skip
    await assert_every_send_audited(store, sim, accepted)
