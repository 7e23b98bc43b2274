"""The watched folder: complete files only, accepted/ with the receipt, rejected/ with the
report, and no loss or double submission across a crash (the scanner re-run over a folder left
mid-way)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from gateway.config import InboxConfig
from gateway.http import keys
from gateway.http.inbox import InboxWatcher
from gateway.signing import TrustStore, verify_receipt

from .conftest import StartGateway
from .support import Documents, Gateway


class Crash(BaseException):
    """The process dies here (BaseException: nothing on the way catches it)."""


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def watcher(gw: Gateway, folder: Path, *, stable: float = 0.0, facility: str | None = "01001",
            monotonic: Clock | None = None, wall: Clock | None = None) -> InboxWatcher:
    config = InboxConfig(dir=folder, facility=facility, stable_seconds=stable)
    for sub in (folder, folder / "accepted", folder / "rejected"):
        sub.mkdir(parents=True, exist_ok=True)
    kwargs = {}
    if monotonic is not None:
        kwargs["monotonic"] = monotonic
    if wall is not None:
        kwargs["wall"] = wall
    return InboxWatcher(directory=folder, intake=gw.app[keys.INTAKE], config=config,
                        max_bytes=gw.settings.limits.dossier_body_bytes, metrics=gw.app[keys.METRICS],
                        **kwargs)


async def _messages(gw: Gateway) -> list[str]:
    return [m.message_id for m in (await gw.store.list_messages()).items]


async def test_a_complete_file_is_accepted_with_its_receipt(
    gateway: Gateway, documents: Documents, tmp_path: Path, trust: TrustStore
) -> None:
    folder = tmp_path / "inbox"
    scanner = watcher(gateway, folder)
    (folder / "dossier-1.xml").write_bytes(documents.envelope(90))
    (outcome,) = await scanner.scan_once()
    assert outcome.outcome == "accepted"
    assert not (folder / "dossier-1.xml").exists()
    assert (folder / "accepted" / "dossier-1.xml").read_bytes() == documents.envelope(90)
    receipt = verify_receipt((folder / "accepted" / "dossier-1.xml.receipt.xml").read_bytes(), trust)
    assert receipt.receipt.message_id == outcome.message_id
    answer = json.loads((folder / "accepted" / "dossier-1.xml.accepted.json").read_text())
    assert answer["id"] == outcome.message_id and await _messages(gateway) == [outcome.message_id]


async def test_an_invalid_file_is_rejected_with_its_report(
    gateway: Gateway, documents: Documents, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    scanner = watcher(gateway, folder)
    (folder / "bad.xml").write_bytes(documents.envelope(91, defect="XML1.GIOI_TINH.code"))
    (folder / "hostile.xml").write_bytes(b'<!DOCTYPE x [<!ENTITY e "e">]><GIAMDINHHS>&e;</GIAMDINHHS>')
    outcomes = {o.code for o in await scanner.scan_once()}
    assert outcomes == {"document.invalid", "xml.dtd"}
    report = json.loads((folder / "rejected" / "bad.xml.report.json").read_text())
    assert report["status"] == 422 and [e["code"] for e in report["report"]["errors"]] == ["XML1.GIOI_TINH.code"]
    assert json.loads((folder / "rejected" / "hostile.xml.report.json").read_text())["code"] == "xml.dtd"
    assert (folder / "rejected" / "bad.xml").exists() and await _messages(gateway) == []


async def test_temporary_and_hidden_files_are_left_alone(
    gateway: Gateway, documents: Documents, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    scanner = watcher(gateway, folder)
    (folder / "being-written.xml.tmp").write_bytes(documents.envelope(92)[:1000])
    (folder / ".hidden.xml").write_bytes(documents.envelope(92))
    assert await scanner.scan_once() == []
    os.rename(folder / "being-written.xml.tmp", folder / "being-written.xml")  # not complete: half a file
    (folder / "being-written.xml").write_bytes(documents.envelope(92))  # now complete
    (outcome,) = await scanner.scan_once()
    assert outcome.outcome == "accepted" and (folder / ".hidden.xml").exists()


async def test_a_file_still_growing_waits_until_it_is_stable(
    gateway: Gateway, documents: Documents, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    clock, wall = Clock(), Clock()
    scanner = watcher(gateway, folder, stable=5.0, monotonic=clock, wall=wall)
    path = folder / "slow.xml"
    document = documents.envelope(93)
    path.write_bytes(document[:5000])
    wall.now = path.stat().st_mtime  # just written
    assert await scanner.scan_once() == []
    clock.now += 3
    with open(path, "ab") as handle:  # the HIS writes more
        handle.write(document[5000:])
    wall.now = path.stat().st_mtime
    assert await scanner.scan_once() == []
    clock.now += 4  # 4 s unchanged: not yet
    assert await scanner.scan_once() == []
    clock.now += 1.5
    (outcome,) = await scanner.scan_once()
    assert outcome.outcome == "accepted"


async def test_an_old_file_found_at_startup_is_taken_at_once(
    gateway: Gateway, documents: Documents, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    scanner = watcher(gateway, folder, stable=5.0, monotonic=Clock())
    (folder / "old.xml").write_bytes(documents.envelope(94))
    os.utime(folder / "old.xml", (1_700_000_000, 1_700_000_000))
    (outcome,) = await scanner.scan_once()
    assert outcome.outcome == "accepted"


@pytest.mark.parametrize("crash_at", ["_move", "write_atomic"])
async def test_a_crash_mid_way_neither_loses_nor_doubles_a_file(
    gateway: Gateway, documents: Documents, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: str
) -> None:
    folder = tmp_path / "inbox"
    (folder).mkdir()
    (folder / "a.xml").write_bytes(documents.envelope(95))
    (folder / "b.xml").write_bytes(documents.envelope(96))
    first = watcher(gateway, folder)

    def crash(*args: object, **kwargs: object) -> None:
        raise Crash

    import gateway.http.inbox as inbox_module

    if crash_at == "_move":  # stored and receipt written, not yet moved
        monkeypatch.setattr(first, "_move", crash)
    else:  # stored, nothing written yet
        monkeypatch.setattr(inbox_module, "write_atomic", crash)
    with pytest.raises(Crash):
        await first.scan_once()
    monkeypatch.undo()
    stored = await _messages(gateway)
    assert len(stored) == 1 and (folder / "a.xml").exists()  # accepted, but still in the folder

    outcomes = await watcher(gateway, folder).scan_once()  # the restarted gateway
    assert [o.outcome for o in outcomes] == ["accepted", "accepted"]
    assert len(await _messages(gateway)) == 2  # a.xml was not submitted twice
    assert outcomes[0].message_id == stored[0]
    assert sorted(p.name for p in (folder / "accepted").iterdir()) == [
        "a.xml", "a.xml.accepted.json", "a.xml.receipt.xml", "b.xml", "b.xml.accepted.json", "b.xml.receipt.xml"]
    assert [p.name for p in folder.iterdir() if p.is_file()] == []
    history = await gateway.store.history(stored[0])
    assert [r.action for r in history].count("accepted") == 1


async def test_a_second_file_with_a_taken_name_keeps_both(
    gateway: Gateway, documents: Documents, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    scanner = watcher(gateway, folder)
    (folder / "same.xml").write_bytes(documents.envelope(97))
    (first,) = await scanner.scan_once()
    (folder / "same.xml").write_bytes(documents.envelope(98))
    (second,) = await scanner.scan_once()
    assert first.message_id != second.message_id
    names = sorted(p.name for p in (folder / "accepted").iterdir())
    assert f"same.{second.message_id}.xml" in names and "same.xml" in names


async def test_the_store_being_unavailable_leaves_the_file_for_later(
    start_gateway: StartGateway, documents: Documents, tmp_path: Path
) -> None:
    from gateway.outbox import OutboxSettings
    from gateway.outbox.sqlite_store import SqliteOutboxStore

    store = SqliteOutboxStore(tmp_path / "db" / "outbox.db", settings=OutboxSettings(min_free_bytes=2**30),
                              disk_probe=lambda _p: 0)
    await store.open()
    try:
        gw = await start_gateway(outbox=store)
        folder = tmp_path / "inbox"
        (folder).mkdir()
        (folder / "wait.xml").write_bytes(documents.envelope(99))
        (outcome,) = await watcher(gw, folder).scan_once()
        assert outcome.outcome == "deferred" and outcome.code == "store.disk_watermark"
        assert (folder / "wait.xml").exists()
    finally:
        await store.close()


async def test_an_assessment_needs_a_facility_for_the_folder(
    gateway: Gateway, documents: Documents, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    (folder).mkdir()
    (folder / "xml12.xml").write_bytes(documents.standalone("XML12", 3))
    (folder / "dossier.xml").write_bytes(documents.envelope(100))
    outcomes = {o.code or o.outcome for o in await watcher(gateway, folder, facility=None).scan_once()}
    assert outcomes == {"inbox.facility_unknown", "accepted"}


async def test_serve_with_an_inbox_watches_it(
    start_gateway: StartGateway, documents: Documents, tmp_path: Path
) -> None:
    folder = tmp_path / "watched"
    await start_gateway(inbox=InboxConfig(dir=folder, facility="01001", stable_seconds=0, poll_seconds=0.02))
    (folder / "x.xml.tmp").write_bytes(documents.envelope(101))
    os.rename(folder / "x.xml.tmp", folder / "x.xml")
    for _ in range(1000):
        if (folder / "accepted" / "x.xml").exists():
            break
        await asyncio.sleep(0.01)
    assert (folder / "accepted" / "x.xml.receipt.xml").exists()
