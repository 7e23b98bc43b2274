"""Fixtures of the delivery tests: the real SQLite store in tmp_path, the real portal client over
a real aiohttp session, the real portal simulator on loopback, one fake clock shared by all.

Tests drive delivery round by round (`DeliveryService.deliver_due`) and move the fake clock to
the next due time instead of sleeping; only timeouts use real time (a few hundred ms).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.portal import (
    Credentials,
    FacilityAccount,
    PortalClient,
    PortalDirectory,
    PortalSettings,
    Timeouts,
)
from adapters.portal.simulator import DEV_PASSWORD, PortalSimulator, SimConfig, dev_accounts
from gateway.delivery import DeliveryService, DeliverySettings, PortalLogin, PortalSender
from gateway.outbox import OutboxSettings
from gateway.outbox.sqlite_store import SqliteOutboxStore

START = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
FACILITIES = ("01001", "79001")
TIMEOUTS = Timeouts(connect=2.0, read=5.0, total=10.0)
SHORT_TIMEOUTS = Timeouts(connect=1.0, read=0.3, total=1.0)  # for the tests of timeouts
SETTINGS = DeliverySettings(
    concurrency=8, lease_seconds=60, poll_seconds=0.01, retry_base_seconds=1.0, retry_cap_seconds=30.0,
    max_attempts=60, deadline_days=1.0, breaker_failures=5, breaker_cooldown_seconds=10.0,
    held_check_minutes=1.0, stop_timeout_seconds=1.0,
)  # fmt: skip


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now



@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SqliteOutboxStore]:
    opened = SqliteOutboxStore(tmp_path / "outbox.db", clock=clock, settings=OutboxSettings(min_free_bytes=0),
                               disk_probe=lambda _p: 10**12)  # fmt: skip
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[PortalSimulator]:
    simulator = PortalSimulator(SimConfig(accounts=dev_accounts(FACILITIES), clock=clock, seed=3),
                                shutdown_timeout=0.5)  # fmt: skip
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def directory_for(url: str, facilities: tuple[str, ...] = FACILITIES) -> PortalDirectory:
    return PortalDirectory.of(*(
        FacilityAccount(code, Credentials.from_password(f"{code}_BV", DEV_PASSWORD), base_url=url)
        for code in facilities
    ))  # fmt: skip


@pytest.fixture
def directory(sim: PortalSimulator) -> PortalDirectory:
    return directory_for(sim.url)


@pytest.fixture
def client(
    session: aiohttp.ClientSession, directory: PortalDirectory, clock: FakeClock
) -> PortalClient:
    return PortalClient(session, directory, clock=clock, settings=PortalSettings(timeouts=TIMEOUTS))


@pytest.fixture
def short_client(
    session: aiohttp.ClientSession, directory: PortalDirectory, clock: FakeClock
) -> PortalClient:
    """A client that gives up on an answer after 0.3 s (real time)."""
    return PortalClient(
        session, directory, clock=clock, settings=PortalSettings(timeouts=SHORT_TIMEOUTS)
    )


ServiceFactory = Callable[..., DeliveryService]


@pytest.fixture
def make_service(
    store: SqliteOutboxStore, session: aiohttp.ClientSession, directory: PortalDirectory, clock: FakeClock,
    client: PortalClient,
) -> ServiceFactory:  # fmt: skip
    """`make_service(sender=..., settings=..., worker_id=...)`: a DeliveryService on the test's
    store, simulator and clock (the real client unless another sender is given)."""

    def make(sender: PortalSender | None = None, settings: DeliverySettings = SETTINGS,
             worker_id: str = "delivery:test") -> DeliveryService:  # fmt: skip
        login = PortalLogin(session, clock=clock, timeouts=TIMEOUTS)
        return DeliveryService(store, sender or client, directory, settings=settings, clock=clock, login=login,
                               worker_id=worker_id, rng=random.Random(7))  # fmt: skip

    return make


@pytest.fixture
def service(make_service: ServiceFactory) -> DeliveryService:
    return make_service()
