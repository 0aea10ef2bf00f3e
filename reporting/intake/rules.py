"""The rules a returned form is held to, as tables of small named checks run in order.

- ``IDENTITY_CHECKS`` (``Examination``, ``Identity``) → bool: is this the unit's form for
  this period? The first that fails rejects the file; nothing more is read.
- ``TABLE_CHECKS`` (``Examination``, ``TaskTable``): the task rows against the rows sent.
- ``ANSWER_CHECKS`` (``Row``, ``Answer``): one row's values against each other and the pace;
  ``HISTORY_CHECKS`` after its indicators are read: against last quarter.
- ``READING_CHECKS`` (``Examination``, ``Reading``): the file as a whole once read.

Each check records its problems in the ``Examination``; the order of the tables is the
order of the problems.
"""

from __future__ import annotations

from collections.abc import Callable

from reporting.core.exceptions import PeriodError
from reporting.core.labels import task_label
from reporting.core.model import Answer, Status
from reporting.core.pace import contradiction, row_pace
from reporting.core.periods import Period
from reporting.core.states import Level, Role
from reporting.documents.cells import cell_ref
from reporting.forms import formspec as fs
from reporting.forms.plan_spec import plan_year
from reporting.intake import normalize as nz
from reporting.intake.examination import Examination
from reporting.intake.identify import IDENTIFIED_BY, Identity
from reporting.intake.locate import TaskTable
from reporting.intake.parse_answer import Reading, Row, any_answer
from reporting.taskbook.tasks import content_hash

# what units type for "nothing to say"
PLACEHOLDER_TEXT = {"无", "/", "-", "—", "——", "略", "同上", "暂无", "空", "0"}


# -- identity: the first failure rejects the file ---------------------------------------
def schema_is_readable(ex: Examination, ident: Identity) -> bool:
    if ident.schema_version and ident.schema_version not in fs.READABLE_SCHEMAS:
        ex.problem(
            f"表单格式版本为 {ident.schema_version}，本系统只接收版本 {'、'.join(fs.READABLE_SCHEMAS)}；请用本期下发的表单重新填写",
            "schema_version",
        )
        return False
    return True


def _assumed_period(ex: Examination, ident: Identity) -> bool:
    """Identified by its file name alone, without a period: taken as this period's."""
    return not ident.period and ident.by == "file_name"


def period_is_written(ex: Examination, ident: Identity) -> bool:
    if _assumed_period(ex, ident):
        ex.problem(
            "文件名和表格中都没有写明报告期，已按本期处理", "period_assumed", level=Level.WARNING
        )
    return True


def period_is_this_one(ex: Examination, ident: Identity) -> bool:
    period = str(ex.period) if _assumed_period(ex, ident) else ident.period
    if period == str(ex.period):
        return True
    try:
        shown = Period.parse(period).full_label
    except PeriodError:
        shown = period or "（未写明）"
    this = ex.period.full_label
    ex.problem(
        f"这是{shown}的表单，本次收取的是{this}；请用{this}下发的表单填写后重新发送",
        "wrong_period",
    )
    return False


def later_period(ex: Examination, ident: Identity) -> str:
    """The period of a form for a later period than the one collected ("" otherwise): a
    reply that reached an earlier run belongs to that period, it is no wrong form; so is a
    落实方案表, which belongs to its year's 落实方案 round."""
    if plan_year(ident.period) is not None:
        return ident.period
    try:
        theirs = Period.parse(ident.period)
    except PeriodError:
        return ""
    return (
        str(theirs) if (theirs.year, theirs.quarter) > (ex.period.year, ex.period.quarter) else ""
    )


def form_is_the_units_own(ex: Examination, ident: Identity) -> bool:
    expected_id = fs.form_id(ex.period, ex.unit)
    if ident.form_id and ident.form_id != expected_id:
        ex.problem(
            f"表单编号 {ident.form_id} 与填报单位“{ex.unit}”不符（应为 {expected_id}），可能套用了其他单位的表单；"
            "请用本单位下发的表单填写后重新发送",
            "form_id_mismatch",
        )
        return False
    return True


def unit_has_rows(ex: Examination, ident: Identity) -> bool:
    rows = ex.assignments.by_unit.get(ex.unit)
    if rows is None or not rows.count:
        ex.problem(
            f"“{ex.unit}”本期没有需要填报的任务，无需报送；如有疑问请联系督查考核办", "no_rows"
        )
        return False
    return True


def identity_is_kept(ex: Examination, ident: Identity) -> bool:
    if ident.by in ("header_cells", "file_name"):
        ex.problem(
            f"表单识别信息已丢失（可能被其他软件另存），已按{IDENTIFIED_BY[ident.by]}识别为“{ex.unit}”；今后请直接在下发的表单中填写",
            "identity_fallback",
            level=Level.WARNING,
        )
    return True


IDENTITY_CHECKS: tuple[Callable[[Examination, Identity], bool], ...] = (
    schema_is_readable,
    period_is_written,
    period_is_this_one,
    form_is_the_units_own,
    unit_has_rows,
    identity_is_kept,
)


# -- the task rows of a sheet ---------------------------------------------------------
def no_row_deleted(ex: Examination, table: TaskTable) -> None:
    found = {t for t, _ in table.found}
    for tid in table.expected:
        if tid not in found:
            ex.problem(
                "该任务的行被删除，无法汇总；请用下发的原表单恢复该行并填写后重新发送",
                "row_deleted",
                sheet=table.sheet.name,
                task=tid,
            )


def rows_belong_here(ex: Examination, table: TaskTable) -> None:
    """A row of a task the unit no longer has, or never had here, is not merged."""
    role = table.role
    for tid, r in table.found:
        label = task_label(tid)
        if tid in table.expected:
            if tid in table.current:
                continue
            duty = "牵头" if role == Role.LEAD else "配合"
            text = f"任务 {label} 已不再由本单位{duty}（任务表已调整），该行不汇总"
            code = "task_reassigned"
        elif tid in table.other_ids:
            other = fs.TASK_SHEETS[Role.COOP if role == Role.LEAD else Role.LEAD]
            text = f"任务 {label} 应填在“{other}”表中，不应出现在本表，该行不汇总；请删除该行"
            code = "row_added"
        else:
            text = f"新增了任务 {label} 的行，本单位不承担该任务，该行不汇总；请删除该行"
            code = "row_added"
        ex.problem(
            text,
            code,
            sheet=table.sheet.name,
            cell=cell_ref(r, table.cols["task_id"]),
            level=Level.WARNING,
        )


def rows_in_order(ex: Examination, table: TaskTable) -> None:
    kept = [t for t, _ in table.found if t in table.expected]
    order = [t for t in table.expected if t in kept]
    if kept != order:
        first = next(i for i, (a, b) in enumerate(zip(kept, order, strict=True)) if a != b)
        ex.problem(
            f"任务行的顺序被调整（第 {first + 1} 项应为任务 {task_label(order[first])}，现为任务 {task_label(kept[first])}），"
            "已按任务编号逐行读取；今后请勿排序或移动行",
            "rows_reordered",
            sheet=table.sheet.name,
            level=Level.WARNING,
        )


TABLE_CHECKS: tuple[Callable[[Examination, TaskTable], None], ...] = (
    no_row_deleted,
    rows_belong_here,
    rows_in_order,
)


# -- one task row ---------------------------------------------------------------------
def content_as_sent(row: Row, stored: str) -> bool:
    """The task's text is the one sent (``stored``: its print in the form) or today's;
    else the row is not read."""
    content = fs.task_content(nz.text(row.sheet.value(row.r, row.table.cols["content"])))
    if content_hash(row.tid, content) in (stored, row.task.task.fingerprint()):
        return True
    row.problem(
        "任务内容被改动，与下发的表单不一致；请恢复原文（可从下发的表单复制），对任务的意见请另行反馈",
        "content_edited",
        "content",
    )
    return False


def tasks_changed_since_sent(ex: Examination, table: TaskTable, changed: list[str]) -> None:
    if changed:
        labels = "、".join(task_label(t) for t in changed)
        ex.problem(
            f"任务 {labels} 的内容在表单下发后有调整，已按单位填报内容接收，请核对",
            "task_changed",
            sheet=table.sheet.name,
            level=Level.WARNING,
        )


def progress_is_filled(row: Row, answer: Answer) -> None:
    if not answer.progress:
        row.problem(
            "本季度工作进展未填写；请写明本季度采取的措施和取得的成效", "required", "progress"
        )


def progress_says_more_than_a_placeholder(row: Row, answer: Answer) -> None:
    """A lead unit's 无 or / is no progress (unless the task has not started)."""
    if row.lead and answer.progress in PLACEHOLDER_TEXT and answer.status != Status.NOT_STARTED:
        row.problem(
            f"本季度工作进展只填了“{answer.progress}”；牵头单位请写明本季度采取的措施和取得的成效",
            "progress_placeholder",
            "progress",
        )


def done_is_100(row: Row, answer: Answer) -> None:
    if answer.status == Status.DONE and answer.percent is not None and answer.percent < 100:
        row.problem(
            f"推进状态为“已完成”，但累计完成进度只有 {answer.percent:g}%；已完成的请填 100，未完成的请改选推进状态",
            "done_not_100",
            "percent",
        )


def not_started_has_no_work(row: Row, answer: Answer) -> None:
    if (
        answer.status == Status.NOT_STARTED
        and answer.progress
        and answer.progress not in PLACEHOLDER_TEXT
    ):
        # the lead unit's status feeds the report; a cooperating unit's is only a hint
        row.problem(
            "推进状态为“未启动”，但“本季度工作进展”写了工作内容；如已开展工作请改选推进状态，确未启动请在“存在问题”中说明原因并清空本季度工作进展",
            "not_started_with_text",
            "status",
            Level.ERROR if row.lead else Level.WARNING,
        )


def lagging_gives_a_reason(row: Row, answer: Answer) -> None:
    if row.lead and answer.status == Status.LAGGING and nz.is_blank(answer.problems):
        row.problem(
            "推进状态为“滞后”，但“存在问题”未填写；请说明滞后原因",
            "lagging_no_reason",
            "problems",
            Level.WARNING,
        )


def status_fits_the_pace(row: Row, answer: Answer) -> None:
    """The 推进状态 agrees with 累计完成进度 and the row's pace (its 落实方案 节点 or 序时进度:
    ``core.pace.row_pace``; 已完成 below 100 is ``done_is_100``)."""
    if answer.status == Status.DONE.value:
        return
    pace = row_pace(row.task.task, row.ex.period)
    why = contradiction(
        answer.status, answer.percent, pace.expected, row.ex.settings.merge, pace.basis
    )
    if why:
        row.problem(
            f"{why}；请按填报说明中的规则核实推进状态或累计完成进度",
            "status_pace",
            "status",
            "warning",
        )


ANSWER_CHECKS: tuple[Callable[[Row, Answer], None], ...] = (
    progress_is_filled,
    progress_says_more_than_a_placeholder,
    done_is_100,
    not_started_has_no_work,
    lagging_gives_a_reason,
    status_fits_the_pace,
)


def progress_is_new(row: Row, answer: Answer) -> None:
    """本季度工作进展 copied from last quarter: an error or a warning (``[intake]
    same_as_last_quarter``)."""
    if answer.prefilled:
        reject = row.ex.settings.intake.same_as_last_quarter == "reject"
        row.problem(
            "本季度工作进展与上季度报送的内容一字不差；请按本季度实际情况更新"
            + ("后重新发送" if reject else "，如确无新进展请写明"),
            "prefilled_unchanged",
            "progress",
            Level.ERROR if reject else Level.WARNING,
        )


HISTORY_CHECKS: tuple[Callable[[Row, Answer], None], ...] = (progress_is_new,)


# -- the file as read -----------------------------------------------------------------
def no_extra_sheets(ex: Examination, reading: Reading) -> None:
    known = set(fs.SHEET_ORDER)
    for sheet in ex.book.sheets:
        if (
            sheet.name not in known
            and sheet.name not in reading.used
            and (sheet.visible and any(any(r) for r in sheet.rows))
        ):
            ex.problem(
                f"多出的工作表“{sheet.name}”未读取；补充说明请写在对应任务行的“本季度工作进展”中",
                "extra_sheet",
                level=Level.WARNING,
            )


def form_is_not_blank(ex: Examination, reading: Reading) -> None:
    """A form sent back empty is one problem, not one per cell."""
    if not any_answer(reading.answers) and not any(not p.task for p in ex.errors()):
        ex.drop(lambda p: bool(p.task) and p.code == "required")
        ex.problem("表单没有填写任何内容（可能发回了空白表单）；请逐行填写后重新发送", "blank_form")


def contact_is_given(ex: Examination, reading: Reading) -> None:
    for key, label in (("filler", "填报人"), ("phone", "联系电话")):
        if not reading.header.get(key):
            ex.problem(
                f"表头“{label}”未填写，请补充以便联系", "header_missing", level=Level.WARNING
            )


READING_CHECKS: tuple[Callable[[Examination, Reading], None], ...] = (
    no_extra_sheets,
    form_is_not_blank,
    contact_is_given,
)
