"""normalize_name, fold_name and compare_names, rule by rule."""

from __future__ import annotations

import unicodedata

import pytest

from gateway.identity import compare_names, fold_name, folded_similarity, normalize_name

from .encoders import encode_tcvn3, encode_vni


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        # old and new placement of the oa / oe / uy clusters meet on the old one
        ("Hoà", "HÒA"),
        ("Hòa", "HÒA"),
        ("Thuỷ", "THỦY"),
        ("Thủy", "THỦY"),
        ("Khoẻ", "KHỎE"),
        ("Khỏe", "KHỎE"),
        ("Hoá", "HÓA"),
        ("Thuý", "THÚY"),
        ("Thuỵ", "THỤY"),
        # the u of qu and the i of gi are onset, not vowel
        ("Qúy", "QUÝ"),
        ("Quý", "QUÝ"),
        ("Gìa", "GIÀ"),
        ("Giữa", "GIỮA"),
        ("Quỳnh", "QUỲNH"),
        ("Gì", "GÌ"),
        ("Gìn", "GÌN"),
        # with a final consonant the last vowel takes it, whatever was written
        ("Hoàng", "HOÀNG"),
        ("Hòang", "HOÀNG"),
        ("Huỳnh", "HUỲNH"),
        ("Toán", "TOÁN"),
        # a vowel with a quality mark always takes it
        ("Nguyễn", "NGUYỄN"),
        ("Tuấn", "TUẤN"),
        ("Người", "NGƯỜI"),
        ("Thuở", "THUỞ"),
        ("Uyển", "UYỂN"),
        ("Yến", "YẾN"),
        # three plain vowels: the middle one
        ("Ngoài", "NGOÀI"),
        ("Ngòai", "NGOÀI"),
        ("Khuỷu", "KHUỶU"),
        # two plain vowels that are not oa/oe/uy: the first, in both styles
        ("Của", "CỦA"),
        ("Mía", "MÍA"),
        ("Bùi", "BÙI"),
    ],
)
def test_normalize_name_puts_the_tone_mark_in_the_old_position(
    written: str, canonical: str
) -> None:
    assert normalize_name(written) == canonical


def test_normalize_name_composes_decomposed_input() -> None:
    assert normalize_name(unicodedata.normalize("NFD", "Nguyễn Thị Hoà")) == "NGUYỄN THỊ HÒA"


def test_normalize_name_trims_and_collapses_whitespace() -> None:
    assert normalize_name("  Nguyễn\t Văn\u00a0An \n") == "NGUYỄN VĂN AN"


def test_normalize_name_reads_eth_as_d_with_stroke() -> None:
    assert normalize_name("Ðức") == normalize_name("Đức") == "ĐỨC"


def test_normalize_name_drops_invisible_characters() -> None:
    assert normalize_name("Ngu\u200byễn\ufeff") == "NGUYỄN"


def test_normalize_name_leaves_foreign_words_alone() -> None:
    assert normalize_name("José Smith") == "JOSÉ SMITH"
    assert normalize_name("Ksor H'Mai") == "KSOR H'MAI"


def test_normalize_name_of_empty_is_empty() -> None:
    assert normalize_name("   ") == ""


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Nguyễn  Văn Đức", "NGUYEN VAN DUC"),
        ("ĐẶNG THỊ ÁNH", "DANG THI ANH"),
        ("Trương Ngọc Hưởng", "TRUONG NGOC HUONG"),
        ("Ðinh Lê\u00a0Thị", "DINH LE THI"),
        ("hoàng  thuỷ ", "HOANG THUY"),
    ],
)
def test_fold_name_removes_every_mark_and_maps_d_with_stroke(name: str, folded: str) -> None:
    assert fold_name(name) == folded


def test_fold_name_ignores_the_normal_form() -> None:
    name = "Nguyễn Thị Thủy"
    assert fold_name(unicodedata.normalize("NFD", name)) == fold_name(name) == "NGUYEN THI THUY"


def test_folded_similarity_is_one_for_equal_folded_names() -> None:
    assert folded_similarity("NGUYEN VAN AN", "NGUYEN VAN AN") == 1.0
    assert 0.0 <= folded_similarity("NGUYEN VAN AN", "TRAN THI BINH") < 0.7


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("Nguyễn Thị Hoà", "NGUYỄN  THỊ HÒA", "same"),
        ("Nguyễn Văn Đức", "Nguyen Van Duc", "diacritics"),
        ("Trần Thị Thủy", "Trần Thị Thúy", "diacritics"),
        ("Nguyễn Văn Đức", encode_vni("Nguyễn Văn Đức"), "encoding"),
        ("Hoàng Văn Nam", "Huỳnh Văn Nam", "regional_variant"),
        ("Vũ Thị Lan", "Võ Thị Lan", "regional_variant"),
        ("Lã Văn Hùng", "Lữ Văn Hùng", "regional_variant"),
        ("Nguyễn Văn An", "Nguyễn An", "middle_name"),
        ("Nguyễn Thị Minh Khai", "Nguyễn Minh Khai", "middle_name"),
        ("Văn An Nguyễn", "Nguyễn Văn An", "order"),
        ("Nguyễn Văn Phúc", "Nguyễn Văn Phước", "spelling"),
        ("Nguyễn Văn An", "Nguyễn Văn Anh", "spelling"),
        ("Nguyễn Văn An", "Trần Thị Bình", "different"),
        ("Nguyễn Văn An", "Nguyễn Thị An", "different"),
    ],
)
def test_compare_names_names_the_kind_of_difference(a: str, b: str, kind: str) -> None:
    assert compare_names(a, b).kind == kind
    assert compare_names(b, a).kind == kind


def test_diacritics_take_precedence_over_a_regional_variant() -> None:
    # "Hoàng"/"Hoang" is explained by marks alone; no regional rule is needed.
    assert compare_names("Hoàng Văn Nam", "Hoang Van Nam").kind == "diacritics"


def test_regional_variant_tolerates_lost_diacritics() -> None:
    assert compare_names("Hoàng Văn Nam", "Huynh Van Nam").kind == "regional_variant"


def test_regional_variant_applies_to_family_names_only() -> None:
    # Hoàng as a middle name is not a family name: that is a spelling question.
    assert compare_names("Lê Hoàng Nam", "Lê Huỳnh Nam").kind != "regional_variant"


def test_middle_name_needs_the_same_given_name() -> None:
    assert compare_names("Nguyễn Văn An", "Nguyễn Bình").kind != "middle_name"


def test_repaired_name_that_still_differs_is_classified_further() -> None:
    result = compare_names("Nguyễn Văn An", encode_tcvn3("Nguyễn An"))
    assert result.kind == "middle_name"
    assert result.encoding_right == "tcvn3"
    assert result.encoding_left is None


def test_encoding_comparison_records_the_repaired_side() -> None:
    result = compare_names(encode_vni("Trần Thị Thủy"), "Trần Thị Thủy")
    assert (result.kind, result.encoding_left, result.encoding_right) == ("encoding", "vni", None)
    assert result.similarity == 1.0


def test_spelling_fills_edit_distance_on_folded_forms() -> None:
    result = compare_names("Nguyễn Văn Phúc", "Nguyen Van Phuoc")
    assert result.kind == "spelling"
    assert result.edit_distance == 1


def test_similarity_is_jaro_winkler_on_folded_forms() -> None:
    result = compare_names("Nguyễn Văn An", "Trần Thị Bình")
    assert result.similarity == pytest.approx(folded_similarity("NGUYEN VAN AN", "TRAN THI BINH"))


def test_explanation_does_not_repeat_the_names() -> None:
    text = compare_names("Nguyễn Văn An", "Nguyễn An").explain()
    assert "AN" not in text.upper().split() and "Nguyễn" not in text
