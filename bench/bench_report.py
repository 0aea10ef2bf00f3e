"""Render time of ``duban report``: the bundled task table and a 2,000-row annex.

For comparison, a bare python-docx loop builds the same annex table (no template, no
styles, no chart). Run: ``python -m bench.bench_report``; prints markdown.
"""

from __future__ import annotations

import copy
import io
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench import REPORT_NOW

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

TODAY = date(2024, 4, 9)


def sample(app):
    from test_report import sample_result  # the realistic result the tests use

    return sample_result(app)


def big_result(base, rows: int):
    """``rows`` task rows made from the sample's rows (ids renumbered, sections kept)."""
    result = copy.deepcopy(base)
    out = []
    for i in range(rows):
        row = copy.deepcopy(base.rows[i % len(base.rows)])
        row.id, row.label, row.task_no = str(i + 1), str(i + 1), str(i + 1)
        out.append(row)
    result.rows = out
    return result


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def bare_python_docx(annex: list[dict], path: Path) -> None:
    """The same seven columns with python-docx's own API, row by row."""
    from docx import Document

    doc = Document()
    table = doc.add_table(rows=1, cols=7)
    for cell, text in zip(
        table.rows[0].cells,
        ["序号", "任务", "牵头领导", "牵头单位", "本季度进展", "状态", "亮灯"],
        strict=True,
    ):
        cell.text = text
    for r in annex:
        cells = table.add_row().cells
        for cell, key in zip(
            cells, ["label", "task", "leaders", "units", "progress", "status", "light"], strict=True
        ):
            cell.text = str(r[key])
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(buf.getvalue())


def peak_mb(fn) -> float:
    """Peak Python allocation of one call (tracemalloc; measured apart from the timings)."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def main() -> None:
    from jobs.app import create_app
    from reporting.core.periods import Period
    from reporting.report.context import build_context
    from reporting.report.render import render_report

    period = Period(2024, 1)
    lines = [
        "| 测试 | 行数 | 中位数 | 最快 | 文件大小 | 峰值内存（Python 分配） |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = create_app(ROOT / "config.toml", data_dir=tmp / "data", env={})
        base = sample(app)
        render_report(
            app.settings,
            app.workspace,
            period,
            out_dir=tmp / "warm",
            result=base,
            today=TODAY,
            now=REPORT_NOW,
        )  # imports
        for label, result, repeat in (
            ("报告（随附数据，含图表和附件表）", base, 5),
            ("报告，附件 2,000 行", big_result(base, 2000), 3),
        ):
            out_dir = tmp / f"r{len(result.rows)}"

            def run(result=result, out_dir=out_dir):
                return render_report(
                    app.settings,
                    app.workspace,
                    period,
                    out_dir=out_dir,
                    result=result,
                    today=TODAY,
                    now=REPORT_NOW,
                )

            times = timed(run, repeat)
            size = next(out_dir.glob("*.docx")).stat().st_size
            lines.append(
                f"| {label} | {len(result.rows)} | {statistics.median(times):.2f} s | {min(times):.2f} s "
                f"| {size / 1024:.0f} KB | {peak_mb(run):.0f} MB |"
            )
            if len(result.rows) == 2000:
                annex = build_context(result, app.settings, period, today=TODAY)["annex"]
                bare = tmp / "bare.docx"
                times = timed(lambda annex=annex, bare=bare: bare_python_docx(annex, bare), repeat)
                peak = peak_mb(lambda annex=annex, bare=bare: bare_python_docx(annex, bare))
                lines.append(
                    f"| 对照：python-docx 逐行建同样的附件表（无模板、无样式） | 2000 | "
                    f"{statistics.median(times):.2f} s | {min(times):.2f} s | {bare.stat().st_size / 1024:.0f} KB "
                    f"| {peak:.0f} MB |"
                )
    print("\n".join(lines))
    print()
    print("报告时间含读取模板、生成图表（matplotlib）、docxtpl 渲染、写文件；不含转 PDF。")


if __name__ == "__main__":
    main()
