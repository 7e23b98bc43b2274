"""The VSS validation sheet's rules (schemas/qd130/rules-v<version>.yaml), interpreted.

The rules are data: each cites the sheet row it comes from. This module only knows the handful
of check kinds the sheet uses; adding a rule of a known kind is a one-line change to the YAML.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gateway.xml.report import Problem
from gateway.xml.rules.records import Record
from gateway.xml.tables import schemas_root

CHECKS = (
    "required_when",
    "not_before",
    "one_of",
    "pattern",
    "all_or_none",
    "not_all_zero",
    "same_as_xml1",
)


@dataclass(frozen=True)
class SheetRule:
    """One row of the rules file."""

    table: str
    field: str
    check: str
    source: str
    params: Mapping[str, Any]

    @property
    def code(self) -> str:
        suffix = {
            "required_when": "required",
            "not_before": "range",
            "one_of": "code",
            "pattern": "format",
            "all_or_none": "required",
            "not_all_zero": "format",
            "same_as_xml1": "xml1_mismatch",
        }[self.check]
        return f"{self.table}.{self.field}.{suffix}"


class RuleFileError(Exception):
    """The rules file is not what this interpreter understands (our fault: fail at start-up)."""


@functools.cache
def load_sheet_rules(version: str) -> dict[str, tuple[SheetRule, ...]]:
    """The rules of a schema version, grouped by table. Raises RuleFileError on a bad file."""
    path = schemas_root() / "qd130" / f"rules-v{version}.yaml"
    return _parse_rules(path)


def _parse_rules(path: Path) -> dict[str, tuple[SheetRule, ...]]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    grouped: dict[str, list[SheetRule]] = {}
    for item in data.get("rules", []):
        item = dict(item)
        try:
            rule = SheetRule(
                table=item.pop("table"),
                field=item.pop("field"),
                check=item.pop("check"),
                source=item.pop("source"),
                params=item,
            )
        except KeyError as exc:
            raise RuleFileError(f"{path}: rule {item!r} lacks {exc}") from None
        if rule.check not in CHECKS:
            raise RuleFileError(f"{path}: unknown check {rule.check!r}")
        if rule.check == "pattern":
            re.compile(str(rule.params["pattern"]))
        grouped.setdefault(rule.table, []).append(rule)
    return {table: tuple(rules) for table, rules in grouped.items()}


def _condition_holds(when: Mapping[str, Any], record: Record) -> bool:
    if "present" in when:
        return bool(record.get(when["present"]))
    if "absent_all" in when:
        return all(not record.get(f) for f in when["absent_all"])
    value = record.get(when["field"])
    if "in" in when:
        return value in {str(v) for v in when["in"]}
    if "not_in" in when:
        return value not in {str(v) for v in when["not_in"]}
    if "not_empty_and_not_in" in when:
        return bool(value) and value not in {str(v) for v in when["not_empty_and_not_in"]}
    raise RuleFileError(f"unknown condition {dict(when)!r}")


def _problem(rule: SheetRule, record: Record, message: str, value: str | None) -> Problem:
    return Problem(
        code=rule.code,
        message=f"{message} (VSS validation sheet {rule.source.split(' ')[0]})",
        hoso=record.hoso,
        table=record.table,
        record=record.index,
        ma_lk=record.ma_lk,
        field=rule.field,
        line=record.line_of(rule.field),
        value=value,
    )


def _required_when(rule: SheetRule, record: Record, xml1: Record | None) -> Problem | None:
    if record.get(rule.field) or not _condition_holds(rule.params["when"], record):
        return None
    return _problem(
        rule, record, f"{rule.field} is required here: {_describe(rule.params['when'])}", None
    )


def _not_before(rule: SheetRule, record: Record, xml1: Record | None) -> Problem | None:
    other = str(rule.params["other"])
    value, reference = record.get(rule.field), record.get(other)
    if not value or not reference or not value.isdigit() or not reference.isdigit():
        return None  # absence and format are reported by the schema
    width = min(len(value), len(reference))
    if value[:width] >= reference[:width]:
        return None
    return _problem(rule, record, f"{rule.field} is earlier than {other}", value)


def _one_of(rule: SheetRule, record: Record, xml1: Record | None) -> Problem | None:
    value = record.get(rule.field)
    allowed = [str(v) for v in rule.params["values"]]
    if not value or value in allowed:
        return None
    return _problem(
        rule, record, f"{rule.field} must be empty or one of {', '.join(allowed)}", value
    )


def _pattern(rule: SheetRule, record: Record, xml1: Record | None) -> Problem | None:
    value = record.get(rule.field)
    if not value or re.fullmatch(str(rule.params["pattern"]), value):
        return None
    return _problem(rule, record, f"{rule.field} does not have the required form", value)


def _all_or_none(rule: SheetRule, record: Record, xml1: Record | None) -> Problem | None:
    fields = [str(f) for f in rule.params["fields"]]
    present = [f for f in fields if record.get(f)]
    if not present or len(present) == len(fields):
        return None
    missing = [f for f in fields if f not in present]
    return _problem(
        rule, record, f"{', '.join(fields)} go together; missing {', '.join(missing)}", None
    )


def _not_all_zero(rule: SheetRule, record: Record, xml1: Record | None) -> Problem | None:
    value = record.get(rule.field)
    if not value or value.strip("0"):
        return None
    return _problem(rule, record, f"{rule.field} must not be all zeros", value)


def _same_as_xml1(rule: SheetRule, record: Record, xml1: Record | None) -> Problem | None:
    value = record.get(rule.field)
    if not value or xml1 is None or rule.field not in xml1.values:
        return None
    if value == xml1.get(rule.field):
        return None
    return _problem(rule, record, f"{rule.field} differs from {rule.field} in table XML1", value)


_CHECKERS: dict[str, Callable[[SheetRule, Record, Record | None], Problem | None]] = {
    "required_when": _required_when,
    "not_before": _not_before,
    "one_of": _one_of,
    "pattern": _pattern,
    "all_or_none": _all_or_none,
    "not_all_zero": _not_all_zero,
    "same_as_xml1": _same_as_xml1,
}


def _describe(when: Mapping[str, Any]) -> str:
    if "present" in when:
        return f"{when['present']} has a value"
    if "absent_all" in when:
        return f"{' and '.join(when['absent_all'])} are empty"
    op = next(k for k in ("in", "not_in", "not_empty_and_not_in") if k in when)
    values = ", ".join(str(v) for v in when[op])
    return {
        "in": f"{when['field']} is {values}",
        "not_in": f"{when['field']} is not {values}",
        "not_empty_and_not_in": f"{when['field']} is not {values}",
    }[op]


def check_records(
    rules: tuple[SheetRule, ...], records: list[Record], xml1: Record | None
) -> Iterator[Problem]:
    """Apply a table's sheet rules to its records."""
    for record in records:
        for rule in rules:
            problem = _CHECKERS[rule.check](rule, record, xml1)
            if problem is not None:
                yield problem
