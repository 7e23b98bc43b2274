"""The portal's answer shapes, and how the gateway's refusals read in them.

Every answer of the face is a JSON object with `maKetQua` (the result code, a string) and, for
submissions, `maGiaoDich` (the gateway's message id), `thoiGianTiepNhan` (yyyyMMddHHmmss,
Asia/Ho_Chi_Minh) and `thongDiep` (a message a person at the hospital can read, in Vietnamese,
with the gateway's error code and, for validation failures, the table, field and MA_LK of each
problem). The HTTP status is the same number as `maKetQua`:

    200 received and stored durably (not yet assessed)
    400 malformed form, base64 or XML; the document, the QĐ version or loaiHoSo is not the
        path's (portal.document_type, portal.version, portal.loai_ho_so; nothing was stored)
    401 bad credentials / token / tokenId / passwordHash    403 the form or document names
    409 idempotency conflict                                    another facility, or plain HTTP
    413 too large                                           415 not a form or JSON body
    422 the document fails validation (the errors in thongDiep; nothing was stored)
    429 too many token requests / locked out / rate (Retry-After)
    500 gateway fault                                       503 store or tokens unavailable (Retry-After)

The card lookup answers in its own shape (cards.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway.http.errors import ApiError

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_LISTED = 20

_PREFIX = {
    400: "Dữ liệu gửi lên không đúng định dạng",
    401: "Xác thực không thành công",
    403: "Không được phép",
    409: "Xung đột dữ liệu",
    413: "Dữ liệu gửi lên quá lớn",
    415: "Định dạng yêu cầu không được hỗ trợ",
    422: "Hồ sơ không hợp lệ, không được tiếp nhận",
    429: "Quá nhiều yêu cầu, vui lòng thử lại sau",
    500: "Lỗi hệ thống của cổng tiếp nhận",
    503: "Cổng tiếp nhận tạm thời không lưu được hồ sơ, vui lòng gửi lại sau",
}


def portal_time(moment: datetime) -> str:
    """yyyyMMddHHmmss in Vietnam's time."""
    return moment.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


def expires_in(moment: datetime) -> str:
    """The portal's `expires_in`: absolute UTC, ISO 8601, seven fractional digits and Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0Z"


def answer(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"maKetQua": str(status), **body}, status=status, headers=headers,
                             dumps=_dumps)


def refusal(status: int, text: str, *, code: str | None = None, headers: Mapping[str, str] | None = None,
            now: datetime | None = None) -> web.Response:
    """A refused submission or token request in the portal's shape."""
    prefix = _PREFIX.get(status, "Lỗi")
    message = f"{prefix}: {text}" + (f" (mã lỗi {code})" if code else "")
    body: dict[str, Any] = {"maGiaoDich": "", "thoiGianTiepNhan": portal_time(now) if now else "",
                            "thongDiep": message}
    return answer(status, body, headers)


def from_error(exc: ApiError, now: datetime) -> web.Response:
    """An ApiError of the intake path (the same one the native API answers) in portal shape."""
    status = exc.status if exc.status in _PREFIX else 500
    headers = {k: v for k, v in exc.headers.items() if k == "Retry-After"}
    report = exc.extra.get("report")
    if isinstance(report, Mapping):
        text = describe_report(report)
    else:
        text = exc.message
        if isinstance(exc.extra.get("line"), int):
            text += f" (dòng {exc.extra['line']})"
    response = refusal(status, text, code=exc.code, headers=headers, now=now)
    if exc.close:
        response.force_close()
    return response


def describe_report(report: Mapping[str, Any]) -> str:
    """The validation errors as one line each: `[code] TABLE.FIELD (MA_LK x, bản ghi n): message`."""
    errors = [e for e in report.get("errors", []) if isinstance(e, Mapping)]
    lines = []
    for problem in errors[:MAX_LISTED]:
        where = ".".join(str(p) for p in (problem.get("table"), problem.get("field")) if p)
        place = []
        if problem.get("ma_lk"):
            place.append(f"MA_LK {problem['ma_lk']}")
        if problem.get("record") is not None:
            place.append(f"bản ghi {problem['record']}")
        if problem.get("line") is not None:
            place.append(f"dòng {problem['line']}")
        located = f"{where} ({', '.join(place)})" if place else where
        lines.append(f"[{problem.get('code')}] {located}: {problem.get('message')}".replace(" :", ":"))
    more = f"; và {len(errors) - MAX_LISTED} lỗi khác" if len(errors) > MAX_LISTED else ""
    return f"{len(errors)} lỗi: " + "; ".join(lines) + more


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
