"""The simulated assessment portal as an aiohttp application (`make_portal_app`).

The portal's routes (api.py) plus an inspection API for tests and the demo, under `/_sim/`:

    GET  /_sim/received[?key=MA_LK]   every raw submission received, in order (no content)
    GET  /_sim/current                the current version of each facility + key
    GET  /_sim/faults                 {"spec": "..."}: the faults now in force
    POST /_sim/faults                 body: a SPEC string, or {"spec": "..."}; "none" clears
    GET  /_sim/tokens                 token requests per username
    GET  /_sim/cards                  the seeded card dataset (synthetic people)
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from adapters.portal.errors import PortalConfigError
from adapters.portal.paths import CARD_LOOKUP_PATH, TOKEN_PATH, submit_paths
from adapters.portal.simulator import api
from adapters.portal.simulator.config import SimConfig
from adapters.portal.simulator.faults import parse_faults
from adapters.portal.simulator.keys import STATE
from adapters.portal.simulator.state import SimState

_log = logging.getLogger("adapters.portal.simulator")


def make_portal_app(config: SimConfig | None = None) -> web.Application:
    """A new simulated portal with its own state (nothing is shared between apps)."""
    config = config or SimConfig()
    app = web.Application(client_max_size=config.max_body_bytes)
    app[STATE] = SimState(config)
    app.router.add_post(TOKEN_PATH, api.take_token)
    for path in submit_paths():
        app.router.add_post(path, api.submit)
    app.router.add_post(CARD_LOOKUP_PATH, api.lookup_card)
    app.router.add_get("/_sim/received", _received)
    app.router.add_get("/_sim/current", _current)
    app.router.add_get("/_sim/faults", _get_faults)
    app.router.add_post("/_sim/faults", _set_faults)
    app.router.add_get("/_sim/tokens", _tokens)
    app.router.add_get("/_sim/cards", _cards)
    app.cleanup_ctx.append(_lifetime)
    app.on_shutdown.append(_release_hanging)
    return app


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    state.started_at = state.config.clock()  # downtime windows count from here
    _log.info(json.dumps({"event": "sim.portal.start", "faults": state.faults.spec()}))
    yield
    state.released.set()
    _log.info(json.dumps({"event": "sim.portal.stop", "received": len(state.received)}))


async def _release_hanging(app: web.Application) -> None:
    # Runs before the server waits for open handlers: hanging requests end now, not at timeout.
    app[STATE].released.set()


async def _received(request: web.Request) -> web.Response:
    state = request.app[STATE]
    key = request.query.get("key")
    receipts = state.receipts_for(key) if key else state.received
    return web.json_response({"count": len(receipts), "receipts": [r.to_json() for r in receipts]})


async def _current(request: web.Request) -> web.Response:
    versions = sorted(request.app[STATE].current.values(), key=lambda v: (v.facility, v.key))
    return web.json_response({"count": len(versions), "versions": [v.to_json() for v in versions]})


async def _get_faults(request: web.Request) -> web.Response:
    return web.json_response({"spec": request.app[STATE].faults.spec()})


async def _set_faults(request: web.Request) -> web.Response:
    text = await request.text()
    if request.content_type == "application/json":
        try:
            text = str(json.loads(text).get("spec", ""))
        except (ValueError, AttributeError):
            return web.json_response({"code": "sim.fault_spec", "message": "expected {\"spec\": \"...\"}"}, status=400)
    try:
        faults = parse_faults(text)
    except PortalConfigError as exc:
        return web.json_response({"code": exc.code, "message": exc.message}, status=400)
    request.app[STATE].set_faults(faults)
    _log.info(json.dumps({"event": "sim.portal.faults", "faults": faults.spec()}))
    return web.json_response({"spec": faults.spec()})


async def _tokens(request: web.Request) -> web.Response:
    counts = request.app[STATE].token_requests
    return web.json_response({"total": sum(counts.values()), "by_username": dict(counts)})


async def _cards(request: web.Request) -> web.Response:
    return web.json_response({"cards": [
        {"maThe": c.card, "hoTen": c.name, "ngaySinh": c.birth_text, "status": c.status}
        for c in request.app[STATE].cards
    ]}, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))  # fmt: skip
