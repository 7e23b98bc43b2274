"""The portal's endpoints as data: the path and `loaiHoSo` of each document type and version.

CV 3190/BHXH-CNTT gives the QĐ 130 paths; the QĐ 4750 and QĐ 3176 amendments put their number
in the path the same way (vendor practice). XML12 (medical assessment) has one known endpoint,
`guiDuLieuGdykQd130`, with `loaiHoSo` 12 (CV 3190 §4.2 "mặc định điền 12"); it is used for every
version until VSS publishes another.
"""

from __future__ import annotations

import enum

from adapters.portal.errors import DOCUMENT_TYPE, PortalConfigError

KNOWN_VERSIONS = ("130", "4750", "3176")
TOKEN_PATH = "/api/token/take"
CARD_LOOKUP_PATH = "/api/egw/KQNhanLichSuKCB2024"

# Document types as the validator's Report.document_type and the outbox's DocumentType name them.
ENVELOPE, CHECKIN, ASSESSMENT = "envelope", "XML0", "XML12"

_SUBMIT_PATHS: dict[tuple[str, str], str] = {
    (ENVELOPE, "130"): "/api/qd130/guiHoSoXmlQD130",
    (ENVELOPE, "4750"): "/api/qd130/guiHoSoXmlQD4750",
    (ENVELOPE, "3176"): "/api/qd130/guiHoSoXmlQD3176",
    (CHECKIN, "130"): "/api/qd130/checkInKcbQd130",
    (CHECKIN, "4750"): "/api/qd130/checkInKcbQd4750",
    (CHECKIN, "3176"): "/api/qd130/checkInKcbQd3176",
    (ASSESSMENT, "130"): "/api/qd130/guiDuLieuGdykQd130",
    (ASSESSMENT, "4750"): "/api/qd130/guiDuLieuGdykQd130",
    (ASSESSMENT, "3176"): "/api/qd130/guiDuLieuGdykQd130",
}
LOAI_HO_SO: dict[str, str] = {ENVELOPE: "130", CHECKIN: "0", ASSESSMENT: "12"}


def document_type_name(document_type: str | enum.Enum) -> str:
    """`"envelope"`, `"XML0"` or `"XML12"` from a string or an enum whose value is one.

    Raises PortalConfigError `portal.document_type` for anything else.
    """
    name = document_type.value if isinstance(document_type, enum.Enum) else document_type
    if name not in LOAI_HO_SO:
        raise PortalConfigError(DOCUMENT_TYPE, f"no portal endpoint for document type {name!r}")
    return str(name)


def submit_path(document_type: str | enum.Enum, version: str) -> str:
    """The path to POST a document of this type and schema version to.

    Raises PortalConfigError `portal.document_type` for an unknown type or version.
    """
    name = document_type_name(document_type)
    try:
        return _SUBMIT_PATHS[(name, version)]
    except KeyError:
        raise PortalConfigError(DOCUMENT_TYPE, f"no portal endpoint for {name} version {version!r}") from None


def route_of(path: str) -> tuple[str, str | None] | None:
    """The (document type, version) a submit path serves, for the simulator; None if none.

    The version is None when the path serves several (XML12's single endpoint).
    """
    matches = [key for key, value in _SUBMIT_PATHS.items() if value == path]
    if not matches:
        return None
    if len(matches) == 1:
        return matches[0]
    return (matches[0][0], None)


def submit_paths() -> tuple[str, ...]:
    """Every distinct submit path (the simulator serves them all)."""
    return tuple(dict.fromkeys(_SUBMIT_PATHS.values()))
