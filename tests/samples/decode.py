"""Read generated documents back into plain values, independently of the generator's code."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from lxml import etree

Row = dict[str, str]


@dataclass(frozen=True)
class Table:
    """One decoded FILEHOSO: its records as field -> text, and each record's field order."""

    name: str
    b64: str
    root: etree._Element | None  # None when NOIDUNGFILE does not decode
    rows: list[Row]
    orders: list[list[str]]


@dataclass(frozen=True)
class Envelope:
    facility: str
    created: str
    declared: str
    root: etree._Element
    hosos: list[dict[str, Table]]


def records_of(root: etree._Element) -> list[etree._Element]:
    """The record elements of a table document: the root itself, or the root's grandchildren."""
    if len(root) and len(root[0]) and root[0].tag.startswith("DSACH"):
        return [row for row in root[0]]
    return [root]


def decode_table(name: str, b64: str) -> Table:
    try:
        content = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return Table(name, b64, None, [], [])
    root = etree.fromstring(content)
    records = records_of(root)
    rows = [{child.tag: child.text or "" for child in record} for record in records]
    orders = [[child.tag for child in record] for record in records]
    return Table(name, b64, root, rows, orders)


def decode(envelope: bytes) -> Envelope:
    root = etree.fromstring(envelope)
    hosos = []
    for hoso in root.iterfind("THONGTINHOSO/DANHSACHHOSO/HOSO"):
        tables = {}
        for item in hoso.iterfind("FILEHOSO"):
            name = item.findtext("LOAIHOSO") or ""
            tables[name] = decode_table(name, item.findtext("NOIDUNGFILE") or "")
        hosos.append(tables)
    return Envelope(
        facility=root.findtext("THONGTINDONVI/MACSKCB") or "",
        created=root.findtext("THONGTINHOSO/NGAYLAP") or "",
        declared=root.findtext("THONGTINHOSO/SOLUONGHOSO") or "",
        root=root,
        hosos=hosos,
    )
