"""/healthz, /readyz (store and components), /metrics, and how background components plug in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.http import keys
from gateway.outbox import OutboxSettings
from gateway.outbox.sqlite_store import SqliteOutboxStore

from .conftest import StartGateway
from .support import Documents


class Worker:
    """What a delivery worker looks like to the app: start, stop, running."""

    name = "delivery"

    def __init__(self, app: web.Application | None = None) -> None:
        self.events: list[str] = []
        self.running = False
        self.store_seen = app[keys.STORE] if app is not None else None

    async def start(self) -> None:
        self.events.append("start")
        self.running = True

    async def stop(self) -> None:
        self.events.append("stop")
        self.running = False


async def test_healthz_answers(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    reply = await gw.call("GET", "/healthz")
    assert reply.status == 200 and reply.body == {"status": "ok"}


async def test_readyz_reports_the_store_and_every_component(start_gateway: StartGateway) -> None:
    worker = Worker()
    gw = await start_gateway(components=[worker])
    reply = await gw.call("GET", "/readyz")
    assert reply.status == 200 and reply.body["ready"] is True
    names = [c["name"] for c in reply.body["components"]]
    assert names[-1] == "delivery" and "callbacks" in names and worker.events == ["start"]
    worker.running = False  # the worker died
    down = await gw.call("GET", "/readyz")
    assert down.status == 503 and down.body["ready"] is False
    assert {"name": "delivery", "running": False} in down.body["components"]


async def test_a_component_factory_gets_the_open_store_and_stops_before_it_closes(
    start_gateway: StartGateway,
) -> None:
    made: list[Worker] = []

    def factory(app: web.Application) -> Worker:
        made.append(Worker(app))
        return made[-1]

    entered: list[str] = []

    @asynccontextmanager
    async def context_component() -> AsyncIterator[None]:
        entered.append("in")
        yield
        entered.append("out")

    gw = await start_gateway(components=[factory, context_component()])
    assert made and made[0].store_seen is gw.store and made[0].events == ["start"]
    assert entered == ["in"]
    await gw.client.close()
    assert made[0].events == ["start", "stop"] and entered == ["in", "out"]


async def test_readyz_is_503_when_the_disk_is_at_its_watermark(
    start_gateway: StartGateway, tmp_path: Path
) -> None:
    from dataclasses import replace

    from gateway.config import StoreConfig

    gw = await start_gateway(store=replace(StoreConfig(), min_free_bytes=10**18))
    reply = await gw.call("GET", "/readyz")
    assert reply.status == 503 and reply.body["store"] == {"ok": False, "code": "store.disk_watermark"}


async def test_a_full_disk_refuses_new_documents_with_503(
    start_gateway: StartGateway, tmp_path: Path, documents: Documents
) -> None:
    store = SqliteOutboxStore(tmp_path / "full" / "outbox.db", settings=OutboxSettings(min_free_bytes=2**30),
                              disk_probe=lambda _path: 10 * 2**20)
    await store.open()
    try:
        gw = await start_gateway(outbox=store)
        reply = await gw.submit(documents.envelope(70))
        assert reply.status == 503 and reply.body["code"] == "store.disk_watermark"
        assert int(reply.headers["Retry-After"]) > 0
        page = await store.list_messages()
        assert page.items == ()  # never a 202 for something not stored
    finally:
        await store.close()


async def test_a_closed_store_answers_503(start_gateway: StartGateway, tmp_path: Path, documents: Documents) -> None:
    store = SqliteOutboxStore(tmp_path / "closed" / "outbox.db", settings=OutboxSettings(min_free_bytes=0))
    await store.open()
    gw = await start_gateway(outbox=store)
    await store.close()
    reply = await gw.submit(documents.envelope(71))
    assert reply.status == 503 and reply.body["code"].startswith("store.")
    ready = await gw.call("GET", "/readyz")
    assert ready.status == 503


async def test_metrics_are_per_app_and_name_no_facility(start_gateway: StartGateway, documents: Documents) -> None:
    gw = await start_gateway()
    await gw.submit(documents.envelope(72))
    await gw.call("GET", "/api/v1/dossiers")
    text: Any = (await gw.call("GET", "/metrics")).body
    assert 'gateway_http_requests_total{method="POST",route="/api/v1/dossiers",status="202"} 1.0' in text
    assert 'gateway_http_rejections_total{code="auth.missing"} 1.0' in text
    assert 'gateway_intake_documents_total{document_type="envelope",outcome="accepted"} 1.0' in text
    assert '"01001"' not in text and "=01001" not in text  # no facility as a label value
    other = await start_gateway(base=gw.settings.data_dir.parent / "other")
    fresh: Any = (await other.call("GET", "/metrics")).body
    assert 'route="/api/v1/dossiers",status="202"' not in fresh
