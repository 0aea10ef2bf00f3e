"""``duban demo``: the whole quarter cycle on the bundled data, in a throw-away workspace.

Runs the four quarters of 2024 through ``duban run``'s own runner on a simulated clock — the
通知 day, the cooperating units' deadline (配合反馈 to lead units), the 催报 day, the 逾期
day, the report day — with simulated returns (示例数据) dropped into the inbox in between: most before the
cooperating units' deadline, a few between the two deadlines (their lead units get an 更新),
some late, some never. Q2 onward shows pre-fill and the change from one quarter to the next;
Q4 adds the annual edition of the report and the year workbook (``duban year``); every
report step also writes the 看板 pages (the period's and the year's). The year shows the
task book changing: a 销号 approved in Q1 (the task gone from Q2 forms), a 延期 in Q2, an
调整 of a target in Q3 and a request rejected (``DEMO_CHANGES``).
Mail goes to a local outbox; nothing leaves the machine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reporting.core.calendar import period_calendar
from reporting.core.exceptions import DubanError
from reporting.core.periods import Period
from reporting.core.states import ReturnState

MARKER = ".duban-demo"  # only a folder with this marker is ever emptied by the demo
PERIODS = tuple(Period(2024, q) for q in (1, 2, 3, 4))


@dataclass
class DemoOutcome:
    root: Path
    periods: list[str] = field(default_factory=list)
    fates: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # period → fate → units
    paths: dict[str, Path] = field(default_factory=dict)  # what to open, by Chinese label
    failed: list[str] = field(default_factory=list)  # steps that failed, in Chinese


def prepare(root: Path) -> None:
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise DubanError(
                f"目录 {root} 不是空目录，也不是以前的演示目录；请换一个目录，或先清空它"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("duban demo workspace; safe to delete\n", encoding="utf-8")


# (quarter, unit, task, kind, 申请内容, 理由, approved 文号 or None = rejected with the reason)
DEMO_CHANGES = (
    (
        1,
        "区发改委",
        "8.2",
        "销号",
        "重点项目计划总投资、储备项目均已落实",
        "任务已全部完成，经验收",
        "禹政秘〔2024〕12号",
    ),
    (
        2,
        "区住建交通局",
        "15.2",
        "延期",
        "2025年6月底前",
        "安置房项目受征迁影响，回迁安置顺延",
        "禹政秘〔2024〕30号",
    ),
    (
        3,
        "区城市管理局",
        "16.2",
        "调整",
        "新增城市停车泊位=4000个",
        "部分地块规划调整，泊位减少",
        "禹政秘〔2024〕45号",
    ),
    (3, "区科技经信局", "12.3", "延期", "2025年3月底前", "企业培育周期较长", None),
)


def demo_changes(app, period: Period, now) -> list[str]:
    """The quarter's 销号/延期/调整 requests of the demo, decided by the office before the
    report (as ``duban changes`` records them)."""
    from reporting.core.changes import ChangeRequest
    from reporting.core.labels import task_label
    from reporting.taskbook import changes
    from reporting.taskbook.import_dates import parse_deadline

    at = now.isoformat(timespec="seconds")
    out = []
    with app.hold("demo"), app.ledger() as ledger:
        for quarter, unit, task, kind, text, reason, doc in DEMO_CHANGES:
            if quarter != period.quarter:
                continue
            request = ChangeRequest(
                period=str(period),
                no=0,
                key=f"demo-{period}-{task}",
                task_id=task,
                kind=kind,
                text=text,
                deadline=(parse_deadline(text, period.year) or "") if kind == "延期" else "",
                indicators=text if kind == "调整" else "",
                reason=reason,
                unit=unit,
                evidence_note="情况说明.pdf",
                received_at=at,
            )
            r = changes.submit(ledger, app.workspace.root, request)
            d = changes.decide(
                ledger,
                app.workspace.root,
                period,
                r.no,
                approve=doc is not None,
                decided_in=period,
                at=at,
                doc_no=doc or "",
                by="区督查考核办",
                reason="" if doc else "年度目标不变，请加快推进",
            )
            label = task_label(r.task_id)
            out.append(f"（模拟：{unit}申请任务{label}{changes.what_asked(r)}，{d.verdict}）")
    return out


PLAN_UNITS = 6  # lead units that return a 落实方案 in the demo (the third one first gets it wrong)


def plan_round(app, out: DemoOutcome, echo: Callable[[str], None]) -> None:
    """The year's 落实方案 round in January: the 通知 with each lead unit's 落实方案表, a
    handful of plans back (one sent back for decreasing 节点, then resent), the 提醒 and
    催报 to the rest, the 落实方案汇总表; the accepted plans are the 节点 of the quarters."""
    from datetime import datetime, time

    from reporting.core.calendar import plan_calendar
    from reporting.merge.plan_round import run_plan_round
    from reporting.notify.delivery import outbox_note_once
    from reporting.notify.plan_notice import send_plan_notices
    from reporting.sample.plans import simulate_plans

    year = PERIODS[0].year
    s, ws, a = app.settings, app.workspace, app.table_assignments
    cal = plan_calendar(year, s.plan, s.deadline.zone)

    def at(stage: str, hour: int) -> datetime:
        return datetime.combine(cal.stages[stage], time(hour), tzinfo=s.deadline.zone)

    echo(f"══ {year}年落实方案（示例数据）：报送截止 {cal.deadline_label}")
    units = [u for u, rows in a.by_unit.items() if rows.lead][:PLAN_UNITS]
    spoilt = units[2]
    with app.hold("demo"), app.ledger() as ledger:

        def step(now: datetime, stage: str | None = None) -> None:
            said: set[str] = set()  # the 回执 and the notices: one outbox notice
            done = run_plan_round(s, a, ws, year, ledger=ledger, now=now)
            for line in outbox_note_once(done.lines(brief=True), said):
                echo(line)
            if stage:
                sent = send_plan_notices(s, a, ws, year, stage=stage, ledger=ledger, now=now)
                for line in outbox_note_once(sent.lines(), said):
                    echo(line)

        step(at("通知", 9), "通知")
        simulate_plans(a, ws, year, units, at("提醒", 8), spoiled={spoilt})
        echo(f"（模拟：{len(units)} 个牵头单位交回落实方案表，其中{spoilt}的节点逐季减少）")
        step(at("提醒", 9), "提醒")
        simulate_plans(a, ws, year, [spoilt], at("催报", 8))
        echo(f"（模拟：{spoilt}修改后重新报送）")
        step(at("催报", 9), "催报")
    app.reload_tasks()
    out.paths["落实方案汇总表"] = ws.plan_summary(year)
    out.paths["落实方案表目录"] = ws.plan_dir(year) / "forms"


def demo_app(app, root: Path):
    """The app pointed at the demo folder, mail to its outbox, robots off."""
    s = app.settings
    s.paths.data_dir = root
    app.__dict__.pop("workspace", None)  # cached for the old data dir
    app.reload_tasks()  # the old data dir's 落实方案
    s.smtp.outbox = app.workspace.outbox_dir
    s.smtp.host = ""
    s.webhook.wecom_url = s.webhook.dingtalk_url = ""
    return app


def run_demo(app, root: Path, *, echo: Callable[[str], None] = print) -> DemoOutcome:
    """Run the four quarters of 2024 end to end in ``root`` with simulated returns (the
    fourth quarter's report step writes the annual edition and the year workbook)."""
    from jobs.runner import run_cycle
    from jobs.steps import due_times
    from reporting.core.model import QuarterResult
    from reporting.intake.status import period_status
    from reporting.merge.compare import quarter_change
    from reporting.sample.returns import simulate_returns

    root = Path(root).resolve()
    prepare(root)
    app = demo_app(app, root)
    ws = app.workspace
    out = DemoOutcome(root)
    plan_round(app, out, echo)  # January: the 落实方案 become the year's 节点

    for period in PERIODS:
        cal = period_calendar(period, app.settings.deadline)
        due = due_times(cal, app.settings)
        echo(f"══ {period.full_label}（示例数据）：报送截止 {cal.deadline_label}")
        a = app.book(period)  # the task book of the quarter: changes approved before it

        def run(now, period=period):
            report = run_cycle(app, period, now=now)
            for line in report.lines():
                echo(line)
            out.failed += [f"{period} {r.label}" for r in report.failed]

        run(due["通知"])  # forms, 通知 (mail to the outbox), first collect
        # on-time and spoilt returns arrive before the cooperating units' deadline, a few
        # between the two deadlines, late ones after the deadline
        coop = cal.coop_deadline if cal.separate_coop else None
        fates = simulate_returns(
            a, ws, period, cal.deadline, fates=("on_time", "rejected"), coop_deadline=coop
        )
        early = len(fates["on_time"]) + len(fates["rejected"])
        if coop is not None:
            echo(f"（模拟：{early} 个单位在配合截止（{cal.coop_deadline_label}）前交回表格）")
            run(due["coop"])  # collect, then the 配合单位反馈 to every lead unit
            simulate_returns(a, ws, period, cal.deadline, fates=("coop_late",), coop_deadline=coop)
            echo(
                f"（模拟：{len(fates['coop_late'])} 个单位在配合截止后、牵头截止前交回，"
                "相关牵头单位将收到配合反馈的更新）"
            )
        else:
            simulate_returns(a, ws, period, cal.deadline, fates=("coop_late",))
            echo(f"（模拟：{early + len(fates['coop_late'])} 个单位在截止前交回表格）")
        run(due["催报"])
        simulate_returns(a, ws, period, cal.deadline, fates=("late",))
        echo(
            f"（模拟：{len(fates['late'])} 个单位在截止后才交回，{len(fates['missing'])} 个单位一直未交）"
        )
        if due["逾期"] < due["report"]:  # the 逾期 mail on its day, the report after it
            run(due["逾期"])
        for line in demo_changes(app, period, due["report"]):
            echo(line)
        run(due["report"])
        with app.ledger() as ledger:
            status = period_status(app.settings, a, ledger, period, now=due["report"])
        returned = [u for u in status.units if u.state == ReturnState.REJECTED]
        if returned:  # a heading: the lines below say whose form is still refused and why
            echo(f"{period.full_label}被退回、截至报告日仍未重新报送的单位 {len(returned)} 个：")
        for u in returned:
            echo(f"  退回 {u.unit}：" + "；".join(p.split("：", 1)[-1] for p in u.problems[:2]))
        out.periods.append(str(period))
        out.fates[str(period)] = fates
        _collect_paths(out, ws, period)

    q1, q2 = (QuarterResult.load(ws.merged_json(p)) for p in PERIODS[:2])
    for line in quarter_change(q1, q2).lines():
        echo(line)
    # the Q4 report step above rendered the annual edition and the year workbook beside it
    out.paths["全年汇总表"] = ws.year_workbook(PERIODS[-1].year)
    if ws.year_dashboard(PERIODS[-1].year).exists():
        out.paths["全年看板（用浏览器打开）"] = ws.year_dashboard(PERIODS[-1].year)
    out.paths["发件箱（模拟邮件）"] = app.settings.smtp.outbox
    return out


def _collect_paths(out: DemoOutcome, ws, period: Period) -> None:
    label = period.label
    report_dir = ws.report_dir(period)
    docs = sorted(p for p in report_dir.glob(f"{period}_*报告.docx"))
    if docs:
        out.paths[f"{label}报告"] = docs[0]
        pdf = docs[0].with_suffix(".pdf")
        if pdf.exists():
            out.paths[f"{label}报告 PDF"] = pdf
    out.paths[f"{label}汇总表"] = ws.merged_xlsx(period)
    if ws.dashboard(period).exists():
        out.paths[f"{label}看板（用浏览器打开）"] = ws.dashboard(period)
    out.paths[f"{label}表单目录"] = ws.forms_dir(period)
    out.paths[f"{label}催报清单目录"] = ws.reminders_dir(period)
