"""Validation results: every problem located (HOSO, table, record, MA_LK, field, line) and coded.

The offending value travels in its own `value` field, never inside the message, so that it can be
masked for personal fields everywhere except in the answer to the facility that sent the document.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

from gateway.identity.mask import mask_id, mask_name

# Fields that identify a person (QĐ 130 field codes). Their values are masked outside the answer
# to the submitting facility (logs, metrics, dashboards, operators' listings).
PERSONAL_FIELDS = frozenset(
    {
        "HO_TEN",
        "HO_TEN_CHA",
        "HO_TEN_ME",
        "HO_TEN_NND",
        "HO_TEN_CON",
        "NGUOI_GIAM_HO",
        "SO_CCCD",
        "SO_CCCD_NND",
        "MA_THE_BHYT",
        "MA_THE_NND",
        "MA_THE_TAM",
        "MA_BHXH",
        "MA_BHXH_NND",
        "NGAY_SINH",
        "NGAYSINH_NND",
        "NGAY_SINH_CON",
        "DIA_CHI",
        "NOI_CU_TRU_NND",
        "DIEN_THOAI",
        "MA_BN",
    }
)
_NAME_FIELDS = frozenset(
    {"HO_TEN", "HO_TEN_CHA", "HO_TEN_ME", "HO_TEN_NND", "HO_TEN_CON", "NGUOI_GIAM_HO"}
)


class Severity(enum.Enum):
    """An error makes the document invalid; a warning is reported and the document goes on."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One located, coded finding of the validator."""

    code: str  # e.g. "XML1.NGAY_SINH.format"; the list is schemas/errors.yaml
    message: str  # English, names the field as the regulation does; never contains the value
    severity: Severity = Severity.ERROR
    hoso: int | None = None  # 1-based index of the HOSO in the envelope
    table: str | None = None  # "XML1" ... or "envelope"
    record: int | None = None  # 1-based index of the record within its table
    ma_lk: str | None = None
    field: str | None = None
    line: int | None = None  # line in the inner document (or in the envelope for envelope problems)
    value: str | None = None

    def masked(self) -> Problem:
        """The same problem with a personal field's value masked."""
        if self.value is None or self.field not in PERSONAL_FIELDS:
            return self
        return replace(self, value=mask_value(self.field, self.value))

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the API and `gateway validate --json`."""
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def mask_value(field: str | None, value: str) -> str:
    """Mask a personal value for display outside the submitting facility."""
    if field in _NAME_FIELDS:
        return mask_name(value)
    return mask_id(value)


@dataclass(frozen=True)
class Report:
    """Everything the validator found in one document, in document order."""

    problems: tuple[Problem, ...]
    document_type: str | None = None  # "envelope", "XML0", "XML12"
    facility: str | None = None
    ma_lk: tuple[str, ...] = ()
    schema_version: str | None = None

    @property
    def valid(self) -> bool:
        return not any(p.severity is Severity.ERROR for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    def codes(self) -> list[str]:
        """The error codes, sorted (handy for tests and summaries)."""
        return sorted(p.code for p in self.errors)

    def masked(self) -> Report:
        """The report with personal values masked (for logs, operators, other facilities)."""
        return replace(self, problems=tuple(p.masked() for p in self.problems))

    def to_json(self, *, masked: bool = True) -> dict[str, Any]:
        """`{"valid", "errors": [...], "warnings": [...]}` as the API and CLI write it."""
        report = self.masked() if masked else self
        return {
            "valid": report.valid,
            "document_type": report.document_type,
            "facility": report.facility,
            "schema_version": report.schema_version,
            "ma_lk": list(report.ma_lk),
            "errors": [p.to_json() for p in report.errors],
            "warnings": [p.to_json() for p in report.warnings],
        }


class ProblemList:
    """Collects problems while validating; de-duplicates identical findings."""

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._seen: set[tuple[Any, ...]] = set()

    def add(self, problem: Problem) -> None:
        key = (
            problem.code,
            problem.hoso,
            problem.table,
            problem.record,
            problem.field,
            problem.line,
        )
        if key not in self._seen:
            self._seen.add(key)
            self._items.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
