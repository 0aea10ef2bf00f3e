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
    kai_lead(
        doc,
        "（一）对标对表，加快滞后任务推进。",
        "被点名的牵头单位要逐项分析滞后原因，制定整改措施，明确完成时限，"
        "确保{{ next_label }}末达到序时进度；配合单位要主动对接，形成合力。",
    )
    kai_lead(
        doc,
        "（二）压实责任，按时保质报送。",
        "各单位要落实专人负责，于每季度末后5个工作日内通过下发的进展情况表如实报送；"
        "逾期报送、未报送和退回后未重报的单位要认真整改，{{ next_label }}不得再次出现。",
    )
    kai_lead(
        doc,
        "（三）强化督查，严格考核问责。",
        "{{ issuer }}将持续跟踪督办，推进情况纳入各单位年度目标管理考核，"
        "对连续滞后、履职不力的单位和个人依规依纪严肃问责。",
    )
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
