"""A small .xlsx writer for generated forms and tables (the 汇总表 and every workbook of
``merge.summary.write_table``): a workbook's cells and settings (``Book``, ``Sheet``) and
``save``: the XML openpyxl 3.1 writes for the same workbook (byte for byte when it replaced
openpyxl), at a fraction of the cost.

openpyxl builds an object per cell, hashes every style it is given and serialises each
element through lxml; a form of a few rows spent most of its 17 ms there. Here a cell is a
tuple, a style is the index array openpyxl would compute (same lists, same order of first
use) and a row is one string. The parts that do not change from cell to cell (protection,
views, print setup, validations, styles.xml, document properties) come from ``xlsx_parts``,
serialised by openpyxl's own objects once per distinct setting. tests/test_forms_direct.py
and tests/test_summary_direct.py pin the bytes this writer gives a set of forms and
汇总表 (a regression guard) and compare the pieces written as strings with openpyxl's own
serialisation.

Supported: text and number cells, cell styles (font, alignment, fill, border, lock, number
format), merged ranges, row heights (custom or starting), column widths and hiding, data
validations, sheet protection, frozen panes and zoom, page setup through
``xlsx_style.page_setup``, column breaks, print areas and titles, auto filters, links to
places in the workbook, hidden sheets, workbook structure protection (or none),
workbook-level defined names, core and custom document properties.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

from openpyxl.cell.cell import ERROR_CODES
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Border, Font, Protection
from openpyxl.styles.borders import DEFAULT_BORDER
from openpyxl.styles.fills import DEFAULT_EMPTY_FILL, DEFAULT_GRAY_FILL
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

from reporting.core.fileutil import SyncLater, atomic_save
from reporting.documents import xlsx_parts as xp

# (row, column) of "B7": the forms name the same cells over and over
_position = lru_cache(maxsize=16384)(coordinate_to_tuple)

Style = tuple[int, int, int, int, int, int, int, int, int]  # openpyxl's StyleArray fields
NO_STYLE: Style = (0, 0, 0, 0, 0, 0, 0, 0, 0)
FONT, FILL, BORDER, NUMBER_FORMAT, PROTECTION, ALIGNMENT = 0, 1, 2, 3, 4, 5  # in a Style
MAX_TEXT = 32767  # openpyxl cuts a cell's text here
_UNLOCKED = Protection(locked=False)
_LOCKED = Protection()  # each workbook's first protection and alignment (openpyxl's defaults)
_NO_ALIGNMENT = Alignment()


class _Styles:
    """One of openpyxl's per-workbook style lists: equal objects share an index, new ones
    are appended in order of first use."""

    def __init__(self, first: Iterable) -> None:
        self.items: list = []
        self._index: dict[int, int] = {}
        for obj in first:
            self.add(obj)

    def add(self, obj) -> int:
        k = xp.style_class(obj)
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
        self.hidden_rows: set[int] = set()  # kept in the file, neither shown nor printed
        self.cols: dict[int, tuple[float, bool]] = {}  # column -> (width, hidden)
        self.merges: set[tuple[int, int, int, int]] = set()  # openpyxl's set order
        self.validations: list = []  # openpyxl DataValidation objects
        self.protected = False
        self.password = ""
        self.freeze = ""  # top-left cell of the scrolling pane
        self.zoom: int | None = None
        self.page: tuple | None = None  # xlsx_style.page_setup arguments
        self.col_breaks: list[int] = []
        self.row_breaks: list[int] = []  # a page ends below each of these rows
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
        row, col = _position(coord)
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
        row, col = _position(coord)
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
        tall: int = 0,
    ) -> None:
        """As ``xlsx_style.page_setup`` sets an openpyxl sheet (it is run to write it)."""
        self.page = (title_rows, landscape, scale, paper, *((tall,) if tall else ()))
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
                hide = ' hidden="1"' if row in self.hidden_rows else ""
                parts.append(f'<row r="{row}" ht="{safe_string(dims[0])}"{hide} customHeight="1">')
            else:
                parts.append(f'<row r="{row}" ht="{safe_string(dims[0])}">')
            for col, (value, style, kind) in sorted(by_row[row], key=_first):
                s = attrs.get(style)
                if s is None:
                    s = attrs[style] = f' s="{xf(style)}"'
                parts.append(xp.cell_xml(f"{get_column_letter(col)}{row}", s, value, kind))
            parts.append("</row>")
        parts.append("</sheetData>")

    def xml(self) -> bytes:
        parts = [f'<worksheet xmlns="{xp.MAIN}">']
        fit = None if self.page is None else self.page[2] is None
        parts.append(xp.sheet_pr_xml(fit))
        parts.append(f'<dimension ref="{self._dimension()}"/>')
        parts.append(xp.views_xml(self.freeze, self.zoom))
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
            parts.append(xp.protection_xml(self.password))
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
            parts.extend(xp.validation_xml(dv) for dv in self.validations)
            parts.append("</dataValidations>")
        if self.links:
            parts.append("<hyperlinks>")
            for (row, col), location in sorted(self.links.items()):
                parts.append(xp.hyperlink_xml(f"{get_column_letter(col)}{row}", location))
            parts.append("</hyperlinks>")
        parts.append(xp.page_with_header(self.page, self.odd_header))
        if self.row_breaks:
            parts.append(xp.row_breaks_xml(tuple(self.row_breaks)))
        if self.col_breaks:
            parts.append(xp.col_breaks_xml(tuple(self.col_breaks)))
        parts.append("</worksheet>")
        return "".join(parts).encode("ascii")


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
    later: SyncLater | None = None,
) -> None:
    """Write ``book`` atomically to ``target``; created = modified = ``when`` (``props``:
    openpyxl's DocumentProperties, a new workbook's by default; ``later``: flushed to disk
    with its batch, ``fileutil.atomic_path``)."""
    if props is None:
        from openpyxl.packaging.core import DocumentProperties

        props = DocumentProperties()
    props.created = props.modified = document_time(when)
    data = xp.workbook_bytes(book, props, custom_props, password)

    def write(tmp) -> None:
        tmp.write_bytes(data)

    atomic_save(target, write, later)
