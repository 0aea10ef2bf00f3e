"""Returned forms: archive, identify, validate, accept or reject, record; then merge.

``collect()`` is the step. For every file under the inbox (any names, subfolders):

1. hash it (SHA-256); a content already recorded for the period is skipped, so reruns
   and duplicates change nothing;
2. keep the original unchanged under ``workspace.archive_dir`` (``ab/<sha256><ext>``) and
   record it in the ledger (``files``); the file is read from the archived copy;
3. ``examine()`` it: read safely (``reporting.spreadsheet``), identify unit/period/form
   (hidden sheet → custom properties → defined name → identification cell → header
   cells → file name; ``identified_by`` says which), validate every row, and decide:
   accepted, rejected or unidentified (config ``[intake] partial_accept`` accepts a
   return whose problems are confined to some rows, leaving those rows out);
4. record the return and its parsed answers in one transaction (``returns``,
   ``return_answers``).

Then the period is merged from the ledger (the latest accepted return of each unit
supersedes earlier ones) into ``merged.json`` and ``汇总表.xlsx``; both are rewritten only
when what they are built from changed. A kill at any point leaves the ledger consistent
and a rerun finishes the work.

Received time is the file's modification time (the time it was saved or copied into the
inbox), or ``now`` when that lies in the future; a return is late when received after the
period's deadline.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from . import formspec as fs
from . import normalize as nz
from .assignments import Assignments, ResolvedTask
from .calendar import TZ, period_calendar
from .config import Settings
from .exceptions import PeriodError, UnreadableFileError
from .fileutil import atomic_path, atomic_write_text, sha256_file
from .ledger import Ledger
from .merge import UnitAnswers, build_result
from .model import Answer, QuarterResult, Status
from .periods import Period
from .spreadsheet import Limits, Sheet, Workbook, attachment_kind, cell_ref, read_workbook
from .tasks import content_hash
from .workspace import Workspace

# how a return was identified → what status/summary show
IDENTIFIED_BY = {
    "hidden_sheet": "隐藏标识表",
    "custom_props": "文档属性",
    "defined_name": "定义名称",
    "ident_cell": "识别码单元格",
    "header_cells": "表头单元格",
    "file_name": "文件名",
}
STATES = {"accepted": "已接收", "rejected": "退回", "unidentified": "无法识别", "missing": "未报送"}

# files that are never returns: office lock/temp files, system files, unfinished downloads
_IGNORED_NAME = re.compile(
    r"^(~\$|\.~lock\.|\.)|^(thumbs\.db|desktop\.ini)$|\.(tmp|crdownload|part|download)$", re.I
)
_PLACEHOLDER_TEXT = {"无", "/", "-", "—", "——", "略", "同上", "暂无", "空", "0"}
_SUFFIX_RE = re.compile(r"^\.[a-z0-9]{1,5}$")
LIST_LIMIT = 30  # accepted files listed one by one in the CLI output up to this many
REQUIRED_COLUMNS = ("task_id", "content", "progress", "percent", "status", "problems", "next_steps")


# -- problems -----------------------------------------------------------------------
@dataclass
class Problem:
    """One finding about a returned file; ``message`` is the full Chinese sentence."""

    text: str  # what is wrong and how to fix it
    file: str = ""
    sheet: str = ""
    cell: str = ""
    task: str = ""  # task id when the problem belongs to one row
    code: str = ""
    level: str = "error"  # error | warning

    @property
    def where(self) -> str:
        place = ""
        if self.sheet:
            place = f"{self.sheet}!{self.cell}" if self.cell else f"工作表“{self.sheet}”"
        if self.task:
            label = _label(self.task)
            place = f"{place}（任务 {label}）" if place else f"任务 {label}"
        return place

    @property
    def located(self) -> str:
        """Place and text without the file name (the reader knows which file)."""
        return f"{self.where}：{self.text}" if self.where else self.text

    @property
    def message(self) -> str:
        return f"{self.file}：{self.located}" if self.file else self.located

    @classmethod
    def from_dict(cls, data: dict) -> Problem:
        """Back from the ledger's JSON (``to_dict``)."""
        fields = ("text", "file", "sheet", "cell", "task", "code")
        return cls(
            **{k: str(data.get(k) or "") for k in fields}, level=data.get("level") or "error"
        )

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "code": self.code,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "task": self.task,
            "text": self.text,
            "message": self.message,
        }


def _label(task_id: str) -> str:
    no, _, sub = task_id.partition(".")
    return f"{no}（{sub}）" if sub else no


# -- identification ---------------------------------------------------------------------
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
    sources: list[tuple[Sheet, dict[str, str]]] = []
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
                    level="warning",
                )
            )
            break
    return chosen, notes


# -- the examined return ------------------------------------------------------------------
@dataclass
class Examined:
    """The outcome of examining one file (nothing is written by ``examine``)."""

    source: str
    state: str  # accepted | rejected | unidentified
    unit: str | None = None
    period: str | None = None
    form_id: str | None = None
    schema_version: str | None = None
    identified_by: str | None = None
    format: str = ""
    problems: list[Problem] = field(default_factory=list)
    answers: UnitAnswers | None = None
    header: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


def examine(
    path: Path | str,
    source: str,
    settings: Settings,
    assignments: Assignments,
    period: Period,
    *,
    previous: dict[tuple[str, str, str], Answer] | None = None,
) -> Examined:
    """Read, identify and validate one file; bad input gives problems, never an exception."""
    path = Path(path)
    name = Path(source).name
    try:
        book = read_workbook(path, Limits.from_settings(settings.intake), name=name)
    except UnreadableFileError as exc:
        unit = unit_from_name(name, assignments.registry)
        return Examined(
            source=source,
            state="rejected" if unit else "unidentified",
            unit=unit,
            period=str(period),
            identified_by="file_name" if unit else None,
            problems=[
                Problem("文件" + str(exc).removeprefix(f"{name} "), file=name, code=exc.code)
            ],
        )
    checker = _Checker(book, name, settings, assignments, period, previous or {})
    return checker.run(source)


class _Checker:
    """Identification and validation of one workbook."""

    def __init__(self, book, name, settings, assignments, period, previous):
        self.book: Workbook = book
        self.name: str = name
        self.settings: Settings = settings
        self.assignments: Assignments = assignments
        self.period: Period = period
        self.previous = previous
        self.problems: list[Problem] = []
        self.unit = ""

    def problem(
        self, text: str, code: str, *, sheet="", cell="", task="", level="error"
    ) -> Problem:
        p = Problem(text, file=self.name, sheet=sheet, cell=cell, task=task, code=code, level=level)
        if code == "required" and any(
            q.sheet == sheet and q.cell == cell and q.level == "error" for q in self.problems
        ):
            return p  # the cell already has its reason (a formula without a value, a merge)
        self.problems.append(p)
        return p

    def run(self, source: str) -> Examined:
        book = self.book
        out = Examined(
            source=source, state="unidentified", period=str(self.period), format=book.format
        )
        ident, notes = identify(book, source, self.assignments)
        for n in notes:
            n.file = self.name
        self.problems += notes
        if book.has_macros:
            self.problem(
                "文件含有宏（VBA），已忽略，不会执行；今后请保存为普通 .xlsx",
                "macros",
                level="warning",
            )
        if ident is None:
            self.problem(
                "无法识别填报单位：文件中没有表单识别信息，文件名中也没有单位名称；"
                "请用下发的进展情况表填写，并保留文件名中的单位名称后重新发送",
                "unidentified",
            )
            out.problems = self.problems
            return out
        out.identified_by = ident.by
        out.form_id = ident.form_id or None
        out.schema_version = ident.schema_version or None
        unit = self.assignments.registry.canonical_unit(ident.unit)
        if unit is None:
            hints = self.assignments.registry.suggest(
                ident.unit, list(self.assignments.registry.units)
            )
            hint = f"（是否为 {' / '.join(hints)}？）" if hints else ""
            self.problem(
                f"表单中的填报单位“{ident.unit}”不在单位名录中{hint}；请用本单位下发的表单填写，"
                "或请督查考核办核对单位名录",
                "unknown_unit",
            )
            out.problems = self.problems
            return out
        out.unit = self.unit = unit
        out.state = "rejected"
        if not self._check_identity(ident, unit):
            out.problems = self.problems
            return out
        answers, header = self._read_answers(ident, unit)
        out.header = header
        errors = [p for p in self.problems if p.level == "error"]
        row_errors = {p.task for p in errors if p.task}
        file_errors = [p for p in errors if not p.task]
        if not errors:
            out.state = "accepted"
        elif not file_errors and self.settings.intake.partial_accept and _any_answer(answers):
            out.state = "accepted"
            for p in errors:
                p.level = "warning"
                p.text += "（该行未汇总）"
            for part in (answers.lead, answers.coop):
                for tid in row_errors:
                    part.pop(tid, None)
        out.answers = answers if out.state == "accepted" else None
        out.problems = self.problems
        return out

    # -- identity ---------------------------------------------------------------------
    def _check_identity(self, ident: Identity, unit: str) -> bool:
        if ident.schema_version and ident.schema_version != fs.SCHEMA_VERSION:
            self.problem(
                f"表单格式版本为 {ident.schema_version}，本系统只接收版本 {fs.SCHEMA_VERSION}；请用本期下发的表单重新填写",
                "schema_version",
            )
            return False
        period = ident.period
        if not period and ident.by == "file_name":
            period = str(self.period)
            self.problem(
                "文件名和表格中都没有写明报告期，已按本期处理", "period_assumed", level="warning"
            )
        if period != str(self.period):
            try:
                shown = Period.parse(period).full_label
            except PeriodError:
                shown = period or "（未写明）"
            self.problem(
                f"这是{shown}的表单，本次收取的是{self.period.full_label}；请用{self.period.full_label}下发的表单填写后重新发送",
                "wrong_period",
            )
            return False
        expected_id = fs.form_id(self.period, unit)
        if ident.form_id and ident.form_id != expected_id:
            self.problem(
                f"表单编号 {ident.form_id} 与填报单位“{unit}”不符（应为 {expected_id}），可能套用了其他单位的表单；"
                "请用本单位下发的表单填写后重新发送",
                "form_id_mismatch",
            )
            return False
        rows = self.assignments.by_unit.get(unit)
        if rows is None or not rows.count:
            self.problem(
                f"“{unit}”本期没有需要填报的任务，无需报送；如有疑问请联系督查考核办", "no_rows"
            )
            return False
        if ident.by in ("header_cells", "file_name"):
            self.problem(
                f"表单识别信息已丢失（可能被其他软件另存），已按{IDENTIFIED_BY[ident.by]}识别为“{unit}”；今后请直接在下发的表单中填写",
                "identity_fallback",
                level="warning",
            )
        return True

    # -- answers ------------------------------------------------------------------------
    def _read_answers(self, ident: Identity, unit: str) -> tuple[UnitAnswers, dict[str, str]]:
        answers = UnitAnswers(unit=unit)
        rows = self.assignments.by_unit[unit]
        header: dict[str, str] = {}
        known_sheets = set(fs.SHEET_ORDER)
        used: set[str] = set()
        for role, current in (("lead", rows.lead), ("coop", rows.coop)):
            form_ids = ident.lead_ids if role == "lead" else ident.coop_ids
            expected = list(form_ids) if form_ids is not None else [r.id for r in current]
            sheet = self._task_sheet(role, expected, used)
            if sheet is None:
                continue
            used.add(sheet.name)
            self._read_header(sheet, header)
            target = answers.lead if role == "lead" else answers.coop
            self._read_rows(sheet, role, expected, current, ident, target)
        for sheet in self.book.sheets:
            if (
                sheet.name not in known_sheets
                and sheet.name not in used
                and (sheet.visible and any(any(r) for r in sheet.rows))
            ):
                self.problem(
                    f"多出的工作表“{sheet.name}”未读取；补充说明请写在对应任务行的“本季度工作进展”中",
                    "extra_sheet",
                    level="warning",
                )
        if not _any_answer(answers) and not any(
            p.level == "error" and not p.task for p in self.problems
        ):
            self.problems = [p for p in self.problems if not (p.task and p.code == "required")]
            self.problem(
                "表单没有填写任何内容（可能发回了空白表单）；请逐行填写后重新发送", "blank_form"
            )
        for key, label in (("filler", "填报人"), ("phone", "联系电话")):
            if not header.get(key):
                self.problem(
                    f"表头“{label}”未填写，请补充以便联系", "header_missing", level="warning"
                )
        return answers, header

    def _task_sheet(self, role: str, expected: list[str], used: set[str]) -> Sheet | None:
        name = fs.TASK_SHEETS[role]
        sheet = self.book.sheet(name)
        if sheet is not None:
            if sheet.clipped:
                self.problem(
                    f"工作表过大（超过 {Limits().max_rows} 行或 {Limits().max_cols} 列有内容），未读取；请删除多余内容后重新发送",
                    "sheet_too_large",
                    sheet=name,
                )
                return None
            return sheet
        if not expected:
            return None
        # a renamed task sheet: the visible sheet whose task ids match
        for cand in self.book.sheets:
            if cand.name in fs.SHEET_ORDER or cand.name in used:
                continue
            located = _locate_columns(cand)
            if located is None:
                continue
            hr, cols = located
            ids = {
                fs.parse_task_label(cand.value(r, cols["task_id"]))
                for r in range(hr + 1, cand.height)
            }
            if set(expected) & ids:
                self.problem(
                    f"工作表“{name}”被改名为“{cand.name}”，已按其内容读取；今后请勿修改工作表名称",
                    "sheet_renamed",
                    level="warning",
                )
                return cand
        self.problem(
            f"缺少工作表“{name}”（可能被删除或改名），其中 {len(expected)} 项任务无法读取；请用下发的原表单填写后重新发送",
            "sheet_missing",
        )
        return None

    def _read_header(self, sheet: Sheet, header: dict[str, str]) -> None:
        for h in fs.HEADER_CELLS:
            if h.editable and not header.get(h.key):
                value = nz.text(sheet.cell(h.value_cell))
                if value:
                    header[h.key] = value

    def _read_rows(
        self,
        sheet: Sheet,
        role: str,
        expected: list[str],
        current: list[ResolvedTask],
        ident: Identity,
        target: dict[str, Answer],
    ) -> None:
        located = _locate_columns(sheet)
        if located is None:
            self.problem(
                f"找不到表头行（应在第 {fs.HEADER_ROW} 行，含“任务编号”“本季度工作进展”等列），表格结构被改动；请用下发的原表单填写后重新发送",
                "no_header",
                sheet=sheet.name,
            )
            return
        hr, cols = located
        missing = [c for c in REQUIRED_COLUMNS if c not in cols]
        if missing:
            names = "、".join(
                next(c.header for c in fs.BASE_COLUMNS if c.key == m) for m in missing
            )
            self.problem(
                f"缺少列：{names}（可能被删除）；请用下发的原表单填写后重新发送",
                "column_missing",
                sheet=sheet.name,
            )
            return
        current_by_id = {r.id: r for r in current}
        unit_rows = self.assignments.by_unit[self.unit]
        other_ids = {r.id for r in (unit_rows.coop if role == "lead" else unit_rows.lead)}
        found: list[tuple[str, int]] = []
        seen: dict[str, int] = {}
        data_range = range(hr + 1, sheet.height)
        for r in data_range:
            tid = fs.parse_task_label(sheet.value(r, cols["task_id"]))
            if tid is None:
                if _row_has_answer(sheet, r, cols):
                    self.problem(
                        "这一行没有任务编号却填写了内容，不会被汇总；请把内容写入对应任务行，并删除该行",
                        "row_without_id",
                        sheet=sheet.name,
                        cell=cell_ref(r, cols["progress"]),
                    )
                continue
            if tid in seen:
                self.problem(
                    f"该任务出现了两次（第 {seen[tid] + 1} 行和第 {r + 1} 行）；请删除重复的行，只保留一行",
                    "duplicate_row",
                    sheet=sheet.name,
                    cell=cell_ref(r, cols["task_id"]),
                    task=tid,
                )
                continue
            seen[tid] = r
            found.append((tid, r))
        self._compare_rows(sheet, role, expected, found, current_by_id, other_ids, cols)
        merged_rows = _merged_data_cells(sheet, hr + 1, cols)
        changed_by_office: list[str] = []
        for tid, r in found:
            if tid not in expected or tid not in current_by_id:
                continue
            task = current_by_id[tid].task
            content = nz.text(sheet.value(r, cols["content"]))
            visible = content_hash(tid, content)
            stored = ident.row_prints.get((fs.TASK_SHEETS[role], tid), "")
            if visible not in (stored, task.fingerprint()):
                self.problem(
                    "任务内容被改动，与下发的表单不一致；请恢复原文（可从下发的表单复制），对任务的意见请另行反馈",
                    "content_edited",
                    sheet=sheet.name,
                    cell=cell_ref(r, cols["content"]),
                    task=tid,
                )
                continue
            if stored and stored != task.fingerprint():
                changed_by_office.append(tid)
            target[tid] = self._read_answer(sheet, r, cols, role, current_by_id[tid], merged_rows)
        if changed_by_office:
            labels = "、".join(_label(t) for t in changed_by_office)
            self.problem(
                f"任务 {labels} 的内容在表单下发后有调整，已按单位填报内容接收，请核对",
                "task_changed",
                sheet=sheet.name,
                level="warning",
            )

    def _compare_rows(self, sheet, role, expected, found, current_by_id, other_ids, cols) -> None:
        found_ids = [t for t, _ in found]
        for tid in expected:
            if tid not in found_ids:
                self.problem(
                    "该任务的行被删除，无法汇总；请用下发的原表单恢复该行并填写后重新发送",
                    "row_deleted",
                    sheet=sheet.name,
                    task=tid,
                )
        for tid, r in found:
            if tid in expected:
                if tid not in current_by_id:
                    self.problem(
                        f"任务 {_label(tid)} 已不再由本单位{'牵头' if role == 'lead' else '配合'}（任务表已调整），该行不汇总",
                        "task_reassigned",
                        sheet=sheet.name,
                        cell=cell_ref(r, cols["task_id"]),
                        level="warning",
                    )
                continue
            moved = tid in other_ids
            text = (
                f"任务 {_label(tid)} 应填在“{fs.TASK_SHEETS['coop' if role == 'lead' else 'lead']}”表中，不应出现在本表"
                if moved
                else f"新增了任务 {_label(tid)} 的行，本单位不承担该任务"
            )
            self.problem(
                f"{text}，该行不汇总；请删除该行",
                "row_added",
                sheet=sheet.name,
                cell=cell_ref(r, cols["task_id"]),
                level="warning",
            )
        kept = [t for t in found_ids if t in expected]
        order = [t for t in expected if t in kept]
        if kept != order:
            first = next(i for i, (a, b) in enumerate(zip(kept, order, strict=True)) if a != b)
            self.problem(
                f"任务行的顺序被调整（第 {first + 1} 项应为任务 {_label(order[first])}，现为任务 {_label(kept[first])}），"
                "已按任务编号逐行读取；今后请勿排序或移动行",
                "rows_reordered",
                sheet=sheet.name,
                level="warning",
            )

    def _read_answer(
        self, sheet: Sheet, r: int, cols: dict[str, int], role: str, row: ResolvedTask, merged_rows
    ) -> Answer:
        """One row's answer; its problems carry the task id (partial acceptance drops such rows)."""
        tid = row.id
        lead = role == "lead"
        answer = Answer(unit=self.unit)
        hidden = r in sheet.hidden_rows
        if hidden:
            self.problem(
                "该行被隐藏，已照常读取；请取消隐藏，核对是否漏填",
                "hidden_row",
                sheet=sheet.name,
                cell=cell_ref(r, cols["task_id"]),
                task=tid,
                level="warning",
            )

        def get(key: str):
            c = cols[key]
            ref = cell_ref(r, c)
            if (r, c) in merged_rows:
                self.problem(
                    "单元格与其他行合并，合并后只保留第一行的内容；请取消合并，逐行填写",
                    "merged_cells",
                    sheet=sheet.name,
                    cell=ref,
                    task=tid,
                )
            value = sheet.value(r, c)
            formula = sheet.formulas.get((r, c))
            if formula is not None:
                if nz.is_blank(value):
                    self.problem(
                        "是公式但没有保存计算结果，无法读取；请直接填写数值或文字，不要使用公式",
                        "formula_no_value",
                        sheet=sheet.name,
                        cell=ref,
                        task=tid,
                    )
                else:
                    self.problem(
                        f"含有公式，已按其计算结果“{nz.text(value)}”读取（公式本身不汇总）；请核对",
                        "formula",
                        sheet=sheet.name,
                        cell=ref,
                        task=tid,
                        level="warning",
                    )
            return value, ref

        max_chars = self.settings.forms.max_text_chars
        for key in ("progress", "problems", "next_steps"):
            value, ref = get(key)
            text = nz.text(value)
            if len(text) > max_chars:
                col = next(c.header for c in fs.BASE_COLUMNS if c.key == key)
                self.problem(
                    f"{col}有 {len(text)} 字，超过 {max_chars} 字的上限；请精简后重新发送",
                    "text_too_long",
                    sheet=sheet.name,
                    cell=ref,
                    task=tid,
                )
            setattr(answer, key, text)
        pvalue, pref = get("percent")
        if nz.is_blank(pvalue):
            if lead:
                self.problem(
                    "累计完成进度（%）未填写；请填写 0–100 之间的数字",
                    "required",
                    sheet=sheet.name,
                    cell=pref,
                    task=tid,
                )
        else:
            try:
                answer.percent = nz.percent(pvalue, sheet.is_percent(r, cols["percent"]))
                if 0 < answer.percent < 1 and not sheet.is_percent(r, cols["percent"]):
                    self.problem(
                        f"累计完成进度填的是 {nz.text(pvalue)}，按 {answer.percent:g}% 处理；如意为 {answer.percent * 100:g}%，请改填 {answer.percent * 100:g}",
                        "percent_fraction",
                        sheet=sheet.name,
                        cell=pref,
                        task=tid,
                        level="warning",
                    )
            except ValueError as exc:
                self.problem(
                    f"累计完成进度（%）{exc}", "percent", sheet=sheet.name, cell=pref, task=tid
                )
        svalue, sref = get("status")
        if nz.is_blank(svalue):
            if lead:
                self.problem(
                    f"推进状态未填写；请从下拉列表中选择：{'、'.join(Status.choices())}",
                    "required",
                    sheet=sheet.name,
                    cell=sref,
                    task=tid,
                )
        else:
            try:
                answer.status = nz.status(svalue).value
            except ValueError as exc:
                self.problem(f"推进状态{exc}", "status", sheet=sheet.name, cell=sref, task=tid)
        gref = cell_ref(r, cols["progress"])
        if not answer.progress:
            self.problem(
                "本季度工作进展未填写；请写明本季度采取的措施和取得的成效",
                "required",
                sheet=sheet.name,
                cell=gref,
                task=tid,
            )
        elif (
            lead
            and answer.progress in _PLACEHOLDER_TEXT
            and answer.status != Status.NOT_STARTED.value
        ):
            self.problem(
                f"本季度工作进展只填了“{answer.progress}”；牵头单位请写明本季度采取的措施和取得的成效",
                "progress_placeholder",
                sheet=sheet.name,
                cell=gref,
                task=tid,
            )
        if (
            answer.status == Status.DONE.value
            and answer.percent is not None
            and answer.percent < 100
        ):
            self.problem(
                f"推进状态为“已完成”，但累计完成进度只有 {answer.percent:g}%；已完成的请填 100，未完成的请改选推进状态",
                "done_not_100",
                sheet=sheet.name,
                cell=pref,
                task=tid,
            )
        if (
            answer.status == Status.NOT_STARTED.value
            and answer.progress
            and answer.progress not in _PLACEHOLDER_TEXT
        ):
            # the lead unit's status feeds the report; a cooperating unit's is only a hint
            self.problem(
                "推进状态为“未启动”，但“本季度工作进展”写了工作内容；如已开展工作请改选推进状态，确未启动请在“存在问题”中说明原因并清空本季度工作进展",
                "not_started_with_text",
                sheet=sheet.name,
                cell=sref,
                task=tid,
                level="error" if lead else "warning",
            )
        if lead and answer.status == Status.LAGGING.value and nz.is_blank(answer.problems):
            self.problem(
                "推进状态为“滞后”，但“存在问题”未填写；请说明滞后原因",
                "lagging_no_reason",
                sheet=sheet.name,
                cell=cell_ref(r, cols["problems"]),
                task=tid,
                level="warning",
            )
        self._read_indicators(sheet, r, cols, row, answer, lead, get)
        prev = self.previous.get((answer.unit, role, tid))
        if prev is not None and answer.progress and answer.progress == prev.progress:
            answer.prefilled = True
            self.problem(
                "本季度工作进展与上季度报送的内容完全相同（预填内容未更新）；请更新为本季度情况",
                "prefilled_unchanged",
                sheet=sheet.name,
                cell=gref,
                task=tid,
                level="warning",
            )
        return answer

    def _read_indicators(
        self, sheet, r, cols, row: ResolvedTask, answer: Answer, lead: bool, get
    ) -> None:
        indicators = row.task.indicators
        k = 1
        while f"ind{k}_value" in cols:
            if k > len(indicators):
                value = sheet.value(r, cols[f"ind{k}_value"])
                if not nz.is_blank(value):
                    self.problem(
                        f"该任务没有指标{k}，此处填写的“{nz.text(value)}”未汇总；请写入“本季度工作进展”",
                        "indicator_unused",
                        sheet=sheet.name,
                        cell=cell_ref(r, cols[f"ind{k}_value"]),
                        task=row.id,
                        level="warning",
                    )
                k += 1
                continue
            ind = indicators[k - 1]
            if f"ind{k}_target" in cols:
                label = nz.text(sheet.value(r, cols[f"ind{k}_target"]))
                if label and re.sub(r"\s+", "", label) != re.sub(
                    r"\s+", "", fs.indicator_label(ind)
                ):
                    self.problem(
                        f"指标{k}（目标）被改为“{label}”，应为“{fs.indicator_label(ind)}”；请恢复原文",
                        "indicator_edited",
                        sheet=sheet.name,
                        cell=cell_ref(r, cols[f"ind{k}_target"]),
                        task=row.id,
                    )
            value, ref = get(f"ind{k}_value")
            if nz.is_blank(value):
                answer.indicators[ind.name] = None
                if lead:
                    self.problem(
                        f"指标“{ind.name}”的完成值未填写；请填写截至本季度末的{'增速（%）' if ind.growth else f'累计完成数（{ind.unit}）'}",
                        "required",
                        sheet=sheet.name,
                        cell=ref,
                        task=row.id,
                    )
            else:
                try:
                    if ind.is_rate:
                        answer.indicators[ind.name] = round(
                            nz.rate(value, sheet.is_percent(r, cols[f"ind{k}_value"])), 6
                        )
                    else:
                        answer.indicators[ind.name] = nz.number(value, ind.unit)
                except ValueError as exc:
                    answer.indicators[ind.name] = None
                    self.problem(
                        f"指标“{ind.name}”的完成值{exc}",
                        "indicator_value",
                        sheet=sheet.name,
                        cell=ref,
                        task=row.id,
                    )
            k += 1
        for ind in indicators[k - 1 :]:
            answer.indicators.setdefault(ind.name, None)


def _locate_columns(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    """The header row (0-based) and column key → index; the expected row first, then a search."""
    candidates = [fs.HEADER_ROW - 1, *range(0, min(sheet.height, 20))]
    for r in candidates:
        if r >= sheet.height:
            continue
        cols: dict[str, int] = {}
        for c, value in enumerate(sheet.rows[r]):
            key = fs.column_for_header(nz.text(value))
            if key and key not in cols:
                cols[key] = c
        if "task_id" in cols and "progress" in cols:
            return r, cols
    return None


def _row_has_answer(sheet: Sheet, r: int, cols: dict[str, int]) -> bool:
    keys = [k for k in cols if k in fs.ANSWER_FIELDS or k.endswith("_value")]
    return any(not nz.is_blank(sheet.value(r, cols[k])) for k in keys)


def _merged_data_cells(
    sheet: Sheet, first_data_row: int, cols: dict[str, int]
) -> set[tuple[int, int]]:
    """Answer cells covered by a merge spanning several data rows (the generated form has none)."""
    answer_cols = {cols[k] for k in cols if k in fs.ANSWER_FIELDS or k.endswith("_value")}
    out: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in sheet.merged:
        if r2 < first_data_row or r1 == r2:
            continue
        for c in range(c1, c2 + 1):
            if c in answer_cols:
                out.update((r, c) for r in range(max(r1, first_data_row), r2 + 1))
    return out


def _any_answer(answers: UnitAnswers) -> bool:
    for part in (answers.lead, answers.coop):
        for a in part.values():
            if (
                a.progress
                or a.percent is not None
                or a.status
                or any(v is not None for v in a.indicators.values())
            ):
                return True
    return False


# -- answers in the ledger -------------------------------------------------------------
def answers_to_dict(answers: UnitAnswers, header: dict[str, str] | None = None) -> dict:
    return {
        "unit": answers.unit,
        "lead": {tid: asdict(a) for tid, a in answers.lead.items()},
        "coop": {tid: asdict(a) for tid, a in answers.coop.items()},
        "header": header or {},
    }


def answers_from_dict(data: dict) -> UnitAnswers:
    return UnitAnswers(
        unit=data["unit"],
        lead={tid: Answer(**a) for tid, a in data.get("lead", {}).items()},
        coop={tid: Answer(**a) for tid, a in data.get("coop", {}).items()},
    )


# -- the step ---------------------------------------------------------------------------
@dataclass
class FileOutcome:
    """What this run did with one inbox file."""

    source: str
    sha256: str
    state: str  # accepted | rejected | unidentified
    unit: str | None
    late: bool
    received_at: str
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CollectSummary:
    period: Period
    inbox: Path
    new: list[FileOutcome] = field(default_factory=list)
    known: list[str] = field(
        default_factory=list
    )  # content already recorded (rerun, duplicate copy)
    ignored: list[str] = field(default_factory=list)  # lock/temp files
    attachments: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # source, kind, unit
    failed: list[tuple[str, str]] = field(default_factory=list)  # could not be read from disk
    inbox_created: bool = False
    result: QuarterResult | None = None
    merged_json: Path | None = None
    merged_xlsx: Path | None = None
    written: bool = False  # outputs rewritten this run

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.inbox_created:
            out.append(
                f"收件目录 {self.inbox} 不存在，已创建；请把各单位报回的文件放入该目录（可含子目录）后重新运行。"
            )
        states = {
            s: [f for f in self.new if f.state == s]
            for s in ("accepted", "rejected", "unidentified")
        }
        total = len(self.new) + len(self.known)
        if total or not self.inbox_created:
            out.append(
                f"收件目录 {self.inbox}：本次新收 {len(self.new)} 份（接收 {len(states['accepted'])}，"
                f"退回 {len(states['rejected'])}，无法识别 {len(states['unidentified'])}），"
                f"此前已处理或内容重复 {len(self.known)} 份"
                + (f"，忽略临时文件 {len(self.ignored)} 个" if self.ignored else "")
                + "。"
            )
        if self.attachments:
            names = "、".join(
                f"{unit or '未注明单位'}（{source}）"
                for source, _, unit in self.attachments[:LIST_LIMIT]
            )
            more = f" 等 {len(self.attachments)} 份" if len(self.attachments) > LIST_LIMIT else ""
            out.append(
                f"  另收到扫描件、说明等附件 {len(self.attachments)} 份，已归档，不作报表处理：{names}{more}"
            )
        accepted = states["accepted"]
        if len(accepted) > LIST_LIMIT:  # a big batch: name only the late ones
            late = [f.unit or f.source for f in accepted if f.late]
            out.append(
                f"  接收 {len(accepted)} 份"
                + (f"，其中逾期 {len(late)} 份：{'、'.join(late)}" if late else "")
                + "；明细见汇总表的“报送情况”"
            )
            accepted = []
        for f in accepted:
            warns = [p for p in f.problems if p.level == "warning"]
            late = "（逾期）" if f.late else ""
            out.append(
                f"  接收 {f.unit}{late}：{f.source}" + (f"，{len(warns)} 条提醒" if warns else "")
            )
        for f in states["rejected"] + states["unidentified"]:
            errors = [p for p in f.problems if p.level == "error"]
            who = f.unit or "无法识别单位"
            out.append(f"  退回 {who}：{f.source}，{len(errors)} 个问题：")
            for p in errors[:5]:
                out.append(f"    - {p.message}")
            if len(errors) > 5:
                out.append(f"    - ……其余 {len(errors) - 5} 个问题见汇总表的“退回清单”")
        for source, message in self.failed:
            out.append(f"  未能处理 {source}：{message}")
        if self.result is not None:
            c = self.result.unit_counts()
            out.append(
                f"{self.period.full_label}应报 {c['due']} 个单位：已接收 {c['on_time'] + c['late']}"
                f"（逾期 {c['late']}），退回待重报 {c['rejected']}，未报送 {c['missing']}。"
            )
            if self.written:
                out.append(f"汇总结果已更新：{self.merged_xlsx}、{self.merged_json}")
            else:
                out.append(f"汇总结果没有变化：{self.merged_xlsx}")
        return out


def collect(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    *,
    inbox: Path | str | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    ledger: Ledger | None = None,
) -> CollectSummary:
    """Take in every new file of the inbox, then rebuild the merged result (see module doc)."""
    period = Period.parse(period)
    now = now or datetime.now(TZ)
    inbox = Path(inbox) if inbox else workspace.inbox_dir(period)
    summary = CollectSummary(period=period, inbox=inbox)
    if not inbox.exists():
        inbox.mkdir(parents=True, exist_ok=True)
        summary.inbox_created = True
    deadline = period_calendar(period, settings.deadline).deadline
    previous = _previous_answers(workspace, period)
    own_ledger = ledger is None
    ledger = ledger or Ledger(workspace.ledger_path)
    try:
        with _collect_lock(workspace.period_dir(period)):
            _clean_stale_temp(workspace.archive_dir)
            for path, source in scan_inbox(inbox, summary.ignored):
                try:
                    _take_in(
                        path,
                        source,
                        settings,
                        assignments,
                        workspace,
                        period,
                        ledger,
                        deadline,
                        now,
                        previous,
                        summary,
                    )
                except OSError as exc:
                    summary.failed.append(
                        (
                            source,
                            f"无法读取（{exc.strerror or exc}），请检查文件权限，下次运行时会重试",
                        )
                    )
                if progress:
                    progress(source)
            summary.result, summary.written = merge_period(
                settings, assignments, workspace, period, ledger, now
            )
        summary.merged_json = workspace.merged_json(period)
        summary.merged_xlsx = workspace.merged_xlsx(period)
    finally:
        if own_ledger:
            ledger.close()
    return summary


@contextmanager
def _collect_lock(period_dir: Path):
    """One collect per period at a time (the scheduler's hourly run and a person's may meet);
    the second waits. The OS drops the lock when a process dies, even by SIGKILL."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    period_dir.mkdir(parents=True, exist_ok=True)
    with open(period_dir / ".collect.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _clean_stale_temp(archive_dir: Path, older_than: float = 3600) -> None:
    """Remove half-written archive copies left by a killed run (the rerun copies them again)."""
    cutoff = time.time() - older_than
    for tmp in archive_dir.glob("*/.tmp-*"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:
            pass


def scan_inbox(inbox: Path, ignored: list[str]) -> list[tuple[Path, str]]:
    """Files under ``inbox`` in received order (modification time, then name)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(inbox):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            path = Path(dirpath) / name
            source = path.relative_to(inbox).as_posix()
            if _IGNORED_NAME.search(name):
                ignored.append(source)
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            if not path.is_file():
                continue
            found.append((st.st_mtime_ns, source, path))
    found.sort(key=lambda t: (t[0], t[1]))
    return [(path, source) for _, source, path in found]


def _take_in(
    path, source, settings, assignments, workspace, period, ledger, deadline, now, previous, summary
) -> None:
    sha = sha256_file(path)
    if ledger.has_return(period, sha) or ledger.has_attachment(period, sha):
        summary.known.append(source)
        return
    mtime = datetime.fromtimestamp(path.stat().st_mtime, TZ)
    received = min(mtime, now).isoformat(timespec="seconds")
    stored = archive_file(path, sha, workspace.archive_dir)
    if stored is None:
        summary.failed.append(
            (source, "文件在读取过程中发生了变化（可能仍在复制或下载），下次运行时会重新处理")
        )
        return
    kind = attachment_kind(stored)
    if kind is not None:
        unit = unit_from_name(Path(source).name, assignments.registry)
        ledger.record_attachment(
            period,
            sha256=sha,
            source=source,
            kind=kind,
            received_at=received,
            unit=unit,
            file={"size": stored.stat().st_size, "archive_path": str(stored)},
        )
        summary.attachments.append((source, kind, unit))
        return
    try:
        ex = examine(stored, source, settings, assignments, period, previous=previous)
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the batch; not recorded, so retried
        summary.failed.append(
            (
                source,
                f"检查时程序出错（{type(exc).__name__}: {exc}），已跳过，下次运行时会重试；请把该文件发给维护人员",
            )
        )
        return
    late = min(mtime, now) > deadline
    answers = answers_to_dict(ex.answers, ex.header) if ex.answers is not None else None
    ledger.record_return(
        period,
        sha256=sha,
        source=source,
        state=ex.state,
        received_at=received,
        unit=ex.unit,
        form_id=ex.form_id,
        schema_version=ex.schema_version,
        identified_by=ex.identified_by,
        problems=[p.to_dict() for p in ex.problems],
        late=late,
        answers=answers,
        file={"size": stored.stat().st_size, "archive_path": str(stored)},
    )
    summary.new.append(FileOutcome(source, sha, ex.state, ex.unit, late, received, ex.problems))


def archive_file(src: Path, sha: str, archive_dir: Path) -> Path | None:
    """Copy ``src`` unchanged to ``archive_dir/ab/<sha><ext>``; None if it changed meanwhile."""
    ext = src.suffix.lower() if _SUFFIX_RE.match(src.suffix.lower()) else ".bin"
    dest = archive_dir / sha[:2] / f"{sha}{ext}"
    if dest.exists() and dest.stat().st_size == src.stat().st_size:
        return dest
    try:
        with atomic_path(dest) as tmp:
            shutil.copyfile(src, tmp)
            if sha256_file(tmp) != sha:
                raise _ChangedError
    except _ChangedError:
        return None
    return dest


class _ChangedError(Exception):
    """The inbox file changed between hashing and copying."""


def _previous_answers(workspace: Workspace, period: Period) -> dict[tuple[str, str, str], Answer]:
    """(unit, role, task id) → last period's answer, to spot pre-filled text sent back unchanged."""
    path = workspace.merged_json(period.previous())
    if not path.exists():
        return {}
    try:
        result = QuarterResult.load(path)
    except (OSError, ValueError, TypeError, KeyError):
        return {}
    out = {}
    for row in result.rows:
        for role, answers in (("lead", row.lead_reports), ("coop", row.coop_feedback)):
            for a in answers:
                out[(a.unit, role, row.id)] = a
    return out


# -- merging from the ledger ---------------------------------------------------------------
def merge_period(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period,
    ledger: Ledger,
    now: datetime,
) -> tuple[QuarterResult, bool]:
    """Build the merged result from the ledger; rewrite the outputs only when their inputs changed."""
    from .status import unit_returns
    from .summary import write_summary

    returns = ledger.returns(period)
    answers: dict[str, UnitAnswers] = {}
    for unit, row in ledger.latest_accepted(period).items():
        data = ledger.answers_of(period, row["sha256"])
        if data is not None:
            answers[unit] = answers_from_dict(data)
    deadline = period_calendar(period, settings.deadline).deadline
    result = build_result(
        assignments,
        period,
        answers,
        unit_returns(assignments, returns),
        settings.merge,
        deadline=deadline.isoformat(),
        generated_at="",
    )
    digest = _digest(result, returns)
    state = ledger.merge_state(period)
    json_path, xlsx_path = workspace.merged_json(period), workspace.merged_xlsx(period)
    if (
        state is not None
        and state["digest"] == digest
        and json_path.exists()
        and xlsx_path.exists()
    ):
        result.generated_at = state["generated_at"]
        return result, False
    result.generated_at = now.isoformat(timespec="seconds")
    write_summary(result, returns, xlsx_path, settings)
    atomic_write_text(json_path, result.to_json())
    c = result.unit_counts()
    ledger.record_merge(period, digest, result.generated_at)
    ledger.mark_step(
        period,
        "collect",
        detail=f"接收 {c['on_time'] + c['late']}，退回 {c['rejected']}，未报送 {c['missing']}",
        at=result.generated_at,
    )
    return result, True


def _digest(result: QuarterResult, returns: list) -> str:
    payload = {
        "result": json.loads(result.to_json()),
        "returns": [
            [r["sha256"], r["state"], r["unit"], r["source"], r["problems"], r["received_at"]]
            for r in returns
        ],
    }
    return hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()
