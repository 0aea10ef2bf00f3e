"""``duban demo``: the whole quarter cycle on the bundled data, in a throw-away workspace.

Runs 2024Q1 on a simulated clock (forms on the 通知 day, returns before and after the
deadline, reminders to an outbox and a 催报 list, collect, report), then 2024Q2 to show
pre-fill and the change from one quarter to the next. No mail leaves the machine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from reporting.calendar import TZ, period_calendar
from reporting.exceptions import DubanError
from reporting.periods import Period

MARKER = ".duban-demo"  # only a folder with this marker is ever emptied by the demo


@dataclass
class DemoOutcome:
    root: Path
    periods: list[str] = field(default_factory=list)
    fates: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # period → fate → units
    paths: dict[str, Path] = field(default_factory=dict)  # what to open, by Chinese label
    pdf_note: str = ""


def prepare(root: Path) -> None:
    root = root.resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise DubanError(f"目录 {root} 不是空目录，也不是以前的演示目录；请换一个目录，或先清空它")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("duban demo workspace; safe to delete\n", encoding="utf-8")


def at(day, hhmm: str = "09:00") -> datetime:
    hh, mm = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hh, mm), tzinfo=TZ)


def run_demo(app, root: Path, *, pdf: bool = True, echo: Callable[[str], None] = print) -> DemoOutcome:
    """Run 2024Q1 and 2024Q2 end to end in ``root`` with simulated returns."""
    from reporting.forms import build_forms
    from reporting.intake import collect
    from reporting.office import soffice_path
    from reporting.remind import send_reminders
    from reporting.report import render_report
    from reporting.sample import simulate_returns
    from reporting.status import period_status

    root = Path(root).resolve()
    prepare(root)
    settings = app.settings
    settings.paths.data_dir = root
    settings.smtp.outbox = root / "outbox"
    settings.smtp.host = ""
    settings.webhook.wecom_url = settings.webhook.dingtalk_url = ""
    app.__dict__.pop("workspace", None)  # rebuilt for the new data dir
    ws, a = app.workspace, app.assignments
    out = DemoOutcome(root)
    with_pdf = pdf and soffice_path() is not None
    if pdf and not with_pdf:
        out.pdf_note = "未安装 LibreOffice，跳过 PDF（安装后重新运行可得到 PDF）"

    for period in (Period(2024, 1), Period(2024, 2)):
        cal = period_calendar(period, settings.deadline)
        echo(f"—— {period.full_label}：截止 {cal.deadline:%Y-%m-%d %H:%M}（示例数据）")
        with app.ledger() as ledger:
            forms = build_forms(settings, a, ws, period, ledger=ledger, now=at(cal.stages["通知"]))
            echo(f"生成表单：{len(forms.built)} 个单位")
            for line in forms.lines():
                if "预填" in line:
                    echo(line)
            notice = send_reminders(
                settings, a, ws, period, stage="通知", channels=("email",), today=cal.stages["通知"], ledger=ledger
            )
            echo(f"下发通知：{notice.sent} 封邮件写入发件箱 {settings.smtp.outbox}")
            # on-time and rejected returns arrive before the deadline, late ones after it
            fates = simulate_returns(a, ws, period, cal.deadline, fates=("on_time", "rejected"))
            urge_day = cal.stages["催报"]
            collect(settings, a, ws, period, now=at(urge_day, "08:00"), ledger=ledger)
            urge = send_reminders(
                settings, a, ws, period, stage="催报", channels=("email", "list"), today=urge_day, ledger=ledger
            )
            echo(f"催报：{len(urge.recipients)} 个单位（邮件写入发件箱，并生成催报清单）")
            simulate_returns(a, ws, period, cal.deadline, fates=("late",))
            summary = collect(settings, a, ws, period, now=at(cal.report_day, "08:30"), ledger=ledger)
            echo(summary.lines()[-2])
            send_reminders(
                settings, a, ws, period, stage="逾期", channels=("list",), today=cal.stages["逾期"], ledger=ledger
            )
            status = period_status(settings, a, ledger, period, now=at(cal.report_day, "09:00"))
        report = render_report(settings, ws, period, pdf=with_pdf, today=cal.report_day, assignments=a)
        out.periods.append(str(period))
        out.fates[str(period)] = fates
        counts = status.counts()
        echo(
            f"报送：按时 {counts.get('on_time', 0)}，逾期 {counts.get('late', 0)}，"
            f"退回 {counts.get('rejected', 0)}，未报 {counts.get('missing', 0)}"
        )
        for u in status.units:
            if u.state == "rejected":
                echo(f"退回 {u.unit}：" + "；".join(p.split("：", 1)[-1] for p in u.problems[:2]))
        label = period.label
        out.paths[f"{label}报告"] = report.docx
        if report.pdf:
            out.paths[f"{label}报告 PDF"] = report.pdf
        out.paths[f"{label}汇总表"] = ws.merged_xlsx(period)
        out.paths[f"{label}表单目录"] = ws.forms_dir(period)
        out.paths[f"{label}催报清单目录"] = ws.reminders_dir(period)
    out.paths["发件箱（模拟邮件）"] = settings.smtp.outbox
    from reporting.compare import quarter_change
    from reporting.model import QuarterResult

    q1, q2 = (QuarterResult.load(ws.merged_json(Period.parse(p))) for p in out.periods)
    for line in quarter_change(q1, q2).lines():
        echo(line)
    return out
