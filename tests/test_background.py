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
from reporting.core.parallel import Warmed, cores, in_background
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


def report_bytes(app, out_dir, **kw) -> bytes:
    from reporting.report.render import empty_result, render_report

    result = empty_result(app.settings, app.assignments, P)
    return render_report(
        app.settings,
        app.workspace,
        P,
        out_dir=out_dir,
        result=result,
        today=DAY,
        now=at(DAY),
        **kw,
    ).docx.read_bytes()


def test_the_report_is_the_same_drawn_in_the_caller(app, tmp_path, monkeypatch):
    from reporting.report import render

    drawn_aside = report_bytes(app, tmp_path / "aside")
    monkeypatch.setattr(render, "in_background", lambda fn, *a: lambda: fn(*a))
    assert report_bytes(app, tmp_path / "here") == drawn_aside


# -- Warmed: the copy forked (and warmed) before the call is known -------------------
def scaled(factor, k):
    return factor * k


def warm_marker(path):
    def warm():
        path.write_text(str(os.getpid()))  # what the copy did before any call

    return warm


def test_a_warmed_copy_warms_first_then_computes_the_call(tmp_path):
    marker = tmp_path / "warmed"
    with Warmed(warm_marker(marker)) as warmed:
        later = warmed.submit(pid_and, {"图": [1, 2, 3]})
        pid, value = later()
    assert value == {"图": [1, 2, 3]}
    if forks():
        assert pid != os.getpid() and marker.read_text() == str(pid)  # the same copy
    else:
        assert pid == os.getpid() and not marker.exists()


def test_a_warmed_copys_exception_is_raised_in_the_caller():
    with Warmed(lambda: None) as warmed:
        later = warmed.submit(fails, "缺少汉字字形")
        with pytest.raises(ChartFontError, match="缺少汉字字形"):
            later()


def test_an_unused_warmed_copy_ends_with_close_even_with_pools_forked_after_it(tmp_path):
    from reporting.core.parallel import ordered_map

    warmed = Warmed(lambda: None)
    pid = warmed.pid
    # workers forked after it hold its pipe too: it must not wait for them to end
    got = list(ordered_map(scaled, 3, range(200), count=200, workers=2))
    assert got == [3 * k for k in range(200)]
    warmed.close()
    assert warmed.pid is None
    if pid is not None:
        with pytest.raises(ChildProcessError):  # ended and reaped
            os.waitpid(pid, os.WNOHANG)


def test_a_call_that_cannot_be_pickled_is_computed_by_the_caller():
    with Warmed(lambda: None) as warmed:
        pid, value = warmed.submit(pid_and, lambda: "只能在本进程中")()
    assert pid == os.getpid() and value() == "只能在本进程中"


def test_the_report_is_the_same_drawn_by_a_warmed_copy(app, tmp_path):
    from reporting.report.render import warm_chart

    with warm_chart() as chart:
        warmed = report_bytes(app, tmp_path / "warmed", chart_ahead=chart)
        assert chart.pid is None  # its one call was made
    assert warmed == report_bytes(app, tmp_path / "aside")
