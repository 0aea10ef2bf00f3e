"""``duban recover``: a lost or damaged ledger rebuilt from what is on disk, sending nothing.

What the disk still says, period by period (``2024Q1`` folders and the archive):

- the forms built (``<period>/forms/*.xlsx``, identified like a returned form);
- every return, replayed from the archive in its original intake order with its recorded
  source, sender and receipt time (``reporting.intake.arrivals``), through the same
  identification and checks; files still in the inbox that have no record (taken in before
  records were kept) are taken in as ``collect`` would; the office's 待核实 decisions again;
- the sends that can be known: every mail in the outbox (``reporting.recover.outbox``) is
  recorded as sent and claimed, so nothing goes out twice. Mail sent straight to a server
  and robot messages leave nothing: with a mail server configured, the receipt each unit's
  latest return would get is taken as sent (a receipt goes out right after collect), and
  the 通知/提醒/催报/逾期 steps whose day has come are marked done so the scheduler does not
  send them again; both are listed, and a manual ``duban remind`` should be checked with
  ``--dry-run`` first;
- the 督办单 issued and answered and the 通报's 发文字号, from their traces beside the ledger
  (``<data>/orders/``, ``<data>/numbers/``);
- the steps evidently done (forms, collect, the stages above, 配合反馈, report).

The new ledger is built in a temporary file beside the old one and swapped in with one
``os.replace`` (a kill leaves the old state or the complete new ledger); the damaged or
replaced one is kept under ``backups/`` (``damaged-ledger-…`` / ``replaced-ledger-…``, not
``ledger-*``, so it is never offered as a backup). Then each period's merged result is
written again from the new ledger. The caller holds the data dir's lock.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reporting.assess.bulletin import KIND, bulletin_path
from reporting.core.calendar import TZ, period_calendar
from reporting.core.config import Settings
from reporting.core.exceptions import DubanError, LedgerError, PeriodError
from reporting.core.ledger import Ledger, receipt_key
from reporting.core.ledger.numbers import number_trace
from reporting.core.ledger.sends import traced_results
from reporting.core.periods import Period
from reporting.core.states import (
    FEEDBACK_STAGE,
    RECEIPT_STAGE,
    SEND_STAGES,
    ReturnState,
    SendResult,
    Step,
)
from reporting.core.submissions import counts_text
from reporting.core.workspace import Workspace
from reporting.documents.sniff import Limits
from reporting.documents.spreadsheet import read_workbook
from reporting.feedback.compile import compile_feedback
from reporting.forms.plan_spec import plan_key, plan_year
from reporting.intake.arrivals import scan_arrivals
from reporting.intake.collect import collect, replay_arrivals
from reporting.intake.identify import identify
from reporting.intake.review import redo_decisions
from reporting.merge.collect_merge import ledger_answers, merge_period
from reporting.merge.plan_round import planned_assignments
from reporting.notify.receipts import KIND_CN
from reporting.notify.recipients import due_receipts
from reporting.recover.outbox import OutboxMail, read_outbox
from reporting.recover.plan_rebuild import keys_of, plan_years, rebuild_plan
from reporting.taskbook.assignments import Assignments
from reporting.taskbook.changes import restore as restore_changes
from reporting.taskbook.period_book import task_book

TEMP_PREFIX = ".ledger-rebuild-"


@dataclass
class PeriodRebuild:
    period: Period
    forms: int = 0
    replayed: int = 0  # returns and attachments from the archive's records
    from_inbox: int = 0  # inbox files without a record, taken in now
    states: dict[str, int] = field(default_factory=dict)
    decisions: list[str] = field(default_factory=list)
    sends: int = 0  # mails found in the outbox
    traced: int = 0  # sends the trace beside the ledger says went out
    presumed: list[str] = field(default_factory=list)  # receipts taken as sent
    failed: list[str] = field(default_factory=list)  # receipts the send trace says failed
    unknown: list[str] = field(default_factory=list)  # sends that cannot be known
    steps: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        s = self.states
        out = [
            f"{self.period.full_label}（{self.period}）：表格 {self.forms} 份；报送文件 "
            f"{self.replayed + self.from_inbox} 份（接收 {s.get(ReturnState.ACCEPTED, 0)}，"
            f"退回 {s.get(ReturnState.REJECTED, 0)}，无法识别 {s.get(ReturnState.UNIDENTIFIED, 0)}，"
            f"待核实 {s.get(ReturnState.HELD, 0)}）；据发件箱记为已发 {self.sends} 封"
            + (f"，据发送记录记为已发 {self.traced} 条" if self.traced else "")
        ]
        if self.from_inbox:
            out.append(
                f"  其中 {self.from_inbox} 份没有接收记录（升级前收取或尚未收取），按收件目录中的文件重新收取，报送时间取文件时间"
            )
        out += [f"  {line}" for line in self.decisions]
        if self.steps:
            out.append(f"  已完成的步骤：{'、'.join(self.steps)}")
        if self.presumed:
            out.append(
                f"  无法确认、已按“已发”记入台账（不会再发）的回执 {len(self.presumed)} 份："
                + "、".join(self.presumed)
            )
        if self.failed:
            out.append(
                f"  发送记录显示未发出的回执 {len(self.failed)} 份，下次回收时补发："
                + "、".join(self.failed)
            )
        out += [f"  无法确认：{line}" for line in self.unknown]
        if self.counts:
            c = self.counts
            out.append(
                f"  重建后：应报 {c['due']} 个单位，{counts_text(c)}；汇总表和 merged.json 已按新台账重写"
            )
        return out


@dataclass
class RecoverSummary:
    ledger: Path
    was: str  # missing | damaged | healthy
    kept_as: Path | None = None
    periods: list[PeriodRebuild] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def uncertain(self) -> bool:
        return any(p.unknown or p.presumed for p in self.periods)

    def lines(self) -> list[str]:
        why = {"missing": "不存在", "damaged": "已损坏", "healthy": "按要求重建"}[self.was]
        out = [f"台账 {self.ledger}（{why}）已按磁盘上的表格、归档和发件箱重建，没有发送任何消息。"]
        if self.kept_as is not None:
            out.append(f"原台账已另存为 {self.kept_as}。")
        for p in self.periods:
            out += p.lines()
        if not self.periods:
            out.append("数据目录里没有找到任何报告期的数据，新台账是空的。")
        out += self.notes
        if self.uncertain:
            out.append(
                "直接经邮件服务器或群机器人发出、又不在发送记录（sends-trace.jsonl）里的消息无从确认，"
                "以上“无法确认”的发送不会自动再发；"
                "如需手动发提醒，请先运行 duban remind --period <报告期> --dry-run 核对名单。"
            )
        return out


def ledger_state(path: Path) -> str:
    """missing | damaged | healthy (opens without changing anything)."""
    if not path.exists():
        return "missing"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return "damaged"
    return "healthy" if ok else "damaged"


def rebuild_ledger(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    *,
    now: datetime,
    force: bool = False,
) -> RecoverSummary:
    path = workspace.ledger_path
    was = ledger_state(path)
    if was == "healthy" and not force:
        raise LedgerError(
            f"台账 {path} 完好，不需要重建。确实要按磁盘上的文件重新建立（原台账会另存到 "
            f"{workspace.backups_dir}），请加 --force"
        )
    summary = RecoverSummary(path, was)
    _remove_temp(workspace.root)
    tmp = workspace.root / f"{TEMP_PREFIX}{os.getpid()}.sqlite"
    try:
        with Ledger(tmp, create=True) as ledger:
            # the task book of each period depends on the decisions: they come back first
            requests, decisions, unreadable = restore_changes(ledger, workspace.root)
            if requests or decisions:
                summary.notes.append(
                    f"销号、延期、调整：按 {workspace.changes_dir} 中的记录恢复申请 {requests} 项、"
                    f"审批 {decisions} 次"
                )
            summary.notes += [f"变更记录 {bad} 无法读取，未能恢复" for bad in unreadable]
            summary.notes += _restore_numbered(ledger, workspace)
            changes = ledger.approved_changes()
            scan = scan_arrivals(workspace.archive_dir)
            periods = _periods(workspace, scan.periods)
            years = plan_years(workspace, scan.periods)
            mails = read_outbox(
                _outbox(settings, workspace),
                keys_of(periods, years),
                list(assignments.registry.units),
            )

            def plan_sends(key: str) -> int:
                """The outbox's mails of a 落实方案 round recorded; how many."""
                out = PeriodRebuild(Period(plan_year(key) or 1, 1))
                mine = [m for m in mails if m.period == key]
                _sends(settings, assignments, key, ledger, mine, out)
                summary.notes += out.unknown
                return out.sends

            for year in years:  # first: the accepted plans are the quarters' 节点
                summary.notes += rebuild_plan(
                    settings,
                    assignments,
                    workspace,
                    year,
                    ledger,
                    now,
                    arrivals=scan.arrivals.get(plan_key(year), []),
                    sends=plan_sends,
                )
            if years:
                assignments = planned_assignments(assignments, ledger, settings.district.year)
            for period in periods:
                summary.periods.append(
                    _rebuild_period(
                        settings,
                        task_book(assignments.tasks, assignments.registry, changes, period),
                        workspace,
                        period,
                        ledger,
                        now,
                        arrivals=scan.arrivals.get(str(period), []),
                        mails=[m for m in mails if m.period == str(period)],
                    )
                )
            for bad in scan.unreadable:
                summary.notes.append(
                    f"归档记录 {bad} 无法读取，对应文件未能重建（请把该文件发给维护人员）"
                )
            ledger.conn.execute("PRAGMA journal_mode=DELETE")  # one file to swap in
        summary.kept_as = _install(tmp, path, was, workspace.backups_dir, now)
    except (sqlite3.DatabaseError, OSError, LedgerError) as exc:  # a full disk, no permission
        why = exc.__cause__ or exc if isinstance(exc, LedgerError) else exc
        raise LedgerError(
            f"重建台账失败（{why}），{path} 没有改动；请检查磁盘空间和 {workspace.root} 的写权限后"
            "重新运行 duban recover"
        ) from None
    finally:
        _remove_temp(workspace.root)
    with Ledger(path) as ledger:
        changes = ledger.approved_changes()
        for p in summary.periods:
            book = task_book(assignments.tasks, assignments.registry, changes, p.period)
            result, _ = merge_period(settings, book, workspace, p.period, ledger, now, rebuild=True)
            p.counts = result.unit_counts()
    return summary


def _restore_numbered(ledger: Ledger, workspace: Workspace) -> list[str]:
    """The 督办单 (numbers, rungs, 时限, answers) and the 通报's 发文字号 from their traces."""
    notes = []
    issued, answered, unreadable = ledger.restore_orders()
    if issued or answered:
        notes.append(
            f"督办单：按 {workspace.orders_dir} 中的记录恢复 {issued} 份（编号、督办等级、"
            f"整改时限），其中已由后一季度报送答复 {answered} 份"
        )
    notes += [f"督办单记录 {bad} 无法读取，未能恢复" for bad in unreadable]
    numbers, unreadable = ledger.restore_numbers()
    if numbers:
        notes.append(f"发文字号：按 {workspace.numbers_dir} 中的记录恢复 {numbers} 个")
    return notes + [f"发文字号记录 {bad} 无法读取，未能恢复" for bad in unreadable]


def _outbox(settings: Settings, workspace: Workspace) -> Path:
    return Path(settings.smtp.outbox) if settings.smtp.outbox else workspace.outbox_dir


def _periods(workspace: Workspace, recorded: list[str]) -> list[Period]:
    names = set(recorded) | {p.name for p in workspace.period_dirs()}
    out = []
    for name in names:
        try:
            out.append(Period.parse(name))
        except PeriodError:
            continue
    return sorted(out, key=str)


def _rebuild_period(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period,
    ledger: Ledger,
    now: datetime,
    *,
    arrivals: list,
    mails: list[OutboxMail],
) -> PeriodRebuild:
    out = PeriodRebuild(period)
    out.forms = _forms(settings, assignments, workspace, period, ledger)
    replayed = replay_arrivals(
        settings, assignments, workspace, period, arrivals, ledger=ledger, now=now
    )
    out.replayed = len(replayed.new) + len(replayed.attachments)
    if workspace.inbox_dir(period).is_dir():  # files with no record: as collect takes them
        rest = collect(settings, assignments, workspace, period, ledger=ledger, now=now, workers=1)
        out.from_inbox = len(rest.new) + len(rest.attachments)
    out.decisions = redo_decisions(ledger, period)
    for row in ledger.returns(period):
        out.states[row.state] = out.states.get(row.state, 0) + 1
    _sends(settings, assignments, period, ledger, mails, out)
    traced = _traced(period, ledger, out, outbox=bool(mails))
    _presume(settings, assignments, period, ledger, now, out)
    _steps(settings, workspace, period, ledger, now, mails, out, traced)
    return out


def _forms(settings, assignments, workspace, period, ledger) -> int:
    limits = Limits.from_settings(settings.intake)
    count = 0
    for path in sorted(workspace.forms_dir(period).glob("*.xlsx")):
        try:
            ident, _ = identify(read_workbook(path, limits), path.name, assignments)
        except (DubanError, OSError):
            continue
        if ident is None or ident.period != str(period) or not ident.form_id:
            continue
        if ident.unit not in assignments.registry.units:
            continue
        built = datetime.fromtimestamp(path.stat().st_mtime, TZ).isoformat(timespec="seconds")
        ledger.record_form(
            period, ident.unit, ident.form_id, str(path), ident.fingerprint, at=built
        )
        count += 1
    return count


def _record(ledger: Ledger, period, unit, stage, key, detail, at) -> None:
    ledger.restore_send(str(period), unit, stage, "email", key=key, detail=detail, at=at)


def _traced(period, ledger: Ledger, out, *, outbox: bool = False) -> dict[str, bool]:
    """The sends the trace beside the ledger says went out (straight to a server or a robot,
    nothing else on disk) recorded as sent again, with their Message-ID; a failed one stays
    unsent, to be sent again. Mail the outbox holds (``outbox``) is known from there: the
    trace is then read for the robots only. Reminder stage → whether every traced send of
    it went out."""
    stages: dict[str, bool] = {}
    for (p, stage, unit, channel, key), line in traced_results(ledger.path).items():
        if p != str(period) or (outbox and channel == "email"):
            continue
        sent = line.get("result") == SendResult.SENT
        if stage in {str(s) for s in SEND_STAGES}:
            stages[stage] = stages.get(stage, True) and sent
        if sent and ledger.restore_send(
            p,
            unit,
            stage,
            channel,
            key=key,
            message_id=str(line.get("message_id") or ""),
            detail="据发送记录重建",
            at=str(line.get("at") or ""),
        ):
            out.traced += 1
    return stages


def _sends(settings, assignments, period, ledger: Ledger, mails: list[OutboxMail], out) -> None:
    returns = ledger.returns(period)
    feedback: dict[str, str] | None = None
    for mail in mails:
        where = f"据发件箱 {mail.path.name} 重建"
        if mail.stage in KIND_CN.values():
            match = [r for r in returns if r.unit == mail.unit and r.sha256.startswith(mail.key8)]
            if not match:
                out.unknown.append(f"发件箱里的{mail.stage} {mail.path.name} 找不到对应的报送文件")
                continue
            key = receipt_key(match[-1].sha256)
            _record(
                ledger,
                period,
                mail.unit,
                RECEIPT_STAGE,
                key,
                f"{key} {mail.stage} {match[-1].source}：{where}",
                mail.at,
            )
        elif mail.stage == FEEDBACK_STAGE:
            # the version matching what the partners' returns say now is claimed with its
            # full key (coop-feedback skips it); an earlier version keeps its short key
            if feedback is None:
                feedback = _feedback_keys(settings, assignments, period, ledger)
            key = feedback.get(mail.unit, "")
            key = key if mail.key8 and key.startswith(mail.key8) else mail.key8
            _record(ledger, period, mail.unit, FEEDBACK_STAGE, key, where, mail.at)
        else:
            _record(ledger, period, mail.unit, mail.stage, "", where, mail.at)
        out.sends += 1


def _feedback_keys(settings, assignments, period: Period, ledger: Ledger) -> dict[str, str]:
    """lead unit → the key of the 配合单位反馈 its partners' returns in the ledger make now
    (what ``coop-feedback`` would claim next)."""
    cal = period_calendar(period, settings.deadline)
    answers = ledger_answers(ledger, period)
    received = {u: r["received_at"] for u, r in ledger.latest_accepted(period).items()}
    rows = assignments.for_period(period)  # as coop-feedback compiles them
    return {fb.unit: fb.key for fb in compile_feedback(rows, answers, received, cal.coop_due)}


def _presume(settings, assignments, period, ledger: Ledger, now, out: PeriodRebuild) -> None:
    """Mail straight to a server leaves no copy on disk: each unit's latest return was
    answered right after the collect that took it in — taken as sent, never sent again,
    unless the send trace beside the ledger (``sends-trace.jsonl``) says it failed."""
    if not (settings.smtp.host and settings.intake.receipts):
        return
    at = now.isoformat(timespec="seconds")
    traced = traced_results(ledger.path)
    dues, _ = due_receipts(assignments, ledger, period)
    for due in dues:
        row = due.row
        kind = KIND_CN["accepted" if row.state == ReturnState.ACCEPTED else "rejected"]
        key = receipt_key(row.sha256)
        line = traced.get((str(period), RECEIPT_STAGE, row.unit or "", "email", key), {})
        if line.get("result") == SendResult.SENT:
            continue  # known from the trace: recorded by ``_traced``
        if line.get("result") == SendResult.FAILED:
            out.failed.append(f"{row.unit}（{kind}）")  # left unclaimed: the next collect sends
            continue
        _record(
            ledger,
            period,
            row.unit,
            RECEIPT_STAGE,
            key,
            f"{key} {kind} {row.source}：重建台账时无法确认是否已发，按已发记",
            at,
        )
        out.presumed.append(f"{row.unit}（{kind}）")


def _steps(
    settings, workspace, period, ledger: Ledger, now, mails, out: PeriodRebuild, traced=None
) -> None:
    at = now.isoformat(timespec="seconds")
    done: dict[str, str] = {}
    if out.forms:
        done[Step.FORMS] = "据表格目录"
    if ledger.returns(period):
        done[Step.COLLECT] = "据归档"
    stages = {m.stage for m in mails}
    cal = period_calendar(period, settings.deadline)
    robots = bool(settings.webhook.wecom_url or settings.webhook.dingtalk_url)
    traced = traced or {}
    for stage in SEND_STAGES:
        if stage in stages:
            done[stage] = "据发件箱"
        elif stage in traced:  # every unit it reached is recorded; failed ones go again
            if traced[stage]:
                done[stage] = "据发送记录"
        elif (settings.smtp.host or robots) and cal.stages[stage] <= now.date():
            done[stage] = "推定（无法确认）"
            out.unknown.append(
                f"{stage}（{cal.stages[stage]:%Y-%m-%d} 起）是否已发、发给了哪些单位：定时任务不会再发；"
                f"手动发送前先运行 duban remind --period {period} --stage {stage} --dry-run"
            )
    if FEEDBACK_STAGE in stages:
        done[Step.COOP] = "据发件箱"
    if any(workspace.report_dir(period).glob("*.docx")):
        done[Step.REPORT] = "据报告目录"
    if bulletin_path(settings, workspace, period).exists():
        done[Step.BULLETIN] = "据通报文件"
        known = number_trace(workspace.root, KIND, str(period)).exists()  # else: older data
        what = "是否已发送" if known else "发文字号和是否已发送"
        out.unknown.append(
            f"督查通报已生成，但{what}无法从磁盘确认：定时任务不会再发；"
            f"不要再运行 duban bulletin --period {period} --send，除非已核实各单位没有收到"
        )
    for step, how in done.items():
        ledger.mark_step(period, step, at=at, detail=f"重建台账：{how}")
    names: dict[str, str] = {
        Step.FORMS: "生成表格",
        Step.COLLECT: "回收",
        Step.COOP: "配合反馈",
        Step.REPORT: "报告",
        Step.BULLETIN: "督查通报",
    }
    out.steps = [names.get(s, s) for s in done]


def _install(tmp: Path, path: Path, was: str, backups: Path, now: datetime) -> Path | None:
    """Swap the new ledger in: the old one first copied under ``backups/`` (its WAL
    checkpointed when it is healthy, moved along when not), then one ``os.replace``."""
    kept = None
    if was != "missing":
        if was == "healthy":
            conn = sqlite3.connect(path, timeout=30)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
        backups.mkdir(parents=True, exist_ok=True)
        stamp = now.strftime("%Y%m%d-%H%M%S")
        kept = backups / f"{'damaged' if was == 'damaged' else 'replaced'}-ledger-{stamp}.sqlite"
        n = 1
        while kept.exists():
            n += 1
            kept = kept.with_name(re.sub(r"(-\d+)?\.sqlite$", f"-{n}.sqlite", kept.name))
        shutil.copyfile(path, kept)
    for extra in ("-wal", "-shm", "-journal"):  # never beside the new file
        side = path.with_name(path.name + extra)
        if side.exists():
            if kept is not None and extra == "-wal":
                os.replace(side, kept.with_name(kept.name + extra))
            else:
                side.unlink()
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return kept


def _remove_temp(root: Path) -> None:
    """A rebuild killed before its swap leaves only its temporary file: removed (we hold the lock)."""
    for leftover in root.glob(f"{TEMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)
