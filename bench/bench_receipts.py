"""Time of ``send_receipts``: one 回执 or 退回通知 per unit's latest return, by email to a local
aiosmtpd server, then the rerun that sends nothing, for the bundled units and for 1,000
synthetic units. Returns are written straight into the ledger (collect is bench_collect's
job): every unit returned, one in ten was rejected with three problems, one in five has an
earlier superseded version.

Each case runs in a fresh process so its peak resident memory (``ru_maxrss``) is its own.
Run: ``python -m bench.bench_receipts`` (or one case: ``python -m bench.bench_receipts synthetic``).
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import tempfile
from datetime import datetime

from bench.bench_remind import (
    ROOT,
    _free_port,
    _Sink,
    _timed,
    child_result,
    synthetic_with_contacts,
)

CASES = ("bundled", "synthetic")


def _returns(ledger, period, units: list[str]) -> int:
    from reporting.core.problems import Problem

    problems = [
        Problem(
            "累计完成进度（%）“150”超出 0–100，请填写 0 到 100 之间的数字（单位为%）",
            file="x.xlsx",
            sheet="牵头任务",
            cell=f"H{6 + k}",
            task="7.1",
        ).to_dict()
        for k in range(3)
    ]
    rows = 0
    for i, unit in enumerate(units):
        versions = 2 if i % 5 == 0 else 1
        for v in range(versions):
            rejected = (i % 10 == 3) or v < versions - 1
            sha = hashlib.sha256(f"{unit}-{v}".encode()).hexdigest()
            ledger.record_return(
                str(period),
                sha256=sha,
                source=f"2024Q1_{unit}_进展情况表_{v}.xlsx",
                state="rejected" if rejected else "accepted",
                received_at=datetime(2024, 4, 2, 9, v).astimezone().isoformat(),
                unit=unit,
                problems=problems if rejected else [],
            )
            rows += 1
    return rows


def run_case(case: str) -> dict:
    from aiosmtpd.controller import Controller

    from jobs.app import create_app
    from reporting.core.calendar import TZ
    from reporting.core.ledger import Ledger
    from reporting.core.periods import Period
    from reporting.notify.receipts import send_receipts

    period = Period(2024, 1)
    now = datetime(2024, 4, 3, 10, 0, tzinfo=TZ)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        app = create_app(ROOT / "config.toml", data_dir=tmp, env={})
        assignments = app.assignments
        if case == "synthetic":
            assignments = synthetic_with_contacts()
        s = app.settings.smtp
        s.host, s.port, s.security, s.sender = (
            "127.0.0.1",
            _free_port(),
            "none",
            "duban@bench.example",
        )
        sink = _Sink()
        ctrl = Controller(sink, hostname="127.0.0.1", port=s.port)
        ctrl.start()
        try:
            with Ledger(app.workspace.ledger_path) as ledger:
                rows = _returns(ledger, period, list(assignments.by_unit))

                def answer():
                    return send_receipts(
                        app.settings, assignments, app.workspace, period, ledger=ledger, now=now
                    )

                first, t_first = _timed(answer)
                again, t_rerun = _timed(answer)
        finally:
            ctrl.stop()
        n = len(assignments.by_unit)
        return {
            "case": case,
            "units": n,
            "returns": rows,
            "received": sink.count,
            "sent": first.sent,
            "rejected": first.count("sent", "rejected"),
            "superseded": first.superseded,
            "first_s": t_first,
            "per_mail_ms": 1000 * t_first / max(1, first.sent),
            "rerun_s": t_rerun,
            "rerun_sent": again.sent,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CASES:
        print(json.dumps(run_case(sys.argv[1])))
        return
    print("| 数据 | 单位 | 报送（份） | 回执邮件 | 每封 | 重复运行（不发送） | 峰值内存（RSS） |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for case in CASES:
        r = child_result("bench_receipts", case)
        name = "自带数据" if case == "bundled" else "合成 1,000 单位"
        print(
            f"| {name} | {r['units']} | {r['returns']} | {r['first_s']:.1f} s（{r['received']} 封，"
            f"其中退回通知 {r['rejected']}，跳过被取代的 {r['superseded']} 份） | "
            f"{r['per_mail_ms']:.1f} ms | {r['rerun_s']:.2f} s | {r['peak_rss_mb']:.0f} MB |"
        )
    print()
    print(
        "SMTP 服务器为本机 aiosmtpd（不加密、不登录），每次运行复用一个连接；"
        "每个单位只回复最新一份报送。"
    )


if __name__ == "__main__":
    main()
