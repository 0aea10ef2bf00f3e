"""The year-end: `duban year` and the annual edition of the Q4 report, checked against an
independent computation from the demo year's merged results and task table."""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from helpers import copy_merged, unbroken

from reporting.core.periods import Period

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # reads the demo year (four simulated quarters)

BASIC = 90.0  # [report] annual_basic_percent in the bundled config


def expected_year(data: Path, tasks_csv: Path, year: int = 2024) -> tuple[dict, dict]:
    """(task id → final, (task id, indicator) → 达到/未达到/未填报), from merged.json and tasks.csv
    alone, by the rule in the docs: judged at the deadline's quarter when it is in Q1–Q3."""
    with tasks_csv.open(encoding="utf-8-sig") as f:
        deadlines = {r["id"]: r["deadline"] for r in csv.DictReader(f)}
    results = {}
    for q in (1, 2, 3, 4):
        path = data / f"{year}Q{q}" / "merged.json"
        results[q] = {r["id"]: r for r in json.loads(path.read_text(encoding="utf-8"))["rows"]}
    finals, indicators = {}, {}
    for task_id in results[4]:
        due = date.fromisoformat(deadlines[task_id]) if deadlines[task_id] else None
        quarter = (due.month - 1) // 3 + 1 if due and due.year == year else 4
        row = results[quarter][task_id]
        reached = {}
        for ind in row["indicators"]:
            if ind["value"] is None:
                reached[ind["name"]] = "未填报"
            else:
                reached[ind["name"]] = "达到" if ind["value"] >= ind["target"] else "未达到"
        indicators.update({(task_id, k): v for k, v in reached.items()})
        if not row["lead_reports"]:
            finals[task_id] = "未完成"
            continue
        percent = row["percent"]
        if percent is None and row["status"] == "已完成":
            percent = 100
        if percent is not None and percent >= 100 and all(v == "达到" for v in reached.values()):
            finals[task_id] = "完成"
        elif percent is not None and percent >= BASIC:
            finals[task_id] = "基本完成"
        else:
            finals[task_id] = "未完成"
    return finals, indicators


def approved_changes(data: Path) -> tuple[set[str], dict[str, str]]:
    """(tasks 销号, task → its 延期 deadline) approved in the data dir's change records
    (``<data>/changes/<period>/*.json``), read here without duban: the latest decision on
    each request counts."""
    requests, latest = {}, {}
    for path in sorted((data / "changes").glob("*/*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        key = (record["period"], record["no"])
        if ".request." in path.name:
            requests[key] = record
        elif key not in latest or (record["at"], record["seq"]) >= (
            latest[key]["at"],
            latest[key]["seq"],
        ):
            latest[key] = record
    closed, extended = set(), {}
    for key, d in latest.items():
        r = requests[key]
        if d["verdict"] != "已批准":
            continue
        if r["kind"] == "销号":
            closed.add(r["task_id"])
        elif r["kind"] == "延期":
            extended[r["task_id"]] = r["deadline"]
    return closed, extended


def with_changes(finals: dict, data: Path, year: int = 2024) -> dict:
    """The annual edition's verdicts: a task 销号 is 完成; one extended beyond the year and
    not 完成 is 经批准延期."""
    closed, extended = approved_changes(data)
    out = dict(finals)
    for task_id in closed:
        out[task_id] = "完成"
    for task_id, due in extended.items():
        if due[:4] > str(year) and out.get(task_id) != "完成":
            out[task_id] = "经批准延期"
    return dict(sorted(out.items(), key=lambda kv: [int(x) for x in kv[0].split(".")]))


def judging_quarters(tasks_csv: Path, year: int = 2024) -> dict[str, int]:
    """task id → the quarter that judges it: its deadline's when in Q1–Q3, else Q4."""
    with tasks_csv.open(encoding="utf-8-sig") as f:
        deadlines = {r["id"]: r["deadline"] for r in csv.DictReader(f)}
    out = {}
    for task_id, text in deadlines.items():
        due = date.fromisoformat(text) if text else None
        out[task_id] = (due.month - 1) // 3 + 1 if due and due.year == year else 4
    return out


QUARTER_CN = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


def label_to_id(label: str) -> str:
    """8（1） → 8.1"""
    return label.replace("（", ".").replace("）", "")


def workbook_finals(path: Path) -> tuple[dict, dict, dict]:
    wb = openpyxl.load_workbook(path)
    ws = wb["全年完成情况"]
    head = [c.value for c in ws[3]]
    finals, judged = {}, {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        task = label_to_id(row[0])
        finals[task] = row[head.index("全年完成情况")]
        judged[task] = row[head.index("判定季度")]
    ws = wb["指标完成情况"]
    inds = {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        inds[(label_to_id(row[1]), unbroken(row[2]))] = row[5]
    return finals, inds, judged


@pytest.fixture(scope="module")
def year_copy(demo_year, tmp_path_factory):
    """The demo year's merged results in a data dir of their own (tests may change tasks)."""
    outcome, _printed, _app = demo_year
    data = tmp_path_factory.mktemp("year") / "data"
    copy_merged(outcome.root, data)
    fresh_ledger(data)
    return data


def fresh_ledger(data: Path) -> None:
    """An empty ledger beside copied merged results (duban refuses a data dir whose ledger
    went missing); with no returns in it, nothing is merged again."""
    from reporting.core.ledger import Ledger

    with Ledger(data / "ledger.sqlite", create=True):
        pass


def test_year_workbook_equals_an_independent_computation(year_copy, duban):
    res = duban("year", "--year", "2024", data=year_copy)
    assert res.code == 0, res.output
    path = year_copy / "2024" / "2024年度推进情况汇总表.xlsx"
    assert f"全年汇总表已生成：{path}" in res.out
    finals, inds, judged = workbook_finals(path)
    want_finals, want_inds = expected_year(year_copy, ROOT / "tasks.csv")
    assert finals == want_finals
    assert inds == want_inds
    # the demo year hits every outcome, and judges at Q4 but for its one-off task (due in May)
    assert set(finals.values()) == {"完成", "基本完成", "未完成"}
    assert set(inds.values()) >= {"达到", "未达到"}
    quarters = judging_quarters(ROOT / "tasks.csv")
    assert set(judged) == set(finals)  # a task 销号 earlier is not judged again
    assert judged == {k: QUARTER_CN[quarters[k]] for k in finals}
    assert set(judged.values()) == {"第二季度", "第四季度"}
    counts = {k: list(finals.values()).count(k) for k in ("完成", "基本完成", "未完成")}
    assert f"完成 {counts['完成']} 项，基本完成 {counts['基本完成']} 项" in res.out


def test_year_workbook_has_every_task_and_unit_quarter(year_copy, duban, demo_year):
    outcome, _printed, _app = demo_year
    assert duban("year", "--year", "2024", data=year_copy).code == 0
    wb = openpyxl.load_workbook(year_copy / "2024" / "2024年度推进情况汇总表.xlsx")
    assert wb.sheetnames[:5] == [
        "全年完成情况",
        "任务×季度",
        "指标完成情况",
        "单位×季度",
        "判定规则",
    ]
    # 全文 only when some text spilled there (a link in a cell says where)
    linked = any(c.hyperlink for ws in wb.worksheets[:5] for row in ws.iter_rows() for c in row)
    assert wb.sheetnames[5:] == (["全文"] if linked else [])
    q = json.loads((year_copy / "2024Q3" / "merged.json").read_text(encoding="utf-8"))
    rows = list(wb["任务×季度"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == 4 * len(q["rows"])
    by_key = {(label_to_id(r[0]), r[3]): r for r in rows}
    for row in q["rows"]:
        got = by_key[(row["id"], "第三季度")]
        assert got[4] == row["percent"]
        assert got[5] == (row["status"] or "未报送")
        assert (got[6] or None) == row["light"]
    # unit × quarter: every fate of the simulation, quarter by quarter
    units = {r[1]: r for r in wb["单位×季度"].iter_rows(min_row=4, values_only=True)}
    for q_no, period in enumerate(("2024Q1", "2024Q2", "2024Q3", "2024Q4"), 1):
        fates = outcome.fates[period]
        col = 2 + q_no
        for unit in fates["on_time"] + fates["coop_late"]:
            assert units[unit][col] == "按时", (period, unit)
        for unit in fates["late"]:
            assert units[unit][col] == "逾期", (period, unit)
        for unit in fates["rejected"]:
            assert units[unit][col] == "退回未重报", (period, unit)
        for unit in fates["missing"]:
            assert units[unit][col] == "未报送", (period, unit)
    for r in units.values():
        assert r[7] == sum(1 for v in r[3:7] if v == "按时")
        assert r[8] == sum(1 for v in r[3:7] if v == "逾期")


def test_a_deadline_before_year_end_is_judged_at_its_quarter(year_copy, duban, tmp_path):
    """Task 5's deadline moved to 2024-06-30: judged by Q2's result, not Q4's."""
    tasks = tmp_path / "tasks.csv"
    with (ROOT / "tasks.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    q2 = {
        r["id"]: r for r in json.loads((year_copy / "2024Q2" / "merged.json").read_text())["rows"]
    }
    # a task not finished by Q2 (so Q2 and Q4 disagree), and one with an indicator
    early = [r["id"] for r in rows if r["id"] in q2 and (q2[r["id"]]["percent"] or 0) < BASIC][:2]
    assert early
    for r in rows:
        if r["id"] in early:
            r["deadline"] = "2024-06-30"
    with tasks.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    config = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('tasks = "tasks.csv"', f'tasks = "{tasks}"')
    text = text.replace('units = "units.csv"', f'units = "{ROOT / "units.csv"}"')
    text = text.replace('templates = "templates"', f'templates = "{ROOT / "templates"}"')
    config.write_text(text, encoding="utf-8")
    res = duban("year", "--year", "2024", config=config, data=year_copy)
    assert res.code == 0, res.output
    finals, inds, judged = workbook_finals(year_copy / "2024" / "2024年度推进情况汇总表.xlsx")
    want_finals, want_inds = expected_year(year_copy, tasks)
    assert finals == want_finals and inds == want_inds
    for task_id in early:
        assert judged[task_id] == "第二季度"
        assert finals[task_id] != "完成"  # below 90 % at Q2, whatever Q4 says
    wb = openpyxl.load_workbook(year_copy / "2024" / "2024年度推进情况汇总表.xlsx")
    rows = {label_to_id(r[0]): r for r in wb["全年完成情况"].iter_rows(min_row=4, values_only=True)}
    assert rows[early[0]][3] == "2024-06-30"
    assert f"累计完成进度{q2[early[0]]['percent']:g}%" in rows[early[0]][10]
    # the annual report judges them the same way and says so
    from docx import Document

    res = duban("report", "--period", "2024Q4", config=config, data=year_copy)
    assert res.code == 0, res.output
    path = next((year_copy / "2024Q4" / "report").glob("*全年完成情况报告.docx"))
    doc = Document(path)
    trend = {label_to_id(r.cells[0].text): r.cells[7].text for r in doc.tables[0].rows[1:]}
    for task_id in early:
        assert trend[task_id] == f"{want_finals[task_id]}\n（按第二季度）"
    text = _docx_text(path).replace(" ", "")
    assert "项任务的完成时限在年内，已按完成时限所在季度的报送判定" in text
    assert "（完成时限2024年6月30日）" in text


def test_year_reruns_are_byte_identical(year_copy, duban):
    path = year_copy / "2024" / "2024年度推进情况汇总表.xlsx"
    assert duban("year", "--year", "2024", data=year_copy).code == 0
    first = path.read_bytes()
    assert duban("year", "--year", "2024", data=year_copy).code == 0
    assert path.read_bytes() == first


def test_a_year_without_merged_quarters_is_a_clear_chinese_error(duban, tmp_path):
    res = duban("year", "--year", "2023", data=tmp_path / "empty")
    assert res.code != 0
    assert "2023年还没有任何季度的汇总结果" in res.err
    assert "duban collect --period 2023Q1" in res.err
    assert "Traceback" not in res.output


def test_judging_period_rule():
    from reporting.annual.year import judging_period

    assert judging_period("2024-06-30", 2024) == Period(2024, 2)
    assert judging_period("2024-03-31", 2024) == Period(2024, 1)
    assert judging_period("2024-11-30", 2024) == Period(2024, 4)
    assert judging_period("2025-06-30", 2024) == Period(2024, 4)
    assert judging_period("", 2024) == Period(2024, 4)
    assert judging_period("年底前", 2024) == Period(2024, 4)


# -- the annual edition of the Q4 report ---------------------------------------------
def _docx_text(path: Path) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(path).paragraphs)


def _annual_docx(demo_year) -> Path:
    outcome, _printed, _app = demo_year
    path = outcome.paths["第四季度报告"]
    assert path.name.endswith("全年完成情况报告.docx")
    return path


def test_annual_report_equals_an_independent_computation(demo_year):
    from docx import Document

    outcome, _printed, _app = demo_year
    want_finals, want_inds = expected_year(outcome.root, ROOT / "tasks.csv")
    want_finals = with_changes(want_finals, outcome.root)  # the demo's 销号 and 延期
    assert "完成" in want_finals.values() and "经批准延期" in want_finals.values()
    doc = Document(_annual_docx(demo_year))
    trend, indicators, units, _changes = doc.tables
    assert [c.text for c in trend.rows[0].cells] == [
        "任务编号",
        "任务（简称）",
        "牵头单位",
        "第一季度",
        "第二季度",
        "第三季度",
        "第四季度",
        "全年完成情况",
    ]
    finals = {label_to_id(r.cells[0].text): r.cells[7].text for r in trend.rows[1:]}
    early = {k: q for k, q in judging_quarters(ROOT / "tasks.csv").items() if q < 4}
    assert early  # the demo's one-off task
    want = {
        k: v + (f"\n（按{QUARTER_CN[early[k]]}）" if k in early else "")
        for k, v in want_finals.items()
    }
    assert finals == want
    inds = {
        (label_to_id(r.cells[1].text), r.cells[2].text): r.cells[5].text
        for r in indicators.rows[1:]
    }
    assert inds == want_inds
    text = _docx_text(_annual_docx(demo_year)).replace(" ", "")
    n = {k: list(want_finals.values()).count(k) for k in ("完成", "基本完成", "未完成")}
    assert f"完成{n['完成']}项、基本完成{n['基本完成']}项、未完成{n['未完成']}项" in text
    reached = list(want_inds.values()).count("达到")
    assert f"量化指标{len(want_inds)}项，达到年度目标{reached}项" in text
    # section 二 names every unfinished task, in table order, with the unit's reason
    unfinished = [t for t, f in want_finals.items() if f not in ("完成", "经批准延期")]
    assert f"共有{len(unfinished)}项任务未全部完成" in text
    body = text.split("二、未完成的任务及原因")[1].split("下步工作建议")[0]
    items = [line for line in body.split("\n") if line[:1].isdigit()]
    assert len(items) == len(unfinished)
    for line, task_id in zip(items, unfinished, strict=True):
        label = task_id.replace(".", "（") + ("）" if "." in task_id else ".")
        assert line.startswith(label), (line, label)  # numbered as the notice numbers them
        assert f"：{want_finals[task_id]}，" in line
    # the quarters side by side: Q3's cell is Q3's merged progress and status
    q3 = {
        r["id"]: r
        for r in json.loads((outcome.root / "2024Q3" / "merged.json").read_text(encoding="utf-8"))[
            "rows"
        ]
    }
    for r in trend.rows[1:]:
        row = q3.get(label_to_id(r.cells[0].text), {"percent": None})  # 销号 in Q1: not asked
        if row["percent"] is not None:
            basis = ""  # the 落实方案 节点 or no pace, where the row is not judged by the line
            if row["pace_basis"] == "plan":
                basis = f"（节点{row['expected_progress']:g}%）"
            elif row["pace_basis"] == "none":
                basis = "（不按进度）"
            # the basis on a line of its own: never "（节" over "点40%）" in the narrow cell
            said = f"{row['percent']:g}% {row['status']}" + (f"\n{basis}" if basis else "")
            assert r.cells[5].text == said
    # unit × quarter: the simulated fates
    cells = {}
    for r in units.rows[1:]:
        for half in (r.cells[:6], r.cells[6:]):
            if half[1].text:
                cells[half[1].text] = [c.text for c in half[2:]]
    for q, period in enumerate(("2024Q1", "2024Q2", "2024Q3", "2024Q4")):
        for unit in outcome.fates[period]["late"]:
            assert cells[unit][q] == "逾期"
        for unit in outcome.fates[period]["missing"]:
            assert cells[unit][q] == "未报送"
        for unit in outcome.fates[period]["rejected"]:
            assert cells[unit][q] == "退回"


def test_annual_report_keeps_the_geometry_and_has_the_chart(demo_year):
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(_annual_docx(demo_year))
    body, annex = doc.sections[0], doc.sections[-1]
    assert (body.page_width.mm, body.page_height.mm) == pytest.approx((210, 297), abs=0.5)
    assert (body.top_margin.mm, body.bottom_margin.mm) == pytest.approx((37, 35), abs=0.5)
    assert (body.left_margin.mm, body.right_margin.mm) == pytest.approx((28, 26), abs=0.5)
    assert annex.page_width > annex.page_height  # the annexes are landscape
    twips_per_mm = 1440 / 25.4
    for table in doc.tables:  # each table fits the landscape type area (225 mm)
        grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(grid) <= 225 * twips_per_mm + 5
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    # 附件说明: "附件：1．…", then "2．…": a full-width point between the number and a
    # title that starts with the year; each title the one over its annex
    paras = [p.text.replace("\n", "") for p in doc.paragraphs]
    listed = [t for t in paras if re.match(r"(附件：)?\d．", t)]
    over_annexes = [paras[k + 1] for k, t in enumerate(paras) if re.fullmatch(r"附件\d", t)]
    assert listed == [
        f"{'附件：' if k == 1 else ''}{k}．{title}" for k, title in enumerate(over_annexes, 1)
    ]
    assert len(listed) == 4 and listed[0].startswith("附件：1．2024年")
    # 图1: the status mix by quarter
    assert len(doc.inline_shapes) == 1
    assert "图1　各季度任务推进状态（单位：项）" in _docx_text(_annual_docx(demo_year))


@pytest.mark.office
def test_annual_report_pdf_pages_fonts_and_bookmarks(demo_year):
    import re
    import subprocess

    from reporting.documents.fonts import pdf_substitutes

    outcome, _printed, _app = demo_year
    pdf = outcome.paths.get("第四季度报告 PDF")
    assert pdf is not None and pdf.name.endswith("全年完成情况报告.pdf")

    def run(*cmd: str) -> str:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    sizes = run("pdfinfo", "-f", "1", "-l", "999", str(pdf))
    orient = [
        float(w) > float(h) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", sizes)
    ]
    body = orient.index(True)
    # what the render looked like: 7 portrait pages of body, 7 landscape pages of annexes
    assert 5 <= body <= 9, f"正文 {body} 页"
    assert all(orient[body:])
    assert 10 <= len(orient) <= 18, f"共 {len(orient)} 页"
    xml = run("pdftohtml", "-xml", "-i", "-stdout", str(pdf))
    items = [t for _, t in re.findall(r'<item page="(\d+)">([^<]+)</item>', xml)]
    assert items == [
        "一、全年完成情况",
        "二、未完成的任务及原因",
        "三、下步工作建议",
        "附件1",
        "附件2",
        "附件3",
        "附件4",  # the year's 销号/延期/调整
    ]
    text = run("pdftotext", "-layout", str(pdf), "-")
    pages = text.split("\f")
    # annex 3 (50 units, two to a row) on one page; no quarter cell broken over two lines
    annex3 = next(
        k for k, p in enumerate(pages) if "附件3" in [ln.replace(" ", "") for ln in p.splitlines()]
    )
    assert annex3 == len(orient) - 2  # annex 4 on the last page
    for line in text.splitlines():
        assert not re.search(r"\d+% 序时推$", line.strip()), line
    subs = {s.official: s.family for s in pdf_substitutes()}
    if not subs["黑体"]:
        pytest.skip("fc-match 未安装")
    faces = dict(re.findall(r'<fontspec id="(\d+)" size="[\d.]+" family="([^"]+)"', xml))
    chunks = re.findall(r'<text [^>]*font="(\d+)">([^<]*)</text>', xml)

    def face(start: str) -> str:
        name = faces[next(f for f, t in chunks if t.startswith(start))]
        return re.sub(r"[^a-z]", "", name.split("+", 1)[-1].lower())

    def key(family: str) -> str:
        return re.sub(r"[^a-z]", "", family.lower()).removesuffix("sc")

    assert face("一、全年完成情况").startswith(key(subs["黑体"]))
    assert face("（一）任务完成情况。").startswith(key(subs["楷体_GB2312"]))
    assert face("区政府：").startswith(key(subs["仿宋_GB2312"]))


def test_annual_report_reruns_are_byte_identical_and_quote_scores_when_asked(
    demo_year, duban, tmp_path
):
    outcome, _printed, _app = demo_year
    data = tmp_path / "data"
    shutil.copytree(outcome.root, data, ignore=shutil.ignore_patterns("outbox", "inbox", "backups"))
    res = duban("report", "--period", "2024Q4", data=data)
    assert res.code == 0, res.output
    assert "全年版：任务 79 项" in res.out
    path = data / "2024Q4" / "report" / _annual_docx(demo_year).name
    first = path.read_bytes()
    assert duban("report", "--period", "2024Q4", data=data).code == 0
    assert path.read_bytes() == first
    text = _docx_text(path)
    assert "考核评价情况" not in text  # off by default
    config = tmp_path / "config.toml"
    toml = (ROOT / "config.toml").read_text(encoding="utf-8")
    for name in ("tasks.csv", "units.csv", "templates"):
        toml = toml.replace(f'"{name}"', f'"{ROOT / name}"')
    toml = toml.replace("annual_scores = false", "annual_scores = true")
    config.write_text(toml, encoding="utf-8")
    res = duban("report", "--period", "2024Q4", config=config, data=data)
    assert res.code == 0, res.output
    text = _docx_text(path)
    assert "三、考核评价情况" in text and "四、下步工作建议" in text
    assert "截至第四季度各单位累计得分（未计领导评价和加减分）排名前列的是" in text
    # the same lines as duban score ranks them
    res = duban("score", "--year", "2024", config=config, data=data)
    assert res.code == 0, res.output
    top = res.out.split("区直部门前三名：")[1].split("\n")[0]
    assert f"区直部门：{top}。" in text


def test_annual_report_is_valid_ooxml(demo_year):
    """Every quarter cell carries its own {% cellbg %}: still schema-valid (tcW before shd)."""
    import openxml_audit

    result = openxml_audit.OpenXmlValidator().validate(str(_annual_docx(demo_year)))
    assert [str(e) for e in result.errors] == []


def test_check_renders_the_annual_template_and_names_a_broken_one(app, tmp_path):
    from reporting.annual.report import check_annual_template

    assert check_annual_template(app.settings, app.assignments) == []
    broken = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", broken)
    (broken / "annual_report.docx").write_bytes(b"not a docx")
    app.settings.paths.templates = broken
    problems = check_annual_template(app.settings, app.assignments)
    assert len(problems) == 1 and problems[0].error
    assert problems[0].where == "全年报告模板"
    assert "templates/" in problems[0].message or "模板" in problems[0].message


def test_a_year_in_progress_leaves_unjudged_tasks_open(year_copy, duban, tmp_path):
    data = tmp_path / "data"
    for q in (1, 2):
        shutil.copytree(year_copy / f"2024Q{q}", data / f"2024Q{q}")
    fresh_ledger(data)
    res = duban("year", data=data)  # the year of [district] year
    assert res.code == 0, res.output
    asked = json.loads((data / "2024Q2" / "merged.json").read_text(encoding="utf-8"))["rows"]
    judged_by = judging_quarters(ROOT / "tasks.csv")  # a 一次性 task due by June is judged
    open_tasks = [r["id"] for r in asked if judged_by[r["id"]] > 2]
    assert f"尚未判定 {len(open_tasks)} 项" in res.out  # the rows Q2 asked about, still open
    assert "提示：第三季度、第四季度还没有汇总结果" in res.out
    wb = openpyxl.load_workbook(data / "2024" / "2024年度推进情况汇总表.xlsx")
    rows = list(wb["全年完成情况"].iter_rows(min_row=4, values_only=True))
    assert {r[9] for r in rows if label_to_id(r[0]) in open_tasks} == {"尚未判定"}
    assert {r[6] for r in rows} == {r[7] for r in rows} == {"未汇总"}


def test_a_task_without_its_report_is_worded_as_annex_3_words_its_lead_unit(demo_year):
    """The demo's 区政府办 is 退回 every quarter: its unfinished tasks say the return was
    sent back, not 未报送, as annex 3 (单位×季度) has it; a unit that sent nothing says 未报送."""
    from jobs.app import create_app
    from reporting.annual.year import year_data
    from reporting.core.submissions import Submitted

    outcome, _printed, _app = demo_year
    app = create_app(ROOT / "config.toml", outcome.root, env={})
    data = year_data(app.settings, app.workspace, app.assignments, 2024)
    states = {u.unit: u.quarters for u in data.units}
    said = 0
    for t in data.tasks:
        if not t.shortfall.startswith("牵头单位第"):
            continue
        lead = [states[u][t.judged_at] for u in t.lead_units if u in states]
        if Submitted.REJECTED in lead:
            assert "退回后未重新报送" in t.shortfall, t.shortfall
        else:
            assert t.shortfall.endswith("未报送"), t.shortfall
        said += 1
    assert said and any("退回" in t.shortfall for t in data.tasks)


def test_the_annual_suggestions_word_the_missing_reports_as_the_body_does(demo_year):
    """下步工作建议 counts the unfinished tasks whose lead unit did not report as section 二
    words each of them: 退回后未重新报送 apart from 未报送 (it said "6项…未报送" of four
    returns sent back)."""
    text = _docx_text(_annual_docx(demo_year)).replace(" ", "")
    body = text.split("二、未完成的任务及原因")[1].split("三、下步工作建议")[0]
    items = [line for line in body.split("\n") if line[:1].isdigit()]
    ways = {}
    for line in items:
        m = re.search(r"：未完成，牵头单位(第.季度(?:未报送|报送的表格被退回后未重新报送))。", line)
        if m:
            ways[m.group(1)] = ways.get(m.group(1), 0) + 1
    assert len(ways) == 2  # the demo has both
    step = next(p for p in text.split("\n") if "需先核实全年完成情况" in p)
    said = re.search(r"其中(.+?)，需先核实", step).group(1)
    assert said == "、".join(f"{n}项牵头单位{how}" for how, n in ways.items()), said


def test_the_annual_edition_counts_the_tasks_annex_1_lists(demo_year):
    """The introduction and annex 1's note say as many tasks as annex 1 has rows (it said
    共78项 over 79 rows: the task 销号 during the year is listed and counted in section 一)."""
    from docx import Document

    doc = Document(_annual_docx(demo_year))
    rows = len(doc.tables[0].rows) - 1
    text = _docx_text(_annual_docx(demo_year)).replace(" ", "")
    said = re.findall(r"共(\d+)项", text)
    intro = re.search(r"重点任务（共(\d+)项，含分项）", text).group(1)
    note = re.search(r"底色为当季亮灯；共(\d+)项）", text).group(1)
    assert said and int(intro) == int(note) == rows
    assert f"{rows}项任务（含年内销号" in text


def test_the_annual_edition_says_targets_in_words_not_the_task_tables_syntax(demo_year):
    """The demo's approved 调整 of 16（2） reads 新增城市停车泊位4000个 in annex 1 and
    annex 4, never 新增城市停车泊位=4000个 (item 7's 指标=252.5, in the annual edition)."""
    from docx import Document
    from docx.oxml.ns import qn

    body = Document(_annual_docx(demo_year)).element.body
    text = "".join(t.text or "" for t in body.iter(qn("w:t")))
    assert not re.search(r"[\u4e00-\u9fff]=\s*\d", text)
    assert text.count("指标调整为新增城市停车泊位4000个") >= 2
