"""The 落实方案 round from the scheduler and ``duban run`` (``[plan] auto``): each stage at its
moment, the 提醒 only to units without an accepted plan, nothing sent twice."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT
from helpers import write_task_table
from plan_helpers import GOOD, TABLE, fill
from remind_helpers import Handler, SmtpServers, free_port

from jobs.app import create_app
from jobs.fakeclock import FakeClock, simulate
from jobs.plan import build_plan
from jobs.scheduler import run_once

TZ = ZoneInfo("Asia/Shanghai")
LEADS = ("区发改委", "区商务外事局")  # the lead units of TABLE
# 2024's round by hand: due on the 15th working day (Mon 1/22) at 17:30; 通知 10, 提醒 3,
# 催报 1 working days before, 逾期 1 after; each job at [schedule] time 09:00
MOMENTS = {
    "通知": "2024-01-08T09:00:00+08:00",
    "提醒": "2024-01-17T09:00:00+08:00",
    "催报": "2024-01-19T09:00:00+08:00",
    "逾期": "2024-01-23T09:00:00+08:00",
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def office(tmp_path):
    """An App on the hand-built table with [plan] auto, mailing a real SMTP server."""
    port = free_port()
    servers = SmtpServers(port)
    handler = servers(Handler())
    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    s = app.settings
    s.paths.tasks = write_task_table(tmp_path / "tasks.csv", TABLE)
    s.plan.auto = True
    s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.sender, s.smtp.retries = (
        "127.0.0.1",
        port,
        "none",
        "duban@yuhui.example",
        0,
    )
    yield app, handler
    servers.stop()


def subjects(app, handler, first: int = 0) -> list[tuple[str, str]]:
    """(unit, subject) of the messages from ``first`` on."""
    by_address = {app.registry.units[u].email: u for u in LEADS}
    return [(by_address[rcpts[0]], m["Subject"]) for _, rcpts, m in handler.messages[first:]]


def test_the_plan_lists_the_rounds_stages_only_when_auto(office):
    app, _ = office
    lines = [line for line in build_plan(app.settings, [2024]).lines() if "2024plan" in line]
    assert [line.split()[0] for line in lines] == list(MOMENTS.values())
    assert [line.split()[2] for line in lines] == list(MOMENTS)
    app.settings.plan.auto = False
    assert not [line for line in build_plan(app.settings, [2024]).lines() if "plan" in line]


def test_once_at_each_moment_notice_then_reminder_to_the_others_only(office):
    app, handler = office
    once = run_once(app, years=[2024], clock=FakeClock(at(MOMENTS["通知"])))
    assert not once.failed, once.lines()
    assert sorted(u for u, _ in subjects(app, handler)) == sorted(LEADS)
    for _, rcpts, msg in handler.messages:
        (att,) = list(msg.iter_attachments())
        unit = next(u for u in LEADS if app.registry.units[u].email == rcpts[0])
        assert att.get_filename() == f"2024年_{unit}_落实方案表.xlsx"
    # the same moment again (a restart, a second process): nothing more
    run_once(app, years=[2024], clock=FakeClock(at("2024-01-08T15:00:00+08:00")))
    assert len(handler.messages) == 2
    fill(app, "区发改委", GOOD)  # a valid plan, saved 1/15
    once = run_once(app, years=[2024], clock=FakeClock(at(MOMENTS["提醒"])))
    assert not once.failed, once.lines()
    assert subjects(app, handler, 2) == [
        ("区发改委", "【回执】2024年落实方案表已收到，校验通过"),
        ("区商务外事局", "【提醒】2024年落实方案表（1月22日17:30截止）"),
    ]
    run_once(app, years=[2024], clock=FakeClock(at("2024-01-17T16:00:00+08:00")))
    assert len(handler.messages) == 4
    with app.ledger() as ledger:
        assert ledger.step_done("2024plan", "提醒") is not None
        assert ledger.step_done("2024plan", "催报") is None


def test_the_running_scheduler_fires_every_stage_once(office):
    app, handler = office
    clock = FakeClock(at("2024-01-05T08:00:00+08:00"))
    simulate(lambda: app, clock, at("2024-01-25T00:00:00+08:00"), years=[2024])
    stages = [
        s.split("】")[0].lstrip("【") if "】" in s else "通知" for _, s in subjects(app, handler)
    ]
    assert sorted(stages) == sorted(["通知", "提醒", "催报", "逾期"] * 2)
    with app.ledger() as ledger:
        assert all(ledger.step_done("2024plan", s) for s in MOMENTS)
    # a restart over the same days: every stage is in the ledger, nothing is sent again
    clock = FakeClock(at("2024-01-05T08:00:00+08:00"))
    simulate(lambda: app, clock, at("2024-01-25T00:00:00+08:00"), years=[2024])
    assert len(handler.messages) == 8


def test_duban_run_sends_the_due_stage_once_and_dry_run_names_it(duban, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace("auto = false       # true：排程", "auto = true  # 排程", 1)
    assert "auto = true" in text
    for name in ("tasks.csv", "units.csv", "templates"):
        text = text.replace(f'"{name}"', f'"{ROOT / name}"', 1)
    config.write_text(text, encoding="utf-8")
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("DUBAN_SMTP_OUTBOX", str(outbox))
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-01-08T10:00:00+08:00")
    r = duban("run", "--dry-run", config=config)
    assert r.code == 0, r.output
    assert "2024年落实方案通知：将执行" in r.out
    assert not outbox.exists()
    r = duban("run", config=config)
    assert r.code == 0, r.output
    assert "2024年落实方案通知：完成" in r.out
    sent = sorted(outbox.glob("2024plan_通知_*.eml"))
    assert len(sent) == 31  # the bundled table's lead units
    r = duban("run", config=config)
    assert "2024年落实方案" not in r.out  # done: nothing to say, nothing sent
    assert sorted(outbox.glob("*.eml")) == sent
    r = duban("run", "--dry-run", config=config)
    assert "2024年落实方案" not in r.out


def test_a_round_missed_beyond_the_grace_is_named_not_sent(office):
    app, handler = office
    # [schedule] misfire_grace_days = 7: 逾期 (1/23) + 7 days has passed on 2/1
    once = run_once(app, years=[2024], clock=FakeClock(at("2024-02-01T09:00:00+08:00")))
    assert not handler.messages
    (note,) = [n for n in once.notes if "落实方案" in n]
    assert note.startswith("2024年落实方案的 通知、提醒、催报、逾期 已错过超过 7 天")
    assert "duban plan --year 2024 --send 逾期" in note
    # a round that went on (its 催报 done) is not called missed for its earlier stages
    with app.ledger() as ledger:
        ledger.mark_step("2024plan", "催报", at="2024-01-19T09:00:00+08:00")
    once = run_once(app, years=[2024], clock=FakeClock(at("2024-02-01T10:00:00+08:00")))
    (note,) = [n for n in once.notes if "落实方案" in n]
    assert note.startswith("2024年落实方案的 逾期 已错过")
