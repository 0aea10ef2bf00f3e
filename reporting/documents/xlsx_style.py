"""Look and print setup of the progress forms: fonts with CJK settings, fills, borders,
row heights, page setup. Kept apart from ``forms`` so the layout code stays readable.

Fonts: 宋体 for the table, 黑体 for titles and column headers, 仿宋 for the guide text.
Every font is written with ``charset=134`` (GB2312) and no theme scheme, so Excel and
WPS pick the named Chinese face instead of the theme's (Latin or Japanese) one;
LibreOffice maps the names through ``reporting/fonts.conf``.
"""

from __future__ import annotations

import math

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

GB2312 = 134  # font charset Excel writes for Chinese faces
SONG = "宋体"
HEI = "黑体"
FANG = "仿宋"
BODY_PT = 10.5  # 五号
LINE_PT = 15.5  # row height per text line at 五号 (CJK faces have tall line boxes)


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
PREFILL_FILL = PatternFill(
    "solid", fgColor="FFFFF2CC"
)  # light yellow: carried over from last quarter
NO_FILL = PatternFill(fill_type=None)

WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, horizontal="center", vertical="center")
WRAP_LEFT = Alignment(wrap_text=True, horizontal="left", vertical="center")
CENTER = Alignment(horizontal="center", vertical="center")

UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)


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


def text_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped in a column of ``width`` units."""
    usable = max(width - 2.0, 2.0)
    # 10 % slack: office programs move punctuation to the previous line and break early
    return sum(max(1, math.ceil(text_width(part) * 1.1 / usable)) for part in str(text).split("\n"))


def row_height(cells: list[tuple[str, float]], minimum: float, line_pt: float = LINE_PT) -> float:
    """Row height (pt) for wrapped (text, column width) pairs, at least ``minimum``."""
    lines = max((text_lines(t, w) for t, w in cells if t), default=1)
    return min(409.0, max(minimum, lines * line_pt + 6))


def page_setup(ws: Worksheet, title_rows: str | None, landscape: bool = True) -> None:
    """A4, fit to one page wide, repeated header rows, centred, page numbers in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = 0.6
    ws.page_margins.bottom = 0.7
    ws.page_margins.header = 0.3
    ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.oddFooter.center.font = SONG
    ws.oddFooter.center.size = 9
