"""Working days with 调休, each period's deadline and stages, unknown years, ``duban calendar``."""

from __future__ import annotations

import json
from datetime import date

import pytest
from helpers import at

from reporting.core.calendar import (
    STAGES,
    UnknownYearWarning,
    current_period,
    day_label,
    is_adjusted_workday,
    is_workday,
    period_calendar,
    shift_workdays,
    workdays_after,
    year_calendar,
    year_known,
    years_to_check,
)
from reporting.core.config import DeadlineSettings, Settings
from reporting.core.periods import Period

RULE = DeadlineSettings()  # 5 working days after quarter end, 17:30; stages 5/3/1 before,
# 逾期 1 after, the report 2 after


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2024, 9, 29), True),  # Sunday made a working day before National Day
        (date(2024, 10, 1), False),
        (date(2024, 10, 7), False),
        (date(2024, 10, 8), True),
        (date(2024, 10, 12), True),  # Saturday made a working day
        (date(2024, 3, 31), False),  # an ordinary Sunday: Q1 ends on a rest day
        (date(2024, 4, 4), False),  # 清明
        (date(2024, 4, 7), True),  # Sunday made a working day after 清明
        (date(2025, 1, 1), False),
        (date(2025, 1, 26), True),  # Sunday before the Spring Festival
    ],
)
def test_workdays_follow_the_official_schedule(day, workday):
    assert is_workday(day) is workday


def test_adjusted_workdays_are_marked():
    assert is_adjusted_workday(date(2024, 9, 29))
    assert not is_adjusted_workday(date(2024, 9, 30))
    assert day_label(date(2024, 9, 29)) == "2024年9月29日 星期日（调休上班）"
    assert day_label(date(2024, 4, 8)) == "2024年4月8日 星期一"


def test_shift_over_national_day():
    assert shift_workdays(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert shift_workdays(date(2024, 10, 8), -1) == date(2024, 9, 30)
    assert shift_workdays(date(2024, 9, 30), -1) == date(2024, 9, 29)
    assert workdays_after(date(2024, 9, 30), date(2024, 10, 12)) == 5
    assert workdays_after(date(2024, 10, 12), date(2024, 10, 1)) == 0
    # (9/27, 10/8]: 9/29 (a Sunday made a working day), 9/30 and 10/8; the end counts once
    assert workdays_after(date(2024, 9, 27), date(2024, 10, 8)) == 3
    assert workdays_after(date(2024, 10, 8), date(2024, 10, 8)) == 0


# (period, deadline, 通知, 提醒, 催报, 逾期, report) under the default rule; the report is
# the second working day after the deadline, the one after 逾期 (2025Q4: Fri 9 Jan 逾期,
# the report Mon 12 Jan 2026)
EXPECTED = [
    (
        "2024Q1",
        date(2024, 4, 8),
        date(2024, 3, 29),
        date(2024, 4, 2),
        date(2024, 4, 7),
        date(2024, 4, 9),
        date(2024, 4, 10),
    ),
    (
        "2024Q2",
        date(2024, 7, 5),
        date(2024, 6, 28),
        date(2024, 7, 2),
        date(2024, 7, 4),
        date(2024, 7, 8),
        date(2024, 7, 9),
    ),
    (
        "2024Q3",
        date(2024, 10, 12),
        date(2024, 9, 30),
        date(2024, 10, 9),
        date(2024, 10, 11),
        date(2024, 10, 14),
        date(2024, 10, 15),
    ),
    (
        "2024Q4",
        date(2025, 1, 8),
        date(2024, 12, 31),
        date(2025, 1, 3),
        date(2025, 1, 7),
        date(2025, 1, 9),
        date(2025, 1, 10),
    ),
    (
        "2025Q1",
        date(2025, 4, 8),
        date(2025, 3, 31),
        date(2025, 4, 2),
        date(2025, 4, 7),
        date(2025, 4, 9),
        date(2025, 4, 10),
    ),
    (
        "2025Q2",
        date(2025, 7, 7),
        date(2025, 6, 30),
        date(2025, 7, 2),
        date(2025, 7, 4),
        date(2025, 7, 8),
        date(2025, 7, 9),
    ),
    (
        "2025Q3",
        date(2025, 10, 14),
        date(2025, 9, 30),
        date(2025, 10, 10),
        date(2025, 10, 13),
        date(2025, 10, 15),
        date(2025, 10, 16),
    ),
    (
        "2025Q4",
        date(2026, 1, 8),
        date(2025, 12, 31),
        date(2026, 1, 5),
        date(2026, 1, 7),
        date(2026, 1, 9),
        date(2026, 1, 12),
    ),
]


@pytest.mark.parametrize(("code", "due", "notice", "remind", "urge", "overdue", "report"), EXPECTED)
def test_quarter_end_deadlines_and_stages(code, due, notice, remind, urge, overdue, report):
    pc = period_calendar(Period.parse(code), RULE)
    assert pc.deadline_day == due
    assert (pc.deadline.hour, pc.deadline.minute) == (17, 30)
    assert str(pc.deadline.tzinfo) == "Asia/Shanghai"
    assert pc.stages == {"通知": notice, "提醒": remind, "催报": urge, "逾期": overdue}
    assert pc.report_day == report
    assert not pc.approximate
    for day in (due, *pc.stages.values(), pc.report_day):
        assert is_workday(day), day


def test_last_workday_rule_skips_the_sunday_quarter_end():
    rule = DeadlineSettings(rule="last_workday_of_quarter")
    assert period_calendar(Period(2024, 1), rule).deadline_day == date(2024, 3, 29)
    # Q3 2024 ends on a Monday, a working day
    assert period_calendar(Period(2024, 3), rule).deadline_day == date(2024, 9, 30)


def test_stage_due_picks_the_latest_stage_reached():
    pc = period_calendar(Period(2024, 1), RULE)
    assert pc.stage_due(date(2024, 3, 28)) is None
    assert pc.stage_due(date(2024, 3, 29)) == "通知"
    assert pc.stage_due(date(2024, 4, 6)) == "提醒"  # 清明 holiday, before 催报
    assert pc.stage_due(date(2024, 4, 7)) == "催报"  # the 调休 Sunday
    assert pc.stage_due(date(2024, 4, 8)) == "催报"
    assert pc.stage_due(date(2024, 4, 30)) == "逾期"


def test_current_period_stays_on_the_previous_quarter_until_its_report_day():
    # Q1 2024 is due Mon 8 Apr (1, 2, 3 Apr, then 清明 4-6 Apr, the 调休 Sunday 7 Apr, 8 Apr);
    # 逾期 Tue 9 Apr, the report the second working day after: Wed 10 Apr
    assert current_period(date(2024, 4, 9), RULE) == Period(2024, 1)
    assert current_period(date(2024, 4, 10), RULE) == Period(2024, 1)
    assert current_period(date(2024, 4, 11), RULE) == Period(2024, 2)
    # Q4 2024 is due Wed 8 Jan 2025 (1 Jan a holiday: 2, 3, 6, 7, 8 Jan); report Fri 10 Jan
    assert current_period(date(2025, 1, 10), RULE) == Period(2024, 4)
    assert current_period(date(2025, 1, 11), RULE) == Period(2025, 1)


def test_unknown_year_falls_back_to_weekdays_and_warns():
    assert not year_known(2027)
    assert is_workday(date(2027, 10, 1))  # a Friday: no holiday data, so a weekday counts
    assert not is_workday(date(2027, 10, 2))
    with pytest.warns(UnknownYearWarning, match="2027"):
        pc = period_calendar(Period(2027, 1), RULE)
    assert pc.approximate
    assert pc.deadline_day == date(2027, 4, 7)  # Wed 31 Mar + 5 weekdays
    # 2026 is known, but its Q4 deadline falls in 2027
    with pytest.warns(UnknownYearWarning, match="2027"):
        assert period_calendar(Period(2026, 4), RULE).approximate


def test_year_calendar_reports_unknown_years_without_warning():
    cal = year_calendar(2026, RULE)
    assert cal.unknown == [2027]
    assert [pc.approximate for pc in cal.periods] == [False, False, False, True]
    assert any("2027" in line and "chinesecalendar" in line for line in cal.lines())


def test_years_to_check_include_the_year_after():
    s = Settings()
    s.schedule.years = [2024, 2026]
    s.district.year = 2025
    assert years_to_check(s) == [2024, 2025, 2026, 2027]


def test_calendar_command_prints_every_stage(duban):
    r = duban("calendar", "--year", "2024")
    assert r.code == 0, r.output
    out = r.out
    for label in ("2024年第一季度", "2024年第二季度", "2024年第三季度", "2024年第四季度"):
        assert label in out
    quarters = out.split("2024年第一季度")[1]  # the 落实方案 round is listed first
    for stage in (*STAGES, "配合截止", "牵头截止"):
        assert quarters.count(f"  {stage}  ") == 4
    # the 落实方案 round ([plan]: the 15th working day of 2024, 通知 10 working days before)
    plan = out.split("2024年落实方案（duban plan）")[1].split("2024年第一季度")[0]
    assert "通知  2024年1月8日 星期一（下发落实方案表）" in plan
    assert "截止  2024年1月22日 星期一 17:30" in plan and "逾期  2024年1月23日 星期二" in plan
    assert "牵头截止  2024年4月8日 星期一 17:30（牵头任务表）" in out
    # coop_days = 2: two working days earlier, listed in time order (before 催报 on 4月7日)
    q1 = quarters.split("2024年第二季度")[0]
    assert "配合截止  2024年4月3日 星期三 17:30（配合任务表" in q1
    assert q1.index("  配合截止") < q1.index("  催报") < q1.index("  牵头截止")
    assert "催报      2024年4月7日 星期日（调休上班）" in out  # aligned under 配合截止
    assert "截止  2024年10月12日 星期六（调休上班） 17:30（牵头任务表）" in out
    assert "截止  2025年1月8日 星期三 17:30" in out
    assert "警告" not in r.output


def test_calendar_command_json_and_unknown_year(duban):
    r = duban("calendar", "--year", "2027", "--json")
    assert r.code == 0, r.output
    data = json.loads(r.out)
    assert data["unknown_years"] == [2027, 2028]
    assert data["periods"][0]["deadline"].startswith("2027-04-07T17:30")
    assert "警告" in r.err and "2027" in r.err
    text = duban("calendar", "--year", "2027")
    assert "警告：chinesecalendar 没有 2027、2028 年" in text.out


def test_check_warns_about_an_unknown_configured_year(duban, monkeypatch):
    plain = duban("check")
    assert "chinesecalendar" not in plain.out
    monkeypatch.setenv("DUBAN_SCHEDULE_YEARS", "2024,2026")  # 2026Q4 is due in 2027
    r = duban("check")
    assert "警告" in r.out and "chinesecalendar 没有 2027 年" in r.out


def test_remind_warns_loudly_for_an_unknown_year(app):
    from reporting.notify.remind import send_reminders

    summary = send_reminders(
        app.settings,
        app.assignments,
        app.workspace,
        "2027Q1",
        stage="提醒",
        channels=("list",),
        dry_run=True,
        now=at(date(2027, 4, 2)),
    )
    assert any(line.startswith("警告：") and "2027" in line for line in summary.lines())


def test_coop_days_zero_keeps_one_deadline(app):
    from dataclasses import replace

    rule = replace(app.settings.deadline, coop_days=0)
    pc = period_calendar(Period(2024, 1), rule)
    assert not pc.separate_coop and pc.coop_due == pc.deadline
    text = "\n".join(year_calendar(2024, rule).lines())
    assert "配合截止" not in text and "  截止  2024年4月8日 星期一 17:30" in text
    two = period_calendar(Period(2024, 1), app.settings.deadline)
    assert two.separate_coop
    assert two.coop_deadline.isoformat() == "2024-04-03T17:30:00+08:00"
    assert (
        year_calendar(2024, app.settings.deadline)
        .to_json()["periods"][0]["coop_deadline"]
        .startswith("2024-04-03T17:30")
    )


def test_coop_days_must_leave_room_after_the_notice(tmp_path):
    from reporting.core.config import load_settings
    from reporting.core.exceptions import ConfigError

    cfg = tmp_path / "config.toml"
    cfg.write_text("[deadline]\nnotice_days = 3\ncoop_days = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(cfg, env={})
    assert "第 3 行" in str(exc.value) and "coop_days = 3" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "quarter"),
    [
        ("2024年第二季度", 2),
        ("2024年第二季", 2),
        ("2024年二季度", 2),
        ("2024 Q2", 2),
        ("2024年第2季度", 2),
    ],
)
def test_a_period_written_the_ways_people_write_it(text, quarter):
    assert Period.parse(text) == Period(2024, quarter)


@pytest.mark.parametrize(
    "text", ["2024年2", "2024年第二", "2024年第二季度末", "2024年5季度", "24Q2"]
)
def test_a_period_that_is_no_quarter_is_refused(text):
    from reporting.core.exceptions import PeriodError

    with pytest.raises(PeriodError, match="无法识别的报告期"):
        Period.parse(text)


def test_the_report_day_is_configurable_and_the_calendar_says_what_it_leaves_the_overdue_stage():
    """[deadline] report_days: the report that many working days after the deadline; the
    calendar says whether a unit told it is late still has a day before the report."""
    from dataclasses import replace

    from reporting.core.calendar import DeadlineSettings, period_calendar, period_lines

    same = period_calendar(Period(2024, 2), replace(DeadlineSettings(), report_days=1))
    room = period_calendar(Period(2024, 2), DeadlineSettings())  # the default leaves the day
    # Q2 2024 ends Sun 30 Jun: due Fri 5 Jul (1-5 Jul), 逾期 Mon 8 Jul, the report Tue 9 Jul
    assert same.report_day == same.stages["逾期"] == date(2024, 7, 8)
    assert room.stages["逾期"] == date(2024, 7, 8) and room.report_day == date(2024, 7, 9)
    said = [next(t for _, t in period_lines(pc) if t.startswith("报告")) for pc in (same, room)]
    assert "来不及补报" in said[0] and "report_days" in said[0]
    assert "逾期提醒后补报的计入" in said[1] and "来不及" not in said[1]
