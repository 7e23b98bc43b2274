"""Serialise records into QĐ 130 documents: inner tables, the GIAMDINHHS envelope, XML0/XML12.

Field order and document shape come from the schema set (gateway.xml.schemaset): every field
of a record is written in the table's order; a field the record leaves out is written empty
(`<NHOM_MAU/>`), a field set to None is not written. Text is built directly (no tree): it is the
hot path of `gateway samples` and of the benchmarks.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from gateway.xml.schemaset import load_schema_set

SCHEMA_VERSION = "4750"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
_ENVELOPE_NAMESPACES = (
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


@dataclass(frozen=True)
class Layout:
    """What serialisation needs of a table: field order, element path, standalone or not."""

    fields: tuple[str, ...]
    root_path: tuple[str, ...]
    standalone: bool


@functools.lru_cache(maxsize=32)
def layout(table: str) -> Layout:
    """The layout of a table ("XML1") in the schema version we generate."""
    spec = load_schema_set(SCHEMA_VERSION).tables[table]
    return Layout(tuple(f.name for f in spec.fields), spec.root_path, spec.standalone)


def _record_xml(fields: tuple[str, ...], record: Mapping[str, str | None], table: str) -> list[str]:
    unknown = record.keys() - set(fields)
    if unknown:
        raise ValueError(f"{table}: fields not in the table: {sorted(unknown)}")
    parts = []
    for name in fields:
        value = record.get(name, "")
        if value is None:
            continue
        parts.append(f"<{name}>{escape(value)}</{name}>\n" if value else f"<{name}/>\n")
    return parts


def table_document(table: str, records: Sequence[Mapping[str, str | None]]) -> bytes:
    """The UTF-8 document of a table holding `records` (one record for XML1).

    One element per line, no indentation (inner documents travel base64-encoded: whitespace
    costs a third more there). Standalone tables (XML0, XML12) get an empty `<CHUKYDONVI/>` as
    the root's last child. Raises ValueError for a record naming a field the table does not
    have, or several records for a single-record table.
    """
    shape = layout(table)
    path = shape.root_path
    if len(path) == 1 and len(records) != 1:
        raise ValueError(f"{table} holds exactly one record, not {len(records)}")
    parts = [XML_DECLARATION]
    parts += [f"<{element}>\n" for element in path[:-1]]
    for record in records:
        parts.append(f"<{path[-1]}>\n")
        parts += _record_xml(shape.fields, record, table)
        if shape.standalone and len(path) == 1:
            parts.append("<CHUKYDONVI/>\n")
        parts.append(f"</{path[-1]}>\n")
    for depth in range(len(path) - 2, -1, -1):
        if depth == 0 and shape.standalone:
            parts.append("<CHUKYDONVI/>\n")
        parts.append(f"</{path[depth]}>\n")
    return "".join(parts).encode("utf-8")


@dataclass(frozen=True)
class InnerFile:
    """One FILEHOSO: the table name (LOAIHOSO) and its document."""

    table: str
    content: bytes


def envelope(
    facility: str,
    created: str,
    hosos: Sequence[Sequence[InnerFile]],
    *,
    declared_count: int | None = None,
    cut: Mapping[tuple[int, str], int] | None = None,
) -> bytes:
    """The GIAMDINHHS envelope (CV 3190 §3.4): one HOSO per episode, CHUKYDONVI empty and last.

    `created` is NGAYLAP (yyyyMMdd). `declared_count` overrides SOLUONGHOSO and `cut` drops
    characters from the end of a NOIDUNGFILE ((HOSO index from 0, LOAIHOSO) -> count): both
    exist only to make defective samples.
    """
    count = len(hosos) if declared_count is None else declared_count
    parts = [
        XML_DECLARATION,
        f"<GIAMDINHHS {_ENVELOPE_NAMESPACES}>\n",
        f"  <THONGTINDONVI>\n    <MACSKCB>{escape(facility)}</MACSKCB>\n  </THONGTINDONVI>\n",
        f"  <THONGTINHOSO>\n    <NGAYLAP>{created}</NGAYLAP>\n",
        f"    <SOLUONGHOSO>{count}</SOLUONGHOSO>\n    <DANHSACHHOSO>\n",
    ]
    for index, files in enumerate(hosos):
        parts.append("      <HOSO>\n")
        for item in files:
            encoded = base64.b64encode(item.content).decode("ascii")
            drop = (cut or {}).get((index, item.table), 0)
            if drop:
                encoded = encoded[:-drop]
            parts.append(
                f"        <FILEHOSO>\n          <LOAIHOSO>{item.table}</LOAIHOSO>\n"
                f"          <NOIDUNGFILE>{encoded}</NOIDUNGFILE>\n        </FILEHOSO>\n"
            )
        parts.append("      </HOSO>\n")
    parts.append("    </DANHSACHHOSO>\n  </THONGTINHOSO>\n  <CHUKYDONVI/>\n</GIAMDINHHS>\n")
    return "".join(parts).encode("utf-8")
