"""考核评价: each unit's score for the year (or up to a quarter), every point with its source.

The rubric is ``[scoring]`` in config.toml; nothing here is a number of its own.

- 报送质量, per quarter with a merged result: ``report_points``, less ``late_deduction``
  (the return in force came late), ``resubmit_deduction`` (a rejected version came before
  it) and ``missing_deduction`` (nothing accepted), never below 0 for the quarter.
- 任务推进, every quarter the unit leads tasks: each task scores its rate (``status_rates``
  of the row's status, or 未报送 when the unit did not report it, less ``light_deductions``
  of the row's light), weighted by ``section_weights``; the quarters weighted by
  ``quarter_weights`` (the year's end more); ``progress_points`` × the weighted mean rate.
- 配合任务: every quarter, each task the unit cooperates on counts as given when its
  feedback has content and was not just carried over from last quarter;
  ``coop_points`` × the share given.
- 指标完成, every quarter, weighted as 任务推进: each indicator of a task the unit leads —
  on track 100 %, behind ``indicator_behind_rate``, not reported 0; ``indicator_points`` ×
  the weighted mean.
- 领导评价: the office's 领导评价 sheet, 0 to ``leader_points``.
- 工作量: ``workload_per_task`` per lead task and ``workload_per_indicator`` per indicator
  carried, at most ``workload_limit``. 加减分: the office's sheet, within ±``adjust_limit``.

A component that does not apply to a unit (no lead task, no cooperation, no indicator, no
领导评价 given) is left out: 总分 = Σ scores of the components that apply ÷ Σ their full
marks × 100 + 工作量 + 加减分. Only units whose class is scored (``core.unit_classes``) have a
score, never the issuing office; a unit leading no task is ranked only with
``rank_without_lead``, and then after every unit that leads one. Scores are rounded to two places; the points of a component add up
to its score (``apportion``). Every ``Point`` says in words where a person finds its source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from reporting.assess.facts import Event, SubmissionFacts, submissions
from reporting.core.config import Settings
from reporting.core.exceptions import AssessError
from reporting.core.ledger import Ledger
from reporting.core.model import MISSING, Answer, QuarterResult, RowResult
from reporting.core.numbers import num, rounded
from reporting.core.periods import Period
from reporting.core.submissions import Submitted
from reporting.core.unit_classes import Classes
from reporting.merge.tally import gap_text

REPORTING = "报送质量"
PROGRESS = "任务推进"
COOP = "配合任务"
INDICATORS = "指标完成"
LEADER = "领导评价"
WORKLOAD = "工作量"
ADJUST = "加减分"
SCALED = (REPORTING, PROGRESS, COOP, INDICATORS, LEADER)  # scaled to 100 over those that apply
COMPONENTS = (*SCALED, WORKLOAD, ADJUST)
FULL = 100.0
OTHER_GROUP = "其他单位"
NOT_APPLICABLE = {
    PROGRESS: "无牵头任务，任务推进、指标完成不计入",
    COOP: "无配合任务，配合任务不计入",
    INDICATORS: "牵头任务无量化指标，指标完成不计入",
    LEADER: "未填写领导评价，本项不计入",
}
RANK_NOTES = {True: "排在有牵头任务的单位之后", False: "不参加排名"}


def apportion(values: list[float], total: float) -> list[float]:
    """``values`` rounded to cents so that they add up to ``total`` (largest remainders)."""
    cents = [Decimal(repr(v)) * 100 for v in values]
    floors = [c.to_integral_value(rounding=ROUND_FLOOR) for c in cents]
    left = int(Decimal(repr(total)) * 100 - sum(floors))
    by_remainder = sorted(range(len(values)), key=lambda i: (floors[i] - cents[i], i))
    for i in by_remainder[: max(left, 0)]:
        floors[i] += 1
    return [float(f / 100) for f in floors]


@dataclass
class Point:
    """One line of the 明细: what was counted, for how much, and where a person finds it."""

    unit: str
    component: str
    period: str  # period code, e.g. 2024Q2; the year for the whole year's items
    task: str  # task label, e.g. 8（1）; "" for the quarter as a whole
    fact: str
    points: float
    source: str  # in words: the return, notice, or sheet row it rests on
    event: str = ""  # ledger record, e.g. returns#47 (for the program, never shown)


@dataclass
class UnitScore:
    unit: str
    kind: str  # its class
    group: str
    scores: dict[str, float] = field(default_factory=dict)  # the components that apply
    maxima: dict[str, float] = field(default_factory=dict)  # their full marks
    notes: dict[str, str] = field(default_factory=dict)  # component → why it is left out
    leads: bool = False  # leads at least one task in a quarter counted
    ranked: bool = True
    rank: int = 0  # 0: not ranked

    @property
    def scaled(self) -> float:
        """The components that apply, out of 100."""
        full = sum(self.maxima[c] for c in SCALED if c in self.maxima)
        got = sum(self.scores[c] for c in SCALED if c in self.scores)
        return rounded(FULL * got / full) if full else 0.0

    @property
    def total(self) -> float:
        return rounded(self.scaled + self.scores.get(WORKLOAD, 0.0) + self.scores.get(ADJUST, 0.0))


@dataclass
class Scorecard:
    year: int
    periods: list[str]  # quarters counted
    units: list[UnitScore]
    points: list[Point]
    generated_at: str  # the newest merge counted: the sheet's time
    adjustments_file: str = ""
    notes: list[str] = field(default_factory=list)
    apart: dict[str, str] = field(default_factory=dict)  # unit not scored → its class

    def unit(self, name: str) -> UnitScore:
        return next(u for u in self.units if u.unit == name)

    def ranked(self) -> list[UnitScore]:
        """Group by group, ranked units by rank, then the unranked by total; then the
        registry's order."""
        order = {u.unit: i for i, u in enumerate(self.units)}
        groups = list(dict.fromkeys(u.group for u in self.units))
        return sorted(
            self.units,
            key=lambda u: (groups.index(u.group), not u.ranked, u.rank, -u.total, order[u.unit]),
        )

    def top(self, group: str, count: int = 3, names=None) -> list[UnitScore]:
        """The first ``count`` ranked units of ``group`` (among ``names`` when given)."""
        return [
            u
            for u in self.ranked()
            if u.group == group and u.ranked and (names is None or u.unit in names)
        ][:count]

    def lines(self) -> list[str]:
        quarters = "、".join(Period.parse(p).label for p in self.periods)
        out = [f"{self.year}年度考核评价（计入{quarters}），{len(self.units)} 个单位评分。"]
        for group in dict.fromkeys(u.group for u in self.units):
            top = self.top(group)
            if top:
                names = "、".join(f"{u.unit}（{num(u.total)}分）" for u in top)
                out.append(f"{group}前三名：{names}")
        unranked = [u.unit for u in self.units if not u.ranked]
        if unranked:
            out.append(f"无牵头任务、评分但不排名的单位 {len(unranked)} 个：{'、'.join(unranked)}")
        if self.apart:
            out.append(f"按单位类别不参加评分的单位 {len(self.apart)} 个：{'、'.join(self.apart)}")
        out += [f"提示：{n}" for n in self.notes]
        return out


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
    settings: Settings,
    ledger: Ledger,
    results: list[QuarterResult],
    period: Period,
    kinds: Mapping[str, str] | None = None,
) -> list[str]:
    """The running scores up to ``period`` as the 通报 and the annual report quote them:
    the first three ranked units of each group its class lets the 通报 praise (领导评价 and
    adjustments not counted)."""
    card = score_year(settings, ledger, results, period.year, kinds=kinds)
    classes = Classes.of(settings, kinds)
    may = {u.unit for u in card.units if classes.may_praise(u.unit, u.kind)}
    out = [
        f"按年度考核评分规则，截至{period.label}各单位累计得分（未计领导评价和加减分）排名前列的是："
    ]
    for group in dict.fromkeys(u.group for u in card.units):
        top = card.top(group, names=may)
        if top:
            out.append(
                f"{group}：" + "、".join(f"{u.unit}（{num(u.total)}分）" for u in top) + "。"
            )
    return out


def _given(answer: Answer | None) -> bool:
    if answer is None or answer.prefilled:
        return False
    return bool(answer.progress.strip()) or answer.percent is not None or bool(answer.status)


@dataclass
class _Year:
    """What every unit's scoring reads: the rubric, the quarters, the facts of each."""

    settings: Settings
    results: list[QuarterResult]
    subs: dict[str, dict[str, SubmissionFacts]]
    card: Scorecard

    def add(self, us: UnitScore, comp: str, period: str, task: str, fact: str, pts, ev, src=""):
        if isinstance(ev, Event):
            src, ref = ev.text, ev.ref
        else:
            ref = ""
            if not src:
                label = Period.parse(period).full_label if "Q" in period else f"{period}年"
                note = f"{us.unit} {label}“{fact}”找不到所依据的报送或通知记录，请核实"
                if note not in self.card.notes:
                    self.card.notes.append(note)
                src = "（无记录）"
        self.card.points.append(Point(us.unit, comp, period, task, fact, pts, src, ref))

    def weight(self, r: QuarterResult) -> float:
        return self.settings.scoring.quarter_weights[Period.parse(r.period).quarter - 1]


def score_year(
    settings: Settings,
    ledger: Ledger,
    results: list[QuarterResult],
    year: int,
    adjustments: list | None = None,
    adjustments_file: str = "",
    *,
    leader: list[dict] | None = None,
    leader_file: str = "",
    kinds: Mapping[str, str] | None = None,
) -> Scorecard:
    """Score every unit due in ``results`` (merged results of ``year``, in quarter order)
    whose class is scored.

    ``adjustments`` are ledger ``adjustments`` rows (unit, points, reason, doc_no, id, row);
    ``leader`` the 领导评价 rows (unit, points, by, remark, row); ``kinds`` unit → units.csv
    kind, over the kind the merged results recorded.
    """
    if not results:
        raise_none(year)
    classes = Classes.of(settings, kinds)
    units: dict[str, UnitScore] = {}
    apart: dict[str, str] = {}
    for r in results:
        for ur in r.units:
            if ur.unit in units or ur.unit in apart:
                continue
            if classes.scored(ur.unit, ur.kind):
                group = classes.group(ur.unit, ur.kind) or OTHER_GROUP
                units[ur.unit] = UnitScore(ur.unit, classes.name(ur.unit, ur.kind), group)
            else:
                apart[ur.unit] = classes.name(ur.unit, ur.kind)
    card = Scorecard(
        year,
        [r.period for r in results],
        list(units.values()),
        [],
        generated_at=max(r.generated_at for r in results),
        adjustments_file=adjustments_file,
        apart=apart,
    )
    subs = {r.period: {s.unit: s for s in submissions(ledger, r)} for r in results}
    y = _Year(settings, results, subs, card)
    for us in units.values():
        _reporting(y, us)
        _progress(y, us)
        _indicators(y, us)
        _coop(y, us)
        _workload(y, us)
        us.scores[ADJUST] = 0.0
    _leader(y, units, leader or [], leader_file)
    _adjust(y, units, adjustments or [], adjustments_file)
    for us in units.values():
        us.ranked = us.leads or settings.scoring.rank_without_lead
        if not us.leads:
            us.notes[PROGRESS] += f"，{RANK_NOTES[us.ranked]}"
    _rank(card)
    return card


def _reporting(y: _Year, us: UnitScore) -> None:
    sc = y.settings.scoring
    total = 0.0
    for r in y.results:
        sub = y.subs[r.period].get(us.unit)
        if sub is None:
            continue  # not due that quarter
        us.maxima[REPORTING] = us.maxima.get(REPORTING, 0.0) + sc.report_points
        left = sc.report_points
        y.add(us, REPORTING, r.period, "", "本季度基础分", left, sub.event)
        cuts = []
        if sub.state == Submitted.LATE:
            cuts.append(("逾期报送", sc.late_deduction, sub.event))
        if sub.resubmitted:
            cuts.append(("被退回后重报", sc.resubmit_deduction, sub.rejection))
        if sub.state in (Submitted.MISSING, Submitted.REJECTED):
            cuts.append((sub.state.value, sc.missing_deduction, sub.event))
        if sub.state == Submitted.HELD:  # the office's open check: nothing deducted yet
            note = (
                f"{us.unit} {Period.parse(r.period).full_label}的报送待核实，核实前报送质量未扣分"
            )
            if note not in y.card.notes:
                y.card.notes.append(note)
        for fact, cut, ev in cuts:
            cut = min(cut, left)
            left -= cut
            y.add(us, REPORTING, r.period, "", fact, -cut, ev)
        total += left
    us.scores[REPORTING] = rounded(total)


def _lead_rows(r: QuarterResult, unit: str) -> list[RowResult]:
    return [row for row in r.rows if unit in row.lead_units]


def _weighted(y: _Year, us: UnitScore, comp: str, full: float, quarters: list) -> None:
    """``quarters``: (result, [(task label, fact, rate, weight)]) with at least one item each;
    ``full`` × the mean rate, items weighted within their quarter, quarters by their weight."""
    quarters = [(r, items) for r, items in quarters if y.weight(r) > 0 and sum(i[3] for i in items)]
    if not quarters:
        if us.leads or comp == PROGRESS:  # no lead task: said once, for both
            us.notes[comp] = NOT_APPLICABLE[comp]
        return
    w_sum = sum(y.weight(r) for r, _ in quarters)
    exact: list[float] = []
    lines = []
    for r, items in quarters:
        sub = y.subs[r.period].get(us.unit)
        item_sum = sum(w for *_, w in items)
        for label, fact, rate, w in items:
            exact.append(full * y.weight(r) / w_sum * w / item_sum * rate / 100)
            lines.append((r.period, label, fact, sub.event if sub else None))
    _settle(y, us, comp, full, exact, lines)


def _settle(y: _Year, us: UnitScore, comp: str, full: float, exact: list, lines: list) -> None:
    """The component's score (to the cent) and its points, apportioned to add up to it."""
    us.maxima[comp] = full
    us.scores[comp] = rounded(sum(exact))
    for (period, label, fact, ev), pts in zip(
        lines, apportion(exact, us.scores[comp]), strict=True
    ):
        y.add(us, comp, period, label, fact, pts, ev)


def _progress(y: _Year, us: UnitScore) -> None:
    sc = y.settings.scoring
    quarters = []
    for r in y.results:
        rows = _lead_rows(r, us.unit)
        if not rows:
            continue
        us.leads = True
        items = []
        for row in rows:
            own = any(a.unit == us.unit for a in row.lead_reports)
            status = (row.status or MISSING) if own else MISSING
            rate = sc.status_rates.get(status, 0.0)
            fact = f"牵头任务{status}"
            if own and row.light:
                rate = max(0.0, rate - sc.light_deductions.get(row.light, 0.0))
                fact += f"、{row.light}灯"
                behind = gap_text(row)  # the same basis and number as the report's
                if behind:
                    fact += f"（{behind}）"
            weight = sc.section_weights.get(str(row.section), 1.0)
            fact += f"，得分率{num(rate)}%"
            if weight != 1.0:
                fact += f"，权重{num(weight)}"
            items.append((row.label, fact, rate, weight))
        quarters.append((r, items))
    _weighted(y, us, PROGRESS, sc.progress_points, quarters)


def _indicators(y: _Year, us: UnitScore) -> None:
    sc = y.settings.scoring
    quarters = []
    for r in y.results:
        items = []
        for row in _lead_rows(r, us.unit):
            for ind in row.indicators:
                if ind.value is None:
                    rate, fact = 0.0, f"{ind.name}未报送"
                elif ind.on_track:
                    rate, fact = 100.0, ind.text or f"{ind.name}达到要求"
                else:
                    rate, fact = sc.indicator_behind_rate, ind.text or f"{ind.name}未达到要求"
                items.append((row.label, f"{fact}，得分率{num(rate)}%", rate, 1.0))
        if items:
            quarters.append((r, items))
    _weighted(y, us, INDICATORS, sc.indicator_points, quarters)


def _coop(y: _Year, us: UnitScore) -> None:
    sc = y.settings.scoring
    coop = []
    for r in y.results:
        s = y.subs[r.period].get(us.unit)
        for row in r.rows:
            if us.unit in row.coop_units:
                answer = next((a for a in row.coop_feedback if a.unit == us.unit), None)
                coop.append((r.period, row.label, answer, s))
    if not coop:
        us.notes[COOP] = NOT_APPLICABLE[COOP]
        return
    exact, lines = [], []
    for period, label, answer, s in coop:
        ok = _given(answer)
        if ok:
            fact = "已反馈配合情况"
        elif answer is not None and answer.prefilled:
            fact = "配合情况沿用上季度内容，未更新"
        elif s is not None and s.accepted:
            fact = "未填写配合情况"
        else:
            fact = f"配合情况未反馈（{s.state.value if s else MISSING}）"
        exact.append(sc.coop_points / len(coop) if ok else 0.0)
        lines.append((period, label, fact, s.event if s else None))
    _settle(y, us, COOP, sc.coop_points, exact, lines)


def _workload(y: _Year, us: UnitScore) -> None:
    sc = y.settings.scoring
    tasks: dict[str, str] = {}
    indicators: set[tuple[str, str]] = set()
    for r in y.results:
        for row in _lead_rows(r, us.unit):
            tasks[row.id] = row.label
            indicators |= {(row.id, ind.name) for ind in row.indicators}
    raw = sc.workload_per_task * len(tasks) + sc.workload_per_indicator * len(indicators)
    us.scores[WORKLOAD] = rounded(min(raw, sc.workload_limit))
    if not tasks:
        return
    fact = (
        f"牵头任务{len(tasks)}项×{num(sc.workload_per_task)}分"
        f"＋量化指标{len(indicators)}个×{num(sc.workload_per_indicator)}分"
    )
    if raw > sc.workload_limit:
        fact += f"，超过上限按{num(sc.workload_limit)}分计"
    source = f"{y.card.year}年各季度汇总表中{us.unit}牵头的任务（{'、'.join(tasks.values())}）"
    y.add(us, WORKLOAD, str(y.card.year), "", fact, us.scores[WORKLOAD], None, source)


def _leader(y: _Year, units: dict[str, UnitScore], rows: list[dict], file: str) -> None:
    full = y.settings.scoring.leader_points
    given = {row["unit"]: row for row in rows}
    if not given and full > 0:  # the sheet not filled in yet: said once, not on every row
        y.card.notes.append(f"{file}还没有填写得分，{LEADER}暂不计入各单位总分")
    for us in units.values():
        row = given.get(us.unit)
        if row is None or full <= 0:
            if given:
                us.notes[LEADER] = NOT_APPLICABLE[LEADER]
            continue
        us.maxima[LEADER] = full
        us.scores[LEADER] = rounded(row["points"])
        fact = f"{row['by']}评价" + (f"：{row['remark']}" if row.get("remark") else "")
        source = f"{file} 第 {row['row']} 行（评价人：{row['by']}）"
        y.add(us, LEADER, str(y.card.year), "", fact, us.scores[LEADER], None, source)


def _adjust(y: _Year, units: dict[str, UnitScore], rows: list, file: str) -> None:
    limit = y.settings.scoring.adjust_limit
    for adj in rows:
        adjusted = units.get(adj["unit"])
        if adjusted is None:
            y.card.notes.append(
                f"{file} 第 {adj['row']} 行的单位“{adj['unit']}”不参加本年度考核评分，未计入"
            )
            continue
        room_up = limit - adjusted.scores[ADJUST]
        room_down = limit + adjusted.scores[ADJUST]
        pts = max(-room_down, min(room_up, adj["points"]))
        fact = f"{adj['reason']}（{adj['doc_no']}）"
        if pts != adj["points"]:
            fact += f"，原为{num(adj['points'])}分，超出±{num(limit)}分上限"
        adjusted.scores[ADJUST] = rounded(adjusted.scores[ADJUST] + pts)
        source = f"{file} 第 {adj['row']} 行（{adj['doc_no']}）"
        y.add(
            adjusted,
            ADJUST,
            str(y.card.year),
            "",
            fact,
            pts,
            Event("adjustments", adj["id"], source),
        )


def raise_none(year: int):
    raise AssessError(
        f"{year}年还没有任何季度的汇总结果（merged.json），无法考核评价；请先回收并汇总（duban collect）"
    )


def _rank(card: Scorecard) -> None:
    """Competition ranking of the ranked units in each group: equal totals share a rank (1, 2,
    2, 4); a unit leading no task (ranked with ``rank_without_lead``) comes after every unit
    that leads one, so it never outranks them; the unranked keep rank 0."""
    for group in dict.fromkeys(u.group for u in card.units):
        members = sorted(
            (u for u in card.units if u.group == group and u.ranked),
            key=lambda u: (not u.leads, -u.total),
        )
        for i, u in enumerate(members):
            before = members[i - 1] if i else None
            if before is not None and (u.total, u.leads) == (before.total, before.leads):
                u.rank = before.rank
            else:
                u.rank = i + 1
