"""What a unit may type into a form and what it may not touch: the data validations of the
answer columns (the 推进状态 drop-down, 0–100 percent, numbers for indicators, text length)
with Chinese prompts and errors, and the sheet protection that locks every other cell.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from reporting.documents import xlsx_direct as xd
from reporting.forms import formspec as fs

TEXT_COLUMNS = ("progress", "problems", "next_steps")  # free text, limited in length


def protect(ws: xd.Sheet, password: str) -> None:
    # locked cells; units may still make a row taller or a column wider for long text
    ws.protected = True
    ws.password = password


def _dv(kind: str, title: str, prompt: str, error: str, **kw) -> DataValidation:
    """A validation with Chinese prompt and error (titles ≤ 32 characters in Excel)."""
    return DataValidation(
        type=kind,
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=bool(prompt),
        errorStyle="stop",
        promptTitle=title if prompt else None,
        prompt=prompt or None,
        errorTitle=kw.pop("errorTitle", f"{title}填写有误"),
        error=error,
        **kw,
    )


def form_validations(expected_progress: float, max_text_chars: int) -> dict[str, DataValidation]:
    """The rules of a task sheet, with no cells yet: "status", "percent", "indicator" and
    "whole" (cells added one by one where a row has that indicator; "whole" for one counted
    in whole things, 个/家/户 …) and "text"."""
    choices = "、".join(fs.STATUS_CHOICES)
    expected = f"{expected_progress:g}"
    return {
        "status": _dv(
            "list",
            "推进状态",
            f"请点击右侧箭头，从下拉列表中选择：{choices}。",
            f"只能从下拉列表中选择：{choices}。",
            formula1=fs.STATUS_NAME,
        ),
        "percent": _dv(
            "decimal",
            "累计完成进度（%）",
            f"填写截至本季度末全年任务的累计完成比例，0–100 之间的数字，如 80，不加 % 号。本季度序时进度为 {expected}。",
            "请填写 0 到 100 之间的数字（可带小数），不要加 % 号或文字。",
            operator="between",
            formula1="0",
            formula2="100",
        ),
        "indicator": _dv(
            "decimal",
            "指标完成值",
            "填写截至本季度末的累计完成数，单位同左侧目标，只填数字；标有“填增速”的指标填增长百分比，如增长7.5%填 7.5，下降填负数。",
            "请只填数字（可带小数或负号），不要填单位或文字；情况说明请写在“本季度工作进展”中。",
            operator="between",
            formula1="-999999999999",
            formula2="999999999999",
        ),
        "whole": _dv(
            "whole",
            "指标完成值（整数）",
            "填写截至本季度末的累计完成数，单位同左侧目标，只填整数（如 4，不能填 4.2）。",
            "这项指标按个、家、户等计数，只能填整数，不要填小数、单位或文字。",
            operator="between",
            formula1="-999999999999",
            formula2="999999999999",
        ),
        "text": _dv(
            "textLength",
            "文字",
            "",
            f"每格最多 {max_text_chars} 字，请精简后再填写。",
            errorTitle="内容过长",
            operator="lessThanOrEqual",
            formula1=str(max_text_chars),
        ),
    }


def _col_range(col: int, last_row: int) -> str:
    letter = get_column_letter(col)
    return f"{letter}{fs.FIRST_DATA_ROW}:{letter}{last_row}"


def attach(
    ws: xd.Sheet, dv: dict[str, DataValidation], index: dict[str, int], last_row: int
) -> None:
    """The column rules over the data rows (``index``: column key → 1-based column), then
    every rule that covers a cell onto the sheet."""
    for key in TEXT_COLUMNS:
        dv["text"].add(_col_range(index[key], last_row))
    dv["percent"].add(_col_range(index["percent"], last_row))
    dv["status"].add(_col_range(index["status"], last_row))
    for v in dv.values():
        if v.sqref:
            ws.validations.append(v)


def plan_validations(max_text_chars: int) -> dict[str, DataValidation]:
    """The rules of a 落实方案表's open cells (``forms.plan_form``): each quarter's 节点 a
    cumulative percent 0–100, the 责任人 and the 节点说明 of bounded length."""
    return {
        "milestone": _dv(
            "decimal",
            "季度节点（%）",
            "填写截至该季度末应达到的累计完成进度，0–100 之间的数字，如 40，不加 % 号；"
            "节点逐季不减少，四季度末一般为 100。",
            "请填写 0 到 100 之间的数字，不要加 % 号或文字。",
            operator="between",
            formula1="0",
            formula2="100",
        ),
        "owner": _dv(
            "textLength",
            "责任人",
            "填写对这项任务负责的同志的姓名和职务，如“张三（副局长）”。",
            "责任人最多 40 字，请只写姓名和职务。",
            operator="lessThanOrEqual",
            formula1="40",
        ),
        "note": _dv(
            "textLength",
            "节点说明",
            "用一两句话写明各时间节点要完成什么，如“6月底前完成土地征收，9月底前开工”。",
            f"每格最多 {max_text_chars} 字，请精简后再填写。",
            errorTitle="内容过长",
            operator="lessThanOrEqual",
            formula1=str(max_text_chars),
        ),
    }
