"""Real Vietnamese family, middle and given names (with their marks) for table and property tests.

Frequencies are not modelled; coverage of spelling patterns is: every common onset, the
qu/gi onsets, the oa/oe/uy clusters whose tone placement varies, ươ, uyê, and all five tones.
"""

from __future__ import annotations

FAMILY_NAMES = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đoàn Lâm Mai "
    "Trịnh Trương Cao Lương Tô Hà Tạ Quách Thái Châu Khổng Lưu Kiều Âu Ông Ưng Chu Giang Vương "
    "Diệp Hứa Mạc Lã Lữ Phùng Triệu Từ Văn Thân Tăng Kim Khúc Nghiêm Doãn Quan Hồng Đào Tiêu "
    "Yên Ứng Đàm Bạch Cù Giáp La Lục Mẫn"
).split()

MIDDLE_NAMES = (
    "Văn Thị Hữu Đức Minh Ngọc Thanh Quốc Xuân Thu Kim Công Đình Bảo Gia Phương Hoài Như Diệu "
    "Quang Mỹ Thúy Khánh Tuấn Hồng Thế Trọng Thùy Bích Quỳnh Hoàng Nhật Tiến Ánh Huyền Khắc "
    "Phúc Duy Thiên Trung Hải"
).split()

GIVEN_NAMES = (
    "An Anh Bình Cường Dũng Đức Giang Hà Hải Hạnh Hiền Hiếu Hòa Hoa Hùng Hương Huy Huyền "
    "Khánh Khoa Lan Linh Loan Long Mai Minh My Nam Nga Ngân Ngọc Nhung Oanh Phong Phúc Phương "
    "Quân Quang Quỳnh Sơn Tâm Thảo Thắng Thành Thủy Trang Trinh Trung Tú Tuấn Tùng Uyên Vân "
    "Việt Vinh Xuân Yến Ánh Út Ý Khuê Thụy Toàn Thuận Nguyệt Chiến Hưởng Hường Thư Nhi Quý "
    "Khải Đạt Luân Lộc Lợi Nghĩa Ngoan Toản Tuyết Tuyền Khuyên Hoàn Ngà Khỏe Hóa Duyên Giàu "
    "Thoa Loan Hoè Thuý Nguyên Quyết Khoái Ngoạn Huệ Tuệ Mười Lựu Hữu Hưng Trường Ước Ửng Gấm "
    "Xoan Đoan Vỹ Kỳ Sỹ Tý Nhàn Yên Ước Hiển Khiêm Thiện Giới Giỏi"
).split()

# Placement the new style uses for some of the names above: the same names, also correct.
NEW_STYLE = {
    "Hòa": "Hoà",
    "Thủy": "Thuỷ",
    "Khỏe": "Khoẻ",
    "Hóa": "Hoá",
    "Thúy": "Thuý",
    "Thùy": "Thuỳ",
    "Thụy": "Thuỵ",
}

# Well-formed names that are not made of Vietnamese syllables (ethnic minorities, foreigners).
OTHER_NAMES = (
    "Ksor H'Mai",
    "Y Moan Êban",
    "Rơ Mah Hlim",
    "Nie Kdam H'Hen",
    "Hờ A Páo",
    "Đinh Y Blong",
    "John Smith",
)
