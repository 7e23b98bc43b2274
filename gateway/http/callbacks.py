"""PUT / GET / DELETE /api/v1/callback: a facility registers the URL the gateway POSTs its
signed notices to (dispatcher.py sends them), reads it back or removes it.

A callback URL is absolute https (http only with `[callbacks] allow_http`), has no credentials or
fragment, and names a public host: loopback, private, link-local and reserved addresses are
refused here and again when the name is resolved at send time (`[callbacks]
allow_private_addresses` lifts this for closed networks and tests).
"""

from __future__ import annotations

import ipaddress

from aiohttp import web
from yarl import URL

from gateway.config import CallbackConfig
from gateway.http import keys
from gateway.http.auth import require_facility
from gateway.http.errors import CALLBACK_NOT_FOUND, CALLBACK_URL, ApiError
from gateway.http.handling import caller, read_json

MAX_URL = 2048


def add_routes(app: web.Application) -> None:
    """Register the callback routes."""
    app.router.add_put("/api/v1/callback", put_callback)
    app.router.add_get("/api/v1/callback", get_callback, allow_head=False)
    app.router.add_delete("/api/v1/callback", delete_callback)


def is_public_address(text: str) -> bool:
    """True for a globally routable unicast address."""
    address = ipaddress.ip_address(text)
    return address.is_global and not address.is_multicast


def check_callback_url(text: str, config: CallbackConfig) -> str:
    """The URL if it may receive notices; raises ValueError saying why not."""
    if len(text) > MAX_URL:
        raise ValueError(f"a callback URL has at most {MAX_URL} characters")
    try:
        url = URL(text)
    except ValueError:
        raise ValueError("not a URL") from None
    allowed = ("https", "http") if config.allow_http else ("https",)
    if not url.is_absolute() or url.scheme not in allowed or not url.host:
        raise ValueError(f"the URL must be absolute and use {' or '.join(allowed)}")
    if url.user is not None or url.password is not None or url.fragment:
        raise ValueError("the URL may not carry credentials or a fragment")
    if not config.allow_private_addresses:
        host = url.host.strip("[]").lower()
        if host == "localhost" or host.endswith(".localhost"):
            raise ValueError("the URL names a local host")
        try:
            literal = is_public_address(host)
        except ValueError:
            literal = True  # a name: checked when resolved at send time
        if not literal:
            raise ValueError("the URL names a private, loopback or reserved address")
    return str(url)


async def put_callback(request: web.Request) -> web.Response:
    """PUT /api/v1/callback {"url": "https://..."}: register or replace the URL."""
    facility = require_facility(caller(request))
    settings = request.app[keys.SETTINGS]
    body = await read_json(request, settings.limits.json_body_bytes)
    url = body.get("url")
    if not isinstance(url, str):
        raise ApiError(400, CALLBACK_URL, "give {\"url\": \"https://...\"}")
    try:
        url = check_callback_url(url, settings.callbacks)
    except ValueError as exc:
        raise ApiError(400, CALLBACK_URL, str(exc)) from None
    registration = await request.app[keys.CALLBACKS].register(facility, url, request.app[keys.CLOCK]())
    return web.json_response({"url": registration.url, "updated_at": registration.updated_at})


async def get_callback(request: web.Request) -> web.Response:
    """GET /api/v1/callback: the registered URL, or 404."""
    facility = require_facility(caller(request))
    registration = await request.app[keys.CALLBACKS].registration(facility)
    if registration is None:
        raise ApiError(404, CALLBACK_NOT_FOUND, "no callback URL is registered")
    return web.json_response({"url": registration.url, "updated_at": registration.updated_at})


async def delete_callback(request: web.Request) -> web.Response:
    """DELETE /api/v1/callback: remove the URL (204), or 404 when there was none."""
    facility = require_facility(caller(request))
    if not await request.app[keys.CALLBACKS].unregister(facility):
        raise ApiError(404, CALLBACK_NOT_FOUND, "no callback URL is registered")
    return web.Response(status=204)
