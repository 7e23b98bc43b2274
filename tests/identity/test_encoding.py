"""repair_encoding: repairs what went through a legacy encoding, never touches correct text."""

from __future__ import annotations

import random
import unicodedata

import pytest

from gateway.identity import decodings, repair_encoding
from gateway.identity._data import read_rows
from gateway.identity.encoding import problems

from .corpus import FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES, NEW_STYLE, OTHER_NAMES
from .encoders import (
    ENCODERS,
    encode_tcvn3,
    encode_tcvn3_capitals_font,
    encode_vni,
    expected_repair,
)


@pytest.mark.parametrize(
    ("mojibake", "repaired", "kind"),
    [
        ("Nguyá»…n VÄƒn Ä\x90á»©c", "Nguyễn Văn Đức", "utf8_double"),
        ("Tráº§n Thá»‹ Thá»§y", "Trần Thị Thủy", "utf8_double"),
        ("NGUYá»„N THá»Š HÆ¯Æ\xa0NG", "NGUYỄN THỊ HƯƠNG", "utf8_double"),
        ("HoÃ\xa0ng VÄƒn Nam", "Hoàng Văn Nam", "utf8_double"),
        ("Nguyá»\x85n", "Nguyễn", "utf8_double"),  # read as Latin-1: 0x85 stayed a C1 control
        ("TrâÌn Thiò ThuÒy", "Trần Thị Thủy", "cp1258"),
        ("NguyêÞn Vãn Ðýìc", "Nguyễn Văn Đức", "cp1258"),
        ("Traàn Thò Thuûy", "Trần Thị Thủy", "vni"),
        ("Nguyeãn Vaên Ñöùc", "Nguyễn Văn Đức", "vni"),
        ("TRAÀN THÒ THUÛY", "TRẦN THỊ THỦY", "vni"),
        ("TrÇn ThÞ Thñy", "Trần Thị Thủy", "tcvn3"),
        ("NguyÔn V¨n §øc", "Nguyễn Văn Đức", "tcvn3"),
        ("Hoµng ¸nh", "Hoàng Ánh", "tcvn3"),
    ],
)
def test_repair_encoding_repairs_each_legacy_encoding(
    mojibake: str, repaired: str, kind: str
) -> None:
    assert repair_encoding(mojibake) == (repaired, kind)


def test_tcvn3_capitals_typed_in_the_capitals_font_come_back_upper_case() -> None:
    # VN3 has no "Ễ": the .VnTimeH font draws it at the position of "ễ".
    assert repair_encoding("NGUYÔN V¡N §øC") == ("NGUYỄN VĂN ĐỨC", "tcvn3")
    assert repair_encoding(encode_tcvn3_capitals_font("TRẦN THỊ ÁNH")) == ("TRẦN THỊ ÁNH", "tcvn3")


def test_tcvn3_title_case_restores_a_capital_with_a_tone_mark() -> None:
    assert repair_encoding(encode_tcvn3("Lê Thị Ánh")) == ("Lê Thị Ánh", "tcvn3")


@pytest.mark.parametrize(
    "name",
    [
        "Nguyễn Văn Đức",
        "NGUYỄN THỊ HƯƠNG",
        "Lý Hà",  # Windows-1258 would read ý as ư: still never touched
        "Tô Thị Hoà",
        "Phan Thanh Tú",
        "Nguyen Van An",
        "",
        *OTHER_NAMES,
    ],
)
def test_correct_names_are_returned_unchanged(name: str) -> None:
    assert repair_encoding(name) == (name, None)


def test_decomposed_correct_name_is_returned_as_given() -> None:
    name = unicodedata.normalize("NFD", "Trần Thị Thủy")
    assert repair_encoding(name) == (name, None)


@pytest.mark.parametrize("text", ["Qúy Hòang", "Hello, world!", "€100 ¶", "Nguyyễn"])
def test_text_no_decoding_explains_is_returned_unchanged(text: str) -> None:
    assert repair_encoding(text) == (text, None)


def test_problems_counts_mojibake_characters_and_invalid_syllables() -> None:
    assert problems("Nguyễn Văn Đức") == 0
    assert problems("Ksor H'Mai") == 0  # ASCII words are not judged
    assert problems("Hoµng") == 2  # µ is no letter of ours, and "hoµng" is no syllable
    assert problems("TrâÌn") == 1  # letters, but no syllable


def test_ambiguous_bytes_offer_every_reading_and_prefer_tcvn3() -> None:
    # VN3 puts "ề" on byte 0xD2, where Windows-1258 puts its combining hook.
    assert decodings("KIÒU THANH AN") == {"tcvn3": "KIỀU THANH AN", "cp1258": "KỈU THANH AN"}
    assert repair_encoding("KIÒU THANH AN") == ("KIỀU THANH AN", "tcvn3")


def test_consistent_letter_case_breaks_a_tie() -> None:
    # TCVN3 "öng" is "ửng"; VNI would read it "ưng", a lower-case word in a title-cased name.
    assert repair_encoding("Phan Thanh öng") == ("Phan Thanh Ửng", "tcvn3")


def test_ambiguity_is_rare_in_the_name_corpus() -> None:
    rng = random.Random(130)
    names = [
        f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"
        for _ in range(1500)
    ]
    tried = ambiguous = 0
    for name in names + [n.upper() for n in names]:
        for kind, encode in ENCODERS.items():
            mojibake = encode(name)
            if problems(mojibake) == 0:
                continue  # the mojibake is itself valid Vietnamese: nothing to detect
            tried += 1
            found = decodings(mojibake)
            assert found.get(kind) == expected_repair(name, kind)  # the truth is always a reading
            ambiguous += len(found) > 1
    assert ambiguous / tried < 0.01


def test_tcvn3_table_has_every_letter_vn3_defines() -> None:
    letters = {letter for _, letter, _ in read_rows("tcvn3.tsv")}
    lower = {c for c in "ăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"}
    assert letters == lower | set("ĂÂÊÔƠƯĐ")


def test_tcvn3_table_agrees_with_the_test_encoder() -> None:
    for byte, letter, _ in read_rows("tcvn3.tsv"):
        assert encode_tcvn3(letter) == bytes.fromhex(byte).decode("cp1252")


def test_vni_table_agrees_with_the_test_encoder() -> None:
    rows = read_rows("vni.tsv")
    assert len(rows) == 134  # 67 letters with marks, both cases
    for letter, hexes, shown, _ in rows:
        assert encode_vni(letter) == shown == bytes.fromhex(hexes).decode("latin-1")


def test_new_style_names_count_as_correct() -> None:
    for new in NEW_STYLE.values():
        assert problems(new) == 0
