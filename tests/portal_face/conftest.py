"""Fixtures of the portal-face tests: the HTTP tests' PKI and documents, and gateways with two
portal-face accounts (01001_BV, 79001_BV; password "secret-<code>"), a movable clock and
monotonic; the portal simulator (whose accounts have another password: the gateway's own)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.portal import Credentials, FacilityAccount, PortalDirectory, PortalSettings, Timeouts
from adapters.portal.simulator import DEV_PASSWORD, PortalSimulator, SimConfig, dev_accounts
from gateway.config import PortalAccount, PortalFaceConfig, Settings
from gateway.http.app import make_app
from gateway.http.portal_face.accounts import hash_password, md5_hex
from gateway.outbox.timeutil import utc_now
from gateway.signing.devpki import DevPki
from tests.http.conftest import documents, pki, signer  # noqa: F401 - fixtures
from tests.http.support import gateway_settings

from .his import VendorHis

PASSWORDS = {code: f"secret-{code}" for code in ("01001", "79001")}
TIMEOUTS = Timeouts(connect=2.0, read=5.0, total=10.0)


@dataclass
class Clocks:
    offset: timedelta = timedelta()
    seconds: float = 1000.0

    def now(self) -> datetime:
        return utc_now() + self.offset

    def monotonic(self) -> float:
        return self.seconds


@dataclass
class Face:
    app: web.Application
    client: TestClient[Any, Any]
    clocks: Clocks
    settings: Settings

    def his(self, facility: str, password: str | None = None) -> VendorHis:
        return VendorHis(self.client, facility, PASSWORDS[facility] if password is None else password)


def face_settings(base: Path, dev_pki: DevPki, *, require_tls: bool = False,
                  accounts: Sequence[str] = tuple(PASSWORDS), **changes: Any) -> Settings:
    table = {f"{code}_BV": PortalAccount(f"{code}_BV", code, hash_password(md5_hex(PASSWORDS[code])))
             for code in accounts}
    settings = gateway_settings(base, dev_pki, **changes)
    return replace(settings, portal_face=PortalFaceConfig(
        require_tls=require_tls, token_ttl_seconds=3600, max_failures=5, lockout_seconds=900,
        take_rate=0.1, take_burst=12, accounts=MappingProxyType(table)))


MakeFace = Callable[..., Awaitable[Face]]


@pytest.fixture
async def make_face(aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], tmp_path: Path,
                    pki: DevPki) -> MakeFace:  # noqa: F811
    """`await make_face(base=..., components=..., clocks=..., **settings)`: a gateway with the face."""

    async def make(*, base: Path | None = None, components: Sequence[Any] = (), clocks: Clocks | None = None,
                   **changes: Any) -> Face:
        clocks = clocks or Clocks()
        settings = face_settings(base or tmp_path, pki, **changes)
        app = make_app(settings, components=components, clock=clocks.now, monotonic=clocks.monotonic)
        return Face(app, await aiohttp_client(app), clocks, settings)

    return make


@pytest.fixture
async def face(make_face: MakeFace) -> Face:
    return await make_face()


@pytest.fixture
async def sim() -> AsyncIterator[PortalSimulator]:
    simulator = PortalSimulator(SimConfig(accounts=dev_accounts(tuple(PASSWORDS)), seed=5), shutdown_timeout=0.5)
    await simulator.start()
    yield simulator
    await simulator.stop()


def gateway_portal_accounts(url: str) -> PortalDirectory:
    """The gateway's own accounts at the portal (password DEV_PASSWORD, not the hospitals')."""
    return PortalDirectory.of(*(
        FacilityAccount(code, Credentials.from_password(f"{code}_BV", DEV_PASSWORD), base_url=url)
        for code in PASSWORDS
    ))  # fmt: skip


PORTAL_SETTINGS = PortalSettings(timeouts=TIMEOUTS)
