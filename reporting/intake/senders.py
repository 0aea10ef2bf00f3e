"""Who sent a mailed form: the addresses registered for a unit, and the check that holds a
form from any other address — or from no readable address at all — as 待核实 until the
office decides (``[intake] sender_check`` = hold / warn / off; ``reporting.intake.review``)."""

from __future__ import annotations

import re

from reporting.core.config import Settings
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.states import Level, ReturnState
from reporting.intake.mailbox import Mail
from reporting.taskbook.assignments import Assignments

_ADDRESS = re.compile(r"[^\s,;，；<>()\"']+@[^\s,;，；<>()\"']+")


def registered_senders(assignments: Assignments, settings: Settings, unit: str) -> set[str]:
    """The addresses a unit's mail may come from: units.csv email and cc, ``[intake] senders``."""
    u = assignments.registry.units.get(unit)
    text = " ".join([u.email, u.cc] if u is not None else [])
    found = {a.lower() for a in _ADDRESS.findall(text)}
    return found | {a.strip().lower() for a in settings.intake.senders.get(unit, [])}


def sender_problem(
    settings: Settings, assignments: Assignments, period: Period, mail: Mail, unit: str
) -> Problem | None:
    """A form for ``unit`` in a mail whose From: is not registered for it (or names no
    address): an error that holds it, a warning, or nothing (``[intake] sender_check``)."""
    check = settings.intake.sender_check
    if check == "off":
        return None
    allowed = registered_senders(assignments, settings, unit)
    if mail.addresses and all(a in allowed for a in mail.addresses):
        return None
    who = mail.sender or "（没有发件人）"
    if check == "warn":
        return Problem(
            f"发件人 {who} 不是{unit}在单位名录（units.csv）登记的邮箱，已照常接收；请核实",
            code="sender_unverified",
            level=Level.WARNING,
        )
    return Problem(
        f"发件人 {who} 不是{unit}在单位名录（units.csv）登记的邮箱，暂不采用（待核实）；"
        f"核实后运行 duban review --period {period} 采用或退回",
        code="sender_unverified",
    )


def hold_unverified(
    settings: Settings,
    assignments: Assignments,
    period: Period,
    mail: Mail,
    unit: str,
    state: str,
    problems: list[Problem],
) -> tuple[str, dict | None]:
    """The return's state after the sender check, and what its hold records (the sender
    and the verdict the file earned): 待核实 when the check's problem is an error. The
    problem is added to ``problems``."""
    problem = sender_problem(settings, assignments, period, mail, unit)
    if problem is None:
        return state, None
    problems.append(problem)
    if problem.level != Level.ERROR:
        return state, None
    return ReturnState.HELD, {"sender": mail.sender, "verdict": state}
