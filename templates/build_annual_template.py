"""Build the annual (全年) edition of the report (GB/T 9704-2012) with python-docx.

    .venv/bin/python templates/build_annual_template.py

writes ``templates/annual_report.docx``: the fourth quarter's report as the year's account —
一、全年完成情况 (tasks 完成 / 基本完成 / 未完成, indicators, the four quarters in a chart),
二、未完成的任务及原因, (三、考核评价情况), 下步工作建议; landscape annexes: 1. the year's
four quarters side by side per task, 2. every indicator against its target, 3. every
unit's four quarters. Page, styles and footers are the quarterly report's
(``build_report_template.base_document``). The built file is committed; the office may
edit its wording in Word/WPS, keeping the tags whole.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from build_report_template import (  # noqa: E402
    ADDRESSEE,
    ANNEX_CELL,
    ANNEX_CELL_CENTER,
    ANNEX_MARK,
    CAPTION,
    FIGURE,
    H1,
    NOTE,
    TITLE,
    base_document,
    closing,
    dense_table,
    kai_lead,
    p,
    page_break,
    pairs_table,
    save,
    tag,
)

from reporting.documents import docx_format as fmt  # noqa: E402

# annex 1 on the landscape type area (225 mm), 小五: "100% 已完成" and "基本完成" on one
# line, unit names of up to 12 字 whole
TREND_WIDTHS = [15, 44, 41, 25, 25, 25, 25, 25]
# annex 2: "170.5万平方米" and "完成全年目标的101.8%" on one line
INDICATOR_WIDTHS = [10, 15, 50, 26, 26, 14, 42, 42]
# annex 3: two units to a row, each with its four quarters (未报送 and 12-字 names on one line)
UNIT_HALF = [9, 41.5, 15.5, 15.5, 15.5, 15.5]
# annex 4: the year's 销号/延期/调整 (a 12-字 unit name, 禹政秘〔2024〕12号 on one line)
CHANGE_WIDTHS = [10, 15, 30, 50, 50, 18, 18, 34]


def build_annual(path: Path) -> None:
    doc = base_document(table_size=fmt.SIZE_WU)
    p(doc, "关于{{ district }}{{ year }}年{{ title_document }}全年完成情况的报告", TITLE)
    p(doc)
    p(doc, "{{ government }}：", ADDRESSEE)
    p(
        doc,
        "根据《{{ district }}人民政府关于印发{{ year }}年〈政府工作报告〉任务分解的通知》（{{ basis }}）要求，"
        "{{ office }}对{{ year }}年{{ document_title }}（共{{ n_rows }}项，含分项）全年完成情况进行了调度。"
        "第四季度应报送单位{{ u.due }}个，截至{{ cutoff }}，按时报送{{ u.on_time }}个，逾期报送{{ u.late }}个，"
        "{% if u.rejected %}被退回待重新报送{{ u.rejected }}个，{% endif %}{% if u.held %}报送待核实{{ u.held }}个，{% endif %}未报送{{ u.missing }}个"
        "（全年各季度报送情况见附件3）。现将有关情况报告如下：",
    )

    p(doc, "一、全年完成情况", H1)
    kai_lead(
        doc,
        "（一）任务完成情况。",
        "{{ f.total }}项任务{% if f.closed %}（含年内销号{{ f.closed }}项）{% endif %}中，"
        "完成{{ f.done }}项、基本完成{{ f.mostly }}项、未完成{{ f.undone }}项"
        "{% if f.pending %}、尚未判定{{ f.pending }}项{% endif %}，"
        "完成和基本完成合计{{ f.finished }}项，占{{ f.share }}。"
        "{% if early %}其中，{{ early }}。{% endif %}",
    )
    p(doc, "判定规则：{{ rule }}。")
    tag(doc, "{%p if indf.total %}")
    kai_lead(doc, "（二）量化指标完成情况。", "{{ indf.summary }}")
    tag(doc, "{%p else %}")
    kai_lead(doc, "（二）量化指标完成情况。", "任务表中未设置量化指标。")
    tag(doc, "{%p endif %}")
    kai_lead(doc, "（三）各季度推进情况。", "{{ quarters_summary }}各项任务逐季度的进度见附件1。")
    tag(doc, "{%p if has_chart %}")
    p(doc, "{{ chart }}", FIGURE)
    p(doc, "图1　各季度任务推进状态（单位：项）", CAPTION)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if changes_year_text %}")
    kai_lead(doc, "（四）任务销号、延期、调整。", "{{ changes_year_text }}")
    tag(doc, "{%p endif %}")

    p(doc, "二、未完成的任务及原因", H1)
    tag(doc, "{%p if unfinished %}")
    p(
        doc,
        "对照年度目标，共有{{ n_unfinished }}项任务未全部完成（基本完成{{ f.mostly }}项、未完成{{ f.undone }}项）。"
        "{% if common %}{{ common.intro }}{% else %}差距和牵头单位说明的原因如下：{% endif %}",
    )
    # the reasons by theme first (the quarterly report's 共性问题), then each task
    tag(doc, "{%p if common %}")
    tag(doc, "{%p for t in common.themes %}")
    p(doc, "{{ t }}")
    tag(doc, "{%p endfor %}")
    p(doc, "各项任务的差距和牵头单位说明的原因如下：")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for r in unfinished %}")
    p(
        doc,
        "{{ r.name }}{{ r.short }}（{{ r.units }}）{{ r.judged }}：{{ r.final }}，"
        "{{ r.shortfall }}。{% if r.problems %}单位反映的问题：{{ r.problems }}。{% endif %}"
        "{% if r.steps %}下步打算：{{ r.steps }}。{% endif %}"
        "{% if not r.problems and not r.steps and not r.silent %}牵头单位未说明原因。{% endif %}",
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    p(doc, "各项任务均已完成年度目标。")
    tag(doc, "{%p endif %}")

    tag(doc, "{%p if scores %}")
    p(doc, "三、考核评价情况", H1)
    tag(doc, "{%p for line in scores %}")
    p(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")

    # built from the year: the unfinished tasks, the reasons' themes with the office's
    # measures, next year's task breakdown, the late and missing returns
    p(doc, "{{ next_no }}、下步工作建议", H1)
    tag(doc, "{%p for n in next_steps %}")
    kai_lead(doc, "{{ n.lead }}", "{{ n.text }}")
    tag(doc, "{%p endfor %}")
    closing(
        doc,
        ["{{ annex_title }}", "{{ annex2_title }}", "{{ annex3_title }}"],
        optional=("{{ annex4_title }}", "changes_year"),
    )

    fmt.add_landscape_section(doc)
    p(doc, "附件1", ANNEX_MARK)
    p(doc, "{{ annex_title }}", TITLE)
    p(
        doc,
        "（各季度为累计完成进度和推进状态，底色为当季亮灯；共{{ n_rows }}项）",
        NOTE,
    )
    quarter = [
        (f"{{% cellbg r.q{k}.fill %}}{{{{ r.q{k}.text }}}}", ANNEX_CELL_CENTER)
        for k in (1, 2, 3, 4)
    ]
    dense_table(
        doc,
        [
            "任务编号",
            "任务（简称）",
            "牵头单位",
            "第一季度",
            "第二季度",
            "第三季度",
            "第四季度",
            "全年完成情况",
        ],
        [
            ("{{ r.label }}", ANNEX_CELL_CENTER),
            ("{{ r.task }}", ANNEX_CELL),
            ("{{ r.units }}", ANNEX_CELL_CENTER),
            *quarter,
            ("{% cellbg r.fill %}{{ r.final }}", ANNEX_CELL_CENTER),
        ],
        TREND_WIDTHS,
        "r in trend",
    )
    page_break(doc)
    p(doc, "附件2", ANNEX_MARK)
    p(doc, "{{ annex2_title }}", TITLE)
    p(doc, "（增速、比率按目标值判定，累计量按全年目标判定；共{{ indf.total }}项）", NOTE)
    dense_table(
        doc,
        ["序号", "任务编号", "指标", "年度目标", "全年完成", "判定", "与目标比较", "牵头单位"],
        [
            ("{{ i.no }}", ANNEX_CELL_CENTER),
            ("{{ i.label }}", ANNEX_CELL_CENTER),
            ("{{ i.name }}", ANNEX_CELL),
            ("{{ i.target }}", ANNEX_CELL_CENTER),
            ("{{ i.value }}", ANNEX_CELL_CENTER),
            ("{% cellbg i.fill %}{{ i.reached }}", ANNEX_CELL_CENTER),
            ("{{ i.compare }}", ANNEX_CELL),
            ("{{ i.units }}", ANNEX_CELL_CENTER),
        ],
        INDICATOR_WIDTHS,
        "i in indicator_rows",
    )
    page_break(doc)
    p(doc, "附件3", ANNEX_MARK)
    p(doc, "{{ annex3_title }}", TITLE)
    p(doc, "（按时、逾期、退回（被退回后未重报）、待核实、未报送；“—”为该季度无需报送）", NOTE)
    pairs_table(
        doc,
        ["序号", "单位", "一季度", "二季度", "三季度", "四季度"],
        [
            ("{{ x.no }}", ANNEX_CELL_CENTER),
            ("{{ x.unit }}", ANNEX_CELL),
            *[(f"{{{{ x.q{k} }}}}", ANNEX_CELL_CENTER) for k in (1, 2, 3, 4)],
        ],
        UNIT_HALF,
        "year_units",
    )
    # every 销号/延期/调整 request of the year and what was decided
    tag(doc, "{%p if changes_year %}")
    page_break(doc)
    p(doc, "附件4", ANNEX_MARK)
    p(doc, "{{ annex4_title }}", TITLE)
    p(doc, "（含督查考核办直接认定的变更；批准的变更自下一季度起执行）", NOTE)
    dense_table(
        doc,
        ["序号", "任务编号", "申请单位", "申请事项", "理由", "提出", "审批", "审批结果"],
        [
            ("{{ c.no }}", ANNEX_CELL_CENTER),
            ("{{ c.label }}", ANNEX_CELL_CENTER),
            ("{{ c.unit }}", ANNEX_CELL_CENTER),
            ("{{ c.asked }}", ANNEX_CELL),
            ("{{ c.reason }}", ANNEX_CELL),
            ("{{ c.received }}", ANNEX_CELL_CENTER),
            ("{{ c.decided }}", ANNEX_CELL_CENTER),
            ("{{ c.verdict }}", ANNEX_CELL_CENTER),
        ],
        CHANGE_WIDTHS,
        "c in changes_year",
    )
    tag(doc, "{%p endif %}")
    save(doc, path, "{{ title }}")


def main() -> None:
    build_annual(HERE / "annual_report.docx")
    print(f"已生成 {HERE / 'annual_report.docx'}")


if __name__ == "__main__":
    main()
