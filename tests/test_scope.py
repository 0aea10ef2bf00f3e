"""Periods outside ``[schedule] years`` (the bundled config: 2024) are refused by the
commands that write or send, unless ``--force``; ``duban check`` warns when the current
year is not configured."""

from __future__ import annotations

import pytest

REFUSED = "不在配置的报送年度内（config.toml [schedule] years = [2024]）"


@pytest.mark.parametrize(
    "args",
    [
        ("forms", "--period", "2099Q1"),
        ("remind", "--period", "1900Q1", "--stage", "通知"),
        ("remind", "--period", "2099Q1", "--stage", "通知", "--channel", "list"),
        ("collect", "--period", "2099Q1"),
        ("report", "--period", "2025年第一季度"),
        ("run", "--period", "1900Q1"),
    ],
    ids=lambda a: "-".join(a[:2]),
)
def test_a_period_outside_the_years_is_refused_and_nothing_is_written(duban, data_dir, args):
    r = duban(*args)
    assert r.code == 1, r.output
    assert "程序内部出错" not in r.output
    assert REFUSED in r.err and "请检查 --period 是否写错" in r.err and "--force" in r.err
    period_dirs = [p.name for p in data_dir.iterdir() if p.is_dir()] if data_dir.exists() else []
    assert not [d for d in period_dirs if d[:4] in ("1900", "2099", "2025")]
    if (data_dir / "ledger.sqlite").exists():
        import sqlite3

        with sqlite3.connect(data_dir / "ledger.sqlite") as db:
            assert db.execute("select count(*) from sends").fetchone() == (0,)
            assert db.execute("select count(*) from forms").fetchone() == (0,)


def test_force_processes_the_period_anyway(duban, data_dir):
    r = duban("forms", "--period", "2025Q1", "--unit", "区发改委", "--force")
    assert r.code == 0, r.output
    assert list((data_dir / "2025Q1" / "forms").glob("*.xlsx"))
    r = duban("report", "--period", "2025Q1", "--force")
    assert r.code == 0, r.output
    assert list((data_dir / "2025Q1" / "report").glob("*.docx"))


def test_in_scope_needs_no_force(duban, data_dir):
    assert duban("forms", "--period", "2024Q1").code == 0  # (a period with nothing is refused)
    r = duban("report", "--period", "2024Q1")
    assert r.code == 0 and REFUSED not in r.output


def test_check_warns_when_the_current_year_is_not_configured(duban, monkeypatch):
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2025-02-10T09:00:00+08:00")
    r = duban("check")
    assert "提示：报送年度：[schedule] years = [2024] 不含今年（2025）" in r.out
    assert "请把 2025 加到 config.toml 的 [schedule] years" in r.out
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-02-10T09:00:00+08:00")
    r = duban("check")
    assert "报送年度" not in r.out
