"""The duplicate pass: insured records that resolve to the same citizen (two cards for one
person) get ``duplicate_group`` = the smallest ``record_id`` of the group (compared as text):
the pass builds the groups, the output joins them (`outputs.output_select`).

It runs after every pass that links records, so that the linkage issue's demographic pass only
has to fill ``so_dinh_danh``. The same grouping finds input errors that would otherwise
multiply rows: the same ``record_id`` twice under one citizen means a key repeated in the
insured file or an ID repeated in the population file.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from gateway.reconcile.db import first_row

RESULTS = "rc_results"
GROUPS = "rc_duplicate_groups"


@dataclass(frozen=True)
class DuplicateStats:
    """Groups found and the records in them; ``repeated_record`` is a ``record_id`` that
    appears twice in one group (an input error), else None."""

    groups: int
    records: int
    repeated_record: str | None
    repeated_citizen: str | None


def mark_duplicates(con: duckdb.DuckDBPyConnection) -> DuplicateStats:
    """Create ``rc_duplicate_groups`` (each citizen with more than one record: ``so_dinh_danh``,
    ``first_record``), which the output joins to fill ``duplicate_group``. Always creates the
    table, empty when there is no group. Raises duckdb.Error."""
    # The output joins this small table rather than the pass updating rc_results: an UPDATE
    # rewrites the rows it touches and its column (10M records: 1.5 s against ~0.3 s).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {GROUPS} AS
        SELECT so_dinh_danh, min(record_id) AS first_record, count(*) AS records
        FROM {RESULTS} WHERE so_dinh_danh IS NOT NULL GROUP BY 1 HAVING count(*) > 1"""
    )
    found = first_row(con, f"SELECT count(*), coalesce(sum(records), 0) FROM {GROUPS}")
    groups, records = (int(found[0]), int(found[1])) if found else (0, 0)
    if groups == 0:
        return DuplicateStats(0, 0, None, None)
    repeated = first_row(
        con,
        f"""SELECT record_id, so_dinh_danh FROM {RESULTS}
        WHERE so_dinh_danh IN (SELECT so_dinh_danh FROM {GROUPS})
        GROUP BY ALL HAVING count(*) > 1 LIMIT 1""",
    )
    return DuplicateStats(
        groups, records, repeated[0] if repeated else None, repeated[1] if repeated else None
    )
