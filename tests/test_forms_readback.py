"""Every cell of the forms and the 汇总表, read back and compared with what this test asked
for: a small task table and the units' returns are written here, the forms and the
汇总表 built from them, then each workbook read with openpyxl and, after a LibreOffice
round trip, again: values, which cells are locked (grey) or open to the unit (white),
sheet protection, and the data validations (the 推进状态 drop-down list, the percent and
number ranges, text length).

The expected values are this file's own: task ids, contents, units, leaders, indicators
(the table below, read back with the csv module), the answers and statuses the units
type, the layout words a unit sees (column headers, the five statuses) and how a task id
is printed (8.1 → 8（1）).
"""

from __future__ import annotations

import csv
import re
from datetime import datetime

import openpyxl
import pytest
from conftest import ROOT, office
from helpers import unbroken, write_task_table
from openpyxl.utils.cell import get_column_letter, range_boundaries

from jobs.app import create_app
from reporting.core.calendar import TZ

PERIOD = "2024Q1"
PERIOD_CN = "2024年第一季度"
BUILT = datetime(2024, 3, 29, 9, 0, tzinfo=TZ)
COLLECTED = datetime(2024, 4, 3, 10, 0, tzinfo=TZ)
STATUSES = ["已完成", "超序时", "序时推进", "滞后", "未启动"]

# The task table, out of id order on purpose (forms and 汇总表 list tasks by id).
TABLE = [
    {
        "id": "3.2",
        "section": "3",
        "content": "建设数字政府平台，新增一批“一网通办”事项。",
        "short_title": "建设数字政府平台",
        "lead_units": "区数据资源局",
        "coop_units": "区文明办",
        "indicators": "新增上线事项=50项；平台覆盖率=90%",
    },
    {
        "id": "1",
        "section": "1",
        "content": "地区生产总值增长8%左右。",
        "short_title": "地区生产总值增长8%左右",
        "lead_leaders": "崔海锋",
        "lead_units": "区发改委",
        "coop_units": "区财政局",
        "indicators": "地区生产总值=增长8%",
    },
    {
        "id": "3.1",
        "section": "3",
        "content": '落实减税降费政策 <A&B> "直达快享"。',
        "short_title": "落实减税降费政策",
        "lead_units": "区财政局",
        "coop_units": "区发改委、区数据资源局",
    },
    {
        "id": "2",
        "section": "1",
        "content": "推进重点项目建设，完成年度投资计划。",
        "short_title": "推进重点项目建设",
        "lead_units": "区发改委",
        "coop_units": "区财政局",
        "indicators": "重点项目投资=120亿元；新开工项目=30个",
    },
]
UNITS = ["区发改委", "区财政局", "区数据资源局", "区文明办"]  # from units.csv
MISSING = ("区数据资源局", "区文明办")  # send nothing back

# What the units type: (unit, task id) → answer; a lead row has numbers and a status.
ANSWERS = {
    ("区发改委", "1"): {
        "本季度工作进展": "一季度地区生产总值增长8.1%，调度重点企业12家。",
        "累计完成进度（%）": 25.5,
        "推进状态": "序时推进",
        "存在问题": "无",
        "下步打算": "继续调度重点企业。",
        "indicators": {"地区生产总值": 8.1},
    },
    ("区发改委", "2"): {
        "本季度工作进展": "开工项目8个，投资进度偏慢。",
        "累计完成进度（%）": 10,
        "推进状态": "序时推进",  # not what 10 % at a 序时进度 of 25 % is: 滞后
        "存在问题": "要素保障不足",
        "下步打算": "加快手续办理",
        "indicators": {"重点项目投资": 18.5, "新开工项目": 6},
    },
    ("区发改委", "3.1"): {"本季度工作进展": "配合梳理政策清单3份。"},
    ("区财政局", "3.1"): {
        "本季度工作进展": "减税降费政策全部落实 <已兑现> & 到位。",
        "累计完成进度（%）": 100,
        "推进状态": "已完成",
        "存在问题": "无",
        "下步打算": "做好政策宣传。",
    },
    ("区财政局", "1"): {"本季度工作进展": "按月提供财政收入数据。"},
    ("区财政局", "2"): {"本季度工作进展": "拨付项目资金2亿元。"},
}
# The 推进状态 the numbers say at Q1 (序时进度 25 %): below it 滞后, at it 序时推进, 100 % 已完成.
JUDGED = {"1": "序时推进", "2": "滞后", "3.1": "已完成"}
HEADER_BOXES = {"填报人": "张三", "联系电话": "0552-1234567", "填报日期": "2024年4月2日"}

ANSWER_HEADERS = ["本季度工作进展", "累计完成进度（%）", "推进状态", "存在问题", "下步打算"]
FORM_HEADERS = [
    "序号",
    "任务编号",
    "任务内容",
    "上季度报送情况（供参考）",
    *ANSWER_HEADERS,
]
GIVEN_HEADERS = ["配合单位反馈（供参考）", "责任分工"]  # after the indicators' values
FIXED_BOXES = ["填报单位", "报告期", "表单编号", "截止时间"]
OPEN_BOXES = ["填报人", "联系电话", "填报日期", "主要领导审核"]
SUMMARY_HEADERS = (
    "序号 任务编号 任务（简称） 任务内容 牵头责任领导 牵头单位 本季度工作进展（牵头单位） "
    "累计完成进度（%） 应达进度（%） 进度依据 推进状态 按数据研判 预警 指标完成情况 存在问题 "
    "下步打算 配合单位反馈 未报送单位 需核实"
).split()
COOP_HEADERS = (
    "序号 任务编号 牵头单位 配合单位 本季度工作进展 累计完成进度（%） "
    "推进状态 指标完成值 存在问题 下步打算"
).split()
# nothing too long here: no 全文 sheet (written only when a text spilled there)
SUMMARY_SHEETS = ["汇总表", "配合单位反馈", "报送情况", "退回清单", "校验提醒"]
GREY, DARK_GREY = "FFF2F2F2", "FFD9D9D9"  # given (locked) cells; an indicator slot not used
LIGHT_FILLS = {"绿": "FFC6EFCE", "黄": "FFFFEB9C", "红": "FFFFC7CE"}


# -- the fixture's own reading of its table ---------------------------------------------
def read_table(path) -> list[dict]:
    """The task table as the test wrote it, sorted by task id (1, 2, 3.1, 3.2, 10)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return sorted(rows, key=lambda r: tuple(int(p) for p in r["id"].split(".")))


def names(text: str) -> list[str]:
    return [n for n in (text or "").split("、") if n]


def label(task_id: str) -> str:
    no, _, sub = task_id.partition(".")
    return f"{no}（{sub}）" if sub else no


def task_id_of(text) -> str | None:
    m = re.fullmatch(r"(\d+)(?:（(\d+)）)?", str(text or ""))
    return None if m is None else m.group(1) + (f".{m.group(2)}" if m.group(2) else "")


def indicators(row: dict) -> list[tuple[str, str]]:
    """(name, target as written) of a table row: 地区生产总值=增长8% → (地区生产总值, 增长8%)."""
    return [tuple(p.split("=", 1)) for p in row["indicators"].split("；") if p]


def target_text(name: str, target: str) -> str:
    return f"{name}：{target}" + ("（填增速）" if target.startswith("增长") else "")


def sheets_of(table: list[dict], unit: str) -> dict[str, list[dict]]:
    lead = [r for r in table if unit in names(r["lead_units"])]
    coop = [r for r in table if unit in names(r["coop_units"]) and r not in lead]
    return {k: v for k, v in (("牵头任务", lead), ("配合任务", coop)) if v}


def duty(row: dict) -> str:
    lines = [f"牵头单位：{'、'.join(names(row['lead_units']))}"]
    if row["lead_leaders"]:
        lines.insert(0, f"责任领导：{row['lead_leaders']}")
    if row["coop_units"]:
        lines.append(f"配合单位：{row['coop_units']}")
    return "\n".join(lines)


# -- the world: table, forms, returns, 汇总表 -------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from reporting.forms.build import build_forms
    from reporting.merge.collect_merge import collect_and_merge

    base = tmp_path_factory.mktemp("readback")
    tasks = write_task_table(base / "tasks.csv", TABLE)
    app = create_app(ROOT / "config.toml", data_dir=base / "data", env={})
    app.settings.paths.tasks = tasks
    summary = build_forms(
        app.settings, app.assignments, app.workspace, PERIOD, now=BUILT, workers=1
    )
    assert summary.ok and sorted(f.unit for f in summary.built) == sorted(UNITS)
    forms = {f.unit: f.path for f in summary.built}
    inbox = app.workspace.inbox_dir(PERIOD)
    inbox.mkdir(parents=True, exist_ok=True)
    for unit in UNITS:
        if unit not in MISSING:
            fill(forms[unit], inbox / f"{unit}.xlsx", unit)
    collected = collect_and_merge(
        app.settings, app.assignments, app.workspace, PERIOD, now=COLLECTED
    )
    assert collected.merged_xlsx.exists()
    return {
        "table": read_table(tasks),
        "forms": forms,
        "summary": collected.merged_xlsx,
        "max_text": app.settings.forms.max_text_chars,
    }


def header_row(ws) -> tuple[int, dict[str, int]]:
    """The row whose first cell is 序号, and each header (without line breaks) → column."""
    for row in ws.iter_rows(max_col=1):
        if row[0].value == "序号":
            r = row[0].row
            heads = {str(c.value).replace("\n", ""): c.column for c in ws[r] if c.value is not None}
            return r, heads
    raise AssertionError(f"{ws.title}: no header row")


def merged_end(ws, cell) -> int:
    """The last column of the merged range ``cell`` starts (its own column when none)."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row == cell.row and rng.min_col == cell.column:
            return rng.max_col
    return cell.column


def fill(form, dest, unit: str) -> None:
    """What a unit does: open its form, type its answers into the white cells, save."""
    wb = openpyxl.load_workbook(form)
    for name in ("牵头任务", "配合任务"):
        if name not in wb.sheetnames:
            continue
        ws = wb[name]
        for row in ws.iter_rows(max_row=4):
            for c in row:
                box = str(c.value or "").replace("\n", "").rstrip("：")  # may break
                if box in HEADER_BOXES:
                    ws.cell(row=c.row, column=merged_end(ws, c) + 1, value=HEADER_BOXES[box])
        head, at = header_row(ws)
        r = head + 1
        while (task_id := task_id_of(ws.cell(row=r, column=at["任务编号"]).value)) is not None:
            answer = ANSWERS.get((unit, task_id), {})
            for key in ANSWER_HEADERS:
                if key in answer:
                    ws.cell(row=r, column=at[key], value=answer[key])
            for ind, value in answer.get("indicators", {}).items():
                k = next(
                    k
                    for k in range(1, 10)
                    if str(ws.cell(row=r, column=at[f"指标{k}（目标）"]).value).startswith(
                        f"{ind}："
                    )
                )
                ws.cell(row=r, column=at[f"指标{k}完成值"], value=value)
            r += 1
    wb.save(dest)


# -- reading a workbook back ------------------------------------------------------------------
def fill_of(cell) -> str | None:
    """A cell's background: None for none (white), else the ARGB colour."""
    f = cell.fill
    if f is None or f.fill_type in (None, "none"):
        return None
    return f.fgColor.rgb


def plain(value):
    """A value as both readers agree on it: '' is no value, 25.0 is 25."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def cells_of(sqref) -> set[str]:
    out = set()
    for part in str(sqref).split():
        min_col, min_row, max_col, max_row = range_boundaries(part)
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                out.add(f"{get_column_letter(c)}{r}")
    return out


def range_values(wb, ref: str) -> list:
    """The values of a range such as '下拉选项'!$A$1:$A$5 (or LibreOffice's spelling)."""
    sheet, _, cells = ref.rpartition("!")
    ws = wb[sheet.strip("'").lstrip("$")]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


def status_list(wb, formula: str) -> list:
    """What the 推进状态 drop-down offers: its formula names a range, directly or by a name."""
    formula = formula.lstrip("=")
    if formula in wb.defined_names:
        formula = wb.defined_names[formula].attr_text
    return range_values(wb, formula)


def assert_form(wb, unit: str, table: list[dict], max_text: int) -> dict[str, dict]:
    """Every cell of ``unit``'s form against the table; returns each sheet's cells
    (coordinate → value, locked, fill) for comparing two readings."""
    expected = sheets_of(table, unit)
    requests = ["销号延期调整申请"] if "牵头任务" in expected else []  # lead units ask
    assert wb.sheetnames == ["填报说明", *expected, *requests, "表单标识", "下拉选项"]
    assert [ws.sheet_state for ws in wb.worksheets] == ["visible"] * (
        1 + len(expected) + len(requests)
    ) + [
        "hidden",
        "hidden",
    ]
    for ws in wb.worksheets:
        assert ws.protection.sheet, (unit, ws.title)
    assert [plain(v) for v in range_values(wb, "下拉选项!A1:A5")] == STATUSES
    for name, rows in expected.items():
        assert_task_sheet(wb, wb[name], unit, rows, max_text)
    assert_guide(wb["填报说明"], unit, expected)
    assert_identification(wb, unit, expected)
    return {
        ws.title: {
            c.coordinate: (plain(c.value), c.protection.locked, fill_of(c))
            for row in ws.iter_rows()
            for c in row
            if c.value not in (None, "") or ws.sheet_state == "visible"
        }
        for ws in wb.worksheets
    }


def assert_task_sheet(wb, ws, unit: str, rows: list[dict], max_text: int) -> None:
    n_ind = max(len(indicators(r)) for r in rows)
    head, at = header_row(ws)
    # the values print beside the answers; the targets come last (and under 任务内容)
    headers = [
        *FORM_HEADERS,
        *(f"指标{k}完成值" for k in range(1, n_ind + 1)),
        *GIVEN_HEADERS,
        *(f"指标{k}（目标）" for k in range(1, n_ind + 1)),
    ]
    assert list(at) == headers and list(at.values()) == list(range(1, len(headers) + 1))
    width = len(headers)
    seen: set[str] = {f"{get_column_letter(c)}{head}" for c in range(1, width + 1)}
    for c in range(1, width + 1):
        assert fill_of(ws.cell(row=head, column=c)) is not None  # header colour

    # title and the boxes above the table
    title = ws["A1"].value
    assert title.startswith("禹会区2024年") and title.endswith(
        "（牵头任务）" if ws.title == "牵头任务" else "（配合任务）"
    )
    seen.add("A1")
    boxes = {}
    for row in ws.iter_rows(min_row=2, max_row=head - 1):
        for c in row:
            text = str(c.value or "").replace("\n", "")  # a long label may break
            if text.endswith("："):
                value = ws.cell(row=c.row, column=merged_end(ws, c) + 1)
                boxes[text[:-1]] = value
                seen |= {c.coordinate, value.coordinate}
    assert sorted(boxes) == sorted(FIXED_BOXES + OPEN_BOXES)
    assert boxes["填报单位"].value == unit and boxes["报告期"].value == PERIOD_CN
    assert boxes["表单编号"].value.startswith(f"{PERIOD}-")
    for name in FIXED_BOXES:
        assert boxes[name].protection.locked, name
    for name in OPEN_BOXES:
        assert boxes[name].value is None and not boxes[name].protection.locked, name

    # one row per task of the table, in id order
    open_cells: dict[str, set[str]] = {"text": set(), "percent": set(), "status": set()}
    open_cells["indicator"], open_cells["count"] = set(), set()
    for i, task in enumerate(rows):
        r = head + 1 + i
        targets = indicators(task)
        given = {
            "序号": i + 1,
            "任务编号": label(task["id"]),
            "任务内容": "\n".join(
                [
                    task["content"],
                    *(f"【指标{k}】{target_text(*t)}" for k, t in enumerate(targets, 1)),
                ]
            ),
            "责任分工": duty(task),
        }
        for k in range(1, n_ind + 1):
            given[f"指标{k}（目标）"] = target_text(*targets[k - 1]) if k <= len(targets) else None
        for header, col in at.items():
            c = ws.cell(row=r, column=col)
            seen.add(c.coordinate)
            where = (unit, ws.title, task["id"], header)
            if header in given:
                assert plain(c.value) == given[header], where
                assert c.protection.locked, where
                spare = header.startswith("指标") and given[header] is None
                assert fill_of(c) == (DARK_GREY if spare else GREY), where
            elif header.endswith("（供参考）"):  # nothing to show in Q1: locked, hidden
                assert plain(c.value) is None and c.protection.locked, where
                assert ws.column_dimensions[get_column_letter(col)].hidden, where
            elif header.endswith("完成值") and int(header[2:-3]) > len(targets):
                assert c.value is None and c.protection.locked, where
                assert fill_of(c) == DARK_GREY, where
            else:  # the unit's answer: empty, white, open
                assert c.value is None and not c.protection.locked, where
                assert fill_of(c) is None, where
                kind = {"累计完成进度（%）": "percent", "推进状态": "status"}.get(header)
                if header.endswith("完成值"):  # a count (个, 项) takes whole numbers only
                    _, target = targets[int(header[2:-3]) - 1]
                    kind = "count" if target.endswith(("个", "项")) else "indicator"
                open_cells[kind or "text"].add(c.coordinate)
    for header in at:
        hidden = ws.column_dimensions[get_column_letter(at[header])].hidden
        assert bool(hidden) == header.endswith("（供参考）"), header

    # the colour note under the table; nothing else anywhere
    note = ws.cell(row=head + len(rows) + 2, column=1)
    assert str(note.value).startswith("注：白色单元格由本单位填写")
    seen.add(note.coordinate)
    for row in ws.iter_rows():
        for c in row:
            if c.coordinate not in seen:
                assert c.value in (None, ""), (unit, ws.title, c.coordinate, c.value)

    # what may be typed where: one rule for each kind of open cell, none on a locked cell
    rules = {}
    for dv in ws.data_validations.dataValidation:
        rules.setdefault(dv.type, []).append(dv)
    assert sorted(rules) == ["decimal", "list", "textLength"] + (
        ["whole"] if open_cells["count"] else []
    )
    if open_cells["count"]:
        (whole,) = rules["whole"]
        assert cells_of(whole.sqref) == open_cells["count"]
        assert float(whole.formula1) < -1e9 and float(whole.formula2) > 1e9
    (status,) = rules["list"]
    assert cells_of(status.sqref) == open_cells["status"]
    assert status_list(wb, status.formula1) == STATUSES
    assert status.showErrorMessage and status.errorStyle in (None, "stop")
    assert not status.showDropDown  # (the attribute hides the in-cell arrow when set)
    (text,) = rules["textLength"]
    assert cells_of(text.sqref) == open_cells["text"]
    assert text.operator == "lessThanOrEqual" and float(text.formula1) == max_text
    ranges = {(float(d.formula1), float(d.formula2)): cells_of(d.sqref) for d in rules["decimal"]}
    assert ranges.pop((0, 100)) == open_cells["percent"]
    if open_cells["indicator"]:
        ((low, high), cells), *rest = ranges.items()
        assert not rest and low < -1e9 and high > 1e9 and cells == open_cells["indicator"]
    else:
        assert not ranges


def assert_guide(ws, unit: str, expected: dict[str, list]) -> None:
    facts = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(2, 9)}
    assert facts["填报单位"] == unit and facts["报告期"] == PERIOD_CN
    counts = "，".join(
        f"{name[:2]}任务 {len(rows)} 项（见“{name}”表）" for name, rows in expected.items()
    )
    assert facts["任务数"] == counts
    assert facts["识别码（请勿改动）"].startswith("DUBAN|") and unit in facts["识别码（请勿改动）"]


def assert_identification(wb, unit: str, expected: dict[str, list]) -> None:
    ws = wb["表单标识"]
    pairs = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(2, 20)}
    assert pairs["unit"] == unit and pairs["period"] == PERIOD
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "工作表")
    listed = [
        tuple(plain(ws.cell(row=r, column=c).value) for c in range(1, 4))
        for r in range(start + 1, ws.max_row + 1)
        if ws.cell(row=r, column=1).value
    ]
    first = header_row(wb[next(iter(expected))])[0] + 1
    want = [
        (name, first + i, task["id"])
        for name, rows in expected.items()
        for i, task in enumerate(rows)
    ]
    assert listed == want


def assert_summary(wb, table: list[dict]) -> dict[str, dict]:
    """Every cell of the 汇总表 against the table and the answers typed."""
    assert wb.sheetnames == SUMMARY_SHEETS
    answered = {unit for unit, _ in ANSWERS}
    ws = wb["汇总表"]
    assert ws["A1"].value.startswith("禹会区2024年第一季度")
    due, got = len(UNITS), len(answered)
    assert (
        f"应报 {due} 个单位，已接收 {got}（逾期 0），退回待重报 0，未报送 {due - got}"
        in unbroken(ws["A2"].value)
    )
    assert [ws.cell(row=3, column=c).value for c in range(1, 20)] == SUMMARY_HEADERS
    for i, task in enumerate(table):
        r = 4 + i
        lead = names(task["lead_units"])
        mine = ANSWERS.get((lead[0], task["id"]), {})
        partners = [u for u in names(task["coop_units"]) if (u, task["id"]) in ANSWERS]
        missing = [u for u in lead + names(task["coop_units"]) if (u, task["id"]) not in ANSWERS]
        # long texts come back with the line breaks the writer put in (break_lines)
        row = {
            h: unbroken(plain(ws.cell(row=r, column=c).value))
            for c, h in enumerate(SUMMARY_HEADERS, 1)
        }
        assert row["序号"] == i + 1 and row["任务编号"] == label(task["id"])
        assert row["任务（简称）"] == unbroken(
            task["short_title"]
        )  # the office's, as the report names it
        assert row["任务内容"] == unbroken(task["content"])
        assert row["牵头责任领导"] == unbroken(task["lead_leaders"] or None)
        assert row["牵头单位"] == "、".join(lead)
        assert row["本季度工作进展（牵头单位）"] == unbroken(mine.get("本季度工作进展"))
        assert row["累计完成进度（%）"] == mine.get("累计完成进度（%）")
        # the table gives no kind, milestone or early deadline: the first quarter's line
        assert (row["应达进度（%）"], row["进度依据"]) == (25, "序时进度")
        assert row["推进状态"] == mine.get("推进状态", "未报送")
        assert row["存在问题"] == unbroken(mine.get("存在问题"))
        assert row["下步打算"] == unbroken(mine.get("下步打算"))
        shown = f"{len(partners)}个单位反馈" if partners else None
        assert row["配合单位反馈"] == shown
        assert row["未报送单位"] == ("、".join(missing) or None)
        judged = JUDGED.get(task["id"])
        assert row["按数据研判"] == judged
        if judged == row["推进状态"] or judged is None:  # no partner says otherwise either
            assert row["需核实"] is None
        else:
            assert f"“{row['推进状态']}”" in row["需核实"]
        light = ws.cell(row=r, column=SUMMARY_HEADERS.index("预警") + 1)  # colour = word
        assert (light.value in LIGHT_FILLS) if mine else (light.value is None)
        assert fill_of(light) == LIGHT_FILLS.get(light.value), task["id"]
        assert not any(plain(ws.cell(row=r, column=c).value) for c in range(20, ws.max_column + 1))
    assert ws.max_row == 3 + len(table) or not any(
        c.value for row in ws.iter_rows(min_row=4 + len(table)) for c in row
    )

    coop = wb["配合单位反馈"]
    assert [coop.cell(row=3, column=c).value for c in range(1, 11)] == COOP_HEADERS
    want = [
        (
            label(t["id"]),
            "、".join(names(t["lead_units"])),
            u,
            unbroken(ANSWERS[(u, t["id"])]["本季度工作进展"]),
        )
        for t in table
        for u in names(t["coop_units"])
        if (u, t["id"]) in ANSWERS
    ]
    got_rows = [
        tuple(unbroken(plain(coop.cell(row=r, column=c).value)) for c in range(2, 6))
        for r in range(4, 4 + len(want))
    ]
    assert got_rows == want
    assert not any(c.value for row in coop.iter_rows(min_row=4 + len(want)) for c in row)

    units = wb["报送情况"]
    states = {
        units.cell(row=r, column=2).value: (
            units.cell(row=r, column=3).value,
            units.cell(row=r, column=4).value,
            plain(units.cell(row=r, column=6).value),
            plain(units.cell(row=r, column=7).value),
        )
        for r in range(4, units.max_row + 1)
        if units.cell(row=r, column=2).value
    }
    with open(ROOT / "units.csv", encoding="utf-8") as f:
        kinds = {row["name"]: row["kind"] for row in csv.DictReader(f)}  # each unit's class
    assert states == {
        u: (kinds[u], "已接收", "否", 1) if u in answered else (kinds[u], "未报送", None, None)
        for u in UNITS
    }
    assert wb["退回清单"]["A4"].value == "（无）" and wb["退回清单"].max_row <= 4  # none
    assert "全文" not in wb.sheetnames  # nothing too long
    return {
        ws.title: {
            c.coordinate: (plain(c.value), fill_of(c))
            for row in ws.iter_rows()
            for c in row
            if c.value not in (None, "")
        }
        for ws in wb.worksheets
    }


# -- the tests -----------------------------------------------------------------------------
def test_every_form_cell_read_back_is_what_the_table_asked_for(world):
    for unit in UNITS:
        wb = openpyxl.load_workbook(world["forms"][unit])
        assert wb.security.lockStructure  # sheets cannot be unhidden, renamed or deleted
        assert_form(wb, unit, world["table"], world["max_text"])


def test_every_summary_cell_read_back_is_what_the_units_returned(world):
    assert_summary(openpyxl.load_workbook(world["summary"]), world["table"])


@office
def test_every_cell_survives_a_libreoffice_round_trip(world, tmp_path):
    """A unit or the office may open and save the files in LibreOffice: every value, lock,
    fill, protection and validation is still what the table asked for, and each cell
    equals what openpyxl read from the file as written."""
    from reporting.documents.office import convert

    for unit in UNITS:
        src = world["forms"][unit]
        before = assert_form(openpyxl.load_workbook(src), unit, world["table"], world["max_text"])
        resaved = convert(src, "xlsx", tmp_path / unit)
        after = assert_form(
            openpyxl.load_workbook(resaved), unit, world["table"], world["max_text"]
        )
        assert_same_cells(before, after, unit)
    before = assert_summary(openpyxl.load_workbook(world["summary"]), world["table"])
    resaved = convert(world["summary"], "xlsx", tmp_path / "summary")
    after = assert_summary(openpyxl.load_workbook(resaved), world["table"])
    assert_same_cells(before, after, "汇总表")


def assert_same_cells(before: dict, after: dict, what: str) -> None:
    """Each cell with a value, or on a visible sheet, reads the same after the round trip
    (LibreOffice may add empty cells of its own)."""
    assert list(before) == list(after), what
    for sheet, cells in before.items():
        for coord, value in cells.items():
            assert after[sheet].get(coord) == value, (what, sheet, coord)
        extra = {k: v for k, v in after[sheet].items() if k not in cells}
        assert all(v[0] is None for v in extra.values()), (what, sheet, extra)
