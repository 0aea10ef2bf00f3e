"""One writer at a time, nothing sent twice: real ``duban`` processes started together
against a real SMTP server (aiosmtpd on 127.0.0.1), the data dir lock and the ledger's
claim-before-send."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from remind_helpers import PERIOD, Handler, SmtpServers, build_forms_once, free_port, install_forms
from test_intake_support import UNIT, fill, make_forms, valid_answers
from test_receipts import FORM_NAME, NOW, spoilt

from jobs.app import create_app
from reporting.core.ledger import RECEIPT_STAGE, Ledger
from reporting.core.lock import FileLock, data_dir_lock

ROOT = Path(__file__).resolve().parent.parent
SENDER = "duban@yuhui.example"
pytestmark = pytest.mark.slow  # real processes


@pytest.fixture(scope="module")
def forms_source(tmp_path_factory):
    app = create_app(ROOT / "config.toml", data_dir=tmp_path_factory.mktemp("forms"), env={})
    return build_forms_once(app)


@pytest.fixture
def smtp(app):
    port = free_port()
    servers = SmtpServers(port)
    yield port, servers
    servers.stop()


def env_for(port: int, **extra) -> dict:
    return {
        **os.environ,
        "DUBAN_FAKE_NOW": "2024-03-29T09:00:00+08:00",
        "DUBAN_SMTP_HOST": "127.0.0.1",
        "DUBAN_SMTP_PORT": str(port),
        "DUBAN_SMTP_SECURITY": "none",
        "DUBAN_SMTP_SENDER": SENDER,
        "DUBAN_SMTP_RETRIES": "0",
        **extra,
    }


def start(data: Path, env: dict, *args: str, log: Path) -> subprocess.Popen:
    argv = [sys.executable, "-m", "jobs", "--config", str(ROOT / "config.toml")]
    argv += ["--data-dir", str(data), *args]
    out = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed once the process is done
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    proc.log_file = out
    return proc


def finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str]:
    try:
        code = proc.wait(timeout)
    finally:
        proc.log_file.close()
    return code, Path(proc.log_file.name).read_text(encoding="utf-8")


def per_unit(handler: Handler) -> Counter:
    return Counter(rcpt for _, rcpts, _ in handler.messages for rcpt in rcpts)


def test_two_notices_started_at_once_send_one_mail_per_unit(app, forms_source, smtp, tmp_path):
    install_forms(forms_source, app)
    port, servers = smtp
    handler = servers(Handler(delay=0.02))  # slow enough for the two runs to overlap
    env = env_for(port)
    procs = [
        start(
            app.settings.data_dir,
            env,
            "remind",
            "--period",
            "2024Q1",
            "--stage",
            "通知",
            log=tmp_path / f"remind{i}.txt",
        )
        for i in range(2)
    ]
    results = [finish(p) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    units = app.assignments.by_unit
    counts = per_unit(handler)
    assert len(handler.messages) == len(units)
    assert set(counts.values()) == {1}
    assert set(counts) == {app.registry.units[u].email for u in units}
    outputs = sorted(out for _, out in results)
    # one of them sent everything; the other waited for it and found nothing left to send
    assert any(f"已发送 {len(units)}" in out for out in outputs), outputs
    assert any(f"此前已发送 {len(units)}" in out for out in outputs), outputs
    with Ledger(app.workspace.ledger_path) as ledger:
        sent = [r for r in ledger.sends(str(PERIOD)) if r["result"] == "sent"]
        assert len(sent) == len(units)
        assert {c["state"] for c in ledger.claims(str(PERIOD))} == {"sent"}


SEND_WITHOUT_LOCK = """
import sys
from jobs.app import create_app
from reporting.notify.remind import send_reminders

app = create_app(sys.argv[1], data_dir=sys.argv[2])
summary = send_reminders(app.settings, app.assignments, app.workspace, "2024Q1",
                         stage="通知", now=app.now())
print("sent", summary.sent, "already", summary.count("already"), flush=True)
"""


def test_claims_alone_keep_two_senders_from_sending_twice(app, forms_source, smtp, tmp_path):
    """Without the data dir lock (a library caller, a lock on a network share that does not
    work), the ledger's claims still let each message out once."""
    install_forms(forms_source, app)
    port, servers = smtp
    handler = servers(Handler(delay=0.02))
    script = tmp_path / "send.py"
    script.write_text(SEND_WITHOUT_LOCK, encoding="utf-8")
    env = env_for(port)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(ROOT / "config.toml"), str(app.settings.data_dir)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=180)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    counts = per_unit(handler)
    units = len(app.assignments.by_unit)
    assert len(handler.messages) == units and set(counts.values()) == {1}, outs
    sent = [int(o.split()[1]) for o in outs]
    assert sum(sent) == units  # split between them, each unit once


def test_two_collects_at_once_send_one_receipt_per_return(app, smtp, tmp_path):
    port, servers = smtp
    handler = servers(Handler(delay=0.05))
    bureau, village = "区人社局", "长青乡"
    forms = make_forms(app, [UNIT, village, bureau])
    for unit, answers in (
        (UNIT, valid_answers(app, UNIT)),
        (bureau, valid_answers(app, bureau)),
        (village, spoilt(app, village)),
    ):
        dest = app.workspace.inbox_dir(PERIOD) / FORM_NAME.format(unit)
        fill(forms[unit], dest, answers, None)
        os.utime(dest, (NOW.timestamp(), NOW.timestamp()))
    env = env_for(port, DUBAN_FAKE_NOW=NOW.isoformat())
    procs = [
        start(
            app.settings.data_dir,
            env,
            "collect",
            "--period",
            "2024Q1",
            log=tmp_path / f"collect{i}.txt",
        )
        for i in range(2)
    ]
    results = [finish(p) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert len(handler.messages) == 3
    assert set(per_unit(handler).values()) == {1}
    with Ledger(app.workspace.ledger_path) as ledger:
        receipts = [r for r in ledger.sends(str(PERIOD)) if r["stage"] == RECEIPT_STAGE]
        assert [r["result"] for r in receipts] == ["sent"] * 3
        assert len(ledger.returns(str(PERIOD))) == 3  # each file taken in once


HOLD = """
import sys, time
from reporting.core.lock import data_dir_lock
with data_dir_lock(sys.argv[1], command="duban collect --period 2024Q1",
                   started="2024-04-03T10:00:00+08:00"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_writer_waits_then_names_the_one_running(app, duban, monkeypatch, tmp_path):
    monkeypatch.setenv("DUBAN_SCHEDULE_LOCK_WAIT_SECONDS", "0.5")
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(app.settings.data_dir)], cwd=ROOT, stdout=subprocess.PIPE
    ) as holder:
        try:
            assert holder.stdout.readline().strip() == b"held"
            began = time.monotonic()
            for args in (
                ("collect", "--period", "2024Q1"),
                ("forms", "--period", "2024Q1"),
                ("report", "--period", "2024Q1"),
                ("remind", "--period", "2024Q1", "--stage", "提醒"),
                ("run", "--period", "2024Q1"),
            ):
                r = duban(*args)
                assert r.code == 1, (args, r.output)
                assert r.err.strip() == (
                    f"错误：另一个 duban 正在运行（pid {holder.pid}，命令 duban collect --period 2024Q1，"
                    "开始于 2024-04-03T10:00:00+08:00），请等它结束后再试"
                ), args
                assert "程序内部出错" not in r.output
            assert time.monotonic() - began >= 5 * 0.5  # each waited before giving up
            # reading commands and dry runs do not wait
            assert duban("status", "--period", "2024Q1").code == 0
            assert duban("remind", "--period", "2024Q1", "--stage", "提醒", "--dry-run").code in (
                0,
                1,
            )
        finally:
            holder.kill()
    # the holder was killed: the kernel dropped its lock, the next writer goes ahead
    r = duban("collect", "--period", "2024Q1", "--no-receipts")
    assert r.code == 0, r.output
    assert FileLock(app.workspace.data_lock).held_by() is None


def test_the_lock_is_re_entrant_within_a_process_and_names_its_holder(tmp_path):
    with data_dir_lock(tmp_path, command="duban run --period 2024Q1", started="s", timeout=0):
        # ``duban run`` holds it and its steps take it again: no waiting for ourselves
        with data_dir_lock(tmp_path, command="inner", timeout=0):
            holder = FileLock(tmp_path / ".duban.lock").holder()
            assert (holder.pid, holder.command, holder.started) == (
                os.getpid(),
                "duban run --period 2024Q1",
                "s",
            )
        assert FileLock(tmp_path / ".duban.lock").held_by() == os.getpid()
    assert FileLock(tmp_path / ".duban.lock").held_by() is None
    assert (tmp_path / ".duban.lock").read_text() == ""
    assert oct((tmp_path / ".duban.lock").stat().st_mode & 0o777) == oct(0o644 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
