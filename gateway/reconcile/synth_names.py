"""Names for the synthetic reconciliation data: a pool drawn by real frequency, and for each
name the variants a record may carry (other forms of the same name, and each kind of
discrepancy `gateway.identity.compare_names` reports).

Every variant is checked with `compare_names` against the original and kept only when the
toolkit classifies it as intended, so the generator's ground truth and the toolkit agree by
construction; a variant that does not apply (no middle name to drop, a family name with no
regional form) is None. Spelling mistakes are made per record in SQL (synth.py), so that
they are as varied as real ones.

The legacy encoders here are the inverse of what the identity toolkit repairs: text stored
in that encoding, then read as Windows-1252 (the mojibake that arrives inside UTF-8).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from importlib import resources

from gateway.identity import compare_names, fold_name
from gateway.samples.names import full_name

# What a Windows-1252 reader shows for each byte (the five undefined bytes: the C1 control).
_SHOWN = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _table(name: str) -> list[list[str]]:
    text = resources.files("gateway.identity.data").joinpath(name).read_text(encoding="utf-8")
    rows = [
        line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    return rows[1:]  # the header row


def _shown(data: bytes) -> str:
    return "".join(_SHOWN[b] for b in data)


def encode_utf8_double(text: str) -> str:
    """UTF-8 bytes read as Windows-1252 ("Nguyễn" -> "Nguyá»…n"). Raises nothing."""
    return _shown(unicodedata.normalize("NFC", text).encode("utf-8"))


def encode_cp1258(text: str) -> str:
    """Windows-1258 bytes (a precomposed letter where the code page has one, else the base
    letter and a combining tone byte) read as Windows-1252.

    Raises UnicodeEncodeError for a character Windows-1258 cannot write at all.
    """
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out += base.encode("cp1258") + "".join(c for c in decomposed if c in _TONES).encode(
            "cp1258"
        )
    return _shown(bytes(out))


_TCVN3 = {letter: _SHOWN[int(byte, 16)] for byte, letter, *_ in _table("tcvn3.tsv")}
_VNI = {letter: shown for letter, _bytes, shown, *_ in _table("vni.tsv")}


def encode_tcvn3(text: str) -> str:
    """TCVN3 (ABC) bytes read as Windows-1252. A capital with a tone mark has no code of its
    own: like the capitals fonts, it is written at the lower-case position. Raises nothing."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char.isascii():
            out.append(char)
        else:
            out.append(_TCVN3.get(char) or _TCVN3.get(char.lower(), char))
    return "".join(out)


def encode_vni(text: str) -> str:
    """VNI-Windows bytes read as Windows-1252 ("Nguyễn" -> "Nguyeãn"). Raises nothing."""
    return "".join(_VNI.get(char, char) for char in unicodedata.normalize("NFC", text))


ENCODERS: dict[str, Callable[[str], str]] = {
    "utf8_double": encode_utf8_double,
    "cp1258": encode_cp1258,
    "tcvn3": encode_tcvn3,
    "vni": encode_vni,
}

# The other (new-style) tone placement of open two-vowel syllables: the same name.
_NEW_STYLE = {
    f"{marked}{second}": f"{plain}{unicodedata.normalize('NFC', second + tone)}"
    for plain, second in (("o", "a"), ("o", "e"), ("u", "y"))
    for tone in _TONES
    for marked in [unicodedata.normalize("NFC", plain + tone)]
}


def _new_style(name: str) -> str | None:
    words = []
    for word in name.split():
        lower = word.lower()
        for old, new in _NEW_STYLE.items():
            if lower.endswith(old):
                word = word[: -len(old)] + (new if word[-2:].islower() else new.upper())
                break
        words.append(word)
    moved = " ".join(words)
    return moved if moved != name else None


_REGIONAL: dict[str, str] = {}
for _a, _b, *_ in _table("regional_family_names.tsv"):
    _REGIONAL[_a], _REGIONAL[_b] = _b, _a


def _regional(name: str) -> str | None:
    family, *rest = name.split()
    other = _REGIONAL.get(family)
    return " ".join([other, *rest]) if other and rest else None


def _middle(name: str, rng: random.Random) -> str | None:
    words = name.split()
    if len(words) >= 3:
        del words[rng.randrange(1, len(words) - 1)]
        return " ".join(words)
    return None


def _order(name: str) -> str | None:
    words = name.split()
    return " ".join([*words[1:], words[0]]) if len(words) >= 2 else None


def _partial(name: str, rng: random.Random) -> str | None:
    words = name.split()
    marked = [i for i, word in enumerate(words) if not word.isascii()]
    if len(marked) < 2:
        return None
    i = rng.choice(marked)
    words[i] = fold_name(words[i]).title()
    return " ".join(words)


# Each variant: how to make it, and the kind compare_names must give it against the original.
VARIANT_KINDS: dict[str, str] = {
    "nfd": "same",
    "new_style": "same",
    "ascii": "diacritics",
    "partial": "diacritics",
    "utf8_double": "encoding",
    "cp1258": "encoding",
    "tcvn3": "encoding",
    "vni": "encoding",
    "regional": "regional_variant",
    "middle": "middle_name",
    "order": "order",
}
VARIANTS = tuple(VARIANT_KINDS)


def variants(name: str, rng: random.Random) -> dict[str, str | None]:
    """Every variant of ``name`` (NFC, family name first), None where it does not apply or the
    toolkit does not see it as intended. Raises nothing."""
    made: dict[str, str | None] = {
        "nfd": unicodedata.normalize("NFD", name) if not name.isascii() else None,
        "new_style": _new_style(name),
        "ascii": fold_name(name) if rng.random() < 0.7 else fold_name(name).title(),
        "partial": _partial(name, rng),
        "regional": _regional(name),
        "middle": _middle(name, rng),
        "order": _order(name),
    }
    for kind, encode in ENCODERS.items():
        try:
            made[kind] = encode(name) if not name.isascii() else None
        except UnicodeEncodeError:
            made[kind] = None
    checked: dict[str, str | None] = {}
    for kind in VARIANTS:
        variant = made[kind]
        if variant == name or (
            variant is not None and compare_names(variant, name).kind != VARIANT_KINDS[kind]
        ):
            variant = None
        checked[kind] = variant
    return checked


def name_pool(size: int, seed: int) -> list[tuple[int, int, str, dict[str, str | None]]]:
    """``size`` names per gender drawn by their frequency in the population, each with its
    variants: rows (gender, index, name, variants). Deterministic for a seed. Raises nothing."""
    rng = random.Random(seed)
    cache: dict[str, dict[str, str | None]] = {}
    rows = []
    for gender in (1, 2):
        for index in range(size):
            name = full_name(rng, gender)
            if name not in cache:
                cache[name] = variants(name, random.Random(f"{seed}:{name}"))
            rows.append((gender, index, name, cache[name]))
    return rows
