"""How close a reconciliation came to the synthetic ground truth (synth.py): category
accuracy, and precision and recall of the discrepant fields on the records the truth links by
ID (MATCH or MISMATCH), overall and per field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.model import FIELDS


@dataclass(frozen=True)
class Accuracy:
    """Scores in [0, 1]; ``records`` compared; ``confusion`` maps (truth, found) categories to
    counts; ``per_field`` maps a field to (precision, recall)."""

    records: int
    category_accuracy: float
    linked_id_accuracy: float
    details_accuracy: float
    duplicate_group_accuracy: float
    field_precision: float
    field_recall: float
    per_field: dict[str, tuple[float, float]]
    confusion: dict[tuple[str, str], int]


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def _source(path: Path) -> str:
    literal = DIALECT.literal(str(path))
    if path.suffix == ".csv":
        return f"read_csv({literal}, header = true, all_varchar = true)"
    return f"read_parquet({literal})"


def score(result: Path, truth: Path) -> Accuracy:
    """Compare a ``reconciliation.csv``/``.parquet`` with a ``truth.parquet``. Raises
    duckdb.Error when a file cannot be read."""
    con = duckdb.connect()
    try:
        con.execute(
            f"""CREATE TEMP TABLE s AS SELECT t.record_id, t.category AS t_cat, coalesce(r.category, '') AS r_cat,
              t.so_dinh_danh IS NOT DISTINCT FROM r.so_dinh_danh AS id_ok,
              coalesce(t.details, '') = coalesce(r.details, '') AS details_ok,
              t.duplicate_group IS NOT DISTINCT FROM r.duplicate_group AS dup_ok,
              string_split(coalesce(t.fields, ''), '|') AS t_fields,
              string_split(coalesce(r.fields, ''), '|') AS r_fields
            FROM read_parquet({DIALECT.literal(str(truth))}) t LEFT JOIN {_source(result)} r USING (record_id)"""
        )
        totals = con.execute(
            "SELECT count(*), sum((t_cat = r_cat)::INT), sum(id_ok::INT), sum(details_ok::INT), sum(dup_ok::INT) FROM s"
        ).fetchall()[0]
        records = int(totals[0])
        per_field: dict[str, tuple[float, float]] = {}
        tp_all = fp_all = fn_all = 0
        for field in FIELDS:
            tp, fp, fn = con.execute(
                f"""SELECT
                  sum((list_contains(t_fields, '{field}') AND list_contains(r_fields, '{field}'))::INT),
                  sum((NOT list_contains(t_fields, '{field}') AND list_contains(r_fields, '{field}'))::INT),
                  sum((list_contains(t_fields, '{field}') AND NOT list_contains(r_fields, '{field}'))::INT)
                FROM s WHERE t_cat IN ('MATCH', 'MISMATCH')"""
            ).fetchall()[0]
            tp, fp, fn = int(tp or 0), int(fp or 0), int(fn or 0)
            per_field[field] = (_ratio(tp, tp + fp), _ratio(tp, tp + fn))
            tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        confusion = {
            (str(t), str(r)): int(n)
            for t, r, n in con.execute(
                "SELECT t_cat, r_cat, count(*) FROM s GROUP BY 1, 2"
            ).fetchall()
        }
    finally:
        con.close()
    return Accuracy(
        records=records,
        category_accuracy=_ratio(int(totals[1] or 0), records),
        linked_id_accuracy=_ratio(int(totals[2] or 0), records),
        details_accuracy=_ratio(int(totals[3] or 0), records),
        duplicate_group_accuracy=_ratio(int(totals[4] or 0), records),
        field_precision=_ratio(tp_all, tp_all + fp_all),
        field_recall=_ratio(tp_all, tp_all + fn_all),
        per_field=per_field,
        confusion=confusion,
    )
