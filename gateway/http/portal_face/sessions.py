"""Tokens of the portal-compatible face: random, stored hashed, bound to a facility, expiring,
and kept across restarts (token_store.py: a SQLite file every gateway process shares).

`POST /api/token/take` issues an `access_token` (`gwp_` + 32 random bytes) and an `id_token`
(16 random bytes). The gateway keeps, per token, only SHA-256 of each, the account's username
and facility, the expiry, and an HMAC of the MD5 hex that was verified, keyed with the access
token itself (the `passwordHash` header of every request is compared with it, in constant
time, without a slow hash per request).

The same access token is accepted by the native API as `Authorization: Bearer <access_token>`,
for the token's facility only (FaceAuthenticator). A token whose account is no longer
configured is refused everywhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from gateway.http.auth import Authenticator, Kind, Principal
from gateway.http.errors import AUTH_EXPIRED, AUTH_INVALID, ApiError
from gateway.http.portal_face.token_store import FaceTokenStore, Session, TokenStoreError

__all__ = ["FaceAuthenticator", "FaceTokens", "Issued", "Session", "TokenStoreError"]

PREFIX = "gwp_"
MAX_TOKEN = 200


@dataclass(frozen=True)
class Issued:
    access_token: str
    id_token: str
    session: Session


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _password_mac(access_token: str, md5_upper: str) -> str:
    return hmac.new(access_token.encode("ascii"), md5_upper.encode("ascii"), hashlib.sha256).hexdigest()


class FaceTokens:
    """The face's tokens (module docstring): issue, look up, check."""

    def __init__(self, store: FaceTokenStore, ttl_seconds: float, clock: Callable[[], datetime],
                 usernames: Container[str]) -> None:
        self.store = store
        self._ttl = timedelta(seconds=ttl_seconds)
        self._clock = clock
        self._usernames = usernames

    async def issue(self, username: str, facility: str, md5_upper: str) -> Issued:
        """A new token for a verified account. Raises TokenStoreError."""
        now = self._clock()
        access = PREFIX + secrets.token_urlsafe(32)
        ident = secrets.token_urlsafe(16)
        session = Session(username, facility, _sha256(ident), _password_mac(access, md5_upper), now + self._ttl)
        await asyncio.get_running_loop().run_in_executor(None, self.store.put, _sha256(access), session, now)
        return Issued(access, ident, session)

    def lookup(self, access_token: str) -> Session | None:
        """The session of a presented token, expired ones included (the caller says why), None
        for an unknown token or one whose account is gone. Raises TokenStoreError."""
        if not access_token.startswith(PREFIX) or len(access_token) > MAX_TOKEN:
            return None
        session = self.store.get(_sha256(access_token))
        if session is None or session.username not in self._usernames:
            return None
        return session

    def expired(self, session: Session) -> bool:
        return session.expires_at <= self._clock()


def id_token_matches(session: Session, id_token: str) -> bool:
    return secrets.compare_digest(session.id_token_sha256, _sha256(id_token))


def password_matches(session: Session, access_token: str, md5_upper: str) -> bool:
    return secrets.compare_digest(session.password_mac, _password_mac(access_token, md5_upper))


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="gateway"'}


class FaceAuthenticator(Authenticator):
    """The native Authenticator, also accepting the face's access tokens (scoped to their
    facility). Delegates everything else to the wrapped authenticator."""

    def __init__(self, inner: Authenticator, tokens: FaceTokens) -> None:
        self._inner = inner
        self._face = tokens

    def authenticate(self, request: web.Request) -> Principal:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token.startswith(PREFIX):
            try:
                session = self._face.lookup(token)
            except TokenStoreError:
                raise ApiError(503, "portal.token_store", "the gateway cannot read its tokens now",
                               headers={"Retry-After": "5"}) from None
            if session is None:
                raise ApiError(401, AUTH_INVALID, "unknown token", headers=_CHALLENGE)
            if self._face.expired(session):
                raise ApiError(401, AUTH_EXPIRED, "this token has expired", headers=_CHALLENGE)
            return Principal(Kind.FACILITY, session.facility, via="portal-token")
        return self._inner.authenticate(request)
