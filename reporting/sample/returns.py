"""Simulated returns (示例数据) for the demo: generated forms filled in as units would.

Every filled form says 示例数据 in its 填报人 cell and progress text, so it can never be
mistaken for a real return. Deterministic for a given seed.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from reporting.core.config import MergeSettings
from reporting.core.model import Status
from reporting.core.pace import judge_status, line_expected, row_pace
from reporting.core.periods import Period
from reporting.core.text import quoted
from reporting.forms import formspec as fs
from reporting.taskbook.assignments import ResolvedTask
from reporting.taskbook.short_names import short_title_of

PROGRESS_PHRASES = (
    "召开专题调度会{n}次，明确责任分工和时间节点，",
    "建立工作专班，逐项梳理任务清单，",
    "对照年度目标制定推进方案，",
    "会同相关单位实地督导{n}次，",
)
PROGRESS_ACTIONS = (
    "相关工作按计划推进。",
    "已完成前期手续办理，正在组织实施。",
    "重点环节已取得阶段性成效。",
    "正在协调解决用地、资金等要素保障。",
)
PROBLEMS = (
    "",
    "",
    "要素保障压力较大，部分事项审批周期较长。",
    "资金到位不及时，影响实施进度。",
    "个别配合单位反馈不够及时。",
)
NEXT_STEPS = (
    "加强调度，确保按时序推进。",
    "倒排工期，挂图作战，力争下季度完成阶段目标。",
    "加强与上级部门对接，争取政策和资金支持。",
)
# what a unit reports it achieved, by the words of its task (the first that matches), with
# figures that grow with the year's progress: {n} a count, {x} an amount in 亿元
RESULTS = (
    (("执法", "安全", "治安", "信访", "纠纷", "监管", "污染"), "开展专项检查{n}次，整改问题{m}个"),
    (
        ("廉", "党风", "法治", "依法", "履职", "担当", "为民"),
        "开展专题学习{n}次，建立完善制度{m}项",
    ),
    (("招商", "签约", "引进"), "新签约项目{n}个，协议投资{x}亿元"),
    (("项目", "工程", "开工", "厂房", "路网"), "新开工项目{n}个，完成投资{x}亿元"),
    (("就业", "人才", "送岗", "参保", "救助"), "举办政策宣传和服务活动{n}场，服务群众{k}人次"),
    (("文化", "旅游", "民宿", "教育", "医疗", "卫生"), "举办活动{n}场，服务群众{k}人次"),
    (("企业", "产业", "集群", "金融"), "走访服务企业{n}家，协调解决问题{m}个"),
    (("村", "农", "乡"), "完成{n}个村的年度任务，带动农户{k}户"),
    (("改革", "政务", "服务", "机制", "环境", "城市"), "出台配套文件{n}项，办理事项{k}件"),
)
DEFAULT_RESULT = "完成年度重点工作{n}项"
# coop_late: on time for the lead deadline, but after the cooperating units' earlier one
FATES = ("on_time", "coop_late", "late", "missing", "rejected")


@dataclass
class Scenario:
    """Which units return on time, late, not at all, or with mistakes."""

    late: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # two typical mistakes, see _spoil
    coop_late: list[str] = field(default_factory=list)

    def fate(self, unit: str) -> str:
        for name in ("late", "missing", "rejected", "coop_late"):
            if unit in getattr(self, name):
                return name
        return "on_time"


def default_scenario(units: list[str], quarter: int = 1) -> Scenario:
    """A mix like a real quarter: most on time, a few late, a few missing, two rejected.

    The units that slip change from quarter to quarter; the units reporting the main
    economic indicators always report.
    """
    pool = [u for u in units if u not in ("区发改委", "区科技经信局", "区商务外事局", "区财政局")]
    shift = 7 * (quarter - 1)
    pool = pool[shift:] + pool[:shift]
    return Scenario(late=pool[3:6], missing=pool[8:11], rejected=pool[12:14], coop_late=pool[6:8])


def answer_for(
    task: ResolvedTask, unit: str, period: Period, rng: random.Random, lead: bool
) -> dict:
    """A plausible answer: progress around the row's pace, status consistent with it."""
    pace = row_pace(task.task, period)
    expected = pace.expected if pace.expected is not None else line_expected(pace.due, period)
    lag = rng.random() < 0.12
    # some one-off tasks finish early, and stay finished in later quarters
    done = random.Random(f"done-{unit}-{task.id}").random() < 0.04 * period.quarter
    # a lagging unit has still done something (0 % is 未启动, which writes no progress)
    floor = 1.0 if expected > 0 else 0.0
    percent = (
        100.0
        if done
        else max(
            floor,
            min(100.0, round(expected + (rng.uniform(-25, -8) if lag else rng.uniform(0, 12)))),
        )
    )
    # the rule of the 填报说明 (default [merge] settings), against the row's own pace; a
    # row without one says how it goes
    judged = judge_status(percent, pace.expected, MergeSettings())
    status = Status(judged or (Status.LAGGING if lag else Status.ON_TRACK))
    subject = quoted(short_title_of(task.task))
    phrase = rng.choice(PROGRESS_PHRASES).format(n=rng.randint(2, 6))
    action = rng.choice(PROGRESS_ACTIONS) if lead else ""
    values = {}
    for ind in task.task.indicators:
        if ind.is_rate:
            values[ind.name] = round(ind.target + rng.uniform(-1.5 if lag else -0.5, 1.5), 1)
        else:
            value = round(ind.target * percent / 100 * rng.uniform(0.9, 1.1), 1)
            values[ind.name] = float(round(value)) if ind.whole else value  # 12家, never 11.9家
    # the quarter is named in the text: a real unit writes new work each quarter, and intake
    # warns about a progress text identical to last quarter's
    when = period.label
    if lead:
        done_what = result_phrase(task, unit, period, percent, values)
        text = f"（示例数据）{when}，{unit}围绕{subject}，{phrase}{done_what}，{action}"
    else:
        text = f"（示例数据）{when}，{unit}积极配合牵头单位，{phrase}按要求报送相关材料。"
    if status == Status.NOT_STARTED and lead:  # a lead unit that has not started writes no progress
        text = ""
    return {
        "progress": text,
        "percent": percent,
        "status": status.value,
        "problems": rng.choice(PROBLEMS) if lag or rng.random() < 0.3 else "",
        "next_steps": rng.choice(NEXT_STEPS),
        "indicators": values,
    }


def result_phrase(
    task: ResolvedTask, unit: str, period: Period, percent: float, values: dict[str, float]
) -> str:
    """What the unit achieved so far, with figures: its task's first indicator as reported
    (``values``), else a phrase chosen by the task's words, with figures of its own random
    draw (the answer's other values stay what they were)."""
    for ind in task.task.indicators:
        value = values.get(ind.name)
        if value is None:
            continue
        shown = f"{value:g}"
        if ind.is_rate:
            return f"{ind.name}{'同比增长' if ind.growth else '达到'}{shown}%"
        return f"{ind.name}累计{shown}{ind.unit}"
    rng = random.Random(f"result-{unit}-{task.id}-{period}")
    share = max(percent, 5.0) / 100
    words = task.task.task_title + task.task.content
    template = next((t for keys, t in RESULTS if any(k in words for k in keys)), DEFAULT_RESULT)
    return template.format(
        n=max(1, round(rng.randint(4, 12) * share)),
        m=max(1, round(rng.randint(10, 40) * share)),
        k=max(10, round(rng.randint(200, 2000) * share)),
        x=f"{rng.uniform(2, 20) * share:.1f}",
    )


def fill_form(
    src: Path, dest: Path, answers: dict[tuple[str, str], dict], header: dict[str, str]
) -> None:
    """Write answers into a generated form's editable cells and save it as ``dest``.

    ``answers`` maps (role, task id) → answer dict (keys as in ``answer_for``);
    ``header`` maps header keys (filler, phone, approver, fill_date) → text.
    """
    import openpyxl

    wb = openpyxl.load_workbook(src)
    for role, sheet in fs.TASK_SHEETS.items():
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        for key, text in header.items():
            ws[fs.HEADER_BY_KEY[key].value_cell] = text
        row = fs.FIRST_DATA_ROW
        while True:
            task_id = fs.parse_task_label(ws.cell(row=row, column=fs.column_index("task_id")).value)
            if task_id is None:
                break
            answer = answers.get((role, task_id))
            if answer:
                for key in ("progress", "percent", "status", "problems", "next_steps"):
                    ws.cell(
                        row=row,
                        column=fs.column_index(key),
                        value=answer[key] if answer[key] != "" else None,
                    )
                _fill_indicators(ws, row, answer["indicators"])
            row += 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)


def _fill_indicators(ws, row: int, values: dict[str, float]) -> None:
    """Each value under its 指标k 完成值, k found by the 指标k（目标） cell's name."""
    cols = {
        fs.column_for_header(str(cell.value or "")): cell.column
        for cell in ws[fs.HEADER_ROW]
        if cell.value
    }
    k = 1
    while f"ind{k}_target" in cols and f"ind{k}_value" in cols:
        label = str(ws.cell(row=row, column=cols[f"ind{k}_target"]).value or "")
        for name, value in values.items():
            if label.startswith(f"{name}："):
                ws.cell(row=row, column=cols[f"ind{k}_value"], value=value)
        k += 1


def spoil(answers: dict[tuple[str, str], dict], rng: random.Random) -> None:
    """Two typical mistakes: a percentage over 100 and a status word not in the list."""
    keys = sorted(answers)
    first = answers[keys[0]]
    first["percent"] = 150
    last = answers[keys[-1]]
    last["status"] = "进行中"


def unit_answers(assignments, unit: str, period: Period, rng: random.Random) -> dict:
    """Plausible answers for every lead and coop row of ``unit`` (for ``fill_form``)."""
    rows = assignments.by_unit[unit]
    answers = {("lead", r.id): answer_for(r, unit, period, rng, True) for r in rows.lead}
    answers |= {("coop", r.id): answer_for(r, unit, period, rng, False) for r in rows.coop}
    return answers


def simulate_returns(
    assignments,
    workspace,
    period: Period,
    deadline: datetime,
    scenario: Scenario | None = None,
    seed: int = 2024,
    fates: tuple[str, ...] = FATES,
    coop_deadline: datetime | None = None,
) -> dict[str, list[str]]:
    """Fill the forms of units whose fate is in ``fates`` into the period's inbox.

    Returns fate → units (all units, whether written now or not). File times are set so
    intake sees on-time returns before the deadline (before ``coop_deadline`` when given),
    coop_late ones between the two deadlines and late ones a day after the deadline.
    """
    units = list(assignments.by_unit)
    scenario = scenario or default_scenario(units, period.quarter)
    inbox = workspace.inbox_dir(period)
    outcome: dict[str, list[str]] = {fate: [] for fate in FATES}
    for unit in units:
        fate = scenario.fate(unit)
        outcome[fate].append(unit)
        form = workspace.form_path(period, unit)
        if fate == "missing" or fate not in fates or not form.exists():
            continue
        rng = random.Random(
            f"{seed}-{period}-{unit}"
        )  # per unit: same answers whatever else is filled
        answers = unit_answers(assignments, unit, period, rng)
        if fate == "rejected":
            spoil(answers, rng)
        contact = assignments.registry.units[unit]
        early = -timedelta(days=1, hours=rng.randint(0, 48))
        if fate == "late":
            when = deadline + timedelta(days=1)
        elif coop_deadline is None or coop_deadline >= deadline:
            when = deadline + early
        elif fate == "coop_late":
            when = coop_deadline + (deadline - coop_deadline) / 2
        else:
            when = coop_deadline + early
        header = {
            "filler": f"{contact.contact}（示例数据）",
            "phone": contact.phone,
            "approver": "（示例数据）",
            "fill_date": f"{when.year}年{when.month}月{when.day}日",
        }
        dest = inbox / f"{form.stem}（已填）.xlsx"
        fill_form(form, dest, answers, header)
        os.utime(dest, (when.timestamp(), when.timestamp()))
    return outcome
