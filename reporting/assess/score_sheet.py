"""``duban score``: the year's 考核评分表.xlsx from the ledger and the merged results.

Sheets: 考核评分表 (one row per unit: every component, total, rank within its group),
明细 (every point with its period, task, ledger record and file) and 评分规则 (the rubric
as configured). The file carries the time of the newest merge counted, so the same ledger
gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reporting.assess.adjustments import load_adjustments, write_template
from reporting.assess.scoring import COMPONENTS, Scorecard, load_results, score_year
from reporting.core.config import Settings
from reporting.core.ledger import Ledger
from reporting.core.periods import Period
from reporting.core.workspace import Workspace
from reporting.merge.judge import num

SHEET_SCORES = "考核评分表"
SHEET_POINTS = "明细"
SHEET_RULES = "评分规则"
KIND_CN = {
    "department": "区直部门",
    "township": "乡镇",
    "street": "街道",
    "enterprise": "国有企业",
    "other": "其他",
}


@dataclass
class ScoreOutput:
    card: Scorecard
    path: Path
    template: Path | None = None  # an empty adjustments sheet written for the office
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"考核评分表已生成：{self.path}", *self.card.lines()]
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
    results = load_results(workspace, year, upto)
    year_dir = workspace.root / str(year)
    sheet = year_dir / settings.scoring.adjustments
    template = None
    adjustments = []
    if results:
        units = {u.unit for r in results for u in r.units}
        if sheet.exists():
            adjustments = load_adjustments(
                ledger, sheet, year, units, registry=registry, at=now.isoformat(timespec="seconds")
            )
        else:
            year_dir.mkdir(parents=True, exist_ok=True)
            write_template(sheet, now)
            template = sheet
    card = score_year(settings, ledger, results, year, adjustments, sheet.name)
    path = score_path(workspace, year, upto)
    write_score_sheet(card, settings, path)
    return ScoreOutput(card, path, template)


def write_score_sheet(card: Scorecard, settings: Settings, path: Path) -> None:
    from reporting.documents import xlsx_direct as xd
    from reporting.documents import xlsx_style as st
    from reporting.merge.summary import write_table

    wb = xd.Book(st.BODY, lock_structure=False)
    ws = wb.create_sheet(SHEET_SCORES)
    quarters = "、".join(Period.parse(p).label for p in card.periods)
    columns = [("序号", 6), ("单位", 26), ("类别", 10), ("排名组", 12)]
    columns += [
        (f"{c}\n（满分{num(_max(card, c))}）" if c != "加减分" else c, 12) for c in COMPONENTS
    ]
    columns += [("总分", 10), ("组内排名", 10), ("说明", 30)]
    rows = []
    for i, u in enumerate(card.ranked(), 1):
        rows.append(
            [i, u.unit, KIND_CN.get(u.kind, u.kind), u.group]
            + [u.scores[c] for c in COMPONENTS]
            + [u.total, u.rank, "；".join(u.notes.values())]
        )
    write_table(
        ws,
        st,
        f"{card.year}年度{settings.district.document_title}考核评分表",
        f"计入{card.year}年{quarters}；各项得分的来源见“明细”工作表，评分规则见“评分规则”工作表。"
        "同一排名组内按总分排名，总分相同名次相同。",
        columns,
        rows,
    )
    _number_format(ws, 5, 4 + len(COMPONENTS) + 1, len(rows))

    ws = wb.create_sheet(SHEET_POINTS)
    columns = [
        ("单位", 24),
        ("评分项", 10),
        ("季度", 10),
        ("任务", 8),
        ("事实", 44),
        ("分值", 9),
        ("台账记录", 16),
        ("文件", 40),
    ]
    order = {u.unit: i for i, u in enumerate(card.ranked())}
    comp = {c: i for i, c in enumerate(COMPONENTS)}
    points = sorted(
        enumerate(card.points), key=lambda ip: (order[ip[1].unit], comp[ip[1].component], ip[0])
    )
    rows = [
        [p.unit, p.component, p.period, p.task, p.fact, p.points, p.event or "（无记录）", p.file]
        for _, p in points
    ]
    write_table(
        ws,
        st,
        "考核评分明细",
        "每一行是一项得分或扣分：季度、任务、所依据的台账记录（表名#编号，可在 ledger.sqlite 中查到）"
        "和文件。各单位同一评分项的分值之和等于评分表中的该项得分（按满分计的项除外）。",
        columns,
        rows,
    )
    _number_format(ws, 6, 6, len(rows))

    ws = wb.create_sheet(SHEET_RULES)
    write_table(
        ws,
        st,
        "评分规则",
        "取自 config.toml 的 [scoring]；改规则只需改配置，重新运行 duban score。",
        [("项目", 30), ("设定", 60)],
        _rules(settings),
    )
    xd.save(wb, path, card.generated_at)


def _max(card: Scorecard, component: str) -> float:
    return max((u.maxima.get(component, 0.0) for u in card.units), default=0.0)


def _number_format(ws, first_col: int, last_col: int, count: int) -> None:
    for r in range(4, 4 + count):
        for c in range(first_col, last_col + 1):
            if isinstance(ws.value(r, c), float):
                ws.restyle(r, c, number_format="0.00")


def _rules(settings: Settings) -> list[list[str]]:
    sc = settings.scoring
    rates = "，".join(f"{k}{num(v)}%" for k, v in sc.status_rates.items())
    lights = "，".join(f"{k}灯减{num(v)}个百分点" for k, v in sc.light_deductions.items())
    weights = (
        "，".join(f"板块{k}权重{num(v)}" for k, v in sc.section_weights.items()) or "各任务权重相同"
    )
    groups = "；".join(
        f"{g}：{'、'.join(KIND_CN.get(k, k) for k in kinds)}" for g, kinds in sc.groups.items()
    )
    return [
        [
            "报送质量（每季度）",
            f"满分{num(sc.report_points)}分；逾期报送扣{num(sc.late_deduction)}分，"
            f"被退回后重报扣{num(sc.resubmit_deduction)}分，未报送或退回后未重报扣"
            f"{num(sc.missing_deduction)}分；每季度扣完为止",
        ],
        [
            "任务推进（牵头任务，最后一个季度）",
            f"满分{num(sc.progress_points)}分，按各牵头任务得分率的"
            f"加权平均计：{rates}；{lights}；{weights}",
        ],
        [
            "配合任务（每季度）",
            f"满分{num(sc.coop_points)}分，按已反馈配合情况的任务所占比例计；"
            "沿用上季度内容未更新的不算反馈",
        ],
        [
            "指标完成（牵头任务的量化指标，最后一个季度）",
            f"满分{num(sc.indicator_points)}分；"
            f"达到要求（累计值按序时进度，增速按目标增速）100%，未达到{num(sc.indicator_behind_rate)}%，未报送0",
        ],
        ["加减分", f"{sc.adjustments}，每个单位合计不超过±{num(sc.adjust_limit)}分"],
        ["无此项的单位", "没有牵头任务、配合任务或量化指标的，该项按满分计"],
        ["排名组", groups],
    ]
