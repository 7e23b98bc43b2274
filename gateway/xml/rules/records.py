"""Records of an inner table as plain values, extracted once for all rules."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from gateway.xml.tables import TableSpec


@dataclass(frozen=True)
class Record:
    """One record (row) of a QĐ 130 table: field code -> trimmed text ("" when empty)."""

    table: str
    hoso: int | None
    index: int  # 1-based within its table
    line: int | None
    values: dict[str, str]
    element: etree._Element | None = None  # for locating a field's line only when reporting

    @property
    def ma_lk(self) -> str | None:
        return self.values.get("MA_LK") or None

    def get(self, field: str) -> str:
        """The field's text, "" when absent or empty."""
        return self.values.get(field, "")

    def line_of(self, field: str) -> int | None:
        """The line of the field's element, else the record's line."""
        child = self.element.find(field) if self.element is not None else None
        if child is not None and child.sourceline is not None:
            return int(child.sourceline)
        return self.line


def extract_records(root: etree._Element, spec: TableSpec, hoso: int | None) -> list[Record]:
    """All records of a table document whose root is `root`, in document order."""
    if spec.multi_record:
        path = "/".join(spec.root_path[1:])
        elements = root.findall(path) if path else [root]
    else:
        elements = [root]
    records = []
    for index, element in enumerate(elements, start=1):
        values: dict[str, str] = {}
        for child in element.iterchildren(etree.Element):
            tag = child.tag
            if tag not in values:  # a duplicate is reported by the schema check; first one wins
                text = child.text
                values[tag] = text.strip() if text else ""
        records.append(Record(spec.name, hoso, index, element.sourceline, values, element))
    return records
