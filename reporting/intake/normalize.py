"""Turning what units type into clean values: percents, numbers, status words.

Units type ``80``, ``80%``, ``０.８`` formatted as percent, ``８０％``, ``1,234.5``,
``增长7.1%``, ``序时推进`` or ``正常推进``. Each parser returns the value or raises
``ValueError`` whose message (Chinese) says what was expected; callers add the file,
sheet and cell.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any

from reporting.core.fileutil import clean_text
from reporting.core.model import Status

_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")

# every spelling met in returned forms → the status it means
STATUS_WORDS: dict[str, Status] = {
    "已完成": Status.DONE,
    "完成": Status.DONE,
    "全部完成": Status.DONE,
    "已全部完成": Status.DONE,
    "超序时": Status.AHEAD,
    "超序时进度": Status.AHEAD,
    "超进度": Status.AHEAD,
    "超前": Status.AHEAD,
    "超额完成序时进度": Status.AHEAD,
    "序时推进": Status.ON_TRACK,
    "按序时推进": Status.ON_TRACK,
    "按序时": Status.ON_TRACK,
    "序时": Status.ON_TRACK,
    "正常推进": Status.ON_TRACK,
    "达到序时进度": Status.ON_TRACK,
    "推进中": Status.ON_TRACK,
    "滞后": Status.LAGGING,
    "滞后序时": Status.LAGGING,
    "滞后序时进度": Status.LAGGING,
    "进度滞后": Status.LAGGING,
    "落后": Status.LAGGING,
    "未达序时": Status.LAGGING,
    "未启动": Status.NOT_STARTED,
    "尚未启动": Status.NOT_STARTED,
    "未开始": Status.NOT_STARTED,
    "未开展": Status.NOT_STARTED,
}


def fold(text: str) -> str:
    """Full-width digits, letters and signs → half-width (NFKC), spaces removed."""
    text = unicodedata.normalize("NFKC", str(text))
    text = text.replace("−", "-").replace("—", "-").replace("﹣", "-")
    return _SPACES.sub("", text)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not _SPACES.sub("", value))


def number(value: Any, unit: str = "") -> float:
    """A numeric cell: 1234.5, '1,234.5', '１２３４', '400亿元' (when the unit matches)."""
    if isinstance(value, bool):
        raise ValueError("应填数字，不能是“是/否”")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (datetime, date, time, timedelta)):
        raise ValueError("被表格软件当成了日期/时间，请把单元格格式设为“常规”后重新填写数字")
    text = fold(value)
    if not text:
        raise ValueError("未填写")
    folded_unit = fold(unit) if unit else ""
    if folded_unit and text.endswith(folded_unit):
        text = text[: -len(folded_unit)]
    text = re.sub(r"^(约|合计|共|累计)", "", text)
    text = text.replace("，", ",")
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if _NUMBER.match(text):
        return float(text)
    raise ValueError(f"“{value}”不是数字，请只填数字（可带千分位逗号），如 1234.5")


def rate(value: Any, percent_format: bool | None = None) -> float:
    """A growth or level rate in percent: '7.1', '7.1%', '增长7.1%', '下降3%', 0.071 as percent."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) * 100 if percent_format else float(value)
    if is_blank(value):
        raise ValueError("未填写")
    text = fold(value)
    sign = 1.0
    m = re.match(r"^(同比)?(增长|增加|提高|上升|下降|减少|回落)", text)
    if m:
        sign = -1.0 if m.group(2) in ("下降", "减少", "回落") else 1.0
        text = text[m.end() :]
    text = text.rstrip("%").removesuffix("个百分点")
    try:
        return sign * number(text)
    except ValueError:
        raise ValueError(f"“{value}”不是增速，请只填数字（单位为%），如 7.1 或 -2.5") from None


def percent(value: Any, percent_format: bool | None = None) -> float:
    """累计完成进度 in percent, 0–100.

    ``percent_format`` is whether the cell is formatted as a percentage (then 0.8 means
    80 %); None when the file does not say (xls, ods): the caller decides fractions.
    """
    if isinstance(value, bool):
        raise ValueError("应填 0–100 的数字")
    if isinstance(value, (int, float)):
        result = float(value) * 100 if percent_format else float(value)
    elif isinstance(value, (datetime, date, time, timedelta)):
        raise ValueError("被表格软件当成了日期/时间，请把单元格格式设为“常规”后填写 0–100 的数字")
    else:
        text = fold(value)
        if not text:
            raise ValueError("未填写")
        try:
            result = number(text.removesuffix("%"))
        except ValueError:
            raise ValueError(f"“{value}”不是百分数，请填写 0–100 的数字，如 80 或 80%") from None
    result = round(result, 6)
    if not 0 <= result <= 100:
        raise ValueError(
            f"“{_show(value, percent_format)}”超出 0–100，请填写 0 到 100 之间的数字（单位为%）"
        )
    return result


def _show(value: Any, percent_format: bool | None) -> str:
    if isinstance(value, (int, float)) and percent_format:
        return f"{float(value) * 100:g}%"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def status(value: Any) -> Status:
    """A status word (with common variants) → Status; ValueError listing the choices."""
    if is_blank(value):
        raise ValueError("未填写")
    key = fold(value).strip("。.，,;；")
    if key in STATUS_WORDS:
        return STATUS_WORDS[key]
    raise ValueError(
        f"“{value}”不是规定的推进状态，请从下拉列表中选择：{'、'.join(Status.choices())}"
    )


def text(value: Any) -> str:
    """Free text as typed: numbers without a trailing .0, dates as 2024-03-01, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if value.time() != time(0)
            else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    # the root of every unit text the ledger stores: invisible and bidi controls go here
    return clean_text(str(value)).strip()
