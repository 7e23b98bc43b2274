"""`content_digest`: the identity of a document's content, whoever signed it and how often.

Definition (stable; the outbox keys idempotency on it, ARCHITECTURE.md "Idempotency"):

    content_digest(D) = lowercase hex SHA-256 of C14N 1.0 without comments
                        (http://www.w3.org/TR/2001/REC-xml-c14n-20010315) of D's root element,
                        after every child node and the text of each CHUKYDONVI child of the root
                        are removed (its attributes stay: it canonicalises to
                        `<CHUKYDONVI></CHUKYDONVI>`).

So an unsigned dossier, the same dossier signed by the facility, and the same dossier re-signed
after a certificate renewal have one content digest; any change to a table (including a single
byte of NOIDUNGFILE) changes it. Whitespace outside CHUKYDONVI is content (the signature covers
it too); comments are not (C14N without comments drops them, as the signature does).
"""

from __future__ import annotations

import copy
import hashlib

from lxml import etree

from gateway.xml.dossier import SIGNATURE_CONTAINER, ParsedDocument
from gateway.xml.safe import parse_bytes


def content_digest(document: bytes | ParsedDocument | etree._ElementTree) -> str:
    """The content digest of a document (see the module docstring); the input is not modified.

    Raises gateway.xml.errors.XmlInputError when bytes do not parse.
    """
    if isinstance(document, bytes):
        root = parse_bytes(document, what="document").getroot()
    elif isinstance(document, ParsedDocument):
        root = document.root
    else:
        root = document.getroot()
    containers = root.findall(SIGNATURE_CONTAINER)
    if any(len(c) or c.text for c in containers):  # copy only when there is something to empty
        root = copy.deepcopy(root)
        for container in root.findall(SIGNATURE_CONTAINER):
            for child in list(container):
                container.remove(child)
            container.text = None
    return hashlib.sha256(etree.tostring(root, method="c14n", with_comments=False)).hexdigest()
