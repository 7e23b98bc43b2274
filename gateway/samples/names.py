"""Vietnamese personal names for synthetic patients.

Family names are drawn by their real frequency (DOMAIN.md "Names": Nguyễn ~38%, Trần ~11%,
Lê ~9.5%, Phạm ~7%; the smaller names from the 2005 "Họ người Việt" survey figures commonly
quoted). Names are written family name first, given name last, in Unicode NFC, with the new
(modern) tone placement ("Hòa", "Thủy").
"""

from __future__ import annotations

import random
import unicodedata
from itertools import accumulate

# (family name, weight in per mille of the population)
_FAMILY: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Hoàng", 35), ("Huỳnh", 16),
    ("Phan", 45), ("Vũ", 25), ("Võ", 14), ("Đặng", 21), ("Bùi", 20), ("Đỗ", 14), ("Hồ", 13),
    ("Ngô", 13), ("Dương", 10), ("Lý", 5), ("Đinh", 6), ("Trương", 6), ("Đào", 4), ("Mai", 4),
    ("Trịnh", 4), ("Lâm", 4), ("Hà", 4), ("Cao", 3), ("Lương", 3), ("Tạ", 2), ("Phùng", 2),
    ("Tô", 2), ("Châu", 2), ("Thái", 2), ("Quách", 1), ("Kiều", 1), ("Vương", 1), ("La", 1),
)  # fmt: skip

_MIDDLE_MALE: tuple[tuple[str, float], ...] = (
    ("Văn", 40), ("Đức", 10), ("Minh", 10), ("Hữu", 7), ("Quang", 7), ("Thanh", 5),
    ("Hoàng", 5), ("Công", 4), ("Xuân", 3), ("Trọng", 3), ("Duy", 3), ("Ngọc", 2), ("Gia", 3),
    ("Quốc", 3), ("Tuấn", 2), ("Anh", 2),
)  # fmt: skip

_MIDDLE_FEMALE: tuple[tuple[str, float], ...] = (
    ("Thị", 50), ("Ngọc", 8), ("Thu", 6), ("Thanh", 5), ("Minh", 4), ("Hồng", 4), ("Kim", 4),
    ("Thùy", 3), ("Phương", 3), ("Bích", 2), ("Mỹ", 2), ("Khánh", 2), ("Bảo", 2), ("Hoài", 2),
    ("Diệu", 1), ("Hoàng", 2),
)  # fmt: skip

_GIVEN_MALE: tuple[str, ...] = (
    "An", "Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đông", "Đức", "Giang", "Hải",
    "Hiếu", "Hoàng", "Hùng", "Huy", "Hưng", "Khang", "Khoa", "Khôi", "Kiên", "Lâm", "Long",
    "Lộc", "Mạnh", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quân", "Quang",
    "Sơn", "Tài", "Tâm", "Thắng", "Thành", "Thịnh", "Toàn", "Trí", "Trung", "Tuấn", "Tùng",
    "Việt", "Vinh", "Vũ", "Hòa", "Lực",
)  # fmt: skip

_GIVEN_FEMALE: tuple[str, ...] = (
    "Anh", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hòa",
    "Hồng", "Huệ", "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Ngân", "Nga",
    "Ngọc", "Nhung", "Nhi", "Oanh", "Phương", "Quyên", "Quỳnh", "Tâm", "Thảo", "Thơm", "Thu",
    "Thủy", "Trang", "Trinh", "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến",
)  # fmt: skip


def _nfc(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", v) for v in values)


FAMILY_NAMES = _nfc(tuple(name for name, _ in _FAMILY))
_FAMILY_CUM = tuple(accumulate(w for _, w in _FAMILY))
_MIDDLE = {
    1: (_nfc(tuple(n for n, _ in _MIDDLE_MALE)), tuple(accumulate(w for _, w in _MIDDLE_MALE))),
    2: (
        _nfc(tuple(n for n, _ in _MIDDLE_FEMALE)),
        tuple(accumulate(w for _, w in _MIDDLE_FEMALE)),
    ),
}
_GIVEN = {1: _nfc(_GIVEN_MALE), 2: _nfc(_GIVEN_FEMALE)}


def family_name(rng: random.Random) -> str:
    """A family name drawn by its frequency in the population."""
    return rng.choices(FAMILY_NAMES, cum_weights=_FAMILY_CUM)[0]


def full_name(rng: random.Random, gender: int) -> str:
    """A full name (family, middle, given; NFC) fitting the gender (1 male, 2 female).

    Raises ValueError for a gender other than 1 or 2.
    """
    if gender not in (1, 2):
        raise ValueError(f"gender must be 1 or 2, not {gender!r}")
    middles, cum = _MIDDLE[gender]
    parts = [family_name(rng), rng.choices(middles, cum_weights=cum)[0]]
    if rng.random() < 0.12:  # a second middle name: "Nguyễn Thị Thu Hà"
        parts.append(rng.choices(middles, cum_weights=cum)[0])
    parts.append(rng.choice(_GIVEN[gender]))
    # "Nguyễn Văn Văn" reads as a typo: keep consecutive parts distinct.
    cleaned = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]
    return " ".join(cleaned)
