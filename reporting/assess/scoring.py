"""考核评价: each unit's score for the year (or up to a quarter), every point with its source.

The rubric is ``[scoring]`` in config.toml; nothing here is a number of its own.

- 报送质量, per quarter with a merged result: ``report_points``, less ``late_deduction``
  (the return in force came late), ``resubmit_deduction`` (a rejected version came before
  it) and ``missing_deduction`` (nothing accepted), never below 0 for the quarter.
- 任务推进, from the last quarter's merged result: each task the unit leads scores its rate
  (``status_rates`` of the row's status, or 未报送 when the unit did not report it, less
  ``light_deductions`` of the row's light), weighted by ``section_weights``;
  ``progress_points`` × the weighted mean rate.
- 配合任务: every quarter, each task the unit cooperates on counts as given when its
  feedback has content and was not just carried over from last quarter;
  ``coop_points`` × the share given.
- 指标完成, last quarter: each indicator of a task the unit leads — on track (cumulative vs
  target × pace, growth rates vs the target rate, as the merge judges them) 100 %, behind
  ``indicator_behind_rate``, not reported 0; ``indicator_points`` × the mean.
- 加减分: the office's sheet (``reporting.assess.adjustments``), within ±``adjust_limit``.

A component a unit has nothing in (no lead task, no cooperation, no indicator) counts in
full and says so. Every ``Point`` names its period, task, ledger record and file; the
points of a component add up to its score. Scores are ranked within each ``groups`` entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from reporting.assess.facts import Event, SubmissionFacts, submissions
from reporting.core.config import Settings
from reporting.core.exceptions import AssessError
from reporting.core.ledger import Ledger
from reporting.core.model import MISSING, Answer, QuarterResult
from reporting.core.periods import Period
from reporting.core.submissions import Submitted
from reporting.merge.judge import num

REPORTING = "报送质量"
PROGRESS = "任务推进"
COOP = "配合任务"
INDICATORS = "指标完成"
ADJUST = "加减分"
COMPONENTS = (REPORTING, PROGRESS, COOP, INDICATORS, ADJUST)
OTHER_GROUP = "其他单位"


def rounded(value: float) -> float:
    """四舍五入 to two decimals (as a person computes it, not binary round())."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass
class Point:
    """One line of the 明细: what was counted, for how much, and where it is recorded."""

    unit: str
    component: str
    period: str
    task: str  # task label, e.g. 8（1）; "" for the quarter as a whole
    fact: str
    points: float
    event: str  # ledger record, e.g. returns#47
    file: str = ""


@dataclass
class UnitScore:
    unit: str
    kind: str
    group: str
    scores: dict[str, float] = field(default_factory=dict)
    maxima: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # component → why it counts in full
    rank: int = 0

    @property
    def total(self) -> float:
        return rounded(sum(self.scores.values()))


@dataclass
class Scorecard:
    year: int
    periods: list[str]  # quarters counted
    units: list[UnitScore]
    points: list[Point]
    generated_at: str  # the newest merge counted: the sheet's time
    adjustments_file: str = ""
    notes: list[str] = field(default_factory=list)

    def unit(self, name: str) -> UnitScore:
        return next(u for u in self.units if u.unit == name)

    def ranked(self) -> list[UnitScore]:
        """Group by group, then rank, then the registry's order."""
        order = {u.unit: i for i, u in enumerate(self.units)}
        groups = list(dict.fromkeys(u.group for u in self.units))
        return sorted(self.units, key=lambda u: (groups.index(u.group), u.rank, order[u.unit]))

    def lines(self) -> list[str]:
        out = [
            f"{self.year}年度考核评价（计入 {'、'.join(self.periods)}），{len(self.units)} 个单位。"
        ]
        for group in dict.fromkeys(u.group for u in self.units):
            top = [u for u in self.ranked() if u.group == group][:3]
            out.append(f"{group}前三名：" + "、".join(f"{u.unit}（{num(u.total)}分）" for u in top))
        out += [f"提示：{n}" for n in self.notes]
        return out


def group_of(settings: Settings, kind: str) -> str:
    for name, kinds in settings.scoring.groups.items():
        if kind in kinds:
            return name
    return OTHER_GROUP


def load_results(workspace, year: int, upto: Period | None) -> list[QuarterResult]:
    """The year's merged results up to ``upto`` (quarters without one are not counted)."""
    last = upto.quarter if upto else 4
    out = []
    for q in range(1, last + 1):
        path = workspace.merged_json(Period(year, q))
        if path.exists():
            out.append(QuarterResult.load(path))
    return out


def score_lines(
    settings: Settings, ledger: Ledger, results: list[QuarterResult], period: Period
) -> list[str]:
    """The running scores up to ``period`` as the 通报 and the annual report quote them:
    the first three of each group (adjustments not counted)."""
    card = score_year(settings, ledger, results, period.year)
    out = [f"按年度考核评分规则，截至{period.label}各单位累计得分（未计加减分）排名前列的是："]
    for group in dict.fromkeys(u.group for u in card.units):
        top = [u for u in card.ranked() if u.group == group][:3]
        out.append(f"{group}：" + "、".join(f"{u.unit}（{num(u.total)}分）" for u in top) + "。")
    return out


def _given(answer: Answer | None) -> bool:
    if answer is None or answer.prefilled:
        return False
    return bool(answer.progress.strip()) or answer.percent is not None or bool(answer.status)


def score_year(
    settings: Settings,
    ledger: Ledger,
    results: list[QuarterResult],
    year: int,
    adjustments: list | None = None,
    adjustments_file: str = "",
) -> Scorecard:
    """Score every unit due in ``results`` (merged results of ``year``, in quarter order).

    ``adjustments`` are ledger ``adjustments`` rows (unit, points, reason, doc_no, id, row).
    """
    sc = settings.scoring
    if not results:
        raise_none(year)
    subs: dict[str, dict[str, SubmissionFacts]] = {
        r.period: {s.unit: s for s in submissions(ledger, r)} for r in results
    }
    last = results[-1]
    units: dict[str, UnitScore] = {}
    for r in results:
        for ur in r.units:
            if ur.unit not in units:
                units[ur.unit] = UnitScore(ur.unit, ur.kind, group_of(settings, ur.kind))
    points: list[Point] = []
    card = Scorecard(
        year,
        [r.period for r in results],
        list(units.values()),
        points,
        generated_at=max(r.generated_at for r in results),
        adjustments_file=adjustments_file,
    )

    def add(us: UnitScore, comp: str, period: str, task: str, fact: str, pts, ev, file=""):
        ref = ev.ref if isinstance(ev, Event) else ""
        points.append(Point(us.unit, comp, period, task, fact, pts, ref, file))
        if not ref:
            note = f"{us.unit} {period}“{fact}”在台账中没有对应记录，请核实"
            if note not in card.notes:
                card.notes.append(note)

    for us in units.values():
        # 报送质量
        total = 0.0
        for r in results:
            sub = subs[r.period].get(us.unit)
            if sub is None:
                continue  # not due that quarter
            us.maxima[REPORTING] = us.maxima.get(REPORTING, 0.0) + sc.report_points
            left = sc.report_points
            add(us, REPORTING, r.period, "", "本季度基础分", left, sub.event, sub.source)
            cuts = []
            if sub.state == Submitted.LATE:
                cuts.append(("逾期报送", sc.late_deduction, sub.event, sub.source))
            if sub.resubmitted:
                cuts.append(("被退回后重报", sc.resubmit_deduction, sub.rejection, ""))
            if sub.state in (Submitted.MISSING, Submitted.REJECTED):
                cuts.append((sub.state.value, sc.missing_deduction, sub.event, sub.source))
            if sub.state == Submitted.HELD:  # the office's open check: nothing deducted yet
                note = f"{us.unit} {r.period}的报送待核实，核实前报送质量未扣分"
                if note not in card.notes:
                    card.notes.append(note)
            for fact, cut, ev, file in cuts:
                cut = min(cut, left)
                left -= cut
                add(us, REPORTING, r.period, "", fact, -cut, ev, file)
            total += left
        us.scores[REPORTING] = rounded(total)

        # 任务推进 and 指标完成: the last quarter's result
        sub = subs[last.period].get(us.unit)
        ev = sub.event if sub else None
        file = sub.source if sub else ""
        lead_rows = [row for row in last.rows if us.unit in row.lead_units]
        weights = {row.id: sc.section_weights.get(str(row.section), 1.0) for row in lead_rows}
        weight_sum = sum(weights.values())
        us.maxima[PROGRESS] = sc.progress_points
        if lead_rows and weight_sum > 0:
            rates = 0.0
            for row in lead_rows:
                own = any(a.unit == us.unit for a in row.lead_reports)
                status = (row.status or MISSING) if own else MISSING
                rate = sc.status_rates.get(status, 0.0)
                fact = f"牵头任务{status}"
                if own and row.light:
                    cut = sc.light_deductions.get(row.light, 0.0)
                    rate = max(0.0, rate - cut)
                    fact += f"、{row.light}灯"
                fact += f"，得分率{num(rate)}%"
                if weights[row.id] != 1.0:
                    fact += f"，权重{num(weights[row.id])}"
                rates += weights[row.id] * rate
                pts = sc.progress_points * weights[row.id] * rate / 100 / weight_sum
                add(us, PROGRESS, last.period, row.label, fact, pts, ev, file)
            us.scores[PROGRESS] = rounded(sc.progress_points * rates / 100 / weight_sum)
        else:
            us.scores[PROGRESS] = sc.progress_points
            us.notes[PROGRESS] = "无牵头任务，本项按满分计"

        inds = [(row, ind) for row in lead_rows for ind in row.indicators]
        us.maxima[INDICATORS] = sc.indicator_points
        if inds:
            rate_sum = 0.0
            for row, ind in inds:
                if ind.value is None:
                    rate, fact = 0.0, f"{ind.name}未报送"
                elif ind.on_track:
                    rate, fact = 100.0, ind.text or f"{ind.name}达到要求"
                else:
                    rate, fact = sc.indicator_behind_rate, ind.text or f"{ind.name}未达到要求"
                rate_sum += rate
                pts = sc.indicator_points * rate / 100 / len(inds)
                add(
                    us,
                    INDICATORS,
                    last.period,
                    row.label,
                    f"{fact}，得分率{num(rate)}%",
                    pts,
                    ev,
                    file,
                )
            us.scores[INDICATORS] = rounded(sc.indicator_points * rate_sum / 100 / len(inds))
        else:
            us.scores[INDICATORS] = sc.indicator_points
            us.notes[INDICATORS] = "牵头任务无量化指标，本项按满分计"

        # 配合任务: every quarter
        coop = []
        for r in results:
            s = subs[r.period].get(us.unit)
            for row in r.rows:
                if us.unit in row.coop_units:
                    answer = next((a for a in row.coop_feedback if a.unit == us.unit), None)
                    coop.append((r.period, row.label, answer, s))
        us.maxima[COOP] = sc.coop_points
        if coop:
            given = 0
            for period, label, answer, s in coop:
                ok = _given(answer)
                given += ok
                if ok:
                    fact = "已反馈配合情况"
                elif answer is not None and answer.prefilled:
                    fact = "配合情况沿用上季度内容，未更新"
                elif s is not None and s.accepted:
                    fact = "未填写配合情况"
                else:
                    fact = f"配合情况未反馈（{s.state.value if s else MISSING}）"
                pts = sc.coop_points / len(coop) if ok else 0.0
                add(
                    us,
                    COOP,
                    period,
                    label,
                    fact,
                    pts,
                    s.event if s else None,
                    s.source if s else "",
                )
            us.scores[COOP] = rounded(sc.coop_points * given / len(coop))
        else:
            us.scores[COOP] = sc.coop_points
            us.notes[COOP] = "无配合任务，本项按满分计"

        us.scores[ADJUST] = 0.0
        us.maxima[ADJUST] = sc.adjust_limit

    for adj in adjustments or []:
        adjusted = units.get(adj["unit"])
        if adjusted is None:
            card.notes.append(
                f"{adjustments_file} 第 {adj['row']} 行的单位“{adj['unit']}”不在本年度应报送单位中，未计入"
            )
            continue
        room_up = sc.adjust_limit - adjusted.scores[ADJUST]
        room_down = sc.adjust_limit + adjusted.scores[ADJUST]
        pts = max(-room_down, min(room_up, adj["points"]))
        fact = f"{adj['reason']}（{adj['doc_no']}）"
        if pts != adj["points"]:
            fact += f"，原为{num(adj['points'])}分，超出±{num(sc.adjust_limit)}分上限"
        adjusted.scores[ADJUST] = rounded(adjusted.scores[ADJUST] + pts)
        add(
            adjusted,
            ADJUST,
            str(year),
            "",
            fact,
            pts,
            Event("adjustments", adj["id"]),
            f"{adjustments_file} 第 {adj['row']} 行",
        )

    _rank(card)
    return card


def raise_none(year: int):
    raise AssessError(
        f"{year}年还没有任何季度的汇总结果（merged.json），无法考核评价；请先回收并汇总（duban collect）"
    )


def _rank(card: Scorecard) -> None:
    """Competition ranking within each group: equal totals share a rank (1, 2, 2, 4)."""
    for group in dict.fromkeys(u.group for u in card.units):
        members = sorted((u for u in card.units if u.group == group), key=lambda u: -u.total)
        for i, u in enumerate(members):
            if i and u.total == members[i - 1].total:
                u.rank = members[i - 1].rank
            else:
                u.rank = i + 1
