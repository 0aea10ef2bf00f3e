"""A small .xlsx writer for generated forms and tables (the 汇总表 and every workbook of
``merge.summary.write_table``): the sheet XML written as strings, byte for byte what
openpyxl 3.1 writes for the same workbook, at a fraction of the cost.

openpyxl builds an object per cell, hashes every style it is given and serialises each
element through lxml; a form of a few rows spent most of its 17 ms there. Here a cell is a
tuple, a style is the index array openpyxl would compute (same lists, same order of first
use) and a row is one string. The parts that do not change from cell to cell (protection,
views, print setup, validations, styles.xml, document properties) still come from openpyxl's
own objects, serialised once per distinct setting, so escaping and attribute order stay
openpyxl's. tests/test_forms_direct.py and tests/test_summary_direct.py hold the bytes of
forms and 汇总表 written by openpyxl.

Supported: text and number cells, cell styles (font, alignment, fill, border, lock, number
format), merged ranges, row heights (custom or starting), column widths and hiding, data
validations, sheet protection, frozen panes and zoom, page setup through
``xlsx_style.page_setup``, column breaks, print areas and titles, auto filters, links to
places in the workbook, hidden sheets, workbook structure protection (or none),
workbook-level defined names, core and custom document properties.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache, lru_cache
from zipfile import ZIP_DEFLATED

from lxml.etree import tostring as _lxml_tostring
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Border, Font, Protection
from openpyxl.styles.borders import DEFAULT_BORDER
from openpyxl.styles.fills import DEFAULT_EMPTY_FILL, DEFAULT_GRAY_FILL
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.utils.indexed_list import IndexedList

from reporting.core.fileutil import FixedTimeZip, atomic_save

Style = tuple[int, int, int, int, int, int, int, int, int]  # openpyxl's StyleArray fields
NO_STYLE: Style = (0, 0, 0, 0, 0, 0, 0, 0, 0)
FONT, FILL, BORDER, NUMBER_FORMAT, PROTECTION, ALIGNMENT = 0, 1, 2, 3, 4, 5  # in a Style
MAX_TEXT = 32767  # openpyxl cuts a cell's text here
_UNLOCKED = Protection(locked=False)
_LOCKED = Protection()  # each workbook's first protection and alignment (openpyxl's defaults)
_NO_ALIGNMENT = Alignment()

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _ascii(el) -> str:
    """An lxml element as a worksheet stream writes it (ASCII, character references)."""
    return _lxml_tostring(el).decode("ascii")


def _utf8(el) -> bytes:
    return _lxml_tostring(el, encoding="utf-8")


def _text(value: str) -> str:
    """Element text as lxml writes it into a worksheet."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _attr(value: str) -> str:
    """An attribute value as lxml writes it into a worksheet (ASCII, character references)."""
    for ch, ref in _ATTR_ESCAPES:
        if ch in value:
            value = value.replace(ch, ref)
    return value.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _hyperlink(ref: str, location: str) -> str:
    """A link to a place in the workbook, as openpyxl's Hyperlink serialises (no relationship)."""
    return f'<hyperlink ref="{ref}" location="{_attr(location)}"/>'


_ATTR_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\n", "&#10;"),
    ("\r", "&#13;"),
    ("\t", "&#9;"),
)

_classes: dict = {}  # style object -> number of its equality class (hashed once)
_class_of: dict[int, tuple[int, object]] = {}  # id(style object) -> (class, the object)
# (kept alive here, so an id is never reused; style objects are module constants, so this
# stays small however many workbooks are written)


def _class(obj) -> int:
    """openpyxl compares styles by value and hashes them on every use (slow); the module's
    style constants are hashed once here."""
    known = _class_of.get(id(obj))
    if known is None:
        known = _class_of[id(obj)] = (_classes.setdefault(obj, len(_classes)), obj)
    return known[0]


def cell_xml(ref: str, s: str, value, kind: str) -> str:
    """One ``<c>`` as openpyxl's lxml cell writer writes it (``s``: the style attribute or
    ""; ``kind``: openpyxl's data type "s", "e" or "n"): text inline, an error code or a
    number as a value, an empty element for no value."""
    if kind == "s":
        if value == "":
            return f'<c r="{ref}"{s} t="inlineStr"></c>'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'
    if value is None:
        return f'<c r="{ref}"{s} t="{kind}"></c>'
    if kind == "e":
        return f'<c r="{ref}"{s} t="e"><v>{_text(value)}</v></c>'
    return f'<c r="{ref}"{s} t="n"><v>{safe_string(value)}</v></c>'


class _Styles:
    """One of openpyxl's per-workbook style lists: equal objects share an index, new ones
    are appended in order of first use."""

    def __init__(self, first: Iterable) -> None:
        self.items: list = []
        self._index: dict[int, int] = {}
        for obj in first:
            self.add(obj)

    def add(self, obj) -> int:
        k = _class(obj)
        i = self._index.get(k)
        if i is None:
            i = self._index[k] = len(self.items)
            self.items.append(obj)
        return i


class Book:
    """One workbook's style lists (as openpyxl keeps them) and its sheets; ``lock_structure``:
    sheets cannot be added, removed or renamed (an empty workbookProtection otherwise)."""

    def __init__(self, default_font: Font, lock_structure: bool = True) -> None:
        self.lock_structure = lock_structure
        self.fonts = _Styles([default_font])
        self.fills = _Styles([DEFAULT_EMPTY_FILL, DEFAULT_GRAY_FILL])
        self.borders = _Styles([DEFAULT_BORDER])
        self.alignments = _Styles([_NO_ALIGNMENT])
        self.protections = _Styles([_LOCKED])
        self.number_formats: dict[str, int] = {}  # custom format codes, in order of use
        self.xfs: dict[Style, int] = {NO_STYLE: 0}  # cellXfs, in order of writing
        self.sheets: list[Sheet] = []
        self.names: list[tuple[str, str]] = []  # workbook-level defined names
        self._combos: dict[tuple, Style] = {}

    def create_sheet(self, title: str) -> Sheet:
        sheet = Sheet(self, title)
        self.sheets.append(sheet)
        return sheet

    def style(
        self,
        base: Style,
        font,
        align,
        fill,
        border,
        locked: bool = True,
        number_format: str | None = None,
    ) -> Style:
        """The style a cell gets when font, alignment, fill, border and lock are set on it
        in this order (openpyxl adds each to its list at first use). A combination seen
        before is reused whole, like ``forms.sheets.put`` does."""
        key = (base, id(font), id(align), id(fill), id(border), locked, number_format)
        known = self._combos.get(key)
        if known is not None:
            return known
        s = list(base)
        if number_format is not None:
            s[NUMBER_FORMAT] = self.number_format_id(number_format)
        s[FONT] = self.fonts.add(font)
        if align is not None:
            s[ALIGNMENT] = self.alignments.add(align)
        if fill is not None:
            s[FILL] = self.fills.add(fill)
        if border is not None:
            s[BORDER] = self.borders.add(border)
        if not locked:
            s[PROTECTION] = self.protections.add(_UNLOCKED)
        self._combos[key] = style = tuple(s)  # type: ignore[assignment]
        return style  # type: ignore[return-value]

    def with_border(self, base: Style, border: Border) -> Style:
        return self.replaced(base, BORDER, self.borders.add(border))

    def with_fill(self, base: Style, fill) -> Style:
        return self.replaced(base, FILL, self.fills.add(fill))

    def with_number_format(self, base: Style, code: str) -> Style:
        return self.replaced(base, NUMBER_FORMAT, self.number_format_id(code))

    def replaced(self, base: Style, position: int, index: int) -> Style:
        """``base`` with one field set (as setting one style attribute of a cell does)."""
        key = (base, position, index)
        known = self._combos.get(key)
        if known is None:
            s = list(base)
            s[position] = index
            known = self._combos[key] = tuple(s)  # type: ignore[assignment]
        return known  # type: ignore[return-value]

    def number_format_id(self, code: str) -> int:
        """A built-in format's id, or a custom one numbered from 164 in order of first use."""
        builtin = BUILTIN_FORMATS_REVERSE.get(code)
        if builtin is not None:
            return builtin
        i = self.number_formats.setdefault(code, len(self.number_formats))
        return i + BUILTIN_FORMATS_MAX_SIZE

    def xf(self, style: Style) -> int:
        i = self.xfs.get(style)
        if i is None:
            i = self.xfs[style] = len(self.xfs)
        return i


def _first(pair: tuple):
    return pair[0]


class Sheet:
    """Cells and settings of one worksheet."""

    def __init__(self, book: Book, title: str) -> None:
        self.book = book
        self.title = title
        self.state = "visible"
        self.cells: dict[tuple[int, int], list] = {}  # (row, col) -> [value, style, type]
        self.covered: set[tuple[int, int]] = set()  # merged cells openpyxl keeps
        self.rows: dict[int, tuple[float, bool]] = {}  # row -> (height, custom)
        self.cols: dict[int, tuple[float, bool]] = {}  # column -> (width, hidden)
        self.merges: set[tuple[int, int, int, int]] = set()  # openpyxl's set order
        self.validations: list = []  # openpyxl DataValidation objects
        self.protected = False
        self.password = ""
        self.freeze = ""  # top-left cell of the scrolling pane
        self.zoom: int | None = None
        self.page: tuple | None = None  # xlsx_style.page_setup arguments
        self.col_breaks: list[int] = []
        self.print_area: str | list[str] = ""  # one range, or several
        self.odd_header: tuple | None = None  # (left, right, font name, size) on every page
        self.print_title_rows = ""
        self.print_title_cols = ""
        self.auto_filter = ""  # the filtered range, e.g. A3:P84
        self.links: dict[tuple[int, int], str] = {}  # (row, col) -> place in the workbook

    # -- content ------------------------------------------------------------------
    def put(self, coord: str, value, font, align=None, fill=None, border=None, locked=True):
        if isinstance(value, str):
            value = value[:MAX_TEXT]
        row, col = coordinate_to_tuple(coord)
        cell = self.cells.get((row, col))
        base = cell[1] if cell else NO_STYLE
        style = self.book.style(base, font, align, fill, border, locked)
        kind = ("e" if value in ERROR_CODES else "s") if isinstance(value, str) else "n"
        self.cells[row, col] = [value, style, kind]  # openpyxl's data type for the value

    def put_at(self, row: int, col: int, value, style: Style, text: bool = False) -> None:
        """A cell by position with a style from ``Book.style`` (the fast way for tables);
        ``text``: a string stays text whatever it looks like (no error code)."""
        if isinstance(value, str):
            value = value[:MAX_TEXT]
            kind = "s" if text or value not in ERROR_CODES else "e"
        elif value is None or type(value) in (int, float):
            kind = "n"
        else:  # openpyxl has other types for dates and booleans
            raise TypeError(f"{type(value).__name__} in row {row}, column {col}")
        self.cells[row, col] = [value, style, kind]

    def restyle(self, row: int, col: int, fill=None, number_format: str | None = None) -> None:
        """Set a cell's fill or number format, keeping the rest of its style."""
        cell = self.cells.get((row, col))
        if cell is None:
            cell = self.cells[row, col] = [None, NO_STYLE, "n"]
        if fill is not None:
            cell[1] = self.book.with_fill(cell[1], fill)
        if number_format is not None:
            cell[1] = self.book.with_number_format(cell[1], number_format)

    def value(self, row: int, col: int):
        cell = self.cells.get((row, col))
        return None if cell is None else cell[0]

    def link(self, row: int, col: int, location: str) -> None:
        """A link from the cell to a place in this workbook (e.g. 'Sheet'!A4), no file."""
        self.links[row, col] = location

    def set_text(self, coord: str, value: str) -> None:
        """An unstyled cell that is text whatever it starts with (no formula)."""
        row, col = coordinate_to_tuple(coord)
        cell = self.cells.get((row, col))
        self.cells[row, col] = [value[:MAX_TEXT], cell[1] if cell else NO_STYLE, "s"]

    def border(self, ref: str, border: Border) -> None:
        """``border`` on every cell of ``ref`` (each covered cell of a merge shows it)."""
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                cell = self.cells.get((row, col))
                if cell is None:
                    cell = self.cells[row, col] = [None, NO_STYLE, "n"]
                cell[1] = self.book.with_border(cell[1], border)

    def merge_cells(self, ref: str) -> None:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        self.merges.add((min_row, min_col, max_row, max_col))
        if (min_row, min_col) not in self.cells:
            self.cells[min_row, min_col] = [None, NO_STYLE, "n"]
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                if (row, col) != (min_row, min_col):
                    self.covered.add((row, col))
                    self.cells.pop((row, col), None)

    def page_setup(
        self,
        title_rows: str | None,
        landscape: bool = True,
        scale: int | None = None,
        paper: str | None = None,
    ) -> None:
        """As ``xlsx_style.page_setup`` sets an openpyxl sheet (it is run to write it)."""
        self.page = (title_rows, landscape, scale, paper)
        self.print_title_rows = title_rows or ""

    def height(self, row: int, points: float, custom: bool = True) -> None:
        """Row height; ``custom=False`` is a starting height the office program may grow."""
        self.rows[row] = (points, custom)

    def column(self, letter: str, width: float, hidden: bool = False) -> None:
        from openpyxl.utils import column_index_from_string

        self.cols[column_index_from_string(letter)] = (width, hidden)

    # -- XML ----------------------------------------------------------------------
    def _dimension(self) -> str:
        keys = [*self.cells, *self.covered]
        if not keys:
            return "A1:A1"
        rows = [r for r, _ in keys]
        cols = [c for _, c in keys]
        return (
            f"{get_column_letter(min(cols))}{min(rows)}:{get_column_letter(max(cols))}{max(rows)}"
        )

    def _sheet_data(self, parts: list[str]) -> None:
        xf = self.book.xf
        by_row: dict[int, list[tuple[int, list]]] = {r: [] for r in self.rows}
        for (row, col), cell in self.cells.items():
            if cell[0] is None and cell[1] == NO_STYLE:
                continue
            by_row.setdefault(row, []).append((col, cell))
        # merged cells that got a border are written too (openpyxl keeps them as cells)
        attrs: dict[Style, str] = {NO_STYLE: ""}  # style -> ' s="n"' (numbered at first use)
        parts.append("<sheetData>")
        for row in sorted(by_row):
            dims = self.rows.get(row)
            if dims is None:
                parts.append(f'<row r="{row}">')
            elif dims[1]:
                parts.append(f'<row r="{row}" ht="{safe_string(dims[0])}" customHeight="1">')
            else:
                parts.append(f'<row r="{row}" ht="{safe_string(dims[0])}">')
            for col, (value, style, kind) in sorted(by_row[row], key=_first):
                s = attrs.get(style)
                if s is None:
                    s = attrs[style] = f' s="{xf(style)}"'
                parts.append(cell_xml(f"{get_column_letter(col)}{row}", s, value, kind))
            parts.append("</row>")
        parts.append("</sheetData>")

    def xml(self) -> bytes:
        parts = [f'<worksheet xmlns="{_MAIN}">']
        fit = None if self.page is None else self.page[2] is None
        parts.append(_sheet_pr(fit))
        parts.append(f'<dimension ref="{self._dimension()}"/>')
        parts.append(_views(self.freeze, self.zoom))
        parts.append('<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>')
        if self.cols:
            parts.append("<cols>")
            for col in sorted(self.cols):
                width, hidden = self.cols[col]
                flag = ' hidden="1"' if hidden else ""
                parts.append(
                    f'<col{flag} width="{safe_string(width)}" customWidth="1" min="{col}" max="{col}"/>'
                )
            parts.append("</cols>")
        self._sheet_data(parts)
        if self.protected:
            parts.append(_protection(self.password))
        if self.auto_filter:
            parts.append(f'<autoFilter ref="{self.auto_filter}"/>')
        if self.merges:
            parts.append(f'<mergeCells count="{len(self.merges)}">')
            for min_row, min_col, max_row, max_col in self.merges:
                first = f"{get_column_letter(min_col)}{min_row}"
                last = f"{get_column_letter(max_col)}{max_row}"
                ref = first if first == last else f"{first}:{last}"
                parts.append(f'<mergeCell ref="{ref}"/>')
            parts.append("</mergeCells>")
        if self.validations:
            parts.append(f'<dataValidations count="{len(self.validations)}">')
            parts.extend(_validation(dv) for dv in self.validations)
            parts.append("</dataValidations>")
        if self.links:
            parts.append("<hyperlinks>")
            for (row, col), location in sorted(self.links.items()):
                parts.append(_hyperlink(f"{get_column_letter(col)}{row}", location))
            parts.append("</hyperlinks>")
        parts.append(_page_with_header(self.page, self.odd_header))
        if self.col_breaks:
            parts.append(_col_breaks(tuple(self.col_breaks)))
        parts.append("</worksheet>")
        return "".join(parts).encode("ascii")


# -- pieces serialised once per setting, by openpyxl's own objects ---------------------
@cache
def _scratch_sheet():
    from openpyxl import Workbook

    return Workbook().active


def _sheet_pr(fit: bool | None) -> str:
    return (
        '<sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>'
        + ("<pageSetUpPr/>" if fit is None else f'<pageSetUpPr fitToPage="{int(fit)}"/>')
        + "</sheetPr>"
    )


@cache
def _views(freeze: str, zoom: int | None) -> str:
    from openpyxl.worksheet.views import SheetView, SheetViewList

    ws = _scratch_sheet()
    ws.views = SheetViewList(sheetView=[SheetView()])
    if freeze:
        ws.freeze_panes = freeze
    if zoom is not None:
        ws.sheet_view.zoomScale = zoom
    return _ascii(ws.views.to_tree())


@cache
def _protection(password: str) -> str:
    from openpyxl.worksheet.protection import SheetProtection

    prot = SheetProtection(sheet=True, formatRows=False, formatColumns=False)
    if password:
        prot.password = password
    return _ascii(prot.to_tree())


@lru_cache(maxsize=256)
def _page(args: tuple | None, odd_header: tuple | None = None) -> str:
    """printOptions, pageMargins, pageSetup and headerFooter as ``xlsx_style.page_setup``
    sets them (``args``: its arguments after the sheet; None: openpyxl's defaults), with
    ``odd_header`` (left text, right text, font, size) as the page header."""
    from openpyxl.worksheet.worksheet import Worksheet

    from reporting.documents import xlsx_style as st

    ws = Worksheet(_scratch_sheet().parent)
    if args is not None:
        st.page_setup(ws, *args)
    if odd_header is not None:
        left, right, font, size = odd_header
        ws.oddHeader.left.text, ws.oddHeader.right.text = left, right
        for part in (ws.oddHeader.left, ws.oddHeader.right):
            part.font, part.size = font, size
    out = []
    for part in (ws.print_options, ws.page_margins, ws.page_setup, ws.HeaderFooter):
        if part:  # what openpyxl's worksheet writer leaves out when empty
            out.append(_ascii(part.to_tree()))
    return "".join(out)


_LEFT, _RIGHT = "DUBANLEFTTEXT", "DUBANRIGHTTEXT"  # ASCII stand-ins, escaped as themselves


def _page_with_header(args: tuple | None, odd_header: tuple | None) -> str:
    """``_page`` with a page header whose texts change from sheet to sheet (the unit, the
    form id): serialised once with stand-ins, the texts escaped in (escaping goes character
    by character, so the bytes are the same)."""
    if odd_header is None:
        return _page(args)
    left, right, font, size = odd_header
    if any(ch == "&" or ch < " " for ch in left + right):  # codes openpyxl rewrites
        return _page(args, odd_header)
    text = _page(args, (_LEFT, _RIGHT, font, size))
    return text.replace(_LEFT, _text(left)).replace(_RIGHT, _text(right))


_DV_FIELDS = (
    "type errorStyle imeMode operator allow_blank showDropDown showInputMessage"
    " showErrorMessage errorTitle error promptTitle prompt formula1 formula2"
).split()
_dv_cache: dict[tuple, tuple[str, str]] = {}


def _validation(dv) -> str:
    """A DataValidation as openpyxl writes it, serialised once per setting (the cell
    ranges put in as a string)."""
    key = tuple(getattr(dv, f) for f in _DV_FIELDS)
    parts = _dv_cache.get(key)
    if parts is None:
        from copy import copy

        probe = copy(dv)
        probe.sqref = "A1"
        head, tail = _ascii(probe.to_tree()).split(' sqref="A1"', 1)
        parts = (head, tail)
        if len(_dv_cache) < 256:
            _dv_cache[key] = parts
    return f'{parts[0]} sqref="{dv.sqref}"{parts[1]}'


@cache
def _col_breaks(ids: tuple[int, ...]) -> str:
    from openpyxl.worksheet.pagebreak import Break, ColBreak

    breaks = ColBreak()
    for i in ids:
        breaks.append(Break(id=i))
    return _ascii(breaks.to_tree())


@cache
def _workbook_protection(password: str, lock: bool = True) -> str:
    from openpyxl.workbook.protection import WorkbookProtection

    prot = WorkbookProtection(lockStructure=True) if lock else WorkbookProtection()
    if password:
        prot.workbookPassword = password
    return _utf8(prot.to_tree("workbookProtection")).decode("utf-8")


_styles_cache: dict[tuple, bytes] = {}


def _styles(book: Book) -> bytes:
    """styles.xml by openpyxl's stylesheet writer, once per distinct set of styles."""
    lists = (book.fonts, book.fills, book.borders, book.alignments, book.protections)
    key = (
        *(tuple(_class(o) for o in styles.items) for styles in lists),
        tuple(book.xfs),
        tuple(book.number_formats),
    )
    known = _styles_cache.get(key)
    if known is not None:
        return known
    from openpyxl import Workbook
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.styles.stylesheet import write_stylesheet

    from reporting.documents import xlsx_style as st

    wb = Workbook()
    st.use_chinese_default_font(wb)
    wb._fonts = IndexedList(book.fonts.items)
    wb._fills = IndexedList(book.fills.items)
    wb._borders = IndexedList(book.borders.items)
    wb._alignments = IndexedList(book.alignments.items)
    wb._protections = IndexedList(book.protections.items)
    wb._number_formats = IndexedList(book.number_formats)
    wb._cell_styles = IndexedList(StyleArray(list(s)) for s in book.xfs)
    data = _utf8(write_stylesheet(wb))
    if len(_styles_cache) < 64:
        _styles_cache[key] = data
    return data


@cache
def _fixed_parts() -> tuple[bytes, str]:
    from openpyxl.packaging.extended import ExtendedProperties
    from openpyxl.writer.theme import theme_xml

    return _utf8(ExtendedProperties().to_tree()), theme_xml


# -- the workbook -------------------------------------------------------------------
def _workbook_xml(book: Book, password: str) -> bytes:
    from xml.sax.saxutils import escape, quoteattr

    sheets = "".join(
        f'<sheet xmlns:r="{_REL}" name={quoteattr(s.title)} sheetId="{i}"'
        f' state="{s.state}" r:id="rId{i}"/>'
        for i, s in enumerate(book.sheets, 1)
    )
    names = [f"<definedName name={quoteattr(n)}>{escape(v)}</definedName>" for n, v in book.names]
    for i, s in enumerate(book.sheets):
        q = quote_sheetname(s.title)
        if s.auto_filter:
            value = escape(f"{q}!{_absolute(s.auto_filter)}")
            names.append(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                f"{value}</definedName>"
            )
        titles = []
        if s.print_title_rows:
            a, b = s.print_title_rows.split(":")
            titles.append(f"{q}!${a}:${b}")
        if s.print_title_cols:
            a, b = s.print_title_cols.split(":")
            titles.append(f"{q}!${a}:${b}")
        if titles:
            value = escape(",".join(titles))
            names.append(
                f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{value}</definedName>'
            )
        if s.print_area:
            areas = [s.print_area] if isinstance(s.print_area, str) else s.print_area
            value = escape(",".join(f"{q}!{_absolute(a)}" for a in areas))
            names.append(
                f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">{value}</definedName>'
            )
    defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
    text = (
        f'<workbook xmlns="{_MAIN}"><workbookPr/>{_workbook_protection(password, book.lock_structure)}'
        '<bookViews><workbookView visibility="visible" minimized="0" showHorizontalScroll="1"'
        ' showVerticalScroll="1" showSheetTabs="1" tabRatio="600" firstSheet="0" activeTab="0"'
        ' autoFilterDateGrouping="1"/></bookViews>'
        f"<sheets>{sheets}</sheets>{defined}"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )
    return text.encode("utf-8")


def _absolute(ref: str) -> str:
    """A1:B2 → $A$1:$B$2"""

    def one(cell: str) -> str:
        i = next(i for i, ch in enumerate(cell) if ch.isdigit())
        return f"${cell[:i]}${cell[i:]}"

    return ":".join(one(c) for c in ref.split(":"))


def _rels(targets: Iterable[tuple[str, str]]) -> bytes:
    body = "".join(
        f'<Relationship Type="{kind}" Target="{target}" Id="rId{i}"/>'
        for i, (kind, target) in enumerate(targets, 1)
    )
    return f'<Relationships xmlns="{_PKG_REL}">{body}</Relationships>'.encode()


_OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CT = "application/vnd.openxmlformats-"


def _content_types(n_sheets: int, custom: bool) -> bytes:
    over = [
        ("/xl/styles.xml", "officedocument.spreadsheetml.styles+xml"),
        ("/xl/theme/theme1.xml", "officedocument.theme+xml"),
        ("/docProps/core.xml", "package.core-properties+xml"),
        ("/docProps/app.xml", "officedocument.extended-properties+xml"),
    ]
    if custom:
        over.append(("/docProps/custom.xml", "officedocument.custom-properties+xml"))
    over += [
        (f"/xl/worksheets/sheet{i}.xml", "officedocument.spreadsheetml.worksheet+xml")
        for i in range(1, n_sheets + 1)
    ]
    over.append(("/xl/workbook.xml", "officedocument.spreadsheetml.sheet.main+xml"))
    body = "".join(f'<Override PartName="{p}" ContentType="{_CT}{t}"/>' for p, t in over)
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="{_CT}package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{body}</Types>"
    ).encode()


def workbook_bytes(book: Book, props, custom_props, password: str) -> bytes:
    """The .xlsx bytes (fixed zip entry times), parts in openpyxl's order. ``props`` is an
    openpyxl DocumentProperties, ``custom_props`` a CustomPropertyList (or None)."""
    app, theme = _fixed_parts()
    buf = io.BytesIO()
    with FixedTimeZip(buf, "w", ZIP_DEFLATED) as z:
        z.writestr("docProps/app.xml", app)
        z.writestr("docProps/core.xml", _utf8(props.to_tree()))
        z.writestr("xl/theme/theme1.xml", theme)
        custom = custom_props is not None and len(custom_props) >= 1
        if custom:
            z.writestr("docProps/custom.xml", _utf8(custom_props.to_tree()))
        for i, sheet in enumerate(book.sheets, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", sheet.xml())
        z.writestr("xl/styles.xml", _styles(book))
        z.writestr(
            "_rels/.rels",
            _rels(
                [
                    (_OD + "officeDocument", "xl/workbook.xml"),
                    (
                        "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                        "docProps/core.xml",
                    ),
                    (_OD + "extended-properties", "docProps/app.xml"),
                    *([(_OD + "custom-properties", "docProps/custom.xml")] if custom else []),
                ]
            ),
        )
        z.writestr("xl/workbook.xml", _workbook_xml(book, password))
        n = len(book.sheets)
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            _rels(
                [
                    *[(_OD + "worksheet", f"/xl/worksheets/sheet{i}.xml") for i in range(1, n + 1)],
                    (_OD + "styles", "styles.xml"),
                    (_OD + "theme", "theme/theme1.xml"),
                ]
            ),
        )
        z.writestr("[Content_Types].xml", _content_types(n, custom))
    return buf.getvalue()


def document_time(when: datetime | str) -> datetime:
    """``when`` (ISO text or a datetime) as the naive UTC time openpyxl writes as is."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def save(
    book: Book,
    target,
    when: datetime | str,
    props=None,
    custom_props=None,
    password: str = "",
) -> None:
    """Write ``book`` atomically to ``target``; created = modified = ``when`` (``props``:
    openpyxl's DocumentProperties, a new workbook's by default)."""
    if props is None:
        from openpyxl.packaging.core import DocumentProperties

        props = DocumentProperties()
    props.created = props.modified = document_time(when)
    data = workbook_bytes(book, props, custom_props, password)

    def write(tmp) -> None:
        tmp.write_bytes(data)

    atomic_save(target, write)
