"""The portal's paths (DOMAIN.md, "The assessment portal's API") on the gateway.

A HIS switches to the gateway by changing only its base URL. Submissions go through the same
Intake.submit as `POST /api/v1/dossiers` (the same checks, signature policy, durable commit and
receipt); only the credentials and the answer's shape differ (answers.py). Before the intake,
the path's own contract is checked: the QĐ version it names must be the gateway's
`schema_version` (the one it validates with and delivers by), `loaiHoSo` must be the path's,
and the document's root must be the path's type (one extra parse of the outer document, with the
gateway's safe parser); a contradiction is refused with 400 and nothing is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from adapters.portal import CardLookupResult, CardQuery
from adapters.portal.paths import LOAI_HO_SO, route_of
from gateway.http import keys
from gateway.http.auth import Kind, Principal
from gateway.http.errors import (
    AUTH_EXPIRED,
    AUTH_INVALID,
    AUTH_MISSING,
    BAD_REQUEST,
    WRONG_FACILITY,
    ApiError,
)
from gateway.http.portal_face.accounts import AccountBook, normalise_md5
from gateway.http.portal_face.answers import answer, expires_in, from_error, portal_time, refusal
from gateway.http.portal_face.errors import (
    DOCUMENT_TYPE,
    LOCKED_OUT,
    TLS_REQUIRED,
    TOKEN_STORE,
    VERSION,
)
from gateway.http.portal_face.errors import LOAI_HO_SO as LOAI_CODE
from gateway.http.portal_face.inputs import decode_file, read_fields, secure
from gateway.http.portal_face.sessions import (
    FaceTokens,
    Session,
    TokenStoreError,
    id_token_matches,
    password_matches,
)
from gateway.http.ratelimit import RateLimiter, retry_after
from gateway.xml.dossier import ENVELOPE_ROOT, STANDALONE_ROOTS
from gateway.xml.errors import XmlInputError
from gateway.xml.safe import parse_bytes

MAX_FIELD = 200  # every form field but fileHSBase64

# path -> what the portal calls it; the path also fixes the document type and QĐ version
# (adapters/portal/paths.py, the same table the portal client sends by)
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
_KIND_OF_ROOT = {ENVELOPE_ROOT: "envelope", **STANDALONE_ROOTS}
_KIND_NAMES = {"envelope": "hồ sơ GIAMDINHHS", "XML0": "check-in XML0", "XML12": "giám định y khoa XML12"}


class CardSource(Protocol):
    """What answers card lookups as a facility, with the gateway's own portal account for it:
    adapters.portal.PortalClient (cards.py wires one)."""

    async def lookup_card(self, facility: str, query: CardQuery) -> CardLookupResult: ...


@dataclass
class Face:
    """The face's state, one per application. `cards` is set when a card-lookup component runs
    (cards.py); without it the card path answers 503."""

    accounts: AccountBook
    tokens: FaceTokens
    take_limiter: RateLimiter
    cards: CardSource | None = None


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
    if not secure(request):
        return refusal(403, "cổng tiếp nhận chỉ nhận kết nối HTTPS", code=TLS_REQUIRED, now=now)
    wait = face.take_limiter.check(request.remote or "unknown")
    if wait > 0:
        return refusal(429, "quá nhiều yêu cầu lấy token từ địa chỉ này", code="rate.limited",
                       headers={"Retry-After": retry_after(wait)}, now=now)
    try:
        fields = await read_fields(request, request.app[keys.SETTINGS].limits.json_body_bytes)
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
        return refusal(401, "sai tên đăng nhập hoặc mật khẩu", code=AUTH_INVALID, now=now)
    try:
        issued = await face.tokens.issue(account.username, account.facility, md5)
    except TokenStoreError:
        return refusal(503, "không lưu được token, vui lòng thử lại", code=TOKEN_STORE,
                       headers={"Retry-After": "5"}, now=now)
    request[keys.PRINCIPAL] = Principal(Kind.FACILITY, account.facility, via="portal-token")
    return answer(200, {"APIKey": {
        "access_token": issued.access_token,
        "id_token": issued.id_token,
        "token_type": "Bearer",
        "username": account.username,
        "expires_in": expires_in(issued.session.expires_at),
    }})


def check_session(face: Face, access: str, ident: str, password_hash: str) -> Session:
    """The session of a token after checking its id token and the password's MD5 (headers of a
    submission, the query string of a card lookup). Raises ApiError 401 (503 when the tokens
    database cannot be read)."""
    md5 = normalise_md5(password_hash.strip())
    access, ident = access.strip(), ident.strip()
    if not access or not ident or md5 is None:
        raise ApiError(401, AUTH_MISSING, "thiếu accessToken, tokenId hoặc passwordHash")
    try:
        session = face.tokens.lookup(access)
    except TokenStoreError:
        raise ApiError(503, TOKEN_STORE, "không đọc được token, vui lòng thử lại",
                       headers={"Retry-After": "5"}) from None
    if session is None:
        raise ApiError(401, AUTH_INVALID, "token không hợp lệ")
    if face.tokens.expired(session):
        raise ApiError(401, AUTH_EXPIRED, "token đã hết hạn, hãy lấy token mới")
    if not id_token_matches(session, ident):
        raise ApiError(401, AUTH_INVALID, "tokenId không khớp với token")
    if not password_matches(session, access, md5):
        raise ApiError(401, AUTH_INVALID, "passwordHash không đúng")
    return session


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
    if not secure(request):
        return refusal(403, "cổng tiếp nhận chỉ nhận kết nối HTTPS", code=TLS_REQUIRED, now=now)
    headers = request.headers
    session = check_session(app[FACE], headers.get("accessToken", ""), headers.get("tokenId", ""),
                            headers.get("passwordHash", ""))
    facility = session.facility
    principal = Principal(Kind.FACILITY, facility, via="portal-token")
    request[keys.PRINCIPAL] = principal
    wait = app[keys.LIMITER].check(facility)
    if wait > 0:
        return refusal(429, f"cơ sở {facility} gửi vượt quá tốc độ cho phép", code="rate.limited",
                       headers={"Retry-After": retry_after(wait)}, now=now)
    limit = app[keys.SETTINGS].limits.dossier_body_bytes * 4 // 3 + 64 * 1024
    fields = await read_fields(request, limit)
    if fields.get("username", session.username) != session.username:
        return refusal(401, "username không khớp với token", code=AUTH_INVALID, now=now)
    for name, expected in (("maCSKCB", facility), ("maTinh", facility[:2])):
        if name in fields and fields[name].strip() != expected:
            return refusal(403, f"{name} = {fields[name][:20]!r} không phải của cơ sở {facility} (token)",
                           code=WRONG_FACILITY, now=now)
    if "maCSKCB" not in fields:
        return refusal(400, "thiếu trường maCSKCB", code=BAD_REQUEST, now=now)
    kind = _check_path(request.path, fields.get("loaiHoSo", "").strip(), app[keys.SETTINGS].schema_version)
    body = decode_file(fields.get("fileHSBase64", ""))
    await _check_document_kind(request, body, kind)
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


def _check_path(path: str, loai: str, schema_version: str) -> str:
    """The document type the path takes, after checking the QĐ version it names against the one
    the gateway validates and delivers, and the form's loaiHoSo. Raises ApiError 400."""
    route = route_of(path)
    assert route is not None  # only the submission paths are routed here
    kind, version = route
    if version is not None and version != schema_version:
        raise ApiError(400, VERSION, f"đường dẫn {path} dành cho QĐ {version}; cổng tiếp nhận này kiểm tra và "
                       f"gửi hồ sơ theo QĐ {schema_version}: gửi tới đường dẫn có {schema_version}")
    expected = LOAI_HO_SO[kind]
    if loai != expected:
        shown = repr(loai[:20]) if loai else "trống"
        raise ApiError(400, LOAI_CODE, f"loaiHoSo {shown} không đúng: đường dẫn {path} nhận "
                       f"{_KIND_NAMES[kind]}, loaiHoSo = {expected}")
    return kind


async def _check_document_kind(request: web.Request, body: bytes, kind: str) -> None:
    """Refuse (400, nothing stored) a document that is not of the path's type. Only its root is
    looked at here, with the gateway's one safe parser; the intake checks everything else
    (a document that cannot be parsed at all is left to it, for the same error as the native
    API gives)."""
    limits = request.app[keys.SETTINGS].limits.parse_limits()
    try:
        tree = await asyncio.get_running_loop().run_in_executor(
            None, lambda: parse_bytes(body, what="fileHSBase64", limits=limits))
    except XmlInputError:
        return
    root = tree.getroot()
    tag = root.tag if isinstance(root.tag, str) else ""
    found = _KIND_OF_ROOT.get(tag)
    if found is not None and found != kind:
        raise ApiError(400, DOCUMENT_TYPE, f"tài liệu gửi lên là {_KIND_NAMES[found]} nhưng đường dẫn "
                       f"{request.path} nhận {_KIND_NAMES[kind]}; không lưu")
