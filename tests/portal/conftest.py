"""Fixtures of the portal tests: the simulator on an ephemeral loopback port, a client over a
real aiohttp session, one fake clock shared by both, and sample documents from the generator.

Tests never reach beyond loopback (an autouse fixture refuses any other connection) and never
sleep: time moves when the fake clock is told to; the few timeout tests wait a few tens of ms.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
from adapters.portal.simulator import DEV_PASSWORD, PortalSimulator, SimConfig
from gateway.samples import GeneratedFile, generate

START = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
FACILITY = "01001"
USERNAME = "01001_BV"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class Documents:
    envelope: GeneratedFile
    envelope2: GeneratedFile
    checkin: GeneratedFile
    assessment: GeneratedFile
    invalid: GeneratedFile



@pytest.fixture(scope="session")
def documents() -> Documents:
    files = generate(None, 25, seed=11, invalid_rate=0.1, profile="small")
    envelopes = [f for f in files if f.kind == "envelope" and f.valid]
    invalid = next(f for f in files if f.kind == "envelope" and not f.valid)
    checkin = next(f for f in files if f.kind == "XML0")
    assessment = next(f for f in files if f.kind == "XML12")
    return Documents(envelopes[0], envelopes[1], checkin, assessment, invalid)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim_config(clock: FakeClock) -> SimConfig:
    return SimConfig(clock=clock, seed=1)


@pytest.fixture
async def sim(sim_config: SimConfig) -> AsyncIterator[PortalSimulator]:
    simulator = PortalSimulator(sim_config, shutdown_timeout=1.0)
    await simulator.start()
    yield simulator
    await simulator.stop()


def account(url: str, facility: str = FACILITY, password: str = DEV_PASSWORD) -> FacilityAccount:
    return FacilityAccount(facility, Credentials.from_password(f"{facility}_BV", password), base_url=url)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


SETTINGS = PortalSettings(timeouts=Timeouts(connect=2.0, read=5.0, total=10.0))


@pytest.fixture
def client(session: aiohttp.ClientSession, sim: PortalSimulator, clock: FakeClock) -> PortalClient:
    directory = PortalDirectory.of(account(sim.url), account(sim.url, "79001"))
    return PortalClient(session, directory, clock=clock, settings=SETTINGS)
