"""The 看板 at city scale (1,000 units × 2,000 rows, bench_forms' synthetic city): build time
and size of the period page (with last quarter for the history dots) and of the year page,
and — where Chromium is installed — how long the page takes to open and to filter by light
in a headless browser. Run: ``python -m bench.bench_dashboard``; prints markdown.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from bench import TZ

ROOT = Path(__file__).resolve().parent.parent
TEXT = "持续推进重点项目建设，强化要素保障，加快形成实物工作量。本季度召开调度会{n}次，协调解决问题{m}个。"


def city_result(assignments, settings, period, seed: int):
    """A merged result of the synthetic city: every lead and partner unit answered, a few
    units late, rejected or missing (their rows then 未报送)."""
    from reporting.core.model import Answer, UnitAnswers, UnitReturn
    from reporting.core.pace import judge_status
    from reporting.core.periods import Period
    from reporting.merge.judge import build_result

    rng = random.Random(seed)
    period = Period.parse(period)
    answers, units = {}, []
    for unit, rows in assignments.by_unit.items():
        fate = rng.choices(["on_time", "late", "rejected", "missing"], [90, 5, 2, 3])[0]
        state = {"on_time": "accepted", "late": "accepted"}.get(fate, fate)
        units.append(
            UnitReturn(
                unit=unit,
                state=state,
                late=fate == "late",
                versions=0 if fate == "missing" else 1,
                received_at=None
                if fate == "missing"
                else f"{period.end.isoformat()}T10:00:00+08:00",
            )
        )
        if state != "accepted":
            continue
        ua = UnitAnswers(unit)
        for role, rts in (("lead", rows.lead), ("coop", rows.coop)):
            for rt in rts:
                pct = float(rng.randint(0, 100))
                status = judge_status(pct, period.expected_progress, settings.merge)
                a = Answer(
                    unit=unit,
                    progress=TEXT.format(n=rng.randint(1, 9), m=rng.randint(1, 9))
                    * rng.randint(1, 3),
                    percent=pct,
                    status=status,
                    problems="资金到位不及时，影响实施进度。" if rng.random() < 0.4 else "",
                    next_steps="加强调度，确保按时序推进。",
                    indicators={i.name: rng.random() * i.target for i in rt.task.indicators},
                )
                getattr(ua, role)[rt.id] = a
        answers[unit] = ua
    due = f"{period.end.isoformat()}T17:30:00+08:00"
    return build_result(
        assignments, period, answers, units, settings.merge, deadline=due, generated_at=due
    )


def browser_times(page: Path, runs: int = 3) -> tuple[float, float] | None:
    """(open, filter by red) seconds in a headless Chromium, medians; None without one."""
    import shutil

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (Path(chromium).exists() and Path(driver_path).exists()):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    with tempfile.TemporaryDirectory() as profile:
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"):
            opts.add_argument(flag)
        opts.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=opts, service=Service(driver_path))
        try:
            opened, filtered = [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                driver.get(page.as_uri())  # returns once the page has loaded and run its script
                driver.execute_script("return document.body.offsetHeight")  # laid out
                opened.append(time.perf_counter() - t0)
                filtered.append(
                    driver.execute_script(
                        "var t = performance.now(); var s = document.querySelector('select[data-attr=light]');"
                        " s.value = '红'; s.dispatchEvent(new Event('change', {bubbles: true}));"
                        " document.body.offsetHeight; return (performance.now() - t) / 1000;"
                    )
                )
        finally:
            driver.quit()
    return statistics.median(opened), statistics.median(filtered)


def main() -> None:
    from datetime import datetime

    from bench.bench_forms import synthetic_assignments
    from jobs.app import create_app
    from reporting.core.periods import Period
    from reporting.dashboard.page import write_period_dashboard, write_year_dashboard

    now = datetime(2024, 7, 9, 9, 0, tzinfo=TZ)
    lines = [
        "| 看板（合成城市：1,000 个单位，2,000 行） | 生成用时（中位数） | CPU 时间 | 文件大小 |",
        "| --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(ROOT / "config.toml", data_dir=Path(tmp) / "data", env={})
        assignments = synthetic_assignments()
        ws = app.workspace
        for q in (1, 2):
            result = city_result(assignments, app.settings, Period(2024, q), seed=q)
            ws.period_dir(Period(2024, q)).mkdir(parents=True)
            ws.merged_json(Period(2024, q)).write_text(result.to_json(), encoding="utf-8")

        def timed(label, build):
            runs, cpu = [], []
            for _ in range(3):
                t0, c0 = time.perf_counter(), time.process_time()
                out = build()
                runs.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            lines.append(
                f"| {label} | {statistics.median(runs):.2f} s | {statistics.median(cpu):.2f} s "
                f"| {out.size / 1024 / 1024:.2f} MB |"
            )
            return out

        page = timed(
            "第二季度看板（含第一季度的进度点）",
            lambda: write_period_dashboard(
                app.settings, ws, Period(2024, 2), now=now, assignments=assignments
            ),
        )
        timed(
            "全年看板（两个季度已汇总）",
            lambda: write_year_dashboard(app.settings, ws, assignments, 2024, now=now),
        )
        times = browser_times(page.path)
    print("\n".join(lines))
    print()
    if times is None:
        print("没有找到 chromium / chromedriver，未测浏览器中的打开和筛选时间。")
    else:
        print(
            f"无界面 Chromium 中打开第二季度看板（加载、运行脚本、排版）{times[0]:.2f} s，"
            f"按亮灯筛选（红灯）{times[1] * 1000:.0f} ms（各 3 次的中位数）。"
        )
    print()
    print(
        "生成用时含读取 merged.json（全年看板读两个季度）、计算与报告相同的各项数字、渲染和写文件。"
    )


if __name__ == "__main__":
    main()
