"""Identity toolkit: names, birth dates and ID numbers (pure functions over strings)."""

from gateway.identity.dates import BirthDate, compare_birth_dates, parse_birth_date
from gateway.identity.encoding import decodings, repair_encoding
from gateway.identity.errors import BirthDateError, IdentityError, IdentityFormatError
from gateway.identity.ids import (
    CardCode,
    Cccd,
    CccdCheck,
    Cmnd,
    Passport,
    SocialInsuranceNumber,
    check,
    parse_card_code,
    parse_cccd,
    parse_cmnd,
    parse_passport,
    parse_person_id,
    parse_social_insurance_number,
    typo_distance,
)
from gateway.identity.mask import mask_id, mask_name
from gateway.identity.names import (
    NameComparison,
    compare_names,
    fold_name,
    folded_similarity,
    normalize_name,
)

__all__ = [
    "BirthDate",
    "BirthDateError",
    "CardCode",
    "Cccd",
    "CccdCheck",
    "Cmnd",
    "IdentityError",
    "IdentityFormatError",
    "NameComparison",
    "Passport",
    "SocialInsuranceNumber",
    "check",
    "compare_birth_dates",
    "compare_names",
    "decodings",
    "fold_name",
    "folded_similarity",
    "mask_id",
    "mask_name",
    "normalize_name",
    "parse_birth_date",
    "parse_card_code",
    "parse_cccd",
    "parse_cmnd",
    "parse_passport",
    "parse_person_id",
    "parse_social_insurance_number",
    "repair_encoding",
    "typo_distance",
]
