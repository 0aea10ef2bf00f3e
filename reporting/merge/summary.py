"""汇总表.xlsx: the period's merged workbook, print-ready like the forms.

Sheets:
- ``汇总表``   one row per task row: lead reports, progress (a number), status (reported
  and judged), light, indicators, problems, next steps, how many cooperating units
  answered (linked to their rows), units missing;
- ``配合单位反馈`` one row per task and cooperating unit: everything the unit typed
  (progress, percentage, status, problems, next steps, indicator values);
- ``报送情况`` one row per unit due: state, received, late, versions, how identified;
- ``退回清单`` one row per problem of every return still waiting for a corrected version
  (and of files no unit could be found for), with where it is and how to fix it;
- ``校验提醒`` every warning of the returns in force (accepted with a remark);
- ``全文`` cells too long for one printed row (Excel caps a row at 409 pt) in full, the
  汇总表 cell shows the beginning and links here.

Everything units typed goes through ``safe_cell_text`` (formula injection, illegal XML
characters) and is stored as text, never as a formula.
"""

from __future__ import annotations

from pathlib import Path

from reporting.core.config import Settings
from reporting.core.fileutil import safe_cell_text
from reporting.core.labels import task_label
from reporting.core.ledger import Ledger
from reporting.core.model import Light, QuarterResult, RowResult
from reporting.core.numbers import num
from reporting.core.periods import cn_time
from reporting.core.states import Final, PaceBasis, TaskKind
from reporting.core.submissions import counts_text
from reporting.core.unit_classes import class_name
from reporting.intake.status import STATE_CN
from reporting.merge.disagree import FLAG, row_disagreements
from reporting.merge.figures import period_figures
from reporting.merge.tally import pace_note
from reporting.taskbook.short_names import short_title_of
from reporting.taskbook.tasks import Indicator, values_text

SHEET_ROWS = "汇总表"
SHEET_COOP = "配合单位反馈"
SHEET_UNITS = "报送情况"
SHEET_REJECTS = "退回清单"
SHEET_WARNINGS = "校验提醒"
SHEET_REQUESTS = "销号延期调整申请"  # only when the period has requests
SHEET_FULL = "全文"
# "General": 61 prints as 61, 61.5 as 61.5 in Excel, WPS and LibreOffice alike ("0.##"
# printed "61." in Excel); values are already rounded to two places (core.numbers)
PERCENT_FORMAT = "General"

ROW_COLUMNS = (
    ("序号", 4),
    ("任务编号", 7),
    ("任务（简称）", 14),  # the name the report, briefs and 通报 give the task
    ("任务内容", 30),
    ("牵头责任领导", 8),
    # 8 字 a line: the bundled units' names up to 8 字 (48 of 50) and the 1,000-unit city's
    # ("测试单位0001") on one line, "责任人：黄副主任" too; the 4 taken from 序号, 预警 and
    # 配合单位反馈, which hold less than their width, so the page keeps its scale
    ("牵头单位", 16),
    ("本季度工作进展（牵头单位）", 40),
    ("累计完成进度（%）", 8),
    ("应达进度（%）", 8),
    ("进度依据", 12),
    ("推进状态", 8),
    ("按数据研判", 10),  # five characters on one line (at 8 "判" wrapped alone)
    ("预警", 4),
    ("指标完成情况", 26),
    ("存在问题", 22),
    ("下步打算", 22),
    ("配合单位反馈", 14),  # "20个单位反馈" on one line (a linked cell is never wrapped)
    ("未报送单位", 14),
    ("需核实", 20),
)
LEAD_UNIT_WIDTH = dict(ROW_COLUMNS)["牵头单位"]
MISSING_WIDTH = dict(ROW_COLUMNS)["未报送单位"]
CENTRED = frozenset({"牵头单位"})  # centred like the narrow columns, though 8 字 wide
CHECK_COLUMN = len(ROW_COLUMNS)  # 需核实: status conflicts and 说法不一 (lead vs partners)
_COLUMN = {name: k for k, (name, _) in enumerate(ROW_COLUMNS, 1)}
FLAG_FILL = "FFFCE4D6"  # light orange: the lead and a partner disagree
COOP_COLUMNS = (
    ("序号", 5),
    ("任务编号", 7),
    ("牵头单位", 10),
    ("配合单位", 12),
    ("本季度工作进展", 40),
    ("累计完成进度（%）", 8),
    ("推进状态", 8),
    ("指标完成值", 18),
    ("存在问题", 24),
    ("下步打算", 24),
)
COOP_LEAD_WIDTH = dict(COOP_COLUMNS)["牵头单位"]
COOP_UNIT_WIDTH = dict(COOP_COLUMNS)["配合单位"]
FULL_COLUMNS = (("序号", 5), ("任务编号", 8), ("栏目", 16), ("全文", 120))
UNIT_COLUMNS = (
    ("序号", 5),
    ("单位", 18),
    ("类别", 12),
    ("状态", 10),
    ("报送时间", 17),
    ("是否逾期", 8),
    ("版本数", 7),
    ("识别方式", 12),
    ("退回原因", 70),
)
REJECT_COLUMNS = (
    ("序号", 5),
    ("单位", 16),
    ("文件", 28),
    ("收到时间", 17),
    ("位置", 14),
    ("任务编号", 8),
    ("问题及修改要求", 70),
)
WARNING_COLUMNS = (*REJECT_COLUMNS[:-1], ("提醒内容", 70))
REQUEST_COLUMNS = (
    ("编号", 6),
    ("单位", 16),
    ("任务编号", 9),
    ("申请事项", 30),
    ("理由", 30),
    ("佐证材料", 28),
    ("收到时间", 12),
    ("审批结果", 10),
    ("文号或理由", 22),
    ("审批人、时间", 16),
)
LIGHT_FILLS = {
    Light.GREEN: "FFC6EFCE",
    Light.YELLOW: "FFFFEB9C",
    Light.RED: "FFFFC7CE",
}


def _when(iso: str | None) -> str:
    """'2024-07-08T09:00:00+08:00' → '2024年7月8日9时' (the year always: a sheet is kept)."""
    if not iso:
        return ""
    text = cn_time(iso)
    return text if text == iso else f"{iso[:4]}年{text}"


def _joined(parts: list[tuple[str, str]], several: bool) -> str:
    """'单位：text' lines; the unit prefix only when several units answered."""
    lines = [f"{unit}：{text}" if several else text for unit, text in parts if text]
    return "\n".join(lines)


def units_text(units: list[str], width: float) -> str:
    """Unit names for a cell ``width`` wide: as many whole names (with their 、) a line as
    fit, and a name longer than a line in equal parts ("区自然资源/规划分局", where the
    cell wrapped "区自然资源规划分" above "局")."""
    import math

    from reporting.documents import xlsx_style as st

    room = st.line_em(width)

    def fits(text: str) -> bool:
        return st.text_width(text) / 2 <= room

    lines: list[str] = []
    for k, unit in enumerate(units):
        mark = "、" if k < len(units) - 1 else ""
        if lines and fits(lines[-1] + unit + mark):
            lines[-1] += unit + mark
        elif fits(unit + mark):
            lines.append(unit + mark)
        elif any(ch in st.NO_LINE_START or ch in st.NO_LINE_END for ch in unit):
            lines += st.break_lines(unit + mark, width).split("\n")
        else:
            size = math.ceil(len(unit) / math.ceil(st.text_width(unit + mark) / 2 / room))
            lines += [unit[i : i + size] for i in range(0, len(unit), size)]
            lines[-1] += mark
    return "\n".join(lines)


def owner_text(owner: str) -> str:
    """责任人 under the lead unit, the name on a line of its own when the label and the name
    do not share one (the cell wrapped "责任人：黄副" above "主任")."""
    from reporting.documents import xlsx_style as st

    text = f"责任人：{owner}"
    width = LEAD_UNIT_WIDTH
    if st.break_lines(text, width) == text:
        return text
    if st.break_lines(owner, width) != owner and "（" in owner:  # 李明 / （副主任）
        owner = owner.replace("（", "\n（", 1)
    return f"责任人：\n{owner}"


def row_values(row: RowResult) -> list:
    several = len(row.lead_reports) > 1
    reports = row.lead_reports
    indicators = "\n".join(i.text for i in row.indicators if i.text)
    n = len(row.coop_feedback)
    # one short line: LibreOffice shows a linked cell on one line whatever its breaks
    # ("8个单位反馈（点击查看" cut at the column edge); the link's blue says it opens
    coop = f"{n}个单位反馈" if n else ""
    lead = units_text(row.lead_units, LEAD_UNIT_WIDTH)
    lead += f"\n{owner_text(row.owner)}" if row.owner else ""
    return [
        row.label,
        short_title_of(row),
        row.content,
        "、".join(row.lead_leaders),
        lead,
        _joined([(a.unit, a.progress) for a in reports], several),
        row.percent,
        row.expected_progress if row.expected_progress is not None else "—",
        basis_text(row),
        row.status or "未报送",
        row.judged_status or ("—" if row.reported and row.expected_progress is None else ""),
        row.light or "",
        indicators,
        _joined([(a.unit, a.problems) for a in reports], several),
        _joined([(a.unit, a.next_steps) for a in reports], several),
        coop,
        units_text(row.missing_units, MISSING_WIDTH),
        check_text(row),
    ]


def _note(note: str) -> str:
    return f"（{note}）" if note else ""


def basis_text(row: RowResult) -> str:
    """The 进度依据 cell: what the 应达进度 was taken from (core.pace.row_pace)."""
    kind = TaskKind.parse(row.kind)
    if row.pace_basis == PaceBasis.PLAN:
        return "落实方案节点"
    if kind == TaskKind.ONE_OFF:
        return "完成时限" if row.expected_progress is not None else "未到完成时限"
    return "序时进度" if row.expected_progress is not None else "不按进度研判"


def check_text(row: RowResult) -> str:
    """The 需核实 cell: reported vs judged status, then each 说法不一 with its reason."""
    lines = [row.status_conflict] if row.status_conflict else []
    lines += [f"{FLAG}：{d.reason}" for d in row_disagreements(row)]
    return "\n".join(lines)


def write_summary(
    result: QuarterResult,
    returns: list,
    path: Path | str,
    settings: Settings,
    requests: list[list] | None = None,
    finals: dict[str, Final] | None = None,
) -> None:
    """Write 汇总表.xlsx atomically; ``returns`` are the period's ledger rows (received order);
    ``requests`` the 销号/延期/调整 requests of the period as rows (a sheet when any);
    ``finals``: the year's verdict (the fourth quarter), stated in the header."""
    from reporting.documents import xlsx_direct as xd
    from reporting.documents import xlsx_style as st

    wb = xd.Book(st.BODY, lock_structure=False)  # 宋体 the default font
    ws = wb.create_sheet(SHEET_ROWS)
    d = settings.district
    title = f"{d.name}{result.period_label}{d.document_title}推进情况汇总表"
    c = result.unit_counts()
    fig = period_figures(result, finals)  # what the report, 通报 and briefs print too
    sc, lc = fig.counts.status, fig.counts.lights
    flagged = [i for i, r in enumerate(result.rows) if row_disagreements(r)]
    sub = (
        f"序时进度 {num(result.expected_progress)}%{_note(pace_note(result.rows, result.expected_progress))}；截至 {_when(fig.cutoff)}，应报 {c['due']} 个单位，"
        f"{counts_text(c)}。"
        f"任务 {len(result.rows)} 项："
        + ("自报 " if fig.judged else "")
        + "，".join(f"{k} {v}" for k, v in sc.items() if v)
        + (
            "；经对照年度目标判定：" + "，".join(f"{k} {v}" for k, v in fig.verdict_parts())
            if fig.judged
            else ""
        )
        + "；预警："
        + "，".join(f"{k}灯 {v}" for k, v in lc.items())
        + "。"
        + (
            f"牵头单位与配合单位{FLAG} {len(flagged)} 项（“需核实”列橙色），请核实。"
            if flagged
            else ""
        )
    )
    full: list[list] = []
    write_table(
        ws,
        st,
        title,
        sub,
        ROW_COLUMNS,
        [[i, *row_values(r)] for i, r in enumerate(result.rows, 1)],
        light_col=_COLUMN["预警"],
        numbers={
            _COLUMN["累计完成进度（%）"]: PERCENT_FORMAT,
            _COLUMN["应达进度（%）"]: PERCENT_FORMAT,
        },
        full=full,
    )
    for i in flagged:
        ws.restyle(4 + i, CHECK_COLUMN, fill=st.solid_fill(FLAG_FILL))
    coop_rows, first_of = coop_feedback_rows(result)
    for r, row in enumerate(result.rows, 4):  # each 配合单位反馈 cell jumps to its rows
        if row.id in first_of:
            ws.link(r, _COLUMN["配合单位反馈"], f"'{SHEET_COOP}'!A{first_of[row.id]}")
    ws = wb.create_sheet(SHEET_COOP)
    write_table(
        ws,
        st,
        f"{result.period_label}配合单位反馈",
        "配合单位按任务填报的全部内容；任务的推进状态和指标以牵头单位报送的为准。",
        COOP_COLUMNS,
        coop_rows,
        numbers={6: PERCENT_FORMAT},
        full=full,
    )

    ws = wb.create_sheet(SHEET_UNITS)
    unit_rows = []
    for i, u in enumerate(result.units, 1):
        unit_rows.append(
            [
                i,
                u.unit,
                class_name(u.kind),
                STATE_CN.get(u.state, u.state),
                _when(u.received_at),
                "是" if u.late else ("" if u.state == "missing" else "否"),
                u.versions or "",
                _identified(u.identified_by),
                "\n".join(u.problems),
            ]
        )
    write_table(
        ws,
        st,
        f"{result.period_label}各单位报送情况",
        sub.split("任务")[0].rstrip("。") + "。",
        UNIT_COLUMNS,
        unit_rows,
    )

    ws = wb.create_sheet(SHEET_REJECTS)
    write_table(
        ws,
        st,
        f"{result.period_label}退回清单",
        "以下文件未被接收，请按“问题及修改要求”改正后重新报送（已有后续版本被接收的不再列出）。",
        REJECT_COLUMNS,
        reject_rows(returns),
    )
    ws = wb.create_sheet(SHEET_WARNINGS)
    write_table(
        ws,
        st,
        f"{result.period_label}校验提醒",
        "以下内容已接收，但回收校验时发现需要核实的地方（如与上季度一字不差、推进状态与完成进度不符）。",
        WARNING_COLUMNS,
        warning_rows(returns),
    )
    if requests:
        ws = wb.create_sheet(SHEET_REQUESTS)
        write_table(
            ws,
            st,
            f"{result.period_label}任务销号、延期、调整申请",
            "各单位在进展情况表中提出和督查考核办直接认定的变更；批准的变更自下一季度起执行。",
            REQUEST_COLUMNS,
            requests,
        )
    if full:  # an empty 全文 sheet printed a page saying （无）
        ws = wb.create_sheet(SHEET_FULL)
        write_table(
            ws,
            st,
            f"{result.period_label}汇总表长文字全文",
            "汇总表中一行放不下的文字（单元格末尾注明了“全文见本表”），按顺序列出全文。",
            FULL_COLUMNS,
            full,
        )
    xd.save(wb, path, result.generated_at or "2000-01-01T00:00:00")


def _identified(by: str) -> str:
    from reporting.intake.identify import IDENTIFIED_BY

    return IDENTIFIED_BY.get(by, by or "")


def coop_feedback_rows(result: QuarterResult) -> tuple[list[list], dict[str, int]]:
    """One row per task and cooperating unit that answered, and each task's first sheet row."""
    out: list[list] = []
    first: dict[str, int] = {}
    for row in result.rows:
        kinds = tuple(Indicator(i.name, i.target, i.unit, i.growth) for i in row.indicators)
        for a in row.coop_feedback:
            first.setdefault(row.id, 4 + len(out))
            values = values_text(a.indicators, kinds, "\n")
            out.append(
                [
                    len(out) + 1,
                    row.label,
                    units_text(row.lead_units, COOP_LEAD_WIDTH),
                    units_text([a.unit], COOP_UNIT_WIDTH),
                    a.progress,
                    a.percent,
                    a.status or "",
                    values,
                    a.problems,
                    a.next_steps,
                ]
            )
    return out, first


def _in_force(returns: list) -> list:
    """Returns still in force: each unit's latest accepted one, and any return after it."""
    accepted_after: dict[str, int] = {}
    for i, r in enumerate(returns):
        if r["state"] == "accepted" and r["unit"]:
            accepted_after[r["unit"]] = i
    return [
        r for i, r in enumerate(returns) if not r["unit"] or accepted_after.get(r["unit"], -1) <= i
    ]


def warning_rows(returns: list) -> list[list]:
    """Every warning of the returns in force (what the unit was told in its 回执)."""
    return _problem_rows(_in_force(returns), "warning")


def _problem_rows(returns: list, level: str) -> list[list]:
    """One row per problem of ``level`` of ``returns``: unit, file, time, place, task, text."""
    out: list[list] = []
    for r in returns:
        for p in Ledger.problems_of(r):
            if p.get("level", "error") != level:
                continue
            out.append(
                [
                    len(out) + 1,
                    r["unit"] or "无法识别",
                    r["source"],
                    _when(r["received_at"]),
                    _where(p),
                    task_label(p.get("task", "")),
                    p.get("text") or p.get("message", ""),
                ]
            )
    return out


def _where(p: dict) -> str:
    """Where a problem is, in words: 牵头任务表第6行“累计完成进度（%）”."""
    from reporting.core.problems import cell_in_words

    return cell_in_words(p.get("sheet", ""), p.get("cell", ""), p.get("column", ""))


def reject_rows(returns: list) -> list[list]:
    """Problems of rejected returns not followed by an accepted one from the same unit."""
    return _problem_rows([r for r in _in_force(returns) if r["state"] != "accepted"], "error")


def write_table(
    ws,
    st,
    title: str,
    subtitle: str,
    columns,
    rows: list[list],
    light_col: int | None = None,
    numbers: dict[int, str] | None = None,
    full: list[list] | None = None,
) -> None:
    """A print-ready sheet (an ``xlsx_direct.Sheet``): title, subtitle, a header row (frozen,
    repeated, filtered), then ``rows`` (text cells as text, never formulas); ``columns`` are
    (header, width) pairs. ``numbers`` column → number format (values stay numbers); with
    ``full``, a text too long for one row (409 pt) is cut at a line and its whole text
    appended to ``full`` (the 全文 sheet), the cell linking there."""
    from openpyxl.utils import get_column_letter

    from reporting.documents.xlsx_direct import NO_STYLE

    book = ws.book
    numbers = numbers or {}
    last = get_column_letter(len(columns))
    ws.merge_cells(f"A1:{last}1")
    ws.put("A1", title, st.TITLE, st.CENTER)
    ws.height(1, 32)
    ws.merge_cells(f"A2:{last}2")
    across = sum(w for _, w in columns)
    broken = st.break_lines(subtitle, across) if st.text_lines(subtitle, across) > 1 else subtitle
    ws.put("A2", broken, st.BODY, st.WRAP_LEFT)
    if broken == subtitle:
        ws.height(2, st.row_height([(subtitle, across)], 20))
    else:
        ws.height(2, st.lines_height(broken.count("\n") + 1, 20))
    head = book.style(NO_STYLE, st.HEADER, st.WRAP_CENTER, st.HEADER_FILL, st.GRID)
    for c, (header, width) in enumerate(columns, 1):
        ws.column(get_column_letter(c), width)
        ws.put_at(3, c, header, head)
    ws.height(3, st.row_height(list(columns), 30))
    # one vertical alignment for the whole table: top; short columns centred across
    styles: dict[tuple, tuple] = {}
    for r, values in enumerate(rows, 4):
        most = 1  # lines of the row's tallest text (st.row_height of its texts)
        for c, value in enumerate(values, 1):
            header, width = columns[c - 1]
            fmt = numbers.get(c) if value is not None else None
            light = LIGHT_FILLS.get(value) if c == light_col else None
            key = (fmt, width >= 14 and header not in CENTRED, light)
            style = styles.get(key)
            if style is None:
                style = styles[key] = book.style(
                    NO_STYLE,
                    st.BODY,
                    st.WRAP_TOP if key[1] else st.WRAP_TOP_CENTER,
                    None if light is None else st.solid_fill(light),
                    st.GRID,
                    number_format=fmt,
                )
            if isinstance(value, str):
                text = value
                lines = st.text_lines(text, width) if text else 1
                if full is not None and st.lines_height(lines, 20) >= st.MAX_ROW_PT:
                    first = 4 + len(full)
                    text = _spill(st, text, width, values[1], header, full)
                    ws.link(r, c, f"'{SHEET_FULL}'!A{first}")
                broken = st.break_lines(text, width) if lines > 1 else text
                if broken != text:  # our own line breaks: no line starts with "，" anywhere
                    text, lines = broken, broken.count("\n") + 1  # each fits its line
                most = max(most, lines)
                ws.put_at(r, c, safe_cell_text(text), style, text=True)
            else:
                ws.put_at(r, c, value, style)
        ws.height(r, st.lines_height(most, 20))
    end = max(4, 3 + len(rows))
    if not rows:
        ws.merge_cells(f"A4:{last}4")
        ws.put("A4", "（无）", st.BODY_GREY, st.CENTER)
    ws.freeze = "A4"
    ws.print_area = f"A1:{last}{end}"
    ws.page_setup("3:3", paper=st.PAPER_A3 if sum(w for _, w in columns) > 200 else None)
    ws.auto_filter = f"A3:{last}{end}"


FULL_CHUNK = 900  # characters per 全文 row: fits 409 pt in its 120-wide column


def _spill(st, text: str, width: float, label, header: str, full: list[list]) -> str:
    """Append ``text`` to the 全文 rows (in chunks that fit a row); return the beginning
    that fits the cell, with where the rest is."""
    first = 3 + len(full) + 1
    for i in range(0, len(text), FULL_CHUNK):
        part = "（续）" if i else header
        full.append([len(full) + 1, label, part, text[i : i + FULL_CHUNK]])
    note = f"……（全文见“{SHEET_FULL}”表第{first}行起）"
    keep = len(text)
    while keep > 0 and st.row_height([(text[:keep] + note, width)], 20) >= st.MAX_ROW_PT:
        keep = int(keep * 0.9)
    return text[:keep] + note
