"""The forms and the 通知 of one run go together (``runner.forms_and_notice``): a unit's
通知 leaves only once its form is on disk and recorded, while later forms are still being
written; a failed form keeps its unit's 通知 back and both steps open; a kill at any moment
leaves nothing sent twice and nothing lost."""

from __future__ import annotations

import email
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from remind_helpers import logged_send

from jobs.app import create_app
from jobs.runner import run_cycle
from reporting.core.ledger import Ledger
from reporting.notify.delivery import MailChannel

ROOT = Path(__file__).resolve().parent.parent
Q1 = "2024Q1"
NOTICE_AT = datetime(2024, 3, 29, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
BATCH = 8  # forms recorded per commit here: the 50 units' forms take several


@pytest.fixture
def mail_app(tmp_path, monkeypatch):
    monkeypatch.setattr("reporting.forms.build.LEDGER_BATCH", BATCH)
    outbox = tmp_path / "outbox"
    return create_app(ROOT / "config.toml", tmp_path / "data", {"DUBAN_SMTP_OUTBOX": str(outbox)})


def killed_run(app, hook: str) -> None:
    """The notice day's ``run_cycle`` on ``app``'s data in a subprocess (forms recorded
    ``BATCH`` a commit) after ``hook`` (code that patches it to be SIGKILLed): it was."""
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from datetime import datetime
        from pathlib import Path
        from jobs.app import create_app
        from jobs.runner import run_cycle
        from reporting.core import fileutil
        from reporting.notify.delivery import MailChannel
        import reporting.forms.build as build
        sys.path.insert(0, "tests")
        from remind_helpers import logged_send

        build.LEDGER_BATCH = {BATCH}
        """
    )
    code += textwrap.dedent(hook) + textwrap.dedent(
        f"""
        app = create_app("config.toml", {str(app.workspace.root)!r},
                         {{"DUBAN_SMTP_OUTBOX": {str(app.settings.smtp.outbox)!r}}})
        run_cycle(app, "{Q1}", now=datetime.fromisoformat({NOTICE_AT.isoformat()!r}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert proc.returncode == -9, proc.stderr


def recorded_forms(ledger_path: Path) -> set[str]:
    """The units whose form another process sees recorded."""
    conn = sqlite3.connect(ledger_path)
    try:
        return {u for (u,) in conn.execute("SELECT unit FROM forms WHERE period=?", (Q1,))}
    finally:
        conn.close()


def attached(eml: Path) -> bytes:
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    (part,) = [p for p in msg.iter_attachments() if p.get_filename().endswith(".xlsx")]
    return part.get_content()


def notices(app) -> dict[str, Path]:
    outbox = Path(app.settings.smtp.outbox)
    return {p.stem.split("_", 2)[2]: p for p in outbox.glob(f"{Q1}_通知_*.eml")}


def test_each_notice_leaves_after_its_form_is_recorded_while_later_forms_are_written(
    mail_app, monkeypatch
):
    units = list(mail_app.assignments.by_unit)
    seen: list[tuple[str, set[str]]] = []
    real = MailChannel.send

    def watching(self, message):
        unit = message.label.split("_", 2)[2]
        assert message.attachment.exists()
        seen.append((unit, recorded_forms(mail_app.workspace.ledger_path)))
        return real(self, message)

    monkeypatch.setattr(MailChannel, "send", watching)
    report = run_cycle(mail_app, Q1, now=NOTICE_AT)
    assert [(r.step, r.state) for r in report.results[:3]] == [
        ("forms", "ran"),
        ("通知", "ran"),
        ("collect", "ran"),
    ]
    assert [u for u, _ in seen] == units
    for unit, recorded in seen:
        assert unit in recorded  # its form committed before its mail left
    assert len(seen[0][1]) < len(units)  # the first mails went out before the last forms
    sent = notices(mail_app)
    assert sorted(sent) == sorted(units)
    for unit, eml in sent.items():
        assert attached(eml) == mail_app.workspace.form_path(Q1, unit).read_bytes()
    with Ledger(mail_app.workspace.ledger_path) as ledger:
        assert ledger.step_done(Q1, "forms") and ledger.step_done(Q1, "通知")
        assert set(ledger.forms(Q1)) == set(units)


def test_a_failed_form_keeps_its_units_notice_back_and_both_steps_open(mail_app):
    units = list(mail_app.assignments.by_unit)
    blocked = mail_app.workspace.form_path(Q1, units[20])
    blocked.mkdir(parents=True)  # a folder where the form should go: writing it fails
    report = run_cycle(mail_app, Q1, now=NOTICE_AT)
    forms, notice = report.by_step("forms"), report.by_step("通知")
    assert forms.state == "partial" and f"{units[20]}：表单生成失败" in "\n".join(forms.lines)
    assert notice.state == "partial"
    assert notice.reason == "1 个单位的表单没有生成，没有给它们发通知；表单生成后下次运行补发"
    assert f"以下单位还没有生成表单，本次不发通知：{units[20]}" in "\n".join(notice.lines)
    assert "邮件：已发送 49" in notice.lines
    assert sorted(notices(mail_app)) == sorted(set(units) - {units[20]})
    with Ledger(mail_app.workspace.ledger_path) as ledger:
        assert ledger.step_done(Q1, "forms") is None and ledger.step_done(Q1, "通知") is None

    blocked.rmdir()
    report = run_cycle(mail_app, Q1, now=NOTICE_AT)
    assert report.by_step("forms").state == "ran" and report.by_step("通知").state == "ran"
    assert "邮件：已发送 1，此前已发送 49" in report.by_step("通知").lines
    assert sorted(notices(mail_app)) == sorted(units)


def test_forms_that_cannot_start_skip_the_notice_as_before(mail_app, monkeypatch):
    from reporting.core.exceptions import FormError

    def broken(*a, **kw):
        raise FormError("任务表有错误")

    monkeypatch.setattr("reporting.forms.build._refuse_broken_table", broken)
    report = run_cycle(mail_app, Q1, now=NOTICE_AT)
    assert report.by_step("forms").state == "failed"
    assert report.by_step("通知").state == "skipped"
    assert report.by_step("通知").reason == "表单还没有生成，先处理上面“生成表单”的问题"
    assert not notices(mail_app)


@pytest.mark.parametrize("kill_at", [1, 13, 50])
def test_a_kill_while_forms_and_notices_interleave_sends_nothing_twice(
    mail_app, monkeypatch, kill_at
):
    """Killed (SIGKILL) right after its ``kill_at``-th mail was written: the rerun sends
    every other unit its 通知 once, that one is 可能已发出, and every mail carries the
    form on disk."""
    log = mail_app.workspace.root / "sent.log"
    killed_run(mail_app, f"MailChannel.send = logged_send(Path({str(log)!r}), kill_at={kill_at})")
    before = log.read_text().split()
    assert len(before) == kill_at
    monkeypatch.setattr(MailChannel, "send", logged_send(log))
    report = run_cycle(mail_app, Q1, now=NOTICE_AT)
    assert report.by_step("forms").state == "ran"
    every = log.read_text().split()
    assert len(every) == len(set(every))  # nothing sent twice
    units = list(mail_app.assignments.by_unit)
    assert sorted(every) == sorted(units[: kill_at - 1] + units[kill_at:] + [before[-1]])
    assert before[-1] == units[kill_at - 1]
    with Ledger(mail_app.workspace.ledger_path) as ledger:
        states = {c["unit"]: c["state"] for c in ledger.claims(Q1)}
        assert states == {**dict.fromkeys(units, "sent"), units[kill_at - 1]: "uncertain"}
        assert set(ledger.forms(Q1)) == set(units)
    for unit, eml in notices(mail_app).items():
        assert attached(eml) == mail_app.workspace.form_path(Q1, unit).read_bytes()


def test_a_kill_between_a_forms_batch_on_disk_and_its_record_loses_no_notice(mail_app, monkeypatch):
    """Killed when the third batch of forms is on disk but not yet recorded (the first two
    batches' units notified): the rerun writes and records the rest and notifies every
    other unit once; nothing is 可能已发出, as no mail was leaving."""
    log = mail_app.workspace.root / "sent.log"
    killed_run(
        mail_app,
        f"""
        MailChannel.send = logged_send(Path({str(log)!r}))
        real, calls = fileutil.SyncLater.sync, []

        def sync(self):
            real(self)
            calls.append(1)
            if len(calls) == 3:
                os.kill(os.getpid(), signal.SIGKILL)

        fileutil.SyncLater.sync = sync
        """,
    )
    units = list(mail_app.assignments.by_unit)
    assert log.read_text().split() == units[: 2 * BATCH]
    assert recorded_forms(mail_app.workspace.ledger_path) == set(units[: 2 * BATCH])
    monkeypatch.setattr(MailChannel, "send", logged_send(log))
    report = run_cycle(mail_app, Q1, now=NOTICE_AT)
    assert report.by_step("forms").state == "ran" and report.by_step("通知").state == "ran"
    assert log.read_text().split() == units  # each once, in order
    with Ledger(mail_app.workspace.ledger_path) as ledger:
        assert {c["unit"]: c["state"] for c in ledger.claims(Q1)} == dict.fromkeys(units, "sent")
    for unit, eml in notices(mail_app).items():
        assert attached(eml) == mail_app.workspace.form_path(Q1, unit).read_bytes()
