"""The simulated portal: what it keeps, what it checks, how tests inspect and steer it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from adapters.portal import Delivered, PortalClient, PortalDirectory, Refused
from adapters.portal.credentials import md5_upper
from adapters.portal.simulator import (
    DEV_PASSWORD,
    Faults,
    PortalSimulator,
    SimConfig,
    make_portal_app,
    parse_faults,
)
from gateway.signing import FileKeySigner, TrustStore, facility_key_id, sign
from gateway.signing.devpki import DevPki, init_dev_pki

from .conftest import SETTINGS, Documents, FakeClock, account


async def test_start_on_port_zero_returns_the_bound_url(sim_config: SimConfig) -> None:
    sim = PortalSimulator(sim_config)
    url = await sim.start("127.0.0.1", 0)
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    assert sim.url == url
    await sim.stop()
    await sim.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = PortalSimulator(sim_config).url


async def test_resend_replaces_the_current_version(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    ma_lk = documents.checkin.ma_lk[0]
    first = await client.send("01001", "XML0", documents.checkin.content)
    again = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(first, Delivered) and isinstance(again, Delivered)
    assert first.ma_giao_dich != again.ma_giao_dich
    current = sim.state.current_version("01001", ma_lk)
    assert current is not None
    assert (current.versions, current.ma_giao_dich, current.receipt_seq) == (2, again.ma_giao_dich, 2)
    assert len(sim.state.current) == 1  # one current version per facility + MA_LK
    assert [r.seq for r in sim.state.receipts_for(ma_lk)] == [1, 2]  # every raw send kept


async def test_keys_of_other_facilities_are_apart(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    await client.send("01001", "XML12", documents.assessment.content)
    await client.send("79001", "XML12", documents.assessment.content)
    keys = sim.received[0].keys  # SO_BIEN_BAN of each assessment
    assert keys and sim.received[1].keys == keys
    assert {(f, k) for f, k in sim.state.current} == {(f, k) for f in ("01001", "79001") for k in keys}


async def test_inspection_api(
    client: PortalClient, sim: PortalSimulator, documents: Documents, session: aiohttp.ClientSession
) -> None:
    await client.send("01001", "envelope", documents.envelope.content)
    await client.send("01001", "envelope", documents.invalid.content)
    async with session.get(sim.url + "/_sim/received") as response:
        received = await response.json()
    assert received["count"] == 2
    assert [r["maKetQua"] for r in received["receipts"]] == ["200", "400"]
    assert received["receipts"][0]["keys"] == list(documents.envelope.ma_lk)
    async with session.get(sim.url + "/_sim/received", params={"key": documents.envelope.ma_lk[0]}) as response:
        assert (await response.json())["count"] == 1
    async with session.get(sim.url + "/_sim/current") as response:
        current = await response.json()
    assert [v["key"] for v in current["versions"]] == list(documents.envelope.ma_lk)
    async with session.get(sim.url + "/_sim/tokens") as response:
        assert await response.json() == {"total": 1, "by_username": {"01001_BV": 1}}
    async with session.get(sim.url + "/_sim/cards") as response:
        assert len((await response.json())["cards"]) == sim.state.config.cards


async def test_faults_change_at_runtime_over_http(sim: PortalSimulator, session: aiohttp.ClientSession) -> None:
    async with session.post(sim.url + "/_sim/faults", json={"spec": "error_rate=0.5,deny=X_BV"}) as response:
        assert (await response.json()) == {"spec": "error_rate=0.5,deny=X_BV"}
    assert sim.state.faults == Faults(error_rate=0.5, deny=frozenset({"X_BV"}))
    async with session.post(sim.url + "/_sim/faults", data="error_rate=2") as response:
        assert response.status == 400
        assert (await response.json())["code"] == "sim.fault_spec"
    async with session.get(sim.url + "/_sim/faults") as response:
        assert (await response.json()) == {"spec": "error_rate=0.5,deny=X_BV"}


async def _raw_submit(session: aiohttp.ClientSession, url: str, path: str, form: dict[str, str]) -> dict[str, str]:
    async with session.post(url + "/api/token/take", data={"username": "01001_BV", "password": md5_upper(DEV_PASSWORD)}) as r:
        key = (await r.json())["APIKey"]
    headers = {"accessToken": key["access_token"], "tokenId": key["id_token"], "passwordHash": md5_upper(DEV_PASSWORD)}
    async with session.post(url + path, data=form, headers=headers) as response:
        assert response.status == 200
        return dict(await response.json())


def _form(document: bytes, **changes: str) -> dict[str, str]:
    form = {"username": "01001_BV", "loaiHoSo": "130", "maTinh": "01", "maCSKCB": "01001",
            "fileHSBase64": base64.b64encode(document).decode()}  # fmt: skip
    return {**form, **changes}


@pytest.mark.parametrize(
    ("path", "changes", "fragment"),
    [
        ("/api/qd130/checkInKcbQd4750", {"loaiHoSo": "0"}, "sent to the XML0 endpoint"),
        ("/api/qd130/guiHoSoXmlQD4750", {"loaiHoSo": "0"}, "loaiHoSo"),
        ("/api/qd130/guiHoSoXmlQD4750", {"maTinh": "79"}, "maTinh"),
        ("/api/qd130/guiHoSoXmlQD4750", {"fileHSBase64": "***"}, "base64"),
        ("/api/qd130/guiHoSoXmlQD4750", {"fileHSBase64": ""}, "missing"),
    ],
)
async def test_malformed_submissions_are_refused(
    sim: PortalSimulator, session: aiohttp.ClientSession, documents: Documents,
    path: str, changes: dict[str, str], fragment: str,
) -> None:  # fmt: skip
    answer = await _raw_submit(session, sim.url, path, _form(documents.envelope.content, **changes))
    assert answer["maKetQua"] == "400"
    assert fragment in answer["thongDiep"]


async def test_token_answer_has_the_vendor_expiry_format(sim: PortalSimulator, session: aiohttp.ClientSession) -> None:
    async with session.post(sim.url + "/api/token/take", data={"username": "01001_BV", "password": md5_upper(DEV_PASSWORD)}) as r:
        answer = await r.json()
    assert answer["maKetQua"] == "200"
    assert answer["APIKey"]["expires_in"] == "2026-03-04T03:00:00.0000000Z"  # START + 1 h
    assert set(answer["APIKey"]) == {"access_token", "id_token", "token_type", "username", "expires_in"}


async def test_app_factory_works_with_the_aiohttp_test_client(aiohttp_client, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    test_client = await aiohttp_client(make_portal_app(SimConfig(clock=clock)))
    response = await test_client.post("/api/token/take", json={"username": "79001_BV", "password": md5_upper(DEV_PASSWORD)})
    assert (await response.json())["maKetQua"] == "200"


def test_same_seed_same_fault_decisions(clock: FakeClock) -> None:
    from adapters.portal.simulator.state import SimState

    faults = parse_faults("error_rate=0.3,timeout_rate=0.1,reset_rate=0.1,rate_429=0.2,latency_ms=1..9")

    def decisions(seed: int) -> list[object]:
        state = SimState(SimConfig(clock=clock, seed=seed, faults=faults))
        return [state.next_api_request()[1] for _ in range(200)]

    assert decisions(5) == decisions(5)
    assert decisions(5) != decisions(6)
    errors = sum(d.error for d in decisions(5))  # type: ignore[attr-defined]
    assert 30 < errors < 90  # ~0.3 of 200


# -- signatures (--certs) --------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return init_dev_pki(tmp_path_factory.mktemp("portal-pki"), ("01001", "79001"))


@pytest.fixture
async def signing_sim(pki: DevPki, clock: FakeClock) -> AsyncIterator[PortalSimulator]:
    # the signing certificates are issued now (real time); judge signatures at real time
    from datetime import UTC, datetime

    clock.now = datetime.now(UTC)
    sim = PortalSimulator(SimConfig(clock=clock, trust=TrustStore.load(pki.trust_dir)))
    await sim.start()
    yield sim
    await sim.stop()


async def test_signed_by_the_facility_is_delivered_unsigned_is_refused(
    signing_sim: PortalSimulator, pki: DevPki, session: aiohttp.ClientSession,
    clock: FakeClock, documents: Documents,
) -> None:  # fmt: skip
    signer = FileKeySigner.from_pki(pki.base)
    client = PortalClient(session, PortalDirectory.of(account(signing_sim.url)), clock=clock, settings=SETTINGS)
    signed = sign(documents.envelope.content, signer, facility_key_id("01001"))
    by_other = sign(documents.envelope.content, signer, facility_key_id("79001"))
    assert isinstance(await client.send("01001", "envelope", signed), Delivered)
    unsigned = await client.send("01001", "envelope", documents.envelope.content)
    assert isinstance(unsigned, Refused) and "signature.missing" in unsigned.message
    foreign = await client.send("01001", "envelope", by_other)
    assert isinstance(foreign, Refused) and "signature.not_registered" in foreign.message


async def test_cli_trust_folder_is_found_in_a_pki_directory(pki: DevPki) -> None:
    import argparse

    from adapters.portal.commands import _config

    args = argparse.Namespace(facilities="01001", password="p", faults="none", seed=0,
                              certs=Path(pki.base), no_validate=False)  # fmt: skip
    config = _config(args)
    assert config.trust is not None and set(config.accounts) == {"01001_BV"}
