"""Forms are written straight as XML (reporting/documents/xlsx_direct.py). The files in
tests/data/forms_pinned/ pin the bytes that writer gives the cases below: a regression
guard, so that any change of a form's bytes (a refactoring, layout, styles, escaping) is
seen. They are no comparison with openpyxl: openpyxl 3.1.5 wrote them when the direct
writer replaced it, but they have since been written again from the direct writer itself
after deliberate changes of the forms. What a form holds is checked against what its
tests asked for by test_forms.py and test_forms_readback.py; the pieces xlsx_parts writes
as strings are compared with openpyxl's own serialisation at the end of this file.

A deliberate change of the forms (wording, layout, tasks.csv, config.toml) changes these
bytes: check the new forms as test_forms.py does, then write the files again with
``.venv/bin/python tests/test_forms_direct.py``.
"""

from __future__ import annotations

import json
import sys
import zipfile
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path

import pytest
from helpers import assert_same_xlsx, write_pinned

ROOT = Path(__file__).resolve().parent.parent
PINNED = Path(__file__).resolve().parent / "data" / "forms_pinned"

# (case, period, units): lead and coop rows with up to three indicators, coop only,
# lead only, a guide counting last quarter's answers, and text that needs escaping
CASES = [
    ("q1", "2024Q1", ["区发改委", "区财政局", "区数据资源局", "区督查考核办", "区文明办"]),
    ("q1-password", "2024Q1", ["区发改委"]),
    ("q2-previous", "2024Q2", ["区发改委", "区财政局"]),
]


def _previous_result(assignments):
    """A 2024Q1 merged.json answering 区发改委's first lead row (text that needs escaping,
    spaces around it) and its first coop row."""
    from reporting.core.model import Answer, QuarterResult
    from reporting.merge.judge import row_skeleton

    mine = assignments.by_unit["区发改委"]
    text = " 一季度GDP增长7.9% <A&B> \"引号\" '单引号'\n第二行 "
    answers = {
        mine.lead[0].id: (
            [Answer("区发改委", text, 25, "序时推进", "无", "=x", {"地区生产总值": 7.9})],
            [],
        ),
        mine.coop[0].id: ([], [Answer("区发改委", "配合提供项目清单", None, None, "", "继续")]),
    }
    rows = [
        replace(row_skeleton(r), lead_reports=answers[r.id][0], coop_feedback=answers[r.id][1])
        for r in (mine.lead[0], mine.coop[0])
    ]
    return QuarterResult("2024Q1", "2024年第一季度", 25, "", "", rows=rows)


def write_cases(base: Path) -> dict[str, bytes]:
    """Every case's forms under ``base``; name → bytes."""
    from jobs.app import create_app
    from reporting.core.calendar import TZ
    from reporting.forms.build import build_forms, refresh_form

    now = datetime(2024, 3, 25, 9, 0, tzinfo=TZ)
    out: dict[str, bytes] = {}
    for case, period, units in CASES:
        env = {"DUBAN_FORMS_PASSWORD": "密码 pw"} if "password" in case else {}
        app = create_app(ROOT / "config.toml", data_dir=base / case, env=env)
        if "previous" in case:
            app.ledger().close()  # the ledger first, as in a real data dir (else it counts as lost)
            path = app.workspace.merged_json("2024Q1")
            path.parent.mkdir(parents=True)
            result = _previous_result(app.assignments)
            path.write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")
        summary = build_forms(
            app.settings, app.assignments, app.workspace, period, units=units, now=now, workers=1
        )
        assert summary.ok and len(summary.built) == len(units), summary.lines()
        for form in summary.built:
            out[f"{case}-{form.unit}.xlsx"] = form.path.read_bytes()
        if "previous" in case:  # the copy mailed with the 配合反馈: partners' column shown
            mine = app.assignments.by_unit["区发改委"]
            copy = refresh_form(
                app.settings,
                app.assignments,
                app.workspace,
                period,
                "区发改委",
                {mine.lead[0].id: "区财政局：30%，超序时；配合提供项目清单 <&>"},
                path=base / case / "copy.xlsx",
                as_of="4月3日",
                now=now,
            )
            out[f"{case}-partners-区发改委.xlsx"] = copy.path.read_bytes()
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return write_cases(tmp_path_factory.mktemp("forms"))


def test_every_case_has_its_pinned_bytes(written):
    assert sorted(p.name for p in PINNED.glob("*.xlsx")) == sorted(written)


@pytest.mark.parametrize("name", sorted(p.name for p in PINNED.glob("*.xlsx")))
def test_form_bytes_equal_the_pinned_bytes(written, name):
    assert_same_xlsx((PINNED / name).read_bytes(), written[name])


def test_the_cases_cover_what_the_writer_supports(written):
    """Column and row breaks, hidden and shown reference columns, passwords, escaping,
    preserved spaces and sheets of one role only are all in the pinned bytes."""
    import io

    def part(name, member):
        return zipfile.ZipFile(io.BytesIO(written[name])).read(member)

    pw = part("q1-password-区发改委.xlsx", "xl/workbook.xml")
    assert b"workbookPassword" in pw
    assert b"password=" in part("q1-password-区发改委.xlsx", "xl/worksheets/sheet2.xml")
    lead = part("q2-previous-区发改委.xlsx", "xl/worksheets/sheet2.xml")
    assert b"&lt;A&amp;B&gt;" in lead
    # last quarter's whole text, spaces kept, on the 上季度全文 sheet (the digest is trimmed)
    full = part("q2-previous-区发改委.xlsx", "xl/worksheets/sheet4.xml")
    assert b'xml:space="preserve"' in full and b"&lt;A&amp;B&gt;" in full
    assert b"<colBreaks" not in lead  # the answers and the indicators' values: one page wide
    # rows shared out among the pages a sheet needs
    assert b"<rowBreaks" in part("q1-区发改委.xlsx", "xl/worksheets/sheet2.xml")
    hidden = part("q1-区发改委.xlsx", "xl/worksheets/sheet2.xml").count(b'<col hidden="1"')
    assert hidden == 2  # last quarter's and the partners' columns
    assert lead.count(b'<col hidden="1"') == 1  # last quarter's answers shown
    copy = part("q2-previous-partners-区发改委.xlsx", "xl/worksheets/sheet2.xml")
    # the copy prints the partners' feedback in place of last quarter's digest
    assert copy.count(b'<col hidden="1"') == 1 and b"&lt;&amp;&gt;" in copy
    assert b"<colBreaks" in copy  # the partners' feedback on a page of its own
    sheets = {
        name: zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").count(b"<sheet ")
        for name, data in written.items()
    }
    assert {4, 5, 6} <= set(sheets.values())  # one task sheet, both, and 上季度全文


if __name__ == "__main__":  # write the pinned files again (see the module doc)
    import tempfile

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        forms = write_cases(Path(tmp))
    write_pinned(PINNED, forms)


@pytest.mark.parametrize(
    "left", ["普通单位", '单位 <A&B> "引号"', "a&[Page]b", "制表\t符", " 空格 "]
)
def test_page_header_texts_put_in_equal_openpyxls_serialisation(left):
    """The page header is serialised once with stand-ins and each sheet's texts escaped in;
    texts openpyxl would rewrite (& codes, control characters) take openpyxl's way."""
    from reporting.documents import xlsx_parts as xp

    for args in (("5:5", True, 80), (None, False, None)):
        header = (left, "表单编号：2024Q1-ABC", "宋体", 9)
        assert xp.page_with_header(args, header) == xp.page_xml(args, header)
