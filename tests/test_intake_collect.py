"""``collect()`` and the collect/status commands: archive, ledger, supersede, lateness,
idempotent reruns, and the merged outputs read back."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import openpyxl
import pytest
from conftest import ROOT
from helpers import unbroken
from test_intake_support import PERIOD, UNIT, col_of, fill, make_forms, row_of, valid_answers

from reporting.core.calendar import TZ, period_calendar
from reporting.core.fileutil import sha256_file
from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult
from reporting.forms import formspec as fs
from reporting.intake.status import period_status
from reporting.merge.collect_merge import collect_and_merge as collect
from reporting.merge.summary import (
    SHEET_COOP,
    SHEET_FULL,
    SHEET_REJECTS,
    SHEET_ROWS,
    SHEET_UNITS,
    SHEET_WARNINGS,
)

NOW = datetime(2024, 4, 20, 9, 0, tzinfo=TZ)


@pytest.fixture
def setup(app):
    forms = make_forms(app, [UNIT, "长青乡", "区人社局"])
    deadline = period_calendar(PERIOD, app.settings.deadline).deadline
    return app, forms, deadline, app.workspace.inbox_dir(PERIOD)


def put(path, when: datetime):
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def _order(inbox):
    """Sort key of sources in received order (modification time, then path)."""
    return lambda source: ((inbox / source).stat().st_mtime_ns, source)


def run(app, **kw):
    return collect(
        app.settings, app.assignments, app.workspace, PERIOD, now=kw.pop("now", NOW), **kw
    )


def test_collect_archives_records_and_merges(setup):
    app, forms, deadline, inbox = setup
    a1 = valid_answers(app, UNIT)
    ok = put(
        fill(forms[UNIT], inbox / "发改委" / "2024Q1_区发改委_进展情况表.xlsx", a1),
        deadline - timedelta(days=2),
    )
    a2 = valid_answers(app, "区人社局")
    put(fill(forms["区人社局"], inbox / "人社局回传.xlsx", a2), deadline + timedelta(hours=3))
    bad = valid_answers(app, "长青乡")
    first = next(k for k in bad if k[0] == "lead")
    bad[first]["percent"] = 150
    put(fill(forms["长青乡"], inbox / "长青乡.xlsx", bad), deadline - timedelta(days=1))
    dup = inbox / "重复" / "副本.xlsx"
    dup.parent.mkdir()
    dup.write_bytes(ok.read_bytes())
    put(dup, deadline - timedelta(days=1))
    (inbox / "~$长青乡.xlsx").write_bytes(b"\x00" * 165)
    stray = inbox / "截图.xlsx"  # a picture saved under the form's name: the unit meant the form
    stray.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))
    put(stray, deadline - timedelta(days=1))
    scan = inbox / "长青乡盖章件.PDF"  # the stamped scan sent beside the form: kept, not examined
    scan.write_bytes(b"%PDF-1.4\n" + bytes(50))
    put(scan, deadline - timedelta(days=1))
    before = {p: p.read_bytes() for p in inbox.rglob("*") if p.is_file()}

    s = run(app)

    # received order: modification time, then path
    assert [f.source for f in s.new] == [
        "发改委/2024Q1_区发改委_进展情况表.xlsx",
        "截图.xlsx",
        "长青乡.xlsx",
        "人社局回传.xlsx",
    ]
    assert [f.state for f in s.new] == ["accepted", "unidentified", "rejected", "accepted"]
    assert s.known == ["重复/副本.xlsx"] and s.ignored == ["~$长青乡.xlsx"]
    assert s.attachments == [("长青乡盖章件.PDF", "PDF 文件", "长青乡")]
    assert s.written and s.ok
    assert {
        p: p.read_bytes() for p in inbox.rglob("*") if p.is_file()
    } == before  # originals untouched
    with Ledger(app.workspace.ledger_path) as ledger:
        files = ledger.conn.execute("SELECT * FROM files").fetchall()
        assert len(files) == 5
        for f in files:
            archived = (
                app.workspace.archive_dir / f["sha256"][:2] / os.path.basename(f["archive_path"])
            )
            assert archived.exists() and sha256_file(archived) == f["sha256"]
            assert archived.name.startswith(f["sha256"])
        returns = {r["source"]: r for r in ledger.returns(PERIOD)}
        assert returns["人社局回传.xlsx"]["late"] == 1 and returns["长青乡.xlsx"]["late"] == 0
        assert returns["人社局回传.xlsx"]["received_at"] == (
            deadline + timedelta(hours=3)
        ).isoformat(timespec="seconds")
        assert returns["截图.xlsx"]["unit"] is None
        (att,) = ledger.attachments(PERIOD)
        assert (att["unit"], att["kind"], att["source"]) == (
            "长青乡",
            "PDF 文件",
            "长青乡盖章件.PDF",
        )
        assert "长青乡盖章件.PDF" not in returns
        assert set(ledger.latest_accepted(PERIOD)) == {UNIT, "区人社局"}
        problems = Ledger.problems_of(returns["长青乡.xlsx"])
        assert problems[0]["code"] == "percent" and "超出 0–100" in problems[0]["message"]

    result = QuarterResult.load(app.workspace.merged_json(PERIOD))
    assert result.period == "2024Q1" and result.generated_at == NOW.isoformat(timespec="seconds")
    rows = {r.id: r for r in result.rows}
    for (role, tid), a in a1.items():
        got = rows[tid].lead_reports if role == "lead" else rows[tid].coop_feedback
        mine = [x for x in got if x.unit == UNIT]
        assert len(mine) == 1
        assert mine[0].progress == a["progress"] and mine[0].next_steps == a["next_steps"]
        if role == "lead":
            assert mine[0].percent == a["percent"] and mine[0].status == a["status"]
            assert mine[0].indicators == {k: float(v) for k, v in a["indicators"].items()}
    assert rows["1"].indicators[0].value == a1[("lead", "1")]["indicators"]["地区生产总值"]
    units = {u.unit: u for u in result.units}
    assert (units[UNIT].state, units[UNIT].late, units[UNIT].identified_by) == (
        "accepted",
        False,
        "hidden_sheet",
    )
    assert (units["区人社局"].state, units["区人社局"].late) == ("accepted", True)
    assert units["长青乡"].state == "rejected" and "超出 0–100" in units["长青乡"].problems[0]
    assert units["区财政局"].state == "missing"
    assert "长青乡" in rows[first[1]].missing_units

    lines = "\n".join(s.lines())
    assert "本次新收 4 份（接收 2，退回 1，无法识别 1）" in lines
    assert "此前已处理或内容重复 1 份，忽略临时文件 1 个" in lines
    assert "接收 区人社局（逾期）：人社局回传.xlsx" in lines
    assert "退回 长青乡：长青乡.xlsx，1 个问题" in lines
    assert "截图.xlsx：文件是 PNG 图片" in lines, lines
    assert (
        "另收到扫描件、说明等附件 1 份，已归档，不作报表处理：长青乡（长青乡盖章件.PDF）" in lines
    )
    with Ledger(app.workspace.ledger_path) as ledger:
        st = period_status(app.settings, app.assignments, ledger, PERIOD, now=NOW)
    assert next(u for u in st.units if u.unit == "长青乡").attachments == ["长青乡盖章件.PDF"]
    assert run(app).known == sorted(
        s.known + [f.source for f in s.new] + ["长青乡盖章件.PDF"], key=_order(inbox)
    )


def test_summary_workbook_reads_back(setup):
    app, forms, deadline, inbox = setup
    answers = valid_answers(app, UNIT)
    answers[("lead", "3")]["percent"] = 5
    answers[("lead", "3")]["status"] = "序时推进"
    put(fill(forms[UNIT], inbox / "a.xlsx", answers), deadline - timedelta(days=1))
    bad = valid_answers(app, "区人社局")
    key = next(k for k in bad if k[0] == "lead")
    bad[key]["status"] = "进行中"
    put(fill(forms["区人社局"], inbox / "b.xlsx", bad), deadline - timedelta(days=1))
    # a cell typed as text starting with '=', and a control character escaped as _x0007_
    ref = f"{col_of('next_steps')}{row_of(app, UNIT, 'lead', '8.1')}"
    wb = openpyxl.load_workbook(inbox / "a.xlsx")
    for coord, text in (
        (ref, "-加强调度_x0007_"),
        (f"{col_of('problems')}{row_of(app, UNIT, 'lead', '1')}", "=1+2 是公式吗"),
    ):
        wb[fs.SHEET_LEAD][coord].value = text
        wb[fs.SHEET_LEAD][coord].data_type = "s"
    wb.save(inbox / "a.xlsx")
    put(inbox / "a.xlsx", deadline - timedelta(days=1))

    s = run(app)
    assert [f.state for f in s.new] == ["accepted", "rejected"], s.lines()
    wb = openpyxl.load_workbook(app.workspace.merged_xlsx(PERIOD))
    # short answers: nothing spilled, no 全文 sheet
    assert wb.sheetnames == [SHEET_ROWS, SHEET_COOP, SHEET_UNITS, SHEET_REJECTS, SHEET_WARNINGS]
    assert SHEET_FULL not in wb.sheetnames
    ws = wb[SHEET_ROWS]
    header = [c.value for c in ws[3]]
    assert header[:7] == [
        "序号",
        "任务编号",
        "任务（简称）",
        "任务内容",
        "牵头责任领导",
        "牵头单位",
        "本季度工作进展（牵头单位）",
    ]
    by_label = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    assert len(by_label) == len(app.assignments.rows)
    r1, r3 = by_label["1"], by_label["3"]
    col = {h: i + 1 for i, h in enumerate(header)}
    assert (
        unbroken(ws.cell(r1, col["本季度工作进展（牵头单位）"]).value)
        == answers[("lead", "1")]["progress"]
    )
    assert ws.cell(r1, col["存在问题"]).value == "'=1+2 是公式吗"  # neutralised, stored as text
    assert ws.cell(r1, col["存在问题"]).data_type == "s"
    assert (
        unbroken(ws.cell(r1, col["指标完成情况"]).value)
        == "地区生产总值增长8.5%，高于目标0.5个百分点"
    )
    assert ws.cell(r1, col["预警"]).value == "绿"
    assert ws.cell(r3, col["累计完成进度（%）"]).value == 5  # a number, with a number format
    assert ws.cell(r3, col["累计完成进度（%）"]).number_format == "General"
    assert ws.cell(r3, col["预警"]).value == "红"
    assert ws.cell(r3, col["预警"]).fill.fgColor.rgb == "FFFFC7CE"
    assert (
        unbroken(ws.cell(r3, col["需核实"]).value)
        == "报“序时推进”，但累计完成进度5%低于序时进度25%"
    )
    r81 = by_label["8（1）"]
    assert ws.cell(r81, col["下步打算"]).value == "'-加强调度"  # control character removed
    assert ws.print_title_rows == "$3:$3" and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.freeze_panes == "A4"

    units = wb[SHEET_UNITS]
    states = {units.cell(r, 2).value: units.cell(r, 4).value for r in range(4, units.max_row + 1)}
    assert (
        states[UNIT] == "已接收"
        and states["区人社局"] == "退回待重报"
        and states["长青乡"] == "未报送"
    )
    rej = wb[SHEET_REJECTS]
    rows = [[unbroken(c.value) for c in row] for row in rej.iter_rows(min_row=4)]
    assert len(rows) == 1
    assert rows[0][1:3] == ["区人社局", "b.xlsx"]
    assert rows[0][4] == f"牵头任务表第{fs.FIRST_DATA_ROW}行“推进状态”"
    assert "“进行中”不是规定的推进状态" in rows[0][6]


def test_rerun_changes_nothing_and_later_versions_supersede(setup):
    app, forms, deadline, inbox = setup
    bad = valid_answers(app, UNIT)
    bad[("lead", "1")]["percent"] = 150
    put(fill(forms[UNIT], inbox / "v1.xlsx", bad), deadline - timedelta(days=3))
    run(app)
    json_path, xlsx_path = app.workspace.merged_json(PERIOD), app.workspace.merged_xlsx(PERIOD)
    snapshot = (json_path.read_bytes(), xlsx_path.read_bytes(), xlsx_path.stat().st_mtime_ns)
    with Ledger(app.workspace.ledger_path) as ledger:
        merged = dict(ledger.merge_state(PERIOD))

    s = run(app, now=NOW + timedelta(hours=5))
    assert not s.new and s.known == ["v1.xlsx"] and not s.written
    assert (
        json_path.read_bytes(),
        xlsx_path.read_bytes(),
        xlsx_path.stat().st_mtime_ns,
    ) == snapshot
    with Ledger(app.workspace.ledger_path) as ledger:
        assert dict(ledger.merge_state(PERIOD)) == merged
    assert "汇总结果没有变化" in "\n".join(s.lines())

    v2 = valid_answers(app, UNIT)
    put(fill(forms[UNIT], inbox / "v2.xlsx", v2), deadline - timedelta(days=2))
    v3 = valid_answers(app, UNIT)
    v3[("lead", "1")]["percent"] = 45
    put(fill(forms[UNIT], inbox / "更正" / "v3.xlsx", v3), deadline + timedelta(days=1))
    s = run(app, now=NOW + timedelta(days=1))
    assert [f.source for f in s.new] == ["v2.xlsx", "更正/v3.xlsx"] and s.written
    result = QuarterResult.load(json_path)
    assert result.generated_at == (NOW + timedelta(days=1)).isoformat(timespec="seconds")
    row1 = next(r for r in result.rows if r.id == "1")
    assert row1.lead_reports[0].percent == 45  # v3 is in force
    unit = next(u for u in result.units if u.unit == UNIT)
    assert (unit.state, unit.versions, unit.late, unit.problems) == ("accepted", 3, True, [])
    with Ledger(app.workspace.ledger_path) as ledger:
        assert [r["state"] for r in ledger.returns(PERIOD)] == ["rejected", "accepted", "accepted"]
        assert ledger.latest_accepted(PERIOD)[UNIT]["source"] == "更正/v3.xlsx"
        assert len(ledger.conn.execute("SELECT * FROM files").fetchall()) == 3
    rejects = openpyxl.load_workbook(xlsx_path)[SHEET_REJECTS]
    assert rejects["A4"].value == "（无）"  # v1 was corrected by a later version


def test_missing_inbox_is_created(app):
    s = run(app)
    assert s.inbox_created and app.workspace.inbox_dir(PERIOD).is_dir()
    assert "不存在，已创建" in s.lines()[0]
    assert QuarterResult.load(app.workspace.merged_json(PERIOD)).unit_counts()["missing"] == len(
        app.assignments.by_unit
    )


def test_status_reports_each_unit(setup):
    app, forms, deadline, inbox = setup
    put(
        fill(forms[UNIT], inbox / "ok.xlsx", valid_answers(app, UNIT)), deadline + timedelta(days=1)
    )
    bad = valid_answers(app, "区人社局")
    bad[next(k for k in bad if k[0] == "lead")]["status"] = "进行中"
    put(fill(forms["区人社局"], inbox / "bad.xlsx", bad), deadline - timedelta(days=1))
    run(app)
    with Ledger(app.workspace.ledger_path) as ledger:
        st = period_status(app.settings, app.assignments, ledger, PERIOD, now=NOW)
    units = {u.unit: u for u in st.units}
    assert (
        units[UNIT].form
        and units[UNIT].state == "accepted"
        and units[UNIT].late
        and units[UNIT].versions == 1
    )
    assert units[UNIT].source == "ok.xlsx" and units[UNIT].identified_by == "hidden_sheet"
    assert units["区人社局"].state == "rejected" and units["区人社局"].overdue
    assert "“进行中”不是规定的推进状态" in units["区人社局"].problems[0]
    assert (
        units["区财政局"].state == "missing"
        and not units["区财政局"].form
        and units["区财政局"].overdue
    )
    c = st.counts()
    assert (c["due"], c["forms"], c["accepted"], c["late"], c["rejected"]) == (50, 3, 1, 1, 1)
    assert c["missing"] == 48
    assert (
        st.lines()[-1]
        == "合计：应报 50 个单位，已接收 1（按时 0，逾期 1），退回待重报 1，未报送 48。"
    )


def test_collect_and_status_commands(setup, duban):
    app, forms, deadline, inbox = setup
    put(
        fill(forms[UNIT], inbox / "ok.xlsx", valid_answers(app, UNIT)), deadline - timedelta(days=1)
    )
    r = duban("collect", "--period", "2024年第一季度")
    assert r.code == 0, r.output
    assert "本次新收 1 份（接收 1，退回 0，无法识别 0）" in r.out
    assert "汇总结果已更新" in r.out
    r = duban("status", "--period", "2024Q1", "--json")
    assert r.code == 0, r.output
    data = json.loads(r.out)
    assert data["counts"]["accepted"] == 1 and data["counts"]["due"] == 50
    assert next(u for u in data["units"] if u["unit"] == UNIT)["state"] == "accepted"
    r = duban("status", "--period", "2024Q1", "--all")
    assert (
        r.code == 0
        and "区发改委" in r.out
        and "已接收" in r.out
        and r.out.strip().splitlines()[-1].startswith("合计：")
    )
    r = duban("collect", "--period", "2024Q9")
    assert r.code != 0 and "无法识别的报告期" in r.err


def test_a_failing_file_is_set_aside_does_not_block_and_is_retried(setup, monkeypatch, duban):
    """A file the checks trip on (a bug) is set aside with the reason: the batch goes on, the
    run counts as done (the reminders and the report of every other unit are not held back),
    duban status lists it, and the next run tries it again."""
    import reporting.intake.rounds as intake  # the quarter's examiner

    app, forms, deadline, inbox = setup
    put(fill(forms[UNIT], inbox / "a.xlsx", valid_answers(app, UNIT)), deadline - timedelta(days=2))
    put(
        fill(forms["长青乡"], inbox / "b.xlsx", valid_answers(app, "长青乡")),
        deadline - timedelta(days=1),
    )
    real = intake.examine

    def flaky(path, source, *args, **kw):
        if source == "a.xlsx":
            raise TypeError("bug")
        return real(path, source, *args, **kw)

    monkeypatch.setattr(intake, "examine", flaky)
    s = run(app)
    assert [f.source for f in s.new] == ["b.xlsx"] and s.ok and s.failed == []
    why = (
        "检查时程序出错（TypeError: bug），已放在一边，下次运行时会重试；"
        "请把该文件发给维护人员，或请该单位另存后重新发送"
    )
    assert s.set_aside == [("a.xlsx", why)]
    assert f"  已放在一边 a.xlsx：{why}" in s.lines()
    r = duban("status", "--period", "2024Q1")
    assert f"收件目录中未处理：a.xlsx：{why}" in r.out
    monkeypatch.setattr(intake, "examine", real)
    s = run(app)
    assert [(f.source, f.state) for f in s.new] == [("a.xlsx", "accepted")] and s.ok and s.written
    assert "收件目录中未处理：a.xlsx" not in duban("status", "--period", "2024Q1").out
    assert s.set_aside == []


def test_status_lists_problem_units_first_and_counts_the_rest(app, duban):
    import json as _json

    from helpers import NOW
    from remind_helpers import add_return, build_forms_once

    from reporting.core.problems import Problem
    from reporting.intake.status import period_status

    build_forms_once(app)
    units = list(app.assignments.by_unit)
    for unit in units[:40]:
        add_return(app, unit, "accepted")
    problem = Problem(
        "推进状态“进行中”不是规定的推进状态", file="区财政局.xlsx", sheet="牵头任务", cell="I6"
    )
    add_return(app, units[45], "rejected", [problem.to_dict()])
    with app.ledger() as ledger:
        st = period_status(app.settings, app.assignments, ledger, "2024Q1", now=NOW)
    lines = st.lines()
    body = lines[2:]
    assert body[0].startswith(units[45]) and "退回待重报" in body[0]
    # the reason on its own line, without the file name; the columns stay aligned
    assert body[1].startswith("    退回原因：1. 牵头任务表第6行") and "区财政局.xlsx" not in body[1]
    listed = [line.split()[0] for line in body if not line.startswith((" ", "其余", "合计"))]
    assert listed == [units[45], *[u for u in units[40:] if u != units[45]]]
    assert any(line.startswith("其余 40 个单位") and "--all" in line for line in lines)
    assert len(st.lines(show_all=True)) == len(lines) + 40 - 1
    # a CJK-aware table: the 状态 column starts at the same display column in every row
    from reporting.core.columns import display_width

    rows = [lines[1], body[0], body[2]]
    starts = {
        display_width(r[: r.index(s)])
        for r, s in zip(rows, ("状态", "退回待重报", "未报送"), strict=True)
    }
    assert len(starts) == 1
    data = _json.loads(st.to_json())
    assert data["counts"]["accepted"] == 40


def test_status_before_the_notice_day_is_not_overdue(app):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from reporting.intake.status import period_status

    with app.ledger() as ledger:
        early = datetime(2024, 7, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        st = period_status(app.settings, app.assignments, ledger, "2024Q3", now=early)
        late = datetime(2024, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        after = period_status(app.settings, app.assignments, ledger, "2024Q3", now=late)
    text = "\n".join(st.lines(show_all=True))
    assert "未开始" in text.splitlines()[0] and "已逾期" not in text
    assert "未下发" in text and "未报送 " not in text.split("合计")[0]
    # after the deadline, units that were never sent a form are 未下发, not blamed as overdue
    text = "\n".join(after.lines())
    assert "未开始" not in text and "已逾期" not in text and "未下发" in text


def test_units_table_counts_cjk_width(duban):
    from reporting.core.columns import display_width

    r = duban("units")
    lines = r.out.splitlines()[:-1]
    ends = {
        display_width(line[: line.index("联络员") if "联络员" in line else line.index("联系人")])
        for line in lines
    }
    assert len(ends) == 1, lines[:3]


def _ledger_rows(workspace) -> dict[str, list[tuple]]:
    """Every intake table in insertion order, the data dir's own path taken out."""
    root = str(workspace.root)
    out = {}
    with Ledger(workspace.ledger_path) as ledger:
        for table in ("files", "returns", "return_answers", "attachments"):
            rows = ledger.conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            out[table] = [
                tuple(v.replace(root, "<data>") if isinstance(v, str) else v for v in row)
                for row in rows
            ]
    return out


def test_examined_over_the_cores_the_ledger_is_the_serial_one(app, tmp_path):
    """Workers read and check the files ahead; archive and ledger stay in the parent, in
    inbox order: the same ledger rows, outcomes and merged outputs as one by one."""
    import shutil

    from jobs.app import create_app
    from reporting.intake.collect import collect as take_in
    from reporting.merge.collect_merge import merge_period

    units = [UNIT, "长青乡", "区人社局"]
    forms = make_forms(app, units)
    deadline = period_calendar(PERIOD, app.settings.deadline).deadline
    inbox = tmp_path / "inbox"
    when = deadline - timedelta(days=3)
    for i in range(12):  # versions, a rejected one, a duplicate, a picture, a scan
        unit = units[i % 3]
        answers = valid_answers(app, unit)
        first = next(k for k in answers if k[0] == "lead")
        answers[first]["progress"] += f"（第{i}版）"
        if i == 4:
            answers[first]["percent"] = 150
        put(fill(forms[unit], inbox / f"批{i // 5}" / f"{unit}{i}.xlsx", answers), when)
        when += timedelta(hours=1)
    shutil.copy2(inbox / "批0" / f"{UNIT}0.xlsx", inbox / "副本.xlsx")
    put(inbox / "副本.xlsx", when)
    (inbox / "截图.xlsx").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))
    (inbox / "盖章件.pdf").write_bytes(b"%PDF-1.4\n" + bytes(50))
    seen = {}
    for workers in (1, 2):
        other = create_app(ROOT / "config.toml", data_dir=tmp_path / f"w{workers}", env={})
        ws = other.workspace
        with Ledger(ws.ledger_path) as ledger:
            s = take_in(
                other.settings,
                other.assignments,
                ws,
                PERIOD,
                inbox=inbox,
                now=NOW,
                ledger=ledger,
                workers=workers,
            )
            merge_period(other.settings, other.assignments, ws, PERIOD, ledger, NOW)
        outcomes = [
            (f.source, f.state, f.unit, f.late, [p.to_dict() for p in f.problems]) for f in s.new
        ]
        seen[workers] = (
            outcomes,
            s.known,
            s.attachments,
            s.failed,
            _ledger_rows(ws),
            ws.merged_json(PERIOD).read_bytes(),
            ws.merged_xlsx(PERIOD).read_bytes(),
        )
    serial, parallel = seen[1], seen[2]
    assert len(serial[0]) == 13 and {o[1] for o in serial[0]} >= {"accepted", "rejected"}
    assert serial[1] == ["副本.xlsx"] and not serial[3]
    for i, (a, b) in enumerate(zip(serial, parallel, strict=True)):
        assert a == b, i


def test_an_inbox_taken_in_before_starts_no_workers(app, tmp_path, monkeypatch):
    """Every later run over the same inbox finds its files known: none is examined ahead,
    so no worker process is started for them; new files are."""
    from reporting.intake import ahead
    from reporting.intake.collect import collect as take_in

    units = [UNIT, "长青乡", "区人社局"]
    forms = make_forms(app, units)
    inbox = tmp_path / "inbox"
    when = period_calendar(PERIOD, app.settings.deadline).deadline - timedelta(days=3)
    for unit in units:
        put(fill(forms[unit], inbox / f"{unit}.xlsx", valid_answers(app, unit)), when)
    pools = []

    def counted(fn, shared, items, **kw):
        items = list(items)
        pools.append(sum(i is not None for i in items))
        return ahead_map(fn, shared, items, **kw)

    ahead_map = ahead.ordered_map
    monkeypatch.setattr(ahead, "ordered_map", counted)

    def run_once():
        with Ledger(app.workspace.ledger_path) as ledger:
            return take_in(
                app.settings,
                app.assignments,
                app.workspace,
                PERIOD,
                inbox=inbox,
                now=NOW,
                ledger=ledger,
                workers=2,
            )

    first = run_once()
    assert pools == [3] and len(first.new) == 3
    again = run_once()
    assert (
        pools == [3] and not again.new and sorted(again.known) == sorted(f"{u}.xlsx" for u in units)
    )
    for unit in units[:2]:  # a second version of two forms
        answers = valid_answers(app, unit)
        first_row = next(k for k in answers if k[0] == "lead")
        answers[first_row]["progress"] += "（第二版）"
        put(fill(forms[unit], inbox / f"{unit}第二版.xlsx", answers), when)
    third = run_once()
    assert pools == [3, 2] and len(third.new) == 2


def test_a_form_received_at_the_deadline_minute_is_on_time(setup):
    """The deadline is the last moment that counts as on time: 17:30:00 sharp is 按时,
    one second later is 逾期."""
    app, forms, deadline, inbox = setup
    put(fill(forms[UNIT], inbox / "发改委.xlsx", valid_answers(app, UNIT)), deadline)
    after = deadline + timedelta(seconds=1)
    put(fill(forms["区人社局"], inbox / "人社局.xlsx", valid_answers(app, "区人社局")), after)
    run(app)
    with Ledger(app.workspace.ledger_path) as ledger:
        late = {r["source"]: r["late"] for r in ledger.returns(PERIOD)}
    assert late == {"发改委.xlsx": 0, "人社局.xlsx": 1}


SPACED = ("序时 推进", "序时\u00a0推进", "序时\u3000推进", " 序时 推进 ")


def test_a_status_typed_with_spaces_inside_is_accepted_as_the_status(setup):
    """序时 推进 with a space, a no-break space or a full-width space between the words (as
    typed, or pasted from a document) is 序时推进: the form is accepted, not sent back."""
    app, forms, _, inbox = setup
    answers = valid_answers(app, UNIT)
    lead = [tid for role, tid in answers if role == "lead"][: len(SPACED)]
    for tid, spelled in zip(lead, SPACED, strict=True):
        answers[("lead", tid)]["status"] = spelled
    fill(forms[UNIT], inbox / "2024Q1_区发改委_进展情况表.xlsx", answers)
    (f,) = run(app).new
    assert f.state == "accepted", [p.message for p in f.problems]
    assert [p for p in f.problems if p.code == "status"] == []
    result = QuarterResult.load(app.workspace.merged_json(PERIOD))
    statuses = {
        row.id: [a.status for a in row.lead_reports if a.unit == UNIT]
        for row in result.rows
        if row.id in lead
    }
    assert statuses == {tid: ["序时推进"] for tid in lead}
