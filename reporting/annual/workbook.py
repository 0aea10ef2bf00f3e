"""``duban year``: the year workbook (``<data>/<year>/<year>年度推进情况汇总表.xlsx``).

Sheets, all from one ``YearData`` (the annual report shows the same numbers):
全年完成情况 (one row per task: the four quarters side by side, the judging quarter, the
final status, what falls short and the unit's reason), 任务×季度 (one row per task and
quarter: progress, status, light, the lead units' text), 指标完成情况, 单位×季度 (按时 /
逾期 / 未报送 per quarter), 判定规则, and 全文 (texts too long for one row). The file carries
the time of the newest merge counted: the same results give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reporting.annual.year import Final, YearData
from reporting.core.periods import Period
from reporting.core.submissions import Submitted
from reporting.core.unit_classes import class_name
from reporting.merge.summary import FULL_COLUMNS, PERCENT_FORMAT, SHEET_FULL, write_table

SHEET_FINAL = "全年完成情况"
SHEET_QUARTERS = "任务×季度"
SHEET_INDICATORS = "指标完成情况"
SHEET_UNITS = "单位×季度"
SHEET_RULE = "判定规则"

FINAL_FILLS = {Final.DONE: "FFBFE3C0", Final.MOSTLY: "FFFBE29F", Final.UNDONE: "FFF4B6B6"}


@dataclass
class YearOutput:
    data: YearData
    path: Path

    def lines(self) -> list[str]:
        d = self.data
        c = d.final_counts()
        merged = "、".join(Period.parse(p).label for p in d.merged)
        out = [
            f"全年汇总表已生成：{self.path}",
            f"{d.year}年计入{merged}的汇总结果；任务 {len(d.tasks)} 项：完成 {c[Final.DONE]} 项，"
            f"基本完成 {c[Final.MOSTLY]} 项，未完成 {c[Final.UNDONE]} 项"
            + (f"，尚未判定 {c[Final.PENDING]} 项" if c[Final.PENDING] else "")
            + "。",
        ]
        missing = [p for p in d.periods if p not in d.merged]
        if missing:
            out.append(
                "提示：" + "、".join(Period.parse(p).label for p in missing) + "还没有汇总结果，"
                "表中这些季度为“未汇总”；判定季度未汇总的任务“尚未判定”。"
            )
        return out


def write_year_workbook(data: YearData, title: str, path: Path) -> None:
    """Write the workbook atomically; ``title`` names the task list (e.g. 禹会区2024年…)."""
    from reporting.documents import xlsx_direct as xd
    from reporting.documents import xlsx_style as st

    labels = [Period.parse(p).label for p in data.periods]
    full: list[list] = []
    wb = xd.Book(st.BODY, lock_structure=False)
    ws = wb.create_sheet(SHEET_FINAL)
    c = data.final_counts()
    columns = [
        ("任务编号", 8),
        ("任务（简称）", 24),
        ("牵头单位", 16),
        ("完成时限", 11),
        *[(label, 12) for label in labels],
        ("判定季度", 10),
        ("全年完成情况", 10),
        ("未完成的方面", 28),
        ("单位说明的原因（存在问题、下步打算）", 40),
    ]
    rows: list[list] = [
        [
            t.label,
            (t.short_title or t.task_title) + (f"\n{t.change}" if t.change else ""),
            "\n".join(t.lead_units),
            t.deadline,
            *[t.quarters[p].short for p in data.periods],
            Period.parse(t.judged_at).label,
            t.final.value,
            t.shortfall,
            t.reason,
        ]
        for t in data.tasks
    ]
    write_table(
        ws,
        st,
        f"{title}全年完成情况",
        f"任务{len(data.tasks)}项：完成{c[Final.DONE]}项，基本完成{c[Final.MOSTLY]}项，未完成{c[Final.UNDONE]}项"
        + (f"，尚未判定{c[Final.PENDING]}项" if c[Final.PENDING] else "")
        + f"。判定规则：{data.rule}。各季度栏为累计完成进度和推进状态。",
        columns,
        rows,
        full=full,
    )
    final_col = 4 + len(labels) + 2
    for r, t in enumerate(data.tasks, 4):
        fill = FINAL_FILLS.get(t.final)
        if fill:
            ws.restyle(r, final_col, fill=st.solid_fill(fill))

    ws = wb.create_sheet(SHEET_QUARTERS)
    columns = [
        ("任务编号", 8),
        ("任务（简称）", 24),
        ("牵头单位", 16),
        ("季度", 10),
        ("累计进度", 9),
        ("推进状态", 9),
        ("亮灯", 6),
        ("本季度工作进展", 44),
        ("存在问题", 30),
        ("下步打算", 30),
    ]
    rows = []
    for t in data.tasks:
        for p, label in zip(data.periods, labels, strict=True):
            q = t.quarters[p]
            rows.append(
                [
                    t.label,
                    t.short_title or t.task_title,
                    "\n".join(t.lead_units),
                    label,
                    q.percent,
                    q.status,
                    q.light,
                    q.progress,
                    q.problems,
                    q.next_steps,
                ]
            )
    write_table(
        ws,
        st,
        f"{title}各季度推进情况",
        "每项任务每个季度一行：牵头单位报送的累计完成进度、推进状态、亮灯和文字（几个牵头单位的文字依次列出）。",
        columns,
        rows,
        light_col=7,
        numbers={5: PERCENT_FORMAT},
        full=full,
    )

    ws = wb.create_sheet(SHEET_INDICATORS)
    inds = data.indicators()
    reached = sum(1 for i in inds if i.reached == "达到")
    write_table(
        ws,
        st,
        f"{title}量化指标全年完成情况",
        f"量化指标{len(inds)}项，达到年度目标{reached}项。增速和比率按目标值判定，累计量按全年目标判定；"
        "完成时限在年内的任务按完成时限所在季度的报送判定。",
        [
            ("序号", 6),
            ("任务编号", 8),
            ("指标", 24),
            ("年度目标", 14),
            ("全年完成", 14),
            ("判定", 8),
            ("与目标比较", 26),
            ("判定季度", 10),
            ("牵头单位", 24),
        ],
        [
            [
                n,
                i.label,
                i.name,
                i.target_text,
                i.value_text,
                i.reached.value,
                i.compare,
                Period.parse(i.period).label,
                "\n".join(i.units),
            ]
            for n, i in enumerate(inds, 1)
        ],
    )

    ws = wb.create_sheet(SHEET_UNITS)
    rows = [
        [
            n,
            u.unit,
            class_name(u.kind),
            *[u.cell(p) for p in data.periods],
            u.count(Submitted.ON_TIME),
            u.count(Submitted.LATE),
            u.count(Submitted.MISSING) + u.count(Submitted.REJECTED) + u.count(Submitted.HELD),
        ]
        for n, u in enumerate(data.units, 1)
    ]
    write_table(
        ws,
        st,
        f"{title}各单位全年报送情况",
        "每个季度：按时、逾期（截止后才报送）、退回未重报、待核实（发件人待核实）、未报送；“—”为该季度无需报送或尚未汇总。"
        "未报送次数含退回未重报和待核实。",
        [
            ("序号", 6),
            ("单位", 26),
            ("类别", 12),
            *[(label, 11) for label in labels],
            ("按时次数", 9),
            ("逾期次数", 9),
            ("未报送次数", 10),
        ],
        rows,
    )

    ws = wb.create_sheet(SHEET_RULE)
    write_table(
        ws,
        st,
        "全年完成情况判定规则",
        "“全年完成情况”“指标完成情况”两表按此判定；第四季度的全年完成情况报告使用同一结果。",
        [("项目", 20), ("规则", 80)],
        [
            [
                "判定季度",
                "任务的完成时限在年内前三个季度的，按完成时限所在季度；其余按第四季度",
            ],
            ["完成", "累计完成进度达到100%（或报“已完成”未填进度），且各项量化指标均达到年度目标"],
            [
                "基本完成",
                f"未达到“完成”，但累计完成进度不低于{data.basic_percent:g}%",
            ],
            ["未完成", "其余任务，含判定季度牵头单位未报送的"],
            [
                "量化指标",
                "增速、比率（如 增长8%、治理率45%）与目标值比较；累计量（如 4100人）与全年目标比较",
            ],
            ["尚未判定", "判定季度还没有汇总结果"],
        ],
    )
    if full:  # an empty 全文 sheet printed a page saying （无）
        ws = wb.create_sheet(SHEET_FULL)
        write_table(
            ws,
            st,
            "长文字全文",
            "表中一行放不下的文字（单元格末尾注明了“全文见本表”），按顺序列出全文。",
            FULL_COLUMNS,
            full,
        )
    when = max(r.generated_at for r in data.results.values()) or "2000-01-01T00:00:00"
    xd.save(wb, path, when)


def run_year(settings, workspace, assignments, year: int) -> YearOutput:
    """Compute the year and write its workbook; the output names the file and the counts."""
    from reporting.annual.year import year_data

    data = year_data(settings, workspace, assignments, year)
    d = settings.district
    path = workspace.year_workbook(year)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_year_workbook(data, f"{d.name}{year}年{d.document_title}", path)
    return YearOutput(data, path)
