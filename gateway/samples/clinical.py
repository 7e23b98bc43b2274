"""Plausible clinical catalogues: diagnoses (ICD-10), drugs, services, supplies, lab indices.

Codes have the shape of the Ministry of Health's common catalogues (Bộ mã danh mục dùng chung:
active-ingredient codes "40.17", service codes "02.1896", supply codes "N03.05.070"), prices
the order of magnitude of public-hospital prices in 2025–2026 (VND). They are synthetic: close
enough to read naturally, never to be used as a reference.

MA_NHOM (cost groups, QĐ 130 Phụ lục 3 / QĐ 7603 table 1) used here:
XML2: 4 drugs in the insurance list, 6 drugs paid by ratio, 7 blood and blood products;
XML3: 1 laboratory, 2 imaging, 3 functional tests, 8 procedures, 10 medical supplies in the
list, 11 supplies paid by ratio, 13 consultation, 15 inpatient bed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DRUG_GROUPS = frozenset({"4", "6", "7"})
SERVICE_GROUPS = frozenset({"1", "2", "3", "8", "13", "15"})
SUPPLY_GROUPS = frozenset({"10", "11"})  # T_VTYT sums these (QĐ 130 XML1 T_VTYT)


@dataclass(frozen=True)
class Diagnosis:
    """A main diagnosis: ICD-10 code, name, the reason for the visit, a clinical area tag."""

    code: str
    name: str
    reason: str  # LY_DO_VV
    area: str


@dataclass(frozen=True)
class Drug:
    """A drug line template (XML2)."""

    code: str  # MA_THUOC
    name: str
    strength: str  # HAM_LUONG
    unit: str  # DON_VI_TINH
    route: str  # DUONG_DUNG code
    form: str  # DANG_BAO_CHE
    registration: str  # SO_DANG_KY
    price: Decimal  # DON_GIA, VND
    group: str  # MA_NHOM: 4, 6 or 7
    insurance_ratio: int  # TYLE_TT_BH
    per_dose: int  # units per dose
    doses_per_day: int
    usage: str  # CACH_DUNG
    areas: frozenset[str]


@dataclass(frozen=True)
class LabIndex:
    """One result index of a paraclinical service (XML4 row)."""

    code: str  # MA_CHI_SO
    name: str
    unit: str
    low: float
    high: float
    decimals: int


@dataclass(frozen=True)
class Service:
    """A technical service, consultation or bed day (XML3 row with MA_DICH_VU)."""

    code: str
    name: str
    group: str
    unit: str
    price: Decimal
    icd9: str = ""  # MA_PTTT_QT for procedures
    results: tuple[LabIndex, ...] = ()
    finding: str = ""  # conclusion of an imaging / functional test
    machine: str = ""  # MA_MAY group ("HH" haematology, "SH" biochemistry, "XQ" X-ray ...)


@dataclass(frozen=True)
class Supply:
    """A medical supply (XML3 row with MA_VAT_TU), group 10 or 11."""

    code: str
    name: str
    group: str
    unit: str
    price: Decimal
    insurance_ratio: int
    brand: str  # MA_HIEU_SP


DIAGNOSES: tuple[Diagnosis, ...] = (
    Diagnosis("J02.9", "Viêm họng cấp", "Đau họng, sốt nhẹ", "resp"),
    Diagnosis("J20.9", "Viêm phế quản cấp", "Ho, khạc đờm, sốt", "resp"),
    Diagnosis("J18.9", "Viêm phổi, không đặc hiệu", "Sốt cao, ho, khó thở", "resp"),
    Diagnosis("J44.1", "Bệnh phổi tắc nghẽn mạn tính có đợt cấp", "Khó thở tăng, ho đờm", "resp"),
    Diagnosis("I10", "Tăng huyết áp vô căn (nguyên phát)", "Đau đầu, chóng mặt", "cardio"),
    Diagnosis("I20.9", "Cơn đau thắt ngực, không đặc hiệu", "Đau ngực trái", "cardio"),
    Diagnosis("I63.9", "Nhồi máu não, không đặc hiệu", "Yếu nửa người, nói khó", "cardio"),
    Diagnosis("E11.9", "Bệnh đái tháo đường typ 2 không có biến chứng", "Khát nhiều, mệt mỏi", "endo"),
    Diagnosis("E78.5", "Tăng lipid máu, không đặc hiệu", "Khám định kỳ", "endo"),
    Diagnosis("K29.7", "Viêm dạ dày, không đặc hiệu", "Đau thượng vị", "gi"),
    Diagnosis("K21.9", "Bệnh trào ngược dạ dày - thực quản", "Ợ chua, nóng rát sau xương ức", "gi"),
    Diagnosis("A09", "Tiêu chảy và viêm dạ dày ruột do nhiễm trùng", "Tiêu chảy, nôn", "gi"),
    Diagnosis("N39.0", "Nhiễm khuẩn đường tiết niệu", "Tiểu buốt, tiểu rắt", "uro"),
    Diagnosis("M54.5", "Đau vùng thắt lưng", "Đau lưng", "pain"),
    Diagnosis("M17.9", "Thoái hóa khớp gối, không đặc hiệu", "Đau khớp gối", "pain"),
    Diagnosis("S52.5", "Gãy đầu dưới xương quay", "Đau, biến dạng cổ tay sau ngã", "injury"),
    Diagnosis("S06.0", "Chấn động não", "Đau đầu sau tai nạn giao thông", "injury"),
    Diagnosis("A91", "Sốt xuất huyết Dengue", "Sốt cao liên tục 3 ngày", "infect"),
)  # fmt: skip

_D = Decimal
DRUGS: tuple[Drug, ...] = (
    Drug("40.17", "Paracetamol", "500mg", "Viên", "1.01", "Viên nén", "VD-21343-14", _D("500"), "4", 100, 1, 3, "Uống khi sốt trên 38,5 độ", frozenset({"resp", "infect", "pain", "injury"})),
    Drug("40.18", "Paracetamol", "1g/100ml", "Chai", "2.15", "Dung dịch tiêm truyền", "VN-20145-16", _D("25000"), "4", 100, 1, 1, "Truyền tĩnh mạch 40 giọt/phút", frozenset({"infect", "injury"})),
    Drug("40.49", "Amoxicilin", "500mg", "Viên", "1.01", "Viên nang cứng", "VD-25431-16", _D("950"), "4", 100, 1, 3, "Uống sau ăn", frozenset({"resp", "uro"})),
    Drug("40.151", "Cefuroxim", "500mg", "Viên", "1.01", "Viên nén bao phim", "VD-30122-18", _D("6500"), "4", 100, 1, 2, "Uống sau ăn", frozenset({"resp", "uro", "infect"})),
    Drug("40.163", "Ceftriaxon", "1g", "Lọ", "2.10", "Bột pha tiêm", "VD-28756-18", _D("18500"), "4", 100, 1, 2, "Tiêm tĩnh mạch chậm", frozenset({"resp", "infect", "uro"})),
    Drug("40.211", "Levofloxacin", "500mg/100ml", "Chai", "2.15", "Dung dịch tiêm truyền", "VN-21789-19", _D("89000"), "4", 100, 1, 1, "Truyền tĩnh mạch 60 giọt/phút", frozenset({"resp", "uro"})),
    Drug("40.677", "Omeprazol", "20mg", "Viên", "1.01", "Viên nang", "VD-24417-16", _D("700"), "4", 100, 1, 2, "Uống trước ăn 30 phút", frozenset({"gi", "pain"})),
    Drug("40.678", "Esomeprazol", "40mg", "Lọ", "2.10", "Bột đông khô pha tiêm", "VN-19874-16", _D("45000"), "4", 100, 1, 1, "Tiêm tĩnh mạch chậm", frozenset({"gi"})),
    Drug("40.690", "Domperidon", "10mg", "Viên", "1.01", "Viên nén", "VD-22716-15", _D("300"), "4", 100, 1, 3, "Uống trước ăn", frozenset({"gi"})),
    Drug("40.461", "Amlodipin", "5mg", "Viên", "1.01", "Viên nén", "VD-26512-17", _D("420"), "4", 100, 1, 1, "Uống buổi sáng", frozenset({"cardio"})),
    Drug("40.472", "Losartan", "50mg", "Viên", "1.01", "Viên nén bao phim", "VD-27893-17", _D("1250"), "4", 100, 1, 1, "Uống buổi sáng", frozenset({"cardio", "endo"})),
    Drug("40.454", "Bisoprolol", "2,5mg", "Viên", "1.01", "Viên nén bao phim", "VD-29145-18", _D("1500"), "4", 100, 1, 1, "Uống buổi sáng", frozenset({"cardio"})),
    Drug("40.506", "Atorvastatin", "20mg", "Viên", "1.01", "Viên nén bao phim", "VD-25987-16", _D("1800"), "4", 100, 1, 1, "Uống buổi tối", frozenset({"cardio", "endo"})),
    Drug("40.436", "Clopidogrel", "75mg", "Viên", "1.01", "Viên nén bao phim", "VD-31254-19", _D("2500"), "4", 100, 1, 1, "Uống sau ăn sáng", frozenset({"cardio"})),
    Drug("40.443", "Enoxaparin", "40mg/0,4ml", "Bơm tiêm", "2.01", "Dung dịch tiêm", "VN-22451-19", _D("85000"), "4", 100, 1, 1, "Tiêm dưới da", frozenset({"cardio"})),
    Drug("40.747", "Metformin", "850mg", "Viên", "1.01", "Viên nén bao phim", "VD-23318-15", _D("600"), "4", 100, 1, 2, "Uống sau ăn", frozenset({"endo"})),
    Drug("40.756", "Gliclazid", "30mg", "Viên", "1.01", "Viên nén giải phóng có kiểm soát", "VD-28411-17", _D("1600"), "4", 100, 1, 1, "Uống trước ăn sáng", frozenset({"endo"})),
    Drug("40.761", "Insulin người trộn 30/70", "100UI/ml x 10ml", "Lọ", "2.01", "Hỗn dịch tiêm", "QLSP-1034-17", _D("96000"), "4", 100, 1, 1, "Tiêm dưới da trước ăn", frozenset({"endo"})),
    Drug("40.987", "Salbutamol", "2,5mg/2,5ml", "Ống", "5.05", "Dung dịch khí dung", "VN-20998-18", _D("4500"), "4", 100, 1, 3, "Khí dung", frozenset({"resp"})),
    Drug("40.995", "Ambroxol", "30mg", "Viên", "1.01", "Viên nén", "VD-21876-14", _D("500"), "4", 100, 1, 2, "Uống sau ăn", frozenset({"resp"})),
    Drug("40.1012", "Methylprednisolon", "16mg", "Viên", "1.01", "Viên nén", "VD-26344-17", _D("2200"), "4", 100, 1, 1, "Uống sau ăn sáng", frozenset({"resp", "pain"})),
    Drug("40.1087", "Natri clorid", "0,9% 500ml", "Chai", "2.15", "Dung dịch tiêm truyền", "VD-20541-14", _D("9500"), "4", 100, 1, 1, "Truyền tĩnh mạch 40 giọt/phút", frozenset({"infect", "gi", "injury", "cardio"})),
    Drug("40.1091", "Glucose", "5% 500ml", "Chai", "2.15", "Dung dịch tiêm truyền", "VD-20543-14", _D("11000"), "4", 100, 1, 1, "Truyền tĩnh mạch 30 giọt/phút", frozenset({"infect", "gi"})),
    Drug("40.1095", "Ringer lactat", "500ml", "Chai", "2.15", "Dung dịch tiêm truyền", "VD-20547-14", _D("12500"), "4", 100, 1, 1, "Truyền tĩnh mạch 40 giọt/phút", frozenset({"infect", "injury"})),
    Drug("40.74", "Diclofenac", "75mg/3ml", "Ống", "2.01", "Dung dịch tiêm", "VN-19453-15", _D("3000"), "4", 100, 1, 1, "Tiêm bắp", frozenset({"pain", "injury"})),
    Drug("40.86", "Meloxicam", "7,5mg", "Viên", "1.01", "Viên nén", "VD-24785-16", _D("400"), "4", 100, 1, 1, "Uống sau ăn", frozenset({"pain"})),
    Drug("40.1054", "Kali clorid", "500mg", "Viên", "1.01", "Viên nén giải phóng kéo dài", "VD-22104-15", _D("1000"), "4", 100, 1, 2, "Uống sau ăn", frozenset({"gi", "cardio"})),
    Drug("40.1042", "Vitamin B1 + B6 + B12", "125mg + 125mg + 125mcg", "Viên", "1.01", "Viên nén bao phim", "VD-25123-16", _D("800"), "4", 100, 1, 2, "Uống sau ăn", frozenset({"pain", "endo"})),
    Drug("40.1130", "Albumin người", "20% 50ml", "Chai", "2.15", "Dung dịch tiêm truyền", "QLSP-0876-15", _D("650000"), "6", 70, 1, 1, "Truyền tĩnh mạch chậm", frozenset({"infect", "gi"})),
    Drug("40.583", "Citicolin", "500mg/2ml", "Ống", "2.10", "Dung dịch tiêm", "VN-21345-18", _D("24000"), "6", 50, 1, 2, "Tiêm tĩnh mạch chậm", frozenset({"cardio", "injury"})),
    Drug("40.597", "Ginkgo biloba", "40mg", "Viên", "1.01", "Viên nén bao phim", "VD-27456-17", _D("1900"), "6", 50, 1, 2, "Uống sau ăn", frozenset({"cardio"})),
    Drug("40.1140", "Khối hồng cầu", "250ml", "Túi", "2.15", "Chế phẩm máu", "", _D("1125000"), "7", 100, 1, 1, "Truyền tĩnh mạch", frozenset({"infect", "injury"})),
)  # fmt: skip

_CBC = (
    LabIndex("WBC", "Số lượng bạch cầu", "G/L", 4.0, 11.0, 2),
    LabIndex("RBC", "Số lượng hồng cầu", "T/L", 3.8, 5.6, 2),
    LabIndex("HGB", "Lượng huyết sắc tố", "g/L", 110, 165, 0),
    LabIndex("HCT", "Hematocrit", "L/L", 0.34, 0.50, 3),
    LabIndex("PLT", "Số lượng tiểu cầu", "G/L", 150, 400, 0),
)
_URINE = (
    LabIndex("SG", "Tỷ trọng nước tiểu", "", 1.005, 1.030, 3),
    LabIndex("PH", "pH nước tiểu", "", 5.0, 8.0, 1),
    LabIndex("LEU", "Bạch cầu niệu", "Leu/µL", 0, 25, 0),
)
SERVICES: tuple[Service, ...] = (
    Service("02.1896", "Khám Nội", "13", "Lần", _D("39800")),
    Service("10.1900", "Khám Ngoại", "13", "Lần", _D("39800")),
    Service("22.0120", "Tổng phân tích tế bào máu ngoại vi (bằng máy đếm laser)", "1", "Lần", _D("46200"), results=_CBC, machine="HH"),
    Service("23.0075", "Định lượng Glucose [Máu]", "1", "Lần", _D("21500"), results=(LabIndex("GLU", "Glucose", "mmol/L", 3.9, 9.5, 1),), machine="SH"),
    Service("23.0020", "Định lượng Creatinin [Máu]", "1", "Lần", _D("21500"), results=(LabIndex("CRE", "Creatinin", "µmol/L", 53, 110, 0),), machine="SH"),
    Service("23.0051", "Định lượng Urê [Máu]", "1", "Lần", _D("21500"), results=(LabIndex("URE", "Urê", "mmol/L", 2.5, 7.5, 1),), machine="SH"),
    Service("23.0019", "Đo hoạt độ AST (GOT) [Máu]", "1", "Lần", _D("21500"), results=(LabIndex("AST", "AST (GOT)", "U/L", 10, 40, 0),), machine="SH"),
    Service("23.0030", "Đo hoạt độ ALT (GPT) [Máu]", "1", "Lần", _D("21500"), results=(LabIndex("ALT", "ALT (GPT)", "U/L", 8, 45, 0),), machine="SH"),
    Service("23.0166", "Điện giải đồ (Na, K, Cl) [Máu]", "1", "Lần", _D("29000"), results=(LabIndex("NA", "Natri", "mmol/L", 133, 147, 0), LabIndex("K", "Kali", "mmol/L", 3.4, 5.1, 1), LabIndex("CL", "Clo", "mmol/L", 94, 110, 0)), machine="SH"),
    Service("23.0058", "Định lượng CRP [Máu]", "1", "Lần", _D("53800"), results=(LabIndex("CRP", "CRP", "mg/L", 0.5, 60, 1),), machine="SH"),
    Service("23.0083", "Định lượng HbA1c [Máu]", "1", "Lần", _D("101000"), results=(LabIndex("HBA1C", "HbA1c", "%", 4.5, 9.5, 1),), machine="SH"),
    Service("23.0206", "Tổng phân tích nước tiểu (bằng máy tự động)", "1", "Lần", _D("27400"), results=_URINE, machine="SH"),
    Service("18.0119", "Chụp Xquang ngực thẳng", "2", "Lần", _D("65400"), finding="Không thấy tổn thương nhu mô phổi", machine="XQ"),
    Service("18.0001", "Siêu âm ổ bụng (gan mật, tụy, lách, thận, bàng quang)", "2", "Lần", _D("43900"), finding="Chưa phát hiện bất thường", machine="SA"),
    Service("18.0185", "Chụp cắt lớp vi tính sọ não không tiêm thuốc cản quang", "2", "Lần", _D("536000"), finding="Không thấy hình ảnh xuất huyết nội sọ", machine="CL"),
    Service("21.0014", "Điện tim thường", "3", "Lần", _D("32800"), finding="Nhịp xoang đều", machine="ĐT"),
    Service("21.0086", "Đo chức năng hô hấp", "3", "Lần", _D("140000"), finding="Rối loạn thông khí tắc nghẽn mức độ nhẹ", machine="TDCN"),
    Service("03.3911", "Thay băng vết thương chiều dài dưới 15cm", "8", "Lần", _D("57600"), icd9="96.59"),
    Service("03.3826", "Khí dung thuốc giãn phế quản", "8", "Lần", _D("19000"), icd9="93.94"),
    Service("02.0339", "Nội soi thực quản - dạ dày - tá tràng ống mềm không sinh thiết", "8", "Lần", _D("246000"), icd9="45.13", machine="NS"),
    Service("01.0221", "Đặt ống thông dạ dày", "8", "Lần", _D("94300"), icd9="96.07"),
    Service("K03.1903", "Giường Nội khoa loại 1 Hạng I - Khoa Nội tổng hợp", "15", "Ngày", _D("263700")),
    Service("K19.1907", "Giường Ngoại khoa loại 3 Hạng I - Khoa Ngoại tổng hợp", "15", "Ngày", _D("222000")),
)  # fmt: skip

SUPPLIES: tuple[Supply, ...] = (
    Supply("N03.02.070", "Bơm tiêm nhựa dùng một lần 5ml", "10", "Cái", _D("1200"), 100, "BT5-VK"),
    Supply("N03.05.010", "Kim luồn tĩnh mạch 22G", "10", "Cái", _D("12500"), 100, "IV22G"),
    Supply("N03.01.060", "Dây truyền dịch có kim", "10", "Bộ", _D("6500"), 100, "DTD-01"),
    Supply("N02.01.040", "Găng tay phẫu thuật tiệt trùng", "10", "Đôi", _D("4800"), 100, "GT-75"),
    Supply("N04.01.030", "Bông y tế thấm nước 1kg", "10", "Gói", _D("2100"), 100, "BYT-25"),
    Supply("N06.04.020", "Nẹp khóa đầu dưới xương quay", "11", "Cái", _D("4850000"), 50, "NK-DR35"),
    Supply("N07.01.010", "Ống nội khí quản có bóng", "11", "Cái", _D("65000"), 50, "NKQ-75"),
)  # fmt: skip

CONSULTATIONS = tuple(s for s in SERVICES if s.group == "13")
LABS = tuple(s for s in SERVICES if s.group == "1")
IMAGING_AND_TESTS = tuple(s for s in SERVICES if s.group in ("2", "3"))
PROCEDURES = tuple(s for s in SERVICES if s.group == "8")
BEDS = tuple(s for s in SERVICES if s.group == "15")
# Wards (MA_KHOA, Phụ lục 5 of QĐ 130 style): outpatient clinic, internal medicine, surgery.
WARD_OUTPATIENT, WARD_MEDICAL, WARD_SURGICAL = "K01", "K03", "K19"


def drugs_for(area: str) -> tuple[Drug, ...]:
    """Drugs that fit a clinical area, excluding blood products (chosen separately)."""
    return tuple(d for d in DRUGS if area in d.areas and d.group != "7")


def blood_products() -> tuple[Drug, ...]:
    """The blood and blood-product lines (MA_NHOM 7)."""
    return tuple(d for d in DRUGS if d.group == "7")
