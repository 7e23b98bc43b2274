"""What the operator reads for a demographically linked record: the same ``fields``,
``details`` and proposed values as an ID-linked one, plus the ID's problem.

A PROBABLE_MATCH is compared with its citizen exactly as the ID pass compares (the levels of
comparisons.py in SQL, the identity toolkit for what SQL leaves open, classify.py's
`classification_sql` with the link taken as trusted), then:

- ``fields`` starts with ``so_cccd`` and ``proposed_so_cccd`` is the citizen's ID;
- ``details`` starts with the ID's problem: ``so_cccd:wrong_person`` (the ID names a clearly
  different citizen, classify.TrustRule), ``so_cccd:typo`` (a 12-digit ID one substitution or
  one adjacent swap from the citizen's, as `gateway.identity.typo_distance` says; the ID pass called
  it unknown, or malformed when the slip hit the province digits), else
  ``so_cccd:missing|malformed|unknown`` as the ID pass found;
- ``score`` is the link's probability.

A REVIEW keeps the ID's problem and adds ``candidates:<id>=<probability>;...`` (best first)
to ``details``; ``score`` is the best candidate's probability.
"""

from __future__ import annotations

import duckdb

from gateway.reconcile.classify import CLASSIFIED_COLUMNS, TrustRule, classification_sql
from gateway.reconcile.comparisons import (
    ADDRESS,
    BIRTH_DATE,
    GENDER,
    NAME,
    UNRESOLVED,
    id_contradicts,
)
from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.link import COMPARED, RESULTS, authority_values_sql, year_agrees_sql
from gateway.reconcile.linkage.keys import SUBJECTS
from gateway.reconcile.linkage.scoring import DECISIONS
from gateway.reconcile.resolve import drop_verdicts, settled_sql

# The link is already decided: classification only names the differences.
_LINKED = TrustRule(min_agreeing=0)
LEVELS = "rc_lk_levels"


def _levels_sql(population: str) -> str:
    d = DIALECT
    insured_cols = ", ".join(f"s.{c} AS i_{c}" for c in COMPARED)
    population_cols = ", ".join(f"p.{c} AS p_{c}" for c in COMPARED)
    i_key, p_key = "i_ngay_sinh_key", "p_ngay_sinh_key"
    differ = "i_ngay_sinh IS DISTINCT FROM p_ngay_sinh"
    return f"""
WITH joined AS (
  SELECT s.i_row AS _row, s.so_cccd AS _i_so_cccd, s.excluded AS _excluded, s.id_status AS _status,
    d.probability AS _probability, p.so_dinh_danh AS p_so_dinh_danh, {insured_cols}, {population_cols}
  FROM {DECISIONS} d JOIN {SUBJECTS} s USING (i_row) JOIN {population} p ON p.so_dinh_danh = d.best
  WHERE d.decision = 'PROBABLE_MATCH'
), keyed AS (
  SELECT *, CASE WHEN {differ} THEN {d.date_key("i_ngay_sinh")} END AS {i_key},
    CASE WHEN {differ} THEN {d.date_key("p_ngay_sinh")} END AS {p_key}
  FROM joined
), levels AS (
  SELECT *, {NAME.sql()} AS _name_level,
    CASE WHEN i_ngay_sinh = p_ngay_sinh THEN 'same' ELSE {BIRTH_DATE.sql()} END AS _date_level,
    {GENDER.sql()} AS _gender_level, {ADDRESS.sql()} AS _address_level
  FROM keyed
)
SELECT _row, _i_so_cccd, _excluded, _status, _probability,
  p_so_dinh_danh AS _citizen, 'so_cccd' AS _linked_by, NULL::VARCHAR AS _id_status,
  _name_level, false AS _name_encoding,
  CASE WHEN _name_level IN ('same', 'diacritics') THEN 1.0 END::DOUBLE AS _name_similarity,
  _date_level,
  {year_agrees_sql(i_key, p_key)},
  _gender_level, _address_level,
  {id_contradicts(d, "p_so_dinh_danh", "p_ngay_sinh", "p_gioi_tinh")} AS _inconsistent,
  i_ho_ten AS _i_ho_ten,
  CASE WHEN _name_level <> 'same' THEN p_ho_ten END AS _p_ho_ten,
  i_ngay_sinh AS _i_ngay_sinh,
  {authority_values_sql(p_key)}
FROM levels
"""


def id_detail_sql() -> str:
    """The ``so_cccd`` detail in SQL. The typo test is `gateway.identity.typo_distance` in SQL:
    same length, one substitution (Hamming distance 1) or one adjacent swap (Hamming 2 and
    Damerau–Levenshtein 1); tests check it agrees on hand-made IDs."""
    value = "_i_so_cccd"
    # hamming() raises on strings of different lengths, and AND does not short-circuit.
    distance = f"CASE WHEN length({value}) = length(_citizen) THEN hamming({value}, _citizen) END"
    typo = (
        f"(_status IN ('unknown', 'malformed') AND {DIALECT.digits(value, 12)} AND ({distance} = 1 "
        f"OR ({distance} = 2 AND damerau_levenshtein({value}, _citizen) = 1)))"
    )
    return (
        "CASE WHEN _excluded IS NOT NULL THEN 'so_cccd:wrong_person' "
        f"WHEN coalesce({typo}, false) THEN 'so_cccd:typo' "
        "ELSE 'so_cccd:' || coalesce(_status, 'unknown') END"
    )


def _settle(con: duckdb.DuckDBPyConnection) -> None:
    """Settle in Python, with the identity toolkit, the linked records whose name or birth
    date SQL left open, as the ID pass settles its own (`resolve.settled_sql`). Raises
    duckdb.Error."""
    settled = settled_sql(con, LEVELS, f"_name_level = '{UNRESOLVED}'", workers=1)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {LEVELS} AS {settled.select}")
    drop_verdicts(con)


def apply_decisions(con: duckdb.DuckDBPyConnection, population: str) -> tuple[int, int]:
    """Write the PROBABLE_MATCH and REVIEW decisions into ``rc_results``; return how many of
    each. Raises duckdb.Error."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {LEVELS} AS {_levels_sql(population)}")
    _settle(con)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE rc_lk_classified AS SELECT *, {id_detail_sql()} AS _id_detail "
        f"FROM ({classification_sql(LEVELS, _LINKED)})"
    )
    # One rewrite of rc_results joined with the decisions: an UPDATE ... FROM of many rows
    # and columns costs DuckDB far more (14 s for 90,000 rows against 0.5 s).
    linked, review = "s._row IS NOT NULL", "d.i_row IS NOT NULL"
    proposed = ", ".join(
        f"CASE WHEN {linked} THEN s.{c} ELSE r.{c} END AS {c}"
        for c in CLASSIFIED_COLUMNS
        if c.startswith("proposed_") and c != "proposed_so_cccd"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {RESULTS} AS
        SELECT r.* REPLACE (
          CASE WHEN {linked} THEN 'PROBABLE_MATCH' WHEN {review} THEN 'REVIEW' ELSE r.category END AS category,
          CASE WHEN {linked} THEN s.so_dinh_danh ELSE r.so_dinh_danh END AS so_dinh_danh,
          CASE WHEN {linked} THEN concat_ws('|', 'so_cccd', nullif(s.fields, '')) ELSE r.fields END AS fields,
          CASE WHEN {linked} THEN concat_ws('|', s._id_detail, nullif(s.details, ''))
               WHEN {review} THEN concat_ws('|', nullif(r.details, ''), 'candidates:' || d.listed)
               ELSE r.details END AS details,
          {proposed},
          CASE WHEN {linked} THEN s.so_dinh_danh ELSE r.proposed_so_cccd END AS proposed_so_cccd,
          CASE WHEN {linked} THEN s._probability WHEN {review} THEN d.probability ELSE r.score END AS score,
          -- a linked record is settled: its packed state (link.STATE) is of no further use
          CASE WHEN {linked} THEN NULL ELSE r._state END AS _state)
        FROM {RESULTS} r
        LEFT JOIN rc_lk_classified s ON s._row = r._lk_row
        LEFT JOIN (SELECT * FROM {DECISIONS} WHERE decision = 'REVIEW') d ON d.i_row = r._lk_row"""
    )
    con.execute(f"DROP TABLE rc_lk_classified; DROP TABLE {LEVELS}")
    counts = dict(con.execute(f"SELECT decision, count(*) FROM {DECISIONS} GROUP BY 1").fetchall())
    return int(counts.get("PROBABLE_MATCH", 0)), int(counts.get("REVIEW", 0))
