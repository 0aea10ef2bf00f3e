"""Benchmarks (``make bench``): speed and memory figures, never run by ``make test``."""

import json
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
BENCH_NOW = datetime(2024, 4, 2, 10, 0, tzinfo=TZ)  # inside 2024Q1's collection window
REPORT_NOW = datetime(2024, 4, 9, 9, 0, tzinfo=TZ)  # 2024Q1's report day


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), TZ)


def child_json(module: str, *args: str) -> tuple[dict | None, str]:
    """Run ``python -m bench.<module> *args`` in a fresh process (its peak memory its own):
    (the JSON its last line prints, "") or (None, the end of its error output)."""
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None, proc.stderr[-1500:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), ""
