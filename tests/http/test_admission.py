"""Admission to the checks: a bounded number of documents wait for the worker process; one more
is refused at once with 503 `intake.busy` (nothing stored, the gateway keeps answering), and the
receipts of stored documents go ahead of new checks. The worker is paused with SIGSTOP so that
what waits is known exactly, not raced."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from gateway.config import IntakeConfig
from gateway.http import keys
from gateway.http.cpu import ProcessRunner
from gateway.signing import Receipt

from .conftest import StartGateway
from .support import Documents, Gateway


@pytest.fixture
async def gateway(start_gateway: StartGateway) -> Gateway:
    return await start_gateway(intake=IntakeConfig(worker="process", max_waiting=1))


def runner_of(gw: Gateway) -> ProcessRunner:
    runner = gw.app[keys.INTAKE]._runner
    assert isinstance(runner, ProcessRunner)
    return runner


@pytest.fixture
async def paused(gateway: Gateway) -> AsyncIterator[ProcessRunner]:
    """The gateway's worker process stopped (SIGSTOP) until the test resumes it (or ends)."""
    runner = runner_of(gateway)
    (pid,) = runner.worker_pids()
    os.kill(pid, signal.SIGSTOP)
    try:
        yield runner
    finally:
        os.kill(pid, signal.SIGCONT)


async def until(condition: object, what: str) -> None:
    for _ in range(500):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def test_one_more_than_max_waiting_is_refused_busy_and_the_rest_are_accepted(
    gateway: Gateway, paused: ProcessRunner, documents: Documents
) -> None:
    # Two frames go to the (stopped) worker, one waits: the fourth document finds the queue full.
    held = [asyncio.create_task(gateway.submit(documents.envelope(900 + i))) for i in range(3)]
    await until(lambda: paused.waiting() == 1, "one document waiting")
    refused = await gateway.submit(documents.envelope(903))
    assert refused.status == 503
    assert refused.body["code"] == "intake.busy"
    assert refused.headers["Retry-After"] == "1"
    metrics = (await gateway.call("GET", "/metrics", token=None)).raw.decode()
    assert "gateway_intake_waiting 1.0" in metrics
    assert 'gateway_http_rejections_total{code="intake.busy"} 1.0' in metrics

    (pid,) = paused.worker_pids()
    os.kill(pid, signal.SIGCONT)
    answers = await asyncio.gather(*held)
    assert [a.status for a in answers] == [202, 202, 202]
    # The refused one was not stored: sent again, it is a new document, accepted.
    again = await gateway.submit(documents.envelope(903))
    assert again.status == 202 and again.body["duplicate"] is False


async def test_receipts_go_ahead_of_waiting_checks(
    gateway: Gateway, paused: ProcessRunner, documents: Documents
) -> None:
    order: list[str] = []

    async def check(seed: int) -> None:
        await paused.examine(documents.envelope(seed), "01001", datetime.now(UTC))
        order.append(f"check{seed}")

    async def receipt() -> None:
        await paused.sign_receipt(Receipt.for_submission("m-1", "01001", ["LK1"], b"x", datetime.now(UTC)))
        order.append("receipt")

    checks = [asyncio.create_task(check(910 + i)) for i in range(3)]
    await until(lambda: paused.waiting() == 1, "the third check waiting")
    signed = asyncio.create_task(receipt())
    await asyncio.sleep(0.05)
    (pid,) = paused.worker_pids()
    os.kill(pid, signal.SIGCONT)
    await asyncio.gather(*checks, signed)
    assert order == ["check910", "check911", "receipt", "check912"]


async def test_a_waiting_check_whose_client_left_is_never_sent(
    gateway: Gateway, paused: ProcessRunner, documents: Documents
) -> None:
    checks = [asyncio.create_task(paused.examine(documents.envelope(920 + i), "01001", datetime.now(UTC)))
              for i in range(3)]
    await until(lambda: paused.waiting() == 1, "the third check waiting")
    checks[2].cancel()
    (pid,) = paused.worker_pids()
    os.kill(pid, signal.SIGCONT)
    await asyncio.gather(*checks[:2])
    assert paused.waiting() == 0 and not paused._pending  # nothing left in the worker's window
    # The worker is free: the next check is answered (it would queue behind a sent ghost otherwise).
    await paused.examine(documents.envelope(923), "01001", datetime.now(UTC))
