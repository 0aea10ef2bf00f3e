"""duban import-tasks: a task breakdown (text, .docx, table .docx/.xlsx) → tasks.csv rows.

The seed notice (tests/data/breakdown_2024.txt, the government's own text) must import to
exactly the bundled tasks.csv; the .docx and table layouts are built here from the same
rows and must import to the same rows.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from helpers import NOW, notice_rows

from reporting.core.exceptions import ImportTasksError
from reporting.documents.sniff import Limits
from reporting.taskbook.import_dates import parse_deadline
from reporting.taskbook.import_indicators import propose_indicators
from reporting.taskbook.importer import import_tasks, read_breakdown
from reporting.taskbook.tasks import COLUMNS, SECTION_NUMERALS, load_tasks, parse_indicators

ROOT = Path(__file__).resolve().parent.parent
SEED = Path(__file__).resolve().parent / "data" / "breakdown_2024.txt"
NOT_INDICATORS = [c for c in COLUMNS if c != "indicators"]


def bundled_rows() -> list[dict[str, str]]:
    return notice_rows(ROOT / "tasks.csv")


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def read(path, app=None, **kw):
    return read_breakdown(path, default_year=2024, registry=app.registry if app else None, **kw)


def assert_same_rows(result, expected=None):
    expected = expected or bundled_rows()
    assert [r["id"] for r in result.rows] == [r["id"] for r in expected]
    for got, want in zip(result.rows, expected, strict=True):
        assert {c: got[c] for c in NOT_INDICATORS} == {c: want[c] for c in NOT_INDICATORS}, want[
            "id"
        ]


def targets(text: str) -> set[tuple[float, str, bool]]:
    return {(i.target, i.unit, i.growth) for i in parse_indicators(text)}


# -- documents built from the bundled rows ------------------------------------------------

HEADER = [
    "序号",
    "工作任务（重点任务）",
    "责任领导（牵头领导）",
    "协助配合领导",
    "牵头单位（责任单位）",
    "配合单位（协办单位）",
    "完成时限",
]
VARIANT_HEADER = ["序号", "重点任务", "牵头领导", "协助领导", "责任单位", "协办单位", "时间节点"]


def table_groups(rows):
    """Sections → tasks → rows, in order."""
    out: list[tuple[str, list[list[dict]]]] = []
    for row in rows:
        title = f"{SECTION_NUMERALS[int(row['section']) - 1]}、{row['section_title']}"
        if not out or out[-1][0] != title:
            out.append((title, []))
        tasks = out[-1][1]
        if not tasks or tasks[-1][0]["task_no"] != row["task_no"]:
            tasks.append([])
        tasks[-1].append(row)
    return out


def labels(row, deadline="2024年12月底"):
    return [
        row["lead_leaders"],
        row["assist_leaders"],
        row["lead_units"],
        row["coop_units"],
        deadline,
    ]


def table_layout(rows, sub_ids=False, deadline="2024年12月底"):
    """Table rows: ('chapter', text) or ('row', [cells], group index for merging 序号)."""
    out = []
    for chapter, tasks in table_groups(rows):
        out.append(("chapter", chapter, None))
        for g, task in enumerate(tasks):
            no = task[0]["task_no"]
            key = f"{chapter}-{g}"
            if "." in task[0]["id"]:
                if task[0]["task_title"]:
                    out.append(("row", [no, task[0]["task_title"] + "。", "", "", "", "", ""], key))
                for i, row in enumerate(task):
                    sub = row["id"].split(".")[1]
                    if sub_ids:
                        cells = [row["id"], row["content"]]
                    else:
                        cells = [
                            no if i == 0 and not task[0]["task_title"] else "",
                            f"（{sub}）{row['content']}",
                        ]
                    out.append(("row", cells + labels(row, deadline), key))
            else:
                row = task[0]
                text = row["content"]
                if row["task_title"] and row["task_title"] != text.rstrip("。"):
                    text = f"{row['task_title']}。\n{row['content']}"
                out.append(("row", [no, text] + labels(row, deadline), key))
    return out


def build_table_docx(path: Path, rows, header=HEADER) -> Path:
    import docx

    doc = docx.Document()
    doc.add_paragraph("2024年《政府工作报告》任务分解表")
    layout = table_layout(rows)
    table = doc.add_table(rows=1 + len(layout), cols=len(header))
    for c, text in enumerate(header):
        table.cell(0, c).text = text
    spans: dict[str, list[int]] = {}
    for r, (kind, cells, key) in enumerate(layout, start=1):
        if kind == "chapter":
            merged = table.cell(r, 0).merge(table.cell(r, len(header) - 1))
            merged.text = cells
            continue
        spans.setdefault(key, []).append(r)
        for c, text in enumerate(cells):
            if c == 0 and not text:
                continue
            cell = table.cell(r, c)
            first, *more = text.split("\n")
            cell.text = first
            for para in more:
                cell.add_paragraph(para)
    # 序号 merged down over a task's rows, as offices lay these tables out
    for r_list in spans.values():
        if len(r_list) > 1:
            no = table.cell(r_list[0], 0).text
            table.cell(r_list[0], 0).text = ""
            merged = table.cell(r_list[0], 0).merge(table.cell(r_list[-1], 0))
            merged.text = no
    doc.save(path)
    return path


def build_table_xlsx(path: Path, rows, header=VARIANT_HEADER) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "任务分解"
    ws.append(["2024年《政府工作报告》任务分解表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    runs: list[list] = []  # [first row, last row, leader] of sub-items sharing a leader
    for kind, cells, _key in table_layout(rows, sub_ids=True, deadline=date(2024, 12, 31)):
        if kind == "chapter":
            ws.append([cells])
            ws.merge_cells(
                start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(header)
            )
            continue
        ws.append([int(cells[0]) if cells[0].isdigit() else cells[0], *cells[1:]])
        here = ws.max_row
        if "." in cells[0] and runs and runs[-1][1] == here - 1 and runs[-1][2] == cells[2]:
            runs[-1][1] = here
        elif "." in cells[0]:
            runs.append([here, here, cells[2]])
    # the same leader on consecutive sub-items: one merged cell, the value in its top cell only
    for first, last, _leader in runs:
        if last > first:
            for r in range(first + 1, last + 1):
                ws.cell(r, 3).value = None
            ws.merge_cells(start_row=first, start_column=3, end_row=last, end_column=3)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    """The seed as text, as .docx paragraphs, as a table .docx and a table .xlsx."""
    import docx
    from docx.enum.text import WD_BREAK

    base = tmp_path_factory.mktemp("docs")
    rows = bundled_rows()
    out = {"txt": base / "任务分解.txt"}
    shutil.copy(SEED, out["txt"])
    doc = docx.Document()
    for line in seed_text().splitlines():
        if not line.strip():
            continue
        p = doc.add_paragraph()
        if line.startswith("材料产业产值"):  # the seed's page-break split, as Word shows it
            p.add_run().add_break(WD_BREAK.PAGE)
        p.add_run(line)
    doc.save(base / "paragraphs.docx")
    out["docx"] = base / "paragraphs.docx"
    out["table_docx"] = build_table_docx(base / "table.docx", rows)
    out["table_xlsx"] = build_table_xlsx(base / "table.xlsx", rows)
    return out


# -- the acceptance: every layout gives the bundled rows ------------------------------------


def test_seed_text_gives_the_bundled_tasks_csv(docs, app):
    result = read(docs["txt"], app)
    assert result.kind == "文本" and result.year == 2024
    assert (result.sections, result.tasks, len(result.rows)) == (9, 33, 79)
    assert_same_rows(result)
    # the preamble's own 一、二、三、 are no sections
    assert {r["section_title"] for r in result.rows if r["section"] == "1"} == {
        "经济社会发展的主要预期目标"
    }


# the proposals that differ from the office's hand-written indicators (all else is equal)
PROPOSALS_DIFFER = {"8.1", "8.2", "9.3", "10.1", "15.1", "15.2", "18.1", "26.1"}


def test_seed_notice_imports_to_every_column_of_the_bundled_tasks_csv(tmp_path):
    """The seed notice, read as it lies in the shared folder: 79 rows equal to tasks.csv."""
    result = read(SEED)
    expected = bundled_rows()
    assert len(result.rows) == len(expected) == 79
    for got, want in zip(result.rows, expected, strict=True):
        columns = [c for c in want if c != "indicators" or want["id"] not in PROPOSALS_DIFFER]
        assert {c: got[c] for c in columns} == {c: want[c] for c in columns}, want["id"]
    differ = {
        r["id"]
        for r, w in zip(result.rows, expected, strict=True)
        if r["indicators"] != w["indicators"]
    }
    assert differ == PROPOSALS_DIFFER
    # nothing of the seed is unsure but the proposals and its one page-break join
    review = dict(result.review)
    assert len(review) == 27
    assert review["11.2"] == ["内容由断开的段落拼接（疑似分页），请核对"]
    assert all(f.startswith("建议指标：") for k, fs in review.items() if k != "11.2" for f in fs)
    assert result.notes == [
        "全部 79 行没有写完成时限，已按 2024-12-31 填写。",
        "未读取单位名录，名称没有核对；请在导入后运行 duban check。",
    ]
    out = tmp_path / "tasks.csv"
    out.write_text(result.csv_text(), encoding="utf-8")
    with open(out, encoding="utf-8") as f:
        assert [r["short_title"] for r in csv.DictReader(f)] == [r["short_title"] for r in expected]


def test_indicators_are_proposed_like_the_hand_written_ones(docs):
    result = read(docs["txt"])
    by_id = {r["id"]: r for r in result.rows}
    hand = [r for r in bundled_rows() if r["indicators"]]
    same = [
        r["id"] for r in hand if targets(by_id[r["id"]]["indicators"]) == targets(r["indicators"])
    ]
    assert len(same) >= 0.8 * len(hand), sorted(set(r["id"] for r in hand) - set(same))
    assert by_id["26.2"]["indicators"] == "新增就业人员=4100人"
    assert by_id["1"]["indicators"] == "地区生产总值=增长8%"
    assert by_id["25.2"]["indicators"] == "进出口额=6.2亿美元；进出口额增速=增长10%"
    # 2026 targets are not this year's; 50 万元以上 is a threshold, not a target
    assert by_id["11.2"]["indicators"] == ""
    assert targets(by_id["19.2"]["indicators"]) == {(50.0, "%", False), (10.0, "个", False)}
    for row in result.rows:
        parse_indicators(row["indicators"])  # every proposal is valid tasks.csv syntax


def test_docx_paragraphs_give_the_same_rows(docs, app):
    result = read(docs["docx"], app)
    assert result.kind == "Word 文档"
    assert_same_rows(result)


def test_table_docx_gives_the_same_rows(docs, app):
    result = read(docs["table_docx"], app)
    assert result.kind == "Word 表格"
    assert result.year == 2024
    assert_same_rows(result)


def test_table_xlsx_with_label_variants_gives_the_same_rows(docs, app):
    result = read(docs["table_xlsx"], app)
    assert result.kind == "Excel 表格"
    assert_same_rows(result)


def test_type_is_read_from_content_not_extension(docs, tmp_path):
    disguised = tmp_path / "任务分解.txt"
    shutil.copy(docs["table_xlsx"], disguised)
    assert read(disguised).kind == "Excel 表格"
    docx_as_xlsx = tmp_path / "任务分解.xlsx"
    shutil.copy(docs["docx"], docx_as_xlsx)
    assert read(docx_as_xlsx).kind == "Word 文档"


def test_written_file_is_a_valid_tasks_csv_excel_can_open(docs, app, tmp_path):
    out = tmp_path / "tasks.imported.csv"
    import_tasks(app.settings, docs["txt"], out=out, registry=app.registry, now=NOW)
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,section,")
    tasks = load_tasks(out)
    assert [t.id for t in tasks] == [r["id"] for r in bundled_rows()]
    assert tasks[0].indicators[0].growth and tasks[0].indicators[0].target == 8
    # rerun (with --force, the file exists now): the same bytes (idempotent)
    first = out.read_bytes()
    import_tasks(app.settings, docs["txt"], out=out, registry=app.registry, now=NOW, force=True)
    assert out.read_bytes() == first


# -- text variants ---------------------------------------------------------------------------


def test_gb18030_text(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(seed_text().encode("gb18030"))
    assert_same_rows(read(path))


def test_utf16_text_with_bom(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes(seed_text().encode("utf-16"))
    assert_same_rows(read(path))


def test_full_and_half_width_markers_and_colons(tmp_path):
    import re

    text = seed_text()
    # tasks 12.：全角数字和句点; sub-items: swap （1） and (1); label colons half-width
    text = re.sub(
        r"^(\d+)\.",
        lambda m: m.group(1).translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "．",
        text,
        flags=re.M,
    )
    text = re.sub(r"^（(\d)）", r"(\1) ", text, flags=re.M)
    text = re.sub(r"^\((\d)\) ?", r"（\1）", text, flags=re.M)
    text = re.sub(
        r"^(牵头责任领导|牵头责任单位|配合责任单位|协助配合领导)：", r"\1 : ", text, flags=re.M
    )
    assert "８．突出项目建设" in text and "牵头责任单位 : 区发改委" in text
    path = tmp_path / "marks.txt"
    path.write_text(text, encoding="utf-8")
    assert_same_rows(read(path))


def test_page_breaks_inside_items_labels_and_headings(tmp_path):
    text = seed_text()
    footer = "\n\n— 3 —\n\f\n"
    text = text.replace("一体化工作机制，瞄准", "一体化工作机制，" + footer + "瞄准", 1)
    text = text.replace(
        "区科技经信局、区招商和经济发展服务中心、长青乡、马城镇\n\n(2) 谋划",
        "区科技经信局、" + footer + "区招商和经济发展服务中心、长青乡、马城镇\n\n(2) 谋划",
        1,
    )
    text = text.replace(
        "二、以项目攻坚为抓手，着力推动", "二、以项目攻坚为抓手，" + footer + "着力推动", 1
    )
    text = text.replace("1538 套安置房", "1538 套安\n第 4 页 共 9 页\n置房", 1)
    path = tmp_path / "pdf.txt"
    path.write_text(text, encoding="utf-8")
    result = read(path)
    assert_same_rows(result)
    review = dict(result.review)
    assert any("拼接" in f for f in review["9.1"])
    assert any("配合责任单位" in f and "拼接" in f for f in review["8.1"])
    assert any("拼接" in f for f in review["11.2"])  # the seed's own split


def test_label_variants_inline_labels_and_deadlines(tmp_path, app):
    text = """关于印发2025年重点工作任务分解的通知
各单位：现将任务分解印发给你们。
一、稳增长
1.地区生产总值增长6%。
责任领导：崔海锋
责任单位：区发改委
协办单位：区统计局、各街道
时间节点：2025年6月底前
2.新增就业人员 3000 人。（分管领导：王宏洲；牵头单位：区人社局；配合单位：区财政局）
3.推进数字政府建设。
牵头领导：陈丽娜
配合领导：马长伟
牵头部门：区数据资源局
完成时限：长期坚持
"""
    path = tmp_path / "variants.txt"
    path.write_text(text, encoding="utf-8")
    result = read(path, app)
    assert result.year == 2025
    rows = {r["id"]: r for r in result.rows}
    assert rows["1"]["lead_leaders"] == "崔海锋" and rows["1"]["lead_units"] == "区发改委"
    assert rows["1"]["coop_units"] == "区统计局、各街道"
    assert rows["1"]["deadline"] == "2025-06-30"
    assert rows["2"]["content"] == "新增就业人员 3000 人。"
    assert (rows["2"]["lead_leaders"], rows["2"]["lead_units"], rows["2"]["coop_units"]) == (
        "王宏洲",
        "区人社局",
        "区财政局",
    )
    assert rows["2"]["indicators"] == "新增就业人员=3000人"
    assert rows["3"]["assist_leaders"] == "马长伟"
    assert rows["3"]["deadline"] == "2025-12-31"
    review = dict(result.review)
    assert any("长期坚持" in f and "2025-12-31" in f for f in review["3"])
    assert any("区统计局" in f and "不在单位名录" in f for f in review["1"])


def test_word_automatic_numbering_is_read(tmp_path):
    import docx

    doc = docx.Document()
    doc.add_paragraph("2024年重点任务分解")
    doc.add_paragraph("一、经济社会发展的主要预期目标")
    for content, leader, unit in (
        ("地区生产总值增长8%左右。", "崔海锋", "区发改委"),
        ("规上工业增加值增长10%。", "胡海波", "区科技经信局"),
    ):
        doc.add_paragraph(content, style="List Number")  # the number is Word's, not typed
        doc.add_paragraph(f"牵头责任领导：{leader}")
        doc.add_paragraph(f"牵头责任单位：{unit}")
    path = tmp_path / "numbered.docx"
    doc.save(path)
    rows = read(path).rows
    assert [(r["id"], r["task_title"], r["lead_units"]) for r in rows] == [
        ("1", "地区生产总值增长8%左右", "区发改委"),
        ("2", "规上工业增加值增长10%", "区科技经信局"),
    ]


def test_numbering_that_restarts_in_each_chapter_is_continued(tmp_path):
    text = (
        "一、稳增长\n1.任务甲。\n牵头责任单位：区发改委\n2.任务乙。\n牵头责任单位：区财政局\n"
        "二、惠民生\n1.任务丙。\n牵头责任单位：区人社局\n2.任务丁：\n（1）分项一：\n1. 分项里的列举，不是任务\n"
        "牵头责任单位：区民政局\n2. 又一个编号行\n"
    )
    path = tmp_path / "restart.txt"
    path.write_text(text, encoding="utf-8")
    result = read(path)
    assert [(r["id"], r["section"], r["lead_units"]) for r in result.rows] == [
        ("1", "1", "区发改委"),
        ("2", "1", "区财政局"),
        ("3", "2", "区人社局"),
        ("4.1", "2", "区民政局"),
    ]
    assert result.rows[-1]["content"] == "分项一：1. 分项里的列举，不是任务"
    assert any("从 1 开始" in n for n in result.notes)
    assert any(
        "“2. 又一个编号行”无法归入任务 4" in n for n in result.notes
    )  # flagged, not glued to names


def test_two_column_table_with_two_row_header(tmp_path):
    """序号 / 重点任务 / 具体内容, and 责任单位 split into 牵头 / 配合 under it."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "重点任务", "具体内容", "分管领导", "责任单位", None, "完成时限"])
    ws.append([None, None, None, None, "牵头", "配合", None])
    ws.merge_cells("E1:F1")
    ws.append(["一、以项目攻坚为抓手"])
    ws.merge_cells("A3:G3")
    ws.append(
        [
            1,
            "突出项目建设",
            "加快推进一批项目开工建设。",
            "崔海锋",
            "区发改委",
            "长青乡",
            "2024年12月",
        ]
    )
    ws.append([None, None, "储备项目 116 个。", "崔海锋", "区发改委", "", "2024年9月底"])
    ws.merge_cells("A4:A5")
    ws.merge_cells("B4:B5")
    ws.append([2, "坚持依法行政", "深化法治政府建设。", "张斌", "区司法局", "区政府各部门", ""])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    rows = read(path).rows
    assert [
        (r["id"], r["task_title"], r["content"], r["lead_units"], r["coop_units"], r["deadline"])
        for r in rows
    ] == [
        ("1.1", "突出项目建设", "加快推进一批项目开工建设。", "区发改委", "长青乡", "2024-12-31"),
        ("1.2", "突出项目建设", "储备项目 116 个。", "区发改委", "", "2024-09-30"),
        ("2", "坚持依法行政", "深化法治政府建设。", "区司法局", "区政府各部门", "2024-12-31"),
    ]
    assert rows[1]["indicators"] == "储备项目=116个"


def test_one_cell_with_several_items_gives_each_the_row_labels(tmp_path):
    import docx

    doc = docx.Document()
    table = doc.add_table(rows=3, cols=4)
    for c, text in enumerate(["序号", "工作任务", "牵头领导", "牵头单位"]):
        table.cell(0, c).text = text
    for c, text in enumerate(["4", "进一步完善城市功能。", "陈春霆", "区住建交通局"]):
        table.cell(1, c).text = text
    table.cell(1, 1).add_paragraph("（1）加快地块挂牌上市。")
    table.cell(1, 1).add_paragraph("（2）启动老旧小区改造。")
    for c, text in enumerate(["5", "（1）甲。", "郑大", "区城市管理局"]):
        table.cell(2, c).text = text
    table.cell(2, 1).add_paragraph("（2）乙。")
    path = tmp_path / "cells.docx"
    doc.save(path)
    result = read(path)
    assert [
        (r["id"], r["task_title"], r["content"], r["lead_leaders"], r["lead_units"])
        for r in result.rows
    ] == [
        ("4.1", "进一步完善城市功能", "加快地块挂牌上市。", "陈春霆", "区住建交通局"),
        ("4.2", "进一步完善城市功能", "启动老旧小区改造。", "陈春霆", "区住建交通局"),
        ("5.1", "", "甲。", "郑大", "区城市管理局"),
        ("5.2", "", "乙。", "郑大", "区城市管理局"),
    ]
    assert result.review == []  # nothing guessed about these rows
    assert any("没有板块标题" in n for n in result.notes)


# -- what cannot be imported -----------------------------------------------------------------


def test_not_a_breakdown(tmp_path):
    preamble = seed_text().split("附件：")[0]
    path = tmp_path / "notice.txt"
    path.write_text(preamble, encoding="utf-8")
    with pytest.raises(ImportTasksError, match="没有找到任务分解的内容"):
        read(path)


def test_spreadsheet_without_a_task_table(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["姓名", "电话"])
    wb.active.append(["张三", "123"])
    path = tmp_path / "通讯录.xlsx"
    wb.save(path)
    with pytest.raises(ImportTasksError, match="没有找到任务分解表"):
        read(path)


@pytest.mark.parametrize("which", ["table_xlsx", "table_docx"])
def test_encrypted_office_file(docs, tmp_path, which):
    from msoffcrypto.format.ooxml import OOXMLFile

    path = tmp_path / docs[which].name
    with open(docs[which], "rb") as src, open(path, "wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    with pytest.raises(ImportTasksError, match="设置了打开密码"):
        read(path)


@pytest.mark.parametrize("which", ["table_xlsx", "table_docx", "docx"])
def test_truncated_office_file(docs, tmp_path, which):
    data = docs[which].read_bytes()
    path = tmp_path / docs[which].name
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportTasksError, match="文件不完整或已损坏"):
        read(path)


def test_zip_beyond_the_limits_is_not_opened(docs):
    with pytest.raises(ImportTasksError, match="上限"):
        read(docs["docx"], limits=Limits(max_uncompressed_bytes=10_000))


def test_docx_with_xml_entities_is_refused(docs, tmp_path):
    import zipfile

    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(docs["docx"]) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(
                    b"?>", b'?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>', 1
                )
            dst.writestr(info, data)
    with pytest.raises(ImportTasksError, match="内容已损坏"):
        read(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "空文件"),
        (b"%PDF-1.7\n...", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le"), r"\.doc"),
        (bytes(range(256)) * 4, "不是可读取的文本文件"),
        (b"PK\x03\x04" + b"\x00" * 100, "文件不完整或已损坏"),
        ("<html><body><table><tr><td>序号</td></tr></table>".encode(), "网页（HTML）"),
    ],
)
def test_other_files_get_their_own_message(tmp_path, data, message):
    path = tmp_path / "x.docx"
    path.write_bytes(data)
    with pytest.raises(ImportTasksError, match=message):
        read(path)


# -- small parts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024年6月底前", "2024-06-30"),
        ("12月底", "2024-12-31"),
        ("2024年底", "2024-12-31"),
        ("第三季度", "2024-09-30"),
        ("上半年", "2024-06-30"),
        ("2024-11-15", "2024-11-15"),
        ("2024.6", "2024-06-30"),
        ("6月底前完成招标，12月底前建成", "2024-12-31"),
        ("长期坚持", None),
    ],
)
def test_deadline(text, expected):
    assert parse_deadline(text, 2024) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "完成 8100 户农村改厕，农村生活污水治理率达 45% 以上。",
            "农村改厕=8100户；农村生活污水治理率=45%",
        ),
        (
            "支持民宿产业发展，建成运营 20 家民宿，形成千万元以上文旅经济收入。",
            "建成运营民宿=20家；文旅经济收入=1000万元",
        ),
        ("瞄准“500 强”企业，推动“三量齐增”。", ""),
        ("新增就业人员 4,100 人。", "新增就业人员=4100人"),
    ],
)
def test_indicator_proposals(content, expected):
    assert propose_indicators(content, 2024) == expected


# -- the command -------------------------------------------------------------------------


@pytest.fixture
def office(tmp_path):
    """A config of its own, so the command may write its tasks.csv."""
    office = tmp_path / "office"
    office.mkdir()
    for name in ("config.toml", "tasks.csv", "units.csv"):
        shutil.copy(ROOT / name, office / name)
    return office


def test_command_writes_the_default_file_and_ends_with_the_review_list(
    duban, office, docs, monkeypatch
):
    monkeypatch.chdir(office)
    result = duban("import-tasks", str(docs["docx"]), config=office / "config.toml")
    assert result.code == 0, result.err
    out = office / "tasks.imported.csv"
    assert [r["id"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))][
        :3
    ] == ["1", "2", "3"]
    lines = result.out.splitlines()
    assert lines[0].startswith(
        "已读取 paragraphs.docx（Word 文档，2024 年）：9 个板块、33 项任务，共 79 行"
    )
    start = next(i for i, line in enumerate(lines) if line.startswith("需要人工核对的行"))
    review = "\n".join(lines[start:])
    assert "14.1  牵头责任领导：“王宏洲陈春霆”拆分为“王宏洲、陈春霆”" in review
    assert "“陈春霖”按别名视为“陈春霆”" in review
    assert "建议指标：新增就业人员=4100人" in review
    assert "“长青乡马城镇”拆分为“长青乡、马城镇”" in review
    assert lines[-1] == "全部 79 行没有写完成时限，已按 2024-12-31 填写。"


def test_command_never_overwrites_tasks_csv_without_force(duban, office, docs):
    tasks = office / "tasks.csv"
    before = tasks.read_bytes()
    result = duban(
        "import-tasks", str(docs["txt"]), "-o", str(tasks), config=office / "config.toml"
    )
    assert result.code == 1
    assert "是当前使用的任务表，不会覆盖" in result.err and "--force" in result.err
    assert tasks.read_bytes() == before

    result = duban(
        "import-tasks", str(docs["txt"]), "-o", str(tasks), "--force", config=office / "config.toml"
    )
    assert result.code == 0, result.err
    backups = list(office.glob("tasks.*.bak.csv"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert "原文件已备份为" in result.out
    assert [t.id for t in load_tasks(tasks)] == [r["id"] for r in bundled_rows()]


def test_command_never_overwrites_another_file_without_force_and_keeps_a_backup(
    duban, office, docs, tmp_path, monkeypatch
):
    # backups are stamped to the second by the command's clock: hold it still, so the two
    # runs below share a second however slow the machine
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-03-20T10:00:00+08:00")
    out = tmp_path / "mine.csv"
    out.write_text("the office's own notes\n", encoding="utf-8")
    out.chmod(0o600)
    args = ("import-tasks", str(docs["txt"]), "-o", str(out))
    result = duban(*args, config=office / "config.toml")
    assert result.code == 1
    assert f"{out} 已存在，不会覆盖" in result.err and "--force" in result.err
    assert out.read_text(encoding="utf-8") == "the office's own notes\n"
    old = os.umask(0o022)
    try:
        first = duban(*args, "--force", config=office / "config.toml")
        second = duban(*args, "--force", config=office / "config.toml")  # same second: numbered
    finally:
        os.umask(old)
    assert first.code == 0 and second.code == 0, first.err + second.err
    backups = sorted(tmp_path.glob("mine.*.bak.csv"), key=lambda p: len(p.name))
    assert len(backups) == 2 and backups[1].name.endswith("-2.bak.csv")
    assert backups[0].read_text(encoding="utf-8") == "the office's own notes\n"
    assert backups[1].read_bytes() == out.read_bytes()  # the second run kept the first's output
    assert f"原文件已备份为 {backups[0]}" in first.out
    assert out.stat().st_mode & 0o777 == 0o644  # the umask's mode, not 0600
    assert [r["id"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))][
        :2
    ] == ["1", "2"]


@pytest.mark.parametrize("name", ["units.csv", "config.toml"])
def test_command_never_writes_units_or_config_even_with_force(duban, office, docs, tmp_path, name):
    target = office / name
    before = target.read_bytes()
    link = tmp_path / "elsewhere.csv"
    link.symlink_to(target)  # another path to the same file
    for out in (target, office / "." / name, link):
        result = duban(
            "import-tasks",
            str(docs["txt"]),
            "-o",
            str(out),
            "--force",
            config=office / "config.toml",
        )
        assert result.code == 1, result.out
        what = "单位名录（config.toml [paths] units）" if name == "units.csv" else "配置文件"
        assert f"是{what}，不能写入任务表（加 --force 也不行）" in result.err
        assert "程序内部出错" not in result.err
    assert target.read_bytes() == before
    assert not list(office.glob("*.bak*")) and link.is_symlink()


def test_command_diff_by_task_id(duban, office, docs, tmp_path):
    tasks = office / "tasks.csv"
    rows = bundled_rows()
    edited = [dict(r) for r in rows if r["id"] != "33"]
    edited[0]["lead_units"] = "区财政局"
    edited.append({**rows[-1], "id": "34", "task_no": "34"})
    with open(tasks, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(edited)
    result = duban(
        "import-tasks",
        str(docs["table_xlsx"]),
        "-o",
        str(tmp_path / "new.csv"),
        "--diff",
        config=office / "config.toml",
    )
    assert result.code == 0, result.err
    out = result.out
    assert "与当前任务表 tasks.csv 相比：新增 1 行，删除 1 行，" in out
    assert "  新增 33：认真履行全面从严治党主体责任" in out
    assert "  删除 34：" in out
    assert "  修改 1：牵头责任单位 “区财政局” → “区发改委”" in out
    assert "  修改 8.1：指标 新填 “风电场=150MW”" in out


def test_command_keep_indicators_reimports_the_bundled_file_unchanged(duban, office, docs):
    tasks = office / "tasks.csv"
    before = tasks.read_text(encoding="utf-8")
    result = duban(
        "import-tasks",
        str(docs["table_docx"]),
        "-o",
        str(tasks),
        "--force",
        "--keep-indicators",
        "--diff",
        config=office / "config.toml",
    )
    assert result.code == 0, result.err
    # the one thing the notice says otherwise: the office dated the one-off event 11（3）
    # itself (2024-05-31), the notice gives it no date (the year's end)
    one_off = [r for r in csv.DictReader(before.splitlines()) if r.get("kind") == "一次性"]
    assert [r["id"] for r in one_off] == ["11.3"]
    assert "与当前任务表 tasks.csv 相比：新增 0 行，删除 0 行，修改 1 行，78 行相同。" in result.out
    assert "修改 11.3：完成时限 “2024-05-31” → “2024-12-31”" in result.out
    assert "79 行内容与当前任务表相同，沿用了其中的指标。" in result.out
    assert "建议指标" not in result.out
    assert tasks.read_text(encoding="utf-8-sig") == before.replace(
        ",2024-05-31,", ",2024-12-31,", 1
    )  # the office's file, byte for byte (bar the BOM) but that date


def test_command_reports_a_bad_file_in_one_line(duban, office, tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("会议纪要\n今天开会。\n", encoding="utf-8")
    result = duban(
        "import-tasks", str(path), "-o", str(tmp_path / "o.csv"), config=office / "config.toml"
    )
    assert result.code == 1
    assert result.err.startswith("错误：x.txt 中没有找到任务分解的内容")
    assert not (tmp_path / "o.csv").exists()
    missing = duban("import-tasks", str(tmp_path / "nope.docx"), config=office / "config.toml")
    assert missing.code == 1 and "找不到文件" in missing.err


def test_missing_fields_are_listed(tmp_path, app):
    text = (
        "一、稳增长\n1.加快项目建设。\n牵头责任单位：区发该委\n2.推进改革。\n牵头责任领导：崔海锋\n"
    )
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    review = dict(read(path, app).review)
    assert "缺少牵头责任领导" in review["1"]
    assert any(
        f.startswith("牵头责任单位：“区发该委”不在单位名录中，可能是 区发改委") for f in review["1"]
    )
    assert "缺少牵头责任单位（必填），请补上" in review["2"]


def test_import_proposes_short_names_and_keeps_the_offices(duban, office, docs, tmp_path):
    tasks = office / "tasks.csv"
    rows = bundled_rows()
    for r in rows:
        r["short_title"] = ""
    next(r for r in rows if r["id"] == "11.2")["short_title"] = "四大主导产业产值"  # the office's
    with open(tasks, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "new.csv"
    result = duban(
        "import-tasks", str(docs["table_xlsx"]), "-o", str(out), config=office / "config.toml"
    )
    assert result.code == 0, result.err
    with open(out, encoding="utf-8-sig") as f:
        written = {r["id"]: r["short_title"] for r in csv.DictReader(f)}
    assert written["11.2"] == "四大主导产业产值"  # kept
    # a list names its first item; an example gives way to what it exemplifies
    assert written["10.5"] == "加快园区周边超市等商业配套布局"
    assert written["8.2"] == "谋划推进重点项目"  # never the parent's heading 突出项目建设“主抓手”
    assert written["6"] == "一般公共预算收入增长8%"
    assert all(v and "…" not in v for v in written.values())
    # a proposal still too long is said in the review, for the office to shorten
    for v in written.values():
        if len(v) > 20:
            assert f"建议的简称“{v}”超过20字" in result.output


def test_check_lists_overlong_short_names(app, tmp_path):
    from jobs.checks import run_checks

    path = tmp_path / "tasks.csv"
    rows = bundled_rows()  # the office's short titles, but none for the first row
    rows[0]["short_title"] = ""
    rows[0]["task_title"] = ""
    rows[0]["content"] = "坚定不移推进高质量发展的各项重点工作任务全面落地见效并形成长效机制。"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    app.settings.paths.tasks = path
    app.__dict__.pop("tasks", None)
    app.__dict__.pop("assignments", None)
    found = [p for p in run_checks(app) if p.where == "任务简称"]
    assert len(found) == 1 and not found[0].error
    assert "1项任务没有填写简称" in found[0].message and "1 坚定不移推进" in found[0].message
    assert "short_title 列" in found[0].message
