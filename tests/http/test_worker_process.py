"""The default deployment: the checks run in a worker process. The same answers as in a thread,
errors cross the process boundary with their codes, and a worker that dies is replaced."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from gateway.config import IntakeConfig
from gateway.http import keys
from gateway.http.cpu import ProcessRunner

from .conftest import StartGateway
from .support import Documents, Gateway


@pytest.fixture
async def process_gateway(start_gateway: StartGateway) -> Gateway:
    gw = await start_gateway(intake=IntakeConfig(worker="process"))
    assert isinstance(gw.app[keys.INTAKE]._runner, ProcessRunner)
    return gw


async def test_every_answer_is_the_same_from_a_worker_process(
    process_gateway: Gateway, documents: Documents, trust: Any
) -> None:
    gw = process_gateway
    accepted = await gw.submit(documents.envelope(120))
    assert accepted.status == 202 and accepted.body["receipt"].startswith("<?xml")
    assert (await gw.submit(documents.standalone("XML12", 120))).status == 202
    assert (await gw.submit(b"<GIAMDINHHS>")).body["code"] == "xml.malformed"
    assert (await gw.submit(documents.envelope(121, "79001"))).body["code"] == "auth.wrong_facility"
    invalid = await gw.submit(documents.envelope(122, signed=False, defect="XML1.GIOI_TINH.code"))
    assert invalid.status == 422 and invalid.body["report"]["errors"][0]["code"] == "XML1.GIOI_TINH.code"
    unsigned = await gw.submit(documents.envelope(123, signed=False))
    assert unsigned.status == 422 and unsigned.body["code"] == "signature.missing"
    detail = await gw.call("GET", accepted.body["status_url"], token=None, check=False)
    assert detail.status == 401


async def test_a_dead_worker_is_replaced(process_gateway: Gateway, documents: Documents) -> None:
    runner = process_gateway.app[keys.INTAKE]._runner
    assert isinstance(runner, ProcessRunner) and runner.worker_pids()
    (killed,) = runner.worker_pids()
    os.kill(killed, signal.SIGKILL)  # the worker crashes (a hostile input, an OOM kill)
    first = await process_gateway.submit(documents.envelope(124))
    # The death is noticed either by this request (500) or before it (a new worker answers).
    assert first.status in (202, 500)
    again = await process_gateway.submit(documents.envelope(124))
    assert again.status == 202
    assert runner.worker_pids() and runner.worker_pids()[0] != killed
