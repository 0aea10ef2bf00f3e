"""Group-robot reminders (WeCom, DingTalk) against a real local HTTP server."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import with_now
from remind_helpers import PERIOD, add_return, free_port, sends

from jobs.app import create_app
from reporting.core.exceptions import NotifyError
from reporting.notify.remind import send_reminders
from reporting.notify.webhooks import dingtalk_sign, robots, valid_mobiles

URGE_DAY = date(2024, 4, 7)  # 2024Q1 催报 (a 调休 Sunday)
NOW = 1712458800.25  # the injected clock for DingTalk signatures


class Robot:
    """A robot endpoint: records (path, query, payload); answers with ``reply`` / ``status``."""

    def __init__(self):
        self.requests: list[tuple[str, dict, dict]] = []
        self.reply = {"errcode": 0, "errmsg": "ok"}
        self.status = 200
        self.redirect = ""  # answer every POST with a 302 to this URL
        self.gets: list[str] = []
        robot = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length)
                url = urllib.parse.urlsplit(self.path)
                assert self.headers["Content-Type"].startswith("application/json")
                robot.requests.append(
                    (url.path, dict(urllib.parse.parse_qsl(url.query)), json.loads(body))
                )
                if robot.redirect:
                    self.send_response(302)
                    self.send_header("Location", robot.redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.answer()

            def do_GET(self):  # where a redirect leads: a page saying "ok" to anything
                robot.gets.append(self.path)
                self.answer()

            def answer(self):
                data = json.dumps(robot.reply).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    r = Robot()
    yield r
    r.close()


class Waits(list):
    def __call__(self, seconds):
        self.append(seconds)


def remind(app, **kw):
    kw.setdefault("sleep", Waits())
    kw.setdefault("today", URGE_DAY)
    kw.setdefault("channels", ("webhook",))
    return send_reminders(
        app.settings, app.assignments, app.workspace, PERIOD, clock=lambda: NOW, **with_now(kw)
    )


def test_wecom_lists_missing_units_and_mentions_their_mobiles(app, robot):
    app.settings.webhook.wecom_url = robot.url("/cgi-bin/webhook/send?key=KEY-123")
    add_return(app, "区发改委", "accepted")
    add_return(
        app,
        "区财政局",
        "rejected",
        [{"message": "累计完成进度超过 100%"}, {"message": "缺少推进情况"}],
    )
    summary = remind(app)
    assert summary.stage == "催报" and summary.ok
    assert summary.count("sent", "wecom") == 49
    assert robot.requests, "nothing arrived"
    units = app.registry.units
    seen_units, seen_mobiles, numbers = [], [], []
    for path, query, payload in robot.requests:
        assert path == "/cgi-bin/webhook/send" and query == {"key": "KEY-123"}
        assert payload["msgtype"] == "text"
        content = payload["text"]["content"]
        assert len(content.encode()) <= 2048  # WeCom's limit for text messages
        assert content.startswith("【催报】2024年第一季度《政府工作报告》重点任务推进情况")
        assert "2024年4月8日 星期一 17:30" in content
        seen_mobiles += payload["text"]["mentioned_mobile_list"]
        for line in content.splitlines():
            head, _, rest = line.partition(". ")
            if head.isdigit():
                numbers.append(int(head))
                seen_units.append(rest.split("（")[0])
    missing = [u for u in app.assignments.by_unit if u != "区发改委"]
    assert seen_units == missing
    assert numbers == list(range(1, 50))  # numbering continues across split messages
    assert seen_mobiles == [units[u].mobile for u in missing]
    assert "区发改委" not in seen_units
    text = "\n".join(p["text"]["content"] for _, _, p in robot.requests)
    assert "区财政局（联络员07）：已退回，累计完成进度超过 100%等 2 处问题" in text
    rows = sends(app)
    assert len(rows) == 49 and {(r["channel"], r["stage"], r["result"]) for r in rows} == {
        ("wecom", "催报", "sent")
    }
    assert "KEY-123" not in "\n".join(summary.lines())  # the robot key is a secret

    count = len(robot.requests)
    again = remind(app)
    assert again.sent == 0 and again.count("already", "wecom") == 49
    assert len(robot.requests) == count


def test_dingtalk_signed_message(app, robot, monkeypatch):
    app.settings.secrets.dingtalk_secret = "SECtest-secret"  # as if from the environment
    app.settings.webhook.dingtalk_url = robot.url("/robot/send?access_token=TOKEN")
    for unit in list(app.assignments.by_unit)[3:]:
        add_return(app, unit, "accepted")
    summary = remind(app, stage="逾期", today=date(2024, 4, 9))
    assert summary.count("sent", "dingtalk") == 3
    ((path, query, payload),) = robot.requests
    assert path == "/robot/send" and query["access_token"] == "TOKEN"
    timestamp = str(int(NOW * 1000))
    assert query["timestamp"] == timestamp
    expected = base64.b64encode(
        hmac.new(
            b"SECtest-secret", f"{timestamp}\nSECtest-secret".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert query["sign"] == expected == dingtalk_sign("SECtest-secret", int(timestamp))
    assert payload["msgtype"] == "text"
    assert payload["at"] == {
        "atMobiles": ["13800000001", "13800000002", "13800000003"],
        "isAtAll": False,
    }
    content = payload["text"]["content"]
    assert content.startswith("【逾期】")
    assert "已超过报送截止时间" in content
    assert content.rstrip().endswith("@13800000001 @13800000002 @13800000003")


def test_dingtalk_refusal_is_recorded_as_failed(app, robot):
    app.settings.webhook.dingtalk_url = robot.url("/robot/send?access_token=T")
    robot.reply = {"errcode": 310000, "errmsg": "sign not match"}
    waits = Waits()
    summary = remind(app, sleep=waits)
    assert summary.sent == 0 and summary.failed == 50
    assert waits == []  # a refusal is not retried
    assert (
        "310000" in summary.outcomes[0].detail
        and "DUBAN_WEBHOOK_DINGTALK_SECRET" in summary.outcomes[0].detail
    )
    assert {r["result"] for r in sends(app)} == {"failed"}
    robot.reply = {"errcode": 0, "errmsg": "ok"}
    retry = remind(app)
    assert retry.count("sent", "dingtalk") == 50


def test_a_robot_answering_with_a_redirect_is_a_failure_not_a_send(app, robot):
    app.settings.webhook.wecom_url = robot.url("/send?key=k")
    robot.redirect = robot.url("/landing")
    summary = remind(app)
    assert summary.sent == 0 and summary.failed == 50
    assert "跳转（HTTP 302 到 http://127.0.0.1" in summary.outcomes[0].detail
    assert robot.gets == [] and {r["result"] for r in sends(app)} == {"failed"}


def test_server_errors_are_retried_with_backoff(app, robot):
    app.settings.webhook.wecom_url = robot.url("/send?key=k")
    app.settings.smtp.retries, app.settings.smtp.backoff = 2, 0.5
    robot.status = 503
    waits = Waits()
    summary = remind(app, sleep=waits)
    assert summary.failed == 50 and waits == [0.5, 1.0]
    assert "HTTP 503" in summary.outcomes[0].detail
    assert len(robot.requests) == 3


def test_robot_down(app):
    app.settings.webhook.wecom_url = f"http://127.0.0.1:{free_port()}/send?key=k"
    app.settings.smtp.retries = 1
    summary = remind(app)
    assert summary.failed == 50 and summary.sent == 0
    assert "无法连接企业微信机器人" in summary.outcomes[0].detail
    assert all(r["result"] == "failed" for r in sends(app))


def test_both_robots_and_a_dry_run(app, robot):
    app.settings.webhook.wecom_url = robot.url("/wecom?key=k")
    app.settings.webhook.dingtalk_url = robot.url("/ding?access_token=t")
    dry = remind(app, dry_run=True)
    assert robot.requests == [] and sends(app) == []
    assert dry.count("planned", "wecom") == 50 and dry.count("planned", "dingtalk") == 50
    real = remind(app)
    assert real.count("sent", "wecom") == 50 and real.count("sent", "dingtalk") == 50
    assert {p for p, _, _ in robot.requests} == {"/wecom", "/ding"}
    lines = "\n".join(real.lines())
    assert "企业微信：已发送 50" in lines and "钉钉：已发送 50" in lines


def test_only_digits_can_be_mentioned(app, robot):
    app.settings.webhook.wecom_url = robot.url("/send?key=k")
    units = app.registry.units
    units["区发改委"] = dataclasses.replace(units["区发改委"], mobile="@all")
    units["区财政局"] = dataclasses.replace(units["区财政局"], mobile="138-0000-0007")
    remind(app)
    mobiles = [m for _, _, p in robot.requests for m in p["text"]["mentioned_mobile_list"]]
    assert "@all" not in mobiles and "13800000007" in mobiles
    assert valid_mobiles(["@all", "1380000000x", " 13800000009 "]) == ["13800000009"]


def test_no_robot_configured(app):
    with pytest.raises(NotifyError, match="wecom_url"):
        remind(app)


def test_robot_url_from_the_environment(tmp_path, root):
    app = create_app(
        root / "config.toml",
        data_dir=tmp_path / "d",
        env={"DUBAN_WEBHOOK_WECOM_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"},
    )
    (bot,) = robots(app.settings)
    assert bot.kind == "wecom" and bot.url.endswith("key=x")


# -- addresses that are not web addresses, and servers that do not speak HTTP -------------------


class Garbage:
    """A real TCP port that answers every connection with ``reply`` (not HTTP) and closes it;
    ``reply=None`` accepts and says nothing (the client times out)."""

    def __init__(self, reply: bytes | None):
        import socket

        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.open = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.recv(65536)
            if self.reply is None:
                self.open.append(conn)  # never answers
                continue
            conn.sendall(self.reply)
            conn.close()

    def close(self):
        self.sock.close()
        for conn in self.open:
            conn.close()


@pytest.mark.parametrize(
    "reply",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"\x00\x01garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{",
    ],
    ids=["ssh-banner", "binary", "cut-off"],
)
def test_a_port_answering_something_else_is_a_recorded_failure(app, duban, monkeypatch, reply):
    server = Garbage(reply)
    try:
        monkeypatch.setenv("DUBAN_WEBHOOK_WECOM_URL", f"http://127.0.0.1:{server.port}/send?key=k")
        monkeypatch.setenv("DUBAN_SMTP_RETRIES", "0")
        r = duban("remind", "--period", "2024Q1", "--channel", "webhook", "--today", "2024-04-07")
    finally:
        server.close()
    assert server.connections >= 1
    assert "程序内部出错" not in r.output and "Traceback" not in r.output
    assert r.code == 1, r.output
    assert "企业微信：失败 50" in r.output and "已记入台账" in r.output
    assert "无法连接企业微信机器人" in r.output or "的回复不是 JSON" in r.output
    rows = sends(app)
    assert len(rows) == 50 and {(x["channel"], x["result"]) for x in rows} == {("wecom", "failed")}


def test_a_robot_that_never_answers_times_out_into_a_failed_send(app):
    server = Garbage(None)
    try:
        app.settings.webhook.wecom_url = f"http://127.0.0.1:{server.port}/send?key=k"
        app.settings.webhook.timeout = 0.5
        app.settings.smtp.retries = 0
        summary = remind(app)
    finally:
        server.close()
    assert summary.failed == 50 and summary.sent == 0
    assert "无法连接企业微信机器人" in summary.outcomes[0].detail
    assert "timed out" in summary.outcomes[0].detail
    assert {r["result"] for r in sends(app)} == {"failed"}


@pytest.mark.parametrize(
    "url",
    [
        "file:///tmp/x.json",
        "data:application/json,{}",
        "ftp://127.0.0.1/x",
        "qyapi.weixin.qq.com/send",
        "http:///nohost",
        "http://127.0.0.1:port/",
    ],
)
def test_only_http_addresses_are_used_check_and_send_refuse_the_rest(
    app, duban, monkeypatch, tmp_path, url
):
    monkeypatch.setenv("DUBAN_WEBHOOK_WECOM_URL", url)
    r = duban("check")
    assert "机器人：企业微信机器人地址" in r.out and "不是 http:// 或 https:// 开头的网址" in r.out
    assert r.code == 1
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # a relative file: address would land here
    r = duban("remind", "--period", "2024Q1", "--channel", "webhook", "--today", "2024-04-07")
    assert r.code == 1 and "程序内部出错" not in r.output
    assert "不是 http:// 或 https:// 开头的网址" in r.output
    rows = sends(app)
    assert len(rows) == 50 and {x["result"] for x in rows} == {"failed"}
    assert list(cwd.iterdir()) == []
