"""Test-side legacy encoders: the inverse of what gateway.identity.encoding repairs.

Each takes correct Unicode text and returns what a system that stored it in a legacy encoding
shows when the bytes are read as Windows-1252 (the mojibake we receive). They are written
from the published tables independently of the decoders, so a round trip checks both.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from gateway.identity.encoding import EncodingKind

# What Windows shows for each byte read as Windows-1252 (undefined bytes: the C1 control).
_SHOWN = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]


def show_as_cp1252(data: bytes) -> str:
    """Bytes as a Windows-1252 reader displays them."""
    return "".join(_SHOWN[b] for b in data)


def encode_utf8_double(text: str) -> str:
    """UTF-8 bytes read as Windows-1252."""
    return show_as_cp1252(unicodedata.normalize("NFC", text).encode("utf-8"))


def encode_cp1258(text: str) -> str:
    """Windows-1258 bytes (precomposed where the code page has the letter, else base letter +
    combining tone byte, as Windows' converter writes it) read as Windows-1252."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        # Keep the quality mark (ê, ơ ...) on the base, send the tone as its own byte.
        base = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if c not in "\u0300\u0301\u0303\u0309\u0323")
        )
        tones = [c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323"]
        out += base.encode("cp1258") + "".join(tones).encode("cp1258")
    return show_as_cp1252(bytes(out))


_VNI_BASE = {
    "a": "a",
    "ă": "aê",
    "â": "aâ",
    "e": "e",
    "ê": "eâ",
    "o": "o",
    "ô": "oâ",
    "ơ": "ô",
    "u": "u",
    "ư": "ö",
    "y": "y",
}
_VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_CIRCUMFLEX_TONE = {"\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE_TONE = {"\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I = {"": "i", "\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def _vni_letter(char: str) -> str:
    lower = char.lower()
    decomposed = unicodedata.normalize("NFD", lower)
    tone = next((c for c in decomposed if c in _VNI_TONE), "")
    bare = unicodedata.normalize("NFC", decomposed.replace(tone, "")) if tone else lower
    if lower == "đ":
        seq = "ñ"
    elif bare == "i":
        seq = _VNI_I[tone]
    elif bare == "y" and tone == "\u0323":
        seq = "î"
    elif bare in ("â", "ê", "ô") and tone:
        seq = (
            bare.replace("â", "a").replace("ê", "e").replace("ô", "o") + _VNI_CIRCUMFLEX_TONE[tone]
        )
    elif bare == "ă" and tone:
        seq = "a" + _VNI_BREVE_TONE[tone]
    elif bare in _VNI_BASE:
        seq = _VNI_BASE[bare] + (_VNI_TONE[tone] if tone else "")
    else:
        return char
    return seq.upper() if char.isupper() else seq


def encode_vni(text: str) -> str:
    """VNI-Windows bytes read as Windows-1252 (all VNI bytes are in 0xC0-0xFF, where
    Windows-1252 and Latin-1 agree, so the table's Latin-1 letters are the mojibake)."""
    return "".join(_vni_letter(c) for c in unicodedata.normalize("NFC", text))


_TCVN3_LOWER = dict(
    zip(
        "ăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ",
        [
            chr(b)
            for b in (
                0xA8,
                0xA9,
                0xAA,
                0xAB,
                0xAC,
                0xAD,
                0xAE,
                0xB5,
                0xB6,
                0xB7,
                0xB8,
                0xB9,
                0xBB,
                0xBC,
                0xBD,
                0xBE,
                0xC6,
                0xC7,
                0xC8,
                0xC9,
                0xCA,
                0xCB,
                0xCC,
                0xCE,
                0xCF,
                0xD0,
                0xD1,
                0xD2,
                0xD3,
                0xD4,
                0xD5,
                0xD6,
                0xD7,
                0xD8,
                0xDC,
                0xDD,
                0xDE,
                0xDF,
                0xE1,
                0xE2,
                0xE3,
                0xE4,
                0xE5,
                0xE6,
                0xE7,
                0xE8,
                0xE9,
                0xEA,
                0xEB,
                0xEC,
                0xED,
                0xEE,
                0xEF,
                0xF1,
                0xF2,
                0xF3,
                0xF4,
                0xF5,
                0xF6,
                0xF7,
                0xF8,
                0xF9,
                0xFA,
                0xFB,
                0xFC,
                0xFD,
                0xFE,
            )
        ],
        strict=True,
    )
)
_TCVN3_UPPER = dict(zip("ĂÂÊÔƠƯĐ", [chr(b) for b in range(0xA1, 0xA8)], strict=True))


def encode_tcvn3(text: str, capitals_font: bool = False) -> str:
    """TCVN3 (ABC) bytes read as Windows-1252. A capital with a tone mark has no code of its
    own: like the .VnTimeH fonts, write it at the lower-case position. With ``capitals_font``
    every Vietnamese capital is written that way (a whole name typed in the capitals font)."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in _TCVN3_UPPER and not capitals_font:
            out.append(_TCVN3_UPPER[char])
        else:
            out.append(_TCVN3_LOWER.get(char.lower(), char) if not char.isascii() else char)
    return "".join(out)


def encode_tcvn3_capitals_font(text: str) -> str:
    """`encode_tcvn3` as typed in a capitals font (.VnTimeH)."""
    return encode_tcvn3(text, capitals_font=True)


ENCODERS: dict[EncodingKind, Callable[[str], str]] = {
    "utf8_double": encode_utf8_double,
    "cp1258": encode_cp1258,
    "vni": encode_vni,
    "tcvn3": encode_tcvn3,
}


def expected_repair(name: str, kind: str, capitals_font: bool = False) -> str:
    """What a perfect repair of ``ENCODERS[kind](name)`` gives back: the name itself, except
    that TCVN3 does not record whether "TỪ MỸ SỸ" (no letter with a case of its own in VN3
    inside a word) was typed in capitals, and the repair then writes it the usual way,
    "Từ Mỹ Sỹ". In a capitals font even Ă Â Ê Ô Ơ Ư Đ are written at lower-case positions."""
    witnesses = any(
        char.isascii() or (char in _TCVN3_UPPER and not capitals_font)
        for word in name.split()
        for char in word[1:]
    )
    if kind == "tcvn3" and name.isupper() and not witnesses:
        return name.title()
    return name
