"""Quarter-over-quarter change between two merged results (e.g. 2024Q1 → 2024Q2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import MISSING, QuarterResult, Status


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


@dataclass
class QuarterChange:
    before: QuarterResult
    after: QuarterResult
    rows: list[RowChange] = field(default_factory=list)

    @property
    def mean_delta(self) -> float | None:
        deltas = [r.delta for r in self.rows if r.delta is not None]
        return sum(deltas) / len(deltas) if deltas else None

    def turned(self, old: str, new: str) -> list[RowChange]:
        return [r for r in self.rows if r.status_before == old and r.status_after == new]

    def lines(self) -> list[str]:
        b, a = self.before, self.after
        out = [f"{b.period_label} → {a.period_label} 对比："]
        sb, sa = b.status_counts(), a.status_counts()
        parts = [f"{k} {sb[k]}→{sa[k]}" for k in [*Status.choices(), MISSING] if sb[k] or sa[k]]
        out.append("  推进状态（项）：" + "，".join(parts))
        if self.mean_delta is not None:
            out.append(f"  牵头单位累计完成进度平均提高 {self.mean_delta:.1f} 个百分点")
        caught_up = [
            r
            for r in self.rows
            if r.status_before == Status.LAGGING and r.status_after not in (Status.LAGGING, MISSING)
        ]
        fell_behind = [
            r
            for r in self.rows
            if r.status_before != Status.LAGGING and r.status_after == Status.LAGGING
        ]
        if caught_up:
            out.append(
                f"  由滞后转为正常的任务 {len(caught_up)} 项：{'、'.join(r.label for r in caught_up[:10])}"
            )
        if fell_behind:
            out.append(
                f"  新出现滞后的任务 {len(fell_behind)} 项：{'、'.join(r.label for r in fell_behind[:10])}"
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
