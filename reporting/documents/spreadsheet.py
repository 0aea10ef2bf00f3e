"""Reading untrusted spreadsheets into plain cell grids, safely.

Returned files arrive in whatever state an office program left them, or are not
spreadsheets at all. ``read_workbook`` takes the format from ``sniff`` (by content, with
its refusals) and returns a ``Workbook`` of ``SheetGrid``s (one cell grid per sheet).

Values come from python-calamine: cached values only, formulas are never evaluated or
copied. For OOXML files ``sheet_xml`` adds what calamine does not expose: formula cells,
hidden rows, percent-formatted cells, merged ranges, custom document properties and
defined names. Macros are never run; a VBA project is only noted.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporting.core.exceptions import UnreadableFileError
from reporting.documents.cells import cell_text, parse_ref
from reporting.documents.sheet_xml import OoxmlFacts, read_ods_properties, read_ooxml_parts
from reporting.documents.sniff import Limits, corrupt, encrypted, sniff, truncated


@dataclass
class SheetGrid:
    """One sheet as a dense grid from A1; ``""`` is an empty cell."""

    name: str
    visibility: str = "visible"  # visible | hidden | veryhidden
    rows: list[list[Any]] = field(default_factory=list)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    hidden_rows: set[int] = field(default_factory=set)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # percent-formatted cells; None when the format does not tell (xls, ods)
    percent_cells: set[tuple[int, int]] | None = None
    clipped: bool = False  # cells beyond Limits.max_rows / max_cols were not read

    @property
    def visible(self) -> bool:
        return self.visibility == "visible"

    @property
    def height(self) -> int:
        return len(self.rows)

    def value(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows):
            cells = self.rows[row]
            if 0 <= col < len(cells):
                return cells[col]
        return ""

    def cell(self, ref: str) -> Any:
        return self.value(*parse_ref(ref))

    def text(self, row: int, col: int) -> str:
        """The cell as stripped text (numbers as written: 3.0 → '3')."""
        return cell_text(self.value(row, col))

    def is_percent(self, row: int, col: int) -> bool | None:
        if self.percent_cells is None:
            return None
        return (row, col) in self.percent_cells

    def merged_at(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        for rng in self.merged:
            r1, c1, r2, c2 = rng
            if r1 <= row <= r2 and c1 <= col <= c2:
                return rng
        return None


@dataclass
class Workbook:
    path: Path
    format: str  # a FORMAT_NAMES key
    sheets: list[SheetGrid] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)  # custom document properties
    defined_names: dict[str, str] = field(default_factory=dict)  # name → formula text
    has_macros: bool = False

    def sheet(self, name: str) -> SheetGrid | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None

    @property
    def visible_sheets(self) -> list[SheetGrid]:
        return [s for s in self.sheets if s.visible]


def read_workbook(
    path: Path | str, limits: Limits | None = None, name: str | None = None
) -> Workbook:
    """Read every sheet of an untrusted spreadsheet; UnreadableFileError when it cannot be read."""
    import python_calamine as pc

    path = Path(path)
    limits = limits or Limits()
    label = name or path.name
    fmt = sniff(path, limits, label)
    book = Workbook(path=path, format=fmt, has_macros=fmt == "xlsm")
    ooxml: OoxmlFacts | None = None
    try:
        if fmt in ("xlsx", "xlsm"):
            ooxml = read_ooxml_parts(path, limits, label)
            book.properties = ooxml.properties
            book.defined_names = ooxml.defined_names
        elif fmt == "ods":
            book.properties = read_ods_properties(path, label)
        # from_filelike decides the format by content; from_path would trust the extension
        with open(path, "rb") as f:
            wb = pc.CalamineWorkbook.from_filelike(f)
    except UnreadableFileError:
        raise
    except pc.PasswordError:
        raise encrypted(label) from None
    except (pc.ZipError, zipfile.BadZipFile, EOFError):
        raise truncated(label) from None
    except BaseException as exc:  # noqa: BLE001 - any parser failure on hostile input is "unreadable"
        _reraise_interrupts(exc)
        raise corrupt(label, fmt, exc) from None
    try:
        for meta in wb.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            book.sheets.append(_read_sheet(wb, meta, ooxml, limits, pc))
    except UnreadableFileError:
        raise
    except pc.PasswordError:
        raise encrypted(label) from None
    except BaseException as exc:  # noqa: BLE001
        _reraise_interrupts(exc)
        raise corrupt(label, fmt, exc) from None
    finally:
        wb.close()
    if not book.sheets:
        raise UnreadableFileError(
            f"{label} 中没有任何工作表，请用下发的进展情况表填写后重新发送", "no_sheets"
        )
    return book


def _reraise_interrupts(exc: BaseException) -> None:
    """A Rust panic in the reader arrives as a BaseException (pyo3 PanicException): treat it
    as a corrupt file; only a real interrupt or exit goes on up."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise exc


def _read_sheet(wb, meta, ooxml: OoxmlFacts | None, limits: Limits, pc) -> SheetGrid:
    visibility = "visible"
    if meta.visible == pc.SheetVisibleEnum.Hidden:
        visibility = "hidden"
    elif meta.visible == pc.SheetVisibleEnum.VeryHidden:
        visibility = "veryhidden"
    sheet = SheetGrid(name=meta.name, visibility=visibility)
    info = ooxml.sheets.get(meta.name) if ooxml else None
    if info is not None:
        sheet.hidden_rows = info.hidden_rows
        sheet.formulas = info.formulas
        sheet.percent_cells = info.percent_cells
        sheet.merged = info.merged
        if info.clipped:
            # far-away cells would make calamine allocate a huge dense grid: do not load
            sheet.clipped = True
            return sheet
    data = wb.get_sheet_by_name(meta.name)
    rows = data.to_python(skip_empty_area=False, nrows=limits.max_rows)
    if len(rows) >= limits.max_rows or (rows and len(rows[0]) > limits.max_cols):
        sheet.clipped = True
    sheet.rows = [r[: limits.max_cols] for r in rows]
    if info is None:
        try:
            sheet.merged = [(a[0], a[1], b[0], b[1]) for a, b in (data.merged_cell_ranges or [])]
        except Exception:  # noqa: BLE001 - merged info is a nicety, not needed to read values
            sheet.merged = []
    return sheet
