"""Personal names: one canonical form, a folded form, and a comparison that says how they differ.

Vietnamese names are written family name first, given name last ("Nguyễn Văn An"). The same
name reaches us in NFC or NFD, with old or new tone placement (Hòa/Hoà), without marks, in
legacy encodings, with a regional family name (Hoàng/Huỳnh), without the middle name, or with
the family name moved to the end. `compare_names` names which of these it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import JaroWinkler, Levenshtein

from gateway.identity._data import read_rows
from gateway.identity.encoding import EncodingKind, repair_encoding
from gateway.identity.syllable import place_tone

NameMatchKind = Literal[
    "same",
    "diacritics",
    "encoding",
    "regional_variant",
    "middle_name",
    "order",
    "spelling",
    "different",
]

# Folded names at most this many single-letter edits apart are reported as "spelling".
SPELLING_MAX_EDITS = 2

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# Icelandic eth (Ð ð) and African D (Ɖ) look like Đ/đ and are what Latin-1 forms and
# careless fonts produce for it; in a Vietnamese name they can only mean Đ.
_CLEAN = str.maketrans({**_INVISIBLE, 0x00D0: "Đ", 0x00F0: "đ", 0x0189: "Đ"})
# str.translate pays for every character its table lacks, so search first: cleaning is rare.
_NEEDS_CLEANING = re.compile("[" + "".join(map(chr, _CLEAN)) + "]")


def _fold_table() -> dict[int, str | None]:
    # Every ASCII character maps to itself or its capital: a character missing from the
    # table costs str.translate a failed lookup, which is most of its time.
    table: dict[int, str | None] = {code: chr(code).upper() for code in range(128)}
    for start, stop in ((0x00C0, 0x0250), (0x1E00, 0x1F00)):
        for code in range(start, stop):
            base = unicodedata.normalize("NFD", chr(code))[0]
            if base.isascii() and base.isalpha():
                table[code] = base.upper()
    for letter in "đĐÐðƉɖ":
        table[ord(letter)] = "D"
    for code in range(0x0300, 0x0370):  # combining marks left over after NFC
        table[code] = None
    table.update(_INVISIBLE)
    return table


_FOLD = _fold_table()


def normalize_name(s: str) -> str:
    """Return the canonical comparison form of a name: NFC, trimmed, single spaces, upper case,
    every syllable's tone mark in the old (traditional) position.

    Old placement ("HÒA", "THỦY", "KHỎE", "HÓA"; not the new "HOÀ", "THUỶ") is chosen because
    it is what official texts mostly write (the province names of Circular 07/2016/TT-BCA: Hòa
    Bình, Thanh Hóa, Khánh Hòa) and what Unikey, the usual keyboard driver, types by default,
    so the canonical form reads like the records. A misplaced mark ("QÚY", "GÌA") moves to
    where it belongs ("QUÝ", "GIÀ"). The rule works on the syllable (see
    `syllable.place_tone`), not on a word list. Raises nothing.
    """
    if s.isascii():
        return " ".join(s.upper().split())
    # Clean and compose after upper(): upper-casing can decompose ("ǰ" -> "J̌") or make a
    # look-alike ("ɖ" -> "Ɖ"), and the result must be a fixed point of normalize_name.
    text = s.upper()
    if _NEEDS_CLEANING.search(text):
        text = text.translate(_CLEAN)
    text = unicodedata.normalize("NFC", text)
    return " ".join([place_tone(word) for word in text.split()])


def fold_name(s: str) -> str:
    """Return the name with every mark removed and đ/Đ mapped to D: upper-case ASCII letters
    separated by single spaces ("Nguyễn  Văn Đức" -> "NGUYEN VAN DUC").

    One NFC pass and one precomputed translation table, so it is fast enough to run on every
    record of a batch (bench/identity.py). Letters outside the Latin script are kept, upper
    case. Raises nothing.
    """
    text = unicodedata.normalize("NFC", s).translate(_FOLD)
    if not text.isascii():
        # Upper-casing another script can decompose ("ῖ" -> "Ι" + U+0342): fold once more.
        text = text.upper().translate(_FOLD)
    return " ".join(text.split())


def folded_similarity(a_folded: str, b_folded: str) -> float:
    """Jaro-Winkler similarity in [0, 1] of two names already passed through `fold_name`.

    This is the batch reconciliation's inner loop: fold each record once, then compare the
    folded strings. Raises nothing.
    """
    return JaroWinkler.normalized_similarity(a_folded, b_folded)


def _regional_pairs() -> frozenset[frozenset[str]]:
    return frozenset(
        frozenset((fold_name(a), fold_name(b)))
        for a, b, *_ in read_rows("regional_family_names.tsv")
    )


_REGIONAL = _regional_pairs()


@dataclass(frozen=True)
class NameComparison:
    """How two names differ.

    ``similarity`` is the Jaro-Winkler similarity and ``edit_distance`` the Levenshtein
    distance of the folded forms that were compared (after any encoding repair).
    ``encoding_left`` / ``encoding_right`` name the legacy encoding repaired on that side
    (see `repair_encoding`), or None. ``detail`` explains the kind in English without
    repeating the names (only a regional family-name pair is quoted).
    """

    kind: NameMatchKind
    similarity: float
    edit_distance: int | None
    encoding_left: EncodingKind | None = None
    encoding_right: EncodingKind | None = None
    detail: str = ""

    def explain(self) -> str:
        """Return one English sentence saying how the names compare. Raises nothing."""
        repaired = [
            f"{side} name repaired from {kind}"
            for side, kind in (("first", self.encoding_left), ("second", self.encoding_right))
            if kind
        ]
        suffix = f" ({'; '.join(repaired)})" if repaired else ""
        scores = f"similarity {self.similarity:.3f}, edit distance {self.edit_distance}"
        return f"{self.kind}: {self.detail}{suffix}; {scores}"


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    remaining = iter(long)
    return all(token in remaining for token in short)


def _structural(fa: str, fb: str) -> tuple[NameMatchKind, str]:
    """Classify two folded names that are not equal."""
    ta, tb = fa.split(), fb.split()
    if len(ta) == len(tb) >= 2 and ta[1:] == tb[1:] and frozenset((ta[0], tb[0])) in _REGIONAL:
        return (
            "regional_variant",
            f"family names {ta[0]} and {tb[0]} are regional forms of one name",
        )
    if len(ta) >= 2 and len(tb) >= 2 and len(ta) != len(tb) and ta[0] == tb[0] and ta[-1] == tb[-1]:
        short, long = sorted((ta[1:-1], tb[1:-1]), key=len)
        if _is_subsequence(short, long):
            return (
                "middle_name",
                f"same family and given name; {len(long) - len(short)} middle name(s) missing on one side",
            )
    if sorted(ta) == sorted(tb):
        return "order", "same names in a different order"
    if Levenshtein.distance(fa, fb, score_cutoff=SPELLING_MAX_EDITS) <= SPELLING_MAX_EDITS:
        return "spelling", f"spellings differ by at most {SPELLING_MAX_EDITS} letters"
    return "different", "different names"


def compare_names(a: str, b: str) -> NameComparison:
    """Say how two names compare; the first matching kind wins, in this order of precedence:

    1. ``same``: equal after `normalize_name` (case, spacing, NFC, tone placement);
    2. ``encoding``: equal after `repair_encoding` of either side (then `normalize_name`);
    3. ``diacritics``: equal only after `fold_name` (marks lost or different);
    4. ``regional_variant``: family names are regional forms of one name (Hoàng/Huỳnh, Vũ/Võ,
       data/regional_family_names.tsv), the rest equal after folding;
    5. ``middle_name``: same family and given name, middle names differ by insertion or
       deletion only ("Nguyễn Thị Minh Khai" / "Nguyễn Minh Khai");
    6. ``order``: the same folded names in another order ("Văn An Nguyễn");
    7. ``spelling``: folded forms at most SPELLING_MAX_EDITS Levenshtein edits apart;
    8. ``different``.

    The order goes from the most certain explanation to the least: a difference that one
    rule explains entirely is never reported as a weaker one. Encoding comes before
    diacritics because some mojibake folds to the right letters (Windows-1258 "Ðinh Vãn An"
    for "Đinh Văn An") while its marks are wrong for a reason the caller should know. After a repair that
    does not explain everything, rules 3-8 compare the repaired names and the repair is
    recorded. Raises nothing.
    """
    na, nb = normalize_name(a), normalize_name(b)
    if na == nb:
        return NameComparison("same", 1.0, 0, detail="identical after normalisation")
    ra, enc_a = repair_encoding(a)
    rb, enc_b = repair_encoding(b)
    if enc_a or enc_b:
        na, nb = normalize_name(ra), normalize_name(rb)
        if na == nb:
            return NameComparison(
                "encoding", 1.0, 0, enc_a, enc_b, "identical once the legacy encoding is repaired"
            )
    fa, fb = fold_name(na), fold_name(nb)
    if fa == fb:
        return NameComparison(
            "diacritics", 1.0, 0, enc_a, enc_b, "identical once diacritics are removed"
        )
    kind, detail = _structural(fa, fb)
    return NameComparison(
        kind,
        JaroWinkler.normalized_similarity(fa, fb),
        Levenshtein.distance(fa, fb),
        enc_a,
        enc_b,
        detail,
    )
