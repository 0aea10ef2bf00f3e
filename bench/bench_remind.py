"""Time of ``send_reminders``: the 通知 by email to a local aiosmtpd server (form attached),
the rerun that sends nothing, the outbox mode, a WeCom robot on a local HTTP server and the
chase list, for the bundled units and for 1,000 synthetic units.

Each case runs in a fresh process so its peak resident memory (``ru_maxrss``) is its own.
Run: ``python -m bench.bench_remind`` (or one case: ``python -m bench.bench_remind synthetic``).
"""

from __future__ import annotations

import dataclasses
import json
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import BENCH_NOW, at

ROOT = Path(__file__).resolve().parent.parent
CASES = ("bundled", "synthetic")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


class _Robot(BaseHTTPRequestHandler):
    posts = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).posts += 1
        body = b'{"errcode": 0, "errmsg": "ok"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def synthetic_with_contacts():
    """bench_forms' 1,000 synthetic units, each with a contact, an email and a mobile."""
    from bench.bench_forms import synthetic_assignments

    assignments = synthetic_assignments()
    units = assignments.registry.units
    for i, name in enumerate(list(units), 1):
        units[name] = dataclasses.replace(
            units[name],
            email=f"u{i:04d}@bench.example",
            mobile=f"139{i:08d}",
            contact=f"联络员{i}",
        )
    return assignments


def child_result(module: str, case: str) -> dict:
    """Run ``python -m bench.<module> <case>`` in a fresh process; its last line is JSON."""
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", case],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_case(case: str) -> dict:
    from aiosmtpd.controller import Controller

    from jobs.app import create_app
    from reporting.core.periods import Period
    from reporting.notify.remind import send_reminders

    period = Period(2024, 1)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        app = create_app(ROOT / "config.toml", data_dir=tmp, env={})
        assignments = app.assignments
        if case == "synthetic":
            assignments = synthetic_with_contacts()
        # one real form, copied for every unit (building 1,000 forms is bench_forms' job)
        from reporting.forms.build import build_forms

        first = next(iter(app.assignments.by_unit))
        build_forms(
            app.settings, app.assignments, app.workspace, period, units=[first], now=BENCH_NOW
        )
        sample = app.workspace.form_path(period, first).read_bytes()
        for unit in assignments.by_unit:
            path = app.workspace.form_path(period, unit)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(sample)

        s = app.settings.smtp
        s.host, s.port, s.security, s.sender = (
            "127.0.0.1",
            _free_port(),
            "none",
            "duban@bench.example",
        )
        sink = _Sink()
        ctrl = Controller(sink, hostname="127.0.0.1", port=s.port, data_size_limit=0)
        ctrl.start()
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Robot)
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        app.settings.webhook.wecom_url = f"http://127.0.0.1:{httpd.server_address[1]}/send?key=k"

        def remind(**kw):
            return send_reminders(app.settings, assignments, app.workspace, period, **kw)

        try:
            notice, t_notice = _timed(lambda: remind(stage="通知", now=at(date(2024, 3, 29))))
            _, t_rerun = _timed(lambda: remind(stage="通知", now=at(date(2024, 3, 29))))
            robot, t_robot = _timed(
                lambda: remind(stage="催报", channels=("webhook",), now=at(date(2024, 4, 7)))
            )
            _, t_list = _timed(
                lambda: remind(stage="催报", channels=("list",), now=at(date(2024, 4, 7)))
            )
            s.outbox = Path(tmp) / "outbox"
            _, t_outbox = _timed(lambda: remind(stage="提醒", now=at(date(2024, 4, 2))))
        finally:
            ctrl.stop()
            httpd.shutdown()
            httpd.server_close()
        shutil.rmtree(Path(tmp) / "outbox", ignore_errors=True)
        n = len(assignments.by_unit)
        return {
            "case": case,
            "units": n,
            "received": sink.count,
            "attachment_kb": len(sample) / 1024,
            "notice_s": t_notice,
            "per_mail_ms": 1000 * t_notice / max(1, n),
            "rerun_s": t_rerun,
            "outbox_s": t_outbox,
            "robot_s": t_robot,
            "robot_posts": _Robot.posts,
            "list_s": t_list,
            "sent": notice.sent,
            "robot_sent": robot.sent,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CASES:
        print(json.dumps(run_case(sys.argv[1])))
        return
    print(
        "| 数据 | 单位 | 通知邮件（含附件） | 每封 | 重复运行（不发送） | 写入 outbox | 企业微信（条数） | 催报清单 | 峰值内存（RSS） |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for case in CASES:
        r = child_result("bench_remind", case)
        name = "自带数据" if case == "bundled" else "合成 1,000 单位"
        print(
            f"| {name} | {r['units']} | {r['notice_s']:.1f} s（{r['received']} 封，附件 {r['attachment_kb']:.0f} KB） | "
            f"{r['per_mail_ms']:.0f} ms | {r['rerun_s']:.2f} s | {r['outbox_s']:.1f} s | "
            f"{r['robot_s']:.1f} s（{r['robot_posts']} 条） | {r['list_s']:.1f} s | {r['peak_rss_mb']:.0f} MB |"
        )
    print()
    print(
        "SMTP 服务器为本机 aiosmtpd（不加密、不登录），每次运行复用一个连接；群机器人为本机 HTTP 服务。"
        "真实邮件服务器的用时主要取决于网络和服务器限速。"
    )


if __name__ == "__main__":
    main()
