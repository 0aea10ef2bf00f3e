"""``duban check``: everything that can be checked before a cycle starts, in one list."""

from __future__ import annotations

from reporting.registry import Problem

# Other modules add checks here (calendar years, templates): each takes the App and
# returns a list of Problems.
CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


@check
def _task_table(app) -> list[Problem]:
    return app.assignments.check()


@check
def _holiday_years(app) -> list[Problem]:
    """Loud warning: a configured year without holiday data gets weekday-only deadlines."""
    from reporting.calendar import unknown_years_warning, year_known, years_to_check

    unknown = [y for y in years_to_check(app.settings) if not year_known(y)]
    if not unknown:
        return []
    return [Problem("节假日数据", "警告！" + unknown_years_warning(unknown), error=False)]


@check
def _report_templates(app) -> list[Problem]:
    """The report templates (which the office may edit in Word/WPS) still render."""
    from reporting.template_check import check_templates

    return check_templates(app.settings, app.assignments)


def run_checks(app) -> list[Problem]:
    problems: list[Problem] = []
    for fn in CHECKS:
        problems += fn(app)
    return problems
