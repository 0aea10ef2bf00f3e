"""config.toml → one typed ``Settings`` object.

Loaded once; unknown keys and wrong types are errors naming the line. Any key can be
overridden by an environment variable ``DUBAN_<SECTION>_<KEY>`` (e.g. ``DUBAN_SMTP_PORT``)
so a service manager can set them. Secrets are never read from the file.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reporting.core.config_rules import check_settings
from reporting.core.config_rules import where as _where
from reporting.core.exceptions import ConfigError
from reporting.core.theme_rules import DEFAULT_THEME_KEYWORDS, DEFAULT_THEME_MEASURES


@dataclass
class DistrictSettings:
    name: str = "禹会区"
    year: int = 2024
    office: str = "区督查考核办"
    government: str = "区政府"
    basis: str = "禹政秘〔2024〕6号"
    document_title: str = "《政府工作报告》重点任务"


@dataclass
class PathSettings:
    tasks: Path = Path("tasks.csv")
    units: Path = Path("units.csv")
    data_dir: Path = Path("var")
    templates: Path = Path("templates")


@dataclass
class RegistrySettings:
    # alias → canonical name; groups name → member units; collective references: no form
    aliases: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    collectives: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)


@dataclass
class DeadlineSettings:
    # "workdays_after_quarter_end": due `days` working days after the quarter's last day;
    # "last_workday_of_quarter": due on the quarter's last working day.
    rule: str = "workdays_after_quarter_end"
    days: int = 5
    time: str = "17:30"
    notice_days: int = 5  # 通知: working days before the deadline
    remind_days: int = 3  # 提醒
    urge_days: int = 1  # 催报
    overdue_days: int = 1  # 逾期: working days after the deadline
    # the report: working days after the deadline; one more than overdue_days leaves a unit
    # told it is late a day to report before the report is written (duban calendar says so)
    report_days: int = 2
    # cooperating units' sheet is due this many working days before the lead deadline, so
    # the lead unit sees its partners' feedback in time (0: one deadline for both)
    coop_days: int = 2
    # not a key of its own: the one time zone of the installation, [schedule] timezone,
    # copied here by load_settings so every deadline is in the zone the scheduler runs in
    zone: ZoneInfo = field(
        default=ZoneInfo("Asia/Shanghai"), repr=False, metadata={"derived": True}
    )


@dataclass
class PlanSettings:
    """The 落实方案 round at the start of the year (``duban plan``): each lead unit returns
    its quarterly 节点 and 责任人 by the ``workday``-th working day of the year."""

    workday: int = 15
    time: str = "17:30"
    notice_days: int = 10  # 通知 (the 落实方案表 goes out): working days before the deadline
    remind_days: int = 3  # 提醒
    urge_days: int = 1  # 催报
    overdue_days: int = 1  # 逾期: working days after the deadline
    auto: bool = False  # the scheduler and ``duban run`` send each stage at its moment


@dataclass
class FormSettings:
    password: str = ""
    max_text_chars: int = 2000
    contact: str = ""  # who units call with questions (填报说明); default: the office's name


@dataclass
class IntakeSettings:
    max_file_mb: float = 20.0
    max_zip_members: int = 200
    max_uncompressed_mb: float = 200.0
    max_zip_ratio: float = 100.0
    partial_accept: bool = False
    receipts: bool = True  # answer every return at once (回执 / 退回通知) when email is set up
    # a row whose 本季度工作进展 is word for word last quarter's: "warn" accepts it with a
    # 校验提醒, "reject" returns the form to the unit
    same_as_last_quarter: str = "warn"
    # a 销号/延期/调整 request that cannot stand (unknown task, 延期 without a later date,
    # 销号 of a task not reported done): "warn" accepts the form with a 校验提醒 and does not
    # register the request, "reject" returns the form to the unit
    change_requests: str = "warn"

    # a form in a mail whose From: is not the unit's (units.csv email/cc, ``senders``):
    # hold = 待核实 until ``duban review``; warn = accept with a warning; off = no check
    sender_check: str = "hold"
    senders: dict[str, list[str]] = field(default_factory=dict)  # unit → more addresses
    # the office's own mail servers: their newest ``Received:`` is when a mail arrived
    trusted_hosts: list[str] = field(default_factory=list)


@dataclass
class MergeSettings:
    # gap = expected progress − reported progress, in percentage points
    yellow_gap: float = 0.0
    red_gap: float = 15.0
    # 超序时 = at least this many points above 序时进度 (the rule the 填报说明 states)
    ahead_points: float = 10.0


@dataclass
class ReportSettings:
    signer: str = "区督查考核办"
    pdf_timeout: int = 180
    # "summary": 主要进展 names the completed and ahead-of-pace items per section;
    # "full": every task walked one by one (the annex lists them all either way)
    detail: str = "summary"
    chart_font: Path | None = None  # a CJK font file for the chart; default: found by fontconfig
    # the annual edition (Q4, reporting.annual): 基本完成 from this cumulative progress on
    annual_basic_percent: float = 90.0
    annual_scores: bool = False  # the annual edition quotes the year's 考核评分 (duban score)
    # 共性问题: theme → keywords (in the order themes are tried and named), theme → measure
    theme_keywords: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_THEME_KEYWORDS.items()}
    )
    theme_measures: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_THEME_MEASURES))


@dataclass
class BulletinSettings:
    # 督查通报 (reporting.assess.bulletin): who issues it, to whom, and whom it names
    auto: bool = False  # the scheduler issues it after the report
    send: bool = True  # the scheduler's bulletin step also mails it (when email is set up)
    issuer: str = "区督查考核办"  # 发文机关 (署名, 印发机关)
    mark: str = "禹会区督查考核办文件"  # 发文机关标志 (red, at the top); "" leaves it out
    number_format: str = "禹督考〔{year}〕{n}号"  # 发文字号; {n} the bulletin's number
    first_number: int = 1  # the year's first bulletin number (later ones count on)
    addressees: str = "各乡镇人民政府、街道办事处，区直各部门，各有关单位"
    cc: str = "区委办、区人大办、区政协办，区委督查室"  # 抄送
    leader_emails: list[str] = field(default_factory=list)  # also mailed the bulletin
    praise_statuses: list[str] = field(default_factory=lambda: ["已完成", "超序时"])
    praise_min_share: float = 0.5  # of the unit's lead tasks in praise_statuses
    quote_scores: str = "q4"  # never | q4 | always: the running 考核评价 in the bulletin


@dataclass
class LadderSettings:
    # 督办升级 (reporting.merge.ladder, reporting.assess.orders): when a task lagging in the
    # merged results gets a 督办单, at which rung, and what clears it
    enabled: bool = True  # false: no 督办单, the 通报 and report name no rung
    written_red: int = 1  # 书面说明: lit red this many quarters running (0: never on red alone)
    written_behind: int = 2  # 书面说明: behind (滞后 or red) this many quarters running
    talk_behind: int = 3  # 约谈: behind this many quarters running (0: never)
    listed_red_from: int = 3  # 挂牌督办: lit red in this quarter or later (3 = the second half)
    explain_days: int = 5  # 书面说明 due this many working days after the 督办单 is issued
    number_format: str = "禹督办〔{year}〕{n}号"  # 督办单编号; {n} counts on through the year


@dataclass
class ScoringSettings:
    # 考核评价 (reporting.assess.scoring); points and rates, never code
    report_points: float = 5.0  # 报送质量 per quarter
    late_deduction: float = 2.0  # 逾期报送
    resubmit_deduction: float = 1.0  # 退回后重报
    missing_deduction: float = 5.0  # 未报送 (or returned and never fixed)
    progress_points: float = 40.0  # 任务推进 (lead tasks, every quarter)
    # how much each quarter's 任务推进 and 指标完成 count (Q1..Q4); the year's end weighs more
    quarter_weights: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0, 2.0])
    status_rates: dict[str, float] = field(
        default_factory=lambda: {
            "已完成": 100.0,
            "超序时": 100.0,
            "序时推进": 90.0,
            "滞后": 60.0,
            "未启动": 30.0,
            "未报送": 0.0,
        }
    )
    light_deductions: dict[str, float] = field(
        default_factory=lambda: {"黄": 10.0, "红": 20.0}
    )  # percentage points off a task's rate
    section_weights: dict[str, float] = field(default_factory=dict)  # "1" = 2: 板块一 counts double
    coop_points: float = 15.0  # 配合任务: share of coop rows with feedback, every quarter
    indicator_points: float = 15.0  # 指标完成 (lead tasks' indicators, every quarter)
    indicator_behind_rate: float = 50.0  # an indicator reported but behind its target
    leader_points: float = 10.0  # 领导评价: given by the office in ``leader_sheet``
    leader_sheet: str = "领导评价.xlsx"  # under <data>/<year>/
    # workload: real 细则 give more for carrying more (added to the scaled score, capped)
    workload_per_task: float = 0.3  # per lead task
    workload_per_indicator: float = 0.1  # per indicator of a lead task
    workload_limit: float = 3.0
    rank_without_lead: bool = False  # a unit leading no task is scored; ranked only if true
    adjust_limit: float = 5.0  # 加分/减分: at most this much either way per unit
    adjustments: str = "考核调整.xlsx"  # under <data>/<year>/
    # ranking groups now come from [units.classes]; a group listed here (group → classes,
    # older kinds such as "department" understood) still overrides them
    groups: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitClass:
    """What the office's own documents may do with a unit of this class (``[units.classes]``)."""

    praise: bool = True  # the 通报 may praise it by name
    criticise: bool = True  # the 通报 may criticise it by name (else: told in its own mail)
    scored: bool = True  # it has a row in the 考核评分表
    group: str = ""  # its ranking group; "" = the class's own name


def _default_classes() -> dict[str, UnitClass]:
    # a 区政府 supervision office names, scores and ranks the government's own units; the
    # 区委's organs, 人大/政协, the 纪委 are neither named nor scored; 垂直管理 and 群团
    # units may be thanked, never criticised or scored by it
    def own(group: str) -> UnitClass:
        return UnitClass(praise=True, criticise=True, scored=True, group=group)

    apart = UnitClass(praise=False, criticise=False, scored=False)
    thanked = UnitClass(praise=True, criticise=False, scored=False)
    return {
        "政府工作部门": own("区直部门"),
        "区委工作机关": apart,
        "人大政协机关": apart,
        "纪检监察机关": apart,
        "垂直管理单位": thanked,
        "群团组织": thanked,
        "乡镇": own("乡镇、街道"),
        "街道": own("乡镇、街道"),
        "国有企业": own("国有企业"),
        "其他": own("区直部门"),
    }


@dataclass
class UnitSettings:
    # units.csv ``kind`` names one of these classes; a class given in config.toml replaces
    # the settings it names and keeps the defaults of the rest
    classes: dict[str, UnitClass] = field(default_factory=_default_classes)


@dataclass
class SmtpSettings:
    host: str = ""
    port: int = 25
    security: str = "starttls"  # starttls | ssl | none
    user: str = ""
    sender: str = ""
    cc: list[str] = field(default_factory=list)
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0
    outbox: Path | None = None  # write .eml files here instead of sending (demo)


@dataclass
class ImapSettings:
    host: str = ""  # empty: no mailbox; returns come only through the inbox folder
    port: int = 993
    security: str = "ssl"  # ssl | starttls | none
    user: str = ""
    folder: str = "INBOX"
    done_folder: str = "duban/已处理"  # processed mails are moved here ("/" = a subfolder)
    other_folder: str = "duban/其他"  # auto-replies, bounces, replies without a form; "" = leave
    since: str = ""  # "YYYY-MM-DD"; empty: the period's 通知 day
    timeout: float = 60.0
    ca_file: Path | None = None  # an internal CA's certificate (PEM) besides the system's


@dataclass
class WebhookSettings:
    wecom_url: str = ""
    dingtalk_url: str = ""
    timeout: float = 10.0


@dataclass
class ScheduleSettings:
    years: list[int] = field(default_factory=lambda: [2024])
    timezone: str = "Asia/Shanghai"
    time: str = "09:00"
    collect_every_hours: int = 1
    misfire_grace_days: int = 7
    lock_wait_seconds: float = 60.0  # how long a command waits for another one on the data dir


@dataclass
class Secrets:
    """Passwords and signing keys, read from the environment only (``SECRET_ENV``)."""

    smtp_password: str = field(default="", repr=False)
    dingtalk_secret: str = field(default="", repr=False)
    form_password: str = field(default="", repr=False)
    imap_password: str = field(default="", repr=False)


@dataclass
class Settings:
    district: DistrictSettings = field(default_factory=DistrictSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    deadline: DeadlineSettings = field(default_factory=DeadlineSettings)
    plan: PlanSettings = field(default_factory=PlanSettings)
    forms: FormSettings = field(default_factory=FormSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    merge: MergeSettings = field(default_factory=MergeSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    bulletin: BulletinSettings = field(default_factory=BulletinSettings)
    ladder: LadderSettings = field(default_factory=LadderSettings)
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    units: UnitSettings = field(default_factory=UnitSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    imap: ImapSettings = field(default_factory=ImapSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    source: Path | None = None  # the config file this came from
    secrets: Secrets = field(default_factory=Secrets)  # from the environment, never the file

    @property
    def data_dir(self) -> Path:
        return self.paths.data_dir

    @property
    def templates_dir(self) -> Path:
        return self.paths.templates


# secrets: environment only
SECRET_ENV = {
    "smtp_password": "DUBAN_SMTP_PASSWORD",
    "dingtalk_secret": "DUBAN_WEBHOOK_DINGTALK_SECRET",
    "form_password": "DUBAN_FORMS_PASSWORD",
    "imap_password": "DUBAN_IMAP_PASSWORD",
}

_TYPE_NAMES = {str: "文本", int: "整数", float: "数字", bool: "true/false", Path: "路径"}


def load_settings(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read config.toml (a missing default file gives defaults) and apply ``env``: the
    ``DUBAN_<SECTION>_<KEY>`` overrides and the secrets. The caller passes the environment
    (``jobs`` passes ``os.environ``); without one nothing is overridden and no secret is set."""
    env = {} if env is None else env
    path = Path(path) if path else Path("config.toml")
    text = ""
    raw: dict = {}
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8-sig")
            raw = tomllib.loads(text)
        except UnicodeDecodeError:
            raise ConfigError(f"配置文件 {path} 不是 UTF-8 编码，请用 UTF-8 另存后重试") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(_syntax_error(path, str(exc))) from None
    settings = Settings(source=path.resolve())
    for section_name, section_value in raw.items():
        sect_field = _field(Settings, section_name)
        if sect_field is None or section_name == "source":
            raise ConfigError(
                _where(path, text, section_name, None)
                + f"未知的配置节 [{section_name}]，请检查拼写"
            )
        if not isinstance(section_value, dict):
            raise ConfigError(
                _where(path, text, section_name, None) + f"[{section_name}] 应是一个配置节"
            )
        target = getattr(settings, section_name)
        for key, value in section_value.items():
            _assign(target, section_name, key, value, path, text)
    _apply_env(settings, env, path)
    settings.secrets = Secrets(**{name: env.get(var, "") for name, var in SECRET_ENV.items()})
    _resolve_paths(settings, path.resolve().parent)
    check_settings(settings, path, text)
    try:
        settings.deadline.zone = ZoneInfo(settings.schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            _where(path, text, "schedule", "timezone")
            + f'[schedule] timezone = {settings.schedule.timezone!r} 不是有效的时区名，请写成 "Asia/Shanghai"'
        ) from None
    return settings


# tomllib's messages, said so that an office clerk can find and fix the line
_TOML_ERRORS = (
    (
        "Invalid value",
        '值的写法不对：文字要用英文双引号括起来（如 name = "某某区"），数字、true/false 不加引号',
    ),
    ("Cannot overwrite a value", "同一项写了两次，请删掉其中一行"),
    ("Cannot declare", "同一个配置节写了两次，请合并成一节"),
    ("Illegal character", "引号没有配对（文字要用一对英文双引号括起来，且在同一行内）"),
    ("Unclosed array", '列表的方括号没有配对，如 cc = ["a@example.cn", "b@example.cn"]'),
    ("Expected ']'", "方括号没有配对，节名要写成 [smtp] 这样"),
    ("Expected '=' after a key", "缺少等号，每一项要写成 名称 = 值"),
    ("Expected newline", "一行只能写一项，值后面的说明要以 # 开头"),
)


def _syntax_error(path: Path, message: str) -> str:
    """A TOML syntax error in Chinese with its line, keeping unknown wording as is."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    where = f"{path.name} 第 {m.group(1)} 行第 {m.group(2)} 列" if m else str(path)
    for prefix, chinese in _TOML_ERRORS:
        if message.startswith(prefix):
            return f"{where}：{chinese}（写法见 docs/configuration.md）"
    return f"配置文件 {where} 格式有误（{message}），请对照 docs/configuration.md 修改"


def _keys(cls) -> list[dataclasses.Field]:
    """The fields a config file or a DUBAN_* variable may set (not the derived ones)."""
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("derived")]


def _field(cls, name: str):
    for f in _keys(cls):
        if f.name == name:
            return f
    return None


def _assign(target, section: str, key: str, value, path: Path, text: str) -> None:
    f = _field(type(target), key)
    if f is None:
        raise ConfigError(
            _where(path, text, section, key)
            + f"未知的配置项 [{section}] {key}，请检查拼写或删除该行"
        )
    try:
        hint = _hint(type(target), key)
        coerced = _coerce(value, hint, getattr(target, key))
        setattr(target, key, coerced)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            _where(path, text, section, key) + f"[{section}] {key} 的值类型不对：{exc}"
        ) from None


def _hint(cls, name: str):
    return typing.get_type_hints(cls)[name]


def _coerce(value, hint, current=None):
    """``value`` from the file as ``hint``; a table of records (``[units.classes]``) keeps
    the ``current`` entries and fields it does not name."""
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _record(value, hint, current)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or value == "":
            return None
        return _coerce(value, args[0])
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise TypeError('应为列表，如 ["a", "b"]')
        return [_coerce(v, item) for v in value]
    if origin is dict:
        _, item = typing.get_args(hint)
        if not isinstance(value, dict):
            raise TypeError("应为表，如 { 键 = 值 }")
        if dataclasses.is_dataclass(item):
            merged = dict(current or {})
            for k, v in value.items():
                merged[str(k)] = _coerce(v, item, merged.get(str(k)))
            return merged
        return {str(k): _coerce(v, item) for k, v in value.items()}
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise TypeError("应为 true 或 false")
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("应为整数")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("应为数字")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise TypeError("应为文本（用英文双引号括起来）")
        return value
    if hint is Path:
        if not isinstance(value, str):
            raise TypeError("应为路径文本")
        return Path(value)
    raise TypeError(f"不支持的类型 {hint}")


def _record(value, cls, current=None):
    """A table → the dataclass ``cls``: unknown keys refused, unnamed ones from ``current``."""
    if not isinstance(value, dict):
        raise TypeError('应为表，如 { praise = true, group = "区直部门" }')
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in value if k not in fields]
    if unknown:
        raise ValueError(f"不认识的项 {'、'.join(unknown)}，可用：{'、'.join(fields)}")
    base = current if current is not None else cls()
    hints = typing.get_type_hints(cls)
    return dataclasses.replace(base, **{k: _coerce(v, hints[k]) for k, v in value.items()})


def _from_env_text(text: str, hint):
    """Env values are strings: parse them per the field's type."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        hint = [a for a in typing.get_args(hint) if a is not type(None)][0]
        origin = typing.get_origin(hint)
    if hint is bool:
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise ValueError("应为 true 或 false")
    if hint is int:
        return int(text)
    if hint is float:
        return float(text)
    if hint is Path:
        return Path(text)
    if origin is list:
        (item,) = typing.get_args(hint)
        parts = [p.strip() for p in re.split(r"[,，、]", text) if p.strip()]
        return [_from_env_text(p, item) for p in parts]
    if origin is dict:
        raise ValueError("表类型的配置项不能用环境变量设置")
    return text


def _apply_env(settings: Settings, env, path: Path) -> None:
    for sect in dataclasses.fields(Settings):
        if sect.name in ("source", "secrets"):
            continue
        target = getattr(settings, sect.name)
        for f in _keys(type(target)):
            var = f"DUBAN_{sect.name}_{f.name}".upper()
            if var in env:
                try:
                    setattr(target, f.name, _from_env_text(env[var], _hint(type(target), f.name)))
                except ValueError as exc:
                    raise ConfigError(f"环境变量 {var} 的值 {env[var]!r} 不对：{exc}") from None


def _resolve_paths(settings: Settings, base: Path) -> None:
    for sect in dataclasses.fields(Settings):
        target = getattr(settings, sect.name)
        if not dataclasses.is_dataclass(target):
            continue
        for f in dataclasses.fields(target):
            value = getattr(target, f.name)
            if isinstance(value, Path) and not value.is_absolute():
                setattr(target, f.name, (base / value).resolve())
