"""Returns re-saved by LibreOffice (xlsx → xlsx, xls, ods; WPS .et) are accepted with the same
values; a formula keeps the value LibreOffice calculated and is never copied."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from conftest import ROOT, office
from test_intake_support import (
    UNIT,
    col_of,
    edit,
    errors,
    fill,
    make_forms,
    row_of,
    run_examine,
    valid_answers,
)

from jobs.app import create_app
from reporting.documents.office import convert
from reporting.forms import formspec as fs

pytestmark = office


@pytest.fixture(scope="module")
def resaved(tmp_path_factory):
    """A filled return with a formula in one cell, and its LibreOffice re-saves."""
    base = tmp_path_factory.mktemp("office")
    app = create_app(ROOT / "config.toml", data_dir=base / "data", env={})
    form = make_forms(app, [UNIT])[UNIT]
    answers = valid_answers(app, UNIT)
    src = fill(form, base / "src" / "2024Q1_区发改委_进展情况表.xlsx", answers)
    # a row judged by the line (8.1 has a 落实方案 节点: valid_answers types that there)
    ref = f"{col_of('percent')}{row_of(app, UNIT, 'lead', '9.2')}"
    edit(src, lambda wb: wb[fs.SHEET_LEAD].__setitem__(ref, "=20+10"))  # = 30, as filled elsewhere
    out = {fmt: convert(src, fmt, base / fmt) for fmt in ("xlsx", "xls", "ods")}
    et = base / "et" / "2024Q1_区发改委_进展情况表.et"
    et.parent.mkdir()
    shutil.copyfile(out["xls"], et)  # WPS .et: BIFF8 content under another extension
    out["et"] = et
    return app, src, answers, out, ref


def _as_dicts(part):
    return {tid: dataclasses.asdict(a) for tid, a in part.items()}


def test_openpyxl_formula_has_no_value_until_an_office_program_saves_it(resaved):
    app, src, _, _, ref = resaved
    ex = run_examine(app, src)
    assert ex.state == "rejected"
    assert [(p.code, p.cell) for p in ex.problems if p.level == "error"] == [
        ("formula_no_value", ref)
    ]


@pytest.mark.parametrize(
    ("fmt", "detected"), [("xlsx", "xlsx"), ("xls", "xls"), ("ods", "ods"), ("et", "xls")]
)
def test_libreoffice_resave_is_accepted_with_the_same_values(resaved, fmt, detected):
    app, _, answers, out, ref = resaved
    ex = run_examine(app, out[fmt])
    assert ex.state == "accepted", errors(ex)
    assert ex.format == detected and ex.unit == UNIT
    assert ex.identified_by == "hidden_sheet"  # the hidden sheet survives every re-save
    expected = {(role, tid): a for (role, tid), a in answers.items()}
    for (role, tid), a in expected.items():
        got = (ex.answers.lead if role == "lead" else ex.answers.coop)[tid]
        assert (
            got.progress == a["progress"]
            and got.next_steps == a["next_steps"]
            and got.problems == a["problems"]
        )
        assert got.percent == (float(a["percent"]) if a["percent"] != "" else None)
        assert got.status == (a["status"] or None)
        assert got.indicators == {k: float(v) for k, v in a["indicators"].items()}
    assert ex.header["filler"] == "张三"
    codes = {p.code for p in ex.problems}
    if fmt == "xlsx":
        (warning,) = [p for p in ex.problems if p.code == "formula"]
        assert warning.cell == ref and "已按其计算结果“30”读取" in warning.message
    assert codes <= {"formula"}


def test_all_resaves_read_identically(resaved):
    app, _, _, out, _ = resaved
    results = [run_examine(app, p) for p in out.values()]
    first = results[0]
    for ex in results[1:]:
        assert _as_dicts(ex.answers.lead) == _as_dicts(first.answers.lead)
        assert _as_dicts(ex.answers.coop) == _as_dicts(first.answers.coop)
