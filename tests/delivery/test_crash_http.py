"""Crash, through the HTTP API: the real `gateway serve` (intake, store, delivery workers) runs as
a subprocess delivering to the portal simulator; hospitals submit facility-signed dossiers, and
newer versions of them, concurrently; the gateway is killed with SIGKILL at random moments
(while accepting, and once while only delivering) and restarted on the same data directory.

At the end, after delivery drained: for every MA_LK the portal holds the latest version that got
a 202 (or a later one whose client got no answer) and took the versions in order; a dossier
whose client got an error answer never reached the portal; every send is in the audit, and
re-sends are bounded by the sends in flight at the kills, each audited as `resend`;
`gateway audit verify` passes."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from adapters.portal.simulator import PortalSimulator, SimConfig, dev_accounts, parse_faults
from gateway.outbox import Message, MessageFilter, OutboxSettings, State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from gateway.signing import FileKeySigner, TrustStore
from gateway.signing.devpki import init_dev_pki
from tests.delivery.gateway_process import (
    ROOT,
    GatewayProcess,
    GatewaySetup,
    free_port,
    pending,
    sends_in_flight,
)
from tests.delivery.his_clients import Answer, Dossier, Submitted, plans, submit_all

FACILITIES = ("01001", "79001")
KILLS_WHILE_ACCEPTING = 3
WORKERS = """concurrency = 4
lease_seconds = 4.0
poll_seconds = 0.05
retry_base_seconds = 0.05
retry_cap_seconds = 0.5
breaker_cooldown_seconds = 0.5
held_check_minutes = 0.05
stop_timeout_seconds = 5.0"""


async def until(check: Callable[[], bool], seconds: float) -> bool:
    """Poll `check` until it holds (True) or `seconds` pass (False)."""
    try:
        async with asyncio.timeout(seconds):
            while not check():
                await asyncio.sleep(0.01)
    except TimeoutError:
        return False
    return True


def allowed_current(submitted: list[Submitted]) -> set[str | None]:
    """What the portal may hold for one MA_LK, given what its client heard, in sending order:
    the last version that got a 202, or a later one whose client got no answer."""
    accepted = [n for n, s in enumerate(submitted) if s.answer is Answer.ACCEPTED]
    first = accepted[-1] if accepted else 0
    allowed: set[str | None] = {s.dossier.sha256 for s in submitted[first:] if s.answer is Answer.NONE}
    if accepted:
        allowed.add(submitted[first].dossier.sha256)
    else:
        allowed.add(None)
    return allowed


async def all_messages(store: SqliteOutboxStore) -> list[Message]:
    found: list[Message] = []
    cursor = None
    while True:
        page = await store.list_messages(MessageFilter(), cursor, 500)
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return found


@pytest.mark.slow
async def test_sigkill_through_the_http_api_loses_no_accepted_dossier_and_resends_only_what_was_in_flight(
    tmp_path: Path,
) -> None:
    rng = random.Random(os.environ.get("CRASH_SEED", "2026"))
    setup = GatewaySetup(tmp_path, free_port(), FACILITIES)
    pki = init_dev_pki(setup.data / "pki", FACILITIES)
    sim = PortalSimulator(SimConfig(
        accounts=dev_accounts(FACILITIES), seed=9, faults=parse_faults("latency_ms=10..60"),
        trust=TrustStore.load(pki.trust_dir), keep_documents=False,
    ), shutdown_timeout=0.5)  # fmt: skip
    setup.write(await sim.start(), WORKERS)
    his = plans(FileKeySigner.from_pki(pki.base), FACILITIES, rng, clients=4, lines=10, most_versions=3,
                unsigned=2)  # fmt: skip
    total = sum(len(plan) for plan in his)
    targets = sorted(rng.sample(range(3, total - 3), KILLS_WHILE_ACCEPTING))
    results: list[Submitted] = []
    lost: set[tuple[str, int]] = set()  # the sends whose outcome a kill lost
    gateway = GatewayProcess(setup, tmp_path / "gateway.log")
    connector = aiohttp.TCPConnector(force_close=True)  # a new connection per request
    async with aiohttp.ClientSession(connector=connector) as session:
        clients = [asyncio.create_task(submit_all(session, setup.url, plan, results.append)) for plan in his]
        try:
            await gateway.start(session)
            for target in targets:
                await until(lambda: len(results) >= target, 60)  # noqa: B023
                if rng.random() < 0.5:  # now and then, at a moment a send is in flight
                    await until(lambda: bool(sends_in_flight(setup.db)), 2)
                await gateway.kill()
                lost |= sends_in_flight(setup.db)
                await gateway.start(session)
            await asyncio.gather(*clients)
            await until(lambda: bool(sends_in_flight(setup.db)) or pending(setup.db) == 0, 20)
            await gateway.kill()  # while only delivering
            lost |= sends_in_flight(setup.db)
            await gateway.start(session)
            assert await until(lambda: pending(setup.db) == 0, 60), "delivery did not drain"
            assert await gateway.stop() == 0
        finally:
            for client in clients:
                client.cancel()
            await asyncio.gather(*clients, return_exceptions=True)
            await gateway.ensure_gone()
            await sim.stop()

    assert len(results) == total
    lines: dict[tuple[str, str], list[Submitted]] = {}
    for result in results:
        lines.setdefault((result.dossier.facility, result.dossier.ma_lk), []).append(result)
    version_of: dict[str, Dossier] = {r.dossier.sha256: r.dossier for r in results}
    receipts = sim.received
    for (facility, ma_lk), submitted in lines.items():
        current = sim.state.current_version(facility, ma_lk)
        assert (current.sha256 if current else None) in allowed_current(submitted), (ma_lk, submitted)
        arrived = [version_of[r.sha256].version for r in receipts if r.ma_giao_dich and ma_lk in r.keys]
        assert arrived == sorted(arrived), f"{ma_lk}: versions arrived out of order: {arrived}"
    for result in results:
        if result.answer is Answer.ERROR:  # refused at the gateway: never sent
            assert all(r.sha256 != result.dossier.sha256 for r in receipts), result
    assert any(r.answer is Answer.ERROR for r in results)  # the unsigned dossiers were refused

    store = SqliteOutboxStore(setup.db, settings=OutboxSettings(min_free_bytes=0))
    await store.open()
    try:
        messages = {m.message_id: m for m in await all_messages(store)}
        for result in results:
            if result.answer is Answer.ACCEPTED:
                assert result.message_id in messages, result
        resends = 0
        for message in messages.values():
            assert message.state in (State.DELIVERED, State.SUPERSEDED), message
            actions = [r.action for r in await store.history(message.message_id)]
            resent = actions.count("resend")
            resends += resent
            assert resent <= sum(1 for lost_id, _ in lost if lost_id == message.message_id), actions
            arrived = [r for r in receipts if r.sha256 == message.body_sha256]
            assert len(arrived) <= actions.count("send") + resent, (message.message_id, actions)  # all audited
            assert sum(r.ma_giao_dich is not None for r in arrived) <= 1 + resent
        assert resends <= len(lost)
    finally:
        await store.close()

    verify = subprocess.run(
        [sys.executable, "-m", "gateway", "audit", "verify", "--data", str(setup.data),
         "--cert", str(pki.cert("gateway"))],
        cwd=ROOT, capture_output=True, text=True, env=setup.environment(), timeout=60,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
