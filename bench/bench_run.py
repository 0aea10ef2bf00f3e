"""A whole quarter through ``run_cycle`` with the real steps, and the scheduler's own cost.

1. ``duban run`` over 2024Q1 with the real steps, for the bundled 50 units and for the
   synthetic city (1,000 units × 2,000 rows, bench_forms): at the notice moment (forms +
   通知 to an outbox + collect), after every unit has returned (collect + 提醒), at the
   cooperating units' deadline (配合反馈 to every lead unit), on the report day (逾期 +
   report, PDF when LibreOffice is installed), and once more (nothing due) — the moments
   the scheduler runs them at. For the city, the 督查通报 with its 督办单 after that (a step
   only with ``[bulletin] auto``: measured apart, not in the total).
   Each scale runs in its own process, so its peak resident memory is its own.
2. The scheduler over the same quarter on a fake clock with no-op steps: every fire goes
   through APScheduler's SQLite job store, the lock, the ledger and the due/done decisions.

Run: ``python -m bench.bench_run`` (or some of ``city bundled scheduler``); prints markdown.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import child_json

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
SCALES = {
    "bundled": "自带数据（50 个单位，79 行）",
    "city": "合成城市规模（1,000 个单位，2,000 行）",
}


def at(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def cpu_seconds() -> float:
    """User + system time of this process and its finished children (workers, LibreOffice)."""
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def real_quarter(tmp: Path, scale: str) -> list[tuple[str, float, int, float]]:
    from jobs.app import create_app
    from jobs.runner import run_cycle
    from jobs.steps import due_times
    from reporting.core.calendar import period_calendar
    from reporting.core.periods import Period
    from reporting.sample.returns import Scenario, simulate_returns

    os.environ["DUBAN_SMTP_OUTBOX"] = str(tmp / "outbox")
    if scale == "city":  # its task table and registry: every step's task book is built from them
        from bench.bench_forms import city_app

        app = city_app(tmp / "data")
    else:
        app = create_app(ROOT / "config.toml", tmp / "data")
    period = Period(2024, 1)
    n = len(app.assignments.by_unit)
    rows = []

    def timed(label: str, moment: datetime) -> None:
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        report = run_cycle(app, period, now=moment)
        took = time.perf_counter() - t0
        assert not report.failed, report.lines()
        rows.append((label, took, len(report.ran), cpu_seconds() - c0))

    # the scheduler's moments, as the calendar of config.toml puts them
    cal = period_calendar(period, app.settings.deadline)
    due = due_times(cal, app.settings)
    timed(f"通知日 {due['forms']:%m-%d %H:%M}：生成表单、下发通知（发件箱）、回收", due["forms"])
    t0 = time.perf_counter()
    simulate_returns(app.assignments, app.workspace, period, cal.deadline, Scenario())
    prep = time.perf_counter() - t0
    timed(f"提醒日 {due['提醒']:%m-%d %H:%M}：回收 {n} 份报表、提醒", due["提醒"])
    timed(
        f"配合截止 {cal.coop_deadline:%m-%d %H:%M}：回收、配合单位反馈（发给每个牵头单位）",
        cal.coop_deadline,
    )
    report_at = due["report"]
    timed(f"报告日 {report_at:%m-%d %H:%M}：回收、逾期催报、生成报告（含 PDF 和调度单）", report_at)
    timed("再运行一次（没有要做的）", report_at + timedelta(minutes=30))
    if scale == "city":
        # the 督查通报 and its 督办单: a step of the cycle only with [bulletin] auto
        from jobs.steps import do_bulletin

        c0, t0 = cpu_seconds(), time.perf_counter()
        out = do_bulletin(app, period, now=report_at).output
        took = time.perf_counter() - t0
        issued = out.orders.issued if out.orders is not None else []
        size = sum(d.path.stat().st_size for d in issued) / 1e6
        pdf = "（含 PDF）" if out.pdf is not None else ""
        label = f"（另测，不计入：督查通报{pdf}和 {len(issued)} 份督办单，督办单共 {size:.1f} MB）"
        rows.append((label, took, 1, cpu_seconds() - c0))
    rows.append((f"（不计入：模拟 {n} 个单位填表）", prep, 0, 0.0))
    return rows


def scheduler_quarter(tmp: Path) -> tuple[int, int, float]:
    from apscheduler.events import EVENT_JOB_EXECUTED

    from jobs import steps
    from jobs.app import create_app
    from jobs.fakeclock import FakeClock, simulate

    for name in steps.ORDER:
        steps.STEPS[name] = lambda app, period, now: None
    app = create_app(ROOT / "config.toml", tmp / "sched")
    fires = []
    clock = FakeClock(at("2024-03-28T00:00"))
    t0 = time.perf_counter()
    simulate(
        lambda: app,
        clock,
        at("2024-04-12T00:00"),
        years=[2024],
        listeners=[(lambda e: fires.append(e.job_id), EVENT_JOB_EXECUTED)],
    )
    took = time.perf_counter() - t0
    return len(fires), len(set(fires)), took


def child(scale: str) -> None:
    """One scale in this process; prints JSON for the parent."""
    with tempfile.TemporaryDirectory() as d:
        rows = real_quarter(Path(d), scale)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "rss": rss}, ensure_ascii=False))


KEYS = ("notice", "remind", "coop", "report")  # the counted moments, in order (bench.targets)


def main(picked: tuple[str, ...] = ()) -> None:
    """Both scales and the scheduler; ``picked``: only these of city, bundled, scheduler."""
    figures = {}
    for scale, title in SCALES.items():
        if picked and scale not in picked:
            continue
        data, error = child_json("bench_run", "--child", scale)
        if data is None:
            print(f"{title}：运行失败\n```\n{error}\n```\n")
            continue
        counted = [r for r in data["rows"] if not r[0].startswith("（")]
        total = sum(r[1] for r in counted)
        cpu = sum(r[3] for r in counted)
        print(f"| 运行时刻（2024Q1，{title}） | 用时 | CPU 时间 | 执行的步骤 |")
        print("| --- | --- | --- | --- |")
        for label, secs, ran, used in data["rows"]:
            print(f"| {label} | {secs:.2f} s | {used:.1f} s | {ran if ran else ''} |")
        print(f"| **合计** | **{total:.1f} s** | **{cpu:.1f} s** | |")
        print()
        print(f"进程最大常驻内存 {data['rss']:.0f} MiB。")
        print()
        figures[scale] = {
            "total": total,
            "cpu": cpu,
            "rss": data["rss"],
            "moments": {k: r[1] for k, r in zip(KEYS, counted, strict=False)},
            # the fill-in simulation: code that did not change, the machine's own speed
            "sim": next((r[1] for r in data["rows"] if r[0].startswith("（不计入：模拟")), None),
        }
    print(f"FIGURES {json.dumps(figures)}")
    if picked and "scheduler" not in picked:
        return
    with tempfile.TemporaryDirectory() as d:
        fires, jobs, took = scheduler_quarter(Path(d))
    print(
        f"排程进程走完一个季度（模拟时钟，步骤替换为空操作）：{jobs} 个任务共触发 {fires} 次，"
        f"用时 {took:.1f} s，每次 {took / fires * 1000:.1f} ms"
        "（APScheduler 的 SQLite 任务库、锁、台账和到期判断的开销）。"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main(tuple(sys.argv[1:]))
