"""``duban check``: everything that can be checked before a cycle starts, in one list."""

from __future__ import annotations

from collections.abc import Callable

from reporting.core.problems import CheckFinding

# Other modules add checks here (calendar years, templates): each takes the App and
# returns a list of Problems.
CHECKS: list[Callable[..., list[CheckFinding]]] = []


def check(fn: Callable[..., list[CheckFinding]]) -> Callable[..., list[CheckFinding]]:
    CHECKS.append(fn)
    return fn


@check
def _task_table(app) -> list[CheckFinding]:
    return app.assignments.check()


@check
def _carried_tasks(app) -> list[CheckFinding]:
    """A task table drafted by ``duban carry-over``: each carried row, for review."""
    from reporting.annual.carry_over import carried_findings

    return carried_findings(app.settings.paths.tasks)


@check
def _unit_classes(app) -> list[CheckFinding]:
    """Every unit names a class of [units.classes]: who may be named and scored depends on it."""
    return app.registry.unknown_classes(app.settings.units.classes)


@check
def _holiday_years(app) -> list[CheckFinding]:
    """Loud warning: a configured year without holiday data gets weekday-only deadlines."""
    from reporting.core.calendar import unknown_years_warning, year_known, years_to_check

    unknown = [y for y in years_to_check(app.settings) if not year_known(y)]
    if not unknown:
        return []
    return [CheckFinding("节假日数据", "警告！" + unknown_years_warning(unknown), error=False)]


@check
def _current_year(app) -> list[CheckFinding]:
    """The year of today is one the office reports on: else the scheduler plans nothing
    for it and every command refuses its quarters."""
    year = app.now().year
    years = app.settings.schedule.years
    if year in years:
        return []
    listed = ", ".join(str(y) for y in years)
    return [
        CheckFinding(
            "报送年度",
            f"[schedule] years = [{listed}] 不含今年（{year}）：今年的季度不会排程，"
            f"forms/remind/collect/report/run 都会拒绝 {year} 年的报告期。"
            f"换用 {year} 年的任务表后，请把 {year} 加到 config.toml 的 [schedule] years",
            error=False,
        )
    ]


@check
def _report_templates(app) -> list[CheckFinding]:
    """The report templates (which the office may edit in Word/WPS) still render."""
    from reporting.report.template_check import check_templates

    return check_templates(app.settings, app.assignments)


@check
def _annual_template(app) -> list[CheckFinding]:
    """The annual edition's template (the fourth quarter's report) still renders."""
    from reporting.annual.report import check_annual_template

    return check_annual_template(app.settings, app.assignments)


@check
def _fonts(app) -> list[CheckFinding]:
    """The chart's CJK font, and which installed faces the PDF gets for the official names."""
    from reporting.documents.fonts import chart_font, pdf_substitutes
    from reporting.report.chart import font_missing

    problems = []
    if chart_font(app.settings.report.chart_font) is None:
        problems.append(CheckFinding("中文字体", str(font_missing()), error=False))
    faces = "；".join(s.line() for s in pdf_substitutes())
    problems.append(
        CheckFinding(
            "PDF 字体",
            f"{faces}。Word/WPS 打开 .docx 时仍使用原字体名",
            error=False,
        )
    )
    return problems


@check
def _short_titles(app) -> list[CheckFinding]:
    """Tasks whose derived short name is still long: the office writes a short_title."""
    from reporting.taskbook.short_names import SHORT_CHARS, overlong_short_titles

    long = overlong_short_titles(app.tasks)
    if not long:
        return []
    names = "；".join(f"{t.label} {name}" for t, name in long)
    return [
        CheckFinding(
            "任务简称",
            f"{len(long)}项任务没有填写简称，自动截取的简称超过{SHORT_CHARS}字（报告和附件中会换行）：{names}。"
            f"请在 {app.settings.paths.tasks} 的 short_title 列填写{SHORT_CHARS}字以内的简称",
            error=False,
        )
    ]


@check
def _webhooks(app) -> list[CheckFinding]:
    """Robot addresses are http(s): a file: or data: address would "send" nothing."""
    from reporting.notify.webhooks import robots, url_problem

    return [
        CheckFinding("机器人", problem)
        for problem in (url_problem(robot) for robot in robots(app.settings))
        if problem
    ]


# reserved for documentation (RFC 2606 / 6761): mail there never arrives
_PLACEHOLDER_DOMAINS = (
    ".example",
    ".test",
    ".invalid",
    "example.com",
    "example.org",
    "example.net",
)


@check
def _contacts(app) -> list[CheckFinding]:
    """Every unit that gets a form can be reached: a valid email, not a placeholder."""
    from reporting.core.exceptions import NotifyError
    from reporting.notify.mailer import parse_addresses

    problems, missing, placeholder = [], [], []
    source = app.registry.source
    if "email" not in app.registry.columns:
        # not one unit can be mailed: an error, not a note among others
        return [
            CheckFinding(
                f"{source} 第 1 行（表头）",
                "没有 email 列，所有单位都收不到邮件通知和回执；请加上 email 列并填写各单位的邮箱",
            )
        ]
    for name in app.assignments.by_unit:
        unit = app.registry.units[name]
        try:
            addresses = parse_addresses(unit.email) + parse_addresses(unit.cc)
        except NotifyError as exc:
            problems.append(CheckFinding(f"{source}（{name}）", str(exc)))
            continue
        if not unit.email:
            missing.append(name)
        elif any(a.lower().endswith(_PLACEHOLDER_DOMAINS) for a in addresses):
            placeholder.append(name)
    if missing:
        problems.append(
            CheckFinding(
                source,
                f"{len(missing)} 个单位没有填邮箱，收不到邮件通知（可用催报清单电话联系）：{'、'.join(missing)}",
                error=False,
            )
        )
    if placeholder:
        problems.append(
            CheckFinding(
                source,
                f"{len(placeholder)} 个单位的邮箱还是示例地址（如 {app.registry.units[placeholder[0]].email}），"
                "邮件不会送达；正式使用前请在单位名录中填写真实邮箱",
                error=False,
            )
        )
    return problems


@check
def _office_contact(app) -> list[CheckFinding]:
    """Units call someone with questions: the forms and every mail name ``[forms] contact``."""
    contact = (getattr(app.settings.forms, "contact", "") or "").strip()
    if not contact:
        return [
            CheckFinding(
                "config.toml [forms] contact",
                "没有填写联系人和电话，表单的填报说明和每封通知、催报邮件只写"
                f"“{app.settings.district.office}”，单位有疑问时不知道找谁；"
                '请填写如 contact = "区督查考核办 王某 0552-1234567"',
                error=False,
            )
        ]
    if not any(ch.isdigit() for ch in contact):
        return [
            CheckFinding(
                "config.toml [forms] contact",
                f"联系人“{contact}”没有电话号码，请写上姓名和电话，"
                '如 contact = "区督查考核办 王某 0552-1234567"',
                error=False,
            )
        ]
    return []


@check
def _mailbox(app) -> list[CheckFinding]:
    """[imap]: the password is set, the CA file exists (offline; ``--online`` logs in)."""
    s = app.settings.imap
    if not s.host:
        return []
    where = "config.toml [imap]"
    problems = []
    if not s.user:
        problems.append(CheckFinding(where, "填了 host 但没有填 user（收件邮箱的登录名）"))
    if not app.settings.secrets.imap_password:
        problems.append(
            CheckFinding(where, "没有设置收件邮箱的密码：请用环境变量 DUBAN_IMAP_PASSWORD 设置")
        )
    if s.ca_file is not None and not s.ca_file.is_file():
        problems.append(CheckFinding(where, f"ca_file 指向的证书文件 {s.ca_file} 不存在"))
    if s.security == "none":
        problems.append(
            CheckFinding(
                where, 'security = "none"：密码和邮件明文传输，只应在本机测试时使用', error=False
            )
        )
    return problems


def mailbox_online(app) -> list[CheckFinding]:
    """``duban check --online``: log in to the office mailbox and look at the folder."""
    from reporting.core.exceptions import ImapError
    from reporting.intake.imap import check_mailbox

    if not app.settings.imap.host:
        return [
            CheckFinding(
                "config.toml [imap]", "没有配置收件邮箱（[imap] host），跳过联机检查", error=False
            )
        ]
    try:
        return [CheckFinding("收件邮箱", check_mailbox(app.settings), error=False)]
    except ImapError as exc:
        return [CheckFinding("收件邮箱", str(exc))]


def run_checks(app) -> list[CheckFinding]:
    problems: list[CheckFinding] = []
    for fn in CHECKS:
        problems += fn(app)
    return problems
