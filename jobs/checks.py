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


def run_checks(app) -> list[Problem]:
    problems: list[Problem] = []
    for fn in CHECKS:
        problems += fn(app)
    return problems
