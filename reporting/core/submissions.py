"""How a unit reported in a period (``Submitted``), decided once from its ledger returns.

The report, the 督查通报, the scores, the year workbook, ``duban status`` and the merged
result's unit list all read this one answer:

- the latest accepted return is in force: 按时报送 or 逾期报送 (its ``late``), whatever
  came after it (a correction refused or held does not undo it);
- nothing accepted: the latest return decides: 待核实 when it is held for the office's
  check of its sender (the unit did send; not the unit's fault), else 退回后未重报;
- no return at all: 未报送.

Pure: rows in, answer out (no ledger, no files), so every stage, notify included, can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reporting.core.states import ReturnState


class Submitted(StrEnum):
    """How a unit reported in a period; the value is the 通报's and the 考核's wording."""

    ON_TIME = "按时报送"
    LATE = "逾期报送"
    REJECTED = "退回后未重报"
    HELD = "待核实"  # the office has not checked the sender yet
    MISSING = "未报送"

    @property
    def accepted(self) -> bool:
        return self in (Submitted.ON_TIME, Submitted.LATE)

    @property
    def short(self) -> str:
        """The word for narrow cells (the year workbook's 单位×季度)."""
        return _SHORT[self]

    @property
    def state(self) -> str:
        """The ``UnitReturn.state`` stored in merged.json: accepted, rejected, held, missing."""
        return _STATE[self]

    @classmethod
    def of(cls, state: str, late: bool) -> Submitted:
        """Back from a stored ``UnitReturn`` (``state``, ``late``)."""
        if state == ReturnState.ACCEPTED:
            return cls.LATE if late else cls.ON_TIME
        if state == ReturnState.REJECTED:
            return cls.REJECTED
        if state == ReturnState.HELD:
            return cls.HELD
        return cls.MISSING


_SHORT = {
    Submitted.ON_TIME: "按时",
    Submitted.LATE: "逾期",
    Submitted.REJECTED: "退回未重报",
    Submitted.HELD: "待核实",
    Submitted.MISSING: "未报送",
}
_STATE = {
    Submitted.ON_TIME: str(ReturnState.ACCEPTED),
    Submitted.LATE: str(ReturnState.ACCEPTED),
    Submitted.REJECTED: str(ReturnState.REJECTED),
    Submitted.HELD: str(ReturnState.HELD),
    Submitted.MISSING: "missing",
}


@dataclass(frozen=True)
class Submission:
    """One unit's returns of a period, read once. Rows are ledger ``returns`` rows."""

    unit: str
    state: Submitted
    current: Any = None  # the return in force, else the latest return; None when none came
    rejection: Any = None  # the first rejected return before the one in force
    refused: Any = None  # the latest rejected return after the one in force (a correction)
    versions: int = 0

    @property
    def accepted(self) -> bool:
        return self.state.accepted

    @property
    def resubmitted(self) -> bool:
        """A rejected version came before the return in force."""
        return self.rejection is not None

    @property
    def late(self) -> bool:
        return bool(self.current is not None and self.current["late"])


def submission(unit: str, rows: list) -> Submission:
    """``unit``'s state from its ledger returns ``rows`` (received order)."""
    rows = list(rows)
    accepted = [i for i, r in enumerate(rows) if r["state"] == ReturnState.ACCEPTED]
    if accepted:
        k = accepted[-1]
        cur = rows[k]
        rejected = [r for r in rows[:k] if _rejected(r)]
        later = [r for r in rows[k + 1 :] if _rejected(r)]
        return Submission(
            unit,
            Submitted.LATE if cur["late"] else Submitted.ON_TIME,
            cur,
            rejected[0] if rejected else None,
            later[-1] if later else None,
            len(rows),
        )
    if rows:
        cur = rows[-1]
        state = Submitted.HELD if cur["state"] == ReturnState.HELD else Submitted.REJECTED
        return Submission(unit, state, cur, versions=len(rows))
    return Submission(unit, Submitted.MISSING)


def _rejected(row) -> bool:
    """Sent back to the unit (a held return is the office's open question, not a refusal)."""
    return row["state"] not in (ReturnState.ACCEPTED, ReturnState.HELD)


def by_unit(returns: list) -> dict[str, list]:
    """Ledger returns (received order) grouped by unit; rows without a unit left out."""
    out: dict[str, list] = {}
    for row in returns:
        if row["unit"]:
            out.setdefault(row["unit"], []).append(row)
    return out


def submissions(units, returns: list) -> dict[str, Submission]:
    """``unit`` → its ``Submission`` for every unit in ``units``."""
    grouped = by_unit(returns)
    return {u: submission(u, grouped.get(u, [])) for u in units}


def counts(states) -> dict[str, int]:
    """How many units in each state: due, on_time, late, rejected, held, missing."""
    states = list(states)
    return {
        "due": len(states),
        "on_time": states.count(Submitted.ON_TIME),
        "late": states.count(Submitted.LATE),
        "rejected": states.count(Submitted.REJECTED),
        "held": states.count(Submitted.HELD),
        "missing": states.count(Submitted.MISSING),
    }


def counts_text(c: dict[str, int]) -> str:
    """``counts`` as the operator reads them after collect, recover and in the 汇总表:
    '已接收 40（逾期 3），退回待重报 2，未报送 5' (and '，待核实 1' when any is held)."""
    text = (
        f"已接收 {c['on_time'] + c['late']}（逾期 {c['late']}），"
        f"退回待重报 {c['rejected']}，未报送 {c['missing']}"
    )
    return text + (f"，待核实 {c['held']}" if c["held"] else "")
