"""JSON renderings of the store's values for the API (the shapes schemas/api/openapi.yaml names).

Metadata only: a message's payload never leaves through these views.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from gateway.http.intake import IntakeResult
from gateway.outbox import AuditRecord, Message

API = "/api/v1"


def iso(moment: datetime | None) -> str | None:
    """`2026-03-04T02:00:00.123456Z`, or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def status_url(message_id: str) -> str:
    return f"{API}/dossiers/{message_id}"


def summary(message: Message) -> dict[str, Any]:
    """One dossier in a listing."""
    return {
        "id": message.message_id,
        "facility": message.facility,
        "document_type": message.document_type.value,
        "ma_lk": list(message.keys),
        "state": message.state.value,
        "version": message.version,
        "received_at": iso(message.received_at),
        "updated_at": iso(message.updated_at),
        "status_url": status_url(message.message_id),
    }


def detail(
    message: Message,
    versions: Iterable[Message],
    history: Iterable[AuditRecord],
    receipt: bytes | None,
) -> dict[str, Any]:
    """One dossier with its versions, attempts, last error, timestamps and receipts."""
    last_error = None
    if message.last_code is not None or message.last_reason is not None:
        last_error = {"code": message.last_code, "reason": message.last_reason}
    portal = None
    if message.receipt is not None:
        portal = {"maGiaoDich": message.receipt, "thoiGianTiepNhan": message.portal_time}
    return {
        **summary(message),
        "attempts": message.attempts,
        "sends": message.sends,
        "outcome_unknown": message.outcome_unknown,
        "last_error": last_error,
        "due_at": iso(message.due_at),
        "delivered_at": iso(message.delivered_at),
        "superseded_by": message.superseded_by,
        "payload_pruned": message.payload_pruned,
        "portal_receipt": portal,
        "receipt": receipt.decode("utf-8") if receipt is not None else None,
        "versions": [
            {"id": v.message_id, "version": v.version, "state": v.state.value, "received_at": iso(v.received_at)}
            for v in sorted(versions, key=lambda v: v.version)
        ],
        "history": [
            {"at": record.at, "action": record.action, "actor": record.actor,
             "from_state": record.from_state, "to_state": record.to_state}
            for record in history
        ],
    }


def accepted(result: IntakeResult) -> dict[str, Any]:
    """The body of the 202 (and of the watched folder's receipt file)."""
    message = result.message
    return {
        "id": message.message_id,
        "state": message.state.value,
        "status_url": status_url(message.message_id),
        "duplicate": result.accepted.duplicate,
        "version": result.accepted.version,
        "facility": message.facility,
        "document_type": message.document_type.value,
        "ma_lk": list(message.keys),
        "received_at": iso(message.received_at),
        "receipt": result.receipt.decode("utf-8") if result.receipt is not None else None,
        "warnings": [problem.to_json() for problem in result.warnings],
    }
