"""Shared pieces of the reminder and receipt tests: forms on disk, returns in the ledger,
free ports, a real SMTP server (aiosmtpd on 127.0.0.1) that keeps what arrives."""

from __future__ import annotations

import asyncio
import email
import hashlib
import os
import shutil
import socket
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from helpers import NOW

from reporting.core.ledger import Ledger
from reporting.core.periods import Period

PERIOD = Period(2024, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_forms_once(app) -> Path:
    """Every unit's 2024Q1 form, built by ``reporting.forms.build`` (or a tiny stand-in)."""
    try:
        from reporting.forms.build import build_forms
    except ImportError:  # forms not there yet: one small workbook per unit
        from openpyxl import Workbook

        for unit in app.assignments.by_unit:
            path = app.workspace.form_path(PERIOD, unit)
            path.parent.mkdir(parents=True, exist_ok=True)
            wb = Workbook()
            wb.active["A1"] = unit
            wb.save(path)
    else:
        build_forms(app.settings, app.assignments, app.workspace, PERIOD, now=NOW)
    return app.workspace.forms_dir(PERIOD)


def install_forms(source: Path, app) -> None:
    Ledger(app.workspace.ledger_path).close()  # first, as when forms are built
    shutil.copytree(source, app.workspace.forms_dir(PERIOD), dirs_exist_ok=True)


def add_return(
    app, unit: str, state: str, problems=(), received_at="2024-04-03T10:00:00+08:00"
) -> None:
    """A return as intake records it (accepted / rejected with problem dicts)."""
    import json

    sha = hashlib.sha256(f"{unit}{state}{received_at}".encode()).hexdigest()
    with Ledger(app.workspace.ledger_path) as ledger:
        ledger.conn.execute(
            "INSERT INTO returns (period, unit, sha256, source, state, problems, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                str(PERIOD),
                unit,
                sha,
                f"{unit}.xlsx",
                state,
                json.dumps(list(problems), ensure_ascii=False),
                received_at,
            ),
        )


def put_in_inbox(path: Path, when: datetime) -> Path:
    """A file as it lands in the inbox: its time there is when duban first sees it."""
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def saved_mail(path: Path, *, sender: str, attachment: Path, when: datetime) -> Path:
    """A reply carrying ``attachment``, saved by a mail client into the inbox (CRLF)."""
    m = EmailMessage()
    m["Subject"] = "回复：关于报送2024年第一季度重点任务推进情况的通知"
    m["From"] = sender
    m["To"] = "区督查考核办 <dcb@example.gov.cn>"
    m["Date"] = format_datetime(when)
    m.set_content("附件是我单位修改后的进展情况表，请查收。")
    m.add_attachment(
        attachment.read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=attachment.name,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(m.as_bytes(policy=policy.SMTP))
    return put_in_inbox(path, when)


def sends(app) -> list[dict]:
    with Ledger(app.workspace.ledger_path) as ledger:
        return [dict(r) for r in ledger.sends(str(PERIOD))]


class Handler:
    """Collects what arrives; can refuse addresses and answer slowly."""

    def __init__(self, reject=(), delay=0.0):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.reject = set(reject)
        self.delay = delay
        self.raw: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        self.raw.append(envelope.content)
        return "250 OK"

    def by_rcpt(self) -> dict[str, email.message.EmailMessage]:
        return {rcpt: msg for _, rcpts, msg in self.messages for rcpt in rcpts}


class Waits:
    """The injected sleep: records the backoff delays instead of waiting."""

    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class SmtpServers:
    """``start(handler=None, **controller kwargs)`` → the Handler of a server on
    127.0.0.1:``port``; ``stop()`` stops every server started (fixture teardown)."""

    def __init__(self, port: int):
        self.port = port
        self.started: list[Controller] = []

    def __call__(self, handler: Handler | None = None, **kwargs) -> Handler:
        handler = handler or Handler()
        ctrl = Controller(handler, hostname="127.0.0.1", port=self.port, **kwargs)
        ctrl.start()
        self.started.append(ctrl)
        return handler

    def stop(self) -> None:
        while self.started:
            self.started.pop().stop()


def logged_send(log: Path, kill_at: int | None = None):
    """``MailChannel.send`` that first appends the mail's unit to ``log`` (on disk before
    the mail is written); with ``kill_at``, it kills its process (SIGKILL) right after
    writing that mail."""
    import signal

    from reporting.notify.delivery import MailChannel

    real = MailChannel.send
    count = 0

    def send(self, message):
        nonlocal count
        with log.open("a") as f:
            f.write(message.label.split("_", 2)[2] + "\n")
            f.flush()
            os.fsync(f.fileno())
        done = real(self, message)
        count += 1
        if count == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return done

    return send
