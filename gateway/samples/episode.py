"""One treatment episode (one HOSO, one MA_LK) as the records of its tables XML1–XML5.

A record is a dict field -> text. A field left out is emitted empty (`<NHOM_MAU/>`, as HIS do);
a field set to None is not emitted at all (only defects do that). Field order and the XML shape
come from the schema set when the records are serialised (gateway.samples.build).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from gateway.samples import amounts, clinical
from gateway.samples.amounts import LineAmounts
from gateway.samples.orders import Course, DrugOrder, ServiceOrder
from gateway.samples.people import Person

Record = dict[str, str | None]

_RIGHT_ROUTE = "1.1"  # MA_DOITUONG_KCB: insured, at the registered / right-route facility
_OUTPATIENT_VISIT, _INPATIENT = "01", "03"  # MA_LOAI_KCB
_FEE_FOR_SERVICE = "1"  # MA_PTTT
_TENDER = "{n}/QĐ-{facility};G{g};N{k};2025"  # TT_THAU: decision; package; group; year


@dataclass
class Episode:
    """A treatment episode being assembled: the person, the course and its table records."""

    ma_lk: str
    person: Person
    course: Course
    tables: dict[str, list[Record]] = field(default_factory=dict)


def stamp(moment: datetime) -> str:
    """A 12-character date-time, yyyyMMddHHmm."""
    return f"{moment:%Y%m%d%H%M}"


def day8(day: date) -> str:
    """An 8-character date, yyyyMMdd."""
    return f"{day:%Y%m%d}"


def _money_fields(line: LineAmounts, benefit: int) -> Record:
    zero = amounts.money(amounts.ZERO)
    return {
        "THANH_TIEN_BV": amounts.money(line.bv),
        "THANH_TIEN_BH": amounts.money(line.bh),
        "T_NGUONKHAC_NSNN": zero,
        "T_NGUONKHAC_VTNN": zero,
        "T_NGUONKHAC_VTTN": zero,
        "T_NGUONKHAC_CL": zero,
        "T_NGUONKHAC": amounts.money(line.nguonkhac),
        "MUC_HUONG": str(benefit),
        "T_BNTT": amounts.money(line.bntt),
        "T_BNCCT": amounts.money(line.bncct),
        "T_BHTT": amounts.money(line.bhtt),
    }


def _tender(rng: random.Random, facility: str, package: int) -> str:
    return _TENDER.format(
        n=rng.randint(100, 999), facility=facility, g=package, k=rng.randint(1, 5)
    )


def drug_record(
    rng: random.Random, ma_lk: str, stt: int, order: DrugOrder, benefit: int, facility: str
) -> tuple[Record, LineAmounts]:
    """An XML2 row and its amounts."""
    drug = order.drug
    line = amounts.drug_line(order.qty, drug.price, drug.insurance_ratio, benefit)
    record: Record = {
        "MA_LK": ma_lk, "STT": str(stt), "MA_THUOC": drug.code, "MA_NHOM": drug.group,
        "TEN_THUOC": drug.name, "DON_VI_TINH": drug.unit, "HAM_LUONG": drug.strength,
        "DUONG_DUNG": drug.route, "DANG_BAO_CHE": drug.form, "LIEU_DUNG": order.dosage,
        "CACH_DUNG": drug.usage, "SO_DANG_KY": drug.registration,
        "TT_THAU": "" if drug.group == "7" else _tender(rng, facility, 1),
        "PHAM_VI": "1", "TYLE_TT_BH": str(drug.insurance_ratio),
        "SO_LUONG": amounts.quantity(order.qty), "DON_GIA": amounts.price(drug.price),
        **_money_fields(line, benefit),
        "MA_KHOA": order.ward, "MA_BAC_SI": order.doctor, "NGAY_YL": stamp(order.ordered),
        "NGAY_TH_YL": stamp(order.done), "MA_PTTT": _FEE_FOR_SERVICE, "NGUON_CTRA": "1",
    }  # fmt: skip
    return record, line


def service_record(
    rng: random.Random, ma_lk: str, stt: int, order: ServiceOrder, benefit: int, facility: str,
    diagnosis: str,
) -> tuple[Record, LineAmounts]:  # fmt: skip
    """An XML3 row and its amounts."""
    insurance_ratio = order.supply.insurance_ratio if order.supply else 100
    line = amounts.service_line(
        order.qty, order.price_bv, order.price_bh, order.service_ratio, insurance_ratio, benefit
    )
    record: Record = {
        "MA_LK": ma_lk, "STT": str(stt), "MA_NHOM": order.group, "PHAM_VI": "1",
        "SO_LUONG": amounts.quantity(order.qty), "DON_GIA_BV": amounts.price(order.price_bv),
        "DON_GIA_BH": amounts.price(order.price_bh), "TYLE_TT_DV": str(order.service_ratio),
        "TYLE_TT_BH": str(insurance_ratio), **_money_fields(line, benefit),
        "MA_KHOA": order.ward, "MA_GIUONG": order.bed, "MA_BAC_SI": order.doctor,
        "NGUOI_THUC_HIEN": order.performer, "MA_BENH": diagnosis, "NGAY_YL": stamp(order.ordered),
        "NGAY_TH_YL": stamp(order.done), "MA_PTTT": _FEE_FOR_SERVICE,
    }  # fmt: skip
    if order.result is not None:
        record["NGAY_KQ"] = stamp(order.result)
    if order.service is not None:
        service = order.service
        record.update(MA_DICH_VU=service.code, TEN_DICH_VU=service.name, DON_VI_TINH=service.unit)
        if service.icd9:
            record.update(MA_PTTT_QT=service.icd9, PP_VO_CAM="4")
        if service.machine:
            record["MA_MAY"] = f"{service.machine}.1.{facility}.1"
    elif order.supply is not None:
        supply = order.supply
        record.update(
            MA_VAT_TU=supply.code, TEN_VAT_TU=supply.name, DON_VI_TINH=supply.unit,
            TT_THAU=_tender(rng, facility, 2), MA_HIEU_SP=supply.brand,
        )  # fmt: skip
    return record, line


def result_records(
    rng: random.Random, ma_lk: str, services: list[ServiceOrder], reader: str
) -> list[Record]:
    """XML4 rows: the result indices of every laboratory service (MA_NHOM 1) of XML3."""
    rows: list[Record] = []
    for order in services:
        if order.service is None or order.group != "1" or order.result is None:
            continue
        for index in order.service.results:
            value = rng.uniform(index.low * 0.85, index.high * 1.15)
            conclusion = (
                "Giảm" if value < index.low else "Tăng" if value > index.high else "Bình thường"
            )
            rows.append({
                "MA_LK": ma_lk, "STT": str(len(rows) + 1), "MA_DICH_VU": order.service.code,
                "MA_CHI_SO": index.code, "TEN_CHI_SO": index.name,
                "GIA_TRI": f"{value:.{index.decimals}f}", "DON_VI_DO": index.unit,
                "KET_LUAN": conclusion, "NGAY_KQ": stamp(order.result), "MA_BS_DOC_KQ": reader,
            })  # fmt: skip
    return rows


def progress_records(ma_lk: str, course: Course) -> list[Record]:
    """XML5 rows: the clinical progress notes of an inpatient stay."""
    return [
        {
            "MA_LK": ma_lk,
            "STT": str(i),
            "DIEN_BIEN_LS": note.text,
            "PHAU_THUAT": note.procedure,
            "THOI_DIEM_DBLS": stamp(note.at),
            "NGUOI_THUC_HIEN": note.author,
        }
        for i, note in enumerate(course.notes, start=1)
    ]


def summary_record(
    rng: random.Random, ma_lk: str, person: Person, course: Course, facility: str, head: str,
    totals: amounts.Totals, secondary: tuple[clinical.Diagnosis, ...],
) -> Record:  # fmt: skip
    """The XML1 record (TONG_HOP) of an episode."""
    main = course.diagnosis
    card = person.card
    days = (course.discharged.date() - course.admitted.date()).days + 1 if course.inpatient else 0
    procedures = sorted({s.service.icd9 for s in course.services if s.service and s.service.icd9})
    follow_up = course.discharged.date() + timedelta(days=rng.choice((7, 14, 30)))
    money = amounts.money
    record: Record = {
        "MA_LK": ma_lk, "STT": "1", "MA_BN": person.patient_id, "HO_TEN": person.name.upper(),
        "SO_CCCD": person.cccd, "NGAY_SINH": person.ngay_sinh, "GIOI_TINH": str(person.gender),
        "NHOM_MAU": person.blood_group, "MA_QUOCTICH": person.nationality,
        "MA_DANTOC": person.ethnicity, "MA_NGHE_NGHIEP": person.occupation,
        "DIA_CHI": person.address.text, "MATINH_CU_TRU": person.address.province,
        "MAHUYEN_CU_TRU": person.address.district, "MAXA_CU_TRU": person.address.commune,
        "DIEN_THOAI": person.phone, "MA_THE_BHYT": card.code, "MA_DKBD": card.registered_facility,
        "GT_THE_TU": day8(card.valid_from), "GT_THE_DEN": day8(card.valid_to),
        "LY_DO_VV": main.reason,
        "CHAN_DOAN_VAO": main.name,
        "CHAN_DOAN_RV": "; ".join([main.name, *(d.name for d in secondary)]),
        "MA_BENH_CHINH": main.code, "MA_BENH_KT": ";".join(d.code for d in secondary),
        "MA_PTTT_QT": ";".join(procedures), "MA_DOITUONG_KCB": _RIGHT_ROUTE,
        "MA_TAI_NAN": "1" if main.code == "S06.0" else "",
        "NGAY_VAO": stamp(course.admitted), "NGAY_RA": stamp(course.discharged),
        "SO_NGAY_DTRI": str(days),
        "PP_DIEU_TRI": "Điều trị ngoại khoa" if main.area == "injury" else "Điều trị nội khoa",
        "KET_QUA_DTRI": rng.choice(("1", "2")) if course.inpatient else "1", "MA_LOAI_RV": "1",
        "GHI_CHU": "Tái khám theo hẹn hoặc khi có dấu hiệu bất thường",
        "NGAY_TTOAN": stamp(course.settled),
        "T_THUOC": money(totals.t_thuoc), "T_VTYT": money(totals.t_vtyt),
        "T_TONGCHI_BV": money(totals.t_tongchi_bv), "T_TONGCHI_BH": money(totals.t_tongchi_bh),
        "T_BNTT": money(totals.t_bntt), "T_BNCCT": money(totals.t_bncct),
        "T_BHTT": money(totals.t_bhtt), "T_NGUONKHAC": money(totals.t_nguonkhac),
        "T_BHTT_GDV": money(amounts.ZERO),
        "NAM_QT": str(course.settled.year), "THANG_QT": str(course.settled.month),
        "MA_LOAI_KCB": _INPATIENT if course.inpatient else _OUTPATIENT_VISIT,
        "MA_KHOA": course.ward, "MA_CSKCB": facility, "CAN_NANG": person.weight_kg,
        "NGAY_TAI_KHAM": day8(follow_up) if rng.random() < 0.5 else "",
        "MA_HSBA": f"{'BA' if course.inpatient else 'PK'}{course.admitted:%y}{rng.randrange(10**6):06d}",
        "MA_TTDV": head,
    }  # fmt: skip
    if course.inpatient_from is not None:
        record["NGAY_VAO_NOI_TRU"] = stamp(course.inpatient_from)
        record["LY_DO_VNT"] = f"{main.reason}, cần điều trị nội trú"
    return record
