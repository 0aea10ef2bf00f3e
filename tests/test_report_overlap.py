"""The report step's other files are written while LibreOffice converts the report:
``render_report(meanwhile=…)`` runs once the report and its briefs exist, before the PDF
is awaited (the conversion here is a stand-in that finishes only after ``meanwhile``)."""

from __future__ import annotations

import threading
from datetime import date

from helpers import at

from reporting.core.periods import Period
from reporting.report.leader_briefs import BRIEFS_DIR
from reporting.report.render import empty_result, render_report

P = Period(2024, 1)
DAY = date(2024, 4, 10)


def test_meanwhile_runs_while_the_pdf_is_converted(app, tmp_path, monkeypatch):
    import reporting.documents.office as office

    done = threading.Event()
    seen = {}

    def convert(src, fmt, outdir, timeout=180):
        # the conversion is still running: it ends only once meanwhile has run
        seen["meanwhile_first"] = done.wait(30)
        pdf = src.with_suffix(".pdf")
        pdf.write_bytes(b"%PDF-1.4 stand-in")
        return pdf

    def meanwhile():
        seen["docx"] = sorted(p.name for p in (tmp_path / "out").glob("*.docx"))
        seen["briefs"] = len(list((tmp_path / "out" / BRIEFS_DIR).glob("*.docx")))
        seen["calls"] = seen.get("calls", 0) + 1
        done.set()

    monkeypatch.setattr(office, "convert", convert)
    out = render_report(
        app.settings,
        app.workspace,
        P,
        out_dir=tmp_path / "out",
        result=empty_result(app.settings, app.assignments, P),
        pdf=True,
        by_leader=True,
        today=DAY,
        now=at(DAY),
        meanwhile=meanwhile,
    )
    assert seen["meanwhile_first"] is True
    assert seen["calls"] == 1
    assert seen["docx"] == [out.docx.name]  # the report was written before
    assert seen["briefs"] == len(out.briefs) > 0
    assert out.pdf == out.docx.with_suffix(".pdf") and out.pdf_error == ""


def test_meanwhile_runs_without_a_pdf_too(app, tmp_path):
    calls = []
    out = render_report(
        app.settings,
        app.workspace,
        P,
        out_dir=tmp_path / "out",
        result=empty_result(app.settings, app.assignments, P),
        today=DAY,
        now=at(DAY),
        meanwhile=lambda: calls.append(1),
    )
    assert calls == [1] and out.pdf is None
