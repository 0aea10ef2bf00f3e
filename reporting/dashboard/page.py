"""Write the 看板 pages: ``templates/dashboard.html.j2`` (a period) and
``templates/dashboard_year.html.j2`` (a year), both extending ``dashboard_base.html.j2``.

One HTML file each, everything inline (styles, the few lines of script for the filters,
SVG charts): it opens from a shared folder or a mail attachment with no network. Jinja2
runs with autoescape on, so every text from a unit shows as text (a ``<script>`` a unit
typed is displayed, never run). Written atomically; the same data gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from reporting.core.config import Settings
from reporting.core.exceptions import ReportError
from reporting.core.fileutil import atomic_path
from reporting.core.model import QuarterResult
from reporting.core.periods import Period
from reporting.core.workspace import Workspace

PERIOD_TEMPLATE = "dashboard.html.j2"
YEAR_TEMPLATE = "dashboard_year.html.j2"
SCRIPT = "dashboard.js"  # the filters, inlined; the page's CSP allows exactly this script


@dataclass
class DashboardOutput:
    """A page written: where, how big, how many tasks it shows."""

    path: Path
    title: str
    tasks: int
    size: int

    def lines(self) -> list[str]:
        return [f"看板已生成：{self.path}（{self.size / 1024:.0f} KB，任务 {self.tasks} 项）"]


@lru_cache(maxsize=4)
def _environment(templates_dir: str):
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir, encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,  # unit texts are data, never markup
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )


def page_script(templates_dir: Path | str) -> tuple[str, str]:
    """(the filter script, its CSP source 'sha256-…'): only this script may run on the page."""
    import base64
    import hashlib

    path = Path(templates_dir) / SCRIPT
    try:
        script = path.read_text(encoding="utf-8")
    except OSError:
        raise ReportError(
            f"找不到看板脚本 {path}，请检查 [paths] templates，或从 duban 自带的 templates/ 目录复制 {SCRIPT}"
        ) from None
    if "</" in script:  # it would end the <script> element early
        raise ReportError(f"看板脚本 {path} 中不能出现“</”，请改正后重试")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return script, f"sha256-{digest}"


def script_json(value) -> str:
    """``value`` as JSON fit to sit inside a ``<script type="application/json">``: every
    ``<``, ``>`` and ``&`` escaped (``\\u003c`` …), so no text can end the element."""
    import json

    from markupsafe import Markup

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return Markup(text)


def render_page(templates_dir: Path | str, name: str, view: dict) -> str:
    """The page's HTML; template problems become one Chinese ReportError."""
    import jinja2
    from markupsafe import Markup

    path = Path(templates_dir) / name
    script, digest = page_script(templates_dir)
    view = {**view, "script": Markup(script), "script_hash": digest}
    try:
        return _environment(str(templates_dir)).get_template(name).render(v=view)
    except jinja2.TemplateNotFound as exc:
        missing = exc.name or name
        raise ReportError(
            f"找不到看板模板 {Path(templates_dir) / missing}，请检查 [paths] templates，"
            f"或从 duban 自带的 templates/ 目录复制 {missing}"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise ReportError(
            f"看板模板 {exc.filename or path} 第 {exc.lineno} 行写法有误（{exc.message}），请改正后重试"
        ) from None
    except jinja2.UndefinedError as exc:
        raise ReportError(
            f"看板模板 {path} 用了不存在的变量（{exc.message}），请改正后重试"
        ) from None


def write_page(templates_dir: Path | str, name: str, view: dict, target: Path) -> DashboardOutput:
    html = render_page(templates_dir, name, view)
    data = html.encode("utf-8")
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return DashboardOutput(target, view["title"], len(view["tasks"]), len(data))


def earlier_quarters(workspace: Workspace, period: Period) -> list[QuarterResult]:
    """The year's merged results before ``period``, in order (a damaged one is left out:
    the page then shows fewer dots, the report step rebuilds it)."""
    out = []
    for q in range(1, period.quarter):
        path = workspace.merged_json(Period(period.year, q))
        if path.exists():
            try:
                out.append(QuarterResult.load(path))
            except (ValueError, TypeError, KeyError):
                continue
    return out


def write_period_dashboard(
    settings: Settings,
    workspace: Workspace,
    period: Period,
    *,
    now: datetime,
    ledger=None,
    assignments=None,
    result: QuarterResult | None = None,
    out: Path | None = None,
) -> DashboardOutput:
    """``<data>/<period>/看板.html`` from merged.json (an empty result before any return,
    as the report). ``ledger`` adds who was reminded how often and the year's 督办单."""
    from reporting.dashboard.orders_view import order_rows
    from reporting.dashboard.period_view import period_view
    from reporting.report.render import load_result

    period = Period.parse(period)
    if result is None:
        result, _ = load_result(settings, workspace, period, assignments)
    sends = ledger.sends(period) if ledger is not None else None
    view = period_view(
        result,
        settings,
        period,
        today=now.date(),
        earlier=earlier_quarters(workspace, period),
        sends=sends,
    )
    view["full_json"] = script_json([t["full"] for t in view["tasks"]])
    view["orders"] = order_rows(ledger.orders(), period, now.date()) if ledger is not None else None
    return write_page(
        settings.templates_dir, PERIOD_TEMPLATE, view, out or workspace.dashboard(period)
    )


def write_year_dashboard(
    settings: Settings,
    workspace: Workspace,
    assignments,
    year: int,
    *,
    now: datetime,
    out: Path | None = None,
) -> DashboardOutput:
    """``<data>/<year>/看板.html`` from the year's merged quarters (``annual.year``); a
    Chinese error when none is merged yet."""
    from reporting.annual.year import year_data
    from reporting.dashboard.year_view import year_view

    data = year_data(settings, workspace, assignments, year)
    view = year_view(data, settings, today=now.date())
    return write_page(
        settings.templates_dir, YEAR_TEMPLATE, view, out or workspace.year_dashboard(year)
    )
