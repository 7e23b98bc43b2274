"""`gateway audit verify`: every way of tampering with the database is caught."""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import pytest

from gateway.outbox import commands
from gateway.outbox.audit import link_hash
from gateway.outbox.checkpoint import CHECKPOINT_FILE, Checkpoint, make_checkpoint
from gateway.outbox.sqlite_store import SqliteOutboxStore
from gateway.signing.devpki import DevPki
from tests.outbox.conftest import FakeClock, StoreFactory, submission
from tests.outbox.helpers import deliver, fail, lease_one


def run(capsys: pytest.CaptureFixture[str], data: Path, *extra: str) -> tuple[int, dict[str, object]]:
    parser = argparse.ArgumentParser(prog="gateway")
    commands.register(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["audit", "verify", "--json", "--data", str(data), *extra])
    code = parsed.handler(parsed)
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip() else {})


@pytest.fixture
async def data_dir(open_test_store: StoreFactory, clock: FakeClock, tmp_path: Path) -> Path:
    """A store with some history and two signed checkpoints (one mid-way, one at close)."""
    store = await open_test_store()
    await populate(store, clock)
    await store.close()
    return tmp_path


async def populate(store: SqliteOutboxStore, clock: FakeClock) -> None:
    for number in range(4):
        await store.accept(submission((f"LK{number}",), f"v{number}"))
    await deliver(store, await lease_one(store, clock))
    await fail(store, clock, await lease_one(store, clock), "dead")
    assert await store.checkpoint() is not None
    clock.advance(minutes=5)
    await store.accept(submission(("LK0",), "v0-corrected"))
    await deliver(store, await lease_one(store, clock))


def db(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "outbox.db", isolation_level=None)


def cert_args(pki: DevPki) -> tuple[str, str]:
    return "--cert", str(pki.cert("gateway"))


def rehash_all(conn: sqlite3.Connection) -> None:
    """What a careful forger does: recompute every hash after an edit."""
    prev = "0" * 64
    rows = conn.execute("SELECT seq, at, message_id, action, actor, from_state, to_state, body_digest, "
                        "detail FROM audit ORDER BY seq").fetchall()
    for row in rows:
        digest = link_hash(*row, prev)  # type: ignore[call-arg]
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, row[0]))
        prev = digest


def first_break(result: dict[str, object]) -> dict[str, object]:
    broken = result["first_break"]
    assert isinstance(broken, dict), result
    return broken


async def test_an_intact_store_verifies(data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 0, result
    assert result["intact"] and result["checkpoints_matched"] == 2 and result["uncovered"] == 0
    assert result["records"] == result["last_seq"]


async def test_an_edited_record_is_named(data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]) -> None:
    db(data_dir).execute("UPDATE audit SET actor = 'someone else' WHERE seq = 3")
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1
    assert first_break(result)["seq"] == 3 and "edited" in str(first_break(result)["reason"])


async def test_a_deleted_record_is_named(data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]) -> None:
    db(data_dir).execute("DELETE FROM audit WHERE seq = 4")
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1 and first_break(result)["seq"] == 4


async def test_reordered_records_are_caught(data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]) -> None:
    conn = db(data_dir)
    conn.execute("UPDATE audit SET seq = -1 WHERE seq = 5")
    conn.execute("UPDATE audit SET seq = 5 WHERE seq = 6")
    conn.execute("UPDATE audit SET seq = 6 WHERE seq = -1")
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1 and first_break(result)["seq"] == 5


async def test_a_consistently_rewritten_chain_fails_on_the_signed_checkpoint(
    data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = db(data_dir)
    conn.execute("UPDATE audit SET actor = 'forged' WHERE seq = 2")
    rehash_all(conn)
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1 and "rewritten" in str(first_break(result)["reason"])


async def test_a_rewritten_chain_with_forged_checkpoints_fails_on_the_signature(
    data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = db(data_dir)
    conn.execute("UPDATE audit SET actor = 'forged' WHERE seq = 2")
    rehash_all(conn)
    head = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    path = data_dir / "checkpoints" / CHECKPOINT_FILE
    old = [json.loads(line) for line in path.read_text().splitlines()]
    forged = [{**cp, "hash": head[1], "seq": head[0]} for cp in old]
    path.write_text("".join(json.dumps(cp) + "\n" for cp in forged))
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1 and any("signature" in str(p) for p in result["problems"])  # type: ignore[attr-defined]


async def test_records_deleted_from_the_end_are_caught(
    data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = db(data_dir)
    last = conn.execute("SELECT max(seq) FROM audit").fetchone()[0]
    conn.execute("DELETE FROM audit WHERE seq >= ?", (last - 1,))
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1 and "deleted" in str(first_break(result)["reason"])


async def test_a_state_edited_in_the_table_is_caught(
    data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    db(data_dir).execute("UPDATE messages SET state = 'QUEUED' WHERE state = 'DEAD'")
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1 and any("DEAD" in str(p) for p in result["problems"])  # type: ignore[attr-defined]


async def test_an_edited_payload_is_caught(data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]) -> None:
    db(data_dir).execute("UPDATE payloads SET content = X'00' WHERE seq = 2")
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1 and any("payload" in str(p) for p in result["problems"])  # type: ignore[attr-defined]


async def test_a_replaced_database_is_caught(
    data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    (data_dir / "outbox.db").unlink()
    for suffix in ("-wal", "-shm"):
        (data_dir / f"outbox.db{suffix}").unlink(missing_ok=True)
    fresh = SqliteOutboxStore(data_dir / "outbox.db", disk_probe=lambda _p: 10**12)
    await fresh.open()
    await fresh.accept(submission())
    await fresh.close()
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1 and any("replaced" in str(p) for p in result["problems"])  # type: ignore[attr-defined]


async def test_verify_from_a_checkpoint_checks_what_follows(
    data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoints = (data_dir / "checkpoints" / CHECKPOINT_FILE).read_text().splitlines()
    first = Checkpoint(**json.loads(checkpoints[0]))
    code, result = run(capsys, data_dir, *cert_args(dev_pki), "--since", str(first.seq))
    assert code == 0 and result["first_seq"] == first.seq + 1
    db(data_dir).execute("UPDATE audit SET actor = 'x' WHERE seq = ?", (first.seq + 1,))
    code, result = run(capsys, data_dir, *cert_args(dev_pki), "--since", first.at)
    assert code == 1 and first_break(result)["seq"] == first.seq + 1


async def test_a_checkpoint_torn_by_a_crash_is_noted_not_fatal(
    data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    with (data_dir / "checkpoints" / CHECKPOINT_FILE).open("a") as handle:
        handle.write('{"store_id": "ab')
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 0 and any("torn" in str(n) for n in result["notes"])  # type: ignore[attr-defined]


async def test_without_the_certificate_signatures_are_not_checked_and_that_is_said(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run(capsys, data_dir)
    assert code == 0 and any("not checked" in str(n) for n in result["notes"])  # type: ignore[attr-defined]


async def test_a_checkpoint_appended_after_a_torn_line_starts_on_its_own_line(
    tmp_path: Path, checkpoint_signer: object
) -> None:
    from gateway.outbox.checkpoint import CheckpointLog

    log = CheckpointLog(tmp_path)
    log.path.write_text('{"torn')
    log.append(make_checkpoint("s", 1, "h" * 64, "2026-03-04T00:00:00.000000Z", checkpoint_signer))  # type: ignore[arg-type]
    found = log.read()
    assert len(found.checkpoints) == 1 and found.errors == ("audit-checkpoints.jsonl line 1: not a checkpoint",)


def test_a_missing_database_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="gateway")
    commands.register(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["audit", "verify", "--store", f"sqlite:///{tmp_path}/none.db"])
    assert parsed.handler(parsed) == 2
    assert "no such database" in capsys.readouterr().err


async def test_the_text_report_names_the_first_broken_link(
    data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    db(data_dir).execute("UPDATE audit SET detail = '{}' WHERE seq = 2")
    parser = argparse.ArgumentParser(prog="gateway")
    commands.register(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["audit", "verify", "--data", str(data_dir), *cert_args(dev_pki)])
    assert parsed.handler(parsed) == 1
    out = capsys.readouterr().out
    assert "BROKEN at record 2" in out and out.rstrip().endswith("NOT INTACT")


@pytest.mark.parametrize("column, value", [
    ("facility", "'79001'"), ("keyset", "'[\"LK9\"]'"), ("content_digest", "'00'"), ("receipt", "'GD-forged'"),
])
async def test_an_edited_message_row_is_caught(
    data_dir: Path, dev_pki: DevPki, capsys: pytest.CaptureFixture[str], column: str, value: str
) -> None:
    db(data_dir).execute(f"UPDATE messages SET {column} = {value} WHERE state = 'DELIVERED'")
    code, result = run(capsys, data_dir, *cert_args(dev_pki))
    assert code == 1 and any(column in str(p) for p in result["problems"])  # type: ignore[attr-defined]
