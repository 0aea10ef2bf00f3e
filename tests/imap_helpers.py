"""Shared pieces of the mailbox tests: the app pointed at a test Dovecot, filled forms and
replies carrying them."""

from __future__ import annotations

import random
from datetime import datetime

from conftest import ROOT
from imap_server import PASSWORD, USER, Dovecot

from jobs.app import create_app
from reporting.core.calendar import TZ
from reporting.core.periods import Period
from reporting.sample import mails
from reporting.sample.returns import fill_form, unit_answers

Q1 = Period(2024, 1)
NOW = datetime(2024, 4, 9, 8, 0, tzinfo=TZ)
DONE = "duban.已处理"
OTHER = "duban.其他"


def imap_env(server, **extra) -> dict[str, str]:
    env = {
        "DUBAN_IMAP_HOST": "127.0.0.1",
        "DUBAN_IMAP_PORT": str(server.port),
        "DUBAN_IMAP_SECURITY": "none",
        "DUBAN_IMAP_USER": USER,
        "DUBAN_IMAP_PASSWORD": PASSWORD,
        "DUBAN_IMAP_SINCE": "2024-03-01",
    }
    return env | extra


def make_app(server, data_dir, **extra):
    return create_app(ROOT / "config.toml", data_dir=data_dir, env=imap_env(server, **extra))


_FORM_CACHE: dict = {}


def filled_form(app, unit: str, tmp_path, seed: int = 7) -> bytes:
    """The unit's form (built for 2024Q1) filled in as the unit would."""
    from reporting.forms.build import build_forms

    if not app.workspace.form_path(Q1, unit).exists():
        build_forms(app.settings, app.assignments, app.workspace, Q1, units=[unit], now=NOW)
    answers = unit_answers(app.assignments, unit, Q1, random.Random(f"{seed}-{unit}"))
    header = {
        "filler": "张三",
        "phone": "0552-1234567",
        "approver": "李四",
        "fill_date": "2024年4月3日",
    }
    dest = tmp_path / "filled" / f"{unit}.xlsx"
    fill_form(app.workspace.form_path(Q1, unit), dest, answers, header)
    return dest.read_bytes()


def reply(app, unit, data: bytes, when: datetime, n: int, sender: str | None = None) -> bytes:
    email = sender or app.registry.units[unit].email
    return mails.reply_mail(
        f"{unit} <{email}>",
        mails.SUBJECT.format(label="2024年第一季度"),
        when,
        f"<reply-{n}@example.gov.cn>",
        [(f"{unit}2024年第一季度进展情况表.xlsx", data)],
    )


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2024, 4, day, hour, 0, tzinfo=TZ)


def unit_replies(app, count: int, tmp_path, day: int = 3) -> list[tuple[bytes, datetime]]:
    """The first ``count`` units' filled forms, each replied on 04-``day`` (mail, INTERNALDATE)."""
    units = list(app.assignments.by_unit)[:count]
    return [
        (reply(app, u, filled_form(app, u, tmp_path), at(day), i), at(day))
        for i, u in enumerate(units)
    ]


def dovecot():
    """A private Dovecot for one test (``server = pytest.fixture(dovecot)`` in a test file)."""
    d = Dovecot().start()
    yield d
    d.close()
