"""The Fellegi–Sunter model's parameters, estimated from the input.

- u (the chance that a level occurs between two different people): from random pairs of
  citizens (as Splink's ``estimate_u_using_random_sampling``; two citizens are two people);
- the prior λ (the chance that a random record-citizen pair matches): 1 / citizens, as each
  record has at most one citizen (u being measured on random pairs, the prior must be too;
  blocking only leaves out pairs that would score low);
- m (the chance that a level occurs between two records of one person): counted on anchor
  pairs when there are enough of them (`from_anchors`): candidate pairs whose record carries an
  ID one keying slip away from the citizen's (a digit wrong, two swapped, one more or one
  less). They are matches picked by the ID alone, so their names, dates, genders and
  residences vary as those of all matches do. The ID comparison's own m is counted per
  record (`id_m`): the share of records with an ID-shaped value that have such a candidate.
  Otherwise by
  expectation–maximisation over the candidate pairs in training sessions (`SESSIONS`), u
  held fixed, each m smoothed towards its starting value by ``PSEUDO_PAIRS`` pairs' worth (so that a
  batch with a handful of records keeps sensible weights; at scale it changes nothing). EM runs
  over the distinct patterns of levels and their counts (a few hundred rows),
  never over the pairs themselves, so it costs nothing next to the SQL that counts them.

A ``null`` level carries no information: it weighs 0 and is left out of both estimates.
Weights are in bits: ``log2(m / u)``; the prior as ``log2(λ / (1 - λ))``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gateway.reconcile.comparisons import Comparison
from gateway.reconcile.linkage.levels import NULL, labels

Levels = tuple[str, ...]  # one label per comparison, in COMPARISONS order
_FLOOR = 1e-9
PSEUDO_PAIRS = 20.0
# No level is impossible between two records of one person: SPREAD of each m is spread evenly
# over the levels, so that no single disagreement outweighs everything else (EM on pairs that
# agree on two fields otherwise drives m of "different" to zero: -24 bits).
SPREAD = 0.03


@dataclass(frozen=True)
class Model:
    """The estimated parameters: per comparison field, m and u of each label; the prior λ;
    EM ``iterations`` run, or the ``anchors`` pairs m was counted on (0: m came from EM)."""

    m: Mapping[str, Mapping[str, float]]
    u: Mapping[str, Mapping[str, float]]
    prior: float
    iterations: int
    anchors: int = 0

    def weight(self, field: str, label: str) -> float:
        """The match weight of a level in bits (0 for ``null``). Raises KeyError for an
        unknown field."""
        if label == NULL:
            return 0.0
        return math.log2(
            max(self.m[field].get(label, _FLOOR), _FLOOR)
            / max(self.u[field].get(label, _FLOOR), _FLOOR)
        )

    @property
    def prior_weight(self) -> float:
        """``log2(λ / (1 - λ))``. Raises nothing."""
        return math.log2(self.prior / (1.0 - self.prior))


def u_from_counts(
    comparisons: Sequence[Comparison], counts: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, float]]:
    """u of every label from level counts over random pairs (``null`` left out); a label never
    seen gets half a pair's share. Raises nothing."""
    u: dict[str, dict[str, float]] = {}
    for comparison in comparisons:
        seen = {k: v for k, v in counts.get(comparison.field, {}).items() if k != NULL}
        total = sum(seen.values())
        floor = 0.5 / max(total, 1)
        u[comparison.field] = {
            label: max(seen.get(label, 0) / total if total else floor, floor)
            for label in labels(comparison)
            if label != NULL
        }
    return u


def _smoothed(counts: Mapping[str, float], start: Mapping[str, float]) -> dict[str, float]:
    # PSEUDO_PAIRS pairs' worth of the starting value, then SPREAD spread over the levels.
    mass = sum(counts.values()) + PSEUDO_PAIRS
    spread = SPREAD / len(start)
    return {
        label: (1 - SPREAD) * (counts.get(label, 0.0) + PSEUDO_PAIRS * start[label]) / mass
        + spread
        for label in start
    }


def _initial_m(comparison: Comparison) -> dict[str, float]:
    # The first (most alike) level most likely among matches, each next one an eighth of it.
    ordered = [label for label in labels(comparison) if label != NULL]
    raw = [8.0**-k for k in range(len(ordered))]
    return {label: r / sum(raw) for label, r in zip(ordered, raw, strict=True)}


@dataclass(frozen=True)
class Session:
    """One EM training session (as Splink's): over the candidate pairs whose levels are in
    ``block`` (field -> labels), estimate the m of the ``estimate`` fields, the other fields'
    m held at their current values and the session's own prior free. A field is never
    estimated on pairs selected for agreeing on it."""

    block: Mapping[str, tuple[str, ...]]
    estimate: tuple[str, ...]


# Each session's pairs agree on two fields and teach the others: near-certain pairs (one
# folded name and birth date) teach gender and residence; pairs of one commune and birth date
# teach the name; pairs of one commune and name teach the birth date. (Selecting on one field
# only, the commune, lets the many namesakes of a commune pass for matches.)
SESSIONS: tuple[Session, ...] = (
    Session({"ho_ten": ("same",), "ngay_sinh": ("same",)}, ("gioi_tinh", "dia_chi")),
    Session({"dia_chi": ("commune",), "ngay_sinh": ("same",)}, ("ho_ten",)),
    Session({"dia_chi": ("commune",), "ho_ten": ("same",)}, ("ngay_sinh",)),
)


def _session(
    fields: list[str],
    m: dict[str, dict[str, float]],
    u: Mapping[str, Mapping[str, float]],
    patterns: Sequence[tuple[Levels, int]],
    session: Session,
    iterations: int,
    start: Mapping[str, Mapping[str, float]],
) -> int:
    used = [i for i, f in enumerate(fields) if f not in session.block]
    subset = [
        (levels, count)
        for levels, count in patterns
        if all(levels[fields.index(f)] in labels for f, labels in session.block.items())
    ]
    total = sum(count for _, count in subset)
    if total == 0:
        return 0
    prior, done = 0.5, 0
    for step in range(1, iterations + 1):
        done = step
        expected: dict[str, dict[str, float]] = {f: {} for f in session.estimate}
        matched = 0.0
        for levels, count in subset:
            a, b = prior, 1.0 - prior
            for i in used:
                label = levels[i]
                if label != NULL:
                    a *= m[fields[i]].get(label, _FLOOR)
                    b *= u[fields[i]].get(label, _FLOOR)
            share = a / (a + b) if a + b > 0 else 0.0
            matched += share * count
            for field in session.estimate:
                label = levels[fields.index(field)]
                if label != NULL:
                    expected[field][label] = expected[field].get(label, 0.0) + share * count
        moved = abs(matched / total - prior)
        prior = min(max(matched / total, 1e-6), 1 - 1e-6)
        for field in session.estimate:
            new = _smoothed(expected[field], start[field])
            moved = max(moved, *(abs(new[k] - m[field][k]) for k in new))
            m[field] = new
        if moved < 1e-6:
            break
    return done


def estimate(
    comparisons: Sequence[Comparison],
    patterns: Sequence[tuple[Levels, int]],
    u: Mapping[str, Mapping[str, float]],
    iterations: int,
    prior: float,
    sessions: Sequence[Session] = SESSIONS,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
) -> Model:
    """m by EM over ``patterns`` (levels, pair count) in ``sessions``, u fixed; ``prior`` is the
    chance that a random record-citizen pair matches; the m of ``fixed`` fields is given (no
    session estimates them). Raises nothing."""
    fields = [c.field for c in comparisons]
    start = {c.field: _initial_m(c) for c in comparisons}
    m = {field: dict(levels) for field, levels in start.items()}
    m.update({field: dict(levels) for field, levels in (fixed or {}).items()})
    done = sum(_session(fields, m, u, patterns, s, iterations, start) for s in sessions)
    return Model(m, u, prior, done)


# Fewer anchor pairs than this and m comes from EM (a small batch, or records without IDs).
MIN_ANCHORS = 200


def from_anchors(
    comparisons: Sequence[Comparison],
    patterns: Sequence[tuple[Levels, int]],
    u: Mapping[str, Mapping[str, float]],
    prior: float,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
) -> Model | None:
    """m counted over the anchor pairs' ``patterns`` (levels, pair count), smoothed as EM's,
    but for the ``fixed`` fields (the ID, by which the anchors were chosen); None when there
    are fewer than `MIN_ANCHORS` pairs. Raises nothing."""
    total = sum(count for _, count in patterns)
    if total < MIN_ANCHORS:
        return None
    m: dict[str, dict[str, float]] = {k: dict(v) for k, v in (fixed or {}).items()}
    for index, comparison in enumerate(comparisons):
        if comparison.field in m:
            continue
        seen: dict[str, float] = {}
        for levels, count in patterns:
            if levels[index] != NULL:
                seen[levels[index]] = seen.get(levels[index], 0.0) + count
        m[comparison.field] = _smoothed(seen, _initial_m(comparison))
    return Model(m, u, prior, 0, total)


def id_m(comparison: Comparison, slipped: int, with_id: int) -> dict[str, float]:
    """m of the ID comparison, counted per record: of the ``with_id`` records whose ID has
    the shape of one, ``slipped`` have a candidate one keying slip away (their match, as the
    chance that a slip lands on another citizen's ID is nil). Records of people the population
    does not hold count against the slip: m of ``one_slip`` comes out a little low, erring
    towards weighing a record without one less. Smoothed as EM's. Raises nothing."""
    return _smoothed(
        {"one_slip": float(slipped), comparison.otherwise: float(max(with_id - slipped, 0))},
        _initial_m(comparison),
    )
