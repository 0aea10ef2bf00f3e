"""Returns from the office mailbox: a real Dovecot on 127.0.0.1 (tests/imap_server.py) filled
with APPEND (INTERNALDATE included), fetched by ``duban collect`` and the scheduler."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest
from conftest import ROOT
from imap_helpers import (
    DONE,
    NOW,
    OTHER,
    Q1,
    at,
    dovecot,
    filled_form,
    imap_env,
    make_app,
    reply,
    unit_replies,
)
from imap_server import PASSWORD, USER, Dovecot, skip_reason

from jobs.app import create_app
from reporting.core.exceptions import ImapError
from reporting.core.ledger import Ledger
from reporting.intake import imap as imap_mod
from reporting.intake.imap import fetch_mailbox
from reporting.sample import mails

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
server = pytest.fixture(dovecot)


def test_fetch_takes_replies_moves_them_and_a_rerun_fetches_nothing(server, app, tmp_path):
    app = make_app(server, app.settings.data_dir)
    units = list(app.assignments.by_unit)[:3]
    server.append(
        [
            (reply(app, u, filled_form(app, u, tmp_path), at(3), i), at(3, 11))
            for i, u in enumerate(units)
        ]
    )
    with app.ledger() as ledger:
        s = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
    assert len(s.taken) == 3 and s.moved == 3 and s.ok, s.lines()
    assert server.uids("INBOX") == []
    assert len(server.uids(DONE)) == 3
    assert "duban" in server.folders() and DONE in server.folders()
    stored = sorted((app.workspace.inbox_dir(Q1) / "邮箱").glob("*.eml"))
    assert len(stored) == 3
    assert stored[0].stat().st_mtime == at(3, 11).timestamp()  # INTERNALDATE, not Date:
    with app.ledger() as ledger:
        again = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
        rows = ledger.imap_mails(Q1)
    assert again.taken == [] and again.known == 0 and again.moved == 0
    assert {r["state"] for r in rows} == {"stored"} and {r["moved"] for r in rows} == {DONE}
    assert rows[0]["internaldate"] == "2024-04-03T11:00:00+08:00"


def test_wrong_password_is_a_chinese_error_and_nothing_is_done(server, app, duban, monkeypatch):
    env = imap_env(server, DUBAN_IMAP_PASSWORD="wrong")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    server.append([(mails.ack_reply("a@x.cn", at(3), "<1@x>"), at(3))])
    bad = create_app(ROOT / "config.toml", data_dir=app.settings.data_dir, env=env)
    with Ledger(bad.workspace.ledger_path) as ledger, pytest.raises(ImapError) as err:
        fetch_mailbox(bad.settings, bad.registry, bad.workspace, Q1, ledger=ledger, now=NOW)
    assert "登录邮箱 duban@example.cn" in str(err.value) and "DUBAN_IMAP_PASSWORD" in str(err.value)
    with Ledger(bad.workspace.ledger_path) as ledger:
        assert ledger.imap_mails(Q1) == [] and ledger.last_fetch(Q1) is None
    assert server.uids("INBOX") == [1]
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-03T12:00:00+08:00")
    r = duban("collect", "--period", "2024Q1", "--no-receipts")
    assert r.code == 1
    assert r.out.startswith("收件邮箱未能收取：登录邮箱 duban@example.cn（127.0.0.1:")
    assert "Traceback" not in r.output and "程序内部出错" not in r.output


def test_connection_refused_and_an_unverified_certificate(tmp_path, app):
    from imap_server import free_port

    port = free_port()
    refused = create_app(
        ROOT / "config.toml",
        data_dir=app.settings.data_dir,
        env={
            "DUBAN_IMAP_HOST": "127.0.0.1",
            "DUBAN_IMAP_PORT": str(port),
            "DUBAN_IMAP_USER": USER,
            "DUBAN_IMAP_PASSWORD": PASSWORD,
        },
    )
    with pytest.raises(ImapError, match=f"无法连接邮箱服务器 127.0.0.1:{port}（连接被拒绝"):
        imap_mod.connect(refused.settings)


def test_tls_is_verified_and_an_internal_ca_file_is_accepted(tmp_path, app):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server = Dovecot(tls=ca).start()
    try:
        env = imap_env(server, DUBAN_IMAP_SECURITY="starttls")
        plain = create_app(ROOT / "config.toml", data_dir=app.settings.data_dir, env=env)
        with pytest.raises(ImapError, match="证书无法验证.*ca_file"):
            imap_mod.connect(plain.settings)
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        env["DUBAN_IMAP_CA_FILE"] = str(tmp_path / "ca.pem")
        trusted = create_app(ROOT / "config.toml", data_dir=app.settings.data_dir, env=env)
        line = imap_mod.check_mailbox(trusted.settings)
        assert "登录成功：文件夹“INBOX”有 0 封邮件，层级分隔符“.”，支持 MOVE" in line
    finally:
        server.close()


def test_non_returns_are_listed_and_a_bounce_marks_the_notice_failed(server, app, tmp_path):
    app = make_app(server, app.settings.data_dir)
    unit = "区发改委"
    email = app.registry.units[unit].email
    with app.ledger() as ledger:
        claim = ledger.claim_send(Q1, unit, "通知", "email", at="2024-03-29T09:00:00+08:00")
        ledger.complete_send(claim, "sent", at="2024-03-29T09:00:00+08:00")
        notice_id = f"<{ledger.claim_message_id(claim)}@dcb.example.gov.cn>"
    server.append(
        [
            (mails.auto_reply(f"王五 <{email}>", at(1), "<auto@x>"), at(1)),
            (mails.bounce(email, at(1), "<dsn@x>", notice_id), at(1)),
            (mails.ack_reply(f"张三 <{email}>", at(2), "<ack@x>"), at(2)),
        ]
    )
    with app.ledger() as ledger:
        s = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
        assert not ledger.was_sent(Q1, unit, "通知", "email")  # remind sends it again
        assert ledger.claim_send(Q1, unit, "通知", "email", at="2024-04-09T08:00:00+08:00")
        row = ledger.sends(Q1)[0]
    assert [k for k, _ in s.other] == ["自动回复", "退信", "没有附件的回复"]
    assert s.taken == [] and len(server.uids(OTHER)) == 3
    assert row["result"] == "failed" and f"退信：{email} 无法送达（5.1.1" in row["detail"]
    assert any(f"{unit} 的通知邮件被退回" in b for b in s.bounces)
    assert not (app.workspace.inbox_dir(Q1) / "邮箱").exists()  # nothing for the intake


def test_a_mail_over_the_size_limit_is_left_on_the_server_and_listed(server, app, tmp_path):
    app = make_app(server, app.settings.data_dir, DUBAN_INTAKE_MAX_FILE_MB="20")
    big = mails.reply_mail(
        "区发改委 <fgw@example.cn>",
        "回复：通知",
        at(3),
        "<big@x>",
        [("扫描件.xlsx", bytes(22 * 1024 * 1024))],
    )
    assert len(big) > 30 * 1024 * 1024 * 0.9  # base64 makes 22 MB about 30 MB
    server.append([(big, at(3))])
    with app.ledger() as ledger:
        s = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
        status = imap_mod.mailbox_status(ledger, Q1)
    assert len(s.too_large) == 1 and "上限 20 MB" in s.too_large[0]
    assert server.uids("INBOX") == [1] and s.taken == []
    assert status["left"] and "回复：通知" in status["left"][0]


def test_server_stopped_midway_resumes_next_run_each_mail_once(server, app, tmp_path, monkeypatch):
    app = make_app(server, app.settings.data_dir)
    server.append(unit_replies(app, 6, tmp_path))
    original = imap_mod._Fetch.one
    seen = []

    def one_then_stop(self, uid, m):
        seen.append(uid)
        if len(seen) == 4:
            server.stop()  # the server goes away while mails are being fetched
        return original(self, uid, m)

    monkeypatch.setattr(imap_mod._Fetch, "one", one_then_stop)
    with app.ledger() as ledger:
        s = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
    assert s.error.startswith("与邮箱服务器的连接中断") and len(s.taken) == 3
    monkeypatch.setattr(imap_mod._Fetch, "one", original)
    server.start()
    with app.ledger() as ledger:
        s2 = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
        rows = ledger.imap_mails(Q1)
    assert s2.ok and len(s2.taken) == 3, s2.lines()
    assert server.uids("INBOX") == [] and len(server.uids(DONE)) == 6
    assert len(list((app.workspace.inbox_dir(Q1) / "邮箱").glob("*.eml"))) == 6
    assert sorted(r["state"] for r in rows) == ["stored"] * 6


def test_a_crash_after_download_before_record_takes_the_mail_once(
    server, app, tmp_path, monkeypatch
):
    app = make_app(server, app.settings.data_dir)
    server.append(
        [(reply(app, "区发改委", filled_form(app, "区发改委", tmp_path), at(3), 1), at(3))]
    )
    original = Ledger.imap_save

    def crash_on_stored(self, key, **fields):
        if fields.get("state") == "stored":
            raise KeyboardInterrupt  # killed between writing the .eml and recording it
        return original(self, key, **fields)

    monkeypatch.setattr(Ledger, "imap_save", crash_on_stored)
    with app.ledger() as ledger, pytest.raises(KeyboardInterrupt):
        fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
    monkeypatch.setattr(Ledger, "imap_save", original)
    with app.ledger() as ledger:
        assert [r["state"] for r in ledger.imap_mails(Q1)] == ["fetching"]
        s = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
        assert [r["state"] for r in ledger.imap_mails(Q1)] == ["stored"]
    assert len(s.taken) == 1
    assert len(list((app.workspace.inbox_dir(Q1) / "邮箱").glob("*.eml"))) == 1


def test_uidvalidity_change_does_not_take_the_same_mail_twice(server, app, tmp_path):
    app = make_app(server, app.settings.data_dir, DUBAN_IMAP_FOLDER="回收")
    data = reply(app, "区发改委", filled_form(app, "区发改委", tmp_path), at(3), 1)
    server.append([(data, at(3))], folder="回收")
    with app.ledger() as ledger:
        fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
    with server.client() as c:  # the folder is rebuilt (server migration): new UIDVALIDITY
        before = c.folder_status("回收", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        c.delete_folder("回收")
    server.append([(data, at(3))], folder="回收")
    with server.client() as c:
        assert c.folder_status("回收", [b"UIDVALIDITY"])[b"UIDVALIDITY"] != before
    with app.ledger() as ledger:
        s = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
        rows = ledger.imap_mails(Q1)
    assert s.taken == [] and s.known == 1 and s.moved == 1
    assert len(rows) == 2 and rows[1]["detail"] == "与此前收取的邮件相同"


def test_without_move_mails_are_flagged_not_deleted(tmp_path, app):
    caps = "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UIDPLUS NAMESPACE"
    server = Dovecot(capabilities=caps).start()
    try:
        app = make_app(server, app.settings.data_dir)
        server.append(
            [(reply(app, "区发改委", filled_form(app, "区发改委", tmp_path), at(3), 1), at(3))]
        )
        with app.ledger() as ledger:
            s = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
            again = fetch_mailbox(
                app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW
            )
        assert s.flagged == 1 and s.moved == 0 and len(s.taken) == 1
        assert set(server.flags()[1]) >= {b"\\Seen", b"$duban"}
        assert again.taken == [] and again.flagged == 0
    finally:
        server.close()


def test_paged_fetch_takes_every_mail(server, app, tmp_path, monkeypatch):
    monkeypatch.setattr(imap_mod, "PAGE", 7)
    app = make_app(server, app.settings.data_dir)
    server.append([(mails.ack_reply(f"u{i}@x.cn", at(3), f"<ack{i}@x>"), at(3)) for i in range(20)])
    with app.ledger() as ledger:
        s = fetch_mailbox(app.settings, app.registry, app.workspace, Q1, ledger=ledger, now=NOW)
    assert len(s.other) == 20 and len(server.uids(OTHER)) == 20


def _acceptance_mailbox(app, tmp_path) -> list[tuple[bytes, datetime]]:
    """45 replies: forms (three re-saved by LibreOffice when it is installed), two from an
    address not in units.csv, an auto-reply, a bounce, a duplicate and a "收到"."""
    from reporting.documents.office import convert, soffice_path

    units = list(app.assignments.by_unit)
    out: list[tuple[bytes, datetime]] = []
    n = 0
    forms = []
    for i, unit in enumerate(units[:39]):
        data = filled_form(app, unit, tmp_path)
        if i < 3 and soffice_path():
            src = tmp_path / "filled" / f"{unit}.xlsx"
            data = convert(src, "xlsx", tmp_path / "resaved" / unit).read_bytes()
        forms.append(data)
        when = at(2 + i % 6, 9 + i % 8)  # some after the deadline (2024-04-08 17:30)
        out.append((reply(app, unit, data, when, n), when))
        n += 1
    for unit in units[39:41]:  # from a private address
        data = filled_form(app, unit, tmp_path)
        out.append((reply(app, unit, data, at(4), n, sender="someone@qq.example"), at(4)))
        n += 1
    email = app.registry.units[units[0]].email
    out.append((mails.auto_reply(f"<{email}>", at(1), "<auto@x>"), at(1)))
    out.append(
        (mails.bounce(app.registry.units[units[45]].email, at(1), "<dsn@x>", "<n@x>"), at(1))
    )
    # the same form sent again a day later (a new mail: its own Date: and Message-ID)
    out.append((reply(app, units[5], forms[5], at(8), n), at(8)))
    out.append((mails.ack_reply(f"<{email}>", at(2), "<ack@x>"), at(2)))
    assert len(out) == 45
    return out


def _rows(app):
    with app.ledger() as ledger:
        return ledger.returns(Q1)


def _returns(ledger, period) -> list[tuple]:
    return sorted(
        (r["unit"], r["state"], r["late"], r["received_at"], r["sha256"])
        for r in ledger.returns(period)
    )


@pytest.mark.slow
def test_acceptance_45_replies_equal_a_collect_of_the_same_files_by_hand(
    server, app, tmp_path, duban, monkeypatch
):
    app = make_app(server, app.settings.data_dir)
    box = _acceptance_mailbox(app, tmp_path)
    server.append(box)
    for k, v in imap_env(server).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-09T08:00:00+08:00")
    r = duban("collect", "--period", "2024Q1", "--no-receipts")
    assert r.code == 0, r.output
    assert (
        "收件邮箱 duban@example.cn@127.0.0.1/INBOX：新收报送邮件 42 封，非报送邮件 3 封。" in r.out
    )
    assert server.uids("INBOX") == [] and len(server.uids(DONE)) == 42
    assert len(server.uids(OTHER)) == 3
    with app.ledger() as ledger:
        fetched = _returns(ledger, Q1)
    assert len({row[4] for row in fetched}) == len(fetched)  # each form once
    # 41 forms (one of the sample answers is rightly rejected: 滞后 without 存在问题)
    assert len(fetched) == 41 and len({row[0] for row in fetched}) == 41
    # the sender check (From vs units.csv) applies to mailbox returns too: the two sent from
    # an address not registered for their unit are held as 待核实, not merged
    with app.ledger() as ledger:
        held = ledger.reviews(Q1)
    assert sorted(h["sender"].split("<")[-1] for h in held) == ["someone@qq.example>"] * 2
    assert sum(1 for row in fetched if row[1] == "accepted") >= 37
    r2 = duban("collect", "--period", "2024Q1", "--no-receipts")
    assert "新收报送邮件 0 封" in r2.out and "本次新收 0 份" in r2.out

    # the same .eml files dropped by hand into another data dir give the same returns
    hand = create_app(ROOT / "config.toml", data_dir=tmp_path / "hand", env={})
    hand.ledger().close()  # the ledger first, as when the forms are built
    shutil.copytree(app.workspace.forms_dir(Q1), hand.workspace.forms_dir(Q1))
    inbox = hand.workspace.inbox_dir(Q1)
    inbox.mkdir(parents=True)
    for f in (app.workspace.inbox_dir(Q1) / "邮箱").glob("*.eml"):
        shutil.copy2(f, inbox / f.name)
    r3 = duban("collect", "--period", "2024Q1", "--no-receipts", data=tmp_path / "hand")
    assert r3.code == 0, r3.output
    with hand.ledger() as ledger:
        by_hand = _returns(ledger, Q1)
    assert by_hand == fetched
    s = duban("status", "--period", "2024Q1")
    assert "收件邮箱：最近一次收取 2024-04-09 08:00，共收取报送邮件 42 封，非报送邮件 3 封" in s.out
    assert "  退信：" in s.out or "退信" in s.out


def test_config_check_and_status_of_the_mailbox(server, app, duban, monkeypatch):
    for k, v in imap_env(server).items():
        monkeypatch.setenv(k, v)
    r = duban("check", "--online")
    assert "收件邮箱 duban@example.cn@127.0.0.1" in r.out and "登录成功" in r.out, r.output
    monkeypatch.setenv("DUBAN_IMAP_SECURITY", "tls")
    r = duban("check")
    assert r.code == 1 and "[imap] security = 'tls' 无效" in r.output


def test_a_quarter_run_with_the_mailbox_as_the_only_intake(
    server, app, tmp_path, duban, monkeypatch
):
    outbox = tmp_path / "outbox"
    for k, v in imap_env(server).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DUBAN_SMTP_OUTBOX", str(outbox))

    def run_at(moment: str) -> str:
        monkeypatch.setenv("DUBAN_FAKE_NOW", moment)
        r = duban("run")
        assert r.code == 0, r.output
        return r.out

    run_at("2024-03-29T09:00:00+08:00")
    live = make_app(server, app.settings.data_dir)
    units = list(live.assignments.by_unit)[:5]
    server.append(
        [
            (reply(live, u, filled_form(live, u, tmp_path), at(1), i), at(1))
            for i, u in enumerate(units)
        ]
    )
    out = run_at("2024-04-02T09:00:00+08:00")
    assert "新收报送邮件 5 封" in out
    # Q1 2024: lead deadline Mon 4-8, 逾期 the next working day, the report the one after
    out = run_at("2024-04-10T09:30:00+08:00")
    with live.ledger() as ledger:
        assert ledger.step_done(Q1, "report") is not None
        assert len({r["unit"] for r in ledger.returns(Q1)}) == 5  # each reply taken
    assert list(live.workspace.report_dir(Q1).glob("*.docx"))
    assert not list(live.workspace.inbox_dir(Q1).glob("*.xlsx"))  # nothing copied by hand
