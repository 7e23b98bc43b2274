"""Synthetic people: names by real frequency, and IDs the identity checks accept."""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from datetime import date

import pytest

from gateway.identity import check, parse_birth_date, parse_card_code, parse_cccd
from gateway.samples.names import full_name
from gateway.samples.people import (
    BENEFIT_PERCENT,
    PROVINCE_NAMES,
    card_code,
    cccd_number,
    make_person,
)

VISIT = date(2026, 5, 4)


@pytest.fixture(scope="module")
def people() -> list:
    rng = random.Random(42)
    return [make_person(rng, "01001", VISIT) for _ in range(3000)]


def test_every_person_passes_the_identity_check_without_contradiction(people: list) -> None:
    for person in people:
        result = check(parse_cccd(person.cccd), parse_birth_date(person.ngay_sinh), person.gender)
        assert result.ok, (person.cccd, person.ngay_sinh, person.gender, result.explain())


def test_cccd_digits_encode_province_century_gender_and_year(people: list) -> None:
    for person in people:
        cccd = parse_cccd(person.cccd)
        assert cccd.province_code in PROVINCE_NAMES
        assert cccd.gender == person.gender and cccd.birth_year == person.birth.year
        century_gender = {(19, 1): "0", (19, 2): "1", (20, 1): "2", (20, 2): "3"}
        assert person.cccd[3] == century_gender[(person.birth.year // 100, person.gender)]


def test_both_centuries_and_genders_occur(people: list) -> None:
    assert {p.cccd[3] for p in people} == {"0", "1", "2", "3"}


def test_card_codes_parse_and_carry_the_benefit_level(people: list) -> None:
    for person in people:
        assert re.fullmatch(r"[A-Z]{2}[1-5]\d{2}\d{10}", person.card.code)
        card = parse_card_code(person.card.code)
        assert card.known_group, card.group
        assert (
            card.benefit_percent
            == person.card.benefit_percent
            == BENEFIT_PERCENT[card.benefit_level]
        )
        assert card.province is not None
        assert person.card.province == person.address.province
        assert person.card.valid_from <= VISIT <= person.card.valid_to


def test_children_carry_te_cards_and_retirees_often_ht(people: list) -> None:
    for person in people:
        if person.age_on(VISIT) < 5:
            assert person.card.group == "TE"
    elderly = [p for p in people if p.age_on(VISIT) >= 62]
    assert sum(p.card.group == "HT" for p in elderly) > len(elderly) * 0.3


def test_some_birth_dates_are_year_only(people: list) -> None:
    year_only = [p for p in people if p.year_only]
    assert 0 < len(year_only) < len(people) * 0.1
    for person in year_only:
        assert person.ngay_sinh == f"{person.birth.year}00000000"
        assert person.ngay_sinh8 == f"{person.birth.year}0000"
    full = next(p for p in people if not p.year_only)
    assert full.ngay_sinh == f"{full.birth:%Y%m%d}0000"


def test_family_names_follow_their_frequency(people: list) -> None:
    families = Counter(p.name.split()[0] for p in people)
    share = {name: count / len(people) for name, count in families.items()}
    assert 0.34 <= share["Nguyễn"] <= 0.42
    assert 0.08 <= share["Trần"] <= 0.14
    assert 0.07 <= share["Lê"] <= 0.12
    assert 0.05 <= share["Phạm"] <= 0.09


def test_middle_names_fit_the_gender(people: list) -> None:
    for person in people:
        middle = person.name.split()[1:-1]
        if person.gender == 1:
            assert "Thị" not in middle
        else:
            assert "Văn" not in middle


def test_names_are_nfc_with_diacritics(people: list) -> None:
    for person in people:
        assert unicodedata.normalize("NFC", person.name) == person.name
    assert any(not person.name.isascii() for person in people)


def test_full_name_refuses_an_unknown_gender() -> None:
    with pytest.raises(ValueError):
        full_name(random.Random(1), 3)


def test_cccd_and_card_builders_refuse_impossible_values() -> None:
    with pytest.raises(ValueError):
        cccd_number(random.Random(1), "003", 1990, 1)
    with pytest.raises(ValueError):
        cccd_number(random.Random(1), "001", 1890, 1)
    with pytest.raises(ValueError):
        card_code("DN", 6, "01", "0123456789")


def test_people_live_mostly_in_the_facility_province() -> None:
    rng = random.Random(7)
    homes = Counter(make_person(rng, "79001", VISIT).address.province for _ in range(500))
    assert homes["79"] > 350
