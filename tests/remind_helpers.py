"""Shared pieces of the reminder tests: forms on disk, returns in the ledger, free ports."""

from __future__ import annotations

import hashlib
import shutil
import socket
from pathlib import Path

from reporting.ledger import Ledger
from reporting.periods import Period

PERIOD = Period(2024, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_forms_once(app) -> Path:
    """Every unit's 2024Q1 form, built by ``reporting.forms`` (or a tiny stand-in)."""
    try:
        from reporting.forms import build_forms
    except ImportError:  # forms not there yet: one small workbook per unit
        from openpyxl import Workbook

        for unit in app.assignments.by_unit:
            path = app.workspace.form_path(PERIOD, unit)
            path.parent.mkdir(parents=True, exist_ok=True)
            wb = Workbook()
            wb.active["A1"] = unit
            wb.save(path)
    else:
        build_forms(app.settings, app.assignments, app.workspace, PERIOD)
    return app.workspace.forms_dir(PERIOD)


def install_forms(source: Path, app) -> None:
    shutil.copytree(source, app.workspace.forms_dir(PERIOD), dirs_exist_ok=True)


def add_return(
    app, unit: str, state: str, problems=(), received_at="2024-04-03T10:00:00+08:00"
) -> None:
    """A return as intake records it (accepted / rejected with problem dicts)."""
    import json

    sha = hashlib.sha256(f"{unit}{state}{received_at}".encode()).hexdigest()
    with Ledger(app.workspace.ledger_path) as ledger:
        ledger.conn.execute(
            "INSERT INTO returns (period, unit, sha256, source, state, problems, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                str(PERIOD),
                unit,
                sha,
                f"{unit}.xlsx",
                state,
                json.dumps(list(problems), ensure_ascii=False),
                received_at,
            ),
        )


def sends(app) -> list[dict]:
    with Ledger(app.workspace.ledger_path) as ledger:
        return [dict(r) for r in ledger.sends(str(PERIOD))]
