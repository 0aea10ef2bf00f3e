"""`duban bulletin --send` against a real SMTP server (aiosmtpd on 127.0.0.1): one mail per
unit with the 通报 PDF (read back), none on a rerun, none twice from two processes at once,
a failed send retried on the next run, nothing at all without LibreOffice."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest
from conftest import office
from remind_helpers import Handler, SmtpServers, free_port
from test_one_writer import finish, start
from test_report import P, sample_result

from reporting.core.ledger import Ledger

SENDER = "duban@yuhui.example"
TITLE = "关于2024年第一季度《政府工作报告》重点任务推进情况的通报"
NUMBER = "禹督考〔2024〕1号"


@pytest.fixture
def quarter(app):
    """2024Q1 merged (every unit of the bundled registry due) and an SMTP server."""
    app.ledger().close()  # the ledger first, as in a real data dir (else it counts as lost)
    path = app.workspace.merged_json(P)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sample_result(app).to_json(), encoding="utf-8")
    return app


@pytest.fixture
def smtp(monkeypatch):
    port = free_port()
    env = {
        "DUBAN_FAKE_NOW": "2024-04-10T09:00:00+08:00",
        "DUBAN_SMTP_HOST": "127.0.0.1",
        "DUBAN_SMTP_PORT": str(port),
        "DUBAN_SMTP_SECURITY": "none",
        "DUBAN_SMTP_SENDER": SENDER,
        "DUBAN_SMTP_RETRIES": "0",
        "DUBAN_LADDER_ENABLED": "false",  # the 通报's mails alone (督办单: tests/test_ladder.py)
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    servers = SmtpServers(port)
    yield servers, env
    servers.stop()


def units_due(app) -> list[str]:
    return [u.unit for u in sample_result(app).units]


def per_rcpt(handler: Handler) -> Counter:
    return Counter(rcpt for _, rcpts, _ in handler.messages for rcpt in rcpts)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "attached.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    return "".join(out.split())


def sent_claims(app) -> list:
    with Ledger(app.workspace.ledger_path) as ledger:
        return [c for c in ledger.claims(str(P)) if c["stage"] == "通报"]


@office
def test_one_mail_per_unit_with_the_pdf_and_none_on_rerun(quarter, smtp, duban, tmp_path):
    servers, _ = smtp
    handler = servers()
    res = duban("bulletin", "--period", "2024Q1", "--send")
    assert res.code == 0, res.output
    units = units_due(quarter)
    emails = {quarter.registry.units[u].email: u for u in units}
    counts = per_rcpt(handler)
    assert len(handler.messages) == len(units)
    assert set(counts) == set(emails) and set(counts.values()) == {1}
    assert f"发送 {len(units)}，此前已发送 0，失败 0" in res.out

    for _, rcpts, msg in handler.messages:
        unit = emails[rcpts[0]]
        assert msg["Subject"] == f"【督查通报】{NUMBER} {TITLE}"
        body = msg.get_body(("plain",)).get_content()
        assert (
            body.startswith(unit)
            and NUMBER in body
            and "《关于2024年第一季度〈政府工作报告〉重点任务推进情况的通报》" in body
        )
        (part,) = list(msg.iter_attachments())
        assert part.get_content_type() == "application/pdf"
        assert part.get_filename() == f"{NUMBER} {TITLE}.pdf"
        data = part.get_content()
        assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    assert TITLE in text and NUMBER in text and "抄送：" in text

    res = duban("bulletin", "--period", "2024Q1", "--send")
    assert res.code == 0, res.output
    assert len(handler.messages) == len(units)  # nothing new
    assert f"发送 0，此前已发送 {len(units)}，失败 0" in res.out
    assert {c["state"] for c in sent_claims(quarter)} == {"sent"}
    assert {c["key"] for c in sent_claims(quarter)} == {NUMBER}


@office
def test_a_failed_send_is_retried_on_the_next_run(quarter, smtp, duban):
    servers, _ = smtp
    units = units_due(quarter)
    refused = quarter.registry.units[units[1]].email
    first = servers(Handler(reject={refused}))
    res = duban("bulletin", "--period", "2024Q1", "--send")
    assert res.code == 1
    assert "失败 1" in res.out and units[1] in res.out and "重新运行" in res.out
    assert refused not in per_rcpt(first) and len(first.messages) == len(units) - 1
    servers.stop()

    second = servers()
    res = duban("bulletin", "--period", "2024Q1", "--send")
    assert res.code == 0, res.output
    assert [rcpts for _, rcpts, _ in second.messages] == [[refused]]
    assert f"发送 1，此前已发送 {len(units) - 1}，失败 0" in res.out


@office
def test_leaders_get_it_too(quarter, smtp):
    from reporting.assess.bulletin import render_bulletin
    from reporting.assess.bulletin_send import send_bulletin

    servers, _ = smtp
    handler = servers()
    s = quarter.settings
    s.bulletin.leader_emails = ["leader@yuhui.example"]
    s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.sender = (
        "127.0.0.1",
        servers.port,
        "none",
        SENDER,
    )
    now = quarter.now()
    with quarter.ledger() as ledger:
        out = render_bulletin(s, quarter.workspace, ledger, P, now=now, pdf=True)
        summary = send_bulletin(s, quarter.registry, ledger, out, now=now)
    assert summary.ok and summary.sent == len(units_due(quarter)) + 1
    msg = handler.by_rcpt()["leader@yuhui.example"]
    assert msg.get_body(("plain",)).get_content().startswith("各位领导：")
    assert next(msg.iter_attachments()).get_content_type() == "application/pdf"


def test_without_libreoffice_nothing_is_sent(quarter, smtp, duban, monkeypatch):
    servers, _ = smtp
    handler = servers()
    monkeypatch.setattr("reporting.documents.office.soffice_path", lambda: None)
    res = duban("bulletin", "--period", "2024Q1", "--send")
    assert res.code == 1
    assert "未安装 LibreOffice" in res.out and "没有发送任何邮件" in res.err
    assert handler.messages == [] and sent_claims(quarter) == []


@pytest.mark.slow
@office
def test_two_sends_at_once_mail_each_unit_once(quarter, smtp, tmp_path):
    servers, env = smtp
    handler = servers(Handler(delay=0.02))
    import os

    procs = [
        start(
            quarter.settings.data_dir,
            {**os.environ, **env},
            "bulletin",
            "--period",
            "2024Q1",
            "--send",
            log=tmp_path / f"send{i}.txt",
        )
        for i in range(2)
    ]
    results = [finish(p) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    units = units_due(quarter)
    counts = per_rcpt(handler)
    assert len(handler.messages) == len(units)
    assert set(counts.values()) == {1}
    assert set(counts) == {quarter.registry.units[u].email for u in units}
    outs = [out for _, out in results]
    assert any(f"发送 {len(units)}，此前已发送 0" in out for out in outs), outs
    assert any(f"发送 0，此前已发送 {len(units)}" in out for out in outs), outs


def test_the_scheduler_step_without_mail_writes_it_and_says_how_to_send(quarter, monkeypatch):
    from jobs.steps import do_bulletin

    monkeypatch.setattr("reporting.documents.office.soffice_path", lambda: None)
    quarter.settings.smtp.host = quarter.settings.smtp.outbox = ""
    outcome = do_bulletin(quarter, P, quarter.now())
    assert outcome.failed == 0  # nothing to retry: the office sends it by hand
    assert outcome.output.docx.exists() and outcome.sent is None
    assert "duban bulletin --period 2024Q1 --send" in outcome.lines()[-1]


def test_the_scheduler_step_keeps_itself_open_when_it_cannot_send(quarter, smtp, monkeypatch):
    from jobs.steps import do_bulletin

    servers, _ = smtp
    handler = servers()
    monkeypatch.setattr("reporting.documents.office.soffice_path", lambda: None)
    s = quarter.settings
    s.smtp.host, s.smtp.port, s.smtp.security = "127.0.0.1", servers.port, "none"
    outcome = do_bulletin(quarter, P, quarter.now())
    assert outcome.failed == 1 and handler.messages == []
    assert any(line.startswith("通报未能发送：通报 PDF 没有生成") for line in outcome.lines())
