"""Every linkage decision explains itself: ``DIR/explanations.parquet`` holds, for each record
the linkage compared, its best candidates (up to ``max_candidates``) with the level and
weight (bits) of each field, the name-frequency adjustment, the prior, the total match weight
and probability, and the decision. An operator resolving a REVIEW reads why each candidate
scored as it did. It holds personal IDs, so it is written like ``reconciliation.csv``
(private staging, 0600). Records with no candidate at all are not listed (NOT_FOUND).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.linkage.em import Model
from gateway.reconcile.linkage.keys import SUBJECTS
from gateway.reconcile.linkage.levels import COMPARISONS, level_column
from gateway.reconcile.linkage.scoring import DECISIONS, TOP

EXPLANATIONS = "rc_lk_explanations"
FILE_NAME = "explanations.parquet"


def explanations_sql(model: Model) -> str:
    """SQL creating ``rc_lk_explanations`` (one row per record and candidate). Raises nothing."""
    fields = ", ".join(
        f"t.{level_column(c)} AS {c.field}_level, round(t.w_{c.field}, 3) AS {c.field}_weight"
        for c in COMPARISONS
    )
    return f"""
CREATE OR REPLACE TEMP TABLE {EXPLANATIONS} AS
SELECT s.record_id, t.rank::INTEGER AS rank, t.pid AS so_dinh_danh, d.decision,
  round(t.probability, 6) AS probability, round(t.match_weight, 3) AS match_weight,
  round({model.prior_weight!r}, 3) AS prior_weight, {fields},
  round(t.w_tf, 3) AS ho_ten_frequency_weight
FROM {TOP} t JOIN {SUBJECTS} s USING (i_row) JOIN {DECISIONS} d USING (i_row)
"""


def empty_explanations_sql() -> str:
    """SQL creating an empty ``rc_lk_explanations`` with the same columns (a run without
    records to link). Raises nothing."""
    fields = ", ".join(
        f"NULL::VARCHAR AS {c.field}_level, NULL::DOUBLE AS {c.field}_weight" for c in COMPARISONS
    )
    return (
        f"CREATE OR REPLACE TEMP TABLE {EXPLANATIONS} AS SELECT NULL::VARCHAR AS record_id, "
        f"NULL::INTEGER AS rank, NULL::VARCHAR AS so_dinh_danh, NULL::VARCHAR AS decision, "
        f"NULL::DOUBLE AS probability, NULL::DOUBLE AS match_weight, NULL::DOUBLE AS prior_weight, "
        f"{fields}, NULL::DOUBLE AS ho_ten_frequency_weight LIMIT 0"
    )


def write_explanations(con: duckdb.DuckDBPyConnection, staging: Path) -> list[Path]:
    """Write ``explanations.parquet`` into ``staging`` when the linkage ran; return the files
    written. Raises duckdb.Error."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [EXPLANATIONS]
    ).fetchall()[0][0]
    if not exists:
        return []
    path = staging / FILE_NAME
    con.execute(
        f"COPY (SELECT * FROM {EXPLANATIONS} ORDER BY record_id, rank) TO {DIALECT.literal(str(path))} "
        "(FORMAT parquet, COMPRESSION zstd)"
    )
    return [path]
