"""Filling a .docx template with docxtpl: escaped, strict and reproducible.

Text from units is escaped (Jinja autoescape) and a misspelt tag is an error, not a
blank; template problems become ``ReportError`` messages saying how to fix the template.
The same context gives the same file: fixed core properties and zip times
(``docx_format``). Used for the report and the leader briefs.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from reporting.core.exceptions import ReportError
from reporting.core.fileutil import atomic_write_bytes


def jinja_env():
    """Autoescaped (unit text may hold < & >), strict (a misspelt tag is an error, not a blank)."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined)
    env.filters["keep_tail"] = keep_tail
    return env


ATTACHMENT_ROOM = 21.5  # em of an annex title on the 附件说明's first line (after "附件：1.")


def keep_tail(text, room: float = ATTACHMENT_ROOM, least: float = 4, n: int = 7) -> str:
    """An annex title of the 附件说明 that would leave a word or two ("表") alone on its
    second line is broken before its last ``n`` characters instead (LibreOffice ignores
    word joiners between CJK characters). Widths in em: CJK 1, others ½, ¼ at a switch."""
    import unicodedata

    text = str(text)
    wide = [unicodedata.east_asian_width(ch) in "WF" for ch in text]
    switches = sum(a != b for a, b in zip(wide, wide[1:], strict=False))
    em = sum(1 if w else 0.5 for w in wide) + 0.25 * switches
    if em <= room or em - room >= least or len(text) <= 2 * n:
        return text
    return text[:-n] + "\n" + text[-n:]


def render_docx(
    template: Path,
    context: dict,
    out_path: Path,
    *,
    title: str,
    author: str,
    when: datetime,
    chart_png: bytes | None = None,
    closing_with_table: bool = False,
) -> Path:
    """Fill ``template`` with ``context`` and write ``out_path`` atomically and reproducibly.

    ``closing_with_table``: the table before the closing block (signer, date) keeps its last
    row with it (``docx_closing.wrap_closing``)."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import TemplateError

    from reporting.documents.docx_closing import wrap_closing
    from reporting.documents.docx_format import (
        finish,
        normalize_zip,
        set_core_properties,
    )

    template = Path(template)
    if not template.exists():
        raise ReportError(
            f"找不到报告模板 {template}。请从仓库恢复 templates/{template.name}，"
            "或运行 python templates/build_report_template.py 重新生成"
        )
    try:
        tpl = DocxTemplate(template)
        tpl.init_docx()
    except Exception as exc:  # noqa: BLE001 - any parse failure means a damaged template
        raise ReportError(
            f"报告模板 {template} 无法打开（{type(exc).__name__}），请用 Word/WPS 另存为 .docx 或从仓库恢复"
        ) from None
    context = dict(context)
    if chart_png is not None:
        context["chart"] = InlineImage(tpl, io.BytesIO(chart_png), width=Mm(140))
    try:
        tpl.render(context, jinja_env=jinja_env(), autoescape=True)
    except TemplateError as exc:
        near = " ".join(line.strip() for line in getattr(exc, "docx_context", []) if line.strip())[
            :80
        ]
        where = f"（在“{near}”附近）" if near else ""
        raise ReportError(
            f"报告模板 {template.name} 中的标签有误{where}：{exc}。"
            "请在 Word/WPS 中把该标签整段删除后一次性重新输入（不要只改其中几个字的格式），或从仓库恢复模板"
        ) from None
    if closing_with_table:
        wrap_closing(tpl.docx)
    set_core_properties(tpl.docx, title=title, author=author, when=when)
    finish(tpl.docx)  # docxtpl's {% cellbg %} puts w:shd first in w:tcPr
    buf = io.BytesIO()
    tpl.save(buf)
    atomic_write_bytes(out_path, normalize_zip(buf.getvalue()))
    return out_path
