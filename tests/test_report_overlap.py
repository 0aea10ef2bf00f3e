"""The report step's other files are written while LibreOffice converts the report:
``render_report(meanwhile=…)`` runs once the report and its briefs exist, before the PDF
is awaited (the conversion here is a stand-in that finishes only after ``meanwhile``)."""

from __future__ import annotations

import os
import subprocess
import threading
from datetime import date, datetime
from pathlib import Path

from conftest import office
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

    def convert(src, fmt, outdir, timeout=180, office=None):
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


@office
def test_an_early_office_converts_as_a_fresh_one_and_leaves_nothing_running(tmp_path):
    from docx import Document

    from reporting.documents.office import EarlyOffice, convert

    src = tmp_path / "通知.docx"
    doc = Document()
    for k in range(1, 40):
        doc.add_paragraph(f"第{k}段：请各单位于4月10日前报送进展情况。")
    doc.save(str(src))
    plain = convert(src, "pdf", tmp_path / "plain")
    with EarlyOffice(60) as early:
        started = early.proc
        made = convert(src, "pdf", tmp_path / "early", office=early)
    assert started is not None and started.returncode is not None
    assert running_in_group(started.pid) == []  # its whole group has ended
    assert not Path(early.profile).exists()
    assert pdf_text(made) == pdf_text(plain) and "第 39 段" in pdf_text(made)


@office
def test_an_unused_early_office_is_ended(tmp_path):
    from reporting.documents.office import EarlyOffice

    early = EarlyOffice(60)
    assert early.proc is not None
    pid = early.proc.pid
    early.close()
    assert running_in_group(pid) == []  # oosplash and soffice.bin too
    assert not Path(early.profile).exists()


def running_in_group(pgid: int) -> list[str]:
    """The names of the processes of group ``pgid`` that have not ended (zombies, ended
    but not yet reaped by init, are left out: LibreOffice leaves its gpg children to it)."""
    names = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if stat:
            name, rest = (
                stat[stat.index(b"(") + 1 : stat.rindex(b")")],
                stat[stat.rindex(b")") + 2 :],
            )
            state, _, group = rest.split()[:3]
            if int(group) == pgid and state not in (b"Z", b"X"):
                names.append(name.decode())
    return names


def test_a_group_left_with_only_zombies_counts_as_ended():
    from reporting.documents.office import group_alive

    sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
    ended = subprocess.Popen(["true"], start_new_session=True)
    try:
        assert group_alive(sleeper.pid) is True
        # ``true`` has exited but is not reaped: a zombie, as init leaves them for a while
        for _ in range(500):
            if Path(f"/proc/{ended.pid}/stat").read_bytes().split(b") ")[1][:1] == b"Z":
                break
            threading.Event().wait(0.01)
        os.killpg(ended.pid, 0)  # the group still exists for the kernel ...
        assert group_alive(ended.pid) is False  # ... but nothing in it runs
    finally:
        sleeper.kill()
        sleeper.wait()
        ended.wait()
    assert group_alive(sleeper.pid) is False


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


class StandInOffice:
    """Records what a run does with the LibreOffice it starts early."""

    started: list[StandInOffice] = []

    def __init__(self, timeout=180):
        self.closed = False
        StandInOffice.started.append(self)

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_a_run_with_the_report_due_starts_libreoffice_before_its_first_step(app, monkeypatch):
    from jobs import steps
    from jobs.runner import run_cycle
    from reporting.core.calendar import TZ
    from reporting.documents import office as office_module

    seen, charts = [], []

    def record(name):
        def run(app, period, now):
            seen.append((name, app.__dict__.get("office_ahead")))
            charts.append(app.__dict__.get("chart_ahead"))

        return run

    for name in steps.ORDER:
        monkeypatch.setitem(steps.STEPS, name, record(name))
    monkeypatch.setattr(office_module, "EarlyOffice", StandInOffice)
    monkeypatch.setattr(office_module, "soffice_path", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(StandInOffice, "started", [])
    run_cycle(app, P, now=datetime(2024, 3, 29, 9, 0, tzinfo=TZ))  # the notice day
    assert StandInOffice.started == [] and all(o is None for _, o in seen)
    assert charts and all(c is None for c in charts)
    seen.clear()
    charts.clear()
    run_cycle(app, P, now=datetime(2024, 4, 10, 9, 0, tzinfo=TZ))  # the report day
    [early] = StandInOffice.started
    assert seen[0][0] != "report" and "report" in [n for n, _ in seen]
    assert all(o is early for _, o in seen)  # from the first step of the run on
    assert early.closed and "office_ahead" not in app.__dict__
    # the chart's process too: one for the run, ended with it
    assert len({id(c) for c in charts[-len(seen) :]}) == 1 and charts[-1] is not None
    assert charts[-1].pid is None and "chart_ahead" not in app.__dict__
    seen.clear()
    charts.clear()
    run_cycle(app, P, now=datetime(2024, 4, 10, 10, 0, tzinfo=TZ))  # the report is done
    assert len(StandInOffice.started) == 1 and all(o is None for _, o in seen)
    assert all(c is None for c in charts)
