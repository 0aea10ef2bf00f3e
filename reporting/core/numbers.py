"""Numbers as people read them: 四舍五入 to two places, half up on the digits as written
(``round()`` works on binary floats with banker's rounding: 7.125 → 7.12). ``rounded`` gives
the value, ``num`` the text; one rule for forms, intake, merge, report, 通报 and scores.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_PLACES = Decimal("0.01")


def _quantized(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_PLACES, rounding=ROUND_HALF_UP)


def rounded(value: float) -> float:
    """四舍五入 to two decimals: 7.125 → 7.13."""
    return float(_quantized(value))


def tenths(value: float) -> float:
    """A share of a target as printed, 四舍五入 to one place: 27.42 → 27.4 (the report, the
    通报 and the 汇总表 say the same share)."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def num(value: float | None) -> str:
    """1200.0 → '1200', 7.125 → '7.13', None → '—'."""
    if value is None:
        return "—"
    text = f"{_quantized(value):f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def growth_text(value: float) -> str:
    """A growth rate as people write it: 7.5 → 增长7.5%, -2 → 下降2%."""
    return f"增长{num(value)}%" if value >= 0 else f"下降{num(-value)}%"
