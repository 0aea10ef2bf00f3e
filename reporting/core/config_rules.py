"""The rules a loaded config must meet: choices, ranges, names the merge knows.

One table (``RANGES``) holds every number's allowed range with the words a clerk reads, so a
value such as ``max_file_mb = -5`` is refused when the config is loaded, naming its line,
instead of rejecting every return later. Kept apart from ``config`` (the loading).
"""

from __future__ import annotations

import re
from pathlib import Path

from reporting.core.exceptions import ConfigError

# (section, key) → (lowest, highest or None, inclusive lowest?, what the value means)
RANGES: dict[tuple[str, str], tuple[float, float | None, bool, str]] = {
    ("district", "year"): (2000, 2100, True, "年度，如 2024"),
    ("deadline", "days"): (0, 60, True, "截止日在季度结束后第几个工作日"),
    ("deadline", "notice_days"): (1, 60, True, "截止前几个工作日发通知"),
    ("deadline", "remind_days"): (0, 60, True, "截止前几个工作日提醒"),
    ("deadline", "urge_days"): (0, 60, True, "截止前几个工作日催报"),
    ("deadline", "overdue_days"): (0, 60, True, "截止后几个工作日发逾期通知"),
    ("deadline", "report_days"): (1, 60, True, "截止后第几个工作日汇总成文"),
    ("plan", "workday"): (1, 120, True, "落实方案在一年的第几个工作日截止"),
    ("plan", "notice_days"): (1, 60, True, "落实方案截止前几个工作日下发"),
    ("plan", "remind_days"): (0, 60, True, "落实方案截止前几个工作日提醒"),
    ("plan", "urge_days"): (0, 60, True, "落实方案截止前几个工作日催报"),
    ("plan", "overdue_days"): (0, 60, True, "落实方案截止后几个工作日发逾期通知"),
    ("forms", "max_text_chars"): (1, None, True, "每格最多字数"),
    ("intake", "max_file_mb"): (0, None, False, "单个文件的大小上限（MB）"),
    ("intake", "max_zip_members"): (1, None, True, "表格文件内部的部件数上限"),
    ("intake", "max_uncompressed_mb"): (0, None, False, "表格解压后的大小上限（MB）"),
    ("intake", "max_zip_ratio"): (1, None, True, "表格的压缩比上限"),
    ("ladder", "written_red"): (0, 4, True, "连续几个季度亮红灯要求书面说明（0 为不按红灯）"),
    ("ladder", "written_behind"): (1, 4, True, "连续几个季度滞后要求书面说明"),
    ("ladder", "talk_behind"): (0, 4, True, "连续几个季度滞后予以约谈（0 为不约谈）"),
    ("ladder", "listed_red_from"): (0, 4, True, "第几季度起亮红灯即挂牌督办（0 为不挂牌）"),
    ("ladder", "explain_days"): (1, 60, True, "督办单印发后几个工作日内书面说明"),
    ("report", "pdf_timeout"): (1, None, True, "转换 PDF 最多等待的秒数"),
    ("smtp", "port"): (1, 65535, True, "邮件服务器端口"),
    ("smtp", "timeout"): (0, None, False, "连接邮件服务器的超时秒数"),
    ("smtp", "retries"): (0, 20, True, "发送失败后的重试次数"),
    ("smtp", "backoff"): (0, 600, True, "重试前等待的秒数"),
    ("imap", "port"): (1, 65535, True, "收件服务器端口"),
    ("imap", "timeout"): (0, None, False, "连接收件服务器的超时秒数"),
    ("webhook", "timeout"): (0, None, False, "群机器人的超时秒数"),
    ("schedule", "collect_every_hours"): (1, 24, True, "回收间隔（小时）"),
    ("schedule", "misfire_grace_days"): (0, 366, True, "停机后补做的天数"),
    ("schedule", "lock_wait_seconds"): (0, None, True, "等另一个命令结束的秒数"),
}


def _range_words(low: float, high: float | None, inclusive: bool) -> str:
    low_text = f"{low:g}"
    if high is None:
        return f"应{'不小于' if inclusive else '大于'} {low_text}"
    return (
        f"应在 {low_text} 到 {high:g} 之间" if inclusive else f"应大于 {low_text}、不大于 {high:g}"
    )


def check_ranges(settings, path: Path, text: str) -> None:
    for (sect, key), (low, high, inclusive, meaning) in RANGES.items():
        value = getattr(getattr(settings, sect), key)
        below = value < low if inclusive else value <= low
        if below or (high is not None and value > high):
            raise ConfigError(
                where(path, text, sect, key)
                + f"[{sect}] {key} = {value:g} 无效：{meaning}，{_range_words(low, high, inclusive)}"
            )


def check_settings(settings, path: Path, text: str) -> None:
    """Every value in range and of a known choice, or a ConfigError naming its line."""
    check_ranges(settings, path, text)
    choices = {
        ("smtp", "security"): ("starttls", "ssl", "none"),
        ("imap", "security"): ("ssl", "starttls", "none"),
        ("deadline", "rule"): ("workdays_after_quarter_end", "last_workday_of_quarter"),
        ("bulletin", "quote_scores"): ("never", "q4", "always"),
        ("intake", "same_as_last_quarter"): ("warn", "reject"),
        ("intake", "sender_check"): ("hold", "warn", "off"),
        ("intake", "change_requests"): ("warn", "reject"),
        ("report", "detail"): ("summary", "full"),
    }
    for (sect, key), allowed in choices.items():
        value = getattr(getattr(settings, sect), key)
        if value not in allowed:
            raise ConfigError(
                where(path, text, sect, key)
                + f"[{sect}] {key} = {value!r} 无效，可选：{' / '.join(allowed)}"
            )
    for sect, key in (("deadline", "time"), ("plan", "time"), ("schedule", "time")):
        value = getattr(getattr(settings, sect), key)
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value):
            raise ConfigError(
                where(path, text, sect, key) + f'[{sect}] {key} = {value!r} 应为 时:分，如 "09:00"'
            )
    imap = settings.imap
    if imap.since and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", imap.since):
        raise ConfigError(
            where(path, text, "imap", "since")
            + f'[imap] since = {imap.since!r} 应为日期，如 "2024-03-25"，或留空（从通知下发日起）'
        )
    coop = settings.deadline.coop_days
    if not 0 <= coop < max(settings.deadline.notice_days, 1):
        raise ConfigError(
            where(path, text, "deadline", "coop_days")
            + f"[deadline] coop_days = {coop} 无效：应为不小于 0、小于 notice_days（{settings.deadline.notice_days}）的整数"
            "（配合截止要在下发通知之后）"
        )
    _check_assess(settings, path, text)
    _check_themes(settings, path, text)
    if not 0 <= settings.merge.yellow_gap <= settings.merge.red_gap:
        raise ConfigError(
            where(path, text, "merge", "red_gap") + "[merge] 要求 0 ≤ yellow_gap ≤ red_gap"
        )
    if not 0 < settings.report.annual_basic_percent <= 100:
        raise ConfigError(
            where(path, text, "report", "annual_basic_percent")
            + "[report] annual_basic_percent 应在 0 到 100 之间（累计完成进度不低于多少算“基本完成”，如 90）"
        )
    if not 0 < settings.merge.ahead_points <= 100:
        raise ConfigError(
            where(path, text, "merge", "ahead_points")
            + "[merge] ahead_points 应在 0 到 100 之间（高出序时进度多少个百分点算“超序时”）"
        )


def _check_assess(settings, path: Path, text: str) -> None:
    """[bulletin] and [scoring]: numbers in range, names the merge knows."""
    b, sc = settings.bulletin, settings.scoring
    if "{n}" not in b.number_format:
        raise ConfigError(
            where(path, text, "bulletin", "number_format")
            + '[bulletin] number_format 要含 {n}（文号的序号），如 "禹督考〔{year}〕{n}号"'
        )
    if "{n}" not in settings.ladder.number_format:
        raise ConfigError(
            where(path, text, "ladder", "number_format")
            + '[ladder] number_format 要含 {n}（督办单编号的序号），如 "禹督办〔{year}〕{n}号"'
        )
    if b.first_number < 1:
        raise ConfigError(
            where(path, text, "bulletin", "first_number") + "[bulletin] first_number 应不小于 1"
        )
    if not 0 <= b.praise_min_share <= 1:
        raise ConfigError(
            where(path, text, "bulletin", "praise_min_share")
            + "[bulletin] praise_min_share 是比例，应在 0 到 1 之间（如 0.5）"
        )
    statuses = ("已完成", "超序时", "序时推进", "滞后", "未启动")
    for key, names, allowed in (
        ("praise_statuses", b.praise_statuses, statuses),
        ("status_rates", list(sc.status_rates), (*statuses, "未报送")),
        ("light_deductions", list(sc.light_deductions), ("绿", "黄", "红")),
    ):
        sect = "bulletin" if key == "praise_statuses" else "scoring"
        bad = [n for n in names if n not in allowed]
        if bad:
            raise ConfigError(
                where(path, text, sect, key)
                + f"[{sect}] {key} 中的“{'、'.join(bad)}”不认识，可用：{'、'.join(allowed)}"
            )
    missing = [s for s in (*statuses, "未报送") if s not in sc.status_rates]
    if missing:
        raise ConfigError(
            where(path, text, "scoring", "status_rates")
            + f"[scoring] status_rates 缺少 {'、'.join(missing)} 的得分率"
        )
    negative = [
        k
        for k in (
            "report_points",
            "late_deduction",
            "resubmit_deduction",
            "missing_deduction",
            "progress_points",
            "coop_points",
            "indicator_points",
            "indicator_behind_rate",
            "leader_points",
            "workload_per_task",
            "workload_per_indicator",
            "workload_limit",
            "adjust_limit",
        )
        if getattr(sc, k) < 0
    ]
    if negative:
        raise ConfigError(
            where(path, text, "scoring", negative[0])
            + f"[scoring] {negative[0]} 不能是负数（扣分项写扣多少分，如 late_deduction = 2）"
        )
    weights = sc.quarter_weights
    if len(weights) != 4 or any(w < 0 for w in weights) or not sum(weights):
        raise ConfigError(
            where(path, text, "scoring", "quarter_weights")
            + "[scoring] quarter_weights 要写四个不小于 0 的数（第一至第四季度的权重），如 [1, 1, 1, 2]"
        )
    kinds = [k for ks in sc.groups.values() for k in ks]
    twice = sorted({k for k in kinds if kinds.count(k) > 1})
    if twice:
        raise ConfigError(
            where(path, text, "scoring", "groups")
            + f"[scoring] groups 中单位类别 {'、'.join(twice)} 出现在多个排名组里，每类只能属于一组"
        )


def _check_themes(settings, path: Path, text: str) -> None:
    """[report] theme_keywords / theme_measures: named themes with keywords, a measure only
    for a theme that exists (or 其他, the problems no keyword names)."""
    rules, measures = settings.report.theme_keywords, settings.report.theme_measures
    for name, words in rules.items():
        if not name.strip() or name == "其他":
            raise ConfigError(
                where(path, text, "report", "theme_keywords")
                + "[report.theme_keywords] 的主题名不能为空，也不能是“其他”（没有关键词对上的问题自动归入“其他”）"
            )
        if not [w for w in words if w.strip()]:
            raise ConfigError(
                where(path, text, "report", "theme_keywords")
                + f'[report.theme_keywords] “{name}”没有关键词，请写至少一个，如 "{name}" = ["资金"]'
            )
    unknown = [n for n in measures if n not in rules and n != "其他"]
    if unknown:
        raise ConfigError(
            where(path, text, "report", "theme_measures")
            + f"[report.theme_measures] 中的“{'、'.join(unknown)}”不是 [report.theme_keywords] 里的主题"
            "（也可以写“其他”）"
        )


def where(path: Path, text: str, section: str, key: str | None) -> str:
    """'config.toml 第 12 行：' for the line that defines [section] key, when found."""
    lines = text.splitlines()
    current = None
    for no, line in enumerate(lines, 1):
        stripped = line.strip()
        m = re.match(r"\[\s*([^\]\s.]+)(?:\.([^\]]*))?\s*\]", stripped)
        if m:
            current = m.group(1)
            if key is not None and current == section and (m.group(2) or "").strip() == key:
                return f"{path.name} 第 {no} 行："  # a table of its own: [units.classes]
            if key is None and current == section:
                return f"{path.name} 第 {no} 行："
            continue
        if key is not None and current == section and re.match(rf"{re.escape(key)}\s*=", stripped):
            return f"{path.name} 第 {no} 行："
    return f"{path.name}："
