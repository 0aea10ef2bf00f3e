"""The office's two sheets for the 考核评价, under ``<data>/<year>/``: 考核调整 (加分/减分: unit,
points, reason, document) and 领导评价 (unit, points out of ``[scoring] leader_points``, who
gave them, remark).

Read as any untrusted spreadsheet (``reporting.documents.spreadsheet``); a row is taken only
when it is whole — anything else stops the scoring with the file, sheet and cell to fix. The
rows of each version of the 考核调整 sheet (by content hash) are recorded in the ledger once.
``duban score`` writes either sheet when it is missing: the 领导评价 sheet lists every unit
scored, so the office only types the points.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reporting.core.exceptions import AssessError, UnreadableFileError
from reporting.core.fileutil import sha256_file
from reporting.core.ledger import Ledger
from reporting.core.numbers import num
from reporting.documents.cells import cell_ref
from reporting.documents.spreadsheet import read_workbook
from reporting.intake.normalize import number

HEADERS = {"unit": "单位", "points": "分值", "reason": "事由", "doc_no": "文号"}
LEADER_HEADERS = {"unit": "单位", "points": "得分", "by": "评价人", "remark": "说明"}
LEADER_REQUIRED = ("unit", "points", "by")


def guide(limit: float) -> str:
    return (
        "每行一项加分或减分：单位写全称（与单位名录一致）；分值加分为正数、减分为负数（如 2 或 -1）；"
        "事由写清原因；文号写依据的文件（如 禹督考〔2024〕5号）。四项缺一不可。"
        f"每个单位全年加减分合计不超过{num(limit)}分，超出的部分不计。"
    )


def leader_guide(points: float) -> str:
    return (
        f"每个单位一行：得分填 0 到 {num(points)} 之间的数，评价人写给出评价的领导（如 分管区领导 张某），"
        "说明可不填。得分空着的单位，本项不计入其总分（按其余各项折算）。"
    )


def write_template(path: Path, when: datetime, limit: float = 5.0) -> None:
    """An empty 考核调整 sheet with the four columns and a guide row, for the office."""
    from reporting.documents import xlsx_direct as xd
    from reporting.documents import xlsx_style as st
    from reporting.merge.summary import write_table

    wb = xd.Book(st.BODY, lock_structure=False)
    ws = wb.create_sheet("考核调整")
    columns = [("单位", 26), ("分值", 10), ("事由", 50), ("文号", 24)]
    # one empty bordered row: the office types from row 4 (empty rows are skipped)
    write_table(ws, st, "考核加分、减分登记表", guide(limit), columns, [["", "", "", ""]])
    xd.save(wb, path, when)


def write_leader_template(path: Path, units: list[str], when: datetime, points: float) -> None:
    """The 领导评价 sheet: one row per unit scored, the points left for the office to fill."""
    from reporting.documents import xlsx_direct as xd
    from reporting.documents import xlsx_style as st
    from reporting.merge.summary import write_table

    wb = xd.Book(st.BODY, lock_structure=False)
    ws = wb.create_sheet("领导评价")
    columns = [("单位", 26), (LEADER_HEADERS["points"], 10), ("评价人", 24), ("说明", 40)]
    rows: list[list] = [[u, "", "", ""] for u in units] or [["", "", "", ""]]
    write_table(ws, st, "领导评价登记表", leader_guide(points), columns, rows)
    xd.save(wb, path, when)


def _rows(
    path: Path, what: str, headers: dict[str, str], required, units: set[str], registry, listed=()
):
    """(sha256, rows) of the sheet's filled rows: each a dict of its texts by key, with its row
    number, canonical unit and points. A row with nothing but the ``listed`` keys is not filled
    in (the 领导评价 sheet comes with every unit listed)."""
    try:
        book = read_workbook(path)
    except UnreadableFileError as exc:
        raise AssessError(f"{what} {path} 无法读取：{exc}") from None
    sheet = next(iter(book.visible_sheets), None)
    if sheet is None:
        raise AssessError(f"{what} {path.name} 没有可见的工作表")
    header_row, cols = None, {}
    for r in range(min(sheet.height, 10)):
        texts = [sheet.text(r, c) for c in range(len(sheet.rows[r]))]
        found = {k: texts.index(h) for k, h in headers.items() if h in texts}
        if len(found) == len(headers):
            header_row, cols = r, found
            break
    if header_row is None:
        raise AssessError(
            f"{what} {path.name}（工作表“{sheet.name}”）前 10 行中没有找到表头"
            f"“{'、'.join(headers.values())}”，请按模板填写（删掉它，再运行 duban score 会重新生成模板）"
        )
    out = []
    for r in range(header_row + 1, sheet.height):
        values = {k: sheet.text(r, c) for k, c in cols.items()}
        if not any(v for k, v in values.items() if k not in listed):
            continue
        where = f"{what} {path.name} 工作表“{sheet.name}”第 {r + 1} 行"
        for key in required:
            if not values[key]:
                raise AssessError(
                    f"{where}没有填写“{headers[key]}”（{cell_ref(r, cols[key])} 单元格），"
                    f"{'、'.join(headers[k] for k in required)}都要填写"
                )
        unit = values["unit"]
        if registry is not None:
            unit = registry.canonical_unit(unit) or unit
        if unit not in units:
            raise AssessError(
                f"{where}的单位“{values['unit']}”不是本年度参加考核评分的单位"
                f"（{cell_ref(r, cols['unit'])}），请写单位名录中的全称"
            )
        try:
            points = number(sheet.value(r, cols["points"]))
        except ValueError as exc:
            raise AssessError(
                f"{where}的{headers['points']}有误（{cell_ref(r, cols['points'])}）：{exc}"
            ) from None
        out.append({**values, "row": r + 1, "unit": unit, "points": points, "source": path.name})
    return sha256_file(path), out


def read_adjustments(path: Path, units: set[str], registry=None) -> tuple[str, list[dict]]:
    """(sha256, rows) of the sheet; AssessError naming the cell for anything unusable."""
    return _rows(path, "考核调整表", HEADERS, tuple(HEADERS), units, registry)


def read_leader(path: Path, units: set[str], points: float, registry=None) -> list[dict]:
    """The 领导评价 rows given (unit, points, by, remark, row); each unit once, within 0–points."""
    _, rows = _rows(
        path, "领导评价表", LEADER_HEADERS, LEADER_REQUIRED, units, registry, listed=("unit",)
    )
    seen: dict[str, int] = {}
    for row in rows:
        where = f"领导评价表 {path.name} 第 {row['row']} 行"
        if not 0 <= row["points"] <= points:
            raise AssessError(
                f"{where}的得分 {num(row['points'])} 超出 0–{num(points)}，请改正（满分{num(points)}分）"
            )
        if row["unit"] in seen:
            raise AssessError(
                f"{where}：{row['unit']}已在第 {seen[row['unit']]} 行评价过，每个单位只填一行"
            )
        seen[row["unit"]] = row["row"]
    return rows


def load_adjustments(
    ledger: Ledger, path: Path, year: int, units: set[str], *, registry=None, at: str
) -> list:
    """The sheet's rows as ledger rows (recorded on first sight of this version)."""
    sha, rows = read_adjustments(path, units, registry)
    ledger.record_adjustments(year, sha, rows, at=at)
    return ledger.adjustments(year, sha)
