"""Examining one returned workbook: read it safely, identify it, check every sheet, row and
cell against the unit's assignments, and decide accepted / rejected / unidentified.

The steps: ``locate`` finds the task sheets, columns and rows; ``parse_answer`` reads the
cells into values; ``rules`` holds them to the form's rules, as tables of named checks.

``examine()`` writes nothing; bad input gives ``Problem``s, never an exception. Problems
that belong to one row carry its task id, so ``[intake] partial_accept`` can accept a
return while leaving those rows out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reporting.core.config import Settings
from reporting.core.exceptions import UnreadableFileError
from reporting.core.model import Answer, UnitAnswers
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.states import Level, ReturnState, Role
from reporting.documents.sniff import Limits
from reporting.documents.spreadsheet import read_workbook
from reporting.forms import formspec as fs
from reporting.intake import rules
from reporting.intake.examination import Examination
from reporting.intake.identify import Identity, identify, unit_from_name
from reporting.intake.locate import TaskTable, merged_data_cells, task_sheet, task_table
from reporting.intake.parse_answer import (
    Reading,
    Row,
    any_answer,
    read_fields,
    read_header,
    read_indicators,
)
from reporting.intake.requests import RequestRow, read_requests
from reporting.taskbook.assignments import Assignments


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
    requests: list[RequestRow] = field(default_factory=list)  # 销号/延期/调整, accepted only
    # the form is of this other round (a later period, a 落实方案): handed to it, never 退回'd here
    later: str = ""
    data: dict | None = None  # what the ledger keeps of a return that is not a progress form


def examine(
    path: Path | str,
    source: str,
    settings: Settings,
    assignments: Assignments,
    period: Period,
    *,
    previous: dict[tuple[str, str, str], Answer] | None = None,
    file_name: str | None = None,
) -> Examined:
    """Read, identify and validate one file; bad input gives problems, never an exception.

    ``file_name`` is the name that may name the unit when nothing else does (default: the
    source's; a mail attachment's own name, not the mail's sender)."""
    path = Path(path)
    name = Path(source).name
    file_name = file_name or name
    try:
        book = read_workbook(path, Limits.from_settings(settings.intake), name=name)
    except UnreadableFileError as exc:
        unit = unit_from_name(file_name, assignments.registry)
        return Examined(
            source=source,
            state=ReturnState.REJECTED if unit else ReturnState.UNIDENTIFIED,
            unit=unit,
            period=str(period),
            identified_by="file_name" if unit else None,
            problems=[
                Problem("文件" + str(exc).removeprefix(f"{name} "), file=name, code=exc.code)
            ],
        )
    assignments = assignments.for_period(period)  # a 一次性 task past its quarter: no row
    ex = Examination(name, book, settings, assignments, period, previous or {})
    return _judge(ex, source, file_name)


def _judge(ex: Examination, source: str, file_name: str) -> Examined:
    """Identify the workbook, hold it to ``rules`` and decide its state."""
    out = Examined(
        source=source,
        state=ReturnState.UNIDENTIFIED,
        period=str(ex.period),
        format=ex.book.format,
    )
    ident, notes = identify(ex.book, file_name, ex.assignments)
    for n in notes:
        n.file = ex.name
    ex.problems += notes
    if ex.book.has_macros:
        ex.problem(
            "文件含有宏（VBA），已忽略，不会执行；今后请保存为普通 .xlsx",
            "macros",
            level=Level.WARNING,
        )
    if ident is None:
        ex.problem(
            "无法识别填报单位：文件中没有表单识别信息，文件名中也没有单位名称；"
            "请用下发的进展情况表填写，并保留文件名中的单位名称后重新发送",
            "unidentified",
        )
        out.problems = ex.problems
        return out
    out.identified_by = ident.by
    out.form_id = ident.form_id or None
    out.schema_version = ident.schema_version or None
    registry = ex.assignments.registry
    unit = registry.canonical_unit(ident.unit)
    if unit is None:
        hints = registry.suggest(ident.unit, list(registry.units))
        hint = f"（是否为 {' / '.join(hints)}？）" if hints else ""
        ex.problem(
            f"表单中的填报单位“{ident.unit}”不在单位名录中{hint}；请用本单位下发的表单填写，"
            "或请督查考核办核对单位名录",
            "unknown_unit",
        )
        out.problems = ex.problems
        return out
    out.unit = ex.unit = unit
    out.state = ReturnState.REJECTED
    if all(check(ex, ident) for check in rules.IDENTITY_CHECKS):
        reading = _read(ex, ident)
        requests = read_requests(ex, reading.answers)
        out.header = reading.header
        _decide(ex, out, reading.answers)
        out.requests = requests if out.state == ReturnState.ACCEPTED else []
    elif any(p.code == "wrong_period" for p in ex.problems):
        out.later = rules.later_period(ex, ident)
    out.problems = ex.problems
    return out


def _decide(ex: Examination, out: Examined, answers: UnitAnswers) -> None:
    """Accepted without errors; with ``[intake] partial_accept`` also when every error is a
    row's (those rows left out, their errors kept as warnings); else rejected."""
    errors = ex.errors()
    row_errors = {p.task for p in errors if p.task}
    file_errors = [p for p in errors if not p.task]
    if not errors:
        out.state = ReturnState.ACCEPTED
    elif not file_errors and ex.settings.intake.partial_accept and any_answer(answers):
        out.state = ReturnState.ACCEPTED
        for p in errors:
            p.level = Level.WARNING
            p.text += "（该行未汇总）"
        for part in (answers.lead, answers.coop):
            for tid in row_errors:
                part.pop(tid, None)
    out.answers = answers if out.state == ReturnState.ACCEPTED else None


def _read(ex: Examination, ident: Identity) -> Reading:
    """Both task sheets' answers and the header, then the checks of the whole file."""
    reading = Reading(answers=UnitAnswers(unit=ex.unit))
    rows = ex.assignments.by_unit[ex.unit]
    for role, current in ((Role.LEAD, rows.lead), (Role.COOP, rows.coop)):
        form_ids = ident.lead_ids if role == Role.LEAD else ident.coop_ids
        expected = list(form_ids) if form_ids is not None else [r.id for r in current]
        sheet = task_sheet(ex, role, expected, reading.used)
        if sheet is None:
            continue
        reading.used.add(sheet.name)
        read_header(sheet, reading.header, ident.schema_version)
        table = task_table(ex, sheet, role, expected, current)
        if table is None:
            continue
        for table_check in rules.TABLE_CHECKS:
            table_check(ex, table)
        target = reading.answers.lead if role == Role.LEAD else reading.answers.coop
        _read_rows(ex, table, ident, target)
    for check in rules.READING_CHECKS:
        check(ex, reading)
    return reading


def _read_rows(
    ex: Examination, table: TaskTable, ident: Identity, target: dict[str, Answer]
) -> None:
    """Each expected row whose task text is as sent: its answer into ``target``."""
    merged = merged_data_cells(table)
    changed_by_office: list[str] = []
    for tid, r in table.found:
        if tid not in table.expected or tid not in table.current:
            continue
        row = Row(ex, table, r, table.current[tid], merged)
        stored = ident.row_prints.get((fs.TASK_SHEETS[table.role], tid), "")
        if not rules.content_as_sent(row, stored):
            continue
        if stored and stored != row.task.task.fingerprint():
            changed_by_office.append(tid)
        target[tid] = _read_answer(row)
    rules.tasks_changed_since_sent(ex, table, changed_by_office)


def _read_answer(row: Row) -> Answer:
    """One row's answer; its problems carry the task id (partial acceptance drops such rows)."""
    answer = read_fields(row)
    for check in rules.ANSWER_CHECKS:
        check(row, answer)
    read_indicators(row, answer)
    for check in rules.HISTORY_CHECKS:
        check(row, answer)
    return answer
