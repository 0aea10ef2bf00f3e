"""A collect whose merge inputs are those of the last merge (``collect_merge._inputs``,
recorded with it) skips building the result; any input that changed builds it again, and
the outputs are rewritten only when the result changed, as before."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import timedelta

import pytest
from conftest import ROOT
from helpers import NOW, returned_data

import reporting.merge.collect_merge as cm
from jobs.app import create_app
from reporting.core.calendar import period_calendar
from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult
from reporting.core.periods import Period
from reporting.core.states import Light
from reporting.merge.collect_merge import collect_and_merge
from reporting.taskbook.assignments import Assignments

PERIOD = Period(2024, 1)
LATER = NOW + timedelta(days=9)


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """A data dir with every unit's return collected and merged once."""
    data = tmp_path_factory.mktemp("inputs") / "data"
    app = returned_data(data, PERIOD)
    collect_and_merge(app.settings, app.assignments, app.workspace, PERIOD, now=NOW)
    return data


@pytest.fixture
def app(collected, tmp_path):
    shutil.copytree(collected, tmp_path / "data")
    return create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})


@pytest.fixture
def builds(monkeypatch):
    """The results built by the merges run in a test."""
    built: list[QuarterResult] = []
    real = cm.build_result

    def counted(*a, **kw):
        built.append(real(*a, **kw))
        return built[-1]

    monkeypatch.setattr(cm, "build_result", counted)
    return built


def _outputs(app):
    ws = app.workspace
    return ws.merged_json(PERIOD).read_bytes(), ws.merged_xlsx(PERIOD).read_bytes()


def _state(app):
    with Ledger(app.workspace.ledger_path) as ledger:
        return ledger.merge_state(PERIOD)


def _collect(app, assignments=None, **kw):
    return collect_and_merge(
        app.settings, assignments or app.assignments, app.workspace, PERIOD, now=LATER, **kw
    )


def test_unchanged_inputs_build_nothing_and_give_the_stored_result(app, builds):
    before, state = _outputs(app), _state(app)
    summary = _collect(app)
    assert builds == [] and not summary.written
    assert _outputs(app) == before and _state(app) == state
    path = app.workspace.merged_json(PERIOD)
    assert summary.result == _parsed(path.read_bytes())
    assert summary.result.generated_at == state["generated_at"] == NOW.isoformat(timespec="seconds")
    assert QuarterResult.load(path) is summary.result  # the report's load reads nothing


def test_a_cut_off_time_edited_by_hand_is_not_changed_in_the_kept_result(app, builds):
    path = app.workspace.merged_json(PERIOD)
    text = path.read_text(encoding="utf-8")
    stamp = NOW.isoformat(timespec="seconds")
    path.write_text(text.replace(stamp, "2024-04-05T08:00:00+08:00", 1), encoding="utf-8")
    summary = _collect(app)
    assert builds == [] and not summary.written
    assert summary.result.generated_at == stamp  # the merge's own, as the ledger says
    assert QuarterResult.load(path).generated_at == "2024-04-05T08:00:00+08:00"  # the file's


def test_a_damaged_merged_json_is_written_again_though_nothing_changed(app, builds):
    before = _outputs(app)
    path = app.workspace.merged_json(PERIOD)
    path.write_bytes(before[0][: len(before[0]) // 2])
    summary = _collect(app)
    assert len(builds) == 1 and summary.written
    assert QuarterResult.load(path).rows == _parsed(before[0]).rows


def _parsed(data: bytes) -> QuarterResult:
    return QuarterResult.from_dict(json.loads(data))


def _set_sql(app, sql: str, *args) -> None:
    with Ledger(app.workspace.ledger_path) as ledger:
        ledger.conn.execute(sql, args)


def test_a_changed_answer_builds_and_writes_the_new_result(app, builds):
    with Ledger(app.workspace.ledger_path) as ledger:
        sha, text = ledger.answer_texts(PERIOD)[0]
    assert '"progress": "' in text
    _set_sql(
        app,
        "UPDATE return_answers SET answers = ? WHERE sha256 = ?",
        text.replace('"progress": "', '"progress": "改过：', 1),
        sha,
    )
    summary = _collect(app)
    assert len(builds) == 1 and summary.written
    assert "改过：" in app.workspace.merged_json(PERIOD).read_text(encoding="utf-8")


def test_a_changed_return_state_builds_and_writes_the_new_result(app, builds):
    with Ledger(app.workspace.ledger_path) as ledger:
        unit, row = next(iter(ledger.latest_accepted(PERIOD).items()))
    _set_sql(app, "UPDATE returns SET state = 'rejected' WHERE id = ?", row["id"])
    summary = _collect(app)
    assert len(builds) == 1 and summary.written
    units = {u.unit: u for u in QuarterResult.load(app.workspace.merged_json(PERIOD)).units}
    assert units[unit].state != "accepted"


def test_changed_merge_settings_build_and_write_the_new_result(app, builds):
    before = _parsed(_outputs(app)[0])
    app.settings.merge = dataclasses.replace(app.settings.merge, yellow_gap=-100.0, red_gap=-50.0)
    summary = _collect(app)
    assert len(builds) == 1 and summary.written
    after = QuarterResult.load(app.workspace.merged_json(PERIOD))

    def red(result):
        return sum(r.light == Light.RED for r in result.rows)

    assert red(after) > red(before)  # gaps over -50 points are red now


def test_a_task_edited_by_hand_builds_and_writes_the_new_result(app, builds):
    tasks = list(app.assignments.tasks)
    tasks[0] = dataclasses.replace(tasks[0], content=tasks[0].content + "（改）")
    summary = _collect(app, Assignments(tasks, app.registry))
    assert len(builds) == 1 and summary.written
    assert "（改）" in app.workspace.merged_json(PERIOD).read_text(encoding="utf-8")


def test_other_code_builds_once_keeps_an_unchanged_result_and_notes_its_inputs(
    app, builds, monkeypatch
):
    before, state = _outputs(app), _state(app)
    monkeypatch.setattr(cm, "_code", lambda: "another version of duban")
    summary = _collect(app)
    assert len(builds) == 1 and not summary.written  # the same result: nothing rewritten
    assert _outputs(app) == before
    after = _state(app)
    assert after["generated_at"] == state["generated_at"]
    assert after["digest"].split()[0] == state["digest"].split()[0]
    assert after["digest"] != state["digest"]  # the new inputs are noted …
    _collect(app)
    assert len(builds) == 1  # … so the next run builds nothing


def test_last_quarters_merged_json_is_an_input_of_the_next_quarter(app):
    q2 = Period(2024, 2)
    cal = period_calendar(q2, app.settings.deadline)
    with Ledger(app.workspace.ledger_path) as ledger:
        returns = ledger.returns(q2)

        def inputs():
            return cm._inputs(
                app.settings, app.assignments, app.workspace, q2, ledger, cal.deadline, returns, []
            )

        first = inputs()
        assert inputs() == first
        path = app.workspace.merged_json(PERIOD)
        path.write_bytes(path.read_bytes().replace(b'"progress": "', b'"progress": "x', 1))
        assert inputs() != first
        path.unlink()
        assert inputs() != first


def test_the_collects_disagreements_are_read_from_the_merged_rows(app):
    from reporting.feedback.send import disagreements

    book = app.assignments.for_period(PERIOD)
    with Ledger(app.workspace.ledger_path) as ledger:
        answers = cm.ledger_answers(ledger, PERIOD)
    judged = disagreements(app.settings, book, answers, PERIOD)
    assert judged  # the simulated returns disagree somewhere
    stored = _parsed(app.workspace.merged_json(PERIOD).read_bytes())
    assert disagreements(app.settings, book, answers, PERIOD, stored) == judged
    for row in stored.rows:
        row.coop_feedback = []
    assert disagreements(app.settings, book, answers, PERIOD, stored) == []  # its rows, read
