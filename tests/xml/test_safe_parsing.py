"""Hostile and broken input: every case gets a clear, coded rejection (issue 2, "Safe parsing")."""

from __future__ import annotations

import base64
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from gateway.xml.dossier import DocumentKind, parse_document
from gateway.xml.errors import XmlInputError
from gateway.xml.safe import ParseLimits, parse_bytes
from gateway.xml.validate import validate

SAMPLES = Path(__file__).parent.parent / "data" / "shared_samples"
ENVELOPE = (SAMPLES / "SYN_qd4750_GIAMDINHHS_envelope_unsigned.xml").read_bytes()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<GIAMDINHHS>&lol9;</GIAMDINHHS>"""


def quadratic_blowup() -> bytes:
    entity = "A" * 50_000
    refs = "&a;" * 50_000
    return f'<?xml version="1.0"?><!DOCTYPE kaboom [<!ENTITY a "{entity}">]><GIAMDINHHS>{refs}</GIAMDINHHS>'.encode()


def code_of(data: bytes, limits: ParseLimits | None = None) -> str:
    with pytest.raises(XmlInputError) as info:
        parse_document(data, limits or ParseLimits())
    return info.value.code


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY x "pwned">')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_trap() -> Iterator[str]:
    """A loopback HTTP server that records any fetch the parser might make."""
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.perf_counter()
    assert code_of(BILLION_LAUGHS) == "xml.dtd"
    assert time.perf_counter() - started < 2  # generous: a guard against expansion, not a benchmark


def test_quadratic_blowup_is_refused() -> None:
    assert code_of(quadratic_blowup()) in {"xml.dtd", "xml.entity"}


def test_external_file_entity_is_refused_and_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]><GIAMDINHHS>&s;</GIAMDINHHS>'.encode()
    with pytest.raises(XmlInputError) as info:
        parse_document(data)
    assert info.value.code == "xml.dtd"
    assert "TOP-SECRET" not in str(info.value)


def test_external_http_entity_is_refused_without_fetching(http_trap: str) -> None:
    data = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "{http_trap}/e">]><GIAMDINHHS>&s;</GIAMDINHHS>'.encode()
    assert code_of(data) == "xml.dtd"
    assert _Recorder.hits == []


def test_external_dtd_is_refused_without_fetching(http_trap: str) -> None:
    data = f'<?xml version="1.0"?><!DOCTYPE GIAMDINHHS SYSTEM "{http_trap}/x.dtd"><GIAMDINHHS/>'.encode()
    assert code_of(data) == "xml.dtd"
    assert _Recorder.hits == []


def test_parameter_entities_are_refused_without_fetching(http_trap: str) -> None:
    data = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "{http_trap}/p.dtd"> %p;]>'
        "<GIAMDINHHS/>"
    ).encode()
    assert code_of(data) == "xml.dtd"
    assert _Recorder.hits == []


def test_undeclared_entity_reference_is_refused() -> None:
    assert code_of(b"<GIAMDINHHS>&xxe;</GIAMDINHHS>") == "xml.entity"


def test_xinclude_is_never_processed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        '<CHI_TIEU_TRANG_THAI_KCB xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="file://{secret}" parse="text"/></CHI_TIEU_TRANG_THAI_KCB>'
    ).encode()
    doc = parse_document(data)
    assert b"TOP-SECRET" not in parse_bytes(data).getroot().xpath("string()").encode()
    report = validate(data)
    assert not report.valid
    assert report.codes() == ["XML0.structure"]
    assert doc.kind is DocumentKind.CHECKIN


def test_processing_instructions_are_dropped() -> None:
    tree = parse_bytes(b'<a><?php system("id"); ?><b/></a>')
    assert tree.getroot().xpath("count(//processing-instruction())") == 0


def test_hundred_megabyte_body_is_refused_before_parsing() -> None:
    body = b"<GIAMDINHHS>" + b" " * (100 * 1024 * 1024) + b"</GIAMDINHHS>"
    assert code_of(body) == "xml.too_large"


def test_ten_thousand_deep_nesting_is_refused() -> None:
    data = b"<GIAMDINHHS>" + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</GIAMDINHHS>"
    assert code_of(data) == "xml.depth"


def test_nesting_beyond_our_own_limit_is_refused() -> None:
    data = b"<GIAMDINHHS>" + b"<a>" * 40 + b"</a>" * 40 + b"</GIAMDINHHS>"
    assert code_of(data) == "xml.depth"


def test_too_many_elements_is_refused() -> None:
    data = b"<GIAMDINHHS>" + b"<a/>" * 1000 + b"</GIAMDINHHS>"
    assert code_of(data, ParseLimits(max_elements=500)) == "xml.too_many_elements"


def test_invalid_utf8_is_refused_with_its_line() -> None:
    with pytest.raises(XmlInputError) as info:
        parse_document(b"<GIAMDINHHS>\n<HO_TEN>Nguy\xe1n</HO_TEN></GIAMDINHHS>")
    assert info.value.code == "xml.encoding"
    assert info.value.line == 2


def test_declared_encoding_that_lies_is_refused() -> None:
    data = '<?xml version="1.0" encoding="windows-1258"?><GIAMDINHHS>Nguyễn</GIAMDINHHS>'.encode()
    assert code_of(data) == "xml.encoding"


def test_declared_utf8_with_windows_1252_bytes_is_refused() -> None:
    data = '<?xml version="1.0" encoding="utf-8"?><GIAMDINHHS>Hòa</GIAMDINHHS>'.encode("cp1252")
    assert code_of(data) == "xml.encoding"


def test_utf16_is_refused() -> None:
    assert code_of("<GIAMDINHHS/>".encode("utf-16")) == "xml.encoding"


def test_utf8_bom_is_accepted() -> None:
    doc = parse_document(b"\xef\xbb\xbf" + ENVELOPE)
    assert doc.kind is DocumentKind.ENVELOPE


def test_malformed_xml_is_refused_with_its_line() -> None:
    with pytest.raises(XmlInputError) as info:
        parse_document(b"<GIAMDINHHS>\n<THONGTINDONVI>\n</GIAMDINHHS>")
    assert info.value.code == "xml.malformed"
    assert info.value.line is not None


def test_empty_body_is_refused() -> None:
    assert code_of(b"  \n") == "xml.empty"


def test_unknown_root_is_refused() -> None:
    assert code_of(b"<html><body/></html>") == "document.unknown_root"


def _with_xml1_content(content: bytes) -> bytes:
    start = ENVELOPE.index(b"<NOIDUNGFILE>") + len(b"<NOIDUNGFILE>")
    end = ENVELOPE.index(b"</NOIDUNGFILE>", start)
    return ENVELOPE[:start] + content + ENVELOPE[end:]


def test_truncated_noidungfile_is_reported_at_its_file() -> None:
    start = ENVELOPE.index(b"<NOIDUNGFILE>") + len(b"<NOIDUNGFILE>")
    end = ENVELOPE.index(b"</NOIDUNGFILE>", start)
    report = validate(_with_xml1_content(ENVELOPE[start : end - 3]))
    problem = next(p for p in report.errors if p.code == "envelope.NOIDUNGFILE.base64")
    assert (problem.hoso, problem.table, problem.field) == (1, "XML1", "NOIDUNGFILE")
    assert "truncated" in problem.message


def test_non_base64_noidungfile_is_reported() -> None:
    report = validate(_with_xml1_content(b"not*base64!!"))
    problem = next(p for p in report.errors if p.code == "envelope.NOIDUNGFILE.base64")
    assert "outside the base64 alphabet" in problem.message


def test_hostile_inner_document_is_refused() -> None:
    report = validate(_with_xml1_content(base64.b64encode(BILLION_LAUGHS.replace(b"GIAMDINHHS", b"TONG_HOP"))))
    codes = report.codes()
    assert "envelope.NOIDUNGFILE.dtd" in codes


def test_inner_documents_count_against_the_total_budget() -> None:
    inner = b"<TONG_HOP>" + b"<MA_LK>x</MA_LK>" * 2000 + b"</TONG_HOP>"
    data = _with_xml1_content(base64.b64encode(inner))
    assert code_of(data, ParseLimits(max_elements=1500)) == "xml.too_many_elements"
    assert code_of(data, ParseLimits(max_total_bytes=len(ENVELOPE) + 1000)) == "xml.too_large"


def test_invalid_utf8_inside_an_inner_document_is_reported() -> None:
    report = validate(_with_xml1_content(base64.b64encode(b"<TONG_HOP><HO_TEN>\xff</HO_TEN></TONG_HOP>")))
    assert "envelope.NOIDUNGFILE.encoding" in report.codes()


def test_validate_never_raises_on_garbage() -> None:
    for data in (b"", b"\x00\x01\x02", b"<", BILLION_LAUGHS, b"<?xml version='1.0'?>"):
        report = validate(data)
        assert not report.valid
        assert report.errors[0].table == "document"
