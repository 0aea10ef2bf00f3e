"""``duban schedule``: the plan, a quarter under a controlled clock, restarts, locks, --once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED

from jobs import scheduler, steps
from jobs.fakeclock import FakeClock, simulate
from reporting.core.calendar import is_workday
from reporting.core.lock import FileLock

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
Q1 = "2024Q1"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


class Recorder:
    def __init__(self):
        self.calls: list[tuple[str, datetime]] = []
        self.failures: dict[str, int] = {}  # step → how many more calls fail

    def make(self, step):
        def run(app, period, now):
            self.calls.append((step, now.replace(microsecond=0)))
            if self.failures.get(step):
                self.failures[step] -= 1
                raise OSError(f"{step} 的服务器暂时连不上")
            return None

        return run

    def times(self, step) -> list[datetime]:
        return [n for s, n in self.calls if s == step]


@pytest.fixture
def rec(monkeypatch) -> Recorder:
    r = Recorder()
    for name in steps.ORDER:
        monkeypatch.setitem(steps.STEPS, name, r.make(name))
    return r


def drive(app, start: datetime, until: datetime, fired: list | None = None) -> None:
    """Days pass in seconds: the real scheduler on a clock jumping between fire times."""
    clock = FakeClock(start)
    listeners = []
    if fired is not None:
        listeners.append((lambda e: fired.append((e.job_id, clock.t)), EVENT_JOB_EXECUTED))
    simulate(lambda: app, clock, until, years=[2024], listeners=listeners)


def log_text(app) -> str:
    return (app.workspace.logs_dir / scheduler.LOG_FILE).read_text(encoding="utf-8")


def hourly(first: datetime, last: datetime) -> list[datetime]:
    out = []
    while first <= last:
        out.append(first)
        first += timedelta(hours=1)
    return out


# -- the plan ----------------------------------------------------------------------------

# computed by hand from the 2024 official schedule: deadline = 5th working day after the
# quarter's end at 17:30; 通知/提醒/催报 5/3/1 working days before; 逾期 on the next
# working day and the report on the one after (Q3: 逾期 Mon 10/14, the report Tue 10/15;
# Q4: 逾期 Thu 2025-01-09, the report Fri 01-10); everything at 09:00 except 配合反馈 (coop), due at the cooperating
# units' deadline, 2 working days before the deadline at 17:30
PLAN_2024 = """
2024-03-29T09:00:00+08:00 2024Q1 通知
2024-03-29T09:00:00+08:00 2024Q1 collect
2024-04-02T09:00:00+08:00 2024Q1 提醒
2024-04-03T17:30:00+08:00 2024Q1 coop
2024-04-07T09:00:00+08:00 2024Q1 催报
2024-04-09T09:00:00+08:00 2024Q1 逾期
2024-04-10T09:00:00+08:00 2024Q1 report
2024-06-28T09:00:00+08:00 2024Q2 通知
2024-06-28T09:00:00+08:00 2024Q2 collect
2024-07-02T09:00:00+08:00 2024Q2 提醒
2024-07-03T17:30:00+08:00 2024Q2 coop
2024-07-04T09:00:00+08:00 2024Q2 催报
2024-07-08T09:00:00+08:00 2024Q2 逾期
2024-07-09T09:00:00+08:00 2024Q2 report
2024-09-30T09:00:00+08:00 2024Q3 通知
2024-09-30T09:00:00+08:00 2024Q3 collect
2024-10-09T09:00:00+08:00 2024Q3 提醒
2024-10-10T17:30:00+08:00 2024Q3 coop
2024-10-11T09:00:00+08:00 2024Q3 催报
2024-10-14T09:00:00+08:00 2024Q3 逾期
2024-10-15T09:00:00+08:00 2024Q3 report
2024-12-31T09:00:00+08:00 2024Q4 通知
2024-12-31T09:00:00+08:00 2024Q4 collect
2025-01-03T09:00:00+08:00 2024Q4 提醒
2025-01-06T17:30:00+08:00 2024Q4 coop
2025-01-07T09:00:00+08:00 2024Q4 催报
2025-01-09T09:00:00+08:00 2024Q4 逾期
2025-01-10T09:00:00+08:00 2024Q4 report
"""


def plan_rows(out: str) -> list[str]:
    return [" ".join(line.split()[:3]) for line in out.splitlines()]


def test_plan_2024_matches_dates_computed_by_hand(duban):
    r = duban("schedule", "--plan", "--year", "2024")
    assert r.code == 0, r.output
    assert plan_rows(r.out) == PLAN_2024.split("\n")[1:-1]
    lines = r.out.splitlines()
    # 2024-03-31 is a Sunday: Q1 closes on a rest day and 清明 (4/4–4/6) pushes the deadline
    # to 4/8; the 催报 falls on Sunday 4/7, a working day in lieu
    assert lines[4].endswith("催报未交单位  2024年4月7日 星期日（调休上班）")
    # 4/4–4/6 are 清明 holidays: two working days before 4/8 is Wednesday 4/3
    assert lines[3].endswith("配合单位反馈汇编发给牵头单位  2024年4月3日 星期三")
    # 2024-06-30 is a Sunday as well: 5 working days after it is Friday 7/5
    assert "到报告生成为止（2024-04-10T09:00:00+08:00）" in lines[1]
    assert "最迟到 2024-04-17T09:00:00+08:00" in lines[1]  # retries if the report fails
    assert "到报告生成为止（2024-07-09T09:00:00+08:00）" in lines[8]
    assert "[已完成]" not in r.out


def test_plan_puts_a_stage_on_the_working_sunday_2024_09_29(duban, monkeypatch):
    # quarter-end deadlines: Q1 and Q2 end on Sundays, so they are due the Friday before;
    # Q3's 催报 (1 working day before Monday 9/30) is Sunday 9/29, a working day in lieu
    monkeypatch.setenv("DUBAN_DEADLINE_RULE", "last_workday_of_quarter")
    r = duban("schedule", "--plan", "--year", "2024")
    assert r.code == 0, r.output
    rows = plan_rows(r.out)
    for expected in (
        "2024-03-28T09:00:00+08:00 2024Q1 催报",
        "2024-04-01T09:00:00+08:00 2024Q1 逾期",  # 3/29 is the deadline, 3/30–31 a weekend
        "2024-04-02T09:00:00+08:00 2024Q1 report",
        "2024-06-27T09:00:00+08:00 2024Q2 催报",
        "2024-07-01T09:00:00+08:00 2024Q2 逾期",
        "2024-07-02T09:00:00+08:00 2024Q2 report",
        "2024-09-24T09:00:00+08:00 2024Q3 通知",
        "2024-09-26T09:00:00+08:00 2024Q3 提醒",
        "2024-09-29T09:00:00+08:00 2024Q3 催报",
        "2024-10-08T09:00:00+08:00 2024Q3 逾期",  # 10/1–10/7 National Day
        "2024-10-09T09:00:00+08:00 2024Q3 report",
    ):
        assert expected in rows
    assert not any(r.startswith(("2024-09-28", "2024-10-0" + d)) for r in rows for d in "1234567")


def test_the_bulletin_is_planned_after_each_report_only_when_auto(duban, monkeypatch):
    monkeypatch.setenv("DUBAN_BULLETIN_AUTO", "true")
    r = duban("schedule", "--plan", "--year", "2024")
    assert r.code == 0, r.output
    expected = []
    for row in PLAN_2024.split("\n")[1:-1]:
        expected.append(row)
        if row.endswith(" report"):
            expected.append(row.replace(" report", " bulletin"))
    assert plan_rows(r.out) == expected
    assert "生成督查通报（[bulletin] send 开启时同时发给各单位）" in r.out


def test_plan_marks_finished_jobs_and_rejects_a_bad_interval(app, duban, monkeypatch):
    with app.ledger() as ledger:
        ledger.mark_step(Q1, "通知", at="2024-03-29T09:00:00+08:00")
        ledger.mark_step(Q1, "report", at="2024-04-09T09:00:00+08:00")
    out = duban("schedule", "--plan").out.splitlines()
    assert out[0].endswith("[已完成]") and out[1].endswith("[已完成]")  # 通知, collect window
    assert not out[2].endswith("[已完成]")
    monkeypatch.setenv("DUBAN_SCHEDULE_COLLECT_EVERY_HOURS", "0")
    r = duban("schedule", "--plan")
    assert r.code == 1
    assert "collect_every_hours = 0 无效" in r.err


# -- a quarter under a controlled clock ----------------------------------------------------


def test_a_whole_quarter_runs_every_job_once_on_its_working_day(app, rec):
    app.settings.bulletin.auto = True  # the 督查通报 follows the report
    fired: list[tuple[str, datetime]] = []
    drive(app, at("2024-03-28T00:00"), at("2024-04-12T00:00"), fired)

    once = {s: rec.times(s) for s in steps.ORDER if s != "collect"}
    assert once == {
        "forms": [at("2024-03-29T09:00")],
        "通知": [at("2024-03-29T09:00")],
        "提醒": [at("2024-04-02T09:00")],
        "coop": [at("2024-04-03T17:30")],
        "催报": [at("2024-04-07T09:00")],
        "逾期": [at("2024-04-09T09:00")],
        "report": [at("2024-04-10T09:00")],
        "bulletin": [at("2024-04-10T09:00")],
    }
    assert [s for s, _ in rec.calls if s != "collect"][-2:] == ["report", "bulletin"]
    assert all(is_workday(t[0].date()) for t in once.values())
    # collect every hour of the window (also run first by the stage jobs, never after the report)
    # (and by the 配合反馈 job at the cooperating units' deadline, 17:30)
    assert sorted(set(rec.times("collect"))) == sorted(
        hourly(at("2024-03-29T09:00"), at("2024-04-10T09:00")) + [at("2024-04-03T17:30")]
    )
    jobs = {}
    for job_id, _ in fired:
        jobs[job_id] = jobs.get(job_id, 0) + 1
    assert jobs == {
        "2024Q1.notice": 1,
        "2024Q1.remind": 1,
        "2024Q1.urge": 1,
        "2024Q1.coop": 1,
        "2024Q1.overdue": 1,
        "2024Q1.report": 1,
        "2024Q1.bulletin": 1,  # fires, finds it done by the report job: runs nothing
        # hourly until the end of the run; after the report it has nothing to do
        "2024Q1.collect": len(hourly(at("2024-03-29T09:00"), at("2024-04-12T00:00"))),
    }
    with app.ledger() as ledger:
        assert ledger.step_done(Q1, "催报")["done_at"] == "2024-04-07T09:00:00+08:00"
        assert ledger.step_done(Q1, "report")["done_at"] == "2024-04-10T09:00:00+08:00"
    log = log_text(app)
    assert "信息 执行 2024Q1 催报（2024-04-07T09:00:00+08:00）" in log
    assert "信息 执行 2024Q1 回收报表（2024-04-11T09:00" not in log  # idle fires stay quiet

    # a restart after the quarter finds nothing left to do for it
    calls = len(rec.calls)
    fired.clear()
    drive(app, at("2024-04-12T00:00"), at("2024-05-01T00:00"), fired)
    assert len(rec.calls) == calls and fired == []


def test_a_job_missed_while_down_runs_once_on_restart(app, rec):
    fired: list[tuple[str, datetime]] = []
    drive(app, at("2024-03-28T00:00"), at("2024-04-01T12:00"), fired)
    assert rec.times("通知") == [at("2024-03-29T09:00")]
    # down from 4/1 12:00 to 4/3 10:30: the 4/2 提醒 is late but within the grace days
    drive(app, at("2024-04-03T10:30"), at("2024-04-10T00:00"), fired)
    assert rec.times("提醒") == [at("2024-04-03T10:30")]
    assert rec.times("催报") == [at("2024-04-07T09:00")]
    assert rec.times("通知") == [at("2024-03-29T09:00")]  # not again after the restart
    collects = set(rec.times("collect"))
    assert not any(at("2024-04-01T12:00") < t < at("2024-04-03T10:30") for t in collects)
    assert at("2024-04-03T11:00") in collects
    assert [j for j, _ in fired].count("2024Q1.remind") == 1
    assert "接下来：" in log_text(app)


def test_jobs_missed_beyond_the_grace_days_are_reported_not_run(app, rec):
    drive(app, at("2024-04-20T00:00"), at("2024-05-01T00:00"))
    assert rec.calls == []
    assert (
        "警告 2024Q1 的 下发通知、提醒、配合反馈、催报、逾期催报、生成报告 已错过超过 7 天，不再自动补做；"
        "如仍需要，请运行 duban run --period 2024Q1"
    ) in log_text(app)


def test_a_failing_job_is_logged_with_its_cause_and_retried_at_the_next_fire(app, rec):
    rec.failures["通知"] = 2  # the 通知 job and the collect job at 09:00 both fail
    drive(app, at("2024-03-29T08:00"), at("2024-03-29T12:00"))
    assert rec.times("通知") == [at("2024-03-29T09:00")] * 2 + [at("2024-03-29T10:00")]
    assert rec.times("collect")[:2] == [
        at("2024-03-29T09:00"),
        at("2024-03-29T10:00"),
    ]  # not blocked
    log = log_text(app)
    assert "错误 2024Q1 下发通知失败：程序内部出错（OSError: 通知 的服务器暂时连不上）" in log
    assert "Traceback" in log  # the file keeps the details
    with app.ledger() as ledger:
        assert ledger.step_done(Q1, "通知")["done_at"] == "2024-03-29T10:00:00+08:00"


def test_a_failed_report_is_retried_by_the_hourly_job(app, rec):
    with app.ledger() as ledger:
        for step in ("forms", "通知", "提醒", "催报"):
            ledger.mark_step(Q1, step, at="2024-03-29T09:00:00+08:00")
    rec.failures["report"] = 2  # the report job and the hourly job at 09:00
    drive(app, at("2024-04-09T08:30"), at("2024-04-10T13:00"))
    assert rec.times("report") == [at("2024-04-10T09:00")] * 2 + [at("2024-04-10T10:00")]
    assert max(rec.times("collect")) == at("2024-04-10T10:00")  # no collecting after the report
    assert rec.times("逾期") == [at("2024-04-09T09:00")]
    assert (
        log_text(app).count(
            "错误 2024Q1 生成报告失败：程序内部出错（OSError: report 的服务器暂时连不上）"
        )
        == 2
    )


def test_once_runs_what_is_due_now_and_logs_it(duban, app, rec, monkeypatch):
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-03-29T09:30:00+08:00")
    r = duban("schedule", "--once")
    assert r.code == 0, r.output
    assert "2024年第一季度（2024Q1）  现在 2024-03-29 09:30" in r.out
    assert [s for s, _ in rec.calls] == ["forms", "通知", "collect"]
    assert "下一个排程任务：2024-03-29T10:00:00+08:00  2024Q1 回收报表" in r.out
    r = duban("schedule", "--once")
    assert "生成表单：已完成过（2024-03-29 09:30）" in r.out
    assert [s for s, _ in rec.calls].count("forms") == 1
    assert "duban schedule --once（2024-03-29T09:30" in log_text(app)

    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-05-15T10:00:00+08:00")
    r = duban("schedule", "--once")
    assert r.code == 0
    assert "现在不在任何季度的报送周期内，没有需要执行的步骤。" in r.out
    assert "下一个排程任务：2024-06-28T09:00:00+08:00  2024Q2 下发通知" in r.out


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    path = tmp_path / "scheduler.lock"
    path.write_text("999999\n", encoding="ascii")
    lock = FileLock(path)
    assert lock.acquire()
    assert lock.previous_pid == 999999
    assert path.read_text(encoding="ascii").splitlines()[0] == f"{os.getpid()}"
    assert lock.held_by() == os.getpid()
    lock.release()
    assert path.read_text(encoding="ascii") == ""
    other = FileLock(path)
    assert other.acquire()
    other.release()


# -- real processes ------------------------------------------------------------------------

WRAPPER = """
import os, sys, time
from jobs import steps

LOG = os.environ["TEST_STEP_LOG"]
SLOW = os.environ.get("TEST_SLOW_STEP", "")


def make(step):
    def run(app, period, now):
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(f"start {step} {period} {now.isoformat(timespec='seconds')} {os.getpid()}\\n")
        if step == SLOW:
            time.sleep(2)
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(f"end {step} {period}\\n")
    return run


for name in steps.ORDER:
    steps.STEPS[name] = make(name)

from jobs.cli import main

main(sys.argv[1:])
"""


class Proc:
    """``duban schedule`` in a real process, its steps replaced by ones that write a log."""

    def __init__(self, tmp_path: Path, data: Path, fake_now: str, slow: str = ""):
        wrapper = tmp_path / "duban_with_logged_steps.py"
        wrapper.write_text(WRAPPER, encoding="utf-8")
        self.step_log = tmp_path / "steps.log"
        self.out_path = tmp_path / f"out-{time.monotonic_ns()}.txt"
        self.out = open(self.out_path, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        env = {
            **os.environ,
            "DUBAN_FAKE_NOW": fake_now,
            "TEST_STEP_LOG": str(self.step_log),
            "TEST_SLOW_STEP": slow,
        }
        argv = [
            sys.executable,
            str(wrapper),
            "--config",
            str(ROOT / "config.toml"),
            "--data-dir",
            str(data),
            "schedule",
        ]
        self.p = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self.out, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        return self.out_path.read_text(encoding="utf-8")

    def wait_for(self, predicate, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.p.poll() is not None:
                pytest.fail(
                    f"scheduler exited ({self.p.returncode}) before {what}:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                self.p.kill()
                pytest.fail(f"timed out waiting for {what}:\n{self.output()}")
            time.sleep(0.05)

    def ready(self) -> None:
        self.wait_for(
            lambda: "接下来：" in self.output() or "没有待执行" in self.output(), "start-up"
        )

    def stop(self, sig=signal.SIGTERM) -> int:
        self.p.send_signal(sig)
        code = self.p.wait(timeout=60)
        self.out.close()
        return code

    def steps(self) -> list[str]:
        return (
            self.step_log.read_text(encoding="utf-8").splitlines() if self.step_log.exists() else []
        )


def test_killed_before_a_due_job_and_restarted_after_it_runs_the_job_once(tmp_path, data_dir):
    first = Proc(tmp_path, data_dir, "2024-03-29T08:59:40+08:00")
    first.ready()
    assert "2024-03-29T09:00:00+08:00  2024Q1 下发通知" in first.output()
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    assert first.steps() == []
    assert (data_dir / "scheduler.lock").read_text().split()[0] == str(first.p.pid)  # left behind

    # restarted after the fire time: the job runs at once; SIGTERM during its first step
    # lets the job finish before the process exits
    second = Proc(tmp_path, data_dir, "2024-03-29T09:00:30+08:00", slow="forms")
    second.wait_for(
        lambda: any(s.startswith("start forms") for s in second.steps()), "the notice job"
    )
    assert second.stop() == 0
    out = second.output()
    assert f"上次的排程进程（进程号 {first.p.pid}）没有正常退出，已接管它留下的锁" in out
    assert "收到停止信号（SIGTERM），正在执行的任务结束后退出" in out
    assert "排程进程已停止" in out
    assert [s.split()[:2] for s in second.steps()] == [
        ["start", "forms"],
        ["end", "forms"],
        ["start", "通知"],
        ["end", "通知"],
    ]

    third = Proc(tmp_path, data_dir, "2024-03-29T09:05:00+08:00")
    third.ready()
    assert "2024-03-29T10:00:00+08:00  2024Q1 回收报表" in third.output()
    assert third.stop() == 0
    assert sum(s.startswith("start 通知") for s in third.steps()) == 1  # exactly once in all
    import sqlite3

    con = sqlite3.connect(data_dir / "ledger.sqlite")
    done = dict(con.execute("SELECT step, done_at FROM steps WHERE period = '2024Q1'").fetchall())
    con.close()
    assert set(done) == {"forms", "通知"}
    # done by the second process, which started at 09:00:30 (its clock runs in real time:
    # how many seconds the step took depends on the machine's load)
    assert "2024-03-29T09:00:30" <= done["通知"][:19] < "2024-03-29T09:05:00"
    assert (data_dir / "scheduler.lock").read_text() == ""
    log = (data_dir / "logs" / "schedule.log").read_text(encoding="utf-8")
    assert log.count("下发通知：完成") == 1


def test_a_second_scheduler_on_the_same_data_dir_refuses(tmp_path, data_dir, duban):
    first = Proc(tmp_path, data_dir, "2024-05-01T10:00:00+08:00")
    first.ready()
    try:
        r = duban("schedule")
        assert r.code == 1
        assert r.err.startswith(
            f"错误：数据目录 {data_dir} 已有一个排程进程在运行（进程号 {first.p.pid}）"
        )
        assert "同一数据目录只能运行一个" in r.err
        assert duban("schedule", "--once").code == 1
        assert duban("schedule", "--plan").code == 0  # looking is always allowed
        assert f"排程进程：运行中（进程号 {first.p.pid}）" in duban("status").out
    finally:
        assert first.stop(signal.SIGINT) == 0
    assert "收到停止信号（SIGINT）" in first.output()


def test_a_first_once_beyond_the_grace_says_the_quarter_was_never_started(
    duban, app, rec, monkeypatch
):
    """The scheduler is set up on 05-20: 2024Q1's window closed more than the grace ago and
    nothing of it was ever done. ``--once`` and ``status`` say so, nothing runs."""
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-05-20T10:00:00+08:00")
    r = duban("schedule", "--once")
    assert r.code == 0, r.output
    assert rec.calls == []
    note = (
        "2024Q1 的 下发通知、提醒、配合反馈、催报、逾期催报、生成报告 已错过超过 7 天，不再自动补做；"
        "如仍需要，请运行 duban run --period 2024Q1。2024年第一季度从未开始：没有生成表单、没有发通知，"
        "也没有生成报告"
    )
    assert f"提示：{note}" in r.out
    s = duban("status")
    assert note in s.out, s.out
