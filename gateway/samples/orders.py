"""The building blocks of an episode's course: profile, staff, and the orders of a stay.

A DrugOrder becomes an XML2 row, a ServiceOrder an XML3 row, a Note an XML5 row
(gateway.samples.episode turns them into records).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from gateway.samples import clinical
from gateway.samples.clinical import Diagnosis, Drug, Service, Supply


@dataclass(frozen=True)
class Profile:
    """How big an episode is: outpatient visit, a short inpatient stay, or a long one."""

    name: str
    inpatient: bool
    nights: tuple[int, int]
    regimen: tuple[int, int]  # drugs given every day
    notes_per_day: int  # XML5 rows a day
    lab_every: int  # days between repeat blood tests
    chemistry: tuple[int, int]  # biochemistry tests on admission, besides the blood count
    daily_supplies: bool  # a supply row a day, or one per supply for the whole stay


# Sizes (envelope, base64 included): small ~10 KB, typical ~40 KB, large ~1 MB.
PROFILES = {
    "small": Profile("small", False, (0, 0), (1, 3), 0, 0, (0, 0), False),
    "typical": Profile("typical", True, (2, 3), (3, 3), 1, 0, (1, 2), False),
    "large": Profile("large", True, (44, 50), (6, 7), 2, 2, (2, 4), True),
}


@dataclass(frozen=True)
class Staff:
    """A facility's people as the claim names them: practice-certificate codes, head's ID."""

    facility: str
    doctors: tuple[str, ...]  # MA_BAC_SI: practising-certificate numbers
    nurses: tuple[str, ...]
    head: str  # MA_TTDV: the head of the facility's 10-digit social-insurance number

    @staticmethod
    def of(facility: str) -> Staff:
        """The (synthetic, stable) staff of a facility: the same for every seed."""
        rng = random.Random(f"staff:{facility}")
        numbers = rng.sample(range(1, 60000), 14)
        codes = tuple(f"{n:06d}/BYT-CCHN" for n in numbers)
        head = f"{facility[:2]}{rng.randrange(10**8):08d}"
        return Staff(facility, codes[:8], codes[8:], head)


@dataclass(frozen=True)
class DrugOrder:
    """One XML2 line: a drug given (inpatient: one day's doses; outpatient: the prescription)."""

    drug: Drug
    qty: Decimal
    dosage: str  # LIEU_DUNG
    ordered: datetime  # NGAY_YL
    done: datetime  # NGAY_TH_YL
    ward: str
    doctor: str


@dataclass(frozen=True)
class ServiceOrder:
    """One XML3 line: a service, consultation, bed day or supply."""

    service: Service | None
    supply: Supply | None
    qty: Decimal
    price_bv: Decimal
    price_bh: Decimal
    service_ratio: int  # TYLE_TT_DV
    ordered: datetime
    done: datetime
    result: datetime | None  # NGAY_KQ
    ward: str
    doctor: str
    performer: str  # NGUOI_THUC_HIEN
    bed: str = ""  # MA_GIUONG

    @property
    def group(self) -> str:
        """MA_NHOM of the service or supply."""
        item = self.service or self.supply
        assert item is not None
        return item.group


@dataclass(frozen=True)
class Note:
    """One XML5 row: the clinical progress at a moment of the stay."""

    at: datetime
    text: str
    procedure: str
    author: str


@dataclass(frozen=True)
class Course:
    """Everything that happened in one episode, in time order."""

    inpatient: bool
    diagnosis: Diagnosis
    admitted: datetime  # NGAY_VAO
    inpatient_from: datetime | None  # NGAY_VAO_NOI_TRU
    discharged: datetime  # NGAY_RA
    settled: datetime  # NGAY_TTOAN
    ward: str
    doctor: str
    drugs: tuple[DrugOrder, ...]
    services: tuple[ServiceOrder, ...]
    notes: tuple[Note, ...]


def minutes(rng: random.Random, low: int, high: int) -> timedelta:
    """A random whole number of minutes between `low` and `high` (inclusive)."""
    return timedelta(minutes=rng.randint(low, high))


def at(day: date, hour: int, minute: int) -> datetime:
    """`day` at hour:minute."""
    return datetime.combine(day, time(hour, minute))


def supply(code: str) -> Supply:
    """The catalogue supply with this MA_VAT_TU; raises StopIteration for an unknown code."""
    return next(s for s in clinical.SUPPLIES if s.code == code)


def service_order(
    rng: random.Random, service: Service, ordered: datetime, ward: str, doctor: str,
    performer: str, *, qty: int = 1, result_after: tuple[int, int] | None = (10, 60),
    service_ratio: int = 100, bed: str = "",
) -> ServiceOrder:  # fmt: skip
    """An XML3 line for `service` ordered at `ordered`: done 1–20 minutes later (a bed day at
    once), its result `result_after` minutes after that (None: no result time). One in ten
    imaging, test or procedure lines is priced above the insurance price (T_BNTT > 0)."""
    done = ordered + minutes(rng, 1, 20) if service.group != "15" else ordered
    result = done + minutes(rng, *result_after) if result_after else None
    surcharge = service.group in ("2", "3", "8") and rng.random() < 0.1
    price_bv = (
        (service.price * Decimal("0.0115")).quantize(Decimal(1)) * 100
        if surcharge
        else service.price
    )
    return ServiceOrder(
        service, None, Decimal(qty), price_bv, service.price, service_ratio,
        ordered, done, result, ward, doctor, performer, bed,
    )  # fmt: skip


def supply_order(
    rng: random.Random, item: Supply, qty: int, ordered: datetime, ward: str, staff: Staff
) -> ServiceOrder:
    """An XML3 line for `qty` units of a medical supply, handed out 2–15 minutes after `ordered`."""
    return ServiceOrder(
        None, item, Decimal(qty), item.price, item.price, 100, ordered,
        ordered + minutes(rng, 2, 15), None, ward, rng.choice(staff.doctors),
        rng.choice(staff.nurses),
    )  # fmt: skip
