"""Validate a QĐ 130 document: schema, the VSS sheet's rules, rules across tables.

`validate(bytes)` is a thin wrapper over `validate_parsed(ParsedDocument)`, which takes the safe
parser's result so that the signature check can run on the same parse.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.xml.dossier import DocumentKind, InnerFile, ParsedDocument, parse_document
from gateway.xml.errors import XmlInputError
from gateway.xml.report import Problem, ProblemList, Report
from gateway.xml.rules import cross
from gateway.xml.rules.records import Record, extract_records
from gateway.xml.rules.sheet import SheetRule, check_records, load_sheet_rules
from gateway.xml.safe import DEFAULT_LIMITS, ParseLimits
from gateway.xml.schemaset import SchemaSet, load_schema_set
from gateway.xml.xsd_errors import envelope_problems, map_errors

DEFAULT_VERSION = "4750"
ENVELOPE_TABLES = frozenset(f"XML{n}" for n in range(1, 16)) - {"XML12"}


def validate(
    data: bytes, *, version: str = DEFAULT_VERSION, limits: ParseLimits = DEFAULT_LIMITS
) -> Report:
    """Parse and validate a document; unreadable input becomes a one-problem report.

    Never raises for bad input. Raises SchemaDataError only if our own schema data is broken.
    """
    try:
        parsed = parse_document(data, limits)
    except XmlInputError as exc:
        return Report((Problem(exc.code, exc.message, table="document", line=exc.line),), schema_version=version)
    return validate_parsed(parsed, version=version)


def validate_parsed(doc: ParsedDocument, *, version: str = DEFAULT_VERSION) -> Report:
    """Validate a parsed document and report every problem found, in one pass."""
    schema_set = load_schema_set(version)
    problems = ProblemList()
    if doc.kind is DocumentKind.ENVELOPE:
        if doc.legacy_4210:
            problems.add(
                Problem(
                    "envelope.legacy_4210",
                    "this is a QĐ 4210 dossier (the format that ended on 1 July 2024); it is not "
                    "passed on: convert it to QĐ 130 as amended by QĐ 4750",
                    table="envelope",
                    line=doc.root.sourceline,
                )
            )
            return Report(tuple(problems), "envelope", doc.facility, (), version)
        ma_lks = _validate_envelope(doc, schema_set, problems)
        return Report(tuple(problems), "envelope", doc.facility, ma_lks, version)
    table = doc.kind.value
    spec = schema_set.tables[table]
    schema = schema_set.xsd(table)
    if not schema.validate(doc.tree):
        problems.extend(map_errors(schema.error_log, doc.tree, spec, hoso=None))
    records = extract_records(doc.root, spec, None)
    problems.extend(check_records(load_sheet_rules(version).get(table, ()), records, None))
    if table == "XML0":
        for record in records:
            problems.extend(cross.check_identity(record))
            problems.extend(_facility_consistency(record, doc.facility))
        problems.extend(cross.check_sequence(table, records))
    else:
        for record in records:
            problems.extend(_xml12_identity(record))
    keys = records_keys(table, records)
    return Report(tuple(problems), table, doc.facility, keys, version)


def records_keys(table: str, records: list[Record]) -> tuple[str, ...]:
    """The document's key set: MA_LK of its records, or SO_BIEN_BAN for XML12."""
    field = "SO_BIEN_BAN" if table == "XML12" else "MA_LK"
    return tuple(sorted({r.get(field) for r in records if r.get(field)}))


def _facility_consistency(record: Record, facility: str | None) -> Iterator[Problem]:
    value = record.get("MA_CSKCB")
    if facility and value and value != facility:
        yield Problem(
            "XML0.MA_CSKCB.facility",
            "all records of one check-in document must name the same MA_CSKCB",
            table="XML0",
            record=record.index,
            ma_lk=record.ma_lk,
            field="MA_CSKCB",
            line=record.line_of("MA_CSKCB"),
            value=value,
        )


def _xml12_identity(record: Record) -> Iterator[Problem]:
    for problem in cross.check_identity(record):
        if problem.field == "SO_CCCD":
            yield problem


def _validate_envelope(doc: ParsedDocument, schema_set: SchemaSet, problems: ProblemList) -> tuple[str, ...]:
    envelope_schema = schema_set.xsd("GIAMDINHHS")
    if not envelope_schema.validate(doc.tree):
        problems.extend(envelope_problems(envelope_schema.error_log))
    declared = (doc.root.findtext("THONGTINHOSO/SOLUONGHOSO") or "").strip()
    if declared.isdigit() and int(declared) != len(doc.hosos):
        element = doc.root.find("THONGTINHOSO/SOLUONGHOSO")
        problems.add(
            Problem(
                "envelope.SOLUONGHOSO.count",
                f"SOLUONGHOSO must equal the number of HOSO in DANHSACHHOSO ({len(doc.hosos)})",
                table="envelope",
                field="SOLUONGHOSO",
                line=element.sourceline if element is not None else None,
                value=declared,
            )
        )
    sheet_rules = load_sheet_rules(schema_set.version)
    ma_lks: set[str] = set()
    for hoso in doc.hosos:
        ma_lks.update(_validate_hoso(hoso.index, hoso.files, doc.facility, schema_set, sheet_rules, problems))
    return tuple(sorted(ma_lks))


def _validate_hoso(
    index: int,
    files: tuple[InnerFile, ...],
    facility: str | None,
    schema_set: SchemaSet,
    sheet_rules: dict[str, tuple[SheetRule, ...]],
    problems: ProblemList,
) -> set[str]:
    rows: dict[str, list[Record] | None] = {}
    for item in files:
        records = _validate_file(item, schema_set, problems)
        if item.table in rows and item.table in ENVELOPE_TABLES:
            problems.add(
                Problem(
                    "envelope.LOAIHOSO.duplicate",
                    f"{item.table} is attached twice to one HOSO",
                    hoso=index,
                    table="envelope",
                    field="LOAIHOSO",
                    line=item.line,
                    value=item.table,
                )
            )
            continue
        rows[item.table] = records
    xml1_rows = rows.get("XML1")
    if "XML1" not in rows:
        problems.add(
            Problem("envelope.XML1.missing", "every HOSO must carry its XML1 (summary) table", hoso=index, table="envelope", field="LOAIHOSO")
        )
    xml1 = xml1_rows[0] if xml1_rows else None
    for table, records in rows.items():
        if records is None:
            continue
        problems.extend(check_records(sheet_rules.get(table, ()), records, xml1))
        if table in cross.SEQUENCED_TABLES:
            problems.extend(cross.check_sequence(table, records))
        if table in ("XML2", "XML3"):
            problems.extend(cross.check_line_amounts(table, records))
    if xml1 is None:
        return set()
    others = {t: r for t, r in rows.items() if t != "XML1" and r is not None}
    problems.extend(cross.check_ma_lk(xml1, others))
    problems.extend(cross.check_facility(xml1, facility))
    problems.extend(cross.check_stay(xml1))
    problems.extend(cross.check_identity(xml1))
    money_rows = {t: rows.get(t, []) for t in ("XML2", "XML3")}
    problems.extend(cross.check_totals(xml1, money_rows))
    return {xml1.get("MA_LK")} if xml1.get("MA_LK") else set()


def _validate_file(item: InnerFile, schema_set: SchemaSet, problems: ProblemList) -> list[Record] | None:
    """Schema-check one inner table; returns its records, or None when it cannot be read."""
    table = item.table or "envelope"
    if item.problem is not None:
        code, message, line = item.problem
        if code.startswith("xml."):
            code = f"envelope.NOIDUNGFILE.{code.split('.', 1)[1]}"
        problems.add(Problem(code, message, hoso=item.hoso, table=table, field="NOIDUNGFILE", line=line or item.line))
        return None
    if item.root is None:
        return None  # empty NOIDUNGFILE: the envelope schema reported it
    spec = schema_set.tables.get(item.table) if item.table in ENVELOPE_TABLES else None
    if spec is None:
        return None  # LOAIHOSO outside the code list: the envelope schema reported it
    if item.root.tag != spec.root_element:
        problems.add(
            Problem(
                "envelope.LOAIHOSO.mismatch",
                f"LOAIHOSO says {item.table} but the document's root is <{item.root.tag}>, not <{spec.root_element}>",
                hoso=item.hoso,
                table=table,
                field="LOAIHOSO",
                line=item.line,
                value=item.table,
            )
        )
        return None
    schema = schema_set.xsd(item.table)
    tree = item.root.getroottree()
    if not schema.validate(tree):
        problems.extend(map_errors(schema.error_log, tree, spec, hoso=item.hoso))
    return extract_records(item.root, spec, item.hoso)

