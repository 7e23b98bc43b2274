"""The toolkit pass: settle in Python, with `gateway.identity`, the few records SQL left
unresolved (``_pending``), and classify them again.

- names: `compare_names` on each distinct (insured, authority) pair: tone placement, the
  legacy encodings, regional family names, middle names, order, spelling. A batch has few
  distinct pairs compared with its records; when there are many, they are shared among worker
  processes (one per core), since DuckDB is idle meanwhile.
- birth dates in a shape the SQL does not read: `parse_birth_date` and `compare_birth_dates`.
  An insured date that cannot be read is ``different`` (the authority's is proposed); an
  authority's date that cannot be read is not compared.

Only the distinct name pairs and the open dates are fetched, and the verdicts go back as
lists bound to one statement: no per-record round trip to DuckDB. The demographic linkage
settles its linked records the same way (`settled_sql`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import duckdb

from gateway.identity import BirthDateError, compare_birth_dates, compare_names, parse_birth_date
from gateway.reconcile.classify import CLASSIFIED_COLUMNS, TrustRule, classification_sql
from gateway.reconcile.comparisons import UNRESOLVED
from gateway.reconcile.db import first_row
from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.link import NOT_FOUND, narrow_sql, unpack_state_sql
from gateway.reconcile.progress import Progress

RESULTS = "rc_results"
PENDING = "rc_pending"
NAME_VERDICTS = "rc_name_verdicts"
DATE_VERDICTS = "rc_date_verdicts"
# Below this many distinct pairs, starting worker processes costs more than it saves.
PARALLEL_MIN_PAIRS = 20_000
# Pairs per task: at most this many, and small enough that each worker gets several tasks
# (with a few large tasks one worker is left with the last one while the others idle).
_CHUNK = 5_000
_TASKS_PER_WORKER = 4


def compare_name_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, float, bool]]:
    """(kind, similarity, a legacy encoding was repaired) for each (insured, authority) pair.
    Top-level so that worker processes can run it. Raises nothing."""
    out: list[tuple[str, float, bool]] = []
    for insured, authority in pairs:
        result = compare_names(insured, authority)
        out.append(
            (result.kind, result.similarity, bool(result.encoding_left or result.encoding_right))
        )
    return out


def date_verdict(insured: str | None, authority: str | None) -> tuple[str, bool | None, str | None]:
    """(level, same birth year, the authority's date as yyyymmdd or yyyy) for two birth dates
    as written. A year-only authority date agrees with a full date of that year. Raises nothing."""
    try:
        theirs = parse_birth_date(authority or "")
    except BirthDateError:
        return "same", None, None  # nothing authoritative to compare with or propose
    proposed = f"{theirs.year:04d}" if theirs.precision == "year" else theirs.to_qd130()[:8]
    try:
        ours = parse_birth_date(insured or "")
    except BirthDateError:
        return "different", False, proposed
    level = compare_birth_dates(ours, theirs)
    if level == "precision" and theirs.precision == "year":
        level = "same"
    return level, ours.year == theirs.year, proposed


@dataclass(frozen=True)
class ResolveStats:
    """What the pass did: records settled, distinct name pairs compared, worker processes."""

    records: int
    name_pairs: int
    date_pairs: int
    workers: int


def _compare_all(
    pairs: list[tuple[str, str]], workers: int, advance: Callable[[int], None]
) -> tuple[list[tuple[str, float, bool]], int]:
    parallel = workers > 1 and len(pairs) >= PARALLEL_MIN_PAIRS
    size = min(_CHUNK, -(-len(pairs) // (workers * _TASKS_PER_WORKER))) if parallel else _CHUNK
    chunks = [pairs[i : i + size] for i in range(0, len(pairs), size)]
    if not parallel:
        results: list[tuple[str, float, bool]] = []
        for chunk in chunks:
            results.extend(compare_name_pairs(chunk))
            advance(len(chunk))
        return results, 1
    # fork: the workers start at once with the toolkit loaded, and never re-run the caller's
    # main module. They only run compare_names: DuckDB is idle (no query is running) and the
    # children never touch it; they end with os._exit, so no finaliser closes its connection.
    context = multiprocessing.get_context("fork")
    results = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for chunk, done in zip(chunks, pool.map(compare_name_pairs, chunks), strict=True):
            results.extend(done)
            advance(len(chunk))
    return results, workers


@dataclass(frozen=True)
class Settled:
    """A SELECT of a relation's columns with its open names and dates settled (`settled_sql`),
    and what it took: distinct name pairs compared, open dates, worker processes."""

    select: str
    name_pairs: int
    date_pairs: int
    workers: int


def settled_sql(
    con: duckdb.DuckDBPyConnection,
    table: str,
    open_names: str,
    workers: int,
    progress: Progress | None = None,
) -> Settled:
    """Settle with the identity toolkit the open names and birth dates of ``table`` (a table
    with `LEVEL_COLUMNS`, ``_i_ho_ten`` and ``_i_ngay_sinh``, none of its rows ever deleted so
    that its rowid is a key): the names of the rows where ``open_names`` holds (each distinct
    pair compared once, in ``workers`` processes when there are many), the dates whose level
    is unresolved. Returns the SELECT of ``table``'s columns with the verdicts applied; it reads
    the verdict tables, which `drop_verdicts` removes once it has run. Raises duckdb.Error."""
    # Only the distinct name pairs and the open dates travel to Python, and the verdicts come
    # back as lists bound to one statement: no per-record round trip, and no Arrow table built
    # from Python objects (pyarrow then imports pandas: a third of a second).
    pairs = [
        (str(insured), str(authority))
        for insured, authority in con.execute(
            f"SELECT DISTINCT coalesce(_i_ho_ten, ''), coalesce(_p_ho_ten, '') FROM {table} "
            f"WHERE {open_names}"
        ).fetchall()
    ]
    dates = con.execute(
        f"SELECT rowid, _i_ngay_sinh, _p_ngay_sinh FROM {table} WHERE _date_level = '{UNRESOLVED}'"
    ).fetchall()
    with (progress or Progress(enabled=False)).counted(
        "comparing names (toolkit)", len(pairs)
    ) as advance:
        verdicts, used = _compare_all(pairs, workers, advance)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {NAME_VERDICTS} AS SELECT unnest($1::VARCHAR[]) AS insured, "
        "unnest($2::VARCHAR[]) AS authority, unnest($3::VARCHAR[]) AS kind, "
        "unnest($4::DOUBLE[]) AS similarity, unnest($5::BOOLEAN[]) AS encoding",
        [[i for i, _ in pairs], [a for _, a in pairs], *map(list, zip(*verdicts, strict=True))]
        if verdicts
        else [[], [], [], [], []],
    )
    settled_dates = [(row, *date_verdict(insured, authority)) for row, insured, authority in dates]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {DATE_VERDICTS} AS SELECT unnest($1::BIGINT[]) AS _row, "
        "unnest($2::VARCHAR[]) AS level, unnest($3::BOOLEAN[]) AS year_agrees, "
        "unnest($4::VARCHAR[]) AS proposed",
        [list(column) for column in zip(*settled_dates, strict=True)]
        if settled_dates
        else [[], [], [], []],
    )
    select = f"""
SELECT r.* EXCLUDE (_rid, _open_name) REPLACE (
    CASE WHEN n.kind IS NOT NULL THEN n.kind ELSE r._name_level END AS _name_level,
    CASE WHEN n.kind IS NOT NULL THEN n.similarity ELSE r._name_similarity END AS _name_similarity,
    CASE WHEN n.kind IS NOT NULL THEN n.encoding ELSE r._name_encoding END AS _name_encoding,
    CASE WHEN d._row IS NOT NULL THEN d.level ELSE r._date_level END AS _date_level,
    CASE WHEN d._row IS NOT NULL THEN d.year_agrees ELSE r._year_agrees END AS _year_agrees,
    coalesce(d.proposed, r._p_ngay_sinh) AS _p_ngay_sinh)
FROM (SELECT rowid AS _rid, *, {open_names} AS _open_name FROM {table}) r
LEFT JOIN {NAME_VERDICTS} n ON r._open_name
  AND n.insured = coalesce(r._i_ho_ten, '') AND n.authority = coalesce(r._p_ho_ten, '')
LEFT JOIN {DATE_VERDICTS} d ON d._row = r._rid"""
    return Settled(select, len(pairs), len(dates), used)


def drop_verdicts(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the verdict tables `settled_sql` made. Raises duckdb.Error."""
    con.execute(f"DROP TABLE IF EXISTS {NAME_VERDICTS}; DROP TABLE IF EXISTS {DATE_VERDICTS}")


def resolve_pending(
    con: duckdb.DuckDBPyConnection,
    rule: TrustRule,
    workers: int,
    progress: Progress | None = None,
) -> ResolveStats:
    """Settle every ``_pending`` record of ``rc_results`` and classify it again, showing the
    name pairs compared on ``progress``. Raises duckdb.Error."""
    # The pending records with their state unpacked (link.STATE), in a table of their own:
    # a few percent of the records, scanned several times below; its rowid keys the open
    # dates (a new table, nothing deleted from it).
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {PENDING} AS "
        f"{unpack_state_sql(RESULTS, '_pending', (*CLASSIFIED_COLUMNS, '_pending'))}"
    )
    found = first_row(con, f"SELECT count(*) FROM {PENDING}")
    records = int(found[0]) if found else 0
    if records == 0:
        con.execute(f"DROP TABLE {PENDING}")
        return ResolveStats(0, 0, 0, 0)
    open_names = f"_name_level = '{UNRESOLVED}' AND {rule.needs_name()}"
    settled = settled_sql(con, PENDING, open_names, workers, progress)
    # Replace the pending records with themselves settled, classified again and packed as
    # the ID pass packs them (link.narrow_sql): a DELETE and an INSERT, since an UPDATE of a
    # dozen columns on rows scattered over the table costs DuckDB several times more.
    classified = (
        f"(SELECT *, false AS _pending FROM ({classification_sql(f'({settled.select})', rule)}))"
    )
    con.execute(f"DELETE FROM {RESULTS} WHERE _pending")
    con.execute(
        f"INSERT INTO {RESULTS} BY NAME "
        f"{narrow_sql(classified, f'category = {DIALECT.literal(NOT_FOUND)}')}"
    )
    drop_verdicts(con)
    con.execute(f"DROP TABLE {PENDING}")
    return ResolveStats(records, settled.name_pairs, settled.date_pairs, settled.workers)
