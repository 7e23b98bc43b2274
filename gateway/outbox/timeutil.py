"""Time as the store writes it: aware UTC in, fixed-width ISO 8601 text out (sorts as it reads)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    """The real clock (the default `Clock`)."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """`2026-03-04T01:02:03.000004Z`; raises ValueError for a naive datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the store takes aware UTC datetimes only")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_iso(text: str) -> datetime:
    """The inverse of `iso`."""
    return datetime.fromisoformat(text)


def parse_iso_opt(text: str | None) -> datetime | None:
    return None if text is None else parse_iso(text)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day of `moment` in `timezone` (Asia/Ho_Chi_Minh for the daily counts)."""
    return moment.astimezone(_zone(timezone)).date()
