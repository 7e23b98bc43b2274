"""What the synthetic generator makes (synth.py): the kinds of discrepancy it injects, what this
issue's reconciliation must report for each, their default shares, and the spec of a run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

KIND_DETAILS: Mapping[str, str] = MappingProxyType(
    {
        "id_missing": "so_cccd:missing",
        "id_malformed": "so_cccd:malformed",
        "id_unknown": "so_cccd:unknown",
        "id_typo": "so_cccd:typo",
        "id_wrong_person": "so_cccd:wrong_person",
        "id_old": "so_cccd:old_id",
        "name_ascii": "ho_ten:diacritics",
        "name_partial": "ho_ten:diacritics",
        "name_utf8_double": "ho_ten:encoding",
        "name_cp1258": "ho_ten:encoding",
        "name_tcvn3": "ho_ten:encoding",
        "name_vni": "ho_ten:encoding",
        "name_regional": "ho_ten:regional_variant",
        "name_middle": "ho_ten:middle_name",
        "name_order": "ho_ten:order",
        "name_spelling": "ho_ten:spelling",
        "date_precision": "ngay_sinh:precision",
        "date_swapped": "ngay_sinh:day_month_swapped",
        "date_different": "ngay_sinh:different",
        "gender_different": "gioi_tinh:different",
        "address_different": "dia_chi:different",
    }
)
# Kinds whose ID does not link: the demographic linkage finds the citizen (PROBABLE_MATCH).
NOT_LINKED = ("id_missing", "id_malformed", "id_unknown", "id_typo", "id_wrong_person")
# name kind -> the pool variant it uses
NAME_VARIANT = {
    "name_ascii": "ascii",
    "name_partial": "partial",
    "name_utf8_double": "utf8_double",
    "name_cp1258": "cp1258",
    "name_tcvn3": "tcvn3",
    "name_vni": "vni",
    "name_regional": "regional",
    "name_middle": "middle",
    "name_order": "order",
}

# About 5% of records with a discrepancy in each field (the ID: 2% missing plus 4.5% other
# problems), shared among that field's kinds.
DEFAULT_RATES: Mapping[str, float] = MappingProxyType(
    {
        "id_missing": 0.02,
        "id_malformed": 0.005,
        "id_unknown": 0.005,
        "id_typo": 0.005,
        "id_wrong_person": 0.01,
        "id_old": 0.02,
        "name_ascii": 0.015,
        "name_partial": 0.005,
        "name_utf8_double": 0.0025,
        "name_cp1258": 0.0025,
        "name_tcvn3": 0.0025,
        "name_vni": 0.0025,
        "name_regional": 0.005,
        "name_middle": 0.005,
        "name_order": 0.005,
        "name_spelling": 0.005,
        "date_precision": 0.02,
        "date_swapped": 0.015,
        "date_different": 0.015,
        "gender_different": 0.05,
        "address_different": 0.05,
    }
)


def every_kind(rate: float) -> Mapping[str, float]:
    """Rates giving ``rate`` of the records to each `details` kind (kinds made several ways,
    such as the four legacy encodings, share it). Raises ValueError if they exceed 1."""
    by_detail: dict[str, list[str]] = {}
    for kind, detail in KIND_DETAILS.items():
        by_detail.setdefault(detail, []).append(kind)
    rates = {kind: rate / len(kinds) for kinds in by_detail.values() for kind in kinds}
    if sum(rates.values()) > 1:
        raise ValueError(f"{len(by_detail)} kinds at {rate} each exceed every record")
    return MappingProxyType(rates)


@dataclass(frozen=True)
class SynthSpec:
    """What to generate. ``insured`` defaults to ``citizens`` (one file as large as the other);
    ``rates`` maps injected kinds (`KIND_DETAILS`) to shares of insured records;
    ``inconsistent_rate`` is the share of citizens whose ID contradicts their own birth year
    or gender; ``name_pool`` the names drawn per gender (by frequency) to pick from."""

    citizens: int
    insured: int | None = None
    seed: int = 1
    rates: Mapping[str, float] = field(default_factory=lambda: DEFAULT_RATES)
    duplicate_rate: float = 0.01
    inconsistent_rate: float = 0.005
    name_pool: int = 20_000

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(KIND_DETAILS)
        if unknown:
            raise ValueError(f"unknown kinds: {sorted(unknown)}")
        if sum(self.rates.values()) > 1 or any(r < 0 for r in self.rates.values()):
            raise ValueError("rates must be non-negative and add up to at most 1")
        if self.insured_count * (1 - self.duplicate_rate) > self.citizens:
            raise ValueError("more insured first cards than citizens")

    @property
    def insured_count(self) -> int:
        """The number of insured records. Raises nothing."""
        return self.citizens if self.insured is None else self.insured

    @property
    def key(self) -> str:
        """A short name for this spec, for cache directories. Raises nothing."""
        rates = ",".join(f"{k}={v:g}" for k, v in sorted(self.rates.items()))
        return (
            f"c{self.citizens}-i{self.insured_count}-s{self.seed}-d{self.duplicate_rate:g}"
            f"-x{self.inconsistent_rate:g}-p{self.name_pool}-r{abs(hash_text(rates)):x}"
        )


def hash_text(text: str) -> int:
    """A stable (process-independent) 48-bit hash of ``text``. Raises nothing."""
    value = 0
    for char in text:
        value = (value * 131 + ord(char)) % (1 << 48)
    return value
