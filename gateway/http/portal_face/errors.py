"""Codes of the portal-compatible face (beyond the HTTP layer's `auth.*`, `http.*`, `rate.*`
and the intake's codes, which it reuses). They appear in `thongDiep` (or the card lookup's
`ghiChu`) as `(mã lỗi <code>)`."""

from __future__ import annotations

TLS_REQUIRED = "portal.tls_required"
LOCKED_OUT = "portal.locked_out"
DOCUMENT_TYPE = "portal.document_type"
VERSION = "portal.version"
LOAI_HO_SO = "portal.loai_ho_so"
TOKEN_STORE = "portal.token_store"
CARDS_UNAVAILABLE = "portal.cards_unavailable"

CODES: dict[str, str] = {
    TLS_REQUIRED: "the portal-compatible face refuses plain HTTP (no TLS, and no trusted TLS-terminating proxy "
    "saying X-Forwarded-Proto: https)",
    LOCKED_OUT: "too many bad passwords for this username on /api/token/take; retry after Retry-After",
    DOCUMENT_TYPE: "the document is not of the type the path takes (guiHoSoXml*: a GIAMDINHHS envelope; "
    "checkInKcb*: an XML0 check-in; guiDuLieuGdyk*: an XML12); nothing was stored",
    VERSION: "the path names a QĐ version (QD130 / QD4750 / QD3176) other than the one this gateway "
    "validates and delivers (schema_version); nothing was stored",
    LOAI_HO_SO: "the form's loaiHoSo is missing or contradicts the path and the document (130 envelope, "
    "0 check-in, 12 XML12); nothing was stored",
    TOKEN_STORE: "the gateway cannot read or write its portal-face tokens database now; retry later",
    CARDS_UNAVAILABLE: "the card lookup cannot be answered now: no portal account of the gateway for this "
    "facility, the account is refused by the portal, or the portal cannot be reached",
}
