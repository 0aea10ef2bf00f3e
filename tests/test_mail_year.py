"""The demo year's mails, sent to a real SMTP server (aiosmtpd on 127.0.0.1) and read back
as a unit's clerk reads them: nothing contradicts the unit's state at the moment of sending.

The oracle is the ledger the demo wrote (when each unit's accepted return arrived) and each
mail's own Date: header, never the templates."""

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from remind_helpers import Handler, SmtpServers, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SENDER = "duban@yuhui.example"
MOMENT = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*星期.(?:（调休上班）)?\s*(\d{1,2}):(\d{2})")
SHORT = re.compile(r"(\d{1,2})月(\d{1,2})日(\d{1,2}):(\d{2})")
# what only a unit without a valid return may be told
ASKS = re.compile(r"请尽快报送|请立即|请务必按时|仍未收到|尚未收到你单位|前(重新)?报送[。；，）]")


@pytest.fixture(scope="module")
def year_mails(tmp_path_factory):
    """The demo year with mail to a real SMTP server: (mails, ledger returns, app)."""
    import io
    import sqlite3
    from contextlib import redirect_stdout

    import jobs.demo as demo
    from jobs.app import create_app

    port = free_port()
    servers = SmtpServers(port)
    handler = servers(Handler())
    plain = demo.demo_app

    def smtp_app(app, root):
        app = plain(app, root)
        s = app.settings.smtp
        s.outbox, s.host, s.port, s.security, s.sender, s.retries = (
            None,
            "127.0.0.1",
            port,
            "none",
            SENDER,
            0,
        )
        return app

    demo.demo_app = smtp_app
    try:
        app = create_app(ROOT / "config.toml", env={})
        with redirect_stdout(io.StringIO()):
            outcome = demo.run_demo(app, tmp_path_factory.mktemp("mailyear") / "demo")
    finally:
        demo.demo_app = plain
        servers.stop()
    with sqlite3.connect(outcome.root / "ledger.sqlite") as conn:
        accepted = conn.execute(
            "SELECT unit, period, received_at FROM returns WHERE state = 'accepted'"
        ).fetchall()
    return [m for _, _, m in handler.messages], accepted, app


def body_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def unit_of(body: str) -> str:
    first = body.strip().splitlines()[0]
    return re.split(r"[（：]", first, maxsplit=1)[0]


def sent_at(msg) -> datetime:
    return parsedate_to_datetime(msg["Date"])


def period_of(msg) -> str:
    """The ledger key of the round a mail belongs to: 2024Q1 …, 2024plan (落实方案)."""
    plan = re.search(r"(\d{4})年落实方案", msg["Subject"])
    if plan:
        return f"{plan.group(1)}plan"
    m = re.search(r"(\d{4})年第(一|二|三|四)季度", msg["Subject"])
    return f"{m.group(1)}Q{'一二三四'.index(m.group(2)) + 1}"


def test_the_whole_year_went_through_smtp(year_mails):
    mails, _, _ = year_mails
    kinds = {re.match(r"【(.+?)】", m["Subject"]).group(1) for m in mails if "【" in m["Subject"]}
    assert {"提醒", "催报", "逾期", "回执", "退回", "配合单位反馈"} <= kinds | {"退回"}, kinds
    assert len(mails) > 300


def test_no_mail_asks_a_unit_with_a_valid_return_to_report(year_mails):
    mails, accepted, _ = year_mails
    checked = 0
    for msg in mails:
        body, when = body_of(msg), sent_at(msg)
        unit, period = unit_of(body), period_of(msg)
        has = any(
            u == unit and p == period and datetime.fromisoformat(at) <= when
            for u, p, at in accepted
        )
        if not has:
            continue
        checked += 1
        said = [m.group(0) for m in ASKS.finditer(body + msg["Subject"])]
        assert not said, (msg["Subject"], unit, when, said)
    assert checked > 50  # receipts and 配合反馈 to units that had reported


def test_every_deadline_a_mail_sets_is_still_ahead(year_mails):
    mails, _, _ = year_mails
    seen = 0
    for msg in mails:
        when = sent_at(msg)
        body = body_of(msg)
        # a 调休 Saturday's deadline: 星期六（调休上班） 17:30 前, never 17:30（调休上班） 前
        assert not re.search(r"\d:\d\d（调休上班）", body), msg["Subject"]
        for m in MOMENT.finditer(body):
            tail = body[m.end() : m.end() + 4]
            if "前" not in tail:
                continue  # a deadline named as past ("…已过") or as a fact
            y, mo, d, h, mi = map(int, m.groups())
            due = datetime(y, mo, d, h, mi, tzinfo=when.tzinfo)
            seen += 1
            assert due > when, (msg["Subject"], when, m.group(0))
        if "两个截止时间" in body:  # and names two
            after = body.split("两个截止时间", 1)[1].split("\n", 1)[0]
            assert len(MOMENT.findall(after)) == 2, (msg["Subject"], after)
        for m in SHORT.finditer(msg["Subject"]):
            mo, d, h, mi = map(int, m.groups())
            year = when.year + (mo < when.month - 6)
            assert datetime(year, mo, d, h, mi, tzinfo=when.tzinfo) > when, msg["Subject"]
    assert seen > 100


def test_subjects_read_as_chinese_subjects(year_mails):
    mails, _, _ = year_mails
    for msg in mails:
        subject = msg["Subject"]
        if subject.startswith(("【催报】", "【提醒】")):
            form = r"(推进情况表|落实方案表)"  # a quarter's, or the year's 落实方案
            assert re.search(form + r"（\d{1,2}月\d{1,2}日\d{1,2}:\d{2}截止）$", subject), subject
        assert not re.search(r"\d{4}年\d{1,2}月\d{1,2}日截止", subject), subject


def paragraphs(body: str) -> list[list[str]]:
    """The body between salutation and signature, as paragraphs of lines."""
    lines = body.rstrip().splitlines()[1:-2]  # salutation … signature, date
    out, current = [], []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


LIST_ITEM = re.compile(r"^　　\d+\. ")


def test_no_sentence_breaks_mid_paragraph_and_no_phrase_repeats(year_mails):
    mails, _, _ = year_mails
    for msg in mails:
        body = body_of(msg)
        for para in paragraphs(body):
            head, *rest = para
            where = (msg["Subject"], head[:30])
            assert head.startswith("　　"), where
            # a paragraph is one line, or an intro ending in ： followed by numbered items
            if rest:
                assert head.endswith("：") and all(LIST_ITEM.match(x) for x in rest), where
            text = head.strip()
            if not text.startswith("联系人"):
                assert text[-1] in "。：", where
            assert text.count("为准") <= 1, where
        prose = [p[0] for p in paragraphs(body)]
        clauses = [c for p in prose for c in re.split(r"[，。；：、]", p.strip()) if len(c) >= 8]
        repeated = {c for c in clauses if clauses.count(c) > 1}
        assert not repeated, (msg["Subject"], repeated)


def test_the_contact_line_names_a_person_or_check_says_so(year_mails):
    from jobs.checks import _office_contact

    mails, _, app = year_mails
    lines = {line.strip() for m in mails for line in body_of(m).splitlines() if "联系人：" in line}
    assert lines
    if any(not re.search(r"\d{3,}", line) for line in lines):
        findings = _office_contact(app)
        assert findings and "[forms] contact" in findings[0].where


def test_no_mail_names_a_period_code_or_a_file_of_ours(year_mails):
    """A unit's clerk reads Chinese: the attachments are there to open, the body says what
    they are, never "2024Q2_区发改委_进展情况表.xlsx". The 回执 and 退回 name the file the
    unit itself sent (it may have sent several)."""
    mails, _, _ = year_mails
    checked = 0
    for msg in mails:
        subject = msg["Subject"]
        if subject.startswith(("【回执】", "【退回】")):
            continue
        body = body_of(msg)
        # a file name, not the format the notice asks for ("保存为 .xlsx 格式")
        assert not re.search(r"20\d\d(Q[1-4]|plan)|\S\.(xlsx|pdf|docx)", body), (subject, body)
        checked += 1
    assert checked > 200


def test_a_unit_with_only_cooperating_tasks_is_asked_for_the_coop_deadline(year_mails):
    """A unit that only cooperates is asked for its form by the 配合 deadline — in the
    subject and in the first deadline the body sets — and told the 报送截止 is the latest
    it may still come (it said 请于7月5日前 in the subject and 请于7月3日前 in the body)."""
    from reporting.core.calendar import period_calendar
    from reporting.core.periods import Period

    mails, _, app = year_mails
    notices = [m for m in mails if "请于" in m["Subject"] and not m["Subject"].startswith("【")]
    only = {
        (unit_of(body_of(m)), period_of(m))
        for m in notices
        if "表中列出你单位配合的" in body_of(m) and period_of(m)[-2] == "Q"
    }
    assert only
    checked = 0
    for msg in mails:
        unit, period = unit_of(body_of(msg)), period_of(msg)
        if (unit, period) not in only or msg["Subject"].startswith(("【回执】", "【退回】")):
            continue
        cal = period_calendar(Period.parse(period), app.settings.deadline)
        when = sent_at(msg)
        if when >= cal.coop_due:
            continue
        body = body_of(msg)
        short = f"{cal.coop_due.month}月{cal.coop_due.day}日{cal.coop_due:%H:%M}"
        assert short in msg["Subject"], msg["Subject"]
        asked = [m for m in MOMENT.finditer(body)]
        first = datetime(*map(int, asked[0].groups()), tzinfo=when.tzinfo)
        assert first == cal.coop_due, (msg["Subject"], asked[0].group(0))
        final = [datetime(*map(int, m.groups()), tzinfo=when.tzinfo) for m in asked]
        assert cal.deadline in final, msg["Subject"]  # and the latest it may come
        checked += 1
    assert checked >= 8  # the notices and 提醒 of the demo's cooperating-only units
