"""DocxFill: one template rendered once and filled per document gives, for each context,
the bytes ``render_docx`` writes for it, and the texts the test put in."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document

from reporting.documents import docx_render
from reporting.documents.docx_fill import DocxFill, simple_template

ROOT = Path(__file__).resolve().parent.parent
ORDER = ROOT / "templates" / "order.docx"
WHEN = datetime(2024, 4, 10)


def order_context(n: int, **changes: str) -> dict:
    ctx = {
        "mark": "某区督查考核办文件",
        "title": "督查督办通知单",
        "number": f"测督办〔2024〕{n}号",
        "level": "红色督办（挂牌督办）",
        "fill": "F4B6B6" if n % 2 else "FFE699",
        "units": f"测试单位{n:04d}、测试单位{n + 1:04d}",
        "matter": f"任务{n}　推进重点项目建设",
        "content": f"第{n}项：持续推进重点项目建设，确保按期完成年度目标任务。",
        "basis": "连续2个季度滞后。",
        "before": f"测督办〔2024〕{n - 1}号（书面说明）印发后，差距仍未补上，本单续办。",
        "issue": "截至2024年3月31日，进度 20%，低于序时进度 25%。",
        "demand": "请于2024年4月17日前书面报送整改措施。",
        "due": "2024年7月8日前",
        "reply": "整改情况随第二季度进展情况表报送。",
        "issuer": "某区督查考核办",
        "date_text": "2024年4月10日",
    }
    ctx.update(changes)
    return ctx


def texts(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def rendered(ctx: dict, title: str) -> bytes:
    return docx_render.docx_bytes(
        ORDER, ctx, title=title, author="某区督查考核办", when=WHEN, closing_with_table=True
    )


CASES = {
    "plain": order_context(3),
    "escaped": order_context(4, issue="A&B <甲> 'x' “乙”，>= 10%", units="R&D中心"),
    "empty before": order_context(5, before=""),
    "no mark": order_context(6, mark=""),
    "line break": order_context(7, issue="第一行\n第二行"),  # rendered in full
    "double quote": order_context(8, matter='任务"8"'),  # rendered in full
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_order_is_the_bytes_a_full_render_writes(case, tmp_path):
    ctx = CASES[case]
    fill = DocxFill(ORDER, author="某区督查考核办", when=WHEN, closing_with_table=True)
    title = f"督查督办通知单 {ctx['number']}"
    for other in (order_context(1), order_context(2)):  # finished copies already made
        fill.data(other, title=f"督查督办通知单 {other['number']}")
    path = fill.write(ctx, tmp_path / "单.docx", title=title)
    data = path.read_bytes()
    assert data == rendered(ctx, title)
    words = texts(data)
    for key in ("number", "units", "matter", "content", "issue", "demand", "date_text"):
        assert ctx[key].replace("\n", "") in words.replace("\n", "")
    assert ("某区督查考核办文件" in words) == bool(ctx["mark"])
    assert Document(io.BytesIO(data)).core_properties.title == title


def test_the_template_is_rendered_once_for_every_plain_order(monkeypatch):
    calls = []
    real = docx_render.docx_bytes
    monkeypatch.setattr(docx_render, "docx_bytes", lambda *a, **k: calls.append(1) or real(*a, **k))
    fill = DocxFill(ORDER, author="某区督查考核办", when=WHEN, closing_with_table=True)
    outs = [fill.data(order_context(n), title=f"单 {n}") for n in range(10, 20)]
    assert len(calls) == 1
    assert len(set(outs)) == 10
    assert "测试单位0015、测试单位0016" in texts(outs[5])


def test_a_template_with_other_tags_is_rendered_in_full(tmp_path, monkeypatch):
    doc = Document()
    doc.add_paragraph("{{ name|upper }}")
    doc.add_paragraph("{% for x in items %}{{ x }}{% endfor %}")
    template = tmp_path / "t.docx"
    doc.save(template)
    assert not simple_template(template)
    assert simple_template(ORDER)
    calls = []
    real = docx_render.docx_bytes
    monkeypatch.setattr(docx_render, "docx_bytes", lambda *a, **k: calls.append(1) or real(*a, **k))
    fill = DocxFill(template, author="甲", when=WHEN)
    data = fill.data({"name": "abc", "items": ["1", "2"]}, title="t")
    assert "ABC" in texts(data) and "12" in texts(data)
    fill.data({"name": "def", "items": ["3"]}, title="t")
    assert len(calls) == 2
