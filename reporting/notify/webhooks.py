"""Group-robot messages: WeCom (企业微信) and DingTalk (钉钉), plain text with @ by mobile.

URLs come from ``[webhook]`` (or ``DUBAN_WEBHOOK_WECOM_URL`` / ``DUBAN_WEBHOOK_DINGTALK_URL``);
the DingTalk signing secret only from ``DUBAN_WEBHOOK_DINGTALK_SECRET``. A robot URL
contains its key, so it is never printed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from reporting.core.config import Settings
from reporting.core.exceptions import SendError
from reporting.core.states import SendResult
from reporting.notify.delivery import Delivery

_MOBILE = re.compile(r"\+?\d{5,15}")
# error codes meaning "too many messages, try later"
_RATE_LIMITED = {45009, 130101}


@dataclass(frozen=True)
class Robot:
    kind: str  # "wecom" | "dingtalk" (the ledger channel)
    url: str
    secret: str = ""
    timeout: float = 10.0

    @property
    def label(self) -> str:
        return {"wecom": "企业微信", "dingtalk": "钉钉"}[self.kind]

    @property
    def max_bytes(self) -> int:
        # WeCom rejects text over 2048 bytes; DingTalk allows more, keep it readable
        return 2000 if self.kind == "wecom" else 4000


def robots(settings: Settings) -> list[Robot]:
    """The robots configured, WeCom first."""
    w = settings.webhook
    out = []
    if w.wecom_url.strip():
        out.append(Robot("wecom", w.wecom_url.strip(), timeout=w.timeout))
    if w.dingtalk_url.strip():
        out.append(
            Robot(
                "dingtalk",
                w.dingtalk_url.strip(),
                secret=settings.secrets.dingtalk_secret,
                timeout=w.timeout,
            )
        )
    return out


def url_problem(robot: Robot) -> str:
    """Why the robot's address cannot be used ('' when it can): only http(s) to a host.

    urllib would also "send" to file: and data: addresses (nothing leaves the machine, the
    reminder would be recorded as sent) and to ftp:.
    """
    try:
        parts = urllib.parse.urlsplit(robot.url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return (
            f"{robot.label}机器人地址“{robot.url[:80]}”不是 http:// 或 https:// 开头的网址，"
            f"请在 config.toml [webhook] {robot.kind}_url 填写机器人设置中的 Webhook 地址"
        )
    return ""


def valid_mobiles(mobiles) -> list[str]:
    """Only digits can be @-mentioned (no "@all" smuggled in through the registry)."""
    out = []
    for m in mobiles:
        m = str(m or "").strip().replace(" ", "").replace("-", "")
        if _MOBILE.fullmatch(m) and m not in out:
            out.append(m)
    return out


def wecom_payload(content: str, mobiles: list[str]) -> dict:
    text: dict = {"content": content}
    if mobiles:
        text["mentioned_mobile_list"] = mobiles
    return {"msgtype": "text", "text": text}


def dingtalk_payload(content: str, mobiles: list[str]) -> dict:
    # DingTalk highlights a mention only when "@mobile" also appears in the text
    if mobiles:
        content = content.rstrip("\n") + "\n" + " ".join(f"@{m}" for m in mobiles)
    return {
        "msgtype": "text",
        "text": {"content": content},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }


def dingtalk_sign(secret_key: str, timestamp_ms: int) -> str:
    """Base64 HMAC-SHA256 of "timestamp\\nsecret" keyed with the secret (DingTalk 加签)."""
    to_sign = f"{timestamp_ms}\n{secret_key}".encode()
    digest = hmac.new(secret_key.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_url(url: str, secret_key: str, timestamp_ms: int) -> str:
    sign = dingtalk_sign(secret_key, timestamp_ms)
    query = urllib.parse.urlencode({"timestamp": str(timestamp_ms), "sign": sign})
    return url + ("&" if "?" in url else "?") + query


def payload_for(robot: Robot, content: str, mobiles: list[str]) -> dict:
    mobiles = valid_mobiles(mobiles)
    return (
        wecom_payload(content, mobiles)
        if robot.kind == "wecom"
        else dingtalk_payload(content, mobiles)
    )


@cache
def _opener():
    """urllib's opener that never follows a redirect (urllib turns a redirected POST into a
    GET without its body); urllib.request, http.client and the email parser they import
    are loaded only when a robot is posted to."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            return None

    return urllib.request.build_opener(NoRedirect())


def send_text(
    robot: Robot, content: str, mobiles: list[str], *, clock: Callable[[], float] = time.time
) -> None:
    """Post one text message; raise SendError (transient for network trouble and rate limits)."""
    import http.client
    import urllib.error
    import urllib.request

    problem = url_problem(robot)
    if problem:
        raise SendError(problem, fatal=True)
    url = robot.url
    if robot.kind == "dingtalk" and robot.secret:
        url = signed_url(url, robot.secret, int(clock() * 1000))
    body = json.dumps(payload_for(robot, content, mobiles), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    who = f"{robot.label}机器人"
    try:
        with _opener().open(request, timeout=robot.timeout) as resp:
            raw = resp.read(65536)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            # a redirect would be followed as a GET without the message: nothing posted
            where = str(exc.headers.get("Location") or "")[:120]
            raise SendError(
                f"{who}地址返回了跳转（HTTP {exc.code}{' 到 ' + where if where else ''}），消息没有送达；"
                "请在 [webhook] 中填写机器人的实际地址",
                fatal=True,
            ) from None
        transient = exc.code >= 500 or exc.code == 429
        raise SendError(
            f"{who}返回 HTTP {exc.code}，请检查机器人地址或稍后重试",
            transient=transient,
            fatal=True,
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, ValueError, OSError) as exc:
        # also a port answering something else than HTTP (BadStatusLine), a reply cut off
        # (IncompleteRead) and timeouts: recorded as a failed send, never an internal error
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"[:120]
        raise SendError(
            f"无法连接{who}（{reason}），请检查网络和机器人地址，稍后重新运行",
            transient=True,
            fatal=True,
        ) from None
    try:
        reply = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SendError(f"{who}的回复不是 JSON，请检查机器人地址是否正确", fatal=True) from None
    code = reply.get("errcode", 0) if isinstance(reply, dict) else -1
    if code != 0:
        msg = str(reply.get("errmsg", "")) if isinstance(reply, dict) else ""
        if code in _RATE_LIMITED:
            raise SendError(f"{who}发送过于频繁（{code} {msg}），稍后重试", transient=True)
        hint = (
            "，请检查加签密钥 DUBAN_WEBHOOK_DINGTALK_SECRET"
            if robot.kind == "dingtalk"
            else "，请检查机器人地址"
        )
        raise SendError(f"{who}拒绝了消息（{code} {msg}）{hint}", fatal=True)


@dataclass(frozen=True)
class GroupMessage:
    """One robot message naming some units: its text, whom to @ and which part it is."""

    content: str
    mobiles: list[str]
    part: str = ""  # （第 2/3 条） when the units did not fit in one message


class RobotChannel:
    """A group robot as a ``delivery.Channel``: it takes a message whole or not at all."""

    def __init__(self, robot: Robot, *, clock: Callable[[], float] = time.time):
        self.robot = robot
        self.clock = clock

    def send(self, message: GroupMessage) -> Delivery:
        send_text(self.robot, message.content, message.mobiles, clock=self.clock)
        detail = f"群消息{message.part}"
        return Delivery(SendResult.SENT, detail, detail)

    def close(self) -> None:
        pass

    def closing_note(self, sent: bool) -> str:
        return ""
