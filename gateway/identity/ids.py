"""Personal and insurance identifiers: parse, explain, and check against other facts.

- CCCD, the 12-digit personal ID (Decree 137/2015/NĐ-CP, Circular 07/2016/TT-BCA): province
  of birth registration, century + gender, year of birth, six random digits;
- CMND, the old 9-digit ID card: issuing province prefix only (and it changed with moves);
- passport: one capital letter and 7 digits;
- the 15-character health-insurance card code and its 10-digit social insurance number.

QĐ 130's SO_CCCD accepts any of the first three (`parse_person_id`). Values are personal
data: dataclass reprs and `explain()` show them masked (`mask.mask_id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from gateway.identity._data import read_rows
from gateway.identity.dates import BirthDate, parse_birth_date
from gateway.identity.errors import IdentityFormatError
from gateway.identity.mask import mask_id

PROVINCES: dict[str, str] = {code: name for code, name, *_ in read_rows("provinces.tsv")}
PARTICIPANT_GROUPS: dict[str, str] = {
    code: description for code, _, description, *_ in read_rows("participant_groups.tsv")
}

# Circular 07/2016/TT-BCA, art. 7: the fourth digit is century and gender, (first year of the
# century, QĐ 130 gender code). 8/9 is the 24th century (2300-2399) in the Circular's text,
# not the 1800s: the scheme only looks forward from the 20th century.
# fmt: off
_CENTURY_GENDER: dict[str, tuple[int, int]] = {
    "0": (1900, 1), "1": (1900, 2),
    "2": (2000, 1), "3": (2000, 2),
    "4": (2100, 1), "5": (2100, 2),
    "6": (2200, 1), "7": (2200, 2),
    "8": (2300, 1), "9": (2300, 2),
}
# fmt: on
# Card character 3, benefit level -> share of covered costs paid by the fund (DOMAIN.md
# "Identity data"; Decision 1351/QĐ-BHXH: 1, 2, 5 full; 3 95 %; 4 80 %).
BENEFIT_PERCENT: dict[int, int] = {1: 100, 2: 100, 3: 95, 4: 80, 5: 100}

GENDER_NAMES = {1: "male", 2: "female", 3: "unknown"}  # QĐ 130 GIOI_TINH

Contradiction = Literal["birth_year", "century", "gender"]
TypoKind = Literal["substitution", "transposition"]

_CARD = re.compile(r"[A-Z]{2}[1-5]\d{2}\d{10}")
_PASSPORT = re.compile(r"[A-Z]\d{7}")


_LABELS = {"cccd": "CCCD", "cmnd": "CMND", "sin": "social insurance number"}


def _digits(kind: str, s: str, length: int) -> str:
    text = s.strip()
    if len(text) != length:
        raise IdentityFormatError(
            f"{kind}.length", f"a {_LABELS[kind]} has {length} digits, got {len(text)} characters"
        )
    if not (text.isascii() and text.isdigit()):
        raise IdentityFormatError(f"{kind}.digits", f"a {_LABELS[kind]} has only digits 0-9")
    return text


@dataclass(frozen=True)
class Cccd:
    """A 12-digit personal ID, with what its digits say. ``gender`` is the QĐ 130 code
    (1 male, 2 female); ``century`` the first year of the birth century (1900, 2000 ...)."""

    number: str = field(repr=False)
    province_code: str
    province: str
    century: int
    gender: int
    birth_year: int

    @property
    def masked(self) -> str:
        """The number as it may appear in a log line. Raises nothing."""
        return mask_id(self.number)

    def explain(self) -> str:
        """One English sentence, with the number masked. Raises nothing."""
        return (
            f"CCCD {self.masked}: birth registered in {self.province} ({self.province_code}), "
            f"{GENDER_NAMES[self.gender]}, born in {self.birth_year}"
        )


def parse_cccd(s: str) -> Cccd:
    """Parse a 12-digit personal ID (CCCD, also the 12-digit CMND of 2012-2016).

    Raises IdentityFormatError with code ``cccd.length`` (not 12 characters after trimming),
    ``cccd.digits`` (anything but 0-9) or ``cccd.province`` (first three digits not one of the
    63 codes of Circular 07/2016/TT-BCA Appendix 1).
    """
    number = _digits("cccd", s, 12)
    province = PROVINCES.get(number[:3])
    if province is None:
        raise IdentityFormatError(
            "cccd.province", f"{number[:3]} is not a province code of Circular 07/2016/TT-BCA"
        )
    century, gender = _CENTURY_GENDER[number[3]]
    return Cccd(number, number[:3], province, century, gender, century + int(number[4:6]))


@dataclass(frozen=True)
class CccdCheck:
    """What a CCCD contradicts among the other facts on a record; empty when consistent."""

    contradictions: tuple[Contradiction, ...]
    details: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the ID contradicts nothing. Raises nothing."""
        return not self.contradictions

    def explain(self) -> str:
        """One English sentence. Raises nothing."""
        return (
            "; ".join(self.details) if self.details else "the ID agrees with birth date and gender"
        )


def _gender_code(gender: int | str | None) -> int:
    if gender is None or gender == "":
        return 3
    try:
        code = int(gender)
    except ValueError:
        code = 0
    if code not in GENDER_NAMES:
        raise IdentityFormatError(
            "gender.code", f"gender {gender!r} is not a QĐ 130 GIOI_TINH code (1, 2 or 3)"
        )
    return code


def check(
    cccd: Cccd | str, birth_date: BirthDate | str | None, gender: int | str | None
) -> CccdCheck:
    """Say which of birth year, century and gender the ID contradicts.

    ``birth_date`` may be None (nothing to compare) or a string `parse_birth_date` accepts;
    ``gender`` is QĐ 130's GIOI_TINH (1 male, 2 female, 3 or None unknown: never contradicts).
    ``century`` means the birth year is in another century than digit 4 says; ``birth_year``
    that its last two digits differ from digits 5-6 (both can be true). Raises
    IdentityFormatError (from `parse_cccd`, `parse_birth_date`, or ``gender.code`` for a
    gender that is not 1, 2 or 3).
    """
    card = parse_cccd(cccd) if isinstance(cccd, str) else cccd
    born = parse_birth_date(birth_date) if isinstance(birth_date, str) else birth_date
    code = _gender_code(gender)
    found: list[Contradiction] = []
    details: list[str] = []
    if born is not None:
        if born.year // 100 * 100 != card.century:
            found.append("century")
            details.append(
                f"born in {born.year} but the ID's century digit says the {card.century}s"
            )
        if born.year % 100 != card.birth_year % 100:
            found.append("birth_year")
            details.append(
                f"born in {born.year} but the ID's year digits say {card.birth_year % 100:02d}"
            )
    if code != 3 and code != card.gender:
        found.append("gender")
        details.append(f"recorded {GENDER_NAMES[code]} but the ID says {GENDER_NAMES[card.gender]}")
    return CccdCheck(tuple(found), tuple(details))


@dataclass(frozen=True)
class Cmnd:
    """An old 9-digit ID card. Its first two digits name the issuing province in the CMND
    scheme (not the CCCD codes); it was reissued on moving, so it is a hint, never a key."""

    number: str = field(repr=False)
    province_prefix: str

    def explain(self) -> str:
        """One English sentence, with the number masked. Raises nothing."""
        return f"old 9-digit ID (CMND) {mask_id(self.number)}, issuing-province prefix {self.province_prefix}"


def parse_cmnd(s: str) -> Cmnd:
    """Parse an old 9-digit ID (CMND).

    Raises IdentityFormatError with code ``cmnd.length`` or ``cmnd.digits``.
    """
    number = _digits("cmnd", s, 9)
    return Cmnd(number, number[:2])


@dataclass(frozen=True)
class Passport:
    """A passport number: one capital letter (the series) and 7 digits."""

    number: str = field(repr=False)
    series: str

    def explain(self) -> str:
        """One English sentence, with the number masked. Raises nothing."""
        return f"passport {mask_id(self.number)}, series {self.series}"


def parse_passport(s: str) -> Passport:
    """Parse a passport number as QĐ 130's SO_CCCD allows it (one capital letter + 7 digits).

    Raises IdentityFormatError with code ``passport.format``.
    """
    number = s.strip()
    if not _PASSPORT.fullmatch(number):
        raise IdentityFormatError(
            "passport.format", "a passport number is one capital letter followed by 7 digits"
        )
    return Passport(number, number[0])


@dataclass(frozen=True)
class SocialInsuranceNumber:
    """The 10-digit social insurance number (mã số BHXH): lifelong, printed alone on cards
    issued since 2021, and the last 10 characters of the 15-character card code."""

    number: str = field(repr=False)

    def explain(self) -> str:
        """One English sentence, with the number masked. Raises nothing."""
        return f"social insurance number {mask_id(self.number)}"


def parse_social_insurance_number(s: str) -> SocialInsuranceNumber:
    """Parse a 10-digit social insurance number.

    Raises IdentityFormatError with code ``sin.length`` or ``sin.digits``.
    """
    return SocialInsuranceNumber(_digits("sin", s, 10))


@dataclass(frozen=True)
class CardCode:
    """A 15-character health-insurance card code (``^[A-Z]{2}[1-5]\\d{2}\\d{10}$``).

    ``group_description`` is None for a participant group missing from
    data/participant_groups.tsv; ``province`` is None for an issuing code that is not one of
    the 63 provinces. Neither is rejected: the portal is the authority on a card.
    """

    code: str = field(repr=False)
    group: str
    group_description: str | None
    benefit_level: int
    benefit_percent: int
    province_code: str
    province: str | None
    social_insurance_number: str = field(repr=False)

    @property
    def known_group(self) -> bool:
        """True when the participant group is in our list. Raises nothing."""
        return self.group_description is not None

    def explain(self) -> str:
        """One English sentence, with the numbers masked. Raises nothing."""
        group = self.group_description or "a participant group not in our list"
        province = self.province or "an issuing code that is not a province code"
        return (
            f"card {mask_id(self.code)}: group {self.group} ({group}), benefit level "
            f"{self.benefit_level} ({self.benefit_percent}% of covered costs), issued by "
            f"{province} ({self.province_code}), social insurance number "
            f"{mask_id(self.social_insurance_number)}"
        )


def parse_card_code(s: str) -> CardCode:
    """Parse a 15-character health-insurance card code (DOMAIN.md "Identity data").

    Raises IdentityFormatError with code ``card.length`` (not 15 characters after trimming),
    ``card.benefit_level`` (character 3 not 1-5) or ``card.format`` (any other deviation from
    two capital letters, a digit 1-5, two digits, ten digits).
    """
    code = s.strip()
    if len(code) != 15:
        raise IdentityFormatError("card.length", f"a card code has 15 characters, got {len(code)}")
    if not _CARD.fullmatch(code):
        if code[2] in "06789":
            raise IdentityFormatError(
                "card.benefit_level", f"benefit level (character 3) is {code[2]}, not 1-5"
            )
        raise IdentityFormatError(
            "card.format",
            "a card code is 2 capital letters, a level 1-5, 2 province digits and 10 digits",
        )
    level = int(code[2])
    province = PROVINCES.get("0" + code[3:5])
    return CardCode(
        code,
        code[:2],
        PARTICIPANT_GROUPS.get(code[:2]),
        level,
        BENEFIT_PERCENT[level],
        code[3:5],
        province,
        code[5:],
    )


def parse_person_id(s: str) -> Cccd | Cmnd | Passport:
    """Parse QĐ 130's SO_CCCD by its shape: 12 digits a CCCD, 9 digits a CMND, a capital
    letter and 7 digits a passport.

    Raises IdentityFormatError: ``person_id.shape`` when the shape is none of these, or the
    code of the parser chosen (``cccd.province``).
    """
    text = s.strip()
    if text.isascii() and text.isdigit():
        if len(text) == 12:
            return parse_cccd(text)
        if len(text) == 9:
            return parse_cmnd(text)
    elif _PASSPORT.fullmatch(text):
        return parse_passport(text)
    raise IdentityFormatError(
        "person_id.shape",
        f"a personal ID is 12 or 9 digits or a passport number, got {len(text)} characters",
    )


def typo_distance(a: str, b: str) -> TypoKind | None:
    """Name the single keying slip that turns ``a`` into ``b``: "substitution" (one character
    differs) or "transposition" (two adjacent characters swapped); None when they are equal,
    differ in length, or differ by more. Raises nothing.
    """
    if len(a) != len(b) or a == b:
        return None
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return "substitution"
    if (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    ):
        return "transposition"
    return None
