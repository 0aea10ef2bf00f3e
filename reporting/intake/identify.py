"""Which unit, period and form a returned workbook is: stored identification first, then what
a person can see.

Order: hidden sheet → custom document properties → defined name → identification cell
(the guide sheet) → visible header cells → file name. ``Identity.by`` says which one
decided; ``IDENTIFIED_BY`` is its Chinese name for status and the summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from reporting.core.exceptions import PeriodError
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.states import Level
from reporting.documents.spreadsheet import SheetGrid, Workbook
from reporting.forms import formspec as fs
from reporting.forms.plan_spec import form_id_of
from reporting.intake import normalize as nz
from reporting.taskbook.assignments import Assignments

# how a return was identified → what status/summary show
# how a return was recognised, in words the office reads in status and the 汇总表
IDENTIFIED_BY = {
    "hidden_sheet": "表格内的识别信息",
    "custom_props": "文件属性",
    "defined_name": "表格内的识别名称",
    "ident_cell": "表内识别码",
    "header_cells": "表头的单位和季度",
    "file_name": "文件名",
}


@dataclass
class Identity:
    by: str  # an IDENTIFIED_BY key
    unit: str = ""
    period: str = ""
    form_id: str = ""
    fingerprint: str = ""
    schema_version: str = ""
    lead_ids: tuple[str, ...] | None = None  # known only from the hidden sheet
    coop_ids: tuple[str, ...] | None = None
    row_prints: dict[tuple[str, str], str] = field(
        default_factory=dict
    )  # (sheet, id) → fingerprint


def _from_form_identity(by: str, fid: fs.FormIdentity) -> Identity:
    return Identity(
        by=by,
        unit=fid.unit,
        period=fid.period,
        form_id=fid.form_id,
        fingerprint=fid.fingerprint,
        schema_version=fid.schema_version,
    )


def _hidden_sheet_identity(book: Workbook) -> Identity | None:
    sheet = book.sheet(fs.SHEET_ID)
    if sheet is None:
        return None
    pairs = {}
    for r in range(sheet.height):
        key = sheet.text(r, 0)
        if key in fs.ID_KEYS:
            pairs[key] = sheet.text(r, 1)
    if not pairs.get("unit") or not pairs.get("period"):
        return None
    fid = fs.FormIdentity.from_pairs(pairs)
    ident = _from_form_identity("hidden_sheet", fid)
    ident.lead_ids = fid.lead_ids
    ident.coop_ids = fid.coop_ids
    head = fs.ID_ROWS_HEADER_ROW - 1
    for r in range(head + 1, sheet.height):
        sheet_name, task_id, fingerprint = (
            sheet.text(r, 0),
            fs.parse_task_label(sheet.value(r, 2)),
            sheet.text(r, 3),
        )
        if sheet_name and task_id and fingerprint:
            ident.row_prints[(sheet_name, task_id)] = fingerprint
    return ident


def _props_identity(book: Workbook) -> Identity | None:
    props = {key: book.properties.get(name, "") for key, name in fs.CUSTOM_PROPS.items()}
    if not props.get("unit") or not props.get("period"):
        return None
    return _from_form_identity("custom_props", fs.FormIdentity.from_pairs(props))


def _name_identity(book: Workbook) -> Identity | None:
    fid = fs.FormIdentity.decode(book.defined_names.get(fs.IDENT_NAME, "").replace('""', '"'))
    return _from_form_identity("defined_name", fid) if fid else None


def _cell_identity(book: Workbook) -> Identity | None:
    guide = book.sheet(fs.SHEET_GUIDE)
    if guide is None:
        return None
    fid = fs.FormIdentity.decode(guide.cell(fs.GUIDE_CELLS["ident"]))
    return _from_form_identity("ident_cell", fid) if fid else None


def _header_identity(book: Workbook) -> Identity | None:
    """Unit, period and form id from the visible header cells of the task sheets or the guide."""
    found: dict[str, str] = {}
    sources: list[tuple[SheetGrid, dict[str, str]]] = []
    for name in (fs.SHEET_LEAD, fs.SHEET_COOP):
        sheet = book.sheet(name)
        if sheet is not None:
            sources.append((sheet, {h.key: h.value_cell for h in fs.HEADER_CELLS}))
    guide = book.sheet(fs.SHEET_GUIDE)
    if guide is not None:
        sources.append((guide, fs.GUIDE_CELLS))
    for sheet, cells in sources:
        for key in ("unit", "period", "form_id"):
            if key in cells and not found.get(key):
                found[key] = nz.text(sheet.cell(cells[key]))
    if not found.get("unit"):
        return None
    period = ""
    if found.get("period"):
        try:
            period = str(Period.parse(found["period"]))
        except PeriodError:
            period = ""
    if found.get("form_id"):  # a 落实方案表's as printed (2024年落实方案-…)
        found["form_id"] = form_id_of(found["form_id"])
    if not period and found.get("form_id"):
        period = found["form_id"].split("-", 1)[0]
    return Identity(
        by="header_cells", unit=found["unit"], period=period, form_id=found.get("form_id", "")
    )


_PERIOD_IN_NAME = re.compile(r"(\d{4})\s*[-_ ]?\s*[Qq]([1-4])|(\d{4})年?第?([一二三四1-4])季度")


def period_from_name(name: str) -> str:
    m = _PERIOD_IN_NAME.search(name)
    if not m:
        return ""
    if m.group(1):
        return f"{m.group(1)}Q{m.group(2)}"
    return str(Period.parse(f"{m.group(3)}年第{m.group(4)}季度"))


def unit_from_name(name: str, registry) -> str | None:
    """The unit whose canonical name or alias appears in a file name (longest match wins)."""
    squashed = re.sub(r"[\s\u3000]+", "", name)
    best: list[tuple[int, str]] = []
    candidates = [(u, u) for u in registry.units] + [
        (a, t) for a, t in registry.aliases.items() if t in registry.units
    ]
    for text, unit in candidates:
        if text and text in squashed:
            best.append((len(text), unit))
    if not best:
        return None
    longest = max(n for n, _ in best)
    units = {u for n, u in best if n == longest}
    return units.pop() if len(units) == 1 else None


def identify(
    book: Workbook, source: str, assignments: Assignments
) -> tuple[Identity | None, list[Problem]]:
    """The form's identity, trying the stored identification first; notes on disagreements."""
    notes: list[Problem] = []
    finders = (
        _hidden_sheet_identity,
        _props_identity,
        _name_identity,
        _cell_identity,
        _header_identity,
    )
    found = [i for i in (f(book) for f in finders) if i is not None]
    stem = Path(source).name
    by_name = unit_from_name(stem, assignments.registry)
    if by_name:
        found.append(Identity(by="file_name", unit=by_name, period=period_from_name(stem)))
    if not found:
        return None, notes
    chosen = found[0]
    canonical = assignments.registry.canonical_unit(chosen.unit)
    others = {
        (assignments.registry.canonical_unit(i.unit) or i.unit): i.by for i in found[1:] if i.unit
    }
    for unit, by in others.items():
        if canonical and unit != canonical:
            notes.append(
                Problem(
                    f"{IDENTIFIED_BY[chosen.by]}显示为“{canonical}”的表单，但{IDENTIFIED_BY[by]}显示为“{unit}”；"
                    f"已按“{canonical}”接收，如不对请联系督查考核办",
                    code="identity_mismatch",
                    level=Level.WARNING,
                )
            )
            break
    return chosen, notes
