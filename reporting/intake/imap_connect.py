"""Connecting to the office mailbox (IMAP, config ``[imap]``): verified TLS, login (a
password in Chinese characters goes as UTF-8 through AUTHENTICATE PLAIN), folders named
with the server's hierarchy separator, and ``duban check --online``'s look at the folder.

Everything that can go wrong before a mail is touched raises ``ImapError`` in Chinese,
saying what to fix; nothing is written before ``connect`` returns.
"""

from __future__ import annotations

import socket
import ssl
from datetime import date

from reporting.core.config import Settings
from reporting.core.exceptions import ImapError

_FIX_LOGIN = (
    "请核对 config.toml 的 [imap] user 和环境变量 DUBAN_IMAP_PASSWORD（有的邮箱要用授权码）"
)


# -- connecting --------------------------------------------------------------------------
def tls_context(settings: Settings) -> ssl.SSLContext:
    """Verified TLS: the system's CAs, plus ``[imap] ca_file`` for an internal CA."""
    ctx = ssl.create_default_context()
    ca = settings.imap.ca_file
    if ca is not None:
        try:
            ctx.load_verify_locations(cafile=str(ca))
        except (OSError, ssl.SSLError) as exc:
            raise ImapError(
                f"[imap] ca_file = {ca} 无法读取（{exc}），请指向 PEM 格式的证书文件"
            ) from None
    return ctx


def connect(settings: Settings, *, ssl_context: ssl.SSLContext | None = None):
    """A logged-in ``IMAPClient``; ``ImapError`` (Chinese, says the fix) otherwise."""
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError, LoginError

    s = settings.imap
    if not s.host:
        raise ImapError("没有配置收件邮箱（config.toml 的 [imap] host），不能从邮箱收取")
    if not s.user:
        raise ImapError("[imap] user 为空：请填写收件邮箱的登录名")
    password = settings.secrets.imap_password
    if not password:
        raise ImapError(
            "没有设置收件邮箱的密码：请用环境变量 DUBAN_IMAP_PASSWORD 设置（不写在配置文件里）"
        )
    where = f"{s.host}:{s.port}"
    ctx = None
    if s.security != "none":
        ctx = ssl_context or tls_context(settings)
    try:
        client = IMAPClient(
            s.host, port=s.port, ssl=s.security == "ssl", ssl_context=ctx, timeout=s.timeout
        )
        if s.security == "starttls":
            client.starttls(ctx)
    except ssl.SSLCertVerificationError as exc:
        raise ImapError(
            f"邮箱服务器 {where} 的证书无法验证（{exc.verify_message}）；若是单位内部证书，"
            "请把签发它的根证书（PEM）路径填入 [imap] ca_file"
        ) from None
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        raise ImapError(
            f"无法连接邮箱服务器 {where}（{_why(exc)}）；请核对 [imap] host、port、security，"
            "或检查网络后重试。本次没有从邮箱收取任何邮件"
        ) from None
    client.normalise_times = False
    try:
        if password.isascii():
            client.login(s.user, password)
        else:
            client.plain_login(s.user, password)
    except LoginError as exc:
        _close(client)
        if "UNAVAILABLE" in str(exc).upper():
            raise ImapError(
                f"邮箱服务器 {where} 暂时无法验证登录（{_why(exc)}），请稍后重试"
            ) from None
        raise ImapError(
            f"登录邮箱 {s.user}（{where}）被拒绝：用户名或密码不对；{_FIX_LOGIN}。本次没有从邮箱收取任何邮件"
        ) from None
    except (OSError, IMAPClientError) as exc:
        _close(client)
        raise ImapError(f"登录邮箱 {s.user}（{where}）时出错（{_why(exc)}），请稍后重试") from None
    return client


def _why(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝，服务器没有在该端口提供服务"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "连接超时"
    if isinstance(exc, socket.gaierror):
        return "找不到该服务器名"
    text = str(exc) or type(exc).__name__
    return text[:200]


def _close(client) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - already broken: nothing more to say
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


def server_folder(name: str, delimiter: str) -> str:
    """``duban/已处理`` written with the server's hierarchy separator (``duban.已处理``)."""
    return delimiter.join(p for p in name.split("/") if p) if delimiter else name


def _delimiter(client) -> str:
    try:
        listing = client.list_folders("", "")
        raw = listing[0][1] if listing else b"/"
    except Exception:  # noqa: BLE001 - LIST "" "" unsupported: assume "/"
        raw = b"/"
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    return raw or ""


def open_folder(client, folder: str) -> int:
    """Select ``folder``; its UIDVALIDITY."""
    from imapclient.exceptions import IMAPClientError

    try:
        info = client.select_folder(folder)
    except IMAPClientError:
        raise ImapError(
            f"邮箱里没有文件夹“{folder}”（[imap] folder）；请核对名称（收件箱写 INBOX）"
        ) from None
    return int(info[b"UIDVALIDITY"])


def _ensure_folder(client, name: str, delimiter: str, notes: list[str]) -> str | None:
    """The target folder on the server, created when missing; None when it cannot be."""
    if not name:
        return None
    target = server_folder(name, delimiter)
    try:
        if not client.folder_exists(target):
            client.create_folder(target)
    except Exception as exc:  # noqa: BLE001 - no right to create: flag instead of moving
        notes.append(f"无法在邮箱中建立文件夹“{name}”（{_why(exc)}），已处理的邮件改为标记，不移动")
        return None
    return target


def check_mailbox(settings: Settings, *, ssl_context=None) -> str:
    """Log in and look at the folder (``duban check --online``): a line saying what is there."""
    s = settings.imap
    client = connect(settings, ssl_context=ssl_context)
    try:
        open_folder(client, s.folder)
        count = len(client.search(["SINCE", date(2000, 1, 1)]))
        delimiter = _delimiter(client)
        move = "支持 MOVE" if client.has_capability("MOVE") else "不支持 MOVE（处理后改为加标记）"
    finally:
        _close(client)
    return (
        f"收件邮箱 {s.user}@{s.host}:{s.port} 登录成功：文件夹“{s.folder}”有 {count} 封邮件，"
        f"层级分隔符“{delimiter}”，{move}；已处理的邮件将移入“{server_folder(s.done_folder, delimiter)}”"
    )
