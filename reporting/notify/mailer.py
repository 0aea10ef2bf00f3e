"""Email: build one message per unit and send it over SMTP (or write it to an outbox).

- Security ``starttls`` / ``ssl`` / ``none``; certificates verified with
  ``ssl.create_default_context()`` unless the caller passes its own context (e.g. an
  internal CA). The password comes only from ``DUBAN_SMTP_PASSWORD``.
- Headers never carry CR/LF from data: names and subjects are cleaned, addresses
  validated; anything else is refused before a connection is made.
- The attachment (the form .xlsx, the 通报 .pdf; type by suffix) goes with its Chinese
  name (RFC 2231) plus an ASCII fallback name for old clients.
- ``outbox`` mode writes .eml files instead of sending (demo, or a mail gateway that
  picks files up).
"""

from __future__ import annotations

import binascii
import random
import re
import smtplib
import socket
import ssl
import sys
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path

from reporting.core.config import SmtpSettings
from reporting.core.exceptions import NotifyError, SendError
from reporting.core.fileutil import atomic_write_bytes, safe_filename
from reporting.notify import ew_fold

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
# attachment types by suffix: the forms (.xlsx) and the 通报 (.pdf); others as plain bytes
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
ATTACHMENT_TYPES = {".xlsx": XLSX_TYPE, ".pdf": ("application", "pdf"), ".docx": DOCX_TYPE}
OCTET_STREAM = ("application", "octet-stream")
_ADDR = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
_SPLIT = re.compile(r"[;,，；、\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def clean_header(text: str) -> str:
    """Header text from data: line breaks and control characters become one space."""
    return re.sub(r"\s{2,}", " ", _CONTROL.sub(" ", str(text))).strip()


def parse_addresses(text: str) -> list[str]:
    """``a@x.cn; b@y.cn`` → addresses; raise NotifyError naming the first bad one."""
    out = []
    for part in _SPLIT.split(str(text or "").strip()):
        if not part:
            continue
        if not _ADDR.fullmatch(part):
            raise NotifyError(
                f"邮箱地址“{clean_header(part)}”格式不对，请在单位名录（units.csv）或 [smtp] cc 中改正"
            )
        if part not in out:
            out.append(part)
    return out


def sender_name(district: str, office: str) -> str:
    """禹会区 + 区督查考核办 → 禹会区督查考核办 (no doubled 区)."""
    if district.endswith("区") and office.startswith("区"):
        return district + office[1:]
    return district + office


@dataclass
class OutgoingMail:
    """One message to send: who, what, and its attachment."""

    to: list[tuple[str, str]]  # (display name, address)
    subject: str
    body: str
    cc: list[str] = field(default_factory=list)
    attachment: Path | None = None
    attachment_name: str = ""  # the Chinese name the unit sees
    fallback_name: str = ""  # ASCII name for clients without RFC 2231
    label: str = ""  # outbox file name stem, log text
    more: list[tuple[Path, str, str]] = field(default_factory=list)  # (path, name, fallback)
    message_id: str = ""  # the local part from the send's ledger claim ("" : a fresh one)

    def attachments(self) -> list[tuple[Path, str, str]]:
        """Every file to attach: (path, the name the unit sees, ASCII fallback name)."""
        out = []
        if self.attachment is not None:
            path = Path(self.attachment)
            fallback = self.fallback_name or f"attachment{path.suffix.lower()}"
            out.append((path, self.attachment_name or path.name, fallback))
        return out + [(Path(p), n or Path(p).name, f) for p, n, f in self.more]

    @property
    def recipients(self) -> list[str]:
        return [addr for _, addr in self.to] + [
            a for a in self.cc if a not in {x for _, x in self.to}
        ]


class FoldOncePolicy(EmailPolicy):
    """The email package's default policy, each distinct header folded once per process.

    A run mails the same From, Subject and part headers to hundreds of units, and folding
    them (Chinese in encoded words) was a third of building a message. A header's folded
    bytes depend only on the policy's settings, its name and its parsed text (a header
    object folds its parse tree, which is parsed from that text), so the cached bytes are
    the ones folding again would give."""

    def fold_binary(self, name, value):
        tree = getattr(value, "_parse_tree", None)
        key = (
            self.utf8,
            self.max_line_length,
            self.linesep,
            self.cte_type,
            self.refold_source,
            name,
            type(value).__bases__,  # a header object's class is made anew for each header
            str(value if tree is None else tree),
        )
        folded = _FOLDED.get(key)
        if folded is None:
            if len(_FOLDED) >= _FOLDED_MAX:
                _FOLDED.clear()
            folded = _FOLDED[key] = super().fold_binary(name, value)
        return folded


_FOLDED: dict[tuple, bytes] = {}
# a quarter's headers that differ by unit (To, subjects and file names with the unit's name)
# for some thousand units: a long-running scheduler folds each once, not once a day
_FOLDED_MAX = 16384
POLICY = FoldOncePolicy()
del POLICY.header_factory  # the class's own registry, as the default policy has it


def build_message(
    mail: OutgoingMail, *, sender: str, sender_display: str, date: datetime
) -> EmailMessage:
    """The message as the email package builds it (``message_bytes`` writes the same bytes
    directly)."""
    _check(mail, sender)
    msg = EmailMessage(policy=POLICY)
    domain = sender.rsplit("@", 1)[1]
    msg["From"] = Address(display_name=clean_header(sender_display), addr_spec=sender)
    msg["To"] = [Address(display_name=clean_header(name), addr_spec=addr) for name, addr in mail.to]
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    msg["Subject"] = clean_header(mail.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = (
        f"<{mail.message_id}@{domain}>" if mail.message_id else make_msgid(domain=domain)
    )
    msg.set_content(mail.body, cte="base64")
    for path, shown, fallback in mail.attachments():
        maintype, subtype = ATTACHMENT_TYPES.get(path.suffix.lower(), OCTET_STREAM)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype)
        part = list(msg.iter_attachments())[-1]
        del part["Content-Disposition"]
        part.set_raw("Content-Disposition", content_disposition(clean_header(shown), fallback))
    return msg


def _check(mail: OutgoingMail, sender: str) -> None:
    if not mail.to:
        raise NotifyError("邮件没有收件人")
    for addr in mail.recipients + [sender]:
        if not _ADDR.fullmatch(addr):
            raise NotifyError(f"邮箱地址“{clean_header(addr)}”格式不对")


@cache
def _policy_for(linesep: str) -> EmailPolicy:
    return POLICY.clone(linesep=linesep)


_HEADERS: dict[tuple, bytes] = {}  # (line end, name, what it was made from) → folded bytes


def _header(policy: EmailPolicy, name: str, key, value=None) -> bytes:
    """The header as ``msg[name] = value`` stores it and the generator folds it (``value``
    defaults to ``key``, the text or tuple it is made from; a run repeats most of them)."""
    cache = (policy.linesep, name, key)
    folded = _HEADERS.get(cache)
    if folded is None:
        if name == "Subject" and value is None and not policy.utf8 and ew_fold.foldable(key):
            length = policy.max_line_length or sys.maxsize
            folded = ew_fold.fold(name, key, length, policy.linesep).encode("ascii")
        else:
            _, header = policy.header_store_parse(name, key if value is None else value)
            folded = policy.fold_binary(name, header)
        if len(_HEADERS) >= _FOLDED_MAX:
            _HEADERS.clear()
        _HEADERS[cache] = folded
    return folded


def _to(policy: EmailPolicy, to: tuple[tuple[str, str], ...]) -> bytes:
    """The To header; one unit's address under its Chinese name directly when it fits on a
    line (``ew_fold.address_line``), the rest by the package."""
    if len(to) == 1 and not policy.utf8:
        length = policy.max_line_length or sys.maxsize
        line = ew_fold.address_line("To", *to[0], length, policy.linesep)
        if line is not None:
            return line.encode("ascii")
    return _header(policy, "To", to, [Address(display_name=n, addr_spec=a) for n, a in to])


# the Message-ID and multipart Content-Type duban makes: plain ASCII the email package
# leaves as it is when the line is short (tests compare every length up to folding)
_PLAIN_FRESH = {
    "Message-ID": re.compile(r"<[A-Za-z0-9._-]+@[A-Za-z0-9.-]+>"),
    "Content-Type": re.compile(r'multipart/mixed; boundary="=+[0-9]+==(\.[0-9]+)?"'),
}


def _fresh(policy: EmailPolicy, name: str, value: str) -> bytes:
    """A header no other message has (its Message-ID, its boundary), folded without
    passing through the caches, which would only fill up with it. The plain ones short
    enough for one line are written as they are (a header object and its parse tree for
    each message was a tenth of writing a message)."""
    plain = _PLAIN_FRESH.get(name)
    if (
        plain is not None
        and len(name) + 2 + len(value) <= (policy.max_line_length or sys.maxsize)
        and plain.fullmatch(value)
    ):
        return f"{name}: {value}{policy.linesep}".encode("ascii")
    return EmailPolicy.fold_binary(policy, name, policy.header_store_parse(name, value)[1])


def _base64(data: bytes, nl: bytes) -> bytes:
    """``data`` as the email package encodes a part: lines of 76 characters (57 bytes each,
    so the whole encoded at once and cut gives the same lines), each ended by ``nl``."""
    text = binascii.b2a_base64(data, newline=False)
    return b"".join(text[i : i + 76] + nl for i in range(0, len(text), 76))


def message_bytes(
    mail: OutgoingMail,
    *,
    sender: str,
    sender_display: str,
    date: datetime,
    linesep: str = "\n",
    boundary: str | None = None,
) -> tuple[str, bytes]:
    """(Message-ID, the message's bytes): what ``build_message(…).as_bytes()`` gives (with
    ``linesep`` CRLF: what smtplib's ``send_message`` sends), written directly (the email package makes an
    object per header and part and writes a base64 part line by line). ``boundary``: the
    multipart boundary (default: a random one, as the generator makes it)."""
    _check(mail, sender)
    policy = POLICY if linesep == "\n" else _policy_for(linesep)
    nl = linesep.encode("ascii")
    domain = sender.rsplit("@", 1)[1]
    message_id = f"<{mail.message_id}@{domain}>" if mail.message_id else make_msgid(domain=domain)
    shown = clean_header(sender_display)
    to = tuple((clean_header(name), addr) for name, addr in mail.to)
    head = [
        _header(policy, "From", (shown, sender), Address(display_name=shown, addr_spec=sender)),
        _to(policy, to),
    ]
    if mail.cc:
        head.append(_header(policy, "Cc", ", ".join(mail.cc)))
    head += [
        _header(policy, "Subject", clean_header(mail.subject)),
        _header(policy, "Date", format_datetime(date)),
        _fresh(policy, "Message-ID", message_id),
    ]
    # set_content: the body's lines joined by the message's own line end ("\n"), base64
    text = _base64(b"\n".join(mail.body.encode("utf-8").splitlines()) + b"\n", nl)
    text_head = [
        _header(policy, "Content-Type", 'text/plain; charset="utf-8"'),
        _header(policy, "Content-Transfer-Encoding", "base64"),
    ]
    version = _header(policy, "MIME-Version", "1.0")
    files = mail.attachments()
    if not files:
        return message_id, b"".join(head + text_head + [version, nl, text])
    parts = [b"".join(text_head) + nl + text]
    for path, name, fallback in files:
        maintype, subtype = ATTACHMENT_TYPES.get(path.suffix.lower(), OCTET_STREAM)
        disposition = content_disposition(clean_header(name), fallback)
        parts.append(
            _header(policy, "Content-Type", f"{maintype}/{subtype}")
            + _header(policy, "Content-Transfer-Encoding", "base64")
            + version
            + policy.fold_binary("Content-Disposition", disposition)
            + nl
            + _base64(path.read_bytes(), nl)
        )
    if boundary is None:
        boundary = _boundary(b"".join(parts))
    multipart = f'multipart/mixed; boundary="{boundary}"'
    head += [version, _fresh(policy, "Content-Type", multipart), nl]
    sep = b"--" + boundary.encode("ascii")
    body = sep + nl + (nl + sep + nl).join(parts) + nl + sep + b"--" + nl
    return message_id, b"".join(head) + body


def _boundary(text: bytes) -> str:
    """A boundary made as the email generator makes one, and not found in ``text``."""
    token = random.randrange(sys.maxsize)
    boundary = "=" * 15 + f"{token:019d}" + "=="
    found, counter = boundary, 0
    while b"--" + found.encode("ascii") in text:
        found = f"{boundary}.{counter}"
        counter += 1
    return found


_QUOTED: dict[str, str] = {}  # a file name's character → its percent-encoded UTF-8 bytes


def content_disposition(name: str, fallback: str) -> str:
    """``attachment; filename*0*=utf-8''…; filename="fallback"`` folded to short lines.

    Written by hand: the email package merges ``filename`` and ``filename*`` into one
    parameter, so it cannot emit both.
    """
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", fallback) or "form.xlsx"
    if name.isascii() and '"' not in name and "\\" not in name:
        return f'attachment; filename="{name}"'
    pieces, current = [], "utf-8''"
    for ch in name:
        enc = _QUOTED.get(ch)
        if enc is None:
            enc = _QUOTED[ch] = urllib.parse.quote(ch, safe="")
        if len(current) + len(enc) > 60:
            pieces.append(current)
            current = ""
        current += enc
    pieces.append(current)
    # the extended name first: parsers that read both (Python's, some webmail) keep the first
    lines = ["attachment;"]
    lines += [f" filename*{i}*={piece};" for i, piece in enumerate(pieces)]
    lines.append(f' filename="{fallback}"')
    return "\n".join(lines)


class Mailer:
    """One SMTP connection reused for every message of a run (or an outbox directory).

    ``send`` raises ``SendError``; after an error the connection is dropped and the next
    ``send`` reconnects. Use as a context manager.
    """

    def __init__(
        self,
        smtp: SmtpSettings,
        *,
        sender_display: str = "",
        context: ssl.SSLContext | None = None,
        password: str | None = None,
        outbox: Path | None = None,
        now: datetime,
    ):
        self.smtp = smtp
        self.sender_display = sender_display
        self.context = context
        self.password = password or ""
        self.outbox = Path(outbox) if outbox else (Path(smtp.outbox) if smtp.outbox else None)
        self.conn: smtplib.SMTP | None = None
        self.now = now  # the Date: of every message of this run

    @property
    def where(self) -> str:
        if self.outbox:
            return f"发件箱目录 {self.outbox}"
        return f"邮件服务器 {self.smtp.host}:{self.smtp.port}"

    @property
    def sender(self) -> str:
        return (
            self.smtp.sender
            or self.smtp.user
            or ("duban@localhost.localdomain" if self.outbox else "")
        )

    def check(self) -> None:
        """Raise NotifyError for settings that cannot work, before anything is sent."""
        if self.outbox:
            return
        if not self.smtp.host:
            raise NotifyError(
                "没有配置邮件服务器：请在 config.toml 的 [smtp] 中填写 host、port 和 sender"
                "（或设置 outbox 只生成邮件文件），也可以改用 --channel webhook 或 --channel list"
            )
        if not self.sender or not _ADDR.fullmatch(self.sender):
            raise NotifyError(
                "[smtp] sender（发件人邮箱）没有填写或格式不对，请在 config.toml 中改正"
            )
        if self.smtp.user and not self.password:
            raise NotifyError(
                "[smtp] 设置了 user，但没有设置环境变量 DUBAN_SMTP_PASSWORD（邮箱密码或授权码），"
                "请设置后重试；密码不要写进 config.toml"
            )

    def send(self, mail: OutgoingMail) -> dict[str, str]:
        """Send one message; return the refused recipients {address: server reply}."""
        try:  # the bytes smtplib's send_message would send (CRLF), or an .eml file's (LF)
            message_id, data = message_bytes(
                mail,
                sender=self.sender,
                sender_display=self.sender_display,
                date=self.now,
                linesep="\n" if self.outbox else "\r\n",
            )
        except NotifyError as exc:  # bad data for this one message: the batch goes on
            raise SendError(str(exc)) from None
        if self.outbox:
            name = safe_filename(mail.label or message_id.strip("<>"), limit=120) + ".eml"
            atomic_write_bytes(self.outbox / name, data)
            return {}
        try:
            conn = self._connection()
            refused = conn.sendmail(self.sender, mail.recipients, data)
        except SendError:
            self.close(quit=False)
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            return {addr: _reply(code, text) for addr, (code, text) in exc.recipients.items()}
        except (smtplib.SMTPException, OSError) as exc:
            self.close(quit=False)
            raise self._error(exc) from None
        return {addr: _reply(code, text) for addr, (code, text) in refused.items()}

    def _connection(self) -> smtplib.SMTP:
        if self.conn is not None:
            return self.conn
        s = self.smtp
        context = self.context or ssl.create_default_context()
        try:
            conn: smtplib.SMTP
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                conn.ehlo()
                if s.security == "starttls":
                    conn.starttls(context=context)
                    conn.ehlo()
                if s.user:
                    login(conn, s.user, self.password)
            except BaseException:
                conn.close()
                raise
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(exc, connecting=True) from None
        self.conn = conn
        return conn

    def _error(self, exc: BaseException, connecting: bool = False) -> SendError:
        where = self.where
        if isinstance(exc, ssl.SSLCertVerificationError):
            return SendError(
                f"{where} 的证书验证失败（{exc.verify_message}），请检查 host 是否与证书一致，或联系邮件管理员",
                fatal=True,
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return SendError(
                f"{where} 不支持 STARTTLS，请把 [smtp] security 改为 ssl（通常端口 465）或询问邮件管理员",
                fatal=True,
            )
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return SendError(
                f"{where} 拒绝登录（{_reply(exc.smtp_code, exc.smtp_error)}），"
                "请检查 [smtp] user 和环境变量 DUBAN_SMTP_PASSWORD（有的邮箱要用授权码）",
                fatal=True,
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            transient = 400 <= exc.smtp_code < 500
            if (
                self.smtp.security == "none"
                and "STARTTLS" in _reply(exc.smtp_code, exc.smtp_error).upper()
            ):
                return SendError(
                    f"{where} 要求加密连接（{_reply(exc.smtp_code, exc.smtp_error)}），请把 [smtp] security 改为 starttls",
                    fatal=True,
                )
            return SendError(
                f"{where} 拒绝了邮件（{_reply(exc.smtp_code, exc.smtp_error)}）",
                transient=transient,
                fatal=connecting,
            )
        timed_out = isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc)
        if timed_out or isinstance(exc, (TimeoutError, socket.timeout)):
            return SendError(
                f"{where} 在 {self.smtp.timeout:g} 秒内没有响应，请稍后重试或调大 [smtp] timeout",
                transient=True,
                fatal=True,
            )
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return SendError(f"{where} 中途断开了连接（{exc}）", transient=True, fatal=connecting)
        if isinstance(exc, ssl.SSLError):
            return SendError(
                f"与{where} 建立加密连接失败（{exc.reason or exc}），请检查 [smtp] security 和 port",
                fatal=True,
            )
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc) or type(exc).__name__
            return SendError(
                f"无法连接{where}（{reason}），请检查 [smtp] host、port 和网络，稍后重新运行",
                transient=True,
                fatal=True,
            )
        return SendError(f"{where} 出错（{exc}）", transient=True, fatal=connecting)

    def close(self, quit: bool = True) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            if quit:
                conn.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            conn.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def login(conn: smtplib.SMTP, user: str, password: str) -> None:
    """``SMTP.login``, except that a user name or password beyond ASCII (a password in
    Chinese characters) goes as UTF-8 through AUTH PLAIN or LOGIN: smtplib encodes the
    credentials as ASCII and fails with UnicodeEncodeError."""
    if user.isascii() and password.isascii():
        conn.login(user, password)
        return
    from base64 import b64encode

    def b64(data: bytes) -> str:
        return b64encode(data).decode("ascii")

    offered = conn.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" in offered:
        code, reply = conn.docmd(
            "AUTH", "PLAIN " + b64(b"\0" + user.encode() + b"\0" + password.encode())
        )
    elif "LOGIN" in offered:
        code, reply = conn.docmd("AUTH", "LOGIN " + b64(user.encode()))
        if code == 334:
            code, reply = conn.docmd(b64(password.encode()))
    else:
        raise smtplib.SMTPException(
            "服务器不支持 PLAIN 或 LOGIN 登录方式，无法使用含中文字符的密码；请改用只含字母、数字和符号的密码或授权码"
        )
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _reply(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return clean_header(f"{code} {text}")
