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
