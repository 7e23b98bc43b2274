"""The portal's paths (DOMAIN.md, "The assessment portal's API") on the gateway.

A HIS switches to the gateway by changing only its base URL. Submissions go through the same
Intake.submit as `POST /api/v1/dossiers` (the same checks, signature policy, durable commit and
receipt); only the credentials and the answer's shape differ (answers.py).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import web

from gateway.http import keys
from gateway.http.auth import Kind, Principal
from gateway.http.errors import ApiError
from gateway.http.handling import read_body
from gateway.http.portal_face.accounts import AccountBook, normalise_md5
from gateway.http.portal_face.answers import answer, expires_in, from_error, portal_time, refusal
from gateway.http.portal_face.errors import LOCKED_OUT, TLS_REQUIRED
from gateway.http.portal_face.sessions import (
    FaceTokens,
    Session,
    id_token_matches,
    password_matches,
)
from gateway.http.ratelimit import RateLimiter, retry_after

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_FIELD = 200  # every form field but fileHSBase64

# path -> what the portal calls it; the document itself says what it is (the intake checks it)
SUBMISSIONS: dict[str, str] = {
    "/api/qd130/guiHoSoXmlQD130": "hồ sơ",
    "/api/qd130/guiHoSoXmlQD4750": "hồ sơ",
    "/api/qd130/guiHoSoXmlQD3176": "hồ sơ",
    "/api/qd130/checkInKcbQd130": "check-in",
    "/api/qd130/checkInKcbQd4750": "check-in",
    "/api/qd130/checkInKcbQd3176": "check-in",
    "/api/qd130/guiDuLieuGdykQd130": "giấy chứng nhận giám định y khoa",
}
TOKEN_PATH = "/api/token/take"


@dataclass
class Face:
    """The face's state, one per application."""

    accounts: AccountBook
    tokens: FaceTokens
    take_limiter: RateLimiter


FACE: web.AppKey[Face] = web.AppKey("portal_face")


def add_routes(app: web.Application) -> None:
    """Register the face's routes (every one is in openapi.yaml; a test checks)."""
    app.router.add_post(TOKEN_PATH, take_token)
    for path, label in SUBMISSIONS.items():
        app.router.add_post(path, _submitter(label))


# -- token -------------------------------------------------------------------------------------


async def take_token(request: web.Request) -> web.Response:
    """POST /api/token/take: `username` and `password` (MD5 hex) -> the portal's APIKey."""
    face = request.app[FACE]
    now = request.app[keys.CLOCK]()
    if not _secure(request):
        return refusal(403, "cổng tiếp nhận chỉ nhận kết nối HTTPS", code=TLS_REQUIRED, now=now)
    wait = face.take_limiter.check(request.remote or "unknown")
    if wait > 0:
        return refusal(429, "quá nhiều yêu cầu lấy token từ địa chỉ này", code="rate.limited",
                       headers={"Retry-After": retry_after(wait)}, now=now)
    try:
        fields = await _fields(request, request.app[keys.SETTINGS].limits.json_body_bytes)
    except ApiError as exc:
        return from_error(exc, now)
    username = fields.get("username", "")[:MAX_FIELD]
    password = fields.get("password", "")
    locked = face.accounts.locked_for(username)
    if locked > 0:
        return refusal(429, "tài khoản tạm khóa do đăng nhập sai nhiều lần", code=LOCKED_OUT,
                       headers={"Retry-After": retry_after(locked)}, now=now)
    account = await asyncio.get_running_loop().run_in_executor(None, face.accounts.check, username, password)
    face.accounts.record(username, account is not None)
    md5 = normalise_md5(password)
    if account is None or md5 is None:
        return refusal(401, "sai tên đăng nhập hoặc mật khẩu", code="auth.invalid", now=now)
    issued = face.tokens.issue(account.username, account.facility, md5)
    request[keys.PRINCIPAL] = Principal(Kind.FACILITY, account.facility, via="portal-token")
    return answer(200, {"APIKey": {
        "access_token": issued.access_token,
        "id_token": issued.id_token,
        "token_type": "Bearer",
        "username": account.username,
        "expires_in": expires_in(issued.session.expires_at),
    }})


# -- submissions -------------------------------------------------------------------------------


def _submitter(label: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        now = request.app[keys.CLOCK]()
        try:
            return await _submit(request, label)
        except ApiError as exc:
            return from_error(exc, now)

    handler.__name__ = "portal_submit"
    return handler


async def _submit(request: web.Request, label: str) -> web.Response:
    app = request.app
    now = app[keys.CLOCK]()
    if not _secure(request):
        return refusal(403, "cổng tiếp nhận chỉ nhận kết nối HTTPS", code=TLS_REQUIRED, now=now)
    session = _session(request)
    facility = session.facility
    principal = Principal(Kind.FACILITY, facility, via="portal-token")
    request[keys.PRINCIPAL] = principal
    wait = app[keys.LIMITER].check(facility)
    if wait > 0:
        return refusal(429, f"cơ sở {facility} gửi vượt quá tốc độ cho phép", code="rate.limited",
                       headers={"Retry-After": retry_after(wait)}, now=now)
    limit = app[keys.SETTINGS].limits.dossier_body_bytes * 4 // 3 + 64 * 1024
    fields = await _fields(request, limit)
    if fields.get("username", session.username) != session.username:
        return refusal(401, "username không khớp với token", code="auth.invalid", now=now)
    for name, expected in (("maCSKCB", facility), ("maTinh", facility[:2])):
        if name in fields and fields[name].strip() != expected:
            return refusal(403, f"{name} = {fields[name][:20]!r} không phải của cơ sở {facility} (token)",
                           code="auth.wrong_facility", now=now)
    if "maCSKCB" not in fields:
        return refusal(400, "thiếu trường maCSKCB", code="http.bad_request", now=now)
    body = _decode(fields.get("fileHSBase64", ""))
    result = await app[keys.INTAKE].submit(body, facility=facility, submitter=principal.subject)
    message = result.message
    request[keys.MESSAGE_ID] = message.message_id
    note = "đã tiếp nhận (đã có, không lưu lại)" if result.accepted.duplicate else "đã tiếp nhận"
    return answer(200, {
        "maGiaoDich": message.message_id,
        "thoiGianTiepNhan": portal_time(message.received_at),
        "thongDiep": f"Cổng tiếp nhận {note} {label} {', '.join(message.keys)[:300]}; "
                     f"trạng thái: GET /api/v1/dossiers/{message.message_id}",
    })


def _session(request: web.Request) -> Session:
    """The token's session after checking accessToken, tokenId and passwordHash; 401 otherwise."""
    face = request.app[FACE]
    access = request.headers.get("accessToken", "").strip()
    ident = request.headers.get("tokenId", "").strip()
    md5 = normalise_md5(request.headers.get("passwordHash", "").strip())
    if not access or not ident or md5 is None:
        raise ApiError(401, "auth.missing", "thiếu accessToken, tokenId hoặc passwordHash")
    session = face.tokens.lookup(access)
    if session is None:
        raise ApiError(401, "auth.invalid", "token không hợp lệ")
    if face.tokens.expired(session):
        raise ApiError(401, "auth.expired", "token đã hết hạn, hãy lấy token mới")
    if not id_token_matches(session, ident):
        raise ApiError(401, "auth.invalid", "tokenId không khớp với token")
    if not password_matches(face.tokens, session, md5):
        raise ApiError(401, "auth.invalid", "passwordHash không đúng")
    return session


def _decode(text: str) -> bytes:
    """fileHSBase64, tolerating `+` sent unencoded in a form (it arrives as a space) and line
    breaks."""
    cleaned = "".join(text.replace(" ", "+").split())
    if not cleaned:
        raise ApiError(400, "http.bad_request", "thiếu fileHSBase64")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "http.bad_request", "fileHSBase64 không phải base64 hợp lệ") from None


async def _fields(request: web.Request, limit: int) -> dict[str, str]:
    """The form (urlencoded) or JSON object fields as strings."""
    media = request.content_type
    if media not in (FORM, JSON):
        raise ApiError(415, "http.unsupported_media_type", f"gửi dạng {FORM} hoặc {JSON}")
    raw = await read_body(request, limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "http.bad_request", "dữ liệu không phải UTF-8") from None
    if media == FORM:
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        value = json.loads(text)
    except ValueError:
        raise ApiError(400, "http.bad_request", "JSON không hợp lệ") from None
    if not isinstance(value, dict):
        raise ApiError(400, "http.bad_request", "JSON phải là một đối tượng")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _secure(request: web.Request) -> bool:
    """Over TLS, through a trusted TLS-terminating proxy, or TLS not required (demo, tests)."""
    settings = request.app[keys.SETTINGS]
    if not settings.portal_face.require_tls or request.secure:
        return True
    if request.headers.get("X-Forwarded-Proto", "").lower() != "https" or not request.remote:
        return False
    try:
        address = ipaddress.ip_address(request.remote)
    except ValueError:
        return False
    return any(address in network for network in settings.proxy.networks())
