"""One structured JSON line per request, the request's metrics, and coded JSON errors.

The line (logger `gateway.http.access`, INFO) holds: request id, method, route template (never
the raw path or query), status, latency, the authenticated facility or operator, the message id
and the error code. Never a header, a body, a query value or anything read from a document: no
personal data reaches a log line. Unexpected exceptions are logged with their type and stack
frames but not their message (which might quote a document).

Some callers put credentials in a URL (the portal's card lookup sends `?password=<MD5>` and
the tokens in its query string). Lines other code writes may quote a URL (aiohttp's own access
and error logs, a library's exception text), so RedactSecrets strips `password`,
`passwordHash`, `pass` and the token parameters from every record that reaches the loggers
`redact_loggers` names and the handler `configure_logging` installs: the message, the formatted
exception and every extra string attribute (aiohttp's `first_request_line`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
import traceback
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.http import keys
from gateway.http.errors import INTERNAL, METHOD_NOT_ALLOWED, NOT_FOUND, TOO_LARGE, ApiError

access_log = logging.getLogger("gateway.http.access")
_error_log = logging.getLogger("gateway.http.error")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_HTTP_CODES = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED, 413: TOO_LARGE}


# Levels the gateway runs with. signxml writes whole canonicalised documents at DEBUG (personal
# data): it is held at WARNING whatever the root level is.
LOG_LEVELS: dict[str, int] = {"": logging.INFO, "gateway": logging.INFO, "signxml": logging.WARNING,
                              "aiohttp.access": logging.WARNING}


_SECRET_NAMES = r"(?:password|passwordhash|pass|access_?token|id_?token|tokenid|token)"
_QUERY_SECRET = re.compile(r"(?i)([?&;]" + _SECRET_NAMES + r"=)[^&\s\"'#;]*")
_PAIR_SECRET = re.compile(r"(?i)(\b" + _SECRET_NAMES + r"\b[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,;}]+")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
REDACTED_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.client", "aiohttp.internal",
                    "aiohttp.websocket", "gateway.http.access", "gateway.http.error",
                    "gateway.http.portal_face", "adapters.portal")


def redact(text: str) -> str:
    """`text` with the values of password / passwordHash / pass and the token parameters
    replaced by `***`, in query strings (`?password=...&`) and in `name: value` / `"name":
    "value"` / `name=value` pairs."""
    if "ass" not in text.lower() and "oken" not in text.lower():
        return text  # the common case, cheaply
    return _PAIR_SECRET.sub(r"\1***", _QUERY_SECRET.sub(r"\1***", text))


class RedactSecrets(logging.Filter):
    """Strips credentials from a record (module docstring). Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler's error path
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


_REDACT = RedactSecrets()


def redact_loggers(names: tuple[str, ...] = REDACTED_LOGGERS) -> None:
    """Put RedactSecrets on these loggers (idempotent). A logger's filters see the records
    created on it, not its children's: hence the list of names."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(_REDACT)


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr, one message per line (the gateway's messages are JSON), at LOG_LEVELS,
    every record stripped of credentials (RedactSecrets)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_REDACT)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    for name, wanted in LOG_LEVELS.items():
        logging.getLogger(name).setLevel(wanted if name in ("signxml", "aiohttp.access") else level)


def emit(logger: logging.Logger, event: dict[str, Any], level: int = logging.INFO) -> None:
    """Write one event as a JSON line (None values left out)."""
    if logger.isEnabledFor(level):
        logger.log(level, json.dumps({k: v for k, v in event.items() if v is not None},
                                     ensure_ascii=False, sort_keys=True))


def error_response(exc: ApiError) -> web.Response:
    """The JSON response of a coded refusal."""
    response = web.json_response(exc.body(), status=exc.status, headers=exc.headers)
    if exc.close:
        response.force_close()  # the body was not read: do not try to reuse the connection
    return response


def _route(request: web.Request) -> str:
    info = request.match_info
    resource = info.route.resource if info.http_exception is None else None
    return resource.canonical if resource is not None else "(unmatched)"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Coded errors, the access log line and the request metrics, for every request."""
    given = request.headers.get("X-Request-Id", "")
    request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(8)
    request[keys.REQUEST_ID] = request_id
    started = time.perf_counter()
    code: str | None = None
    try:
        response = await handler(request)
    except ApiError as exc:
        code, response = exc.code, error_response(exc)
    except web.HTTPException as exc:
        code = _HTTP_CODES.get(exc.status, f"http.status_{exc.status}")
        response = web.json_response({"code": code, "message": exc.reason},
                                     status=exc.status, headers=_kept_headers(exc))
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        code = INTERNAL
        _error_log.error(json.dumps({
            "event": "http.internal_error", "request_id": request_id, "error": type(exc).__name__,
            "frames": traceback.format_tb(exc.__traceback__)}))
        response = web.json_response({"code": INTERNAL, "message": "internal error; quote the "
                                      f"request id {request_id} to the gateway operator"}, status=500)
    response.headers["X-Request-Id"] = request_id
    elapsed = time.perf_counter() - started
    route = _route(request)
    metrics = request.app[keys.METRICS]
    metrics.requests.labels(request.method, route, str(response.status)).inc()
    metrics.latency.labels(route).observe(elapsed)
    if code is not None:
        metrics.rejections.labels(code).inc()
    principal = request.get(keys.PRINCIPAL)
    emit(access_log, {
        "event": "http.request",
        "request_id": request_id,
        "method": request.method,
        "route": route,
        "status": response.status,
        "latency_ms": round(elapsed * 1000, 2),
        "facility": principal.facility if principal is not None else None,
        "operator": principal.name if principal is not None and principal.is_operator else None,
        "auth": principal.via if principal is not None else None,
        "message_id": request.get(keys.MESSAGE_ID),
        "code": code,
    })
    return response


def _kept_headers(exc: web.HTTPException) -> dict[str, str]:
    return {name: value for name, value in exc.headers.items() if name in ("Allow", "Retry-After")}
