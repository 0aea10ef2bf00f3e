"""Time and peak memory of ``collect`` over 1,000 returns, beside what a user would script:
``pandas.read_excel`` on every file, then ``pandas.concat`` (default engine, and calamine).

Setup (not timed): the synthetic table of bench_forms (1,000 units × 2,000 rows), one form
per unit, each filled in like a unit would (``reporting.sample.returns``), in an inbox. Each
measured case runs in a fresh process, so its peak resident memory (``ru_maxrss``) is its
own. ``collect`` does far more than the naive script (archive, ledger, identification,
validation, merge, 汇总表.xlsx); the naive script only stacks the sheets.

Run: ``python -m bench.bench_collect`` (``--returns N`` for fewer; ``--keep DIR`` keeps the data).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import BENCH_NOW

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2024Q1"
RUNS = 3


def times(runs: list[dict]) -> str:
    return "、".join(f"{r['seconds']:.1f}" for r in runs)


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def prepare(base: Path, n_units: int) -> None:
    """Forms and filled returns for ``n_units`` synthetic units under ``base``."""
    from bench.bench_forms import synthetic_assignments
    from jobs.app import create_app
    from reporting.core.calendar import period_calendar
    from reporting.core.periods import Period
    from reporting.core.workspace import Workspace
    from reporting.forms.build import build_forms
    from reporting.sample.returns import answer_for, fill_form

    app = create_app(ROOT / "config.toml", data_dir=base / "gen", env={})
    assignments = synthetic_assignments(n_units=n_units, n_rows=2 * n_units)
    period = Period.parse(PERIOD)
    ws = Workspace(base / "gen")
    summary = build_forms(app.settings, assignments, ws, period, now=BENCH_NOW)
    deadline = period_calendar(period, app.settings.deadline).deadline
    rng = random.Random(1)
    inbox = base / "inbox"
    for i, form in enumerate(summary.built):
        rows = assignments.by_unit[form.unit]
        answers = {("lead", r.id): answer_for(r, form.unit, period, rng, True) for r in rows.lead}
        answers |= {("coop", r.id): answer_for(r, form.unit, period, rng, False) for r in rows.coop}
        dest = inbox / f"第{i // 100 + 1}批" / f"{form.path.stem}（已填）.xlsx"
        header = {
            "filler": "测试",
            "phone": "0552-0000000",
            "approver": "测试",
            "fill_date": "2024年4月3日",
        }
        fill_form(form.path, dest, answers, header)
        when = deadline.timestamp() - 86400 + i
        os.utime(dest, (when, when))


def cpu_seconds() -> float:
    """User + system time of this process and its finished workers."""
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_collect(base: Path, n_units: int, run: int = 0) -> dict:
    from bench.bench_forms import synthetic_assignments
    from jobs.app import create_app
    from reporting.core.parallel import worker_count
    from reporting.core.workspace import Workspace
    from reporting.merge.collect_merge import collect_and_merge as collect

    data = base / f"collect-{run}"  # each run takes in the whole inbox afresh
    app = create_app(ROOT / "config.toml", data_dir=data, env={})
    assignments = synthetic_assignments(n_units=n_units, n_rows=2 * n_units)
    ws = Workspace(data)
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    summary = collect(app.settings, assignments, ws, PERIOD, inbox=base / "inbox", now=BENCH_NOW)
    first = time.perf_counter() - t0
    cpu = cpu_seconds() - c0
    t0 = time.perf_counter()
    again = collect(app.settings, assignments, ws, PERIOD, inbox=base / "inbox", now=BENCH_NOW)
    rerun = time.perf_counter() - t0
    states = [f.state for f in summary.new]
    return {
        "files": len(summary.new) + len(summary.known),
        "accepted": states.count("accepted"),
        "rejected": len(states) - states.count("accepted"),
        "rows": len(summary.result.rows),
        "seconds": first,
        "cpu": cpu,
        "rerun_seconds": rerun,
        "rerun_new": len(again.new),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "workers": worker_count(n_units),
    }


def run_pandas(base: Path, engine: str | None) -> dict:
    import pandas as pd

    files = sorted((base / "inbox").rglob("*.xlsx"))
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    frames = []
    for f in files:
        sheets = pd.read_excel(f, sheet_name=None, header=4, engine=engine)
        for name, df in sheets.items():
            # the forms break narrow headers over lines ("任务\n编号"): compare without them
            df.columns = ["".join(str(c).split()) for c in df.columns]
            if "任务编号" in df.columns:
                df["文件"] = f.name
                df["工作表"] = name
                frames.append(df)
    merged = pd.concat(frames, ignore_index=True)
    took = time.perf_counter() - t0
    return {
        "files": len(files),
        "rows": len(merged),
        "seconds": took,
        "cpu": cpu_seconds() - c0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(args: list[str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_collect", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--returns", type=int, default=1000)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--case", choices=("prepare", "collect", "pandas", "pandas-calamine"))
    parser.add_argument("--base", type=Path)
    parser.add_argument("--run", type=int, default=0)
    args = parser.parse_args()
    if args.case == "prepare":
        prepare(args.base, args.returns)
        print(json.dumps({}))
        return
    if args.case == "collect":
        print(json.dumps(run_collect(args.base, args.returns, args.run)))
        return
    if args.case in ("pandas", "pandas-calamine"):
        print(
            json.dumps(
                run_pandas(args.base, "calamine" if args.case == "pandas-calamine" else None)
            )
        )
        return

    base = args.keep or Path(tempfile.mkdtemp(prefix="duban-bench-collect-"))
    try:
        n = str(args.returns)
        t0 = time.perf_counter()
        _child(["--case", "prepare", "--base", str(base), "--returns", n])
        setup = time.perf_counter() - t0
        # duban and pandas+calamine take turns, RUNS times each: the ratio is of the medians
        # (one run each moved it by a tenth with the machine's own drift)
        cs, pcs = [], []
        for run in range(RUNS):
            cs.append(
                _child(
                    ["--case", "collect", "--base", str(base), "--returns", n, "--run", str(run)]
                )
            )
            pcs.append(_child(["--case", "pandas-calamine", "--base", str(base), "--returns", n]))
        c, pc = median_run(cs), median_run(pcs)
        p = _child(["--case", "pandas", "--base", str(base), "--returns", n])
        mb = sum(f.stat().st_size for f in (base / "inbox").rglob("*")) / 1e6
        print(
            f"{c['files']} 份报回文件（合成 {args.returns} 个单位，共 {mb:.1f} MB；准备数据 {setup:.0f} 秒，不计入）。\n"
        )
        print("| 方式 | 文件 | 用时 | CPU 时间 | 每份 | 峰值内存（RSS） | 得到什么 |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        per = lambda r: f"{1000 * r['seconds'] / max(1, r['files']):.1f} ms"  # noqa: E731
        print(
            f"| duban collect | {c['files']} | {c['seconds']:.1f} s | {c['cpu']:.1f} s | {per(c)} | {c['peak_rss_mb']:.0f} MB | "
            f"归档、台账、识别、逐格校验（接收 {c['accepted']}，退回 {c['rejected']}）、汇总 {c['rows']} 行、汇总表.xlsx、merged.json |"
        )
        print(
            f"| duban collect 再次运行（无新文件） | {c['files']} | {c['rerun_seconds']:.2f} s | — | — | — | "
            f"新收 {c['rerun_new']} 份，结果不变不改写 |"
        )
        print(
            f"| pandas.read_excel（默认 openpyxl）+ concat | {p['files']} | {p['seconds']:.1f} s | {p['cpu']:.1f} s | {per(p)} | "
            f"{p['peak_rss_mb']:.0f} MB | 堆叠 {p['rows']} 行，不识别、不校验 |"
        )
        print(
            f'| pandas.read_excel(engine="calamine") + concat | {pc["files"]} | {pc["seconds"]:.1f} s | {pc["cpu"]:.1f} s | {per(pc)} | '
            f"{pc['peak_rss_mb']:.0f} MB | 同上 |"
        )
        print()
        print(
            f"duban collect 与 pandas+calamine 交替各运行 {RUNS} 次（用时 "
            f"{times(cs)} s 与 {times(pcs)} s），表中是用时居中的一次；"
            f"两者的用时之比：{c['seconds'] / pc['seconds']:.2f}（目标 ≤ 0.8；CPU 时间之比 {c['cpu'] / pc['cpu']:.2f}）。"
            f"duban 用 {c['workers']} 个进程"
            "并行读取、校验报回文件，归档和台账写入留在主进程、按收件顺序进行。"
        )
        print()
        print(
            "每种方式在单独的进程中运行；峰值内存为该进程的最大常驻内存（ru_maxrss，含 Python 与已导入的库）。"
        )
        ratios = {"ratio": c["seconds"] / pc["seconds"], "cpu_ratio": c["cpu"] / pc["cpu"]}
        print(f"FIGURES {json.dumps({'collect': ratios})}")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
