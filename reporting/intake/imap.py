"""Returns straight from the office mailbox (IMAP, config ``[imap]``).

``fetch_mailbox(...)`` runs before the intake (``duban collect`` and the scheduler's collect
step; ``duban plan`` for a year's 落实方案 round, its key ``2024plan`` as the period). For
every message of ``[imap] folder`` received since the round's 通知 day (or ``since``) and
not taken before:

1. a ledger row (``imap_mails``, keyed by folder + UIDVALIDITY + UID, with Message-ID,
   INTERNALDATE and size) is written *before* the download, so a crash or a dropped
   connection just means it is fetched again next run;
2. a mail larger than ``[intake] max_file_mb`` is not downloaded: left on the server and
   listed (``too_large``);
3. the message is downloaded with ``BODY.PEEK[]`` (no ``\\Seen``) and classified
   (``reporting.intake.nonreturns``): a return is written as an .eml into the period's inbox
   (``inbox/邮箱/``, file time = INTERNALDATE) where the saved-mail intake takes it like any
   other; auto-replies, bounces and replies without a file are archived and listed; a
   bounce marks the send it bounces failed so ``remind`` sends again;
4. the row gets the content's sha256 (the intake's received time is the INTERNALDATE
   recorded for that sha256) and the state ``stored``/``other``;
5. the page's processed mails are moved to ``done_folder`` (non-returns to
   ``other_folder``; created if missing, names in modified UTF-7, hierarchy separator from
   the server). A server without MOVE (or a folder that cannot be created) gets ``\\Seen`` +
   the keyword ``$duban`` instead. Nothing is ever deleted.

The same mail is taken once: by its key, and by its content (sha256) when UIDVALIDITY
changed or it was copied back. A Message-ID says nothing: a correction that reuses it (even
at the same size) is a new mail. Messages are listed in pages of ``PAGE`` UIDs and
downloaded one at a time, so memory stays flat for thousands of mails.

One mail never stops the others: a mail that cannot be taken (too many parts, malformed,
a bug) is set aside (state ``set_aside`` with the reason, moved to ``other_folder``,
listed by ``collect`` and ``status``) and does not hold back the later steps; a mail that
another mail client deleted after it was stored is recorded as gone, not as a failure.

Connecting and logging in happen before anything is written: a refused connection, a bad
certificate or a wrong password raise ``ImapError`` with nothing half-done. A connection
lost midway keeps what was stored and says so; the next run continues.
"""

from __future__ import annotations

import hashlib
import os
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from reporting.core.calendar import TZ, period_calendar, plan_calendar
from reporting.core.config import Settings
from reporting.core.exceptions import DubanError
from reporting.core.fileutil import atomic_path
from reporting.core.ledger import Ledger
from reporting.core.periods import Period
from reporting.core.workspace import Workspace
from reporting.forms.plan_spec import plan_year
from reporting.intake.imap_connect import (
    _close,
    _delimiter,
    _ensure_folder,
    _why,
    check_mailbox,
    connect,
    open_folder,
    server_folder,
    tls_context,
)
from reporting.intake.inbox import archive_bytes
from reporting.intake.mailbox import mail_headers
from reporting.intake.nonreturns import KIND_CN, classify
from reporting.intake.rounds import round_inbox

__all__ = ["check_mailbox", "connect", "fetch_mailbox", "server_folder", "tls_context"]

PAGE = 100  # UIDs whose sizes and headers are asked for at once
KEYWORD = "$duban"  # set (with \Seen) on a mail that could not be moved
INBOX_SUBDIR = "邮箱"  # fetched returns go to inbox/邮箱/
LIST_LIMIT = 20
_HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT FROM DATE)]"
_HEADER_KEY = b"BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT FROM DATE)]"


@dataclass
class FetchSummary:
    period: Period | str  # a quarter, or a year's 落实方案 round (2024plan)
    where: str  # user@host/folder
    taken: list[str] = field(default_factory=list)  # returns stored into the inbox
    other: list[tuple[str, str]] = field(default_factory=list)  # (kind label, mail label)
    too_large: list[str] = field(default_factory=list)
    # mails that cannot be taken (malformed, too many parts): moved aside with the reason;
    # they never hold the batch or the later steps back
    set_aside: list[tuple[str, str]] = field(default_factory=list)  # (mail label, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (mail label, why)
    gone: int = 0  # deleted by another mail client before they could be moved
    known: int = 0  # already taken before (same UID, or the same mail again)
    moved: int = 0
    flagged: int = 0
    bounces: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""  # the connection was lost midway
    aside_where: str = "留在收件箱"  # where set-aside mails went

    @property
    def ok(self) -> bool:
        return not self.failed and not self.error

    def lines(self) -> list[str]:
        out = [
            f"收件邮箱 {self.where}：新收报送邮件 {len(self.taken)} 封"
            + (f"，非报送邮件 {len(self.other)} 封" if self.other else "")
            + (f"，过大未下载 {len(self.too_large)} 封" if self.too_large else "")
            + (f"，无法处理已放在一边 {len(self.set_aside)} 封" if self.set_aside else "")
            + (f"，未能收取 {len(self.failed)} 封" if self.failed else "")
            + (f"，此前已收取 {self.known} 封" if self.known else "")
            + "。"
        ]
        if self.moved or self.flagged:
            out.append(
                f"  已处理的邮件：移入文件夹 {self.moved} 封"
                + (
                    f"，无法移动、已标为已读并加标记 {KEYWORD} {self.flagged} 封"
                    if self.flagged
                    else ""
                )
                + "（邮件不会被删除）"
            )
        for kind, label in self.other[:LIST_LIMIT]:
            out.append(f"  {kind}：{label}")
        if len(self.other) > LIST_LIMIT:
            out.append(f"  ……其余 {len(self.other) - LIST_LIMIT} 封见 duban status")
        for label in self.too_large:
            out.append(f"  过大未下载（留在邮箱中，请人工处理或请该单位压缩后重发）：{label}")
        for label, why in self.set_aside:
            out.append(f"  无法处理，已放在一边（{self.aside_where}）：{label}：{why}")
        if self.gone:
            out.append(f"  已被其他邮件程序删除（内容已收取，无需处理）：{self.gone} 封")
        for line in self.bounces:
            out.append(f"  退信：{line}")
        for label, why in self.failed:
            out.append(f"  未能收取 {label}：{why}")
        out += [f"  注意：{n}" for n in self.notes]
        if self.error:
            out.append(f"  {self.error}")
        return out


# -- fetching ----------------------------------------------------------------------------
def since_day(settings: Settings, period: Period | str) -> date:
    if settings.imap.since:
        return date.fromisoformat(settings.imap.since)
    year = plan_year(str(period))
    if year is not None:  # the 落实方案 round's 通知 day ([plan])
        return plan_calendar(year, settings.plan, settings.deadline.zone).stages["通知"]
    return period_calendar(Period.parse(period), settings.deadline).stages["通知"]


def fetch_mailbox(
    settings: Settings,
    registry,
    workspace: Workspace,
    period: Period | str,
    *,
    ledger: Ledger,
    now: datetime,
    ssl_context: ssl.SSLContext | None = None,
) -> FetchSummary:
    """Take the new mails of ``[imap] folder`` into the round's inbox (see module doc)."""
    period = period if plan_year(str(period)) is not None else Period.parse(period)
    s = settings.imap
    summary = FetchSummary(period=period, where=f"{s.user}@{s.host}/{s.folder}")
    client = connect(settings, ssl_context=ssl_context)  # nothing written before this
    try:
        uidvalidity = open_folder(client, s.folder)
        job = _Fetch(
            settings, registry, workspace, period, ledger, now, summary, client, uidvalidity
        )
        job.run()
    except Exception as exc:  # noqa: BLE001 - the server went away midway
        if not _connection_error(exc):
            raise
        summary.error = (
            f"与邮箱服务器的连接中断（{_why(exc)}）：已收取的邮件已保存，其余的下次运行时继续收取"
        )
    finally:
        _close(client)
    ledger.record_fetch(
        period,
        at=now.isoformat(timespec="seconds"),
        taken=len(summary.taken),
        other=len(summary.other),
        left=len(summary.too_large),
        failed=len(summary.failed) + bool(summary.error),
        error=summary.error,
    )
    return summary


def _connection_error(exc: BaseException) -> bool:
    import imaplib

    return isinstance(exc, OSError | imaplib.IMAP4.abort | imaplib.IMAP4.error | EOFError)


class _Fetch:
    """One pass over the folder."""

    def __init__(self, settings, registry, workspace, period, ledger, now, summary, client, uv):
        self.settings: Settings = settings
        self.registry = registry
        self.workspace: Workspace = workspace
        self.period: Period | str = period
        self.ledger: Ledger = ledger
        self.now: datetime = now
        self.summary: FetchSummary = summary
        self.client = client
        self.folder: str = settings.imap.folder
        self.uidvalidity: int = uv
        self.limit = int(settings.intake.max_file_mb * 1024 * 1024)
        self.inbox = round_inbox(workspace, str(period))[0] / INBOX_SUBDIR

    def key(self, uid: int) -> tuple[str, int, int]:
        return (self.folder, self.uidvalidity, uid)

    def run(self) -> None:
        c, s = self.client, self.settings.imap
        delimiter = _delimiter(c)
        self.targets = {
            "done": _ensure_folder(c, s.done_folder, delimiter, self.summary.notes),
            "other": _ensure_folder(c, s.other_folder, delimiter, self.summary.notes)
            if s.other_folder
            else None,
        }
        self.can_move = c.has_capability("MOVE")
        if self.targets["other"] is not None:
            self.summary.aside_where = f"移入邮箱文件夹“{s.other_folder}”"
        # a crash or a dropped connection after storing, before moving: move those first
        left = [r["uid"] for r in self.ledger.imap_unmoved(self.folder, self.uidvalidity)]
        for start in range(0, len(left), PAGE):
            rows = [self.ledger.imap_mail(*self.key(u)) for u in left[start : start + PAGE]]
            self.file_away([(r["uid"], r["state"]) for r in rows if r is not None])
        criteria = ["SINCE", since_day(self.settings, self.period), "NOT", "KEYWORD", KEYWORD]
        uids = sorted(c.search(criteria))
        for start in range(0, len(uids), PAGE):
            self.page(uids[start : start + PAGE])

    def page(self, uids: list[int]) -> None:
        meta = self.client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE", _HEADER_ITEM])
        done: list[tuple[int, str]] = []
        for uid in uids:
            m = meta.get(uid)
            if m is None:
                continue  # expunged meanwhile
            state = self.one(uid, m)
            if state is not None:
                done.append((uid, state))
        self.file_away(done)

    def one(self, uid: int, m: dict) -> str | None:
        """Take one message; its state when it is to be moved, else None."""
        key = self.key(uid)
        row = self.ledger.imap_mail(*key)
        if row is not None and row["state"] in ("stored", "other", "set_aside"):
            if row["state"] == "set_aside":
                self.summary.set_aside.append((row["label"], row["detail"]))
            else:
                self.summary.known += 1
            return row["state"] if not row["moved"] else None
        head = m.get(_HEADER_KEY) or b""
        label = mail_headers(head).label
        message_id = _message_id(head)
        size = int(m.get(b"RFC822.SIZE") or 0)
        when = _internaldate(m.get(b"INTERNALDATE"), self.now)
        base = dict(
            message_id=message_id,
            internaldate=when.isoformat(timespec="seconds"),
            size=size,
            period=str(self.period),
            label=label,
            seen_at=self.now.isoformat(timespec="seconds"),
        )
        if size > self.limit:
            if row is None or row["state"] != "too_large":
                self.ledger.imap_save(key, **base, state="too_large")
            self.summary.too_large.append(
                f"{label}（{size / 1048576:.1f} MB，上限 {self.settings.intake.max_file_mb:g} MB）"
            )
            return None
        self.ledger.imap_save(key, **base, state="fetching")  # a crash from here: refetched
        data = self.client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
        if not isinstance(data, bytes):
            if not self.client.search(["UID", str(uid)]):
                # deleted by another mail client meanwhile: nothing to take, nothing failed
                self.ledger.imap_save(key, **base, state="gone")
                self.summary.gone += 1
                return None
            self.summary.failed.append((label, "服务器没有返回邮件内容，下次运行时重试"))
            return None
        sha = hashlib.sha256(data).hexdigest()
        # the same mail is the same content: a correction that reuses the Message-ID (and
        # even the size) is a new mail
        same = self.ledger.imap_by_sha(sha)
        if same is not None:
            return self.again(key, base, same)
        try:
            return self.take(key, base, data, sha, when, label)
        except Exception as exc:  # noqa: BLE001 - one mail must never stop the others
            if _connection_error(exc):
                raise
            why = str(exc) if isinstance(exc, DubanError) else f"无法处理（{type(exc).__name__}）"
            path = archive_bytes(data, sha, self.workspace.archive_dir, "mail.eml")
            self.ledger.imap_save(
                key, **base, state="set_aside", sha256=sha, path=str(path), detail=why
            )
            self.summary.set_aside.append((label, why))
            return "set_aside"

    def take(self, key, base: dict, data: bytes, sha: str, when: datetime, label: str) -> str:
        """Classify a downloaded mail and store it: a return into the inbox, else archived."""
        kind = classify(data)
        if kind.is_return:
            path = self.store(data, sha, when)
            state = "stored"
            self.summary.taken.append(label)
        else:
            path = archive_bytes(data, sha, self.workspace.archive_dir, "mail.eml")
            state = "other"
            self.summary.other.append((kind.label, label))
            if kind.kind == "bounce":
                self.bounce(kind, when, label)
        self.ledger.imap_save(key, **base, state=state, kind=kind.kind, sha256=sha, path=str(path))
        return state

    def again(self, key, base: dict, same) -> str:
        """The same mail seen before under another key: recorded, moved, not taken again."""
        self.ledger.imap_save(
            key,
            **base,
            state=same["state"],
            kind=same["kind"],
            sha256=same["sha256"],
            path=same["path"],
            detail="与此前收取的邮件相同",
        )
        self.summary.known += 1
        return same["state"]

    def store(self, data: bytes, sha: str, when: datetime) -> Path:
        """The .eml in the inbox: named by time and content (a rerun rewrites the same
        name), written atomically, dated INTERNALDATE."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        target = self.inbox / f"{when:%Y%m%d-%H%M%S}_{sha[:12]}.eml"
        if not target.exists():
            with atomic_path(target) as tmp:
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
        stamp = when.timestamp()
        os.utime(target, (stamp, stamp))
        return target

    def bounce(self, kind, when: datetime, label: str) -> None:
        """A delivery report from a mail system: the send it returns (found by its
        Message-ID among our claims) no longer counts as sent, so ``remind`` sends again."""
        del when  # the report names the mail: no need to guess the latest send
        ours = [c for c in (self.ledger.sent_message(i) for i in kind.original_ids) if c]
        if not ours:
            shown = "、".join(kind.original_ids) or "没有写明"
            self.summary.bounces.append(
                f"{label}：退回的邮件（Message-ID {shown}）不是本系统发出的，未采信"
            )
            return
        addresses = "、".join(a for a, _ in kind.bounced) or "地址未写明"
        why = "；".join(w for _, w in kind.bounced if w) or "原因未写明"
        for claim in ours:
            self.ledger.mark_bounced(
                claim["id"],
                detail=f"退信：{addresses} 无法送达（{why}），请核对 units.csv 中的邮箱",
            )
            self.summary.bounces.append(
                f"{claim['unit']} 的{claim['stage']}邮件被退回（{addresses}，{why}），"
                "已记为未送达，下次提醒时重发；请核对该单位的邮箱"
            )

    def file_away(self, done: list[tuple[int, str]]) -> None:
        """Move (or flag) the processed mails of one page; record where they went."""
        groups: dict[str | None, list[int]] = {}
        for uid, state in done:
            target = self.targets["done"] if state == "stored" else self.targets["other"]
            if state != "stored" and not self.settings.imap.other_folder:
                self.ledger.imap_save(self.key(uid), moved="left")
                continue
            groups.setdefault(target, []).append(uid)
        for target, uids in groups.items():
            if target is not None and self.can_move:
                moved = target
                uids = self.move(uids, target)
                self.summary.moved += len(uids)
            else:
                uids = self.flag(uids)
                moved = "flagged"
                self.summary.flagged += len(uids)
            with self.ledger.transaction() as conn:
                conn.executemany(
                    "UPDATE imap_mails SET moved = ? WHERE folder = ? AND uidvalidity = ? AND uid = ?",
                    [(moved, self.folder, self.uidvalidity, uid) for uid in uids],
                )

    def move(self, uids: list[int], target: str) -> list[int]:
        return self.apply(lambda some: self.client.move(some, target), uids)

    def flag(self, uids: list[int]) -> list[int]:
        return self.apply(
            lambda some: self.client.add_flags(some, [b"\\Seen", KEYWORD.encode()]), uids
        )

    def apply(self, action, uids: list[int]) -> list[int]:
        """Move or flag ``uids``; those another client deleted meanwhile are recorded as gone
        (their content is already taken: nothing failed). The ones done."""
        import imaplib

        try:
            action(uids)
            return uids
        except imaplib.IMAP4.error as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
        left = self.still_there(uids)
        if left:
            action(left)
        return left

    def still_there(self, uids: list[int]) -> list[int]:
        """The ``uids`` still in the folder; the others are recorded as deleted elsewhere."""
        there = set(self.client.search(["UID", ",".join(str(u) for u in uids)]))
        gone = [u for u in uids if u not in there]
        self.summary.gone += len(gone)
        with self.ledger.transaction() as conn:
            conn.executemany(
                "UPDATE imap_mails SET moved = 'gone' WHERE folder = ? AND uidvalidity = ? AND uid = ?",
                [(self.folder, self.uidvalidity, uid) for uid in gone],
            )
        return [u for u in uids if u in there]


def _message_id(head: bytes) -> str:
    try:
        value = BytesHeaderParser(policy=policy.compat32).parsebytes(head).get("message-id")
    except Exception:  # noqa: BLE001 - malformed header: no id
        return ""
    return str(value or "").strip()[:300]


def _internaldate(value, now: datetime) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=TZ)
        return value.astimezone(TZ)
    return now


# -- status and check --------------------------------------------------------------------
def mailbox_status(ledger: Ledger, period: Period | str) -> dict:
    """The mailbox side of ``duban status``: last fetch, mails taken, left, failed."""
    last = ledger.last_fetch(str(period))
    if last is None:
        return {}
    rows = ledger.imap_mails(str(period))
    return {
        "last_fetch": last["at"],
        "last_error": last["error"],
        "taken": sum(1 for r in rows if r["state"] == "stored" and not r["detail"]),
        "other": [
            {"kind": KIND_CN.get(r["kind"], r["kind"]), "mail": r["label"]}
            for r in rows
            if r["state"] == "other" and not r["detail"]
        ],
        "left": [r["label"] for r in rows if r["state"] == "too_large"],
        "set_aside": [(r["label"], r["detail"]) for r in rows if r["state"] == "set_aside"],
        "failed": [r["label"] for r in rows if r["state"] in ("fetching", "failed")],
    }


def mailbox_lines(info: dict) -> list[str]:
    if not info:
        return []
    out = [
        f"收件邮箱：最近一次收取 {info['last_fetch'][:16].replace('T', ' ')}，"
        f"共收取报送邮件 {info['taken']} 封，非报送邮件 {len(info['other'])} 封，"
        f"留在邮箱未收取 {len(info['left'])} 封，未完成 {len(info['failed'])} 封"
        + (f"（上次：{info['last_error']}）" if info["last_error"] else "")
    ]
    out += [f"  {o['kind']}：{o['mail']}" for o in info["other"][:LIST_LIMIT]]
    out += [f"  过大未收取：{label}" for label in info["left"]]
    out += [f"  无法处理，已放在一边：{label}：{why}" for label, why in info.get("set_aside", [])]
    out += [f"  未完成（下次收取时重试）：{label}" for label in info["failed"]]
    return out
