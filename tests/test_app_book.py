"""``App.book``: a period's task book is built once while nothing it is built from changes
(a step asks for it several times); an approved change or a reloaded task table gives a
new one."""

from __future__ import annotations

import pytest

from reporting.core.changes import ChangeRequest
from reporting.core.ledger import Ledger
from reporting.taskbook import changes

CLOSE_8_2 = {  # 区发改委 asks to close task 8.2 in 2024Q1
    "period": "2024Q1",
    "no": 0,
    "key": "k#1",
    "task_id": "8.2",
    "kind": "销号",
    "unit": "区发改委",
    "received_at": "2024-04-02T09:00:00+08:00",
    "reason": "项目已投产",
}


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-12T10:00:00+08:00")


def test_the_book_is_kept_until_a_change_is_approved(app, duban, clock):
    first = app.book("2024Q2")
    assert app.book("2024Q2") is first
    assert app.book("2024Q3") is not first
    assert "8.2" in {t.id for t in first.tasks} and not first.closed_ids
    with Ledger(app.workspace.ledger_path) as ledger:
        changes.submit(ledger, app.workspace.root, ChangeRequest(**CLOSE_8_2))
    assert app.book("2024Q2") is first  # only requested: nothing in force
    r = duban("changes", "--period", "2024Q1", "--approve", "1", "--doc", "禹政秘〔2024〕12号")
    assert r.code == 0, r.output
    after = app.book("2024Q2")
    assert after is not first and after.closed_ids == {"8.2"}
    assert "8.2" not in {t.id for t in after.tasks}
    app.reload_tasks()
    assert app.book("2024Q2") is not after
