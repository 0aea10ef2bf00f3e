"""What one collect run did (``CollectSummary``) and how the CLI says it: the files taken in
with their outcomes, the ones known before, skipped or failed, the saved mails read, and
the period's counts after the merge."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reporting.core.model import QuarterResult
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.states import Level, ReturnState
from reporting.core.submissions import counts_text

LIST_LIMIT = 30  # accepted files listed one by one in the CLI output up to this many


@dataclass
class FileOutcome:
    """What this run did with one inbox file."""

    source: str
    sha256: str
    state: str  # accepted | rejected | unidentified
    unit: str | None
    late: bool
    received_at: str
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CollectSummary:
    period: Period | str  # a quarter, or another round's key (2024plan)
    inbox: Path
    new: list[FileOutcome] = field(default_factory=list)
    known: list[str] = field(
        default_factory=list
    )  # content already recorded (rerun, duplicate copy)
    ignored: list[str] = field(default_factory=list)  # lock/temp files
    attachments: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # source, kind, unit
    failed: list[tuple[str, str]] = field(default_factory=list)  # could not be read from disk
    skipped: list[tuple[str, str]] = field(default_factory=list)  # links, special files: never read
    # files taken but set aside with the reason (a blank form of ours, a later quarter's
    # return handed on, a file the checks failed on): never blocking, listed by status
    set_aside: list[tuple[str, str]] = field(default_factory=list)
    mails: list[str] = field(default_factory=list)  # saved mails that gave something new
    mail_notes: list[str] = field(default_factory=list)  # parts of those mails left unread
    inbox_created: bool = False
    result: QuarterResult | None = None
    merged_json: Path | None = None
    merged_xlsx: Path | None = None
    written: bool = False  # outputs rewritten this run

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.inbox_created:
            out.append(
                f"收件目录 {self.inbox} 不存在，已创建；请把各单位报回的文件放入该目录（可含子目录）后重新运行。"
            )
        states: dict[str, list[FileOutcome]] = {
            s: [f for f in self.new if f.state == s] for s in ReturnState
        }
        total = len(self.new) + len(self.known)
        if total or not self.inbox_created:
            out.append(
                f"收件目录 {self.inbox}：本次新收 {len(self.new)} 份（接收 {len(states['accepted'])}，"
                f"退回 {len(states['rejected'])}，无法识别 {len(states['unidentified'])}），"
                f"此前已处理或内容重复 {len(self.known)} 份"
                + (f"，忽略临时文件 {len(self.ignored)} 个" if self.ignored else "")
                + "。"
            )
        if self.mails:
            out.append(
                f"  读取保存的邮件（.eml）{len(self.mails)} 封：附件已取出逐个处理，"
                "报送时间按本方收到的时间计（邮箱服务器的到达时间、本办服务器的 Received:，"
                "或文件放入收件目录的时间）"
            )
        for note in self.mail_notes:
            out.append(f"  注意：{note}")
        if self.attachments:
            names = "、".join(
                f"{unit or '未注明单位'}（{source}）"
                for source, _, unit in self.attachments[:LIST_LIMIT]
            )
            more = f" 等 {len(self.attachments)} 份" if len(self.attachments) > LIST_LIMIT else ""
            out.append(
                f"  另收到扫描件、说明等附件 {len(self.attachments)} 份，已归档，不作报表处理：{names}{more}"
            )
        accepted = states["accepted"]
        if len(accepted) > LIST_LIMIT:  # a big batch: name only the late ones
            late = [f.unit or f.source for f in accepted if f.late]
            out.append(
                f"  接收 {len(accepted)} 份"
                + (f"，其中逾期 {len(late)} 份：{'、'.join(late)}" if late else "")
                + "；明细见汇总表的“报送情况”"
            )
            accepted = []
        for f in accepted:
            warns = [p for p in f.problems if p.level == Level.WARNING]
            late_mark = "（逾期）" if f.late else ""
            out.append(
                f"  接收 {f.unit}{late_mark}：{f.source}"
                + (f"，{len(warns)} 条提醒" if warns else "")
            )
        for f in states[ReturnState.REJECTED] + states[ReturnState.UNIDENTIFIED]:
            errors = [p for p in f.problems if p.level == Level.ERROR]
            who = f.unit or "无法识别单位"
            out.append(f"  退回 {who}：{f.source}，{len(errors)} 个问题：")
            for p in errors[:5]:
                out.append(f"    - {p.message}")
            if len(errors) > 5:
                out.append(f"    - ……其余 {len(errors) - 5} 个问题见汇总表的“退回清单”")
        for source, message in self.failed:
            out.append(f"  未能处理 {source}：{message}")
        for source, message in self.set_aside:
            out.append(f"  已放在一边 {source}：{message}")
        for source, message in self.skipped:
            out.append(f"  未处理 {source}：{message}")
        if self.result is not None and isinstance(self.period, Period):
            c = self.result.unit_counts()
            out.append(f"{self.period.full_label}应报 {c['due']} 个单位：{counts_text(c)}。")
            if self.written:
                out.append(f"汇总结果已更新：{self.merged_xlsx}、{self.merged_json}")
            else:
                out.append(f"汇总结果没有变化：{self.merged_xlsx}")
        return out
