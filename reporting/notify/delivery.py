"""Delivery: how any message reaches a unit (通知/提醒/催报/逾期, 回执, 配合反馈, 通报).

A stage plans its messages, each with the ``Outcome`` of every unit it reaches, and hands
them to ``deliver``: each message is claimed in the ledger just before it leaves (one sent
before, or being sent by another process, is not sent again), sent on its ``Channel``
(email, a group robot) with retries and backoff for transient errors, and its outcome
recorded (``SendLog``). After a fatal error (server down, login refused) the rest are
recorded as not attempted, to be sent by the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from reporting.core.config import Settings, SmtpSettings
from reporting.core.exceptions import NotifyError, SendError
from reporting.core.ledger import Ledger
from reporting.core.messages import Message
from reporting.core.states import SendResult
from reporting.notify.mailer import (
    Mailer,
    OutgoingMail,
    clean_header,
    parse_addresses,
    sender_name,
)

CHANNEL_CN = {"email": "邮件", "wecom": "企业微信", "dingtalk": "钉钉", "list": "催报清单"}
RESULT_CN = {
    SendResult.SENT: "已发送",
    SendResult.FAILED: "失败",
    SendResult.SKIPPED: "跳过",
    SendResult.ALREADY: "此前已发送",
    SendResult.PLANNED: "将发送",
    SendResult.UNCERTAIN: "可能已发出",
}
NO_EMAIL = "单位名录（units.csv）没有登记邮箱，请补上后重新运行"
NOT_IN_REGISTRY = (
    "该单位已不在单位名录（units.csv）中，无法发送；如已改名，请在 [registry] aliases 中登记"
)
BUSY = "另一个 duban 进程已发送或正在发送"
UNCERTAIN = (
    "可能已发出：上次发送时程序中断，无法确认对方是否收到，本次没有重发；"
    "核实对方没有收到后运行 duban remind --resend-uncertain 重发（沿用原 Message-ID）"
)


@dataclass
class Outcome:
    unit: str
    channel: str  # email | wecom | dingtalk
    result: SendResult = SendResult.PLANNED
    detail: str = ""
    attempts: int = 0
    target: str = ""  # addresses, or the robot
    subject: str = ""
    attachment: str = ""
    claim: int | None = None  # the ledger's send claim (``Ledger.claim_send``) while sending


class SendTally:
    """``sent`` / ``failed`` / ``ok`` of a summary that can ``count(result)``: by default
    over its ``outcomes``; a summary that keeps its sends otherwise counts them itself."""

    outcomes: list[Outcome]

    def count(self, result: SendResult) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    @property
    def sent(self) -> int:
        return self.count(SendResult.SENT)

    @property
    def failed(self) -> int:
        return self.count(SendResult.FAILED)

    @property
    def ok(self) -> bool:
        return self.failed == 0


def _no_key(out: Outcome) -> str:
    return ""


def _as_is(out: Outcome, detail: str) -> str:
    return detail


@dataclass
class SendLog:
    """Where one run's messages are claimed and recorded: the ledger's ``send_claims`` and
    ``sends`` of one period and stage, stamped ``at``."""

    ledger: Ledger
    period: str
    stage: str
    at: str
    key: Callable[[Outcome], str] = _no_key  # what the claim is for (a 文号, a content digest)
    text: Callable[[Outcome, str], str] = _as_is  # the ledger's detail of a send
    on_sent: Callable[[Outcome], None] | None = None

    def claim(self, out: Outcome) -> int | None:
        """The claim id, or None when the message was sent or is being sent already."""
        return self.ledger.claim_send(
            self.period, out.unit, self.stage, out.channel, key=self.key(out), at=self.at
        )

    def not_claimed(self, out: Outcome) -> None:
        """Why ``out`` was not claimed: sent or being sent, or 可能已发出."""
        state = self.ledger.claim_state(
            self.period, out.unit, self.stage, out.channel, self.key(out)
        )
        if state == SendResult.UNCERTAIN:
            out.result, out.detail = SendResult.UNCERTAIN, UNCERTAIN
        else:
            out.result, out.detail = SendResult.ALREADY, BUSY

    def record(self, out: Outcome, detail: str) -> None:
        """Put one send's result in the ledger: close its claim, or (nothing was claimed:
        the message was never tried) record the failure."""
        text = self.text(out, detail)
        if out.claim is not None:  # held: committed with the next claim (``deliver``)
            self.ledger.complete_send(
                out.claim, out.result, text, attempts=out.attempts, at=self.at, hold=True
            )
            out.claim = None
        else:
            self.ledger.record_send(
                self.period,
                out.unit,
                self.stage,
                out.channel,
                out.result,
                text,
                attempts=out.attempts,
                at=self.at,
            )
        if out.result == SendResult.SENT and self.on_sent is not None:
            self.on_sent(out)


# -- channels ----------------------------------------------------------------------------
class Delivery(NamedTuple):
    """What became of one message a channel took."""

    result: SendResult  # SENT, or FAILED (the server refused every To)
    detail: str = ""  # for the office
    recorded: str = ""  # the ledger's detail
    note: str = ""  # for the run's notes (the unit was reached, but a Cc was refused)


class Channel(Protocol):
    """Where messages go: ``MailChannel`` (a mail server or outbox directory) or
    ``webhooks.RobotChannel`` (a group robot)."""

    def send(self, message: Any) -> Delivery:
        """Send one message; raise SendError (``transient``: worth a retry; ``fatal``: the
        channel is unusable, the rest of the run is not tried)."""
        ...

    def close(self) -> None: ...

    def closing_note(self, sent: bool) -> str:
        """A line for the office once the run is over ("" for none)."""
        ...


OUTBOX_NOTE = "邮件未实际发出，已写入发件箱目录 {}（[smtp] outbox）。"
_OUTBOX_HEAD, _OUTBOX_TAIL = OUTBOX_NOTE.split("{}")


def outbox_note_once(lines: Iterable[str], said: set[str] | None = None) -> list[str]:
    """``lines`` with each outbox notice at its first place only: every batch of mails adds
    one, and a run or command that sends several batches (回执 and 配合反馈) says it once.
    ``said``: the notices already printed before ``lines`` (updated)."""
    said = set() if said is None else said
    out = []
    for line in lines:
        text = line.strip()
        if text.startswith(_OUTBOX_HEAD) and text.endswith(_OUTBOX_TAIL):
            if text in said:
                continue
            said.add(text)
        out.append(line)
    return out


class MailChannel:
    """Email as a ``Channel``: one ``Mailer`` connection for the run's mails."""

    def __init__(self, mailer: Mailer):
        self.mailer = mailer

    def send(self, message: OutgoingMail) -> Delivery:
        refused = self.mailer.send(message)
        primary = [a for _, a in message.to if a in refused]
        if primary:
            detail = "收件人被拒收：" + "；".join(f"{a}（{refused[a]}）" for a in primary)
            detail += "，请核对 units.csv 中的邮箱"
            return Delivery(SendResult.FAILED, detail, detail)
        detail = "；".join(f"抄送 {a} 被拒收（{r}）" for a, r in refused.items())
        outbox = f"已写入 {self.mailer.outbox}" if self.mailer.outbox else ""
        return Delivery(SendResult.SENT, detail, detail or outbox, note=detail)

    def close(self) -> None:
        self.mailer.close()

    def closing_note(self, sent: bool) -> str:
        if self.mailer.outbox and sent:
            return OUTBOX_NOTE.format(self.mailer.outbox)
        return ""


def open_mail(
    settings: Settings, *, ssl_context, dry_run: bool, notes: list[str], now: datetime
) -> MailChannel:
    """The run's mail channel; settings that cannot work raise NotifyError (a dry run notes
    them)."""
    mailer = Mailer(
        settings.smtp,
        sender_display=sender_name(settings.district.name, settings.district.office),
        context=ssl_context,
        password=settings.secrets.smtp_password,
        now=now,
    )
    if dry_run:
        try:
            mailer.check()
        except NotifyError as exc:
            notes.append(f"注意：正式发送前需要处理：{exc}")
    else:
        mailer.check()
    return MailChannel(mailer)


def email_configured(settings: Settings) -> bool:
    """Mail can go out: a server, or an outbox directory for .eml files."""
    return bool(settings.smtp.host or settings.smtp.outbox)


# -- addresses -----------------------------------------------------------------------------
def global_cc(settings: Settings) -> list[str]:
    try:
        return parse_addresses(", ".join(settings.smtp.cc))
    except NotifyError as exc:
        raise NotifyError(f"[smtp] cc 有误：{exc}") from None


def unit_addresses(email: str, cc: str, extra_cc: list[str]) -> tuple[list[str], list[str]]:
    """To (units.csv ``email``) and Cc (``cc`` + ``[smtp] cc``) of a unit; NotifyError when
    no usable address is registered."""
    to = parse_addresses(email)
    if not to:
        raise NotifyError(NO_EMAIL)
    return to, [a for a in parse_addresses(cc) + extra_cc if a not in to]


# -- sending ---------------------------------------------------------------------------------
def with_retries(
    call: Callable[[], Any], *, retries: int, backoff: float, sleep: Callable[[float], None]
):
    """Call until it succeeds; transient SendErrors are retried ``retries`` times, waiting
    backoff, 2×backoff, 4×backoff … seconds. Returns (result, attempts); a final failure
    is raised with ``.attempts`` set."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(), attempt
        except SendError as exc:
            if not exc.transient or attempt > retries:
                exc.attempts = attempt  # type: ignore[attr-defined]  # read by the callers
                raise
            sleep(backoff * 2 ** (attempt - 1))


Planned = tuple[Any, Sequence[Outcome]]  # a message (None: nothing to send) and whom it reaches


def deliver(
    channel: Channel,
    planned: Iterable[Planned],
    log: SendLog,
    *,
    retry: SmtpSettings,
    sleep: Callable[[float], None],
    notes: list[str],
    claimed: bool = False,
) -> None:
    """Send the planned messages on ``channel`` and record each outcome in ``log``.

    Outcomes already ``FAILED`` (an unusable address) are recorded without sending. Each
    message is claimed just before it goes out (``claimed``: the caller claimed them all
    before composing the messages); one another process sent or is sending is ``ALREADY``.
    Transient errors are retried with backoff (``retry.retries``, ``retry.backoff``: the
    [smtp] settings, for the robots too); after a fatal one the rest are recorded as not
    attempted.
    """
    seen: list[Outcome] = []  # ``planned`` may be read once only (a generator)
    try:
        with log.ledger.chained():  # a send's result commits with the next one's claim
            _deliver(channel, planned, log, retry, sleep, notes, claimed, seen)
    finally:
        channel.close()
    note = channel.closing_note(any(o.result == SendResult.SENT for o in seen))
    if note:
        notes.append(note)


def _deliver(channel, planned, log: SendLog, retry, sleep, notes, claimed: bool, seen) -> None:
    stopped: str | None = None
    for message, outs in planned:
        seen.extend(outs)
        for out in outs:
            if out.result == SendResult.FAILED:
                log.record(out, out.detail)
        if message is None:
            continue
        if stopped:
            for out in outs:
                out.result, out.detail, out.attempts = (
                    SendResult.FAILED,
                    f"未尝试：{stopped}",
                    0,
                )
                log.record(out, out.detail)
            continue
        if not claimed:
            for out in outs:
                out.claim = log.claim(out)
                if out.claim is None:
                    log.not_claimed(out)
            outs = [o for o in outs if o.claim is not None]
            if not outs:
                continue
        if isinstance(message, OutgoingMail) and outs[0].claim is not None:
            # the claim's own Message-ID: a resend carries the same, a bounce names it
            message.message_id = log.ledger.claim_message_id(outs[0].claim)
        log.ledger.settle()  # the results so far are on disk before anything more leaves
        try:
            done, attempts = with_retries(
                partial(channel.send, message),
                retries=retry.retries,
                backoff=retry.backoff,
                sleep=sleep,
            )
        except SendError as exc:
            done = Delivery(SendResult.FAILED, str(exc), str(exc))
            attempts = getattr(exc, "attempts", 1)
            if exc.fatal:
                stopped = str(exc)
        for out in outs:
            out.result, out.detail, out.attempts = done.result, done.detail, attempts
            if done.note:
                notes.append(f"{out.unit}：{done.note}")
            log.record(out, done.recorded)


class MailBatch:
    """The mails of one run to units: planned one by one, then delivered together.

    Opening it checks the mail settings (NotifyError; a dry run only notes the problem)
    and ``[smtp] cc``, before any message is rendered or claimed.
    """

    def __init__(
        self, settings: Settings, *, ssl_context, dry_run: bool, notes: list[str], now: datetime
    ):
        self.settings = settings
        self.channel = open_mail(
            settings, ssl_context=ssl_context, dry_run=dry_run, notes=notes, now=now
        )
        self.extra_cc = global_cc(settings)
        # an unusable address in a dry run: nothing could be sent, nothing is recorded
        self.bad = SendResult.SKIPPED if dry_run else SendResult.FAILED
        self.notes = notes
        self.planned: list[Planned] = []

    def addresses(
        self, out: Outcome, email: str | None, cc: str
    ) -> tuple[list[str], list[str]] | None:
        """To and Cc of ``out``'s mail (``unit_addresses``; ``email`` None: the unit is gone
        from the registry); None when there is no usable one (``out`` then says why)."""
        try:
            if email is None:
                raise NotifyError(NOT_IN_REGISTRY)
            return unit_addresses(email, cc, self.extra_cc)
        except NotifyError as exc:
            self.fail(out, str(exc))
            return None

    def fail(self, out: Outcome, detail: str) -> None:
        """``out`` cannot be sent (recorded as failed by ``send``)."""
        out.result, out.detail = self.bad, detail
        self.planned.append((None, [out]))

    def add(
        self,
        out: Outcome,
        name: str,
        to: tuple[list[str], list[str]],
        message: Message,
        *,
        attachment: Path | None = None,
        attachment_name: str = "",
        fallback_name: str = "",
        label: str = "",
        more: Sequence[tuple[Path, str, str]] = (),
    ) -> None:
        """Plan the mail of ``out`` (``name`` is shown with each To, ``to`` = To and Cc);
        its target and subject are noted on ``out`` for the summary."""
        out.target = "、".join(to[0] + [f"抄送 {a}" for a in to[1]])
        out.subject = clean_header(message.subject)
        mail = OutgoingMail(
            to=[(name, addr) for addr in to[0]],
            cc=to[1],
            subject=message.subject,
            body=message.body,
            attachment=attachment,
            attachment_name=attachment_name,
            fallback_name=fallback_name,
            label=label,
            more=list(more),
        )
        self.planned.append((mail, [out]))

    def send(
        self,
        log: SendLog,
        *,
        sleep: Callable[[float], None],
        planned: Iterable[Planned] | None = None,
    ) -> None:
        """Deliver the planned mails (``planned``: the same, as they become ready)."""
        deliver(
            self.channel,
            self.planned if planned is None else planned,
            log,
            retry=self.settings.smtp,
            sleep=sleep,
            notes=self.notes,
        )
