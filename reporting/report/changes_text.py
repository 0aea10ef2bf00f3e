"""The report's and the 通报's words on 销号/延期/调整: the quarter's requests (approved,
rejected, pending), the tasks 已销号 so far (quarter and 文号; counted as done) and the
tasks judged by an approved version; the marks beside changed rows in annex 1."""

from __future__ import annotations

from reporting.core.changes import ChangeKind, Source, Verdict
from reporting.core.labels import task_label
from reporting.core.periods import Period
from reporting.taskbook.changes import Listed, change_mark, what_asked
from reporting.taskbook.period_book import TaskBook
from reporting.taskbook.short_names import short_title_of

NO_CHANGES: dict = {"any": False, "text": "", "marks": {}, "closed": [], "head": ""}


def _doc(doc_no: str) -> str:
    return f"（{doc_no}）" if doc_no else ""


def changes_context(book: TaskBook | None, listed: list[Listed], period: Period) -> dict:
    """What the documents say of changes in ``period`` (``NO_CHANGES`` when there are none)."""
    if book is None or not isinstance(book, TaskBook):
        return dict(NO_CHANGES)
    parts: list[str] = []
    if listed:
        approved = [i for i in listed if i.verdict == Verdict.APPROVED]
        rejected = [i for i in listed if i.verdict == Verdict.REJECTED]
        pending = [i for i in listed if i.verdict == Verdict.PENDING]
        office = sum(1 for i in listed if i.request.source == Source.OFFICE)
        asked = len(listed) - office
        text = f"本季度收到任务销号、延期、调整申请{asked}项" if asked else ""
        if office:
            text += f"{'，' if asked else '本季度'}{_office_name()}直接认定任务变更{office}项"
        pieces = []
        if approved:
            pieces.append(
                f"经批准{len(approved)}项："
                + "；".join(
                    f"第{task_label(i.request.task_id)}项{what_asked(i.request)}"
                    f"{_doc(i.latest.doc_no if i.latest else '')}"
                    for i in approved
                )
                + "，自下一季度起执行"
            )
        if rejected:
            pieces.append(
                f"不予批准{len(rejected)}项："
                + "；".join(
                    f"第{task_label(i.request.task_id)}项申请{i.request.kind}"
                    + (f"（{i.latest.reason}）" if i.latest and i.latest.reason else "")
                    for i in rejected
                )
                + "，仍按原任务调度"
            )
        if pending:
            pieces.append(
                f"待审批{len(pending)}项："
                + "、".join(f"第{task_label(i.request.task_id)}项{i.request.kind}" for i in pending)
            )
        parts.append(text + "。" + "。".join(pieces) + "。" if pieces else text + "。")
    closed = [
        {
            "label": task_label(c.row.id),
            "short": short_title_of(c.row.task),
            "quarter": c.quarter.full_label,
            "doc_no": c.doc_no,
        }
        for c in book.closed
    ]
    if closed:
        parts.append(
            f"截至本季度，经批准销号的任务{len(closed)}项："
            + "；".join(
                f"第{c['label']}项{c['short']}（{c['quarter']}{_sep(c['doc_no'])}）" for c in closed
            )
            + "，均计为已完成，不再调度。"
        )
    marks: dict[str, str] = {}
    inline: dict[str, str] = {}  # the annex's marks, inside its brackets
    for tid, changes in book.revisions.items():
        kept = [c for c in changes if c.kind != ChangeKind.CLOSE]
        if kept and tid in book.by_id:
            marks[tid] = "；".join(change_mark(c) for c in kept)
            inline[tid] = "；".join(change_mark(c, inline=True) for c in kept)
    if marks:
        parts.append(
            f"按批准的变更调度的任务{len(marks)}项："
            + "；".join(f"第{task_label(t)}项{m}" for t, m in marks.items())
            + "，按变更后的完成时限或目标研判，原任务表述留档备查。"
        )
    if not parts:
        return dict(NO_CHANGES)
    return {"any": True, "text": "".join(parts), "marks": inline, "closed": closed, "head": ""}


def _sep(doc_no: str) -> str:
    return f"，{doc_no}" if doc_no else ""


def _office_name() -> str:
    return str(Source.OFFICE)


def mark_annex(context: dict, marks: dict[str, str]) -> None:
    """Each changed row of annex 1 says so under its task name."""
    if not marks:
        return
    by_label = {task_label(t): m for t, m in marks.items()}
    for part in context.get("annex_parts", []):
        for row in part if isinstance(part, list) else part.get("rows", []):
            mark = by_label.get(row.get("label", ""))
            if mark and mark not in row.get("task", ""):
                row["task"] = f"{row['task']}（{mark}）"
