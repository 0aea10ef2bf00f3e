"""The task table (tasks.csv): one row per reportable item, as written in the notice.

Names stay as the notice wrote them (aliases, concatenations, groups); the registry
resolves them. Indicators use a small syntax, documented in docs/tasks-format.md:

    名称=目标值单位            e.g. 新增就业人员=4100人, 农村生活污水治理率=45%
    名称=增长目标值%           a growth-rate target, e.g. 地区生产总值=增长8%
    several separated by ；
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from reporting.core.exceptions import TaskTableError
from reporting.core.labels import SECTION_NUMERALS, task_label
from reporting.core.pace import num
from reporting.core.states import TaskKind

COLUMNS = (
    "id",
    "section",
    "section_title",
    "task_no",
    "task_title",
    "content",
    "lead_leaders",
    "assist_leaders",
    "lead_units",
    "coop_units",
    "indicators",
    "deadline",
)
REQUIRED = ("id", "section", "content", "lead_units")
# optional: how the row is judged and its 落实方案 (docs/tasks-format.md)
PLAN_COLUMNS = ("plan_q1", "plan_q2", "plan_q3", "plan_q4")
OPTIONAL = ("short_title", "kind", *PLAN_COLUMNS, "plan_note", "owner")
NO_PLAN = (None, None, None, None)

_ID_RE = re.compile(r"^\d+(\.\d+)?$")
_IND_RE = re.compile(
    r"^(?P<name>[^=＝]+)[=＝](?P<growth>增长)?(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>\S*)$"
)


# units of measure that count whole things: a value in them is a whole number (4家, never 4.2家)
WHOLE_UNITS = frozenset(
    "个 家 户 项 套 人 座 所 条 辆 台 场 次 名 处 件 批 宗 栋 幢 间 张 只 头 株 棵 口 位 期 "
    "部 架 艘 份 本 篇 起 例 人次 户次 场次 批次 家次 个次".split()
)


@dataclass(frozen=True)
class Indicator:
    """A measurable target of a task row."""

    name: str
    target: float
    unit: str
    growth: bool = False  # the reported value is a growth rate (%), judged against the target rate

    @property
    def is_rate(self) -> bool:
        """Growth rates and level rates (治理率=45%) are compared with the target directly."""
        return self.growth or self.unit == "%"

    @property
    def whole(self) -> bool:
        """Counted in whole things (个, 家, 户 …): only whole numbers make sense."""
        return not self.growth and self.unit in WHOLE_UNITS

    def value_text(self, value: float) -> str:
        """A reported value with its unit: 252.5亿元, 12家, 45%, 增长7.5%, 下降3%."""
        if self.growth:
            return f"增长{num(value)}%" if value >= 0 else f"下降{num(-value)}%"
        return f"{num(value)}{self.unit}"

    @property
    def target_text(self) -> str:
        value = f"{self.target:g}"
        return f"增长{value}{self.unit}" if self.growth else f"{value}{self.unit}"

    def __str__(self) -> str:
        return f"{self.name}={self.target_text}"


@dataclass(frozen=True)
class Task:
    id: str
    section: int
    section_title: str
    task_no: str
    task_title: str
    content: str
    lead_leaders: str = ""
    assist_leaders: str = ""
    lead_units: str = ""
    coop_units: str = ""
    indicators: tuple[Indicator, ...] = field(default_factory=tuple)
    deadline: str = ""
    line: int = 0  # line in tasks.csv, for messages
    short_title: str = ""  # optional column: the name tables and lists show (≤ 20 字)
    kind: str = ""  # TaskKind value ('' = 进度)
    plan: tuple[float | None, ...] = NO_PLAN  # cumulative % due by the end of Q1 … Q4
    plan_note: str = ""  # the 时间节点 in words
    owner: str = ""  # 责任人 (name and post)
    plan_by: str = ""  # whose 落实方案 gave plan/plan_note/owner ('' = tasks.csv)

    @property
    def task_kind(self) -> TaskKind:
        return TaskKind.parse(self.kind)

    @property
    def has_plan(self) -> bool:
        return any(v is not None for v in self.plan)

    @property
    def label(self) -> str:
        return task_label(self.id)

    @property
    def sort_key(self) -> tuple[int, int]:
        no, _, sub = self.id.partition(".")
        return int(no), int(sub or 0)

    def fingerprint(self) -> str:
        """Hash of what a unit is shown of this row: an edited row no longer matches."""
        return content_hash(self.id, self.content)


def values_text(
    values: dict[str, float | None], indicators: tuple[Indicator, ...] = (), sep: str = "；"
) -> str:
    """Reported indicator values, each with its unit: '重点项目计划总投资252.5亿元；储备项目60个'
    (``indicators``: the row's, for the units; a name no longer among them prints bare)."""
    by_name = {i.name: i for i in indicators}
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        ind = by_name.get(name)
        parts.append(f"{name}{ind.value_text(value) if ind else num(value)}")
    return sep.join(parts)


def content_hash(task_id: str, content: str) -> str:
    text = f"{task_id}\x1f{normalize_space(content)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def normalize_space(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def parse_indicators(text: str, where: str = "") -> tuple[Indicator, ...]:
    out: list[Indicator] = []
    for part in re.split(r"[；;]", text or ""):
        part = part.strip()
        if not part:
            continue
        m = _IND_RE.match(part)
        if not m:
            raise TaskTableError(
                f"{where}指标“{part}”格式不对，应写成 名称=目标值单位（如 新增就业人员=4100人，增速写成 地区生产总值=增长8%）"
            )
        ind = Indicator(
            name=m.group("name").strip(),
            target=float(m.group("value")),
            unit=m.group("unit"),
            growth=bool(m.group("growth")),
        )
        if ind.whole and not ind.target.is_integer():
            raise TaskTableError(
                f"{where}指标“{part}”以“{ind.unit}”计，目标值应为整数；请改正（如 {round(ind.target)}{ind.unit}）"
            )
        out.append(ind)
    names = [i.name for i in out]
    if len(set(names)) != len(names):
        raise TaskTableError(f"{where}同一行的指标名称重复：{'、'.join(names)}")
    return tuple(out)


def decode_table_bytes(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or GB18030, as Excel on a Chinese Windows saves."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TaskTableError(f"{name} 的编码无法识别，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”")


def load_tasks(path: Path | str) -> list[Task]:
    """Read and check tasks.csv; every problem is an error naming the line."""
    path = Path(path)
    if not path.exists():
        raise TaskTableError(f"找不到任务表 {path}，请检查 config.toml 的 [paths] tasks")
    text = decode_table_bytes(path.read_bytes(), path.name)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise TaskTableError(
            f"{path.name} 第 1 行（表头）缺少列：{'、'.join(missing)}，请补上后重试"
        )
    reader.fieldnames = header
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        where = f"{path.name} 第 {line} 行："
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(row.values()):
            continue
        for col in REQUIRED:
            if not row.get(col):
                raise TaskTableError(f"{where}{_COLUMN_CN[col]}（{col}）为空，请填写")
        tid = row["id"]
        if not _ID_RE.match(tid):
            raise TaskTableError(f"{where}任务编号“{tid}”不对，应写成 1、7.1、28.4 这样的形式")
        if tid in seen:
            raise TaskTableError(f"{where}任务编号 {tid} 与第 {seen[tid]} 行重复，请改正")
        seen[tid] = line
        try:
            section = int(row["section"])
        except ValueError:
            raise TaskTableError(
                f"{where}板块（section）应为 1–{len(SECTION_NUMERALS)} 的数字，现为“{row['section']}”"
            ) from None
        if not 1 <= section <= len(SECTION_NUMERALS):
            raise TaskTableError(
                f"{where}板块（section）应为 1–{len(SECTION_NUMERALS)}，现为 {section}"
            )
        tasks.append(
            Task(
                id=tid,
                section=section,
                section_title=row.get("section_title", ""),
                task_no=row.get("task_no") or tid.split(".")[0],
                task_title=row.get("task_title", ""),
                content=row["content"],
                lead_leaders=row.get("lead_leaders", ""),
                assist_leaders=row.get("assist_leaders", ""),
                lead_units=row["lead_units"],
                coop_units=row.get("coop_units", ""),
                indicators=parse_indicators(row.get("indicators", ""), where),
                deadline=row.get("deadline", ""),
                line=line,
                short_title=row.get("short_title", ""),
                **_plan_fields(row, where),
            )
        )
    if not tasks:
        raise TaskTableError(f"{path.name} 没有任何任务行")
    return tasks


def _plan_fields(row: dict[str, str], where: str) -> dict:
    """kind, plan_q1 … plan_q4, plan_note, owner of one row, checked."""
    try:
        kind = TaskKind.parse(row.get("kind", ""))
    except ValueError:
        choices = "、".join(TaskKind)
        raise TaskTableError(
            f"{where}任务类别（kind）“{row['kind']}”不对，应为空或 {choices} 之一"
        ) from None
    plan = tuple(_milestone(row.get(c, ""), c, where) for c in PLAN_COLUMNS)
    check_milestones(plan, where)
    if kind in (TaskKind.OTHER, TaskKind.ONE_OFF) and any(v is not None for v in plan):
        raise TaskTableError(
            f"{where}{kind}类任务不按季度节点研判，请清空 plan_q1–plan_q4，或把任务类别改为“节点”"
        )
    if kind == TaskKind.ONE_OFF and not row.get("deadline"):
        raise TaskTableError(f"{where}一次性任务必须填写完成时限（deadline），如 2024-05-20")
    return {
        "kind": "" if not row.get("kind") else str(kind),
        "plan": plan,
        "plan_note": row.get("plan_note", ""),
        "owner": row.get("owner", ""),
    }


def _milestone(text: str, column: str, where: str) -> float | None:
    text = text.strip().rstrip("%％").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise TaskTableError(
            f"{where}季度节点 {column}“{text}”应为 0–100 的数字（累计完成百分比，如 40）"
        ) from None
    if not 0 <= value <= 100:
        raise TaskTableError(f"{where}季度节点 {column} 为 {value:g}，应在 0–100 之间")
    return value


def milestone_problem(plan: tuple[float | None, ...]) -> str:
    """Why quarterly 节点 are not cumulative ('' when they are): each at least the one
    before, none over 100."""
    last: tuple[int, float] | None = None
    for q, value in enumerate(plan, 1):
        if value is None:
            continue
        if value > 100 or value < 0:
            return f"第{q}季度节点为{value:g}%，应在 0–100 之间"
        if last is not None and value < last[1]:
            return f"第{q}季度节点{value:g}%低于第{last[0]}季度节点{last[1]:g}%（节点是累计进度，不能减少）"
        last = (q, value)
    return ""


def check_milestones(plan: tuple[float | None, ...], where: str) -> None:
    why = milestone_problem(plan)
    if why:
        raise TaskTableError(f"{where}{why}")


_COLUMN_CN = {
    "id": "任务编号",
    "section": "板块",
    "content": "任务内容",
    "lead_units": "牵头责任单位",
}
