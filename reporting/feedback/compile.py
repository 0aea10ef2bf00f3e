"""The 配合单位反馈 of one lead unit: what each cooperating unit reported on its tasks.

For every task a unit leads that has cooperating units, one line per partner: the partner's
progress, status, problems, next steps and indicator values from its return in force, or
未报送. ``digest`` covers only what partners said (not when), so the same content compiles to
the same digest and a changed or newly arrived return to a new one — the key of the claimed
send, which makes a rerun send nothing and a late partner return send an update (更新).

The workbook is print-ready like the 汇总表; unit text goes through ``safe_cell_text``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reporting.core.calendar import deadline_passed
from reporting.core.fileutil import SyncLater, atomic_write_text
from reporting.core.model import Answer, UnitAnswers, indented_json, plain_data
from reporting.core.numbers import num
from reporting.core.periods import Period, cn_time
from reporting.core.text import condense, one_line
from reporting.taskbook.assignments import Assignments

SHEET = "配合单位反馈"
COLUMNS = (
    ("序号", 5),
    ("任务编号", 7),
    ("任务内容", 24),
    ("配合单位", 16),  # 区自然资源规划分局 on one line
    ("反馈时间", 14),  # 7月2日13时30分 on one line
    ("进度（%）", 8),
    ("推进状态", 8),
    ("本季度工作进展", 34),
    ("存在问题", 20),
    ("下步打算", 20),
    ("指标填报值", 16),
    ("备注", 12),
)
MISSING = "未报送"
SAME = "同上"  # a task's text under its first partner's row, not once per partner
LATE = "配合截止后报送"
CHANGED = "本次更新"


@dataclass
class PartnerLine:
    """One cooperating unit on one task of the lead unit."""

    task_id: str
    task_label: str
    task_text: str
    partner: str
    reported: bool = False
    received_at: str = ""  # ISO time of the partner's return in force
    late: bool = False  # received after the cooperating units' deadline
    percent: float | None = None
    status: str = ""
    progress: str = ""
    problems: str = ""
    next_steps: str = ""
    indicators: str = ""  # 地区生产总值增速=7.1；… (names as in the task table)
    shown: str = ""  # the same for a reader, each value with its unit (not compared)

    def content(self) -> list:
        """What the partner said: the part of the line the digest and 更新 compare."""
        return [
            self.task_id,
            self.partner,
            self.reported,
            self.percent,
            self.status,
            self.progress,
            self.problems,
            self.next_steps,
            self.indicators,
        ]


@dataclass
class LeadFeedback:
    """Everything one lead unit is sent."""

    unit: str
    lines: list[PartnerLine] = field(default_factory=list)

    @property
    def digest(self) -> str:
        payload = json.dumps([ln.content() for ln in self.lines], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def key(self) -> str:
        """The claimed send's key (a short digest)."""
        return self.digest[:16]

    @property
    def partners(self) -> list[str]:
        return list(dict.fromkeys(ln.partner for ln in self.lines))

    @property
    def reported(self) -> list[str]:
        return list(dict.fromkeys(ln.partner for ln in self.lines if ln.reported))

    @property
    def missing(self) -> dict[str, list[str]]:
        """partner → labels of the tasks it has not reported on."""
        out: dict[str, list[str]] = {}
        for ln in self.lines:
            if not ln.reported:
                out.setdefault(ln.partner, []).append(ln.task_label)
        return out

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(ln.task_label for ln in self.lines))

    def changed_since(self, before: list[dict] | None) -> set[tuple[str, str]]:
        """(task id, partner) of lines that differ from the version sent before."""
        if before is None:
            return set()
        old = {(d["task_id"], d["partner"]): PartnerLine(**d).content() for d in before}
        return {
            (ln.task_id, ln.partner)
            for ln in self.lines
            if old.get((ln.task_id, ln.partner)) != ln.content()
        }


def indicator_text(answer: Answer) -> str:
    return "；".join(f"{k}={num(v)}" for k, v in answer.indicators.items() if v is not None)


def indicator_shown(answer: Answer, task) -> str:
    """地区生产总值：7.1%；新增就业：4100人 — each value with the task table's unit."""
    units = {i.name: ("%" if i.growth else i.unit) for i in task.indicators}
    return "；".join(
        f"{k}：{num(v)}{units.get(k, '')}" for k, v in answer.indicators.items() if v is not None
    )


def compile_feedback(
    assignments: Assignments,
    answers: dict[str, UnitAnswers],
    received: dict[str, str],
    coop_due: datetime,
) -> list[LeadFeedback]:
    """Each lead unit with cooperating units on at least one task, in registry order.

    ``answers``: unit → answers of its return in force; ``received``: unit → ISO time of it.
    """
    out: dict[str, LeadFeedback] = {}
    for row in assignments.rows:
        if not row.coop_units:
            continue
        t = row.task
        text = t.content  # whole: the row grows to hold it (a cut read "风电场等…")
        for lead in row.lead_units:
            fb = out.setdefault(lead, LeadFeedback(lead))
            for partner in row.coop_units:
                line = PartnerLine(t.id, t.label, text, partner)
                given = answers.get(partner)
                answer = given.coop.get(t.id) if given is not None else None
                if answer is not None:
                    when = received.get(partner, "")
                    line.reported = True
                    line.received_at = when
                    line.late = bool(when) and deadline_passed(
                        coop_due, datetime.fromisoformat(when)
                    )
                    line.percent = answer.percent
                    line.status = answer.status or ""
                    line.progress = answer.progress
                    line.problems = answer.problems
                    line.next_steps = answer.next_steps
                    line.indicators = indicator_text(answer)
                    line.shown = indicator_shown(answer, t)
                fb.lines.append(line)
    order = {u: i for i, u in enumerate(assignments.registry.units)}
    return sorted(out.values(), key=lambda f: (order.get(f.unit, len(order)), f.unit))


FORM_CELL_CHARS = 180  # text of one reference cell of the form: the row stays printable
PARTNER_TEXT_CHARS = 40  # at most this much of one partner's progress in that cell


def form_cells(fb: LeadFeedback) -> dict[str, str]:
    """Lead task id → the form's 配合单位反馈（供参考） cell: one line per partner that
    reported (单位（进度%，状态）：its progress in short), then 未报送：… . The more partners,
    the shorter each one's text; the 配合单位反馈.xlsx sent with it has everything."""
    by_task: dict[str, list[PartnerLine]] = {}
    for ln in fb.lines:
        by_task.setdefault(ln.task_id, []).append(ln)
    out: dict[str, str] = {}
    for task_id, lines in by_task.items():
        reported = [ln for ln in lines if ln.reported]
        budget = min(PARTNER_TEXT_CHARS, FORM_CELL_CHARS // max(len(reported), 1) - 14)
        parts = []
        for ln in reported:
            head = "，".join(
                x for x in (f"{num(ln.percent)}%" if ln.percent is not None else "", ln.status) if x
            )
            name = f"{ln.partner}（{head}）" if head else ln.partner
            said = re.sub(
                r"^[（(][^）)]{1,8}[）)]", "", one_line(ln.progress)
            ).strip()  # （示例数据）
            text = condense(said, budget) if budget >= 10 and said else ""
            if len(text) > budget * 3 // 2:  # one long clause: cut, the workbook has it all
                text = text[:budget] + "…"
            parts.append(f"{name}：{text}" if text else name)
        missing = [ln.partner for ln in lines if not ln.reported]
        if missing:
            parts.append("未报送：" + "、".join(missing))
        out[task_id] = "\n".join(parts)  # the form writes it through safe_cell_text
    return out


# -- files --------------------------------------------------------------------------------
def feedback_path(workspace, period: Period, unit: str) -> Path:
    from reporting.core.fileutil import safe_filename

    return workspace.feedback_dir(period) / f"{period}_{safe_filename(unit)}_配合单位反馈.xlsx"


def sent_path(workspace, period: Period, unit: str) -> Path:
    """The lines last sent to ``unit`` (what the next 更新 is compared with)."""
    return feedback_path(workspace, period, unit).with_suffix(".sent.json")


def load_sent(workspace, period: Period, unit: str) -> list[dict] | None:
    path = sent_path(workspace, period, unit)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save_sent(workspace, period: Period, fb: LeadFeedback, later: SyncLater | None = None) -> None:
    """Keep what was sent (``later``: flushed to disk with the caller's next batch)."""
    atomic_write_text(
        sent_path(workspace, period, fb.unit),
        indented_json(plain_data(fb.lines)),
        later,
    )


def write_workbook(
    fb: LeadFeedback,
    path: Path,
    *,
    settings,
    period: Period,
    coop_deadline: str,
    update: int,
    changed: set[tuple[str, str]],
    now: datetime,
    later: SyncLater | None = None,
) -> None:
    """The lead unit's 配合单位反馈.xlsx (``update`` > 0: the n-th 更新, changed lines marked;
    ``later``: flushed to disk with the caller's batch)."""
    from reporting.documents import xlsx_direct as xd
    from reporting.documents import xlsx_style as st
    from reporting.merge.summary import PERCENT_FORMAT, write_table

    wb = xd.Book(st.BODY, lock_structure=False)
    ws = wb.create_sheet(SHEET)
    title = f"{period.full_label}配合单位反馈（{fb.unit}牵头任务）" + ("（更新）" if update else "")
    missing = fb.missing
    sub = (
        f"配合单位报送截止 {coop_deadline}；汇编于 {cn_time(now.isoformat(), now.date())}。"
        f"你单位牵头的 {len(fb.tasks)} 项任务共有配合单位 {len(fb.partners)} 个，"
        f"已反馈 {len(fb.reported)} 个"
        + (f"，未反馈 {len(missing)} 个：{'、'.join(missing)}" if missing else "")
        + "。请参考各配合单位的反馈填写本单位“牵头任务”表。"
        + (f"本表为第 {update} 次更新，有变化的行在“备注”中标为“{CHANGED}”。" if update else "")
    )
    today = now.date()
    rows = []
    for i, ln in enumerate(fb.lines, 1):
        notes = []
        if not ln.reported:
            notes.append(MISSING)
        elif ln.late:
            notes.append(LATE)
        if (ln.task_id, ln.partner) in changed:
            notes.append(CHANGED)
        rows.append(
            [
                i,
                ln.task_label,
                SAME if i > 1 and fb.lines[i - 2].task_id == ln.task_id else ln.task_text,
                ln.partner,
                cn_time(ln.received_at, today) if ln.received_at else "—",
                ln.percent if ln.percent is not None else "",
                ln.status or ("" if ln.reported else MISSING),
                ln.progress,
                ln.problems,
                ln.next_steps,
                ln.shown or ln.indicators,
                "；".join(notes),
            ]
        )
    d = settings.district
    write_table(ws, st, f"{d.name}{title}", sub, COLUMNS, rows)
    for r in range(4, 4 + len(rows)):
        ws.restyle(r, 6, number_format=PERCENT_FORMAT)  # 61.5 stays 61.5, 61 is no "61."
    xd.save(wb, path, now, later=later)
