"""Quarter-over-quarter change between two merged results (e.g. 2024Q1 → 2024Q2).

The one place that decides what "moved" means: status counts before and after, the mean
change of the lead units' cumulative progress, and which rows caught up with the 序时进度
or fell behind it. "On pace" and "behind" are the report's own groups (已完成/超序时/
序时推进 达到序时进度; 滞后/未启动 未达到), so the comparison agrees with its counts.
Used by the report (一、总体情况), the leader briefs and ``duban demo``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reporting.core.model import MISSING, QuarterResult
from reporting.merge.tally import BEHIND, ON_PACE, task_counts


@dataclass
class RowChange:
    id: str
    label: str
    before: float | None
    after: float | None
    status_before: str
    status_after: str

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def caught_up(self) -> bool:
        """Behind the 序时进度 last quarter (滞后/未启动), on pace now."""
        return self.status_before in BEHIND and self.status_after in ON_PACE

    @property
    def fell_behind(self) -> bool:
        """On pace last quarter, behind now (a row not reported before does not count)."""
        return self.status_before in ON_PACE and self.status_after in BEHIND


def mean_delta(rows: list[RowChange]) -> float | None:
    """Mean change of cumulative progress (percentage points) over rows known in both quarters."""
    deltas = [r.delta for r in rows if r.delta is not None]
    return sum(deltas) / len(deltas) if deltas else None


@dataclass
class QuarterChange:
    before: QuarterResult
    after: QuarterResult
    rows: list[RowChange] = field(default_factory=list)  # one per row of ``after``

    @property
    def mean_delta(self) -> float | None:
        return mean_delta(self.rows)

    @property
    def compared(self) -> int:
        """Rows whose cumulative progress is known in both quarters (the mean's base)."""
        return sum(1 for r in self.rows if r.delta is not None)

    @property
    def caught_up(self) -> list[RowChange]:
        return [r for r in self.rows if r.caught_up]

    @property
    def fell_behind(self) -> list[RowChange]:
        return [r for r in self.rows if r.fell_behind]

    @property
    def comparable(self) -> bool:
        """Both quarters have reported rows; otherwise the counts would only say who reported."""
        return any(r.reported for r in self.before.rows) and any(
            r.reported for r in self.after.rows
        )

    def counts(self) -> dict[str, tuple[int, int]]:
        """Status → (count before, count after), as each quarter's own report stated them."""
        sb, sa = task_counts(self.before.rows).status, task_counts(self.after.rows).status
        return {k: (sb[k], sa[k]) for k in sb}

    def by_id(self) -> dict[str, RowChange]:
        return {r.id: r for r in self.rows}

    def lines(self) -> list[str]:
        out = [f"{self.before.period_label} → {self.after.period_label} 对比："]
        parts = [f"{k} {b}→{a}" for k, (b, a) in self.counts().items() if b or a]
        out.append("  推进状态（项）：" + "，".join(parts))
        if self.mean_delta is not None:
            move = "提高" if self.mean_delta >= 0 else "下降"
            out.append(
                f"  牵头单位累计完成进度平均{move} {abs(self.mean_delta):.1f} 个百分点"
                f"（两个季度均填报进度的 {self.compared} 项）"
            )
        for rows, what in (
            (self.caught_up, "由未达到转为达到序时进度的任务"),
            (self.fell_behind, "由达到转为未达到序时进度的任务"),
        ):
            if rows:
                more = "等" if len(rows) > 10 else ""
                out.append(
                    f"  {what} {len(rows)} 项：{'、'.join(r.label for r in rows[:10])}{more}"
                )
        return out


def quarter_change(before: QuarterResult, after: QuarterResult) -> QuarterChange:
    prev = {r.id: r for r in before.rows}
    change = QuarterChange(before, after)
    for row in after.rows:
        old = prev.get(row.id)
        change.rows.append(
            RowChange(
                id=row.id,
                label=row.label,
                before=old.percent if old else None,
                after=row.percent,
                status_before=(old.status if old and old.status else MISSING),
                status_after=row.status or MISSING,
            )
        )
    return change
