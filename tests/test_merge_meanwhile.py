"""The merged outputs written by a forked copy while the receipts go out (``collect_and_merge``
with ``later``): the same bytes as written in line, and the ledger records the merge only once
they are written, so a run killed before that has them written again by the next one."""

from __future__ import annotations

import shutil

import pytest
from conftest import ROOT
from helpers import NOW, returned_data

from jobs.app import create_app
from reporting.core.exceptions import OutputError
from reporting.core.ledger import Ledger
from reporting.core.periods import Period
from reporting.merge.collect_merge import collect_and_merge

PERIOD = Period(2024, 1)


@pytest.fixture(scope="module")
def returned(tmp_path_factory):
    """A data dir whose inbox holds every unit's return, nothing collected yet."""
    data = tmp_path_factory.mktemp("meanwhile") / "data"
    returned_data(data, PERIOD)
    return data


def _merge(app, ledger, later):
    return collect_and_merge(
        app.settings, app.assignments, app.workspace, PERIOD, now=NOW, ledger=ledger, later=later
    )


def _collect(data, later=None):
    app = create_app(ROOT / "config.toml", data_dir=data, env={})
    with Ledger(app.workspace.ledger_path) as ledger:
        summary = _merge(app, ledger, later)
        recorded = ledger.merge_state(PERIOD)
        if later:
            assert recorded is None  # not before the outputs are written
            for finish in later:
                finish()
            recorded = ledger.merge_state(PERIOD)
    return app.workspace, summary, recorded


def test_written_meanwhile_as_in_line_and_recorded_after(returned, tmp_path):
    shutil.copytree(returned, tmp_path / "inline")
    shutil.copytree(returned, tmp_path / "meanwhile")
    ws, summary, recorded = _collect(tmp_path / "inline")
    assert summary.new and summary.written and recorded is not None
    later: list = []
    ws2, summary2, recorded2 = _collect(tmp_path / "meanwhile", later)
    assert len(later) == 1 and summary2.written
    assert recorded2 is not None and recorded2["digest"] == recorded["digest"]
    for path in (ws.merged_json(PERIOD), ws.merged_xlsx(PERIOD)):
        twin = ws2.merged_json(PERIOD).parent / path.name
        assert twin.read_bytes() == path.read_bytes()
    # nothing new the next time: nothing to do meanwhile, nothing rewritten
    later = []
    assert not _collect(tmp_path / "meanwhile", later)[1].written and later == []


def test_a_run_stopped_before_the_merge_is_recorded_writes_it_again(returned, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(returned, data)
    app = create_app(ROOT / "config.toml", data_dir=data, env={})
    with Ledger(app.workspace.ledger_path) as ledger:
        later: list = []
        _merge(app, ledger, later)
        assert len(later) == 1  # never called: as if the run was killed here
    ws, summary, recorded = _collect(data)
    assert summary.written and recorded is not None
    assert ws.merged_xlsx(PERIOD).exists() and ws.merged_json(PERIOD).exists()


def test_outputs_the_copy_could_not_write_are_not_recorded(returned, tmp_path):
    """The 汇总表's name taken by a folder: the copy's write fails, the wait says so, and the
    ledger does not claim a merge whose files are not there (the next run writes them)."""
    data = tmp_path / "data"
    shutil.copytree(returned, data)
    app = create_app(ROOT / "config.toml", data_dir=data, env={})
    blocker = app.workspace.merged_xlsx(PERIOD)
    blocker.mkdir(parents=True)
    with Ledger(app.workspace.ledger_path) as ledger:
        later: list = []
        _merge(app, ledger, later)
        [finish] = later
        with pytest.raises(OutputError, match="汇总表.xlsx"):
            finish()
        assert ledger.merge_state(PERIOD) is None
    blocker.rmdir()
    ws, summary, recorded = _collect(data)
    assert summary.written and recorded is not None and ws.merged_xlsx(PERIOD).is_file()
