"""Codes of the portal-compatible face (beyond the HTTP layer's `auth.*`, `http.*`, `rate.*`
and the intake's codes, which it reuses). They appear in `thongDiep` as `(mã lỗi <code>)`."""

from __future__ import annotations

TLS_REQUIRED = "portal.tls_required"
LOCKED_OUT = "portal.locked_out"

CODES: dict[str, str] = {
    TLS_REQUIRED: "the portal-compatible face refuses plain HTTP (no TLS, and no trusted TLS-terminating proxy "
    "saying X-Forwarded-Proto: https)",
    LOCKED_OUT: "too many bad passwords for this username on /api/token/take; retry after Retry-After",
}
