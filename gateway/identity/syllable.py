"""The Vietnamese syllable: its letters, its tone mark, where the mark goes, whether it is valid.

Vietnamese writes one syllable per word: an optional onset consonant, a vowel cluster, an
optional final consonant, and at most one tone mark (sắc, huyền, hỏi, ngã, nặng) sitting on
one vowel of the cluster. Names are compared, and mojibake is told apart from real text, by
working on that structure rather than on word lists.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The five tone marks as combining characters (NFD puts them after the letter).
TONE_MARKS = frozenset("\u0301\u0300\u0309\u0303\u0323")  # sắc huyền hỏi ngã nặng

_VOWELS = frozenset("aăâeêioôơuưy")
# Vowels that carry a quality mark (circumflex, breve, horn): the tone always goes on them.
_MARKED_VOWELS = frozenset("ăâêôơư")


def _all_letters() -> frozenset[str]:
    letters = set("abcdefghijklmnopqrstuvwxyzđ")
    for vowel in _VOWELS:
        for tone in ("", *TONE_MARKS):
            letters.add(unicodedata.normalize("NFC", vowel + tone))
    return frozenset(letters | {letter.upper() for letter in letters})


# Every letter of the Vietnamese alphabet in NFC, both cases, plus the ASCII letters that
# foreign and ethnic-minority names use (f, j, w, z).
VIETNAMESE_LETTERS = _all_letters()

_ONSET = "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x)?"
# Every rime (vowel cluster + final consonant) of standard orthography, tone marks removed.
_RIMES = """
a ac ach ai am an ang anh ao ap at au ay
ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây
e ec em en eng eo ep et
ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu
iêc iêm iên iêng iêp iêt iêu
y yêm yên yêng yêt yêu
o oc oi om on ong op ot oo ooc oong
ô ôc ôi ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt
u ua uc ui um un ung up ut
uôc uôi uôm uôn uông uôt
ư ưa ưc ưi ưm ưn ưng ưt ưu
ươc ươi ươm ươn ương ươp ươt ươu
oa oac oach oai oam oan oang oanh oao oap oat oay
oăc oăm oăn oăng oăt
oe oem oen oeo oet
uân uâng uât uây
uê uêch uên uênh
uy uya uych uyn uynh uyp uyt uyu
uyên uyêt
""".split()
# Rimes that exist only after one onset: quỳnh, quýt; giếng, giêng; thuở, huơ, khuơ.
_BOUND_RIMES = {"qu": "ych yn ynh yt", "gi": "êc êng", "th|h|kh": "uơ"}


def _alternatives(rimes: list[str]) -> str:
    return "|".join(sorted(rimes, key=len, reverse=True))


_SYLLABLE = re.compile(
    "|".join(
        [f"{_ONSET}(?:{_alternatives(_RIMES)})"]
        + [
            f"(?:{onsets})(?:{_alternatives(rimes.split())})"
            for onsets, rimes in _BOUND_RIMES.items()
        ]
    )
)


def split_tone(word: str) -> tuple[str, str, int] | None:
    """Split ``word`` into (the word without its tone mark, in NFC; the tone mark or ""; the
    index of the letter that carried it, or -1).

    Returns None when the word carries more than one tone mark, which no syllable does, or a
    mark that NFC cannot put on a letter ("À" followed by a circumflex). Raises nothing.
    """
    nfc = unicodedata.normalize("NFC", word)
    if nfc.isascii():
        return nfc, "", -1
    tone, index, letters = "", -1, []
    for position, char in enumerate(nfc):
        decomposed = unicodedata.normalize("NFD", char)
        if unicodedata.combining(decomposed[0]):
            return None
        marks = [mark for mark in decomposed if mark in TONE_MARKS]
        if marks:
            if tone or len(marks) > 1:
                return None
            tone, index = marks[0], position
            char = unicodedata.normalize(
                "NFC", "".join(c for c in decomposed if c not in TONE_MARKS)
            )
        letters.append(char)
    return "".join(letters), tone, index


@lru_cache(maxsize=16384)
def is_valid_syllable(word: str) -> bool:
    """True when ``word`` is one well-formed Vietnamese syllable, in any case.

    Well-formed: an onset and rime of standard orthography, at most one tone mark, and the
    mark on a vowel where either the old or the new placement puts it ("Hòa" and "Hoà" pass,
    "Hóan", "Qúy", "Vuị" do not). It does not check that the syllable is a real word.
    Raises nothing.
    """
    parts = split_tone(word.lower())
    if parts is None or _SYLLABLE.fullmatch(parts[0]) is None:
        return False
    bare, tone, index = parts
    return not tone or index in _allowed_positions(bare)


def _tone_position(bare: str) -> int | None:
    """Index in ``bare`` (lower case, no tone) of the vowel that takes the tone, old style."""
    start = 0
    # In "qu" and "gi" the u/i belong to the onset when another vowel follows: quý, già, giữa;
    # but "gì", "gìn" have i as their only vowel.
    if bare[:2] in ("qu", "gi") and len(bare) > 2 and bare[2] in _VOWELS:
        start = 2
    while start < len(bare) and bare[start] not in _VOWELS:
        start += 1
    end = start
    while end < len(bare) and bare[end] in _VOWELS:
        end += 1
    cluster, coda = bare[start:end], bare[end:]
    if not cluster or any(char in _VOWELS for char in coda):
        return None  # no vowel, or vowels in two places: not one syllable
    if "ươ" in cluster:
        return start + cluster.index("ươ") + 1
    marked = [i for i, char in enumerate(cluster) if char in _MARKED_VOWELS]
    if marked:
        return start + marked[-1]
    if coda or len(cluster) == 1:
        return end - 1
    if len(cluster) == 3:
        return start + 1  # oai, oay, uya, uyu, oeo: the middle vowel (ngoài, khuỷu)
    if len(cluster) == 2:
        return start  # old style: hòa, khỏe, thủy, múa, mía, hái
    return None


def _allowed_positions(bare: str) -> set[int]:
    """Where a tone may sit in ``bare`` (lower case, no tone): old or new placement."""
    old = _tone_position(bare)
    if old is None:
        return set()
    # New style differs only in open syllables ending in oa, oe, uy: hoà, khoẻ, thuỷ.
    if bare[old : old + 2] in ("oa", "oe", "uy") and old + 2 == len(bare):
        return {old, old + 1}
    return {old}


@lru_cache(maxsize=16384)
def place_tone(word: str) -> str:
    """Return ``word`` (NFC, any case) with its tone mark on the canonical vowel.

    Canonical is the old ("traditional") placement: in an open syllable with two plain vowels
    the mark goes on the first (hòa, khỏe, thủy, not hoà, khoẻ, thuỷ); a vowel with a quality
    mark (ă â ê ô ơ ư; ơ in ươ) always takes it; otherwise, with a final consonant, the last
    vowel (hoàng, huỳnh), and in a three-vowel cluster the middle one (ngoài). The u of "qu"
    and the i of "gi" are not vowels here (quý, già). Words that are not one syllable
    (foreign names, several tone marks) come back unchanged. Raises nothing.
    """
    parts = split_tone(word)
    if parts is None or not parts[1]:
        return word
    bare, tone, _ = parts
    lower = bare.lower()
    position = _tone_position(lower) if len(lower) == len(bare) else None
    if position is None:
        return word
    marked = unicodedata.normalize("NFC", bare[position] + tone)
    return bare[:position] + marked + bare[position + 1 :]
