"""The annual edition's word on 销号/延期/调整: one sentence for the body and annex 4, every
request of the year with what was decided (approved with its 文号, rejected with the reason,
still pending)."""

from __future__ import annotations

from collections import Counter

from reporting.core.changes import Source, Verdict
from reporting.core.labels import task_label
from reporting.core.periods import Period
from reporting.taskbook.changes import Listed, what_asked


def year_changes_context(items: list[Listed], year: int) -> dict:
    """``changes_year`` (annex 4's rows), ``changes_year_text`` and ``annex4_title``; no rows
    and no sentence in a year without requests."""
    mine = [i for i in items if i.request.period.startswith(str(year))]
    rows = []
    for k, i in enumerate(mine, 1):
        r, d = i.request, i.latest
        decided = ""
        if d is not None:
            decided = Period.parse(d.decided_in).label
        verdict = str(i.verdict)
        if d is not None and d.verdict == Verdict.APPROVED and d.doc_no:
            verdict += f"\n{d.doc_no}"
        elif d is not None and d.verdict == Verdict.REJECTED and d.reason:
            verdict += f"\n{d.reason}"
        rows.append(
            {
                "no": k,
                "label": task_label(r.task_id),
                "unit": r.unit or str(Source.OFFICE),
                "asked": what_asked(r),
                "reason": r.reason or "—",
                "received": Period.parse(r.period).label,
                "decided": decided or "—",
                "verdict": verdict,
            }
        )
    text = ""
    if mine:
        approved = Counter(i.request.kind for i in mine if i.verdict == Verdict.APPROVED)
        rejected = sum(1 for i in mine if i.verdict == Verdict.REJECTED)
        pending = sum(1 for i in mine if i.verdict == Verdict.PENDING)
        done = "、".join(f"{kind}{n}项" for kind, n in approved.items())
        text = (
            f"全年收到和认定任务销号、延期、调整{len(mine)}项，"
            + (f"经批准{sum(approved.values())}项（{done}）" if approved else "均未批准")
            + (f"，不予批准{rejected}项" if rejected else "")
            + (f"，待审批{pending}项" if pending else "")
            + "；销号的任务计为完成，延期、调整的任务按批准后的时限和目标判定（逐项见附件4）。"
        )
    return {
        "changes_year": rows,
        "changes_year_text": text,
        "annex4_title": f"{year}年任务销号、延期、调整情况",
    }
