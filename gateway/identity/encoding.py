"""Detect and repair Vietnamese text that went through the wrong encoding on its way to us.

Four accidents are common in HIS and legacy exports, each visible as text read through
Windows-1252 (or Latin-1):

- ``utf8_double``: UTF-8 bytes decoded as Windows-1252 ("Nguyá»…n" for "Nguyễn");
- ``cp1258``: Windows-1258 bytes (base letter + combining tone byte) read as Windows-1252
  ("NguyêÞn");
- ``tcvn3``: TCVN3/ABC font bytes (TCVN 5712:1993 VN3, data/tcvn3.tsv) ("NguyÔn");
- ``vni``: VNI-Windows font bytes (data/vni.tsv) ("Nguyeãn").

Repairing is guessing, so it is guarded: a text is only repaired when it has a problem (a
character that is not a Vietnamese letter, or a word with marks that is no Vietnamese
syllable) and one decoding removes every problem. A correct Vietnamese name has no problem,
so it is never touched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Literal

import ftfy

from gateway.identity._data import read_rows
from gateway.identity.syllable import VIETNAMESE_LETTERS, is_valid_syllable

EncodingKind = Literal["utf8_double", "cp1258", "tcvn3", "vni"]

# Each byte as a Windows-1252 reader shows it; the five bytes Windows-1252 leaves undefined
# come through as the C1 control of the same number (what Windows and Latin-1 readers do).
_CHAR_OF_BYTE = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]
_BYTE_OF_CHAR = {char: byte for byte, char in enumerate(_CHAR_OF_BYTE)}
# Latin-1 readers show 0x80-0x9F as C1 controls: accept those too.
_BYTE_OF_CHAR.update({chr(b): b for b in range(0x80, 0xA0)})

_TCVN3 = {chr(int(byte, 16)): letter for byte, letter, *_ in read_rows("tcvn3.tsv")}
_TCVN3_TABLE = str.maketrans(_TCVN3)
_VNI = {
    bytes.fromhex(hexes).decode("latin-1"): letter for letter, hexes, *_ in read_rows("vni.tsv")
}
# Longest sequence first, then any other byte above 0x7F: a byte the table cannot place
# means the text was not VNI.
_VNI_PATTERN = re.compile(
    "|".join(map(re.escape, sorted(_VNI, key=len, reverse=True))) + "|[\x80-\xff]"
)

_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    replace_lossy_sequences=False,  # never invent U+FFFD: a partial repair is no repair
    fix_c1_controls=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization="NFC",
    explain=True,
)

_WORD = re.compile(r"[^\W\d_]+")
# Characters that are never a problem: Vietnamese letters, printable ASCII, every kind of
# space except the no-break space.
_PLAIN = frozenset(
    VIETNAMESE_LETTERS
    | {chr(code) for code in range(0x20, 0x7F)}
    | {chr(code) for code in range(0x3001) if chr(code).isspace() and code != 0xA0}
)
_WORD_START = re.compile(r"(?:^|(?<=\s))([^\W\d_])")


def problems(text: str) -> int:
    """Count what makes ``text`` (NFC) implausible as Vietnamese: characters that are neither
    Vietnamese letters nor printable ASCII/space, plus words with non-ASCII letters that are
    not one well-formed syllable (`is_valid_syllable`). ASCII-only words (foreign or
    ethnic-minority names: "Ksor", "H'Hen") are not counted. The no-break space counts: in a
    name it is the trace of a UTF-8 "à" (C3 A0) read as "Ã" + U+00A0. Raises nothing.
    """
    strangers = set(text) - _PLAIN  # set arithmetic runs in C: this is on every comparison
    bad = sum(text.count(char) for char in strangers) if strangers else 0
    if not text.isascii():
        bad += sum(
            1 for word in _WORD.findall(text) if not word.isascii() and not is_valid_syllable(word)
        )
    return bad


def _as_bytes(text: str) -> bytes | None:
    """The bytes a Windows-1252 (or Latin-1) reader turned into ``text``, if it could have."""
    try:
        return bytes([_BYTE_OF_CHAR[char] for char in text])
    except KeyError:
        return None


# Letters whose case TCVN3 does encode: ASCII, and the seven capitals VN3 has (Ă Â Ê Ô Ơ Ư Đ).
_CASE_KNOWN = frozenset("abcdefghijklmnopqrstuvwxyzăâêôơưđ")


def _restore_case(text: str) -> str:
    """Upper-case what TCVN3's lower-case-only tone letters lost.

    VN3 has no capital letters with a tone mark; legacy documents wrote them in a capitals
    font at the lower-case positions, so "NGUYỄN" decodes as "NGUYễN" and "Ánh" as "ánh".
    The letters whose case VN3 does encode are ASCII and Ă Â Ê Ô Ơ Ư Đ, though a capitals
    font may write even those seven at lower-case positions: ASCII letters are the better
    witnesses, the seven count only where no ASCII letter stands. When the witnesses inside
    words are all capitals, the text was all capitals. Otherwise, when the witnesses that
    start words are all capitals, or there are none, the text was a title-cased name, the
    way names are written. (So "Tõ Mü Sü" becomes "Từ Mỹ Sỹ": whether it was typed all in
    capitals is not in the bytes.)
    """
    words = text.split()
    inner = [char for word in words for char in word[1:] if char.lower() in _CASE_KNOWN]
    starts = [word[0] for word in words if word[0].lower() in _CASE_KNOWN]
    inner = [char for char in inner if char.isascii()] or inner
    starts = [char for char in starts if char.isascii()] or starts
    if inner and all(char.isupper() for char in inner):
        return text.upper()
    if all(char.isupper() for char in starts):
        return _WORD_START.sub(lambda match: match.group(1).upper(), text)
    return text


def _case_anomalies(text: str) -> int:
    """Words whose letter case is unlike the rest: a decoding that leaves "Phan Thanh ưng"
    or "NGUYễN" is less likely than one that gives "Phan Thanh Ửng", "NGUYỄN"."""
    styles: list[str] = []
    for word in _WORD.findall(text):
        if word.islower():
            styles.append("lower")
        elif word.isupper():
            if len(word) > 1:  # a one-letter capital ("NGUYỄN VĂN A", "Nguyễn Văn A") fits both
                styles.append("upper")
        elif word[0].isupper() and word[1:].islower():
            styles.append("title")
        else:
            styles.append("mixed")
    majority = max((styles.count(style) for style in set(styles) - {"mixed"}), default=0)
    return len(styles) - majority


# Letters a code page ftfy tries shows for a byte that leads a UTF-8 sequence (C2 C3 D0 D9),
# followed by a space (ftfy.chardata.ALTERED_UTF8_RE), and U+0085 (byte 85 in Latin-1).
_SPACE_AFTER_LEAD = re.compile("[\u00c2\u00c3\u00d9\u0102\u0110] |\x85")


def _utf8_double_strict(raw: bytes | None) -> str | None:
    """The whole text's strict UTF-8 round trip, when it is plausible Vietnamese and ftfy
    would give the same text; else None (ask `_utf8_double_ftfy`).

    ftfy's first decoding is this one, and a plausible text has no byte a further step could
    decode again (a UTF-8 continuation byte reads as a symbol in every code page ftfy tries),
    except where ftfy would first turn a space back into the U+00A0 it stood for: after a
    letter whose byte leads a UTF-8 sequence (_SPACE_AFTER_LEAD), or U+0085 itself. A third
    of ftfy's cost; tests/identity/test_properties.py checks the two agree."""
    if raw is None:
        return None
    try:
        strict = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _SPACE_AFTER_LEAD.search(strict) or problems(unicodedata.normalize("NFC", strict)):
        return None
    return strict


def _utf8_double_ftfy(text: str, raw: bytes | None) -> str | None:
    fixed = ftfy.fix_and_explain(text, _FTFY_CONFIG)
    steps = fixed.explanation or []
    if any("utf-8" in step[1] or "utf8" in step[1] for step in steps) and not problems(fixed.text):
        return fixed.text
    # ftfy declines (or fixes only part) when a few bytes are ambiguous; the strict round
    # trip of the whole text is still evidence.
    try:
        return raw.decode("utf-8") if raw is not None else None
    except UnicodeDecodeError:
        return None


def _utf8_double(text: str, raw: bytes | None) -> str | None:
    return _utf8_double_strict(raw) or _utf8_double_ftfy(text, raw)


def _cp1258(raw: bytes) -> str | None:
    try:
        return raw.decode("cp1258")
    except UnicodeDecodeError:
        return None


def _vni(raw: bytes) -> str | None:
    pieces: list[str] = []
    position = 0
    text = raw.decode("latin-1")
    for match in _VNI_PATTERN.finditer(text):
        letter = _VNI.get(match.group(0))
        if letter is None:
            return None
        pieces += (text[position : match.start()], letter)
        position = match.end()
    return "".join(pieces) + text[position:]


def _tcvn3(raw: bytes) -> str | None:
    text = raw.decode("latin-1")
    # A byte above 0x7F that is no VN3 letter cannot come from a TCVN3 name.
    if any(char > "\x7f" and char not in _TCVN3 for char in text):
        return None
    return text.translate(_TCVN3_TABLE)


# When two decodings both look right and their letter case is equally consistent, this order
# decides: the accidents most common in Vietnamese health data first. TCVN3 (the national
# 8-bit standard until TCVN 6909:2001 moved government offices to Unicode) outranks
# Windows-1258, which few systems ever used; the two collide because VN3's è ề ị ỡ ũ sit on
# Windows-1258's five combining tone bytes.
_PRIORITY: tuple[EncodingKind, ...] = ("utf8_double", "tcvn3", "vni", "cp1258")


def _candidates(s: str) -> Iterator[tuple[EncodingKind, str]]:
    """The plausible repairs of ``s`` (see `decodings`), lazily, in `_PRIORITY` order."""
    text = unicodedata.normalize("NFC", s)
    if problems(text) == 0:
        return
    raw = _as_bytes(text)
    for kind in _PRIORITY:
        if kind == "utf8_double":
            candidate = _utf8_double(text, raw)
        elif raw is None:
            continue
        elif kind == "tcvn3":
            candidate = _tcvn3(raw)
            # The decoding is ASCII and Vietnamese letters, whose case changes no problem:
            # restore the case only where the decoding is plausible.
            if candidate is None or problems(unicodedata.normalize("NFC", candidate)):
                continue
            candidate = _restore_case(candidate)
        elif kind == "vni":
            candidate = _vni(raw)
        else:
            candidate = _cp1258(raw)
        if candidate is None:
            continue
        candidate = unicodedata.normalize("NFC", candidate)
        if candidate != text and problems(candidate) == 0:
            yield kind, candidate


def decodings(s: str) -> dict[EncodingKind, str]:
    """Return every plausible repair of ``s``: encoding -> repaired text (NFC).

    Empty when ``s`` has no problem (see `problems`: a correct Vietnamese text) or when no
    decoding leaves it without one. More than one entry means the bytes are ambiguous (for
    example TCVN3 "KIÒU" is "KIỀU", while the same bytes in Windows-1258 are "KỈU").
    Raises nothing.
    """
    return dict(_candidates(s))


def repair_encoding(s: str) -> tuple[str, EncodingKind | None]:
    """Return (the repaired text in NFC, the encoding repaired), or (s, None) when ``s`` needs
    no repair or no decoding makes it plausible Vietnamese.

    Plausible means no problem left (see `problems`): every character a Vietnamese letter or
    ASCII, every word with marks one well-formed syllable. ``s`` is only considered for repair
    when it has a problem, so a correct Vietnamese name always comes back unchanged. When
    several decodings qualify (see `decodings`), the one whose words have the most consistent
    letter case wins ("Phan Thanh Ửng" over "Phan Thanh ưng"), then the order utf8_double,
    tcvn3, vni, cp1258. Raises nothing.
    """
    # The decodings come in priority order, so the first without a case anomaly wins and the
    # rest need not be tried (most repairs stop at the first decoding).
    best: tuple[int, str, EncodingKind] | None = None
    for kind, candidate in _candidates(s):
        anomalies = _case_anomalies(candidate)
        if anomalies == 0:
            return candidate, kind
        if best is None or anomalies < best[0]:
            best = (anomalies, candidate, kind)
    return (s, None) if best is None else (best[1], best[2])
