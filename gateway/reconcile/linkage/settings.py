"""The linkage's settings: decision thresholds and the estimation's sizes, one frozen value
built from configuration and passed in (never read from globals)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkageConfig:
    """How the demographic linkage decides.

    - ``upper``: a record whose best candidate has a match probability at least this, and no
      rival within ``margin_bits``, is a PROBABLE_MATCH;
    - ``lower``: a best candidate at least this probable (and not a PROBABLE_MATCH) makes the
      record REVIEW; below it, NOT_FOUND;
    - ``margin_bits``: the best candidate's match weight must exceed the runner-up's by this
      many bits (a likelihood ratio of 2**margin_bits), else two candidates are "too close";
    - ``max_candidates``: candidates listed per record (REVIEW ``details``, explanations);
    - ``em_iterations``, ``u_sample_records`` x ``u_sample_citizens``: the estimation (u from
      that many random pairs, m and the prior by EM over the candidate pairs);
    - ``enabled``: False skips the pass (records without a usable ID stay NOT_FOUND).

    Defaults chosen on bench/linkage.py (BENCHMARKS.md). Raises ValueError from the
    constructor for values out of range.
    """

    upper: float = 0.97
    lower: float = 0.5
    margin_bits: float = 6.0
    max_candidates: int = 3
    em_iterations: int = 25
    u_sample_records: int = 1_000
    u_sample_citizens: int = 2_000
    enabled: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.lower <= self.upper < 1.0:
            raise ValueError("linkage thresholds need 0 < lower <= upper < 1")
        if self.margin_bits < 0 or self.max_candidates < 1 or self.em_iterations < 1:
            raise ValueError("margin_bits >= 0, max_candidates >= 1 and em_iterations >= 1")
        if self.u_sample_records < 1 or self.u_sample_citizens < 1:
            raise ValueError("the u sample needs at least one record and one citizen")
