"""The collect step, then the merge: a period's ``merged.json`` and ``汇总表.xlsx`` from the
ledger (``reporting.recover.rebuild`` is something else: it rebuilds a lost ledger).

``collect_and_merge`` is the collect step: take in the inbox (``reporting.intake.collect``),
then merge. The latest accepted return of each unit supersedes earlier ones; both outputs
are rewritten only when what they are built from changed. Callers hold the data dir's lock
(``reporting.core.lock``: ``duban collect``, the runner), so the scheduler's hourly run and a
person's never interleave.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from functools import cache, partial
from pathlib import Path

from reporting.core.calendar import period_calendar
from reporting.core.changes import Source
from reporting.core.config import Settings
from reporting.core.fileutil import atomic_write_text
from reporting.core.labels import task_label
from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult, UnitAnswers
from reporting.core.parallel import in_background
from reporting.core.periods import Period
from reporting.core.previous import previous_result, year_so_far
from reporting.core.workspace import Workspace
from reporting.intake.collect import CollectSummary, answers_from_dict, collect
from reporting.intake.status import unit_returns
from reporting.merge.figures import fourth_quarter_finals
from reporting.merge.judge import build_result
from reporting.merge.summary import write_summary
from reporting.taskbook.assignments import Assignments
from reporting.taskbook.changes import listing, what_asked


def collect_and_merge(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    *,
    now: datetime,
    inbox: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
    ledger: Ledger | None = None,
    rebuild: bool = False,
    later: list[Callable[[], None]] | None = None,
) -> CollectSummary:
    """Take in every new file of the inbox, then rebuild the merged result (``rebuild``:
    write merged.json and the 汇总表 again even when nothing changed).

    ``later``: when new files came in (their receipts go out next), the merged outputs are
    written by a forked copy meanwhile and a function is added here that waits for them and
    records the merge; the caller calls it before it finishes (see ``merge_period``)."""
    period = Period.parse(period)
    own_ledger = ledger is None
    ledger = ledger or Ledger(workspace.ledger_path)
    try:
        summary = collect(
            settings,
            assignments,
            workspace,
            period,
            inbox=inbox,
            now=now,
            progress=progress,
            ledger=ledger,
        )
        summary.result, summary.written = merge_period(
            settings,
            assignments,
            workspace,
            period,
            ledger,
            now,
            rebuild=rebuild,
            later=later if summary.new else None,
        )
        summary.merged_json = workspace.merged_json(period)
        summary.merged_xlsx = workspace.merged_xlsx(period)
    finally:
        if own_ledger:
            ledger.close()
    return summary


def merge_period(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period,
    ledger: Ledger,
    now: datetime,
    *,
    rebuild: bool = False,
    later: list[Callable[[], None]] | None = None,
) -> tuple[QuarterResult, bool]:
    """Build the merged result from the ledger; rewrite the outputs only when their inputs
    changed, merged.json is missing, unreadable or of the wrong shape, or ``rebuild``.

    The result is not to be changed: when the inputs are unchanged it is the one read from
    merged.json, kept for the next load of the file (``QuarterResult.load(keep=True)``: the
    report day's report then reads nothing).

    ``later``: the outputs are written by a forked copy of this process (``in_background``)
    while the caller goes on, and what waits for them and then records the merge in the
    ledger is appended to it: until that runs, the ledger does not say they were written
    (a kill before it leaves them to be written again by the next run)."""
    returns = ledger.returns(period)
    deadline = period_calendar(period, settings.deadline).deadline
    requests = request_rows(ledger, period)
    inputs = _inputs(settings, assignments, workspace, period, ledger, deadline, returns, requests)
    state = ledger.merge_state(period)
    json_path, xlsx_path = workspace.merged_json(period), workspace.merged_xlsx(period)
    recorded, _, recorded_inputs = state["digest"].partition(" ") if state else ("", "", "")
    if (
        not rebuild
        and state is not None
        and recorded_inputs == inputs
        and readable_result(json_path, period)
        and xlsx_path.exists()
    ):  # built from the same inputs as last time: the same result, left as it is
        result = QuarterResult.load(json_path, keep=True)  # shared with the next load
        if result.generated_at != state["generated_at"]:  # edited by hand: ours to change
            result = QuarterResult.load(json_path)
            result.generated_at = state["generated_at"]
        return result, False
    answers = ledger_answers(ledger, period)
    result = build_result(
        assignments,
        period,
        answers,
        unit_returns(assignments.for_period(period), returns),
        settings.merge,
        deadline=deadline.isoformat(),
        generated_at="",
        previous=previous_result(workspace, period)[0],
    )
    data = result.plain()  # what merged.json holds, apart from generated_at
    digest = _digest(data, returns, requests)
    if (
        not rebuild
        and state is not None
        and recorded == digest
        and readable_result(json_path, period)
        and xlsx_path.exists()
    ):  # other inputs, the same result: the outputs stay, the inputs are noted
        result.generated_at = state["generated_at"]
        ledger.record_merge(period, f"{digest} {inputs}", result.generated_at)
        return result, False
    result.generated_at = data["generated_at"] = now.isoformat(timespec="seconds")
    finals = fourth_quarter_finals(  # the year's verdict in the fourth quarter's header
        year_so_far(workspace, result),
        assignments,
        settings.report.annual_basic_percent,
    )

    def write() -> None:
        write_summary(result, returns, xlsx_path, settings, requests, finals)
        atomic_write_text(json_path, result.to_json(data))

    def record(written: Callable[[], None]) -> None:
        written()
        ledger.record_merge(period, f"{digest} {inputs}", result.generated_at)

    if later is None:
        record(write)
    else:
        later.append(partial(record, in_background(write)))
    return result, True


def ledger_answers(ledger: Ledger, period: Period) -> dict[str, UnitAnswers]:
    """unit → the answers of its return in force (its latest accepted one)."""
    answers: dict[str, UnitAnswers] = {}
    for unit, row in ledger.latest_accepted(period).items():
        data = ledger.answers_of(period, row["sha256"])
        if data is not None:
            answers[unit] = answers_from_dict(data)
    return answers


def ensure_merged(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period,
    now: datetime,
) -> str:
    """Write merged.json and the 汇总表 again from the ledger when merged.json is missing
    (while the ledger has returns of the period), unreadable or of the wrong shape: what
    was done, for the user ('' when the file is fine or nothing was collected yet).

    The report runs this first, so a damaged merged.json never sends anyone round the loop
    "report: run collect" / "collect: nothing changed". The ledger is opened only then."""
    path = workspace.merged_json(period)
    if readable_result(path, period):
        return ""
    existed = path.exists()
    with Ledger(workspace.ledger_path) as ledger:
        if not existed and not ledger.returns(period):
            return ""
        merge_period(settings, assignments, workspace, period, ledger, now, rebuild=True)
    why = "无法读取或内容不完整" if existed else "缺失"
    return f"汇总结果 {path} {why}，已按台账重新生成（汇总表也已重写）。"


def readable_result(path: Path, period: Period) -> bool:
    """Whether ``path`` holds a merged result of ``period`` that loads (not truncated, not
    hand-edited into another shape): else it is written again, digest or not."""
    try:
        return QuarterResult.load(path, keep=True).period == str(period)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return False


def request_rows(ledger: Ledger, period: Period) -> list[list]:
    """The period's 销号/延期/调整 requests as the 汇总表's rows."""
    out = []
    for i in listing(ledger, period):
        r, d = i.request, i.latest
        out.append(
            [
                r.no,
                r.unit or str(Source.OFFICE),
                task_label(r.task_id),
                what_asked(r),
                r.reason,
                "\n".join(r.evidence) or r.evidence_note,
                r.received_at[:16].replace("T", " "),
                str(i.verdict),
                (d.doc_no or d.reason) if d else "",
                f"{d.by}\n{d.at[:16].replace('T', ' ')}" if d else "",
            ]
        )
    return out


def _inputs(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period,
    ledger: Ledger,
    deadline: datetime,
    returns: list,
    requests: list,
) -> str:
    """A digest of everything the merged result is built from: the task book and the
    registry's units, the merge settings and deadline, the period's returns and their parsed
    answers, the requests, last quarter's merged.json and duban's own code (its files' sizes
    and times). The same inputs build the same result, so a collect that finds them
    unchanged since the last merge skips building and comparing it (most hourly runs)."""
    h = hashlib.sha256()

    def add(text: str) -> None:
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\0")

    add(_code())
    add(f"{period} {deadline.isoformat()} {settings.merge!r}")
    add(repr(assignments.rows))
    add(repr([(name, u.kind) for name, u in assignments.registry.units.items()]))
    add(repr([[r[k] for k in r.keys()] for r in returns]))
    for sha, text in ledger.answer_texts(period):
        add(sha)
        add(text)
    add(repr(requests))
    before = workspace.merged_json(period.previous()) if period.quarter > 1 else None
    h.update(before.read_bytes() if before is not None and before.exists() else b"-")
    return h.hexdigest()


@cache
def _code() -> str:
    """duban's code as this process loaded it: every module file's name, size and time."""
    root = Path(__file__).resolve().parents[1]
    files = sorted(root.rglob("*.py"))
    return repr([(str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in files])


def _digest(result: dict, returns: list, requests: list | None = None) -> str:
    payload = {
        "result": result,  # QuarterResult.plain(), what merged.json holds
        "returns": [
            [r["sha256"], r["state"], r["unit"], r["source"], r["problems"], r["received_at"]]
            for r in returns
        ],
    }
    if requests:  # the 汇总表's 申请 sheet
        payload["requests"] = requests
    return hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()
