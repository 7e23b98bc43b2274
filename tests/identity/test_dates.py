"""parse_birth_date and compare_birth_dates."""

from __future__ import annotations

import pytest

from gateway.identity import BirthDate, BirthDateError, compare_birth_dates, parse_birth_date


@pytest.mark.parametrize(
    ("text", "year", "month", "day", "precision"),
    [
        ("19900315", 1990, 3, 15, "day"),
        ("1950", 1950, None, None, "year"),
        ("195000000000", 1950, None, None, "year"),  # QĐ 130: unknown day and month are 0000
        ("199003150000", 1990, 3, 15, "day"),  # QĐ 130: unknown hour and minute are 0000
        ("202403150732", 2024, 3, 15, "day"),  # a newborn's hour and minute are dropped
        ("19500000", 1950, None, None, "year"),  # XML12's 8-character NGAY_SINH
        ("15/03/1990", 1990, 3, 15, "day"),
        ("5/3/1990", 1990, 3, 5, "day"),
        ("1990-03-15", 1990, 3, 15, "day"),
        ("20000229", 2000, 2, 29, "day"),
        (" 1990 ", 1990, None, None, "year"),
    ],
)
def test_parse_birth_date_reads_each_format_with_its_precision(
    text: str, year: int, month: int | None, day: int | None, precision: str
) -> None:
    born = parse_birth_date(text)
    assert (born.year, born.month, born.day, born.precision) == (year, month, day, precision)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("19900230", "birth_date.day"),  # 30 February
        ("19000229", "birth_date.day"),  # 1900 was not a leap year
        ("199013010000", "birth_date.month"),
        ("0800", "birth_date.year"),
        ("2101", "birth_date.year"),
        ("17991231", "birth_date.year"),
        ("199003000000", "birth_date.partial"),  # a month without a day
        ("199003152460", "birth_date.time"),
        ("1990031", "birth_date.format"),
        ("15-03-1990", "birth_date.format"),
        ("abcd", "birth_date.format"),
        ("", "birth_date.format"),
    ],
)
def test_parse_birth_date_rejects_impossible_dates_with_a_code(text: str, code: str) -> None:
    with pytest.raises(BirthDateError) as caught:
        parse_birth_date(text)
    assert caught.value.code == code


def test_birth_date_error_is_a_value_error_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="day 30 does not exist in 1990-02"):
        parse_birth_date("19900230")


def test_birth_date_refuses_to_be_built_impossible() -> None:
    with pytest.raises(BirthDateError):
        BirthDate(1990, 2, 30)
    with pytest.raises(BirthDateError):
        BirthDate(1990, 2)


def test_birth_date_writes_back_the_qd130_form() -> None:
    assert parse_birth_date("15/03/1990").to_qd130() == "199003150000"
    assert parse_birth_date("1950").to_qd130() == "195000000000"


def test_birth_date_explains_a_year_only_date() -> None:
    assert parse_birth_date("1950").explain() == "born in 1950 (day and month unknown)"


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [
        ("19900315", "15/03/1990", "same"),
        ("1950", "195000000000", "same"),
        ("1950", "19500607", "precision"),
        ("19900305", "19900503", "day_month_swapped"),
        ("19900315", "19900316", "different"),
        ("1990", "1991", "different"),
        ("19900305", "19910503", "different"),
    ],
)
def test_compare_birth_dates(a: str, b: str, result: str) -> None:
    assert compare_birth_dates(parse_birth_date(a), parse_birth_date(b)) == result
    assert compare_birth_dates(parse_birth_date(b), parse_birth_date(a)) == result
