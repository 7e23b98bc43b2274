"""Crash: the delivery workers run in a subprocess that is killed with SIGKILL at random moments
and restarted. At the end every accepted document is delivered, the portal holds each MA_LK's
latest version, versions arrived in order, re-sends are bounded by what was in flight at each
kill and each is in the audit, and the audit chain verifies."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from adapters.portal.simulator import PortalSimulator, SimConfig, dev_accounts, parse_faults
from gateway.outbox import OutboxSettings, State
from gateway.outbox.checkpoint import CertificateVerifier, GatewayCheckpointSigner
from gateway.outbox.sqlite_store import SqliteOutboxStore
from gateway.outbox.verify import verify_sqlite
from gateway.signing.certutil import load_certificates
from gateway.signing.devpki import DevPki, init_dev_pki
from gateway.signing.signer import FileKeySigner
from tests.delivery.conftest import FACILITIES
from tests.delivery.documents import Document, batch, versions
from tests.delivery.helpers import accept_all, assert_latest_current

ROOT = Path(__file__).resolve().parents[2]
PENDING = "state IN ('QUEUED','SENDING','RETRY_WAIT','HELD')"


def count(db: Path, where: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute(f"SELECT count(*) FROM messages WHERE {where}").fetchone()[0])


def sends_in_flight(db: Path) -> set[tuple[str, int]]:
    """The sends whose outcome a kill lost: (message, its send number) of every SENDING row."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {
            (str(i), int(n))
            for i, n in conn.execute("SELECT id, sends FROM messages WHERE state = 'SENDING'")
        }


async def accept(data: Path, pki: DevPki, documents: list[Document]) -> dict[str, Document]:
    """Accept documents while no worker runs (the store closes with a signed checkpoint)."""
    store = SqliteOutboxStore(data / "outbox.db", settings=OutboxSettings(min_free_bytes=0),
                              checkpoint_signer=GatewayCheckpointSigner(FileKeySigner.from_pki(pki.base)))  # fmt: skip
    await store.open()
    try:
        return await accept_all(store, documents)
    finally:
        await store.close()


async def start_child(data: Path, pki: DevPki, url: str, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as errors:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.delivery.crash_child", str(data), str(pki.base), url,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=errors, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    assert child.stdout is not None
    async with asyncio.timeout(20):
        assert (await child.stdout.readline()).strip() == b"READY", log.read_text()
    return child


async def until(check: object, seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.002)


def new_documents(round_number: int) -> list[Document]:
    """Fresh dossiers, and newer versions of earlier ones (which supersede or follow them)."""
    fresh = batch("01001", 8, first_seed=round_number * 100) + batch(
        "79001", 6, first_seed=round_number * 100
    )
    if round_number == 0:
        return fresh
    newer = [versions(f, seed, 4)[min(round_number, 3)] for f in FACILITIES for seed in range(0, 4)]
    return fresh + newer


@pytest.mark.slow
async def test_sigkill_at_random_moments_loses_nothing_and_resends_only_what_was_in_flight(
    tmp_path: Path,
) -> None:
    rng = random.Random(os.environ.get("CRASH_SEED", "11"))
    pki = init_dev_pki(tmp_path / "pki", ("01001",))
    data, log = tmp_path / "data", tmp_path / "child.log"
    db = data / "outbox.db"
    sim = PortalSimulator(SimConfig(accounts=dev_accounts(FACILITIES), seed=5,
                                    faults=parse_faults("latency_ms=2..15")), shutdown_timeout=0.5)  # fmt: skip
    url = await sim.start()
    accepted: dict[str, Document] = {}
    lost: set[tuple[str, int]] = set()  # a send still SENDING at the next kill is the same send
    try:
        for round_number in range(5):
            accepted |= await accept(data, pki, new_documents(round_number))
            child = await start_child(data, pki, url, log)
            target = len(sim.received) + rng.randint(0, 12)
            await until(lambda: len(sim.received) >= target or count(db, PENDING) == 0)  # noqa: B023
            child.send_signal(signal.SIGKILL)
            assert await child.wait() == -signal.SIGKILL
            lost |= sends_in_flight(db)
        child = await start_child(data, pki, url, log)
        await until(lambda: count(db, PENDING) == 0, seconds=30)
        child.send_signal(signal.SIGTERM)
        assert await child.wait() == 0, log.read_text()
    finally:
        await sim.stop()

    store = SqliteOutboxStore(db, settings=OutboxSettings(min_free_bytes=0))
    await store.open()
    try:
        resends = 0
        for message_id, document in accepted.items():
            message = await store.get(message_id)
            assert message is not None and message.state in (State.DELIVERED, State.SUPERSEDED), (
                message
            )
            actions = [r.action for r in await store.history(message_id)]
            resends += actions.count("resend")
            assert actions.count("resend") <= sum(1 for lost_id, _ in lost if lost_id == message_id)
            arrived = [r for r in sim.received if r.sha256 == document.sha256]
            assert len(arrived) <= actions.count("send") + actions.count(
                "resend"
            )  # every send audited
            assert sum(r.ma_giao_dich is not None for r in arrived) <= 1 + actions.count("resend")
        assert resends <= len(lost)
    finally:
        await store.close()
    assert_latest_current(sim, accepted.values())
    verifier = CertificateVerifier(load_certificates(pki.cert("gateway").read_bytes())[0])
    report = verify_sqlite(db, data / "checkpoints", verifier)
    assert report.ok, (report.first_break, report.problems)
