"""Whatever the SQL comparisons settle, they settle as the identity toolkit would: the SQL is a
fast screen, never a second definition (dialect.py, comparisons.py)."""

from __future__ import annotations

import random
import unicodedata

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.identity import IdentityFormatError, check, compare_names, fold_name, parse_person_id
from gateway.identity.ids import PROVINCES
from gateway.reconcile.comparisons import (
    BIRTH_DATE,
    NAME,
    UNRESOLVED,
    id_contradicts,
    id_form,
    known_province,
)
from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.resolve import date_verdict
from gateway.reconcile.synth_names import ENCODERS
from tests.identity.corpus import FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES, NEW_STYLE

CON = duckdb.connect()


def sql_values(expression: str, columns: dict[str, list[str | None]]) -> list[object]:
    """Evaluate ``expression`` once per row of ``columns`` (all VARCHAR)."""
    names = list(columns)
    rows = list(zip(*columns.values(), strict=True))
    CON.execute(
        f"CREATE OR REPLACE TEMP TABLE t (n INTEGER, {', '.join(f'{c} VARCHAR' for c in names)})"
    )
    CON.executemany(
        f"INSERT INTO t VALUES ({', '.join('?' * (len(names) + 1))})",
        [(i, *r) for i, r in enumerate(rows)],
    )
    return [row[0] for row in CON.execute(f"SELECT {expression} FROM t ORDER BY n").fetchall()]


def name_variants(rng: random.Random, name: str) -> str:
    choice = rng.randrange(9)
    if choice == 0:
        return name.upper()
    if choice == 1:
        return unicodedata.normalize("NFD", name)
    if choice == 2:
        return "  " + name.replace(" ", "   ") + "\t"
    if choice == 3:
        return fold_name(name) if rng.random() < 0.5 else fold_name(name).title()
    if choice == 4:
        words = name.split()
        i = rng.randrange(len(words))
        words[i] = fold_name(words[i]).title()
        return " ".join(words)
    if choice == 5:
        return " ".join(NEW_STYLE.get(w, w) for w in name.split())
    if choice == 6:
        return ENCODERS[rng.choice(sorted(ENCODERS))](name)
    if choice == 7:
        return name[:-1] + rng.choice("aăâeêioôơuưyđ")
    return " ".join(reversed(name.split()))


def test_name_levels_settled_in_sql_agree_with_compare_names() -> None:
    rng = random.Random(7)
    left, right = [], []
    for _ in range(3000):
        name = " ".join(
            [rng.choice(FAMILY_NAMES), rng.choice(MIDDLE_NAMES), rng.choice(GIVEN_NAMES)]
        )
        a, b = name_variants(rng, name), name_variants(rng, name) if rng.random() < 0.3 else name
        left.append(a)
        right.append(b)
    levels = sql_values(NAME.sql(), {"i_ho_ten": left, "p_ho_ten": right})
    settled = 0
    for a, b, level in zip(left, right, levels, strict=True):
        if level != UNRESOLVED:
            settled += 1
            assert compare_names(a, b).kind == level, (a, b)
    assert settled > 1000  # the screen does settle the common cases


def _date_shapes() -> st.SearchStrategy[str]:
    year = st.integers(1795, 2105).map(lambda y: f"{y:04d}")
    month = st.integers(0, 13).map(lambda m: f"{m:02d}")
    day = st.integers(0, 32).map(lambda d: f"{d:02d}")
    time = st.sampled_from(["0000", "1230", "2400", "0960"])
    return st.one_of(
        st.tuples(year, month, day).map("".join),
        year,
        st.tuples(year, month, day, time).map("".join),
        st.tuples(day, month, year).map(lambda t: f"{t[0]}/{t[1]}/{t[2]}"),
        st.sampled_from(["", "abcd", "1990-01-02", "5/3/1990", " 19900102 "]),
    )


@settings(max_examples=400, deadline=None)
@given(_date_shapes(), _date_shapes())
def test_date_levels_settled_in_sql_agree_with_the_toolkit(insured: str, authority: str) -> None:
    d = DIALECT
    keyed = f"(SELECT *, {d.date_key('i_ngay_sinh')} AS i_ngay_sinh_key, {d.date_key('p_ngay_sinh')} AS p_ngay_sinh_key FROM t)"
    CON.execute("CREATE OR REPLACE TEMP TABLE t (i_ngay_sinh VARCHAR, p_ngay_sinh VARCHAR)")
    CON.execute("INSERT INTO t VALUES (?, ?)", [insured, authority])
    level = CON.execute(
        f"SELECT CASE WHEN i_ngay_sinh = p_ngay_sinh THEN 'same' ELSE {BIRTH_DATE.sql()} END FROM {keyed}"
    ).fetchall()[0][0]
    if level == UNRESOLVED:
        return
    expected, _, _ = date_verdict(insured, authority)
    if insured == authority:
        return  # equal as given: the same value whatever it means
    assert level == expected, (insured, authority)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(PROVINCES)),
    st.integers(0, 9),
    st.integers(0, 99),
    st.integers(1800, 2099),
    st.integers(1, 12),
    st.sampled_from(["1", "2", "3", ""]),
)
def test_id_contradiction_agrees_with_check(
    province: str, digit: int, yy: int, year: int, month: int, gender: str
) -> None:
    cccd = f"{province}{digit}{yy:02d}123456"
    date = f"{year:04d}{month:02d}15"
    flagged = sql_values(
        id_contradicts(DIALECT, "x", "y", "g"), {"x": [cccd], "y": [date], "g": [gender]}
    )[0]
    assert flagged == (not check(cccd, date, gender).ok)


@pytest.mark.parametrize(
    "value",
    [
        "001085000001",
        "999085000001",
        "012345678",
        "B1234567",
        "",
        "0010850000011",
        "00108500000A",
        "b1234567",
        "１２３",
    ],
)
def test_id_shape_agrees_with_parse_person_id(value: str) -> None:
    form = sql_values(id_form(DIALECT, "x"), {"x": [value]})[0]
    province_ok = sql_values(known_province(DIALECT, "x"), {"x": [value]})[0]
    try:
        parsed = type(parse_person_id(value)).__name__.lower()
    except IdentityFormatError as exc:
        parsed = "province" if exc.code == "cccd.province" else "malformed"
    if form == "cccd":
        assert parsed == ("cccd" if province_ok else "province")
    elif form == "missing":
        assert value.strip() == ""
    else:
        assert (
            parsed == {"cmnd": "cmnd", "passport": "passport", "malformed": "malformed"}[str(form)]
        )
