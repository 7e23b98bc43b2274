"""No personal data in any log line. Runs last (file order): it exercises the paths most likely
to leak (invalid documents whose reports carry values, warnings, XML0 and XML12 with names in
clear text, an internal error whose message quotes a name), then greps every line the whole
session logged for every name, CCCD and card code of every document the tests used."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.http import examiner as intake_module

from .support import Documents, Gateway, LogCapture


async def test_a_request_is_one_json_line_with_route_status_latency_and_message_id(
    gateway: Gateway, documents: Documents, log_capture: LogCapture
) -> None:
    before = len(log_capture.lines)
    accepted = await gateway.submit(documents.envelope(110))
    lines = [line for line in log_capture.lines[before:] if line.startswith("gateway.http.access ")]
    (line,) = [json.loads(line.split(" ", 2)[2]) for line in lines]
    assert line["route"] == "/api/v1/dossiers" and line["status"] == 202 and line["facility"] == "01001"
    assert line["message_id"] == accepted.body["id"] and line["latency_ms"] >= 0
    assert line["request_id"] == accepted.headers["X-Request-Id"]


async def test_leaky_paths_are_exercised(
    gateway: Gateway, documents: Documents, monkeypatch: pytest.MonkeyPatch
) -> None:
    for defect in ("XML1.SO_CCCD.format", "XML1.MA_THE_BHYT.format", "XML1.NGAY_SINH.format"):
        assert (await gateway.submit(documents.envelope(111, defect=defect, signed=False))).status == 422
    assert (await gateway.submit(documents.envelope(112, defect="XML1.SO_CCCD.contradiction"))).status == 202
    assert (await gateway.submit(documents.standalone("XML0", 113))).status == 202
    assert (await gateway.submit(documents.standalone("XML12", 113))).status == 202
    assert (await gateway.submit(documents.standalone("XML0", 114, facility="79001"))).status == 403
    name = next(iter(sorted(documents.personal)))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"cannot handle {name}")  # a bug whose message quotes a document

    monkeypatch.setattr(intake_module, "validate_parsed", broken)
    reply = await gateway.submit(documents.envelope(115))
    assert reply.status == 500 and name not in json.dumps(reply.body, ensure_ascii=False)


def test_no_personal_value_appears_in_any_log_line(documents: Documents, log_capture: LogCapture) -> None:
    assert len(documents.personal) >= 20, "the tests used too few documents for this check to mean much"
    assert any('"event": "http.request"' in line for line in log_capture.lines)
    leaks = [(value, line[:200]) for line in log_capture.lines for value in documents.personal if value in line]
    assert leaks == []
