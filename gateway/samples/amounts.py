"""Money of a claim line and of the XML1 totals, in Decimal (never float).

Formulas (QĐ 130 as amended by QĐ 4750, descriptions of THANH_TIEN_BV, THANH_TIEN_BH, T_BHTT,
T_BNCCT, T_BNTT in XML2/XML3, and the T_* totals of XML1), with no other source paying
(T_NGUONKHAC = 0):

    XML2  THANH_TIEN_BV = round(SO_LUONG × DON_GIA, 2)
          THANH_TIEN_BH = round(SO_LUONG × DON_GIA × TYLE_TT_BH/100, 2)
    XML3  THANH_TIEN_BV = round(SO_LUONG × DON_GIA_BV × TYLE_TT_DV/100, 2)
          THANH_TIEN_BH = round(SO_LUONG × DON_GIA_BH × TYLE_TT_DV/100 × TYLE_TT_BH/100, 2)
    line  T_BHTT = round(THANH_TIEN_BH × MUC_HUONG/100, 2); T_BNCCT = THANH_TIEN_BH − T_BHTT;
          T_BNTT = THANH_TIEN_BV − THANH_TIEN_BH
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def round_money(value: Decimal) -> Decimal:
    """Round to 2 decimals, half up (the way the sheets' "làm tròn" is read in practice)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    """Money as written in the XML: 2 decimals, '.' point ("15000.00")."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


def price(value: Decimal) -> str:
    """A unit price: 3 decimals ("1500.000")."""
    return f"{value.quantize(MILLI, rounding=ROUND_HALF_UP):.3f}"


def quantity(value: Decimal) -> str:
    """A quantity: up to 3 decimals, no trailing zeros ("10", "0.5", "0.333")."""
    text = f"{value.quantize(MILLI, rounding=ROUND_HALF_UP):.3f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class LineAmounts:
    """The money of one XML2/XML3 line."""

    bv: Decimal  # THANH_TIEN_BV
    bh: Decimal  # THANH_TIEN_BH
    bhtt: Decimal  # T_BHTT
    bncct: Decimal  # T_BNCCT
    bntt: Decimal  # T_BNTT
    nguonkhac: Decimal = ZERO  # T_NGUONKHAC


def _split(bv: Decimal, bh: Decimal, benefit: int) -> LineAmounts:
    bhtt = round_money(bh * benefit / HUNDRED)
    return LineAmounts(bv=bv, bh=bh, bhtt=bhtt, bncct=bh - bhtt, bntt=bv - bh)


def drug_line(qty: Decimal, unit_price: Decimal, insurance_ratio: int, benefit: int) -> LineAmounts:
    """Amounts of an XML2 line (drug, blood)."""
    bv = round_money(qty * unit_price)
    bh = round_money(qty * unit_price * insurance_ratio / HUNDRED)
    return _split(bv, bh, benefit)


def service_line(
    qty: Decimal,
    price_bv: Decimal,
    price_bh: Decimal,
    service_ratio: int,
    insurance_ratio: int,
    benefit: int,
) -> LineAmounts:
    """Amounts of an XML3 line (service, supply, bed)."""
    bv = round_money(qty * price_bv * service_ratio / HUNDRED)
    bh = round_money(qty * price_bh * service_ratio / HUNDRED * insurance_ratio / HUNDRED)
    return _split(bv, bh, benefit)


@dataclass(frozen=True)
class Totals:
    """The XML1 money totals of one episode."""

    t_thuoc: Decimal
    t_vtyt: Decimal
    t_tongchi_bv: Decimal
    t_tongchi_bh: Decimal
    t_bntt: Decimal
    t_bncct: Decimal
    t_bhtt: Decimal
    t_nguonkhac: Decimal


def totals(
    drugs: Iterable[LineAmounts],
    services: Iterable[tuple[str, LineAmounts]],
    supply_groups: frozenset[str],
) -> Totals:
    """XML1 totals from the XML2 lines and the (MA_NHOM, amounts) of the XML3 lines.

    T_BHTT = T_TONGCHI_BH − T_BNCCT, which equals Σ T_BHTT because every line splits its
    THANH_TIEN_BH exactly into T_BHTT + T_BNCCT.
    """
    drug_lines = list(drugs)
    service_lines = list(services)
    lines = drug_lines + [amounts for _, amounts in service_lines]
    tongchi_bh = sum((a.bh for a in lines), ZERO)
    bncct = sum((a.bncct for a in lines), ZERO)
    return Totals(
        t_thuoc=sum((a.bv for a in drug_lines), ZERO),
        t_vtyt=sum((a.bv for group, a in service_lines if group in supply_groups), ZERO),
        t_tongchi_bv=sum((a.bv for a in lines), ZERO),
        t_tongchi_bh=tongchi_bh,
        t_bntt=sum((a.bntt for a in lines), ZERO),
        t_bncct=bncct,
        t_bhtt=tongchi_bh - bncct,
        t_nguonkhac=sum((a.nguonkhac for a in lines), ZERO),
    )
