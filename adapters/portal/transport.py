"""One HTTP exchange with the portal, and what a failure of the exchange means.

Everything that can go wrong on the way becomes a `Transient` whose `sent` flag says whether
the request may have reached the portal:

    connection refused, DNS failure, TLS failure, connect timeout    sent=False (nothing left us)
    read timeout, total timeout, reset or close while answering       sent=True  (outcome unknown)

A total timeout cannot tell whether it struck before the request was written, so it counts as
sent: the cost of being wrong that way is one audited re-send, the other way a lost document.
Failure texts are built here from the exception's type and errno only: aiohttp's own messages
may quote a URL, and the card lookup's URL carries the password digest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import aiohttp

from adapters.portal.errors import CONNECT, CONNECT_TIMEOUT, RESET, TIMEOUT
from adapters.portal.outcomes import Transient


@dataclass(frozen=True)
class Timeouts:
    """Seconds: to open a connection, between reads of the answer, and for the whole exchange."""

    connect: float = 10.0
    read: float = 60.0
    total: float | None = 120.0

    def client_timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self.total, connect=self.connect, sock_connect=self.connect, sock_read=self.read
        )


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP answer: status, the headers we read, the body."""

    status: int
    retry_after: str | None
    body: bytes = field(repr=False)

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object (UTF-8, BOM tolerated); None if it is not one."""
        try:
            data = json.loads(self.body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            return None
        return data if isinstance(data, dict) else None


_BASE64 = re.compile(r"[A-Za-z0-9+/=]*")
FORM = "application/x-www-form-urlencoded"


def form_urlencoded(data: Mapping[str, str]) -> bytes:
    """`data` as an application/x-www-form-urlencoded body, byte for byte what
    `urllib.parse.urlencode` makes. A base64 value (the document, ~60 KB) takes a fast path:
    only `+`, `/` and `=` need escaping, and urlencode's per-character Python loop cost a third
    of the delivery loop's time (bench/intake.py, py-spy)."""
    parts = []
    for name, value in data.items():
        if _BASE64.fullmatch(value):
            encoded = value.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
        else:
            encoded = quote_plus(value, safe="")
        parts.append(f"{quote_plus(name, safe='')}={encoded}")
    return "&".join(parts).encode("ascii")


async def post(
    session: aiohttp.ClientSession,
    url: str,
    timeouts: Timeouts,
    *,
    data: Mapping[str, str] | None = None,
    json_body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> HttpAnswer | Transient:
    """POST once (no redirects followed) and read the whole answer; never raises for I/O.
    `data` goes as a form (`form_urlencoded`), `json_body` as JSON."""
    body: bytes | None = None
    if data is not None:
        body = form_urlencoded(data)
        headers = {**(headers or {}), "Content-Type": FORM}
    try:
        async with session.post(
            url,
            data=body,
            json=json_body,
            headers=headers,
            params=params,
            timeout=timeouts.client_timeout(),
            allow_redirects=False,
            raise_for_status=False,  # statuses are answers to interpret, whatever the session says
        ) as response:
            body = await response.read()
            return HttpAnswer(response.status, response.headers.get("Retry-After"), body)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return classify(exc)


def classify(exc: BaseException) -> Transient:
    """The Transient an exchange's exception means (module docstring)."""
    what = describe(exc)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Transient(CONNECT_TIMEOUT, None, sent=False, detail=what)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return Transient(CONNECT, None, sent=False, detail=what)
    if isinstance(exc, TimeoutError):  # SocketTimeoutError (read) or the total timeout
        return Transient(TIMEOUT, None, sent=True, detail=what)
    return Transient(RESET, None, sent=True, detail=what)


def describe(exc: BaseException) -> str:
    """A safe one-line description: the exception's type and errno text, never its message."""
    name = type(exc).__name__
    errno_text = getattr(exc, "strerror", None)
    return f"{name} ({errno_text})" if isinstance(errno_text, str) and errno_text else name
