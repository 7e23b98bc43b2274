"""Birth dates as the parties write them, with the precision they actually carry.

QĐ 130 writes NGAY_SINH as 12 characters ``yyyyMMddHHmm`` with ``0000`` for an unknown hour
and minute and ``0000`` for an unknown day and month (``195000000000`` = born in 1950); XML12
and the card lookup use 8 characters, the card lookup answers ``dd/MM/yyyy`` or ``yyyy``, the
population database ``yyyyMMdd`` or ``yyyy``. A year-only date is common for older people and
must not be mistaken for 1 January.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from typing import Literal

from gateway.identity.errors import BirthDateError

# No insured person, living or in an archived claim, was born before 1800; a year past 2100
# is a typo, not a birth ("0800", "2190").
MIN_YEAR = 1800
MAX_YEAR = 2100

Precision = Literal["day", "year"]
BirthDateMatch = Literal["same", "precision", "day_month_swapped", "different"]

_COMPACT = re.compile(
    r"(\d{4})(?:(\d{2})(\d{2})(?:(\d{2})(\d{2}))?)?"
)  # yyyy, yyyyMMdd, yyyyMMddHHmm
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class BirthDate:
    """A birth date known to the day, or only to the year (then month and day are None).

    ``precision`` is derived: "day" or "year". Constructing one checks it can exist and
    raises BirthDateError otherwise (see `parse_birth_date` for the codes).
    """

    year: int
    month: int | None = None
    day: int | None = None
    precision: Precision = field(init=False)

    def __post_init__(self) -> None:
        shown = (
            self.isoformat()
            if (self.month is None) == (self.day is None)
            else f"{self.year}-{self.month}-{self.day}"
        )
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise BirthDateError(
                "birth_date.year", f"year {self.year} is outside {MIN_YEAR}-{MAX_YEAR} ({shown})"
            )
        if self.month is None or self.day is None:
            if self.month is not None or self.day is not None:
                raise BirthDateError(
                    "birth_date.partial",
                    f"day and month must both be known or both unknown ({shown})",
                )
            object.__setattr__(self, "precision", "year")
            return
        if not 1 <= self.month <= 12:
            raise BirthDateError("birth_date.month", f"month {self.month} does not exist ({shown})")
        if not 1 <= self.day <= calendar.monthrange(self.year, self.month)[1]:
            raise BirthDateError(
                "birth_date.day", f"day {self.day} does not exist in {self.year}-{self.month:02d}"
            )
        object.__setattr__(self, "precision", "day")

    def isoformat(self) -> str:
        """ "1990-03-15", or "1950" for a year-only date. Raises nothing."""
        if self.month is None or self.day is None:
            return f"{self.year:04d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def to_qd130(self) -> str:
        """The QĐ 130 NGAY_SINH form: "199003150000", "195000000000". Raises nothing."""
        return f"{self.year:04d}{self.month or 0:02d}{self.day or 0:02d}0000"

    def explain(self) -> str:
        """One English sentence. Raises nothing."""
        if self.precision == "year":
            return f"born in {self.year} (day and month unknown)"
        return f"born on {self.isoformat()}"


def _make(year: int, month: int, day: int, text: str) -> BirthDate:
    if month == 0 and day == 0:
        return BirthDate(year)
    if month == 0 or day == 0:
        raise BirthDateError(
            "birth_date.partial",
            f"only one of day and month is 00 in {text!r}: write both as 00 when unknown",
        )
    return BirthDate(year, month, day)


def parse_birth_date(s: str) -> BirthDate:
    """Read a birth date: ``yyyy``, ``yyyyMMdd``, QĐ 130's ``yyyyMMddHHmm``, ``dd/mm/yyyy`` or
    ``yyyy-mm-dd``; ``0000`` (or ``00/00/``) for day and month means year only.

    The hour and minute of the 12-character form (known for newborns) are checked, then
    dropped. Raises BirthDateError (a ValueError) with code ``birth_date.format`` (no known
    shape), ``.year`` (outside 1800-2100), ``.month``, ``.day`` (no such date, e.g. 30
    February), ``.partial`` (only one of day and month unknown) or ``.time`` (no such hour or
    minute).
    """
    text = s.strip()
    if match := _COMPACT.fullmatch(text):
        year, month, day, hour, minute = (int(g or 0) for g in match.groups())
        if hour > 23 or minute > 59:
            raise BirthDateError(
                "birth_date.time", f"time {hour:02d}:{minute:02d} does not exist in {text!r}"
            )
        return _make(year, month, day, text)
    if match := _DMY.fullmatch(text):
        day, month, year = map(int, match.groups())
        return _make(year, month, day, text)
    if match := _ISO.fullmatch(text):
        year, month, day = map(int, match.groups())
        return _make(year, month, day, text)
    raise BirthDateError(
        "birth_date.format",
        f"{text[:20]!r} is not a birth date (yyyy, yyyyMMdd, yyyyMMddHHmm, dd/mm/yyyy or yyyy-mm-dd)",
    )


def compare_birth_dates(a: BirthDate, b: BirthDate) -> BirthDateMatch:
    """Say how two birth dates compare: ``same`` (equal, with equal precision), ``precision``
    (same year, one side known only to the year), ``day_month_swapped`` (same year, the day of
    one is the month of the other: 1990-03-05 / 1990-05-03, the dd/mm vs mm/dd mistake), or
    ``different``. Raises nothing.
    """
    if a == b:
        return "same"
    if a.year != b.year:
        return "different"
    if a.precision != b.precision:
        return "precision"
    if a.month == b.day and a.day == b.month:
        return "day_month_swapped"
    return "different"
