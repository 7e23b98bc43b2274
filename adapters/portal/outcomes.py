"""What one attempt to deliver a document to the assessment portal came to: a typed value.

    Delivered   maKetQua "200": the portal RECEIVED the file (not assessed: README.md)
    Refused     the portal refused the document itself (HTTP 200, another maKetQua): final
    AuthFailed  the facility's credentials fail even after one fresh login: HOLD, alert
    Transient   5xx, 429, timeouts, resets, refused connections: retry later

`Transient.sent` says whether the request may have reached the portal: True means the outcome
is unknown (a re-send may duplicate it and must be audited), False means it surely did not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

PORTAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_PORTAL_TIME = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class Delivered:
    """maKetQua "200": the portal received the file (its assessment comes later, elsewhere)."""

    ma_giao_dich: str | None  # the portal's transaction id: the receipt to store
    received_at: datetime | None  # thoiGianTiepNhan (Asia/Ho_Chi_Minh), aware; None if unreadable
    portal_time: str | None  # thoiGianTiepNhan exactly as written (yyyyMMddHHmmss)
    message: str = ""  # thongDiep
    answer: bytes = field(default=b"", repr=False, compare=False)  # the raw answer, for the audit


@dataclass(frozen=True)
class Refused:
    """The portal refused the document itself (a format error ...): final, reason kept."""

    code: str  # the portal's maKetQua (or `http.<status>` for a 400/413/422 without one)
    message: str  # thongDiep: the portal's error text
    answer: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class AuthFailed:
    """The facility's credentials fail (after one re-login), or it has no account configured.

    The caller HOLDS the facility's documents and raises an alert: this neither burns retries
    nor opens the circuit breaker, since no retry can succeed until someone fixes the account.
    """

    code: str  # "portal.auth.401", "portal.auth.403", "portal.auth.no_account", ...
    message: str
    answer: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class Transient:
    """Try again later: the portal or the path to it failed, not the document.

    `retry_after` is the portal's Retry-After in seconds (from seconds or an HTTP date), if
    given. `sent` is True when the request may have reached the portal (timeout after the
    request was written, reset while reading the answer, a 500/502/504): the outcome is then
    unknown, and a re-send must be audited as such.
    """

    reason: str  # a stable code: "portal.timeout", "portal.http.503", "portal.reset", ...
    retry_after: float | None
    sent: bool
    detail: str = ""  # human text; never holds credentials, tokens or query strings
    answer: bytes = field(default=b"", repr=False, compare=False)


SendOutcome = Delivered | Refused | AuthFailed | Transient


def parse_portal_time(text: str | None) -> datetime | None:
    """`yyyyMMddHHmmss` in Vietnam time -> an aware datetime; None when absent or malformed."""
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), _PORTAL_TIME).replace(tzinfo=PORTAL_ZONE)
    except ValueError:
        return None


def format_portal_time(moment: datetime) -> str:
    """An aware datetime -> `yyyyMMddHHmmss` in Vietnam time (what the portal writes)."""
    return moment.astimezone(PORTAL_ZONE).strftime(_PORTAL_TIME)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).

    A date in the past gives 0.0; a missing or unreadable value gives None. Raises nothing.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
