"""The reconciliation rules as data: for each field, comparison levels tried in order, each a
small object that emits SQL (after Splink's ``ComparisonLevelCreator.create_sql(dialect)``).

A pair of records is a row with the insured values as ``i_<column>`` and the authority's as
``p_<column>``. A `Comparison` compiles to ``CASE WHEN <level 1> THEN 'label 1' ... ELSE
'otherwise' END``; the label `UNRESOLVED` means "the SQL cannot settle this pair": the identity
toolkit decides it in Python (resolve.py). Levels are ordered cheapest and most common first;
DuckDB evaluates a WHEN only for the rows no earlier WHEN took, so the costly Unicode work runs
on the few pairs that are not equal as given.

Reading the table below is reading the rules: a birth date known only to the year in the
population database agrees with a full date of that year; an insured record that knows only
the year is a ``precision`` difference; gender 3 (unknown) agrees with anything; an address
agrees when every code the authority has is the same (the district only when both sides have
one: the 2025 reform removed districts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from gateway.identity import parse_cccd
from gateway.identity.dates import MAX_YEAR, MIN_YEAR
from gateway.identity.ids import PROVINCES
from gateway.reconcile.dialect import DIALECT, DuckDBDialect

UNRESOLVED = "unresolved"

Form = Literal["as_given", "trimmed", "upper", "spacing", "name"]


@dataclass(frozen=True)
class Pair:
    """How the two sides' columns are named in the SQL the levels are compiled into."""

    left_prefix: str = "i_"
    right_prefix: str = "p_"

    def left(self, column: str) -> str:
        """The insured side's column. Raises nothing."""
        return f"{self.left_prefix}{column}"

    def right(self, column: str) -> str:
        """The authority's column. Raises nothing."""
        return f"{self.right_prefix}{column}"


class Condition(Protocol):
    """A boolean SQL expression over a pair."""

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """The expression. Raises nothing."""
        ...


@dataclass(frozen=True)
class Equal:
    """The two values are equal in the given form."""

    column: str
    form: Form = "as_given"

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        forms: dict[str, Callable[[str], str]] = {
            "as_given": str,
            "trimmed": d.trimmed,
            "upper": d.upper,
            "spacing": lambda x: d.upper(d.squeezed(x)),
            "name": d.name_form,
        }
        make = forms[self.form]
        return f"{make(pair.left(self.column))} = {make(pair.right(self.column))}"


@dataclass(frozen=True)
class Decomposed:
    """Either value holds a combining mark (U+0300-U+036F: what NFD text is made of), the
    only values whose NFC form can be equal when their upper-cased, single-spaced forms are
    not. A guard, not a rule: a value without one that NFC would still change (a compatibility
    singleton such as U+212B ANGSTROM SIGN) is left to the toolkit, which decides it the same
    way."""

    column: str

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        a, b = pair.left(self.column), pair.right(self.column)
        return f"({d.has_combining_mark(a)} OR {d.has_combining_mark(b)})"


@dataclass(frozen=True)
class Both:
    """Both conditions hold. In a CASE branch DuckDB evaluates the second only on the rows
    where the first holds: put the cheap one first."""

    first: Condition
    second: Condition

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return f"({self.first.sql(d, pair)} AND {self.second.sql(d, pair)})"


@dataclass(frozen=True)
class AllEqual:
    """Every one of the columns is equal as given."""

    columns: tuple[str, ...]

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return " AND ".join(f"{pair.left(c)} = {pair.right(c)}" for c in self.columns)


@dataclass(frozen=True)
class UnmarkedSideFolds:
    """One name is written without any mark (ASCII) and the other, folded, is that name:
    "NGUYEN VAN AN" / "Nguyễn Văn An" (compare_names: ``diacritics``)."""

    column: str

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        a, b = pair.left(self.column), pair.right(self.column)
        return (
            f"({d.is_ascii(a)} <> {d.is_ascii(b)}) AND "
            f"CASE WHEN {d.is_ascii(a)} THEN {d.upper(d.squeezed(a))} = {d.folded(b)} "
            f"ELSE {d.folded(a)} = {d.upper(d.squeezed(b))} END"
        )


@dataclass(frozen=True)
class Unreadable:
    """Either date key is missing or not a date `parse_birth_date` would accept."""

    key: str

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        a, b = pair.left(self.key), pair.right(self.key)
        valid = [d.date_key_valid(k, MIN_YEAR, MAX_YEAR) for k in (a, b)]
        return f"({a} IS NULL OR {b} IS NULL OR NOT ({valid[0]} AND {valid[1]}))"


@dataclass(frozen=True)
class YearOnly:
    """The ``side`` ("left" or "right") knows only the year, the other the full date of that
    same year."""

    key: str
    side: Literal["left", "right"]

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        short, full = (pair.left(self.key), pair.right(self.key))[
            :: 1 if self.side == "left" else -1
        ]
        return f"{d.year_only(short)} AND NOT {d.year_only(full)} AND left({short}, 4) = left({full}, 4)"


@dataclass(frozen=True)
class DayMonthSwapped:
    """Same year, the day of one is the month of the other (both full dates)."""

    key: str

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        a, b = pair.left(self.key), pair.right(self.key)
        return (
            f"left({a}, 4) = left({b}, 4) AND NOT {d.year_only(a)} AND NOT {d.year_only(b)} "
            f"AND {d.substr(a, 5, 2)} = {d.substr(b, 7, 2)} AND {d.substr(a, 7, 2)} = {d.substr(b, 5, 2)}"
        )


@dataclass(frozen=True)
class EitherUnknown:
    """Either side is not one of the ``known`` codes (gender 3, empty ...): nothing to contradict."""

    column: str
    known: tuple[str, ...]

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        a, b = d.trimmed(pair.left(self.column)), d.trimmed(pair.right(self.column))
        return f"(NOT coalesce({d.in_list(a, self.known)}, false) OR NOT coalesce({d.in_list(b, self.known)}, false))"


@dataclass(frozen=True)
class CodesAgree:
    """Every code the authority has is the insured record's too (leading zeros aside);
    ``optional`` codes are compared only when both sides have one."""

    columns: tuple[str, ...]
    optional: tuple[str, ...] = ()

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        parts = []
        for column in self.columns:
            a, b = pair.left(column), pair.right(column)
            skip = f"{d.empty(b)} OR {d.empty(a)}" if column in self.optional else d.empty(b)
            parts.append(f"({skip} OR coalesce({d.code(a)} = {d.code(b)}, false))")
        return " AND ".join(parts)


@dataclass(frozen=True)
class Level:
    """When ``condition`` holds (and no earlier level's did), the pair is ``label``."""

    label: str
    condition: Condition


@dataclass(frozen=True)
class Comparison:
    """One field's levels, tried in order; ``otherwise`` when none holds."""

    field: str
    levels: tuple[Level, ...]
    otherwise: str

    def sql(self, d: DuckDBDialect = DIALECT, pair: Pair = Pair()) -> str:
        """The CASE expression giving the level's label. Raises nothing."""
        whens = " ".join(
            f"WHEN {level.condition.sql(d, pair)} THEN {d.literal(level.label)}"
            for level in self.levels
        )
        return f"CASE {whens} ELSE {d.literal(self.otherwise)} END"


NAME = Comparison(
    "ho_ten",
    (
        Level("same", Equal("ho_ten")),
        Level("same", Equal("ho_ten", "upper")),
        Level("diacritics", UnmarkedSideFolds("ho_ten")),
        Level("same", Equal("ho_ten", "spacing")),
        # NFC costs ~2 µs a value: last, and only where a side is decomposed (1M: 0.28 -> 0.20 s CPU)
        Level("same", Both(Decomposed("ho_ten"), Equal("ho_ten", "name"))),
    ),
    otherwise=UNRESOLVED,  # compare_names decides: tone placement, encodings, order, spelling ...
)

# Over the date keys (DuckDBDialect.date_key), computed only for pairs not equal as given.
BIRTH_DATE = Comparison(
    "ngay_sinh",
    (
        Level(UNRESOLVED, Unreadable("ngay_sinh_key")),  # parse_birth_date decides
        Level("same", Equal("ngay_sinh_key")),
        Level("same", YearOnly("ngay_sinh_key", "right")),  # the authority knows only the year
        Level("precision", YearOnly("ngay_sinh_key", "left")),
        Level("day_month_swapped", DayMonthSwapped("ngay_sinh_key")),
    ),
    otherwise="different",
)

GENDER = Comparison(
    "gioi_tinh",
    (
        Level("same", Equal("gioi_tinh")),
        Level("same", Equal("gioi_tinh", "trimmed")),
        Level("same", EitherUnknown("gioi_tinh", ("1", "2"))),
    ),
    otherwise="different",
)

ADDRESS = Comparison(
    "dia_chi",
    (
        Level("same", AllEqual(("ma_tinh", "ma_huyen", "ma_xa"))),
        Level("same", CodesAgree(("ma_tinh", "ma_huyen", "ma_xa"), optional=("ma_huyen",))),
    ),
    otherwise="different",
)


def id_form(d: DuckDBDialect, expr: str) -> str:
    """The shape of an insured record's ID: 'missing', 'cccd' (12 digits), 'cmnd' (9 digits),
    'passport' (a capital letter and 7 digits: no ID of the population database) or
    'malformed'. ``expr`` is already trimmed. Raises nothing."""
    return (
        f"CASE WHEN coalesce({expr}, '') = '' THEN 'missing' "
        f"WHEN {d.digits(expr, 12)} THEN 'cccd' WHEN {d.digits(expr, 9)} THEN 'cmnd' "
        f"WHEN {d.passport(expr)} THEN 'passport' ELSE 'malformed' END"
    )


def known_province(d: DuckDBDialect, expr: str) -> str:
    """The 12-digit ID starts with one of the 63 province codes of Circular 07/2016/TT-BCA
    (what `parse_cccd` checks beyond the digits). Raises nothing."""
    return d.in_code_set(f"left({expr}, 3)", PROVINCES, 3)


def _centuries() -> list[int]:
    """The century of each 4th digit of a 12-digit ID (index = digit), read from the toolkit
    digit by digit so that the SQL follows its table. The gender is the digit's parity
    (even: male), which `id_contradicts` checks against the toolkit in the same way."""
    centuries = []
    for digit in range(10):
        card = parse_cccd(f"001{digit}00000000")
        if card.gender != 1 + digit % 2:
            raise AssertionError("the ID's gender digit is no longer even = male, odd = female")
        centuries.append(card.century)
    return centuries


def id_contradicts(d: DuckDBDialect, id_expr: str, date_expr: str, gender_expr: str) -> str:
    """The authority's own 12-digit ID contradicts its birth year (century digit or year
    digits) or its gender (1/2; anything else contradicts nothing), as `gateway.identity.check`
    says. ``date_expr`` is the authority's birth date as given: the year is read from its first
    four characters when they are digits (so a ``dd/mm/yyyy`` date is not checked).
    Integer arithmetic on fixed positions: this runs on every linked record. Raises nothing."""
    digit = f"TRY_CAST({d.substr(id_expr, 4, 1)} AS TINYINT)"
    year = f"CASE WHEN left({date_expr}, 1) BETWEEN '0' AND '9' THEN TRY_CAST(left({date_expr}, 4) AS SMALLINT) END"
    century = f"[{', '.join(map(str, _centuries()))}][{digit} + 1]"
    year_digits = f"TRY_CAST({d.substr(id_expr, 5, 2)} AS TINYINT)"
    return (
        f"(coalesce({year} // 100 * 100 <> {century} OR {year} % 100 <> {year_digits}, false) "
        f"OR coalesce({gender_expr} IN ('1', '2') AND ascii({gender_expr}) - 49 <> {digit} % 2, false))"
    )
