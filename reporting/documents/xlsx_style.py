"""Look and print setup of the progress forms: fonts with CJK settings, fills, borders,
row heights, page setup. Kept apart from ``forms`` so the layout code stays readable.

Fonts: 宋体 for the table, 黑体 for titles and column headers, 仿宋 for the guide text.
Every font is written with ``charset=134`` (GB2312) and no theme scheme, so Excel and
WPS pick the named Chinese face instead of the theme's (Latin or Japanese) one;
LibreOffice maps the names through ``reporting/fonts.conf``.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

GB2312 = 134  # font charset Excel writes for Chinese faces
SONG = "宋体"
HEI = "黑体"
FANG = "仿宋"
BODY_PT = 10.5  # 五号
LINE_PT = 15.5  # row height per text line at 五号 (CJK faces have tall line boxes)
MAX_ROW_PT = 409.0  # the tallest row Excel allows


def font(
    name: str = SONG, size: float = BODY_PT, bold: bool = False, color: str | None = None
) -> Font:
    return Font(name=name, sz=size, b=bold, charset=GB2312, family=3, color=color, scheme=None)


BODY = font()
BODY_GREY = font(color="FF7F7F7F", size=9)
HEADER = font(HEI, BODY_PT)
TITLE = font(HEI, 16)
GUIDE_TITLE = font(HEI, 16)
GUIDE_LABEL = font(HEI, 12)
GUIDE_TEXT = font(FANG, 12)
GUIDE_NOTE = font(FANG, 12, color="FF9C5700")
LABEL = font(HEI, BODY_PT)

_thin = Side(style="thin", color="FF000000")
GRID = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)

HEADER_FILL = PatternFill("solid", fgColor="FFDDEBF7")  # light blue: column headers
LOCKED_FILL = PatternFill("solid", fgColor="FFF2F2F2")  # light grey: given, not editable
UNUSED_FILL = PatternFill("solid", fgColor="FFD9D9D9")  # grey: no indicator in this slot
REFERENCE_FILL = PatternFill("solid", fgColor="FFFFF2CC")  # light yellow: last quarter, locked
PARTNER_FILL = PatternFill("solid", fgColor="FFE2EFDA")  # light green: partners' feedback, locked


@lru_cache(maxsize=64)
def solid_fill(color: str) -> PatternFill:
    """A solid fill of ``color`` (ARGB), one object per colour: the direct writer hashes a
    style object once and keeps it (``xlsx_direct``)."""
    return PatternFill("solid", fgColor=color)


WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, horizontal="center", vertical="center")
WRAP_LEFT = Alignment(wrap_text=True, horizontal="left", vertical="center")
WRAP_RIGHT = Alignment(wrap_text=True, horizontal="right", vertical="center")
CENTER = Alignment(horizontal="center", vertical="center")
WRAP_TOP_CENTER = Alignment(wrap_text=True, horizontal="center", vertical="top")


def use_chinese_default_font(wb) -> None:
    """Make 宋体 the workbook's default (Normal) font, so empty cells and new text match.

    openpyxl has no public API for it: the default font is the first of the font list.
    """
    wb._fonts = IndexedList([BODY])
    normal = wb._named_styles["Normal"]
    normal.font = BODY


def text_width(text: str) -> float:
    """Width of text in Excel column units: CJK and full-width characters count ~2."""
    return sum(2.0 if ord(ch) >= 0x2E80 else 1.1 for ch in text)


def line_em(width: float, size: float = BODY_PT) -> float:
    """How many CJK characters (em) at ``size`` pt a line of a ``width`` column holds: the
    column's (width × 7 + 1) pixels in Excel (the narrower of Excel and LibreOffice) over a
    character's ``size`` × 4/3 pixels."""
    return (width * 7 + 1) / (size * 4 / 3)


@lru_cache(maxsize=8192)  # the same texts are measured again (guide notes, a row and its check)
def text_lines(text: str, width: float, size: float = BODY_PT) -> int:
    """Lines ``text`` (at ``size`` pt) takes when wrapped in a column of ``width`` units.

    A column holds (width × 7 + 1) pixels of text in Excel (the narrower of Excel and
    LibreOffice); a CJK character is ``size`` × 4/3 pixels wide, Latin about half.
    5 % slack: office programs move punctuation to the previous line and break early."""
    per_line = max(1.0, math.floor(line_em(width, size)))
    return sum(
        max(1, math.ceil(text_width(part) / 2 * 1.05 / per_line)) for part in str(text).split("\n")
    )


# no line may start with these (closing punctuation) nor end with the opening ones: the
# rules WPS and Word apply by themselves and LibreOffice does not apply in cells
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’…—％,.;:!?)]}%·")
NO_LINE_END = frozenset("（《「『【〔〈“‘([{")
_WORD_CHAR = re.compile(r"[A-Za-z0-9.%％]")  # a short Latin word or number is kept whole


def break_lines(text: str, width: float, size: float = BODY_PT) -> str:
    """``text`` with line breaks where a cell of ``width`` wraps it, by the width rule of
    ``text_lines`` (the narrower of Excel and LibreOffice, without its slack: the slack is
    for the punctuation the programs move, which these breaks move), moved so that no line starts
    with closing punctuation or ends with opening punctuation, and short numbers stay
    whole. Every program then breaks where these breaks are, and only there (its own
    lines are at least as long), so what prints is what the row height was made for.
    A text without punctuation (a unit's name, a number) is left to the program."""
    return _broken(str(text), width, size)


@lru_cache(maxsize=16384)  # the 汇总表 breaks a task's texts again in each of its sheets
def _broken(text: str, width: float, size: float) -> str:
    if not any(ch in NO_LINE_START or ch in NO_LINE_END for ch in text):
        return text  # nothing a program could put at the wrong end of a line
    room = max(1.0, line_em(width, size))
    return "\n".join(_break_part(part, room) for part in text.split("\n"))


FULL_WIDTH_MARKS = frozenset("“”‘’…—")  # below U+2E80 yet as wide as a 汉字 in a CJK font


def _em(ch: str) -> float:
    return 1.0 if ord(ch) >= 0x2E80 or ch in FULL_WIDTH_MARKS else 0.55


def _break_part(part: str, room: float) -> str:
    lines, start, used, i = [], 0, 0.0, 0
    while i < len(part):
        w = _em(part[i])
        if used + w <= room or i == start:
            used += w
            i += 1
            continue
        cut = _cut(part, start, i)
        lines.append(part[start:cut])
        start, used, i = cut, 0.0, cut
    lines.append(part[start:])
    return "\n".join(lines)


def _cut(part: str, start: int, cut: int) -> int:
    """Where the line from ``start`` ends, at or before ``cut`` (the first character that
    does not fit): back over closing punctuation that would start the next line, opening
    punctuation that would end this one and a short word or number cut in two; never at
    ``start`` (a column too narrow keeps the plain cut)."""
    best = cut
    for _ in range(8):  # "。”）" and a number before them at most
        if best <= start + 1:
            break
        if part[best] in NO_LINE_START or part[best - 1] in NO_LINE_END:
            best -= 1
        elif _WORD_CHAR.match(part[best]) and _WORD_CHAR.match(part[best - 1]):
            first = best
            while first > start and _WORD_CHAR.match(part[first - 1]):
                first -= 1
            last = best
            while last < len(part) and _WORD_CHAR.match(part[last]):
                last += 1
            if last - first > 12 or first == start:
                break
            best = first
        else:
            break
    return best if best > start else cut


def row_height(
    cells: list[tuple[str, float]],
    minimum: float,
    line_pt: float = LINE_PT,
    size: float = BODY_PT,
) -> float:
    """Row height (pt) for wrapped (text, column width) pairs, at least ``minimum``."""
    lines = max((text_lines(t, w, size) for t, w in cells if t), default=1)
    return lines_height(lines, minimum, line_pt)


def lines_height(lines: int, minimum: float, line_pt: float = LINE_PT) -> float:
    """Row height (pt) for ``lines`` lines of text, at least ``minimum``, at most 409."""
    return min(MAX_ROW_PT, max(minimum, lines * line_pt + 6))


PAPER_A3 = Worksheet.PAPERSIZE_A3  # for ``page_setup(…, paper=…)``; A4 otherwise

# A4 in points, and the side margins (inches) every printed sheet uses
A4_LONG_PT = 841.9
A4_SHORT_PT = 595.3
SIDE_MARGIN_IN = 0.4
MIN_EFFECTIVE_PT = 9.0  # the smallest printed text size a reader should get


# One unit of column width in LibreOffice: the digit width of the default font as it
# resolves 宋体 there. Without SimSun (LibreOffice on Linux) that is 6.65 pt at 五号, read
# back from a form converted to .ods (tests/test_forms.py pins it against LibreOffice).
LIBREOFFICE_UNIT_PT = 6.65


def column_points(width: float) -> float:
    """Printed width (pt, at 100 %) of an Excel column ``width`` (characters of '0').

    Excel: trunc(width × 7 + 5) pixels at 96 per inch (the SimSun digit is 7 pixels).
    LibreOffice: width × ``LIBREOFFICE_UNIT_PT``, with no padding. The wider one is used so
    a page fits in both (LibreOffice's, from three characters up)."""
    return max(math.trunc(width * 7 + 5) * 0.75, width * LIBREOFFICE_UNIT_PT)


def printable_width(landscape: bool = True) -> float:
    paper = A4_LONG_PT if landscape else A4_SHORT_PT
    return paper - 2 * SIDE_MARGIN_IN * 72


TOP_MARGIN_IN = 0.6
BOTTOM_MARGIN_IN = 0.7


def printable_height(landscape: bool = True) -> float:
    paper = A4_SHORT_PT if landscape else A4_LONG_PT
    return paper - (TOP_MARGIN_IN + BOTTOM_MARGIN_IN) * 72


def balanced_breaks(heights: list[float], first: float, room: float) -> list[int]:
    """Where pages should end for rows of ``heights`` (pt, as printed): the 0-based indexes
    of the rows that start a page. ``first`` and ``room`` are the heights the first and
    the other pages hold. As many pages as filling each page would take, the rows shared
    out evenly among them: the last page never holds a lone row."""
    pages, left = 1, first
    for h in heights:
        if h > left and left < (first if pages == 1 else room):
            pages, left = pages + 1, room
        left -= h
    if pages == 1:
        return []
    total, done, used, cap = sum(heights), 0.0, 0.0, first
    starts: list[int] = []
    for i, h in enumerate(heights):
        share = total * (len(starts) + 1) / pages
        if used and (used + h > cap or (done + h / 2 > share and len(starts) < pages - 1)):
            starts.append(i)
            used, cap = 0.0, room
        used += h
        done += h
    return starts


def print_scale_for(points: float, landscape: bool = True, limit: int = 100) -> int:
    """The largest whole percent ≤ ``limit`` at which ``points`` of columns (at 100 %, see
    ``column_points``) fit the paper's width."""
    return max(10, min(limit, math.floor(printable_width(landscape) / points * 100)))


def page_setup(
    ws: Worksheet,
    title_rows: str | None,
    landscape: bool = True,
    scale: int | None = None,
    paper: str | None = None,
    tall: int = 0,
) -> None:
    """A4 (or ``paper``, e.g. ``Worksheet.PAPERSIZE_A3``), repeated header rows, centred,
    page numbers in the footer; fit to one page wide (and ``tall`` pages high, 0: as many
    as it takes), or printed at a fixed ``scale`` percent (columns then break into pages
    as set)."""
    ws.page_setup.paperSize = paper or ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if scale is None:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = tall
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        ws.page_setup.scale = scale
        ws.page_setup.pageOrder = "overThenDown"  # a row's indicator page follows it
        ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN_IN
    ws.page_margins.top = TOP_MARGIN_IN
    ws.page_margins.bottom = BOTTOM_MARGIN_IN
    ws.page_margins.header = 0.3
    ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.oddFooter.center.font = SONG
    ws.oddFooter.center.size = 9
