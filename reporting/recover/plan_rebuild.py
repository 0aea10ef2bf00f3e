"""``duban recover`` for a year's 落实方案 round (``<data>/<year>/落实方案``): the 落实方案表
built, the returns replayed from the archive (then what the round's inbox holds), the
office's decisions on held ones and the outbox's mails, as a quarter's are
(``reporting.recover.rebuild``). Rebuilt before the quarters: the accepted plans are the
quarters' 节点."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from reporting.core.calendar import TZ
from reporting.core.config import Settings
from reporting.core.exceptions import DubanError
from reporting.core.ledger import Ledger
from reporting.core.periods import Period
from reporting.core.workspace import Workspace
from reporting.documents.sniff import Limits
from reporting.documents.spreadsheet import read_workbook
from reporting.forms.plan_spec import plan_key, plan_label, plan_year
from reporting.intake.collect import replay_arrivals
from reporting.intake.identify import identify
from reporting.intake.plan_intake import collect_plans
from reporting.intake.review import redo_decisions
from reporting.intake.rounds import plan_round
from reporting.taskbook.assignments import Assignments


def plan_years(workspace: Workspace, recorded: list[str]) -> list[int]:
    """The years with a 落实方案 round: in the archive's records or as a folder on disk."""
    found = {y for y in (plan_year(k) for k in recorded) if y is not None}
    for d in workspace.root.glob("*/落实方案"):
        if d.is_dir() and d.parent.name.isdigit():
            found.add(int(d.parent.name))
    return sorted(found)


def rebuild_plan(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    year: int,
    ledger: Ledger,
    now: datetime,
    *,
    arrivals: list,
    sends: Callable[[str], int],
) -> list[str]:
    """The round of ``year`` into ``ledger`` (``assignments``: the task table as written;
    ``sends(key)`` records the outbox's mails of the round, their count); lines saying
    what was rebuilt."""
    key = plan_key(year)
    limits = Limits.from_settings(settings.intake)
    forms = 0
    for path in sorted((workspace.plan_dir(year) / "forms").glob("*.xlsx")):
        try:
            ident, _ = identify(read_workbook(path, limits), path.name, assignments)
        except (DubanError, OSError):
            continue
        if ident is None or ident.period != key or ident.unit not in assignments.registry.units:
            continue
        built = datetime.fromtimestamp(path.stat().st_mtime, TZ).isoformat(timespec="seconds")
        ledger.record_form(key, ident.unit, ident.form_id, str(path), "", at=built)
        forms += 1
    round_ = plan_round(settings, assignments, workspace, year)
    replay_arrivals(
        settings, assignments, workspace, key, arrivals, ledger=ledger, now=now, round_=round_
    )
    if workspace.plan_inbox(year).is_dir():  # files with no record: as duban plan takes them
        collect_plans(settings, assignments, workspace, year, now=now, ledger=ledger)
    decisions = redo_decisions(ledger, key)
    mails = sends(key)
    accepted = len(ledger.latest_accepted(key))
    return [
        f"{plan_label(year)}：表格 {forms} 份，报送记录 {len(ledger.returns(key))} 条"
        f"（已采用 {accepted} 个单位），发件箱中的邮件 {mails} 封",
        *(f"  {line}" for line in decisions),
    ]


def keys_of(periods: list[Period], years: list[int]) -> list[Period | str]:
    """Every round's key: the quarters and the years' 落实方案."""
    return [*periods, *(plan_key(y) for y in years)]
