"""The form's 「销号延期调整申请」 sheet read back: each filled row a request, checked like
the rest of the form (``[intake] change_requests``: "warn" accepts the form and leaves a
request that cannot stand unregistered, with a 校验提醒; "reject" returns the form).

A request can stand when its task is one the unit leads in the period's task book, its
kind is 销号/延期/调整, a 延期 names a date later than the task's 时限 and a 销号's task is
reported 100 % / 已完成 in the same return. Columns are found by their header, so a sheet
re-saved by another program is read the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from reporting.core.changes import ChangeKind, ChangeRequest
from reporting.core.fileutil import sha256_file
from reporting.core.ledger import Ledger
from reporting.core.model import Answer, UnitAnswers
from reporting.core.states import Level, Status
from reporting.core.workspace import Workspace
from reporting.documents.cells import cell_ref, cell_text
from reporting.documents.spreadsheet import SheetGrid
from reporting.forms import formspec as fs
from reporting.forms.request_sheet import REQUEST_HEADER_ROW, column_for_header
from reporting.intake.examination import Examination
from reporting.intake.inbox import archive_file
from reporting.taskbook.changes import request_problem, submit
from reporting.taskbook.import_dates import parse_deadline


@dataclass(frozen=True)
class RequestRow:
    """One filled row of the sheet, as the unit wrote it."""

    row: int  # 1-based row in the sheet
    task_id: str
    kind: str
    text: str
    reason: str
    evidence_note: str
    deadline: str = ""
    content: str = ""
    indicators: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def request(self, period: str, sha256: str, unit: str, received_at: str) -> ChangeRequest:
        return ChangeRequest(
            period=period,
            no=0,
            key=f"{sha256}#{self.row}",
            task_id=self.task_id,
            kind=self.kind,
            text=self.text,
            deadline=self.deadline,
            content=self.content,
            indicators=self.indicators,
            reason=self.reason,
            unit=unit,
            evidence_note=self.evidence_note,
            received_at=received_at,
        )


def _sheet(ex: Examination) -> SheetGrid | None:
    for sheet in ex.book.sheets:
        if sheet.name == fs.SHEET_REQUESTS:
            return sheet
    return None


def _columns(sheet: SheetGrid) -> tuple[int, dict[str, int]]:
    """The header row (0-based) and column key → 0-based column, found by header text."""
    for r in range(min(sheet.height, REQUEST_HEADER_ROW + 6)):
        found = {}
        for c, value in enumerate(sheet.rows[r]):
            key = column_for_header(cell_text(value))
            if key:
                found[key] = c
        if {"task", "kind", "content"} <= set(found):
            return r, found
    return -1, {}


def _done(answer: Answer | None) -> bool:
    return answer is not None and (
        (answer.percent is not None and answer.percent >= 100) or answer.status == Status.DONE
    )


def read_requests(ex: Examination, answers: UnitAnswers) -> list[RequestRow]:
    """The requests that can stand; each one that cannot is a problem of the form."""
    sheet = _sheet(ex)
    if sheet is None:
        return []
    header, cols = _columns(sheet)
    if header < 0:
        return []
    level = Level.ERROR if ex.settings.intake.change_requests == "reject" else Level.WARNING
    after = "" if level == Level.ERROR else "，本条申请未登记"
    lead = {r.id: r for r in ex.assignments.for_unit(ex.unit).lead}
    out: list[RequestRow] = []
    for r in range(header + 1, sheet.height):

        def text(key: str, r: int = r) -> str:
            return cell_text(sheet.value(r, cols[key])).strip() if key in cols else ""

        task_text, kind, content = text("task"), text("kind"), text("content")
        if not (task_text or kind or content):
            continue
        cell = cell_ref(r, cols["task"])
        task_id = fs.parse_task_label(task_text) or task_text
        row = RequestRow(
            row=r + 1,
            task_id=task_id,
            kind=kind,
            text=content,
            reason=text("reason"),
            evidence_note=text("evidence"),
        )
        if kind == ChangeKind.EXTEND:
            row = replace(row, deadline=parse_deadline(content, ex.period.year) or "")
        elif kind == ChangeKind.ADJUST:
            if "=" in content or "＝" in content:
                row = replace(row, indicators=content.replace("＝", "="))
            else:
                row = replace(row, content=content)
        why = ""
        if task_id not in lead:
            why = f"任务编号“{task_text or '（空）'}”不是本单位本季度牵头的任务"
        elif kind == ChangeKind.CLOSE and not _done(answers.lead.get(task_id)):
            why = (
                f"申请销号的任务{lead[task_id].task.label}在“牵头任务”表中没有填报“已完成”、"
                "累计完成进度100%；完成后再申请销号"
            )
        else:
            why = request_problem(row.request(str(ex.period), "", ex.unit, ""), lead[task_id].task)
        if why:
            ex.problem(
                f"销号延期调整申请第{r + 1}行：{why}{after}",
                "change_request",
                sheet=sheet.name,
                cell=cell,
                level=level,
            )
            continue
        out.append(row)
    return out


def sibling_evidence(form: Path, limits) -> list[tuple[str, Path]]:
    """Files beside a form dropped into the inbox that are not forms themselves (批复, 验收
    报告, photos): the request's evidence."""
    from reporting.intake.mailbox import is_message, is_spreadsheet

    out: list[tuple[str, Path]] = []
    try:
        siblings = sorted(p for p in form.parent.iterdir() if p.is_file() and p != form)
    except OSError:
        return out
    for p in siblings:
        if p.name.startswith((".", "~$")) or is_spreadsheet(p, limits) or is_message(p):
            continue
        out.append((p.name, p))
    return out


def register_requests(
    ledger: Ledger,
    workspace: Workspace,
    period: str,
    unit: str,
    requests: list[RequestRow],
    *,
    sha256: str,
    received_at: str,
    evidence: list[tuple[str, Path]],
) -> list[ChangeRequest]:
    """The accepted return's requests into the ledger (once each, by file and row), each with
    the evidence archived: a mail's other attachments, or the files beside the form."""
    kept: list[str] = []
    for name, path in evidence:
        stored = path
        if workspace.archive_dir not in path.parents:
            try:
                stored = archive_file(path, sha256_file(path), workspace.archive_dir) or path
            except OSError:
                continue
        try:
            kept.append(f"{name}（{stored.relative_to(workspace.root)}）")
        except ValueError:  # not copied into the archive
            kept.append(name)
    return [
        submit(
            ledger,
            workspace.root,
            replace(r.request(period, sha256, unit, received_at), evidence=tuple(kept)),
        )
        for r in requests
    ]


def mail_evidence(mail, archive_dir: Path, limits) -> list[tuple[str, Path]]:
    """A mail's attachments that are not forms, archived: the evidence of its requests."""
    import hashlib

    from reporting.intake.inbox import archive_bytes
    from reporting.intake.mailbox import is_spreadsheet

    out: list[tuple[str, Path]] = []
    for att in mail.attachments:
        stored = archive_bytes(
            att.data, hashlib.sha256(att.data).hexdigest(), archive_dir, att.filename
        )
        if not is_spreadsheet(stored, limits):
            out.append((att.filename, stored))
    return out


def held_requests(requests: list[RequestRow], evidence: list[tuple[str, Path]]) -> dict:
    """A held return's requests and evidence, kept with its answers until ``duban review``."""
    return {
        "rows": [r.to_dict() for r in requests],
        "evidence": [[name, str(path)] for name, path in evidence],
    }


def register_held(
    ledger: Ledger, root: Path, period: str, unit: str, sha256: str, received_at: str, kept: dict
) -> list[ChangeRequest]:
    """The requests of a held return the office accepted (``held_requests``)."""
    return register_requests(
        ledger,
        Workspace(root),
        period,
        unit,
        [RequestRow(**row) for row in kept.get("rows", [])],
        sha256=sha256,
        received_at=received_at,
        evidence=[(name, Path(path)) for name, path in kept.get("evidence", [])],
    )
