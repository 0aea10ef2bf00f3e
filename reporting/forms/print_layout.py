"""How a form prints: column widths (hidden columns take no room), which columns go on
which printed page, a fixed legible scale with column breaks, print areas and repeated
titles, the running page header on the later pages, the 填报说明 in portrait.
"""

from __future__ import annotations

import math
from collections.abc import Sequence, Set
from dataclasses import replace

from openpyxl.utils import get_column_letter

from reporting.documents import xlsx_direct as xd
from reporting.documents import xlsx_style as st
from reporting.forms import formspec as fs


def column_widths(ws: xd.Sheet, cols: Sequence[fs.Column], hidden: Set[str]) -> None:
    """Each column's width; the ``hidden`` keys (no last quarter, no partners) hidden."""
    for i, col in enumerate(cols, 1):
        ws.column(get_column_letter(i), col.width, col.key in hidden)


# the smallest whole print scale that keeps 五号 text at ``MIN_EFFECTIVE_PT`` or more
MIN_SCALE = math.ceil(st.MIN_EFFECTIVE_PT / st.BODY_PT * 100)
# editable text columns that give up width to the 指标完成值 columns, and how narrow
SHRINKABLE = {"progress": 20.0, "problems": 10.0, "next_steps": 10.0}  # "填报日期：" fits 10
CONTENT_WITH_TARGETS = 31.0  # 任务内容 when it also lists the indicators' targets


def first_page_end(cols) -> int:
    """The last column of the first printed page: the last editable one."""
    return max(i for i, c in enumerate(cols, 1) if c.editable)


def fit_first_page(cols, hidden: Set[str] = frozenset()) -> tuple[fs.Column, ...]:
    """``cols`` with the empty editable text columns (本季度工作进展, 存在问题, 下步打算)
    narrowed, in proportion and not below ``SHRINKABLE``, as far as the first printed page
    needs to fit at ``MIN_SCALE``: the 指标完成值 columns print beside the answers, and
    those columns are empty until the unit writes (rows grow as it types)."""
    end = first_page_end(cols)
    room = st.printable_width() * 100 / MIN_SCALE

    def width(widths) -> float:
        return sum(
            st.column_points(w)
            for c, w in zip(cols[:end], widths, strict=True)
            if c.key not in hidden
        )

    targets = any(c.kind == "indicator_value" for c in cols)
    widths = [
        CONTENT_WITH_TARGETS if targets and c.key == "content" else c.width for c in cols[:end]
    ]
    over = width(widths) - room
    give = {i: c.width - SHRINKABLE[c.key] for i, c in enumerate(cols[:end]) if c.key in SHRINKABLE}
    share = min(1.0, max(0.0, over) / st.column_points(sum(give.values())))
    for i, spare in give.items():
        widths[i] = math.floor((cols[i].width - spare * share) * 2) / 2  # half units
    return tuple(replace(c, width=widths[i]) if i < end else c for i, c in enumerate(cols))


def content_over_reference(cols) -> tuple[fs.Column, ...]:
    """``cols`` with 任务内容 as wide as it and the 上季度报送情况 column together: the
    page keeps its width when the reference is hidden."""
    spare = sum(c.width for c in cols if c.kind == "reference")
    return tuple(replace(c, width=c.width + spare) if c.key == "content" else c for c in cols)


def print_pages(cols, hidden: Set[str] = frozenset()) -> list[list[int]]:
    """The 1-based columns of each printed page, left to right: the first page up to
    ``first_page_end`` (the answers and the 指标完成值), then the rest as many per page
    as fit at the first page's scale, each page starting with the repeated
    ``fs.FROZEN_COLUMNS``. ``hidden`` column keys take no room. A page that would hold
    only 责任分工 and the indicators' targets is not printed: the unit knows its duty,
    the 任务内容 cell lists the targets, and on paper that page repeated every row."""
    split = first_page_end(cols)

    def width(indices) -> float:
        return sum(
            st.column_points(cols[i - 1].width) for i in indices if cols[i - 1].key not in hidden
        )

    first = list(range(1, split + 1))
    scale = st.print_scale_for(width(first))
    room = st.printable_width() * 100 / scale
    titles = first[: fs.FROZEN_COLUMNS]
    groups = [[i] for i in range(split + 1, len(cols) + 1)]
    pages = [first]
    page: list[int] = []
    for group in groups:
        if page and width([*titles, *page, *group]) > room:
            pages.append([*titles, *page])
            page = []
        page.extend(group)
    if page:
        pages.append([*titles, *page])
    return [
        p
        for k, p in enumerate(pages)
        if k == 0
        or {
            cols[i - 1].kind
            for i in p[len(titles) :]
            if cols[i - 1].key not in hidden and cols[i - 1].key != "duty"
        }
        - {"indicator_target"}
    ]


def print_ranges(
    ws: xd.Sheet, cols, pages: list[list[int]], hidden_at: set[int], last_row: int
) -> int:
    """Fixed print scale (legible text, not shrunk to fit) and column breaks between the
    printed pages; 序号/任务编号/任务内容 repeat on each.

    The later pages (责任分工, indicators) are a second print range that starts at the header
    row: in one range the title and the header fields, merged across the first page, would
    print cut to their first three columns on every later page. The colour note under the
    table is for the screen (the 填报说明 says the same): printed, it was often pushed alone
    onto a last page under a repeated header row. Returns the scale."""
    widths = [
        sum(st.column_points(cols[i - 1].width) for i in p if i not in hidden_at) for p in pages
    ]
    scale = st.print_scale_for(max(widths))
    ws.page_setup(f"{fs.HEADER_ROW}:{fs.HEADER_ROW}", scale=scale)
    first_end = get_column_letter(pages[0][-1])
    if len(pages) == 1:
        ws.print_area = f"A1:{first_end}{last_row}"
        return scale
    later = get_column_letter(pages[0][-1] + 1)
    ws.print_area = [
        f"A1:{first_end}{last_row}",
        f"{later}{fs.HEADER_ROW}:{get_column_letter(pages[-1][-1])}{last_row}",
    ]
    ws.print_title_cols = f"A:{get_column_letter(fs.FROZEN_COLUMNS)}"
    for page in pages[:-1]:
        ws.col_breaks.append(page[-1])  # break to the right of its last column
    return scale


def balance_rows(ws: xd.Sheet, scale: int) -> None:
    """Page breaks between the task rows that share them evenly among the pages the sheet
    needs (``xlsx_style.balanced_breaks``): left to themselves the programs filled every
    page and left one row alone on the last. The heights are the rows' starting heights,
    which the programs keep until the unit types."""
    # the task rows: their heights are starting heights (not custom), the note's is fixed
    heights = [
        h for r, (h, custom) in sorted(ws.rows.items()) if r >= fs.FIRST_DATA_ROW and not custom
    ]
    # the whole page's height: LibreOffice fills it to the point (a smaller share split
    # sheets that fitted one page)
    room = st.printable_height() * 100 / scale - ws.rows[fs.HEADER_ROW][0]
    first = room - sum(ws.rows[r][0] for r in range(fs.TITLE_ROW, fs.HEADER_ROW))
    for start in st.balanced_breaks(heights, first, room):
        ws.row_breaks.append(fs.FIRST_DATA_ROW + start - 1)  # below the row before it


def running_header(ws: xd.Sheet, pages: list[list[int]], left: str, form_id: str) -> None:
    """Each printed page says whose form it is: the later pages carry no title row, and
    a sheet printed on one page reads like the others (on every page alike: LibreOffice
    ignores Excel's "different first page")."""
    ws.odd_header = (left, f"表单编号：{form_id}", st.SONG, 9)


def off_paper(ws: xd.Sheet, columns: int) -> None:
    """A sheet read on screen, never printed: its print area one empty cell right of the
    table. Office programs print no page for an area without content (LibreOffice and
    Excel alike), so printing the workbook gives the sheets that are filled in."""
    ws.print_area = f"{get_column_letter(columns + 2)}1"


def guide_pages(ws: xd.Sheet) -> None:
    """The 填报说明 is read on screen and not printed: what goes on paper is what the
    主要领导 signs (the task sheets, each page headed with the unit and form number), so a
    unit with a few rows on both sheets prints two pages, not three. Portrait on one page
    where someone prints it by hand (File ▸ Print ▸ this sheet ignoring the print area)."""
    ws.page_setup(None, landscape=False, tall=1)
    off_paper(ws, 2)
