"""A HIS client written the way vendors write theirs against the assessment portal: form posts
(urlencoded, or multipart with the document as a file part), the MD5 hex of the password, the
accessToken / tokenId / passwordHash headers, and the card lookup with its credentials in the
query string. Every answer is checked against schemas/api/openapi.yaml."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp.test_utils import TestClient

from gateway.http.portal_face.accounts import md5_hex
from tests.http.openapi_check import check_response

FORM = "application/x-www-form-urlencoded"
ENVELOPE = "/api/qd130/guiHoSoXmlQD4750"
CHECK_IN = "/api/qd130/checkInKcbQd4750"
XML12 = "/api/qd130/guiDuLieuGdykQd130"
CARDS = "/api/egw/KQNhanLichSuKCB2024"
LOAI = {ENVELOPE: "130", CHECK_IN: "0", XML12: "12"}


async def _answer(method: str, path: str, response: aiohttp.ClientResponse) -> tuple[int, dict[str, Any]]:
    body = await response.json()
    check_response(method, path, response.status, response.headers.get("Content-Type", ""), response.headers, body)
    return response.status, body


class VendorHis:
    """What a HIS does: take a token with the MD5 password, then post forms with the headers."""

    def __init__(self, client: TestClient[Any, Any], facility: str, password: str) -> None:
        self.client = client
        self.facility = facility
        self.username = f"{facility}_BV"
        self.md5 = md5_hex(password)
        self.access_token = ""
        self.id_token = ""

    async def take_token(self) -> tuple[int, dict[str, Any]]:
        async with self.client.post("/api/token/take",
                                    data={"username": self.username, "password": self.md5}) as response:
            status, body = await _answer("POST", "/api/token/take", response)
        if body.get("maKetQua") == "200":
            self.access_token = body["APIKey"]["access_token"]
            self.id_token = body["APIKey"]["id_token"]
        return status, body

    def headers(self, **changes: str) -> dict[str, str]:
        return {"accessToken": self.access_token, "tokenId": self.id_token, "passwordHash": self.md5, **changes}

    async def send(self, path: str, document: bytes, *, loai: str | None = None, ma_cskcb: str | None = None,
                   raw_plus: bool = False, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        code = ma_cskcb or self.facility
        encoded = base64.b64encode(document).decode("ascii")
        # Some HIS build the form by hand and do not escape '+': it arrives as a space.
        file_field = encoded if raw_plus else quote(encoded, safe="")
        loai = LOAI.get(path, "130") if loai is None else loai
        form = (f"username={self.username}&loaiHoSo={loai}&maTinh={code[:2]}&maCSKCB={code}"
                f"&fileHSBase64={file_field}")
        sent = {**self.headers(), "Content-Type": FORM, **(headers or {})}
        async with self.client.post(path, data=form.encode("ascii"), headers=sent) as response:
            return await _answer("POST", path, response)

    async def send_multipart(self, path: str, document: bytes, *, as_file: bool = True) -> tuple[int, dict[str, Any]]:
        """The same fields as multipart/form-data, the base64 text as an uploaded file (as HIS
        built on file-upload components send it) or as a plain field."""
        form = aiohttp.FormData()
        for name, value in (("username", self.username), ("loaiHoSo", LOAI[path]),
                            ("maTinh", self.facility[:2]), ("maCSKCB", self.facility)):
            form.add_field(name, value)
        encoded = base64.b64encode(document)
        if as_file:
            form.add_field("fileHSBase64", encoded, filename="hoso.txt", content_type="text/plain")
        else:
            form.add_field("fileHSBase64", encoded.decode("ascii"))
        async with self.client.post(path, data=form, headers=self.headers()) as response:
            return await _answer("POST", path, response)

    async def lookup_card(self, question: dict[str, str], *, password: str | None = None,
                          token: str | None = None, id_token: str | None = None,
                          username: str | None = None) -> tuple[int, dict[str, Any]]:
        query = {"token": token if token is not None else self.access_token,
                 "id_token": id_token if id_token is not None else self.id_token,
                 "username": username or self.username, "password": password or self.md5}
        async with self.client.post(CARDS, params=query, json=question) as response:
            return await _answer("POST", CARDS, response)

    async def native(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.access_token}", **kwargs.pop("headers", {})}
        async with self.client.request(method, path, headers=headers, **kwargs) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
            check_response(method, path, response.status, response.headers.get("Content-Type", ""),
                           response.headers, body)
            return response.status, body

    async def native_status(self, message_id: str) -> tuple[int, Any]:
        return await self.native("GET", f"/api/v1/dossiers/{message_id}")
