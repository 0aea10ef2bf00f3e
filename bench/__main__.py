"""Run every benchmark and write docs/performance.md (``make bench``).

Each ``bench/bench_*.py`` prints its own figures (markdown, and a ``FIGURES`` line of JSON
for the targets table of ``bench.targets``); this runner runs them one after another in
fresh processes and collects the output with a description of the machine.

``python -m bench city collect …`` runs only the named sections (or parts: city, bundled,
plan, changes) and prints them; docs/performance.md is written by a whole run only.
"""

from __future__ import annotations

import compileall
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from bench.targets import targets_table

ROOT = Path(__file__).resolve().parent.parent
# section name (``python -m bench NAME …``) → (module, its arguments, title)
SECTIONS = {
    "startup": ("bench_startup", (), "启动时间"),
    "forms": ("bench_forms", (), "生成表单（forms）"),
    "remind": ("bench_remind", (), "通知与催报（remind）"),
    "collect": ("bench_collect", (), "回收汇总（collect），对照 pandas.read_excel + concat"),
    "receipts": ("bench_receipts", (), "回执与退回通知（collect 之后）"),
    "imap": ("bench_imap", (), "从收件邮箱（IMAP，本机 Dovecot）收取 + 回收"),
    "report": ("bench_report", (), "生成报告（report），对照直接用 python-docx 逐行建表"),
    "dashboard": (
        "bench_dashboard",
        (),
        "领导看板（dashboard）：城市规模的生成用时、大小，浏览器中打开和筛选",
    ),
    "features": ("bench_features", (), "本轮新增功能在城市规模的成本（落实方案、销号延期调整）"),
    "run": ("bench_run", (), "整个季度流程（run）"),
}
# parts of a section that can be run alone
PARTS = {
    "city": ("bench_run", ("city",), "整个季度流程（run），合成城市规模"),
    "bundled": ("bench_run", ("bundled",), "整个季度流程（run），自带数据"),
    "plan": ("bench_features", ("plan",), "落实方案（duban plan），城市规模"),
    "changes": ("bench_features", ("changes",), "销号、延期、调整，城市规模"),
}
FIGURES = "FIGURES "  # a section's figures for the targets table, a line of JSON


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.system()} {platform.release()}，{cpu or platform.machine()}，"
        f"{os.cpu_count()} 核，内存 {mem}，Python {platform.python_version()}"
    )


def compile_modules() -> None:
    """Byte-compile the project as ``pip install`` does: an editable checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile ~90 modules in every timed process."""
    for package in ("reporting", "jobs", "bench"):
        compileall.compile_dir(ROOT / package, quiet=1)


def run_section(module: str, args: tuple[str, ...]) -> tuple[str, dict, float]:
    """(markdown, figures, seconds) of one bench module run in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args], cwd=ROOT, capture_output=True, text=True
    )
    took = time.perf_counter() - t0
    lines, figures = [], {}
    for line in proc.stdout.strip().splitlines():
        if line.startswith(FIGURES):
            figures.update(json.loads(line[len(FIGURES) :]))
        else:
            lines.append(line)
    out = "\n".join(lines).strip() or "（无输出）"
    if proc.returncode != 0:
        out += f"\n\n运行失败：\n```\n{proc.stderr.strip()[-2000:]}\n```"
    return out, figures, took


def main() -> None:
    picked = sys.argv[1:]
    unknown = [p for p in picked if p not in SECTIONS and p not in PARTS]
    if unknown or picked[:1] in (["-h"], ["--help"]):
        print(
            "用法：python -m bench [节 …]\n"
            "不带参数：运行全部各节并写入 docs/performance.md；带参数：只运行这些节，只打印。\n"
            f"节：{'、'.join(SECTIONS)}；单独的部分：{'、'.join(PARTS)}"
        )
        raise SystemExit(2 if unknown else 0)
    compile_modules()
    started = time.perf_counter()
    todo = [SECTIONS[p] if p in SECTIONS else PARTS[p] for p in picked] or list(SECTIONS.values())
    parts = [
        "# 性能\n",
        f"由 `make bench` 生成（{date.today().isoformat()}）。机器：{machine()}。\n",
        "时间为墙钟时间，另列 CPU 时间（用户 + 系统，含工作进程和 LibreOffice）；"
        "内存为 Python 分配的峰值（tracemalloc）或进程最大常驻内存，各节说明。\n",
    ]
    sections, figures = [], {}
    for module, args, title in todo:
        if not (ROOT / "bench" / f"{module}.py").exists():
            continue
        print(f"== {title}", flush=True)
        out, got, took = run_section(module, args)
        figures.update(got)
        print(out, flush=True)
        sections.append(f"\n## {title}\n\n{out}\n\n（本节用时 {took:.0f} 秒）\n")
    total = time.perf_counter() - started
    if picked:  # a few sections: the document stays a whole run's
        print(f"只运行了部分节（用时 {total / 60:.1f} 分钟），未改写 docs/performance.md。")
        return
    parts.append("\n" + targets_table(figures))
    findings = ROOT / "bench" / "findings.md"  # what the profiles showed, kept by hand
    if findings.exists():
        parts.append("\n" + findings.read_text(encoding="utf-8"))
    parts += sections
    parts.append(f"\n（整个 `make bench` 用时 {total / 60:.1f} 分钟。）\n")
    (ROOT / "docs" / "performance.md").write_text("".join(parts), encoding="utf-8")
    print(f"已写入 docs/performance.md（整个 make bench 用时 {total / 60:.1f} 分钟）")


if __name__ == "__main__":
    main()
