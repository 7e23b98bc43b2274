"""Typed keys of the application's and the request's state (aiohttp `AppKey` / `RequestKey`).

The app factory fills the app keys (the store and the intake once the store is open, in
`cleanup_ctx`); handlers read them from `request.app`. No module-level singletons.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from gateway.config import Settings
    from gateway.http.auth import Authenticator, Principal
    from gateway.http.callback_store import CallbackStore
    from gateway.http.components import ComponentSet
    from gateway.http.intake import Intake
    from gateway.http.metrics import Metrics
    from gateway.http.ratelimit import RateLimiter
    from gateway.outbox.store import OutboxStore
    from gateway.signing import Signer, TrustStore

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
TRUST: web.AppKey[TrustStore] = web.AppKey("trust")
SIGNER: web.AppKey[Signer] = web.AppKey("signer")
AUTH: web.AppKey[Authenticator] = web.AppKey("authenticator")
LIMITER: web.AppKey[RateLimiter] = web.AppKey("rate_limiter")
EXECUTOR: web.AppKey[Executor] = web.AppKey("cpu_executor")
STORE: web.AppKey[OutboxStore] = web.AppKey("store")
INTAKE: web.AppKey[Intake] = web.AppKey("intake")
CALLBACKS: web.AppKey[CallbackStore] = web.AppKey("callbacks")
COMPONENTS: web.AppKey[ComponentSet] = web.AppKey("components")

PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal")
MESSAGE_ID: web.RequestKey[str] = web.RequestKey("message_id")
REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id")
