"""Per-leader briefs (分管领导调度单): one short .docx per leading leader.

Each brief lists the leader's rows, lagging ones first, with condensed progress (and,
from the second quarter on, each row's status and progress last quarter); it is filled
from ``templates/leader_brief.docx`` like the report and written next to it in
``分管领导调度单/``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from reporting.core.config import Settings
from reporting.core.fileutil import safe_filename
from reporting.core.model import Light, QuarterResult, RowResult, Status
from reporting.core.numbers import num
from reporting.core.periods import Period, chinese_date
from reporting.core.states import Final
from reporting.documents.docx_render import render_docx
from reporting.merge.compare import QuarterChange
from reporting.merge.figures import period_figures
from reporting.merge.tally import ON_PACE, pace_note, task_counts
from reporting.report.context import annex_row
from reporting.report.wording import id_key, status_phrase

BRIEF_TEMPLATE = "leader_brief.docx"
BRIEFS_DIR = "分管领导调度单"
BRIEF_CHARS = 60  # progress characters per row: a leader reads the gist, the 汇总表 has it all
BRIEF_PROBLEM_CHARS = 50
# lagging (and red) first in a leader's brief, then not started, not reported, yellow, the rest
_BRIEF_ORDER: dict[str | None, int] = {
    Status.LAGGING: 0,
    Status.NOT_STARTED: 1,
    None: 2,
}


def leaders_of(result: QuarterResult) -> list[str]:
    seen: dict[str, None] = {}
    for row in sorted(result.rows, key=id_key):
        for leader in row.lead_leaders:
            seen.setdefault(leader, None)
    return list(seen)


def brief_order(r: RowResult, finals: dict[str, str] | None = None) -> tuple[int, int]:
    """Where a row goes in a leader's brief (sorted stably over task order): 未完成 at the
    year's end first, then lagging (and red), not started, not reported, yellow, the rest."""
    undone = 0 if (finals or {}).get(r.id) == Final.UNDONE else 1
    if r.lagging:
        return undone, 0
    if r.status in _BRIEF_ORDER:
        return undone, _BRIEF_ORDER[r.status]
    return undone, 3 if r.light == Light.YELLOW else 4  # yellow before the green rest


def brief_context(
    result: QuarterResult,
    settings: Settings,
    period: Period,
    leader: str,
    *,
    today: date,
    change: QuarterChange | None = None,
    finals: dict[str, str] | None = None,
) -> dict:
    """One leader's rows, lagging (and red) first, then not started, unknown, the rest.

    With ``change`` each row's ``before`` holds last quarter's status and progress (None
    without a comparison, or for a row new this quarter). With ``finals`` (the year's end:
    task id → 全年完成情况) each row's state starts with it and 未完成 rows come first.
    """
    mine = [r for r in sorted(result.rows, key=id_key) if leader in r.lead_leaders]
    finals = finals or {}
    mine.sort(key=lambda r: brief_order(r, finals))  # stable: task order within each group
    counts = task_counts(mine)
    # at the year's end the statuses are what the units said; the verdict is the year's
    phrase = ("自报" if finals else "") + status_phrase(counts.status)
    d = settings.district
    previous = change.by_id() if change else {}
    rows = []
    for r in mine:
        row = annex_row(r, progress_chars=BRIEF_CHARS, problem_chars=BRIEF_PROBLEM_CHARS)
        row["task"] = f"{row['label']} {row['task']}"
        row["state"] = state_lines(row, finals.get(r.id))
        row.pop("leaders")
        row["before"] = _before(previous.get(r.id)) if change else None
        rows.append(row)
    return {
        "title": f"{leader}同志分管任务{period.label}推进情况调度单",
        "leader": leader,
        "period_label": period.full_label,
        "quarter_label": period.label,
        "document_title": d.document_title,
        "n_rows": len(mine),
        "n_lagging": sum(1 for r in mine if r.lagging),
        "n_missing": counts.missing,
        "n_lit": sum(
            1 for r in mine if not r.lagging and r.light == Light.YELLOW and r.status in ON_PACE
        ),
        "phrase": phrase,
        "expected": num(result.expected_progress),
        "pace_note": pace_note(mine, result.expected_progress),
        "cutoff": period_figures(result).cutoff_text(today),
        "rows": rows,
        "signer": settings.report.signer,
        "date_text": chinese_date(today),
        "previous_label": Period.parse(change.before.period).label if change else "",
        "year_summary": _year_summary(mine, finals),
    }


def state_lines(row: dict, final: str | None) -> str:
    """The 进度及状态 cell: progress, status and light a line each; at the year's end two
    lines, the year's result and "90% 滞后" (the light is the cell's tint, and the
    progress column says why a row is yellow or red): five short lines were a column."""
    shown = [x for x in (row["percent"], row["status"]) if x != "—"]
    if final is None:
        return "\n".join(x for x in (*shown, row["light"]) if x != "—")
    return "\n".join([f"全年{final}", *([" ".join(shown)] if shown else [])])


def _year_summary(rows: list[RowResult], finals: dict[str, str]) -> str:
    """The year's end: "全年完成情况：完成15项、基本完成1项、未完成1项（已列在表首）。" ("" before)."""
    if not finals:
        return ""
    mine = [finals[r.id] for r in rows if r.id in finals]
    parts = [f"{k}{mine.count(k)}项" for k in Final if mine.count(k)]
    tail = "（已列在表首）" if Final.UNDONE in mine else ""
    return f"全年完成情况：{'、'.join(parts)}{tail}。" if parts else ""


def _before(rc) -> dict | None:
    """Last quarter's status and cumulative progress of a row (None: not in last quarter's table)."""
    if rc is None:
        return None
    return {
        "status": rc.status_before,
        "percent": num(rc.before) if rc.before is not None else "",
    }


def render_leader_briefs(
    result: QuarterResult,
    settings: Settings,
    period: Period,
    out_dir: Path,
    *,
    today: date,
    change: QuarterChange | None = None,
    finals: dict[str, str] | None = None,
) -> list[Path]:
    """One short .docx per leading leader (``finals``: see ``brief_context``); stale
    briefs of this period are removed."""
    out_dir = Path(out_dir)
    template = Path(settings.templates_dir) / BRIEF_TEMPLATE
    when = datetime.combine(today, time(0, 0))
    written = []
    for leader in leaders_of(result):
        ctx = brief_context(
            result, settings, period, leader, today=today, change=change, finals=finals
        )
        path = out_dir / safe_filename(f"{period}_分管领导调度单_{leader}.docx")
        render_docx(
            template,
            ctx,
            path,
            title=ctx["title"],
            author=settings.district.office,
            when=when,
            closing_with_table=True,  # the signer never alone on the last page
        )
        written.append(path)
    if out_dir.exists():
        for old in out_dir.glob(f"{period}_分管领导调度单_*.docx"):
            if old not in written:
                old.unlink()
    return written
