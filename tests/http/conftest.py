"""Fixtures of the HTTP tests: one development PKI per session, sample documents, a factory of
running gateways (the real aiohttp server on loopback, the real SQLite store, real signatures),
and a capture of every log line of the session (test_zz_logs.py greps it)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.http.app import make_app
from gateway.http.logs import LOG_LEVELS
from gateway.signing import FileKeySigner, TrustStore
from gateway.signing.devpki import DevPki, init_dev_pki

from .support import Documents, Gateway, LogCapture, gateway_settings

StartGateway = Callable[..., Awaitable[Gateway]]
_CAPTURE = LogCapture()


@pytest.fixture(scope="session", autouse=True)
def log_capture() -> Iterator[LogCapture]:
    """Every log line written during the session, at the levels the gateway runs with
    (LOG_LEVELS), the gateway's own loggers down to DEBUG."""
    old = {name: logging.getLogger(name).level for name in (*LOG_LEVELS, "gateway")}
    logging.getLogger().addHandler(_CAPTURE)
    for name, level in LOG_LEVELS.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger("gateway").setLevel(logging.DEBUG)
    try:
        yield _CAPTURE
    finally:
        logging.getLogger().removeHandler(_CAPTURE)
        for name, level in old.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return init_dev_pki(tmp_path_factory.mktemp("pki"), ("01001", "79001"))


@pytest.fixture(scope="session")
def signer(pki: DevPki) -> FileKeySigner:
    return FileKeySigner.from_pki(pki.base)


@pytest.fixture(scope="session")
def trust(pki: DevPki) -> TrustStore:
    return TrustStore.load(pki.trust_dir)


@pytest.fixture(scope="session")
def documents(signer: FileKeySigner) -> Documents:
    return Documents(signer)


@pytest.fixture
async def start_gateway(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], tmp_path: Path, pki: DevPki
) -> AsyncIterator[StartGateway]:
    """`await start_gateway(**settings_changes, outbox=..., components=..., base=...)`: a gateway
    on a real loopback server; `outbox` is an already open store to use instead of its own."""

    async def start(*, base: Path | None = None, outbox: Any = None, components: Any = (),
                    monotonic: Any = None, **changes: Any) -> Gateway:
        settings = gateway_settings(base or tmp_path, pki, **changes)
        app = make_app(settings, store=outbox, components=components, monotonic=monotonic)
        client = await aiohttp_client(app)
        return Gateway(app, client, settings)

    yield start


@pytest.fixture
async def gateway(start_gateway: StartGateway) -> Gateway:
    return await start_gateway()

