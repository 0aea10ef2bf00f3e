"""``core.parallel.in_background``: a result computed by a forked copy of the process
while the caller goes on — its value, its exception, or (when it cannot come back
pickled) the same value computed by the caller; and the report drawn that way is the
report drawn in the caller."""

from __future__ import annotations

import os
import threading
from datetime import date

import pytest
from helpers import at

from reporting.core.exceptions import ChartFontError
from reporting.core.parallel import cores, in_background
from reporting.core.periods import Period

P = Period(2024, 1)
DAY = date(2024, 4, 10)


def forks() -> bool:
    return cores() >= 2 and threading.active_count() == 1


def pid_and(value):
    return os.getpid(), value


def fails(message):
    raise ChartFontError(message)


def unpicklable():
    return os.getpid(), (lambda: "只能在本进程中")


def test_the_value_comes_from_another_process():
    later = in_background(pid_and, {"图": [1, 2, 3]})
    pid, value = later()
    assert value == {"图": [1, 2, 3]}
    assert (pid != os.getpid()) is forks()


def test_its_exception_is_raised_in_the_caller():
    later = in_background(fails, "缺少汉字字形")
    with pytest.raises(ChartFontError, match="缺少汉字字形"):
        later()


def test_a_result_that_cannot_be_pickled_is_computed_by_the_caller():
    pid, fn = in_background(unpicklable)()
    assert pid == os.getpid() and fn() == "只能在本进程中"


def test_the_report_is_the_same_drawn_in_the_caller(app, tmp_path, monkeypatch):
    from reporting.report import render
    from reporting.report.render import empty_result, render_report

    result = empty_result(app.settings, app.assignments, P)

    def report(out):
        return render_report(
            app.settings,
            app.workspace,
            P,
            out_dir=tmp_path / out,
            result=result,
            today=DAY,
            now=at(DAY),
        ).docx.read_bytes()

    drawn_aside = report("aside")
    monkeypatch.setattr(render, "in_background", lambda fn, *a: lambda: fn(*a))
    assert report("here") == drawn_aside
