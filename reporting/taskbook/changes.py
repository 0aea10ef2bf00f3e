"""The office's side of 销号/延期/调整: requests recorded, decided, listed and put back.

Every write goes to disk first (``reporting.core.changes``: one JSON per request and per
decision under ``<data>/changes/<period>/``), then to the ledger; ``restore`` replays the
files into a new ledger (``duban recover``). A decision is a new version of its task;
nothing is overwritten.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from reporting.core.changes import (
    Change,
    ChangeDecision,
    ChangeKind,
    ChangeRequest,
    Source,
    Verdict,
    scan_changes,
    write_decision,
    write_request,
)
from reporting.core.exceptions import ChangeError, TaskTableError
from reporting.core.ledger import Ledger
from reporting.core.periods import Period
from reporting.taskbook.tasks import Task, parse_indicators


def deadline_text(iso: str) -> str:
    """'2025-06-30' → '2025年6月' (a month's last day), '2025-06-15' → '2025年6月15日'."""
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    if d.day == calendar.monthrange(d.year, d.month)[1]:
        return f"{d.year}年{d.month}月"
    return f"{d.year}年{d.month}月{d.day}日"


def request_problem(request: ChangeRequest, task: Task | None) -> str:
    """Why ``request`` cannot stand for ``task`` as it is now ('' when it can); intake and
    ``duban changes --add`` ask the same."""
    if task is None:
        return f"任务编号“{request.task_id}”不在本季度的任务表中"
    if request.kind not in ChangeKind.choices():
        return f"申请类别“{request.kind}”不对，应为 {'、'.join(ChangeKind.choices())} 之一"
    if request.kind == ChangeKind.EXTEND:
        if not request.deadline:
            return "申请延期但没有写明新的完成时限（如“2025年6月底前”）"
        if task.deadline and request.deadline <= task.deadline:
            return (
                f"申请延期至{deadline_text(request.deadline)}，"
                f"不晚于现在的完成时限{deadline_text(task.deadline)}"
            )
    if request.kind == ChangeKind.ADJUST:
        if request.indicators:
            try:
                parse_indicators(request.indicators)
            except TaskTableError as exc:
                return str(exc)
        if not (request.indicators or request.content or request.text):
            return "申请调整但没有写明调整后的目标、指标或表述"
    return ""


def submit(ledger: Ledger, root: Path, request: ChangeRequest) -> ChangeRequest:
    """Record ``request`` once (by its key): numbered, written to disk, then to the ledger."""
    for kept in ledger.change_requests(request.period):
        if kept.key == request.key:
            return kept
    request = replace(request, no=ledger.next_request_no(request.period))
    write_request(root, request)
    return ledger.record_request(request, numbered=False)


def decide(
    ledger: Ledger,
    root: Path,
    period: Period,
    no: int,
    *,
    approve: bool,
    decided_in: Period,
    at: str,
    doc_no: str = "",
    by: str = "",
    reason: str = "",
) -> ChangeDecision:
    """The office's decision on request ``no`` of ``period``: a new version of its task."""
    request = ledger.change_request(period, no)
    if request is None:
        raise ChangeError(
            f"{period} 没有编号为 {no} 的申请，请先用 duban changes --period {period} 查看"
        )
    if not approve and not reason.strip():
        raise ChangeError("不予批准时请用 --reason 写明理由")
    decision = ChangeDecision(
        period=request.period,
        no=request.no,
        task_id=request.task_id,
        seq=ledger.next_decision_seq(request.task_id),
        verdict=Verdict.APPROVED if approve else Verdict.REJECTED,
        decided_in=str(decided_in),
        doc_no=doc_no.strip(),
        by=by,
        reason=reason.strip(),
        at=at,
    )
    write_decision(root, decision)
    ledger.record_decision(decision)
    return decision


def add_decided(
    ledger: Ledger,
    root: Path,
    request: ChangeRequest,
    task: Task | None,
    *,
    at: str,
    doc_no: str = "",
    by: str = "",
) -> tuple[ChangeRequest, ChangeDecision]:
    """A change the office decided itself: recorded as a request and approved at once."""
    why = request_problem(request, task)
    if why:
        raise ChangeError(why)
    request = submit(ledger, root, replace(request, source=Source.OFFICE, received_at=at))
    decision = decide(
        ledger,
        root,
        Period.parse(request.period),
        request.no,
        approve=True,
        decided_in=Period.parse(request.period),
        at=at,
        doc_no=doc_no,
        by=by,
    )
    return request, decision


def restore(ledger: Ledger, root: Path) -> tuple[int, int, list[str]]:
    """Put every request and decision written under ``<root>/changes`` back into ``ledger``
    (kept ones untouched): (requests added, decisions added, files not readable)."""
    requests, decisions, bad = scan_changes(root)
    known = {r.key for r in ledger.change_requests()}
    added = 0
    for r in requests:
        if r.key not in known:
            ledger.record_request(r, numbered=False)
            added += 1
    decided = sum(ledger.record_decision(d) for d in decisions)
    return added, decided, bad


# -- listing -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Listed:
    """A request with its decisions, as ``duban changes`` and the documents show it."""

    request: ChangeRequest
    decisions: tuple[ChangeDecision, ...]

    @property
    def latest(self) -> ChangeDecision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def verdict(self) -> Verdict:
        return Verdict(self.latest.verdict) if self.latest else Verdict.PENDING

    def to_json(self) -> dict:
        return {
            **self.request.to_dict(),
            "verdict": str(self.verdict),
            "decisions": [d.to_dict() for d in self.decisions],
        }


def listing(ledger: Ledger, period: Period | None = None) -> list[Listed]:
    """Requests of ``period`` (None: all) with their decisions, oldest first."""
    by_request: dict[tuple[str, int], list[ChangeDecision]] = {}
    for d in sorted(ledger.change_decisions(), key=lambda d: (d.at, d.seq)):
        by_request.setdefault((d.period, d.no), []).append(d)
    return [
        Listed(r, tuple(by_request.get((r.period, r.no), ())))
        for r in ledger.change_requests(None if period is None else str(period))
    ]


def targets_text(indicators: str) -> str:
    """The task table's '新增就业人员=3800人;…' as a page says it: 新增就业人员3800人、…"""
    try:
        return "、".join(f"{i.name}{i.target_text}" for i in parse_indicators(indicators))
    except TaskTableError:
        return indicators


def what_asked(request: ChangeRequest) -> str:
    """'延期至2025年6月' / '调整：指标调整为新增就业人员3800人' / '销号'."""
    if request.kind == ChangeKind.EXTEND and request.deadline:
        return f"延期至{deadline_text(request.deadline)}"
    if request.kind == ChangeKind.ADJUST:
        parts = []
        if request.indicators:
            parts.append(f"指标调整为{targets_text(request.indicators)}")
        if request.content:
            parts.append(f"表述调整为“{request.content}”")
        return "调整：" + ("；".join(parts) or request.text)
    return str(request.kind)


def change_mark(change: Change, *, inline: bool = False) -> str:
    """The mark of a changed row: '经批准延期至2025年6月（禹政秘〔2024〕12号）'; ``inline``
    (inside brackets already): '经批准延期至2025年6月，禹政秘〔2024〕12号'."""
    no = change.decision.doc_no
    doc = (f"，{no}" if inline else f"（{no}）") if no else ""
    r = change.request
    if r.kind == ChangeKind.CLOSE:
        return f"经批准销号{doc}"
    if r.kind == ChangeKind.EXTEND:
        return f"经批准延期至{deadline_text(r.deadline)}{doc}"
    return f"经批准{what_asked(r)}{doc}"


def listing_lines(items: list[Listed], task_label) -> list[str]:
    """``duban changes`` as text: one block per request."""
    out: list[str] = []
    for item in items:
        r = item.request
        who = r.unit or str(Source.OFFICE)
        out.append(
            f"{r.period} 编号 {r.no}：{who} 任务{task_label(r.task_id)} {what_asked(r)}"
            f"〔{item.verdict}〕"
        )
        if r.reason:
            out.append(f"    理由：{r.reason}")
        evidence = "；".join(r.evidence) or r.evidence_note
        if evidence:
            out.append(f"    佐证材料：{evidence}")
        out.append(f"    收到：{r.received_at[:16].replace('T', ' ')}（{r.source}）")
        for d in item.decisions:
            doc = f"，{d.doc_no}" if d.doc_no else ""
            note = f"，理由：{d.reason}" if d.reason else ""
            out.append(
                f"    第{d.seq}版 {d.verdict}{doc}（{d.by or '未署名'}，"
                f"{d.at[:16].replace('T', ' ')}）{note}"
            )
    return out


def task_id_of(text: str) -> str:
    """What a person types for a task → its id: '8（2）', '8(2)', '8.2', '８（２）' → '8.2'."""
    import unicodedata

    plain = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    plain = plain.replace("(", ".").replace(")", "").replace("-", ".")
    return plain.rstrip(".")
