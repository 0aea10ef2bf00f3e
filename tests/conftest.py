"""Shared fixtures: the bundled data, an App on a temporary data dir, and a CLI runner."""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobs.app import create_app

ROOT = Path(__file__).resolve().parent.parent

office = pytest.mark.office  # needs LibreOffice; skipped (with the reason) where it is missing


def pytest_collection_modifyitems(config, items):
    if shutil.which("soffice") is None:
        skip = pytest.mark.skip(reason="LibreOffice (soffice) not installed")
        for item in items:
            if "office" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """No DUBAN_* variable of the shell (or of an earlier test) leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("DUBAN_"):
            monkeypatch.delenv(name)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def app(data_dir):
    """The bundled config, tasks and units, with a fresh data dir."""
    return create_app(ROOT / "config.toml", data_dir=data_dir, env={})


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture
def duban(data_dir, monkeypatch):
    """Run the ``duban`` CLI in-process: duban("check") → Result(code, out, err)."""
    from jobs.cli import main

    def run(*args: str, config: Path | None = None, data: Path | None = None) -> Result:
        argv = [
            "--config",
            str(config or ROOT / "config.toml"),
            "--data-dir",
            str(data or data_dir),
            *args,
        ]
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return Result(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture(scope="session")
def demo_year(tmp_path_factory):
    """``duban demo``: the four quarters of 2024 with simulated returns, run once per session
    (test_demo, the 配合反馈 and year-end tests read it): (outcome, printed text, app)."""
    import io
    from contextlib import redirect_stdout

    from jobs.demo import run_demo

    target = tmp_path_factory.mktemp("demo") / "demo"
    app = create_app(ROOT / "config.toml", env={})
    buf = io.StringIO()
    with redirect_stdout(buf):
        outcome = run_demo(app, target)
    return outcome, buf.getvalue(), app
