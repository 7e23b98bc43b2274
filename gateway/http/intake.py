"""The intake path every document takes, from the HTTP API and from the watched folder alike:

    Idempotency-Key seen before? -> the checks (examiner.py, off the event loop: cpu.py)
    -> ONE durable commit -> the gateway's signed receipt

Every refusal is an ApiError with the status and code the API answers; the watched folder reads
the same errors. Nothing is answered 202 before the store has committed it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from gateway.http.cpu import CpuRunner
from gateway.http.errors import INTERNAL, ApiError
from gateway.http.examiner import receipt_of
from gateway.http.metrics import Metrics
from gateway.outbox import (
    Accepted,
    DiskFull,
    IdempotencyConflict,
    Message,
    OutboxInputError,
    StoreFault,
    StoreUnavailable,
    Submission,
)
from gateway.outbox.store import OutboxStore
from gateway.signing import SigningError
from gateway.xml.report import Problem

_log = logging.getLogger("gateway.http.intake")
DISK_RETRY_AFTER = "300"
STORE_RETRY_AFTER = "5"


@dataclass(frozen=True)
class IntakeResult:
    """What the 202 (or the watched folder's receipt) says."""

    accepted: Accepted
    message: Message
    receipt: bytes | None
    warnings: tuple[Problem, ...] = ()
    replayed: bool = False  # the original answer to a repeated Idempotency-Key


class Intake:
    """Checks and stores documents (module docstring). One per application."""

    def __init__(self, *, store: OutboxStore, runner: CpuRunner, clock: Callable[[], datetime],
                 metrics: Metrics, schema_version: str) -> None:
        self.store = store
        self._runner = runner
        self._clock = clock
        self._metrics = metrics
        self._version = schema_version

    async def submit(
        self, body: bytes, *, facility: str | None, submitter: str, idempotency_key: str | None = None
    ) -> IntakeResult:
        """Check and store one document received from `submitter`.

        `facility` is the authenticated facility (every facility code the document names must
        be it); None only for a watched folder without a configured facility, where the
        document's own MACSKCB / MA_CSKCB is taken. Raises ApiError (400, 403, 409, 413, 422,
        503, 500).
        """
        if idempotency_key is not None:
            original = await self._remembered(submitter, idempotency_key, body)
            if original is not None:
                return original
        try:
            examined = await self._runner.examine(body, facility, self._clock())
        except ApiError as exc:
            self._count("rejected", exc.document_type or "unknown")
            if exc.status >= 500:
                _log.error(json.dumps({"event": "intake.fault", "code": exc.code}))
            raise
        self._metrics.processing.observe(examined.seconds)
        # The store keys idempotency on the bytes it stores; a document the gateway signed on the
        # facility's behalf is stored as signed, so a retry of the received bytes could not match
        # (and ECDSA signatures differ each time). Such documents rely on the content-digest
        # duplicate rule instead (the outbox README's identity), without an Idempotency-Key.
        stored_key = None if examined.outcome.signed_by_gateway else idempotency_key
        try:
            submission = Submission(
                facility=examined.facility,
                document_type=examined.document_type,
                keys=examined.report.ma_lk,
                content_digest=examined.digest,
                content=examined.outcome.document_bytes,
                submitter=submitter,
                idempotency_key=stored_key,
                schema_version=examined.report.schema_version or self._version,
            )
        except OutboxInputError as exc:
            self._count("rejected", examined.document_type.value)
            raise ApiError(422, exc.code, exc.message) from None
        accepted = await self._accept(submission)
        message = await self.store.get(accepted.message_id)
        if message is None:  # accepted and committed, so this is our fault
            raise ApiError(500, INTERNAL, "the accepted message cannot be read back")
        self._count("duplicate" if accepted.duplicate else "accepted", examined.document_type.value)
        return IntakeResult(accepted, message, await self.receipt(message), examined.report.warnings)

    async def receipt(self, message: Message) -> bytes | None:
        """The signed receipt of a stored message; None (and an alarm in the log) when the
        gateway key cannot sign or the worker fails: the document is stored all the same."""
        try:
            return await self._runner.sign_receipt(receipt_of(message))
        except (SigningError, ApiError) as exc:
            _log.error(json.dumps({"event": "intake.receipt_failed", "code": exc.code,
                                   "message_id": message.message_id}))
            return None

    async def _remembered(self, submitter: str, key: str, body: bytes) -> IntakeResult | None:
        try:
            original = await self.store.idempotency_lookup(submitter, key, body)
        except IdempotencyConflict as exc:
            raise ApiError(409, exc.code, exc.message) from None
        except (StoreUnavailable, StoreFault) as exc:
            raise _unavailable(exc) from None
        if original is None:
            return None
        message = await self.store.get(original.message_id)
        if message is None:
            return None
        return IntakeResult(original, message, await self.receipt(message), (), replayed=True)

    async def _accept(self, submission: Submission) -> Accepted:
        try:
            return await self.store.accept(submission)
        except IdempotencyConflict as exc:
            raise ApiError(409, exc.code, exc.message) from None
        except (StoreUnavailable, StoreFault) as exc:
            if isinstance(exc, StoreFault):
                _log.error(json.dumps({"event": "intake.store_fault", "code": exc.code}))
            raise _unavailable(exc) from None
        except OutboxInputError as exc:
            raise ApiError(422, exc.code, exc.message) from None

    def _count(self, outcome: str, document_type: str) -> None:
        self._metrics.documents.labels(outcome, document_type).inc()


def _unavailable(exc: StoreUnavailable | StoreFault) -> ApiError:
    retry = DISK_RETRY_AFTER if isinstance(exc, DiskFull) else STORE_RETRY_AFTER
    return ApiError(503, exc.code, exc.message, headers={"Retry-After": retry})
