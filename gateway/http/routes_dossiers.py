"""The dossier API: submit, look up, list, replay (schemas/api/openapi.yaml)."""

from __future__ import annotations

import json
import logging
import re

from aiohttp import web

from gateway.config import Role
from gateway.http import keys, views
from gateway.http.auth import Principal, require_facility, require_role
from gateway.http.errors import BAD_REQUEST, DOSSIER_NOT_FOUND, FORBIDDEN, ApiError
from gateway.http.handling import (
    caller,
    idempotency_key,
    query_int,
    query_time,
    read_body,
    read_json,
    reason_of,
    require_content_type,
)
from gateway.outbox import (
    DocumentType,
    Message,
    MessageFilter,
    OutboxInputError,
    State,
    StoreFault,
    StoreUnavailable,
)
from gateway.outbox.errors import NOT_FOUND

XML_TYPES = ("application/xml", "text/xml")
_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_FACILITY = re.compile(r"^[0-9A-Z]{5}$")
_audit_log = logging.getLogger("gateway.http.operator")


def add_routes(app: web.Application) -> None:
    """Register the dossier routes (every one is in openapi.yaml; a test checks)."""
    app.router.add_post("/api/v1/dossiers", submit)
    app.router.add_get("/api/v1/dossiers", listing, allow_head=False)
    app.router.add_post("/api/v1/dossiers/replay", replay_many)
    app.router.add_get("/api/v1/dossiers/{id}", lookup, allow_head=False)
    app.router.add_post("/api/v1/dossiers/{id}/replay", replay_one)


async def submit(request: web.Request) -> web.Response:
    """POST /api/v1/dossiers: check a document and store it durably; 202 once it is stored."""
    principal = caller(request)
    facility = require_facility(principal)
    require_content_type(request, XML_TYPES)
    key = idempotency_key(request)
    settings = request.app[keys.SETTINGS]
    body = await read_body(request, settings.limits.dossier_body_bytes)
    result = await request.app[keys.INTAKE].submit(
        body, facility=facility, submitter=principal.subject, idempotency_key=key
    )
    request[keys.MESSAGE_ID] = result.message.message_id
    headers = {"Location": views.status_url(result.message.message_id)}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return web.json_response(views.accepted(result), status=202, headers=headers)


async def lookup(request: web.Request) -> web.Response:
    """GET /api/v1/dossiers/{id}: state, versions, attempts, last error, receipts."""
    principal = caller(request)
    message = await _visible(request, principal, request.match_info["id"])
    store = request.app[keys.STORE]
    try:
        same_key = await store.list_messages(
            MessageFilter(facility=message.facility, document_type=message.document_type, key=message.keys[0]),
            limit=100,
        )
        history = await store.history(message.message_id)
    except (StoreUnavailable, StoreFault) as exc:
        raise _store_error(exc) from None
    versions = [m for m in same_key.items if m.keys == message.keys]
    receipt = await request.app[keys.INTAKE].receipt(message)
    return web.json_response(views.detail(message, versions, history, receipt))


async def listing(request: web.Request) -> web.Response:
    """GET /api/v1/dossiers: a page of dossiers, newest first (a facility sees only its own)."""
    principal = caller(request)
    wanted = request.query.get("facility")
    if wanted is not None and not _FACILITY.match(wanted):
        raise ApiError(400, BAD_REQUEST, "facility must be a 5-character facility code")
    if principal.facility is not None:
        if wanted is not None and wanted != principal.facility:
            raise ApiError(403, FORBIDDEN, "a facility sees only its own dossiers")
        wanted = principal.facility
    filters = MessageFilter(
        facility=wanted,
        states=_states(request.query.get("state")),
        document_type=_document_type(request.query.get("document_type")),
        key=_short(request, "ma_lk", 100),
        received_from=query_time(request, "since"),
    )
    limit = query_int(request, "limit", 100, 1, 1000)
    cursor = _short(request, "cursor", 200)
    try:
        page = await request.app[keys.STORE].list_messages(filters, cursor, limit)
    except OutboxInputError as exc:
        raise ApiError(400, BAD_REQUEST, exc.message) from None
    except (StoreUnavailable, StoreFault) as exc:
        raise _store_error(exc) from None
    return web.json_response({"items": [views.summary(m) for m in page.items], "next_cursor": page.next_cursor})


async def replay_one(request: web.Request) -> web.Response:
    """POST /api/v1/dossiers/{id}/replay: an operator re-queues a DEAD dossier (audited)."""
    principal = caller(request)
    require_role(principal, Role.OPERATOR)
    message_id = request.match_info["id"]
    reason = reason_of(await read_json(request, request.app[keys.SETTINGS].limits.json_body_bytes))
    request[keys.MESSAGE_ID] = message_id
    try:
        message = await request.app[keys.STORE].replay(message_id, principal.subject, reason)
    except OutboxInputError as exc:
        status = 404 if exc.code == NOT_FOUND else 409
        raise ApiError(status, DOSSIER_NOT_FOUND if status == 404 else exc.code, exc.message) from None
    except (StoreUnavailable, StoreFault) as exc:
        raise _store_error(exc) from None
    _audit(principal, "replay", [message.message_id])
    return web.json_response(views.summary(message))


async def replay_many(request: web.Request) -> web.Response:
    """POST /api/v1/dossiers/replay?state=DEAD&facility=: replay DEAD dossiers in bulk."""
    principal = caller(request)
    require_role(principal, Role.OPERATOR)
    if request.query.get("state", "DEAD") != "DEAD":
        raise ApiError(400, BAD_REQUEST, "only DEAD dossiers can be replayed (state=DEAD)")
    facility = request.query.get("facility")
    if facility is not None and not _FACILITY.match(facility):
        raise ApiError(400, BAD_REQUEST, "facility must be a 5-character facility code")
    limit = query_int(request, "limit", 100, 1, 1000)
    reason = reason_of(await read_json(request, request.app[keys.SETTINGS].limits.json_body_bytes))
    store = request.app[keys.STORE]
    replayed: list[Message] = []
    refused: list[dict[str, str]] = []
    cursor: str | None = None
    try:
        while len(replayed) + len(refused) < limit:
            page = await store.list_messages(MessageFilter(facility=facility, states=frozenset({State.DEAD})),
                                             cursor, limit)
            for dead in page.items[: limit - len(replayed) - len(refused)]:
                try:
                    replayed.append(await store.replay(dead.message_id, principal.subject, reason))
                except OutboxInputError as exc:
                    refused.append({"id": dead.message_id, "code": exc.code, "message": exc.message})
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    except (StoreUnavailable, StoreFault) as exc:
        raise _store_error(exc) from None
    _audit(principal, "replay.bulk", [m.message_id for m in replayed])
    return web.json_response({"replayed": [views.summary(m) for m in replayed], "refused": refused})


async def _visible(request: web.Request, principal: Principal, message_id: str) -> Message:
    """The message if the caller may see it; 404 otherwise (another facility's dossier is not
    confirmed to exist)."""
    if not _ID.match(message_id):
        raise ApiError(404, DOSSIER_NOT_FOUND, "no such dossier")
    try:
        message = await request.app[keys.STORE].get(message_id)
    except (StoreUnavailable, StoreFault) as exc:
        raise _store_error(exc) from None
    if message is None or (principal.facility is not None and message.facility != principal.facility):
        raise ApiError(404, DOSSIER_NOT_FOUND, "no such dossier")
    request[keys.MESSAGE_ID] = message_id
    return message


def _states(text: str | None) -> frozenset[State] | None:
    if text is None:
        return None
    try:
        return frozenset(State(part.strip()) for part in text.split(",") if part.strip()) or None
    except ValueError:
        raise ApiError(400, BAD_REQUEST, f"state must be among {', '.join(s.value for s in State)}") from None


def _document_type(text: str | None) -> DocumentType | None:
    if text is None:
        return None
    try:
        return DocumentType(text)
    except ValueError:
        raise ApiError(400, BAD_REQUEST, "document_type must be envelope, XML0 or XML12") from None


def _short(request: web.Request, name: str, limit: int) -> str | None:
    value = request.query.get(name)
    if value is not None and (not value or len(value) > limit):
        raise ApiError(400, BAD_REQUEST, f"{name} must be 1-{limit} characters")
    return value


def _store_error(exc: StoreUnavailable | StoreFault) -> ApiError:
    return ApiError(503, exc.code, exc.message, headers={"Retry-After": "5"})


def _audit(principal: Principal, action: str, message_ids: list[str]) -> None:
    _audit_log.info(json.dumps({"event": f"operator.{action}", "operator": principal.name,
                                "count": len(message_ids), "message_ids": message_ids[:100]}))
