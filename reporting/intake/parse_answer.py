"""Reading a returned form's cells into values: the header (填报人, 联系电话 …) and each task
row's answer (texts, 累计完成进度, 推进状态, indicator values). What cannot be read as the
form asks (a formula, a merge, too long a text, a word that is no status) is a problem of
the row's task; judging the values read against each other is ``rules``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reporting.core.model import Answer, Status, UnitAnswers
from reporting.core.states import Level, Role
from reporting.documents.cells import cell_ref
from reporting.documents.spreadsheet import SheetGrid
from reporting.forms import formspec as fs
from reporting.intake import normalize as nz
from reporting.intake.examination import Examination
from reporting.intake.locate import TaskTable
from reporting.taskbook.assignments import ResolvedTask
from reporting.taskbook.tasks import Indicator

TEXT_FIELDS = ("progress", "problems", "next_steps")


@dataclass
class Reading:
    """What was read from one file: the answers, the header cells and the sheets used."""

    answers: UnitAnswers
    header: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # sheet names read as task sheets


@dataclass
class Row:
    """One task row being read: where it is and the task it answers."""

    ex: Examination
    table: TaskTable
    r: int  # 0-based sheet row
    task: ResolvedTask
    merged: set[tuple[int, int]]  # answer cells of the sheet covered by a multi-row merge

    @property
    def tid(self) -> str:
        return self.task.id

    @property
    def lead(self) -> bool:
        return self.table.role == Role.LEAD

    @property
    def sheet(self) -> SheetGrid:
        return self.table.sheet

    def ref(self, key: str) -> str:
        return cell_ref(self.r, self.table.cols[key])

    def problem(self, text: str, code: str, key: str, level: str = Level.ERROR) -> None:
        """A problem of this row's task at its ``key`` cell."""
        self.ex.problem(
            text, code, sheet=self.sheet.name, cell=self.ref(key), task=self.tid, level=level
        )


def read_header(sheet: SheetGrid, header: dict[str, str], schema: str) -> None:
    """The editable header cells (填报人, 联系电话 …) the first sheet that has them gives."""
    cells = fs.header_value_cells(schema)
    for h in fs.HEADER_CELLS:
        if h.editable and not header.get(h.key):
            value = nz.text(sheet.cell(cells[h.key]))
            if value:
                header[h.key] = value


def read_fields(row: Row) -> Answer:
    """The row's texts, 累计完成进度 and 推进状态 (its indicators: ``read_indicators``)."""
    note_hidden(row)
    answer = Answer(unit=row.ex.unit)
    read_texts(row, answer)
    read_percent(row, answer)
    read_status(row, answer)
    answer.prefilled = same_as_last_quarter(row, answer)
    return answer


def note_hidden(row: Row) -> None:
    if row.r in row.sheet.hidden_rows:
        row.problem(
            "该行被隐藏，已照常读取；请取消隐藏，核对是否漏填",
            "hidden_row",
            "task_id",
            Level.WARNING,
        )


def cell(row: Row, key: str) -> Any:
    """The cached value of the row's ``key`` cell; a merge over rows or a formula is noted."""
    c = row.table.cols[key]
    if (row.r, c) in row.merged:
        row.problem(
            "单元格与其他行合并，合并后只保留第一行的内容；请取消合并，逐行填写",
            "merged_cells",
            key,
        )
    value = row.sheet.value(row.r, c)
    if row.sheet.formulas.get((row.r, c)) is not None:
        _note_formula(row, key, value)
    return value


def _note_formula(row: Row, key: str, value: Any) -> None:
    if nz.is_blank(value):
        row.problem(
            "是公式但没有保存计算结果，无法读取；请直接填写数值或文字，不要使用公式",
            "formula_no_value",
            key,
        )
    else:
        row.problem(
            f"含有公式，已按其计算结果“{nz.text(value)}”读取（公式本身不汇总）；请核对",
            "formula",
            key,
            Level.WARNING,
        )


def read_texts(row: Row, answer: Answer) -> None:
    """本季度工作进展, 存在问题, 下步打算 as typed, each within ``[forms] max_text_chars``."""
    max_chars = row.ex.settings.forms.max_text_chars
    for key in TEXT_FIELDS:
        text = nz.text(cell(row, key))
        if len(text) > max_chars:
            col = next(c.header for c in fs.BASE_COLUMNS if c.key == key)
            row.problem(
                f"{col}有 {len(text)} 字，超过 {max_chars} 字的上限；请精简后重新发送",
                "text_too_long",
                key,
            )
        setattr(answer, key, text)


def read_percent(row: Row, answer: Answer) -> None:
    """累计完成进度 in percent (a lead row must give it); a fraction below 1 is noted."""
    value = cell(row, "percent")
    if nz.is_blank(value):
        if row.lead:
            row.problem("累计完成进度（%）未填写；请填写 0–100 之间的数字", "required", "percent")
        return
    formatted = row.sheet.is_percent(row.r, row.table.cols["percent"])
    try:
        answer.percent = nz.percent(value, formatted)
    except ValueError as exc:
        row.problem(f"累计完成进度（%）{exc}", "percent", "percent")
        return
    if 0 < answer.percent < 1 and not formatted:
        row.problem(
            f"累计完成进度填的是 {nz.text(value)}，按 {answer.percent:g}% 处理；如意为 {answer.percent * 100:g}%，请改填 {answer.percent * 100:g}",
            "percent_fraction",
            "percent",
            Level.WARNING,
        )


def read_status(row: Row, answer: Answer) -> None:
    """推进状态, its spellings folded (a lead row must give it)."""
    value = cell(row, "status")
    if nz.is_blank(value):
        if row.lead:
            row.problem(
                f"推进状态未填写；请从下拉列表中选择：{'、'.join(Status.choices())}",
                "required",
                "status",
            )
        return
    try:
        answer.status = nz.status(value).value
    except ValueError as exc:
        row.problem(f"推进状态{exc}", "status", "status")


def same_as_last_quarter(row: Row, answer: Answer) -> bool:
    """Whether 本季度工作进展 repeats last quarter's word for word."""
    prev = row.ex.previous.get((answer.unit, row.table.role, row.tid))
    return prev is not None and bool(answer.progress) and answer.progress == prev.progress


def read_indicators(row: Row, answer: Answer) -> None:
    """Each indicator's value into ``answer.indicators`` (None when missing or unreadable);
    a value typed under a column the task has no indicator for is noted."""
    indicators = row.task.task.indicators
    k = 1
    while f"ind{k}_value" in row.table.cols:
        if k > len(indicators):
            _note_unused_indicator(row, k)
        else:
            ind = indicators[k - 1]
            _check_indicator_label(row, k, ind)
            answer.indicators[ind.name] = _indicator_value(row, k, ind)
        k += 1
    for ind in indicators[k - 1 :]:
        answer.indicators.setdefault(ind.name, None)


def _note_unused_indicator(row: Row, k: int) -> None:
    value = row.sheet.value(row.r, row.table.cols[f"ind{k}_value"])
    if not nz.is_blank(value):
        row.problem(
            f"该任务没有指标{k}，此处填写的“{nz.text(value)}”未汇总；请写入“本季度工作进展”",
            "indicator_unused",
            f"ind{k}_value",
            Level.WARNING,
        )


def _check_indicator_label(row: Row, k: int, ind: Indicator) -> None:
    key = f"ind{k}_target"
    if key not in row.table.cols:
        return
    label = nz.text(row.sheet.value(row.r, row.table.cols[key]))
    if label and re.sub(r"\s+", "", label) != re.sub(r"\s+", "", fs.indicator_label(ind)):
        row.problem(
            f"指标{k}（目标）被改为“{label}”，应为“{fs.indicator_label(ind)}”；请恢复原文",
            "indicator_edited",
            key,
        )


def _indicator_value(row: Row, k: int, ind: Indicator) -> float | None:
    key = f"ind{k}_value"
    value = cell(row, key)
    if nz.is_blank(value):
        if row.lead:
            wanted = "增速（%）" if ind.growth else f"累计完成数（{ind.unit}）"
            row.problem(
                f"指标“{ind.name}”的完成值未填写；请填写截至本季度末的{wanted}", "required", key
            )
        return None
    try:
        if ind.is_rate:
            return round(nz.rate(value, row.sheet.is_percent(row.r, row.table.cols[key])), 6)
        got = nz.number(value, ind.unit)
    except ValueError as exc:
        row.problem(f"指标“{ind.name}”的完成值{exc}", "indicator_value", key)
        return None
    if ind.whole and not got.is_integer():  # 4.2家 is not a count
        row.problem(
            f"指标“{ind.name}”的完成值为 {nz.text(value)}，但以“{ind.unit}”计，只能填整数"
            f"（如 4，不能填 4.2）；请按实际完成的{ind.unit}数填写",
            "indicator_whole",
            key,
        )
        return None
    return got


def any_answer(answers: UnitAnswers) -> bool:
    """Whether any row gave anything (a blank form sent back gives nothing)."""
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
