"""Scoring and deciding, in SQL: each candidate pair's levels (levels.py), its match weight
(the prior plus each level's weight, the name's adjusted by its frequency among citizens)
and probability; per record the best candidates and the decision.

Term-frequency adjustment (as Splink's): agreeing on a common name means less than on a rare
one. For the ``same`` name level u is replaced by the share of citizens with that folded name,
for ``one_name_same`` by the share with that family (or given) name: the weight becomes
``log2(m / tf)``, reported apart as ``w_tf = log2(u / tf)``.

Decisions (LinkageConfig): the best candidate with probability >= ``upper`` and no rival
within ``margin_bits``: PROBABLE_MATCH; else a best candidate >= ``lower``: REVIEW, the
candidates above ``lower`` listed; else NOT_FOUND.
"""

from __future__ import annotations

import duckdb

from gateway.reconcile.comparisons import Pair
from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.linkage.em import Model, estimate, from_anchors, id_m, u_from_counts
from gateway.reconcile.linkage.keys import (
    FORMS,
    FREQUENCIES,
    INSURED_KEYS,
    NAME_KEYS,
    POPULATION_KEYS,
    ROW_KEYS,
)
from gateway.reconcile.linkage.levels import (
    COMPARISONS,
    ID,
    ID_FIELD,
    PAIR_COLUMNS,
    TF_FIELD,
    TF_LEVELS,
    level_column,
)
from gateway.reconcile.linkage.settings import LinkageConfig

PAIRS = "rc_lk_pairs"
COMPARED = "rc_lk_compared"
TOP = "rc_lk_top"
DECISIONS = "rc_lk_decisions"


def _side(table: str, key: str, prefix: str) -> str:
    columns = ", ".join(f"k.{c} AS {prefix}{c}" for c in (*ROW_KEYS, "nid"))
    forms = ", ".join(f"f.{c} AS {prefix}{c}" for c in NAME_KEYS)
    # The left side's ID (levels.ID): the insured record's ``idn``, or a citizen's key when
    # citizens stand on the left (estimating u); the right side's is its key, ``p_key``.
    ids = f", k.{'idn' if table == INSURED_KEYS else key} AS {prefix}idn" if prefix == "i_" else ""
    return f"(SELECT k.{key} AS {prefix}key, {columns}{ids}, {forms} FROM {table} k LEFT JOIN {FORMS} f USING (nid))"


def compare_sql(
    pairs: str,
    left: str = INSURED_KEYS,
    left_key: str = "i_row",
    carry: str | None = None,
    right: str = POPULATION_KEYS,
) -> str:
    """A SELECT of ``i_row``, ``pid``, one level column per comparison and the citizen's name
    frequency ``tf``, over ``pairs`` (a relation of ``i_row``, ``pid``); the left side's keys
    come from ``left`` by ``left_key`` (the subjects, or the population itself when
    estimating u); ``carry`` names a column of ``pairs`` to keep. Raises nothing."""
    levels = ", ".join(
        f"{c.sql(DIALECT, Pair('i_', 'p_'))} AS {level_column(c)}" for c in COMPARISONS
    )
    computed = ", ".join(f"{sql} AS {name}" for name, sql in PAIR_COLUMNS.items())
    extra = f", {carry}" if carry else ""
    return f"""
SELECT i_row, pid, {levels}, tf, tf_part{extra} FROM (
  SELECT c.i_row, c.pid{extra}, i.*, p.*, t.tf,
    CASE WHEN i_family = p_family THEN t.tf_family WHEN i_given = p_given THEN t.tf_given END AS tf_part,
    {computed}
  FROM {pairs} c
  JOIN {_side(left, left_key, "i_")} i ON i.i_key = c.i_row
  JOIN {_side(right, "pid", "p_")} p ON p.p_key = c.pid
  LEFT JOIN {FREQUENCIES} t ON t.nid = p.p_nid)"""


def _sample_citizens(con: duckdb.DuckDBPyConnection, config: LinkageConfig) -> str:
    # Two samples of citizens, each a small table, so that comparing their pairs never joins
    # the whole population. Two different citizens are two different people: their pairs
    # measure u without the true matches a sample of records against citizens would hold.
    for name, salt, size in (
        ("rc_lk_ua", "a", config.u_sample_records),
        ("rc_lk_ub", "b", config.u_sample_citizens),
    ):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {POPULATION_KEYS} "
            f"ORDER BY hash(pid, '{salt}') LIMIT {size}"
        )
    return (
        "(SELECT a.pid AS i_row, b.pid FROM rc_lk_ua a CROSS JOIN rc_lk_ub b WHERE a.pid <> b.pid)"
    )


def _anchor_sql(columns: list[str]) -> str:
    # The level patterns of the candidate pairs whose record's ID is one keying slip from the
    # citizen's (em.py: the anchors).
    return f"""SELECT {", ".join(columns)}, count(*) FROM {COMPARED}
    WHERE {level_column(ID)} = 'one_slip' GROUP BY ALL"""


def estimate_model(con: duckdb.DuckDBPyConnection, config: LinkageConfig) -> Model:
    """Compare the candidate pairs into ``rc_lk_compared`` and estimate the model: u from
    random pairs of citizens, m from the anchor pairs if there are enough, else by EM (em.py).
    Raises duckdb.Error."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {COMPARED} AS {compare_sql(PAIRS)}")
    columns = [level_column(c) for c in COMPARISONS]
    counts: dict[str, dict[str, int]] = {c.field: {} for c in COMPARISONS}
    sample = compare_sql(_sample_citizens(con, config), "rc_lk_ua", "pid", right="rc_lk_ub")
    for row in con.execute(
        f"SELECT {', '.join(columns)}, count(*) FROM ({sample}) GROUP BY ALL"
    ).fetchall():
        for comparison, label in zip(COMPARISONS, row[:-1], strict=True):
            seen = counts[comparison.field]
            seen[str(label)] = seen.get(str(label), 0) + int(row[-1])
    u = u_from_counts(COMPARISONS, counts)
    # u comes from random pairs, so the prior is that of a random pair: a record has at most
    # one citizen among all of them (blocking only skips pairs that would score too low).
    citizens = int(con.execute(f"SELECT count(*) FROM {POPULATION_KEYS}").fetchall()[0][0])
    start = 1.0 / max(citizens, 2)
    slipped, with_id = con.execute(
        f"SELECT (SELECT count(DISTINCT i_row) FROM {COMPARED} WHERE {level_column(ID)} = 'one_slip'), "
        f"(SELECT count(*) FROM {INSURED_KEYS} WHERE idn IS NOT NULL)"
    ).fetchall()[0]
    fixed = {ID_FIELD: id_m(ID, int(slipped), int(with_id))}
    anchors = [
        (tuple(str(v) for v in row[:-1]), int(row[-1]))
        for row in con.execute(_anchor_sql(columns)).fetchall()
    ]
    anchored = from_anchors(COMPARISONS, anchors, u, start, fixed)
    if anchored is not None:
        return anchored
    patterns = [
        (tuple(str(v) for v in row[:-1]), int(row[-1]))
        for row in con.execute(
            f"SELECT {', '.join(columns)}, count(*) FROM {COMPARED} GROUP BY ALL"
        ).fetchall()
    ]
    return estimate(COMPARISONS, patterns, u, config.em_iterations, start, fixed=fixed)


def _weight_case(model: Model, field: str, column: str) -> str:
    whens = " ".join(
        f"WHEN {DIALECT.literal(label)} THEN {model.weight(field, label)!r}"
        for label in model.m[field]
    )
    return f"CASE {column} {whens} ELSE 0.0 END"


def score_sql(model: Model, config: LinkageConfig) -> str:
    """SQL creating ``rc_lk_top``: per subject its best ``max_candidates`` candidates with
    ``rank``, each field's level and weight (``w_<field>``), ``w_tf``, ``match_weight`` and
    ``probability``. Raises nothing."""
    weights = ", ".join(
        f"{_weight_case(model, c.field, level_column(c))} AS w_{c.field}" for c in COMPARISONS
    )
    column = level_column(COMPARISONS[0])
    adjustments = " ".join(
        f"WHEN {column} = {DIALECT.literal(label)} AND {tf} IS NOT NULL "
        f"THEN log2({model.u[TF_FIELD][label]!r} / greatest({tf}, 1e-12))"
        for label, tf in TF_LEVELS.items()
    )
    tf = f"CASE {adjustments} ELSE 0.0 END AS w_tf"
    total = " + ".join([repr(model.prior_weight), *(f"w_{c.field}" for c in COMPARISONS), "w_tf"])
    # Ranked on three narrow columns, then the kept pairs joined back: a window over the full
    # rows (a score per field, levels, frequencies) sorts every column of every pair.
    scored = f"SELECT *, {total} AS match_weight FROM (SELECT *, {weights}, {tf} FROM {COMPARED})"
    return f"""
CREATE OR REPLACE TEMP TABLE {TOP} AS
WITH ranked AS (
  SELECT i_row, pid, row_number() OVER (PARTITION BY i_row ORDER BY match_weight DESC, pid) AS rank
  FROM ({scored})
  QUALIFY rank <= {config.max_candidates}
)
SELECT s.*, 1.0 / (1.0 + pow(2.0, -s.match_weight)) AS probability, r.rank
FROM ({scored}) s JOIN ranked r USING (i_row, pid)
"""


def decide_sql(config: LinkageConfig) -> str:
    """SQL creating ``rc_lk_decisions``: per subject with candidates its ``decision``, the
    best candidate ``best``, its ``probability`` and the ``listed`` candidates
    (``id=probability;...``, best first). Raises nothing."""
    return f"""
CREATE OR REPLACE TEMP TABLE {DECISIONS} AS
WITH per_record AS (
  SELECT i_row,
    max(CASE WHEN rank = 1 THEN pid END) AS best,
    max(CASE WHEN rank = 1 THEN probability END) AS probability,
    max(CASE WHEN rank = 1 THEN match_weight END) AS w1,
    max(CASE WHEN rank = 2 THEN match_weight END) AS w2,
    string_agg(CASE WHEN probability >= {config.lower!r} THEN pid || '=' || printf('%.3f', probability) END, ';' ORDER BY rank) AS listed
  FROM {TOP} GROUP BY i_row
)
SELECT i_row, best, probability, listed,
  CASE WHEN probability >= {config.upper!r} AND (w2 IS NULL OR w1 - w2 >= {config.margin_bits!r}) THEN 'PROBABLE_MATCH'
       WHEN probability >= {config.lower!r} THEN 'REVIEW'
       ELSE 'NOT_FOUND' END AS decision
FROM per_record
"""

