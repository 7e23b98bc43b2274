"""Tokens of the portal-compatible face: random, stored hashed, bound to a facility, expiring.

`POST /api/token/take` issues an `access_token` (`gwp_` + 32 random bytes) and an `id_token`
(16 random bytes). The gateway keeps, per token, only SHA-256 of each, the account's username
and facility, the expiry, and a keyed hash of the MD5 hex that was verified (the `passwordHash`
header of every submission is compared with it, in constant time, without a slow hash per
request). Kept in memory: a restarted gateway forgets them and the HIS takes a new token, as
it does when one expires.

The same access token is accepted by the native API as `Authorization: Bearer <access_token>`,
for the token's facility only (FaceAuthenticator).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from gateway.http.auth import Authenticator, Kind, Principal
from gateway.http.errors import AUTH_EXPIRED, AUTH_INVALID, ApiError

PREFIX = "gwp_"
_MAX_LIVE = 100_000


@dataclass(frozen=True)
class Session:
    username: str
    facility: str
    id_token_sha256: str
    password_mac: str
    expires_at: datetime


@dataclass(frozen=True)
class Issued:
    access_token: str
    id_token: str
    session: Session


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class FaceTokens:
    """The live tokens of the face (module docstring)."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], datetime]) -> None:
        self._ttl = timedelta(seconds=ttl_seconds)
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._sessions: dict[str, Session] = {}

    def password_mac(self, md5_upper: str) -> str:
        return hmac.new(self._key, md5_upper.encode("ascii"), hashlib.sha256).hexdigest()

    def issue(self, username: str, facility: str, md5_upper: str) -> Issued:
        now = self._clock()
        self._forget_expired(now)
        access = PREFIX + secrets.token_urlsafe(32)
        ident = secrets.token_urlsafe(16)
        session = Session(username, facility, _sha256(ident), self.password_mac(md5_upper), now + self._ttl)
        self._sessions[_sha256(access)] = session
        return Issued(access, ident, session)

    def lookup(self, access_token: str) -> Session | None:
        """The session of a presented token, expired ones included (the caller says why)."""
        if not access_token.startswith(PREFIX) or len(access_token) > 200:
            return None
        return self._sessions.get(_sha256(access_token))

    def expired(self, session: Session) -> bool:
        return session.expires_at <= self._clock()

    def _forget_expired(self, now: datetime) -> None:
        if len(self._sessions) < _MAX_LIVE:
            return
        for key in [k for k, s in self._sessions.items() if s.expires_at <= now]:
            del self._sessions[key]


def id_token_matches(session: Session, id_token: str) -> bool:
    return secrets.compare_digest(session.id_token_sha256, _sha256(id_token))


def password_matches(tokens: FaceTokens, session: Session, md5_upper: str) -> bool:
    return secrets.compare_digest(session.password_mac, tokens.password_mac(md5_upper))


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
            session = self._face.lookup(token)
            if session is None:
                raise ApiError(401, AUTH_INVALID, "unknown token", headers=_CHALLENGE)
            if self._face.expired(session):
                raise ApiError(401, AUTH_EXPIRED, "this token has expired", headers=_CHALLENGE)
            return Principal(Kind.FACILITY, session.facility, via="portal-token")
        return self._inner.authenticate(request)
