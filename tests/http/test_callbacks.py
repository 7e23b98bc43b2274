"""Callbacks: a facility registers a URL; the gateway POSTs a signed notice when one of its
documents is DELIVERED, REFUSED or DEAD, driven from the outbox so that a restart loses none.
The state changes are driven on the store directly (the delivery workers are another issue)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.config import CallbackConfig
from gateway.http import keys
from gateway.http.callbacks import check_callback_url
from gateway.http.notices import verify_notice
from gateway.outbox import open_store
from gateway.signing import SignatureRejected, TrustStore

from .conftest import StartGateway
from .helpers_store import finish
from .support import FACILITY_TOKENS, OPERATOR_TOKENS, Documents, Gateway


class Receiver:
    """A HIS endpoint on loopback that records notices and answers the statuses it is told."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.statuses: list[int] = []  # answered in turn; 200 once exhausted
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.bodies.append(body)
            self.arrived.set()
        return web.Response(status=status)

    async def wait(self, count: int = 1) -> list[bytes]:
        while len(self.bodies) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), timeout=10)
        return self.bodies


@pytest.fixture
async def receiver(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> tuple[Receiver, str]:
    his = Receiver()
    app = web.Application()
    app.router.add_post("/notify", his.handle)
    server = await aiohttp_server(app)
    return his, str(server.make_url("/notify"))


async def _register(gw: Gateway, url: str, facility: str = "01001") -> None:
    reply = await gw.call("PUT", "/api/v1/callback", token=FACILITY_TOKENS[facility], json_body={"url": url})
    assert reply.status == 200, reply


async def test_a_facility_registers_reads_and_removes_its_url(gateway: Gateway) -> None:
    token = FACILITY_TOKENS["01001"]
    assert (await gateway.call("GET", "/api/v1/callback", token=token)).status == 404
    put = await gateway.call("PUT", "/api/v1/callback", token=token, json_body={"url": "https://his.example.vn/n"})
    assert put.status == 200 and put.body["url"] == "https://his.example.vn/n"
    got = await gateway.call("GET", "/api/v1/callback", token=token)
    assert got.body["url"] == "https://his.example.vn/n"
    assert (await gateway.call("GET", "/api/v1/callback", token=FACILITY_TOKENS["79001"])).status == 404
    assert (await gateway.call("DELETE", "/api/v1/callback", token=token)).status == 204
    assert (await gateway.call("DELETE", "/api/v1/callback", token=token)).status == 404
    operator = await gateway.call("GET", "/api/v1/callback", token=OPERATOR_TOKENS["alice"])
    assert operator.status == 403


@pytest.mark.parametrize(
    "url",
    ["http://his.example.vn/n", "https://127.0.0.1/n", "https://10.1.2.3/n", "https://localhost/n",
     "https://user:pw@his.example.vn/n", "ftp://his.example.vn/n", "/relative", "https://[::1]/n"],
)
def test_unsafe_callback_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        check_callback_url(url, CallbackConfig())


async def test_an_unsafe_url_is_refused_by_the_api(start_gateway: StartGateway) -> None:
    gw = await start_gateway(callbacks=CallbackConfig())
    reply = await gw.call("PUT", "/api/v1/callback", token=FACILITY_TOKENS["01001"],
                          json_body={"url": "https://192.168.1.10/notify"})
    assert reply.status == 400 and reply.body["code"] == "callback.url_invalid"


@pytest.mark.parametrize("outcome", ["delivered", "refused", "dead"])
async def test_a_signed_notice_is_posted_when_a_document_reaches_a_final_state(
    gateway: Gateway, documents: Documents, receiver: tuple[Receiver, str], trust: TrustStore, outcome: str
) -> None:
    his, url = receiver
    await _register(gateway, url)
    accepted = await gateway.submit(documents.envelope(80))
    await finish(gateway.store, accepted.body["id"], outcome)
    (body,) = await his.wait()
    notice = verify_notice(body, trust)
    assert notice.message_id == accepted.body["id"] and notice.facility == "01001"
    assert notice.state == {"delivered": "DELIVERED", "refused": "REFUSED", "dead": "DEAD"}[outcome]
    if outcome == "delivered":
        assert b"<MaGiaoDich>GD-0001</MaGiaoDich>" in body


async def test_a_tampered_notice_does_not_verify(
    gateway: Gateway, documents: Documents, receiver: tuple[Receiver, str], trust: TrustStore
) -> None:
    his, url = receiver
    await _register(gateway, url)
    accepted = await gateway.submit(documents.envelope(81))
    await finish(gateway.store, accepted.body["id"], "delivered")
    (body,) = await his.wait()
    with pytest.raises(SignatureRejected):
        verify_notice(body.replace(b"DELIVERED", b"REFUSED"), trust)


async def test_no_notice_for_facilities_without_a_url_or_for_other_states(
    gateway: Gateway, documents: Documents, receiver: tuple[Receiver, str]
) -> None:
    his, url = receiver
    await _register(gateway, url, "79001")
    mine = await gateway.submit(documents.envelope(82))
    await finish(gateway.store, mine.body["id"], "delivered")  # 01001 has no URL
    theirs = await gateway.submit(documents.envelope(82, "79001"), "79001")
    await finish(gateway.store, theirs.body["id"], "delivered")
    (body,) = await his.wait()
    assert theirs.body["id"].encode() in body
    callbacks = gateway.app[keys.CALLBACKS]
    assert [n.message_id for n in await callbacks.notices()] == [theirs.body["id"]]


async def test_a_failing_endpoint_is_retried(
    gateway: Gateway, documents: Documents, receiver: tuple[Receiver, str]
) -> None:
    his, url = receiver
    his.statuses = [503, 500]
    await _register(gateway, url)
    accepted = await gateway.submit(documents.envelope(83))
    await finish(gateway.store, accepted.body["id"], "delivered")
    await his.wait()
    (notice,) = await gateway.app[keys.CALLBACKS].notices(accepted.body["id"])
    assert notice.status == "sent" and notice.attempts == 3


async def test_a_restart_loses_no_notice(
    start_gateway: StartGateway, documents: Documents, receiver: tuple[Receiver, str], tmp_path: Path
) -> None:
    his, url = receiver
    first = await start_gateway()
    await _register(first, url)
    accepted = await first.submit(documents.envelope(84))
    dsn = first.settings.store_dsn
    await first.client.close()  # the gateway stops ...
    store = await open_store(dsn)  # ... and the document is delivered meanwhile
    try:
        await finish(store, accepted.body["id"], "delivered")
    finally:
        await store.close()
    assert his.bodies == []
    await start_gateway()  # the same data directory
    (body,) = await his.wait()
    assert accepted.body["id"].encode() in body


async def test_a_notice_queued_before_a_restart_is_sent_after_it(
    start_gateway: StartGateway, documents: Documents, receiver: tuple[Receiver, str]
) -> None:
    his, url = receiver
    his.statuses = [503] * 1000  # the HIS is down for now
    first = await start_gateway()
    await _register(first, url)
    accepted = await first.submit(documents.envelope(85))
    await finish(first.store, accepted.body["id"], "delivered")
    callbacks = first.app[keys.CALLBACKS]
    for _ in range(500):
        queued = await callbacks.notices(accepted.body["id"])
        if queued and queued[0].attempts > 0:
            break
        await asyncio.sleep(0.01)
    assert queued and queued[0].status == "pending"
    await first.client.close()
    his.statuses = []  # the HIS is back
    second: Any = await start_gateway()
    (body,) = await his.wait()
    assert accepted.body["id"].encode() in body
    (notice,) = await second.app[keys.CALLBACKS].notices(accepted.body["id"])
    assert notice.status == "sent"
