"""The QĐ 130 field tables as frozen values, read from the official sheets in schemas/qd130/source.

One `TableSpec` per table (XML0–XML15) with its `FieldSpec`s in table order. The shape of each
document (root path, record element, standalone or in the envelope) comes from
schemas/qd130/layout.yaml; sizes, types and required flags from the version's tsv files; the
value format of each field from the rule table `FORMAT_RULES` below (name + type + size), with
per-field corrections in layout.yaml. The XSDs are generated from these values
(gateway.xml.schemagen), so this module is the one place that reads the sheets.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from gateway.xml.errors import XmlError

FieldType = Literal["string", "number"]

SCHEMAS_DIR_ENV = (
    "GATEWAY_SCHEMAS_DIR"  # a folder holding qd130/layout.yaml (default: repo schemas/)
)
ENVELOPE = "GIAMDINHHS"
SIGNATURE_CONTAINER = "CHUKYDONVI"


class SchemaDataError(XmlError):
    """The schema data (layout.yaml, a source sheet, a generated XSD) is missing or malformed.

    Our own fault, never the caller's: a 5xx and an alarm. `code` is one of `schema.missing`,
    `schema.layout`, `schema.sheet`, `schema.unknown_version`, `schema.unknown_table`.
    """


@dataclass(frozen=True)
class FieldSpec:
    """One field (chỉ tiêu) of a table, as the sheet gives it, plus its derived value format."""

    name: str
    order: int  # 1-based position in the table (the sheets' STT column has gaps and repeats)
    type: FieldType
    max_length: int | None  # None = "n", unbounded
    required: bool  # only an unconditional "x" in Bắt buộc
    required_note: str  # the raw Bắt buộc cell when it is not a plain "x" (a condition), else ""
    valid_note: str  # the VSS sheet's VALID column, "" when absent
    format: str  # one of FORMATS
    sheet_row: int  # 1-based line of the tsv, for citations
    code_list: tuple[str, ...] | None = None  # allowed values when the table fixes them


@dataclass(frozen=True)
class TableSpec:
    """One QĐ 130 table: its XML shape (from layout.yaml) and its fields (from the sheet)."""

    name: str  # "XML1"
    title: str
    root_path: tuple[str, ...]  # document root down to and including the record element
    record_element: str
    multi_record: bool  # records repeat under root_path[:-1]
    standalone: bool  # XML0 / XML12: sent alone, CHUKYDONVI last child of the root
    fields: tuple[FieldSpec, ...]
    source_file: str  # path of the tsv relative to schemas/qd130

    @property
    def root_element(self) -> str:
        """The document's root element name."""
        return self.root_path[0]

    def field(self, name: str) -> FieldSpec | None:
        """The field called `name`, or None."""
        return next((f for f in self.fields if f.name == name), None)


# --- Value formats -------------------------------------------------------------------------
# Every format a field can have; the XSD patterns are in gateway.xml.schemagen.
FORMATS = frozenset(
    {
        "text", "code", "integer", "decimal2", "decimal3", "percent", "gender",
        "date8", "datetime12", "birth12", "date8_or_datetime12",
        "date8_list", "code_list", "decimal3_list",
    }
)  # fmt: skip
FIXED_LENGTH = {"date8": 8, "datetime12": 12, "birth12": 12, "gender": 1}
GENDER_CODES = ("1", "2", "3")  # Bảng 1 GIOI_TINH: 1 Nam, 2 Nữ, 3 Chưa xác định


def _any(size: int | None) -> bool:
    return True


def _size(n: int) -> Callable[[int | None], bool]:
    return lambda size: size == n


def _several(size: int | None) -> bool:
    """A size that holds more than one card code (15 chars): 'n' or wider."""
    return size is None or size > 15


@dataclass(frozen=True)
class FormatRule:
    """Fields whose name fully matches `name`, of `type` ("*" = either) and accepted size."""

    name: str
    type: str
    size: Callable[[int | None], bool]
    format: str
    source: str


# First match wins. Sources are the QĐ 130 tables' own descriptions (Diễn giải) and DOMAIN.md.
FORMAT_RULES: tuple[FormatRule, ...] = (
    FormatRule(r"GIOI_TINH(_CON)?", "*", _any, "gender", "B1 GIOI_TINH, B9 GIOI_TINH_CON: 1/2/3"),
    FormatRule(r"NGAY_SINH", "*", _size(12), "birth12", "B1 NGAY_SINH: yyyymmddHHMM, 0000 allowed"),
    FormatRule(r"NGAY_MIEN_CCT", "*", _size(12), "date8_or_datetime12", "B1: 8 chars or 12"),
    FormatRule(r"GT_THE_(TU|DEN)|NGAY_TAI_KHAM", "string", _several, "date8_list", "B1: yyyymmdd;…"),
    FormatRule(r"MA_THE_BHYT|MA_DKBD", "string", _several, "code_list", "B1: codes joined by ';'"),
    FormatRule(r"MA_BENH_KT", "string", _any, "code_list", "B1 MA_BENH_KT: ≤12 codes joined by ';'"),
    FormatRule(r"CAN_NANG_CON", "string", _any, "decimal3_list", "B1: grams per child, ';'"),
    FormatRule(r".*NGAY.*|GT_THE_(TU|DEN)|BDDT_ARV|NAM_NAM_LIEN_TUC", "*", _size(8), "date8",
               "every 8-char date: 'định dạng yyyymmdd'"),
    FormatRule(r".*NGAY.*|THOI.*", "*", _size(12), "datetime12", "'gồm 12 ký tự … yyyymmddHHMM'"),
    FormatRule(r"(TONG_)?TYLE_.*|MUC_HUONG", "number", _any, "percent", "integer percent 0–100"),
    FormatRule(r"T_.*|THANH_TIEN_.*", "number", _any, "decimal2", "money: 'đến 2 chữ số thập phân'"),
    FormatRule(r"CAN_NANG", "*", _any, "decimal2", "B1 CAN_NANG: 'ghi đến 2 chữ số sau dấu thập phân'"),
    FormatRule(r"SO_LUONG|DON_GIA.*|CAN_NANG_CON", "number", _any, "decimal3",
               "quantities, unit prices: 'làm tròn đến 3 chữ số thập phân' (DOMAIN.md)"),
    FormatRule(r".*", "number", _any, "integer", "other numbers: codes, counts, years"),
    FormatRule(r"MA.*|SO_CCCD.*|DIEN_THOAI|GOI_VTYT|SINHCON_.*", "string", _any, "code",
               "codes kept as strings, leading zeros matter (DOMAIN.md)"),
    FormatRule(r".*", "string", _any, "text", "free text"),
)  # fmt: skip


def derive_format(name: str, field_type: str, max_length: int | None) -> str:
    """The value format of a field by FORMAT_RULES; raises SchemaDataError when none applies."""
    for rule in FORMAT_RULES:
        if (
            re.fullmatch(rule.name, name)
            and rule.type in ("*", field_type)
            and rule.size(max_length)
        ):
            return rule.format
    raise SchemaDataError("schema.sheet", f"no format rule for {name} ({field_type}, {max_length})")


# --- Locating and reading the data ---------------------------------------------------------


def schemas_root() -> Path:
    """The `schemas` folder (resolved): $GATEWAY_SCHEMAS_DIR, else the one beside the gateway
    package. Found once per setting and working directory: every validation asks (~0.1 ms of
    file-system calls each time, measured in the intake worker).

    Raises SchemaDataError `schema.missing` when it has no qd130/layout.yaml (not remembered).
    """
    return _schemas_root(os.environ.get(SCHEMAS_DIR_ENV), os.getcwd())


@functools.lru_cache(maxsize=8)
def _schemas_root(override: str | None, cwd: str) -> Path:
    candidates = [Path(override)] if override else []
    here = Path(__file__).resolve()
    candidates += [parent / "schemas" for parent in here.parents[1:4]]
    candidates.append(Path(cwd) / "schemas")
    for candidate in candidates:
        if (candidate / "qd130" / "layout.yaml").is_file():
            return candidate.resolve()
        if override:
            break  # an explicit setting that is wrong must not fall back silently
    raise SchemaDataError(
        "schema.missing",
        f"no qd130/layout.yaml under {', '.join(str(c) for c in candidates)}"
        f" (set {SCHEMAS_DIR_ENV})",
    )


def load_layout(qd130_dir: Path) -> dict[str, Any]:
    """Read and check layout.yaml; raises SchemaDataError `schema.layout` / `schema.missing`."""
    path = qd130_dir / "layout.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SchemaDataError("schema.missing", f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise SchemaDataError("schema.layout", f"{path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise SchemaDataError("schema.layout", f"{path}: no 'tables' mapping")
    if not isinstance(data.get("versions"), dict):
        raise SchemaDataError("schema.layout", f"{path}: no 'versions' mapping")
    for name, table in data["tables"].items():
        path_ok = isinstance(table, dict) and isinstance(table.get("root_path"), list)
        if not path_ok or not table["root_path"] or not isinstance(table.get("standalone"), bool):
            raise SchemaDataError("schema.layout", f"{path}: table {name}: root_path/standalone")
    return data


def versions(qd130_dir: Path | None = None) -> tuple[str, ...]:
    """The schema versions layout.yaml knows, e.g. ("4750", "130")."""
    layout = load_layout(qd130_dir or schemas_root() / "qd130")
    return tuple(str(v) for v in layout["versions"])


def load_tables(version: str, qd130_dir: Path | None = None) -> dict[str, TableSpec]:
    """All tables of one schema version, in table order (XML0, XML1, …).

    Raises SchemaDataError: `schema.unknown_version`, `schema.missing`, `schema.layout`,
    `schema.sheet` (an unrecognised header, type, size, field name, or an override that
    matches no field).
    """
    qd130_dir = qd130_dir or schemas_root() / "qd130"
    layout = load_layout(qd130_dir)
    spec = layout["versions"].get(version)
    if not isinstance(spec, dict):
        known = ", ".join(str(v) for v in layout["versions"])
        raise SchemaDataError("schema.unknown_version", f"unknown version {version!r} ({known})")
    overrides: dict[str, dict[str, Any]] = dict(spec.get("overrides") or {})
    tables: dict[str, TableSpec] = {}
    for name, shape in layout["tables"].items():
        file_name = (spec.get("files") or {}).get(name)
        if file_name is None:
            continue  # the table does not exist in this version
        source = f"{spec['source_dir']}/{file_name}"
        fields = _read_sheet(qd130_dir / source, name, overrides)
        root_path = tuple(str(p) for p in shape["root_path"])
        tables[name] = TableSpec(
            name=name,
            title=str(shape.get("title", "")),
            root_path=root_path,
            record_element=root_path[-1],
            multi_record=len(root_path) > 1,
            standalone=shape["standalone"],
            fields=fields,
            source_file=source,
        )
    if overrides:
        raise SchemaDataError("schema.layout", f"overrides match no field: {sorted(overrides)}")
    return tables


# --- The sheets ----------------------------------------------------------------------------
# Header cells by meaning. Read by name, not position: the sheets differ (XML12 has a title line
# first, XML3 an extra QĐ824 column, several trailing empty columns).
_NAME, _TYPE, _SIZE, _REQUIRED, _VALID = (
    "Chỉ tiêu",
    "Kiểu dữ liệu",
    "Kích thước tối đa",
    "Bắt buộc",
    "VALID",
)
_KNOWN_HEADERS = {_NAME, _TYPE, _SIZE, _REQUIRED, _VALID, "STT", "Diễn giải"}
_IGNORED_HEADERS = {"QĐ824"}  # XML3: QĐ 824 marks (MA_XANG_DAU); not a QĐ 130 rule
_TYPES: dict[str, FieldType] = {"chuỗi": "string", "số": "number"}
_FIELD_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def _norm(cell: str) -> str:
    return unicodedata.normalize("NFC", cell).strip()


def _read_sheet(
    path: Path, table: str, overrides: dict[str, dict[str, Any]]
) -> tuple[FieldSpec, ...]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise SchemaDataError("schema.missing", f"{path}: {exc}") from None
    rows = [[_norm(c) for c in line.split("\t")] for line in lines]
    header_at = next((i for i, row in enumerate(rows) if _NAME in row), None)
    if header_at is None:
        raise SchemaDataError("schema.sheet", f"{path}: no header row with {_NAME!r}")
    header = rows[header_at]
    columns: dict[str, int] = {}
    for i, cell in enumerate(header):
        if cell in _KNOWN_HEADERS:
            if cell in columns:
                raise SchemaDataError("schema.sheet", f"{path}:{header_at + 1}: {cell!r} twice")
            columns[cell] = i
        elif cell and cell not in _IGNORED_HEADERS:
            raise SchemaDataError(
                "schema.sheet", f"{path}:{header_at + 1}: unknown column {cell!r}"
            )
    missing = {_NAME, _TYPE, _SIZE, _REQUIRED} - columns.keys()
    if missing:
        raise SchemaDataError("schema.sheet", f"{path}: missing columns {sorted(missing)}")
    unnamed = [i for i, cell in enumerate(header) if not cell]
    fields: list[FieldSpec] = []
    for index, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        where = f"{path}:{index}"
        if not any(row):
            continue
        if len(row) > len(header) or any(row[i] for i in unnamed if i < len(row)):
            raise SchemaDataError("schema.sheet", f"{where}: data outside the named columns")
        values = dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
        name = values[_NAME]
        if not _FIELD_NAME.fullmatch(name):
            raise SchemaDataError("schema.sheet", f"{where}: bad field name {name!r}")
        if any(f.name == name for f in fields):
            raise SchemaDataError("schema.sheet", f"{where}: field {name} twice")
        fields.append(
            _field(values, len(fields) + 1, index, where, overrides.pop(f"{table}.{name}", None))
        )
    if not fields:
        raise SchemaDataError("schema.sheet", f"{path}: no fields")
    return tuple(fields)


def _field(
    cell: dict[str, str], order: int, line: int, where: str, override: dict[str, Any] | None
) -> FieldSpec:
    raw_type, raw_size, raw_required = cell[_TYPE], cell[_SIZE], cell[_REQUIRED]
    field_type = _TYPES.get(raw_type.casefold())
    if field_type is None:
        raise SchemaDataError("schema.sheet", f"{where}: unknown type {raw_type!r}")
    if raw_size.casefold() == "n":
        max_length = None
    elif raw_size.isdigit() and int(raw_size) > 0:
        max_length = int(raw_size)
    else:
        raise SchemaDataError("schema.sheet", f"{where}: bad size {raw_size!r}")
    required = raw_required.casefold() == "x"
    spec = FieldSpec(
        name=cell[_NAME],
        order=order,
        type=field_type,
        max_length=max_length,
        required=required,
        required_note="" if required else raw_required,
        valid_note=cell.get(_VALID, ""),
        format="",
        sheet_row=line,
        code_list=None,
    )
    override = dict(override or {})
    unknown = override.keys() - {"type", "max_length", "required", "format", "code_list"}
    if unknown:
        raise SchemaDataError("schema.layout", f"{where}: unknown override keys {sorted(unknown)}")
    if "type" in override:
        if override["type"] not in ("string", "number"):
            raise SchemaDataError("schema.layout", f"{where}: override type {override['type']!r}")
        spec = replace(spec, type=override["type"])
    if "max_length" in override:
        spec = replace(spec, max_length=override["max_length"])
    if "required" in override:  # the sheet's cell stays in required_note, for the record
        spec = replace(spec, required=bool(override["required"]), required_note=raw_required)
    fmt = override.get("format") or derive_format(spec.name, spec.type, spec.max_length)
    if fmt not in FORMATS:
        raise SchemaDataError("schema.layout", f"{where}: unknown format {fmt!r}")
    fixed = FIXED_LENGTH.get(fmt)
    if fixed is not None and spec.max_length not in (None, fixed):
        raise SchemaDataError("schema.sheet", f"{where}: {fmt} but size {spec.max_length}")
    codes: tuple[str, ...] | None = GENDER_CODES if fmt == "gender" else None
    if "code_list" in override:
        codes = tuple(str(c) for c in override["code_list"])
    return replace(spec, format=fmt, code_list=codes)
