"""``duban run``: due-and-not-done steps in order, with reasons, idempotent, failures isolated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from docx import Document

from jobs import steps
from jobs.runner import run_cycle
from reporting.core.exceptions import LockedError, NotifyError, SchedulerError
from reporting.core.periods import Period

TZ = ZoneInfo("Asia/Shanghai")
Q1 = "2024Q1"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class FakeSummary:
    text: str
    failed: int = 0

    def lines(self) -> list[str]:
        return [self.text]


class Steps:
    """Replaces every step: records (step, now) and can be told to fail."""

    def __init__(self):
        self.calls: list[tuple[str, datetime]] = []
        self.behaviour: dict[str, object] = {}  # step → exception to raise or summary to return

    def names(self) -> list[str]:
        return [s for s, _ in self.calls]

    def make(self, step):
        def run(app, period, now):
            self.calls.append((step, now))
            outcome = self.behaviour.get(step)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome or FakeSummary(f"{step} 已做")

        return run


@pytest.fixture
def fake(monkeypatch) -> Steps:
    rec = Steps()
    for name in steps.ORDER:
        monkeypatch.setitem(steps.STEPS, name, rec.make(name))
    return rec


def done_at(app, step: str) -> str | None:
    with app.ledger() as ledger:
        row = ledger.step_done(Q1, step)
    return row["done_at"] if row else None


def test_nothing_runs_before_the_notice_moment(app, fake):
    report = run_cycle(app, Q1, now=at("2024-03-29T08:59"))
    assert fake.calls == []
    assert {r.state for r in report.results} == {"waiting"}
    assert report.by_step("forms").reason == "2024年3月29日 星期五 09:00 起"
    assert report.by_step("催报").reason == "2024年4月7日 星期日（调休上班） 09:00 起"
    assert "现在没有需要执行的步骤。" in report.lines()


def test_notice_day_runs_forms_notice_and_collect_once(app, fake):
    report = run_cycle(app, Q1, now=at("2024-03-29T09:00"))
    assert fake.names() == ["forms", "通知", "collect"]
    assert [r.state for r in report.results] == [
        "ran",
        "ran",
        "ran",
        "waiting",
        "waiting",
        "waiting",  # 配合反馈 at the cooperating units' deadline
        "waiting",
        "waiting",
    ]
    assert done_at(app, "通知") == "2024-03-29T09:00:00+08:00"
    assert done_at(app, "提醒") is None
    text = "\n".join(report.lines())
    assert "  下发通知：完成\n      通知 已做" in text
    assert "本次执行 3 步，失败 0 步。" in text

    again = run_cycle(app, Q1, now=at("2024-03-29T10:00"))
    assert fake.names() == ["forms", "通知", "collect", "collect"]  # collect repeats, the rest not
    assert again.by_step("forms").text() == "生成表单：已完成过（2024-03-29 09:00）"
    assert done_at(app, "collect") == "2024-03-29T10:00:00+08:00"


def test_daily_runs_through_a_quarter_do_each_step_once_on_its_day(app, fake):
    day = at("2024-03-27T09:30")
    while day < at("2024-04-12T00:00"):
        run_cycle(app, Q1, now=day)
        day += timedelta(days=1)
    once = {s: n.date().isoformat() for s, n in fake.calls if s != "collect"}
    assert [s for s, _ in fake.calls if s != "collect"] == [
        "forms",
        "通知",
        "提醒",
        "coop",
        "催报",
        "逾期",
        "report",
    ]
    assert once == {
        "forms": "2024-03-29",
        "通知": "2024-03-29",
        "提醒": "2024-04-02",
        "coop": "2024-04-04",  # due 4/3 17:30 (coop_days = 2): the next daily run
        "催报": "2024-04-07",  # a Sunday made a working day after 清明
        "逾期": "2024-04-09",
        "report": "2024-04-10",  # a working day after 逾期: late units have a day to report
    }
    collects = [n.date().isoformat() for s, n in fake.calls if s == "collect"]
    assert (
        collects[0] == "2024-03-29" and collects[-1] == "2024-04-10"
    )  # closed once the report is out
    assert len(collects) == 13  # every day from 3/29 to 4/10
    late = run_cycle(app, Q1, now=at("2024-04-15T09:30"))
    assert "duban collect --period 2024Q1" in late.by_step("collect").reason


def test_catching_up_after_downtime_does_not_flood_units(app, fake):
    # first run on the 催报 day: the notice goes out, 提醒 is folded into 催报, and no
    # second message the same day
    first = run_cycle(app, Q1, now=at("2024-04-07T10:00"))
    assert fake.names() == ["forms", "通知", "collect"]
    assert first.by_step("提醒").text() == "提醒：跳过（已到催报时间，提醒并入催报，不再单独发送）"
    assert first.by_step("催报").reason == "通知今天才补发，今天不再发催报"
    assert first.by_step("coop").reason == "通知今天才补发，今天不汇编配合反馈"
    run_cycle(app, Q1, now=at("2024-04-08T09:00"))
    # collect first: who returned is not chased, and the partners' feedback is complete
    assert fake.names()[-3:] == ["collect", "催报", "coop"]
    run_cycle(app, Q1, now=at("2024-04-09T09:00"))
    assert fake.names()[-2:] == ["collect", "逾期"]
    run_cycle(app, Q1, now=at("2024-04-10T09:00"))
    assert fake.names()[-2:] == ["collect", "report"]
    assert fake.names().count("提醒") == 0


def test_after_the_deadline_only_the_overdue_stage_is_sent(app, fake):
    report = run_cycle(app, Q1, now=at("2024-04-08T18:00"))
    assert fake.names() == ["forms", "通知", "collect"]
    for stage in ("提醒", "催报"):
        assert report.by_step(stage).reason.startswith("已过报送截止时间")
    assert report.by_step("逾期").state == "waiting"


def test_a_failing_step_is_reported_and_retried_while_others_go_on(app, fake):
    fake.behaviour["通知"] = NotifyError(
        "没有配置邮件服务器：请在 config.toml 的 [smtp] 中填写 host"
    )
    report = run_cycle(app, Q1, now=at("2024-04-02T09:00"))
    assert fake.names() == ["forms", "通知", "collect"]
    notice = report.by_step("通知")
    assert notice.state == "failed" and "[smtp]" in notice.reason
    assert report.by_step("提醒").reason == "通知还没有发出"
    assert done_at(app, "通知") is None
    text = "\n".join(report.lines())
    assert "下发通知：失败（没有配置邮件服务器" in text
    assert "本次执行 2 步，失败 1 步。" in text
    assert "duban run --period 2024Q1" in text

    del fake.behaviour["通知"]
    retry = run_cycle(app, Q1, now=at("2024-04-02T10:00"))
    assert retry.by_step("通知").state == "ran"
    assert retry.by_step("提醒").reason == "通知今天才补发，今天不再发提醒"


def test_an_unexpected_error_names_its_cause_and_keeps_the_traceback(app, fake):
    fake.behaviour["forms"] = RuntimeError("disk on fire")
    report = run_cycle(app, Q1, now=at("2024-03-29T09:00"))
    forms = report.by_step("forms")
    assert forms.state == "failed"
    assert "程序内部出错（RuntimeError: disk on fire）" in forms.reason
    assert "Traceback" in forms.detail
    assert report.by_step("通知").reason.startswith("表单还没有生成")
    assert report.by_step("collect").state == "ran"


def test_partial_sends_leave_the_step_open_for_a_retry(app, fake):
    fake.behaviour["通知"] = FakeSummary("邮件：已发送 48，失败 2", failed=2)
    report = run_cycle(app, Q1, now=at("2024-03-29T09:00"))
    assert report.by_step("通知").text() == "下发通知：未全部完成（2 项未成功，下次运行时重试）"
    assert report.by_step("通知").lines == ["邮件：已发送 48，失败 2"]
    assert done_at(app, "通知") is None
    fake.behaviour["通知"] = FakeSummary("邮件：已发送 2，此前已发送 48")
    run_cycle(app, Q1, now=at("2024-03-29T10:00"))
    assert done_at(app, "通知") == "2024-03-29T10:00:00+08:00"


def test_a_failed_collect_holds_back_reminders_and_the_report(app, fake):
    with app.ledger() as ledger:
        for step in ("forms", "通知"):
            ledger.mark_step(Q1, step, at="2024-03-29T09:00:00+08:00")
    fake.behaviour["collect"] = OSError("inbox unreadable")
    report = run_cycle(app, Q1, now=at("2024-04-10T09:00"))  # the report day
    assert fake.names() == ["collect"]
    assert "暂缓发送" in report.by_step("逾期").reason
    assert report.by_step("coop").reason == "本次回收没有成功，配合反馈暂缓汇编"
    assert report.by_step("report").reason == "本次回收没有成功，报告暂不生成"


def test_the_bulletin_follows_the_report_only_when_auto(app, fake):
    with app.ledger() as ledger:
        for step in ("forms", "通知", "提醒", "coop", "催报"):
            ledger.mark_step(Q1, step, at="2024-03-29T09:00:00+08:00")
    fake.behaviour["report"] = NotifyError("报告模板有误")
    report = run_cycle(app, Q1, now=at("2024-04-10T09:00"))  # the report day
    assert "bulletin" not in [r.step for r in report.results]  # off by default
    app.settings.bulletin.auto = True
    report = run_cycle(app, Q1, now=at("2024-04-10T10:00"))
    assert report.by_step("bulletin").text() == "督查通报：跳过（报告还没有生成，通报在报告之后）"
    del fake.behaviour["report"]
    report = run_cycle(app, Q1, now=at("2024-04-10T11:00"))
    assert fake.names()[-2:] == ["report", "bulletin"]
    assert done_at(app, "bulletin") == "2024-04-10T11:00:00+08:00"
    assert "bulletin" not in fake.names()[:-1]  # never run before the report existed


def test_until_stops_after_the_named_step(app, fake):
    report = run_cycle(app, Q1, now=at("2024-04-09T09:00"), until="通知")
    assert fake.names() == ["forms", "通知"]
    assert [r.step for r in report.results] == ["forms", "通知"]


def test_step_names_a_person_may_type():
    assert steps.step_name("报告") == "report"
    assert steps.step_name("回收") == "collect"
    assert steps.step_name("生成表单") == "forms"
    assert steps.step_name(" 催报 ") == "催报"
    with pytest.raises(SchedulerError, match="不认识的步骤“发报告”，可选：forms、通知、collect"):
        steps.step_name("发报告")


def test_dry_run_shows_the_plan_and_changes_nothing(app, fake):
    report = run_cycle(app, Q1, now=at("2024-04-10T10:00"), dry_run=True)  # the report day
    assert fake.calls == []
    assert done_at(app, "forms") is None
    planned = [r.step for r in report.results if r.state == "planned"]
    assert planned == ["forms", "通知", "collect", "report"]
    assert (
        report.lines()[-1]
        == "试运行，未执行任何步骤。将执行：生成表单、下发通知、回收报表、生成报告。"
    )


HOLD = """
import sys, time
from reporting.core.lock import FileLock
lock = FileLock(sys.argv[1])
assert lock.acquire(command="duban collect --period 2024Q1", started="2024-03-29T08:00:00+08:00")
print("held", flush=True)
time.sleep(60)
"""


def test_a_run_in_progress_elsewhere_blocks_a_second_one(app, fake):
    # another process holds the data dir (a thread here would re-enter the same lock)
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(app.workspace.data_lock)], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline().strip() == b"held"
        with pytest.raises(
            LockedError,
            match=rf"另一个 duban 正在运行（pid {holder.pid}，命令 duban collect --period 2024Q1，"
            r"开始于 2024-03-29T08:00:00\+08:00），请等它结束后再试",
        ):
            run_cycle(app, Q1, now=at("2024-03-29T09:00"), lock_timeout=0.3)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert fake.calls == []
    run_cycle(app, Q1, now=at("2024-03-29T09:00"), lock_timeout=0)
    assert fake.names() == ["forms", "通知", "collect"]


def test_channels_follow_the_configuration(app):
    s = app.settings
    assert steps.reminder_channels(s, "通知") == (
        "email",
    )  # nothing set: email says what is missing
    s.webhook.wecom_url = "http://127.0.0.1:1/robot"
    assert steps.reminder_channels(s, "提醒") == ("webhook",)
    s.smtp.host = "127.0.0.1"
    assert steps.reminder_channels(s, "催报") == ("email", "webhook", "list")


# -- the command -----------------------------------------------------------------------


def test_cli_run_without_period_picks_the_open_cycle(duban, fake, monkeypatch):
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-02T09:30:00+08:00")
    r = duban("run")
    assert r.code == 0, r.output
    assert r.out.startswith(
        "2024年第一季度（2024Q1）  现在 2024-04-02 09:30  报送截止 2024年4月8日 星期一 17:30"
    )
    assert "  生成表单：完成" in r.out
    assert "  提醒：跳过（通知今天才补发，今天不再发提醒）" in r.out
    assert fake.names() == ["forms", "通知", "collect"]

    r = duban("run", "--period", "2024年第一季度", "--dry-run")
    assert r.code == 0
    assert "生成表单：已完成过（2024-04-02 09:30）" in r.out
    assert r.out.rstrip().endswith("试运行，未执行任何步骤。将执行：回收报表。")


def test_cli_run_exits_1_when_a_step_fails(duban, fake, monkeypatch):
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-03-29T09:05:00+08:00")
    fake.behaviour["通知"] = NotifyError("没有配置邮件服务器")
    r = duban("run", "--period", "2024Q1", "--until", "通知")
    assert r.code == 1
    assert "下发通知：失败（没有配置邮件服务器）" in r.out
    assert fake.names() == ["forms", "通知"]


def test_cli_run_rejects_an_unknown_step(duban, fake):
    r = duban("run", "--period", "2024Q1", "--until", "发报告")
    assert r.code == 1
    assert r.err.startswith("错误：不认识的步骤“发报告”")
    assert fake.calls == []


# -- the real steps, end to end ----------------------------------------------------------------


def fill_return(app, unit: str, dest_name: str) -> None:
    """The unit's generated form filled in as a unit would, dropped into the inbox."""
    import random

    from reporting.sample.returns import fill_form, unit_answers

    period = Period.parse(Q1)
    answers = unit_answers(app.assignments, unit, period, random.Random(7))
    header = {
        "filler": "张三",
        "phone": "0552-1234567",
        "approver": "李四",
        "fill_date": "2024年4月1日",
    }
    fill_form(
        app.workspace.form_path(period, unit),
        app.workspace.inbox_dir(period) / dest_name,
        answers,
        header,
    )


def test_a_quarter_with_the_real_steps(duban, app, tmp_path, monkeypatch):
    from reporting.documents.office import soffice_path

    outbox = tmp_path / "outbox"
    monkeypatch.setenv("DUBAN_SMTP_OUTBOX", str(outbox))
    monkeypatch.setenv("DUBAN_BULLETIN_AUTO", "true")  # the 督查通报 follows the report

    notice = f"邮件未实际发出，已写入发件箱目录 {outbox}（[smtp] outbox）。"

    def run_at(moment: str) -> str:
        monkeypatch.setenv("DUBAN_FAKE_NOW", moment)
        r = duban("run")
        assert r.code == 0, r.output
        assert r.out.count(notice) <= 1, r.out  # once a run, however many batches of mail
        return r.out

    out = run_at("2024-03-29T09:00:00+08:00")
    assert "已生成 50 个单位的2024年第一季度进展情况表" in out
    period = Period(2024, 1)
    assert len(list(app.workspace.forms_dir(period).glob("*.xlsx"))) == 50
    assert len(list(outbox.glob("2024Q1_通知_*.eml"))) == 50

    fill_return(app, "区发改委", "发改委报回.xlsx")
    out = run_at("2024-04-02T09:00:00+08:00")
    assert "接收 区发改委：发改委报回.xlsx" in out
    reminded = sorted(p.name for p in outbox.glob("2024Q1_提醒_*.eml"))
    assert len(reminded) == 49 and "2024Q1_提醒_区发改委.eml" not in reminded  # collected first
    assert list(outbox.glob("2024Q1_回执_区发改委_*.eml")) and out.count(notice) == 1

    out = run_at("2024-04-09T09:30:00+08:00")
    assert "  催报：跳过（已过报送截止时间" in out
    assert len(list(outbox.glob("2024Q1_逾期_*.eml"))) == 49
    assert list(app.workspace.reminders_dir(period).glob("2024Q1_催报清单_20240409.*"))
    assert not list(app.workspace.report_dir(period).glob("*.docx"))  # the report day is 4/10

    # a unit told on 4/9 that it is late reports that day: the report the next morning counts it
    fill_return(app, "区财政局", "财政局补报.xlsx")
    out = run_at("2024-04-10T09:30:00+08:00")
    assert "接收 区财政局（逾期）：财政局补报.xlsx" in out
    assert "应报送单位 50 个：按时 1 个，逾期 1 个，退回待重报 0 个，未报送 48 个。" in out
    assert len(list(outbox.glob("2024Q1_逾期_*.eml"))) == 49  # never twice
    docx = list(app.workspace.report_dir(period).glob("*.docx"))
    assert len(docx) == 1 and "第一季度推进情况报告" in docx[0].name
    assert bool(list(app.workspace.report_dir(period).glob("*.pdf"))) == bool(soffice_path())
    bulletin = app.workspace.period_dir(period) / "bulletin" / "2024Q1_督查通报.docx"
    assert "  督查通报：完成" in out and "禹督考〔2024〕1号" in out
    assert "第一季度" in "".join(p.text for p in Document(bulletin).paragraphs)
    mailed = list(outbox.glob("*通报*.eml"))
    assert len(mailed) == (50 if soffice_path() else 0)  # mailed with its PDF, or not at all
    with app.ledger() as ledger:
        done = {s: ledger.step_done(Q1, s)["done_at"] for s in steps.ORDER if s != "催报"}
        assert ledger.step_done(Q1, "催报") is None
    assert done["report"] == done["bulletin"] == "2024-04-10T09:30:00+08:00"
    assert done["逾期"] == "2024-04-09T09:30:00+08:00"
    assert done["提醒"] == "2024-04-02T09:00:00+08:00"

    # running again changes nothing; the overview shows the closed cycle
    out = run_at("2024-04-10T10:00:00+08:00")
    assert "现在没有需要执行的步骤。" in out
    assert len(list(outbox.glob("*通报*.eml"))) == len(mailed)  # never twice
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-10T10:00:00+08:00")
    r = duban("status")
    assert r.code == 0, r.output
    assert r.out.splitlines()[:6] == [
        "当前报送周期：2024年第一季度（2024Q1），现在 2024-04-10 10:00",
        "阶段：报告已生成，本季度流程结束",
        "配合截止：2024年4月3日 星期三 17:30（配合任务表）",
        "牵头截止：2024年4月8日 星期一 17:30（已过截止时间）（牵头任务表）",
        "报送情况：应报 50 个单位，已报回 2 个（已接收 2，退回待重报 0），未报送 48 个",
        "已完成：生成表单（03-29 09:00）、下发通知（03-29 09:00）、回收报表（最近一次 04-10 09:30）、"
        "提醒（04-02 09:00）、配合反馈（04-09 09:30）、逾期催报（04-09 09:30）、生成报告（04-10 09:30）、"
        "督查通报（04-10 09:30）",
    ]
    assert "  2024-06-28T09:00:00+08:00  2024Q2 下发通知" in r.out
    assert "排程进程：没有运行" in r.out


def test_default_period_follows_the_calendar_within_the_configured_years(app):
    from jobs.runner import default_period

    assert default_period(app.settings, at("2024-04-05T10:00")) == Period(
        2024, 1
    )  # Q1 cycle still open
    assert default_period(app.settings, at("2024-05-20T10:00")) == Period(2024, 2)
    assert default_period(app.settings, at("2025-01-03T10:00")) == Period(
        2024, 4
    )  # Q4 is reported in January


def test_default_period_outside_the_configured_years_says_what_to_do(app, duban):
    from jobs.runner import default_period

    with pytest.raises(
        SchedulerError,
        match=r"2026年第三季度，不在配置的报送年度（\[schedule\] years = 2024）内。请用 --period",
    ):
        default_period(app.settings, at("2026-08-03T10:00"))
    r = duban("run", "--dry-run")  # today is not in 2024 either
    assert r.code == 1 and "请用 --period 指定报告期" in r.err


def test_a_step_done_in_another_offset_is_shown_in_the_schedule_zone(app, fake):
    # `duban forms` by hand on a UTC server records the machine's local time
    with app.ledger() as ledger:
        ledger.mark_step(Q1, "forms", at="2024-03-29T01:00:00+00:00")
    report = run_cycle(app, Q1, now=at("2024-03-29T10:00"))
    assert report.by_step("forms").text() == "生成表单：已完成过（2024-03-29 09:00）"
