"""A hostile or busy mailbox never stops the intake (a real Dovecot, tests/imap_server.py): a
mail that cannot be taken is set aside with its reason, a correction is a new mail even
with the same Message-ID and size, a forwarded return is a return, and a mail deleted by
another client is no failure."""

from __future__ import annotations

import imap_helpers as h
import pytest
from imap_helpers import DONE, OTHER, Q1, at, make_app
from imap_server import skip_reason

from reporting.intake import imap as imap_mod
from reporting.sample import mails

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
server = pytest.fixture(h.dovecot)


def fetch(app):
    """One fetch of the 2024Q1 mailbox."""
    with app.ledger() as ledger:
        return imap_mod.fetch_mailbox(
            app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=h.NOW
        )


def many_parts(n: int) -> bytes:
    parts = [(f"说明{i}.txt", f"第{i}部分".encode()) for i in range(n)]
    return mails.reply_mail("陌生人 <x@evil.example>", "请查收", at(1), "<parts@x>", parts)


def test_a_mail_of_250_parts_is_set_aside_and_the_replies_behind_it_are_taken(
    server, app, tmp_path, duban, monkeypatch
):
    app = make_app(server, app.settings.data_dir)
    units = list(app.assignments.by_unit)[:3]
    bad = many_parts(250)
    server.append(
        [(bad, at(1))]
        + [
            (h.reply(app, u, h.filled_form(app, u, tmp_path), at(3), i), at(3))
            for i, u in enumerate(units)
        ]
    )
    s = fetch(app)
    assert len(s.taken) == 3 and s.ok, s.lines()
    assert len(s.set_aside) == 1 and "部分超过" in s.set_aside[0][1]
    assert server.uids("INBOX") == [] and len(server.uids(OTHER)) == 1
    assert len(server.uids(DONE)) == 3
    assert any("无法处理，已放在一边（移入邮箱文件夹“duban/其他”）" in line for line in s.lines())
    with app.ledger() as ledger:
        states = sorted(r["state"] for r in ledger.imap_mails(Q1))
        info = imap_mod.mailbox_status(ledger, Q1)
    assert states == ["set_aside", "stored", "stored", "stored"]
    assert info["failed"] == [] and len(info["set_aside"]) == 1
    again = fetch(app)
    assert again.taken == [] and again.set_aside == [] and again.ok
    # the steps after collect are not held back by it

    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-09T09:00:00+08:00")
    out = duban("status", "--period", "2024Q1").out
    assert "无法处理，已放在一边：邮件“请查收”" in out and "部分超过 200 个" in out


def test_a_correction_with_the_same_message_id_and_size_is_taken(server, app):
    app = make_app(server, app.settings.data_dir)
    email = app.registry.units["区发改委"].email
    first = mails.reply_mail(f"<{email}>", "回复", at(2), "<same@x>", [("表.xlsx", b"A" * 900)])
    second = mails.reply_mail(f"<{email}>", "回复", at(2), "<same@x>", [("表.xlsx", b"B" * 900)])
    assert len(first) == len(second) and first != second
    server.append([(first, at(2))])
    assert len(fetch(app).taken) == 1
    server.append([(second, at(3))])
    s = fetch(app)
    assert len(s.taken) == 1 and s.known == 0, s.lines()
    assert len(list((app.workspace.inbox_dir(Q1) / "邮箱").glob("*.eml"))) == 2
    # the very same bytes again (copied back by a client) are still known
    server.append([(second, at(4))])
    s = fetch(app)
    assert s.taken == [] and s.known == 1


def test_a_return_sent_by_a_forwarding_rule_is_a_return_an_auto_reply_is_not(server, app, tmp_path):
    app = make_app(server, app.settings.data_dir)
    unit = "区发改委"
    data = h.reply(app, unit, h.filled_form(app, unit, tmp_path), at(3), 1)
    forwarded = b"Auto-Submitted: auto-forwarded\r\n" + data
    replied = b"Auto-Submitted: auto-replied\r\n" + mails.auto_reply(
        f"<{app.registry.units[unit].email}>", at(3), "<auto@x>"
    )
    server.append([(forwarded, at(3)), (replied, at(3))])
    s = fetch(app)
    assert len(s.taken) == 1 and [k for k, _ in s.other] == ["自动回复"], s.lines()


def test_a_mail_deleted_by_another_client_after_it_was_stored_is_no_failure(
    server, app, tmp_path, monkeypatch
):
    app = make_app(server, app.settings.data_dir)
    server.append(h.unit_replies(app, 2, tmp_path))
    original = imap_mod._Fetch.file_away

    def delete_first_then_file_away(self, done):
        if done:
            with server.client() as other:  # the clerk's mail program deletes one meanwhile
                other.select_folder("INBOX")
                other.delete_messages([done[0][0]])
                other.expunge()
        return original(self, done)

    monkeypatch.setattr(imap_mod._Fetch, "file_away", delete_first_then_file_away)
    s = fetch(app)
    assert s.ok and s.error == "" and len(s.taken) == 2, s.lines()
    assert s.gone == 1 and s.moved == 1 and len(server.uids(DONE)) == 1
    assert len(list((app.workspace.inbox_dir(Q1) / "邮箱").glob("*.eml"))) == 2
    monkeypatch.setattr(imap_mod._Fetch, "file_away", original)
    again = fetch(app)
    assert again.ok and again.taken == [] and again.gone == 0


def test_a_bounce_is_believed_only_from_a_mail_system_and_for_a_mail_we_sent(server, app):
    app = make_app(server, app.settings.data_dir)
    fgw, czj = (app.registry.units[u].email for u in ("区发改委", "区财政局"))
    ids = {}
    with app.ledger() as ledger:
        for unit in ("区发改委", "区财政局"):
            claim = ledger.claim_send(Q1, unit, "通知", "email", at="2024-03-29T09:00:00+08:00")
            ledger.complete_send(claim, "sent", at="2024-03-29T09:00:00+08:00")
            ids[unit] = f"<{ledger.claim_message_id(claim)}@dcb.example.gov.cn>"
    daemon = b"From: Mail Delivery System <MAILER-DAEMON@mail.example.gov.cn>"
    # one unit's own address "reports" that another unit's notice bounced
    forged = mails.bounce(fgw, at(1), "<f@x>", ids["区发改委"]).replace(
        daemon, f"From: <{czj}>".encode()
    )
    unknown = mails.bounce(fgw, at(1), "<u@x>", "<someone-else@dcb.example.gov.cn>")
    real = mails.bounce(czj, at(2), "<r@x>", ids["区财政局"])
    server.append([(forged, at(1)), (unknown, at(1)), (real, at(2))])
    s = fetch(app)
    with app.ledger() as ledger:
        assert ledger.was_sent(Q1, "区发改委", "通知", "email")
        assert not ledger.was_sent(Q1, "区财政局", "通知", "email")
    assert [k for k, _ in s.other] == ["自称退信但不是邮件系统发出（未采信）", "退信", "退信"]
    assert any("someone-else@dcb.example.gov.cn" in b and "未采信" in b for b in s.bounces)
    assert any(b.startswith("区财政局 的通知邮件被退回") for b in s.bounces), s.bounces
    assert not any(b.startswith("区发改委") for b in s.bounces)


def test_a_q2_reply_met_by_a_q1_collect_is_handed_to_q2(server, app, tmp_path, duban, monkeypatch):
    """July: a late ``collect --period 2024Q1`` meets a unit's Q2 reply in the mailbox. It is
    no wrong form of Q1: no 退回通知, nothing recorded for Q1; Q2's collect takes it."""
    import random
    from datetime import datetime

    from reporting.core.calendar import TZ
    from reporting.core.periods import Period
    from reporting.forms.build import build_forms
    from reporting.sample.returns import fill_form, unit_answers

    q2, july = Period(2024, 2), datetime(2024, 7, 3, 10, 0, tzinfo=TZ)
    live = make_app(server, app.settings.data_dir)
    unit = "区发改委"
    for period in (Q1, q2):
        build_forms(live.settings, live.assignments, live.workspace, period, units=[unit], now=july)
    answers = unit_answers(live.assignments, unit, q2, random.Random(3))
    fill_form(live.workspace.form_path(q2, unit), tmp_path / "q2.xlsx", answers, {})
    data = mails.reply_mail(
        f"{unit} <{live.registry.units[unit].email}>",
        mails.SUBJECT.format(label="2024年第二季度"),
        july,
        "<q2@x>",
        [(f"{unit}2024年第二季度进展情况表.xlsx", (tmp_path / "q2.xlsx").read_bytes())],
    )
    server.append([(data, july)])
    outbox = tmp_path / "outbox"
    for k, v in h.imap_env(server).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DUBAN_SMTP_OUTBOX", str(outbox))
    monkeypatch.setenv("DUBAN_SMTP_SENDER", "duban@yuhui.example")
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-07-03T12:00:00+08:00")
    r = duban("collect", "--period", "2024Q1", "--force")
    assert r.code == 0, r.output
    assert "这是2024年第二季度的报送，已转到该季度的收件目录" in r.out
    with live.ledger() as ledger:
        assert ledger.returns(Q1) == []
    assert not list(outbox.glob("*退回通知*")) and not list(outbox.glob("*回执*"))
    r = duban("collect", "--period", "2024Q2", "--no-mailbox")
    assert r.code == 0, r.output
    with live.ledger() as ledger:
        (row,) = ledger.returns(q2)
    assert row.unit == unit and row.state != "unidentified"
    assert row.received_at == "2024-07-03T10:00:00+08:00"  # the server's INTERNALDATE
