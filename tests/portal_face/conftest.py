"""Fixtures of the portal-face tests: the HTTP tests' PKI and documents, and a gateway with two
portal accounts (01001_BV, 79001_BV; password "secret-<code>"), a movable clock and monotonic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.config import PortalAccount, PortalFaceConfig
from gateway.http.app import make_app
from gateway.http.portal_face.accounts import hash_password, md5_hex
from gateway.outbox.timeutil import utc_now
from tests.http.conftest import documents, pki, signer  # noqa: F401 - fixtures
from tests.http.support import gateway_settings

PASSWORDS = {code: f"secret-{code}" for code in ("01001", "79001")}


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
    client: TestClient[Any, Any]
    clocks: Clocks


@pytest.fixture
async def face(aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], tmp_path: Path,
               pki: Any) -> Face:  # noqa: F811
    accounts = {f"{code}_BV": PortalAccount(f"{code}_BV", code, hash_password(md5_hex(password)))
                for code, password in PASSWORDS.items()}
    settings = gateway_settings(tmp_path, pki)
    settings = replace(settings, portal_face=PortalFaceConfig(
        require_tls=False, token_ttl_seconds=3600, max_failures=5, lockout_seconds=900,
        take_rate=0.1, take_burst=12, accounts=MappingProxyType(accounts)))
    clocks = Clocks()
    app = make_app(settings, clock=clocks.now, monotonic=clocks.monotonic)
    return Face(await aiohttp_client(app), clocks)
