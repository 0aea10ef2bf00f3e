"""Returns held as 待核实: a form that came in a mail from an address not registered for
its unit (``[intake] sender_check = "hold"``) counts for nothing until the office decides.

``held_returns`` lists the undecided ones; ``decide`` records the decision (who, when,
why) in the ledger: accepted → the return gets the verdict its check found (accepted, or
rejected with its problems) and is merged like any other; rejected → 退回 with the reason.
"""

from __future__ import annotations

from pathlib import Path

from reporting.core.exceptions import IntakeError
from reporting.core.ledger import Ledger
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.states import Level, ReturnState
from reporting.intake.arrivals import read_decision, write_decision
from reporting.intake.requests import register_held

SENDER_CODE = "sender_unverified"


def held_returns(ledger: Ledger, period: Period | str) -> list:
    """The period's 待核实 returns not decided yet (ledger rows with sender and verdict)."""
    return [r for r in ledger.reviews(str(period)) if r["decision"] is None]


def decide(
    ledger: Ledger,
    period: Period | str,
    return_id: int,
    *,
    accept: bool,
    reason: str = "",
    by: str,
    at: str,
) -> str:
    """Accept or reject held return ``return_id``; the Chinese line saying what was done."""
    rows = {r["id"]: r for r in ledger.reviews(str(period))}
    row = rows.get(return_id)
    if row is None:
        listed = "、".join(str(i) for i, r in rows.items() if r["decision"] is None) or "（没有）"
        raise IntakeError(
            f"{period} 没有编号为 {return_id} 的待核实报送；待核实的编号：{listed}"
            f"（运行 duban review --period {period} 查看）"
        )
    if row["decision"] is not None:
        raise IntakeError(
            f"编号 {return_id} 已于 {row['decided_at']} 由 {row['decided_by']} 处理过"
            f"（{'采用' if row['decision'] == 'accepted' else '退回'}），不能再改"
        )
    kept = [p for p in Ledger.problems_of(row) if p.get("code") != SENDER_CODE]
    if accept:
        note = Problem(
            f"发件人 {row['sender']} 不是登记的邮箱，经 {by} 核实后采用（{at[:16].replace('T', ' ')}）",
            code=SENDER_CODE,
            level=Level.WARNING,
        )
        state = row["verdict"]
        problems = [*kept, note.to_dict()]
    else:
        if not reason.strip():
            raise IntakeError("退回时请用 --reason 写明原因（会写入退回清单和退回通知）")
        note = Problem(
            f"经核实不予采用（发件人 {row['sender']}）：{reason.strip()}", code=SENDER_CODE
        )
        state = ReturnState.REJECTED
        problems = [*kept, note.to_dict()]
    kept_file = ledger.file(row["sha256"])
    if kept_file is not None:  # before the ledger: ``duban recover`` applies it again
        write_decision(
            Path(kept_file.archive_path),
            str(period),
            {"accept": accept, "reason": reason.strip(), "by": by, "at": at},
        )
    ledger.decide_review(
        return_id,
        "accepted" if accept else "rejected",
        state=state,
        problems=problems,
        by=by,
        at=at,
        reason=reason.strip(),
    )
    data = ledger.answers_of(str(period), row["sha256"]) or {}
    if accept and state == ReturnState.ACCEPTED and data.get("requests"):  # 销号/延期/调整
        register_held(
            ledger,
            ledger.path.parent,  # the data dir (the ledger lives at its root)
            str(period),
            row["unit"],
            row["sha256"],
            row["received_at"] if "received_at" in row.keys() else at,
            data["requests"],
        )
    word = "采用" if accept else "退回"
    return f"已{word}编号 {return_id}：{row['unit']}，{row['source']}（处理人 {by}）"


def redo_decisions(ledger: Ledger, period: Period | str) -> list[str]:
    """Apply the decisions kept beside held returns' copies again (a rebuilt ledger): the
    lines saying what was applied."""
    done = []
    for row in held_returns(ledger, period):
        kept_file = ledger.file(row["sha256"])
        found = read_decision(Path(kept_file.archive_path), str(period)) if kept_file else None
        if found is None:
            continue
        done.append(
            decide(
                ledger,
                period,
                row["id"],
                accept=bool(found.get("accept")),
                reason=str(found.get("reason", "")) or "（原因未记录）",
                by=str(found.get("by", "")),
                at=str(found.get("at", "")),
            )
        )
    return done
