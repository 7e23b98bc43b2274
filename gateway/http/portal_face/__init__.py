"""The portal-compatible face (issue 8): the assessment portal's own paths and formats, so that
a HIS switches to the gateway by changing only its base URL.

    POST /api/token/take                                 -> {"maKetQua", "APIKey": {...}}
    POST /api/qd130/guiHoSoXmlQD130|QD4750|QD3176        -> {"maKetQua", "maGiaoDich", ...}
    POST /api/qd130/checkInKcbQd130|Qd4750|Qd3176
    POST /api/qd130/guiDuLieuGdykQd130

Accounts: `[portal_face.accounts."<MACSKCB>_BV"]` (accounts.py); tokens: sessions.py (also
accepted by the native API for their facility); answers and codes: answers.py; routes: routes.py.
`install` is called by the app factory when `[portal_face] enabled` (the default).
"""

from __future__ import annotations

import time

from aiohttp import web

from gateway.config import RateLimit
from gateway.http import keys
from gateway.http.portal_face.accounts import AccountBook
from gateway.http.portal_face.routes import FACE, Face, add_routes
from gateway.http.portal_face.sessions import FaceAuthenticator, FaceTokens
from gateway.http.ratelimit import Monotonic, RateLimiter

__all__ = ["install"]


def install(app: web.Application, monotonic: Monotonic | None = None) -> None:
    """Add the face to an app whose SETTINGS, CLOCK and AUTH are set: its routes, its state,
    and an authenticator that also accepts its tokens on the native API."""
    config = app[keys.SETTINGS].portal_face
    clock = monotonic or time.monotonic
    tokens = FaceTokens(config.token_ttl_seconds, app[keys.CLOCK])
    take = RateLimit(config.take_rate, config.take_burst)
    app[FACE] = Face(
        accounts=AccountBook(config.accounts, max_failures=config.max_failures,
                             lockout_seconds=config.lockout_seconds, clock=clock),
        tokens=tokens,
        take_limiter=RateLimiter(lambda _: take, clock),
    )
    app[keys.AUTH] = FaceAuthenticator(app[keys.AUTH], tokens)
    add_routes(app)
