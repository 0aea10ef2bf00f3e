"""Run every benchmark and write docs/performance.md (``make bench``).

Each ``bench/bench_*.py`` prints its own figures (markdown); this runner runs them one
after another in fresh processes and collects the output with a description of the machine.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = [
    "bench_startup",
    "bench_forms",
    "bench_remind",
    "bench_collect",
    "bench_receipts",
    "bench_imap",
    "bench_report",
    "bench_dashboard",
    "bench_run",
]
TITLES = {
    "bench_startup": "启动时间",
    "bench_forms": "生成表单（forms）",
    "bench_remind": "通知与催报（remind）",
    "bench_collect": "回收汇总（collect），对照 pandas.read_excel + concat",
    "bench_receipts": "回执与退回通知（collect 之后）",
    "bench_imap": "从收件邮箱（IMAP，本机 Dovecot）收取 + 回收",
    "bench_report": "生成报告（report），对照直接用 python-docx 逐行建表",
    "bench_dashboard": "领导看板（dashboard）：城市规模的生成用时、大小，浏览器中打开和筛选",
    "bench_run": "整个季度流程（run）",
}


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


def main() -> None:
    started = time.perf_counter()
    only = sys.argv[1:]
    parts = [
        "# 性能\n",
        f"由 `make bench` 生成（{date.today().isoformat()}）。机器：{machine()}。\n",
        "时间为墙钟时间，内存为 Python 分配的峰值（tracemalloc）或进程最大常驻内存，各节说明。\n",
    ]
    findings = ROOT / "bench" / "findings.md"  # what the profiles showed, kept by hand
    if findings.exists():
        parts.append("\n" + findings.read_text(encoding="utf-8"))
    for name in ORDER:
        if only and name not in only:
            continue
        if not (ROOT / "bench" / f"{name}.py").exists():
            continue
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", f"bench.{name}"], cwd=ROOT, capture_output=True, text=True
        )
        took = time.perf_counter() - t0
        out = proc.stdout.strip() or "（无输出）"
        if proc.returncode != 0:
            out += f"\n\n运行失败：\n```\n{proc.stderr.strip()[-2000:]}\n```"
        print(out, flush=True)
        parts.append(f"\n## {TITLES.get(name, name)}\n\n{out}\n\n（本节用时 {took:.0f} 秒）\n")
    total = time.perf_counter() - started
    parts.append(f"\n（整个 `make bench` 用时 {total / 60:.1f} 分钟。）\n")
    (ROOT / "docs" / "performance.md").write_text("".join(parts), encoding="utf-8")
    print(f"已写入 docs/performance.md（整个 make bench 用时 {total / 60:.1f} 分钟）")


if __name__ == "__main__":
    main()
