"""Breakdowns laid out the way other governments publish theirs (tests/data/import_corpus/).

Each document of the corpus is imported as text, as a .docx built from it (paragraphs or a
table) and as an .xlsx, and must give the rows written by hand beside it: lead units,
partners, leaders, deadline, and what its review says. The numbering schemes (1. / （1） /
（一） / (一) / 一是), the label spellings, the conventions of who leads (列第一位的为牵头单位,
（牵头）) and PDF text with page headers are each in several documents.
"""

from __future__ import annotations

import re

import pytest
from helpers import notice_rows
from import_corpus import Case, build, cases

from reporting.taskbook.importer import read_breakdown

COLUMNS = (
    "section",
    "task_title",
    "content",
    "lead_units",
    "coop_units",
    "lead_leaders",
    "assist_leaders",
    "deadline",
)
BENIGN = ("建议指标：", "建议的简称")  # findings every import may add
CASES = cases()


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    done: dict[str, object] = {}

    def read(case: Case):
        if case.id not in done:
            done[case.id] = read_breakdown(build(case, folder), default_year=2024)
        return done[case.id]

    return read


def test_the_corpus_has_several_documents_of_every_layout():
    forms = {c.form for c in CASES}
    assert forms == {"txt", "docx", "table_docx", "xlsx"}
    names = {c.name for c in CASES}
    assert len(names) >= 17
    for scheme in ("dot", "cnparen", "paren", "shi", "table", "pdf"):
        assert sum(scheme in n for n in names) >= 2, scheme


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_document_imports_to_its_rows_written_by_hand(imported, case):
    result = imported(case)
    expected = case.expected()
    assert [r["id"] for r in result.rows] == [e["id"] for e in expected]
    for got, want in zip(result.rows, expected, strict=True):
        assert {c: got[c] for c in COLUMNS} == {c: want[c] for c in COLUMNS}, want["id"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_review_says_what_is_unsure_and_nothing_else(imported, case):
    result = imported(case)
    review = dict(result.review)
    for want in case.expected():
        parts = [p.strip() for p in want["review"].split("|") if p.strip()]
        findings = review.get(want["id"], [])
        for part in parts:
            assert any(part in f for f in findings), (want["id"], part, findings)
        unexplained = [
            f for f in findings if not f.startswith(BENIGN) and not any(p in f for p in parts)
        ]
        assert unexplained == [], want["id"]
    report = "\n".join(result.lines())
    for part in case.notes():
        assert part in report, part


# a label the test recognises itself, and the first name written after it
LABEL_WORDS = (
    "牵头责任领导|牵头责任单位|配合责任单位|牵头领导|责任领导|分管领导|牵头单位|责任单位|主责单位"
    "|配合单位|协办单位|完成时限|时间节点"
)
LABEL_VALUE = re.compile(rf"(?:{LABEL_WORDS})\s*[:：]\s*([^、，,；;（(）)\s]+)")


@pytest.mark.parametrize("case", [c for c in CASES if c.form == "txt"], ids=lambda c: c.id)
def test_every_name_and_date_written_in_the_list_reaches_a_row(imported, case):
    """Nothing silently dropped: the first name after each label is in some row."""
    result = imported(case)
    text = case.source.read_text(encoding="utf-8").replace("\f", "\n")
    written = "\n".join(
        "|".join(r[c] for c in ("lead_units", "coop_units", "lead_leaders", "assist_leaders"))
        for r in result.rows
    )
    deadlines = {r["deadline"] for r in result.rows}
    for m in LABEL_VALUE.finditer(text):
        value = m.group(1).rstrip("。")
        if m.group(0).startswith(("完成时限", "时间节点")):
            assert deadlines, value
            continue
        value = re.sub(r"牵头$|配合$", "", value)
        assert value in written, value


# -- who leads: the notice's convention, the option, the marks -------------------------------


def corpus_file(name: str):
    from import_corpus import CORPUS

    return CORPUS / name


def test_no_first_leads_keeps_every_listed_unit_a_lead():
    result = read_breakdown(
        corpus_file("03_cnparen_first_leads.txt"), default_year=2024, first_leads=False
    )
    first = result.rows[0]
    assert (first["lead_units"], first["coop_units"]) == ("区发展和改革局、区统计局、区财政局", "")
    assert any("但按 --no-first-leads 没有区分牵头和配合单位" in n for n in result.notes)
    # told not to: no row asks for --first-leads either
    assert not any("--first-leads" in f for _, fs in result.review for f in fs)


def test_first_leads_applies_where_the_notice_says_nothing(tmp_path):
    from import_corpus import Case, build

    case = Case("13_table_markers", corpus_file("13_table_markers.table.txt"), "xlsx")
    path = build(case, tmp_path)
    before = read_breakdown(path, default_year=2024)
    assert before.rows[-1]["lead_units"] == "区生态环境分局、区经济和信息化局"
    after = read_breakdown(path, default_year=2024, first_leads=True)
    assert (after.rows[-1]["lead_units"], after.rows[-1]["coop_units"]) == (
        "区生态环境分局",
        "区经济和信息化局",
    )
    # the marked rows do not change: a mark says more than a position
    assert after.rows[:-1] == before.rows[:-1]
    assert any(n.startswith("按 --first-leads，") and "（1 行）" in n for n in after.notes)


@pytest.mark.parametrize(
    ("sentence", "units", "leaders"),
    [
        ("责任单位中列第一位的为牵头单位，其他为配合单位。", True, False),
        ("涉及多个单位的，排在第一位的为牵头单位。", True, False),
        ("（注：第一个单位为牵头单位）", True, False),
        ("多个部门共同承担的，排名第一的为牵头部门", True, False),
        ("牵头单位列第一位，其余为配合单位", True, False),
        ("责任领导中列首位的为牵头领导", False, True),
    ],
)
def test_the_first_leads_sentence_is_found(sentence, units, leaders):
    from reporting.taskbook.import_roles import first_leads_rule
    from reporting.taskbook.import_text import Line

    rule = first_leads_rule([Line("各单位：", "第 1 行"), Line(sentence, "第 2 行")])
    assert rule is not None and rule.where == "第 2 行"
    assert (rule.units, rule.leaders) == (units, leaders)
    assert "第一" in rule.quote or "首位" in rule.quote


@pytest.mark.parametrize(
    "sentence",
    [
        "各单位主要负责同志是第一责任人，要亲自抓、负总责。",
        "牵头单位要发挥主导作用，切实加强组织协调。",
        "把项目建设摆在首位，牵头单位要主动作为。",
    ],
)
def test_other_sentences_state_no_convention(sentence):
    from reporting.taskbook.import_roles import first_leads_rule
    from reporting.taskbook.import_text import Line

    assert first_leads_rule([Line(sentence, "第 1 行")]) is None


def test_the_seed_notice_states_no_convention():
    from reporting.taskbook.import_roles import first_leads_rule
    from reporting.taskbook.import_text import Line

    seed = (corpus_file("..") / "breakdown_2024.txt").read_text(encoding="utf-8")
    assert first_leads_rule([Line(t, "") for t in seed.splitlines()]) is None


@pytest.mark.parametrize(
    ("text", "leads", "helpers"),
    [
        ("区发改委（牵头）、区财政局", ["区发改委"], ["区财政局"]),
        ("区财政局、区发改委(牵头)", ["区发改委"], ["区财政局"]),
        (
            "区发改委【牵头单位】、区财政局、各乡镇、街道",
            ["区发改委"],
            ["区财政局", "各乡镇、街道"],
        ),
        ("区城管局牵头，区商务局、各街道办事处配合", ["区城管局"], ["区商务局", "各街道办事处"]),
        ("区发改委、区财政局牵头，区住建局配合", ["区发改委", "区财政局"], ["区住建局"]),
        ("区发改委、区财政局", None, None),
    ],
)
def test_marked_leads(text, leads, helpers):
    from reporting.taskbook.import_roles import marked

    assert marked(text) == (None if leads is None else (leads, helpers))


# -- 完成时限 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date", "said"),
    [
        ("6月底前", "2024-06-30", False),
        ("全年", "2024-12-31", False),
        ("年底前", "2024-12-31", False),
        ("2024年三季度", "2024-09-30", False),
        ("三季度末", "2024-09-30", False),
        ("6月15日前", "2024-06-15", False),
        ("十月底前", "2024-10-31", False),
        ("十二月", "2024-12-31", False),
        ("3月、6月、9月分批发放", "2024-09-30", False),
        ("6月底前完成方案，年底前完工", "2024-12-31", False),
        ("2025年6月", "2025-06-30", False),
        ("持续推进", "2024-12-31", True),
        ("长期坚持", "2024-12-31", True),
        ("每季度", "2024-12-31", True),
        ("常态化开展", "2024-12-31", True),
        ("按省市要求", "2024-12-31", True),
    ],
)
def test_deadline_phrases(text, date, said):
    from reporting.taskbook.import_dates import read_deadline

    got, finding = read_deadline(text, 2024)
    assert got == date
    assert (finding is not None) == said
    if said:
        assert f"“{text}”" in finding and "2024-12-31" in finding


# -- text from a PDF ---------------------------------------------------------------------


def seed_paragraphs() -> list[str]:
    seed = corpus_file("..") / "breakdown_2024.txt"
    return [p for p in seed.read_text(encoding="utf-8").splitlines() if p.strip()]


def bundled() -> list[dict[str, str]]:
    return notice_rows(corpus_file("../../..") / "tasks.csv")


def assert_seed_rows(rows, *, spaces=False):
    """The bundled rows; ``spaces``: pdftotext's spaces between Chinese and Latin aside."""

    def norm(v: str) -> str:
        return re.sub(r"\s+", "", v) if spaces else v

    want = bundled()
    assert [r["id"] for r in rows] == [w["id"] for w in want]
    for got, row in zip(rows, want, strict=True):
        for c in ("section", *COLUMNS[1:]):
            assert norm(got[c]) == norm(row[c]), (row["id"], c)


def test_seed_as_pdf_text_wrapped_at_the_width_with_headers(tmp_path):
    from import_corpus import pdf_text

    header = "禹会区2024年《政府工作报告》任务分解"
    text = pdf_text(seed_paragraphs(), width=56, per_page=40, header=header)
    assert text.count("\f") > 10 and "\n\n" not in text.replace("\n\n— ", "")
    path = tmp_path / "seed.pdf.txt"
    path.write_text(text, encoding="utf-8")
    result = read_breakdown(path, default_year=2024)
    assert (result.sections, result.tasks) == (9, 33)
    assert_seed_rows(result.rows, spaces=True)
    pages = text.count("\f")
    assert f"已去掉页眉页脚“{header}”（{pages - 1} 处）" in result.notes
    assert "文字按页面宽度折行（如从 PDF 复制或导出），已把折行接回段落" in result.notes


@pytest.mark.office
def test_seed_through_libreoffice_pdf_and_pdftotext(tmp_path):
    """A notice as a real PDF: LibreOffice prints the .docx, pdftotext takes the text back."""
    import shutil
    import subprocess

    import docx

    from reporting.documents.office import convert

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "禹会区人民政府文件"
    doc.sections[0].footer.paragraphs[0].text = "禹会区人民政府办公室印发"
    for p in seed_paragraphs():
        doc.add_paragraph(p)
    doc.save(tmp_path / "seed.docx")
    pdf = convert(tmp_path / "seed.docx", "pdf", tmp_path)
    subprocess.run(["pdftotext", str(pdf), str(tmp_path / "seed.txt")], check=True, timeout=60)
    result = read_breakdown(tmp_path / "seed.txt", default_year=2024)
    assert_seed_rows(result.rows, spaces=True)
    assert any(n.startswith("已去掉页眉页脚“禹会区人民政府文件”") for n in result.notes)


# -- nothing silently dropped --------------------------------------------------------------

UNITS = ("区发展和改革局", "区财政局", "区教育局", "区民政局", "区商务局", "区农业农村局")
STRAYS = {
    "before": "牵头单位：区统计局",  # a label before any task
    "backwards": "3.本年度各项任务均按季度调度。",  # a number that goes back: no task
    "between": "有关要求详见通知正文，各单位务必高度重视并认真组织实施。",
    "note": "注：本表由区政府督查室负责解释。",
}


def forty_tasks() -> str:
    lines = ["2024年政府工作报告重点任务分解", "一、稳住经济基本盘", STRAYS["before"]]
    for n in range(1, 41):
        if n == 21:
            lines.append("二、持续增进民生福祉")
        lines.append(f"{n}.推进第{n}项重点工作，按期完成年度目标。")
        if n % 7:  # every seventh task names nobody: still a row
            lines.append(f"牵头单位：{UNITS[n % len(UNITS)]}")
            lines.append(f"责任领导：领导{n}")
        if n == 10:
            lines.append(STRAYS["backwards"])
        if n == 25:
            lines.append(STRAYS["note"])
        if n == 30:
            lines += ["", "— 5 —", "", STRAYS["between"]]
    return "\n".join(lines) + "\n"


def test_forty_tasks_give_forty_rows_and_name_the_lines_not_placed(tmp_path):
    path = tmp_path / "forty.txt"
    path.write_text(forty_tasks(), encoding="utf-8")
    result = read_breakdown(path, default_year=2024)
    assert [r["id"] for r in result.rows] == [str(n) for n in range(1, 41)]
    for row in result.rows:
        n = int(row["id"])
        assert row["lead_units"] == ("" if n % 7 == 0 else UNITS[n % len(UNITS)])
    review = dict(result.review)
    assert all("缺少牵头责任单位（必填），请补上" in review[str(n)] for n in range(7, 41, 7))
    said = "\n".join(result.lines())
    for where, stray in STRAYS.items():
        assert stray[:12] in said, where


# -- the command ---------------------------------------------------------------------------


def written_rows(path) -> dict[str, dict[str, str]]:
    import csv

    with open(path, encoding="utf-8-sig") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def test_command_reads_the_convention_and_takes_the_option(duban, tmp_path):
    src = str(corpus_file("03_cnparen_first_leads.txt"))
    said = duban("import-tasks", src, "-o", str(tmp_path / "a.csv"))
    assert said.code == 0, said.err
    assert "通知写明“责任单位中列第一位的为牵头单位，其他为配合单位”（第 5 行）" in said.out
    first = written_rows(tmp_path / "a.csv")["1"]
    assert (first["lead_units"], first["coop_units"]) == ("区发展和改革局", "区统计局、区财政局")

    refused = duban("import-tasks", src, "-o", str(tmp_path / "b.csv"), "--no-first-leads")
    assert refused.code == 0, refused.err
    first = written_rows(tmp_path / "b.csv")["1"]
    assert (first["lead_units"], first["coop_units"]) == ("区发展和改革局、区统计局、区财政局", "")

    other = str(corpus_file("16_paren_tasks_markers.txt"))
    told = duban("import-tasks", other, "-o", str(tmp_path / "c.csv"), "--first-leads")
    assert told.code == 0, told.err
    rows = written_rows(tmp_path / "c.csv")
    assert (rows["5"]["lead_units"], rows["5"]["coop_units"]) == (
        "区城市管理局",
        "区自然资源和规划分局",
    )
    assert rows["1"]["lead_units"] == "区发展和改革局"  # marked: as marked


def test_command_help_explains_the_layouts_and_first_leads(duban):
    r = duban("import-tasks", "--help")
    assert r.code == 0
    assert "--first-leads / --no-first-leads" in r.out
    flat = re.sub(r"\s*\n\s*", "", r.out)  # help lines wrap by display width, mid-phrase too
    assert "列第一位的为牵头单位" in flat and "一是……二是……" in flat
    assert any(
        line.strip().startswith("duban import-tasks") and line.strip().endswith("--first-leads")
        for line in r.out.splitlines()
    )
