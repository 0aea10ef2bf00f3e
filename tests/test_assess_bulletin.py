"""督查通报: names derived independently from the ledger, a stable 发文字号, the document read
back, the PDF's pages; --send against aiosmtpd: one mail per unit, none on rerun."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from assess_helpers import KINDS, YEAR, fill_ledger, result
from conftest import office
from docx import Document
from helpers import at

from reporting.assess.bulletin import bulletin_lists, render_bulletin
from reporting.core.periods import Period

Q4 = Period(YEAR, 4)


@pytest.fixture
def year(app):
    for q in range(1, 5):
        path = app.workspace.merged_json(Period(YEAR, q))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result(q).to_json(), encoding="utf-8")
    with app.ledger() as ledger:
        fill_ledger(ledger)
    return app


def derive(db, period: str, res) -> dict[str, list[str]]:
    """The lists straight from the ledger's rows and the merged rows, without duban's code."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute(
        "SELECT * FROM returns WHERE period = ? ORDER BY received_at, id", (period,)
    ).fetchall()
    late, rejected, missing, clean = [], [], [], []
    for unit in KINDS:
        own = [r for r in rows if r["unit"] == unit]
        ok = [r for r in own if r["state"] == "accepted"]
        if not own:
            missing.append(unit)
        elif not ok:
            rejected.append(unit)
        elif ok[-1]["late"]:
            late.append(unit)
        elif own[0]["state"] == "accepted" and len(own) == 1:
            clean.append(unit)
    praised = []
    for unit in clean:
        lead = [r for r in res.rows if unit in r.lead_units]
        good = [r for r in lead if r.status in ("已完成", "超序时")]
        bad = [r for r in lead if r.status in (None, "滞后") or r.light == "红"]
        if lead and not bad and 2 * len(good) >= len(lead):
            praised.append(unit)
    lagging = [r.id for r in res.rows if r.status == "滞后" or r.light == "红"]
    return {
        "praised": praised,
        "late": late,
        "rejected": rejected,
        "missing": missing,
        "lagging": lagging,
    }


@pytest.mark.parametrize("q", [1, 2, 3, 4])
def test_names_equal_an_independent_derivation(year, q):
    res = result(q)
    with year.ledger() as ledger:
        lists = bulletin_lists(year.settings, ledger, res)
    got = {
        "praised": lists.praised,
        "late": [s.unit for s in lists.late],
        "rejected": [s.unit for s in lists.rejected],
        "missing": [s.unit for s in lists.missing],
        "lagging": [r.id for r in lists.lagging],
    }
    assert got == derive(year.workspace.ledger_path, str(Period(YEAR, q)), res)
    if q == 4:
        assert got["praised"] == ["甲局", "二镇"]  # 东集团 leads a red task, 三街道 a 未启动 one
        assert got["rejected"] == ["一乡"] and got["lagging"] == ["2", "6", "8"]


def text_of(path) -> str:
    doc = Document(path)
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


def test_document_number_is_kept_across_reruns(year):
    def render(**kw):
        with year.ledger() as ledger:
            return render_bulletin(
                year.settings,
                year.workspace,
                ledger,
                kw.pop("period", Q4),
                now=at(date(2025, 1, 10)),
                **kw,
            )

    first = render(period=Period(YEAR, 3))
    q4 = render()
    assert (first.doc_number, q4.doc_number) == ("禹督考〔2024〕1号", "禹督考〔2024〕2号")
    data = q4.docx.read_bytes()
    again = render()
    assert again.doc_number == "禹督考〔2024〕2号" and again.docx.read_bytes() == data
    text = text_of(q4.docx)
    assert "禹督考〔2024〕2号" in text and "关于2024年第四季度" in text
    assert "甲局、二镇等2个单位" in text and "退回后未按要求修改重报的单位：一乡" in text
    assert "抄送：区委办" in text and "2025年1月9日印发" in text
    for tid in ("2", "6", "8"):
        assert f"{tid}.任务{tid}（牵头单位：" in text
    assert "考核评价情况" in text  # Q4 quotes the running scores ([bulletin] quote_scores = q4)
    with pytest.raises(Exception, match="已用于 2024Q3"):
        render(number=1)
    moved = render(number=5)
    assert moved.doc_number == "禹督考〔2024〕5号"


def test_cli_without_merged_result(duban):
    res = duban("bulletin", "--period", "2024Q1")
    assert res.code == 1 and "还没有汇总结果" in res.err


@office
def test_pdf_pages_and_colophon(year, tmp_path):
    import subprocess

    with year.ledger() as ledger:
        out = render_bulletin(
            year.settings, year.workspace, ledger, Q4, now=at(date(2025, 1, 10)), pdf=True
        )
    assert out.pdf is not None and not out.pdf_error
    info = subprocess.run(["pdfinfo", str(out.pdf)], capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 1 <= pages <= 3
    text = subprocess.run(["pdftotext", str(out.pdf), "-"], capture_output=True, text=True).stdout
    text = text.replace(" ", "")
    last = text.split("\f")[pages - 1]
    assert "抄送：区委办" in last and "印发" in last  # the 版记 is on the last page
    assert text.index("禹会区督查考核办文件") < text.index("禹督考〔2024〕1号")
