"""Each portal path takes one document type, one QĐ version and one loaiHoSo; a contradiction is
refused with the portal's code and a readable thongDiep, and nothing is stored. Forms may come
as multipart/form-data, within the same size limit, counted while the body streams in."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import replace

import pytest

from gateway.config import Limits
from tests.http.support import Documents

from .conftest import Face, MakeFace
from .his import CHECK_IN, ENVELOPE, XML12, VendorHis


async def _nothing_stored(his: VendorHis) -> None:
    status, listing = await his.native("GET", "/api/v1/dossiers")
    assert status == 200 and listing["items"] == []


@pytest.mark.parametrize(("path", "kind", "wanted"), [
    (ENVELOPE, "XML0", "hồ sơ GIAMDINHHS"),
    (ENVELOPE, "XML12", "hồ sơ GIAMDINHHS"),
    (CHECK_IN, "envelope", "check-in XML0"),
    (XML12, "XML0", "giám định y khoa XML12"),
])
async def test_a_document_of_another_type_than_the_path_takes_is_refused(
    face: Face, documents: Documents, path: str, kind: str, wanted: str
) -> None:
    his = face.his("01001")
    await his.take_token()
    document = documents.envelope(901) if kind == "envelope" else documents.standalone(kind, 901)
    status, body = await his.send(path, document)  # loaiHoSo as the path wants: only the document differs
    assert status == 400 and body["maKetQua"] == "400" and body["maGiaoDich"] == ""
    assert "(mã lỗi portal.document_type)" in body["thongDiep"] and wanted in body["thongDiep"]
    await _nothing_stored(his)


@pytest.mark.parametrize("path", ["/api/qd130/guiHoSoXmlQD130", "/api/qd130/guiHoSoXmlQD3176",
                                  "/api/qd130/checkInKcbQd130", "/api/qd130/checkInKcbQd3176"])
async def test_a_path_of_another_qd_version_than_the_gateways_is_refused(
    face: Face, documents: Documents, path: str
) -> None:
    his = face.his("01001")
    await his.take_token()
    document = documents.envelope(902) if "guiHoSo" in path else documents.standalone("XML0", 902)
    status, body = await his.send(path, document, loai="130" if "guiHoSo" in path else "0")
    assert status == 400 and body["maKetQua"] == "400"
    assert "(mã lỗi portal.version)" in body["thongDiep"] and "QĐ 4750" in body["thongDiep"]
    await _nothing_stored(his)


@pytest.mark.parametrize(("path", "loai"), [(ENVELOPE, "0"), (ENVELOPE, "12"), (ENVELOPE, ""),
                                            (CHECK_IN, "130"), (XML12, "0"), (XML12, "130")])
async def test_a_loai_ho_so_that_contradicts_the_path_and_document_is_refused(
    face: Face, documents: Documents, path: str, loai: str
) -> None:
    his = face.his("01001")
    await his.take_token()
    kind = {ENVELOPE: None, CHECK_IN: "XML0", XML12: "XML12"}[path]
    document = documents.envelope(903) if kind is None else documents.standalone(kind, 903)
    status, body = await his.send(path, document, loai=loai)
    assert status == 400 and body["maKetQua"] == "400"
    assert "(mã lỗi portal.loai_ho_so)" in body["thongDiep"] and "loaiHoSo" in body["thongDiep"]
    await _nothing_stored(his)


async def test_the_gateway_configured_for_qd_130_takes_the_qd130_path_and_refuses_qd4750(
    make_face: MakeFace, documents: Documents
) -> None:
    face = await make_face(schema_version="130")
    his = face.his("01001")
    await his.take_token()
    status, body = await his.send(ENVELOPE, documents.envelope(904))
    assert status == 400 and "(mã lỗi portal.version)" in body["thongDiep"] and "QĐ 130" in body["thongDiep"]
    status, body = await his.send("/api/qd130/checkInKcbQd130", documents.standalone("XML0", 904), loai="0")
    assert "portal.version" not in body["thongDiep"], body  # taken, or judged on its content


@pytest.mark.parametrize("as_file", [True, False])
async def test_a_multipart_form_is_taken_like_an_urlencoded_one(
    face: Face, documents: Documents, as_file: bool
) -> None:
    his = face.his("01001")
    await his.take_token()
    status, body = await his.send_multipart(ENVELOPE, documents.envelope(905), as_file=as_file)
    assert status == 200 and body["maKetQua"] == "200", body
    status, detail = await his.native_status(body["maGiaoDich"])
    assert status == 200 and detail["document_type"] == "envelope" and detail["facility"] == "01001"
    status, again = await his.send(ENVELOPE, documents.envelope(905))  # the same document, urlencoded
    assert again["maGiaoDich"] == body["maGiaoDich"] and "đã có" in again["thongDiep"]


async def test_a_multipart_check_in_and_xml12_are_taken(face: Face, documents: Documents) -> None:
    his = face.his("79001")
    await his.take_token()
    for path, document in ((CHECK_IN, documents.standalone("XML0", 906, facility="79001")),
                           (XML12, documents.standalone("XML12", 906, facility="79001"))):
        status, body = await his.send_multipart(path, document)
        assert status == 200 and body["maKetQua"] == "200", body


async def _raw(port: int, head: bytes, parts: list[bytes]) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        for part in parts:
            writer.write(part)
            await writer.drain()
        return await asyncio.wait_for(reader.read(65536), timeout=10)
    finally:
        writer.close()


def _multipart_head(his: VendorHis, extra: str) -> bytes:
    headers = "".join(f"{name}: {value}\r\n" for name, value in his.headers().items())
    return (f"POST {ENVELOPE} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
            f"Content-Type: multipart/form-data; boundary=XYZ\r\n{extra}\r\n").encode()


LIMIT = 30_000  # dossier bytes; the form may be 4/3 of it (base64) plus 64 KiB of other fields


async def test_a_streamed_multipart_body_is_refused_once_it_passes_the_limit(make_face: MakeFace) -> None:
    face = await make_face(limits=replace(Limits(), dossier_body_bytes=LIMIT))
    his = face.his("01001")
    await his.take_token()
    port = face.client.server.port
    assert port is not None
    opening = (b"--XYZ\r\nContent-Disposition: form-data; name=\"maCSKCB\"\r\n\r\n01001\r\n"
               b"--XYZ\r\nContent-Disposition: form-data; name=\"fileHSBase64\"; filename=\"a.txt\"\r\n\r\n")
    chunk = base64.b64encode(b"x" * 12288)  # 16 KiB of base64 per chunk
    parts = [b"%x\r\n%s\r\n" % (len(opening), opening)] + [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 10
    answer = await _raw(port, _multipart_head(his, "Transfer-Encoding: chunked\r\n"), parts)  # never ends
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"maKetQua": "413"' in answer and b"Connection: close" in answer


async def test_a_declared_multipart_length_over_the_limit_is_refused_before_reading(make_face: MakeFace) -> None:
    face = await make_face(limits=replace(Limits(), dossier_body_bytes=LIMIT))
    his = face.his("01001")
    await his.take_token()
    port = face.client.server.port
    assert port is not None
    answer = await _raw(port, _multipart_head(his, "Content-Length: 1000000000\r\n"), [b"--XYZ\r\n"])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]


async def test_a_malformed_multipart_body_is_a_400(face: Face) -> None:
    his = face.his("01001")
    await his.take_token()
    async with face.client.post(ENVELOPE, data=b"no boundary here", headers={
            **his.headers(), "Content-Type": "multipart/form-data; boundary=XYZ"}) as response:
        body = await response.json()
    assert response.status == 400 and body["maKetQua"] == "400"
