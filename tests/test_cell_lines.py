"""Long texts in workbook cells broken by us (``xlsx_style.break_lines``): LibreOffice
applies no line-breaking rules in cells, so a wrapped 汇总表 cell printed lines starting
with "，" or "）". The breaks go where the column's width wraps, moved so that no line
starts with closing punctuation or ends with opening punctuation; every program then
breaks there and only there."""

from __future__ import annotations

import random
import re
import subprocess

import pytest
from conftest import office

from reporting.documents.xlsx_style import break_lines

CLOSING = "，。、；：？！）》」』】〕〉”’…—％%"
OPENING = "（《「『【〔〈“‘"
WORDS = [
    "推进", "项目", "完成", "建设", "加快", "工作", "区财政局", "第1份", "12个", "50%",
    "2024年7月2日", "（示例数据）", "“滞后”", "《方案》", "，", "。", "、", "；", "：",
    "“粮头食尾”“农头工尾”",
]  # fmt: skip


def em(text: str) -> float:
    """Width in em: a CJK or full-width character 1 (Chinese quotes, … and — too: a CJK
    face sets them as wide as a 汉字), any other about half (Excel's 宋体)."""
    return sum(1.0 if ord(ch) >= 0x2E80 or ch in "“”‘’…—" else 0.55 for ch in text)


def room(width: float) -> float:
    """Excel: a column of ``width`` holds width × 7 + 1 pixels of text; 五号 CJK is 14 px."""
    return (width * 7 + 1) / 14


def sentences(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words: list[str] = []
        for _ in range(rng.randint(1, 40)):
            w = rng.choice(WORDS)
            if words and words[-1] in CLOSING and w in CLOSING:
                continue  # one mark at a time, as written text has them
            words.append(w)
        out.append("".join(words))
    return out


@pytest.mark.parametrize("width", [14, 20, 24, 36, 48, 64])
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(width):
    for text in sentences(400, width):
        lines = break_lines(text, width).split("\n")
        assert "".join(lines) == text  # nothing added but the breaks, nothing lost
        if not any(ch in CLOSING + OPENING for ch in text):
            assert lines == [text]  # nothing to keep off a line's end: the program wraps
            continue
        assert all(em(line) <= room(width) for line in lines), lines
        assert not [x for x in lines[1:] if x[0] in CLOSING], lines
        assert not [x for x in lines[:-1] if x[-1] in OPENING], lines
        # numbers stay whole: no break between two digits, or a digit and its %
        joined = "|".join(lines)
        assert not re.search(r"\d\|[\d%]", joined), joined


def test_a_text_that_fits_is_left_alone_and_the_breaks_move_only_as_far_as_needed():
    assert break_lines("加快推进重点项目建设", 36) == "加快推进重点项目建设"
    assert break_lines("区招商和经济发展服务中心", 12) == "区招商和经济发展服务中心"  # a name
    assert break_lines("第一行\n第二行", 36) == "第一行\n第二行"  # the writer's own breaks kept
    # width 20: 10.07 em a line; the 11th character would be "，": the 10th goes with it
    text = "一二三四五六七八九十，十一十二"
    assert break_lines(text, 20) == "一二三四五六七八九\n十，十一十二"
    # a number is not split from its unit sign
    assert break_lines("一二三四五六七八九50%", 20) == "一二三四五六七八九\n50%"


@office
def assert_whole_or_halves(names, words: set[str], room: int) -> None:
    """Each name printed whole when it fits ``room`` 字, else as its two equal halves."""
    for name in names:
        if len(name) <= room:
            assert name in words, name
        else:
            half = (len(name) + 1) // 2
            assert name[:half] in words and name[half:] in words, name


def test_the_demo_summary_prints_no_line_starting_with_closing_punctuation(tmp_path):
    """The bundled data's 2024Q2 汇总表 through LibreOffice: its long cells (进展, 问题,
    需核实, 配合单位反馈) print no line that starts with closing punctuation."""
    from conftest import ROOT
    from pdf_pages import render_all
    from test_summary_direct import _demo

    from jobs.app import create_app
    from reporting.merge.summary import write_summary

    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    result, returns = _demo()
    path = tmp_path / "汇总表.xlsx"
    write_summary(result, returns, path, app.settings)
    (pdf,) = render_all([path], tmp_path / "pdf")
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    assert len(lines) > 1000
    bad = [x for x in lines if x[0] in CLOSING.replace("—", "")]
    assert not bad, bad[:5]
    # the 牵头单位 column holds 8 字 a line: a lead unit's name up to 8 字 prints whole, a
    # longer one in two equal halves, never a last character alone ("规划分" / "局")
    leads = {row.lead_units[0] for row in result.rows if len(row.lead_units) == 1}
    # the 汇总表's pages (its header row repeated on each); a line's cells apart by spaces
    pages = [page for page in text.split("\f") if "本季度工作进展（牵头单位）" in page]
    words = {w for page in pages for w in page.split()}
    assert_whole_or_halves(leads, words, 8)
    assert {"区自然资源规划分局", "区招商和经济发展服务中心", "区农业农村水利局"} <= leads
    # the 配合单位反馈 sheet's 配合单位 column holds 6 字 a line: a partner's name prints
    # whole or in equal halves there too ("区自然资源/规划分局", not "区自然资源规划/分局")
    partners = {a.unit for row in result.rows for a in row.coop_feedback}
    coop_pages = [page for page in text.split("\f") if "指标完成值" in page]
    coop_words = {w for page in coop_pages for w in page.split()}
    assert len(coop_pages) > 10
    assert_whole_or_halves(partners, coop_words, 6)
    assert {"区自然资源规划分局", "区农业农村水利局", "涂山风景区管委会"} <= partners


QUOTED = (  # the 任务内容 whose closing quote printed alone on a line of the 配合单位反馈
    "学习运用“千万工程”经验，下大力气做好“粮头食尾”“农头工尾”“畜头肉尾”增值大文章。"
    "发展壮大宇萱食品等农产品加工企业，擦亮“长青涂山石榴”品牌。"
)
STATUS_REASON = (
    "牵头任务表第8行“推进状态”（任务 33）：推进状态“进行中”不是规定的推进状态，"
    "请从下拉列表中选择：已完成、超序时、序时推进、滞后、未启动"
)


def printed_lines(pdf) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [x.strip() for x in text.splitlines() if x.strip()]


@office
def test_the_chase_list_and_the_partners_workbook_print_no_line_starting_with_closing_punctuation(
    tmp_path,
):
    """The 催报清单 .xlsx (several 退回 reasons with quotes and lists) and a 配合单位反馈
    workbook (quoted 任务内容 in its narrow column) through LibreOffice: no printed line
    starts with closing punctuation, and every text is on the paper."""
    from datetime import date, datetime

    from conftest import ROOT
    from pdf_pages import render_all, squash

    from jobs.app import create_app
    from reporting.core.periods import Period
    from reporting.feedback.compile import LeadFeedback, PartnerLine, write_workbook
    from reporting.notify.chase_list import table_rows, write_xlsx
    from reporting.notify.recipients import Recipient

    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    reasons = [
        "牵头任务表第6行“累计完成进度（%）”（任务 28（4））：累计完成进度（%）“150”超出 0–100，"
        "请填写 0 到 100 之间的数字（单位为%）",
        STATUS_REASON,
        QUOTED,
    ]
    units = [Recipient(u, rejected=True, reasons=reasons[: n + 1]) for n, u in enumerate("甲乙丙")]
    chase = tmp_path / "催报清单.xlsx"
    write_xlsx(chase, "催报清单", "说明", table_rows(units), today=date(2024, 7, 8))
    fb = LeadFeedback(
        "区农业农村水利局",
        [
            PartnerLine("17.1", "17（1）", QUOTED, p, True, "2024-07-01T15:30:00", False, 71,
                        "超序时", QUOTED, STATUS_REASON, "加强调度。")
            for p in ("长青乡", "马城镇")
        ],
    )  # fmt: skip
    feedback = tmp_path / "配合单位反馈.xlsx"
    now = datetime(2024, 7, 3, 17, 31)
    write_workbook(
        fb, feedback, settings=app.settings, period=Period(2024, 2),
        coop_deadline="7月3日17:30", update=0, changed=set(), now=now,
    )  # fmt: skip
    for pdf in render_all([chase, feedback], tmp_path / "pdf"):
        lines = printed_lines(pdf)
        bad = [x for x in lines if x[0] in CLOSING.replace("—", "")]
        assert not bad, (pdf.name, bad[:5])
        printed = squash("".join(lines))
        for text in (QUOTED, STATUS_REASON):
            assert squash(text)[-20:-1] in printed, pdf.name  # a listed reason ends bare
