"""The linkage's comparison levels, as data (after Splink's comparison levels): per field, the
levels tried in order, each compiled to SQL by the same `Comparison` / `Level` machinery as
the ID pass (comparisons.py). The model gives each level a weight (em.py).

Pairs are rows with the insured record's keys as ``i_<key>`` and the citizen's as ``p_<key>``
(keys.py makes them): names folded by the identity toolkit's rules (marks stripped, Đ as D,
upper case, single spaces; legacy encodings repaired on the insured side), birth dates as
``yyyymmdd`` keys (``yyyy0000`` when only the year is known), gender ``1``/``2`` (NULL when
unknown), administrative codes without leading zeros. A ``null`` level (a side does not know
the value) weighs nothing either way.

Reading the table is reading the model:

- name: the same folded name; the same once regional family names are one (Hoàng/Huỳnh);
  the same family and given name (a middle name more or less) or the same words in another
  order; one or two keying slips apart (Damerau–Levenshtein); Jaro–Winkler bands on the
  folded names, as written or with their words sorted
  (DuckDB's counts bytes: folded names are ASCII, so bytes are letters), the family or the
  given name the same;
- birth date: the same; one side knows only the year, of the same year; day and month
  swapped; one digit wrong or two adjacent digits swapped; same year and month; same year;
  same day and month in another year;
- gender: the same, or not (3 = unknown is ``null``);
- residence: the same commune, district, province, or none (commune and district codes are
  unique in the country, so each is compared alone: a wrong province code does not hide a
  right commune);
- ID: the record's (mistyped, unknown or malformed) ID one keying slip from the citizen's, or
  not; ``null`` when the record has none of that shape or names another citizen.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.reconcile.comparisons import (
    AllEqual,
    Comparison,
    DayMonthSwapped,
    Equal,
    Level,
    Pair,
    YearOnly,
)
from gateway.reconcile.dialect import DuckDBDialect

NULL = "null"


@dataclass(frozen=True)
class Missing:
    """Either side lacks one of ``columns``: nothing to compare."""

    columns: tuple[str, ...]

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return " OR ".join(
            f"{pair.left(c)} IS NULL OR {pair.right(c)} IS NULL" for c in self.columns
        )


@dataclass(frozen=True)
class LeftMissing:
    """The record (the left side) lacks ``column`` (the right side always has it)."""

    column: str

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return f"{pair.left(self.column)} IS NULL"


@dataclass(frozen=True)
class NoneKnown:
    """A side knows none of ``columns``."""

    columns: tuple[str, ...]

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return " OR ".join(
            "(" + " AND ".join(f"{side(c)} IS NULL" for c in self.columns) + ")"
            for side in (pair.left, pair.right)
        )


@dataclass(frozen=True)
class OneEqual:
    """At least one of ``columns`` is the same on both sides."""

    columns: tuple[str, ...]

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return "(" + " OR ".join(f"{pair.left(c)} = {pair.right(c)}" for c in self.columns) + ")"


@dataclass(frozen=True)
class OneSlip:
    """Two full dates one keying slip apart: one digit wrong or two adjacent digits swapped."""

    column: str

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        a, b = pair.left(self.column), pair.right(self.column)
        distance = f"CASE WHEN length({a}) = length({b}) THEN hamming({a}, {b}) END"
        return (
            f"NOT {d.year_only(a)} AND NOT {d.year_only(b)} AND ({distance} = 1 "
            f"OR ({distance} = 2 AND damerau_levenshtein({a}, {b}) = 1))"
        )


@dataclass(frozen=True)
class SameWords:
    """The same words in any order (``tokens`` holds them sorted)."""

    column: str = "tokens"

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return f"{pair.left(self.column)} = {pair.right(self.column)}"


@dataclass(frozen=True)
class Edits:
    """Two different folded names at most ``most`` keying slips apart: a letter wrong, missing
    or added, or two adjacent letters swapped (``name_dl``, the Damerau–Levenshtein distance,
    see `PAIR_COLUMNS`). Far rarer between two people than a high Jaro–Winkler similarity,
    which Vietnamese names sharing a family and a middle name reach by their common start
    alone."""

    most: int

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return f"name_dl <= {self.most}"


def one_slip_sql(given: str, citizen: str) -> str:
    """SQL true when ``given`` (a record's ID of 11 to 13 digits) is one keying slip from
    ``citizen`` (a 12-digit ID): of the same length, one digit differs or two adjacent digits
    are swapped (Hamming distance first, the cheap test); one digit more or less
    (Damerau–Levenshtein, only where the first or last five digits agree, as one edit leaves
    one of them intact). Nested CASEs: DuckDB evaluates both sides of an AND or OR inside an
    expression, and the edit distance is the costly part. Raises nothing."""
    return (
        f"CASE WHEN length({citizen}) <> 12 THEN false "
        f"WHEN length({given}) = 12 THEN CASE hamming({given}, {citizen}) WHEN 1 THEN true "
        f"WHEN 2 THEN damerau_levenshtein({given}, {citizen}) = 1 ELSE false END "
        f"WHEN left({given}, 5) = left({citizen}, 5) OR right({given}, 5) = right({citizen}, 5) "
        f"THEN damerau_levenshtein({given}, {citizen}) = 1 ELSE false END"
    )


@dataclass(frozen=True)
class IdSlip:
    """The record's ID (``left``) is one keying slip from the citizen's (``right``: its key,
    carried by the pair anyway), see `one_slip_sql`."""

    left: str
    right: str

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return one_slip_sql(pair.left(self.left), pair.right(self.right))


@dataclass(frozen=True)
class AtLeast:
    """A pair column computed once for every level that reads it (``name_jw``: the
    Jaro–Winkler similarity of the folded names, see `PAIR_COLUMNS`) is at least ``threshold``."""

    column: str
    threshold: float

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        return f"{self.column} >= {self.threshold!r}"


# Pair columns computed before the levels, so that two levels reading one do not compute it
# twice. DuckDB's Jaro–Winkler counts bytes: folded names are ASCII, so bytes are letters.
# The names are compared as written and with their words sorted (a typo and another order).
# The edit distance is computed only where the names are alike enough to be two slips apart
# (Jaro–Winkler >= 0.8 and lengths within 2: two slips in a name of ten letters leave it above
# 0.85); the CASE spares the other pairs, most of them, its cost. ``name_dl`` reads
# ``name_jw`` (DuckDB lets a SELECT list use an alias it defined before; order matters here).
PAIR_COLUMNS = {
    "name_jw": "CASE WHEN i_name_f = p_name_f THEN 1.0 ELSE greatest("
    "jaro_winkler_similarity(i_name_f, p_name_f), jaro_winkler_similarity(i_tokens, p_tokens)) END",
    "name_dl": "CASE WHEN name_jw >= 0.8 AND abs(length(i_name_f) - length(p_name_f)) <= 2 "
    "THEN damerau_levenshtein(i_name_f, p_name_f) END",
}


@dataclass(frozen=True)
class SamePrefix:
    """The first ``length`` characters agree (a date key's year, or year and month)."""

    column: str
    length: int

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        a, b = pair.left(self.column), pair.right(self.column)
        return f"left({a}, {self.length}) = left({b}, {self.length})"


@dataclass(frozen=True)
class SameDayMonth:
    """Two full dates with the same day and month (the year mistyped)."""

    column: str

    def sql(self, d: DuckDBDialect, pair: Pair) -> str:
        """See the class. Raises nothing."""
        a, b = pair.left(self.column), pair.right(self.column)
        return f"NOT {d.year_only(a)} AND right({a}, 4) = right({b}, 4)"


NAME = Comparison(
    "ho_ten",
    (
        Level(NULL, Missing(("name_f",))),
        Level("same", Equal("name_f")),  # term-frequency adjusted (scoring.py)
        Level("regional_variant", Equal("name_c")),
        Level("middle_or_order", AllEqual(("family", "given"))),
        Level("middle_or_order", SameWords()),
        Level("one_edit", Edits(1)),
        Level("two_edits", Edits(2)),
        Level("jw_0.92", AtLeast("name_jw", 0.92)),
        Level("one_name_same", OneEqual(("family", "given"))),
        Level("jw_0.85", AtLeast("name_jw", 0.85)),
    ),
    otherwise="different",
)

BIRTH_DATE = Comparison(
    "ngay_sinh",
    (
        Level(NULL, Missing(("dkey",))),
        Level("same", Equal("dkey")),
        Level("year_only", YearOnly("dkey", "left")),
        Level("year_only", YearOnly("dkey", "right")),
        Level("day_month_swapped", DayMonthSwapped("dkey")),
        Level("one_slip", OneSlip("dkey")),
        Level("same_month", SamePrefix("dkey", 6)),
        Level("same_year", SamePrefix("dkey", 4)),
        Level("same_day_month", SameDayMonth("dkey")),
    ),
    otherwise="different",
)

GENDER = Comparison(
    "gioi_tinh",
    (Level(NULL, Missing(("g",))), Level("same", Equal("g"))),
    otherwise="different",
)

RESIDENCE = Comparison(
    "dia_chi",
    (
        Level(NULL, NoneKnown(("tinh", "huyen", "xa"))),
        Level("commune", Equal("xa")),
        Level("district", Equal("huyen")),
        Level("province", Equal("tinh")),
    ),
    otherwise="different",
)

ID = Comparison(
    "so_cccd",
    (Level(NULL, LeftMissing("idn")), Level("one_slip", IdSlip("idn", "key"))),
    otherwise="other",
)

# The model's comparisons, in the order of the level columns (``l_<field>``).
COMPARISONS: tuple[Comparison, ...] = (NAME, BIRTH_DATE, GENDER, RESIDENCE, ID)
# The comparison whose m is counted per record (em.py: `id_m`), never by anchors or EM.
ID_FIELD = ID.field
# Levels whose weight is adjusted by a frequency among citizens (a pair column, scoring.py):
# the whole name for ``same``, the shared family or given name for ``one_name_same``.
TF_FIELD = "ho_ten"
TF_LEVELS = {"same": "tf", "one_name_same": "tf_part"}


def labels(comparison: Comparison) -> tuple[str, ...]:
    """The distinct labels of a comparison, in level order, ``otherwise`` last. Raises nothing."""
    seen = dict.fromkeys(level.label for level in comparison.levels)
    seen[comparison.otherwise] = None
    return tuple(seen)


def level_column(comparison: Comparison) -> str:
    """The pair column holding the comparison's level. Raises nothing."""
    return f"l_{comparison.field}"
