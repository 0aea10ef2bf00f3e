"""Build the 督办单 template (督查督办通知单, GB/T 9704-2012 page) with python-docx.

    .venv/bin/python templates/build_order_template.py

writes ``templates/order.docx``: the 发文机关标志, the title, the 编号 line, a form table
(督办等级 — its cell tinted 黄 or 红 and said in words —, 牵头单位, 督办事项, 督办依据,
存在问题, 整改要求, 整改时限, 反馈方式), the 督办单位 and date. Page, styles and footers are
the report's (``build_report_template.base_document``). The built file is committed; the
office may edit its wording in Word/WPS, keeping the tags whole.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from build_report_template import (  # noqa: E402
    CELL,
    CELL_HEAD,
    DATE,
    SIGNER,
    TITLE,
    base_document,
    p,
    save,
    tag,
)

from reporting.documents import docx_format as fmt  # noqa: E402
from reporting.documents import gongwen  # noqa: E402

MARK = "发文机关标志"
NUMBER = "发文字号"
WIDTHS = [32, 124]  # mm: the 版心 is 156 wide

ROWS = [
    ("督办等级", "{% cellbg fill %}{{ level }}"),
    ("牵头单位", "{{ units }}"),
    ("督办事项", "{{ matter }}"),
    ("任务内容", "{{ content }}"),
    ("督办依据", "{{ basis }}{{ before }}"),
    ("存在问题", "{{ issue }}"),
    ("整改要求", "{{ demand }}"),
    ("整改时限", "{{ due }}"),
    ("反馈方式", "{{ reply }}"),
]


def build_order(path: Path) -> None:
    doc = base_document(table_size=fmt.SIZE_XIAOSI)  # 小四: the form and its 落款 on one page
    gongwen.add_masthead_styles(doc, MARK, NUMBER)
    tag(doc, "{%p if mark %}")
    p(doc, "{{ mark }}", MARK)
    tag(doc, "{%p endif %}")
    p(doc, "{{ number }}", NUMBER)
    p(doc, "{{ title }}", TITLE)
    p(doc)
    table = doc.add_table(rows=len(ROWS), cols=2)
    fmt.table_layout(table, WIDTHS, cell_margin=85)
    for row, (label, text) in zip(table.rows, ROWS, strict=True):
        head, body = row.cells
        head.paragraphs[0].text = label
        head.paragraphs[0].style = doc.styles[CELL_HEAD]
        body.paragraphs[0].text = text
        body.paragraphs[0].style = doc.styles[CELL]
        fmt.cant_split(row)
    for para in (p(doc), p(doc, "{{ issuer }}", SIGNER)):
        fmt.set_para(para._p, keep_next=True)
    p(doc, "{{ date_text }}", DATE)
    save(doc, path, "督查督办通知单模板")


def main() -> None:
    build_order(HERE / "order.docx")
    print(f"已生成 {HERE / 'order.docx'}")


if __name__ == "__main__":
    main()
