"""Small helpers shared by the test files (fixtures live in conftest.py)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

from reporting.core.calendar import TZ

# a moment in 2024Q1's collection window, for calls that need "now" and do not care which
NOW = datetime(2024, 4, 2, 10, 0, tzinfo=TZ)


def at(day: date, hour: int = 9) -> datetime:
    """``day`` at ``hour`` o'clock, Beijing time: the "now" of a step run on that day."""
    return datetime.combine(day, time(hour), TZ)


def with_now(kw: dict) -> dict:
    """Turn a ``today=`` keyword (a date) into the ``now=`` the core functions take."""
    if "today" in kw:
        kw["now"] = at(kw.pop("today"))
    kw.setdefault("now", NOW)
    return kw


def status_tally(rows) -> Counter:
    """Task rows by status, 未报送 for a row no lead unit reported: counted by the test
    itself, never by ``merge.tally``."""
    return Counter(r.status or "未报送" for r in rows)


# the 2024Q1 report day, at nine
REPORT_NOW = datetime(2024, 4, 9, 9, 0, tzinfo=TZ)


def assert_same_xlsx(want: bytes, got: bytes) -> None:
    """Byte-equal workbooks; when they differ, the assertion names the first part that does."""
    if got != want:
        import io
        import zipfile

        a, b = zipfile.ZipFile(io.BytesIO(want)), zipfile.ZipFile(io.BytesIO(got))
        assert a.namelist() == b.namelist()
        for part in a.namelist():
            assert a.read(part) == b.read(part), part
    assert got == want


def write_pinned(folder, files: dict[str, bytes]) -> None:
    """Replace the pinned ``*.xlsx`` files of ``folder`` by ``files`` (name → bytes)."""
    for old in folder.glob("*.xlsx"):
        old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    print(f"{len(files)} workbooks written to {folder}")


TASK_COLUMNS = (
    "id section section_title task_no task_title content lead_leaders assist_leaders"
    " lead_units coop_units indicators deadline short_title"
    " kind plan_q1 plan_q2 plan_q3 plan_q4 plan_note owner"
).split()


def write_task_table(path, rows: list[dict]):
    """A tasks.csv of ``rows`` (column → text; columns left out are empty), as the office
    would save it; returns ``path``."""
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, TASK_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


# what no cell a clerk reads may hold: ledger ids, the ledger's file, config keys, commands,
# period codes (issue 27)
NOT_FOR_CLERKS = r"#\d|\.sqlite|\[\w+\]|duban |\b20\d\dQ[1-4]\b"


def clerk_cells(path) -> list[tuple[str, str, str]]:
    """(sheet, cell, text) of every text cell on the visible sheets of the workbook ``path``."""
    import openpyxl

    out = []
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows():
            out += [(ws.title, c.coordinate, c.value) for c in row if isinstance(c.value, str)]
    return out


# the unit classes of the bundled config.toml, in its order
UNIT_CLASSES = (
    "政府工作部门",
    "区委工作机关",
    "人大政协机关",
    "纪检监察机关",
    "垂直管理单位",
    "群团组织",
    "乡镇",
    "街道",
    "国有企业",
    "其他",
)


def copy_merged(source, data, quarters=(1, 2, 3, 4), year: int = 2024) -> None:
    """The merged.json of ``source``'s quarters of ``year`` copied into the data dir ``data``."""
    import shutil

    for q in quarters:
        (data / f"{year}Q{q}").mkdir(parents=True)
        shutil.copy(source / f"{year}Q{q}" / "merged.json", data / f"{year}Q{q}")


def table_with_header(doc, *first: str):
    """The document's first table whose header row starts with the cells ``first``
    (the report's tables move when one before them is left out)."""
    for table in doc.tables:
        cells = [c.text for c in table.rows[0].cells]
        if cells[: len(first)] == list(first):
            return table
    raise AssertionError(f"no table headed {first}")


def render_quarter_bulletin(app, ledger, quarter: int, day: date, year: int = 2024):
    """The 通报 of ``year``'s ``quarter`` in ``app``'s data dir, issued on ``day``."""
    from reporting.assess.bulletin import render_bulletin
    from reporting.core.periods import Period

    return render_bulletin(
        app.settings,
        app.workspace,
        ledger,
        Period(year, quarter),
        now=at(day),
        assignments=app.book(Period(year, quarter)),
        year_book=app.year_book(year) if quarter == 4 else None,
    )


def notice_rows(path) -> list[dict[str, str]]:
    """The bundled tasks.csv as the notice gives it (what import-tasks should read back): the
    office's own planning columns dropped, and a one-off event, which the notice does not
    date, at the year's end as the import dates an undated task."""
    import csv

    office = ("kind", "plan_q1", "plan_q2", "plan_q3", "plan_q4", "plan_note", "owner")
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        if row.get("kind") == "一次性":
            row["deadline"] = row["deadline"][:4] + "-12-31"
        out.append({k: v for k, v in row.items() if k not in office})
    return out


def brief_rows(path) -> list:
    """The task rows of a leader's brief (python-docx rows): the last one sits in a
    borderless row of its own, beside the signer and date (``docx_closing``)."""
    from docx import Document

    table = Document(path).tables[0]
    rows = list(table.rows[1:])
    inner = rows[-1].cells[0].tables if rows else []
    return rows[:-1] + list(inner[0].rows) if inner else rows


def form_column(ws, key: str) -> int:
    """The column of ``key`` on a form's task sheet, by the header written above it (the
    配合单位反馈 and 责任分工 columns move with the number of indicator slots)."""
    from reporting.forms import formspec as fs

    for c in range(1, ws.max_column + 1):
        if fs.column_for_header(str(ws.cell(row=fs.HEADER_ROW, column=c).value or "")) == key:
            return c
    raise KeyError(key)


def unbroken(value):
    """A workbook cell's text without the line breaks the writers put in long texts
    (``xlsx_style.break_lines``); other values as they are."""
    return value.replace("\n", "") if isinstance(value, str) else value


def watch_fsync(monkeypatch, synced: list, on_sync=None) -> None:
    """Append (pid, path) of every ``os.fsync`` from now on to ``synced`` (``on_sync(path)``
    is called first, while the file is not yet flushed)."""
    import os

    real = os.fsync

    def fsync(fd):
        target = os.readlink(f"/proc/self/fd/{fd}")
        if on_sync is not None:
            on_sync(target)
        synced.append((os.getpid(), target))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def returned_data(data, period):
    """A data dir (bundled config) whose inbox holds every unit's return of ``period``,
    nothing collected yet; the app on it."""
    from conftest import ROOT

    from jobs.app import create_app
    from reporting.core.calendar import period_calendar
    from reporting.forms.build import build_forms
    from reporting.sample.returns import simulate_returns

    app = create_app(ROOT / "config.toml", data_dir=data, env={})
    build_forms(app.settings, app.assignments, app.workspace, period, now=NOW)
    deadline = period_calendar(period, app.settings.deadline).deadline
    simulate_returns(app.assignments, app.workspace, period, deadline)
    return app
