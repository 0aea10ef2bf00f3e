"""The 汇总表 is written straight as XML (reporting/documents/xlsx_direct.py). The files in
tests/data/summary_pinned/ pin the bytes that writer gives the cases below: a regression
guard, so that any change of the workbook's bytes is seen. They are no comparison with
openpyxl: openpyxl 3.1.5 wrote them through the earlier ``write_summary`` (the direct
writer matched them when it took over), but deliberate changes have since written them
again from the direct writer itself (long-texts.xlsx with the one submission state; all
three with the 任务（简称） column), as the forms' pins were. What the 汇总表 holds is checked by test_summary.py and
test_forms_readback.py; links are compared with openpyxl's own serialisation at the end of
this file.

Cases: the bundled data merged for 2024Q2 by ``make demo`` (its merged.json and the
period's returns, ``demo-2024Q2.json.gz``: rejections, warnings, 说法不一 flags, cooperating
units' rows linked from the 汇总表), a fabricated quarter with texts too long for a row
(spilled to 全文 with links), several lead units, text that needs escaping or starts like a
formula, numbers and lights, and an empty quarter (every sheet “（无）”).

A deliberate change of the 汇总表 (wording, layout) changes these bytes: check the new
workbook as test_summary.py does, then write the files again with
``.venv/bin/python tests/test_summary_direct.py``.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import assert_same_xlsx, write_pinned
from test_summary import _returns

ROOT = Path(__file__).resolve().parent.parent
PINNED = Path(__file__).resolve().parent / "data" / "summary_pinned"


def _fabricated(app):
    from reporting.core.model import Answer, QuarterResult, UnitReturn
    from reporting.merge.judge import row_skeleton

    rows = []
    for i, r in enumerate(app.assignments.rows[:4]):
        row = row_skeleton(r)
        rows.append(row)
        if i == 3:
            continue  # not reported
        row.lead_reports = [Answer(r.lead_units[0], "长" * 1500, 61.5, "超序时", "无", "继续")]
        row.percent = [61.5, 100, 0.25][i]
        row.status = ["超序时", "已完成", "滞后"][i]
        row.judged_status = ["序时推进", "已完成", "滞后"][i]
        row.light = ["绿", "黄", "红"][i]
        row.status_conflict = "报“超序时”，按数据为“序时推进”" if i == 0 else ""
        row.missing_units = ["区财政局", "区数据资源局"] if i == 2 else []
        if i == 1:  # two lead units: each line with its unit
            row.lead_reports = [
                Answer("区发改委", "完成\n第二行", 100, "已完成", "-减号开头"),
                Answer("区财政局", "完成 <A&B>", 100, "已完成", "", "@at\x01控制符"),
            ]
        if i == 2:  # escaping, spaces kept, text that starts like a formula stays text
            row.lead_reports = [
                Answer(
                    r.lead_units[0],
                    " 前后有空格 <A&B> \"引号\" '单引号' ",
                    0.25,
                    "滞后",
                    "=SUM(A1:A2)",
                )
            ]
        row.coop_feedback = [
            Answer(
                f"配合单位{k}",
                f"配合{k}：" + "按要求报送材料，" * 20,
                40.0 + k if k % 3 else None,
                "序时推进" if k % 2 else None,
                f"问题{k}",
                "=1+1" if k == 0 else f"打算{k}",
                {"新增就业人员": 100.0 + k, "空": None},
            )
            for k in range(16 if i == 0 else 2)
        ]
    units = [
        UnitReturn(
            "区发改委", "department", "accepted", "2024-07-02T10:00:00", False, 2, "form_id"
        ),
        UnitReturn("秦集镇", "township", "accepted", "2024-07-09T08:00:00", True, 1, "sender"),
        UnitReturn(
            "区财政局",
            "department",
            "rejected",
            "2024-07-03T11:00:00",
            False,
            1,
            "",
            ["缺<表>", "第二条"],
        ),
        UnitReturn("区数据资源局", "department", "missing"),
        UnitReturn("某企业", "enterprise", "held", "2024-07-04T12:00:00", False, 1, "filename"),
    ]
    result = QuarterResult(
        "2024Q2", "2024年第二季度", 50, "2024-07-05T17:30", "2024-07-06T09:00", rows, units
    )
    warn = json.loads(_returns()[0]["problems"])[0]
    error = {"level": "error", "sheet": "牵头任务", "cell": "F5", "message": "必填 <空> & 缺"}
    returns = _returns()  # accepted, with warnings
    returns += [
        {
            "state": "rejected",
            "unit": "区财政局",
            "source": "财政 & 局.xlsx",
            "received_at": "2024-07-03T11:00:00",
            "problems": json.dumps([error, {**error, "cell": "", "sheet": ""}, warn]),
        },
        {
            "state": "unidentified",
            "unit": None,
            "source": "无名.xlsx",
            "received_at": "2024-07-04T08:00:00",
            "problems": json.dumps([{"level": "error", "text": "无法识别单位"}]),
        },
    ]
    return result, returns


def _empty():
    from reporting.core.model import QuarterResult

    return QuarterResult("2024Q3", "2024年第三季度", 75, "2024-10-08T17:30", "", []), []


def _demo():
    from reporting.core.model import QuarterResult

    data = json.loads(gzip.decompress((PINNED / "demo-2024Q2.json.gz").read_bytes()))
    return QuarterResult.from_dict(data["result"]), data["returns"]


def write_cases(base: Path) -> dict[str, bytes]:
    """Every case's 汇总表 under ``base``; name → bytes."""
    from jobs.app import create_app
    from reporting.merge.summary import write_summary

    app = create_app(ROOT / "config.toml", data_dir=base / "data", env={})
    out: dict[str, bytes] = {}
    for name, (result, returns) in {
        "demo-2024Q2": _demo(),
        "long-texts": _fabricated(app),
        "empty": _empty(),
    }.items():
        path = base / f"{name}.xlsx"
        write_summary(result, returns, path, app.settings)
        out[f"{name}.xlsx"] = path.read_bytes()
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return write_cases(tmp_path_factory.mktemp("summary"))


def test_every_case_has_its_pinned_bytes(written):
    assert sorted(p.name for p in PINNED.glob("*.xlsx")) == sorted(written)


@pytest.mark.parametrize("name", sorted(p.name for p in PINNED.glob("*.xlsx")))
def test_summary_bytes_equal_the_pinned_bytes(written, name):
    assert_same_xlsx((PINNED / name).read_bytes(), written[name])


def test_the_cases_cover_what_the_summary_has(written):
    """Links, spills, flags, lights, number formats, A3 paper, escaping and empty tables
    are all in the pinned bytes."""

    def part(name, member):
        return zipfile.ZipFile(io.BytesIO(written[name])).read(member)

    demo = part("demo-2024Q2.xlsx", "xl/worksheets/sheet1.xml")
    assert demo.count(b"<hyperlink ") > 50 and b'paperSize="8"' in demo
    styles = part("demo-2024Q2.xlsx", "xl/styles.xml")
    assert b"FFFCE4D6" in styles and b'formatCode="0.##"' not in styles
    long = part("long-texts.xlsx", "xl/worksheets/sheet1.xml")
    assert "全文见“全文”表第4行起".encode("ascii", "xmlcharrefreplace") in long
    assert b"&lt;A&amp;B&gt;" in long and b'xml:space="preserve"' in long
    assert b"'=SUM(A1:A2)" in long
    full = part("long-texts.xlsx", "xl/worksheets/sheet6.xml")
    assert full.count(b"<row ") > 4
    # nothing spilled: no 全文 sheet (it printed a page saying （无）), 校验提醒 says （无）
    names = zipfile.ZipFile(io.BytesIO(written["empty.xlsx"])).namelist()
    assert "xl/worksheets/sheet6.xml" not in names
    empty = part("empty.xlsx", "xl/worksheets/sheet5.xml")
    assert "（无）".encode("ascii", "xmlcharrefreplace") in empty


if __name__ == "__main__":  # write the pinned files again (see the module doc)
    import tempfile

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        books = write_cases(Path(tmp))
    write_pinned(PINNED, books)


@pytest.mark.parametrize(
    "location", ["'全文'!A4", "'a&b<c>\"d\"'!A1", "制表\t换行\n回车\r", "'It''s'!B2", "  "]
)
def test_link_attributes_equal_openpyxls_serialisation(location):
    """Links are written as strings: escaped as lxml escapes openpyxl's Hyperlink."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    from reporting.documents import xlsx_parts as xp

    want = xp.ascii_xml(Hyperlink(ref="N4", location=location).to_tree())
    assert xp.hyperlink_xml("N4", location) == want
