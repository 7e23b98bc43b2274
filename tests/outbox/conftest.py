"""Fixtures of the outbox tests: a fake clock, a store in a temporary directory, a signer."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.outbox import DocumentType, OutboxSettings, Submission
from gateway.outbox.checkpoint import GatewayCheckpointSigner
from gateway.outbox.sqlite_store import SqliteOutboxStore
from gateway.signing.devpki import DevPki, init_dev_pki
from gateway.signing.signer import FileKeySigner

START = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def submission(
    keys: tuple[str, ...] = ("LK001",),
    content: str = "v1",
    *,
    facility: str = "01001",
    document_type: DocumentType = DocumentType.ENVELOPE,
    idempotency_key: str | None = None,
    signature: str = "",
) -> Submission:
    """A submission whose content digest is that of `content`; `signature` changes the bytes
    received (as a new CHUKYDONVI would) without changing the digest."""
    body = f"<GIAMDINHHS><X>{content}</X><CHUKYDONVI>{signature}</CHUKYDONVI></GIAMDINHHS>".encode()
    digest = hashlib.sha256(content.encode()).hexdigest()
    return Submission(facility, document_type, keys, digest, body, f"facility:{facility}",
                      idempotency_key=idempotency_key)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return init_dev_pki(tmp_path_factory.mktemp("pki"), ("01001",), now=START - timedelta(days=1))


@pytest.fixture(scope="session")
def checkpoint_signer(dev_pki: DevPki) -> GatewayCheckpointSigner:
    return GatewayCheckpointSigner(FileKeySigner.from_pki(dev_pki.base))


StoreFactory = Callable[..., Awaitable[SqliteOutboxStore]]


@pytest.fixture
async def open_test_store(
    tmp_path: Path, clock: FakeClock, checkpoint_signer: GatewayCheckpointSigner
) -> AsyncIterator[StoreFactory]:
    """`await open_test_store(**settings)`: a started store in tmp_path (closed afterwards)."""
    opened: list[SqliteOutboxStore] = []

    async def make(*, probe: Callable[[Path], int] | None = None, **settings: object) -> SqliteOutboxStore:
        chosen = OutboxSettings(**{"min_free_bytes": 0, **settings})  # type: ignore[arg-type]
        store = SqliteOutboxStore(tmp_path / "outbox.db", clock=clock, settings=chosen,
                                  checkpoint_signer=checkpoint_signer,
                                  disk_probe=probe or (lambda _p: 10**12))
        await store.open()
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_test_store: StoreFactory) -> SqliteOutboxStore:
    return await open_test_store()
