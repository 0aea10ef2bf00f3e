"""The merged result of a period (``QuarterResult``): what collect produces and what the
report, the merged workbook, reminders and next quarter's pre-fill read.

Stored as ``<data>/<period>/merged.json``; plain dataclasses so every consumer can be
tested with a hand-built result.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

from reporting.core.states import Light, PaceBasis, Status
from reporting.core.submissions import Submitted
from reporting.core.submissions import counts as submission_counts

MISSING = "未报送"  # shown where a unit did not return a valid form


@dataclass
class Answer:
    """One unit's filled-in row (lead report or coop feedback)."""

    unit: str
    progress: str = ""  # 本季度工作进展
    percent: float | None = None  # 累计完成进度（%）, 0–100
    status: str | None = None  # a Status value
    problems: str = ""  # 存在问题
    next_steps: str = ""  # 下步打算
    indicators: dict[str, float | None] = field(default_factory=dict)  # name → reported value
    prefilled: bool = False  # unchanged from the previous period's answer


@dataclass
class IndicatorResult:
    name: str
    target: float
    unit: str
    growth: bool
    value: float | None = None  # reported (cumulative value, or growth rate in %)
    expected: float | None = None  # what the value should be by now
    gap: float | None = None  # value − expected (negative: behind)
    on_track: bool | None = None
    text: str = ""  # e.g. 增长7.1%，低于目标0.9个百分点


@dataclass
class RowResult:
    id: str
    label: str  # 8（1）
    section: int
    section_title: str
    task_no: str
    task_title: str
    content: str
    lead_leaders: list[str]
    lead_units: list[str]
    coop_units: list[str]
    coop_collective: list[str] = field(default_factory=list)
    lead_reports: list[Answer] = field(default_factory=list)
    coop_feedback: list[Answer] = field(default_factory=list)
    missing_units: list[str] = field(
        default_factory=list
    )  # lead/coop units with no accepted return
    indicators: list[IndicatorResult] = field(default_factory=list)
    percent: float | None = None  # lead units' cumulative progress (lowest when several)
    status: str | None = None  # reported status (worst of the lead units), None = 未报送
    judged_status: str | None = None  # what the numbers say
    status_conflict: str = ""  # why reported and judged disagree, in Chinese
    gap: float | None = None  # expected progress − percent, in percentage points
    light: str | None = None  # Light value; None when no lead unit reported
    short_title: str = ""  # tasks.csv's short_title ("" → derived by the report)
    # the one pace rule (reporting.core.pace.row_pace): the expected percent (None: not
    # judged by pace) and its basis, plan / line / none
    expected_progress: float | None = None
    pace_basis: str = PaceBasis.LINE
    kind: str = ""  # tasks.csv kind ('' = 进度)
    deadline: str = ""  # the task's own 完成时限 (ISO date)
    owner: str = ""  # 责任人
    carried_from: str = ""  # the quarter that judged a row no unit reports on any more (2024Q2)

    @property
    def reported(self) -> bool:
        return bool(self.lead_reports)

    @property
    def lagging(self) -> bool:
        return self.status == Status.LAGGING or self.light == Light.RED


@dataclass
class UnitReturn:
    unit: str
    kind: str = "department"
    state: str = "missing"  # accepted | rejected | held | missing (``Submitted.state``)
    received_at: str | None = None  # ISO time of the return in force
    late: bool = False
    versions: int = 0  # how many returns were received
    identified_by: str = ""
    problems: list[str] = field(default_factory=list)  # reasons of the latest rejection

    @property
    def submitted(self) -> Submitted:
        return Submitted.of(self.state, self.late)


@dataclass
class QuarterResult:
    period: str  # 2024Q1
    period_label: str  # 2024年第一季度
    expected_progress: float  # the period's 序时进度, 25/50/75/100 (each row has its own)
    deadline: str  # ISO time returns were due
    generated_at: str  # ISO time of the merge (cut-off for the report)
    rows: list[RowResult] = field(default_factory=list)
    units: list[UnitReturn] = field(default_factory=list)

    # -- units by how they reported (task rows are counted by merge.tally) --------
    def unit_counts(self) -> dict[str, int]:
        """Units by ``Submitted``: due, on_time, late, rejected, held (待核实), missing."""
        return submission_counts(u.submitted for u in self.units)

    # -- storage -------------------------------------------------------------
    def to_json(self, plain: dict | None = None) -> str:
        """merged.json's text: ``json.dumps(…, ensure_ascii=False, indent=1)`` of ``plain``
        (default ``self.plain()``), written by ``indented_json`` (same text, faster)."""
        return indented_json(self.plain() if plain is None else plain)

    def plain(self) -> dict:
        """``dataclasses.asdict(self)`` without its deep copy of every value (a city's
        result spent seconds there); the same JSON."""
        return plain_data(self)

    @classmethod
    def from_dict(cls, data: dict) -> QuarterResult:
        rows = []
        for r in data.get("rows", []):
            r = dict(r)
            r["lead_reports"] = [Answer(**a) for a in r.get("lead_reports", [])]
            r["coop_feedback"] = [Answer(**a) for a in r.get("coop_feedback", [])]
            r["indicators"] = [IndicatorResult(**i) for i in r.get("indicators", [])]
            rows.append(RowResult(**r))
        units = [UnitReturn(**u) for u in data.get("units", [])]
        scalars = {k: v for k, v in data.items() if k not in ("rows", "units")}
        return cls(rows=rows, units=units, **scalars)

    @classmethod
    def load(cls, path: Path | str, *, keep: bool = False) -> QuarterResult:
        """The result stored at ``path``. ``keep``: the caller only looks at it (a check,
        a result it does not change): it is kept for the next ``load`` of the same file,
        unchanged since (same inode, size and modification time), which gets it instead of
        reading the file again; a kept result is given out once more (the report day checks
        merged.json in collect and before the report, then loads it: one read of a city's
        6 MB instead of three)."""
        key = _file_key(path)
        if _KEPT and _KEPT[0][0] == key:
            result = _KEPT[0][1]
            if not keep:
                _KEPT.clear()
            return result
        result = cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        if keep:
            _KEPT[:] = [(key, result)]
        return result


_KEPT: list[tuple[tuple, QuarterResult]] = []  # the one result a check loaded, for the next load


def _file_key(path: Path | str) -> tuple:
    st = os.stat(path)
    return (os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class UnitAnswers:
    """One unit's accepted answers: task id → its row as lead unit / as cooperating unit."""

    unit: str
    lead: dict[str, Answer] = field(default_factory=dict)
    coop: dict[str, Answer] = field(default_factory=dict)


_FIELDS: dict[type, tuple[str, ...]] = {}
_LEAVES = frozenset({str, int, float, bool, type(None)})  # most values: asked nothing more


def plain_data(obj):
    """``dataclasses.asdict`` for dataclasses of plain values (and lists, tuples and dicts of
    them), without its deep copy of every value: the same JSON."""
    if type(obj) in _LEAVES:
        return obj
    names = _FIELDS.get(type(obj))
    if names is None and is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELDS[type(obj)] = tuple(f.name for f in fields(obj))
    if names is not None:
        return {name: plain_data(getattr(obj, name)) for name in names}
    if isinstance(obj, list | tuple):
        return [plain_data(v) for v in obj]
    if isinstance(obj, dict):
        return {k: plain_data(v) for k, v in obj.items()}
    return obj


_escape = json.encoder.encode_basestring  # C, as json.dumps(ensure_ascii=False) escapes


def indented_json(value) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=1)`` for plain data (str keys; str,
    int, float, bool, None, lists, dicts): the same text without the pure-Python encoder
    the standard library uses whenever an indent is asked for (a city's result spent
    seconds there)."""
    out: list[str] = []
    try:
        _indented(value, out, "\n")
    except TypeError:  # a key that is not text: the standard library's way
        return json.dumps(value, ensure_ascii=False, indent=1)
    return "".join(out)


def _indented(value, out: list[str], nl: str) -> None:
    if isinstance(value, str):
        out.append(_escape(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = nl + " "
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(key)
            out.append(("{" if first else ",") + inner + _escape(key) + ": ")
            first = False
            _indented(item, out, inner)
        out.append(nl + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = nl + " "
        first = True
        for item in value:
            out.append(("[" if first else ",") + inner)
            first = False
            _indented(item, out, inner)
        out.append(nl + "]")
    else:  # anything else: exactly what json would do with it
        out.append(json.dumps(value, ensure_ascii=False))


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)
