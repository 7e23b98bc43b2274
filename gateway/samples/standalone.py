"""Records of the standalone documents: XML0 (check-in status) and XML12 (medical assessment).

XML0 has one TRANG_THAI_KCB per visit, consistent with the person's card and ID. XML12 records
carry neither MA_LK nor a facility code: they are keyed by SO_BIEN_BAN (DOMAIN.md), and their
NGAY_SINH has 8 characters. Assessed people are adults with a full birth date (an XML12
NGAY_SINH is a plain yyyyMMdd date).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from gateway.samples import clinical
from gateway.samples.episode import Record, day8, stamp
from gateway.samples.names import full_name
from gateway.samples.people import PROVINCE_NAMES, Person

_ISSUER = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"
_OCCUPATIONS = ("Công nhân", "Nông dân", "Giáo viên", "Lái xe", "Nhân viên văn phòng", "Thợ hàn")
# (MA_DOI_TUONG, DANG_HUONG_CHE_DO, legal basis, finding) — codes of QĐ 130 Bảng 12.
_CASES = (
    ("TNLĐ", "4", "Thông tư 56/2017/TT-BYT", "Di chứng gãy xương cẳng tay phải, hạn chế vận động"),
    ("BNN", "3", "Thông tư 56/2017/TT-BYT", "Bệnh bụi phổi silic nghề nghiệp"),
    ("BHXH1L", "7", "Thông tư 56/2017/TT-BYT", "Suy giảm chức năng thận mạn giai đoạn 3"),
    ("KNLĐH", "2", "Thông tư 56/2017/TT-BYT", "Thoái hóa cột sống thắt lưng, đau mạn tính"),
    ("NKT", "7", "Thông tư 01/2019/TT-BLĐTBXH", "Khuyết tật vận động chi dưới"),
)


def checkin_record(
    ma_lk: str, stt: int, person: Person, facility: str, admitted: datetime, inpatient: bool,
    service: clinical.Service, reason: str,
) -> Record:  # fmt: skip
    """One TRANG_THAI_KCB of XML0: the person checked in at `admitted` for `service`."""
    card = person.card
    record: Record = {
        "MA_LK": ma_lk, "STT": str(stt), "MA_BN": person.patient_id,
        "HO_TEN": person.name.upper(), "SO_CCCD": person.cccd, "NGAY_SINH": person.ngay_sinh,
        "GIOI_TINH": str(person.gender), "MA_THE_BHYT": card.code,
        "MA_DKBD": card.registered_facility, "GT_THE_TU": day8(card.valid_from),
        "GT_THE_DEN": day8(card.valid_to), "MA_DOITUONG_KCB": "1.1",
        "NGAY_VAO": stamp(admitted), "MA_LOAI_KCB": "03" if inpatient else "01",
        "MA_CSKCB": facility, "MA_DICH_VU": service.code, "TEN_DICH_VU": service.name,
        "NGAY_YL": stamp(admitted + timedelta(minutes=10)),
    }  # fmt: skip
    if inpatient:
        record["NGAY_VAO_NOI_TRU"] = stamp(admitted + timedelta(minutes=75))
        record["LY_DO_VNT"] = f"{reason}, cần điều trị nội trú"
    return record


def assessment_record(rng: random.Random, person: Person, meeting: date, number: int) -> Record:
    """One GIAM_DINH_YKHOA of XML12 for `person`, assessed by the council on `meeting`."""
    if person.year_only:
        raise ValueError("an XML12 NGAY_SINH needs a full birth date")
    code, regime, basis, finding = rng.choice(_CASES)
    issued = max(date(2021, 1, 1), person.birth + timedelta(days=14 * 366))
    issued += timedelta(days=rng.randrange(max(1, (meeting - issued).days - 60)))
    requested = meeting - timedelta(days=rng.randint(14, 60))
    second = rng.random() < 0.3
    before = rng.randint(11, 40)
    now = min(95, before + rng.randint(0, 15)) if second else rng.randint(11, 61)
    card = person.card
    address = person.address
    return {
        "NGUOI_CHU_TRI": full_name(rng, rng.choice((1, 2))), "CHUC_VU": rng.choice(("1", "2")),
        "NGAY_HOP": day8(meeting), "HO_TEN": person.name.upper(), "NGAY_SINH": person.ngay_sinh8,
        "SO_CCCD": person.cccd, "NGAY_CAP_CCCD": day8(issued), "NOI_CAP_CCCD": _ISSUER,
        "DIA_CHI": address.text, "MATINH_CU_TRU": address.province,
        "MAHUYEN_CU_TRU": address.district, "MAXA_CU_TRU": address.commune,
        "MA_BHXH": card.social_insurance_number, "MA_THE_BHYT": card.code,
        "NGHE_NGHIEP": rng.choice(_OCCUPATIONS),
        "DIEN_THOAI": person.phone or f"09{rng.randrange(10**8):08d}",
        "MA_DOI_TUONG": code, "KHAM_GIAM_DINH": "2" if second else "1",
        "SO_BIEN_BAN": f"{number}/{meeting.year}/BB-GĐYK",
        "TYLE_TTCT_CU": str(before) if second else "", "DANG_HUONG_CHE_DO": regime,
        "NGAY_CHUNG_TU": day8(meeting),
        "SO_GIAY_GIOI_THIEU": f"{rng.randint(10, 999)}/GGT-BHXH",
        "NGAY_DE_NGHI": day8(requested), "MA_DONVI": f"BHXH{address.province}",
        "GIOI_THIEU_CUA": f"Bảo hiểm xã hội tỉnh {PROVINCE_NAMES['0' + address.province]}",
        "KET_QUA_KHAM": finding, "SO_VAN_BAN_CAN_CU": basis,
        "TYLE_TTCT_MOI": str(now), "TONG_TYLE_TTCT": str(now),
        "DE_NGHI": "Giải quyết chế độ theo quy định",
        "DUOC_XACDINH": "Tự thực hiện được các hoạt động sinh hoạt cá nhân hằng ngày",
    }  # fmt: skip
