"""A dossier envelope being assembled: its episodes (one HOSO each) and how it is packed."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.samples.build import InnerFile, envelope, table_document
from gateway.samples.episode import Episode


@dataclass
class Dossier:
    """The content of one GIAMDINHHS envelope before it is written.

    `declared_count` (SOLUONGHOSO) and `cut` (characters dropped from the end of a
    NOIDUNGFILE, by (HOSO index, LOAIHOSO)) stay None/empty unless a defect sets them.
    """

    facility: str  # MACSKCB
    created: str  # NGAYLAP, yyyyMMdd
    episodes: list[Episode]
    declared_count: int | None = None
    cut: dict[tuple[int, str], int] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """The envelope document (UTF-8), every table of every episode base64-encoded."""
        hosos = [
            [
                InnerFile(name, table_document(name, rows))
                for name, rows in ep.tables.items()
                if rows
            ]
            for ep in self.episodes
        ]
        return envelope(
            self.facility, self.created, hosos, declared_count=self.declared_count, cut=self.cut
        )
