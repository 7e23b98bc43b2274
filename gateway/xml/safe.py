"""The one hardened XML parser of the gateway.

Every byte of XML that reaches the gateway from outside (a HIS, a folder drop, the portal, the
population database) is parsed here and nowhere else. The rules (TECH_NOTES "Parsing untrusted
XML"): no entity expansion, no DTD (a DOCTYPE is rejected), no network, no XInclude, processing
instructions dropped, UTF-8 only, and explicit limits on size, depth and element count that apply
to an envelope and to the sum of its decoded inner documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from gateway.xml.errors import XmlInputError

MiB = 1024 * 1024

# The encoding pseudo-attribute of an XML declaration, read from the raw bytes. Only ASCII can
# appear there, so a bytes regex over the first line is exact.
_DECLARATION = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']", re.S)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_BOMS_NOT_UTF8 = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ParseLimits:
    """Limits for one submission (an envelope plus every inner document it carries).

    The defaults sit well above the largest legal dossier (a long inpatient stay is a few MB of
    XML) and far below what would hurt a small gateway machine.
    """

    max_body_bytes: int = 32 * MiB
    max_total_bytes: int = 96 * MiB  # envelope + sum of decoded inner documents
    max_depth: int = 32  # our deepest legal path is 6 levels (envelope) / 4 (inner table)
    max_elements: int = 2_000_000  # over the envelope and all inner documents

    def __post_init__(self) -> None:
        if min(self.max_body_bytes, self.max_total_bytes, self.max_depth, self.max_elements) <= 0:
            raise ValueError("parse limits must be positive")


DEFAULT_LIMITS = ParseLimits()


@dataclass
class Budget:
    """What is left of a submission's limits while its documents are parsed one by one."""

    limits: ParseLimits
    bytes_used: int = 0
    elements_used: int = 0
    documents: int = field(default=0)

    def charge(self, size: int, elements: int, what: str) -> None:
        """Account for one parsed document; raises XmlInputError when a limit is passed."""
        self.bytes_used += size
        self.elements_used += elements
        self.documents += 1
        if self.bytes_used > self.limits.max_total_bytes:
            raise XmlInputError(
                "xml.too_large",
                f"{what}: the envelope and its decoded inner documents exceed "
                f"{self.limits.max_total_bytes} bytes in total",
            )
        if self.elements_used > self.limits.max_elements:
            raise XmlInputError(
                "xml.too_many_elements",
                f"{what}: more than {self.limits.max_elements} elements in the submission",
            )


def make_parser() -> etree.XMLParser:
    """A new hardened lxml parser (parsers are not thread-safe: one per thread or per call)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        collect_ids=False,
        remove_comments=False,
        strip_cdata=True,
    )


_PARSER = make_parser()  # used from the event loop thread only; workers call make_parser()


def check_encoding(data: bytes, what: str) -> bytes:
    """Check that `data` is UTF-8 (optionally with a BOM) and says so; returns it without BOM.

    Raises XmlInputError `xml.encoding` for another BOM, a declared encoding other than UTF-8
    (including one that lies about the bytes), or bytes that are not valid UTF-8.
    """
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    elif data.startswith(_BOMS_NOT_UTF8):
        raise XmlInputError("xml.encoding", f"{what}: UTF-16/UTF-32 byte order mark; only UTF-8 is accepted")
    match = _DECLARATION.match(data[:200])
    if match is not None:
        declared = match.group(1).decode("ascii").lower()
        if declared not in _UTF8_NAMES:
            raise XmlInputError(
                "xml.encoding",
                f"{what}: declared encoding {declared!r}; only UTF-8 is accepted",
            )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise XmlInputError(
            "xml.encoding",
            f"{what}: invalid UTF-8 byte sequence at byte {exc.start} (line {line})",
            line=line,
        ) from None
    return data


def parse_bytes(
    data: bytes,
    *,
    what: str = "document",
    limits: ParseLimits = DEFAULT_LIMITS,
    budget: Budget | None = None,
    parser: etree.XMLParser | None = None,
) -> etree._ElementTree:
    """Parse untrusted XML bytes safely and return the tree.

    Raises XmlInputError with one of the codes `xml.too_large`, `xml.encoding`, `xml.malformed`,
    `xml.dtd`, `xml.entity`, `xml.depth`, `xml.too_many_elements`, `xml.empty`.
    """
    if len(data) > limits.max_body_bytes:
        raise XmlInputError(
            "xml.too_large", f"{what}: {len(data)} bytes, the limit is {limits.max_body_bytes}"
        )
    if not data.strip():
        raise XmlInputError("xml.empty", f"{what}: empty document")
    data = check_encoding(data, what)
    if _prolog_has_doctype(data):
        # Refuse before libxml2 reads the internal subset at all (entity bombs live there).
        raise XmlInputError("xml.dtd", f"{what}: a DOCTYPE is not allowed", line=1)
    try:
        tree = etree.fromstring(data, parser or _PARSER).getroottree()
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, what) from None
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlInputError("xml.dtd", f"{what}: a DOCTYPE is not allowed", line=1)
    root = tree.getroot()
    if root.xpath("boolean(" + "/*" * (limits.max_depth + 1) + ")"):
        raise XmlInputError(
            "xml.depth", f"{what}: elements nested deeper than {limits.max_depth} levels"
        )
    elements = int(root.xpath("count(//*)"))
    if _has_entity_refs(root):
        raise XmlInputError("xml.entity", f"{what}: entity references are not allowed")
    (budget or Budget(limits)).charge(len(data), elements, what)
    return tree


def _prolog_has_doctype(data: bytes) -> bool:
    """True when a DOCTYPE appears before the root element (after the declaration, PIs and
    comments that may precede it)."""
    position = 0
    while True:
        start = data.find(b"<", position)
        if start < 0:
            return False
        if data.startswith(b"<?", start):
            end = data.find(b"?>", start)
        elif data.startswith(b"<!--", start):
            end = data.find(b"-->", start)
        else:
            return data.startswith(b"<!DOCTYPE", start)
        if end < 0:
            return False
        position = end + 2


def _has_entity_refs(root: etree._Element) -> bool:
    # Without a DTD an undeclared entity is a syntax error, so this only fires on the
    # predefined-looking references libxml2 keeps as nodes; cheap insurance.
    for _ in root.iter(etree.Entity):
        return True
    return False


def _syntax_error(exc: etree.XMLSyntaxError, what: str) -> XmlInputError:
    message = str(exc.msg or exc)
    line = exc.lineno if isinstance(exc.lineno, int) else None
    lowered = message.lower()
    if "excessive depth" in lowered or ("depth" in lowered and "nest" in lowered):
        return XmlInputError("xml.depth", f"{what}: nesting too deep ({message})", line=line)
    if "entity" in lowered and ("amplification" in lowered or "loop" in lowered or "huge" in lowered):
        return XmlInputError("xml.entity", f"{what}: entity expansion refused ({message})", line=line)
    if "entity" in lowered:
        return XmlInputError("xml.entity", f"{what}: entities are not allowed ({message})", line=line)
    if "encoding" in lowered or "utf-8" in lowered:
        return XmlInputError("xml.encoding", f"{what}: {message}", line=line)
    if "huge" in lowered:
        return XmlInputError("xml.too_large", f"{what}: {message}", line=line)
    return XmlInputError("xml.malformed", f"{what}: not well-formed XML: {message}", line=line)
