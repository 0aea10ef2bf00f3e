"""The office's 加分/减分 sheet (``<data>/<year>/考核调整.xlsx``): unit, points, reason, document.

Read as any untrusted spreadsheet (``reporting.documents.spreadsheet``); a row is taken only
with a known unit, a number, a reason and the document number it rests on — anything else
stops the scoring with the file, sheet and cell to fix. The rows of each version of the
sheet (by content hash) are recorded in the ledger once, so the 明细 cites a ledger id.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reporting.core.exceptions import AssessError, UnreadableFileError
from reporting.core.fileutil import sha256_file
from reporting.core.ledger import Ledger
from reporting.documents.spreadsheet import cell_ref, read_workbook
from reporting.intake.normalize import number

HEADERS = {"unit": "单位", "points": "分值", "reason": "事由", "doc_no": "文号"}
GUIDE = (
    "每行一项加分或减分：单位写全称（与单位名录一致）；分值加分为正数、减分为负数（如 2 或 -1）；"
    "事由写清原因；文号写依据的文件（如 禹督考〔2024〕5号）。四项缺一不可。"
    "每个单位全年加减分合计不超过 [scoring] adjust_limit 分。"
)


def write_template(path: Path, when: datetime) -> None:
    """An empty sheet with the four columns and a guide row, for the office to fill in."""
    from reporting.documents import xlsx_direct as xd
    from reporting.documents import xlsx_style as st
    from reporting.merge.summary import write_table

    wb = xd.Book(st.BODY, lock_structure=False)
    ws = wb.create_sheet("考核调整")
    columns = [("单位", 26), ("分值", 10), ("事由", 50), ("文号", 24)]
    # one empty bordered row: the office types from row 4 (empty rows are skipped)
    write_table(ws, st, "考核加分、减分登记表", GUIDE, columns, [["", "", "", ""]])
    xd.save(wb, path, when)


def read_adjustments(path: Path, units: set[str], registry=None) -> tuple[str, list[dict]]:
    """(sha256, rows) of the sheet; AssessError naming the cell for anything unusable."""
    try:
        book = read_workbook(path)
    except UnreadableFileError as exc:
        raise AssessError(f"考核调整表 {path} 无法读取：{exc}") from None
    sheet = next(iter(book.visible_sheets), None)
    if sheet is None:
        raise AssessError(f"考核调整表 {path.name} 没有可见的工作表")
    header_row, cols = None, {}
    for r in range(min(sheet.height, 10)):
        texts = [sheet.text(r, c) for c in range(len(sheet.rows[r]))]
        found = {k: texts.index(h) for k, h in HEADERS.items() if h in texts}
        if len(found) == len(HEADERS):
            header_row, cols = r, found
            break
    if header_row is None:
        raise AssessError(
            f"考核调整表 {path.name}（工作表“{sheet.name}”）前 10 行中没有找到表头"
            f"“{'、'.join(HEADERS.values())}”，请按模板填写（删掉它，再运行 duban score 会重新生成模板）"
        )
    rows = []
    for r in range(header_row + 1, sheet.height):
        values = {k: sheet.text(r, c) for k, c in cols.items()}
        if not any(values.values()):
            continue
        where = f"考核调整表 {path.name} 工作表“{sheet.name}”第 {r + 1} 行"
        for key, header in HEADERS.items():
            if not values[key]:
                raise AssessError(
                    f"{where}没有填写“{header}”（{cell_ref(r, cols[key])} 单元格），四项都要填写"
                )
        unit = values["unit"]
        if registry is not None:
            unit = registry.canonical_unit(unit) or unit
        if unit not in units:
            raise AssessError(
                f"{where}的单位“{values['unit']}”不是本年度的报送单位（{cell_ref(r, cols['unit'])}），"
                "请写单位名录中的全称"
            )
        try:
            points = number(sheet.value(r, cols["points"]))
        except ValueError as exc:
            raise AssessError(
                f"{where}的分值有误（{cell_ref(r, cols['points'])}）：{exc}"
            ) from None
        rows.append(
            {
                "row": r + 1,
                "unit": unit,
                "points": points,
                "reason": values["reason"],
                "doc_no": values["doc_no"],
                "source": path.name,
            }
        )
    return sha256_file(path), rows


def load_adjustments(
    ledger: Ledger, path: Path, year: int, units: set[str], *, registry=None, at: str
) -> list:
    """The sheet's rows as ledger rows (recorded on first sight of this version)."""
    sha, rows = read_adjustments(path, units, registry)
    ledger.record_adjustments(year, sha, rows, at=at)
    return ledger.adjustments(year, sha)
