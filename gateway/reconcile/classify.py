"""From the per-field levels to what the operator reads: category, linked citizen, ``fields``,
``details`` and the proposed authoritative values.

Written once as SQL over the internal level columns (see `LEVEL_COLUMNS`) and used twice: when
the ID pass creates ``rc_results`` (for the records SQL settled) and again for the few records
the identity toolkit settled in Python. The linkage issue's pass writes the same columns for
the records it links on demographics.

The ID is trusted (`TrustRule`) when at least two of these hold: the names are similar
(`compare_names` similarity >= 0.85; 1.0 when they are the same or differ only in marks), the
birth years are the same, the genders agree (3, unknown, agrees with anything). A record whose
ID names a citizen it is not is NOT_FOUND with ``so_cccd:wrong_person``; the linkage pass may
then find who it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.model import OUTPUT_COLUMNS

# The internal columns a source relation must have for `classification_sql`.
LEVEL_COLUMNS = (
    "_citizen",  # so_dinh_danh of the citizen the ID names (trusted or not), else NULL
    "_linked_by",  # 'so_cccd' | 'so_cmnd' (an old 9-digit ID) | NULL
    "_id_status",  # unlinked: 'missing' | 'malformed' | 'unknown'
    "_name_level",  # 'same' | a compare_names kind | 'unresolved'
    "_name_encoding",  # a legacy encoding was repaired on either side
    "_name_similarity",  # compare_names similarity, NULL when not computed
    "_date_level",  # 'same' | 'precision' | 'day_month_swapped' | 'different'
    "_year_agrees",
    "_gender_level",  # 'same' | 'different'
    "_address_level",  # 'same' | 'different'
    "_inconsistent",  # the authority's ID contradicts its own birth date or gender
    "_p_ho_ten",
    "_p_ngay_sinh",
    "_p_gioi_tinh",
    "_p_ma_tinh",
    "_p_ma_huyen",
    "_p_ma_xa",
)

# The output columns classification writes (the rest: the key, and what later passes fill).
CLASSIFIED_COLUMNS = tuple(
    c for c in OUTPUT_COLUMNS if c not in ("record_id", "score", "duplicate_group")
)


@dataclass(frozen=True)
class TrustRule:
    """When an ID that names a citizen is taken to be that citizen's: at least
    ``min_agreeing`` of (name similarity >= ``min_name_similarity``, same birth year, gender
    agrees). Raises ValueError from the constructor for values out of range."""

    min_name_similarity: float = 0.85
    min_agreeing: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_name_similarity <= 1.0 or not 0 <= self.min_agreeing <= 3:
            raise ValueError("min_name_similarity must be in [0, 1] and min_agreeing in 0..3")

    def sql(self) -> str:
        """A boolean over `LEVEL_COLUMNS`: the record is linked and its ID trusted. Raises nothing."""
        agreeing = (
            f"coalesce(_name_similarity >= {self.min_name_similarity!r}, false)::INTEGER"
            " + coalesce(_year_agrees, false)::INTEGER"
            " + coalesce(_gender_level = 'same', false)::INTEGER"
        )
        return f"(_citizen IS NOT NULL AND {agreeing} >= {self.min_agreeing})"

    def needs_name(self) -> str:
        """A boolean over `LEVEL_COLUMNS`: the name comparison can change whether the ID is
        trusted (with both birth year and gender against it, no name can save it). Raises nothing."""
        if self.min_agreeing <= 1:
            return "true"
        return "(coalesce(_year_agrees, true) OR coalesce(_gender_level = 'same', true))"


def classification_sql(source: str, rule: TrustRule) -> str:
    """A SELECT over ``source`` (a relation with `LEVEL_COLUMNS` and none of
    `CLASSIFIED_COLUMNS`) giving all of its columns and `CLASSIFIED_COLUMNS`. Raises nothing."""
    d = DIALECT
    trusted = "_trusted"
    name_differs = f"{trusted} AND _name_level <> 'same'"
    date_differs = f"{trusted} AND _date_level <> 'same'"
    gender_differs = f"{trusted} AND _gender_level <> 'same'"
    address_differs = f"{trusted} AND _address_level <> 'same'"
    id_detail = (
        f"CASE WHEN _citizen IS NULL THEN 'so_cccd:' || _id_status WHEN NOT {trusted} THEN 'so_cccd:wrong_person' "
        "WHEN _linked_by = 'so_cmnd' THEN 'so_cccd:old_id' END"
    )
    name_detail = (
        f"CASE WHEN {name_differs} THEN CASE WHEN _name_level = 'encoding' THEN 'ho_ten:encoding' "
        "ELSE concat_ws('|', CASE WHEN _name_encoding THEN 'ho_ten:encoding' END, 'ho_ten:' || _name_level) END END"
    )
    details = d.concat_ws(
        "|",
        (
            id_detail,
            f"CASE WHEN {trusted} AND _inconsistent THEN 'so_cccd:inconsistent' END",
            name_detail,
            f"CASE WHEN {date_differs} THEN 'ngay_sinh:' || _date_level END",
            f"CASE WHEN {gender_differs} THEN 'gioi_tinh:' || _gender_level END",
            f"CASE WHEN {address_differs} THEN 'dia_chi:' || _address_level END",
        ),
    )
    fields = d.concat_ws(
        "|",
        (
            f"CASE WHEN _citizen IS NULL OR NOT {trusted} OR _linked_by = 'so_cmnd' THEN 'so_cccd' END",
            f"CASE WHEN {name_differs} THEN 'ho_ten' END",
            f"CASE WHEN {date_differs} THEN 'ngay_sinh' END",
            f"CASE WHEN {gender_differs} THEN 'gioi_tinh' END",
            f"CASE WHEN {address_differs} THEN 'dia_chi' END",
        ),
    )
    return f"""
SELECT * EXCLUDE ({trusted}),
  CASE WHEN NOT {trusted} THEN 'NOT_FOUND' WHEN fields <> '' THEN 'MISMATCH' ELSE 'MATCH' END AS category
FROM (
  SELECT *,
    CASE WHEN {trusted} THEN _citizen END AS so_dinh_danh,
    {fields} AS fields,
    {details} AS details,
    CASE WHEN {name_differs} THEN _p_ho_ten END AS proposed_ho_ten,
    CASE WHEN {date_differs} THEN _p_ngay_sinh END AS proposed_ngay_sinh,
    CASE WHEN {gender_differs} THEN _p_gioi_tinh END AS proposed_gioi_tinh,
    CASE WHEN {address_differs} THEN _p_ma_tinh END AS proposed_ma_tinh,
    CASE WHEN {address_differs} THEN _p_ma_huyen END AS proposed_ma_huyen,
    CASE WHEN {address_differs} THEN _p_ma_xa END AS proposed_ma_xa,
    CASE WHEN {trusted} AND _linked_by = 'so_cmnd' THEN _citizen END AS proposed_so_cccd
  FROM (SELECT *, {rule.sql()} AS {trusted} FROM {source})
)
"""
