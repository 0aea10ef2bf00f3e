"""Returns that arrive as saved emails (.eml): units reply to the 通知 with the filled form
attached, and the office drags or saves the whole message into the inbox.

- ``is_message(path)`` decides by content (a header block such as ``From:``/``Received:``/
  ``MIME-Version:`` at the start), so a renamed .eml works and a spreadsheet renamed .eml
  is still a spreadsheet;
- ``read_message(path, limits)`` parses it with the stdlib ``email`` package (policy
  default) within limits — the file size (``[intake] max_file_mb``) and ``MAX_PARTS`` MIME
  parts — and returns a ``Mail``: subject, sender, ``Date:`` and the attachments with their
  provenance (``邮件“主题”（发件人，日期）的附件 文件名``). Body text, inline images,
  signatures and business cards are not attachments. Nothing external is ever fetched
  (``message/external-body`` parts are skipped);
- ``received_time(mail, first_seen=, trusted_hosts=, recorded=)`` is when *our* side got
  it: a time the ledger already holds (e.g. the server's, from fetching), else the newest
  ``Received:`` added by one of our servers, else when duban first saw the file. The
  sender's ``Date:`` is shown (``mail_label``) and pointed out when far earlier
  (``date_note``), never decisive;
- ``Mail.addresses`` are the addresses of every ``From:`` (``from_count`` says how many
  headers), ``Mail.auth`` the ``Authentication-Results``, for the sender check in the intake
  (``failed_authentication`` reads only those our own servers wrote: ``trusted_hosts``);
- ``version_order(mail)`` breaks a tie of our receipt time between versions: the newest
  ``Received:`` time, then ``Date:``.

What each attachment is (form, scan, something else) is decided by the intake from the
bytes, like any file of the inbox (``is_spreadsheet``, ``sniff.attachment_kind``).
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path, PureWindowsPath

from reporting.core.calendar import TZ
from reporting.core.exceptions import MailError, UnreadableFileError
from reporting.documents.sniff import EMPTY_ZIP_MAGIC, OLE_MAGIC, ZIP_MAGIC, Limits, sniff

MAX_PARTS = 50  # MIME parts of one mail (a reply with a form and a scan has 3–6)
SUBJECT_LIMIT = 60  # characters of the subject quoted in a source

_FIX = "请在邮件程序中打开该邮件，把附带的进展情况表另存到收件目录"
_HEAD_BYTES = 64 * 1024  # the header block is read from this much of the file
# a header line: a field name (printable ASCII, no colon or space) and a colon
_FIELD = re.compile(rb"^([!-9;-~]{1,76})[ \t]*:")
# fields that only an email's header block starts with; two of them are needed
_MAIL_FIELDS = {
    b"from",
    b"received",
    b"mime-version",
    b"subject",
    b"return-path",
    b"date",
    b"message-id",
    b"to",
    b"delivered-to",
    b"x-mozilla-status",
}
_SURROGATE = re.compile("[\udc80-\udcff]")  # undecodable bytes of a raw header
_DELIMITER = re.compile(rb"^--", re.M)  # MIME boundary lines: an upper bound of the parts
_SIGNATURES = {
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
    "application/pgp-keys",
    "text/vcard",
    "text/x-vcard",
    "text/directory",
    "text/calendar",
}
_SIGNATURE_SUFFIXES = (".p7s", ".asc", ".sig", ".vcf")
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et", ".ett", ".csv")


@dataclass
class MailAttachment:
    """One file attached to a mail, as the unit sent it."""

    filename: str  # decoded (RFC 2047/2231, GBK); made up when the part had none
    data: bytes
    source: str  # 邮件“主题”（发件人，日期）的附件 文件名


@dataclass
class Mail:
    subject: str
    sender: str  # 名称 <地址>, or the address alone
    sent_at: datetime | None  # the Date: header (Asia/Shanghai); None when missing or unreadable
    attachments: list[MailAttachment] = field(default_factory=list)
    # why the mail's files cannot be read (encrypted, Outlook winmail.dat); follows ``label``
    notes: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # every From: address, lower case
    # the Received: headers, newest (topmost) first: (the "by" host, its time or None)
    hops: list[tuple[str, datetime | None]] = field(default_factory=list)
    from_count: int = 1  # how many From: headers (more than one: who sent it is unclear)
    # Authentication-Results: (the server that wrote it, [(method, result)]), topmost first
    auth: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return mail_label(self.subject, self.sender, self.sent_at)


def trusted_arrival(mail: Mail, trusted_hosts: list[str]) -> datetime | None:
    """The time of the newest ``Received:`` added by one of the office's own servers
    (``[intake] trusted_hosts``: a host name, or a domain its servers end with)."""
    for by, when in mail.hops:
        if when is not None and is_trusted(by, trusted_hosts):
            return when
    return None


def received_time(
    mail: Mail, *, first_seen: datetime, trusted_hosts: list[str], recorded: datetime | None = None
) -> tuple[datetime, str]:
    """When our side received a saved mail, and how that was decided — never the sender's
    ``Date:``, which the sender writes:

    1. ``recorded``: a time the ledger already holds for this mail (the server's arrival
       time recorded when it was fetched, or when an earlier collect first took it in);
    2. the newest ``Received:`` of a trusted host (``trusted_arrival``);
    3. ``first_seen``: when duban first saw the file (its time in the inbox, not later
       than now).
    """
    if recorded is not None:
        return recorded, "recorded"
    arrived = trusted_arrival(mail, trusted_hosts)
    if arrived is not None:
        return arrived, "server"
    return first_seen, "file"


DATE_SLACK = timedelta(days=1)  # a Date: this much before our receipt time is pointed out


def version_order(mail: Mail) -> str:
    """What orders two versions received at the same time of ours: the newest ``Received:``
    time, then ``Date:`` (ISO texts in Asia/Shanghai, so they compare as text)."""
    hop = next((when for _, when in mail.hops if when is not None), None)
    parts = [w.isoformat(timespec="seconds") if w else "" for w in (hop, mail.sent_at)]
    return "|".join(parts)


def date_note(mail: Mail, received: datetime) -> str:
    """What to say about a ``Date:`` far earlier than our receipt time ("" when nothing)."""
    if mail.sent_at is None or mail.sent_at >= received - DATE_SLACK:
        return ""
    return (
        f"邮件自称发送于 {mail.sent_at:%Y-%m-%d %H:%M}（Date:），本方收到时间为 "
        f"{received:%Y-%m-%d %H:%M}，相差超过 1 天；报送时间按本方收到时间计"
    )


def is_mail_source(source: str) -> bool:
    """Whether a ledger source names a file taken out of a saved mail."""
    return source.startswith("邮件“") and "）的附件 " in source


def mail_label(subject: str, sender: str, sent_at: datetime | None) -> str:
    """邮件“主题”（发件人，2024年4月3日 10:15）."""
    who = [sender or "发件人不详"]
    if sent_at is not None:
        who.append(f"{sent_at.year}年{sent_at.month}月{sent_at.day}日 {sent_at:%H:%M}")
    return f"邮件“{subject or '无主题'}”（{'，'.join(who)}）"


# -- recognising a message -------------------------------------------------------------------
def is_message(path: Path) -> bool:
    """Whether ``path`` holds an RFC 822 message, judged by its first bytes only."""
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
    except OSError:
        return False
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC, OLE_MAGIC, b"%PDF")):
        return False
    lines = head.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    if lines and lines[0].startswith(b"From "):  # mbox separator (Thunderbird "From - …")
        lines = lines[1:]
    if len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off by the read
    names: set[bytes] = set()
    for i, line in enumerate(lines):
        line = line.rstrip(b"\r")
        if not line:
            break  # end of the header block
        if line[:1] in (b" ", b"\t") and i:
            continue  # folded continuation of the previous field
        m = _FIELD.match(line)
        if not m:
            return False
        names.add(m.group(1).lower())
    return len(names & _MAIL_FIELDS) >= 2


def is_outlook_msg(path: Path, limits: Limits) -> bool:
    """Whether ``path`` is a mail saved by desktop Outlook (.msg, an OLE file of
    ``__substg1.0_`` streams): not readable here, the office must save the attachment."""
    try:
        with open(path, "rb") as f:
            if f.read(len(OLE_MAGIC)) != OLE_MAGIC:
                return False
        if path.stat().st_size > limits.max_file_bytes:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    return "__substg1.0_".encode("utf-16-le") in data


def is_spreadsheet(path: Path, limits: Limits) -> bool:
    """Whether an attached file is meant as a spreadsheet: named as one, or its content says
    so (also when broken or encrypted: the intake then says what is wrong with it)."""
    if path.suffix.lower() in _SPREADSHEET_SUFFIXES:
        return True
    try:
        sniff(path, limits)
    except UnreadableFileError as exc:
        return exc.code not in ("not_spreadsheet", "empty")
    return True


# -- parsing ------------------------------------------------------------------------------
def read_message(path: Path, limits: Limits, *, max_parts: int = MAX_PARTS) -> Mail:
    """Parse a saved email; ``MailError`` (naming the mail) when it is refused."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        mail = mail_headers(f.read(_HEAD_BYTES))
    if size > limits.max_file_bytes:
        raise MailError(
            f"{mail.label}有 {size / 1048576:.1f} MB，超过 {limits.max_file_bytes / 1048576:g} MB"
            f" 的上限，未读取；{_FIX}",
            "mail_too_large",
        )
    return parse_message(path.read_bytes(), mail, max_parts=max_parts)


def mail_headers(head: bytes) -> Mail:
    """Subject, sender and ``Date:`` from a mail's header block (no attachments yet)."""
    try:
        return _headers(BytesHeaderParser(policy=policy.default).parsebytes(head))
    except Exception:  # noqa: BLE001 - the email package trips on some malformed headers
        return Mail(subject="", sender="", sent_at=None)


def parse_message(data: bytes, mail: Mail, *, max_parts: int = MAX_PARTS) -> Mail:
    """The attachments of a whole mail (``data``) into ``mail`` (from ``mail_headers``)."""
    too_many = MailError(
        f"{mail.label}包含的部分超过 {max_parts} 个，未读取（可能是异常邮件）；{_FIX}",
        "mail_parts",
    )
    if len(_DELIMITER.findall(data)) > 2 * max_parts + 10:
        raise too_many  # before building objects for every part
    try:
        msg = BytesParser(policy=policy.default).parsebytes(data)
        parts = list(msg.walk())
    except Exception as exc:  # noqa: BLE001 - malformed input must not stop the batch
        raise MailError(
            f"{mail.label}的格式无法解析（{type(exc).__name__}）；{_FIX}", "mail_corrupt"
        ) from None
    if len(parts) > max_parts:
        raise too_many
    shown = _cids_shown(parts)
    for n, part in enumerate(parts, 1):
        try:
            _take_part(part, n, mail, shown)
        except Exception:  # noqa: BLE001 - one malformed part; the others are still read
            mail.notes.append(f"的第 {n} 个部分格式有误，无法读取；{_FIX}")
    return mail


_CID = re.compile(r"""cid:([^\s"'<>)]+)""", re.I)


def _cids_shown(parts: list[EmailMessage]) -> set[str]:
    """Content-IDs the HTML bodies show (``<img src="cid:…">``): pictures, not attachments."""
    out: set[str] = set()
    for part in parts:
        try:
            if part.get_content_type() == "text/html" and part.get_content_disposition() is None:
                out.update(c.lower() for c in _CID.findall(part.get_content()))
        except Exception:  # noqa: BLE001 - a malformed part shows nothing
            continue
    return out


def _headers(msg: EmailMessage) -> Mail:
    subject = _clean(_header_text(msg, "subject"))
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 1] + "…"
    return Mail(
        subject=subject,
        sender=_sender(msg),
        sent_at=_date(msg),
        addresses=_addresses(msg),
        hops=_hops(msg),
        from_count=sum(1 for k, _ in msg.raw_items() if k.lower() == "from"),
        auth=_auth(msg),
    )


def _addresses(msg: EmailMessage) -> list[str]:
    """Every address of every From: header (a second From: is never overlooked)."""
    out: list[str] = []
    for raw in [str(v) for k, v in msg.raw_items() if k.lower() == "from"]:
        raw = re.sub(r"\r?\n(?=[ \t])", "", raw)  # unfolded: a long name spans lines
        text = _decode_8bit(_raw_bytes(raw)) if _SURROGATE.search(raw) else raw
        try:
            found = policy.default.header_factory("from", text).addresses
        except Exception:  # noqa: BLE001 - malformed header: no address to trust
            continue
        out += [_clean(a.addr_spec).lower() for a in found if a.addr_spec and a.addr_spec != "<>"]
    return list(dict.fromkeys(out))


_VERDICT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.I)


def _auth(msg: EmailMessage) -> list[tuple[str, list[tuple[str, str]]]]:
    """Authentication-Results (RFC 8601): the authserv-id and each method's result."""
    out = []
    for raw in msg.get_all("authentication-results", []) or []:
        text = " ".join(str(raw).split())
        server, _, rest = text.partition(";")
        name = (server.split() or [""])[0].lower().rstrip(".")
        out.append((name, [(m.lower(), r.lower()) for m, r in _VERDICT.findall(rest)]))
    return out


def is_trusted(host: str, trusted_hosts: list[str]) -> bool:
    """``host`` is one of the office's own servers (``[intake] trusted_hosts``: a host name,
    or a domain its servers end with)."""
    hosts = [h.strip().lower().rstrip(".") for h in trusted_hosts if h.strip()]
    return any(host == h or host.endswith("." + h) for h in hosts)


def failed_authentication(mail: Mail, trusted_hosts: list[str]) -> tuple[str, list[str]] | None:
    """(our server, its failing verdicts) when one of the office's own servers says the mail
    failed: dmarc=fail, or spf=fail without a dmarc=pass. Anyone can write this header,
    so only our servers' are read; dkim=fail alone is not held (forwarding breaks it)."""
    for server, verdicts in mail.auth:
        if not server or not is_trusted(server, trusted_hosts):
            continue
        got = dict(verdicts)
        failed = got.get("dmarc") == "fail" or (
            got.get("spf") == "fail" and got.get("dmarc") != "pass"
        )
        if failed:
            return server, [f"{m}={r}" for m, r in verdicts if r == "fail"]
    return None


_BY = re.compile(r"\bby\s+([A-Za-z0-9.-]+)", re.I)


def _hops(msg: EmailMessage) -> list[tuple[str, datetime | None]]:
    """(the host that added it, its time) of each ``Received:``, newest first."""
    from email.utils import parsedate_to_datetime

    out = []
    for raw in msg.get_all("received", []) or []:
        text = " ".join(str(raw).split())
        by = _BY.search(text)
        when = None
        if ";" in text:
            try:
                when = parsedate_to_datetime(text.rsplit(";", 1)[1].strip())
            except (TypeError, ValueError, IndexError):
                when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            when = when.astimezone(TZ)
        out.append(((by.group(1).lower().rstrip(".") if by else ""), when))
    return out


def _header_text(msg: EmailMessage, name: str) -> str:
    """A header as text; raw 8-bit GBK/UTF-8 (sent without RFC 2047) is decoded too."""
    raw = _raw(msg, name)
    if raw is None:
        return ""
    if _SURROGATE.search(raw):
        return _decode_8bit(_raw_bytes(raw))
    try:
        return str(msg[name] or "")
    except Exception:  # noqa: BLE001 - a header the email package cannot make sense of
        return raw


def _decode_8bit(data: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _sender(msg: EmailMessage) -> str:
    text = _header_text(msg, "from")
    try:
        addresses = policy.default.header_factory("from", text).addresses
    except Exception:  # noqa: BLE001 - malformed header
        addresses = ()
    if addresses:
        a = addresses[0]
        name, addr = _clean(a.display_name), _clean(a.addr_spec)
        if name and addr and addr != "<>":
            return f"{name} <{addr}>"
        return addr or name
    return _clean(text)


def _date(msg: EmailMessage) -> datetime | None:
    try:
        header = msg["date"]
        when = getattr(header, "datetime", None)
    except Exception:  # noqa: BLE001 - malformed header
        return None
    if not isinstance(when, datetime):
        return None
    if when.tzinfo is None:  # "-0000": UTC, the sender's zone unknown (RFC 5322 3.3)
        when = when.replace(tzinfo=UTC)
    return when.astimezone(TZ)


def _clean(text: str) -> str:
    """One line of text for a source: no control characters, no path separators."""
    text = re.sub(r"[\x00-\x1f\x7f\s]+", " ", text).strip()
    return text.replace("/", "／").replace("\\", "＼")


def _take_part(part: EmailMessage, n: int, mail: Mail, shown: set[str]) -> None:
    ctype = part.get_content_type()
    if part.is_multipart():
        if ctype == "multipart/encrypted":
            mail.notes.append(
                "已加密（PGP），无法读取其中的附件；请在邮件程序中解密后把进展情况表另存到收件目录"
            )
        return
    disposition = part.get_content_disposition()
    filename = _filename(part)
    if ctype in _SIGNATURES or filename.lower().endswith(_SIGNATURE_SUFFIXES):
        return
    if ctype == "message/external-body":
        return  # a reference to a file elsewhere: never followed
    if ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime") or filename.lower() in (
        "smime.p7m",
    ):
        mail.notes.append(
            "已加密（S/MIME 数字证书），无法读取其中的附件；请在邮件程序中打开后把进展情况表另存到收件目录，"
            "或请该单位不加密重新发送"
        )
        return
    if ctype == "application/ms-tnef" or filename.lower() == "winmail.dat":
        mail.notes.append(
            "的附件被 Outlook 打包成了 winmail.dat，无法读取；请该单位改用 HTML 或纯文本格式的邮件重新发送，"
            "或在 Outlook 中把进展情况表另存到收件目录"
        )
        return
    if not filename and disposition != "attachment":
        return  # the body (text/plain, text/html) or an image it shows
    cid = str(part.get("content-id") or "").strip().strip("<>").lower()
    if ctype.startswith("image/") and (
        disposition == "inline" or (cid and (disposition is None or cid in shown))
    ):
        return  # shown in the body: a logo or the signature
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - malformed header
        data = None
    if not isinstance(data, bytes):
        return
    if not filename:
        filename = f"附件{n}{mimetypes.guess_extension(ctype) or '.bin'}"
    mail.attachments.append(MailAttachment(filename, data, f"{mail.label}的附件 {filename}"))


def _filename(part: EmailMessage) -> str:
    """The attachment's name (Content-Disposition filename, else Content-Type name), decoded;
    a Windows path some old clients send is cut to its last part."""
    name = ""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        raw = _raw(part, header)
        if raw and _SURROGATE.search(raw):  # a raw 8-bit name: decode it ourselves
            value = policy.default.header_factory(header, _decode_8bit(_raw_bytes(raw)))
            name = str(getattr(value, "params", {}).get(param) or "")
            if name:
                break
    if not name:
        try:
            name = part.get_filename() or ""
        except Exception:  # noqa: BLE001 - malformed header
            name = ""
    return _clean(PureWindowsPath(name).name) if name else ""


def _raw(msg: EmailMessage, name: str) -> str | None:
    """The first ``name`` header as stored (8-bit bytes kept as surrogates)."""
    return next((str(v) for k, v in msg.raw_items() if k.lower() == name), None)


def _raw_bytes(raw: str) -> bytes:
    return raw.encode("ascii", "surrogateescape")
