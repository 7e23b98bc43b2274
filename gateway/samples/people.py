"""Synthetic insured people: name, gender, birth date, CCCD, health-insurance card, address.

Every identity value is built to the rules of DOMAIN.md "Identity data", so the identity checks
(gateway.identity) find nothing to say about a generated person:

- CCCD (Decree 137/2015, Circular 07/2016/TT-BCA): digits 1–3 the province of birth
  registration, digit 4 century + gender (1900s: 0 male, 1 female; 2000s: 2 male, 3 female),
  digits 5–6 the last two digits of the birth year, 7–12 random.
- Card code `^[A-Z]{2}[1-5]\\d{2}\\d{10}$`: participant group, benefit level, 2-digit issuing
  province, 10-digit social-insurance number (QĐ 1351/QĐ-BHXH groups and levels).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from gateway.identity import parse_card_code, parse_cccd
from gateway.samples.names import full_name

# Circular 07/2016/TT-BCA Appendix 1 (DOMAIN.md), with a rough population weight so that the
# big provinces come up more often.
PROVINCES: tuple[tuple[str, str, int], ...] = (
    ("001", "Hà Nội", 84), ("002", "Hà Giang", 9), ("004", "Cao Bằng", 5), ("006", "Bắc Kạn", 3),
    ("008", "Tuyên Quang", 8), ("010", "Lào Cai", 7), ("011", "Điện Biên", 6),
    ("012", "Lai Châu", 5), ("014", "Sơn La", 13), ("015", "Yên Bái", 8), ("017", "Hòa Bình", 9),
    ("019", "Thái Nguyên", 13), ("020", "Lạng Sơn", 8), ("022", "Quảng Ninh", 13),
    ("024", "Bắc Giang", 19), ("025", "Phú Thọ", 15), ("026", "Vĩnh Phúc", 12),
    ("027", "Bắc Ninh", 15), ("030", "Hải Dương", 19), ("031", "Hải Phòng", 21),
    ("033", "Hưng Yên", 13), ("034", "Thái Bình", 19), ("035", "Hà Nam", 9),
    ("036", "Nam Định", 18), ("037", "Ninh Bình", 10), ("038", "Thanh Hóa", 37),
    ("040", "Nghệ An", 34), ("042", "Hà Tĩnh", 13), ("044", "Quảng Bình", 9),
    ("045", "Quảng Trị", 6), ("046", "Thừa Thiên Huế", 11), ("048", "Đà Nẵng", 12),
    ("049", "Quảng Nam", 15), ("051", "Quảng Ngãi", 12), ("052", "Bình Định", 15),
    ("054", "Phú Yên", 9), ("056", "Khánh Hòa", 12), ("058", "Ninh Thuận", 6),
    ("060", "Bình Thuận", 12), ("062", "Kon Tum", 6), ("064", "Gia Lai", 15),
    ("066", "Đắk Lắk", 19), ("067", "Đắk Nông", 7), ("068", "Lâm Đồng", 13),
    ("070", "Bình Phước", 10), ("072", "Tây Ninh", 12), ("074", "Bình Dương", 27),
    ("075", "Đồng Nai", 32), ("077", "Bà Rịa–Vũng Tàu", 12), ("079", "TP Hồ Chí Minh", 94),
    ("080", "Long An", 17), ("082", "Tiền Giang", 18), ("083", "Bến Tre", 13),
    ("084", "Trà Vinh", 10), ("086", "Vĩnh Long", 10), ("087", "Đồng Tháp", 16),
    ("089", "An Giang", 19), ("091", "Kiên Giang", 17), ("092", "Cần Thơ", 12),
    ("093", "Hậu Giang", 7), ("094", "Sóc Trăng", 12), ("095", "Bạc Liêu", 9),
    ("096", "Cà Mau", 12),
)  # fmt: skip
PROVINCE_NAMES = {code: name for code, name, _ in PROVINCES}
_PROVINCE_CODES = tuple(code for code, _, _ in PROVINCES)
_PROVINCE_WEIGHTS = tuple(weight for _, _, weight in PROVINCES)

# Benefit level (card character 3) -> MUC_HUONG percentage (DOMAIN.md "Identity data").
BENEFIT_PERCENT = {1: 100, 2: 100, 3: 95, 4: 80, 5: 100}
# Participant groups (QĐ 1351/QĐ-BHXH) and the benefit level each carries.
GROUP_LEVEL = {
    "TE": 1, "CC": 1, "HN": 2, "CB": 2, "BT": 2, "DT": 2, "HT": 3, "CN": 3,
    "DN": 4, "HC": 4, "GD": 4, "HS": 4, "SV": 4, "NO": 4, "XK": 4, "QN": 5, "CA": 5,
}  # fmt: skip
_ADULT_GROUPS = (("DN", 35), ("HC", 10), ("GD", 25), ("HN", 5), ("CN", 3), ("NO", 5),
                 ("XK", 2), ("CA", 1), ("QN", 1), ("BT", 2), ("DT", 3), ("SV", 0))  # fmt: skip
_ELDER_GROUPS = (("HT", 45), ("GD", 20), ("BT", 10), ("CC", 5), ("HN", 5), ("DT", 3),
                 ("CB", 2))  # fmt: skip

_STREETS = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
    "Hùng Vương", "Điện Biên Phủ", "Phan Đình Phùng", "Nguyễn Huệ", "Lê Duẩn", "Bạch Đằng",
    "Trường Chinh", "Võ Thị Sáu", "Nguyễn Du", "Hoàng Văn Thụ", "Lạc Long Quân", "Tôn Đức Thắng",
)  # fmt: skip
_PLACES = (
    "An Bình", "Tân Mai", "Hòa Phú", "Phú Lợi", "Tân Phong", "Đông Hòa", "Trung Hòa",
    "Thạch Bàn", "Yên Phụ", "Vĩnh Ninh", "Hưng Lộc", "Quang Tiến", "Hòa Khánh", "Long Thạnh",
    "Tân Hưng", "Phước Long", "Đồng Tâm", "Minh Khai", "Thanh Xuân", "Cẩm Lệ",
)  # fmt: skip
_ETHNICITIES = (("01", 85), ("02", 2), ("03", 2), ("04", 1), ("05", 2), ("06", 2), ("07", 1))
# QĐ 34/2020/QĐ-TTg occupation codes (5 digits); "00000" none / not working.
_OCCUPATIONS = ("22110", "23300", "24110", "52230", "61110", "71110", "83220", "91120")
_BLOOD_GROUPS = ("A+", "B+", "AB+", "O+", "A-", "O-")
_PHONE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "032", "035", "038",
                   "070", "077", "081", "085", "088")  # fmt: skip


@dataclass(frozen=True)
class Card:
    """A health-insurance card valid from `valid_from` to `valid_to` (GT_THE_TU, GT_THE_DEN)."""

    group: str
    level: int
    province: str  # 2-digit issuing province
    social_insurance_number: str  # 10 digits, lifelong (mã số BHXH)
    registered_facility: str  # MA_DKBD, 5 chars
    valid_from: date
    valid_to: date

    @property
    def code(self) -> str:
        """The 15-character card code (MA_THE_BHYT)."""
        return card_code(self.group, self.level, self.province, self.social_insurance_number)

    @property
    def benefit_percent(self) -> int:
        """MUC_HUONG for a right-route visit: 100, 95 or 80 by the benefit level."""
        return BENEFIT_PERCENT[self.level]


@dataclass(frozen=True)
class Address:
    """Current residence (DIA_CHI and the administrative codes of XML1)."""

    text: str
    province: str  # MATINH_CU_TRU, 2 digits
    district: str  # MAHUYEN_CU_TRU, 3 digits
    commune: str  # MAXA_CU_TRU, 5 digits


@dataclass(frozen=True)
class Person:
    """One synthetic insured person, consistent with every identity rule of DOMAIN.md."""

    patient_id: str  # MA_BN
    name: str  # NFC, family name first
    gender: int  # 1 male, 2 female
    birth: date
    year_only: bool  # only the birth year is known: NGAY_SINH yyyy00000000
    cccd: str
    card: Card
    address: Address
    phone: str  # "" when not given
    ethnicity: str  # MA_DANTOC
    nationality: str  # MA_QUOCTICH
    occupation: str  # MA_NGHE_NGHIEP
    blood_group: str  # NHOM_MAU, "" when unknown
    weight_kg: str  # CAN_NANG, 2 decimals

    @property
    def ngay_sinh(self) -> str:
        """NGAY_SINH as 12 characters: yyyyMMdd0000, or yyyy00000000 for a year-only birth."""
        if self.year_only:
            return f"{self.birth.year:04d}00000000"
        return f"{self.birth:%Y%m%d}0000"

    @property
    def ngay_sinh8(self) -> str:
        """NGAY_SINH as 8 characters (XML12): yyyyMMdd, or yyyy0000 for a year-only birth."""
        return f"{self.birth.year:04d}0000" if self.year_only else f"{self.birth:%Y%m%d}"

    def age_on(self, day: date) -> int:
        """Age in whole years on `day`."""
        before_birthday = (day.month, day.day) < (self.birth.month, self.birth.day)
        return day.year - self.birth.year - int(before_birthday)


def cccd_number(rng: random.Random, province: str, birth_year: int, gender: int) -> str:
    """A 12-digit CCCD for a person born in `birth_year` of `gender`, registered in `province`.

    Raises ValueError for an unknown province code, a year outside 1900–2099 or a gender
    other than 1/2.
    """
    if province not in PROVINCE_NAMES:
        raise ValueError(f"unknown province code {province!r}")
    if not 1900 <= birth_year <= 2099 or gender not in (1, 2):
        raise ValueError(f"no CCCD century/gender digit for {birth_year}, gender {gender}")
    century_gender = (birth_year // 100 - 19) * 2 + (gender - 1)
    return f"{province}{century_gender}{birth_year % 100:02d}{rng.randrange(10**6):06d}"


def card_code(group: str, level: int, province: str, social_insurance_number: str) -> str:
    """The 15-character card code from its parts (DOMAIN.md); raises ValueError if malformed."""
    code = f"{group}{level}{province}{social_insurance_number}"
    if not (
        len(group) == 2 and group.isalpha() and group.isupper() and 1 <= level <= 5
        and len(province) == 2 and province.isdigit()
        and len(social_insurance_number) == 10 and social_insurance_number.isdigit()
    ):  # fmt: skip
        raise ValueError(f"malformed card code {code!r}")
    return code


def province_of_facility(facility: str) -> str:
    """The 3-digit province code of a facility code (its first two digits)."""
    return f"0{facility[:2]}"


def _birth(rng: random.Random, today: date) -> tuple[date, bool]:
    band = rng.random()
    if band < 0.15:
        age = rng.randint(1, 15)
    elif band < 0.70:
        age = rng.randint(16, 59)
    else:
        age = rng.randint(60, 95)
    birth = today - timedelta(days=age * 365 + rng.randrange(365))
    year_only = birth.year < 1960 and rng.random() < 0.25
    return birth, year_only


def _card_group(rng: random.Random, age: int) -> str:
    if age < 6:
        return "TE"
    if age < 18:
        return "HS"
    table = _ELDER_GROUPS if age >= 60 else _ADULT_GROUPS
    if 18 <= age <= 22 and rng.random() < 0.4:
        return "SV"
    groups = [g for g, _ in table]
    return rng.choices(groups, weights=[w for _, w in table])[0]


def make_address(rng: random.Random, province: str) -> Address:
    """A plausible residence in `province` (3-digit code); district/commune codes are synthetic."""
    district = rng.choice(_PLACES)
    commune = rng.choice(_PLACES)
    urban = rng.random() < 0.5
    text = (
        f"Số {rng.randint(1, 250)} {rng.choice(_STREETS)}, "
        f"{'Phường' if urban else 'Xã'} {commune}, "
        f"{'Quận' if urban else 'Huyện'} {district}, {PROVINCE_NAMES[province]}"
    )
    return Address(
        text=text,
        province=province[1:],
        district=f"{rng.randint(1, 999):03d}",
        commune=f"{rng.randint(1, 32000):05d}",
    )


def make_person(rng: random.Random, facility: str, visit: date, *, adult: bool = False) -> Person:
    """A person who might be treated at `facility` on `visit`, with a card valid that day.

    Most live in the facility's province and registered there (MA_DKBD = facility). The card
    runs for the calendar year of the visit. `adult` keeps the person 18 or over.
    """
    gender = rng.choice((1, 2))
    birth, year_only = _birth(rng, visit)
    while adult and visit.year - birth.year < 19:
        birth, year_only = _birth(rng, visit)
    home = province_of_facility(facility)
    if home not in PROVINCE_NAMES or rng.random() < 0.2:
        home = rng.choices(_PROVINCE_CODES, weights=_PROVINCE_WEIGHTS)[0]
    birthplace = home if rng.random() < 0.8 else rng.choices(_PROVINCE_CODES, _PROVINCE_WEIGHTS)[0]
    age = visit.year - birth.year
    group = _card_group(rng, age)
    registered = facility if home[1:] == facility[:2] else f"{home[1:]}{rng.randint(1, 120):03d}"
    card = Card(
        group=group,
        level=GROUP_LEVEL[group],
        province=home[1:],
        social_insurance_number=f"{home[1:]}{rng.randrange(10**8):08d}",
        registered_facility=registered,
        valid_from=date(visit.year, 1, 1),
        valid_to=date(visit.year, 12, 31),
    )
    working = 18 <= age < 60
    person = Person(
        patient_id=f"BN{rng.randrange(10**8):08d}",
        name=full_name(rng, gender),
        gender=gender,
        birth=birth,
        year_only=year_only,
        cccd=cccd_number(rng, birthplace, birth.year, gender),
        card=card,
        address=make_address(rng, home),
        phone=""
        if rng.random() < 0.1
        else f"{rng.choice(_PHONE_PREFIXES)}{rng.randrange(10**7):07d}",
        ethnicity=rng.choices([e for e, _ in _ETHNICITIES], [w for _, w in _ETHNICITIES])[0],
        nationality="000",
        occupation=rng.choice(_OCCUPATIONS) if working and rng.random() < 0.7 else "00000",
        blood_group=rng.choice(_BLOOD_GROUPS) if rng.random() < 0.3 else "",
        weight_kg=_weight(rng, age, gender),
    )
    _verify(person)
    return person


def _verify(person: Person) -> None:
    """Read back what was built with the identity parsers: a generator bug fails loudly here."""
    cccd = parse_cccd(person.cccd)
    card = parse_card_code(person.card.code)
    if (cccd.gender, cccd.birth_year) != (person.gender, person.birth.year):
        raise AssertionError(
            f"CCCD {cccd.explain()} does not match {person.gender}, {person.birth}"
        )
    if card.benefit_percent != person.card.benefit_percent:
        raise AssertionError(
            f"card benefit {card.benefit_percent} != {person.card.benefit_percent}"
        )


def _weight(rng: random.Random, age: int, gender: int) -> str:
    if age < 16:
        kg = 8 + age * 3 + rng.uniform(-2, 4)
    else:
        kg = rng.uniform(45, 78) if gender == 1 else rng.uniform(40, 65)
    return f"{round(kg * 2) / 2:.2f}"
