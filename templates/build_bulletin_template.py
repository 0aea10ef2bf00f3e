"""Build the 督查通报 template (GB/T 9704-2012) with python-docx.

    .venv/bin/python templates/build_bulletin_template.py

writes ``templates/bulletin.docx``: 版头 (发文机关标志, 发文字号, red rule), title, 主送,
一、总体情况, 二、通报表扬, 三、通报批评, (四、考核评价情况), 下步工作要求, 署名 and date,
and the 版记 (抄送, 印发机关 and 印发日期 between rules at the foot of the last page). Page,
styles and footers are the report's (``build_report_template.base_document``). The built
file is committed; the office may edit its wording in Word/WPS, keeping the tags whole.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from build_report_template import (  # noqa: E402
    ADDRESSEE,
    BODY,
    DATE,
    H1,
    SIGNER,
    TITLE,
    base_document,
    kai_lead,
    p,
    save,
    tag,
)

from reporting.documents import docx_format as fmt  # noqa: E402
from reporting.documents import gongwen  # noqa: E402

MARK = "发文机关标志"
NUMBER = "发文字号"
COLOPHON = "版记"


def build_bulletin(path: Path) -> None:
    doc = base_document()
    # a 公文 fills its 22 lines a page: a body paragraph may leave one line on a page (else
    # a three-line paragraph after a full page 1 left two lines blank); headings and each
    # 通报表扬/批评 item still keep with what follows
    fmt.set_para(doc.styles[BODY].element, widow=False)
    gongwen.add_masthead_styles(doc, MARK, NUMBER)
    gongwen.add_colophon_style(doc, COLOPHON)
    tag(doc, "{%p if mark %}")
    p(doc, "{{ mark }}", MARK)
    p(doc)
    tag(doc, "{%p endif %}")
    p(doc, "{{ doc_number }}", NUMBER)
    p(doc)
    p(doc, "{{ title }}", TITLE)
    p(doc)
    p(doc, "{{ addressees }}：", ADDRESSEE)
    p(doc, "{{ intro }}")
    p(doc, "一、总体情况", H1)
    p(doc, "{{ overall }}")
    tag(doc, "{%p if changes.any %}")
    p(doc, "{{ changes.text }}")
    tag(doc, "{%p endif %}")
    p(doc, "二、通报表扬", H1)
    p(doc, "{{ praise }}")
    p(doc, "三、通报批评", H1)
    p(doc, "{{ named_intro }}")
    tag(doc, "{%p for item in named %}")
    kai_lead(doc, "{{ item.lead }}", "{{ item.text }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for line in lagging %}")
    p(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if ladder %}")
    p(doc, "{{ ladder }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if scores %}")
    p(doc, "四、考核评价情况", H1)
    tag(doc, "{%p for line in scores %}")
    p(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    p(doc, "{{ last_no }}、下步工作要求", H1)
    # worded for the period by reporting.assess.bulletin.demands; the last one stays with
    # the 署名 and date (never a page holding only the signature)
    tag(doc, "{%p for item in demands[:-1] %}")
    kai_lead(doc, "{{ item.lead }}", "{{ item.text }}")
    tag(doc, "{%p endfor %}")
    last = kai_lead(doc, "{{ demands[-1].lead }}", "{{ demands[-1].text }}")
    fmt.set_para(last._p, keep_next=True)
    for para in (p(doc), p(doc), p(doc, "{{ issuer }}", SIGNER)):
        fmt.set_para(para._p, keep_next=True)
    p(doc, "{{ date_text }}", DATE)
    gongwen.colophon(
        doc,
        ["{{ cc_line }}", "{{ issuer_full }}\t{{ issued_text }}印发"],
        style=COLOPHON,
        new_pages="colophon_pages",
    )
    save(doc, path, "督查通报模板")


def main() -> None:
    build_bulletin(HERE / "bulletin.docx")
    print(f"已生成 {HERE / 'bulletin.docx'}")


if __name__ == "__main__":
    main()
