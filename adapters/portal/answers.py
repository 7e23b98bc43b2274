"""Reading the portal's answer to a submission: HTTP status + `maKetQua` -> a typed outcome.

    HTTP 200, maKetQua "200"                  Delivered (received, not assessed)
    HTTP 401/403, or maKetQua "401"/"403"     an authentication failure (`auth_failure`): the
                                              client logs in again once, then AuthFailed
    HTTP 200, maKetQua "429"                  Transient(sent=False)
    HTTP 200, maKetQua "5xx"                  Transient(sent=True): the portal's own trouble
    HTTP 200, any other maKetQua              Refused(maKetQua, thongDiep): the document itself
    HTTP 200, no JSON / no maKetQua           Transient(portal.bad_answer, sent=True)
    HTTP 429, 503                             Transient(sent=False), Retry-After honoured
    HTTP 500, 502, 504, other 5xx             Transient(sent=True): an upstream may have it
    HTTP 408                                  Transient(sent=False): the request did not arrive
    HTTP 400, 413, 415, 422                   Refused(maKetQua or http.<status>)
    HTTP 3xx, 404, 405, other 4xx             Transient(sent=False): our configuration (base URL,
                                              path) is wrong; retried until dead, then replayed
"""

from __future__ import annotations

from datetime import datetime

from adapters.portal.errors import AUTH_401, AUTH_403, BAD_ANSWER, RATE_LIMITED
from adapters.portal.outcomes import (
    AuthFailed,
    Delivered,
    Refused,
    SendOutcome,
    Transient,
    parse_portal_time,
    parse_retry_after,
)
from adapters.portal.transport import HttpAnswer

_REFUSING_STATUSES = frozenset({400, 413, 415, 422})
_NOT_RECEIVED_STATUSES = frozenset({408, 429, 503})


def result_code(answer: HttpAnswer) -> str:
    """maKetQua as a string ("" when the answer has none)."""
    data = answer.json_object()
    value = data.get("maKetQua") if data is not None else None
    return "" if value is None else str(value).strip()


def auth_failure(answer: HttpAnswer) -> AuthFailed | None:
    """An AuthFailed when the portal refused the account or token, else None."""
    code = result_code(answer)
    if answer.status == 403 or code == "403":
        return AuthFailed(AUTH_403, _message(answer) or "the portal refused access (403)", answer.body)
    if answer.status == 401 or code == "401":
        return AuthFailed(AUTH_401, _message(answer) or "the portal refused the token (401)", answer.body)
    return None


def interpret_submission(answer: HttpAnswer, now: datetime) -> SendOutcome:
    """The outcome of a submission's answer (module docstring); authentication is checked first
    by the caller with `auth_failure`."""
    auth = auth_failure(answer)
    if auth is not None:
        return auth
    retry_after = parse_retry_after(answer.retry_after, now)
    if answer.status == 200:
        return _interpret_result(answer, retry_after)
    reason = f"portal.http.{answer.status}"
    if answer.status in _REFUSING_STATUSES:
        return Refused(result_code(answer) or f"http.{answer.status}", _message(answer), answer.body)
    sent = answer.status >= 500 and answer.status not in _NOT_RECEIVED_STATUSES
    detail = f"HTTP {answer.status}" + (f": {_message(answer)}" if _message(answer) else "")
    return Transient(reason, retry_after, sent=sent, detail=detail, answer=answer.body)


def _interpret_result(answer: HttpAnswer, retry_after: float | None) -> SendOutcome:
    data = answer.json_object()
    code = result_code(answer)
    if data is None or not code:
        return Transient(BAD_ANSWER, retry_after, sent=True, detail="HTTP 200 without a maKetQua", answer=answer.body)
    message = _message(answer)
    if code == "200":
        portal_time = data.get("thoiGianTiepNhan")
        portal_text = str(portal_time) if portal_time is not None else None
        receipt = data.get("maGiaoDich")
        return Delivered(
            ma_giao_dich=str(receipt) if receipt not in (None, "") else None,
            received_at=parse_portal_time(portal_text),
            portal_time=portal_text,
            message=message,
            answer=answer.body,
        )
    if code == "429":
        return Transient(RATE_LIMITED, retry_after, sent=False, detail=message, answer=answer.body)
    if len(code) == 3 and code.startswith("5") and code.isdigit():
        return Transient(f"portal.result.{code}", retry_after, sent=True, detail=message, answer=answer.body)
    return Refused(code, message, answer.body)


def _message(answer: HttpAnswer) -> str:
    data = answer.json_object()
    if data is None:
        return ""
    value = data.get("thongDiep") or data.get("message") or ""
    return str(value)
