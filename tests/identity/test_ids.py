"""Personal IDs, card codes, keying slips and masking."""

from __future__ import annotations

import pytest

from gateway.identity import (
    Cccd,
    Cmnd,
    IdentityFormatError,
    Passport,
    check,
    mask_id,
    mask_name,
    parse_birth_date,
    parse_card_code,
    parse_cccd,
    parse_cmnd,
    parse_passport,
    parse_person_id,
    parse_social_insurance_number,
    typo_distance,
)
from gateway.identity.ids import PARTICIPANT_GROUPS, PROVINCES


def test_province_list_has_the_63_codes_of_circular_07() -> None:
    assert len(PROVINCES) == 63
    assert PROVINCES["001"] == "Hà Nội"
    assert PROVINCES["079"] == "TP Hồ Chí Minh"
    assert PROVINCES["096"] == "Cà Mau"


@pytest.mark.parametrize(
    ("number", "century", "gender", "year"),
    [
        ("001090012345", 1900, 1, 1990),
        ("001185012345", 1900, 2, 1985),
        ("079205012345", 2000, 1, 2005),
        ("079323012345", 2000, 2, 2023),
        ("048401012345", 2100, 1, 2101),
        ("048501012345", 2100, 2, 2101),
        ("048601012345", 2200, 1, 2201),
        ("048701012345", 2200, 2, 2201),
        ("048801012345", 2300, 1, 2301),  # Circular 07/2016 art. 7: 8/9 = the 24th century
        ("048901012345", 2300, 2, 2301),
    ],
)
def test_parse_cccd_reads_century_gender_and_birth_year(
    number: str, century: int, gender: int, year: int
) -> None:
    cccd = parse_cccd(number)
    assert (cccd.century, cccd.gender, cccd.birth_year) == (century, gender, year)


def test_parse_cccd_names_the_province_of_birth_registration() -> None:
    cccd = parse_cccd("038190012345")
    assert (cccd.province_code, cccd.province) == ("038", "Thanh Hóa")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("00109001234", "cccd.length"),
        ("0010900123456", "cccd.length"),
        ("00109001234A", "cccd.digits"),
        ("００１０９００１２３４５", "cccd.digits"),  # full-width digits are not digits here
        ("003090012345", "cccd.province"),  # 003 is not in Appendix 1
        ("099090012345", "cccd.province"),
    ],
)
def test_parse_cccd_rejects_bad_input_with_a_code(text: str, code: str) -> None:
    with pytest.raises(IdentityFormatError) as caught:
        parse_cccd(text)
    assert caught.value.code == code


def test_parse_cccd_error_does_not_repeat_the_number() -> None:
    with pytest.raises(IdentityFormatError) as caught:
        parse_cccd("003090012345")
    assert "003090012345" not in str(caught.value)


def test_cccd_repr_and_explanation_mask_the_number() -> None:
    cccd = parse_cccd("001090012389")
    assert "001090012389" not in repr(cccd)
    assert (
        cccd.explain() == "CCCD 001*******89: birth registered in Hà Nội (001), male, born in 1990"
    )


@pytest.mark.parametrize(
    ("birth", "gender", "contradictions"),
    [
        ("19900315", 1, ()),
        ("1990", "1", ()),
        (None, None, ()),
        ("19900315", 3, ()),  # unknown gender never contradicts
        ("19850315", 1, ("birth_year",)),
        ("20900315", 1, ("century",)),
        ("20050315", 1, ("century", "birth_year")),
        ("19900315", 2, ("gender",)),
        ("19850315", "2", ("birth_year", "gender")),
    ],
)
def test_check_names_what_the_id_contradicts(
    birth: str | None, gender: int | str | None, contradictions: tuple[str, ...]
) -> None:
    cccd = parse_cccd("001090012345")
    born = parse_birth_date(birth) if birth else None
    result = check(cccd, born, gender)
    assert result.contradictions == contradictions
    assert result.ok == (not contradictions)


def test_check_accepts_the_raw_qd130_strings() -> None:
    assert check("001090012345", "199003150000", "2").contradictions == ("gender",)


def test_check_rejects_a_gender_code_qd130_does_not_define() -> None:
    with pytest.raises(IdentityFormatError) as caught:
        check(parse_cccd("001090012345"), None, 4)
    assert caught.value.code == "gender.code"


def test_check_explains_each_contradiction() -> None:
    text = check(parse_cccd("001090012345"), parse_birth_date("1985"), 2).explain()
    assert (
        text == "born in 1985 but the ID's year digits say 90; recorded female but the ID says male"
    )


def test_parse_cmnd_keeps_the_province_prefix_as_a_hint() -> None:
    cmnd = parse_cmnd("012345678")
    assert cmnd.province_prefix == "01"
    assert cmnd.explain() == "old 9-digit ID (CMND) 012****78, issuing-province prefix 01"


@pytest.mark.parametrize(
    ("text", "code"), [("12345678", "cmnd.length"), ("12345678x", "cmnd.digits")]
)
def test_parse_cmnd_rejects_bad_input_with_a_code(text: str, code: str) -> None:
    with pytest.raises(IdentityFormatError) as caught:
        parse_cmnd(text)
    assert caught.value.code == code


def test_parse_passport_reads_series_and_number() -> None:
    assert parse_passport("C1234567").series == "C"


@pytest.mark.parametrize("text", ["c1234567", "C123456", "CC123456", "C12345678"])
def test_parse_passport_rejects_other_shapes(text: str) -> None:
    with pytest.raises(IdentityFormatError) as caught:
        parse_passport(text)
    assert caught.value.code == "passport.format"


def test_parse_card_code_reads_every_part() -> None:
    card = parse_card_code("DN4010123456789")
    assert (card.group, card.benefit_level, card.benefit_percent) == ("DN", 4, 80)
    assert (card.province_code, card.province) == ("01", "Hà Nội")
    assert card.social_insurance_number == "0123456789"
    assert card.group_description == PARTICIPANT_GROUPS["DN"]
    assert "0123456789" not in repr(card)


@pytest.mark.parametrize(
    ("level", "percent"), [("1", 100), ("2", 100), ("3", 95), ("4", 80), ("5", 100)]
)
def test_card_benefit_level_gives_the_percentage(level: str, percent: int) -> None:
    assert parse_card_code(f"HT{level}790123456789").benefit_percent == percent


def test_card_with_an_unknown_group_or_province_is_parsed_and_flagged() -> None:
    card = parse_card_code("ZZ4990123456789")
    assert not card.known_group
    assert card.province is None
    assert "not in our list" in card.explain()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DN401012345678", "card.length"),
        ("DN6010123456789", "card.benefit_level"),
        ("DN0010123456789", "card.benefit_level"),
        ("dn4010123456789", "card.format"),
        ("DN40101234567X9", "card.format"),
    ],
)
def test_parse_card_code_rejects_bad_input_with_a_code(text: str, code: str) -> None:
    with pytest.raises(IdentityFormatError) as caught:
        parse_card_code(text)
    assert caught.value.code == code


def test_card_explanation_masks_the_numbers() -> None:
    text = parse_card_code("TE1790123456789").explain()
    assert "0123456789" not in text and "TE1790123456789" not in text
    assert "children" in text or "child under 6" in text


def test_parse_social_insurance_number() -> None:
    assert (
        parse_social_insurance_number("0123456789").explain()
        == "social insurance number 012*****89"
    )
    with pytest.raises(IdentityFormatError) as caught:
        parse_social_insurance_number("012345678")
    assert caught.value.code == "sin.length"


@pytest.mark.parametrize(
    ("text", "kind"),
    [("001090012345", Cccd), ("012345678", Cmnd), ("B1234567", Passport)],
)
def test_parse_person_id_dispatches_on_shape(text: str, kind: type) -> None:
    assert isinstance(parse_person_id(text), kind)


@pytest.mark.parametrize("text", ["0123456789", "12345", "B123456", "", "00109001234X"])
def test_parse_person_id_rejects_other_shapes(text: str) -> None:
    with pytest.raises(IdentityFormatError) as caught:
        parse_person_id(text)
    assert caught.value.code == "person_id.shape"


def test_parse_person_id_passes_on_the_parsers_error() -> None:
    with pytest.raises(IdentityFormatError) as caught:
        parse_person_id("003090012345")
    assert caught.value.code == "cccd.province"


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("001090012345", "001090012346", "substitution"),
        ("001090012345", "001090012354", "transposition"),
        ("001090012345", "010090012345", "transposition"),
        ("001090012345", "001090012345", None),
        ("001090012345", "00109001234", None),
        ("001090012345", "001090021346", None),  # two slips
        ("001090012345", "001090012534", None),  # a rotation, not a swap
    ],
)
def test_typo_distance_names_a_single_keying_slip(a: str, b: str, kind: str | None) -> None:
    assert typo_distance(a, b) == kind


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("001234567889", "001*******89"),
        ("DN4010123456789", "DN4**********89"),
        ("123456789", "123****89"),
        ("B1234567", "B12***67"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_id_keeps_first_three_and_last_two(value: str, masked: str) -> None:
    assert mask_id(value) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("Nguyễn Văn An", "N. V. A."), ("Đặng Thị Ánh", "D. T. A."), ("  ", ""), ("ÚT", "U.")],
)
def test_mask_name_keeps_initials_only(name: str, masked: str) -> None:
    assert mask_name(name) == masked
