"""Returned forms: archive, identify, validate, accept or reject, record; then merge.

``collect()`` is the step (reading and checking one file is ``reporting.intake.validate``; the
inbox and archive are ``reporting.intake.inbox``). For every file under the inbox (any names, subfolders):

1. hash it (SHA-256); a content already recorded for the period is skipped, so reruns
   and duplicates change nothing;
2. keep the original unchanged under ``workspace.archive_dir`` (``ab/<sha256><ext>``) and
   record it in the ledger (``files``); the file is read from the archived copy;
3. ``examine()`` it: read safely (``reporting.documents.spreadsheet``), identify unit/period/form
   (hidden sheet → custom properties → defined name → identification cell → header
   cells → file name; ``identified_by`` says which), validate every row, and decide:
   accepted, rejected or unidentified (config ``[intake] partial_accept`` accepts a
   return whose problems are confined to some rows, leaving those rows out);
4. record the return and its parsed answers in one transaction (``returns``,
   ``return_answers``).

Then the period is merged from the ledger (the latest accepted return of each unit
supersedes earlier ones) into ``merged.json`` and ``汇总表.xlsx``; both are rewritten only
when what they are built from changed. A kill at any point leaves the ledger consistent
and a rerun finishes the work.

Received time is the file's modification time (the time it was saved or copied into the
inbox), or ``now`` when that lies in the future; a return is late when received after the
period's deadline.

A saved email (``reporting.intake.mailbox``, recognised by content) is archived and recorded in
``files`` like any file; each attached form or scan is then taken in as if it had been saved
into the inbox, its source reading ``邮件“主题”（发件人，日期）的附件 文件名`` and its received
time ours (``mailbox.received_time``: recorded, our server's ``Received:``, or when duban
first saw the file; never the sender's ``Date:``). A form whose ``From:`` is not registered
for its unit is held as 待核实 (``reporting.intake.senders``; ``reporting.intake.review``). A
mail with no form or scan (or one that is refused: too large, too many parts) is recorded
as an unidentified file whose message names the sender.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path

from reporting.core.calendar import TZ, deadline_passed
from reporting.core.config import Settings
from reporting.core.exceptions import IntakeError, MailError, NoSpaceError, storage_error
from reporting.core.fileutil import SyncLater, sha256_file
from reporting.core.ledger import Ledger
from reporting.core.model import Answer, UnitAnswers
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.states import Level, ReturnState
from reporting.core.workspace import Workspace
from reporting.documents.sniff import Limits, attachment_kind
from reporting.intake.ahead import Ahead, examine_ahead
from reporting.intake.arrivals import Arrival, read_arrival, write_arrival
from reporting.intake.collect_summary import CollectSummary, FileOutcome
from reporting.intake.identify import unit_from_name
from reporting.intake.inbox import (
    BLANK_FORM,
    Skipped,
    archive_bytes,
    archive_file,
    clean_stale_temp,
    hand_over_copy,
    inbox_refusal,
    scan_inbox,
    write_set_aside,
)
from reporting.intake.mailbox import (
    Mail,
    date_note,
    is_message,
    is_outlook_msg,
    is_spreadsheet,
    read_message,
    received_time,
    version_order,
)
from reporting.intake.requests import (
    held_requests,
    mail_evidence,
    register_requests,
    sibling_evidence,
)
from reporting.intake.rounds import Round, quarter_round, round_inbox
from reporting.intake.senders import hold_unverified
from reporting.taskbook.assignments import Assignments

LEDGER_BATCH = 50  # returns recorded per ledger commit (one disk sync each)
OTHER_FILE = "其他文件"  # attachment kind of a mail's file that is neither form nor scan


# -- answers in the ledger -------------------------------------------------------------
def answers_to_dict(answers: UnitAnswers, header: dict[str, str] | None = None) -> dict:
    return {
        "unit": answers.unit,
        "lead": {tid: _answer_dict(a) for tid, a in answers.lead.items()},
        "coop": {tid: _answer_dict(a) for tid, a in answers.coop.items()},
        "header": header or {},
    }


_ANSWER_FIELDS = tuple(f.name for f in fields(Answer))


def _answer_dict(a: Answer) -> dict:
    """``asdict(a)`` without its deep copy of every value (a city's returns spent a second
    there): the fields in order, the indicators a dict of their own."""
    out = {name: getattr(a, name) for name in _ANSWER_FIELDS}
    out["indicators"] = dict(a.indicators)
    return out


def answers_from_dict(data: dict) -> UnitAnswers:
    return UnitAnswers(
        unit=data["unit"],
        lead={tid: Answer(**a) for tid, a in data.get("lead", {}).items()},
        coop={tid: Answer(**a) for tid, a in data.get("coop", {}).items()},
    )


# -- the step ---------------------------------------------------------------------------
def collect(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    *,
    inbox: Path | str | None = None,
    now: datetime,
    progress: Callable[[str], None] | None = None,
    ledger: Ledger | None = None,
    workers: int | None = None,
) -> CollectSummary:
    """Take in every new file of the inbox into the ledger (see module doc); merging is
    ``reporting.merge.collect_merge``. ``workers``: processes examining files ahead
    (``reporting.intake.ahead``; None: one per core for a large inbox, 1: none)."""
    period = Period.parse(period)
    inbox = Path(inbox) if inbox else workspace.inbox_dir(period)
    if refusal := inbox_refusal(inbox, workspace, period):
        raise IntakeError(
            f"{inbox} 不能作为收件目录：{refusal}。各单位报回的文件请放在 {workspace.inbox_dir(period)}"
            "（或另建一个只放报回文件的文件夹，用 --inbox 指定）；本次没有收取任何文件"
        )
    round_ = quarter_round(settings, assignments, workspace, period)
    summary = collect_round(
        settings, assignments, workspace, round_, inbox, now, progress, ledger, workers
    )
    if inbox == workspace.inbox_dir(period):  # for duban status: what this run set aside
        write_set_aside(workspace.set_aside(period), summary.set_aside)
    return summary


def collect_round(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    round_: Round,
    inbox: Path,
    now: datetime,
    progress: Callable[[str], None] | None = None,
    ledger: Ledger | None = None,
    workers: int | None = None,
) -> CollectSummary:
    """``collect`` for any ``Round`` (a quarter, a year's 落实方案) from ``inbox``."""
    summary = CollectSummary(period=round_.period or round_.key, inbox=inbox)
    if not inbox.exists():
        inbox.mkdir(parents=True, exist_ok=True)
        summary.inbox_created = True
    own_ledger = ledger is None
    ledger = ledger or Ledger(workspace.ledger_path)
    intake = _Intake(settings, assignments, workspace, round_, ledger, now, summary)
    try:
        clean_stale_temp(workspace.archive_dir, now)
        skipped: list[Skipped] = []
        files = scan_inbox(inbox, summary.ignored, skipped)
        for skip in skipped:
            (summary.failed if skip.retry else summary.skipped).append((skip.source, skip.reason))
        # each file archived (on disk) before its record: the batch's archive copies and
        # arrival records are flushed together before its records are committed; an inbox
        # file whose record a kill lost is taken in again by the next run
        intake.later = SyncLater()
        ahead = examine_ahead(intake, files, workers)
        with ledger.batched(LEDGER_BATCH, before_commit=intake.later.sync) as tick:
            for path, source in files:
                intake.ready = next(ahead, None)
                try:
                    intake.take_in(path, source)
                except OSError as exc:
                    full = storage_error(exc)
                    if isinstance(full, NoSpaceError):
                        raise full from exc  # every later file would fail alike: stop here
                    summary.failed.append(
                        (
                            source,
                            f"无法读取（{exc.strerror or exc}），请检查文件权限，下次运行时会重试",
                        )
                    )
                tick()
                if progress:
                    progress(source)
    finally:
        intake.later = None
        if own_ledger:
            ledger.close()
    return summary


class _Intake:
    """Taking in the files of one collect run (inbox files, and the files of saved mails)."""

    def __init__(self, settings, assignments, workspace, round_: Round, ledger, now, summary):
        self.settings: Settings = settings
        self.assignments: Assignments = assignments
        self.workspace: Workspace = workspace
        self.round = round_
        self.period: str = round_.key  # what the ledger records the round's files under
        self.ledger: Ledger = ledger
        self.now: datetime = now
        self.summary: CollectSummary = summary
        self.limits = Limits.from_settings(settings.intake)
        self.ready: Ahead | None = None  # the current inbox file, examined ahead
        self.seq = 0  # intake order within this run (``arrivals``)
        self.later: SyncLater | None = None  # new archive files, flushed with their batch

    def known(self, sha: str) -> bool:
        return self.ledger.has_return(self.period, sha) or self.ledger.has_attachment(
            self.period, sha
        )

    def take_in(self, path: Path, source: str) -> None:
        sha = sha256_file(path)
        if self.known(sha):
            self.summary.known.append(source)
            return
        # a mail fetched from the office mailbox: the server's INTERNALDATE (ours, not the
        # sender's Date:); else the file's time
        fetched = self.ledger.imap_internaldate(sha)
        mtime = datetime.fromtimestamp(path.stat().st_mtime, TZ)
        received = datetime.fromisoformat(fetched) if fetched else min(mtime, self.now)
        stored = archive_file(path, sha, self.workspace.archive_dir, self.later)
        if stored is None:
            self.summary.failed.append(
                (source, "文件在读取过程中发生了变化（可能仍在复制或下载），下次运行时会重新处理")
            )
            return
        known = read_arrival(stored, str(self.period))
        if known is not None:  # taken in before (a saved mail is read on every run): as then
            self.take_stored(stored, known)
            return
        self.seq += 1
        arrival = Arrival(
            period=str(self.period),
            sha256=sha,
            source=source,
            name=path.name,
            kind="mail" if is_message(stored) else "file",
            first_seen=received.isoformat(),
            trusted=fetched is not None,
            taken_at=self.now.isoformat(),
            seq=self.seq,
        )
        # before any ledger row (durable before its commit): ``duban recover`` replays it
        write_arrival(stored, arrival, self.later)
        self.take_stored(stored, arrival)

    def replay(self, stored: Path, arrival: Arrival) -> None:
        """Take in an archived file again as it was first taken in (``duban recover``)."""
        if self.known(arrival.sha256):
            self.summary.known.append(arrival.source)
            return
        self.take_stored(stored, arrival)

    def take_stored(self, stored: Path, arrival: Arrival) -> None:
        sha, source = arrival.sha256, arrival.source
        received = datetime.fromisoformat(arrival.first_seen)
        if arrival.kind == "mail":
            self.take_mail(stored, sha, source, received, trusted=arrival.trusted, arrival=arrival)
            return
        if is_outlook_msg(stored, self.limits):  # the office's way of saving, not the unit's fault
            text = (
                f"{source} 是 Outlook 保存的邮件（.msg），无法直接读取；请在 Outlook 中打开该邮件，"
                "把附带的进展情况表另存到收件目录（或用网页邮箱、Foxmail、Thunderbird 把邮件保存为 .eml）"
            )
            self.mail_problem(stored, sha, source, received, text, "outlook_msg")
            return
        kind = attachment_kind(stored)
        if kind is not None:
            self.keep_attachment(stored, sha, source, kind, received)
        else:
            self.examine(stored, sha, source, received)

    def take_mail(
        self,
        stored: Path,
        sha: str,
        source: str,
        fallback: datetime,
        *,
        trusted: bool = False,
        arrival: Arrival,
    ) -> None:
        """A saved email: each attached file is taken in as if it had been saved into the inbox,
        received at our receipt time (``received_time``) — or at ``fallback`` when that is
        ``trusted`` (the office server's INTERNALDATE). The time decided is kept in its
        ``arrival`` before the ledger (a replay uses it as decided)."""
        try:
            mail = read_message(stored, self.limits)
        except MailError as exc:
            self.mail_problem(stored, sha, source, fallback, str(exc), exc.code)
            return
        seen = self.ledger.file(sha)
        # fetched from the office mailbox: the server's INTERNALDATE comes first
        recorded = datetime.fromisoformat(seen["received_at"]) if seen is not None else None
        if arrival.received_at:  # replayed: the time decided when it was first taken in
            recorded = datetime.fromisoformat(arrival.received_at)
        received, _ = received_time(
            mail,
            first_seen=fallback,
            trusted_hosts=self.settings.intake.trusted_hosts,
            recorded=fallback if trusted else recorded,
        )
        if not arrival.received_at:
            write_arrival(
                stored, replace(arrival, received_at=received.isoformat(), sender=mail.sender)
            )
        self.ledger.record_file(
            sha, stored.stat().st_size, source, received.isoformat(timespec="seconds"), str(stored)
        )
        forms = kept = new = 0
        others: list[str] = []
        evidence = mail_evidence(mail, self.workspace.archive_dir, self.limits)
        for att in mail.attachments:
            att_sha = hashlib.sha256(att.data).hexdigest()
            att_stored = archive_bytes(
                att.data, att_sha, self.workspace.archive_dir, att.filename, self.later
            )
            kind = attachment_kind(att_stored)
            if kind is None and is_spreadsheet(att_stored, self.limits):
                forms += 1
            elif kind is None:
                kind = OTHER_FILE
                others.append(att.filename)
            else:
                kept += 1
            if self.known(att_sha):
                self.summary.known.append(att.source)
                continue
            new += 1
            # the attachment's own name tells its unit; the mail's subject and sender only
            # when it does not (one mail may carry forms of several units)
            named = att.filename if self.unit_named(att.filename) else att.source
            if kind is None:
                self.examine(
                    att_stored,
                    att_sha,
                    att.source,
                    received,
                    named,
                    mail=mail,
                    evidence=evidence,
                    mail_file=stored,
                )
            else:
                self.keep_attachment(att_stored, att_sha, att.source, kind, received, named)
        if not forms and not kept:
            # nothing the office can use: say so, naming the sender (a bare "收到" reply too)
            reason = (
                mail.notes[0]
                if mail.notes
                else "没有附带进展情况表"
                + (f"（只附带了 {'、'.join(others)}）" if others else "")
                + "，请联系该单位重新发送"
            )
            self.mail_problem(stored, sha, source, received, mail.label + reason, "mail_no_form")
        elif new:
            self.summary.mails.append(source)
            self.summary.mail_notes += [mail.label + note for note in mail.notes]
            if note := date_note(mail, received):
                self.summary.mail_notes.append(f"{mail.label}：{note}")

    def mail_problem(
        self, stored: Path, sha: str, source: str, received: datetime, text: str, code: str
    ) -> None:
        """A mail that gave no return is itself recorded as an unidentified file."""
        problem = Problem(text, code=code)
        self.record(
            stored, sha, source, received, state=ReturnState.UNIDENTIFIED, problems=[problem]
        )

    def unit_named(self, name: str) -> str | None:
        return unit_from_name(Path(name).name, self.assignments.registry)

    def keep_attachment(
        self,
        stored: Path,
        sha: str,
        source: str,
        kind: str,
        received: datetime,
        file_name: str | None = None,
    ) -> None:
        unit = self.unit_named(file_name or source)
        self.ledger.record_attachment(
            self.period,
            sha256=sha,
            source=source,
            kind=kind,
            received_at=received.isoformat(timespec="seconds"),
            unit=unit,
            file={"size": stored.stat().st_size, "archive_path": str(stored)},
        )
        self.summary.attachments.append((source, kind, unit))

    def examine(
        self,
        stored: Path,
        sha: str,
        source: str,
        received: datetime,
        file_name: str | None = None,
        *,
        mail: Mail | None = None,
        evidence: list[tuple[str, Path]] | None = None,
        mail_file: Path | None = None,
    ) -> None:
        ready, self.ready = self.ready, None
        if sha in self.round.blank:  # never answered with a 退回通知
            self.summary.set_aside.append((source, BLANK_FORM))
            return
        try:
            if ready is not None and ready[:2] == (stored, source) and file_name is None:
                ex = ready[2]
            else:
                ex = self.round.examine(stored, source, file_name)
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the batch; not recorded, so retried
            # set aside, not failed: one file the checks trip on must not hold back the
            # reminders and the report of every other unit
            self.summary.set_aside.append(
                (
                    source,
                    f"检查时程序出错（{type(exc).__name__}: {exc}），已放在一边，下次运行时会重试；"
                    "请把该文件发给维护人员，或请该单位另存后重新发送",
                )
            )
            return
        if ex.later:
            self.hand_over(mail_file or stored, source, ex.later, received)
            return
        answers = answers_to_dict(ex.answers, ex.header) if ex.answers is not None else ex.data
        state, problems, held = ex.state, list(ex.problems), None
        tiebreak = version_order(mail) if mail is not None else ""
        if mail is not None and ex.unit and state != ReturnState.UNIDENTIFIED:
            state, held = hold_unverified(
                self.settings, self.assignments, self.round.review, mail, ex.unit, state, problems
            )
            problems += self.tie(ex.unit, sha, received, tiebreak)
        if ex.requests and evidence is None:  # 销号/延期/调整: the files sent with them
            evidence = sibling_evidence(self.summary.inbox / source, self.limits)
        if ex.requests and answers is not None and state == ReturnState.HELD:
            answers["requests"] = held_requests(ex.requests, evidence or [])  # until review
        self.record(
            stored,
            sha,
            source,
            received,
            state=state,
            problems=problems,
            held=held,
            unit=ex.unit,
            form_id=ex.form_id,
            schema_version=ex.schema_version,
            identified_by=ex.identified_by,
            answers=answers,
            tiebreak=tiebreak,
        )
        if ex.requests and ex.unit and state == ReturnState.ACCEPTED:
            register_requests(
                self.ledger,
                self.workspace,
                self.period,
                ex.unit,
                ex.requests,
                sha256=sha,
                received_at=received.isoformat(timespec="seconds"),
                evidence=evidence or [],
            )

    def hand_over(self, path: Path, source: str, later: str, received: datetime) -> None:
        """A form of another round (a later period's: a reply that came before this period's
        collect was over; a 落实方案表, or a quarter's form in the 落实方案 inbox): a copy goes
        to that round's inbox, dated when we received it, for its own collect. Nothing is
        recorded or answered here."""
        inbox, label, kind = round_inbox(self.workspace, later)
        dest = hand_over_copy(path, inbox, self.period, received)
        self.summary.set_aside.append(
            (
                source,
                f"这是{label}的报送，已转到{kind}的收件目录（{dest}），由{kind}收取，本期不作处理",
            )
        )

    def tie(self, unit: str, sha: str, received: datetime, tiebreak: str) -> list[Problem]:
        """A version of ``unit`` that nothing orders against an earlier one (the same time of
        ours, the same Received: and Date:): flagged for the office, intake order decides."""
        when = received.isoformat(timespec="seconds")
        for row in self.ledger.same_time(self.period, unit, when):
            if row.sha256 != sha and row["tiebreak"] == tiebreak:
                return [
                    Problem(
                        f"与 {row.source} 收到时间相同，Received: 和 Date: 也相同，无法分出先后；"
                        "已按收取顺序以本份为准，请向该单位核实哪一份是最终版本",
                        code="version_tie",
                        level=Level.WARNING,
                    )
                ]
        return []

    def record(
        self,
        stored: Path,
        sha: str,
        source: str,
        received: datetime,
        *,
        state: str,
        problems: list[Problem],
        unit: str | None = None,
        answers: dict | None = None,
        held: dict | None = None,
        **ident,
    ) -> None:
        late = deadline_passed(self.round.deadline, received)
        when = received.isoformat(timespec="seconds")
        self.ledger.record_return(
            self.period,
            sha256=sha,
            source=source,
            state=state,
            received_at=when,
            unit=unit,
            problems=[p.to_dict() for p in problems],
            late=late,
            answers=answers,
            file={"size": stored.stat().st_size, "archive_path": str(stored)},
            held=held,
            **ident,
        )
        self.summary.new.append(FileOutcome(source, sha, state, unit, late, when, problems))


def replay_arrivals(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    arrivals: list[tuple[Arrival, Path]],
    *,
    ledger: Ledger,
    now: datetime,
    round_: Round | None = None,
) -> CollectSummary:
    """Take in archived files again in their recorded order, each as it was first taken in
    (its source, our receipt time, the same identification and checks): ``duban recover``
    rebuilding a lost ledger (``round_``: a year's 落实方案 rather than the quarter
    ``period``). Writes only to ``ledger`` (and the archive's copies)."""
    if round_ is None:
        round_ = quarter_round(settings, assignments, workspace, Period.parse(period))
    inbox = round_inbox(workspace, round_.key)[0]
    summary = CollectSummary(period=round_.period or round_.key, inbox=inbox)
    intake = _Intake(settings, assignments, workspace, round_, ledger, now, summary)
    for arrival, stored in arrivals:
        intake.replay(stored, arrival)
    return summary
