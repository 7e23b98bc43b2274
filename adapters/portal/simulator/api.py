"""The simulated portal's API: token, the three submission endpoints, the card lookup.

The order of judgement for a submission, each step with its answer:

    down window                 HTTP 503                        (fault "down")
    denied account              HTTP 401, maKetQua "401"        (fault "deny")
    burst_5xx                   HTTP 503                        (fault "burst_5xx")
    rate_429 dice               HTTP 429 + Retry-After          (fault "429")
    error_rate dice             HTTP 500                        (fault "error")
    token / passwordHash wrong  HTTP 401, maKetQua "401"
    account not the facility's  HTTP 200, maKetQua "403"
    form or document wrong      HTTP 200, maKetQua "400", thongDiep lists the error codes
    (validator, signature, the `refuse` keys)
    accepted                    HTTP 200, maKetQua "200", maGiaoDich, thoiGianTiepNhan; stored
    then timeout_rate dice      no answer (hang)                (fault "timeout")
    or reset_rate dice          connection reset                (fault "reset")
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from adapters.portal.outcomes import format_portal_time
from adapters.portal.paths import LOAI_HO_SO, route_of
from adapters.portal.simulator import cards
from adapters.portal.simulator.faults import Draw
from adapters.portal.simulator.keys import STATE
from adapters.portal.simulator.state import Receipt, SimState
from gateway.signing import SigningError, verify
from gateway.xml.errors import XmlError
from gateway.xml.validate import validate

_VALIDATOR_VERSIONS = {"130": "130", "4750": "4750"}  # no QĐ 3176 schema yet: checked as 4750
_FORM_FIELDS = ("username", "loaiHoSo", "maTinh", "maCSKCB")


@dataclass(frozen=True)
class Verdict:
    """The simulator's answer to one submission, before it is given."""

    status: int
    body: dict[str, Any]
    fault: str | None = None
    keys: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    ma_giao_dich: str | None = None


async def take_token(request: web.Request) -> web.StreamResponse:
    """`POST /api/token/take`: form (or JSON) username + password MD5 -> APIKey."""
    state = request.app[STATE]
    faults = state.faults
    if faults.latency_ms[1]:
        await asyncio.sleep(state.token_latency())
    if faults.is_down(state.elapsed()):
        return _answer(Verdict(503, {"maKetQua": "503", "thongDiep": "portal down (simulated)"}))
    fields = await _fields(request)
    username = fields.get("username", "")
    state.token_requests[username] += 1
    expected = state.accounts.get(username)
    password = fields.get("password", "").upper()
    if username in faults.deny or expected is None or password != expected:
        return _answer(Verdict(200, {"maKetQua": "401", "thongDiep": "Sai tài khoản hoặc mật khẩu"}))
    now = state.config.clock()
    expires = now + state.config.token_lifetime
    access, issued = state.new_token(username, expires)
    key = {
        "access_token": access,
        "id_token": issued.id_token,
        "token_type": "Bearer",
        "username": username,
        # vendor practice: absolute UTC, seven fractional digits
        "expires_in": expires.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
    }
    return _answer(Verdict(200, {"maKetQua": "200", "APIKey": key}))


async def submit(request: web.Request) -> web.StreamResponse:
    """The submission endpoints (`guiHoSoXml…`, `checkInKcb…`, `guiDuLieuGdyk…`)."""
    state = request.app[STATE]
    number, dice = state.next_api_request()
    if dice.latency_s:
        await asyncio.sleep(dice.latency_s)
    fields = await _fields(request)
    document = _decode(fields.get("fileHSBase64", ""))
    at = state.config.clock()
    verdict = _judge_submission(state, request, fields, document, number, dice)
    accepted = verdict.ma_giao_dich is not None
    after = ("timeout" if dice.hang else "reset" if dice.reset else None) if accepted else None
    content = document or b""
    receipt = state.record(Receipt(
        state.next_seq(), at, request.path, fields.get("username", ""), fields.get("maCSKCB", ""),
        fields.get("loaiHoSo", ""), hashlib.sha256(content).hexdigest(), len(content), verdict.keys,
        verdict.status, str(verdict.body.get("maKetQua", "")), verdict.ma_giao_dich,
        after or verdict.fault, content if state.config.keep_documents else b"",
    ))  # fmt: skip
    if accepted:
        state.store(receipt)
    if after == "timeout":
        await _hang(state)
    elif after == "reset":
        _reset(request)
    return _answer(verdict)


async def lookup_card(request: web.Request) -> web.StreamResponse:
    """`POST /api/egw/KQNhanLichSuKCB2024?token=&id_token=&username=&password=` (JSON body)."""
    state = request.app[STATE]
    number, dice = state.next_api_request()
    if dice.latency_s:
        await asyncio.sleep(dice.latency_s)
    query = request.query
    username = query.get("username", "")
    refusal = _faults_verdict(state, username, number, dice)
    if refusal is not None:
        return _answer(refusal)
    token = state.tokens.get(query.get("token", ""))
    if (
        token is None
        or token.id_token != query.get("id_token")
        or token.username != username
        or state.config.clock() >= token.expires_at
        or query.get("password", "").upper() != state.accounts.get(username)
    ):
        return _answer(Verdict(200, cards.answer_for("401")))
    body = await _fields(request)
    answer = cards.lookup(state.cards, body, username, state.config.clock())
    if dice.hang:
        await _hang(state)
    elif dice.reset:
        _reset(request)
    return _answer(Verdict(200, answer))


def _judge_submission(
    state: SimState, request: web.Request, fields: Mapping[str, str], document: bytes | None,
    number: int, dice: Draw,
) -> Verdict:  # fmt: skip
    username = fields.get("username", "")
    refusal = _faults_verdict(state, username, number, dice)
    if refusal is not None:
        return refusal
    problem = _token_problem(state, request, username)
    if problem:
        return Verdict(401, {"maKetQua": "401", "thongDiep": problem})
    facility = fields.get("maCSKCB", "")
    if username.split("_", 1)[0] != facility:
        return Verdict(200, {"maKetQua": "403", "thongDiep": f"{username} may not submit for {facility}"})
    route = route_of(request.path)
    assert route is not None  # only submission paths are routed here
    kind, version = route
    missing = [name for name in (*_FORM_FIELDS, "fileHSBase64") if not fields.get(name)]
    if missing:
        return _refuse(f"missing form fields: {', '.join(missing)}")
    if fields["loaiHoSo"] != LOAI_HO_SO[kind]:
        return _refuse(f"loaiHoSo {fields['loaiHoSo']} is not {LOAI_HO_SO[kind]} for this endpoint")
    if fields["maTinh"] != facility[:2]:
        return _refuse(f"maTinh {fields['maTinh']} is not the province of {facility}")
    if document is None:
        return _refuse("fileHSBase64 is not base64")
    report = validate(document, version=_VALIDATOR_VERSIONS.get(version or "4750", "4750"))
    keys = report.ma_lk
    if report.document_type != kind:
        return _refuse(f"a {report.document_type} document sent to the {kind} endpoint", keys)
    if report.facility not in (None, facility):
        return _refuse(f"the document names facility {report.facility}, not {facility}", keys)
    if state.config.validate and not report.valid:
        return _refuse("; ".join(dict.fromkeys(p.code for p in report.errors)), keys)
    rejected = _signature_problem(state, document, facility)
    if rejected:
        return _refuse(rejected, keys)
    refused = sorted(set(keys) & state.faults.refuse)
    if refused:
        return Verdict(200, _refusal(f"refused (simulated): {', '.join(refused)}"), "refuse", keys)
    ma_giao_dich = state.new_transaction_id()
    body = {
        "maKetQua": "200",
        "maGiaoDich": ma_giao_dich,
        "thoiGianTiepNhan": format_portal_time(state.config.clock()),
        "thongDiep": "Tiếp nhận hồ sơ thành công",
    }
    return Verdict(200, body, keys=keys, ma_giao_dich=ma_giao_dich)


def _faults_verdict(state: SimState, username: str, number: int, dice: Draw) -> Verdict | None:
    faults = state.faults
    if faults.is_down(state.elapsed()):
        return Verdict(503, {"maKetQua": "503", "thongDiep": "portal down (simulated)"}, "down")
    if username in faults.deny:
        return Verdict(401, {"maKetQua": "401", "thongDiep": "account denied (simulated)"}, "deny")
    if faults.in_burst(number):
        return Verdict(503, {"maKetQua": "503", "thongDiep": "overloaded (simulated)"}, "burst_5xx")
    if dice.too_many:
        return Verdict(429, {"maKetQua": "429", "thongDiep": "too many requests (simulated)"},
                       "429", headers={"Retry-After": _retry_after(state)})  # fmt: skip
    if dice.error:
        return Verdict(500, {"maKetQua": "500", "thongDiep": "server error (simulated)"}, "error")
    return None


def _token_problem(state: SimState, request: web.Request, username: str) -> str | None:
    token = state.tokens.get(request.headers.get("accessToken", ""))
    if token is None or token.id_token != request.headers.get("tokenId"):
        return "unknown token"
    if token.username != username:
        return "the token belongs to another account"
    if state.config.clock() >= token.expires_at:
        return "token expired"
    if request.headers.get("passwordHash", "").upper() != state.accounts.get(username):
        return "wrong passwordHash"
    return None


def _signature_problem(state: SimState, document: bytes, facility: str) -> str | None:
    trust = state.config.trust
    if trust is None:
        return None
    try:
        verify(document, trust, state.config.clock(), submitter=facility)
    except (SigningError, XmlError) as exc:
        return f"{exc.code}: {exc.message}"
    return None


def _refuse(message: str, keys: tuple[str, ...] = ()) -> Verdict:
    return Verdict(200, _refusal(message), keys=keys)


def _refusal(message: str) -> dict[str, Any]:
    return {"maKetQua": "400", "maGiaoDich": "", "thoiGianTiepNhan": "", "thongDiep": message}


def _retry_after(state: SimState) -> str:
    faults = state.faults
    if not faults.retry_after_date:
        return f"{faults.retry_after_s:g}"
    when = state.config.clock() + timedelta(seconds=faults.retry_after_s)
    return format_datetime(when, usegmt=True)


async def _fields(request: web.Request) -> dict[str, str]:
    """The request's form or JSON body as strings (the guide allows either for the token)."""
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True) if text else b""
    except (binascii.Error, ValueError):
        return None


async def _hang(state: SimState) -> None:
    """Answer nothing for `hang_s`, or until the simulator stops (the client's timeout fires)."""
    try:
        await asyncio.wait_for(state.released.wait(), state.faults.hang_s)
    except TimeoutError:
        pass


def _reset(request: web.Request) -> None:
    """Reset the connection (TCP RST: linger 0, then abort) without an answer."""
    transport = request.transport
    if transport is None:
        raise asyncio.CancelledError
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    raise asyncio.CancelledError  # aiohttp drops a cancelled handler's response quietly


def _answer(verdict: Verdict) -> web.Response:
    return web.json_response(verdict.body, status=verdict.status, headers=dict(verdict.headers),
                             dumps=lambda obj: json.dumps(obj, ensure_ascii=False))  # fmt: skip
