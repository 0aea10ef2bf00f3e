"""Start-up time of ``duban --help`` (heavy libraries must be imported lazily)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

# what `duban --help` imports: it formats every command's help
PROBE = """
import contextlib, io, sys
from jobs.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(["--help"])
    except SystemExit:
        pass
heavy = ("openpyxl", "docx", "docxtpl", "matplotlib", "apscheduler", "sqlalchemy", "pandas", "chinese_calendar")
print(sorted(m for m in heavy if m in sys.modules))
"""


def main(runs: int = 7) -> None:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "jobs", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print("| 测试 | 中位数 | 最快 |")
    print("| --- | --- | --- |")
    print(
        f"| `duban --help`（{runs} 次） | {statistics.median(times) * 1000:.0f} ms | {min(times) * 1000:.0f} ms |"
    )
    print()
    print(f"启动时已导入的重型库：{probe}")


if __name__ == "__main__":
    main()
