"""The report's and the 通报's words on 销号/延期/调整, kept short (the body has a page
budget; the 汇总表 lists every request in full): the quarter's decisions (approved with
文号, rejected with the reason, pending), the tasks 已销号 so far (quarter and 文号; counted
as done) and the tasks judged by an approved version; the marks beside changed rows in
annex 1."""

from __future__ import annotations

from reporting.core.changes import ChangeKind, Verdict
from reporting.core.labels import task_label
from reporting.core.periods import Period
from reporting.taskbook.changes import Listed, change_mark, what_asked
from reporting.taskbook.period_book import TaskBook

NO_CHANGES: dict = {"any": False, "text": "", "marks": {}, "closed": [], "head": ""}


def _doc(doc_no: str) -> str:
    return f"（{doc_no}）" if doc_no else ""


def _no(task_id: str) -> str:
    return f"第{task_label(task_id)}项"


def _decisions(listed: list[Listed]) -> str:
    """'本季度批准第15（2）项延期至2025年6月（禹政秘〔2024〕30号），自下一季度起执行；不予批准…'"""
    approved = [i for i in listed if i.verdict == Verdict.APPROVED]
    rejected = [i for i in listed if i.verdict == Verdict.REJECTED]
    pending = [i for i in listed if i.verdict == Verdict.PENDING]
    pieces = []
    if approved:
        pieces.append(
            "批准"
            + "、".join(
                f"{_no(i.request.task_id)}{what_asked(i.request)}"
                + _doc(i.latest.doc_no if i.latest else "")
                for i in approved
            )
            + "，自下一季度起执行"
        )
    if rejected:
        pieces.append(
            "不予批准"
            + "、".join(
                f"{_no(i.request.task_id)}{i.request.kind}申请"
                + (f"（{i.latest.reason}）" if i.latest and i.latest.reason else "")
                for i in rejected
            )
        )
    if pending:
        pieces.append(
            "、".join(f"{_no(i.request.task_id)}{i.request.kind}申请" for i in pending) + "待审批"
        )
    return "本季度" + "；".join(pieces) + "。" if pieces else ""


def changes_context(book: TaskBook | None, listed: list[Listed], period: Period) -> dict:
    """What the documents say of changes in ``period`` (``NO_CHANGES`` when there are none)."""
    if book is None or not isinstance(book, TaskBook):
        return dict(NO_CHANGES)
    parts = [_decisions(listed)] if listed else []
    closed = [
        {
            "label": task_label(c.row.id),
            "quarter": c.quarter.label if c.quarter.year == period.year else c.quarter.full_label,
            "doc_no": c.doc_no,
        }
        for c in book.closed
    ]
    if closed:
        parts.append(
            "已销号"
            + "、".join(
                f"第{c['label']}项（{c['quarter']}{'，' + c['doc_no'] if c['doc_no'] else ''}）"
                for c in closed
            )
            + "，计为已完成。"
        )
    marks: dict[str, str] = {}  # annex 1's marks, inside its brackets
    kinds: set[str] = set()
    for tid, changes in book.revisions.items():
        kept = [c for c in changes if c.kind != ChangeKind.CLOSE]
        if kept and tid in book.by_id:
            marks[tid] = "；".join(change_mark(c, inline=True) for c in kept)
            kinds |= {str(c.kind) for c in kept}
    if marks:
        what = "时限和目标" if len(kinds) > 1 else ("时限" if "延期" in kinds else "目标")
        parts.append("、".join(_no(t) for t in marks) + f"按批准后的{what}研判（见附件1）。")
    parts = [p for p in parts if p]
    if not parts:
        return dict(NO_CHANGES)
    return {"any": True, "text": "".join(parts), "marks": marks, "closed": closed, "head": ""}


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
