"""Named states: every status word, role, step and result the pipeline passes around.

All are ``StrEnum``: a member equals its value (``ReturnState.ACCEPTED == "accepted"``), so
the ledger, merged.json and templates keep their plain strings, while code names the state
instead of repeating a literal. Compare members directly, never ``.value``.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """推进状态 a unit reports for a task (and the merge's own judgement)."""

    DONE = "已完成"
    AHEAD = "超序时"
    ON_TRACK = "序时推进"
    LAGGING = "滞后"
    NOT_STARTED = "未启动"

    @classmethod
    def choices(cls) -> list[str]:
        return [str(s) for s in cls]


class TaskKind(StrEnum):
    """How a task is judged (tasks.csv ``kind``; empty is ``PROGRESS``)."""

    PROGRESS = "进度"  # by pace: its 落实方案 节点 where given, else the line to its deadline
    MILESTONE = "节点"  # by its quarterly 节点 (the line where a quarter has none)
    ONE_OFF = "一次性"  # done or not by its deadline; no percent pace before it
    OTHER = "其它"  # not judged by pace: the reported status and the indicators only

    @classmethod
    def parse(cls, text: str) -> TaskKind:
        """'' → 进度; 其他 is 其它; ValueError for anything else."""
        text = (text or "").strip().removesuffix("类")
        if not text:
            return cls.PROGRESS
        return cls("其它" if text == "其他" else text)


class PaceBasis(StrEnum):
    """What a row's expected progress was taken from (merged.json ``pace_basis``)."""

    PLAN = "plan"  # the quarter's 节点 of the task's 落实方案
    LINE = "line"  # the straight line to the task's own deadline (序时进度)
    NONE = "none"  # no pace: 其它 tasks, 一次性 tasks before their date


class Final(StrEnum):
    """全年完成情况 of a task (``reporting.annual.year`` judges it; the briefs show it)."""

    DONE = "完成"
    MOSTLY = "基本完成"
    UNDONE = "未完成"
    PENDING = "尚未判定"


class Rung(StrEnum):
    """督办 rungs, lowest first (``reporting.merge.ladder`` decides them from ``[ladder]``)."""

    WRITTEN = "书面说明"
    TALK = "约谈"
    LISTED = "挂牌督办"

    @property
    def level(self) -> int:
        return list(Rung).index(self)

    @property
    def colour(self) -> str:
        """黄 (提醒督办) or 红 (挂牌督办): the colour the 督办单 carries."""
        return "红" if self == Rung.LISTED else "黄"


class Light(StrEnum):
    """红黄绿灯 of a task row."""

    GREEN = "绿"
    YELLOW = "黄"
    RED = "红"


class ReturnState(StrEnum):
    """What intake decided about one returned file."""

    ACCEPTED = "accepted"  # identified and valid: merged
    REJECTED = "rejected"  # identified, with errors: 退回, the unit must resend
    UNIDENTIFIED = "unidentified"  # not recognisable as a form of this period
    HELD = "held"  # 待核实: came from an address not registered for its unit; see ``duban review``


class Role(StrEnum):
    """A unit's part in a task row."""

    LEAD = "lead"  # 牵头责任单位
    COOP = "coop"  # 配合责任单位


class Level(StrEnum):
    """How serious a finding about a returned file is."""

    ERROR = "error"  # the row (or file) cannot be used
    WARNING = "warning"  # used, but the office should look


class SendResult(StrEnum):
    """What became of one message to one unit. ``SENT`` and ``FAILED`` are what the ledger
    records (``sends.result``, the state of a closed ``send_claims`` row); the others stay
    in a run's summary."""

    PLANNED = "planned"  # a dry run: would be sent
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # a dry run: could not be sent (no usable address)
    ALREADY = "already"  # sent before, or another process is sending it: not sent again
    # in flight when its process died: it may have gone out (可能已发出); a claim state too,
    # resent only when the office says so (``remind --resend-uncertain``)
    UNCERTAIN = "uncertain"


class Step(StrEnum):
    """The cycle's steps, in order (``jobs.steps.ORDER``); also the send stages."""

    FORMS = "forms"
    NOTICE = "通知"
    COLLECT = "collect"
    REMIND = "提醒"
    URGE = "催报"
    COOP = "coop"  # 配合反馈: partners' feedback to lead units, at the coop deadline
    OVERDUE = "逾期"
    REPORT = "report"
    BULLETIN = "bulletin"  # 督查通报 after the report, with ``[bulletin] auto``


REMINDER_STEPS = (Step.REMIND, Step.URGE, Step.OVERDUE)
SEND_STAGES = (Step.NOTICE, *REMINDER_STEPS)  # stages that go to units by mail/robot
FEEDBACK_STAGE = "配合反馈"  # sends of reporting.feedback.send: partners' feedback to a lead unit
RECEIPT_STAGE = "回执"  # sends of reporting.notify.receipts; the detail starts with receipt_key()
