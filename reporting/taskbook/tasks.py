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

_ID_RE = re.compile(r"^\d+(\.\d+)?$")
_IND_RE = re.compile(
    r"^(?P<name>[^=＝]+)[=＝](?P<growth>增长)?(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>\S*)$"
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
        out.append(
            Indicator(
                name=m.group("name").strip(),
                target=float(m.group("value")),
                unit=m.group("unit"),
                growth=bool(m.group("growth")),
            )
        )
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
            )
        )
    if not tasks:
        raise TaskTableError(f"{path.name} 没有任何任务行")
    return tasks


_COLUMN_CN = {
    "id": "任务编号",
    "section": "板块",
    "content": "任务内容",
    "lead_units": "牵头责任单位",
}
