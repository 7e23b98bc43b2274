"""Portal tokens: one login per account at a time, renewed before they expire.

`POST /api/token/take` (CV 3190 §1), form `username`, `password` (MD5, upper-case hex); the
answer `{"maKetQua": "200", "APIKey": {"access_token", "id_token", "token_type", "username",
"expires_in"}}` where `expires_in` is, despite its name, an absolute UTC time (vendor practice:
`2026-03-31T03:05:48.0692552Z`, seven fractional digits).

`TokenCache.get` hands out the account's cached token while it has more than `renew_margin`
left; otherwise one caller logs in (an asyncio.Lock per account) and every caller that waited
on that lock shares the result, whether a token or a failure: fifty concurrent sends cost one
token request. `invalidate` drops a token the portal refused (401), so the next `get` logs in.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp

from adapters.portal.credentials import FacilityAccount, Secret
from adapters.portal.errors import AUTH_401, AUTH_403, TOKEN
from adapters.portal.logs import emit
from adapters.portal.outcomes import AuthFailed, Transient, parse_retry_after
from adapters.portal.paths import TOKEN_PATH
from adapters.portal.transport import HttpAnswer, Timeouts, post

Clock = Callable[[], datetime]  # aware UTC datetimes; injected (tests pass a fake clock)

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_DOTNET_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


@dataclass(frozen=True)
class Token:
    """A portal session: the two tokens the API wants, and when it ends."""

    access_token: Secret = field(repr=False)
    id_token: Secret = field(repr=False)
    token_type: str
    username: str
    expires_at: datetime  # aware UTC


def parse_expiry(value: object, now: datetime) -> datetime | None:
    """`APIKey.expires_in` as an aware UTC datetime; None when it cannot be read.

    Accepts ISO 8601 with any number of fractional digits (seven in vendor practice, more than
    Python's six are cut), `Z`, an offset or none (then UTC, as the guide says); `/Date(ms)/`;
    and, in case a portal ever follows OAuth, a number of seconds from `now` (or, above 10^9,
    Unix seconds). Raises nothing.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_number(float(value), now)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return _from_number(float(text), now)
    except ValueError:
        pass
    dotnet = _DOTNET_DATE.match(text)
    if dotnet:
        return datetime.fromtimestamp(int(dotnet.group(1)) / 1000, UTC)
    match = _ISO.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError:
        return None
    if zone is None or zone.upper() == "Z":
        return moment.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (moment - sign * offset).replace(tzinfo=UTC)


def _from_number(seconds: float, now: datetime) -> datetime | None:
    if seconds != seconds or seconds in (float("inf"), float("-inf")) or seconds < 0:
        return None
    if seconds > 1e9:
        return datetime.fromtimestamp(seconds, UTC)
    return now + timedelta(seconds=seconds)


@dataclass(frozen=True)
class TokenPolicy:
    """When to renew: `renew_margin` before expiry; a token whose expiry cannot be read is
    trusted for `fallback_lifetime`."""

    renew_margin: timedelta = timedelta(seconds=120)
    fallback_lifetime: timedelta = timedelta(minutes=10)


class TokenCache:
    """Tokens per account (base URL + username), one login at a time per account."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        clock: Clock,
        timeouts: Timeouts,
        policy: TokenPolicy = TokenPolicy(),
        logger: logging.Logger | None = None,
    ) -> None:
        self._session = session
        self._clock = clock
        self._timeouts = timeouts
        self._policy = policy
        self._log = logger or logging.getLogger("adapters.portal")
        self._tokens: dict[tuple[str, str], Token] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._logins: dict[tuple[str, str], int] = {}
        self._last_failure: dict[tuple[str, str], AuthFailed | Transient] = {}

    def __repr__(self) -> str:
        return f"TokenCache(accounts={len(self._tokens)})"

    async def get(self, account: FacilityAccount) -> Token | AuthFailed | Transient:
        """The account's valid token, logging in if needed (module docstring)."""
        key = _key(account)
        token = self._tokens.get(key)
        if token is not None and self._fresh(token):
            return token
        logins_seen = self._logins.get(key, 0)
        async with self._locks.setdefault(key, asyncio.Lock()):
            token = self._tokens.get(key)
            if token is not None and self._fresh(token):
                return token
            failure = self._last_failure.get(key)
            if failure is not None and self._logins.get(key, 0) != logins_seen:
                return failure  # a login failed while we waited for it: share its verdict
            result = await self._login(account)
            self._logins[key] = self._logins.get(key, 0) + 1  # counts completed logins
            if isinstance(result, Token):
                self._tokens[key] = result
                self._last_failure.pop(key, None)
            else:
                self._tokens.pop(key, None)
                self._last_failure[key] = result
            return result

    def invalidate(self, account: FacilityAccount, token: Token) -> None:
        """Forget `token` (the portal refused it), unless a newer one has replaced it."""
        key = _key(account)
        if self._tokens.get(key) is token:
            del self._tokens[key]

    def _fresh(self, token: Token) -> bool:
        return self._clock() < token.expires_at - self._policy.renew_margin

    async def _login(self, account: FacilityAccount) -> Token | AuthFailed | Transient:
        creds = account.credentials
        answer = await post(
            self._session,
            account.base_url + TOKEN_PATH,
            self._timeouts,
            data={"username": creds.username, "password": creds.password_md5.reveal()},
        )
        result = self._interpret(answer, account)
        emit(self._log, {
            "event": "portal.login",
            "facility": account.facility,
            "username": creds.username,
            "result": type(result).__name__,
            "code": _code_of(result),
        })  # fmt: skip
        return result

    def _interpret(self, answer: HttpAnswer | Transient, account: FacilityAccount) -> Token | AuthFailed | Transient:
        if isinstance(answer, Transient):
            return Transient(TOKEN, None, sent=False, detail=f"{answer.reason}: {answer.detail}")
        data = answer.json_object()
        code = str(data.get("maKetQua", "")) if data is not None else ""
        if answer.status in (401, 403) or code in ("401", "403"):
            which = AUTH_403 if "403" in (code, str(answer.status)) else AUTH_401
            return AuthFailed(which, f"the portal refused the login of {account.credentials.username}", answer.body)
        if answer.status != 200 or data is None or code != "200":
            retry_after = parse_retry_after(answer.retry_after, self._clock())
            what = f"HTTP {answer.status}" + (f", maKetQua {code}" if code else "")
            return Transient(TOKEN, retry_after, sent=False, detail=f"token endpoint answered {what}", answer=answer.body)
        return self._token(data.get("APIKey"), account) or Transient(
            TOKEN, None, sent=False, detail="token answer without a usable APIKey", answer=answer.body
        )

    def _token(self, key: object, account: FacilityAccount) -> Token | None:
        if not isinstance(key, dict):
            return None
        access, id_token = key.get("access_token"), key.get("id_token")
        if not isinstance(access, str) or not access or not isinstance(id_token, str):
            return None
        now = self._clock()
        expires = parse_expiry(key.get("expires_in"), now)
        if expires is None:
            expires = now + self._policy.fallback_lifetime
            emit(self._log, {"event": "portal.token_expiry_unreadable", "facility": account.facility})
        return Token(
            Secret(access),
            Secret(id_token),
            str(key.get("token_type") or ""),
            str(key.get("username") or account.credentials.username),
            expires,
        )


def _key(account: FacilityAccount) -> tuple[str, str]:
    return (account.base_url, account.credentials.username)


def _code_of(result: Token | AuthFailed | Transient) -> str:
    if isinstance(result, AuthFailed):
        return result.code
    if isinstance(result, Transient):
        return result.reason
    return "200"
