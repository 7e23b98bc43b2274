"""Turn libxml2's schema-validation errors into located, coded problems.

lxml validates fast but words its errors for programmers and reports only the first structural
error of an element. So: value errors (pattern, length, enumeration, type) are mapped one to one;
for a record with a structural error (missing, unknown, duplicated or misplaced elements) the
record's children are compared with the table's field list here, which finds every such problem
of that record, not just the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from gateway.xml.report import Problem
from gateway.xml.schemagen import PATTERNS
from gateway.xml.tables import FieldSpec, TableSpec

# The XSD patterns (anchored by XSD semantics; simple enough to mean the same in Python's re).
_COMPILED = {name: re.compile(pattern) for name, pattern in PATTERNS.items() if pattern is not None}

_ELEMENT = re.compile(r"Element '([^']+)'")
_INDEX = re.compile(r"^(.*)\[(\d+)\]$")
_STRUCTURAL = frozenset({"SCHEMAV_ELEMENT_CONTENT", "SCHEMAV_CVC_COMPLEX_TYPE_2_4", "SCHEMAV_CVC_ELT_1"})
_FORMAT_WORDS = {
    "date8": "a date yyyyMMdd",
    "date8_list": "dates yyyyMMdd separated by ';'",
    "datetime12": "a time yyyyMMddHHmm",
    "birth12": "a birth date yyyyMMddHHmm (0000 for unknown month-day or hour-minute)",
    "date8_or_datetime12": "a date yyyyMMdd or a time yyyyMMddHHmm",
    "decimal2": "a number with at most 2 decimals ('.' as decimal point)",
    "decimal3": "a number with at most 3 decimals ('.' as decimal point)",
    "decimal3_list": "numbers separated by ';'",
    "integer": "a whole number",
    "percent": "a whole percentage",
    "gender": "1 (male), 2 (female) or 3 (unknown)",
    "code_list": "codes separated by ';'",
}


def _segments(path: str) -> list[tuple[str, int]]:
    out = []
    for part in path.strip("/").split("/"):
        match = _INDEX.match(part)
        out.append((match.group(1), int(match.group(2))) if match else (part, 1))
    return out


def _record_index(path: str, spec: TableSpec) -> int | None:
    for name, index in _segments(path):
        if name == spec.record_element:
            return index
    return None


def _ma_lk(record: etree._Element | None) -> str | None:
    if record is None:
        return None
    text = record.findtext("MA_LK")
    return text.strip() if text else None


def value_problem(
    field: FieldSpec, value: str, *, table: str, hoso: int | None, record: int | None,
    ma_lk: str | None, line: int | None,
) -> Problem:
    """The problem for a field whose value the schema refused."""
    if not value:
        rule, message, shown = "required", f"{field.name} is required and is empty", None
    elif field.max_length is not None and len(value) > field.max_length:
        rule, shown = "length", value
        message = f"{field.name} is longer than its maximum of {field.max_length} characters"
    elif field.code_list:
        rule, message, shown = "code", f"{field.name} must be one of {', '.join(field.code_list)}", value
    else:
        expected = _FORMAT_WORDS.get(field.format, "a value of the documented form")
        rule, message, shown = "format", f"{field.name} must be {expected}", value
    return Problem(
        f"{table}.{field.name}.{rule}", message, hoso=hoso, table=table, record=record,
        ma_lk=ma_lk, field=field.name, line=line, value=shown,
    )


def value_is_valid(field: FieldSpec, value: str) -> bool:
    """Whether `value` satisfies the field's simple type (the same facets the XSD has)."""
    if not value:
        return not field.required
    if field.max_length is not None and len(value) > field.max_length:
        return False
    if field.code_list is not None and value not in field.code_list:
        return False
    pattern = _COMPILED.get(field.format)
    return pattern is None or pattern.fullmatch(value) is not None


def structure_problems(
    record: etree._Element, spec: TableSpec, *, hoso: int | None, index: int | None
) -> Iterator[Problem]:
    """Every missing, unknown, duplicated or misplaced element of one record."""
    known = {f.name: f for f in spec.fields}
    ma_lk = _ma_lk(record)
    seen: set[str] = set()
    last_order = 0

    def problem(code: str, message: str, tag: str, line: int | None) -> Problem:
        return Problem(code, message, hoso=hoso, table=spec.name, record=index, ma_lk=ma_lk, field=tag, line=line)

    for child in record:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        line = child.sourceline
        if tag == "CHUKYDONVI" and spec.standalone:
            continue
        field = known.get(tag)
        if field is None:
            yield problem(f"{spec.name}.{tag}.unexpected", f"{tag} is not a field of {spec.name}", tag, line)
            continue
        if tag in seen:
            yield problem(f"{spec.name}.{tag}.duplicate", f"{tag} appears more than once in one record", tag, line)
            continue
        seen.add(tag)
        value = (child.text or "").strip()
        if not value_is_valid(field, value):
            # libxml2 stops checking a record's values at its first structural error.
            yield value_problem(field, value, table=spec.name, hoso=hoso, record=index, ma_lk=ma_lk, line=line)
        if field.order < last_order:
            yield problem(
                f"{spec.name}.{tag}.order",
                f"{tag} is out of order: the fields of {spec.name} must follow the order of the regulation's table",
                tag,
                line,
            )
        last_order = max(last_order, field.order)
    for field in spec.fields:
        if field.required and field.name not in seen:
            yield problem(
                f"{spec.name}.{field.name}.required",
                f"{field.name} is required and is missing",
                field.name,
                record.sourceline,
            )


def map_errors(
    log: etree._ListErrorLog, tree: etree._ElementTree, spec: TableSpec, *, hoso: int | None
) -> Iterator[Problem]:
    """Problems for every schema error of one table document."""
    known = {f.name: f for f in spec.fields}
    structural_done: set[int] = set()
    for entry in log:
        name_match = _ELEMENT.search(entry.message)
        element_name = name_match.group(1) if name_match else ""
        path = entry.path or ""
        try:
            nodes = tree.xpath(path) if path.startswith("/") else []
        except etree.XPathError:  # e.g. a prefixed element of an unknown namespace
            nodes = []
        element = nodes[0] if nodes and isinstance(nodes[0], etree._Element) else None
        index = _record_index(path, spec)
        if entry.type_name in _STRUCTURAL or element_name not in known:
            record = _enclosing_record(element, spec)
            if record is None:
                yield Problem(
                    f"{spec.name}.structure",
                    f"the document does not have the structure of {spec.name} "
                    f"({'/'.join(spec.root_path)}): {_element_words(entry.message)}",
                    hoso=hoso,
                    table=spec.name,
                    line=entry.line,
                )
                continue
            if id(record) in structural_done:
                continue
            structural_done.add(id(record))
            yield from structure_problems(record, spec, hoso=hoso, index=_index_of(record, spec, index))
            continue
        record = element.getparent() if element is not None else None
        yield value_problem(
            known[element_name],
            (element.text or "").strip() if element is not None else "",
            table=spec.name,
            hoso=hoso,
            record=index or 1,
            ma_lk=_ma_lk(record),
            line=entry.line,
        )


def _enclosing_record(element: etree._Element | None, spec: TableSpec) -> etree._Element | None:
    while element is not None:
        if element.tag == spec.record_element:
            return element
        element = element.getparent()
    return None


def _index_of(record: etree._Element, spec: TableSpec, from_path: int | None) -> int:
    if not spec.multi_record:
        return 1
    parent = record.getparent()
    if parent is None:
        return from_path or 1
    siblings = [e for e in parent if e.tag == spec.record_element]
    return siblings.index(record) + 1


def _element_words(message: str) -> str:
    return message.split(": ", 1)[-1].strip()


def envelope_problems(log: etree._ListErrorLog) -> Iterator[Problem]:
    """Problems for the envelope's own schema errors (GIAMDINHHS.xsd)."""
    for entry in log:
        name_match = _ELEMENT.search(entry.message)
        name = name_match.group(1) if name_match else "GIAMDINHHS"
        words = _element_words(entry.message)
        if entry.type_name in _STRUCTURAL:
            expected = re.search(r"Expected is \( ([A-Z_0-9]+) \)", entry.message)
            if "Missing child" in entry.message and expected:
                code, field = f"envelope.{expected.group(1)}.required", expected.group(1)
                message = f"{field} is required in <{name}> and is missing"
            elif "not expected" in entry.message:
                code, field = f"envelope.{name}.unexpected", name
                message = f"<{name}> is not expected here ({words})"
            else:
                code, field = "envelope.structure", name
                message = f"the envelope does not have the GIAMDINHHS structure: {words}"
        else:
            code, field = f"envelope.{name}.format", name
            message = f"{name} has an invalid value: {words}"
        yield Problem(code, message, table="envelope", field=field, line=entry.line)
