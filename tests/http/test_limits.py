"""Body limits: 413 as soon as a body passes its route's limit, without reading the rest."""

from __future__ import annotations

import asyncio

from .conftest import StartGateway
from .support import FACILITY_TOKENS, Documents

LIMIT = 100_000


async def _raw_exchange(port: int, head: bytes, body_parts: list[bytes]) -> bytes:
    """Send a request head and some body, without finishing the body; return what comes back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        for part in body_parts:
            writer.write(part)
            await writer.drain()
        return await asyncio.wait_for(reader.read(65536), timeout=10)
    finally:
        writer.close()


def _head(extra: str) -> bytes:
    return (
        "POST /api/v1/dossiers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {FACILITY_TOKENS['01001']}\r\nContent-Type: application/xml\r\n{extra}\r\n"
    ).encode()


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway()
    port = gw.client.server.port
    assert port is not None
    # 1 GB declared, 1 KB sent: the answer comes without the gateway waiting for the rest.
    answer = await _raw_exchange(port, _head("Content-Length: 1000000000\r\n"), [b"<" * 1024])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"http.too_large"' in answer and b"Connection: close" in answer


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(start_gateway: StartGateway) -> None:
    from dataclasses import replace

    from gateway.config import Limits

    gw = await start_gateway(limits=replace(Limits(), dossier_body_bytes=LIMIT))
    port = gw.client.server.port
    assert port is not None
    chunk = b"x" * 16384
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 10  # 160 KB sent, the body never ends
    answer = await _raw_exchange(port, _head("Transfer-Encoding: chunked\r\n"), parts)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


async def test_an_oversize_body_gets_a_documented_413(start_gateway: StartGateway, documents: Documents) -> None:
    from dataclasses import replace

    from gateway.config import Limits

    gw = await start_gateway(limits=replace(Limits(), dossier_body_bytes=LIMIT))
    reply = await gw.submit(b" " * (LIMIT + 1))
    assert reply.status == 413 and reply.body["code"] == "http.too_large"
    # The gateway still serves on other connections.
    assert (await gw.submit(documents.envelope(1))).status == 202


async def test_a_json_route_has_its_own_small_limit(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    reply = await gw.call("PUT", "/api/v1/callback", token=FACILITY_TOKENS["01001"],
                          data=b'{"url": "' + b"a" * 70_000 + b'"}', content_type="application/json")
    assert reply.status == 413 and reply.body["code"] == "http.too_large"
