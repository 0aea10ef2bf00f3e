"""How the report words things: unit text cleaned and condensed, shares, times, row names.

Text from units is cleaned of characters XML cannot hold and of empty lines, and cut at
a sentence end where it is too long for the report (the merged workbook keeps it all);
its newlines become separate paragraphs in the body and line breaks in table cells.
Used by the report's context (``report_context``) and the leader briefs.
"""

from __future__ import annotations

from reporting.core.model import MISSING, RowResult
from reporting.core.numbers import num
from reporting.core.text import condense, one_line, unit_text  # noqa: F401 (the report imports them here)
from reporting.merge.tally import gap_text
from reporting.taskbook.short_names import short_title_of

# how much of a unit's text the report repeats (the merged workbook keeps it all)
TASK_CHARS = 50
TITLE_EM = 20  # 二号 characters per line in the 156 mm type area


def share(part: int, total: int) -> str:
    """'38.5%' style share of ``total`` (one decimal, a trailing .0 dropped)."""
    if not total:
        return "0%"
    return f"{num(round(100 * part / total, 1))}%"


def progress_against_pace(row: RowResult, expected: float | None = None) -> list[str]:
    """How far a row's progress is behind its pace, as the report and the 通报 say it:
    ["累计完成进度30%", "低于落实方案节点20个百分点"] (nothing without a percentage; no gap
    for a row not judged by pace). ``expected`` is no longer read: each row has its own."""
    if row.percent is None:
        return []
    parts = [f"累计完成进度{num(row.percent)}%"]
    behind = gap_text(row)
    if behind:
        parts.append(behind)
    return parts


def body_text(text: str) -> str:
    """Body paragraphs: each line of the unit's text becomes its own paragraph (docxtpl: \\a)."""
    return text.replace("\n", "\a")


def short_title(row) -> str:
    """A row's short name: tasks.csv's ``short_title``, else one derived from its text
    (``taskbook.short_names.short_title_of``, which every document uses)."""
    return short_title_of(row)


def label_text(row: RowResult) -> str:
    """How the notice numbers a row in running text: '8（1）', '29.'."""
    return row.label if row.label.endswith("）") else f"{row.label}."


def task_text(row: RowResult) -> str:
    return f"{row.label} {condense(row.content, TASK_CHARS).rstrip('。')}"


def stack_names(names) -> str:
    """Names one per line in a table cell (a line break never falls inside a name)."""
    return "\n".join(n for n in names if n)


def status_phrase(counts: dict[str, int]) -> str:
    """'序时推进6项、滞后1项、未报送1项' — only the statuses that occur."""
    parts = [f"{k}{v}项" for k, v in counts.items() if v]
    return "、".join(parts) if parts else "无任务"


def row_status(row: RowResult) -> str:
    return row.status or MISSING


def row_light(row: RowResult) -> str:
    return f"{row.light}灯" if row.light else "—"


def id_key(row: RowResult) -> tuple:
    """Task-table order (8, 8.1, 8.2, 9); ids that are not numbers last."""
    no, _, sub = str(row.id).partition(".")
    try:
        return (int(no), int(sub or 0), "")
    except ValueError:
        return (10**9, 0, str(row.id))


# between task labels; no invisible break hints: where a line breaks is the renderer's job
LABEL_SEPARATOR = "、"


def join_labels(labels) -> str:
    """'6、10（3）、22（1）'."""
    return LABEL_SEPARATOR.join(labels)


def label_items(labels) -> str:
    """'第6项、第10（3）项' — how running text lists tasks. Each item is its own word to the
    renderer: LibreOffice keeps "6、10（3）、22（1）" together as one unbreakable number and
    stretches the line before it; "第…项" items break between them like any Chinese text."""
    return "、".join(f"第{label}项" for label in labels)


def task_list(labels, cap: int = 10) -> str:
    """'第8（2）项任务' / '第6项、第10（3）项共2项任务' / '第1项、…等15项任务' (``cap`` named)."""
    labels = list(labels)
    named = label_items(labels[:cap])
    if len(labels) > cap:
        return f"{named}等{len(labels)}项任务"
    if len(labels) > 1:
        return f"{named}共{len(labels)}项任务"
    return f"{named}任务" if labels else ""


def join_names(names) -> str:
    """'甲、乙': the non-empty names joined the way the notice lists them."""
    return "、".join(n for n in names if n)


def text_width(text: str) -> float:
    """Width in em: CJK and full-width characters 1, ASCII 0.5."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in text)


def title_break(title: str, document_title: str, per_line: float = TITLE_EM) -> str:
    """``document_title`` with a line break after its 》 when the title needs two lines.

    GB/T 9704 wants a wrapped title to break between words, not in the middle of
    one (…重点任 / 务…); the break after the quoted document name keeps both lines whole.
    """
    k = document_title.find("》")
    if text_width(title) <= per_line or k < 0 or k == len(document_title) - 1:
        return document_title
    i = title.find(document_title) + k + 1
    if text_width(title[:i]) <= per_line and text_width(title[i:]) <= per_line:
        return document_title[: k + 1] + "\n" + document_title[k + 1 :]
    return document_title
