"""Who sent a mailed form: the addresses registered for a unit, and the check that holds a
form as 待核实 until the office decides (``[intake] sender_check`` = hold / warn / off;
``reporting.intake.review``) when it came from any other address or from no readable
address, when the mail has several From: headers, or when one of the office's own servers
(``[intake] trusted_hosts``) wrote an Authentication-Results saying SPF/DMARC failed —
the same header from any other server is ignored, since anyone can write it."""

from __future__ import annotations

import re

from reporting.core.config import Settings
from reporting.core.problems import Problem
from reporting.core.states import Level, ReturnState
from reporting.intake.mailbox import Mail, failed_authentication
from reporting.taskbook.assignments import Assignments

_ADDRESS = re.compile(r"[^\s,;，；<>()\"']+@[^\s,;，；<>()\"']+")


def registered_senders(assignments: Assignments, settings: Settings, unit: str) -> set[str]:
    """The addresses a unit's mail may come from: units.csv email and cc, ``[intake] senders``."""
    u = assignments.registry.units.get(unit)
    text = " ".join([u.email, u.cc] if u is not None else [])
    found = {a.lower() for a in _ADDRESS.findall(text)}
    return found | {a.strip().lower() for a in settings.intake.senders.get(unit, [])}


def sender_problem(
    settings: Settings, assignments: Assignments, review: str, mail: Mail, unit: str
) -> Problem | None:
    """A form for ``unit`` in a mail whose sender cannot be trusted: its From: not registered
    for it (or naming no address), several From: headers, or our own server saying the
    sender failed SPF/DMARC (``failed_authentication``). An error that holds it, a warning,
    or nothing (``[intake] sender_check``); ``review``: the command that decides a held one."""
    check = settings.intake.sender_check
    if check == "off":
        return None
    why = _distrust(settings, assignments, mail, unit)
    if why is None:
        return None
    if check == "warn":
        return Problem(f"{why}，已照常接收；请核实", code="sender_unverified", level=Level.WARNING)
    return Problem(
        f"{why}，暂不采用（待核实）；核实后运行 {review} 采用或退回",
        code="sender_unverified",
    )


def _distrust(settings: Settings, assignments: Assignments, mail: Mail, unit: str) -> str | None:
    who = mail.sender or "（没有发件人）"
    if mail.from_count > 1:
        return (
            f"邮件有 {mail.from_count} 个发件人（From:）：{'、'.join(mail.addresses) or who}，"
            "无法确定是谁发的"
        )
    allowed = registered_senders(assignments, settings, unit)
    if not mail.addresses or not all(a in allowed for a in mail.addresses):
        return f"发件人 {who} 不是{unit}在单位名录（units.csv）登记的邮箱"
    failed = failed_authentication(mail, settings.intake.trusted_hosts)
    if failed is not None:
        server, verdicts = failed
        return (
            f"本办邮件服务器 {server} 对这封邮件的验证结果为 {'、'.join(verdicts)}，"
            f"发件人 {who} 可能是伪造的"
        )
    return None


def hold_unverified(
    settings: Settings,
    assignments: Assignments,
    review: str,
    mail: Mail,
    unit: str,
    state: str,
    problems: list[Problem],
) -> tuple[str, dict | None]:
    """The return's state after the sender check, and what its hold records (the sender
    and the verdict the file earned): 待核实 when the check's problem is an error. The
    problem is added to ``problems``."""
    problem = sender_problem(settings, assignments, review, mail, unit)
    if problem is None:
        return state, None
    problems.append(problem)
    if problem.level != Level.ERROR:
        return state, None
    return ReturnState.HELD, {"sender": mail.sender, "verdict": state}
