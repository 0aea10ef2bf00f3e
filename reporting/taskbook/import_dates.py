"""Dates in a task breakdown: the year it is for and each task's 完成时限.

``parse_deadline`` turns what the notice wrote (``2024年6月底前``, ``三季度``, ``年底前``,
``2024.6``, ``6月15日前``, ``十二月底``) into the latest date it names; ``read_deadline``
gives every 完成时限 a date (持续推进 / 长期坚持 / 全年: the year's end, the first two said
for review); ``document_year`` finds the year from the title line or the document number.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from datetime import date

_YEAR = re.compile(r"(20\d\d)\s*年")


def document_year(texts: list[str], default: int) -> int:
    """The year of the breakdown: its title line, else the document number 〔2024〕, else default."""
    texts = texts[:400]
    for text in texts:
        if "任务分解" in text or "政府工作报告" in text:
            m = _YEAR.search(text)
            if m:
                return int(m.group(1))
    for text in texts:
        m = re.search(r"[〔\[［(（](20\d\d)[〕\]］)）]", text)
        if m:
            return int(m.group(1))
    return default


_DATE_YMD = re.compile(r"(20\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_DATE_YM = re.compile(
    r"(?:(20\d\d)\s*[-/.年]\s*)?(\d{1,2})\s*月\s*(上旬|中旬|下旬)?|(20\d\d)[-/.](\d{1,2})(?!\d)"
)
_DATE_MD = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_CN_MONTH = re.compile(r"(?<![\d一二三四五六七八九十])(十[一二]?|[一二三四五六七八九])月")
_ONGOING = re.compile(r"持续|长期|常态|经常性|每年|每季|每月|每周|按月|按季|定期|逐年|动态")
_QUARTER = re.compile(r"(?:(20\d\d)\s*年\s*)?第?([一二三四1-4])季度")
_YEAR_END = re.compile(r"(?:(20\d\d)\s*年\s*)?(年底|年末|年内|全年|年度|下半年|底前|底)")


def parse_deadline(text: str, year: int) -> str | None:
    """'2024年6月底前' → '2024-06-30'; the latest date named; None when it names none (长期坚持)."""
    text = _CN_MONTH.sub(_month_digits, unicodedata.normalize("NFKC", text or ""))
    found: list[date] = []
    rest = text
    for m in _DATE_YMD.finditer(text):
        found += _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        rest = rest.replace(m.group(0), " ")
    for m in _DATE_MD.finditer(rest):
        found += _valid(year, int(m.group(1)), int(m.group(2)))  # 6月15日前
        rest = rest.replace(m.group(0), " ")
    for m in _DATE_YM.finditer(rest):
        y = int(m.group(1) or m.group(4) or year)
        month = int(m.group(2) or m.group(5))
        if 1 <= month <= 12:
            day = {"上旬": 10, "中旬": 20}.get(m.group(3) or "", monthrange(y, month)[1])
            found.append(date(y, month, day))
    for m in _QUARTER.finditer(rest):
        q = "一二三四".find(m.group(2)) + 1 or int(m.group(2))
        y = int(m.group(1) or year)
        found.append(date(y, q * 3, monthrange(y, q * 3)[1]))
    if "上半年" in rest:
        found.append(date(year, 6, 30))
    for m in _YEAR_END.finditer(rest.replace("上半年", "")):
        if m.group(2) in ("底前", "底") and not m.group(1):
            continue  # "6月底" was read above
        found.append(date(int(m.group(1) or year), 12, 31))
    if not found:
        year_only = re.fullmatch(r"\s*(20\d\d)\s*年?\s*", text)
        if year_only:
            found.append(date(int(year_only.group(1)), 12, 31))
    return max(found).isoformat() if found else None


def read_deadline(text: str, year: int) -> tuple[str, str | None]:
    """(date, finding): the date a 完成时限 names, else the year's end and why it was chosen.

    Ongoing work (持续推进, 长期坚持, 每季度…) has no date of its own: the year's end, said.
    """
    default = f"{year}-12-31"
    found = parse_deadline(text, year)
    if found is not None:
        return found, None
    if _ONGOING.search(text):
        return (
            default,
            f"完成时限“{text}”是持续性工作，没有具体日期，已按年底 {default} 填写，请核对",
        )
    return default, f"完成时限“{text}”不是具体日期，已按 {default} 填写，请核对"


def _valid(year: int, month: int, day: int) -> list[date]:
    try:
        return [date(year, month, day)]
    except ValueError:
        return []


def _month_digits(m: re.Match[str]) -> str:
    written = m.group(1)
    if written.startswith("十"):
        return f"{10 + ('一二'.find(written[1:]) + 1 if written[1:] else 0)}月"
    return f"{'一二三四五六七八九'.index(written) + 1}月"
