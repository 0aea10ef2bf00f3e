"""`duban demo`: the whole cycle on the bundled data; the report's counts match the simulation."""

import re
from datetime import date
from pathlib import Path

import pytest
from conftest import office
from docx import Document
from docx.oxml.ns import qn
from helpers import brief_rows, status_tally, table_with_header

from reporting.core.model import QuarterResult
from reporting.core.periods import Period

pytestmark = pytest.mark.slow  # whole quarters, real processes


@pytest.fixture
def demo_run(demo_year):
    outcome, printed, _app = demo_year
    return outcome, printed


def report_text(path: Path) -> str:
    return "\n".join(p.text for p in Document(path).paragraphs)


@pytest.mark.parametrize("period", ["2024Q1", "2024Q2", "2024Q3", "2024Q4"])
def test_report_counts_match_the_simulated_returns(demo_run, period):
    outcome, _ = demo_run
    fates = outcome.fates[period]
    label = Period.parse(period).label
    text = report_text(outcome.paths[f"{label}报告"])
    due = sum(len(v) for v in fates.values())
    assert f"应报送单位{due}个" in text.replace(" ", "")
    flat = text.replace(" ", "")
    # between the cooperating units' deadline and the lead deadline is still on time
    assert f"按时报送{len(fates['on_time']) + len(fates['coop_late'])}个" in flat
    assert f"逾期报送{len(fates['late'])}个" in flat
    assert f"被退回待重新报送{len(fates['rejected'])}个" in flat
    assert f"未报送{len(fates['missing'])}个" in flat
    assert len(fates["rejected"]) == 2 and fates["missing"] and fates["late"]
    # the merged result agrees with the simulation unit by unit
    result = QuarterResult.load(outcome.root / period / "merged.json")
    states = {u.unit: (u.state, u.late) for u in result.units}
    for unit in fates["on_time"] + fates["coop_late"]:
        assert states[unit] == ("accepted", False)
    for unit in fates["late"]:
        assert states[unit] == ("accepted", True)
    for unit in fates["rejected"]:
        assert states[unit][0] == "rejected"
    for unit in fates["missing"]:
        assert states[unit][0] == "missing"


def test_every_printed_path_exists(demo_run):
    outcome, printed = demo_run
    for label, path in outcome.paths.items():
        assert path.exists(), label
    assert any(outcome.paths["发件箱（模拟邮件）"].glob("*.eml"))
    assert any(outcome.paths["第一季度催报清单目录"].iterdir())


def test_returns_are_marked_as_sample_data(demo_run):
    import openpyxl

    outcome, _ = demo_run
    files = sorted((outcome.root / "2024Q1" / "inbox").glob("*.xlsx"))
    assert files
    wb = openpyxl.load_workbook(files[0])
    texts = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any("示例数据" in t for t in texts)


def test_second_quarter_shows_prefill_and_change(demo_run):
    outcome, printed = demo_run
    assert re.search(
        r"其中 \d+ 个单位的表单在“上季度报送情况（供参考）”列列出了2024年第一季度", printed
    )
    assert "2024年第一季度 → 2024年第二季度 对比" in printed
    assert "平均提高" in printed
    # the second quarter's report compares with the first; the first has nothing to compare
    q1, q2 = (report_text(outcome.paths[f"{q}报告"]) for q in ("第一季度", "第二季度"))
    assert "与上季度相比" not in q1
    lines = q2.splitlines()
    heading = "（四）与上季度相比。"  # a run-in heading: the paragraph starts with it
    counts = next(t for t in lines if t.startswith(heading))[len(heading) :]
    before, after = (
        status_tally(QuarterResult.load(outcome.root / p / "merged.json").rows)
        for p in ("2024Q1", "2024Q2")
    )
    assert counts.startswith("与第一季度相比，已完成")
    for word in ("已完成", "滞后"):
        if before[word] != after[word]:
            assert f"{word}由{before[word]}项" in counts and f"至{after[word]}项" in counts
        else:
            assert f"{word}仍为{after[word]}项" in counts
    assert re.search(r"牵头单位累计完成进度平均(提高|下降)[\d.]+个百分点", counts)


def body_lines(path: Path) -> list[str]:
    lines = report_text(path).splitlines()
    return lines[: lines.index("附件1")]


def section(lines: list[str], start: str, end: str) -> list[str]:
    return lines[lines.index(start) + 1 : lines.index(end)]


def test_second_and_third_quarter_share_no_next_step_paragraph(demo_run):
    outcome, _ = demo_run
    q2, q3 = (
        section(body_lines(outcome.paths[f"{q}报告"]), "四、下步工作建议", "特此报告。")
        for q in ("第二季度", "第三季度")
    )
    assert len(q2) >= 4 and len(q3) >= 4
    assert not set(q2) & set(q3)
    assert any("第三季度" in t for t in q2) and any("第四季度" in t for t in q3)


@pytest.mark.parametrize("period", ["2024Q1", "2024Q2", "2024Q3"])
def test_every_lagging_task_is_named_in_the_problems(demo_run, period):
    """Every task behind pace or red — in the table of section 三 (its rows) or by
    ``第…项`` in the paragraph above it; each task of the table with its lead units."""
    from docx import Document

    outcome, _ = demo_run
    label = Period.parse(period).label
    path = outcome.paths[f"{label}报告"]
    result = QuarterResult.load(outcome.root / period / "merged.json")
    behind = [r for r in result.rows if r.lagging or r.status == "未启动"]
    assert len(behind) >= 5
    lines = body_lines(path)
    problems = "\n".join(section(lines, "三、存在的问题", "四、下步工作建议"))
    table = table_with_header(Document(path), "序号", "任务", "牵头单位", "进度和原因")
    cells = {tr.cells[1].text: tr.cells[2].text for tr in table.rows[1:]}
    for row in behind:
        name = row.label if row.label.endswith("）") else f"{row.label}."
        named = [k for k in cells if k.startswith(name)]
        if named:
            assert cells[named[0]] == "\n".join(row.lead_units), row.label
        else:
            assert f"第{row.label}项" in problems, row.label


@pytest.mark.parametrize("period", ["2024Q1", "2024Q2", "2024Q3"])
def test_each_section_of_the_progress_names_an_on_pace_task(demo_run, period):
    """主要进展: every section with a 序时推进 task names one, with what it achieved."""
    outcome, _ = demo_run
    label = Period.parse(period).label
    result = QuarterResult.load(outcome.root / period / "merged.json")
    lines = section(body_lines(outcome.paths[f"{label}报告"]), "二、主要进展", "三、存在的问题")
    paras = [t for t in lines if re.match(r"^（[一二三四五六七八九十]+）", t)]
    numbers = sorted({r.section for r in result.rows})
    assert len(paras) == len(numbers)
    with_figures = 0
    for number, para in zip(numbers, paras, strict=True):
        on_track = [r.label for r in result.rows if r.section == number and r.status == "序时推进"]
        if on_track:
            assert any(
                re.search(rf"[。；]{re.escape(x)}[.（\u4e00-\u9fff“]", para) for x in on_track
            ), para
        with_figures += bool(re.search(r"：[^；。]*\d", para))
    assert with_figures >= len(paras) - 1  # the results quoted carry figures


def test_rejected_returns_explain_the_mistakes(demo_run):
    _, printed = demo_run
    lines = printed.splitlines()
    rejected = [k for k, line in enumerate(lines) if line.startswith("  退回 ")]
    # the 落实方案 round in January first: one plan sent back, the cells named
    start = next(k for k, line in enumerate(lines) if line.startswith("══ 2024年第一季度"))
    plan = [k for k in rejected if k < start]
    assert len(plan) == 1 and "落实方案表" in lines[plan[0]]
    assert re.search(r"（[A-Z]+\d+）低于.*（[A-Z]+\d+）；节点是累计进度", lines[plan[0] + 1])
    rejected = [k for k in rejected if k > start]
    assert len(rejected) == 8  # two per quarter
    assert all("请" in lines[k] for k in rejected)
    # each quarter's pair under a heading that says what they are
    heads = [
        k for k, line in enumerate(lines) if "被退回、截至报告日仍未重新报送的单位 2 个：" in line
    ]
    assert len(heads) == 4 and all(lines[k + 1].startswith("  退回 ") for k in heads)


def test_demo_refuses_a_folder_it_did_not_make(tmp_path, duban):
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    r = duban("demo", "--dir", str(tmp_path))
    assert r.code == 1 and "不是空目录" in r.err
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_every_return_was_answered_in_the_outbox(demo_run):
    import email
    from email import policy

    outcome, _ = demo_run
    outbox = outcome.paths["发件箱（模拟邮件）"]
    for period, fates in outcome.fates.items():
        for unit in fates["rejected"]:
            (eml,) = outbox.glob(f"{period}_退回通知_{unit}_*.eml")
            msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
            assert msg["Subject"].startswith("【退回】")
            assert "原因如下" in msg.get_body(("plain",)).get_content()
        for unit in fates["on_time"] + fates["late"]:
            assert len(list(outbox.glob(f"{period}_回执_{unit}_*.eml"))) == 1, unit
        for unit in fates["missing"]:
            assert not list(outbox.glob(f"{period}_回执_{unit}_*.eml"))


def test_the_outbox_notice_is_said_once_per_run(demo_run):
    """Each run (or 落实方案 pass) that writes mail to the outbox says so once, also when its
    回执 and its 配合反馈 update (or its 回执 and 提醒) are two batches of mail."""
    outcome, printed = demo_run
    outbox = outcome.paths["发件箱（模拟邮件）"]
    notice = f"邮件未实际发出，已写入发件箱目录 {outbox}（[smtp] outbox）。"
    starts = re.compile(r"══|（模拟|\d{4}年第.季度（\d{4}Q\d）  现在")
    runs: list[list[str]] = []
    for line in printed.splitlines():
        if starts.match(line) or not runs:
            runs.append([])
        runs[-1].append(line.strip())
    both = [
        r
        for r in runs
        if any(x.startswith("回执：已发送") for x in r)
        and any(x.startswith("配合反馈：更新") for x in r)
    ]
    plan_both = [
        r
        for r in runs
        if any(x.startswith("2024年落实方案回执：已发送") for x in r)
        and any(x.startswith("2024年落实方案提醒：已发送") for x in r)
    ]
    assert both and plan_both
    for r in both + plan_both:
        assert r.count(notice) == 1, "\n".join(r)
    for r in runs:
        assert r.count(notice) <= 1, "\n".join(r)
    assert printed.count(notice) == sum(notice in r for r in runs) > len(both)


def test_each_unit_gets_one_notice_per_quarter(demo_run):
    """The 通知 of 2024Q2 is its own message: a send recorded for Q1 never counts for Q2."""
    outcome, _ = demo_run
    from jobs.app import create_app

    root = Path(__file__).resolve().parent.parent
    units = create_app(root / "config.toml", env={}).assignments.by_unit
    outbox = outcome.paths["发件箱（模拟邮件）"]
    for period in ("2024Q1", "2024Q2"):
        notices = sorted(p.name for p in outbox.glob(f"{period}_通知_*.eml"))
        assert notices == sorted(f"{period}_通知_{u}.eml" for u in units), period


def pdf_page_texts(pdf: Path) -> list[str]:
    import subprocess

    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    return [page.replace(" ", "") for page in text.split("\f")[:-1]]


def word_tops(pdf: Path, page: int, word: str) -> tuple[list[float], float]:
    """The top edges (pt) of ``word`` on ``page`` of the PDF, and the page height."""
    import subprocess

    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
    ).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))
    tops = [
        float(m.group(1))
        for m in re.finditer(r'yMin="([\d.]+)"[^>]*>([^<]*)</word>', html)
        if word in m.group(2)
    ]
    return tops, height


@office
def test_bulletin_colophon_at_the_foot_of_the_last_even_page(demo_run):
    """GB/T 9704 §7.4: the 版记 on the last, even page, at its foot (a page of its own when
    the body ends on an odd page); the PDF has an even number of pages."""
    from helpers import at

    from jobs.app import create_app
    from reporting.assess.bulletin import render_bulletin
    from reporting.documents.office import pdf_pages

    outcome, _ = demo_run
    root = Path(__file__).resolve().parent.parent
    app = create_app(root / "config.toml", outcome.root, env={})
    with app.ledger() as ledger:
        out = render_bulletin(
            app.settings,
            app.workspace,
            ledger,
            Period(2024, 2),
            now=at(date(2024, 7, 9)),  # Q2's report day
            pdf=True,
            assignments=app.assignments,
        )
    assert out.pdf is not None and not out.pdf_error
    pages = pdf_page_texts(out.pdf)
    assert out.pages == pdf_pages(out.pdf) == len(pages)
    assert len(pages) % 2 == 0 and len(pages) >= 4
    assert "抄送：区委办" in pages[-1] and "印发" in pages[-1]
    assert not any("抄送：区委办" in text for text in pages[:-1])
    # the body and its date end on the page before, or on the last page above the 版记
    # (which of the two follows from the demo's text, e.g. its 销号/延期/调整)
    dated = [k for k, text in enumerate(pages) if "2024年7月9日" in text]
    assert dated and dated[-1] in (len(pages) - 2, len(pages) - 1)
    tops, height = word_tops(out.pdf, len(pages), "印发")
    assert tops and min(tops) > 0.75 * height  # at the foot, not under the body
    assert f"（{len(pages)} 页）" in "\n".join(out.lines())


@office
def test_a_bulletin_written_without_pdf_ends_on_an_even_page_itself(demo_run, tmp_path):
    """The demo's Q4 通报 (its body ends on page 5) written without --pdf: the .docx holds
    the blank page before the 版记 itself, so printed from Word or WPS the 版记 is at the
    foot of an even page (GB/T 9704 §7.4); no PDF is left beside it. On a copy of the
    demo (the 通报 numbers a 发文字号 and issues 督办单)."""
    import shutil

    from helpers import at
    from pdf_pages import render_all

    from jobs.app import create_app
    from reporting.assess.bulletin import render_bulletin

    outcome, _ = demo_run
    data = tmp_path / "demo"
    shutil.copytree(outcome.root, data)
    root = Path(__file__).resolve().parent.parent
    app = create_app(root / "config.toml", data, env={})
    with app.ledger() as ledger:
        out = render_bulletin(
            app.settings, app.workspace, ledger, Period(2024, 4), now=at(date(2025, 1, 10)),
            assignments=app.book(Period(2024, 4)),
        )  # fmt: skip
    assert out.pdf is None and not out.docx.with_suffix(".pdf").exists()
    (pdf,) = render_all([out.docx], tmp_path / "pdf")
    pages = pdf_page_texts(pdf)
    assert len(pages) % 2 == 0 and len(pages) >= 4, len(pages)
    assert "抄送：区委办" in pages[-1] and "印发" in pages[-1]
    assert not any("抄送：区委办" in text for text in pages[:-1])
    tops, height = word_tops(pdf, len(pages), "印发")
    assert tops and min(tops) > 0.75 * height  # at the foot


def test_second_quarter_returns_are_new_text_not_last_quarters(demo_run):
    """The sample progress texts name the quarter: no 一字不差 warning in the demo's Q2."""
    import json
    import sqlite3

    outcome, _ = demo_run
    with sqlite3.connect(outcome.root / "ledger.sqlite") as conn:
        rows = conn.execute(
            "SELECT state, problems FROM returns WHERE period = '2024Q2'"
        ).fetchall()
    assert sum(state == "accepted" for state, _ in rows) >= 40
    warnings = [p for _, text in rows for p in json.loads(text or "[]")]
    assert warnings  # other checks still warn (e.g. 滞后 without a reason)
    assert not [p for p in warnings if "一字不差" in json.dumps(p, ensure_ascii=False)]


# -- the PDF a reader gets (LibreOffice): pages, faces, unbroken names -------------------------
def _run(*cmd: str) -> str:
    import subprocess

    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def _face_key(name: str) -> str:
    """'CAAAAA+NotoSerifCJKjp-Regular' / 'Noto Serif CJK SC' → 'notoserifcjk…' for comparing."""
    name = name.split("+", 1)[-1].lower()
    return re.sub(r"[^a-z]", "", name)


def _pdf(demo_run, label: str) -> Path:
    outcome, _ = demo_run
    pdf = outcome.paths.get(f"{label}报告 PDF")
    if pdf is None:
        pytest.skip("LibreOffice 未安装，演示没有生成 PDF")
    return pdf


@pytest.mark.parametrize("label", ["第一季度", "第二季度", "第三季度"])
def test_report_pdf_pages_within_the_targets(demo_run, label):
    pdf = _pdf(demo_run, label)
    sizes = _run("pdfinfo", "-f", "1", "-l", "999", str(pdf))
    orient = [
        "landscape" if float(w) > float(h) else "portrait"
        for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", sizes)
    ]
    pages = _run("pdftotext", "-layout", str(pdf), "-").split("\f")[: len(orient)]
    body = orient.index("landscape")
    assert orient == ["portrait"] * body + ["landscape"] * (len(orient) - body)
    annex2 = next(
        k for k in range(body, len(pages)) if f"各单位{label}报送情况" in pages[k].replace(" ", "")
    )
    # the demo's quarters carry a paragraph on 销号/延期/调整 (jobs.demo.DEMO_CHANGES): a page more
    changes = any("任务销号、延期、调整。" in p.replace(" ", "") for p in pages[:body])
    assert body <= 8 + changes, f"正文 {body} 页"
    assert annex2 - body <= 10, f"附件1 {annex2 - body} 页"
    assert len(orient) <= 22, f"共 {len(orient)} 页"
    # page 1 is full: its last line is near the foot of the type area (22 lines)
    first = [line for line in pages[0].splitlines() if line.strip()]
    assert len(first) >= 20


@pytest.mark.parametrize("label", ["第一季度", "第二季度"])
def test_run_in_headings_are_kai_and_the_body_fangsong_substitute(demo_run, label):
    from reporting.documents.fonts import pdf_substitutes

    pdf = _pdf(demo_run, label)
    subs = {s.official: s.family for s in pdf_substitutes()}
    if not subs["楷体_GB2312"]:
        pytest.skip("fc-match 未安装")
    xml = _run("pdftohtml", "-xml", "-i", "-stdout", str(pdf))
    faces = dict(re.findall(r'<fontspec id="(\d+)" size="[\d.]+" family="([^"]+)"', xml))
    chunks = re.findall(r'<text [^>]*font="(\d+)">([^<]*)</text>', xml)

    def face(start: str) -> str:
        return _face_key(faces[next(f for f, t in chunks if t.startswith(start))])

    kai = _face_key(subs["楷体_GB2312"]).removesuffix("sc")
    fang = _face_key(subs["仿宋_GB2312"]).removesuffix("sc")
    hei = _face_key(subs["黑体"]).removesuffix("sc")
    for heading in ("（一）任务推进情况。", "（一）紧盯滞后任务，压实推进责任。"):
        assert face(heading).startswith(kai), heading
    assert face("一、总体情况").startswith(hei)
    assert face("区政府：").startswith(fang)


def test_annex_never_breaks_a_unit_name(demo_run):
    """Each lead unit of annex 1 stands whole on one line of the PDF's text."""
    pdf = _pdf(demo_run, "第二季度")
    outcome, _ = demo_run
    doc = Document(outcome.paths["第二季度报告"])
    annex = table_with_header(doc, "任务编号", "任务（简称）")
    units = {n for r in annex.rows[1:] for n in r.cells[3].text.split("\n") if n}
    assert len(units) > 20
    pages = _run("pdftotext", "-layout", str(pdf), "-").split("\f")
    lines = [
        line.replace(" ", "")
        for page in pages
        if "任务（简称）" in page
        for line in page.splitlines()
    ]
    for unit in units:
        assert any(unit in line for line in lines), unit
    # and by geometry: the column holds the longest name in 小五 (9 pt = 180 twips a character)
    grid = [int(c.get(qn("w:w"))) for c in annex._tbl.tblGrid.findall(qn("w:gridCol"))]
    margins = 2 * 57
    assert max(len(u) for u in units) * 180 <= grid[3] - margins
    leaders = {n for r in annex.rows[1:] for n in r.cells[2].text.split("\n") if n}
    assert max(len(n) for n in leaders) * 180 <= grid[2] - margins


def test_table1_keeps_every_cell_on_one_line(demo_run):
    """表1: no "增长/9.5%", "第二季度完/成", "区科技经信/局" or "百分/点" in the PDF."""
    pdf = _pdf(demo_run, "第二季度")
    outcome, _ = demo_run
    table = Document(outcome.paths["第二季度报告"]).tables[0]
    text = _run("pdftotext", "-layout", str(pdf), "-")
    lines = {line.replace(" ", "") for line in text.splitlines()}
    for row in table.rows:
        joined = "".join(c.text for c in row.cells)
        assert joined in lines, joined


@pytest.mark.parametrize("label", ["第一季度", "第二季度"])
def test_pdf_bookmarks_are_the_headings_and_the_annexes(demo_run, label):
    pdf = _pdf(demo_run, label)
    xml = _run("pdftohtml", "-xml", "-i", "-stdout", str(pdf))
    items = re.findall(r'<item page="(\d+)">([^<]+)</item>', xml)
    assert [t for _, t in items] == [
        "一、总体情况",
        "二、主要进展",
        "三、存在的问题",
        "四、下步工作建议",
        "附件1",
        "附件2",
    ]
    pages = [int(p) for p, _ in items]
    assert pages == sorted(pages) and pages[0] == 1
    sizes = _run("pdfinfo", "-f", "1", "-l", "999", str(pdf))
    orient = [float(w) > float(h) for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+)", sizes)]
    assert pages[4] == orient.index(True) + 1  # 附件1 opens the landscape part


def test_fourth_quarter_is_the_annual_edition_and_agrees_with_the_year_workbook(demo_run):
    import openpyxl

    outcome, printed = demo_run
    report = outcome.paths["第四季度报告"]
    assert report.name == "2024Q4_禹会区《政府工作报告》重点任务全年完成情况报告.docx"
    assert not list(report.parent.glob("2024Q4_*第四季度推进情况报告.docx"))
    text = report_text(report).replace(" ", "")
    assert "全年完成情况的报告" in text
    workbook = outcome.paths["全年汇总表"]
    assert workbook == outcome.root / "2024" / "2024年度推进情况汇总表.xlsx"
    # written by the fourth quarter's report step (the scheduler's), not by the demo itself
    assert printed.count("全年汇总表已生成：") == 1
    q4 = printed.index("══ 2024年第四季度")
    assert printed.index(f"全年汇总表已生成：{workbook}") > q4
    finals = [
        r[9]
        for r in openpyxl.load_workbook(workbook)["全年完成情况"].iter_rows(
            min_row=4, values_only=True
        )
    ]
    counts = [finals.count(k) for k in ("完成", "基本完成", "未完成")]
    assert "完成{}项、基本完成{}项、未完成{}项".format(*counts) in text


def test_fourth_quarter_briefs_give_each_task_its_year_result(demo_run):
    """At the year's end each leader's brief says how the year ended for every task (the
    year workbook's 全年完成情况), unfinished tasks first; earlier briefs do not."""
    import openpyxl

    outcome, _printed = demo_run
    sheet = openpyxl.load_workbook(outcome.paths["全年汇总表"])["全年完成情况"]
    head = [c.value for c in sheet[3]]
    finals = {
        str(r[head.index("任务编号")]): r[head.index("全年完成情况")]
        for r in sheet.iter_rows(min_row=4, values_only=True)
        if r[0] is not None
    }
    briefs = sorted((outcome.root / "2024Q4" / "report" / "分管领导调度单").glob("*.docx"))
    assert len(briefs) > 5
    seen = set()
    for path in briefs:
        doc = Document(path)
        states = []
        for tr in brief_rows(path):  # the last beside the signer (docx_closing)
            label = tr.cells[0].text.split(" ")[0]
            # two lines: the year's result, then "90% 滞后" (five short lines were a column)
            lines = tr.cells[3].text.split("\n")
            assert len(lines) <= 2 and lines[0].startswith("全年"), (path.name, lines)
            final = lines[0].removeprefix("全年")
            assert final == finals[label], (path.name, label)
            states.append(final)
            seen.add(final)
        undone = states.count("未完成")
        assert states[:undone] == ["未完成"] * undone  # unfinished first
        text = "\n".join(p.text for p in doc.paragraphs)
        counts = "、".join(
            f"{k}{states.count(k)}项"
            for k in ("完成", "基本完成", "未完成", "尚未判定")
            if states.count(k)
        )
        assert f"全年完成情况：{counts}" in text, path.name
    assert {"完成", "未完成"} <= seen
    for path in (outcome.root / "2024Q3" / "report" / "分管领导调度单").glob("*.docx"):
        doc = Document(path)
        assert "全年" not in "\n".join(p.text for p in doc.paragraphs)
        assert not any(tr.cells[3].text.startswith("全年") for tr in brief_rows(path))
