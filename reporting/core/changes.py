"""Changes to the task book during the year: 销号, 延期 and 调整, requested and decided.

A unit asks on its form (sheet 「销号延期调整申请」) or the office records a change it decided
itself; the office approves (with a 文号) or rejects. Every decision is a new version of
its task, never an overwrite. Each request and each decision is written to disk as one
small JSON file BEFORE its ledger row (``<data>/changes/<period>/``), so ``duban recover``
can put every decision back.

A change decided in period P takes effect from the period after P (the task book of the
next quarter): the quarter it was decided in is judged by the version in force when its
forms went out.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from reporting.core.fileutil import atomic_write_text

VERSION = 1


class ChangeKind(StrEnum):
    """What a request asks for."""

    CLOSE = "销号"  # the task is done: off every later form, counted as done
    EXTEND = "延期"  # a new 完成时限
    ADJUST = "调整"  # a new target, indicator or wording

    @classmethod
    def choices(cls) -> list[str]:
        return [str(k) for k in cls]


class Verdict(StrEnum):
    """The office's decision on a request."""

    PENDING = "待审批"
    APPROVED = "已批准"
    REJECTED = "不予批准"


class Source(StrEnum):
    FORM = "单位申请"  # a row of the form's 申请 sheet
    OFFICE = "督查考核办"  # recorded by the office itself (``duban changes --add``)


@dataclass(frozen=True)
class ChangeRequest:
    """One request (or an office-made change) for one task row."""

    period: str  # the quarter it came in
    no: int  # its number within the period (``duban changes --approve N``)
    key: str  # unique: '<sha256 of the form>#<row>' or 'office-<period>-<no>'
    task_id: str
    kind: str  # ChangeKind
    text: str = ""  # 申请内容 as written
    deadline: str = ""  # 延期: the new 完成时限 (ISO date)
    content: str = ""  # 调整: the new wording ('' = unchanged)
    indicators: str = ""  # 调整: the new indicators, tasks.csv syntax ('' = unchanged)
    reason: str = ""  # 理由
    unit: str = ""  # who asked ('' for the office)
    source: str = Source.FORM
    evidence: tuple[str, ...] = field(default_factory=tuple)  # archived files (data-dir paths)
    evidence_note: str = ""  # 佐证材料 as the unit described it
    received_at: str = ""
    version: int = VERSION

    def to_dict(self) -> dict:
        data = asdict(self)
        data["evidence"] = list(self.evidence)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ChangeRequest:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["evidence"] = tuple(known.get("evidence") or ())
        return cls(**known)


@dataclass(frozen=True)
class ChangeDecision:
    """One decision on a request: a new version of its task, never an overwrite."""

    period: str  # the request's period
    no: int  # the request's number
    task_id: str
    seq: int  # version of the task: 1, 2, … over every decision on it
    verdict: str  # Verdict.APPROVED | Verdict.REJECTED
    decided_in: str  # the period the decision belongs to (takes effect after it)
    doc_no: str = ""  # 文号, e.g. 禹政秘〔2024〕12号
    by: str = ""
    reason: str = ""  # why rejected (or a note)
    at: str = ""
    version: int = VERSION

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ChangeDecision:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Change:
    """An approved change as the task book applies it."""

    request: ChangeRequest
    decision: ChangeDecision

    @property
    def kind(self) -> ChangeKind:
        return ChangeKind(self.request.kind)

    @property
    def task_id(self) -> str:
        return self.request.task_id

    @property
    def effective_after(self) -> str:
        return self.decision.decided_in


# -- the trace on disk ------------------------------------------------------------------
def changes_dir(root: Path, period: str) -> Path:
    return root / "changes" / period


def request_path(root: Path, request: ChangeRequest) -> Path:
    return changes_dir(root, request.period) / f"{request.no:04d}.request.json"


def decision_path(root: Path, decision: ChangeDecision) -> Path:
    return (
        changes_dir(root, decision.period) / f"{decision.no:04d}.decision-{decision.seq:03d}.json"
    )


def write_request(root: Path, request: ChangeRequest) -> Path:
    path = request_path(root, request)
    atomic_write_text(path, json.dumps(request.to_dict(), ensure_ascii=False, indent=1))
    return path


def write_decision(root: Path, decision: ChangeDecision) -> Path:
    path = decision_path(root, decision)
    atomic_write_text(path, json.dumps(decision.to_dict(), ensure_ascii=False, indent=1))
    return path


def scan_changes(root: Path) -> tuple[list[ChangeRequest], list[ChangeDecision], list[str]]:
    """Every request and decision written under ``<root>/changes`` (for ``duban recover``),
    in order, and the files that could not be read."""
    requests: list[ChangeRequest] = []
    decisions: list[ChangeDecision] = []
    bad: list[str] = []
    base = root / "changes"
    if not base.is_dir():
        return requests, decisions, bad
    for path in sorted(base.glob("*/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if ".request." in path.name:
                requests.append(ChangeRequest.from_dict(data))
            elif ".decision-" in path.name:
                decisions.append(ChangeDecision.from_dict(data))
        except (OSError, ValueError, TypeError):
            bad.append(str(path))
    requests.sort(key=lambda r: (r.period, r.no))
    decisions.sort(key=lambda d: (d.task_id, d.seq))
    return requests, decisions, bad
