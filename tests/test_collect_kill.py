"""Killing ``duban collect`` (a real subprocess, SIGKILL) and rerunning ends in the same state
as one uninterrupted run: same ledger, archive, merged.json and 汇总表, no file lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta

import openpyxl
import pytest
from conftest import ROOT
from helpers import NOW

from jobs.app import create_app
from reporting.core.calendar import TZ, period_calendar
from reporting.core.periods import Period
from reporting.forms.build import build_forms
from reporting.merge.collect_merge import collect_and_merge as collect
from reporting.sample.returns import simulate_returns

pytestmark = pytest.mark.slow  # whole quarters, real processes

PERIOD = Period(2024, 1)
VERSIONS = 6  # distinct files per unit (later ones supersede earlier ones)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """~280 returns: every unit's simulated return in several byte-different versions."""
    base = tmp_path_factory.mktemp("kill")
    app = create_app(ROOT / "config.toml", data_dir=base / "gen", env={})
    build_forms(app.settings, app.assignments, app.workspace, PERIOD, now=NOW)
    deadline = period_calendar(PERIOD, app.settings.deadline).deadline
    simulate_returns(app.assignments, app.workspace, PERIOD, deadline)
    src = app.workspace.inbox_dir(PERIOD)
    out = base / "inbox"
    for i, f in enumerate(sorted(src.iterdir())):
        for v in range(VERSIONS):
            dest = out / f"第{v + 1}批" / f.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
            with zipfile.ZipFile(dest, "a") as zf:  # same content, different bytes
                zf.comment = f"version {v}".encode()
            when = (deadline - timedelta(days=3) + timedelta(hours=v * 20, minutes=i)).timestamp()
            os.utime(dest, (when, when))
    (out / "空文件.xlsx").write_bytes(b"")
    return out


def returns_count(ledger_path) -> int:
    try:
        conn = sqlite3.connect(f"file:{ledger_path}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM returns").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def run_and_kill(data, inbox, at_least: int | None) -> int | None:
    """Start ``duban collect``; SIGKILL it once the ledger holds ``at_least`` returns."""
    cmd = [
        sys.executable,
        "-m",
        "jobs",
        "--config",
        str(ROOT / "config.toml"),
        "--data-dir",
        str(data),
    ]
    cmd += ["collect", "--period", str(PERIOD), "--inbox", str(inbox)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    if at_least is None:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        return None
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if returns_count(data / "ledger.sqlite") >= at_least:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "collect finished before it could be killed"
    return returns_count(data / "ledger.sqlite")


def state(data) -> dict:
    conn = sqlite3.connect(data / "ledger.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        files = sorted(
            (
                r["sha256"],
                r["size"],
                r["source"],
                r["received_at"],
                os.path.relpath(r["archive_path"], data),
            )
            for r in conn.execute("SELECT * FROM files")
        )
        returns = [
            tuple(r[k] for k in r.keys() if k != "id")
            for r in conn.execute("SELECT * FROM returns ORDER BY id")
        ]
        answers = sorted(tuple(r) for r in conn.execute("SELECT * FROM return_answers"))
        digest = [tuple(r)[:2] for r in conn.execute("SELECT period, digest FROM merges")]
    finally:
        conn.close()
    kept = [
        p for p in (data / "archive").rglob("*") if p.is_file() and not p.name.startswith(".tmp-")
    ]
    records = [p for p in kept if p.name.endswith(f".{PERIOD}.json")]  # arrivals
    archive = sorted(
        (p.relative_to(data).as_posix(), p.stat().st_size) for p in kept if p not in records
    )
    # how each file came in, minus when this run took it (a killed run's rerun differs there)
    arrivals = sorted(
        tuple(a[k] for k in ("sha256", "source", "name", "kind", "first_seen"))
        for a in (json.loads(p.read_text(encoding="utf-8")) for p in records)
    )
    merged = json.loads((data / str(PERIOD) / "merged.json").read_text(encoding="utf-8"))
    merged.pop("generated_at")
    wb = openpyxl.load_workbook(data / str(PERIOD) / "汇总表.xlsx")
    sheets = {ws.title: [[c.value for c in row] for row in ws.iter_rows(min_row=3)] for ws in wb}
    return {
        "files": files,
        "returns": returns,
        "answers": answers,
        "merges": digest,
        "archive": archive,
        "arrivals": arrivals,
        "merged": merged,
        "sheets": sheets,
    }


def test_killed_collect_reruns_to_the_same_state(inbox, tmp_path):
    total = sum(1 for p in inbox.rglob("*") if p.is_file())
    before = {p: p.stat().st_mtime_ns for p in inbox.rglob("*") if p.is_file()}

    reference = tmp_path / "reference"
    app = create_app(ROOT / "config.toml", data_dir=reference, env={})
    summary = collect(
        app.settings, app.assignments, app.workspace, PERIOD, inbox=inbox, now=datetime.now(TZ)
    )
    assert len(summary.new) + len(summary.known) == total

    killed = tmp_path / "killed"
    first = run_and_kill(killed, inbox, at_least=20)
    second = run_and_kill(killed, inbox, at_least=first + 100)
    assert 20 <= first < second < total
    # every file recorded: this kill lands while the merged outputs are being built
    assert run_and_kill(killed, inbox, at_least=len(summary.new)) == len(summary.new)
    assert not (killed / str(PERIOD) / "merged.json").exists()
    run_and_kill(killed, inbox, at_least=None)

    want, got = state(reference), state(killed)
    assert len(got["returns"]) == len(summary.new)
    assert len(got["archive"]) == len(got["files"]) == len(summary.new)  # every file kept once
    # each return's arrival was written before its ledger row: a rebuild can replay it
    assert {a[0] for a in got["arrivals"]} >= {r[0] for r in got["files"]}
    for key in want:
        assert got[key] == want[key], key
    # one more run changes nothing
    mtime = (killed / str(PERIOD) / "汇总表.xlsx").stat().st_mtime_ns
    run_and_kill(killed, inbox, at_least=None)
    assert state(killed) == want
    assert (killed / str(PERIOD) / "汇总表.xlsx").stat().st_mtime_ns == mtime
    assert {p: p.stat().st_mtime_ns for p in inbox.rglob("*") if p.is_file()} == before
