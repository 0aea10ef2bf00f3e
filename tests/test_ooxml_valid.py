"""Every .docx duban writes is schema-valid OOXML, checked by an independent validator.

openxml-audit (PyPI, pure Python) validates against the ECMA-376 schemas and Word's
own semantic rules; a w:tcPr with w:shd before w:tcW (docxtpl's ``{% cellbg %}``) or a
stale stylesWithEffects part is flagged, and Word answers such a file with "无法读取的内容".
"""

from __future__ import annotations

from pathlib import Path

import openxml_audit
from docx.oxml import parse_xml
from helpers import REPORT_NOW, at
from test_chase_list import chase
from test_report import TODAY, P, sample_result

from reporting.assess.bulletin import render_bulletin
from reporting.core.periods import Period
from reporting.documents import docx_format as fmt
from reporting.report.render import render_report


def problems(path: Path) -> list[str]:
    result = openxml_audit.OpenXmlValidator().validate(str(path))
    return [str(e) for e in result.errors]


def test_report_and_every_brief_are_valid_q1_and_q2(app, tmp_path):
    q1 = sample_result(app)
    q2 = sample_result(app, Period(2024, 2))
    paths = []
    for period, result, previous in ((P, q1, None), (Period(2024, 2), q2, q1)):
        out = render_report(
            app.settings,
            app.workspace,
            period,
            out_dir=tmp_path / str(period),
            result=result,
            previous=previous,
            today=TODAY,
            by_leader=True,
            now=REPORT_NOW,
        )
        paths += [out.docx, *out.briefs]
    assert len(paths) > 10
    for path in paths:
        assert problems(path) == [], path.name


def test_shipped_templates_are_valid(root):
    for name in ("report.docx", "leader_brief.docx", "bulletin.docx", "annual_report.docx"):
        assert problems(root / "templates" / name) == [], name


def test_chase_list_docx_is_valid(app):
    summary = chase(app)
    docx_path = summary.chase_list[1]
    assert problems(docx_path) == []


def test_schema_order_puts_tcw_before_shd_and_keeps_ordered_parts():
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    tc = parse_xml(
        f'<w:tcPr {w}><w:shd w:val="clear" w:fill="FF0000"/><w:vAlign w:val="center"/>'
        '<w:tcW w:w="100" w:type="dxa"/></w:tcPr>'
    )
    assert fmt.schema_order(tc) == 1
    assert [c.tag.split("}")[1] for c in tc] == ["tcW", "shd", "vAlign"]
    assert fmt.schema_order(tc) == 0  # already in order: untouched


def test_bulletin_is_valid_every_quarter(app):
    """The 督查通报 with 版头, named lists, the Q4 考核评价 section and the 版记."""
    from datetime import date

    from assess_helpers import YEAR, install_year

    install_year(app)
    with app.ledger() as ledger:
        for q in range(1, 5):
            out = render_bulletin(
                app.settings, app.workspace, ledger, Period(YEAR, q), now=at(date(2025, 1, 10))
            )
            assert problems(out.docx) == [], q
