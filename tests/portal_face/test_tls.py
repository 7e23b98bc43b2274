"""Outside `gateway demo` the face refuses plain HTTP unless a trusted TLS-terminating proxy says
the client came over HTTPS; over TLS it works. Every path of the face, the card lookup too."""

from __future__ import annotations

import argparse
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.commands.demo_live import demo_settings
from gateway.commands.serve import settings_from
from gateway.config import ProxyConfig, TlsConfig
from gateway.http.app import make_app
from gateway.http.portal_face.accounts import md5_hex
from gateway.http.tls import server_ssl_context
from gateway.signing.devpki import DevPki
from tests.http.support import Documents

from .conftest import PASSWORDS, MakeFace, face_settings
from .his import CARDS, ENVELOPE, FORM

QUESTION = {"maThe": "0123456789", "hoTen": "A", "ngaySinh": "2000", "hoTenCb": "B", "cccdCb": "001090000001"}


async def test_every_path_refuses_plain_http_by_default(make_face: MakeFace) -> None:
    face = await make_face(require_tls=True)
    async with face.client.post("/api/token/take", data={"username": "01001_BV", "password": "0" * 32}) as response:
        body = await response.json()
    assert response.status == 403 and body["maKetQua"] == "403" and "portal.tls_required" in body["thongDiep"]
    async with face.client.post(ENVELOPE, data="maCSKCB=01001", headers={"Content-Type": FORM}) as response:
        body = await response.json()
    assert response.status == 403 and "portal.tls_required" in body["thongDiep"]
    async with face.client.post(CARDS, params={"token": "x", "id_token": "y", "username": "01001_BV",
                                               "password": "0" * 32}, json=QUESTION) as response:
        body = await response.json()
    assert response.status == 403 and body["maKetQua"] == "401" and "portal.tls_required" in body["ghiChu"]


async def test_a_trusted_tls_terminating_proxy_is_believed(make_face: MakeFace, documents: Documents) -> None:
    face = await make_face(require_tls=True, proxy=ProxyConfig(trusted=("127.0.0.1/32",)))
    his = face.his("01001")
    async with face.client.post("/api/token/take", data={"username": his.username, "password": his.md5},
                                headers={"X-Forwarded-Proto": "https"}) as response:
        key = (await response.json())["APIKey"]
    assert response.status == 200
    his.access_token, his.id_token = key["access_token"], key["id_token"]
    status, body = await his.send(ENVELOPE, documents.envelope(931), headers={"X-Forwarded-Proto": "https"})
    assert status == 200 and body["maKetQua"] == "200"
    status, body = await his.send(ENVELOPE, documents.envelope(931))  # the proxy did not say https
    assert status == 403 and "portal.tls_required" in body["thongDiep"]


async def test_x_forwarded_proto_from_an_untrusted_address_is_ignored(make_face: MakeFace) -> None:
    face = await make_face(require_tls=True, proxy=ProxyConfig(trusted=("10.0.0.0/8",)))
    async with face.client.post("/api/token/take", data={"username": "01001_BV", "password": md5_hex("x")},
                                headers={"X-Forwarded-Proto": "https"}) as response:
        body = await response.json()
    assert response.status == 403 and "portal.tls_required" in body["thongDiep"]


async def test_over_tls_the_face_answers(tmp_path: Path, pki: DevPki, documents: Documents) -> None:
    tls = TlsConfig(cert=pki.chain("tls"), key=pki.key("tls"))
    settings = face_settings(tmp_path, pki, require_tls=True, tls=tls)
    runner = web.AppRunner(make_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(settings.tls))
    await site.start()
    server: Any = site._server
    url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    context = ssl.create_default_context(cafile=str(pki.root_cert))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/api/token/take", ssl=context, data={
                    "username": "01001_BV", "password": md5_hex(PASSWORDS["01001"])}) as response:
                body = await response.json()
            assert response.status == 200 and body["maKetQua"] == "200"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_only_the_demo_turns_the_tls_requirement_off(tmp_path: Path, command: str) -> None:
    args = argparse.Namespace(config=None, data=tmp_path, host="127.0.0.1", port=0, inbox=None, inbox_facility=None)
    settings = demo_settings(args) if command == "demo" else settings_from(args)
    assert settings.portal_face.require_tls is (command == "serve")
