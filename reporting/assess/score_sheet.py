"""``duban score``: the year's 考核评分表.xlsx from the ledger and the merged results.

Sheets: 考核评分表 (one row per unit scored: every component — "—" where it does not apply —,
the full marks of those that apply, the score out of 100, workload, adjustments, total, rank
within its group), 明细 (every point with its quarter, task and, in words, the return, notice
or sheet row it rests on) and 评分规则 (the rubric and the unit classes as configured). Every
cell is written for a clerk: no ledger ids, file names of the ledger, period codes, config
keys or commands. The file carries the time of the newest merge counted, so the same ledger
gives the same bytes. The office's two sheets (考核调整, 领导评价) are written when missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reporting.assess.adjustments import (
    load_adjustments,
    read_leader,
    write_leader_template,
    write_template,
)
from reporting.assess.scoring import (
    ADJUST,
    COMPONENTS,
    COOP,
    INDICATORS,
    LEADER,
    PROGRESS,
    REPORTING,
    SCALED,
    WORKLOAD,
    Scorecard,
    load_results,
    score_year,
)
from reporting.core.config import Settings
from reporting.core.ledger import Ledger
from reporting.core.numbers import num
from reporting.core.periods import Period
from reporting.core.unit_classes import Classes, describe
from reporting.core.workspace import Workspace

SHEET_SCORES = "考核评分表"
SHEET_POINTS = "明细"
SHEET_RULES = "评分规则"
NOT_APPLICABLE = "—"
SCORE_FORMAT = "0.00"
SAME_AS_ABOVE = "同上"


@dataclass
class ScoreOutput:
    card: Scorecard
    path: Path
    template: Path | None = None  # an empty adjustments sheet written for the office
    leader_template: Path | None = None  # the 领导评价 sheet written for the office
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"考核评分表已生成：{self.path}", *self.card.lines()]
        if self.leader_template:
            out.append(
                f"领导评价表已生成：{self.leader_template}（列出了每个评分单位）；"
                "填好得分和评价人后再运行一次 duban score，领导评价即计入总分。"
            )
        if self.template:
            out.append(
                f"如需加分、减分，请填写 {self.template}（已生成空表），再运行一次 duban score。"
            )
        return out


def score_path(workspace: Workspace, year: int, upto: Period | None) -> Path:
    name = (
        f"考核评分表（截至{upto.label}）.xlsx" if upto and upto.quarter < 4 else "考核评分表.xlsx"
    )
    return workspace.root / str(year) / name


def run_score(
    settings: Settings,
    workspace: Workspace,
    ledger: Ledger,
    year: int,
    *,
    upto: Period | None = None,
    registry=None,
    now: datetime,
) -> ScoreOutput:
    sc = settings.scoring
    results = load_results(workspace, year, upto)
    year_dir = workspace.root / str(year)
    sheet = year_dir / sc.adjustments
    leader_sheet = year_dir / sc.leader_sheet
    kinds = {n: u.kind for n, u in registry.units.items()} if registry is not None else None
    out_template = out_leader = None
    adjustments: list = []
    leader: list[dict] = []
    if results:
        classes = Classes.of(settings, kinds)
        units = list(
            dict.fromkeys(
                u.unit for r in results for u in r.units if classes.scored(u.unit, u.kind)
            )
        )
        at = now.isoformat(timespec="seconds")
        year_dir.mkdir(parents=True, exist_ok=True)
        if sheet.exists():
            adjustments = load_adjustments(
                ledger, sheet, year, set(units), registry=registry, at=at
            )
        else:
            write_template(sheet, now, sc.adjust_limit)
            out_template = sheet
        if leader_sheet.exists():
            leader = read_leader(leader_sheet, set(units), sc.leader_points, registry)
        elif sc.leader_points > 0:
            write_leader_template(leader_sheet, units, now, sc.leader_points)
            out_leader = leader_sheet
    card = score_year(
        settings,
        ledger,
        results,
        year,
        adjustments,
        sheet.name,
        leader=leader,
        leader_file=leader_sheet.name,
        kinds=kinds,
    )
    path = score_path(workspace, year, upto)
    write_score_sheet(card, settings, path)
    return ScoreOutput(card, path, out_template, out_leader)


def _period_text(period: str) -> str:
    return Period.parse(period).label if "Q" in period else "全年"


def write_score_sheet(card: Scorecard, settings: Settings, path: Path) -> None:
    from reporting.documents import xlsx_direct as xd
    from reporting.documents import xlsx_style as st
    from reporting.merge.summary import write_table

    wb = xd.Book(st.BODY, lock_structure=False)
    ws = wb.create_sheet(SHEET_SCORES)
    quarters = "、".join(Period.parse(p).label for p in card.periods)
    columns = [("序号", 6), ("单位", 24), ("单位类别", 14), ("排名组", 12)]
    columns += [(f"{c}\n（满分{num(_full(card, settings, c))}）", 11) for c in SCALED]
    columns += [
        ("适用项\n满分", 9),
        ("折算得分\n（百分制）", 11),
        (WORKLOAD, 9),
        (ADJUST, 9),
        ("总分", 10),
        ("组内排名", 9),
        ("说明", 36),
    ]
    rows = []
    for i, u in enumerate(card.ranked(), 1):
        rows.append(
            [i, u.unit, u.kind, u.group]
            + [u.scores.get(c, NOT_APPLICABLE) for c in SCALED]
            + [
                sum(u.maxima.values()),
                u.scaled,
                u.scores[WORKLOAD],
                u.scores[ADJUST],
                u.total,
                u.rank if u.ranked else "不排名",
                "；".join(u.notes.values()),
            ]
        )
    apart = sorted({c for n, c in card.apart.items() if n != settings.district.office})
    subtitle = (
        f"计入{card.year}年{quarters}。总分 = 适用各项得分之和 ÷ 适用各项满分之和 × 100"
        " + 工作量 + 加减分；“—”为对该单位不适用的项，不计入，也不按满分计。"
        "各项得分的来源见“明细”工作表，评分规则见“评分规则”工作表。"
        "同一排名组内按总分排名，总分相同名次相同。"
    )
    if not any(LEADER in u.maxima for u in card.units) and settings.scoring.leader_points > 0:
        subtitle += f"《{settings.scoring.leader_sheet}》还没有填写，{LEADER}暂不计入。"
    if apart:
        subtitle += (
            f"按单位类别不参加评分的单位（{'、'.join(apart)}）和{settings.district.office}"
            "不列入本表。"
        )
    first = 5
    numbers = {c: SCORE_FORMAT for c in range(first, first + len(SCALED) + 5)}
    write_table(
        ws,
        st,
        f"{card.year}年度{settings.district.document_title}考核评分表",
        subtitle,
        columns,
        rows,
        numbers=numbers,
    )

    ws = wb.create_sheet(SHEET_POINTS)
    columns = [
        ("单位", 20),
        ("评分项", 10),
        ("季度", 10),
        ("任务", 8),
        ("事实", 40),
        ("分值", 9),
        ("依据（可查到的来源）", 48),
    ]
    order = {u.unit: i for i, u in enumerate(card.ranked())}
    comp = {c: i for i, c in enumerate(COMPONENTS)}
    # a unit's rows by quarter (the whole year's last), and in a quarter by the 依据 they
    # rest on: a return backs many rows, so its long 依据 (with the archive path) is printed
    # once, not once an item
    seen: dict[tuple[str, str], int] = {}
    for i, p in enumerate(card.points):
        seen.setdefault((p.unit, p.source), i)
    points = sorted(
        enumerate(card.points),
        key=lambda ip: (
            order[ip[1].unit],
            "Q" not in ip[1].period,  # the whole year's items ("2024")
            ip[1].period,
            seen[(ip[1].unit, ip[1].source)],
            comp[ip[1].component],
            ip[0],
        ),
    )
    rows = []
    before = None
    for _, p in points:
        # the rows under a printed 依据 say 同上 and stay one line tall
        source = SAME_AS_ABOVE if before == (p.unit, p.source) else p.source
        before = (p.unit, p.source)
        rows.append([p.unit, p.component, _period_text(p.period), p.task, p.fact, p.points, source])
    write_table(
        ws,
        st,
        f"{card.year}年度考核评分明细",
        "每一行是一项得分或扣分：所在季度、任务、事实，以及可以查到的依据——单位报送的进展情况表"
        "（报送时间、第几份、归档文件在数据目录中的位置）、发出的通知，或考核调整表、领导评价表的行；"
        "同一单位的各行按季度排列，依据相同的行排在一起，后面的行写“同上”。"
        "各单位同一评分项的分值之和等于评分表中的该项得分。",
        columns,
        rows,
        numbers={6: SCORE_FORMAT},
    )

    ws = wb.create_sheet(SHEET_RULES)
    write_table(
        ws,
        st,
        "评分规则",
        "以下规则和单位类别由督查考核办设定；规则改动后重新生成本表即按新规则计分。",
        [("项目", 26), ("设定", 74)],
        _rules(settings),
    )
    xd.save(wb, path, card.generated_at)


def _full(card: Scorecard, settings: Settings, component: str) -> float:
    """The full marks a column header names: 报送质量 adds up per quarter due."""
    sc = settings.scoring
    if component == REPORTING:
        return max((u.maxima.get(component, 0.0) for u in card.units), default=0.0)
    return {
        PROGRESS: sc.progress_points,
        COOP: sc.coop_points,
        INDICATORS: sc.indicator_points,
        LEADER: sc.leader_points,
    }[component]


def _quarters(weights: list[float]) -> str:
    names = "一二三四"
    return "、".join(f"第{names[i]}季度{num(w)}" for i, w in enumerate(weights))


def _rules(settings: Settings) -> list[list[str]]:
    sc, office = settings.scoring, settings.district.office
    rates = "，".join(f"{k}{num(v)}%" for k, v in sc.status_rates.items())
    lights = "，".join(f"{k}灯减{num(v)}个百分点" for k, v in sc.light_deductions.items())
    weights = (
        "，".join(f"板块{k}权重{num(v)}" for k, v in sc.section_weights.items()) or "各任务权重相同"
    )
    classes = Classes.of(settings)
    groups: dict[str, list[str]] = {}
    for name, rule in settings.units.classes.items():
        if rule.scored:
            groups.setdefault(classes.group("", name), []).append(name)
    return [
        [
            "总分",
            "适用各项得分之和 ÷ 适用各项满分之和 × 100 + 工作量 + 加减分。"
            f"某项对单位不适用（没有牵头任务、配合任务或量化指标，或未填写{LEADER}）时不计入，"
            "由其余各项折算为百分制，不按满分计",
        ],
        [
            "报送质量（每季度）",
            f"满分{num(sc.report_points)}分；逾期报送扣{num(sc.late_deduction)}分，"
            f"被退回后重报扣{num(sc.resubmit_deduction)}分，未报送或退回后未重报扣"
            f"{num(sc.missing_deduction)}分；每季度扣完为止",
        ],
        [
            "任务推进（牵头任务，每个季度）",
            f"满分{num(sc.progress_points)}分，按各季度牵头任务得分率的加权平均计：{rates}；"
            f"{lights}；{weights}；各季度权重：{_quarters(sc.quarter_weights)}",
        ],
        [
            "配合任务（每季度）",
            f"满分{num(sc.coop_points)}分，按已反馈配合情况的任务所占比例计；"
            "沿用上季度内容未更新的不算反馈",
        ],
        [
            "指标完成（牵头任务的量化指标，每个季度）",
            f"满分{num(sc.indicator_points)}分；"
            f"达到要求（累计值按序时进度，有落实方案节点的按节点；增速按目标增速）100%，"
            f"未达到{num(sc.indicator_behind_rate)}%，未报送0；各季度权重同任务推进",
        ],
        [
            LEADER,
            f"满分{num(sc.leader_points)}分，由督查考核办在《{sc.leader_sheet}》中按单位填写得分和评价人",
        ],
        [
            WORKLOAD,
            f"每牵头一项任务{num(sc.workload_per_task)}分，牵头任务每个量化指标"
            f"{num(sc.workload_per_indicator)}分，合计不超过{num(sc.workload_limit)}分，计入总分",
        ],
        [ADJUST, f"《{sc.adjustments}》，每个单位合计不超过±{num(sc.adjust_limit)}分"],
        [
            "排名",
            "同一排名组内按总分排名，总分相同名次相同；没有牵头任务的单位"
            + (
                "照常评分，排在有牵头任务的单位之后"
                if sc.rank_without_lead
                else "照常评分，不参加排名"
            ),
        ],
        ["排名组", "；".join(f"{g}：{'、'.join(names)}" for g, names in groups.items())],
        ["单位类别", "\n".join(describe(n, r) for n, r in settings.units.classes.items())],
        ["发文单位", f"{office}不表扬、不批评自己，不给自己评分和排名"],
    ]
