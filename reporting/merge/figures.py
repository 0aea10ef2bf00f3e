"""One truth per period: the counts and the 截至 moment every document of a period prints.

``period_figures(result, finals=)`` is computed once from the merged result: the 截至 moment
is the moment the period's result was merged (``QuarterResult.generated_at``), never the
quarter's last day; the task counts are ``tally.task_counts``'s, the units' ``unit_counts``.
In the fourth quarter, given the year's verdict (``merge.verdict.year_finals``), the statuses
the units reported are printed only as self-reported ("自报已完成67项") beside the judged
verdict ("经对照年度目标判定完成54项、基本完成14项、未完成11项"). The report, the 通报, the
briefs, the 汇总表 header and the 看板 print these phrases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from reporting.core.model import QuarterResult
from reporting.core.periods import Period, cn_time
from reporting.core.states import Final
from reporting.merge.tally import TaskCounts, task_counts
from reporting.merge.verdict import final_counts, year_finals


@dataclass(frozen=True)
class Figures:
    period: Period
    cutoff: str  # ISO: when the period's result was merged
    counts: TaskCounts
    units: dict[str, int]  # ``QuarterResult.unit_counts``
    expected: float  # the period's 序时进度
    finals: dict[Final, int] = field(default_factory=dict)  # the year's verdict (Q4), by kind

    @property
    def total(self) -> int:
        return self.counts.total

    def cutoff_text(self, today: date | None = None) -> str:
        """'7月8日9时' (the year added when it is not ``today``'s)."""
        return cn_time(self.cutoff, today)

    @property
    def judged(self) -> bool:
        """The year's verdict is given (the fourth quarter)."""
        return bool(self.finals)

    def status_text(self) -> str:
        """'已完成4项、超序时9项、序时推进52项、滞后14项'; with the verdict, as said by the
        units: '自报已完成67项、滞后6项、未报送6项'."""
        parts = [f"{k}{v}项" for k, v in self.counts.status.items() if v]
        text = "、".join(parts) if parts else "无任务"
        return f"自报{text}" if self.judged else text

    def verdict_parts(self) -> list[tuple[str, int]]:
        """[(完成, 54), (基本完成, 14), (未完成, 11)]: the kinds that occur, 尚未判定 last."""
        return [(f.value, n) for f, n in self.finals.items() if n]

    def verdict_text(self) -> str:
        """'经对照年度目标判定完成54项、基本完成14项、未完成11项' ('' before the verdict) — the
        annual edition's words; the year's count first when it is not this quarter's (tasks
        销号 during the year)."""
        if not self.judged:
            return ""
        parts = "、".join(f"{k}{n}项" for k, n in self.verdict_parts())
        closed = self.year_total - self.total  # 销号 during the year: not in this quarter's rows
        whole = f"，全年{self.year_total}项任务（含年内销号{closed}项）中" if closed > 0 else ""
        return f"经对照年度目标判定{whole}{parts}"

    @property
    def year_total(self) -> int:
        """The tasks the verdict covers (this quarter's rows and those 销号 during the year)."""
        return sum(self.finals.values())

    @property
    def finished(self) -> int:
        """完成 + 基本完成 (0 before the verdict)."""
        return self.finals.get(Final.DONE, 0) + self.finals.get(Final.MOSTLY, 0)


def period_figures(result: QuarterResult, finals: Mapping[str, Final] | None = None) -> Figures:
    """The period's figures from its merged result; ``finals`` (task id → 全年完成情况) for the
    fourth quarter, counted over ``result``'s rows."""
    judged: dict[Final, int] = {}
    if finals:  # the year's tasks: this quarter's rows and those 销号 during the year
        judged = final_counts({**{r.id: Final.PENDING for r in result.rows}, **finals})
    return Figures(
        period=Period.parse(result.period),
        cutoff=result.generated_at,
        counts=task_counts(result.rows),
        units=result.unit_counts(),
        expected=result.expected_progress,
        finals=judged,
    )


def fourth_quarter_finals(
    quarters: list[QuarterResult], book, basic_percent: float
) -> dict[str, Final] | None:
    """The year's verdict when the last of ``quarters`` (the year so far, in order) is the
    fourth quarter, judged with ``book`` (the year's task book: deadlines in force, approved
    销号/延期) as the annual edition judges it; None before (Q1–Q3 print no verdict)."""
    if not quarters:
        return None
    last = Period.parse(quarters[-1].period)
    if last.quarter != 4:
        return None
    return year_finals(quarters, last.year, book, basic_percent=basic_percent)
