"""A HIS switched to the gateway by its base URL alone: it takes a token with its MD5 password,
posts a dossier, a check-in and an XML12 as forms with the portal's headers, and follows them
to DELIVERED at the portal simulator (the real delivery workers, the real portal client, the
gateway's own portal accounts), reads the native status with the same token (the gateway id and
the portal's maGiaoDich side by side), and receives the signed callback for each."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.portal import PortalDirectory
from adapters.portal.simulator import PortalSimulator
from gateway.delivery import DeliveryService, DeliverySettings
from gateway.http import keys
from gateway.http.notices import verify_notice
from gateway.signing import TrustStore
from tests.http.conftest import trust  # noqa: F401 - fixture
from tests.http.support import Documents

from .conftest import PORTAL_SETTINGS, MakeFace, gateway_portal_accounts
from .his import CHECK_IN, ENVELOPE, XML12

DELIVERY = DeliverySettings(concurrency=4, poll_seconds=0.05, retry_base_seconds=0.1, retry_cap_seconds=1.0,
                            stop_timeout_seconds=1.0)


class Workers:
    """The delivery workers as an app component, on the gateway's store (as `gateway demo` runs them)."""

    name = "delivery"

    def __init__(self, app: web.Application, directory: PortalDirectory) -> None:
        self._app = app
        self._directory = directory
        self._session: aiohttp.ClientSession | None = None
        self.service: DeliveryService | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self.service = DeliveryService.for_portal(
            self._app[keys.STORE], self._session, self._directory, settings=DELIVERY,
            portal_settings=PORTAL_SETTINGS, clock=self._app[keys.CLOCK], worker_id="delivery:face-test")
        await self.service.start()

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
        if self._session is not None:
            await self._session.close()


class CallbackReceiver:
    """The hospital's callback endpoint: keeps every notice, wakes the test on each."""

    def __init__(self) -> None:
        self.notices: list[bytes] = []
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.notices.append(await request.read())
        self.arrived.set()
        return web.Response()

    async def wait_for(self, count: int) -> list[bytes]:
        while len(self.notices) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), timeout=30)  # a guard: the test waits on events
        return self.notices


async def test_a_switched_his_follows_its_documents_to_delivered_and_gets_callbacks(
    make_face: MakeFace, sim: PortalSimulator, documents: Documents, trust: TrustStore,  # noqa: F811
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    receiver = CallbackReceiver()
    his_app = web.Application()
    his_app.router.add_post("/notices", receiver.handle)
    his_server = await aiohttp_server(his_app)
    face = await make_face(components=[lambda app: Workers(app, gateway_portal_accounts(sim.url))])
    his = face.his("01001")

    status, _ = await his.take_token()
    assert status == 200
    status, _ = await his.native("PUT", "/api/v1/callback", json={"url": str(his_server.make_url("/notices"))})
    assert status == 200  # the face's token registers the callback on the native API

    sent: dict[str, tuple[str, bytes]] = {}  # gateway id -> (path, document)
    for path, document in ((ENVELOPE, documents.envelope(941)), (CHECK_IN, documents.standalone("XML0", 942)),
                           (XML12, documents.standalone("XML12", 943))):
        if path == XML12:
            status, body = await his.send_multipart(path, document)
        else:
            status, body = await his.send(path, document, raw_plus=path == ENVELOPE)
        assert status == 200 and body["maKetQua"] == "200", body
        sent[body["maGiaoDich"]] = (path, document)

    notices = [verify_notice(raw, trust) for raw in await receiver.wait_for(len(sent))]
    assert {n.message_id for n in notices} == set(sent)
    assert {(n.facility, n.state) for n in notices} == {("01001", "DELIVERED")}

    at_portal = {receipt.sha256: receipt for receipt in sim.received}
    assert len(sim.received) == len(sent)  # each sent once
    for gateway_id, (path, document) in sent.items():
        status, detail = await his.native_status(gateway_id)
        assert status == 200 and detail["state"] == "DELIVERED"
        receipt = at_portal[hashlib.sha256(document).hexdigest()]
        assert (receipt.path, receipt.username, receipt.ma_ket_qua) == (path, "01001_BV", "200")
        assert detail["id"] == gateway_id and detail["portal_receipt"]["maGiaoDich"] == receipt.ma_giao_dich
        notice = next(raw for raw in receiver.notices if gateway_id.encode() in raw)
        assert f"<MaGiaoDich>{receipt.ma_giao_dich}</MaGiaoDich>".encode() in notice
    # the portal saw only the gateway's own account log in, never the hospital's password
    assert set(sim.state.token_requests) == {"01001_BV"}


