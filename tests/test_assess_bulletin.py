"""督查通报: names derived independently from the ledger, a stable 发文字号, the document read
back, the PDF's pages; --send against aiosmtpd: one mail per unit, none on rerun."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import date

import pytest
from assess_helpers import KINDS, YEAR, install_year, result
from conftest import office
from docx import Document
from helpers import at

from reporting.assess.bulletin import bulletin_lists, bulletin_path, render_bulletin
from reporting.core.periods import Period

Q4 = Period(YEAR, 4)


@pytest.fixture
def year(app):
    install_year(app)
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
    assert "抄送：区委办" in text and "2025年1月10日印发" in text
    for tid in ("2", "6", "8"):
        assert f"{tid}.任务{tid}（牵头单位：" in text
    assert "考核评价情况" in text  # Q4 quotes the running scores ([bulletin] quote_scores = q4)
    with pytest.raises(Exception, match="已用于 2024Q3"):
        render(number=1)
    moved = render(number=5)
    assert moved.doc_number == "禹督考〔2024〕5号"


def test_the_document_number_restarts_each_year(year, duban):
    """Two 通报 in 2024 and the first of 2025, as `duban bulletin` gives them: the 2025 one is
    number 1 of its year, whatever 2024 took."""
    first_of_2025 = Period(2025, 1)
    merged = dataclasses.replace(
        result(1),
        period=str(first_of_2025),
        period_label=first_of_2025.full_label,
        deadline="2025-03-28T17:30:00+08:00",
        generated_at="2025-03-29T09:00:00+08:00",
    )
    path = year.workspace.merged_json(first_of_2025)
    path.parent.mkdir(parents=True)
    path.write_text(merged.to_json(), encoding="utf-8")
    issued = [(Period(YEAR, 2), "2024-07-10"), (Period(YEAR, 3), "2024-10-10")]
    issued.append((first_of_2025, "2025-04-10"))
    texts = []
    for period, day in issued:
        res = duban("bulletin", "--period", str(period), "--date", day)
        assert res.code == 0, res.output
        texts.append(
            text_of(year.workspace.period_dir(period) / "bulletin" / f"{period}_督查通报.docx")
        )
    # the bundled config's [bulletin] number_format = "禹督考〔{year}〕{n}号", first_number = 1
    assert "禹督考〔2024〕1号" in texts[0] and "禹督考〔2024〕2号" in texts[1]
    assert "禹督考〔2025〕1号" in texts[2], texts[2][:200]
    assert "禹督考〔2025〕3号" not in texts[2]


def test_document_numbers_come_back_after_the_ledger_is_lost(year, duban):
    """The 发文字号 given are traced beside the ledger: a row a lost ledger or an older copy
    of it does not hold is never given to another 通报, and `duban recover` puts them back."""

    def issue(period: str, day: str) -> str:
        res = duban("bulletin", "--period", period, "--date", day)
        assert res.code == 0, res.output
        return text_of(
            year.workspace.period_dir(Period.parse(period)) / "bulletin" / f"{period}_督查通报.docx"
        )

    assert "禹督考〔2024〕1号" in issue("2024Q2", "2024-07-10")
    assert "禹督考〔2024〕2号" in issue("2024Q3", "2024-10-10")
    # a ledger copied before Q3's 通报 was numbered: Q4 does not take Q3's number
    conn = sqlite3.connect(year.workspace.ledger_path)
    with conn:
        conn.execute("DELETE FROM doc_numbers WHERE period = '2024Q3'")
    conn.close()
    assert "禹督考〔2024〕3号" in issue("2024Q4", "2025-01-09")
    assert "禹督考〔2024〕2号" in issue("2024Q3", "2024-10-10")  # its own, from the trace
    for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
        (year.workspace.root / name).unlink(missing_ok=True)
    res = duban("recover")
    assert res.code == 0, res.output
    assert "发文字号：" in res.out and "恢复 3 个" in res.out
    conn = sqlite3.connect(year.workspace.ledger_path)
    rows = conn.execute("SELECT period, text FROM doc_numbers ORDER BY number").fetchall()
    conn.close()
    assert rows == [
        ("2024Q2", "禹督考〔2024〕1号"),
        ("2024Q3", "禹督考〔2024〕2号"),
        ("2024Q4", "禹督考〔2024〕3号"),
    ]
    install_year(year)  # the quarters as this test built them (recover rebuilt them empty)
    assert "禹督考〔2024〕3号" in issue("2024Q4", "2025-01-09")


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
    assert pages in (2, 4) and out.pages == pages  # the 版记 ends an even page
    text = subprocess.run(["pdftotext", str(out.pdf), "-"], capture_output=True, text=True).stdout
    text = text.replace(" ", "")
    last = text.split("\f")[pages - 1]
    assert "抄送：区委办" in last and "印发" in last  # the 版记 is on the last page
    assert text.index("禹会区督查考核办文件") < text.index("禹督考〔2024〕1号")


def test_q4_bulletin_quotes_the_years_scores_end_to_end(year, duban, monkeypatch):
    """`duban bulletin` for Q4 (quote_scores = "q4"): a 四、考核评价情况 whose top units per group
    are the top ranked of the 考核评分表 `duban score` writes (no adjustments or 领导评价
    entered; units leading no task are not ranked); Q3 quotes nothing; quote_scores = "never"
    leaves Q4 without it."""
    import openpyxl

    assert duban("score", "--year", "2024").code == 0
    book = openpyxl.load_workbook(year.workspace.root / str(YEAR) / "考核评分表.xlsx")
    table = [[c.value for c in r] for r in book["考核评分表"].iter_rows()]
    at_head = next(i for i, r in enumerate(table) if "单位" in r and "总分" in r)
    rows = [dict(zip(table[at_head], r, strict=True)) for r in table[at_head + 1 :]]
    top: dict[str, list[str]] = {}
    ranked = (r for r in rows if r["单位"] and isinstance(r["组内排名"], int))  # not "不排名"
    for row in sorted(ranked, key=lambda r: r["组内排名"]):
        top.setdefault(row["排名组"], [])
        if len(top[row["排名组"]]) < 3:
            top[row["排名组"]].append(row["单位"])

    res = duban("bulletin", "--period", "2024Q4", "--date", "2025-01-10")
    assert res.code == 0, res.output
    text = [
        p.text
        for p in Document(
            year.workspace.period_dir(Q4) / "bulletin" / "2024Q4_督查通报.docx"
        ).paragraphs
    ]
    start = text.index("四、考核评价情况")
    assert text.index("五、下步工作要求") > start
    quoted = text[start + 2 : text.index("五、下步工作要求")]
    assert len(quoted) == len(top)
    for line in quoted:
        group, names = line.rstrip("。").split("：", 1)
        assert [n.split("（")[0] for n in names.split("、")] == top[group], line

    assert duban("bulletin", "--period", "2024Q3", "--date", "2024-10-10").code == 0
    q3 = [
        p.text
        for p in Document(
            year.workspace.period_dir(Period(YEAR, 3)) / "bulletin" / "2024Q3_督查通报.docx"
        ).paragraphs
    ]
    assert "四、下步工作要求" in q3 and not any("考核评价" in t for t in q3)

    monkeypatch.setenv("DUBAN_BULLETIN_QUOTE_SCORES", "never")
    assert duban("bulletin", "--period", "2024Q4", "--date", "2025-01-10").code == 0
    text = [
        p.text
        for p in Document(
            year.workspace.period_dir(Q4) / "bulletin" / "2024Q4_督查通报.docx"
        ).paragraphs
    ]
    assert "四、下步工作要求" in text and "四、考核评价情况" not in text


def test_a_stale_pdf_beside_a_newer_bulletin_is_removed(year):
    """``bulletin --pdf``, new data, then ``bulletin``: the old PDF shows the old numbers, so
    it does not stay beside the new .docx (the rule every ``--pdf`` output follows)."""
    import os

    target = bulletin_path(year.settings, year.workspace, Q4)
    old = target.with_suffix(".pdf")
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"%PDF-1.4 an earlier bulletin")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    with year.ledger() as ledger:
        out = render_bulletin(year.settings, year.workspace, ledger, Q4, now=at(date(2025, 1, 10)))
    assert not old.exists() and out.pdf is None
    assert f"已删除旧的 PDF（内容已过时）：{old}" in out.lines()


@pytest.mark.parametrize(
    ("cores", "orders", "shares"),
    [
        (2, 150, [75, 75]),
        (2, 47, [47]),
        (2, 49, [25, 24]),
        (1, 150, [150]),
        (4, 99, [50, 49]),
        (2, 0, []),
    ],
)
def test_the_orders_pdfs_are_made_in_consecutive_shares_one_per_core(
    monkeypatch, cores, orders, shares
):
    """督办单 PDFs: one LibreOffice process per core (at most two) once there are 24 督办单 a
    process; each share in order, every 督办单 in exactly one."""
    from reporting.assess.bulletin import order_shares
    from reporting.core import parallel

    monkeypatch.setattr(parallel, "cores", lambda: cores)
    issued = [object() for _ in range(orders)]
    got = order_shares(issued)  # type: ignore[arg-type]
    assert [len(s) for s in got] == shares
    assert [d for s in got for d in s] == issued
