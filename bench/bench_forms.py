"""Time and peak memory of ``build_forms``: the bundled data, and a synthetic table of
1,000 units × 2,000 rows (each row: one lead unit, three cooperating units, and one to
three indicators on a third of the rows); the floor beside it, a bare XlsxWriter loop
writing the same cells (no styles, protection, validation or identification), as the
ratio of the two measured in the same run; and the cost per unit at 100 / 300 / 1,000 units.

Each case runs in a fresh process so its peak resident memory (``ru_maxrss``) is its own.
Run: ``python -m bench.bench_forms`` (or one case: ``python -m bench.bench_forms synthetic``).
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import BENCH_NOW

ROOT = Path(__file__).resolve().parent.parent
CASES = ("bundled", "synthetic", "xlsxwriter", "scale100", "scale300")
SCALE = {"scale100": 100, "scale300": 300, "synthetic": 1000}


def synthetic_assignments(n_units: int = 1000, n_rows: int = 2000, seed: int = 7):
    from reporting.core.config import RegistrySettings
    from reporting.taskbook.assignments import Assignments
    from reporting.taskbook.registry import Registry, Unit
    from reporting.taskbook.tasks import Indicator, Task

    rng = random.Random(seed)
    units = [f"测试单位{i:04d}" for i in range(1, n_units + 1)]
    registry = Registry(
        [Unit(u, email=f"unit{i:04d}@bench.example") for i, u in enumerate(units, 1)],
        RegistrySettings(leaders=["张三", "李四"]),
    )
    phrase = "持续推进重点项目建设，强化要素保障，加快形成实物工作量，确保按期完成年度目标任务。"
    tasks = []
    for i in range(1, n_rows + 1):
        picked = rng.sample(units, 4)
        indicators = ()
        if i % 3 == 0:
            indicators = tuple(
                Indicator(
                    f"指标{k}",
                    float(rng.randint(10, 5000)),
                    rng.choice(["个", "亿元", "%"]),
                    rng.random() < 0.3,
                )
                for k in range(1, rng.randint(1, 3) + 1)
            )
        tasks.append(
            Task(
                id=str(i),
                section=1 + i % 9,
                section_title="",
                task_no=str(i),
                task_title="",
                content=f"第{i}项：" + phrase * rng.randint(1, 3),
                lead_leaders="张三",
                lead_units=picked[0],
                coop_units="、".join(picked[1:]),
                indicators=indicators,
            )
        )
    return Assignments(tasks, registry)


def city_app(data_dir, env=None):
    """An app over ``data_dir`` whose task table and registry are the synthetic city's:
    every step builds its period's task book (``app.book``) from these two."""
    from jobs.app import create_app

    app = create_app(ROOT / "config.toml", data_dir, env)
    city = synthetic_assignments()
    app.__dict__.update(tasks=city.tasks, registry=city.registry, assignments=city)
    return app


def cpu_seconds() -> float:
    """User + system time of this process and its finished workers."""
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_case(case: str) -> dict:
    from jobs.app import create_app
    from reporting.core.periods import Period
    from reporting.core.workspace import Workspace
    from reporting.forms.build import build_forms

    if case == "xlsxwriter":
        return run_floor()
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        app = create_app(ROOT / "config.toml", data_dir=tmp, env={})
        t_setup = time.perf_counter()
        n = SCALE.get(case, 0)
        assignments = app.assignments if case == "bundled" else synthetic_assignments(n, 2 * n)
        rows = len(assignments.rows)
        setup = time.perf_counter() - t_setup
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        summary = build_forms(
            app.settings, assignments, Workspace(tmp), Period(2024, 1), now=BENCH_NOW
        )
        took = time.perf_counter() - t0
        cpu = cpu_seconds() - c0
        size = sum(f.path.stat().st_size for f in summary.built)
        return {
            "case": case,
            "units": len(summary.built),
            "rows": rows,
            "sheet_rows": sum(f.lead_rows + f.coop_rows for f in summary.built),
            "setup_s": setup,
            "seconds": took,
            "cpu": cpu,
            "per_form_ms": 1000 * took / max(1, len(summary.built)),
            "mb_written": size / 1e6,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "failed": len(summary.failed),
        }


def run_floor() -> dict:
    """The floor: one XlsxWriter workbook per unit with the same sheets and the same given
    cells (headers, 序号, 任务编号, 任务内容, 责任分工, indicator targets), nothing else."""
    import xlsxwriter

    from reporting.forms import formspec as fs

    assignments = synthetic_assignments()
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        size = 0
        for unit, rows in assignments.by_unit.items():
            path = Path(tmp) / f"{unit}.xlsx"
            wb = xlsxwriter.Workbook(path)
            for role, task_rows in (("lead", rows.lead), ("coop", rows.coop)):
                if not task_rows:
                    continue
                ws = wb.add_worksheet(fs.TASK_SHEETS[role])
                cols = fs.columns(max(len(r.task.indicators) for r in task_rows))
                for c, col in enumerate(cols):
                    ws.write_string(fs.HEADER_ROW - 1, c, col.header)
                for i, r in enumerate(task_rows):
                    duty = "牵头单位：" + "、".join(r.lead_units)
                    given = {"seq": i + 1, "task_id": r.task.label, "content": r.task.content}
                    given["duty"] = duty
                    for c, col in enumerate(cols):
                        if col.key in given:
                            ws.write(fs.FIRST_DATA_ROW - 1 + i, c, given[col.key])
                        elif col.kind == "indicator_target" and col.indicator <= len(
                            r.task.indicators
                        ):
                            ind = r.task.indicators[col.indicator - 1]
                            ws.write_string(fs.FIRST_DATA_ROW - 1 + i, c, fs.indicator_label(ind))
            wb.close()
            size += path.stat().st_size
        took = time.perf_counter() - t0
        units = len(assignments.by_unit)
        return {
            "case": "xlsxwriter",
            "units": units,
            "seconds": took,
            "cpu": cpu_seconds() - c0,
            "per_form_ms": 1000 * took / units,
            "mb_written": size / 1e6,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def _child(case: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_forms", case],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CASES:
        print(json.dumps(run_case(sys.argv[1])))
        return
    from reporting.core.parallel import cores

    print("| 数据 | 单位（表单） | 任务行 | 表内行合计 | 用时 | 每份 | 写出 | 峰值内存（RSS） |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    got = {}
    for case in ("bundled", "synthetic"):
        r = got[case] = _child(case)
        name = "自带数据" if case == "bundled" else "合成 1,000 单位 × 2,000 行"
        print(
            f"| {name} | {r['units']} | {r['rows']} | {r['sheet_rows']} | {r['seconds']:.1f} s | "
            f"{r['per_form_ms']:.0f} ms | {r['mb_written']:.1f} MB | {r['peak_rss_mb']:.0f} MB |"
        )
    print()
    print(
        f"用时只计 build_forms（含写入 ledger）；表单由 {cores()} 个进程并行写出（每核一个），"
        "台账由主进程按单位顺序写入。峰值内存为主进程的最大常驻内存（ru_maxrss）。"
    )
    floor = _child("xlsxwriter")
    duban = got["synthetic"]
    print()
    print("对照（同一次运行中测得）：")
    print()
    print("| 方式 | 表单 | 用时 | CPU 时间 | 每份 | 写出 | 与 duban 之比 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| duban forms（样式、保护、数据验证、识别信息、打印设置） | {duban['units']} | "
        f"{duban['seconds']:.1f} s | {duban['cpu']:.1f} s | {duban['per_form_ms']:.1f} ms | "
        f"{duban['mb_written']:.1f} MB | 1 |"
    )
    print(
        f"| 裸 XlsxWriter 循环（同样的单元格，无样式、保护、验证，单进程） | {floor['units']} | "
        f"{floor['seconds']:.1f} s | {floor['cpu']:.1f} s | {floor['per_form_ms']:.1f} ms | "
        f"{floor['mb_written']:.1f} MB | duban 用时为其 {duban['seconds'] / floor['seconds']:.1f} 倍，"
        f"CPU 时间为其 {duban['cpu'] / floor['cpu']:.1f} 倍 |"
    )
    ratios = {
        "ratio": duban["seconds"] / floor["seconds"],
        "cpu_ratio": duban["cpu"] / floor["cpu"],
    }
    print(f"FIGURES {json.dumps({'forms': ratios})}")
    print()
    print("规模（每单位的成本应保持平稳）：")
    print()
    print("| 单位 × 任务行 | 用时 | 每单位 |")
    print("| --- | --- | --- |")
    for case in ("scale100", "scale300", "synthetic"):
        r = got.get(case) or _child(case)
        print(
            f"| {SCALE[case]:,} × {2 * SCALE[case]:,} | {r['seconds']:.1f} s | "
            f"{r['per_form_ms']:.1f} ms |"
        )


if __name__ == "__main__":
    main()
