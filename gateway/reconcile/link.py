"""The ID pass: link each insured record to the citizen its ID names, and compare the fields in
SQL as far as SQL can settle them (comparisons.py).

One scan of each input, two hash joins: the insured records against an index of old 9-digit
IDs (population ``so_cmnd`` -> ``so_dinh_danh``, used only when one citizen has that old ID),
then against the population on the 12-digit ID. The result is
narrow: per record the link, one level per field, and only the values a later step needs (the
two names where SQL left the name unresolved, the authority's value where a field differs).
The same statement classifies (classify.py) and creates ``rc_results``.

``rc_results`` is kept narrow: every column of it costs each later scan, and at 10M records a
wide table no longer fits the memory limit and is spilled and read back. Per record it holds
the output's columns, ``_pending`` and ``_state``: the internal level columns (`STATE`) packed
as one JSON value, only on the records a later pass reads them for (the ``_pending`` ones,
for the toolkit; the NOT_FOUND ones, for the linkage); NULL on the others (~93%).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from gateway.reconcile.classify import LEVEL_COLUMNS, TrustRule, classification_sql
from gateway.reconcile.comparisons import (
    ADDRESS,
    BIRTH_DATE,
    GENDER,
    NAME,
    UNRESOLVED,
    id_contradicts,
    id_form,
    known_province,
)
from gateway.reconcile.db import quoted
from gateway.reconcile.dialect import DIALECT

RESULTS = "rc_results"
NOT_FOUND = "NOT_FOUND"
OLD_IDS = "rc_old_ids"
COMPARED = ("ho_ten", "ngay_sinh", "gioi_tinh", "ma_tinh", "ma_huyen", "ma_xa")

# What ``_state`` holds: the level columns and the insured values the toolkit settles, typed.
_BOOLEAN = ("_name_encoding", "_year_agrees", "_inconsistent")
STATE: dict[str, str] = {
    c: "BOOLEAN" if c in _BOOLEAN else "DOUBLE" if c == "_name_similarity" else "VARCHAR"
    for c in (*LEVEL_COLUMNS, "_i_ho_ten", "_i_ngay_sinh")
}
_STRUCTURE = "{" + ", ".join(f'"{c}": "{t}"' for c, t in STATE.items()) + "}"


def pack_state_sql(keep: str) -> str:
    """``_state``: the `STATE` columns of a relation as one JSON value where ``keep`` (a
    boolean over the relation) holds, else NULL. Raises nothing."""
    fields = ", ".join(f"{c} := {c}" for c in STATE)
    return f"CASE WHEN {keep} THEN to_json(struct_pack({fields})) END AS _state"


def unpack_state_sql(relation: str, where: str, exclude: Sequence[str] = ()) -> str:
    """A SELECT of the columns of ``relation`` but ``_state`` and ``exclude``, and the `STATE`
    columns unpacked from its ``_state``, for the rows ``where`` holds. Raises nothing."""
    return (
        f"SELECT * EXCLUDE (_s), _s.* FROM ("
        f"SELECT * EXCLUDE ({', '.join((*exclude, '_state'))}), from_json(_state, '{_STRUCTURE}') AS _s "
        f"FROM {relation} WHERE {where})"
    )


def narrow_sql(source: str, keep_state: str) -> str:
    """What ``rc_results`` holds from ``source`` (a classified relation: `classification_sql`):
    every column but the `STATE` ones, plus ``_state`` where ``keep_state`` holds. Raises
    nothing."""
    return f"SELECT * EXCLUDE ({', '.join(STATE)}), {pack_state_sql(keep_state)} FROM {source}"


def year_agrees_sql(i_key: str, p_key: str) -> str:
    """``_year_agrees`` from the date level (the birth-date keys of both sides): shared by every
    pass that compares a record with its citizen."""
    return (f"CASE WHEN _date_level IN ('same', 'precision', 'day_month_swapped') THEN true\n"
            f"         WHEN _date_level = 'different' THEN left({i_key}, 4) = left({p_key}, 4) END AS _year_agrees")


def authority_values_sql(p_key: str) -> str:
    """The authority's value of each field that differs (``_p_ngay_sinh`` ... ``_p_ma_xa``), what
    classification proposes: shared by every pass that compares a record with its citizen."""
    d = DIALECT
    return f"""CASE WHEN _date_level <> 'same' THEN
      CASE WHEN {p_key} IS NULL THEN trim(p_ngay_sinh)
           WHEN {d.year_only(p_key)} THEN left({p_key}, 4) ELSE {p_key} END END AS _p_ngay_sinh,
    CASE WHEN _gender_level <> 'same' THEN trim(p_gioi_tinh) END AS _p_gioi_tinh,
    CASE WHEN _address_level <> 'same' THEN trim(p_ma_tinh) END AS _p_ma_tinh,
    CASE WHEN _address_level <> 'same' THEN trim(p_ma_huyen) END AS _p_ma_huyen,
    CASE WHEN _address_level <> 'same' THEN trim(p_ma_xa) END AS _p_ma_xa"""


def old_id_sql(population: str, insured: str | None = None) -> str:
    """SQL creating the old-ID index: each 9-character ``so_cmnd``, the smallest
    ``so_dinh_danh`` having it, and how many citizens have it (the link uses it only when
    one does). Only insured IDs of 9 digits are looked up in it, so the authority's values
    need no check of their own. With ``insured`` (a relation cheap to scan again, such as
    Parquet), only the old IDs some insured record carries are kept. Raises nothing."""
    used = (
        f" AND so_cmnd IN (SELECT trim(so_cccd) FROM {insured} WHERE length(trim(so_cccd)) = 9)"
        if insured
        else ""
    )
    return (
        f"CREATE OR REPLACE TEMP TABLE {OLD_IDS} AS "
        f"SELECT so_cmnd, min(so_dinh_danh) AS so_dinh_danh, count(*) AS citizens "
        f"FROM {population} WHERE length(so_cmnd) = 9{used} GROUP BY 1"
    )


def levels_sql(insured: str, population: str, extras: Sequence[str], rule: TrustRule) -> str:
    """A SELECT giving, per insured record, ``record_id``, the ``extras`` (insured columns
    passed through to the output), the `LEVEL_COLUMNS` and the ones the Python step reads:
    ``_pending`` (SQL left the name or the date unresolved and it matters), ``_i_ho_ten``,
    ``_i_ngay_sinh`` (for pending records only). Raises nothing."""
    d = DIALECT
    extra_cols = "".join(f", {quoted(c)}" for c in extras)
    insured_cols = ", ".join(f"{c} AS i_{c}" for c in COMPARED)
    population_cols = ", ".join(f"p.{c} AS p_{c}" for c in COMPARED)
    linked = "p_so_dinh_danh IS NOT NULL"
    i_key, p_key = "i_ngay_sinh_key", "p_ngay_sinh_key"
    keys_differ = f"{linked} AND i_ngay_sinh IS DISTINCT FROM p_ngay_sinh"
    # The ID-contradiction check reads the authority's columns only: computed on the population
    # side of the join it costs half as much as on the joined rows (DuckDB, 1M rows: 0.15 s
    # against 0.3 s of CPU), though for every citizen rather than every linked one.
    inconsistent = id_contradicts(d, "so_dinh_danh", "ngay_sinh", "gioi_tinh")
    return f"""
WITH shaped AS (
  SELECT record_id, id_value, {id_form(d, "id_value")} AS id_form, {insured_cols}{extra_cols}
  FROM (SELECT *, trim(so_cccd) AS id_value FROM {insured})
), joined AS (
  SELECT s.*, p.so_dinh_danh AS p_so_dinh_danh, {population_cols}, p.inconsistent AS p_inconsistent
  FROM shaped s
  LEFT JOIN {OLD_IDS} o ON o.so_cmnd = CASE WHEN s.id_form = 'cmnd' THEN s.id_value END
  LEFT JOIN (SELECT *, {inconsistent} AS inconsistent FROM {population}) p ON p.so_dinh_danh =
    CASE WHEN s.id_form = 'cccd' THEN s.id_value WHEN o.citizens = 1 THEN o.so_dinh_danh END
), keyed AS (
  SELECT *,
    CASE WHEN {keys_differ} THEN {d.date_key("i_ngay_sinh")} END AS {i_key},
    CASE WHEN {keys_differ} THEN {d.date_key("p_ngay_sinh")} END AS {p_key}
  FROM joined
), levels AS (
  SELECT *,
    CASE WHEN {linked} THEN {NAME.sql()} END AS _name_level,
    CASE WHEN NOT {linked} THEN NULL WHEN i_ngay_sinh = p_ngay_sinh THEN 'same' ELSE {BIRTH_DATE.sql()} END AS _date_level,
    CASE WHEN {linked} THEN {GENDER.sql()} END AS _gender_level,
    CASE WHEN {linked} THEN {ADDRESS.sql()} END AS _address_level
  FROM keyed
), internal AS (
  SELECT record_id{extra_cols},
    CASE WHEN {linked} THEN p_so_dinh_danh END AS _citizen,
    CASE WHEN NOT {linked} THEN NULL WHEN id_form = 'cmnd' THEN 'so_cmnd' ELSE 'so_cccd' END AS _linked_by,
    CASE
      WHEN {linked} THEN NULL
      WHEN id_form = 'cccd' AND {known_province(d, "id_value")} THEN 'unknown'
      WHEN id_form = 'cccd' THEN 'malformed'
      WHEN id_form = 'cmnd' THEN 'unknown'
      WHEN id_form = 'passport' THEN 'missing'
      ELSE id_form
    END AS _id_status,
    _name_level, false AS _name_encoding,
    CASE WHEN _name_level IN ('same', 'diacritics') THEN 1.0 END::DOUBLE AS _name_similarity,
    _date_level,
    {year_agrees_sql(i_key, p_key)},
    _gender_level, _address_level,
    CASE WHEN {linked} THEN p_inconsistent END AS _inconsistent,
    CASE WHEN _name_level = '{UNRESOLVED}' THEN i_ho_ten END AS _i_ho_ten,
    CASE WHEN _name_level <> 'same' THEN p_ho_ten END AS _p_ho_ten,
    CASE WHEN _date_level = '{UNRESOLVED}' THEN i_ngay_sinh END AS _i_ngay_sinh,
    {authority_values_sql(p_key)}
  FROM levels
)
SELECT *,
  coalesce(_date_level = '{UNRESOLVED}' OR (_name_level = '{UNRESOLVED}' AND {rule.needs_name()}), false) AS _pending
FROM internal
"""


def run_link(
    con: duckdb.DuckDBPyConnection,
    insured: str,
    population: str,
    extras: Sequence[str],
    rule: TrustRule,
    *,
    insured_rescan_cheap: bool = False,
) -> None:
    """Build the old-ID index and ``rc_results``: every insured record classified as far as
    SQL can settle it (``_pending`` marks the rest). Raises duckdb.Error (the caller turns a
    CSV reading error into a ReconcileInputError)."""
    con.execute(old_id_sql(population, insured if insured_rescan_cheap else None))
    levels = levels_sql(insured, population, extras, rule)
    classified = f"({classification_sql(f'({levels})', rule)})"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RESULTS} AS "
        f"{narrow_sql(classified, f'_pending OR category = {DIALECT.literal(NOT_FOUND)}')}"
    )
