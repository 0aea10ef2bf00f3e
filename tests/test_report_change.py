"""The report compares with last quarter (Q2 onward, same year): 一、总体情况（四）与上季度相比,
and each leader brief row shows last quarter's status and progress.

Both quarters are built by hand from ``test_report.sample_result`` with chosen rows
moved; expected numbers are counted here from the two results, the rendered .docx is
read back with python-docx. Without a usable previous result the files are byte-identical
to a render without one.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from docx import Document
from helpers import REPORT_NOW, brief_rows, status_tally
from test_report import sample_result

from reporting.core.exceptions import ReportError
from reporting.core.model import MISSING, Answer, Status
from reporting.core.periods import Period
from reporting.merge.compare import RowChange, quarter_change
from reporting.report.render import empty_result, render_report

P1, P2 = Period(2024, 1), Period(2024, 2)
TODAY = date(2024, 7, 10)
HEADING = "（四）与上季度相比。"  # a run-in heading: the paragraph starts with it


def id_order(row) -> list[int]:
    return [int(x) for x in row.id.split(".")]


def set_status(row, status: str, percent: float | None) -> None:
    row.status, row.percent = status, percent
    for a in row.lead_reports:
        a.status, a.percent = status, percent


def quarters(app):
    """Q1 as the report tests know it; Q2 with progress up and chosen rows moved.

    Returns (q1, q2, caught, fell, newly): the rows that caught up, fell behind, and one
    row whose lead unit reported for the first time (lagging; in neither list).
    """
    q1 = sample_result(app, P1)
    q2 = sample_result(app, P2)
    q2.generated_at = "2024-07-09T10:30:00+08:00"
    for row in q2.rows:
        if row.percent is not None:
            set_status(row, row.status, min(row.percent + 20, 100.0))
    before = {r.id: r for r in q1.rows}
    by_id = {r.id: r for r in q2.rows}
    ordered = sorted(q1.rows, key=id_order)
    lagging = [r.id for r in ordered if r.status == Status.LAGGING.value][:2]
    not_started = [r.id for r in ordered if r.status == Status.NOT_STARTED.value][:1]
    on_track = [r.id for r in ordered if r.status == Status.ON_TRACK.value][:3]
    silent = next(r.id for r in ordered if r.status is None and r.lead_units)
    for rid in lagging:
        set_status(by_id[rid], Status.ON_TRACK.value, 55.0)
    set_status(by_id[not_started[0]], Status.DONE.value, 100.0)
    for rid in on_track:
        set_status(by_id[rid], Status.LAGGING.value, 30.0)
    new = by_id[silent]
    new.status, new.percent = Status.LAGGING.value, 10.0
    new.lead_reports = [
        Answer(unit=u, progress="首次报送。", percent=10.0, status="滞后") for u in new.lead_units
    ]
    assert before[silent].status is None
    caught = sorted(lagging + not_started, key=lambda i: [int(x) for x in i.split(".")])
    return q1, q2, caught, on_track, silent


def moved(what: str, before: int, after: int) -> str:
    if after > before:
        return f"{what}由{before}项增至{after}项"
    if after < before:
        return f"{what}由{before}项减至{after}项"
    return f"{what}仍为{after}项"


def write_merged(app, period: Period, result) -> None:
    app.ledger().close()  # the ledger first, as in a real data dir (else it counts as lost)
    path = app.workspace.merged_json(period)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(result.to_json(), encoding="utf-8")


def render(app, period, result, out_dir, **kw):
    return render_report(
        app.settings,
        app.workspace,
        period,
        out_dir=out_dir,
        result=result,
        today=TODAY,
        **kw,
        now=REPORT_NOW,
    )


def texts(path) -> list[str]:
    return [p.text for p in Document(path).paragraphs]


def has_heading(lines) -> bool:
    return any(t.startswith(HEADING) for t in lines)


def change_paragraph(lines) -> tuple[int, str, str]:
    """(index, counts sentence, moved-rows sentence) of the comparison paragraph."""
    i = next(k for k, t in enumerate(lines) if t.startswith(HEADING))
    counts, _, moves = lines[i][len(HEADING) :].partition("。")
    return i, counts + "。", moves


def items(labels) -> str:
    """Tasks as the body lists them: 第6项、第10（3）项 (each its own word to the renderer)."""
    return "、".join(f"第{x}项" for x in labels)


def label(rid: str, result) -> str:
    return next(r.label for r in result.rows if r.id == rid)


# -- the paragraph --------------------------------------------------------------------------
def test_second_quarter_report_states_what_moved(app, tmp_path):
    q1, q2, caught, fell, silent = quarters(app)
    write_merged(app, P1, q1)
    out = render(app, P2, q2, tmp_path)
    doc = Document(out.docx)
    lines = [p.text for p in doc.paragraphs]
    i, counts, moves = change_paragraph(lines)
    # under 一、总体情况, after the chart, before 二、
    assert lines.index("图1　各板块任务推进状态（单位：项）") < i < lines.index("二、主要进展")
    para = doc.paragraphs[i]
    assert para.style.name == "Normal" and para.runs[0].text == HEADING
    assert para.runs[0].style.name == "楷体字"
    sb, sa = status_tally(q1.rows), status_tally(q2.rows)
    assert counts.startswith(
        "与第一季度相比，"
        + "，".join(moved(word, sb[word], sa[word]) for word in ("已完成", "滞后", "未启动"))
        + "；"
    )
    assert sa["已完成"] == sb["已完成"] + 1 and "已完成由" in counts  # the numbers moved
    # mean change over the rows with progress in both quarters
    prev = {r.id: r.percent for r in q1.rows}
    deltas = [
        r.percent - prev[r.id]
        for r in q2.rows
        if r.percent is not None and prev.get(r.id) is not None
    ]
    assert f"两个季度均填报累计完成进度的{len(deltas)}项任务" in counts
    mean = float(re.search(r"牵头单位累计完成进度平均提高([\d.]+)个百分点。$", counts).group(1))
    assert mean == pytest.approx(sum(deltas) / len(deltas), abs=0.05)
    # which rows caught up and which fell behind, by label in task order
    assert moves == (
        f"{items(label(r, q2) for r in caught)}共{len(caught)}项任务由上季度未达到序时进度转为达到序时进度；"
        f"{items(label(r, q2) for r in fell)}共{len(fell)}项任务由上季度达到序时进度转为未达到序时进度。"
    )
    assert f"第{label(silent, q2)}项" not in moves  # not reported before: not "fell behind"
    assert lines[i + 1] == "二、主要进展"
    assert out.change is not None and any("已与2024年第一季度对比" in x for x in out.lines())


def test_many_rows_are_cut_with_deng_and_progress_down_or_level(app, tmp_path):
    q1 = sample_result(app, P1)
    q2 = sample_result(app, P2)
    on_pace = [
        r
        for r in sorted(q2.rows, key=id_order)
        if r.status in (Status.ON_TRACK.value, Status.AHEAD.value)
    ][:12]
    for row in q2.rows:
        if row.percent is not None:
            set_status(row, row.status, max(row.percent - 5, 0.0))
    for row in on_pace:
        row.status = Status.LAGGING.value
    out = render(app, P2, q2, tmp_path / "down", previous=q1)
    lines = texts(out.docx)
    i, counts, moves = change_paragraph(lines)
    sb, sa = status_tally(q1.rows), status_tally(q2.rows)
    assert f"已完成仍为{sa['已完成']}项" in counts
    assert f"滞后由{sb['滞后']}项增至{sa['滞后']}项" in counts
    assert "未启动仍为" in counts
    assert re.search(r"平均下降[\d.]+个百分点。$", counts)
    from reporting.report.context import CHANGE_LABELS

    assert CHANGE_LABELS < 12
    named = items(r.label for r in on_pace[:CHANGE_LABELS])
    assert moves == f"{named}等12项任务由上季度达到序时进度转为未达到序时进度。"
    assert f"第{on_pace[CHANGE_LABELS].label}项" not in moves.split("等")[0].split("、")

    # the same progress and statuses as last quarter: level, and no list paragraph;
    # 未启动 in neither quarter is not mentioned
    same = sample_result(app, P2)
    for row in [*q1.rows, *same.rows]:
        if row.status == Status.NOT_STARTED.value:
            row.status = Status.LAGGING.value
    lines = texts(render(app, P2, same, tmp_path / "level", previous=q1).docx)
    i = next(k for k, t in enumerate(lines) if t.startswith(HEADING))
    assert lines[i] == HEADING + (
        f"与第一季度相比，已完成仍为{sa['已完成']}项，滞后仍为{status_tally(same.rows)['滞后']}项；"
        f"两个季度均填报累计完成进度的{sum(r.percent is not None for r in same.rows)}项任务，"
        "牵头单位累计完成进度平均与上季度持平。"
    )
    assert lines[i + 1] == "二、主要进展"


# -- nothing to compare: the report is exactly what it was ----------------------------------
def test_first_quarter_ignores_last_years_result(app, tmp_path):
    result = sample_result(app, P1)
    clean = render(app, P1, result, tmp_path / "clean")
    last_year = sample_result(app, P1)
    last_year.period, last_year.period_label = "2023Q4", "2023年第四季度"
    write_merged(app, Period(2023, 4), last_year)
    out = render(app, P1, result, tmp_path / "with", by_leader=True)
    assert out.docx.read_bytes() == clean.docx.read_bytes()
    assert not has_heading(texts(out.docx)) and out.change is None and out.change_note == ""
    assert not any("第四季度：" in t for p in out.briefs for t in texts(p))
    with pytest.raises(ReportError, match="不是 2024Q1 的上一季度"):
        render(app, P1, result, tmp_path / "x", previous=last_year)


def test_previous_of_another_period_or_broken_or_empty_is_left_out(app, tmp_path):
    q1, q2, *_ = quarters(app)
    plain = render(app, P2, q2, tmp_path / "plain", by_leader=True)
    assert not has_heading(texts(plain.docx))

    # merged.json in 2024Q1/ that holds another year's first quarter
    other = sample_result(app, P1)
    other.period, other.period_label = "2023Q1", "2023年第一季度"
    write_merged(app, P1, other)
    out = render(app, P2, q2, tmp_path / "other", by_leader=True)
    assert out.docx.read_bytes() == plain.docx.read_bytes()
    assert [b.read_bytes() for b in out.briefs] == [b.read_bytes() for b in plain.briefs]
    assert any(
        "属于 2023Q1，不是 2024Q1" in x and "duban collect --period 2024Q1" in x
        for x in out.lines()
    )

    # unreadable: the report is still made, the note says how to rebuild it
    app.workspace.merged_json(P1).write_text("{broken", encoding="utf-8")
    out = render(app, P2, q2, tmp_path / "broken")
    assert out.docx.read_bytes() == plain.docx.read_bytes()
    assert any(x.startswith("提示：上季度汇总结果") and "无法读取" in x for x in out.lines())

    # last quarter nobody reported: "已完成由0项增至…" would only say who reported
    write_merged(app, P1, empty_result(app.settings, app.assignments, P1))
    out = render(app, P2, q2, tmp_path / "empty")
    assert out.docx.read_bytes() == plain.docx.read_bytes() and out.change is None
    # and this quarter nobody reported yet: no comparison either
    write_merged(app, P1, q1)
    nothing = empty_result(app.settings, app.assignments, P2)
    assert not has_heading(texts(render(app, P2, nothing, tmp_path / "none").docx))


# -- leader briefs -----------------------------------------------------------------------------
def test_leader_brief_rows_show_last_quarter(app, tmp_path):
    q1, q2, caught, fell, silent = quarters(app)
    write_merged(app, P1, q1)
    out = render(app, P2, q2, tmp_path, by_leader=True)
    before = {r.id: r for r in q1.rows}
    checked = 0
    for path in out.briefs:
        for tr in brief_rows(path):
            task = tr.cells[0].text
            row = next(r for r in q2.rows if task.split(" ")[0] == r.label)
            cell = tr.cells[2]
            last = cell.paragraphs[-1]
            old = before[row.id]
            if old.status is None:
                assert last.text == "第一季度：未报送"
            else:
                assert last.text == f"第一季度：{old.status}，累计完成{old.percent:g}%"
            assert [r.style.name for r in last.runs] == ["楷体字"]
            assert last.style.name == "表格文字"
            checked += 1
    assert checked == sum(len(r.lead_leaders) for r in q2.rows)
    # without a usable previous result the cell is the progress alone
    write_merged(app, P1, empty_result(app.settings, app.assignments, P1))
    plain = render(app, P2, q2, tmp_path / "plain", by_leader=True)
    for path in plain.briefs:
        assert not any(
            "第一季度：" in c.text for tr in Document(path).tables[0].rows for c in tr.cells
        )


# -- the comparison's logic ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("before", "after", "caught", "fell"),
    [
        ("滞后", "序时推进", True, False),
        ("未启动", "已完成", True, False),
        ("滞后", "未启动", False, False),  # still behind
        ("超序时", "滞后", False, True),
        ("序时推进", "未启动", False, True),
        (MISSING, "滞后", False, False),  # not known last quarter
        ("滞后", MISSING, False, False),  # not known now
        ("已完成", "已完成", False, False),
    ],
)
def test_caught_up_and_fell_behind_use_the_reports_groups(before, after, caught, fell):
    rc = RowChange("1", "1", 10.0, 30.0, before, after)
    assert (rc.caught_up, rc.fell_behind) == (caught, fell)
    assert rc.delta == 20.0 and RowChange("1", "1", None, 30.0, before, after).delta is None


def test_quarter_change_counts_and_comparable(app):
    q1, q2, caught, fell, _ = quarters(app)
    change = quarter_change(q1, q2)
    assert [r.id for r in change.caught_up] == caught and [r.id for r in change.fell_behind] == fell
    sb, sa = status_tally(q1.rows), status_tally(q2.rows)
    statuses = ["已完成", "超序时", "序时推进", "滞后", "未启动", "未报送"]
    assert change.counts() == {k: (sb[k], sa[k]) for k in statuses}
    assert change.comparable
    assert not quarter_change(empty_result(app.settings, app.assignments, P1), q2).comparable
    lines = change.lines()
    assert lines[0] == "2024年第一季度 → 2024年第二季度 对比："
    assert any(
        line.startswith(f"  由未达到转为达到序时进度的任务 {len(caught)} 项") for line in lines
    )


# -- the command and the template check ----------------------------------------------------------
def test_cli_report_for_the_second_quarter_compares(app, duban):
    q1, q2, *_ = quarters(app)
    write_merged(app, P1, q1)
    write_merged(app, P2, q2)
    r = duban("report", "--period", "2024Q2", "--date", "2024-07-10")
    assert r.code == 0, r.output
    assert "已与2024年第一季度对比：由未达到转为达到序时进度 3 项，由达到转为未达到 3 项" in r.out
    path = r.out.split("报告已生成：")[1].splitlines()[0]
    assert has_heading(texts(path))


def test_template_check_renders_the_comparison(app, tmp_path):
    import shutil

    from reporting.report.template_check import check_templates

    folder = tmp_path / "templates"
    shutil.copytree(app.settings.templates_dir, folder)
    app.settings.paths.templates = folder
    tpl = Document(folder / "report.docx")
    heading = next(p for p in tpl.paragraphs if p.text.startswith(HEADING))
    heading.add_run("{{ change.no_such_thing }}")
    tpl.save(folder / "report.docx")
    problems = check_templates(app.settings, app.assignments)
    assert len(problems) == 1 and "report.docx 中的标签有误" in problems[0].message
