"""Open the two input files as DuckDB relations, checking what can be checked before the heavy
work starts, and turn DuckDB's reading errors into `ReconcileInputError` with file, line and
column.

- CSV (``.csv``): UTF-8 (a BOM is accepted), comma-separated, a header row, ``"`` quotes. The
  header is read here in Python so that a missing column, a wrong delimiter or an empty file is
  reported at once and precisely; the rows are read by DuckDB, which stops at the first row
  it cannot read (bytes that are not UTF-8, a row with too few or too many fields), and
  `locate_csv_error` then finds that row's line and column.
- Parquet (``.parquet``, ``.pq``): identifiers and names must be strings (an ID stored as a
  number has lost its leading zeros); codes, gender and dates may be integers; a DATE birth
  date is read as ``yyyymmdd``.

Every required column is exposed as VARCHAR under its canonical lower-case name; the insured
file's other columns are passed through unchanged, as ``_extra_<n>``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from gateway.reconcile.db import first_row, quoted
from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.errors import ReconcileInputError

Role = Literal["insured", "population"]

# Columns that may arrive as integers in Parquet (nothing is lost), and which must be strings.
_INTEGER_OK = frozenset({"gioi_tinh", "ma_tinh", "ma_huyen", "ma_xa", "ngay_sinh", "record_id"})
_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "HUGEINT",
)
_HEADER_LIMIT = 1 << 20  # a header longer than 1 MiB is not a header


@dataclass(frozen=True)
class InputTable:
    """One input opened in DuckDB as the view (or table) ``relation``.

    ``rows`` is known up front for Parquet, counted after reading for CSV (None until then);
    ``extra_columns`` are the insured file's columns beyond the required ones, as named in
    the file; ``materialized`` says whether the rows were copied into a DuckDB table.
    """

    role: Role
    path: Path
    format: Literal["csv", "parquet"]
    relation: str
    columns: tuple[str, ...]
    extra_columns: tuple[str, ...]
    size_bytes: int
    rows: int | None
    materialized: bool = False
    estimated_rows: int | None = None

    @property
    def rows_for_progress(self) -> int | None:
        """The row count, or an estimate from the first lines while it is not known. Raises nothing."""
        return self.rows if self.rows is not None else self.estimated_rows


def _format_of(path: Path) -> Literal["csv", "parquet"]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise ReconcileInputError(
        "reconcile.input.format",
        f"unknown file type {suffix or '(none)'!r}: use .csv or .parquet",
        file=path,
    )


def _read_header(path: Path) -> list[str]:
    """The header row's names, checked: not empty, UTF-8, comma-separated."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEADER_LIMIT)
    except OSError as exc:
        raise ReconcileInputError(
            "reconcile.input.unreadable", f"cannot read the file: {exc.strerror}", file=path
        ) from exc
    head = head.removeprefix(b"\xef\xbb\xbf")
    if not head.strip():
        raise ReconcileInputError(
            "reconcile.input.empty", "the file is empty: expected a header row", file=path, line=1
        )
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = first[: exc.start].count(b",") + 1
        raise ReconcileInputError(
            "reconcile.input.encoding",
            f"bytes that are not UTF-8 in the header (field {column}): the file must be UTF-8",
            file=path,
            line=1,
        ) from exc
    names = next(csv.reader(io.StringIO(text)), [])
    if len(names) <= 1:
        for delimiter, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if delimiter in text:
                raise ReconcileInputError(
                    "reconcile.input.delimiter",
                    f"the header is separated by {label}: the file must be comma-separated",
                    file=path,
                    line=1,
                )
    return [name.strip() for name in names]


def _estimate_rows(path: Path, size: int) -> int | None:
    """Rows of a CSV file, estimated from the length of its first lines (for progress)."""
    try:
        with path.open("rb") as handle:
            sample = handle.read(_HEADER_LIMIT)
    except OSError:
        return None
    lines = sample.count(b"\n")
    if lines <= 1:
        return max(lines - 1, 0)
    return max(round(size / (len(sample) / lines)) - 1, 0)


def _check_columns(
    path: Path, names: list[str], required: tuple[str, ...], *, line: int | None
) -> None:
    lowered = [name.lower() for name in names]
    for name, count in ((n, lowered.count(n)) for n in dict.fromkeys(lowered)):
        if count > 1:
            raise ReconcileInputError(
                "reconcile.input.duplicate_column",
                f"column {name!r} appears {count} times",
                file=path,
                line=line,
                column=name,
            )
    missing = [column for column in required if column not in lowered]
    if missing:
        raise ReconcileInputError(
            "reconcile.input.missing_column",
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} (found: {', '.join(names) or 'none'})",
            file=path,
            line=line,
            column=missing[0],
        )


def _csv_source(path: Path, names: list[str]) -> str:
    columns = "{" + ", ".join(f"{DIALECT.literal(name)}: 'VARCHAR'" for name in names) + "}"
    return (
        f"read_csv({DIALECT.literal(str(path))}, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"auto_detect = false, strict_mode = true, columns = {columns})"
    )


def _projection(
    names: list[str], types: dict[str, str], required: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    by_lower = {name.lower(): name for name in names}
    parts = []
    for column in required:
        source = quoted(by_lower[column])
        kind = types.get(by_lower[column], "VARCHAR")
        if kind == "DATE":
            parts.append(f"strftime({source}, '%Y%m%d') AS {column}")
        else:
            parts.append(f"CAST({source} AS VARCHAR) AS {column}")
    extras = tuple(name for name in names if name.lower() not in required)
    parts.extend(f"{quoted(name)} AS {extra_column(i)}" for i, name in enumerate(extras))
    return ", ".join(parts), extras


def extra_column(index: int) -> str:
    """The name under which the ``index``-th passed-through insured column is exposed (its own
    name could clash with the output's or the pipeline's columns). Raises nothing."""
    return f"_extra_{index}"


def open_input(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    role: Role,
    required: tuple[str, ...],
    *,
    materialize: bool = False,
) -> InputTable:
    """Open ``path`` as the view ``rc_<role>`` (a table when ``materialize`` and the file is
    CSV: read once, scanned many times).

    Raises ReconcileInputError: ``reconcile.input.format`` (not .csv/.parquet),
    ``.unreadable`` (missing, unreadable, not Parquet), ``.empty``, ``.encoding`` (header not
    UTF-8), ``.delimiter``, ``.missing_column``, ``.duplicate_column``, ``.column_type``
    (a Parquet ID stored as a number); with ``materialize``, also whatever
    `locate_csv_error` finds in the rows.
    """
    fmt = _format_of(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReconcileInputError(
            "reconcile.input.unreadable", f"cannot read the file: {exc.strerror}", file=path
        ) from exc
    relation = f"rc_{role}"
    if fmt == "csv":
        names = _read_header(path)
        _check_columns(path, names, required, line=1)
        projection, extras = _projection(names, {}, required)
        source = _csv_source(path, names)
        rows = None
        estimate = _estimate_rows(path, size)
    else:
        names, types, rows = _parquet_schema(con, path)
        _check_columns(path, names, required, line=None)
        _check_parquet_types(path, names, types, required)
        projection, extras = _projection(names, types, required)
        source = f"read_parquet({DIALECT.literal(str(path))})"
        estimate = rows
    table = InputTable(role, path, fmt, relation, tuple(names), extras, size, rows, False, estimate)
    if fmt == "csv" and materialize:
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT {projection} FROM {source}"
            )
        except duckdb.Error as exc:
            raise locate_csv_error(con, table) or exc from exc
        count = first_row(con, f"SELECT count(*) FROM {relation}")
        return InputTable(
            role,
            path,
            fmt,
            relation,
            tuple(names),
            extras,
            size,
            int(count[0]) if count else 0,
            True,
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {relation} AS SELECT {projection} FROM {source}")
    return table


def _parquet_schema(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[list[str], dict[str, str], int]:
    literal = DIALECT.literal(str(path))
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall()
        counted = first_row(con, f"SELECT num_rows FROM parquet_file_metadata({literal})")
    except duckdb.Error as exc:
        raise ReconcileInputError(
            "reconcile.input.unreadable",
            f"not a readable Parquet file ({type(exc).__name__})",
            file=path,
        ) from exc
    names = [str(row[0]) for row in described]
    return names, {str(row[0]): str(row[1]) for row in described}, int(counted[0]) if counted else 0


def _check_parquet_types(
    path: Path, names: list[str], types: dict[str, str], required: tuple[str, ...]
) -> None:
    by_lower = {name.lower(): name for name in names}
    for column in required:
        kind = types[by_lower[column]]
        if (
            kind == "VARCHAR"
            or (column in _INTEGER_OK and kind in _INTEGER_TYPES)
            or (column == "ngay_sinh" and kind == "DATE")
        ):
            continue
        raise ReconcileInputError(
            "reconcile.input.column_type",
            f"column {column} is {kind}: it must be a string"
            + (
                " (an ID stored as a number has lost its leading zeros)"
                if kind in _INTEGER_TYPES
                else ""
            ),
            file=path,
            column=column,
        )


_REJECT_CODES = {
    "INVALID ENCODING": (
        "reconcile.input.encoding",
        "bytes that are not UTF-8: the file must be UTF-8",
    ),
    "MISSING COLUMNS": (
        "reconcile.input.row_shape",
        "too few fields in this row (is it comma-separated?)",
    ),
    "TOO MANY COLUMNS": (
        "reconcile.input.row_shape",
        "too many fields in this row (an unquoted comma?)",
    ),
    "UNQUOTED VALUE": ("reconcile.input.quoting", "a quote inside an unquoted field"),
    "LINE SIZE OVER MAXIMUM": (
        "reconcile.input.line_too_long",
        "the line is too long (an unclosed quote?)",
    ),
}


def locate_csv_error(
    con: duckdb.DuckDBPyConnection, table: InputTable
) -> ReconcileInputError | None:
    """Find the first row of a CSV input that DuckDB cannot read, as a ReconcileInputError
    naming its line (1-based, header = line 1) and column; None when the file reads cleanly
    (the error was elsewhere) or is not CSV. Reads the whole file again: call it only after a
    failure. Raises nothing."""
    if table.format != "csv":
        return None
    reject = f"rc_rejects_{table.role}"
    try:
        con.execute(f"DROP TABLE IF EXISTS {reject}; DROP TABLE IF EXISTS {reject}_scan")
        source = _csv_source(table.path, list(table.columns))[:-1]  # reopen the call to add options
        # Touch every column: a count(*) alone would not decode (nor check) the values.
        touched = " + ".join(f"strlen({quoted(name)})" for name in table.columns)
        con.execute(
            f"SELECT sum({touched}) FROM {source}, store_rejects = true, rejects_table = '{reject}', "
            f"rejects_scan = '{reject}_scan')"
        ).fetchall()
        found = first_row(
            con,
            f"SELECT line, column_name, error_type FROM {reject} ORDER BY line, column_idx LIMIT 1",
        )
    except duckdb.Error as exc:
        return ReconcileInputError(
            "reconcile.input.csv",
            f"the file cannot be read as CSV ({type(exc).__name__})",
            file=table.path,
        )
    finally:
        for name in (reject, f"{reject}_scan"):
            try:
                con.execute(f"DROP TABLE IF EXISTS {name}")
            except duckdb.Error:
                pass
    if found is None:
        return None
    line, column, error_type = found
    code, message = _REJECT_CODES.get(
        str(error_type), ("reconcile.input.csv", f"unreadable row ({error_type})")
    )
    return ReconcileInputError(
        code, message, file=table.path, line=int(line), column=str(column) if column else None
    )
