"""The portal-compatible face (issue 8): the assessment portal's own paths and formats, so that
a HIS switches to the gateway by changing only its base URL.

    POST /api/token/take                                 -> {"maKetQua", "APIKey": {...}}
    POST /api/qd130/guiHoSoXmlQD130|QD4750|QD3176        -> {"maKetQua", "maGiaoDich", ...}
    POST /api/qd130/checkInKcbQd130|Qd4750|Qd3176
    POST /api/qd130/guiDuLieuGdykQd130
    POST /api/egw/KQNhanLichSuKCB2024?token=&id_token=&username=&password=   (card lookup)

Accounts: `[portal_face.accounts."<MACSKCB>_BV"]` (accounts.py; lock-out state per process);
tokens: sessions.py, kept in `<data_dir>/portal_face_tokens.db` (token_store.py) so that they
survive a restart and every process sees them, also accepted by the native API for their
facility; request bodies: inputs.py; answers and codes: answers.py, errors.py; routes: routes.py,
cards.py. `install` is called by the app factory when `[portal_face] enabled` (the default);
card lookups need the gateway's portal accounts: pass `portal_cards(directory)` among
make_app's components.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from aiohttp import web

from gateway.config import RateLimit
from gateway.http import keys
from gateway.http.logs import redact_loggers
from gateway.http.portal_face import cards
from gateway.http.portal_face.accounts import AccountBook
from gateway.http.portal_face.cards import portal_cards
from gateway.http.portal_face.routes import FACE, Face, add_routes
from gateway.http.portal_face.sessions import FaceAuthenticator, FaceTokens
from gateway.http.portal_face.token_store import FILE_NAME, FaceTokenStore
from gateway.http.ratelimit import Monotonic, RateLimiter

__all__ = ["FACE", "install", "portal_cards"]


def install(app: web.Application, monotonic: Monotonic | None = None) -> None:
    """Add the face to an app whose SETTINGS, CLOCK and AUTH are set: its routes, its state,
    and an authenticator that also accepts its tokens on the native API."""
    settings = app[keys.SETTINGS]
    config = settings.portal_face
    clock = monotonic or time.monotonic
    store = FaceTokenStore(settings.data_dir / FILE_NAME)
    tokens = FaceTokens(store, config.token_ttl_seconds, app[keys.CLOCK], config.accounts)
    take = RateLimit(config.take_rate, config.take_burst)
    app[FACE] = Face(
        accounts=AccountBook(config.accounts, max_failures=config.max_failures,
                             lockout_seconds=config.lockout_seconds, clock=clock),
        tokens=tokens,
        take_limiter=RateLimiter(lambda _: take, clock),
    )
    app[keys.AUTH] = FaceAuthenticator(app[keys.AUTH], tokens)
    add_routes(app)
    cards.add_routes(app)
    redact_loggers()  # the card path's query string carries the password's MD5 and the tokens

    async def token_store(_app: web.Application) -> AsyncIterator[None]:
        store.open()
        yield
        store.close()

    app.cleanup_ctx.append(token_store)
