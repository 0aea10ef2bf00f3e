"""Fetch + collect of 1,000 replies from a real IMAP server on 127.0.0.1.

Setup (not timed): a private Dovecot (tests/imap_server.py; needs ``dovecot-imapd`` and root),
the bundled units' forms, and N replies — each a unit's form filled with its own answers
(50 units × N/50 versions, so every attachment is new content) — APPENDed with INTERNALDATE.
Measured, each in a fresh process so its peak resident memory (``ru_maxrss``) is its own:

- ``fetch``: ``fetch_mailbox`` alone (list in pages, download one at a time, write .eml,
  ledger, MOVE to duban/已处理), for N and for N/4 mails: a flat peak shows memory does not
  grow with the folder;
- ``collect``: the saved-mail intake of those .eml files and the merge (``collect_and_merge``).

Run: ``python -m bench.bench_imap`` (``--replies N``; ``--keep DIR`` keeps the data).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import BENCH_NOW

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test server helper: one place for its config
PERIOD = "2024Q1"


def _env(port: int) -> dict[str, str]:
    from imap_server import PASSWORD, USER

    return {
        "DUBAN_IMAP_HOST": "127.0.0.1",
        "DUBAN_IMAP_PORT": str(port),
        "DUBAN_IMAP_SECURITY": "none",
        "DUBAN_IMAP_USER": USER,
        "DUBAN_IMAP_PASSWORD": PASSWORD,
        "DUBAN_IMAP_SINCE": "2024-03-01",
    }


def prepare(server, data: Path, n: int) -> None:
    from jobs.app import create_app
    from reporting.core.periods import Period
    from reporting.forms.build import build_forms
    from reporting.sample import mails
    from reporting.sample.returns import fill_form, unit_answers

    app = create_app(ROOT / "config.toml", data_dir=data, env=_env(server.port))
    period = Period.parse(PERIOD)
    build_forms(app.settings, app.assignments, app.workspace, period, now=BENCH_NOW)
    units = list(app.assignments.by_unit)
    scratch = data / "scratch"
    batch = []
    for i in range(n):
        unit = units[i % len(units)]
        answers = unit_answers(app.assignments, unit, period, random.Random(f"{i}-{unit}"))
        dest = scratch / f"{i}.xlsx"
        header = {
            "filler": "张三",
            "phone": "0552-1234567",
            "approver": "李四",
            "fill_date": "2024年4月3日",
        }
        fill_form(app.workspace.form_path(period, unit), dest, answers, header)
        when = BENCH_NOW - timedelta(days=3, minutes=n - i)
        email = app.registry.units[unit].email
        msg = mails.reply_mail(
            f"{unit} <{email}>",
            mails.SUBJECT.format(label=period.full_label),
            when,
            f"<bench-{i}@example.gov.cn>",
            [(f"{unit}进展情况表.xlsx", dest.read_bytes())],
        )
        batch.append((msg, when))
        if len(batch) == 100:
            server.append(batch)
            batch = []
    if batch:
        server.append(batch)
    shutil.rmtree(scratch)


def measure(what: str, data: Path, port: int) -> dict:
    """Run one case in a child process; its seconds and peak RSS."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_imap", "--child", what, str(data), str(port)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(what: str, data: Path, port: int) -> None:
    from jobs.app import create_app
    from reporting.intake.imap import fetch_mailbox
    from reporting.merge.collect_merge import collect_and_merge

    app = create_app(ROOT / "config.toml", data_dir=data, env=_env(port))
    t = time.perf_counter()
    with app.ledger() as ledger:
        if what == "fetch":
            s = fetch_mailbox(
                app.settings, app.registry, app.workspace, PERIOD, ledger=ledger, now=BENCH_NOW
            )
            count = len(s.taken)
        else:
            s = collect_and_merge(
                app.settings, app.assignments, app.workspace, PERIOD, now=BENCH_NOW, ledger=ledger
            )
            count = len(s.new)
    seconds = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss, "count": count}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replies", type=int, default=1000)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--child", nargs=3)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), int(args.child[2]))
        return
    from imap_server import Dovecot, skip_reason

    if skip_reason():
        print(f"跳过：{skip_reason()}")
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-imap-"))
    rows = []
    for n in (args.replies // 4, args.replies):
        server = Dovecot().start()
        try:
            data = base / f"n{n}"
            t = time.perf_counter()
            prepare(server, data, n)
            setup = time.perf_counter() - t
            fetch = measure("fetch", data, server.port)
            collect = measure("collect", data, server.port)
            rows.append((n, setup, fetch, collect))
        finally:
            server.close()
    print(
        "| 邮件数 | 准备（填表 + APPEND，不计时） | 收取 fetch | 收取峰值内存 | 回收 collect | 回收峰值内存 | 合计每封 |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, setup, f, c in rows:
        assert f["count"] == n, f
        per = (f["seconds"] + c["seconds"]) / n * 1000
        print(
            f"| {n} | {setup:.0f} s | {f['seconds']:.1f} s | {f['rss_mb']:.0f} MB | "
            f"{c['seconds']:.1f} s | {c['rss_mb']:.0f} MB | {per:.0f} ms |"
        )
    print()
    print(
        "收取：按 100 个 UID 一页取大小和信头，逐封下载（BODY.PEEK[]）、写 .eml、记台账，"
        "每页一次 MOVE；峰值内存与邮件数基本无关。回收：与手工放入 .eml 相同的读取、校验、归档和汇总。"
    )
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
