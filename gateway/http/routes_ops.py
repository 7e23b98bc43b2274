"""Operations: GET /healthz (the process answers), GET /readyz (the store answers and has disk
above its watermark, every background component runs), GET /metrics (Prometheus).

None of them needs credentials and none of them says anything about a facility or a document.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.http import keys
from gateway.http.metrics import CONTENT_TYPE
from gateway.outbox import OutboxError
from gateway.outbox.errors import DISK_WATERMARK

READY_TIMEOUT_SECONDS = 2.0


def add_routes(app: web.Application) -> None:
    """Register the operations routes."""
    app.router.add_get("/healthz", healthz, allow_head=False)
    app.router.add_get("/readyz", readyz, allow_head=False)
    app.router.add_get("/metrics", metrics, allow_head=False)


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: 200 while the process serves requests."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: 200 when the gateway can take documents, 503 (with what is wrong) if not."""
    store_check = await _store_check(request.app)
    components = request.app.get(keys.COMPONENTS)
    status = components.status() if components is not None else []
    for name, running in status:
        request.app[keys.METRICS].component_up.labels(name).set(1 if running else 0)
    all_started = components is not None and len(status) == components.expected
    ready = bool(store_check["ok"]) and all_started and all(running for _, running in status)
    body = {
        "ready": ready,
        "store": store_check,
        "components": [{"name": name, "running": running} for name, running in status],
    }
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: this application's metrics in the Prometheus text format."""
    body = request.app[keys.METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def _store_check(app: web.Application) -> dict[str, Any]:
    store = app.get(keys.STORE)
    if store is None:
        return {"ok": False, "code": "store.closed"}
    try:
        await asyncio.wait_for(store.list_messages(limit=1), READY_TIMEOUT_SECONDS)
    except (OutboxError, TimeoutError) as exc:
        return {"ok": False, "code": getattr(exc, "code", "store.timeout")}
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        watermark = app[keys.SETTINGS].store.min_free_bytes
        free = await asyncio.to_thread(_free, path.parent)
        if free is not None and free < watermark:
            return {"ok": False, "code": DISK_WATERMARK}
    return {"ok": True, "code": None}


def _free(directory: Path) -> int | None:
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None
