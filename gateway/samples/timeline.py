"""The course of one treatment episode in time: what was ordered, done and read, and when.

Every time lies inside the stay (NGAY_VAO <= order <= execution <= result <= NGAY_RA), so the
date rules of QĐ 130 (NGAY_TH_YL >= NGAY_YL, NGAY_KQ >= NGAY_YL, NGAY_VAO_NOI_TRU >= NGAY_VAO,
XML5 THOI_DIEM_DBLS within the stay) hold by construction.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from gateway.samples import clinical
from gateway.samples.clinical import Diagnosis
from gateway.samples.orders import (
    PROFILES,
    Course,
    DrugOrder,
    Note,
    Profile,
    ServiceOrder,
    Staff,
    at,
    minutes,
    service_order,
    supply,
    supply_order,
)

__all__ = ["PROFILES", "Course", "Profile", "Staff", "diagnosis_for", "make_course"]

_OUTPATIENT_CODES = frozenset(
    {"J02.9", "J20.9", "I10", "E11.9", "E78.5", "K29.7", "K21.9", "N39.0", "M54.5", "M17.9"}
)
_GENERAL = ("40.17", "40.677", "40.1087", "40.1042")
_INJECTION_ROUTES, _INFUSION_ROUTE = frozenset({"2.01", "2.10"}), "2.15"
_SYRINGE, _CANNULA, _INFUSION_SET = "N03.02.070", "N03.05.010", "N03.01.060"


def diagnosis_for(rng: random.Random, profile: Profile) -> Diagnosis:
    """A main diagnosis fitting the profile (outpatient visits get the milder ones)."""
    pool = [d for d in clinical.DIAGNOSES if profile.inpatient or d.code in _OUTPATIENT_CODES]
    return rng.choice(pool)


def make_course(
    rng: random.Random, profile: Profile, staff: Staff, diagnosis: Diagnosis, day: date
) -> Course:
    """The course of an episode starting on `day`."""
    if profile.inpatient:
        return _inpatient(rng, profile, staff, diagnosis, day)
    return _outpatient(rng, profile, staff, diagnosis, day)


def _outpatient(
    rng: random.Random, profile: Profile, staff: Staff, diagnosis: Diagnosis, day: date
) -> Course:
    doctor = rng.choice(staff.doctors)
    ward = clinical.WARD_OUTPATIENT
    admitted = at(day, 7, 0) + minutes(rng, 0, 480)
    exam = service_order(
        rng, rng.choice(clinical.CONSULTATIONS), admitted + minutes(rng, 5, 20), ward, doctor,
        doctor, result_after=(5, 15),
    )  # fmt: skip
    services = [exam]
    last = exam.result or exam.done
    if rng.random() < 0.5:
        test = rng.choice([s for s in clinical.IMAGING_AND_TESTS if s.price < 200000])
        services.append(
            service_order(rng, test, last + minutes(rng, 1, 5), ward, doctor,
                           rng.choice(staff.doctors), result_after=(10, 40))
        )  # fmt: skip
        last = services[-1].result or last
    chronic = diagnosis.area in ("cardio", "endo")
    pool = [d for d in clinical.drugs_for(diagnosis.area) if d.route == "1.01"] or [
        d for d in clinical.DRUGS if d.code in _GENERAL and d.route == "1.01"
    ]
    chosen = rng.sample(pool, min(len(pool), rng.randint(*profile.regimen)))
    drugs = []
    ordered = last + minutes(rng, 5, 15)
    for drug in chosen:
        days = 30 if chronic else rng.randint(5, 7)
        qty = drug.per_dose * drug.doses_per_day * days
        dosage = (
            f"{drug.per_dose} {drug.unit.lower()}/lần * {drug.doses_per_day} lần/ngày * {days} ngày"
        )
        done = ordered + minutes(rng, 5, 20)
        drugs.append(DrugOrder(drug, Decimal(qty), dosage, ordered, done, ward, doctor))
    ends = [s.result or s.done for s in services] + [d.done for d in drugs]
    discharged = max(ends) + minutes(rng, 5, 20)
    return Course(
        False, diagnosis, admitted, None, discharged, discharged + minutes(rng, 3, 15), ward,
        doctor, tuple(drugs), tuple(services), (),
    )  # fmt: skip


def _inpatient(
    rng: random.Random, profile: Profile, staff: Staff, diagnosis: Diagnosis, day: date
) -> Course:
    doctor = rng.choice(staff.doctors)
    ward = clinical.WARD_SURGICAL if diagnosis.area == "injury" else clinical.WARD_MEDICAL
    nights = rng.randint(*profile.nights)
    admitted = at(day, 6, 0) + minutes(rng, 0, 660)
    inpatient_from = admitted + minutes(rng, 30, 150)
    discharged = at(day + timedelta(days=nights), 9, 0) + minutes(rng, 0, 150)
    services: list[ServiceOrder] = []
    exam = service_order(
        rng, rng.choice(clinical.CONSULTATIONS), admitted + minutes(rng, 5, 20),
        clinical.WARD_OUTPATIENT, doctor, doctor, result_after=(5, 15),
    )  # fmt: skip
    services.append(exam)
    first_tests = (exam.result or exam.done) + minutes(rng, 5, 15)
    services += _labs(rng, staff, diagnosis, first_tests, ward, doctor, profile.chemistry)
    services += _imaging(rng, staff, diagnosis, first_tests, ward, doctor)
    drugs, supplies = _drug_days(
        rng, profile, staff, diagnosis, inpatient_from, nights, ward, doctor
    )
    services += supplies
    lab_reader = rng.choice(staff.doctors)
    bed_no = f"H{rng.randint(1, 60):03d}"
    shared_bed = rng.random() < 0.15
    for night in range(nights):
        when = inpatient_from if night == 0 else at(day + timedelta(days=night), 7, 0)
        bed = clinical.BEDS[0] if ward == clinical.WARD_MEDICAL else clinical.BEDS[1]
        services.append(
            service_order(rng, bed, when, ward, doctor, "", result_after=None,
                           service_ratio=50 if shared_bed else 100, bed=bed_no)
        )  # fmt: skip
        today = day + timedelta(days=night)
        if night and profile.lab_every and night % profile.lab_every == 0:
            morning = at(today, 6, 0) + minutes(rng, 0, 30)
            services += _labs(rng, staff, diagnosis, morning, ward, lab_reader, (1, 1))
        if night and night % 10 == 0:
            services += _imaging(rng, staff, diagnosis, at(today, 14, 0), ward, doctor)
        if night:
            services += _procedures(rng, staff, diagnosis, today, night, ward, doctor)
    notes = _notes(rng, profile, staff, diagnosis, inpatient_from, discharged, services)
    return Course(
        True, diagnosis, admitted, inpatient_from, discharged,
        discharged + minutes(rng, 10, 60), ward, doctor,
        tuple(sorted(drugs, key=lambda d: d.ordered)),
        tuple(sorted(services, key=lambda s: s.ordered)), notes,
    )  # fmt: skip


def _labs(
    rng: random.Random, staff: Staff, diagnosis: Diagnosis, start: datetime, ward: str,
    doctor: str, chemistry_count: tuple[int, int],
) -> list[ServiceOrder]:  # fmt: skip
    """A blood count plus some biochemistry; on admission (more than one test) the area's own."""
    admission = chemistry_count != (1, 1)
    chemistry = [s for s in clinical.LABS if s.code not in ("22.0120", "23.0206", "23.0083")]
    chosen = [clinical.LABS[0], *rng.sample(chemistry, rng.randint(*chemistry_count))]
    if admission and diagnosis.area == "endo":
        chosen.append(next(s for s in clinical.LABS if s.code == "23.0083"))
    if admission and diagnosis.area == "uro":
        chosen.append(next(s for s in clinical.LABS if s.code == "23.0206"))
    return [
        service_order(
            rng, lab, start, ward, doctor, rng.choice(staff.nurses), result_after=(30, 120)
        )
        for lab in chosen
    ]


def _imaging(
    rng: random.Random, staff: Staff, diagnosis: Diagnosis, start: datetime, ward: str, doctor: str
) -> list[ServiceOrder]:
    codes = {
        "resp": ("18.0119",), "cardio": ("21.0014", "18.0119"), "gi": ("18.0001",),
        "injury": ("18.0185",) if diagnosis.code == "S06.0" else ("18.0119",),
        "endo": ("18.0001", "21.0014"), "uro": ("18.0001",), "pain": ("18.0119",),
        "infect": ("18.0119", "18.0001"),
    }.get(diagnosis.area, ("18.0001",))  # fmt: skip
    reader = rng.choice(staff.doctors)
    return [
        service_order(rng, next(s for s in clinical.SERVICES if s.code == code),
                       start + minutes(rng, 0, 30), ward, doctor, reader, result_after=(15, 60))
        for code in codes
    ]  # fmt: skip


def _procedures(
    rng: random.Random, staff: Staff, diagnosis: Diagnosis, today: date, night: int, ward: str,
    doctor: str,
) -> list[ServiceOrder]:  # fmt: skip
    code = {"resp": "03.3826", "injury": "03.3911"}.get(diagnosis.area)
    if diagnosis.area == "gi" and night == 1:
        code = "02.0339"
    if code is None or (diagnosis.area == "injury" and night % 2):
        return []
    service = next(s for s in clinical.PROCEDURES if s.code == code)
    when = at(today, 9, 0) + minutes(rng, 0, 90)
    orders = [service_order(rng, service, when, ward, doctor, rng.choice(staff.doctors),
                             result_after=(0, 10))]  # fmt: skip
    if diagnosis.code == "S52.5" and night == 2:
        orders.append(supply_order(rng, supply("N06.04.020"), 1, when, ward, staff))
    return orders


def _drug_days(
    rng: random.Random, profile: Profile, staff: Staff, diagnosis: Diagnosis,
    inpatient_from: datetime, nights: int, ward: str, doctor: str,
) -> tuple[list[DrugOrder], list[ServiceOrder]]:  # fmt: skip
    pool = list(clinical.drugs_for(diagnosis.area))
    pool += [d for d in clinical.DRUGS if d.code in _GENERAL and d not in pool]
    regimen = rng.sample(pool, min(len(pool), rng.randint(*profile.regimen)))
    blood_days = set()
    if diagnosis.area in ("infect", "injury") and rng.random() < (0.5 if nights > 10 else 0.1):
        blood_days = {rng.randint(1, max(1, nights - 1))}
    drugs: list[DrugOrder] = []
    used: list[tuple[datetime, int, int, bool]] = []
    first_day = inpatient_from.date()
    for offset in range(nights + 1):
        today = first_day + timedelta(days=offset)
        if offset == 0:
            ordered = inpatient_from + minutes(rng, 10, 40)
        elif offset == nights:
            ordered = at(today, 7, 0) + minutes(rng, 0, 45)
        else:
            ordered = at(today, 7, 30) + minutes(rng, 0, 60)
        if offset and offset % 7 == 0 and len(pool) > len(regimen):  # a change of treatment
            regimen[rng.randrange(len(regimen))] = rng.choice([d for d in pool if d not in regimen])
        todays = list(regimen) + (
            list(clinical.blood_products()[:1]) if offset in blood_days else []
        )
        injections = infusions = 0
        for drug in todays:
            qty = drug.per_dose * drug.doses_per_day
            dosage = f"{drug.per_dose} {drug.unit.lower()}/lần * {drug.doses_per_day} lần/ngày"
            done = ordered + minutes(rng, 5, 40 if offset < nights else 20)
            drugs.append(DrugOrder(drug, Decimal(qty), dosage, ordered, done, ward, doctor))
            injections += qty if drug.route in _INJECTION_ROUTES else 0
            infusions += qty if drug.route == _INFUSION_ROUTE else 0
        if injections or infusions:
            used.append((ordered, injections, infusions, offset % 3 == 0))
    return drugs, _supplies(rng, staff, ward, used, profile.daily_supplies)


def _supplies(
    rng: random.Random, staff: Staff, ward: str, used: list[tuple[datetime, int, int, bool]],
    daily: bool,
) -> list[ServiceOrder]:  # fmt: skip
    """Syringes, infusion sets and cannulas for the IV doses of each day (`used`: when, number
    of injections, of infusions, whether a new cannula goes in), one row a day or for the stay."""
    if not daily and used:
        first = used[0][0]
        used = [(first, sum(u[1] for u in used), sum(u[2] for u in used), True)]
    orders = []
    for ordered, injections, infusions, cannula in used:
        for code, qty in (
            (_SYRINGE, injections),
            (_INFUSION_SET, infusions),
            (_CANNULA, int(cannula)),
        ):
            if qty:
                orders.append(supply_order(rng, supply(code), qty, ordered, ward, staff))
    return orders


def _vitals(rng: random.Random) -> str:
    temperature = f"{rng.uniform(36.5, 38.5):.1f}".replace(".", ",")
    return (
        f"Mạch {rng.randint(68, 105)} lần/phút, nhiệt độ {temperature}°C, "
        f"huyết áp {rng.randint(100, 150)}/{rng.randint(60, 95)} mmHg, "
        f"nhịp thở {rng.randint(16, 24)} lần/phút."
    )


_STATES = (
    "Người bệnh tỉnh, tiếp xúc tốt, ăn uống được.",
    "Người bệnh tỉnh, mệt, ngủ kém.",
    "Đỡ nhiều so với hôm qua, các triệu chứng giảm.",
    "Tình trạng ổn định, tiếp tục điều trị theo y lệnh.",
)


def _notes(
    rng: random.Random, profile: Profile, staff: Staff, diagnosis: Diagnosis,
    inpatient_from: datetime, discharged: datetime, services: list[ServiceOrder],
) -> tuple[Note, ...]:  # fmt: skip
    procedures = {
        s.ordered.date(): s.service.name for s in services if s.service and s.group == "8"
    }
    notes = [Note(inpatient_from + minutes(rng, 20, 60),
                  f"Vào viện vì {diagnosis.reason.lower()}. {_vitals(rng)}", "",
                  rng.choice(staff.doctors))]  # fmt: skip
    day = inpatient_from.date() + timedelta(days=1)
    while day < discharged.date():
        times = [at(day, 8, 0) + minutes(rng, 0, 90), at(day, 15, 0) + minutes(rng, 0, 90)]
        for moment in times[: profile.notes_per_day]:
            notes.append(Note(moment, f"{_vitals(rng)} {rng.choice(_STATES)}",
                              procedures.get(day, ""), rng.choice(staff.doctors)))  # fmt: skip
        day += timedelta(days=1)
    last = at(discharged.date(), 7, 0) + minutes(rng, 0, 60)
    notes.append(Note(last, f"{_vitals(rng)} Người bệnh ổn định, cho ra viện.", "",
                      rng.choice(staff.doctors)))  # fmt: skip
    return tuple(notes)
