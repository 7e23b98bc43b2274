"""What a run found and what it cost, in counts only: no name, ID or date of anyone, so that
``summary.json`` and ``summary.html`` can go to people who may not see the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from gateway.reconcile.model import CATEGORIES, DETAIL_KINDS, FIELDS

RESULTS = "rc_results"


@dataclass(frozen=True)
class InputSize:
    """One input file: its role, format, rows and bytes."""

    role: str
    format: str
    rows: int
    bytes: int


@dataclass(frozen=True)
class Summary:
    """Counts per category, per field and per ``details`` kind (all kinds listed, zero when
    absent), duplicate groups, input sizes, timings (seconds per stage) and settings."""

    categories: dict[str, int]
    fields: dict[str, int]
    details: dict[str, int]
    duplicate_groups: int
    duplicate_records: int
    inputs: tuple[InputSize, ...]
    timings: dict[str, float] = field(default_factory=dict)
    toolkit: dict[str, int] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def records(self) -> int:
        """Insured records reconciled (one output row each). Raises nothing."""
        return sum(self.categories.values())

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the content of summary.json). Raises nothing."""
        return {
            "records": self.records,
            "categories": self.categories,
            "fields": self.fields,
            "details": self.details,
            "duplicates": {"groups": self.duplicate_groups, "records": self.duplicate_records},
            "inputs": [vars(size) for size in self.inputs],
            "timings_seconds": {k: round(v, 3) for k, v in self.timings.items()},
            "toolkit": self.toolkit,
            "settings": self.settings,
        }


def count_results(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """(per category, per field, per details kind) over ``rc_results``, every known key
    present. Raises duckdb.Error."""
    categories: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    for category, count in con.execute(
        f"SELECT category, count(*) FROM {RESULTS} GROUP BY 1"
    ).fetchall():
        categories[str(category)] = int(count)
    fields = dict.fromkeys(FIELDS, 0)
    details = dict.fromkeys(DETAIL_KINDS, 0)
    for what, kind, count in con.execute(
        f"""SELECT what, kind, count(*) FROM (
              SELECT 'f' AS what, unnest(string_split(fields, '|')) AS kind FROM {RESULTS} WHERE fields <> ''
              UNION ALL SELECT 'd', unnest(string_split(details, '|')) FROM {RESULTS} WHERE details <> '')
            GROUP BY 1, 2"""
    ).fetchall():
        target = fields if what == "f" else details
        if str(kind) in target:  # REVIEW's ``candidates:<ids>`` is no kind (and personal)
            target[str(kind)] = int(count)
    return categories, fields, details
