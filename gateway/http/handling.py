"""What every handler does first: find the caller, spend its rate, read a bounded body, parse
query parameters. Each refusal is a coded ApiError."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.http import keys
from gateway.http.auth import Principal
from gateway.http.errors import (
    BAD_REQUEST,
    IDEMPOTENCY_KEY,
    RATE_LIMITED,
    REASON_REQUIRED,
    TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    ApiError,
)
from gateway.http.ratelimit import retry_after

CHUNK = 256 * 1024
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def caller(request: web.Request) -> Principal:
    """Authenticate the request (401 otherwise) and spend one request of a facility's rate
    (429 with Retry-After when it is exhausted; operators are not rate-limited)."""
    principal = request.app[keys.AUTH].authenticate(request)
    request[keys.PRINCIPAL] = principal
    if principal.facility is not None:
        wait = request.app[keys.LIMITER].check(principal.facility)
        if wait > 0:
            raise ApiError(429, RATE_LIMITED, f"facility {principal.facility} exceeds its request "
                           "rate", headers={"Retry-After": retry_after(wait)})
    return principal


def require_content_type(request: web.Request, allowed: tuple[str, ...]) -> None:
    """415 unless the Content-Type is one of `allowed` (a charset, if given, must be UTF-8)."""
    charset = (request.charset or "utf-8").lower()
    if request.content_type not in allowed or charset not in ("utf-8", "utf8"):
        raise ApiError(415, UNSUPPORTED_MEDIA_TYPE,
                       f"send the body as {' or '.join(allowed)} (UTF-8), not {request.content_type}")


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes: a declared
    Content-Length over the limit is refused before reading anything, a chunked body when the
    limit is passed; the rest is never read into memory (the connection is closed)."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(413, TOO_LARGE, f"the body is {declared} bytes; this route takes at most "
                       f"{limit}", close=True)
    body = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > limit:
            raise ApiError(413, TOO_LARGE, f"the body exceeds {limit} bytes", close=True)
    return bytes(body)


async def read_json(request: web.Request, limit: int) -> dict[str, Any]:
    """A JSON object body (415 for another type, 413 over `limit`, 400 when not an object)."""
    require_content_type(request, ("application/json",))
    raw = await read_body(request, limit)
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, BAD_REQUEST, "the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, BAD_REQUEST, "the body must be a JSON object")
    return value


def idempotency_key(request: web.Request) -> str | None:
    """The Idempotency-Key header, if any (400 when it is not 1-255 visible ASCII characters)."""
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value):
        raise ApiError(400, IDEMPOTENCY_KEY, "Idempotency-Key must be 1-255 visible ASCII characters")
    return value


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, BAD_REQUEST, f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise ApiError(400, BAD_REQUEST, f"{name} must be between {low} and {high}")
    return value


def query_time(request: web.Request, name: str) -> datetime | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, BAD_REQUEST, f"{name} must be an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reason_of(body: dict[str, Any]) -> str:
    """The `reason` of an operator action: 1-500 characters."""
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise ApiError(400, REASON_REQUIRED, "give a reason (1-500 characters) for the audit")
    return reason.strip()
