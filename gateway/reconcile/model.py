"""The reconciliation's vocabulary: input and output columns, categories, fields and the kinds
of difference reported in ``details``. Everything here is data that other modules (and the
linkage issue's passes) read; nothing here does work.
"""

from __future__ import annotations

from typing import Final, Literal

# Columns every input must have (extra insured columns are passed through to the output).
INSURED_COLUMNS: Final = (
    "record_id",
    "so_cccd",
    "ma_the",
    "ho_ten",
    "ngay_sinh",
    "gioi_tinh",
    "ma_tinh",
    "ma_huyen",
    "ma_xa",
)
POPULATION_COLUMNS: Final = (
    "so_dinh_danh",
    "so_cmnd",
    "ho_ten",
    "ngay_sinh",
    "gioi_tinh",
    "ma_tinh",
    "ma_huyen",
    "ma_xa",
)

OUTPUT_COLUMNS: Final = (
    "record_id",
    "category",
    "so_dinh_danh",
    "fields",
    "details",
    "score",
    "duplicate_group",
    "proposed_ho_ten",
    "proposed_ngay_sinh",
    "proposed_gioi_tinh",
    "proposed_ma_tinh",
    "proposed_ma_huyen",
    "proposed_ma_xa",
    "proposed_so_cccd",
)

Category = Literal["MATCH", "MISMATCH", "PROBABLE_MATCH", "REVIEW", "NOT_FOUND"]
CATEGORIES: Final[tuple[Category, ...]] = (
    "MATCH",
    "MISMATCH",
    "PROBABLE_MATCH",
    "REVIEW",
    "NOT_FOUND",
)

# The fields of `fields`, in the order they are listed.
FIELDS: Final = ("so_cccd", "ho_ten", "ngay_sinh", "gioi_tinh", "dia_chi")

# Every `details` entry, in the order they are listed. `so_cccd:typo` and
# `so_cccd:wrong_person` on a PROBABLE_MATCH are the linkage pass's; `so_cccd:inconsistent` is
# a data-quality flag on the authority's record, never a discrepant field.
DETAIL_KINDS: Final = (
    "so_cccd:missing",
    "so_cccd:malformed",
    "so_cccd:unknown",
    "so_cccd:typo",
    "so_cccd:wrong_person",
    "so_cccd:old_id",
    "so_cccd:inconsistent",
    "ho_ten:encoding",
    "ho_ten:diacritics",
    "ho_ten:regional_variant",
    "ho_ten:middle_name",
    "ho_ten:order",
    "ho_ten:spelling",
    "ho_ten:different",
    "ngay_sinh:precision",
    "ngay_sinh:day_month_swapped",
    "ngay_sinh:different",
    "gioi_tinh:different",
    "dia_chi:different",
)
FLAG_KINDS: Final = frozenset({"so_cccd:inconsistent"})


def join_details(kinds: set[str] | frozenset[str]) -> str:
    """The ``details`` value for a set of kinds: `DETAIL_KINDS` order, ``|``-separated.

    Raises ValueError for a kind that is not in `DETAIL_KINDS`.
    """
    unknown = set(kinds) - set(DETAIL_KINDS)
    if unknown:
        raise ValueError(f"unknown detail kinds: {sorted(unknown)}")
    return "|".join(kind for kind in DETAIL_KINDS if kind in kinds)


def fields_of(details: str) -> str:
    """The ``fields`` value that goes with a ``details`` value (flags are not fields).

    Raises nothing.
    """
    kinds = set(details.split("|")) - FLAG_KINDS if details else set()
    present = {kind.split(":", 1)[0] for kind in kinds}
    return "|".join(field for field in FIELDS if field in present)
