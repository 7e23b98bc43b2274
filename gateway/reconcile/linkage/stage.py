"""The linkage as one pass of the reconciliation pipeline (pipeline.py), between the toolkit
pass and the duplicate pass: it reads the NOT_FOUND records of ``rc_results`` and writes
PROBABLE_MATCH / REVIEW into the same columns; the duplicate pass then groups every linked
record, by ID or by demographics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb

from gateway.reconcile.linkage.blocking import RULES, block
from gateway.reconcile.linkage.details import apply_decisions
from gateway.reconcile.linkage.em import Model
from gateway.reconcile.linkage.explain import empty_explanations_sql, explanations_sql
from gateway.reconcile.linkage.keys import build_keys, build_subjects
from gateway.reconcile.linkage.scoring import decide_sql, estimate_model, score_sql
from gateway.reconcile.linkage.settings import LinkageConfig

# Working tables dropped at the end (the explanations stay for the writer).
_WORK = (
    "rc_lk_subjects",
    "rc_lk_forms",
    "rc_lk_ins",
    "rc_lk_pop",
    "rc_lk_tf",
    "rc_lk_pairs",
    "rc_lk_compared",
    "rc_lk_top",
    "rc_lk_decisions",
    "rc_lk_ua",
    "rc_lk_ub",
)


@dataclass(frozen=True)
class LinkageStats:
    """What the linkage did: records it tried, candidate pairs (in all and per blocking rule),
    decisions, and the estimated model (None when there was nothing to link)."""

    subjects: int
    pairs: int
    pairs_per_rule: dict[str, int]
    probable_matches: int
    reviews: int
    model: Model | None
    seconds: dict[str, float] = field(default_factory=dict)  # per step, wall

    def counts(self) -> dict[str, int]:
        """Flat counts for the summary. Raises nothing."""
        return {
            "linkage_records": self.subjects,
            "linkage_pairs": self.pairs,
            "linkage_probable_match": self.probable_matches,
            "linkage_review": self.reviews,
            # Pairs m was counted on (em.py); 0: m came from EM.
            "linkage_anchor_pairs": self.model.anchors if self.model else 0,
            **{f"linkage_pairs_{name}": n for name, n in self.pairs_per_rule.items()},
            **{f"linkage_ms_{step}": round(s * 1000) for step, s in self.seconds.items()},
        }


def link_demographics(
    con: duckdb.DuckDBPyConnection, insured: str, population: str, config: LinkageConfig
) -> LinkageStats:
    """Link the NOT_FOUND records of ``rc_results`` on name, birth date, gender and residence
    (``insured``, ``population``: the input relations) and leave ``rc_lk_explanations``.
    Raises duckdb.Error."""
    subjects = build_subjects(con, insured)
    if subjects == 0:
        con.execute(empty_explanations_sql())
        _drop(con)
        return LinkageStats(0, 0, dict.fromkeys((r.name for r in RULES), 0), 0, 0, None)
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = now - started
        started = now

    build_keys(con, population)
    step("keys")
    per_rule = block(con)
    step("blocking")
    model = estimate_model(con, config)
    step("compare_and_estimate")
    con.execute(score_sql(model, config))
    con.execute(decide_sql(config))
    step("score_and_decide")
    probable, review = apply_decisions(con, population)
    step("apply")
    con.execute(explanations_sql(model))
    _drop(con)
    step("explain")
    return LinkageStats(
        subjects, sum(per_rule.values()), per_rule, probable, review, model, seconds
    )


def _drop(con: duckdb.DuckDBPyConnection) -> None:
    for table in _WORK:
        con.execute(f"DROP TABLE IF EXISTS {table}")
