"""The escalation ladder (督办升级): one pure function over the year's merged results.

A task row is *behind* in a quarter when the 通报 names it there (``RowResult.lagging``:
自报滞后 or 红灯, 未启动 included) and *red* when its light is red. At each quarter, with
``[ladder]`` (``LadderSettings``):

- 书面说明 (黄): red ``written_red`` quarters running, or behind ``written_behind`` running;
- 约谈 (黄): behind ``talk_behind`` quarters running;
- 挂牌督办 (红): red in quarter ``listed_red_from`` or later (3: the year's second half).

The highest rung that applies is the task's. A rung is cleared only when the gap is closed
(the row lit green: progress at its pace and every indicator met); until then the task keeps
at least last quarter's rung — a red mark does not turn yellow because the gap narrowed, nor
does a quarter without a return clear it. ``ladder`` gives the rungs of the last quarter
given; the report, the 通报 and the 督办单 (``reporting.assess.orders``) all read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reporting.core.config import LadderSettings
from reporting.core.model import Light, QuarterResult, RowResult
from reporting.core.periods import Period
from reporting.core.states import Rung


@dataclass(frozen=True)
class Step:
    """One task on the ladder at a quarter."""

    task_id: str
    label: str
    rung: Rung
    reason: str  # why, in words: "连续2个季度滞后", "第三季度亮红灯（下半年）"
    behind: int  # quarters behind, running, up to this one
    red: int  # quarters lit red, running
    held: bool = False  # kept from last quarter: the gap is not closed yet

    @property
    def colour(self) -> str:
        return self.rung.colour


def behind(row: RowResult) -> bool:
    # a row carried from the quarter that judged it is no new quarter behind (the 通报 too)
    return row.reported and row.lagging and not row.carried_from


def red(row: RowResult) -> bool:
    return row.reported and row.light == Light.RED and not row.carried_from


def cleared(row: RowResult) -> bool:
    """The gap is closed: the lead units reported and the row is lit green."""
    return row.reported and row.light == Light.GREEN


def _trigger(
    s: LadderSettings, quarter: int, behind_run: int, red_run: int, is_red: bool
) -> tuple[Rung, str] | None:
    if s.listed_red_from and is_red and quarter >= s.listed_red_from:
        half = "（下半年）" if s.listed_red_from >= 3 else ""
        return Rung.LISTED, f"{Period(2000, quarter).label}亮红灯{half}"
    if s.talk_behind and behind_run >= s.talk_behind:
        return Rung.TALK, f"连续{behind_run}个季度滞后"
    if s.written_red and red_run >= s.written_red:
        if red_run == 1:
            return Rung.WRITTEN, f"{Period(2000, quarter).label}亮红灯"
        return Rung.WRITTEN, f"连续{red_run}个季度亮红灯"
    if behind_run >= s.written_behind:
        return Rung.WRITTEN, f"连续{behind_run}个季度滞后"
    return None


def ladder(results: Sequence[QuarterResult], settings: LadderSettings) -> dict[str, Step]:
    """The rungs at the last of ``results`` (the year's merged quarters up to the one assessed,
    in order): task id → ``Step``, for the tasks on the ladder only. A quarter missing from
    ``results`` breaks a run; a row without its lead units' return neither adds to a run nor
    clears a rung."""
    if not settings.enabled or not results:
        return {}
    ordered = sorted(results, key=lambda r: r.period)
    runs: dict[str, tuple[int, int]] = {}  # task id → (behind run, red run)
    rungs: dict[str, Step] = {}
    last: Period | None = None
    for result in ordered:
        period = Period.parse(result.period)
        if last is not None and period != last.next():
            runs = {}
        last = period
        now: dict[str, Step] = {}
        for row in result.rows:
            b_run, r_run = runs.get(row.id, (0, 0))
            b_run = b_run + 1 if behind(row) else (b_run if not row.reported else 0)
            r_run = r_run + 1 if red(row) else (r_run if not row.reported else 0)
            runs[row.id] = (b_run, r_run)
            found = _trigger(settings, period.quarter, b_run, r_run, red(row))
            before = rungs.get(row.id)
            if before is not None and not cleared(row):
                if found is None or found[0].level < before.rung.level:
                    found = (before.rung, f"上季度已列入{before.rung}，差距尚未补上")
                    now[row.id] = Step(row.id, row.label, found[0], found[1], b_run, r_run, True)
                    continue
            if found is not None:
                now[row.id] = Step(row.id, row.label, found[0], found[1], b_run, r_run)
        rungs = now
    return rungs


def counts(steps: dict[str, Step]) -> dict[Rung, int]:
    """How many tasks on each rung, highest first (only rungs in use)."""
    out = {r: sum(1 for s in steps.values() if s.rung == r) for r in reversed(Rung)}
    return {r: n for r, n in out.items() if n}


def counts_text(steps: dict[str, Step]) -> str:
    """'挂牌督办2项、约谈1项、书面说明3项' ('' when none)."""
    return "、".join(f"{r}{n}项" for r, n in counts(steps).items())
