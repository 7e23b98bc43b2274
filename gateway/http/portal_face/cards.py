"""The card and treatment-history lookup on the face: `POST /api/egw/KQNhanLichSuKCB2024`.

The HIS asks as it asks the portal (DOMAIN.md): `?token=&id_token=&username=&password=` in the
query string (the face's token, its id token, the account and the MD5 hex of its password),
body `maThe`, `hoTen`, `ngaySinh`, `hoTenCb`, `cccdCb` (JSON, a form or multipart). The gateway
checks the token like a submission's headers, then asks the portal itself through its own
portal client, as the token's facility, with the gateway's account for that facility
(adapters.portal: credentials from files or the environment, never the hospital's), and answers
the portal's JSON as it came.

What the gateway itself answers, in the same shape (every field present, `ghiChu` saying why,
with `(mã lỗi <code>)`):

    HTTP 200  maKetQua 205   a required body field is missing (the portal is not asked)
    HTTP 401  maKetQua 401   bad or expired token, id token, username or password
    HTTP 403  maKetQua 401   plain HTTP (portal.tls_required)
    HTTP 413 / 415 / 400     maKetQua 205: too large, not JSON/form, malformed body
    HTTP 429  maKetQua 500   the facility's rate (Retry-After)
    HTTP 503  maKetQua 500   no card lookup configured, the gateway's portal account refused,
                             the portal unreachable (portal.cards_unavailable; Retry-After)

The query string carries secrets, so the access log names only the route (gateway/http/logs.py
also strips `password`, `passwordHash`, `pass` and the tokens from any line that quotes a URL).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web

from adapters.portal import (
    AuthFailed,
    CardQuery,
    CardStatus,
    PortalClient,
    PortalDirectory,
    PortalSettings,
)
from adapters.portal.paths import CARD_LOOKUP_PATH
from gateway.http import keys
from gateway.http.auth import Kind, Principal
from gateway.http.errors import RATE_LIMITED, ApiError
from gateway.http.portal_face.errors import CARDS_UNAVAILABLE, TLS_REQUIRED
from gateway.http.portal_face.inputs import read_fields, secure
from gateway.http.portal_face.routes import FACE, check_session
from gateway.http.ratelimit import retry_after

_log = logging.getLogger("gateway.http.portal_face")
FIELDS = ("maKetQua", "ghiChu", "maThe", "hoTen", "ngaySinh", "gioiTinh", "diaChi", "maDKBD", "cqBHXH",
          "gtTheTu", "gtTheDen", "maKV", "ngayDu5Nam", "maSoBHXH", "maTheCu", "maTheMoi", "gtTheTuMoi",
          "gtTheDenMoi", "maDKBDMoi", "tenDKBDMoi")
QUESTION = ("maThe", "hoTen", "ngaySinh", "hoTenCb", "cccdCb")
MAX_FIELD = 200
UNAVAILABLE_RETRY = "30"


def add_routes(app: web.Application) -> None:
    """Register the card path (in openapi.yaml like every route; a test checks)."""
    app.router.add_post(CARD_LOOKUP_PATH, lookup_card)


def card_answer(code: str, note: str, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """An answer of the gateway's own in the lookup's shape: every field, empty but two."""
    body: dict[str, Any] = {name: "" for name in FIELDS}
    body.update(maKetQua=code, ghiChu=note, dsLichSuKCB2018=[], dsLichSuKT2018=[])
    return web.json_response(body, status=status, headers=headers, dumps=_dumps)


async def lookup_card(request: web.Request) -> web.Response:
    """POST /api/egw/KQNhanLichSuKCB2024 (module docstring)."""
    app = request.app
    face = app[FACE]
    if not secure(request):
        return card_answer("401", f"Cổng tiếp nhận chỉ nhận kết nối HTTPS (mã lỗi {TLS_REQUIRED})", 403)
    query = request.query
    try:
        session = check_session(face, query.get("token", ""), query.get("id_token", ""), query.get("password", ""))
    except ApiError as exc:
        return _from_error(exc)
    if query.get("username", "").strip() != session.username:
        return card_answer("401", "Xác thực không thành công: username không khớp với token (mã lỗi auth.invalid)",
                           401)
    request[keys.PRINCIPAL] = Principal(Kind.FACILITY, session.facility, via="portal-token")
    wait = app[keys.LIMITER].check(session.facility)
    if wait > 0:
        return card_answer("500", f"Quá nhiều yêu cầu, vui lòng thử lại sau (mã lỗi {RATE_LIMITED})", 429,
                           {"Retry-After": retry_after(wait)})
    try:
        fields = await read_fields(request, app[keys.SETTINGS].limits.json_body_bytes)
    except ApiError as exc:
        return _from_error(exc)
    asked = {name: fields.get(name, "").strip()[:MAX_FIELD] for name in QUESTION}
    missing = [name for name, value in asked.items() if not value]
    if missing:
        return card_answer("205", f"Thiếu tham số: {', '.join(missing)}")
    if face.cards is None:
        return _unavailable("cổng tiếp nhận chưa được cấu hình tra cứu thẻ")
    result = await face.cards.lookup_card(session.facility, CardQuery(
        card=asked["maThe"], name=asked["hoTen"], birth=asked["ngaySinh"],
        staff_name=asked["hoTenCb"], staff_cccd=asked["cccdCb"]))  # fmt: skip
    if isinstance(result, CardStatus):
        return web.json_response(dict(result.answer), dumps=_dumps)
    if isinstance(result, AuthFailed):
        # The gateway's own portal account: an operator's matter (delivery holds the facility
        # for the same reason), never the hospital's credentials.
        _log.warning(json.dumps({"event": "portal_face.card_lookup_refused", "facility": session.facility,
                                 "code": result.code}))
        return _unavailable("tài khoản cổng giám định của cổng tiếp nhận cho cơ sở này bị từ chối")
    wait_for = f"{max(1, round(result.retry_after))}" if result.retry_after else UNAVAILABLE_RETRY
    return _unavailable(f"không kết nối được cổng giám định ({result.reason})", wait_for)


def _unavailable(text: str, wait: str = UNAVAILABLE_RETRY) -> web.Response:
    return card_answer("500", f"Lỗi máy chủ: {text}, vui lòng thử lại sau (mã lỗi {CARDS_UNAVAILABLE})", 503,
                       {"Retry-After": wait})


def _from_error(exc: ApiError) -> web.Response:
    code = "401" if exc.status == 401 else "500" if exc.status >= 500 else "205"
    headers = {k: v for k, v in exc.headers.items() if k == "Retry-After"}
    response = card_answer(code, f"{exc.message} (mã lỗi {exc.code})", exc.status, headers)
    if exc.close:
        response.force_close()
    return response


class PortalCards:
    """The card lookups' portal client, as an app component: its own client session, the
    gateway's per-facility portal accounts (`directory`). Registers itself with the face."""

    name = "portal_face.cards"

    def __init__(self, app: web.Application, directory: PortalDirectory, settings: PortalSettings) -> None:
        self._app = app
        self._directory = directory
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._client: PortalClient | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._client = PortalClient(self._session, self._directory, clock=self._app[keys.CLOCK],
                                    settings=self._settings)
        self._app[FACE].cards = self._client

    async def stop(self) -> None:
        self._app[FACE].cards = None
        if self._session is not None:
            await self._session.close()


def portal_cards(
    directory: PortalDirectory, settings: PortalSettings | None = None
) -> Callable[[web.Application], PortalCards]:
    """A component factory for make_app(components=[...]): card lookups on the face answered
    through the gateway's portal client with the accounts of `directory`."""

    def factory(app: web.Application) -> PortalCards:
        return PortalCards(app, directory, settings or PortalSettings())

    return factory


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


