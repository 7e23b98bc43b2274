"""`gateway replay` and `gateway release` on the store in a data directory, audited."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.delivery import commands
from gateway.outbox import OutboxSettings, Outcome, State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.delivery.documents import batch, versions


def gateway(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="gateway")
    commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.handler(args))


async def opened(data: Path) -> SqliteOutboxStore:
    store = SqliteOutboxStore(data / "outbox.db", settings=OutboxSettings(min_free_bytes=0))
    await store.open()
    return store


async def make_dead(data: Path, facility: str, seeds: range) -> list[str]:
    """Accept one document per seed and let each die (the retry policy gave up)."""
    store = await opened(data)
    try:
        ids = [
            (await store.accept(versions(facility, seed)[0].submission())).message_id
            for seed in seeds
        ]
        for lease in await store.lease("w", datetime.now(UTC), 100, 60):
            assert await store.mark_sending(lease)
            assert await store.record_outcome(
                lease, Outcome.dead("delivery.retries_exhausted", "gave up")
            )
        return ids
    finally:
        await store.close()


async def read(data: Path, ids: list[str]) -> tuple[list[State], list[list[tuple[str, str]]]]:
    store = await opened(data)
    try:
        found = [await store.get(i) for i in ids]
        trails = [[(r.action, r.actor) for r in await store.history(i)] for i in ids]
        return [m.state for m in found if m is not None], trails
    finally:
        await store.close()


def test_replay_puts_a_dead_document_back_in_the_queue_audited(tmp_path: Path) -> None:
    [message_id] = asyncio.run(make_dead(tmp_path, "01001", range(1)))
    assert gateway("replay", message_id, "--reason", "portal fixed", "--operator", "lan",
                   "--data", str(tmp_path)) == 0  # fmt: skip
    found, [trail] = asyncio.run(read(tmp_path, [message_id]))
    assert found == [State.QUEUED] and ("replay", "lan") in trail


def test_replay_dead_replays_every_dead_document_of_a_facility(tmp_path: Path) -> None:
    ours = asyncio.run(make_dead(tmp_path, "01001", range(3)))
    theirs = asyncio.run(make_dead(tmp_path, "79001", range(2)))
    assert gateway("replay", "--dead", "--facility", "01001", "--reason", "r", "--operator", "lan",
                   "--store", f"sqlite:///{tmp_path / 'outbox.db'}") == 0  # fmt: skip
    found, _ = asyncio.run(read(tmp_path, ours + theirs))
    assert found == [State.QUEUED] * 3 + [State.DEAD] * 2


def test_replay_of_a_document_that_is_not_dead_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [message_id] = asyncio.run(make_dead(tmp_path, "01001", range(1)))
    assert (
        gateway("replay", message_id, "--reason", "r", "--operator", "lan", "--data", str(tmp_path))
        == 0
    )
    assert (
        gateway("replay", message_id, "--reason", "r", "--operator", "lan", "--data", str(tmp_path))
        == 1
    )
    assert "outbox.invalid_transition" in capsys.readouterr().out


def test_replay_needs_an_id_or_dead(tmp_path: Path) -> None:
    assert gateway("replay", "--reason", "r", "--operator", "lan", "--data", str(tmp_path)) == 2
    assert (
        gateway(
            "replay", "X", "--dead", "--reason", "r", "--operator", "lan", "--data", str(tmp_path)
        )
        == 2
    )
    assert (
        gateway("replay", "X", "--reason", " ", "--operator", "lan", "--data", str(tmp_path)) == 2
    )


def test_release_returns_a_held_facility_to_the_queue_at_once_audited(tmp_path: Path) -> None:
    async def held() -> list[str]:
        store = await opened(tmp_path)
        try:
            ids = [
                (await store.accept(d.submission())).message_id
                for d in batch("79001", 3, first_seed=50)
            ]
            await store.hold_facility(
                "79001", "delivery:w", "portal credentials failed (portal.auth.401)"
            )
            return ids
        finally:
            await store.close()

    ids = asyncio.run(held())
    assert (
        gateway("release", "--facility", "79001", "--operator", "lan", "--data", str(tmp_path)) == 0
    )
    found, trails = asyncio.run(read(tmp_path, ids))
    assert found == [State.QUEUED] * 3
    assert all(("released", "lan") in trail for trail in trails)
