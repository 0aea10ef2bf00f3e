"""Examining one returned workbook: read it safely, identify it, check every sheet, row and
cell against the unit's assignments, and decide accepted / rejected / unidentified.

``examine()`` writes nothing; bad input gives ``Problem``s, never an exception. Problems
that belong to one row carry its task id, so ``[intake] partial_accept`` can accept a
return while leaving those rows out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from reporting.core.config import Settings
from reporting.core.exceptions import PeriodError, UnreadableFileError
from reporting.core.labels import task_label
from reporting.core.model import Answer, Status, UnitAnswers
from reporting.core.pace import contradiction, row_expected
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.states import Level, ReturnState, Role
from reporting.documents.spreadsheet import Limits, Sheet, Workbook, cell_ref, read_workbook
from reporting.forms import formspec as fs
from reporting.intake import normalize as nz
from reporting.intake.identify import IDENTIFIED_BY, Identity, identify, unit_from_name
from reporting.taskbook.assignments import Assignments, ResolvedTask
from reporting.taskbook.tasks import content_hash

_PLACEHOLDER_TEXT = {"无", "/", "-", "—", "——", "略", "同上", "暂无", "空", "0"}

REQUIRED_COLUMNS = ("task_id", "content", "progress", "percent", "status", "problems", "next_steps")


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
    checker = _Checker(book, name, settings, assignments, period, previous or {})
    return checker.run(source, file_name)


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
        self.headers: dict[str, dict[str, str]] = {}  # sheet → column letter → header text

    def problem(
        self, text: str, code: str, *, sheet="", cell="", task="", level=Level.ERROR
    ) -> Problem:
        m = re.fullmatch(r"([A-Z]+)\d+", cell or "")
        column = self.headers.get(sheet, {}).get(m.group(1), "") if m else ""
        p = Problem(
            text,
            file=self.name,
            sheet=sheet,
            cell=cell,
            task=task,
            code=code,
            level=level,
            column=column,
        )
        if code == "required" and any(
            q.sheet == sheet and q.cell == cell and q.level == Level.ERROR for q in self.problems
        ):
            return p  # the cell already has its reason (a formula without a value, a merge)
        self.problems.append(p)
        return p

    def run(self, source: str, file_name: str) -> Examined:
        book = self.book
        out = Examined(
            source=source,
            state=ReturnState.UNIDENTIFIED,
            period=str(self.period),
            format=book.format,
        )
        ident, notes = identify(book, file_name, self.assignments)
        for n in notes:
            n.file = self.name
        self.problems += notes
        if book.has_macros:
            self.problem(
                "文件含有宏（VBA），已忽略，不会执行；今后请保存为普通 .xlsx",
                "macros",
                level=Level.WARNING,
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
        out.state = ReturnState.REJECTED
        if not self._check_identity(ident, unit):
            out.problems = self.problems
            return out
        answers, header = self._read_answers(ident, unit)
        out.header = header
        errors = [p for p in self.problems if p.level == Level.ERROR]
        row_errors = {p.task for p in errors if p.task}
        file_errors = [p for p in errors if not p.task]
        if not errors:
            out.state = ReturnState.ACCEPTED
        elif not file_errors and self.settings.intake.partial_accept and _any_answer(answers):
            out.state = ReturnState.ACCEPTED
            for p in errors:
                p.level = Level.WARNING
                p.text += "（该行未汇总）"
            for part in (answers.lead, answers.coop):
                for tid in row_errors:
                    part.pop(tid, None)
        out.answers = answers if out.state == ReturnState.ACCEPTED else None
        out.problems = self.problems
        return out

    # -- identity ---------------------------------------------------------------------
    def _check_identity(self, ident: Identity, unit: str) -> bool:
        if ident.schema_version and ident.schema_version not in fs.READABLE_SCHEMAS:
            self.problem(
                f"表单格式版本为 {ident.schema_version}，本系统只接收版本 {'、'.join(fs.READABLE_SCHEMAS)}；请用本期下发的表单重新填写",
                "schema_version",
            )
            return False
        period = ident.period
        if not period and ident.by == "file_name":
            period = str(self.period)
            self.problem(
                "文件名和表格中都没有写明报告期，已按本期处理",
                "period_assumed",
                level=Level.WARNING,
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
                level=Level.WARNING,
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
            form_ids = ident.lead_ids if role == Role.LEAD else ident.coop_ids
            expected = list(form_ids) if form_ids is not None else [r.id for r in current]
            sheet = self._task_sheet(role, expected, used)
            if sheet is None:
                continue
            used.add(sheet.name)
            self._read_header(sheet, header, ident.schema_version)
            target = answers.lead if role == Role.LEAD else answers.coop
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
                    level=Level.WARNING,
                )
        if not _any_answer(answers) and not any(
            p.level == Level.ERROR and not p.task for p in self.problems
        ):
            self.problems = [p for p in self.problems if not (p.task and p.code == "required")]
            self.problem(
                "表单没有填写任何内容（可能发回了空白表单）；请逐行填写后重新发送", "blank_form"
            )
        for key, label in (("filler", "填报人"), ("phone", "联系电话")):
            if not header.get(key):
                self.problem(
                    f"表头“{label}”未填写，请补充以便联系", "header_missing", level=Level.WARNING
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
                    level=Level.WARNING,
                )
                return cand
        self.problem(
            f"缺少工作表“{name}”（可能被删除或改名），其中 {len(expected)} 项任务无法读取；请用下发的原表单填写后重新发送",
            "sheet_missing",
        )
        return None

    def _read_header(self, sheet: Sheet, header: dict[str, str], schema: str) -> None:
        cells = fs.header_value_cells(schema)
        for h in fs.HEADER_CELLS:
            if h.editable and not header.get(h.key):
                value = nz.text(sheet.cell(cells[h.key]))
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
        self.headers[sheet.name] = {
            re.sub(r"\d+", "", cell_ref(hr, c)): re.sub(r"\s+", "", nz.text(v))
            for c, v in enumerate(sheet.rows[hr])
            if nz.text(v)
        }
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
        other_ids = {r.id for r in (unit_rows.coop if role == Role.LEAD else unit_rows.lead)}
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
            labels = "、".join(task_label(t) for t in changed_by_office)
            self.problem(
                f"任务 {labels} 的内容在表单下发后有调整，已按单位填报内容接收，请核对",
                "task_changed",
                sheet=sheet.name,
                level=Level.WARNING,
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
                        f"任务 {task_label(tid)} 已不再由本单位{'牵头' if role == 'lead' else '配合'}（任务表已调整），该行不汇总",
                        "task_reassigned",
                        sheet=sheet.name,
                        cell=cell_ref(r, cols["task_id"]),
                        level=Level.WARNING,
                    )
                continue
            moved = tid in other_ids
            text = (
                f"任务 {task_label(tid)} 应填在“{fs.TASK_SHEETS['coop' if role == 'lead' else 'lead']}”表中，不应出现在本表"
                if moved
                else f"新增了任务 {task_label(tid)} 的行，本单位不承担该任务"
            )
            self.problem(
                f"{text}，该行不汇总；请删除该行",
                "row_added",
                sheet=sheet.name,
                cell=cell_ref(r, cols["task_id"]),
                level=Level.WARNING,
            )
        kept = [t for t in found_ids if t in expected]
        order = [t for t in expected if t in kept]
        if kept != order:
            first = next(i for i, (a, b) in enumerate(zip(kept, order, strict=True)) if a != b)
            self.problem(
                f"任务行的顺序被调整（第 {first + 1} 项应为任务 {task_label(order[first])}，现为任务 {task_label(kept[first])}），"
                "已按任务编号逐行读取；今后请勿排序或移动行",
                "rows_reordered",
                sheet=sheet.name,
                level=Level.WARNING,
            )

    def _read_answer(
        self, sheet: Sheet, r: int, cols: dict[str, int], role: str, row: ResolvedTask, merged_rows
    ) -> Answer:
        """One row's answer; its problems carry the task id (partial acceptance drops such rows)."""
        tid = row.id
        lead = role == Role.LEAD
        answer = Answer(unit=self.unit)
        hidden = r in sheet.hidden_rows
        if hidden:
            self.problem(
                "该行被隐藏，已照常读取；请取消隐藏，核对是否漏填",
                "hidden_row",
                sheet=sheet.name,
                cell=cell_ref(r, cols["task_id"]),
                task=tid,
                level=Level.WARNING,
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
                        level=Level.WARNING,
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
                        level=Level.WARNING,
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
        elif lead and answer.progress in _PLACEHOLDER_TEXT and answer.status != Status.NOT_STARTED:
            self.problem(
                f"本季度工作进展只填了“{answer.progress}”；牵头单位请写明本季度采取的措施和取得的成效",
                "progress_placeholder",
                sheet=sheet.name,
                cell=gref,
                task=tid,
            )
        if answer.status == Status.DONE and answer.percent is not None and answer.percent < 100:
            self.problem(
                f"推进状态为“已完成”，但累计完成进度只有 {answer.percent:g}%；已完成的请填 100，未完成的请改选推进状态",
                "done_not_100",
                sheet=sheet.name,
                cell=pref,
                task=tid,
            )
        if (
            answer.status == Status.NOT_STARTED
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
                level=Level.ERROR if lead else Level.WARNING,
            )
        if lead and answer.status == Status.LAGGING and nz.is_blank(answer.problems):
            self.problem(
                "推进状态为“滞后”，但“存在问题”未填写；请说明滞后原因",
                "lagging_no_reason",
                sheet=sheet.name,
                cell=cell_ref(r, cols["problems"]),
                task=tid,
                level=Level.WARNING,
            )
        if answer.status != Status.DONE.value:  # 已完成 below 100 is an error above
            why = contradiction(
                answer.status,
                answer.percent,
                row_expected(row.task.deadline, self.period),
                self.settings.merge,
            )
            if why:
                self.problem(
                    f"{why}；请按填报说明中的规则核实推进状态或累计完成进度",
                    "status_pace",
                    sheet=sheet.name,
                    cell=sref,
                    task=tid,
                    level="warning",
                )
        self._read_indicators(sheet, r, cols, row, answer, lead, get)
        prev = self.previous.get((answer.unit, role, tid))
        if prev is not None and answer.progress and answer.progress == prev.progress:
            answer.prefilled = True
            reject = self.settings.intake.same_as_last_quarter == "reject"
            self.problem(
                "本季度工作进展与上季度报送的内容一字不差；请按本季度实际情况更新"
                + ("后重新发送" if reject else "，如确无新进展请写明"),
                "prefilled_unchanged",
                sheet=sheet.name,
                cell=gref,
                task=tid,
                level=Level.ERROR if reject else Level.WARNING,
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
                        level=Level.WARNING,
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
