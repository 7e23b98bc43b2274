"""POST /api/v1/dossiers through the real server: accepted, duplicate, every refusal."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from gateway.config import SigningConfig
from gateway.http import examiner as intake_module
from gateway.outbox import State
from gateway.signing import verify_receipt
from gateway.signing.devpki import DevPki
from gateway.signing.policy import SignaturePolicy

from .conftest import StartGateway
from .support import FACILITY_TOKENS, Documents, Gateway


async def test_a_signed_envelope_is_stored_and_answered_with_a_signed_receipt(
    gateway: Gateway, documents: Documents, trust: Any
) -> None:
    reply = await gateway.submit(documents.envelope(1))
    assert reply.status == 202, reply
    assert reply.body["state"] == "QUEUED" and not reply.body["duplicate"]
    assert reply.headers["Location"] == reply.body["status_url"]
    stored = await gateway.store.get(reply.body["id"])
    assert stored is not None and stored.state is State.QUEUED
    assert await gateway.store.payload(reply.body["id"]) == documents.envelope(1)
    receipt = verify_receipt(reply.body["receipt"].encode(), trust)
    assert receipt.receipt.message_id == reply.body["id"]
    assert receipt.receipt.facility == "01001"
    assert list(receipt.receipt.ma_lk) == reply.body["ma_lk"]


async def test_the_same_document_again_returns_the_existing_message(gateway: Gateway, documents: Documents) -> None:
    first = await gateway.submit(documents.envelope(2))
    second = await gateway.submit(documents.envelope(2))
    assert second.status == 202
    assert second.body["id"] == first.body["id"] and second.body["duplicate"] is True


async def test_a_check_in_and_an_assessment_are_accepted(gateway: Gateway, documents: Documents) -> None:
    checkin = await gateway.submit(documents.standalone("XML0", 3))
    assert checkin.status == 202, checkin
    assert checkin.body["document_type"] == "XML0"
    assessment = await gateway.submit(documents.standalone("XML12", 3))
    assert assessment.status == 202, assessment
    assert assessment.body["document_type"] == "XML12" and assessment.body["facility"] == "01001"


async def test_an_assessment_is_attributed_to_the_authenticated_facility(
    gateway: Gateway, documents: Documents
) -> None:
    reply = await gateway.submit(documents.standalone("XML12", 4, facility="79001"), facility="79001")
    assert reply.status == 202, reply
    assert reply.body["facility"] == "79001"


async def test_a_facility_submitting_another_facilitys_dossier_is_refused(
    gateway: Gateway, documents: Documents
) -> None:
    reply = await gateway.submit(documents.envelope(5, "79001"), facility="01001")
    assert reply.status == 403 and reply.body["code"] == "auth.wrong_facility"
    checkin = await gateway.submit(documents.standalone("XML0", 5, facility="79001"), facility="01001")
    assert checkin.status == 403 and checkin.body["code"] == "auth.wrong_facility"


async def test_an_invalid_dossier_gets_the_full_report_with_the_values(gateway: Gateway, documents: Documents) -> None:
    reply = await gateway.submit(documents.envelope(6, signed=False, defect="XML1.SO_CCCD.format"))
    assert reply.status == 422 and reply.body["code"] == "document.invalid"
    errors = reply.body["report"]["errors"]
    assert [e["code"] for e in errors] == ["XML1.SO_CCCD.format"]
    value = errors[0]["value"]
    assert value is not None and "*" not in value and len(value) == 11  # unmasked: it is the sender's data


async def test_warnings_come_back_with_the_202(gateway: Gateway, documents: Documents) -> None:
    reply = await gateway.submit(documents.envelope(7, defect="XML1.SO_CCCD.contradiction"))
    assert reply.status == 202, reply
    assert [w["code"] for w in reply.body["warnings"]] == ["XML1.SO_CCCD.contradiction"]


async def test_an_unsigned_document_is_refused_when_the_facility_must_sign(
    gateway: Gateway, documents: Documents
) -> None:
    reply = await gateway.submit(documents.envelope(8, signed=False))
    assert reply.status == 422 and reply.body["code"] == "signature.missing"


async def test_a_delegated_facility_is_signed_for_with_its_own_key(
    start_gateway: StartGateway, documents: Documents, pki: DevPki
) -> None:
    signing = SigningConfig(trust_dir=pki.trust_dir, keys_dir=pki.base, default_policy=SignaturePolicy.DELEGATED)
    gw = await start_gateway(signing=signing)
    unsigned = documents.envelope(9, signed=False)
    reply = await gw.submit(unsigned, key="delegated-1")
    assert reply.status == 202, reply
    stored = await gw.store.payload(reply.body["id"])
    assert stored is not None and stored != unsigned and b"SignatureValue" in stored
    again = await gw.submit(unsigned, key="delegated-1")  # a retry finds the same message
    assert again.status == 202 and again.body["id"] == reply.body["id"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
         b"<GIAMDINHHS>&lol2;</GIAMDINHHS>", "xml.dtd"),
        (b"<GIAMDINHHS><THONGTINDONVI></GIAMDINHHS>", "xml.malformed"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><GIAMDINHHS/>', "xml.encoding"),
        (b"<html><body>hello</body></html>", "document.unknown_root"),
        (b"<a>" * 100 + b"</a>" * 100, "xml.depth"),
        (b"   ", "xml.empty"),
    ],
)
async def test_hostile_or_malformed_xml_is_refused_with_its_code(gateway: Gateway, body: bytes, code: str) -> None:
    reply = await gateway.submit(body)
    assert reply.status == 400 and reply.body["code"] == code, reply


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/xml; charset=latin-1"])
async def test_a_body_that_is_not_xml_is_refused_with_415(
    gateway: Gateway, documents: Documents, content_type: str
) -> None:
    reply = await gateway.call("POST", "/api/v1/dossiers", token=FACILITY_TOKENS["01001"],
                               data=documents.envelope(1), content_type=content_type)
    assert reply.status == 415 and reply.body["code"] == "http.unsupported_media_type"


async def test_text_xml_is_accepted_too(gateway: Gateway, documents: Documents) -> None:
    reply = await gateway.call("POST", "/api/v1/dossiers", token=FACILITY_TOKENS["01001"],
                               data=documents.envelope(10), content_type="text/xml; charset=utf-8")
    assert reply.status == 202, reply


async def test_a_large_dossier_is_accepted_above_aiohttps_default_limit(
    gateway: Gateway, documents: Documents
) -> None:
    large = documents.envelope(1, profile="large")
    assert len(large) > 1024 * 1024
    reply = await gateway.submit(large)
    assert reply.status == 202, reply


async def test_validation_runs_off_the_event_loop(
    gateway: Gateway, documents: Documents, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    real = intake_module.validate_parsed

    def slow_validate(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(intake_module, "validate_parsed", slow_validate)
    submission = asyncio.create_task(gateway.submit(documents.envelope(12)))
    assert await asyncio.to_thread(entered.wait, 10)
    health = await gateway.call("GET", "/healthz")  # answered while the validation is blocked
    assert health.status == 200 and not submission.done()
    release.set()
    assert (await submission).status == 202
