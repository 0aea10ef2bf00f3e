"""The clerk's slips at collect: ``--inbox`` pointed at the period folder (``var/2024Q1``,
``/inbox`` forgotten) or at a copy of duban's own outputs is refused before anything is
taken or mailed; a blank form of ours dropped in the inbox is set aside, never answered
with a 退回通知."""

from __future__ import annotations

import shutil

import pytest
from test_intake_support import UNIT, make_forms

from reporting.core.ledger import Ledger
from reporting.core.periods import Period

PERIOD = Period(2024, 1)


@pytest.fixture
def office(app, tmp_path, monkeypatch):
    make_forms(app, [UNIT, "长青乡"])
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("DUBAN_SMTP_OUTBOX", str(outbox))
    monkeypatch.setenv("DUBAN_SMTP_SENDER", "duban@yuhui.example")
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-03T10:00:00+08:00")
    return app, outbox


def nothing_taken(app, outbox) -> None:
    with Ledger(app.workspace.ledger_path) as ledger:
        assert ledger.returns(PERIOD) == []
    assert not outbox.exists() or not list(outbox.glob("*.eml"))


@pytest.mark.parametrize("where", ["period", "data", "forms", "copy"])
def test_an_inbox_holding_dubans_own_outputs_is_refused(office, duban, tmp_path, where):
    app, outbox = office
    folder = {
        "period": app.workspace.period_dir(PERIOD),  # --inbox var/2024Q1 (forgot /inbox)
        "data": app.workspace.root,
        "forms": app.workspace.forms_dir(PERIOD),
        "copy": tmp_path / "备份" / "2024Q1",  # a copy of the period folder elsewhere
    }[where]
    if where == "copy":
        shutil.copytree(app.workspace.period_dir(PERIOD), folder)
    r = duban("collect", "--period", "2024Q1", "--no-mailbox", "--inbox", str(folder))
    assert r.code == 1, r.output
    assert "不能作为收件目录" in r.err and "程序内部出错" not in r.err
    assert str(app.workspace.inbox_dir(PERIOD)) in r.err  # says where the returns go
    nothing_taken(app, outbox)


def test_a_blank_form_of_ours_is_set_aside_without_a_notice(office, duban):
    app, outbox = office
    inbox = app.workspace.inbox_dir(PERIOD)
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copy(app.workspace.form_path(PERIOD, UNIT), inbox / "发改委报表.xlsx")
    r = duban("collect", "--period", "2024Q1", "--no-mailbox")
    assert r.code == 0, r.output
    assert "发改委报表.xlsx：这是本办下发的空白表单（没有填写），未作为报送处理" in r.out
    nothing_taken(app, outbox)
    s = duban("status", "--period", "2024Q1")
    assert "收件目录中未处理：发改委报表.xlsx：这是本办下发的空白表单" in s.out
