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
]  # fmt: skip


def em(text: str) -> float:
    """Width in em: a CJK or full-width character 1, any other about half (Excel's 宋体)."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.55 for ch in text)


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
