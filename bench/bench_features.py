"""What this round's features cost at city scale (bench_forms' synthetic city: 1,000 units,
2,000 rows, about 870 lead units):

1. the 落实方案 round (``duban plan``): every lead unit's 落实方案表 built and recorded, the
   通知 with it to an outbox, then (every unit's plan filled in, not timed) the round's inbox
   taken in and the 落实方案汇总表 written;
2. 销号/延期/调整: 300 changes recorded and approved (as ``duban changes --add`` does: the
   trace on disk, then the ledger), and what every later step pays for them: the period's
   task book with them applied (``app.book``), and the report's words on them.

Each part runs in a fresh process (its peak resident memory is its own). CPU time is user +
system of the process and its finished children. Run: ``python -m bench.bench_features``
(or one part: ``python -m bench.bench_features plan``); prints markdown.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench import TZ, child_json

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("plan", "changes")


def cpu_seconds() -> float:
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):
    """(result, wall seconds, CPU seconds) of ``fn()``."""
    c0, t0 = cpu_seconds(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, cpu_seconds() - c0


def plan_round(tmp: Path) -> dict:
    from bench.bench_forms import city_app
    from reporting.forms.plan_form import lead_rows
    from reporting.merge.plan_round import run_plan_round
    from reporting.notify.plan_notice import send_plan_notices
    from reporting.sample.plans import simulate_plans

    os.environ["DUBAN_SMTP_OUTBOX"] = str(tmp / "outbox")
    app = city_app(tmp / "data")
    s, ws, a = app.settings, app.workspace, app.assignments
    now = datetime(2024, 1, 8, 9, 0, tzinfo=TZ)
    with app.ledger() as ledger:
        first, build_s, build_cpu = timed(
            lambda: run_plan_round(s, a, ws, 2024, ledger=ledger, now=now)
        )
        sent, notice_s, notice_cpu = timed(
            lambda: send_plan_notices(s, a, ws, 2024, stage="通知", ledger=ledger, now=now)
        )
    units = list(lead_rows(a))
    simulate_plans(a, ws, 2024, units, datetime(2024, 1, 15, 10, 0, tzinfo=TZ))
    later = datetime(2024, 1, 22, 9, 0, tzinfo=TZ)
    with app.ledger() as ledger:
        second, take_s, take_cpu = timed(
            lambda: run_plan_round(s, a, ws, 2024, ledger=ledger, now=later)
        )
    forms_mb = sum(f.path.stat().st_size for f in first.forms.built) / 1e6
    return {
        "units": len(units),
        "built": len(first.forms.built),
        "forms_mb": forms_mb,
        "build": (build_s, build_cpu),
        "notices": len(sent.outcomes),
        "notice": (notice_s, notice_cpu),
        "taken": len(second.collected.new),
        "take": (take_s, take_cpu),
        "summary_mb": second.summary.stat().st_size / 1e6,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def change_requests(tmp: Path, n: int = 300) -> dict:
    from bench.bench_forms import city_app
    from reporting.core.changes import ChangeKind, ChangeRequest
    from reporting.core.periods import Period
    from reporting.taskbook.changes import add_decided

    app = city_app(tmp / "data")
    q1, q2 = Period(2024, 1), Period(2024, 2)
    (_, book_s, book_cpu) = timed(lambda: app.book(q2))
    tasks = app.assignments.tasks
    kinds = (ChangeKind.EXTEND, ChangeKind.ADJUST, ChangeKind.CLOSE)

    def record() -> None:
        with app.ledger() as ledger:
            for i in range(n):
                task = tasks[(i * 7) % len(tasks)]
                kind = kinds[i % 3]
                request = ChangeRequest(
                    period=str(q1),
                    no=0,
                    key=f"office-{q1}-{i}",
                    task_id=task.id,
                    kind=kind,
                    text="（测试）申请调整",
                    deadline="2025-06-30" if kind == ChangeKind.EXTEND else "",
                    content=task.content + "（调整后）" if kind == ChangeKind.ADJUST else "",
                    reason="客观条件变化",
                )
                add_decided(
                    ledger,
                    app.workspace.root,
                    request,
                    task,
                    at="2024-04-10T09:00:00+08:00",
                    doc_no=f"测政〔2024〕{i + 1}号",
                )

    _, record_s, record_cpu = timed(record)
    book, changed_s, changed_cpu = timed(lambda: app.book(q2))
    _, notes_s, notes_cpu = timed(lambda: app.change_notes(q1))  # the quarter that decided
    return {
        "n": n,
        "record": (record_s, record_cpu),
        "book": (book_s, book_cpu),
        "book_changed": (changed_s, changed_cpu),
        "closed": len(book.closed),
        "revised": len(book.revisions),
        "notes": (notes_s, notes_cpu),
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(part: str) -> None:
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as d:
        data = plan_round(Path(d)) if part == "plan" else change_requests(Path(d))
    print(json.dumps(data, ensure_ascii=False))


def cell(pair) -> str:
    return f"{pair[0]:.2f} s | {pair[1]:.2f} s"


def show_plan(p: dict) -> list[float]:
    print("| 步骤（合成城市） | 用时 | CPU 时间 | 做了什么 |")
    print("| --- | --- | --- | --- |")
    print(
        f"| 生成落实方案表并登记 | {cell(p['build'])} | {p['built']} 个牵头单位各一份，"
        f"共 {p['forms_mb']:.1f} MB |"
    )
    print(
        f"| 下发通知（发件箱） | {cell(p['notice'])} | {p['notices']} 封，"
        "每个牵头单位一封，附落实方案表 |"
    )
    print(
        f"| 收取并汇总 | {cell(p['take'])} | 收取 {p['taken']} 份、逐格校验，"
        f"写落实方案汇总表（{p['summary_mb']:.1f} MB） |"
    )
    total = sum(p[k][0] for k in ("build", "notice", "take"))
    cpu = sum(p[k][1] for k in ("build", "notice", "take"))
    print(f"| **合计** | **{total:.1f} s** | **{cpu:.1f} s** | |")
    return [total, cpu]


def show_changes(c: dict) -> list[float]:
    print("| 测试（合成城市：第一季度登记、批准，第二季度起适用） | 用时 | CPU 时间 | 说明 |")
    print("| --- | --- | --- | --- |")
    print(
        f"| 登记并批准 {c['n']} 项（延期、调整、销号各三分之一） | {cell(c['record'])} | "
        "每项写申请和决定两个文件，再记台账 |"
    )
    print(f"| 该季度任务表，没有变更 | {cell(c['book'])} | 每个步骤开始时建一次 |")
    print(
        f"| 该季度任务表，{c['n']} 项变更 | {cell(c['book_changed'])} | "
        f"销号 {c['closed']} 项，改动 {c['revised']} 项 |"
    )
    print(f"| 报告中关于变更的文字 | {cell(c['notes'])} | 读台账、列出本季度的申请和决定 |")
    return list(c["book_changed"])


SHOWN = {
    "plan": ("**落实方案（`duban plan`）**", show_plan),
    "changes": ("**销号、延期、调整**", show_changes),
}


def main(parts=PARTS) -> None:
    figures = {}
    for part in PARTS:
        if part not in parts:
            continue
        title, show = SHOWN[part]
        print(f"{title}\n")
        got, error = child_json("bench_features", "--child", part)
        if got is None:
            print(f"运行失败\n```\n{error}\n```\n")
            continue
        figures[part] = show(got)
        print(f"\n进程最大常驻内存 {got['rss']:.0f} MiB。\n")
    print(f"FIGURES {json.dumps(figures)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main(tuple(sys.argv[1:]) or PARTS)
