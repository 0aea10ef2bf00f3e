"""The merged result from hand-built answers: 序时 judgement, indicators, lights, conflicts
(rows of the bundled table without a 落实方案 节点: 9.2 is judged by the line)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import pytest
from helpers import status_tally

from reporting.core.config import MergeSettings
from reporting.core.model import Answer, QuarterResult, UnitReturn
from reporting.core.periods import Period
from reporting.merge.judge import (
    UnitAnswers,
    build_result,
    build_row,
    contradiction,
    judge_indicator,
    num,
)
from reporting.taskbook.tasks import Indicator

Q1, Q2, Q4 = Period(2024, 1), Period(2024, 2), Period(2024, 4)
DEFAULT = MergeSettings()  # yellow_gap 0, red_gap 15


def lead(unit: str, tid: str, percent=None, status=None, **indicators) -> UnitAnswers:
    a = Answer(
        unit=unit,
        progress=f"{unit}进展",
        percent=percent,
        status=status,
        indicators=dict(indicators),
    )
    return UnitAnswers(unit=unit, lead={tid: a})


def row(app, tid: str, answers: dict, period=Q1, settings=DEFAULT):
    return build_row(app.assignments.by_id[tid], answers, period, settings)


@pytest.mark.parametrize(
    ("percent", "light", "judged", "gap"),
    [
        (35, "绿", "超序时", -10),  # at least ahead_points (10) above the pace of 25
        (34, "绿", "序时推进", -9),
        (25, "绿", "序时推进", 0),
        (20, "黄", "滞后", 5),
        (10, "黄", "滞后", 15),
        (5, "红", "滞后", 20),
        (100, "绿", "已完成", -75),
        (0, "红", "未启动", 25),
    ],
)
def test_progress_against_the_expected_pace(app, percent, light, judged, gap):
    r = row(app, "9.2", {"区发改委": lead("区发改委", "9.2", percent, None)})
    assert (r.percent, r.gap, r.light, r.judged_status) == (percent, gap, light, judged)
    assert r.status is None and r.reported


def test_thresholds_come_from_settings(app):
    loose = MergeSettings(yellow_gap=5, red_gap=30)
    r = row(app, "9.2", {"区发改委": lead("区发改委", "9.2", 20, "序时推进")}, settings=loose)
    assert (r.light, r.judged_status, r.status_conflict) == ("绿", "序时推进", "")
    r = row(app, "9.2", {"区发改委": lead("区发改委", "9.2", 0, "未启动")}, settings=loose)
    assert r.light == "红"  # 未启动 while 25 % was due is never better than red


@pytest.mark.parametrize(
    ("percent", "status", "conflict"),
    [
        (80, "已完成", "报“已完成”，但累计完成进度为80%"),
        (30, "超序时", "报“超序时”，但累计完成进度30%未达到35%（序时进度25%再高10个百分点）"),
        (40, "序时推进", "报“序时推进”，但累计完成进度40%已达到35%，按规则应为“超序时”"),
        (10, "序时推进", "报“序时推进”，但累计完成进度10%低于序时进度25%"),
        (30, "滞后", "报“滞后”，但累计完成进度30%已达到序时进度25%"),
        (10, "未启动", "报“未启动”，但累计完成进度为10%"),
        (35, "超序时", ""),
        (30, "序时推进", ""),
        (100, "已完成", ""),
        (100, "超序时", ""),
        (0, "滞后", ""),
        (20, "滞后", ""),
    ],
)
def test_reported_status_contradicting_the_numbers_is_flagged(app, percent, status, conflict):
    r = row(app, "9.2", {"区发改委": lead("区发改委", "9.2", percent, status)})
    assert r.status == status  # kept as reported
    assert r.status_conflict == conflict


def test_lagging_reported_is_never_green(app):
    r = row(app, "9.2", {"区发改委": lead("区发改委", "9.2", 30, "滞后")})
    assert r.light == "黄"


def test_growth_indicator_is_judged_against_the_target_rate(app):
    r = row(app, "1", {"区发改委": lead("区发改委", "1", 25, "序时推进", **{"地区生产总值": 7.1})})
    (ind,) = r.indicators
    assert (ind.value, ind.expected, ind.gap, ind.on_track) == (
        7.1,
        8.0,
        pytest.approx(-0.9),
        False,
    )
    assert ind.text == "地区生产总值增长7.1%，低于目标0.9个百分点"
    assert r.light == "黄" and r.judged_status == "滞后"
    assert r.status_conflict == "报“序时推进”，但指标地区生产总值未达到序时要求"
    r = row(app, "1", {"区发改委": lead("区发改委", "1", 25, "序时推进", **{"地区生产总值": 8.7})})
    assert r.indicators[0].text == "地区生产总值增长8.7%，高于目标0.7个百分点"
    assert (r.light, r.status_conflict) == ("绿", "")
    r = row(app, "1", {"区发改委": lead("区发改委", "1", 25, "滞后", **{"地区生产总值": -2})})
    assert r.indicators[0].text == "地区生产总值下降2%，低于目标10个百分点"


def test_cumulative_indicator_is_judged_against_target_times_pace(app):
    answers = {"区人社局": lead("区人社局", "26.2", 50, "序时推进", **{"新增就业人员": 1200})}
    r = row(app, "26.2", answers, period=Q2)
    (ind,) = r.indicators
    assert ind.expected == 2050 and ind.on_track is False
    assert (
        # 1200 / 4100 = 29.27 %, printed to one place as the report does; 50 - 29.3 = 20.7
        ind.text == "新增就业人员完成1200人，为目标4100人的29.3%，低于序时进度（50%）20.7个百分点"
    )
    assert r.light == "红"  # 20.73 points behind > red_gap 15
    answers = {"区人社局": lead("区人社局", "26.2", 50, "序时推进", **{"新增就业人员": 2100})}
    r = row(app, "26.2", answers, period=Q2)
    assert (
        r.indicators[0].text == "新增就业人员完成2100人，为目标4100人的51.2%，达到序时进度（50%）"
    )
    assert r.light == "绿"


def test_level_rate_indicator_is_compared_with_the_target_directly():
    res = judge_indicator(Indicator("农村生活污水治理率", 45, "%"), 40, 25)
    assert (res.expected, res.on_track, res.text) == (
        45,
        False,
        "农村生活污水治理率达到40%，低于目标5个百分点",
    )


def test_missing_indicator_value():
    res = judge_indicator(Indicator("民生实事", 50, "项"), None, 25)
    assert (res.on_track, res.gap, res.text) == (None, None, "民生实事未填报")


def test_several_lead_units_lowest_progress_worst_status_and_missing(app):
    rt = app.assignments.by_id["26.2"]
    assert rt.lead_units == ("区人社局", "区退军局")
    answers = {
        "区人社局": lead("区人社局", "26.2", 40, "超序时", **{"新增就业人员": 1100}),
        "区退军局": lead("区退军局", "26.2", 20, "滞后", **{"新增就业人员": 900}),
    }
    coop_unit = rt.coop_units[0]
    answers[coop_unit] = UnitAnswers(
        unit=coop_unit, coop={"26.2": Answer(unit=coop_unit, progress="配合开展招聘会")}
    )
    r = row(app, "26.2", answers)
    assert [a.unit for a in r.lead_reports] == ["区人社局", "区退军局"]
    assert (r.percent, r.status) == (20, "滞后")
    assert r.indicators[0].value == 1100  # the first lead unit's figure
    assert [a.progress for a in r.coop_feedback] == ["配合开展招聘会"]
    assert r.missing_units == list(rt.coop_units[1:])


def test_unreported_row_and_unit(app):
    r = row(app, "9.2", {})
    assert not r.reported and r.status is None and r.light is None and r.percent is None
    assert r.missing_units == ["区发改委", *app.assignments.by_id["9.2"].coop_units]


def test_whole_result_counts_and_round_trip(app):
    answers = {
        "区发改委": UnitAnswers(
            "区发改委",
            lead={
                "8.1": Answer("区发改委", "进展", 30, "超序时"),
                "9.2": Answer("区发改委", "进展", 5, "滞后"),
            },
        )
    }
    units = [
        UnitReturn("区发改委", state="accepted", received_at="2024-04-03T10:00:00+08:00"),
        UnitReturn("区财政局"),
    ]
    result = build_result(
        app.assignments,
        Q1,
        answers,
        units,
        DEFAULT,
        deadline="2024-04-08T17:30:00+08:00",
        generated_at="2024-04-09T09:00:00+08:00",
    )
    assert len(result.rows) == len(app.assignments.rows)
    assert result.expected_progress == 25 and result.period_label == "2024年第一季度"
    statuses = status_tally(result.rows)
    assert statuses["超序时"] == 1 and statuses["滞后"] == 1
    assert statuses["未报送"] == len(result.rows) - 2
    assert Counter(r.light for r in result.rows if r.light) == {"绿": 1, "红": 1}
    assert result.unit_counts() == {
        "due": 2,
        "on_time": 1,
        "late": 0,
        "rejected": 0,
        "held": 0,
        "missing": 1,
    }
    again = QuarterResult.from_dict(json.loads(result.to_json()))
    assert dataclasses.asdict(again) == dataclasses.asdict(result)


def test_q4_expects_everything_done(app):
    r = row(app, "9.2", {"区发改委": lead("区发改委", "9.2", 90, "序时推进")}, period=Q4)
    assert (r.gap, r.light, r.judged_status) == (10, "黄", "滞后")
    assert r.status_conflict == "报“序时推进”，但累计完成进度90%低于序时进度100%"


def test_task_deadline_before_period_end_expects_100(app):
    rt = app.assignments.by_id["9.2"]
    early = dataclasses.replace(rt, task=dataclasses.replace(rt.task, deadline="2024-03-31"))
    r = build_row(early, {"区发改委": lead("区发改委", "9.2", 60, "超序时")}, Q1, DEFAULT)
    assert (r.gap, r.light) == (40, "红")


def test_contradiction_needs_both_values():
    assert contradiction(Answer("x", status="已完成"), 25, DEFAULT) == ""
    assert num(7.125) == "7.13" and num(1200.0) == "1200" and num(None) == "—"
