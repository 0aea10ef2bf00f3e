"""Build each unit's progress form (.xlsx) for a period, laid out by ``reporting.forms.formspec``.

``build_forms`` writes one workbook per unit with rows (lead and/or cooperation), shows the
unit's accepted answers of the previous period (when its merged.json exists) in a locked
reference column, records every form in the ledger, and never overwrites a form already
sent with the 通知 unless ``force``. One unit's failure is reported in the summary; the
batch goes on. ``write_form`` puts one workbook together: its sheets' content is
``sheets``, how they print ``print_layout``, what may be typed where ``validations``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import chain
from pathlib import Path

from openpyxl.packaging.core import DocumentProperties
from openpyxl.packaging.custom import CustomPropertyList, StringProperty

from reporting.core.calendar import period_calendar, weekday_cn
from reporting.core.config import Settings
from reporting.core.exceptions import DubanError, FormError
from reporting.core.fileutil import SyncLater, clean_text
from reporting.core.ledger import Ledger
from reporting.core.pace import status_rule
from reporting.core.parallel import ordered_map
from reporting.core.periods import Period, chinese_date
from reporting.core.previous import previous_answers, previous_result
from reporting.core.states import Role
from reporting.core.workspace import Workspace
from reporting.documents import xlsx_direct as xd
from reporting.documents import xlsx_style as st
from reporting.forms import formspec as fs
from reporting.forms import sheets
from reporting.forms.request_sheet import request_sheet
from reporting.forms.sheets import FormContext
from reporting.taskbook.assignments import Assignments, UnitRows

LEDGER_BATCH = 50  # form records per ledger commit


@dataclass
class UnitForm:
    unit: str
    path: Path
    form_id: str
    fingerprint: str
    lead_rows: int
    coop_rows: int
    reference_rows: int = 0  # rows showing last quarter's answer (locked, for reference)
    partner_rows: int = 0  # lead rows showing the partners' feedback (locked, for reference)


@dataclass
class FormsSummary:
    period: Period
    out_dir: Path
    built: list[UnitForm] = field(default_factory=list)
    skipped_sent: list[str] = field(default_factory=list)
    no_rows: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    previous_label: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.built:
            lead = sum(f.lead_rows for f in self.built)
            coop = sum(f.coop_rows for f in self.built)
            out.append(
                f"已生成 {len(self.built)} 个单位的{self.period.full_label}进展情况表"
                f"（牵头任务 {lead} 行，配合任务 {coop} 行），保存在 {self.out_dir}"
            )
            ref = [f for f in self.built if f.reference_rows]
            if ref:
                out.append(
                    f"其中 {len(ref)} 个单位的表单在“上季度报送情况（供参考）”列列出了"
                    f"{self.previous_label}已采纳的内容（共 {sum(f.reference_rows for f in ref)} 行，"
                    "锁定，仅供参考）；填报格一律留空，由单位按本季度情况填写"
                )
        if self.skipped_sent:
            out.append(
                f"跳过 {len(self.skipped_sent)} 个单位：表单已随通知下发，重新生成会与单位手中的表单不一致"
                f"（{'、'.join(self.skipped_sent)}）。确需覆盖请加 --force，并重新下发"
            )
        if self.no_rows:
            out.append(f"以下单位没有需要填报的任务，未生成表单：{'、'.join(self.no_rows)}")
        for unit, message in self.failed:
            out.append(f"{unit}：表单生成失败，{message}")
        out.extend(self.notes)
        if not out:
            out.append("没有需要生成的表单。")
        return out


# -- the step ------------------------------------------------------------------
def build_forms(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    *,
    units: Iterable[str] | None = None,
    force: bool = False,
    out_dir: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
    ledger: Ledger | None = None,
    workers: int | None = None,
    now: datetime,
) -> FormsSummary:
    """Write the forms of ``period`` (all units with rows, or ``units``); see module doc.

    ``workers``: processes writing workbooks (None: one per core for a large batch, 1:
    serial); the files and the ledger are the same either way."""
    own_ledger = ledger is None
    build = FormsBuild(
        settings,
        assignments,
        workspace,
        period,
        units=units,
        force=force,
        out_dir=out_dir,
        progress=progress,
        workers=workers,
        now=now,
    )
    ledger = ledger or Ledger(workspace.ledger_path)
    try:
        build.start(ledger)
        return build.finish()
    finally:
        if own_ledger:
            ledger.close()


class FormsBuild:
    """The forms of one run, recorded a batch at a time, so that another piece of work can
    go on between batches (the 通知: ``notify.remind.send_reminders(building=…)``).

    Made, it has checked the task table and the wording templates (nothing written yet) and
    knows which units it will write (``coming``); ``start`` sets the workers going; each
    ``step`` records the next batch (files on disk first) and tells which units it finished,
    ``(unit, built)``, empty when all are done. Nothing may be held in a ledger transaction
    across a ``step``: a send's held result is committed first."""

    def __init__(
        self,
        settings: Settings,
        assignments: Assignments,
        workspace: Workspace,
        period: Period | str,
        *,
        units: Iterable[str] | None = None,
        force: bool = False,
        out_dir: Path | str | None = None,
        progress: Callable[[str], None] | None = None,
        workers: int | None = None,
        now: datetime,
    ):
        period = Period.parse(period)
        _refuse_broken_table(assignments)
        assignments = assignments.for_period(period)
        targets, no_rows = select_units(assignments, units)
        previous, notes = _previous_answers(workspace, period)
        ctx = form_context(settings, period, now, bool(previous))
        if targets:  # a broken wording template fails once, before any file is written
            sheets.guide_notes(ctx, targets[0], references=1)
        out = Path(out_dir) if out_dir else workspace.forms_dir(period)
        self.summary = FormsSummary(
            period, out, no_rows=no_rows, notes=notes, previous_label=ctx.previous_label
        )
        self.workspace, self.period, self.ctx, self.now = workspace, period, ctx, now
        self.targets, self.previous = targets, previous
        self.force, self.out_dir, self.progress, self.workers = force, out_dir, progress, workers
        self.coming: set[str] = set()  # the units whose form this run writes
        self.error: Exception | None = None
        self._todo: list[tuple[str, tuple | None]] = []

    def start(self, ledger: Ledger) -> None:
        """Decide which units to write (reads only, in order) and set the workers going."""
        self.ledger = ledger
        used: set[Path] = set()
        for rows in self.targets:
            unit = rows.unit
            if not self.force and ledger.notice_sent(self.period, unit):
                self._todo.append((unit, None))
                continue
            path = _target_path(self.workspace, self.period, unit, self.out_dir, used)
            self._todo.append((unit, (path, rows, self.previous.get(unit, {}))))
            self.coming.add(unit)
        # the workbooks, over the cores; the ledger in the parent, in the same order. All
        # are handed out at once: the workers go on while the caller does other work
        jobs = [job for _, job in self._todo if job is not None]
        written = ordered_map(
            _write_job, self.ctx, jobs, count=len(jobs), workers=self.workers, window=None
        )
        first = next(written, None)  # the pool starts now, not at the first step
        self._written = chain([first], written) if first is not None else written
        self._at = self.now.isoformat(timespec="seconds")
        self._next = 0

    def finish(self) -> FormsSummary:
        """The remaining batches; the error a step met is raised here (again)."""
        while self.step():
            pass
        if self.error is not None:
            raise self.error
        return self.summary

    def step(self) -> list[tuple[str, bool]]:
        """Record the next batch (``LEDGER_BATCH`` forms; their files reach the disk together
        before the commit that records them): the units finished, ``(unit, built)``. After
        an error (raised once, kept in ``error``) nothing more is done."""
        if self.error is not None or self._next >= len(self._todo):
            return []
        try:
            return self._batch()
        except Exception as exc:
            self.error = exc
            raise

    def _batch(self) -> list[tuple[str, bool]]:
        finished: list[tuple[str, bool]] = []
        self.ledger.settle()  # a send's held result: committed on its own, not in this batch
        later = SyncLater()
        recorded = 0
        with self.ledger.batched(LEDGER_BATCH, before_commit=later.sync):
            while self._next < len(self._todo) and recorded < LEDGER_BATCH:
                unit, job = self._todo[self._next]
                self._next += 1
                if job is None:
                    self.summary.skipped_sent.append(unit)
                else:
                    form, error = next(self._written)
                    if form is None:
                        self.summary.failed.append((unit, error))
                    else:
                        later.add(form.path)  # a form not recorded is built again
                        self.ledger.record_form(
                            self.period,
                            unit,
                            form.form_id,
                            str(form.path),
                            form.fingerprint,
                            at=self._at,
                        )
                        self.summary.built.append(form)
                        recorded += 1
                    finished.append((unit, form is not None))
                if self.progress:
                    self.progress(unit)
        return finished or self.step()  # a batch of units skipped only


def refresh_form(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    unit: str,
    partners: dict[str, str],
    *,
    path: Path,
    as_of: str,
    now: datetime,
    previous: dict[str, dict] | None = None,
    later: SyncLater | None = None,
) -> UnitForm:
    """The unit's form again with its partners' feedback (lead task id → text) in the locked
    配合单位反馈（供参考） column, as mailed with the 配合反馈. The identification is the
    original's (form id, row fingerprints), so intake takes either copy as the unit's form
    and the latest return wins; last quarter's reference is the same; editable cells are
    empty. Not recorded in the ledger: the original stays the form of record. ``previous``:
    last quarter's answers (``form_previous``), read here when not given; a caller writing
    every lead unit's copy reads them once (a city's merged.json is megabytes). ``later``:
    flushed to disk with the caller's batch."""
    period = Period.parse(period)
    assignments = assignments.for_period(period)
    if previous is None:
        previous = form_previous(workspace, period)
    ctx = replace(form_context(settings, period, now, bool(previous)), partners_as_of=as_of)
    rows = assignments.for_unit(unit)
    return write_form(path, ctx, rows, previous.get(unit, {}), partners, later)


def _write_job(ctx: FormContext, job: tuple) -> tuple[UnitForm | None, str]:
    """One unit's workbook (in a worker process or here): the form, or why it failed. It
    is not flushed to disk here: the caller syncs its batch before recording it."""
    path, rows, previous = job
    try:
        return write_form(path, ctx, rows, previous, later=SyncLater()), ""
    except (DubanError, OSError) as exc:
        return None, str(exc)


def _refuse_broken_table(assignments: Assignments) -> None:
    """A name the registry cannot resolve would silently leave a row off every form."""
    errors = [p for p in assignments.check() if p.error]
    if errors:
        more = f"等 {len(errors)} 处" if len(errors) > 1 else ""
        raise FormError(
            f"任务表有错误，未生成表单：{errors[0]}{more}。请运行 duban check 查看并改正后重试"
        )


def select_units(
    assignments: Assignments, names: Iterable[str] | None
) -> tuple[list[UnitRows], list[str]]:
    """The units to build for ``names`` (all units with rows when empty), and the names
    that get no form. Names may be aliases or groups (各乡镇); an unknown name raises
    RegistryError with suggestions before anything is written."""
    if not names:
        return list(assignments.by_unit.values()), []
    reg = assignments.registry
    targets: list[UnitRows] = []
    empty: list[str] = []
    seen: set[str] = set()
    for name in names:
        res = reg.resolve_units(name)
        if res.unknown or not (res.names or res.collectives):
            reg.unit(name)  # raises with close matches
        for collective in res.collectives:
            empty.append(f"{collective}（泛指的提法，不单独填报）")
        for unit in res.names:
            if unit in seen:
                continue
            seen.add(unit)
            rows = assignments.for_unit(unit)
            if rows.count:
                targets.append(rows)
            else:
                empty.append(unit)
    return targets, empty


def _target_path(workspace: Workspace, period: Period, unit: str, out_dir, used: set[Path]) -> Path:
    path = workspace.form_path(period, unit)
    if out_dir:
        path = Path(out_dir) / path.name
    if path in used:  # two names that differ only in unsafe characters
        path = path.with_name(f"{path.stem}_{fs.form_id(period, unit)[-4:]}{path.suffix}")
    used.add(path)
    return path


def form_context(
    settings: Settings, period: Period, now: datetime, has_previous: bool
) -> FormContext:
    deadline = period_calendar(period, settings.deadline).deadline
    d = settings.district
    return FormContext(
        period=period,
        title=fs.title(d.name, period.year, d.document_title, period),
        deadline_text=f"{chinese_date(deadline.date())}（{weekday_cn(deadline.date())}）{deadline:%H:%M} 前",
        contact=settings.forms.contact or d.office,
        office=d.office,
        password=settings.forms.password or settings.secrets.form_password,
        max_text_chars=settings.forms.max_text_chars,
        generated_at=now,
        previous_label=period.previous().full_label if has_previous else "",
        templates=settings.paths.templates,
        status_rule=status_rule(period.expected_progress, settings.merge),
    )


def form_previous(workspace: Workspace, period: Period | str) -> dict[str, dict]:
    """unit → {(role, task id): Answer} from last quarter, as the forms show it."""
    return _previous_answers(workspace, Period.parse(period))[0]


def _previous_answers(workspace: Workspace, period: Period) -> tuple[dict[str, dict], list[str]]:
    """unit → {(role, task id): Answer} from last quarter (``reporting.core.previous``)."""
    result, note = previous_result(workspace, period, "本次表单不列上季度报送情况")
    out: dict[str, dict] = {}
    for (unit, role, task_id), answer in previous_answers(result).items():
        out.setdefault(unit, {})[(role, task_id)] = answer
    return out, [note] if note else []


# -- one workbook -------------------------------------------------------------------
def write_form(
    path: Path,
    ctx: FormContext,
    rows: UnitRows,
    previous: dict | None = None,
    partners: dict[str, str] | None = None,
    later: SyncLater | None = None,
) -> UnitForm:
    """Write one unit's workbook atomically to ``path``. ``partners``: lead task id → the
    partners' feedback to show in the locked 配合单位反馈（供参考） column (the copy sent
    with the 配合反馈); the column stays hidden without it. ``later``: flushed to disk
    with the caller's batch (``fileutil.atomic_path``)."""
    previous = previous or {}
    partners = partners or {}
    unit = rows.unit
    ident = fs.FormIdentity.build(
        ctx.period,
        unit,
        rows.lead,
        rows.coop,
        generated_at=ctx.generated_at.isoformat(timespec="seconds"),
    )
    wb = xd.Book(st.BODY)  # 宋体 the default font (xlsx_style.use_chinese_default_font)
    guide = wb.create_sheet(fs.SHEET_GUIDE)  # first, filled last (styles in openpyxl's order)
    references = 0
    shown = {tid: text for tid, text in partners.items() if text} if rows.lead else {}
    id_rows: list[tuple[str, int, str, str]] = []
    for role, task_rows in (("lead", rows.lead), ("coop", rows.coop)):
        if task_rows:
            mine = shown if role == Role.LEAD else {}
            references += sheets.task_sheet(wb, role, task_rows, ident, ctx, previous, mine)
            sheet = fs.TASK_SHEETS[role]
            id_rows += [
                (sheet, fs.FIRST_DATA_ROW + i, r.id, r.task.fingerprint())
                for i, r in enumerate(task_rows)
            ]
    partner_rows = sum(1 for r in rows.lead if r.id in shown)
    sheets.previous_sheet(wb, ident, rows, previous, ctx)
    sheets.guide_sheet(guide, ident, ctx, rows, references, partner_rows)
    if rows.lead:
        request_sheet(wb, unit, ctx.period.full_label, ctx.password, sheets.put, ident.form_id)
    sheets.id_sheet(wb, ident, id_rows, ctx)
    sheets.lookup_sheet(wb, ctx, rows.lead)
    save_form(wb, path, ident, ctx, later)
    return UnitForm(
        unit=unit,
        path=path,
        form_id=ident.form_id,
        fingerprint=ident.fingerprint,
        lead_rows=len(rows.lead),
        coop_rows=len(rows.coop),
        reference_rows=references,
        partner_rows=partner_rows,
    )


def save_form(
    wb: xd.Book, path: Path, ident, ctx: FormContext, later: SyncLater | None = None
) -> None:
    """Save a form (or a 落实方案表) with its identity atomically; a disk that will not take
    it is a ``FormError`` saying so."""
    props, custom = _identify_workbook(wb, ident, ctx)
    try:
        xd.save(wb, path, ctx.generated_at, props, custom, ctx.password, later)
    except OSError as exc:
        raise FormError(
            f"无法写入 {path}（{exc.strerror or exc}），请检查目录权限和磁盘空间"
        ) from None


def _identify_workbook(
    wb: xd.Book, ident, ctx: FormContext
) -> tuple[DocumentProperties, CustomPropertyList]:
    """The form's identity as a defined name and document properties; the workbook's
    structure is protected when saved (sheets cannot be unhidden, renamed or deleted)."""
    text = clean_text(ident.encode()).replace('"', '""')
    wb.names.append((fs.IDENT_NAME, f'"{text}"'))
    custom = CustomPropertyList()
    for key, prop in fs.CUSTOM_PROPS.items():
        custom.append(StringProperty(name=prop, value=clean_text(str(getattr(ident, key)))))
    props = DocumentProperties()
    props.title = f"{ctx.title}（{clean_text(ident.unit)}）"
    props.subject = ident.form_id
    props.creator = ctx.office
    props.lastModifiedBy = ctx.office
    props.keywords = f"duban {ident.period} {ident.form_id}"
    return props, custom
