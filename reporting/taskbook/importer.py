"""Importing a task breakdown document (任务分解) into a tasks.csv for the office to review.

``import_tasks(settings, source, out=…)`` reads plain text (UTF-8, GB18030, UTF-16), a
.docx (paragraphs or a task table) or a spreadsheet (.xlsx, .xls, .ods), decided by the
file's content and never by its extension; it writes the rows in the tasks.csv format
(names as written, indicators proposed) and returns an ``ImportResult`` whose
``lines()`` end with the review list: every row where something was guessed.

The file is opened by ``import_files``; the layouts are read by ``import_text`` (numbered
lines) and ``import_table`` (table rows turned into the same lines); indicators are
proposed by ``import_indicators``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reporting.core.exceptions import DubanError, ImportTasksError
from reporting.taskbook.import_dates import document_year, read_deadline
from reporting.taskbook.import_files import read_source
from reporting.taskbook.import_indicators import propose_indicators
from reporting.taskbook.import_roles import FirstLeads, assign, first_leads_rule
from reporting.taskbook.import_text import (
    LABEL_CN,
    ParseResult,
    parse_lines,
)
from reporting.taskbook.short_names import SHORT_CHARS, derive_short_title
from reporting.taskbook.tasks import (
    COLUMNS,
    PLAN_COLUMNS,
    decode_table_bytes,
    normalize_space,
    parse_indicators,
)

# what import-tasks writes: the required columns, then the proposed short names (optional)
OUTPUT_COLUMNS = (*COLUMNS, "short_title")
# the office's own planning columns of tasks.csv, kept from its current table on a re-import
PLANNING_COLUMNS = ("kind", *PLAN_COLUMNS, "plan_note", "owner")

DEFAULT_OUTPUT = Path("tasks.imported.csv")
COLUMN_CN = {
    "id": "编号",
    "section": "板块",
    "section_title": "板块标题",
    "task_no": "任务号",
    "task_title": "任务标题",
    "content": "任务内容",
    "lead_leaders": "牵头责任领导",
    "assist_leaders": "协助配合领导",
    "lead_units": "牵头责任单位",
    "coop_units": "配合责任单位",
    "indicators": "指标",
    "deadline": "完成时限",
}
_NAME_COLUMNS = ("lead_leaders", "assist_leaders", "lead_units", "coop_units")


@dataclass
class ImportResult:
    """The rows read from one document, what needs review, and what was written."""

    source: Path
    kind: str  # 文本 / Word 文档 / Word 表格 / Excel 表格
    year: int
    rows: list[dict[str, str]]
    review: list[tuple[str, list[str]]]  # (row id, findings)
    notes: list[str] = field(default_factory=list)  # findings about the whole document
    sections: int = 0
    tasks: int = 0
    written: Path | None = None
    backup: Path | None = None
    diff: list[str] | None = None

    def csv_text(self) -> str:
        # the planning columns only where the office's table had them (kept by id)
        planning = any(row.get(c) for row in self.rows for c in PLANNING_COLUMNS)
        columns = (*OUTPUT_COLUMNS, *PLANNING_COLUMNS) if planning else OUTPUT_COLUMNS
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in self.rows:
            writer.writerow([row.get(c, "") for c in columns])
        return buf.getvalue()

    def lines(self) -> list[str]:
        out = [
            f"已读取 {self.source.name}（{self.kind}，{self.year} 年）：{self.sections} 个板块、"
            f"{self.tasks} 项任务，共 {len(self.rows)} 行。"
        ]
        if self.written is not None:
            out.append(f"已写入 {self.written}（{len(self.rows)} 行）。")
        if self.backup is not None:
            out.append(f"原文件已备份为 {self.backup}。")
        if self.diff is not None:
            out.extend(self.diff)
        if self.review:
            out.append(
                f"需要人工核对的行（{len(self.review)} 行；指标是根据原文自动建议的，请逐条核对）："
            )
            for row_id, findings in self.review:
                out.append(f"  {row_id:<6}{findings[0]}")
                out.extend(f"        {f}" for f in findings[1:])
        else:
            out.append("没有需要人工核对的行。")
        out.extend(self.notes)
        return out


def import_tasks(
    settings,
    source: Path | str,
    *,
    out: Path | str | None = DEFAULT_OUTPUT,
    force: bool = False,
    diff: bool = False,
    keep_indicators: bool = False,
    registry=None,
    year: int | None = None,
    first_leads: bool | None = None,
    now: datetime,
) -> ImportResult:
    """Read ``source``, write the rows to ``out`` (None: write nothing) and compare with tasks.csv.

    An existing ``out`` (the configured tasks.csv too) is replaced only with ``force``, and
    backed up first; units.csv and the config file never (``write_rows``).
    ``keep_indicators``: a row whose id and content are unchanged keeps the indicators the
    office set in the current tasks.csv instead of the proposal. ``year`` forces the year
    used for default deadlines (else the document's, else ``settings.district.year``).
    ``first_leads``: the first unit listed under 责任单位 leads (True), all listed lead
    (False), or as the notice says (None: ``import_roles.first_leads_rule``).
    """
    from reporting.documents.sniff import Limits

    result = read_breakdown(
        source,
        default_year=settings.district.year,
        year=year,
        registry=registry,
        limits=Limits.from_settings(settings.intake),
        first_leads=first_leads,
    )
    current = Path(settings.paths.tasks)
    _keep_office_columns(result, current)
    if keep_indicators:
        _keep_indicators(result, current)
    if diff:
        result.diff = diff_lines(current, result.rows)
    if out is not None:
        protected = {Path(settings.paths.units): "单位名录（config.toml [paths] units）"}
        if settings.source is not None:
            protected[Path(settings.source)] = "配置文件"
        result.backup = write_rows(
            result, Path(out), tasks_csv=current, force=force, now=now, protected=protected
        )
        result.written = Path(out)
    return result


def read_breakdown(
    source: Path | str,
    *,
    default_year: int,
    year: int | None = None,
    registry=None,
    limits=None,
    first_leads: bool | None = None,
) -> ImportResult:
    """The rows of a breakdown document with their review list; ImportTasksError if unreadable."""
    from reporting.documents.sniff import Limits

    path = Path(source)
    limits = limits or Limits()
    if not path.is_file():
        raise ImportTasksError(f"找不到文件 {path}，请检查路径（文件名含空格时请加引号）")
    src = read_source(path, limits)
    doc_year = year or document_year([ln.text for ln in src.context + src.lines], default_year)
    parsed = parse_lines(src.lines)
    if parsed is None or not parsed.drafts:
        raise ImportTasksError(
            f"{path.name} 中没有找到任务分解的内容：应有“1.”“（1）”这样编号的任务和“牵头责任单位：”等分工，"
            "表格则应有“工作任务”“牵头单位”等列。请确认选择的是任务分解文件"
        )
    rule = first_leads_rule(src.context + src.lines)
    result = _result(path, src.kind, doc_year, parsed, registry, _Who(rule, first_leads))
    result.notes[len(parsed.notes) : len(parsed.notes)] = src.notes
    return result


# -- rows and the review list ------------------------------------------------------------


@dataclass
class _Who:
    """How the lists of names are read: the notice's rule and the --first-leads choice."""

    rule: FirstLeads | None
    choice: bool | None
    split: int = 0
    person_lead: int = 0
    person_out: int = 0

    @property
    def units_first(self) -> bool:
        return self.choice if self.choice is not None else bool(self.rule and self.rule.units)

    @property
    def leaders_first(self) -> bool:
        return self.choice is not False and bool(self.rule and self.rule.leaders)

    def notes(self) -> list[str]:
        out = []
        said = f"通知写明“{self.rule.quote}”（{self.rule.where}）" if self.rule else ""
        if self.split and self.choice is None:
            out.append(
                f"{said}，已把“责任单位”中列第一位的作为牵头责任单位、其余作为配合责任单位"
                f"（{self.split} 行）；如不是这样，请加 --no-first-leads 重新导入。"
            )
        elif self.split:
            out.append(
                f"按 --first-leads，已把“责任单位”中列第一位的作为牵头责任单位、其余作为配合责任单位"
                f"（{self.split} 行）。"
            )
        elif self.rule and self.choice is False:
            out.append(f"{said}，但按 --no-first-leads 没有区分牵头和配合单位。")
        if self.person_lead:
            out.append(
                f"{self.person_lead} 行没有写责任领导，已把“责任人”作为牵头责任领导，请核对。"
            )
        if self.person_out:
            out.append(
                f"{self.person_out} 行的“责任人”没有导入：任务表只记区领导，"
                "单位的责任人在落实方案中填写。"
            )
        return out


def _result(
    path: Path, kind: str, year: int, parsed: ParseResult, registry, who: _Who
) -> ImportResult:
    rows: list[dict[str, str]] = []
    review: list[tuple[str, list[str]]] = []
    default_deadline = f"{year}-12-31"
    no_deadline = 0
    for d in parsed.drafts:
        findings = list(dict.fromkeys(d.notes))
        roles = assign(
            d.labels,
            units_first=who.units_first,
            leaders_first=who.leaders_first,
            hint=who.choice is None and not who.units_first,
        )
        findings += [f"{f}（{d.where}）" for f in roles.findings]
        who.split += roles.first_split
        who.person_lead += roles.person == "lead"
        who.person_out += roles.person == "kept out"
        written_deadline = d.labels.get("deadline", "")
        deadline = default_deadline
        if written_deadline:
            deadline, finding = read_deadline(written_deadline, year)
            findings += [f"{finding}（{d.where}）"] if finding else []
        else:
            no_deadline += 1
        row = {
            "id": d.id,
            "section": str(d.section),
            "section_title": d.section_title,
            "task_no": d.task_no,
            "task_title": d.task_title,
            "content": d.content,
            **{c: getattr(roles, c) for c in _NAME_COLUMNS},
            "indicators": propose_indicators(d.content, year),
            "deadline": deadline,
            "short_title": derive_short_title(d.task_title, d.content, own_title=d.id == d.task_no),
        }
        rows.append(row)
        if len(row["short_title"]) > SHORT_CHARS:
            findings.append(
                f"建议的简称“{row['short_title']}”超过{SHORT_CHARS}字，请在 short_title 列改短"
            )
        if not row["content"]:
            findings.append("缺少任务内容，请补上")
        if not row["lead_units"]:
            findings.append("缺少牵头责任单位（必填），请补上")
        if not row["lead_leaders"]:
            findings.append("缺少牵头责任领导")
        if registry is not None:
            findings += _name_findings(row, registry)
        if row["indicators"]:
            findings.append(f"建议指标：{row['indicators']}")
        if findings:
            review.append((d.id, findings))
    notes = list(parsed.notes) + who.notes()
    if no_deadline:
        which = f"全部 {no_deadline}" if no_deadline == len(rows) else f"其中 {no_deadline}"
        notes.append(f"{which} 行没有写完成时限，已按 {default_deadline} 填写。")
    if registry is None:
        notes.append("未读取单位名录，名称没有核对；请在导入后运行 duban check。")
    return ImportResult(path, kind, year, rows, review, notes, parsed.sections, parsed.tasks)


def _name_findings(row: dict[str, str], registry) -> list[str]:
    out = []
    for column in _NAME_COLUMNS:
        text = row[column]
        if not text:
            continue
        leaders = "leaders" in column
        res = registry.resolve_leaders(text) if leaders else registry.resolve_units(text)
        cn = LABEL_CN[column]
        out += [f"{cn}：{note}" for note in res.notes]
        for name, close in res.unknown:
            where = "领导名单（config.toml [registry] leaders）" if leaders else "单位名录"
            hint = f"，可能是 {' / '.join(close)}？" if close else "，请改正或登记"
            out.append(f"{cn}：“{name}”不在{where}中{hint}")
        if column == "lead_units" and not res.names and not res.unknown:
            out.append(f"{cn}：“{text}”不是具体单位，没有单位会收到表单")
    return out


def _keep_office_columns(result: ImportResult, current: Path) -> None:
    """A short name the office wrote in the current tasks.csv stays (same task id), and so do
    its planning columns (kind, 节点, 节点说明, 责任人): no notice carries them."""
    if not current.exists():
        return
    try:
        old = {r.get("id", ""): r for r in read_current(current)}
    except (DubanError, csv.Error):
        return
    for row in result.rows:
        before = old.get(row["id"])
        if before is None:
            continue
        if before.get("short_title"):
            row["short_title"] = before["short_title"]
        for c in PLANNING_COLUMNS:
            if before.get(c):
                row[c] = before[c]


def _keep_indicators(result: ImportResult, current: Path) -> None:
    try:
        old = {r.get("id", ""): r for r in read_current(current)} if current.exists() else {}
    except (DubanError, csv.Error):
        old = {}
    kept = set()
    for row in result.rows:
        before = old.get(row["id"])
        if before is not None and normalize_space(before.get("content", "")) == normalize_space(
            row["content"]
        ):
            row["indicators"] = before.get("indicators", "")
            kept.add(row["id"])
    review = []
    for row_id, findings in result.review:
        if row_id in kept:
            findings = [f for f in findings if not f.startswith("建议指标：")]
        if findings:
            review.append((row_id, findings))
    result.review = review
    if kept:
        result.notes.append(f"{len(kept)} 行内容与当前任务表相同，沿用了其中的指标。")


# -- writing -----------------------------------------------------------------------------


def write_rows(
    result: ImportResult,
    out: Path,
    *,
    tasks_csv: Path,
    force: bool,
    now: datetime,
    protected: dict[Path, str] | None = None,
) -> Path | None:
    """Write the rows (UTF-8 with BOM, so Excel opens it); the backup path when a file was replaced.

    An existing ``out`` is replaced only with ``force``, and then kept first as
    ``<name>.<time>.bak<ext>``; the files in ``protected`` (units.csv, config.toml: path →
    what it is) are never written, ``force`` or not.
    """
    from reporting.core.fileutil import atomic_write_bytes

    for path, what in (protected or {}).items():
        if _same_file(out, Path(path)):
            raise ImportTasksError(
                f"{out} 是{what}，不能写入任务表（加 --force 也不行）；"
                "请写到别的文件，如 -o tasks.imported.csv"
            )
    backup = None
    if out.exists() or out.is_symlink():
        if not out.is_file():
            raise ImportTasksError(f"{out} 不是普通文件，不能写入任务表；请换一个文件名")
        if not force:
            if _same_file(out, tasks_csv):
                raise ImportTasksError(
                    f"{out} 是当前使用的任务表，不会覆盖；请先写到别的文件（如 -o tasks.imported.csv）核对，"
                    "确认要替换时再加 --force"
                )
            raise ImportTasksError(
                f"{out} 已存在，不会覆盖；请换一个文件名，或加 --force 覆盖（覆盖前自动备份原文件）"
            )
        backup = _backup_name(out, now)
        atomic_write_bytes(backup, out.read_bytes())
    atomic_write_bytes(out, result.csv_text().encode("utf-8-sig"))
    return backup


def _backup_name(out: Path, now: datetime) -> Path:
    """``tasks.20240402-100000.bak.csv``, numbered when that name is taken."""
    stamp = now.strftime("%Y%m%d-%H%M%S")
    backup = out.with_name(f"{out.stem}.{stamp}.bak{out.suffix}")
    n = 1
    while backup.exists():
        n += 1
        backup = out.with_name(f"{out.stem}.{stamp}-{n}.bak{out.suffix}")
    return backup


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False


# -- comparing with the current tasks.csv ------------------------------------------------


def read_current(path: Path) -> list[dict[str, str]]:
    """The rows of an existing tasks.csv as plain text (no checks: it may be mid-edit)."""
    text = decode_table_bytes(path.read_bytes(), path.name)
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [h.strip() for h in (reader.fieldnames or [])]
    return [
        {k: (v or "").strip() for k, v in r.items() if k}
        for r in reader
        if any((v or "").strip() for v in r.values() if isinstance(v, str))
    ]


def diff_lines(current: Path, rows: list[dict[str, str]]) -> list[str]:
    """What the imported rows change against ``current``, by task id, in Chinese."""
    if not current.exists():
        return [f"当前没有任务表 {current.name}，导入的 {len(rows)} 行全部是新增。"]
    try:
        old_rows = read_current(current)
    except (DubanError, csv.Error) as exc:
        return [f"当前任务表 {current.name} 无法读取（{exc}），没有比较。"]
    old = {r.get("id", ""): r for r in old_rows if r.get("id")}
    new = {r["id"]: r for r in rows}
    out: list[str] = []
    added = [i for i in new if i not in old]
    removed = [i for i in old if i not in new]
    changed = 0
    for tid in sorted(set(old) | set(new), key=_id_key):
        if tid in added:
            out.append(f"  新增 {tid}：{_short(new[tid]['content'])}")
        elif tid in removed:
            out.append(f"  删除 {tid}：{_short(old[tid].get('content', ''))}")
        else:
            diffs = [
                f"  修改 {tid}：{COLUMN_CN[c]} {_change(old[tid].get(c, ''), new[tid].get(c, ''), c)}"
                for c in COLUMNS
                if c != "id" and not _same_value(c, old[tid].get(c, ""), new[tid].get(c, ""))
            ]
            changed += bool(diffs)
            out.extend(diffs)
    same = len(new) - len(added) - changed
    if not out:
        return [f"与当前任务表 {current.name} 相比：没有变化（{same} 行相同）。"]
    head = f"与当前任务表 {current.name} 相比：新增 {len(added)} 行，删除 {len(removed)} 行，修改 {changed} 行，{same} 行相同。"
    return [head, *out]


def _id_key(tid: str) -> tuple:
    parts = re.findall(r"\d+", tid)
    return tuple(int(p) for p in parts) or (10**9,)


def _indicator_set(text: str) -> set[str]:
    try:
        return {str(i) for i in parse_indicators(text)}
    except DubanError:
        return {p.strip() for p in re.split(r"[；;]", text) if p.strip()}


def _same_value(column: str, a: str, b: str) -> bool:
    if column == "indicators":
        return _indicator_set(a) == _indicator_set(b)
    return re.sub(r"\s+", " ", a).strip() == re.sub(r"\s+", " ", b).strip()


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _change(old: str, new: str, column: str = "", context: int = 8) -> str:
    """'“A” → “B”', or for long texts only the part that differs: '“…以项目【增量】优化…” → …'."""
    if column == "indicators" and old and new:
        before, after = _indicator_set(old), _indicator_set(new)
        parts = []
        if before - after:
            parts.append(
                "去掉 " + "；".join(i for i in old.split("；") if i.strip() in before - after)
            )
        if after - before:
            parts.append(
                "增加 " + "；".join(i for i in new.split("；") if i.strip() in after - before)
            )
        if parts:
            return "，".join(parts)
    if len(old) <= 40 and len(new) <= 40:
        return (
            f"“{old}” → “{new}”"
            if old and new
            else (f"新填 “{new}”" if new else f"清空（原为 “{old}”）")
        )
    p = 0
    while p < min(len(old), len(new)) and old[p] == new[p]:
        p += 1
    s = 0
    while s < min(len(old), len(new)) - p and old[-1 - s] == new[-1 - s]:
        s += 1

    def show(text: str) -> str:
        mid = text[p : len(text) - s]
        left = ("…" if p > context else "") + text[max(0, p - context) : p]
        right = text[len(text) - s : len(text) - s + context] + ("…" if s > context else "")
        return f"“{left}【{mid}】{right}”"

    return f"{show(old)} → {show(new)}"
