"""Who is chased: a unit whose accepted return is followed by a correction that is rejected,
or held as 待核实, has reported (its accepted return stays in force), so the 催报 neither
mails it nor lists it on the 催报清单; a unit that never reported gets both.

Real forms filled and taken in from the inbox, a real SMTP server on 127.0.0.1, the
催报清单 read back from its .xlsx and .docx.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import docx
import openpyxl
import pytest
from remind_helpers import PERIOD, SmtpServers, Waits, free_port, put_in_inbox, saved_mail
from test_intake_support import fill, make_forms, valid_answers

from reporting.core.calendar import TZ
from reporting.core.ledger import Ledger
from reporting.merge.collect_merge import collect_and_merge
from reporting.notify.remind import send_reminders

UNIT = "区发改委"  # an accepted return on 4月3日, then a correction on 4月5日
MISSING = "区人社局"  # has its form, never returned it
STRANGER = "王五 <wangwu@example.com>"  # registered for no unit: what it sends waits (待核实)
FIRST = datetime(2024, 4, 3, 10, 0, tzinfo=TZ)
CORRECTION = datetime(2024, 4, 5, 10, 0, tzinfo=TZ)
URGE = datetime(2024, 4, 7, 9, 0, tzinfo=TZ)  # 2024Q1's 催报 day (a 调休 Sunday)


@pytest.fixture
def setup(app):
    forms = make_forms(app, [UNIT, MISSING])
    s = app.settings.smtp
    s.host, s.port, s.security, s.sender = "127.0.0.1", free_port(), "none", "duban@yuhui.example"
    servers = SmtpServers(s.port)
    yield app, forms, servers
    servers.stop()


def take_in(app, now: datetime) -> None:
    """What the collect step does: every new file of the inbox into the ledger, merged."""
    with Ledger(app.workspace.ledger_path) as ledger:
        collect_and_merge(
            app.settings, app.assignments, app.workspace, PERIOD, now=now, ledger=ledger
        )


def returns_of(app, unit: str) -> list[str]:
    with Ledger(app.workspace.ledger_path) as ledger:
        return [r["state"] for r in ledger.returns(PERIOD) if r["unit"] == unit]


def correct(app, forms, tmp_path, kind: str) -> None:
    """The unit's correction: a form with a percentage over 100 (rejected), or a valid form
    mailed from an address not registered for the unit (held)."""
    inbox = app.workspace.inbox_dir(PERIOD)
    answers = valid_answers(app, UNIT)
    first = min(k for k in answers if k[0] == "lead")
    answers[first]["progress"] = "更正：召开调度会4次，完成全年任务的三成。"
    if kind == "rejected":
        answers[first]["percent"] = 150
        put_in_inbox(fill(forms[UNIT], inbox / f"{UNIT}（更正）.xlsx", answers), CORRECTION)
    else:
        form = fill(forms[UNIT], tmp_path / f"2024Q1_{UNIT}_进展情况表.xlsx", answers)
        saved_mail(inbox / "更正.eml", sender=STRANGER, attachment=form, when=CORRECTION)


@pytest.mark.parametrize("kind", ["rejected", "held"])
def test_a_correction_not_taken_does_not_make_an_accepted_unit_owe_its_return(
    setup, tmp_path, kind
):
    app, forms, servers = setup
    inbox = app.workspace.inbox_dir(PERIOD)
    answers = valid_answers(app, UNIT)
    put_in_inbox(fill(forms[UNIT], inbox / f"2024Q1_{UNIT}_进展情况表.xlsx", answers), FIRST)
    take_in(app, FIRST + timedelta(hours=1))
    correct(app, forms, tmp_path, kind)
    take_in(app, CORRECTION + timedelta(hours=1))
    # the premise, as the ledger has it: accepted first, the correction not taken
    assert returns_of(app, UNIT) == ["accepted", kind]
    assert returns_of(app, MISSING) == []

    handler = servers()
    summary = send_reminders(
        app.settings,
        app.assignments,
        app.workspace,
        PERIOD,
        stage="催报",
        channels=("email", "list"),
        now=URGE,
        sleep=Waits(),
    )
    # every unit with tasks owes its return, except the one whose accepted return stands
    owing = [u for u in app.assignments.by_unit if u != UNIT]
    address = {u: app.registry.units[u].email for u in app.assignments.by_unit}

    mailed = {msg["To"].addresses[0].addr_spec: msg for _, _, msg in handler.messages}
    assert address[UNIT] not in mailed
    assert address[MISSING] in mailed
    assert mailed[address[MISSING]]["Subject"].startswith("【催报】")
    assert sorted(mailed) == sorted(address[u] for u in owing)
    assert summary.ok and summary.sent == len(owing)

    xlsx, docx_path = summary.chase_list
    ws = openpyxl.load_workbook(xlsx).active
    listed = [row[1] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert UNIT not in listed and MISSING in listed
    assert sorted(listed) == sorted(owing)
    assert f"未报送合格表格的单位共 {len(owing)} 个" in ws["A2"].value
    table = docx.Document(str(docx_path)).tables[0]
    in_docx = [row.cells[1].text for row in table.rows[1:]]
    assert UNIT not in in_docx and MISSING in in_docx
    assert sorted(in_docx) == sorted(owing)
