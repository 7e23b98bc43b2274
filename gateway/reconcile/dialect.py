"""Every engine-specific piece of SQL the reconciliation writes, in one place (as Splink keeps
its dialects): string forms, ID shapes, date keys, literals.

Only DuckDB exists today. Another engine (PostgreSQL for an online mode, say) would be a second
class with the same methods. The fast forms here are screens, never the definition: a value
the SQL cannot settle is left for the identity toolkit in Python, and the tests check that
whatever the SQL does settle agrees with the toolkit (tests/reconcile/test_sql_agrees.py).

Why some choices: DuckDB's `nfc_normalize`, `strip_accents` and regular expressions cost about
a microsecond per value, as much as the Python toolkit, so the comparisons call them only on
the pairs that are not already equal as given (a CASE evaluates a branch only for the rows
that reach it); and its `levenshtein`/`jaro_winkler_similarity` count UTF-8 bytes, so names are
never scored here at all.
"""

from __future__ import annotations

from collections.abc import Iterable


class DuckDBDialect:
    """SQL fragments for DuckDB 1.x/2.x. Each method takes SQL expressions and returns one."""

    name = "duckdb"

    @staticmethod
    def literal(value: str) -> str:
        """A string literal. Raises nothing."""
        return "'" + value.replace("'", "''") + "'"

    def in_list(self, expr: str, values: Iterable[str]) -> str:
        """``expr`` is one of a few ``values`` (string literals). Raises nothing."""
        return f"{expr} IN ({', '.join(self.literal(v) for v in values)})"

    @staticmethod
    def in_code_set(expr: str, codes: Iterable[str], width: int) -> str:
        """``expr`` is one of ``codes``, all ``width``-digit numbers (at most 4 digits).

        A lookup in a constant mask string: DuckDB turns a long IN list into a join that runs
        for every row, even inside a CASE branch that few rows reach. Raises ValueError for a
        code that is not ``width`` digits.
        """
        size = 10**width
        mask = ["0"] * size
        for code in codes:
            if len(code) != width or not code.isdigit():
                raise ValueError(f"{code!r} is not a {width}-digit code")
            mask[int(code)] = "1"
        return f"(substr('{''.join(mask)}', TRY_CAST({expr} AS INTEGER) + 1, 1) = '1')"

    @staticmethod
    def is_ascii(expr: str) -> str:
        """True when every character is ASCII: bytes and characters count the same."""
        return f"(strlen({expr}) = length({expr}))"

    @staticmethod
    def trimmed(expr: str) -> str:
        """Leading and trailing white space removed (NULL stays NULL)."""
        return f"trim({expr})"

    @staticmethod
    def upper(expr: str) -> str:
        """Upper case (Unicode)."""
        return f"upper({expr})"

    @staticmethod
    def squeezed(expr: str) -> str:
        """Trimmed, runs of white space made one space; the regular expression only runs on
        values that have such a run."""
        runs = " OR ".join(
            f"contains({expr}, {run})" for run in ("'  '", "chr(9)", "chr(10)", "chr(13)")
        )
        trimmed = DuckDBDialect.trimmed(expr)
        return (
            f"CASE WHEN {runs} THEN regexp_replace({trimmed}, '\\s+', ' ', 'g') ELSE {trimmed} END"
        )

    def name_form(self, expr: str) -> str:
        """A name in NFC, upper case, single-spaced: a subset of what
        `gateway.identity.normalize_name` does (it also moves tone marks), so two names
        equal here are equal there."""
        return f"upper(nfc_normalize({self.squeezed(expr)}))"

    @staticmethod
    def has_combining_mark(expr: str) -> str:
        """Holds a combining diacritical mark (U+0300-U+036F)."""
        return f"regexp_matches({expr}, '[\\x{{0300}}-\\x{{036F}}]')"

    def folded(self, expr: str) -> str:
        """A name with its marks stripped and Đ made D, upper case, single-spaced (as
        `gateway.identity.fold_name` for Vietnamese letters)."""
        return f"replace(strip_accents(upper({self.squeezed(expr)})), 'Đ', 'D')"

    def full_match(self, expr: str, pattern: str) -> str:
        """The whole of ``expr`` matches the regular expression ``pattern`` (RE2 syntax)."""
        return f"regexp_full_match({expr}, {self.literal(pattern)})"

    def digits(self, expr: str, count: int) -> str:
        """Exactly ``count`` ASCII digits."""
        return self.full_match(expr, f"[0-9]{{{count}}}")

    def passport(self, expr: str) -> str:
        """A passport number as QĐ 130's SO_CCCD allows it: a capital letter and 7 digits."""
        return self.full_match(expr, "[A-Z][0-9]{7}")

    def date_key(self, expr: str) -> str:
        """``yyyymmdd`` (``yyyy0000`` for a year-only date) from the shapes the files use:
        ``yyyy``, ``yyyymmdd``, QĐ 130's ``yyyymmddHHMM`` (a valid time), ``dd/mm/yyyy``;
        NULL for any other shape. Whether the date exists is `date_key_valid`'s question."""
        x = self.trimmed(expr)
        # (length, shape, the key from it): each shape has one length, so the length picks it.
        shapes = (
            (8, self.digits(x, 8), x),
            (4, self.digits(x, 4), f"{x} || '0000'"),
            (
                12,
                f"{self.digits(x, 12)} AND {self.substr(x, 9, 2)} <= '23' AND {self.substr(x, 11, 2)} <= '59'",
                f"left({x}, 8)",
            ),
            (
                10,
                self.full_match(x, "[0-9]{2}/[0-9]{2}/[0-9]{4}"),
                f"{self.substr(x, 7, 4)} || {self.substr(x, 4, 2)} || {self.substr(x, 1, 2)}",
            ),
        )
        whens = " ".join(
            f"WHEN {n} THEN CASE WHEN {shape} THEN {key} END" for n, shape, key in shapes
        )
        return f"CASE length({x}) {whens} END"

    @staticmethod
    def date_key_valid(key: str, min_year: int, max_year: int) -> str:
        """The key is a date that exists (or a year only) with the year in range: what
        `gateway.identity.parse_birth_date` accepts for these shapes."""
        return (
            f"(left({key}, 4) BETWEEN '{min_year:04d}' AND '{max_year:04d}' AND "
            f"(right({key}, 4) = '0000' OR try_strptime({key}, '%Y%m%d') IS NOT NULL))"
        )

    @staticmethod
    def year_only(key: str) -> str:
        """The key carries the year only."""
        return f"(right({key}, 4) = '0000')"

    @staticmethod
    def substr(expr: str, start: int, length: int) -> str:
        """Characters ``start`` (1-based) to ``start + length - 1``."""
        return f"substr({expr}, {start}, {length})"

    def code(self, expr: str) -> str:
        """An administrative code without surrounding space or leading zeros ("01" = "1")."""
        return f"ltrim({self.trimmed(expr)}, '0')"

    def empty(self, expr: str) -> str:
        """NULL or only white space."""
        return f"coalesce({self.trimmed(expr)}, '') = ''"

    @staticmethod
    def concat_ws(separator: str, parts: Iterable[str]) -> str:
        """The non-NULL parts joined by ``separator`` ('' when all are NULL)."""
        return f"concat_ws('{separator}', {', '.join(parts)})"


DIALECT = DuckDBDialect()
