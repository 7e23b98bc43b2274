"""What the face reads from a request: the transport (TLS or a trusted proxy), and the fields of a
form (`application/x-www-form-urlencoded` or `multipart/form-data`, as HIS with file uploads send)
or a JSON object, within a byte limit counted while the body streams in.

Every refusal is a coded ApiError (400, 413, 415); the caller answers it in the portal's shape.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

from gateway.http import keys
from gateway.http.errors import BAD_REQUEST, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, ApiError
from gateway.http.handling import read_body

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
JSON = "application/json"
MEDIA = (FORM, MULTIPART, JSON)
MAX_PARTS = 32  # a portal form has five fields; more parts is not a HIS
# aiohttp's part reader buffers up to twice this ahead of what it returns (it looks for the
# boundary across reads); small enough that the limit is checked as the body arrives.
PART_CHUNK = 64 * 1024


def secure(request: web.Request) -> bool:
    """Over TLS, through a trusted TLS-terminating proxy (`[proxy] trusted` and
    `X-Forwarded-Proto: https`), or TLS not required (`gateway demo`, tests)."""
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


async def read_fields(request: web.Request, limit: int) -> dict[str, str]:
    """The body's fields as strings. Raises ApiError 415 (another media type), 413 (more than
    `limit` bytes: a declared length at once, otherwise as soon as the stream passes it; the
    connection is then closed), 400 (not UTF-8, bad JSON, a malformed multipart body)."""
    media = request.content_type
    if media not in MEDIA:
        raise ApiError(415, UNSUPPORTED_MEDIA_TYPE, f"gửi dạng {FORM}, {MULTIPART} hoặc {JSON}")
    if media == MULTIPART:
        return await _multipart(request, limit)
    text = _utf8(await read_body(request, limit))
    if media == FORM:
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        value = json.loads(text)
    except ValueError:
        raise ApiError(400, BAD_REQUEST, "JSON không hợp lệ") from None
    if not isinstance(value, dict):
        raise ApiError(400, BAD_REQUEST, "JSON phải là một đối tượng")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


async def _multipart(request: web.Request, limit: int) -> dict[str, str]:
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(413, TOO_LARGE, f"dữ liệu {declared} byte, tối đa {limit}", close=True)
    try:
        reader = await request.multipart()
        fields: dict[str, str] = {}
        total = 0
        for _ in range(MAX_PARTS + 1):
            part = await reader.next()
            if part is None:
                return fields
            if not isinstance(part, BodyPartReader) or not part.name:
                raise ApiError(400, BAD_REQUEST, "multipart: mỗi phần phải là một trường có tên")
            data = bytearray()
            while chunk := await part.read_chunk(PART_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise ApiError(413, TOO_LARGE, f"dữ liệu vượt quá {limit} byte", close=True)
                data += chunk
            fields.setdefault(part.name, _utf8(bytes(data)))  # the first of a repeated name counts
    except (ValueError, AssertionError, RuntimeError):
        # aiohttp's multipart reader says "malformed" with these (a missing boundary, a bad
        # part header); their text may quote the body, so it is not passed on.
        raise ApiError(400, BAD_REQUEST, "multipart/form-data không đúng định dạng") from None
    raise ApiError(400, BAD_REQUEST, f"multipart: quá {MAX_PARTS} phần")


def decode_file(text: str) -> bytes:
    """fileHSBase64: base64, tolerating `+` sent unencoded in a form (it arrives as a space),
    line breaks and missing padding. Raises ApiError 400."""
    cleaned = "".join(text.replace(" ", "+").split())
    if not cleaned:
        raise ApiError(400, BAD_REQUEST, "thiếu fileHSBase64")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, BAD_REQUEST, "fileHSBase64 không phải base64 hợp lệ") from None


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, BAD_REQUEST, "dữ liệu không phải UTF-8") from None
