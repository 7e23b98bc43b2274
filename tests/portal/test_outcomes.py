"""Each answer of the portal (and of the network) maps to one typed outcome."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest

from adapters.portal import (
    AuthFailed,
    Delivered,
    PortalClient,
    PortalConfigError,
    PortalDirectory,
    PortalSettings,
    Refused,
    Timeouts,
    Transient,
    parse_retry_after,
)
from adapters.portal.answers import interpret_submission
from adapters.portal.outcomes import PORTAL_ZONE
from adapters.portal.simulator import Faults, PortalSimulator, parse_faults
from adapters.portal.transport import HttpAnswer, classify

from .conftest import SETTINGS, Documents, FakeClock, account

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


async def test_200_is_delivered_with_receipt_and_vietnam_time(
    client: PortalClient, sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    outcome = await client.send("01001", "envelope", documents.envelope.content)
    assert isinstance(outcome, Delivered)
    assert outcome.ma_giao_dich == sim.received[0].ma_giao_dich
    assert outcome.portal_time == "20260304090000"
    assert outcome.received_at == clock.now
    assert outcome.received_at is not None and outcome.received_at.tzinfo == PORTAL_ZONE
    assert b'"maKetQua"' in outcome.answer


@pytest.mark.parametrize(
    ("kind", "path", "loai"),
    [
        ("envelope", "/api/qd130/guiHoSoXmlQD4750", "130"),
        ("XML0", "/api/qd130/checkInKcbQd4750", "0"),
        ("XML12", "/api/qd130/guiDuLieuGdykQd130", "12"),
    ],
)
async def test_each_document_type_goes_to_its_endpoint(
    client: PortalClient, sim: PortalSimulator, documents: Documents, kind: str, path: str, loai: str
) -> None:
    document = {"envelope": documents.envelope, "XML0": documents.checkin, "XML12": documents.assessment}[kind]
    assert isinstance(await client.send("01001", kind, document.content), Delivered)
    (receipt,) = sim.received
    assert (receipt.path, receipt.loai_ho_so, receipt.facility) == (path, loai, "01001")
    assert receipt.document == document.content


async def test_version_is_part_of_the_path(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    await client.send("01001", "XML0", documents.checkin.content, version="130")
    assert sim.received[0].path == "/api/qd130/checkInKcbQd130"


async def test_unknown_document_type_is_the_callers_mistake(client: PortalClient) -> None:
    with pytest.raises(PortalConfigError) as caught:
        await client.send("01001", "XML7", b"<x/>")
    assert caught.value.code == "portal.document_type"


async def test_invalid_document_is_refused_with_the_validators_codes(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    outcome = await client.send("01001", "envelope", documents.invalid.content)
    assert isinstance(outcome, Refused)
    assert outcome.code == "400"
    for code in documents.invalid.errors:
        assert code in outcome.message
    assert sim.state.current == {}


async def test_refusal_fault_refuses_named_ma_lk(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    sim.set_faults(parse_faults(f"refuse={documents.envelope.ma_lk[0]}|OTHER"))
    refused = await client.send("01001", "envelope", documents.envelope.content)
    delivered = await client.send("01001", "envelope", documents.envelope2.content)
    assert isinstance(refused, Refused) and documents.envelope.ma_lk[0] in refused.message
    assert isinstance(delivered, Delivered)
    assert [r.fault for r in sim.received] == ["refuse", None]


async def test_denied_account_is_auth_failed_without_sending(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    sim.set_faults(parse_faults("deny=01001_BV"))
    outcome = await client.send("01001", "envelope", documents.envelope.content)
    assert isinstance(outcome, AuthFailed) and outcome.code == "portal.auth.401"
    assert sim.received == []


async def test_account_denied_after_login_is_auth_failed_after_one_relogin(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    await client.send("01001", "XML0", documents.checkin.content)
    sim.set_faults(parse_faults("deny=01001_BV"))
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, AuthFailed)
    assert sim.state.token_requests["01001_BV"] == 2  # one re-login, then no more
    assert [r.status for r in sim.received] == [200, 401]


async def test_wrong_password_is_auth_failed(
    session: aiohttp.ClientSession, sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    directory = PortalDirectory.of(account(sim.url, password="not-the-password"))
    client = PortalClient(session, directory, clock=clock, settings=SETTINGS)
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, AuthFailed) and outcome.code == "portal.auth.401"


async def test_facility_without_account_is_auth_failed(client: PortalClient, documents: Documents) -> None:
    outcome = await client.send("48001", "XML0", documents.checkin.content)
    assert isinstance(outcome, AuthFailed) and outcome.code == "portal.auth.no_account"


async def test_account_of_another_facility_is_403(
    session: aiohttp.ClientSession, sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    # 79001's credentials configured for facility 01001: the portal refuses access (403)
    from adapters.portal import Credentials, FacilityAccount
    from adapters.portal.simulator import DEV_PASSWORD

    wrong = FacilityAccount("01001", Credentials.from_password("79001_BV", DEV_PASSWORD), base_url=sim.url)
    client = PortalClient(session, PortalDirectory.of(wrong), clock=clock, settings=SETTINGS)
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, AuthFailed) and outcome.code == "portal.auth.403"


async def test_429_with_retry_after_seconds(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    sim.set_faults(parse_faults("rate_429=1:7"))
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert outcome == Transient("portal.http.429", 7.0, sent=False, detail=outcome.detail)  # type: ignore[union-attr]


async def test_429_with_retry_after_http_date(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    sim.set_faults(parse_faults("rate_429=1:90:date"))
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, Transient)
    assert (outcome.reason, outcome.retry_after, outcome.sent) == ("portal.http.429", 90.0, False)


def test_retry_after_forms() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(format_datetime(NOW + timedelta(seconds=30), usegmt=True), NOW) == 30.0
    assert parse_retry_after("Wed, 04 Mar 2026 01:00:00 GMT", NOW) == 0.0  # in the past
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("-3", NOW) == 0.0


async def test_server_error_is_transient_and_may_have_been_received(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    sim.set_faults(parse_faults("error_rate=1"))
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, Transient)
    assert (outcome.reason, outcome.sent) == ("portal.http.500", True)


async def test_5xx_burst_is_503_not_received(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    sim.set_faults(parse_faults("burst_5xx=2@2"))
    results = [await client.send("01001", "XML0", documents.checkin.content) for _ in range(4)]
    assert [type(r).__name__ for r in results] == ["Delivered", "Transient", "Transient", "Delivered"]
    assert results[1] == Transient("portal.http.503", None, sent=False, detail=results[1].detail)  # type: ignore[union-attr]


async def test_timeout_after_sending_is_transient_sent(
    session: aiohttp.ClientSession, sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    fast = PortalSettings(timeouts=Timeouts(connect=2.0, read=0.05, total=5.0))
    client = PortalClient(session, PortalDirectory.of(account(sim.url)), clock=clock, settings=fast)
    sim.set_faults(parse_faults("timeout_rate=1"))
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, Transient)
    assert (outcome.reason, outcome.sent) == ("portal.timeout", True)
    # the portal did get it: exactly the case the outbox re-sends and audits
    assert sim.state.current_version("01001", documents.checkin.ma_lk[0]) is not None


async def test_connection_reset_is_transient_sent(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    sim.set_faults(parse_faults("reset_rate=1"))
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, Transient)
    assert (outcome.reason, outcome.sent) == ("portal.reset", True)
    assert sim.received[0].fault == "reset"


async def test_connection_refused_is_transient_not_sent(
    sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        client = PortalClient(session, PortalDirectory.of(account(sim.url)), clock=clock, settings=SETTINGS)
        assert isinstance(await client.send("01001", "XML0", documents.checkin.content), Delivered)
        await sim.stop()  # the token is still valid; the portal is gone
        outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, Transient)
    assert (outcome.reason, outcome.sent) == ("portal.connect", False)


async def test_token_endpoint_unreachable_is_transient_not_sent(
    session: aiohttp.ClientSession, clock: FakeClock, documents: Documents
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PortalClient(session, PortalDirectory.of(account(f"http://127.0.0.1:{port}")), clock=clock)
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, Transient)
    assert (outcome.reason, outcome.sent) == ("portal.token", False)
    assert "portal.connect" in outcome.detail


@pytest.mark.parametrize(
    ("exc", "reason", "sent"),
    [
        (aiohttp.ConnectionTimeoutError(), "portal.connect_timeout", False),
        (aiohttp.SocketTimeoutError(), "portal.timeout", True),
        (TimeoutError(), "portal.timeout", True),
        (aiohttp.ServerDisconnectedError(), "portal.reset", True),
        (aiohttp.ClientPayloadError("cut"), "portal.reset", True),
        (ConnectionResetError(104, "Connection reset by peer"), "portal.reset", True),
    ],
)
def test_exchange_failures_say_whether_the_request_may_have_arrived(
    exc: BaseException, reason: str, sent: bool
) -> None:
    outcome = classify(exc)
    assert (outcome.reason, outcome.sent) == (reason, sent)


def _answer(status: int, body: bytes = b"", retry_after: str | None = None) -> HttpAnswer:
    return HttpAnswer(status, retry_after, body)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (_answer(502), Transient("portal.http.502", None, True)),
        (_answer(504), Transient("portal.http.504", None, True)),
        (_answer(503, retry_after="5"), Transient("portal.http.503", 5.0, False)),
        (_answer(404), Transient("portal.http.404", None, False)),
        (_answer(302), Transient("portal.http.302", None, False)),
        (_answer(200, b"<html>maintenance</html>"), Transient("portal.bad_answer", None, True)),
        (_answer(200, b'{"maKetQua": "500", "thongDiep": "x"}'), Transient("portal.result.500", None, True)),
        (_answer(200, b'{"maKetQua": "429"}'), Transient("portal.http.429", None, False)),
    ],
)
def test_other_answers_are_transient(answer: HttpAnswer, expected: Transient) -> None:
    outcome = interpret_submission(answer, NOW)
    assert isinstance(outcome, Transient)
    assert (outcome.reason, outcome.retry_after, outcome.sent) == (
        expected.reason, expected.retry_after, expected.sent,
    )  # fmt: skip


def test_refusals_keep_the_portals_code_and_message() -> None:
    body = '{"maKetQua": "204", "thongDiep": "Sai định dạng XML1"}'.encode()
    assert interpret_submission(_answer(200, body), NOW) == Refused("204", "Sai định dạng XML1", body)
    assert interpret_submission(_answer(413), NOW) == Refused("http.413", "", b"")


def test_401_or_403_in_the_body_is_an_auth_failure() -> None:
    outcome = interpret_submission(_answer(200, b'{"maKetQua": "403"}'), NOW)
    assert isinstance(outcome, AuthFailed) and outcome.code == "portal.auth.403"


def test_200_without_a_transaction_id_is_still_delivered() -> None:
    outcome = interpret_submission(_answer(200, b'{"maKetQua": "200", "thoiGianTiepNhan": "bad"}'), NOW)
    assert outcome == Delivered(None, None, "bad", "", b'{"maKetQua": "200", "thoiGianTiepNhan": "bad"}')


async def test_downtime_window_then_faults_cleared_over_http(
    client: PortalClient, sim: PortalSimulator, clock: FakeClock, documents: Documents,
    session: aiohttp.ClientSession,
) -> None:  # fmt: skip
    sim.set_faults(parse_faults("down=30.."))
    clock.advance(seconds=10)
    assert isinstance(await client.send("01001", "XML0", documents.checkin.content), Delivered)
    clock.advance(seconds=25)
    down = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(down, Transient) and (down.reason, down.sent) == ("portal.http.503", False)
    async with session.post(sim.url + "/_sim/faults", data="none") as response:
        assert (await response.json()) == {"spec": "none"}
    assert isinstance(await client.send("01001", "XML0", documents.checkin.content), Delivered)
    assert sim.state.faults == Faults()


async def test_downtime_window_ends_by_the_clock(
    client: PortalClient, sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    sim.set_faults(parse_faults("down=0..60"))
    first = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(first, Transient) and first.reason == "portal.token"  # the login is down too
    clock.advance(seconds=60)
    assert isinstance(await client.send("01001", "XML0", documents.checkin.content), Delivered)


async def test_latency_delays_but_delivers(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    sim.set_faults(parse_faults("latency_ms=1..2"))
    assert isinstance(await client.send("01001", "XML0", documents.checkin.content), Delivered)
    assert sim.state.api_requests == 1  # the token request is not an API request


async def test_a_session_raising_for_status_does_not_change_the_mapping(
    sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    async with aiohttp.ClientSession(raise_for_status=True) as strict:
        client = PortalClient(strict, PortalDirectory.of(account(sim.url)), clock=clock, settings=SETTINGS)
        sim.set_faults(parse_faults("error_rate=1"))
        outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, Transient) and outcome.reason == "portal.http.500"


@pytest.mark.parametrize("seed", range(5))
def test_the_form_body_is_what_urlencode_makes(seed: int) -> None:
    import base64
    import random
    from urllib.parse import urlencode

    from adapters.portal.transport import form_urlencoded

    rng = random.Random(seed)
    document = base64.b64encode(rng.randbytes(rng.randrange(0, 3000))).decode("ascii")
    data = {"username": "01001_BV", "loaiHoSo": "130", "maTinh": "01", "fileHSBase64": document,
            "odd": "a b+c/đ=&?%" + "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(40))}
    assert form_urlencoded(data) == urlencode(data).encode("ascii")
