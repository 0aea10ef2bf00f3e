"""A hand-built year for the 考核评价 and 督查通报 tests: 12 units, 8 tasks, four quarters,
every rubric rule hit at least once. The expected scores are computed by hand in
tests/test_assess_scoring.py from the fates and rows written here."""

from __future__ import annotations

import hashlib

from reporting.core.ledger import Ledger
from reporting.core.model import Answer, IndicatorResult, QuarterResult, RowResult, UnitReturn
from reporting.core.periods import Period

YEAR = 2024
KINDS = {
    "甲局": "department",
    "乙局": "department",
    "丙局": "department",
    "丁局": "department",
    "戊局": "department",
    "己局": "department",
    "一乡": "township",
    "二镇": "township",
    "三街道": "street",
    "四街道": "street",
    "东集团": "enterprise",
    "西集团": "enterprise",
}
# (unit, quarter) → fate; everything else is on time
FATES = {
    ("乙局", 1): "late",
    ("丙局", 2): "resubmit",
    ("丁局", 3): "missing",
    ("一乡", 4): "rejected",
    ("二镇", 1): "late_resubmit",
    ("西集团", 2): "missing",
    ("西集团", 3): "missing",
}
# id, section, lead units, coop units
TASKS = [
    ("1", 1, ["甲局"], ["乙局", "一乡"]),
    ("2", 2, ["乙局"], ["丙局", "戊局"]),
    ("3", 2, ["丙局", "丁局"], []),
    ("4", 3, ["一乡"], ["东集团"]),
    ("5", 3, ["二镇"], ["己局"]),
    ("6", 3, ["三街道"], ["四街道"]),
    ("7", 4, ["东集团"], ["西集团"]),
    ("8", 1, ["东集团"], []),
]
# Q4 status and light of each task (task 4: its lead unit did not report)
Q4 = {
    "1": ("已完成", "绿"),
    "2": ("滞后", "黄"),
    "3": ("序时推进", "绿"),
    "4": (None, None),
    "5": ("超序时", "黄"),
    "6": ("未启动", "红"),
    "7": ("超序时", "绿"),
    "8": ("滞后", "红"),
}


def fate(unit: str, q: int) -> str:
    return FATES.get((unit, q), "on_time")


def reported(unit: str, q: int) -> bool:
    return fate(unit, q) not in ("missing", "rejected")


def coop_answer(unit: str, q: int) -> Answer | None:
    """丙局 left its Q1 feedback blank; 一乡 carried Q3's over unchanged."""
    if not reported(unit, q):
        return None
    if (unit, q) == ("丙局", 1):
        return Answer(unit=unit)
    if (unit, q) == ("一乡", 3):
        return Answer(unit=unit, progress="同上季度", prefilled=True)
    return Answer(unit=unit, progress=f"{unit}第{q}季度配合情况")


def indicators(task: str, q: int) -> list[IndicatorResult]:
    if task == "1":
        return [
            IndicatorResult(
                "地区生产总值",
                8,
                "%",
                True,
                value=8.5,
                expected=8,
                gap=0.5,
                on_track=True,
                text="地区生产总值增长8.5%，高于目标0.5个百分点",
            )
        ]
    if task == "5":
        return [
            IndicatorResult(
                "社零总额",
                10,
                "%",
                True,
                value=9,
                expected=10,
                gap=-1,
                on_track=False,
                text="社零总额增长9%，低于目标1个百分点",
            )
        ]
    if task == "8":
        return [
            IndicatorResult(
                "投资额",
                100,
                "亿元",
                False,
                value=70,
                expected=25 * q,
                gap=70 - 25 * q,
                on_track=70 >= 25 * q,
            ),
            IndicatorResult("税收", 10, "亿元", False, value=None, expected=2.5 * q),
        ]
    return []


def result(q: int) -> QuarterResult:
    period = Period(YEAR, q)
    rows = []
    for tid, section, lead, coop in TASKS:
        status, light = Q4[tid] if q == 4 else ("序时推进", "绿")
        reports = [Answer(unit=u, status=status, percent=50.0) for u in lead if reported(u, q)]
        if not reports:
            status, light = None, None
        rows.append(
            RowResult(
                id=tid,
                label=tid,
                section=section,
                section_title=f"板块{section}",
                task_no=tid,
                task_title=f"任务{tid}",
                content=f"任务{tid}的内容",
                lead_leaders=["某领导"],
                lead_units=list(lead),
                coop_units=list(coop),
                lead_reports=reports,
                coop_feedback=[a for u in coop if (a := coop_answer(u, q)) is not None],
                indicators=indicators(tid, q),
                status=status,
                light=light,
            )
        )
    units = [UnitReturn(unit=u, kind=k) for u, k in KINDS.items()]
    return QuarterResult(
        period=str(period),
        period_label=period.full_label,
        expected_progress=period.expected_progress,
        deadline=f"{YEAR}-{3 * q:02d}-28T17:30:00+08:00",
        generated_at=f"{YEAR}-{3 * q:02d}-29T09:00:00+08:00",
        rows=rows,
        units=units,
    )


def fill_ledger(ledger: Ledger) -> None:
    """A 通知 to every unit each quarter, then the returns as the fates say."""
    for q in range(1, 5):
        period = str(Period(YEAR, q))
        for unit in KINDS:
            ledger.record_send(
                period, unit, "通知", "email", "sent", at=f"{YEAR}-0{q}-01T09:00:00+08:00"
            )
        for n, unit in enumerate(KINDS):
            f = fate(unit, q)
            when = f"{YEAR}-{3 * q:02d}-20T{8 + n:02d}:00:00+08:00"
            later = f"{YEAR}-{3 * q:02d}-27T{8 + n:02d}:00:00+08:00"

            def ret(state, late=False, at=when, tag="a", unit=unit, period=period):
                ledger.record_return(
                    period,
                    sha256=hashlib.sha256(f"{unit}-{period}-{tag}".encode()).hexdigest(),
                    source=f"{period}_{unit}_进展情况表{tag}.xlsx",
                    state=state,
                    received_at=at,
                    unit=unit,
                    late=late,
                    problems=[{"text": "百分比超过100", "level": "error"}]
                    if state == "rejected"
                    else [],
                )

            if f == "on_time":
                ret("accepted")
            elif f == "late":
                ret("accepted", late=True, at=later)
            elif f == "resubmit":
                ret("rejected")
                ret("accepted", at=later.replace("-27T", "-26T"), tag="b")
            elif f == "late_resubmit":
                ret("rejected")
                ret("accepted", late=True, at=later, tag="b")
            elif f == "rejected":
                ret("rejected")


def install_year(app) -> None:
    """The hand-built year in the app's data dir: four merged results and the ledger."""
    app.ledger().close()  # the ledger first, as in a real data dir (else it counts as lost)
    for q in range(1, 5):
        path = app.workspace.merged_json(Period(YEAR, q))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result(q).to_json(), encoding="utf-8")
    with app.ledger() as ledger:
        fill_ledger(ledger)
