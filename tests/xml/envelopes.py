"""Helpers to build and mutate envelopes in tests: decode a table, change it, re-encode it."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable

from lxml import etree

from gateway.samples import generate_one


def sample(profile: str = "small", seed: int = 1, facility: str = "01001") -> bytes:
    """A valid envelope from the project's generator."""
    return generate_one(random.Random(seed), profile, facility)


def mutate_table(envelope: bytes, table: str, change: Callable[[etree._Element], None], hoso: int = 1) -> bytes:
    """Apply `change` to the root of `table` in HOSO `hoso` and return the new envelope."""
    root = etree.fromstring(envelope)
    hosos = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO")
    for item in hosos[hoso - 1].findall("FILEHOSO"):
        if item.findtext("LOAIHOSO") == table:
            content = item.find("NOIDUNGFILE")
            inner = etree.fromstring(base64.b64decode(content.text or ""))
            change(inner)
            content.text = base64.b64encode(etree.tostring(inner, xml_declaration=True, encoding="utf-8")).decode()
            return etree.tostring(root, xml_declaration=True, encoding="utf-8")
    raise AssertionError(f"no {table} in HOSO {hoso}")


def mutate_envelope(envelope: bytes, change: Callable[[etree._Element], None]) -> bytes:
    """Apply `change` to the envelope's root element."""
    root = etree.fromstring(envelope)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def set_field(record: etree._Element, field: str, value: str | None) -> None:
    """Set a field's text (None removes the element)."""
    element = record.find(field)
    assert element is not None, field
    if value is None:
        record.remove(element)
    else:
        element.text = value


def rows(inner: etree._Element) -> list[etree._Element]:
    """The records of a multi-record table (its root's grandchildren)."""
    return [row for lst in inner for row in lst]
