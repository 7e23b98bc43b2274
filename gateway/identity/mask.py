"""Masking for logs: the project never logs a full personal ID, card number or name."""

from __future__ import annotations

import unicodedata

# Below this length, showing 3 + 2 characters would reveal most of the value.
_MIN_PARTIAL = 8


def mask_id(s: str) -> str:
    """Return an identifier with all but its first 3 and last 2 characters replaced by "*"
    ("001234567889" -> "001*******89"), keeping its length so shapes stay comparable.

    Values shorter than 8 characters are masked entirely. Raises nothing.
    """
    text = s.strip()
    if len(text) < _MIN_PARTIAL:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


def mask_name(s: str) -> str:
    """Return a name's initials only, upper case and without marks: "Nguyễn Văn An" ->
    "N. V. A.", "Đặng Thị Ánh" -> "D. T. A."; "" for an empty name. Raises nothing.
    """
    initials = []
    for word in s.split():
        letter = unicodedata.normalize("NFD", word[0])[0].upper()
        initials.append(("D" if letter in "ĐÐƉ" else letter) + ".")
    return " ".join(initials)
