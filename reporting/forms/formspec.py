"""The layout of a unit's progress form (.xlsx): the one source of truth for writing it
(``reporting.forms.build``) and reading returns back (``reporting.intake.collect``).

Workbook, schema version ``SCHEMA_VERSION``; sheets in this order:

1. ``填报说明`` (first, the active sheet): a two-column guide. Fixed cells:
   B2 填报单位, B3 报告期, B4 截止时间, B5 表单编号, B6 任务数, B7 联系方式,
   B8 识别码 (``FormIdentity.encode()``: ``DUBAN|1|2024Q1|<form id>|<fingerprint>|<unit>``);
   instructions start at row ``GUIDE_FIRST_NOTE_ROW``.
2. ``牵头任务`` — rows where the unit is a lead unit (omitted when none).
3. ``配合任务`` — rows where the unit cooperates (omitted when none).
4. ``表单标识`` — hidden, never active: key/value rows (``ID_KEYS``, column A key,
   column B value, column C 说明) from row 2, then a blank row, then one row per task
   row (工作表, 行号, 任务编号, 行指纹) under a header row ``ID_ROWS_HEADER``.
5. ``下拉选项`` — hidden lookup: the status words in A1:A5, defined name ``STATUS_NAME``.

Task sheets (牵头任务 / 配合任务), same layout on both:

- row 1: title, merged across all columns;
- rows 2–4: header cells (``HEADER_CELLS``): label in ``label_cell``, value in
  ``value_cell`` (both may be merged to the right); 填报单位/报告期/截止时间/表单编号 locked,
  填报人/联系电话/填报日期/主要领导审核 editable (a unit may fill them on either task
  sheet; read 牵头任务 first, then 配合任务);
- row ``HEADER_ROW`` (5): column headers (``columns(n)``); rows 1–5 frozen, row 5 printed
  on every page;
- from row ``FIRST_DATA_ROW`` (6): one row per task, in the order of ``lead_ids`` /
  ``coop_ids`` of the identity. Column B shows the task label (8（1）); ``parse_task_label``
  turns it back into the id (8.1);
- ``LEGEND_GAP`` rows below the last task row: a merged legend line (注：…), not data.

Columns (schema 4, ``columns(N)``): 序号, 任务编号, 任务内容, 上季度报送情况（供参考）
(locked); 本季度工作进展, 累计完成进度（%）, 推进状态, 存在问题, 下步打算 (editable); an
editable ``指标k 完成值`` for k in 1..N, N = the most indicators of any row on that sheet;
配合单位反馈（供参考）, 责任分工 (locked); then a locked ``指标k（目标）`` cell for each k
(``indicator_label``, e.g. 新增就业人员：4100人), which the 任务内容 cell also lists under
the task's text (``content_text``). A row with fewer indicators has its spare slots locked
and greyed. Schema 3 had each target beside its value after 责任分工; intake reads any
schema's columns by their headers.

Identification (``FormIdentity``) is stored several ways, because other office programs
may drop some of them on re-save: the visible locked cells (填报说明!B8 full, B5 and
each task sheet's C4 the form id), the hidden sheet, document custom properties
(``CUSTOM_PROPS``) and the defined name ``IDENT_NAME`` (a string constant). The file
name (``2024Q1_<单位>_进展情况表.xlsx``) is the last resort.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from reporting.core.model import Status

SCHEMA_VERSION = "4"  # 4: the 指标k 完成值 columns right after 下步打算, the targets last
READABLE_SCHEMAS = ("1", "2", "3", "4")  # returns of these versions are read (columns by header)
IDENT_PREFIX = "DUBAN"

# -- sheets ----------------------------------------------------------------
SHEET_GUIDE = "填报说明"
SHEET_LEAD = "牵头任务"
SHEET_COOP = "配合任务"
SHEET_PREVIOUS = "上季度全文"  # last quarter's whole answers, behind the digest column
SHEET_REQUESTS = "销号延期调整申请"  # forms.request_sheet: lead units only
SHEET_ID = "表单标识"
SHEET_LOOKUP = "下拉选项"
TASK_SHEETS = {"lead": SHEET_LEAD, "coop": SHEET_COOP}  # role → sheet name
SHEET_ORDER = (
    SHEET_GUIDE,
    SHEET_LEAD,
    SHEET_COOP,
    SHEET_PREVIOUS,
    SHEET_REQUESTS,
    SHEET_ID,
    SHEET_LOOKUP,
)
HIDDEN_SHEETS = (SHEET_ID, SHEET_LOOKUP)

# -- defined names -----------------------------------------------------------
STATUS_NAME = "DUBAN_STATUS_LIST"  # → '下拉选项'!$A$1:$A$5
IDENT_NAME = "DUBAN_FORM_ID"  # → "DUBAN|1|…" (string constant)
STATUS_CHOICES = tuple(Status.choices())
LOOKUP_RANGE = f"'{SHEET_LOOKUP}'!$A$1:$A${len(STATUS_CHOICES)}"

# -- 填报说明 -----------------------------------------------------------------
GUIDE_CELLS = {
    "title": "A1",
    "unit": "B2",
    "period": "B3",
    "deadline": "B4",
    "form_id": "B5",
    "counts": "B6",
    "contact": "B7",
    "ident": "B8",
}
GUIDE_FIRST_NOTE_ROW = 10

# -- task sheets -------------------------------------------------------------
TITLE_ROW = 1
HEADER_ROW = 5
FIRST_DATA_ROW = 6
LEGEND_GAP = 2
TITLE_CELL = "A1"


@dataclass(frozen=True)
class HeaderCell:
    key: str
    label: str
    label_cell: str  # merged with its neighbour when ``label_end`` is set
    value_cell: str
    editable: bool
    label_end: str = ""
    value_end: str = ""


# Within the first printed page, clear of the "previous" column (D, hidden in Q1).
HEADER_CELLS = (
    HeaderCell("unit", "填报单位", "A2", "C2", False, label_end="B2"),
    HeaderCell("period", "报告期", "E2", "F2", False, value_end="G2"),
    HeaderCell("approver", "主要领导审核", "H2", "I2", True),
    HeaderCell("filler", "填报人", "A3", "C3", True, label_end="B3"),
    HeaderCell("phone", "联系电话", "E3", "F3", True, value_end="G3"),
    HeaderCell("fill_date", "填报日期", "H3", "I3", True),
    HeaderCell("form_id", "表单编号", "A4", "C4", False, label_end="B4"),
    HeaderCell("deadline", "截止时间", "E4", "F4", False, value_end="I4"),
)
LAST_HEADER_COLUMN = "I"  # the boxes in it reach the first printed page's right edge
# Where schema 1 forms had the header values (returns of that schema are still read)
SCHEMA1_HEADER_VALUES = {
    "unit": "C2",
    "period": "F2",
    "deadline": "J2",
    "filler": "C3",
    "phone": "F3",
    "fill_date": "J3",
    "form_id": "C4",
    "approver": "F4",
}


def header_value_cells(schema_version: str = "") -> dict[str, str]:
    """Header key → value cell for a form of ``schema_version`` (default: the current)."""
    if schema_version == "1":
        return dict(SCHEMA1_HEADER_VALUES)
    return {h.key: h.value_cell for h in HEADER_CELLS}


HEADER_BY_KEY = {h.key: h for h in HEADER_CELLS}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float  # Excel column width (characters of '0')
    editable: bool
    kind: str  # seq | label | text | reference | partners | percent | status | indicator_target | indicator_value
    indicator: int = 0  # k for indicator columns (1-based)


# The one place that says which columns a task sheet has, in order (``columns``). The first
# ``FROZEN_COLUMNS`` stay visible when scrolling right and are repeated on every printed
# page; the first printed page ends with the last editable column (下步打算 or the last
# 指标k 完成值); the locked columns after it (配合单位反馈, 责任分工, the indicators'
# targets) print only when they hold the partners' feedback.
# "previous" (last quarter's answer, locked) is hidden when there is no last quarter, so
# every column keeps its place in every form of a schema.
BASE_COLUMNS = (
    Column("seq", "序号", 4.5, False, "seq"),
    Column("task_id", "任务编号", 7, False, "label"),
    Column("content", "任务内容", 28, False, "text"),
    Column("previous", "上季度报送情况（供参考）", 20, False, "reference"),
    Column("progress", "本季度工作进展", 31, True, "text"),
    Column("percent", "累计完成进度（%）", 8, True, "percent"),
    Column("status", "推进状态", 7, True, "status"),
    Column("problems", "存在问题", 14, True, "text"),
    Column("next_steps", "下步打算", 14, True, "text"),
    # printed only in the 配合反馈 copy, on a page of its own beside 序号 … 任务内容: as wide
    # as that page allows, so the partners' lines do not make every row tall
    Column("partners", "配合单位反馈（供参考）", 88, False, "partners"),
    # never printed, yet its lines set the row's height: wide, a line per entry
    Column("duty", "责任分工", 44, False, "text"),
)
ANSWER_COLUMNS = BASE_COLUMNS[:9]  # 序号 … 下步打算
GIVEN_COLUMNS = BASE_COLUMNS[9:]  # 配合单位反馈, 责任分工
FROZEN_COLUMNS = 3  # 序号, 任务编号, 任务内容
# Where a narrow column's header breaks in the form: left to themselves Excel, WPS and
# LibreOffice break it mid-word ("推进状/态", "上季度报送情况（供参考/）"). Intake reads the
# header without its line breaks (``column_for_header``).
HEADER_LINES = {
    "task_id": "任务\n编号",
    "previous": "上季度报送情况\n（供参考）",
    "percent": "累计完成\n进度\n（%）",
    "status": "推进\n状态",
}


def printed_header(col: Column) -> str:
    """The header text written in the form, with its line breaks."""
    if col.kind == "indicator_value":
        return f"指标{col.indicator}\n完成值"
    return HEADER_LINES.get(col.key, col.header)


# Headers of earlier schemas that intake still recognises (schema 1 had three columns for
# 牵头责任领导/牵头单位/配合单位; they are locked and not read).
OLD_HEADERS = {"牵头责任领导": "lead_leaders", "牵头单位": "lead_units", "配合单位": "coop_units"}
# Answer field for each editable base column (reporting.core.model.Answer)
ANSWER_FIELDS = {
    "progress": "progress",
    "percent": "percent",
    "status": "status",
    "problems": "problems",
    "next_steps": "next_steps",
}


def indicator_columns(k: int) -> tuple[Column, Column]:
    """Indicator k's target and value columns."""
    return (
        Column(f"ind{k}_target", f"指标{k}（目标）", 14, False, "indicator_target", k),
        Column(f"ind{k}_value", f"指标{k} 完成值", 6.5, True, "indicator_value", k),
    )


def columns(n_indicators: int) -> tuple[Column, ...]:
    """All columns of a task sheet with ``n_indicators`` indicator slots, in order: the
    values print with the answers, one page wide (``print_layout``), so a row's
    indicators no longer need a page of their own."""
    pairs = [indicator_columns(k) for k in range(1, n_indicators + 1)]
    return (
        *ANSWER_COLUMNS,
        *(value for _, value in pairs),
        *GIVEN_COLUMNS,
        *(target for target, _ in pairs),
    )


def column_index(key: str, n_indicators: int = 0) -> int:
    """1-based column of ``key`` on a sheet with ``n_indicators`` indicator slots (the
    answer columns 序号 … 下步打算 and 指标k 完成值 are where they are whatever the count)."""
    m = re.fullmatch(r"ind(\d+)_(target|value)", key)
    if m and m.group(2) == "value":
        return len(ANSWER_COLUMNS) + int(m.group(1))
    n = max(n_indicators, int(m.group(1)) if m else 0)
    for i, col in enumerate(columns(n), 1):
        if col.key == key:
            return i
    raise KeyError(key)


INDICATOR_LINE = "【指标{k}】"  # how the 任务内容 cell lists a target under the task's text


def content_text(task) -> str:
    """The 任务内容 cell: the task's text, then one line per indicator target
    ("【指标1】新增就业人员：4100人"), so the printed page says what each 完成值 is."""
    lines = [
        INDICATOR_LINE.format(k=k) + indicator_label(ind)
        for k, ind in enumerate(task.indicators, 1)
    ]
    return "\n".join([task.content, *lines])


def task_content(cell_text: str) -> str:
    """The task's text in a 任务内容 cell, without the indicator lines ``content_text``
    added (a form of any schema)."""
    lines = (cell_text or "").split("\n")
    while len(lines) > 1 and re.match(r"\s*【指标\d+】", lines[-1]):
        lines.pop()
    return "\n".join(lines)


@lru_cache(maxsize=256)  # every returned form repeats the same few headers
def column_for_header(header: str) -> str | None:
    """The key of a column header as written in a form (None when unknown)."""
    text = re.sub(r"\s+", "", header or "")
    for col in BASE_COLUMNS:
        if re.sub(r"\s+", "", col.header) == text:
            return col.key
    if text in OLD_HEADERS:
        return OLD_HEADERS[text]
    m = re.fullmatch(r"指标(\d+)(（目标）|完成值)", text)
    if m:
        return f"ind{m.group(1)}_{'target' if m.group(2) == '（目标）' else 'value'}"
    return None


def indicator_label(indicator) -> str:
    """What the target cell shows: 新增就业人员：4100人 / 地区生产总值：增长8%（填增速）."""
    text = f"{indicator.name}：{indicator.target_text}"
    return text + "（填增速）" if indicator.growth else text


def title(district: str, year: int, document_title: str, period) -> str:
    """禹会区2024年《政府工作报告》重点任务第一季度推进情况表"""
    return f"{district}{year}年{document_title}{period.label}推进情况表"


# -- task labels -------------------------------------------------------------
_LABEL_RE = re.compile(r"^\s*(\d+)\s*(?:[（(]\s*(\d+)\s*[)）]|[.．]\s*(\d+))?\s*$")


def parse_task_label(text) -> str | None:
    """'8（1）', '8(1)', '8.1' → '8.1'; '29' → '29'; anything else → None."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = f"{text:g}"
    m = _LABEL_RE.match(str(text or ""))
    if not m:
        return None
    sub = m.group(2) or m.group(3)
    return f"{int(m.group(1))}.{int(sub)}" if sub else str(int(m.group(1)))


# -- identification ------------------------------------------------------------
ID_KEYS = (
    "schema_version",
    "form_id",
    "unit",
    "period",
    "fingerprint",
    "lead_fingerprint",
    "lead_ids",
    "coop_fingerprint",
    "coop_ids",
    "generated_at",
)
ID_KEY_NOTES = {
    "schema_version": "表单格式版本",
    "form_id": "表单编号",
    "unit": "填报单位",
    "period": "报告期",
    "fingerprint": "任务行指纹（全部）",
    "lead_fingerprint": "牵头任务行指纹",
    "lead_ids": "牵头任务编号（按行序）",
    "coop_fingerprint": "配合任务行指纹",
    "coop_ids": "配合任务编号（按行序）",
    "generated_at": "生成时间",
}
ID_FIRST_ROW = 2  # ID_KEYS[i] is in row ID_FIRST_ROW + i
ID_ROWS_HEADER = ("工作表", "行号", "任务编号", "行指纹")
ID_ROWS_HEADER_ROW = ID_FIRST_ROW + len(ID_KEYS) + 1
CUSTOM_PROPS = {
    key: f"duban_{key}" for key in ("schema_version", "form_id", "unit", "period", "fingerprint")
}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def form_id(period, unit: str) -> str:
    """Stable id of a unit's form for a period: ``2024Q1-`` + 10 hex digits of the unit."""
    return f"{period}-{_sha(unit)[:10].upper()}"


def _task(row):
    return getattr(row, "task", row)  # ResolvedTask or Task


def rows_fingerprint(rows: Iterable) -> str:
    """Fingerprint of one sheet's rows (ids, order and content), from ``Task.fingerprint()``."""
    parts = [f"{_task(r).id}:{_task(r).fingerprint()}" for r in rows]
    return _sha("\n".join(parts))[:16] if parts else ""


def form_fingerprint(lead: Iterable, coop: Iterable) -> str:
    """Fingerprint of a whole form: both sheets' row fingerprints."""
    return _sha(f"lead={rows_fingerprint(lead)};coop={rows_fingerprint(coop)}")[:16]


@dataclass(frozen=True)
class FormIdentity:
    form_id: str
    unit: str
    period: str
    fingerprint: str
    schema_version: str = SCHEMA_VERSION
    lead_fingerprint: str = ""
    lead_ids: tuple[str, ...] = field(default_factory=tuple)
    coop_fingerprint: str = ""
    coop_ids: tuple[str, ...] = field(default_factory=tuple)
    generated_at: str = ""

    @classmethod
    def build(
        cls, period, unit: str, lead: list, coop: list, generated_at: str = ""
    ) -> FormIdentity:
        return cls(
            form_id=form_id(period, unit),
            unit=unit,
            period=str(period),
            fingerprint=form_fingerprint(lead, coop),
            lead_fingerprint=rows_fingerprint(lead),
            lead_ids=tuple(_task(r).id for r in lead),
            coop_fingerprint=rows_fingerprint(coop),
            coop_ids=tuple(_task(r).id for r in coop),
            generated_at=generated_at,
        )

    def pairs(self) -> list[tuple[str, str]]:
        """(key, text) in ``ID_KEYS`` order, as written to the hidden sheet."""
        out = []
        for key in ID_KEYS:
            value = getattr(self, key)
            out.append((key, ",".join(value) if isinstance(value, tuple) else str(value)))
        return out

    @classmethod
    def from_pairs(cls, pairs: dict[str, str]) -> FormIdentity:
        """From the hidden sheet's key/value rows (or custom properties); missing keys → ''."""
        data: dict[str, Any] = {
            k: ("" if pairs.get(k) is None else str(pairs.get(k)).strip()) for k in ID_KEYS
        }
        for key in ("lead_ids", "coop_ids"):
            data[key] = tuple(p for p in data[key].split(",") if p)
        data["schema_version"] = data["schema_version"] or SCHEMA_VERSION
        return cls(**data)

    def encode(self) -> str:
        """The one-line identification text (visible cell, defined name)."""
        return "|".join(
            (
                IDENT_PREFIX,
                self.schema_version,
                self.period,
                self.form_id,
                self.fingerprint,
                self.unit,
            )
        )

    @classmethod
    def decode(cls, text) -> FormIdentity | None:
        """Parse ``encode()`` output; None when the text is not an identification."""
        if not isinstance(text, str):
            return None
        text = text.strip().strip('"')
        parts = text.split("|", 5)
        if len(parts) != 6 or parts[0] != IDENT_PREFIX or not parts[3]:
            return None
        _, version, period, fid, fingerprint, unit = parts
        return cls(
            form_id=fid, unit=unit, period=period, fingerprint=fingerprint, schema_version=version
        )
