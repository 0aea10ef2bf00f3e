"""督办单: the ladder's decisions issued, numbered and answered (``duban bulletin``).

Each quarter's 通报 issues one 督办单 per task on the ladder (``merge.ladder``) to its lead
units (never to the issuing office), numbered through the year by ``[ladder] number_format``
and kept in the ledger (``orders``): a rerun keeps numbers, rungs and 时限. The next
quarter's return is its 反馈: when that quarter is assessed, each open 督办单 is answered —
办结 when the gap is closed (the row lit green), 续办 when the task is still on the ladder
(it gets that quarter's 督办单, at the rung the ladder now gives) — with the lead units'
returns in force recorded as the answer. ``duban status`` lists those still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from reporting.assess.facts import submissions
from reporting.core.calendar import period_calendar, shift_workdays
from reporting.core.config import Settings
from reporting.core.fileutil import safe_filename
from reporting.core.labels import task_label
from reporting.core.ledger import Ledger, OrderRecord
from reporting.core.model import QuarterResult, RowResult
from reporting.core.periods import Period, chinese_date, cn_time
from reporting.core.states import Rung
from reporting.core.unit_classes import Classes
from reporting.core.workspace import Workspace
from reporting.merge.ladder import Step, cleared, ladder
from reporting.merge.tally import light_reason
from reporting.report.wording import label_text, one_line, progress_against_pace, short_title

TEMPLATE = "order.docx"
CLOSED = "办结"
CARRIED = "续办"
FILL = {"黄": "FFE699", "红": "F4B6B6"}  # the 督办等级 cell, by the rung's colour

# what the lead unit must do, by rung ({explain_due}, {due}, {next_label}, {issuer} filled in)
DEMANDS = {
    Rung.WRITTEN: (
        "请于{explain_due}前将滞后原因、整改措施和完成时限书面报送{issuer}；"
        "对照序时进度倒排工期，{due}前补上差距。"
    ),
    Rung.TALK: (
        "{issuer}将商请分管区领导约谈牵头单位主要负责同志；请于{explain_due}前书面报送"
        "整改方案，明确责任人和完成时限，{due}前补上差距。"
    ),
    Rung.LISTED: (
        "本任务列为挂牌督办，由{issuer}跟踪督办直至销号；请于{explain_due}前报送整改方案，"
        "主要负责同志亲自调度，每月向{issuer}报告进展，{due}前补上差距。"
    ),
}


@dataclass
class OrderDoc:
    """One 督办单 as issued: the ledger record and what the document says."""

    record: OrderRecord
    row: RowResult
    step: Step
    path: Path
    before: OrderRecord | None = None  # the 督办单 it carries on (续办)
    pdf: Path | None = None  # when the 通报 was made with its PDF

    @property
    def colour(self) -> str:
        return Rung(self.record.rung).colour


@dataclass
class OrdersOutput:
    period: Period
    issued: list[OrderDoc] = field(default_factory=list)
    answered: list[OrderRecord] = field(default_factory=list)  # answered by this quarter
    steps: dict[str, Step] = field(default_factory=dict)  # the whole ladder, named or not

    def closed(self) -> list[OrderRecord]:
        return [o for o in self.answered if o.outcome == CLOSED]

    def lines(self) -> list[str]:
        if not self.issued and not self.answered:
            return []
        out = [f"督办单 {len(self.issued)} 份：" + "、".join(d.record.text for d in self.issued)]
        if self.answered:
            out.append(
                f"上期督办单 {len(self.answered)} 份已由本季度报送答复："
                f"办结 {len(self.closed())} 份，续办 {len(self.answered) - len(self.closed())} 份。"
            )
        return out


def feedback_words(period: Period) -> str:
    """How a 督办单 is answered: by the next quarter's return; the year's last quarter's by
    next year's follow-up (the next year has its own task table)."""
    if period.quarter == 4:
        return f"未完成部分列入{period.year + 1}年跟踪督办"
    return f"整改情况随{period.next().full_label}进展情况表反馈"


def order_dir(workspace: Workspace, period: Period) -> Path:
    return workspace.period_dir(period) / "bulletin" / "督办单"


def due_dates(settings: Settings, period: Period, day: date) -> tuple[date, date]:
    """(整改时限 = the next quarter's return deadline, 书面说明 due ``explain_days`` working
    days after ``day``)."""
    due = period_calendar(period.next(), settings.deadline).deadline.date()
    return due, shift_workdays(day, settings.ladder.explain_days)


def year_results(results: Sequence[QuarterResult], period: Period) -> list[QuarterResult]:
    """The quarters of ``period``'s year up to it, in order."""
    keep = [r for r in results if Period.parse(r.period).year == period.year]
    return sorted(
        (r for r in keep if Period.parse(r.period).quarter <= period.quarter),
        key=lambda r: r.period,
    )


def issue_orders(
    settings: Settings,
    ledger: Ledger,
    workspace: Workspace,
    results: Sequence[QuarterResult],
    period: Period,
    *,
    day: date,
    now: datetime,
    kinds: dict[str, str] | None = None,
) -> OrdersOutput:
    """Answer the open 督办单 with ``period``'s return, issue ``period``'s, write each .docx.
    First every 督办单 and answer traced on disk that the ledger lacks is put back (a ledger
    restored from a copy older than the last 通报 would neither list nor answer them)."""
    ledger.restore_orders()
    ordered = year_results(results, period)
    result = ordered[-1]
    steps = ladder(ordered, settings.ladder)
    out = OrdersOutput(period, steps=steps)
    at = now.isoformat(timespec="seconds")
    rows = {r.id: r for r in result.rows}
    facts = {f.unit: f for f in submissions(ledger, result)}
    for order in ledger.open_orders():
        same_year = Period.parse(order.period).year == period.year  # next year: other tasks
        if not same_year or order.period >= str(period) or order.task_id not in rows:
            continue
        row = rows[order.task_id]
        if cleared(row):
            outcome = CLOSED
        elif order.task_id in steps:
            outcome = CARRIED
        else:
            continue  # no return yet: stays open
        answers = [
            {"unit": u, "text": event.text if (event := facts[u].event) else ""}
            for u in row.lead_units
            if u in facts and facts[u].accepted
        ]
        ledger.answer_order(
            order.period, order.task_id, answered_in=period, outcome=outcome, returns=answers, at=at
        )
    out.answered = [
        o for o in ledger.orders() if o.answered_in == str(period) and o.period != str(period)
    ]
    carried = {o.task_id: o for o in out.answered if o.outcome == CARRIED}
    classes = Classes.of(settings, kinds)
    due, _ = due_dates(settings, period, day)
    folder = order_dir(workspace, period)
    for task_id, step in sorted(steps.items(), key=lambda kv: _id_key(kv[0])):
        row = rows[task_id]
        units = [u for u in row.lead_units if not classes.is_office(u)]
        if not units:
            continue
        record = ledger.issue_order(
            period,
            task_id,
            period.year,
            make=lambda n: settings.ladder.number_format.format(year=period.year, n=n),
            rung=str(step.rung),
            reason=step.reason,
            units=units,
            due=due.isoformat(),
            at=at,
        )
        name = safe_filename(f"{record.text}_{row.label}_{units[0]}") + ".docx"
        out.issued.append(OrderDoc(record, row, step, folder / name, carried.get(task_id)))
    write_orders(settings, result, out.issued, day=day)
    return out


def _id_key(task_id: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in task_id.split("."))


def order_context(settings: Settings, result: QuarterResult, doc: OrderDoc, *, day: date) -> dict:
    """Every phrase of one 督办单."""
    period = Period.parse(result.period)
    rec, row = doc.record, doc.row
    rung = Rung(rec.rung)
    due, explain_due = due_dates(settings, period, day)
    cutoff = cn_time(result.generated_at, day)
    # why it is lit (progress against pace, indicators), else how far behind it is
    facts = light_reason(row) or "，".join(progress_against_pace(row, result.expected_progress))
    problems = "；".join(
        one_line(a.problems).rstrip("。；") for a in row.lead_reports if one_line(a.problems)
    )
    issue = f"截至{cutoff}，" + (facts or f"自报“{row.status or '未报送'}”") + "。"
    if problems:
        issue += f"牵头单位反映的问题：{problems}。"
    next_label = period.next().full_label
    issuer = settings.bulletin.issuer
    demand = DEMANDS[rung].format(
        explain_due=chinese_date(explain_due),
        due=chinese_date(due),
        issuer=issuer,
        next_label=next_label,
    )
    before = ""
    if doc.before is not None:
        before = (
            f"{doc.before.text}（{doc.before.rung}）印发后，{period.label}报送显示差距仍未补上，"
            f"本单续办" + ("并升级为" + rung if Rung(doc.before.rung) != rung else "") + "。"
        )
    return {
        "mark": settings.bulletin.mark,
        "title": "督查督办通知单",
        "number": rec.text,
        "level": f"{rung.colour}色督办（{rung}）",
        "fill": FILL[rung.colour],
        "units": "、".join(rec.units),
        "matter": f"{label_text(row)}{short_title(row)}",
        "content": one_line(row.content),
        "basis": rec.reason + "。",
        "before": before,
        "issue": issue,
        "demand": demand,
        "due": f"{chinese_date(due)}前",
        "reply": (
            f"整改情况随{next_label}进展情况表报送（“存在问题”“下步打算”栏写明整改措施和成效），"
            f"作为本督办单的反馈；书面材料报{issuer}。差距补上（亮绿灯）后予以销号。"
            if period.quarter < 4
            else f"{feedback_words(period)}；整改情况于{chinese_date(due)}前书面报送{issuer}，"
            "完成后予以销号。"
        ),
        "issuer": issuer,
        "date_text": chinese_date(day),
    }


def write_orders(
    settings: Settings, result: QuarterResult, docs: Sequence[OrderDoc], *, day: date
) -> None:
    """Each 督办单's .docx: the template rendered once and filled per 督办单 (``DocxFill``,
    the same bytes as rendering each), all made durable together at the end."""
    from reporting.core.fileutil import SyncLater
    from reporting.documents.docx_fill import DocxFill

    fill = DocxFill(
        Path(settings.templates_dir) / TEMPLATE,
        author=settings.bulletin.issuer,
        when=datetime.combine(day, time(0, 0)),
        closing_with_table=True,  # the 督办单位 and date never alone on a page
    )
    later = SyncLater()
    for doc in docs:
        context = order_context(settings, result, doc, day=day)
        fill.write(context, doc.path, title=f"督查督办通知单 {doc.record.text}", later=later)
    later.sync()


@dataclass(frozen=True)
class OpenOrder:
    """A 督办单 not yet answered, as ``duban status`` lists it (text and ``--json``)."""

    record: OrderRecord
    late: bool  # its 整改时限 has passed

    @property
    def state(self) -> str:
        return "已过时限" if self.late else "办理中"

    def line(self) -> str:
        o = self.record
        late = "，已过时限" if self.late else ""
        return (
            f"  {o.text}　{Period.parse(o.period).full_label}　{o.rung}　任务{task_label(o.task_id)}"
            f"　{'、'.join(o.units)}　整改时限 {chinese_date(date.fromisoformat(o.due))}{late}"
        )

    def to_dict(self) -> dict:
        o = self.record
        return {
            "number": o.text,
            "period": o.period,
            "units": list(o.units),
            "task_id": o.task_id,
            "task": task_label(o.task_id),
            "rung": o.rung,
            "due": o.due,
            "state": self.state,
        }


def open_orders(ledger: Ledger, today: date) -> list[OpenOrder]:
    """The 督办单 not yet answered by a later quarter's return, by year and number."""
    return [OpenOrder(o, date.fromisoformat(o.due) < today) for o in ledger.open_orders()]


def open_lines(ledger: Ledger, today: date) -> list[str]:
    """``duban status``: the 督办单 not yet answered, with their 时限."""
    rows = open_orders(ledger, today)
    if not rows:
        return []
    return [f"未办结的督办单 {len(rows)} 份："] + [o.line() for o in rows]
