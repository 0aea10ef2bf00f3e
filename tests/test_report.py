"""`duban report`: the 公文 (GB/T 9704-2012) report, its annex, chart and leader briefs.

The result is built by hand from the bundled task table (``sample_result``): a mix of
statuses and lights, missing and late units, indicators, several lead units, and
hostile text from units. Generated files are read back with python-docx and lxml.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from conftest import office
from docx import Document
from docx.oxml.ns import qn
from helpers import REPORT_NOW, brief_rows, table_with_header

from reporting.core.exceptions import ReportError
from reporting.core.model import Answer, Light, QuarterResult, Status
from reporting.core.periods import Period
from reporting.merge.judge import judge_indicator
from reporting.report.leader_briefs import BRIEFS_DIR
from reporting.report.render import default_report_day, empty_result, render_report

P = Period(2024, 1)
TODAY = date(2024, 4, 9)
HOSTILE = '<tag> & "quotes"\nnewline ]]> {{ x }}'

STATUS_CYCLE = [
    Status.ON_TRACK,
    Status.AHEAD,
    Status.ON_TRACK,
    Status.DONE,
    Status.LAGGING,
    Status.ON_TRACK,
    Status.NOT_STARTED,
    None,  # None: the lead unit did not report
]


def light_for(gap: float) -> str:
    if gap <= 0:
        return Light.GREEN.value
    return Light.YELLOW.value if gap <= 15 else Light.RED.value


@dataclass(frozen=True)
class Planned:
    """What ``sample_result`` writes into one task row: the tests' own oracle."""

    status: str | None  # None: the lead unit did not report
    percent: float | None = None
    light: str | None = None

    @property
    def gap(self) -> float | None:
        return None if self.percent is None else P.expected_progress - self.percent


PERCENT = {
    Status.DONE: 100.0,
    Status.AHEAD: 40.0,
    Status.ON_TRACK: 25.0,
    Status.NOT_STARTED: 0.0,
}
# rows whose status and progress are set by hand (see sample_result)
OVERRIDES = {
    "8.1": Planned(Status.LAGGING.value, 10.0, Light.YELLOW.value),  # hostile text
    "9.2": Planned(Status.ON_TRACK.value, 2.0, Light.RED.value),  # says on track, 2 %
}


def plan(app) -> dict[str, Planned]:
    """Task id → what the sample writes, in the task table's order: the status cycle over
    the rows, the progress each status gets, the light of its gap, then the overrides."""
    out = {}
    for i, row in enumerate(app.assignments.rows):
        status = STATUS_CYCLE[i % len(STATUS_CYCLE)]
        if status is None:
            out[row.id] = Planned(None)
            continue
        percent = PERCENT.get(status, 5.0 if i % 3 else 15.0)  # 滞后: 5 or 15 %
        out[row.id] = Planned(status.value, percent, light_for(P.expected_progress - percent))
    out.update(OVERRIDES)
    return out


def planned_counts(planned) -> tuple[Counter, Counter]:
    """(statuses with 未报送, lights) counted over ``planned`` by the test itself."""
    statuses = Counter(p.status or "未报送" for p in planned)
    lights = Counter(p.light for p in planned if p.light)
    return statuses, lights


def sample_result(app, period: Period = P) -> QuarterResult:
    """A realistic merged result: every status, all lights, missing/late/rejected units,
    indicators for tasks 1–6, a row with two lead units and hostile unit text. Each row's
    status, progress and light are ``plan``'s."""
    result = empty_result(app.settings, app.assignments, period)
    result.generated_at = "2024-04-09T10:30:00+08:00"
    reporting_units: set[str] = set()
    planned = plan(app)
    for i, row in enumerate(result.rows):
        want = planned[row.id]
        if want.status is None:
            # lead unit silent; one cooperating unit gave feedback on some rows
            if row.coop_units and i % 16 == 7:
                row.coop_feedback = [
                    Answer(
                        unit=row.coop_units[0],
                        progress=f"配合推进第{row.label}项，已对接牵头单位。",
                    )
                ]
                reporting_units.add(row.coop_units[0])
            continue
        percent = want.percent
        row.percent = percent
        row.status = want.status
        # the sample judges every row by the quarter's line (tests/test_pace.py: the 节点)
        row.pace_basis, row.expected_progress = "line", P.expected_progress
        row.gap = want.gap
        row.light = want.light
        row.judged_status = want.status
        progress = f"{row.label}项一季度完成阶段任务，累计完成{percent:g}%。\n下一步继续推进。"
        problems = (
            "资金缺口较大，土地指标尚未落实。"
            if want.status in (Status.LAGGING, Status.NOT_STARTED)
            else ""
        )
        row.lead_reports = [
            Answer(
                unit=u, progress=progress, percent=percent, status=want.status, problems=problems
            )
            for u in row.lead_units
        ]
        reporting_units.update(row.lead_units)
    by_id = {r.id: r for r in result.rows}
    # hostile text where the report and the annex show it
    by_id["8.1"].lead_reports = [
        Answer(unit="区发改委", progress=HOSTILE, percent=10.0, status="滞后", problems=HOSTILE)
    ]
    # reported on track but the numbers say otherwise: red, with the merge's explanation
    conflict = by_id["9.2"]
    conflict.status_conflict = "自报序时推进，但累计完成2%，低于序时进度"
    conflict.lead_reports = [
        Answer(unit="区发改委", progress="完成前期工作。", percent=2.0, status="序时推进")
    ]
    # main economic indicators: one behind target, one ahead, one missing
    values = {"1": 7.1, "2": 10.5, "3": 16.0, "4": None, "5": 9.5, "6": 8.2}
    for tid, value in values.items():
        spec = app.assignments.by_id[tid].task.indicators[0]
        by_id[tid].indicators = [judge_indicator(spec, value, result.expected_progress)]
    for unit in result.units:
        if unit.unit in reporting_units:
            unit.state, unit.received_at, unit.versions = "accepted", "2024-04-08T16:00:00+08:00", 1
    accepted = [u for u in result.units if u.state == "accepted"]
    accepted[1].late = True
    accepted[1].received_at = "2024-04-09T09:00:00+08:00"
    missing = [u for u in result.units if u.state == "missing"]
    missing[0].state = "rejected"
    missing[0].problems = ["第5行累计完成进度不是数字"]
    return result


@pytest.fixture
def result(app):
    return sample_result(app)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One render of the sample result, shared by the read-back tests (rendering takes ~1 s)."""
    from conftest import ROOT

    from jobs.app import create_app

    tmp = tmp_path_factory.mktemp("report")
    app = create_app(ROOT / "config.toml", data_dir=tmp / "data", env={})
    res = sample_result(app)
    out = render_report(
        app.settings,
        app.workspace,
        P,
        out_dir=tmp / "out",
        result=res,
        today=TODAY,
        by_leader=True,
        now=REPORT_NOW,
    )
    return out, res, app


@pytest.fixture(scope="module")
def doc(rendered):
    return Document(rendered[0].docx)


# -- helpers ----------------------------------------------------------------------------
def texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def body_until_annex(doc) -> str:
    lines = texts(doc)
    return "\n".join(lines[: lines.index("附件1")])


def annex1(doc):
    """Annex 1's table."""
    return table_with_header(doc, "任务编号", "任务（简称）")


def lagging_table(doc):
    """Section 三's table of the tasks behind pace."""
    return table_with_header(doc, "序号", "任务", "牵头单位", "进度和原因")


def paragraph_starting(doc, start: str):
    return next(p for p in doc.paragraphs if p.text.startswith(start))


def style_chain(style):
    while style is not None:
        yield style
        style = style.base_style


def rfonts_attr(el, attr: str):
    rpr = el.find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    return None if fonts is None else fonts.get(qn(f"w:{attr}"))


def east_asia_font(doc, paragraph, run) -> str | None:
    """The East Asian font Word would use for ``run``: run → character style → paragraph style chain → defaults."""
    if (name := rfonts_attr(run._r, "eastAsia")) is not None:
        return name
    if run.style is not None and run.style.name != "Default Paragraph Font":
        for st in style_chain(run.style):
            if (name := rfonts_attr(st.element, "eastAsia")) is not None:
                return name
    for st in style_chain(paragraph.style):
        if (name := rfonts_attr(st.element, "eastAsia")) is not None:
            return name
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    return rfonts_attr(defaults, "eastAsia")


def all_paragraphs(doc):
    yield from doc.paragraphs
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def number(pattern: str, text: str) -> int:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not found"
    return int(m.group(1))


def docx_xml(path: Path, part: str = "word/document.xml") -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(part)


# -- page and styles (GB/T 9704-2012) ----------------------------------------------------
def test_page_setup_is_a4_with_official_margins_and_line_grid(doc):
    s = doc.sections[0]
    assert (s.page_width.twips, s.page_height.twips) == (11906, 16838)
    assert (s.top_margin.twips, s.bottom_margin.twips) == (2098, 1984)
    assert (s.left_margin.twips, s.right_margin.twips) == (1587, 1474)
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"
    assert grid.get(qn("w:type")) == "lines"
    # type area 156 mm: 28 characters of 16 pt condensed by 0.25 pt fit, 29 do not
    width_pt = (11906 - 1587 - 1474) / 20
    assert 28 * (16 - 0.25) <= width_pt < 29 * (16 - 0.25)


def test_body_style_is_fangsong_16pt_exact_579_indent_two_chars(doc):
    normal = doc.styles["Normal"].element
    assert rfonts_attr(normal, "eastAsia") == "仿宋_GB2312"
    rpr = normal.find(qn("w:rPr"))
    assert rpr.find(qn("w:sz")).get(qn("w:val")) == "32"
    assert rpr.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert rpr.find(qn("w:spacing")).get(qn("w:val")) == "-5"
    ppr = normal.find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == ("579", "exact")
    assert ppr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    assert (
        defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:sz")).get(qn("w:val"))
        == "32"
    )


@pytest.mark.parametrize(
    ("style", "font", "size"),
    [
        ("公文标题", "方正小标宋简体", "44"),
        ("一级标题", "黑体", "32"),
        ("二级标题", "楷体_GB2312", "32"),
        ("页码", "宋体", "28"),
        ("表头文字", "黑体", "21"),  # 五号: 表1 keeps each indicator on one line
        ("表格文字", "仿宋_GB2312", "21"),
        ("附表表头", "黑体", "18"),  # 小五: the dense annexes
        ("附表文字", "仿宋_GB2312", "18"),
    ],
)
def test_heading_and_table_styles(doc, style, font, size):
    el = doc.styles[style].element
    assert rfonts_attr(el, "eastAsia") == font
    assert el.find(qn("w:rPr")).find(qn("w:sz")).get(qn("w:val")) == size


def test_no_theme_fonts_anywhere_and_zh_cn(rendered):
    path = rendered[0].docx
    for part in ("word/styles.xml", "word/document.xml", "word/footer1.xml", "word/footer2.xml"):
        xml = docx_xml(path, part)
        assert b"Theme=" not in xml and b"theme=" not in xml.lower().replace(
            b"w:themefontlang", b""
        ), part
    assert b'w:eastAsia="zh-CN"' in docx_xml(path, "word/settings.xml")


def test_every_run_has_a_chinese_font(doc):
    allowed = {"仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体", "宋体"}
    seen = set()
    for para in all_paragraphs(doc):
        for run in para.runs:
            if run.text.strip():
                font = east_asia_font(doc, para, run)
                assert font in allowed, (para.text[:30], font)
                seen.add(font)
    assert {"仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"} <= seen


def test_headings_use_their_styles(doc):
    by_text = {p.text: p.style.name for p in doc.paragraphs}
    # the long title wraps after the document's name, not inside a word
    assert by_text["关于禹会区2024年《政府工作报告》\n重点任务第一季度推进情况的报告"] == "公文标题"
    assert by_text["区政府："] == "主送机关"
    headings = [p.text for p in doc.paragraphs if p.style.name == "一级标题"]
    assert headings == ["一、总体情况", "二、主要进展", "三、存在的问题", "四、下步工作建议"]
    assert by_text["区督查考核办"] == "发文机关署名"
    assert by_text["2024年4月9日"] == "成文日期"
    # run-in headings: the （一） sentence in 楷体, the rest of the paragraph in the body font
    for start in (
        "（一）任务推进情况。",
        "（二）以项目攻坚为抓手，着力推动经济企稳回升。",
        "（一）共性问题。",
        "（二）进度滞后的任务。",
        "（一）紧盯滞后任务，压实推进责任。",
    ):
        para = paragraph_starting(doc, start)
        assert para.style.name == "Normal" and para.runs[0].text == start
        assert [east_asia_font(doc, para, r) for r in para.runs] == ["楷体_GB2312", "仿宋_GB2312"]


def test_title_break_only_when_needed():
    from reporting.report.wording import title_break

    assert (
        title_break("关于某区2024年《报告》任务的报告", "《报告》任务") == "《报告》任务"
    )  # fits one line
    long = "关于禹会区2024年《政府工作报告》重点任务第一季度推进情况的报告"
    assert title_break(long, "《政府工作报告》重点任务") == "《政府工作报告》\n重点任务"
    assert (
        title_break(long.replace("《政府工作报告》", "政府工作报告"), "政府工作报告重点任务")
        == "政府工作报告重点任务"
    )


def test_odd_and_even_footers_with_page_fields(rendered, doc):
    settings = docx_xml(rendered[0].docx, "word/settings.xml")
    assert b"<w:evenAndOddHeaders/>" in settings
    s = doc.sections[0]
    for footer, jc in ((s.footer, "right"), (s.even_page_footer, "left")):
        para = footer.paragraphs[0]
        assert para.style.name == "页码"
        assert para._p.pPr.find(qn("w:jc")).get(qn("w:val")) == jc
        ind = para._p.pPr.find(qn("w:ind"))
        assert ind.get(qn(f"w:{jc}Chars")) == "100"  # one character from the edge
        xml = para._p.xml
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", xml)
        assert para.text.startswith("— ") and para.text.endswith(" —")


# -- content and numbers ---------------------------------------------------------------------
def unit_counts(res) -> dict[str, int]:
    """The sample's units as the test set them (state, late), counted by the test."""
    seen = Counter((u.state, u.state == "accepted" and u.late) for u in res.units)
    return {
        "due": len(res.units),
        "on_time": seen[("accepted", False)],
        "late": seen[("accepted", True)],
        "rejected": seen[("rejected", False)],
        "missing": seen[("missing", False)],
    }


def test_numbers_in_the_text_match_the_result(rendered, doc):
    _, res, app = rendered
    text = body_until_annex(doc)
    sc, lc = planned_counts(plan(app).values())
    uc = unit_counts(res)
    overall = paragraph_starting(doc, "（一）任务推进情况。截至").text
    assert number(r"(\d+)项任务中", overall) == len(res.rows) == 79
    for status in ("已完成", "超序时", "序时推进", "滞后", "未启动"):
        assert number(rf"{status}(\d+)项", overall) == sc[status], status
    assert number(r"另有(\d+)项因牵头单位未报送", overall) == sc["未报送"]
    on_pace = sc["已完成"] + sc["超序时"] + sc["序时推进"]
    assert number(r"合计(\d+)项达到序时进度", overall) == on_pace
    # the bundled table judges its 节点 tasks by their 落实方案 (tasks.csv kind / plan_q*)
    planned = [r for r in res.rows if r.pace_basis == "plan"]
    # annex 1's heading says which rows are judged otherwise than by the 序时进度
    share = re.search(r"达到序时进度，占([\d.]+)%", overall).group(1)
    assert float(share) == pytest.approx(100 * on_pace / 79, abs=0.05)
    for light in ("绿", "黄", "红"):
        n = number(rf"亮?{light}灯(\d+)项", text)
        assert n == lc[light], light
    for pattern, key in (
        (r"应报送单位(\d+)个", "due"),
        (r"按时报送(\d+)个", "on_time"),
        (r"逾期报送(\d+)个", "late"),
        (r"被退回待重新报送(\d+)个", "rejected"),
        (r"未报送(\d+)个", "missing"),
    ):
        assert number(pattern, text) == uc[key], key
    assert "截至4月9日10时30分" in text
    assert "第一季度序时进度为25%" in text
    if planned:
        assert number(r"\n（(\d+)项按落实方案节点", "\n".join(texts(doc))) == len(planned)
    # 三、 names every lagging, not started or red row: in the table (task order), the
    # rest (when more than 20) by label in the paragraph above it
    lagging = sorted(
        (r for r in res.rows if r.lagging or r.status == "未启动"),
        key=lambda r: [int(x) for x in r.id.split(".")],
    )
    assert number(r"共有(\d+)项任务滞后、未启动或亮红灯", text) == len(lagging)
    intro = paragraph_starting(doc, "（二）进度滞后的任务。").text
    rows = lagging_table(doc).rows[1:]
    tabled = [tr.cells[1].text for tr in rows]
    assert [tr.cells[0].text for tr in rows] == [str(k) for k in range(1, len(rows) + 1)]
    assert len(rows) == (len(lagging) if len(lagging) <= 20 else 12)
    for row in lagging:
        name = f"{row.label}{'' if row.label.endswith('）') else '.'}"
        hit = [tr for tr in rows if tr.cells[1].text.startswith(name)]
        if hit:
            assert hit[0].cells[2].text == "\n".join(row.lead_units)
        else:
            assert f"第{row.label}项" in intro, row.label
    order = [next(i for i, r in enumerate(lagging) if t.startswith(r.label)) for t in tabled]
    assert order == sorted(order)  # in task order
    # the not-reported rows are named by lead unit, as many as the count says
    missing = next(
        p.text for p in doc.paragraphs if re.match(r"（[一二三四]）未报送的任务。", p.text)
    )
    assert number(r"牵头单位未报送的任务(\d+)项", missing) == sc["未报送"]
    for row in (r for r in res.rows if not r.reported):
        assert row.label in missing and "、".join(row.lead_units) in missing
    # each section's own counts add up to the totals
    section_totals = [
        number(r"^（[一二三四五六七八九]）[^。]+。共(\d+)项", p)
        for p in texts(doc)[texts(doc).index("二、主要进展") : texts(doc).index("三、存在的问题")]
        if p.startswith("（")
    ]
    assert len(section_totals) == 9 and sum(section_totals) == 79


def test_lagging_rows_name_gap_unit_and_problems(doc):
    rows = {tr.cells[1].text: [c.text for c in tr.cells] for tr in lagging_table(doc).rows[1:]}
    conflict = rows["9（2）强化项目建设攻坚机制"]
    assert conflict[2] == "区发改委" and conflict[4] == "红"
    assert conflict[3] == "完成2%，低于序时23个百分点，单位自报“序时推进”"
    # the units' own 存在问题 are in the 共性问题, each theme once with its words
    text = body_until_annex(doc)
    # every row behind pace wrote "资金缺口较大，土地指标尚未落实。": one sentence for both
    # themes (the same tasks raised them), the words quoted once though two units wrote them
    behind = [
        r
        for r in doc.paragraphs
        if re.match(r"^[一二三四五六七]是资金保障和用地及要素保障方面", r.text)
    ]
    assert len(behind) == 1
    para = behind[0].text
    assert para.count("“资金缺口较大”") == 1 and para.count("“土地指标尚未落实”") == 1
    assert para.endswith("，均进度滞后。")
    # the body never says a unit "did not fill in" its problems
    assert "单位未填报" not in text


def test_indicator_table_and_sentence(doc):
    table = doc.tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header == ["序号", "指标", "年度目标", "本季度完成", "与目标比较", "牵头单位"]
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in table.rows[1:]}
    assert rows["地区生产总值"][2:5] == ["增长8%", "增长7.1%", "低于目标0.9个百分点"]
    assert rows["规上工业增加值"][4] == "高于目标0.5个百分点"
    assert rows["社会消费品零售总额"][3] == "未报送"
    assert len(rows) == 6
    text = body_until_annex(doc)
    assert "主要经济指标6项，达到目标或序时要求4项，低于目标1项，未报送1项" in text
    assert "地区生产总值增长7.1%，低于目标0.9个百分点" in text


def test_annex2_lists_every_unit_and_missing_lead_unit_fallback(rendered, doc):
    _, res, _ = rendered
    table = table_with_header(doc, "序号", "单位", "报送情况", "收到时间")
    assert [c.text for c in table.rows[0].cells] == ["序号", "单位", "报送情况", "收到时间"] * 2
    states = {}
    for tr in table.rows[1:]:
        cells = [c.text for c in tr.cells]
        for _no, unit, state, when in (cells[:4], cells[4:]):
            if unit:
                states[unit] = (state, when)
    expected = {
        u.unit: "逾期"
        if u.state == "accepted" and u.late
        else "按时"
        if u.state == "accepted"
        else "退回"
        if u.state == "rejected"
        else "未报送"
        for u in res.units
    }
    assert {u: s for u, (s, _) in states.items()} == expected
    late = next(u.unit for u in res.units if u.late)
    assert states[late] == ("逾期", "4月9日9时")
    assert all(w == "—" for s, w in states.values() if s == "未报送")
    # a row whose lead unit is silent shows the cooperating unit's feedback in annex 1
    row = next(r for r in res.rows if not r.lead_reports and r.coop_feedback)
    tr = next(tr for tr in annex1(doc).rows if tr.cells[0].text == row.label)
    assert tr.cells[7].text.startswith(
        f"牵头单位{'、'.join(row.lead_units)}未报送，配合单位反馈：{row.coop_feedback[0].unit}："
    )


def test_hostile_unit_text_is_escaped_and_keeps_its_lines(rendered, doc):
    # section 三 quotes the unit's problems in the 共性问题 (no theme's words: 其他)
    para = next(p.text for p in doc.paragraphs if re.match(r"^[一二三四五六七]是其他方面", p.text))
    assert '“<tag> & "quotes"”' in para and "第8（1）项" in para
    # annex table: the line break stays inside the cell
    tr = next(tr for tr in annex1(doc).rows if tr.cells[0].text == "8（1）")
    assert tr.cells[7].text == '<tag> & "quotes"\nnewline ]]> {{ x }}'
    xml = docx_xml(rendered[0].docx).decode()
    assert "&lt;tag&gt; &amp;" in xml and "<tag>" not in xml


def test_full_detail_walks_every_task_with_the_units_lines(app, result, tmp_path):
    """[report] detail = "full": 二、 walks every task; each line of a unit's text is its own
    paragraph, with the body's indent."""
    app.settings.report.detail = "full"
    out = render_report(
        app.settings, app.workspace, P, out_dir=tmp_path, result=result, today=TODAY, now=REPORT_NOW
    )
    doc = Document(out.docx)
    lines = texts(doc)
    walk = lines[lines.index("二、主要进展") : lines.index("三、存在的问题")]
    assert sum(1 for t in walk if re.match(r"（[一二三四五六七八九]）", t)) == 9
    assert doc.paragraphs[lines.index(walk[1])].style.name == "二级标题"
    for row in result.rows:
        assert any(t.startswith(row.label) for t in walk), row.label
    i = next(k for k, t in enumerate(lines) if t.startswith("8（1）"))
    assert lines[i].endswith('<tag> & "quotes"')
    assert lines[i + 1] == "newline ]]> {{ x }}"
    assert doc.paragraphs[i + 1].style.name == "Normal"
    # the annex and section 三 are the same in both shapes
    assert len(annex1(doc).rows) == len(result.rows) + 1


def test_annex_is_landscape_with_repeated_header_and_whole_rows(rendered, doc):
    _, res, app = rendered
    annex_section = doc.sections[-1]
    assert len(doc.sections) == 2
    assert annex_section.page_width.twips == 16838 and annex_section.page_height.twips == 11906
    assert annex_section._sectPr.find(qn("w:pgSz")).get(qn("w:orient")) == "landscape"
    lines = texts(doc)
    a = lines.index("附件1")
    assert (
        doc.paragraphs[a].style.name == "附件标识"
        and lines[a + 1] == "2024年《政府工作报告》重点任务第一季度推进情况汇总表"
    )
    table = annex1(doc)
    assert [c.text for c in table.rows[0].cells] == [
        "任务编号",
        "任务（简称）",
        # the narrow headers break after two characters, never leaving one alone on a line
        "牵头\n领导",
        "牵头单位",
        "累计\n进度",
        "推进状态",
        "亮灯",
        "本季度进展（摘要）",
        "存在问题",
    ]
    head = table.rows[0]._tr.trPr
    assert head.find(qn("w:tblHeader")) is not None and head.find(qn("w:cantSplit")) is not None
    body = table.rows[1:]
    assert len(body) == len(res.rows)
    # a row cut in two would continue on the next page without its task number
    assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in body)
    assert all(r._tr.trPr is None or r._tr.trPr.find(qn("w:tblHeader")) is None for r in body)
    # the task numbers of the notice, in its order (no running 序号 beside them)
    from reporting.report.wording import id_key

    assert [r.cells[0].text for r in body] == [r.label for r in sorted(res.rows, key=id_key)]
    assert all(r.cells[4].text.endswith("%") or r.cells[4].text == "—" for r in body)
    # dense: 小五 on exact lines
    assert {p.style.name for r in body for c in r.cells for p in c.paragraphs} <= {
        "附表文字",
        "附表文字居中",
    }
    # statuses and lights add up to the result's counts; the light cell is tinted
    planned = plan(app)
    sc, lc = planned_counts(planned.values())
    assert dict(Counter(r.cells[5].text for r in body)) == dict(sc)
    lights = Counter(r.cells[6].text for r in body)
    assert lights["红灯"] == lc["红"] and lights["—"] == sum(
        1 for p in planned.values() if not p.light
    )
    red = next(r for r in body if r.cells[6].text == "红灯")
    problems = next(r for r in body if r.cells[0].text == "5")
    assert problems.cells[8].text == "资金缺口较大，土地指标尚未落实。"
    assert red.cells[6]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "F4B6B6"
    # widths fit the landscape type area (225 mm)
    total = sum(int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol")))
    assert total <= round(225 * 1440 / 25.4) + 1


def test_closing_block_keeps_together_and_signature_layout(doc):
    lines = texts(doc)
    i = lines.index("特此报告。")
    assert (
        lines[i + 1] == ""
        and lines[i + 2] == "附件：1．2024年《政府工作报告》重点任务第一季度推进情况汇总表"
        and lines[i + 3] == "2．各单位第一季度报送情况"
    )
    assert doc.paragraphs[i + 3].style.name == "附件说明续"
    assert lines[i + 4] == "" and lines[i + 5] == "区督查考核办" and lines[i + 6] == "2024年4月9日"
    for para in doc.paragraphs[i : i + 6]:
        keep = para._p.pPr.find(qn("w:keepNext")) if para._p.pPr is not None else None
        assert keep is not None or para.style.paragraph_format.keep_with_next, para.text
    # titles 6½ characters in: 2 indent + "附件：" 3 + "1．" 1½; numbers 5 in
    att = doc.styles["附件说明"].element.find(qn("w:pPr")).find(qn("w:ind"))
    assert (att.get(qn("w:leftChars")), att.get(qn("w:hangingChars"))) == ("650", "450")
    att2 = doc.styles["附件说明续"].element.find(qn("w:pPr")).find(qn("w:ind"))
    assert (att2.get(qn("w:leftChars")), att2.get(qn("w:hangingChars"))) == ("650", "150")
    # the section break (to the landscape annex) is carried by the date paragraph
    assert doc.paragraphs[i + 6]._p.pPr.find(qn("w:sectPr")) is not None


def test_chart_is_embedded_and_deterministic(app, rendered, result):
    from reporting.documents.fonts import chart_font
    from reporting.report.chart import section_status_counts, status_chart_png

    with zipfile.ZipFile(rendered[0].docx) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert media == ["word/media/image1.png"]
        png = z.read(media[0])
    assert png.startswith(b"\x89PNG") and b"Software" not in png and b"matplotlib" not in png
    font = chart_font()
    assert status_chart_png(result, font) == status_chart_png(result, font)
    # each section's bars: the planned statuses of the task table's rows in that section
    sections: dict[int, list[Planned]] = {}
    for tid, p in plan(app).items():
        sections.setdefault(app.assignments.by_id[tid].task.section, []).append(p)
    per_section = section_status_counts(result)
    assert len(per_section) == len(sections) == 9
    for (_, counts), (_, planned) in zip(per_section, sorted(sections.items()), strict=True):
        want, _ = planned_counts(planned)
        assert {k: v for k, v in counts.items() if v} == dict(want)


def test_core_properties_are_fixed(doc):
    cp = doc.core_properties
    assert cp.title == "关于禹会区2024年《政府工作报告》重点任务第一季度推进情况的报告"
    assert cp.author == "区督查考核办" and cp.revision == 1
    assert cp.created.date() == TODAY and cp.modified == cp.created


def test_rendering_twice_gives_identical_files(app, result, tmp_path):
    outs = [
        render_report(
            app.settings,
            app.workspace,
            P,
            out_dir=tmp_path / name,
            result=result,
            today=TODAY,
            by_leader=True,
            now=REPORT_NOW,
        )
        for name in ("a", "b")
    ]
    assert outs[0].docx.read_bytes() == outs[1].docx.read_bytes()
    assert [p.read_bytes() for p in outs[0].briefs] == [p.read_bytes() for p in outs[1].briefs]
    # and a rerun into the same place rewrites the same file
    again = render_report(
        app.settings,
        app.workspace,
        P,
        out_dir=tmp_path / "a",
        result=result,
        today=TODAY,
        now=REPORT_NOW,
    )
    assert again.docx.read_bytes() == outs[1].docx.read_bytes()


# -- without returns, from merged.json ----------------------------------------------------------
def test_no_merged_json_renders_and_says_nothing_was_received(app, tmp_path):
    out = render_report(
        app.settings, app.workspace, P, today=TODAY, assignments=app.assignments, now=REPORT_NOW
    )
    assert out.docx.parent == app.workspace.report_dir(P) and out.docx.exists()
    assert out.merged is False
    text = "\n".join(texts(Document(out.docx)))
    assert "尚未收到任何单位报送的推进情况，79项任务的进展暂无法汇总" in text
    assert "因尚未收到报送，暂无法判断滞后情况" in text
    assert "尚未收到报送，暂无进展可汇总。" in text
    assert "本季度应报送单位50个" in text and "未报送50个" in text
    annex = annex1(Document(out.docx))
    assert len(annex.rows) == 80 and {r.cells[5].text for r in annex.rows[1:]} == {"未报送"}
    assert any("merged.json" in line and "duban collect" in line for line in out.lines())
    # the deadline is the cut-off: 5 working days after the quarter (4月4–6日 清明, 7日 调休上班)
    assert "截至4月8日17时30分" in text


def test_reads_merged_json(app, result):
    path = app.workspace.merged_json(P)
    path.parent.mkdir(parents=True)
    path.write_text(result.to_json(), encoding="utf-8")
    out = render_report(app.settings, app.workspace, P, today=TODAY, now=REPORT_NOW)
    sc, _ = planned_counts(plan(app).values())
    assert out.merged is True and {k: v for k, v in out.status_counts.items() if v} == dict(sc)
    text = "\n".join(texts(Document(out.docx)))
    assert f"已完成{sc['已完成']}项" in text


def test_broken_merged_json_is_a_clear_error(app):
    path = app.workspace.merged_json(P)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match="merged.json 无法读取.*duban collect --period 2024Q1"):
        render_report(app.settings, app.workspace, P, today=TODAY, now=REPORT_NOW)


def test_result_of_another_period_is_refused(app, result):
    with pytest.raises(ReportError, match="2024Q1.*2024Q2"):
        render_report(
            app.settings, app.workspace, Period(2024, 2), result=result, today=TODAY, now=REPORT_NOW
        )


def test_default_date_is_the_report_day_once_it_has_passed(app):
    # Q1 2024 is due Mon 8 Apr; 逾期 Tue 9 Apr; the report the working day after: Wed 10 Apr
    assert default_report_day(app.settings, P, date(2024, 6, 1)) == date(2024, 4, 10)
    assert default_report_day(app.settings, P, date(2024, 4, 2)) == date(2024, 4, 2)


# -- leader briefs ------------------------------------------------------------------------------
def test_one_brief_per_leading_leader_lagging_first(rendered):
    out, res, _ = rendered
    leaders = sorted({name for r in res.rows for name in r.lead_leaders})
    assert sorted(p.name for p in out.briefs) == sorted(
        f"2024Q1_分管领导调度单_{n}.docx" for n in leaders
    )
    assert all(p.parent.name == BRIEFS_DIR for p in out.briefs)
    path = next(p for p in out.briefs if p.name.endswith("崔海锋.docx"))
    brief = Document(path)
    mine = [r for r in res.rows if "崔海锋" in r.lead_leaders]
    rows = brief_rows(path)
    assert len(rows) == len(mine)
    labels = [r.cells[0].text.split(" ")[0] for r in rows]
    assert set(labels) == {r.label for r in mine}
    lagging = sum(1 for r in mine if r.lagging)
    assert lagging >= 2
    # the first rows are the lagging / red ones, none after them
    firsts = [bool({"滞后", "红灯"} & set(r.cells[3].text.split("\n"))) for r in rows]
    assert firsts == [True] * lagging + [False] * (len(rows) - lagging)
    # this quarter per row: progress, why it is lit, the unit's problems; percent/status/light
    by_label = {r.label: r for r in mine}
    for tr in rows:
        row = by_label[tr.cells[0].text.split(" ")[0]]
        progress, state = tr.cells[2].text, tr.cells[3].text
        if row.light in ("黄", "红"):
            assert f"亮{row.light}灯原因：" in progress
        if any(a.problems for a in row.lead_reports):
            assert "存在问题：" in progress
        if row.reported:
            assert state.split("\n")[:2] == [f"{row.percent:g}%", row.status]
    text = "\n".join(texts(brief))
    assert f"崔海锋同志牵头的《政府工作报告》重点任务{len(mine)}项中" in text
    assert f"其中{lagging}项滞后或亮红灯，已列在表首，请调度推进。" in text
    assert "您" not in text and "尚待报送" not in text
    closing = brief.tables[0].rows[-1].cells[0].text  # beside the last row (docx_closing)
    assert "崔海锋同志：" in text and "2024年4月9日" in closing
    assert brief.tables[0].rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    head = [c.text for c in brief.tables[0].rows[0].cells]
    assert head == ["任务", "牵头单位", "本季度进展及存在问题", "进度及\n状态"]


def test_a_briefs_last_row_stays_with_the_signer(rendered):
    """Seen on the renders: a brief's signer and date alone on its last page. The last row
    is kept whole with the closing block; every row stays whole on its page."""
    out, res, _ = rendered
    for path in out.briefs:
        table = Document(path).tables[0]
        *rest, last = table.rows
        # one unsplittable row holds the last task row (a table of the same columns) and,
        # under it, the signer and the date
        assert last._tr.trPr.find(qn("w:cantSplit")) is not None, path.name
        assert len(last._tr.findall(qn("w:tc"))) == 1, path.name  # one cell across
        cell = last.cells[0]
        (inner,) = cell.tables
        assert len(inner.rows) == 1 and len(inner.columns) == len(table.columns)
        assert inner.rows[0].cells[0].text == brief_rows(path)[-1].cells[0].text
        assert [p.text for p in cell.paragraphs if p.text] == [
            "区督查考核办",  # [report] signer of the bundled config.toml
            "2024年4月9日",
        ]
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in rest)
        after = table._tbl.getnext()  # nothing left below the table but the section's end
        assert after is None or after.tag == qn("w:sectPr"), path.name


@pytest.mark.parametrize(
    ("missing", "sentence"),
    [
        (False, "各项任务均达到序时进度。"),
        (True, "已报送的任务均达到序时进度，1项牵头单位尚未报送，请督促报送。"),
    ],
)
def test_brief_of_a_leader_without_lagging_rows(app, tmp_path, missing, sentence):
    from reporting.report.leader_briefs import render_leader_briefs

    res = sample_result(app)
    leader = "张斌"
    mine = [r for r in res.rows if leader in r.lead_leaders]
    for r in mine:
        r.status, r.percent, r.gap, r.light, r.indicators = "序时推进", 30.0, -5.0, "绿", []
        r.lead_reports = [
            Answer(unit=u, progress="按计划推进。", percent=30.0) for u in r.lead_units
        ]
    if missing:
        mine[0].status, mine[0].percent, mine[0].light, mine[0].lead_reports = None, None, None, []
    paths = render_leader_briefs(res, app.settings, P, tmp_path, today=TODAY)
    brief = next(p for p in paths if p.name.endswith(f"{leader}.docx"))
    text = "\n".join(texts(Document(brief)))
    assert sentence in text and "滞后或亮红灯" not in text


def test_stale_briefs_are_removed(app, result, tmp_path):
    out_dir = tmp_path / "o"
    stale = out_dir / BRIEFS_DIR / "2024Q1_分管领导调度单_已调走的领导.docx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    other = out_dir / BRIEFS_DIR / "说明.txt"
    other.write_text("keep", encoding="utf-8")
    render_report(
        app.settings,
        app.workspace,
        P,
        out_dir=out_dir,
        result=result,
        today=TODAY,
        by_leader=True,
        now=REPORT_NOW,
    )
    assert not stale.exists() and other.exists()


# -- the template is the office's: errors name the problem ---------------------------------------
def copy_templates(app, tmp_path) -> Path:
    import shutil

    folder = tmp_path / "templates"
    shutil.copytree(app.settings.templates_dir, folder)
    app.settings.paths.templates = folder
    return folder


def test_misspelt_tag_in_template_is_a_chinese_error_and_a_check_problem(app, result, tmp_path):
    from jobs.checks import run_checks

    folder = copy_templates(app, tmp_path)
    tpl = Document(folder / "report.docx")
    tpl.paragraphs[3].add_run("{{ 不存在的字段 }}")
    tpl.save(folder / "report.docx")
    with pytest.raises(ReportError, match="报告模板 report.docx 中的标签有误.*不存在的字段"):
        render_report(app.settings, app.workspace, P, result=result, today=TODAY, now=REPORT_NOW)
    problems = [p for p in run_checks(app) if p.where == "报告模板"]
    assert len(problems) == 1 and problems[0].error and "不存在的字段" in problems[0].message


def test_broken_tag_syntax_and_missing_template(app, result, tmp_path):
    folder = copy_templates(app, tmp_path)
    tpl = Document(folder / "leader_brief.docx")
    tpl.paragraphs[0].add_run("{% if %}")
    tpl.save(folder / "leader_brief.docx")
    with pytest.raises(ReportError, match="leader_brief.docx 中的标签有误"):
        render_report(
            app.settings,
            app.workspace,
            P,
            result=result,
            today=TODAY,
            by_leader=True,
            now=REPORT_NOW,
        )
    (folder / "report.docx").unlink()
    with pytest.raises(ReportError, match="找不到报告模板.*build_report_template.py"):
        render_report(app.settings, app.workspace, P, result=result, today=TODAY, now=REPORT_NOW)


def test_shipped_templates_pass_the_check(app):
    from reporting.report.template_check import check_templates

    assert check_templates(app.settings, app.assignments) == []


def test_template_build_script_reproduces_the_shipped_templates(tmp_path, root):
    import runpy

    script = runpy.run_path(str(root / "templates" / "build_report_template.py"))
    script["build_report"](tmp_path / "report.docx")
    script["build_leader_brief"](tmp_path / "leader_brief.docx")
    bulletin = runpy.run_path(str(root / "templates" / "build_bulletin_template.py"))
    bulletin["build_bulletin"](tmp_path / "bulletin.docx")
    for name in ("report.docx", "leader_brief.docx", "bulletin.docx"):
        assert (tmp_path / name).read_bytes() == (root / "templates" / name).read_bytes(), name


# -- CLI ------------------------------------------------------------------------------------------
def test_cli_report(duban, data_dir, tmp_path):
    # no form built, no return: most likely the wrong period; a Chinese error names --force
    r = duban("report", "--period", "2024Q1", "--date", "2024-04-10")
    assert r.code == 1 and "还没有生成表单，也没有收到任何报送" in r.err and "--force" in r.err
    assert not (data_dir / "2024Q1" / "report").exists()
    r = duban("report", "--period", "2024Q1", "--date", "2024-04-10", "--by-leader", "--force")
    assert r.code == 0, r.output
    assert "报告已生成：" in r.out and "分管领导调度单 9 份" in r.out and "merged.json" in r.out
    path = Path(r.out.split("报告已生成：")[1].splitlines()[0])
    assert path.exists() and path.parent == data_dir / "2024Q1" / "report"
    assert "2024年4月10日" in "\n".join(texts(Document(path)))
    r = duban("report", "--period", "2024年第一季度", "--out", str(tmp_path / "x"), "--force")
    assert r.code == 0 and (tmp_path / "x").is_dir() and list((tmp_path / "x").glob("*.docx"))


def test_cli_bad_input(duban):
    r = duban("report", "--period", "2024Q9")
    assert r.code == 1 and "无法识别的报告期" in r.err
    r = duban("report", "--period", "2024Q1", "--date", "4月10日")
    assert r.code == 1 and "落款日期“4月10日”无法识别" in r.err


def test_cli_pdf_without_libreoffice_keeps_the_docx(duban, data_dir, monkeypatch):
    import reporting.documents.office

    monkeypatch.setattr(reporting.documents.office, "soffice_path", lambda: None)
    r = duban("report", "--period", "2024Q1", "--pdf", "--force")
    assert r.code == 1
    assert "未能生成 PDF：未安装 LibreOffice" in r.out
    assert list((data_dir / "2024Q1" / "report").glob("*.docx"))


# -- LibreOffice: what a reader gets ------------------------------------------------------------
@office
def test_pdf_pages_title_counts_and_page_numbers(app, result, tmp_path):
    out = render_report(
        app.settings,
        app.workspace,
        P,
        out_dir=tmp_path,
        result=result,
        today=TODAY,
        pdf=True,
        now=REPORT_NOW,
    )
    assert out.pdf_error == "" and out.pdf.exists()
    info = subprocess.run(
        ["pdfinfo", str(out.pdf)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 10
    sizes = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(pages), str(out.pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    orient = [
        ("landscape" if float(w) > float(h) else "portrait")
        for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", sizes)
    ]
    first_annex = orient.index("landscape")
    assert orient == ["portrait"] * first_annex + ["landscape"] * (pages - first_annex)
    text = subprocess.run(
        ["pdftotext", "-layout", str(out.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert "关于禹会区2024年《政府工作报告》重点任务第一季度推进情况的报告" in flat
    sc, _ = planned_counts(plan(app).values())
    assert f"已完成{sc['已完成']}项、超序时{sc['超序时']}项、序时推进{sc['序时推进']}项" in flat
    assert f"滞后{sc['滞后']}项、未启动{sc['未启动']}项" in flat
    assert '<tag>&"quotes"' in flat
    # every page carries its own number, "— n —"
    per_page = text.split("\f")
    for n, page in enumerate(per_page[:pages], 1):
        assert re.search(rf"—\s*{n}\s*—", page), n
    # the annex header row is repeated on every page of annex 1
    annex2 = next(k for k, page in enumerate(per_page) if "各单位第一季度报送情况" in page)
    for page in per_page[first_annex:annex2]:
        assert re.search(r"任务编号\s+任务（简称）", page)
    fonts = subprocess.run(
        ["pdffonts", str(out.pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "NotoSerifCJK" in fonts and "NotoSansCJK" in fonts and "WenKai" in fonts
    annex_list_layout(out.pdf, per_page)


def annex_list_layout(pdf: Path, per_page: list[str]) -> None:
    """附件说明 as GB/T 9704 7.3.3 lays it out: "附件：" two characters in, numbers under
    each other, each title starting in one column with its wrapped line; the title apart
    from its number ("1．2024年…", never read as "1.2024年…")."""
    em = 16  # 三号, points
    n = next(k for k, page in enumerate(per_page, 1) if "附件：" in page)
    xml = subprocess.run(
        ["pdftotext", "-f", str(n), "-l", str(n), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = [
        (float(x0), float(y0), float(x1), float(y1), w)
        for x0, y0, x1, y1, w in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', xml
        )
    ]
    first = next(w for w in words if w[4].startswith("附件："))
    wrapped = min((w for w in words if first[1] + 5 < w[1] < first[3] + em), key=lambda w: w[0])
    second = next(w for w in words if w[1] > wrapped[3] - 1 and w[4].startswith("2"))
    margin = 28 * 72 / 25.4
    assert abs(first[0] - (margin + 2 * em)) < 1
    assert abs(second[0] - (first[0] + 3 * em)) < 1  # "2" under "1"
    title_at = second[0] + 1.5 * em  # after "2．"
    assert abs(wrapped[0] - title_at) < 1  # the wrapped line under the title's first character

    def crop(x0: float, x1: float) -> str:
        return subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-x", str(round(x0)), "-y"]
            + [
                str(round(first[1])),
                "-W",
                str(round(x1 - x0)),
                "-H",
                str(round(first[3] - first[1])),
            ]
            + [str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    # the first title starts in that column too, a full-width point after its number
    assert crop(first[0] + 1, title_at - 1) == "附件：1．"
    assert crop(title_at + 1, title_at + 3 * em).startswith("2024")


# -- the counts: text, chart, annex and 汇总表 against what the sample wrote ------------------------
ON_PACE = ("已完成", "超序时", "序时推进")


def test_every_count_equals_what_the_sample_wrote(rendered, doc, tmp_path):
    from openpyxl import load_workbook

    from reporting.merge.summary import write_summary
    from reporting.report.chart import section_status_counts

    out, res, app = rendered
    planned = plan(app).values()
    want, want_lights = planned_counts(planned)
    statuses = ("已完成", "超序时", "序时推进", "滞后", "未启动", "未报送")
    # the text
    overall = paragraph_starting(doc, "（一）任务推进情况。").text
    text = {s: number(rf"{s}(\d+)项", overall) for s in statuses[:5]}
    text["未报送"] = number(r"另有(\d+)项因牵头单位未报送", overall)
    lights_text = {c: number(rf"{c}灯(\d+)项", body_until_annex(doc)) for c in "绿黄红"}
    # the chart's data
    chart = Counter()
    for _, counts in section_status_counts(res):
        chart.update(counts)
    # annex 1
    body = annex1(doc).rows[1:]
    annex = Counter(r.cells[5].text for r in body)
    lights_annex = Counter(r.cells[6].text.removesuffix("灯") for r in body)
    # the 汇总表's heading line, read back from the file
    path = tmp_path / "汇总表.xlsx"
    write_summary(res, [], path, app.settings)
    heading = " ".join(
        str(c.value)
        for row in load_workbook(path).worksheets[0].iter_rows(max_row=3)
        for c in row
        if c.value
    )
    heading = heading[heading.index("任务 ") :]  # after the units' 未报送: the task counts
    sheet = {
        s: int(re.search(rf"{s} (\d+)", heading).group(1)) if s in heading else 0 for s in statuses
    }
    lights_sheet = {c: number(rf"{c}灯 (\d+)", heading) for c in "绿黄红"}
    for s in statuses:
        assert text[s] == chart[s] == annex[s] == sheet[s] == want[s], s
    assert sum(want.values()) == len(res.rows)
    for c in "绿黄红":
        assert lights_text[c] == lights_annex[c] == lights_sheet[c] == want_lights[c], c
    # on pace yet lit (9（2）: says 序时推进 at 2 %, red)
    lit = sum(1 for p in planned if p.status in ON_PACE and p.light in ("黄", "红"))
    assert lit == 1
    assert number(r"达到序时进度的任务中有(\d+)项", body_until_annex(doc)) == lit


def test_on_pace_rows_lit_yellow_or_red_are_all_counted(app, tmp_path):
    """The report's sentence '达到序时进度的任务中有N项…亮黄灯或红灯': N counts the yellow
    and the red on-pace rows the test wrote, read back from the .docx."""
    res = sample_result(app)
    by_id = {r.id: r for r in res.rows}
    lit = {  # on pace by progress, lit by an indicator (or a flag)
        "1": Light.YELLOW.value,
        "2": Light.RED.value,
        "3": Light.RED.value,
    }
    for tid, light in lit.items():
        row = by_id[tid]
        row.status = row.judged_status = Status.AHEAD.value
        row.percent, row.gap, row.light = 40.0, -15.0, light
        for a in row.lead_reports:
            a.status, a.percent = row.status, 40.0
    planned = {**plan(app), **{t: Planned(Status.AHEAD.value, 40.0, c) for t, c in lit.items()}}
    want = sum(1 for p in planned.values() if p.status in ON_PACE and p.light in ("黄", "红"))
    assert want == len(lit) + 1  # and 9（2）
    out = render_report(
        app.settings, app.workspace, P, out_dir=tmp_path, result=res, today=TODAY, now=REPORT_NOW
    )
    para = next(x for x in texts(Document(out.docx)) if "亮灯规则" in x)
    got = re.search(r"达到序时进度的任务中有(\d+)项[^。；]*亮黄灯或红灯", para)
    assert got and int(got.group(1)) == want, para


def test_every_yellow_and_red_row_has_its_reason_in_the_text(rendered, doc):
    """The reason beside each lit row, written from the sample's own progress and pace: a
    row behind pace (滞后, 未启动 or red) in the lagging table with its gap and light (or by
    label above it when the table keeps only the worst); a row on pace but lit in （三） with
    its reason and light (or by label after the ones written out)."""
    _, res, app = rendered
    planned = plan(app)
    labels = {r.id: r.label for r in res.rows}
    lit = {tid: p for tid, p in planned.items() if p.light in ("黄", "红")}
    assert len(lit) >= 10
    table = {tr.cells[1].text: [c.text for c in tr.cells] for tr in lagging_table(doc).rows[1:]}
    behind_intro = paragraph_starting(doc, "（二）进度滞后的任务。").text
    lit_para = next(
        (x.text for x in doc.paragraphs if "达到序时进度但亮黄灯、红灯的任务。" in x.text), ""
    )
    for tid, p in lit.items():
        label = labels[tid]
        name = label if label.endswith("）") else f"{label}."
        if p.status in ("滞后", "未启动") or p.light == "红":
            cells = next((v for k, v in table.items() if k.startswith(name)), None)
            if cells is None:
                assert f"第{label}项" in behind_intro, label
                continue
            assert cells[4] == p.light, label
            if p.gap > 0:
                assert f"完成{p.percent:g}%，低于序时{p.gap:g}个百分点" in cells[3], label
            if p.status in ON_PACE:
                assert f"单位自报“{p.status}”" in cells[3], label
            if p.status == "未启动":
                assert "尚未启动" in cells[3], label
        else:
            reason = f"累计完成{p.percent:g}%，低于序时进度{p.gap:g}个百分点"
            if reason in lit_para:
                assert f"亮{p.light}灯" in lit_para[lit_para.index(reason) :], label
            else:
                assert f"第{label}项" in lit_para, label


def test_annex_names_each_task_by_its_short_title_never_with_an_ellipsis(rendered, doc):
    from reporting.taskbook.short_names import short_title_of

    _, res, _ = rendered
    names = {r.cells[0].text: r.cells[1].text for r in annex1(doc).rows[1:]}
    assert names == {r.label: short_title_of(r) for r in res.rows}
    # nothing in the body or the annex is cut with an ellipsis
    annex_text = "\n".join(c.text for r in annex1(doc).rows for c in r.cells)
    assert "…" not in body_until_annex(doc) and "…" not in annex_text


def test_an_annex_title_never_leaves_a_word_alone_on_its_second_line():
    """附件说明: a title that would spill a character or two ("表") onto a second line is
    broken before its last seven; a short one or one that spills a lot is left to wrap."""
    from reporting.documents.docx_render import keep_tail

    spilled = "2024年《政府工作报告》重点任务全年推进情况表"
    assert keep_tail(spilled) == "2024年《政府工作报告》重点任务\n全年推进情况表"
    assert keep_tail("各单位第二季度报送情况") == "各单位第二季度报送情况"
    long = "2024年《政府工作报告》重点任务第二季度推进情况汇总表"
    assert keep_tail(long) == long  # five characters go down: LibreOffice's own wrap
    root = Path(__file__).resolve().parent.parent
    import zipfile

    for name in ("report.docx", "annual_report.docx"):
        xml = zipfile.ZipFile(root / "templates" / name).read("word/document.xml").decode()
        assert "annex_title|keep_tail }}" in xml, name


def test_body_fills_its_pages_and_the_closing_keeps_with_the_last_paragraph(doc):
    lines = texts(doc)
    # widow control off for body text: a three-line paragraph may leave one line at a
    # page's foot instead of leaving two lines blank (a 公文 fills its 22 lines)
    normal = doc.styles["Normal"].element.pPr.find(qn("w:widowControl"))
    assert normal is not None and normal.get(qn("w:val")) == "0"
    # the last paragraph of 四、下步工作建议 goes with 特此报告 to the next page if need be
    k = lines.index("特此报告。")
    last = doc.paragraphs[k - 1]
    assert lines[k - 1].startswith("（") and last.paragraph_format.keep_with_next
    steps = lines.index("四、下步工作建议")
    assert not any(
        doc.paragraphs[i].paragraph_format.keep_with_next for i in range(steps + 1, k - 1)
    )
