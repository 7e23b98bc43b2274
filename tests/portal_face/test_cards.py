"""The card lookup on the face (`KQNhanLichSuKCB2024`): the HIS asks as it asks the portal, with
its credentials in the query string; the gateway asks the portal simulator through its own
portal client with its own account for the token's facility, and answers the portal's JSON.
The credentials in the query string reach no log line and no answer."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.portal.simulator import PortalSimulator, SimCard, parse_faults
from gateway.http.portal_face import portal_cards
from gateway.http.portal_face.cards import FIELDS

from .conftest import PORTAL_SETTINGS, Face, MakeFace, gateway_portal_accounts

STAFF = {"hoTenCb": "Trần Thị Cán Bộ", "cccdCb": "001190000123"}


def _valid_card(sim: PortalSimulator) -> SimCard:
    return next(card for card in sim.state.cards if card.status == "000")


def _question(card: SimCard) -> dict[str, str]:
    return {"maThe": card.card, "hoTen": card.name, "ngaySinh": card.birth_text, **STAFF}


@pytest.fixture
async def carded(make_face: MakeFace, sim: PortalSimulator) -> Face:
    return await make_face(components=[portal_cards(gateway_portal_accounts(sim.url), PORTAL_SETTINGS)])


async def test_a_his_looks_up_a_card_and_gets_the_portals_answer(carded: Face, sim: PortalSimulator) -> None:
    his = carded.his("01001")
    await his.take_token()
    card = _valid_card(sim)
    status, body = await his.lookup_card(_question(card))
    assert status == 200 and body["maKetQua"] == "000", body
    assert set(FIELDS) <= set(body) and body["maThe"] == card.card and body["hoTen"] == card.name
    # asked with the gateway's own account (the simulator knows only its password, not the hospital's)
    assert sim.state.token_requests == {"01001_BV": 1}
    assert [check["userKT"] for check in body["dsLichSuKT2018"]] == ["01001_BV"]


async def test_the_lookup_is_made_as_the_tokens_facility(carded: Face, sim: PortalSimulator) -> None:
    his = carded.his("79001")
    await his.take_token()
    status, body = await his.lookup_card(_question(_valid_card(sim)))
    assert status == 200 and [c["userKT"] for c in body["dsLichSuKT2018"]] == ["79001_BV"]
    assert set(sim.state.token_requests) == {"79001_BV"}


async def test_the_portals_result_codes_come_through(carded: Face, sim: PortalSimulator) -> None:
    his = carded.his("01001")
    await his.take_token()
    card = _valid_card(sim)
    status, body = await his.lookup_card({**_question(card), "ngaySinh": "01/01/1900"})
    assert status == 200 and body["maKetQua"] == "070"
    expired = next(c for c in sim.state.cards if c.status == "010")
    status, body = await his.lookup_card(_question(expired))
    assert status == 200 and body["maKetQua"] == "010"


async def test_a_missing_field_is_205_without_asking_the_portal(carded: Face, sim: PortalSimulator) -> None:
    his = carded.his("01001")
    await his.take_token()
    question = _question(_valid_card(sim))
    del question["cccdCb"]
    status, body = await his.lookup_card(question)
    assert status == 200 and body["maKetQua"] == "205" and "cccdCb" in body["ghiChu"]
    assert sim.state.api_requests == 0


@pytest.mark.parametrize("wrong", ["password", "id_token", "token", "username"])
async def test_bad_credentials_in_the_query_string_are_refused_with_401(
    carded: Face, sim: PortalSimulator, wrong: str
) -> None:
    his = carded.his("01001")
    await his.take_token()
    changes: dict[str, Any] = {
        "password": {"password": "0" * 32}, "id_token": {"id_token": "other"},
        "token": {"token": "gwp_" + "A" * 43}, "username": {"username": "79001_BV"}}[wrong]
    status, body = await his.lookup_card(_question(_valid_card(sim)), **changes)
    assert status == 401 and body["maKetQua"] == "401" and body["maThe"] == ""
    assert sim.state.api_requests == 0


async def test_another_facilitys_token_is_refused(carded: Face, sim: PortalSimulator) -> None:
    his, other = carded.his("01001"), carded.his("79001")
    await his.take_token()
    await other.take_token()
    # 01001's HIS replays 79001's token and id token with its own username and password
    status, body = await his.lookup_card(_question(_valid_card(sim)), token=other.access_token,
                                         id_token=other.id_token)
    assert status == 401 and body["maKetQua"] == "401"
    assert sim.state.api_requests == 0


async def test_an_expired_token_is_refused(carded: Face, sim: PortalSimulator) -> None:
    from datetime import timedelta

    his = carded.his("01001")
    await his.take_token()
    carded.clocks.offset = timedelta(hours=2)
    status, body = await his.lookup_card(_question(_valid_card(sim)))
    assert status == 401 and "auth.expired" in body["ghiChu"]


async def test_without_the_gateways_portal_accounts_the_lookup_is_503(face: Face) -> None:
    his = face.his("01001")
    await his.take_token()
    status, body = await his.lookup_card({"maThe": "0123456789", "hoTen": "A", "ngaySinh": "2000", **STAFF})
    assert status == 503 and body["maKetQua"] == "500" and "portal.cards_unavailable" in body["ghiChu"]


async def test_a_refused_gateway_account_is_503_and_never_falls_back_to_the_hospitals(
    carded: Face, sim: PortalSimulator
) -> None:
    sim.set_faults(parse_faults("deny=01001_BV"))
    his = carded.his("01001")
    await his.take_token()
    status, body = await his.lookup_card(_question(_valid_card(sim)))
    assert status == 503 and body["maKetQua"] == "500" and "portal.cards_unavailable" in body["ghiChu"]


async def test_the_query_strings_credentials_reach_no_log_line_and_no_answer(
    carded: Face, sim: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="aiohttp.access")  # as an operator turning it on would
    his = carded.his("01001")
    await his.take_token()
    answers = [await his.lookup_card(_question(_valid_card(sim)))]
    answers.append(await his.lookup_card(_question(_valid_card(sim)), password="F" * 32))
    async with carded.client.post("/api/egw/KQNhanLichSuKCB2024", data=b"{not json", params={
            "token": his.access_token, "id_token": his.id_token, "username": his.username,
            "password": his.md5}, headers={"Content-Type": "application/json"}) as response:
        answers.append((response.status, await response.json()))
    assert [status for status, _ in answers] == [200, 401, 400]
    lines = [caplog.handler.format(record) for record in caplog.records]
    access = [line for line in lines if "KQNhanLichSuKCB2024?" in line]
    assert access and all("password=***" in line and "token=***" in line for line in access)
    text = "\n".join(lines) + repr([body for _, body in answers])
    for secret in (his.md5, his.md5.lower(), "F" * 32, his.access_token, his.id_token):
        assert secret not in text


async def test_a_request_aiohttp_cannot_parse_leaves_no_credential_in_the_logs(
    face: Face, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    port = face.client.server.port
    assert port is not None
    secret = "C0FFEE" * 5 + "AB"
    for request in (f"POST /api/egw/KQNhanLichSuKCB2024?password={secret}&token=gwp_x HTTP/1.1\r\n"
                    "Host: a\r\nContent-Length: zz\r\n\r\n",
                    f"PO ST /api/egw/KQNhanLichSuKCB2024?username=a&password={secret} HTTP/1.1\r\n\r\n"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request.encode())
        await writer.drain()
        assert (await asyncio.wait_for(reader.read(4096), timeout=10)).startswith(b"HTTP/1.")
        writer.close()
    lines = [caplog.handler.format(record) for record in caplog.records]
    assert not [line for line in lines if secret in line]
