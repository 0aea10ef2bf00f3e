"""Message texts (mail subject and body, robot messages) from Jinja2 templates.

The office edits the wording in ``templates/*.j2``. A mail template's first non-empty
line is the subject; the rest is the body. Undefined variables are errors
(StrictUndefined), so a typo in a template stops the run before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reporting.core.exceptions import NotifyError
from reporting.core.periods import chinese_date

MAIL_TEMPLATES = {
    "通知": "mail_notice.txt.j2",
    "提醒": "mail_remind.txt.j2",
    "催报": "mail_urge.txt.j2",
    "逾期": "mail_overdue.txt.j2",
}
WEBHOOK_TEMPLATE = "webhook.txt.j2"


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


@lru_cache(maxsize=8)
def environment(templates_dir: str):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir, encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text, never HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.filters["cn_date"] = chinese_date
    return env


def render_text(templates_dir: Path | str, name: str, context: dict) -> str:
    """Render ``templates_dir/name``; template problems become one Chinese NotifyError."""
    import jinja2

    path = Path(templates_dir) / name
    try:
        return environment(str(templates_dir)).get_template(name).render(context)
    except jinja2.TemplateNotFound:
        raise NotifyError(
            f"找不到模板 {path}，请检查 [paths] templates，或从 duban 自带的 templates/ 目录复制 {name}"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise NotifyError(
            f"模板 {path} 第 {exc.lineno} 行写法有误（{exc.message}），请改正后重试"
        ) from None
    except jinja2.UndefinedError as exc:
        names = "、".join(sorted(context))
        raise NotifyError(
            f"模板 {path} 用了不存在的变量（{exc.message}），可用的变量有：{names}"
        ) from None


def render_message(templates_dir: Path | str, name: str, context: dict) -> Message:
    """Subject = the first non-empty line, body = everything after it."""
    text = render_text(templates_dir, name, context)
    lines = text.lstrip("\r\n").splitlines()
    subject = lines[0].strip() if lines else ""
    if not subject:
        raise NotifyError(
            f"消息模板 {Path(templates_dir) / name} 渲染后第一行（邮件主题）为空，请在第一行写主题"
        )
    body = "\n".join(lines[1:]).strip("\n") + "\n"
    return Message(subject=subject, body=body)
