"""Unpack a received document: the GIAMDINHHS envelope with its base64 tables, or a standalone
XML0 (check-in) / XML12 (medical assessment) document.

`parse_document` parses once, safely, and returns a `ParsedDocument` that the validator, the
signature verifier and the outbox all read: nobody parses the same bytes twice.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass

from lxml import etree

from gateway.xml.errors import XmlInputError
from gateway.xml.safe import DEFAULT_LIMITS, Budget, ParseLimits, parse_bytes

ENVELOPE_ROOT = "GIAMDINHHS"
SIGNATURE_CONTAINER = "CHUKYDONVI"
# Standalone documents by root element (DOMAIN.md; roots also in schemas/qd130/layout.yaml).
STANDALONE_ROOTS = {
    "CHI_TIEU_TRANG_THAI_KCB": "XML0",
    "CHI_TIEU_GIAM_DINH_YKHOA": "XML12",
}
# QĐ 4210 inner roots (ended 1 July 2024): XML2–XML5 used DSACH_* as the root element.
_LEGACY_4210_ROOTS = frozenset(
    {"DSACH_CHI_TIET_THUOC", "DSACH_CHI_TIET_DVKT", "DSACH_CHI_TIET_CLS", "DSACH_CHI_TIET_DIEN_BIEN_BENH"}
)
_B64_WHITESPACE = b" \t\r\n\f\v"


class DocumentKind(enum.Enum):
    """What a received document is, recognised from its root element."""

    ENVELOPE = "envelope"  # GIAMDINHHS with HOSO/FILEHOSO (XML1–XML11, XML13–XML15)
    CHECKIN = "XML0"  # check-in status, sent alone
    ASSESSMENT = "XML12"  # medical assessment, sent alone


@dataclass(frozen=True)
class InnerFile:
    """One FILEHOSO: a table carried as base64 inside the envelope.

    `root` is None when the content could not be decoded or parsed; `problem` then says why
    (a (code, message, line) triple, reported by the validator at this file's location).
    """

    hoso: int  # 1-based index of the HOSO
    position: int  # 1-based index of the FILEHOSO within its HOSO
    table: str  # LOAIHOSO as sent, e.g. "XML1"
    line: int  # line of NOIDUNGFILE in the envelope
    content: bytes  # decoded bytes ("" when undecodable)
    root: etree._Element | None
    problem: tuple[str, str, int | None] | None = None


@dataclass(frozen=True)
class Hoso:
    """One treatment episode (one MA_LK): the tables attached for it."""

    index: int
    line: int
    files: tuple[InnerFile, ...]

    def table(self, name: str) -> InnerFile | None:
        """The first file of the given LOAIHOSO in this HOSO, if any."""
        for item in self.files:
            if item.table == name:
                return item
        return None


@dataclass(frozen=True)
class ParsedDocument:
    """The result of one safe parse of a received document."""

    raw: bytes
    tree: etree._ElementTree
    kind: DocumentKind
    hosos: tuple[Hoso, ...] = ()
    legacy_4210: bool = False

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    @property
    def table(self) -> str | None:
        """For a standalone document, its table name (XML0 or XML12)."""
        return None if self.kind is DocumentKind.ENVELOPE else self.kind.value

    @property
    def facility(self) -> str | None:
        """The facility the document names (envelope MACSKCB; XML0's first MA_CSKCB)."""
        if self.kind is DocumentKind.ENVELOPE:
            return _text(self.root.find("THONGTINDONVI/MACSKCB"))
        if self.kind is DocumentKind.CHECKIN:
            return _text(self.root.find(".//TRANG_THAI_KCB/MA_CSKCB"))
        return None


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


def parse_document(data: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """Parse a received document and decode every inner table, within `limits`.

    Raises XmlInputError for a document that cannot be read at all (see gateway.xml.safe for the
    `xml.*` codes) and `document.unknown_root` for a root that is none of ours. Problems confined
    to one FILEHOSO (bad base64, a malformed or hostile inner document) do not raise: they are
    kept on the InnerFile so the report can name every one of them. Exceeding the submission's
    total budget while decoding does raise.
    """
    budget = Budget(limits)
    tree = parse_bytes(data, what="envelope", limits=limits, budget=budget)
    root = tree.getroot()
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == ENVELOPE_ROOT:
        hosos = tuple(_unpack_hosos(root, limits, budget))
        legacy = any(_is_legacy_4210(f) for h in hosos for f in h.files)
        return ParsedDocument(data, tree, DocumentKind.ENVELOPE, hosos, legacy)
    if tag in STANDALONE_ROOTS:
        kind = DocumentKind(STANDALONE_ROOTS[tag])
        return ParsedDocument(data, tree, kind)
    raise XmlInputError(
        "document.unknown_root",
        f"root element <{tag}> is not a QĐ 130 document (expected GIAMDINHHS, "
        "CHI_TIEU_TRANG_THAI_KCB or CHI_TIEU_GIAM_DINH_YKHOA)",
        line=root.sourceline,
    )


def _unpack_hosos(root: etree._Element, limits: ParseLimits, budget: Budget) -> list[Hoso]:
    hosos = []
    for index, hoso in enumerate(root.iterfind("THONGTINHOSO/DANHSACHHOSO/HOSO"), start=1):
        files = []
        for position, item in enumerate(hoso.iterfind("FILEHOSO"), start=1):
            files.append(_unpack_file(item, index, position, limits, budget))
        hosos.append(Hoso(index, hoso.sourceline or 0, tuple(files)))
    return hosos


def _unpack_file(
    item: etree._Element, hoso: int, position: int, limits: ParseLimits, budget: Budget
) -> InnerFile:
    table = (_text(item.find("LOAIHOSO")) or "").upper()
    content_el = item.find("NOIDUNGFILE")
    line = (content_el.sourceline if content_el is not None else item.sourceline) or 0
    where = f"HOSO {hoso}, FILEHOSO {position} ({table or 'no LOAIHOSO'})"
    if content_el is None or not (content_el.text or "").strip():
        # The envelope XSD reports the missing/empty NOIDUNGFILE; nothing to decode.
        return InnerFile(hoso, position, table, line, b"", None, None)
    # HIS wrap base64 in lines; bytes.translate drops the whitespace far faster than a regex.
    encoded = (content_el.text or "").encode("ascii", "replace").translate(None, _B64_WHITESPACE)
    if len(encoded) * 3 // 4 > limits.max_body_bytes:
        raise XmlInputError(
            "xml.too_large", f"{where}: inner document larger than {limits.max_body_bytes} bytes"
        )
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        reason = (
            "is truncated (its length is not a multiple of 4)"
            if re.fullmatch(rb"[A-Za-z0-9+/]*={0,2}", encoded)
            else "contains characters outside the base64 alphabet"
        )
        problem = ("envelope.NOIDUNGFILE.base64", f"{where}: NOIDUNGFILE {reason}", line)
        return InnerFile(hoso, position, table, line, b"", None, problem)
    try:
        inner = parse_bytes(content, what=where, limits=limits, budget=budget)
    except XmlInputError as exc:
        if exc.code in {"xml.too_large", "xml.too_many_elements"}:
            raise
        return InnerFile(hoso, position, table, line, content, None, (exc.code, exc.message, exc.line))
    return InnerFile(hoso, position, table, line, content, inner.getroot())


def _is_legacy_4210(item: InnerFile) -> bool:
    if item.root is None:
        return False
    if item.root.tag in _LEGACY_4210_ROOTS:
        return True
    # QĐ 4210's XML1 called the card MA_THE; QĐ 130 renamed it MA_THE_BHYT.
    return item.root.tag == "TONG_HOP" and item.root.find("MA_THE") is not None and item.root.find("MA_THE_BHYT") is None
