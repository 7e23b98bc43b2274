"""Coded JSON errors: every refusal of the HTTP API is `{"code", "message", ...}` with a status.

The codes are stable (schemas/errors.yaml lists them); the same code goes to the response, the
request's log line and the `gateway_http_rejections_total` metric label. Codes raised by the
parts below (`xml.*`, `signature.*`, `idempotency.conflict`, `store.*`) pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# -- codes of the HTTP layer (for schemas/errors.yaml) ------------------------------------------
AUTH_MISSING = "auth.missing"
AUTH_INVALID = "auth.invalid"
AUTH_EXPIRED = "auth.expired"
AUTH_REVOKED = "auth.revoked"
AUTH_CERTIFICATE = "auth.certificate_unknown"
FORBIDDEN = "auth.forbidden"
WRONG_FACILITY = "auth.wrong_facility"
RATE_LIMITED = "rate.limited"
TOO_LARGE = "http.too_large"
UNSUPPORTED_MEDIA_TYPE = "http.unsupported_media_type"
BAD_REQUEST = "http.bad_request"
NOT_FOUND = "http.not_found"
METHOD_NOT_ALLOWED = "http.method_not_allowed"
INTERNAL = "internal.error"
DOCUMENT_INVALID = "document.invalid"
IDEMPOTENCY_KEY = "idempotency.key_invalid"
DOSSIER_NOT_FOUND = "dossier.not_found"
CALLBACK_URL = "callback.url_invalid"
CALLBACK_NOT_FOUND = "callback.not_found"
REASON_REQUIRED = "replay.reason_required"
INBOX_FACILITY = "inbox.facility_unknown"
INTAKE_BUSY = "intake.busy"

CODES: dict[str, str] = {
    AUTH_MISSING: "no credentials: send `Authorization: Bearer <token>` or a client certificate",
    AUTH_INVALID: "the bearer token is not one the gateway issued",
    AUTH_EXPIRED: "the bearer token has expired",
    AUTH_REVOKED: "the bearer token was revoked",
    AUTH_CERTIFICATE: "the client certificate is not registered for any facility or operator",
    FORBIDDEN: "the authenticated party may not do this (role, or another facility's data)",
    WRONG_FACILITY: "the document names a facility other than the authenticated one",
    RATE_LIMITED: "the facility exceeds its request rate; retry after Retry-After seconds",
    TOO_LARGE: "the request body exceeds the route's limit",
    UNSUPPORTED_MEDIA_TYPE: "the request's Content-Type is not one the route accepts",
    BAD_REQUEST: "a malformed query parameter or JSON body",
    NOT_FOUND: "no such route",
    METHOD_NOT_ALLOWED: "the route does not accept this method",
    INTERNAL: "an unexpected fault of the gateway (alarm)",
    DOCUMENT_INVALID: "the document fails validation; `report` lists every problem",
    IDEMPOTENCY_KEY: "an Idempotency-Key that is empty, too long or not visible ASCII",
    DOSSIER_NOT_FOUND: "no dossier with that id that the caller may see",
    CALLBACK_URL: "a callback URL that is not an absolute https URL of a public host",
    CALLBACK_NOT_FOUND: "the facility has no callback URL registered",
    REASON_REQUIRED: "an operator action without a reason",
    INBOX_FACILITY: "a watched-folder document naming no facility (XML12) and no inbox facility "
    "configured",
    INTAKE_BUSY: "`[intake] max_waiting` documents already wait for the checks; retry after "
    "Retry-After seconds (nothing was stored)",
}


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code and a message for the caller.

    `extra` adds fields to the JSON body (e.g. the validation `report`); `headers` adds
    response headers (e.g. Retry-After); `close` asks to close the connection (a body that was
    not read).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        close: bool = False,
        document_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        self.close = close
        self.document_type = document_type  # for the metrics only; never sent

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses the worker process boundary (cpu.py): rebuilt with every field.
        return (_rebuild, (self.status, self.code, self.message, self.extra, self.headers, self.close,
                           self.document_type))

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def body(self) -> dict[str, Any]:
        """The JSON body of the response."""
        return {"code": self.code, "message": self.message, **self.extra}

    @property
    def transient(self) -> bool:
        """True when trying again later may succeed (429, 503)."""
        return self.status in (429, 503)


def _rebuild(
    status: int, code: str, message: str, extra: dict[str, Any], headers: dict[str, str], close: bool,
    document_type: str | None,
) -> ApiError:
    return ApiError(status, code, message, extra=extra, headers=headers, close=close, document_type=document_type)
