"""Who may call: bearer tokens (file and configuration; expiry, revocation), operators' roles,
client certificates over real TLS (mTLS), and a forwarded certificate from a trusted proxy."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from gateway.config import OperatorConfig, ProxyConfig, Role, TlsConfig
from gateway.http.app import make_app
from gateway.http.tls import server_ssl_context
from gateway.http.tokens import TokenFile
from gateway.signing.devpki import DevPki

from .conftest import StartGateway
from .openapi_check import check_response
from .support import FACILITY_TOKENS, OPERATOR_TOKENS, Documents, Gateway, gateway_settings


async def test_no_credentials_is_401_with_a_challenge(gateway: Gateway) -> None:
    reply = await gateway.call("GET", "/api/v1/dossiers")
    assert reply.status == 401 and reply.body["code"] == "auth.missing"
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


async def test_an_unknown_token_is_401(gateway: Gateway) -> None:
    reply = await gateway.call("GET", "/api/v1/dossiers", token="gwt_000000000000_" + "A" * 43)
    assert reply.status == 401 and reply.body["code"] == "auth.invalid"
    basic = await gateway.call("GET", "/api/v1/dossiers", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status == 401 and basic.body["code"] == "auth.invalid"


async def test_an_issued_token_works_until_revoked(gateway: Gateway, documents: Documents) -> None:
    tokens = TokenFile(gateway.settings.tokens_path)
    token, record = tokens.issue("facility:01001", "facility", expires_at=None, now=datetime.now(UTC))
    assert record.sha256 not in token and token not in gateway.settings.tokens_path.read_text()
    assert (await gateway.submit(documents.envelope(30), token=token)).status == 202
    tokens.revoke(record.id, now=datetime.now(UTC))
    reply = await gateway.submit(documents.envelope(30), token=token)
    assert reply.status == 401 and reply.body["code"] == "auth.revoked"


async def test_an_expired_token_is_refused(gateway: Gateway) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    token, _ = TokenFile(gateway.settings.tokens_path).issue(
        "facility:01001", "facility", expires_at=past + timedelta(days=1), now=past)
    reply = await gateway.call("GET", "/api/v1/dossiers", token=token)
    assert reply.status == 401 and reply.body["code"] == "auth.expired"


async def test_an_operator_may_not_submit(gateway: Gateway, documents: Documents) -> None:
    reply = await gateway.submit(documents.envelope(31), token=OPERATOR_TOKENS["alice"])
    assert reply.status == 403 and reply.body["code"] == "auth.forbidden"


async def test_a_viewer_may_read_but_not_replay(gateway: Gateway, documents: Documents) -> None:
    accepted = await gateway.submit(documents.envelope(32))
    seen = await gateway.call("GET", accepted.body["status_url"], token=OPERATOR_TOKENS["victor"])
    assert seen.status == 200
    reply = await gateway.call("POST", f"{accepted.body['status_url']}/replay", token=OPERATOR_TOKENS["victor"],
                               json_body={"reason": "try"})
    assert reply.status == 403 and reply.body["code"] == "auth.forbidden"


async def test_an_operator_token_from_the_tokens_file_has_its_role(gateway: Gateway) -> None:
    token, _ = TokenFile(gateway.settings.tokens_path).issue("operator:olga", "viewer", expires_at=None,
                                                             now=datetime.now(UTC))
    listing = await gateway.call("GET", "/api/v1/dossiers", token=token)
    assert listing.status == 200
    bulk = await gateway.call("POST", "/api/v1/dossiers/replay", token=token, json_body={"reason": "x"})
    assert bulk.status == 403


# -- certificates ------------------------------------------------------------------------------


def _client_context(pki: DevPki, who: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.root_cert))
    if who is not None:
        context.load_cert_chain(str(pki.chain(who)), str(pki.key(who)))
    return context


async def _tls_gateway(tmp_path: Path, pki: DevPki, **changes: Any) -> tuple[web.AppRunner, int]:
    tls = TlsConfig(cert=pki.chain("tls"), key=pki.key("tls"), client_ca=pki.trust_dir, client_certs="optional")
    settings = gateway_settings(tmp_path, pki, tls=tls, **changes)
    runner = web.AppRunner(make_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(settings.tls))
    await site.start()
    server = site._server
    assert server is not None
    port: int = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    return runner, port


async def _post(port: int, context: ssl.SSLContext, body: bytes, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/xml"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as session:
        url = f"https://127.0.0.1:{port}/api/v1/dossiers"
        async with session.post(url, data=body, headers=headers, ssl=context) as response:
            payload = await response.json()
            check_response("POST", "/api/v1/dossiers", response.status, response.headers["Content-Type"],
                           response.headers, payload)
            return response.status, payload


async def test_a_facility_authenticates_with_its_registered_client_certificate(
    tmp_path: Path, pki: DevPki, documents: Documents
) -> None:
    runner, port = await _tls_gateway(tmp_path, pki)
    try:
        status, body = await _post(port, _client_context(pki, "01001"), documents.envelope(33))
        assert status == 202 and body["facility"] == "01001"
        status, body = await _post(port, _client_context(pki, "79001"), documents.envelope(33))
        assert status == 403 and body["code"] == "auth.wrong_facility"
        status, body = await _post(port, _client_context(pki, "gateway"), documents.envelope(33))
        assert status == 401 and body["code"] == "auth.certificate_unknown"
        status, body = await _post(port, _client_context(pki, None), documents.envelope(33))
        assert status == 401 and body["code"] == "auth.missing"
        status, body = await _post(port, _client_context(pki, None), documents.envelope(34),
                                   token=FACILITY_TOKENS["01001"])
        assert status == 202  # tokens still work over TLS without a client certificate
    finally:
        await runner.cleanup()


async def test_an_operator_authenticates_with_a_configured_certificate(tmp_path: Path, pki: DevPki) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(pki.cert("gateway").read_bytes())
    operators = {"otto": OperatorConfig("otto", Role.OPERATOR, certificates=(cert.fingerprint(hashes.SHA256()).hex(),))}
    runner, port = await _tls_gateway(tmp_path, pki, operators=operators)
    try:
        async with aiohttp.ClientSession() as session:
            url = f"https://127.0.0.1:{port}/api/v1/dossiers"
            async with session.get(url, ssl=_client_context(pki, "gateway")) as response:
                assert response.status == 200
    finally:
        await runner.cleanup()


def _forwarded(pki: DevPki, who: str) -> str:
    return quote(pki.cert(who).read_text())  # as nginx's $ssl_client_escaped_cert


async def test_a_forwarded_certificate_is_believed_from_a_trusted_proxy(
    start_gateway: StartGateway, pki: DevPki, documents: Documents
) -> None:
    gw = await start_gateway(proxy=ProxyConfig(trusted=("127.0.0.1/32",)))
    reply = await gw.call("POST", "/api/v1/dossiers", data=documents.envelope(35), content_type="application/xml",
                          headers={"X-Client-Cert": _forwarded(pki, "01001")})
    assert reply.status == 202 and reply.body["facility"] == "01001"


async def test_a_forwarded_certificate_is_ignored_from_anywhere_else(
    start_gateway: StartGateway, pki: DevPki, documents: Documents
) -> None:
    gw = await start_gateway(proxy=ProxyConfig(trusted=("10.0.0.0/8",)))
    reply = await gw.call("POST", "/api/v1/dossiers", data=documents.envelope(35), content_type="application/xml",
                          headers={"X-Client-Cert": _forwarded(pki, "01001")})
    assert reply.status == 401 and reply.body["code"] == "auth.missing"
