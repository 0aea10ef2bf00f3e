"""Filling a .docx template with docxtpl: escaped, strict and reproducible.

Text from units is escaped (Jinja autoescape) and a misspelt tag is an error, not a
blank; template problems become ``ReportError`` messages saying how to fix the template.
The same context gives the same file: fixed core properties and zip times
(``docx_format``). Used for the report and the leader briefs.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from reporting.core.exceptions import ReportError
from reporting.core.fileutil import atomic_write_bytes

_ENV = None
# templates whose styles part needs no reordering (path, mtime, size)
_STYLES_IN_ORDER: set[tuple[str, int, int]] = set()
COMPILED_KEPT = 64  # distinct template parts kept compiled (a template has a handful)


def jinja_env():
    """Autoescaped (unit text may hold < & >), strict (a misspelt tag is an error, not a blank).

    One per process, compiling each distinct template part once: the leader briefs, the
    督办单 and every report of a run share their template's few parts (body, footers), and
    compiling one costs more than rendering it."""
    global _ENV
    if _ENV is None:
        from jinja2 import Environment, StrictUndefined

        class OnceCompiled(Environment):
            compiled: dict = {}

            def from_string(self, source, globals=None, template_class=None):
                if globals is not None or template_class is not None or not isinstance(source, str):
                    return super().from_string(source, globals, template_class)
                done = self.compiled.get(source)
                if done is None:
                    done = super().from_string(source)
                    if len(self.compiled) >= COMPILED_KEPT:
                        self.compiled.clear()
                    self.compiled[source] = done
                return done

        env = OnceCompiled(autoescape=True, undefined=StrictUndefined)
        env.filters["keep_tail"] = keep_tail
        _ENV = env
    return _ENV


ATTACHMENT_ROOM = 21.5  # em of an annex title on the 附件说明's first line: 28 - 2 - "附件：1．"


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


def render_docx(template: Path, context: dict, out_path: Path, **options) -> Path:
    """Fill ``template`` with ``context`` and write ``out_path`` atomically and reproducibly;
    ``options`` as ``docx_bytes`` takes them."""
    atomic_write_bytes(out_path, docx_bytes(template, context, **options))
    return out_path


def compile_ahead(template: Path) -> None:
    """Compile the template's parts (body, headers, footers) into ``jinja_env``'s cache as
    ``docx_bytes`` will ask for them, while the caller would only wait (the report for its
    chart): the render then finds them compiled. Any problem is left to the render to tell."""
    import re

    from docxtpl import DocxTemplate

    try:
        tpl = listing_template(DocxTemplate)(template)
        tpl.init_docx()
        sources = [tpl.get_xml()]
        for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
            sources += [tpl.get_part_xml(part) for _, part in tpl.get_headers_footers(uri)]
        env = jinja_env()
        for xml in sources:  # as docxtpl's build_xml and render_xml_part prepare them
            env.from_string(re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(xml)))
    except Exception:  # noqa: BLE001, S110 - the render itself reports a damaged template
        pass


LISTING_CHARS = ("\t", "\a", "\n", "\f")  # what docxtpl's resolve_listing turns into markup
_PARAGRAPH = None


def listing_template(base):
    """docxtpl's template class whose ``resolve_listing`` rewrites only the paragraphs
    holding a tab, newline, \\a or \\f (the others it would give back unchanged, after
    three regular expressions per paragraph, run and text: most of a long annex's render)."""
    global _PARAGRAPH
    import re

    if _PARAGRAPH is None:
        _PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # docxtpl's own

    class ListingTemplate(base):
        def resolve_listing(self, xml):
            if not any(c in xml for c in LISTING_CHARS):
                return xml
            whole = super().resolve_listing

            def paragraph(m):
                text = m.group(0)
                return whole(text) if any(c in text for c in LISTING_CHARS) else text

            return _PARAGRAPH.sub(paragraph, xml)

        def fix_tables(self, xml):
            # docxtpl's own walk counts every cell of every row in Python (a city's annex:
            # 2,000 rows); it changes a table only when its rows are wider or narrower than
            # its grid, which is checked here first, the same way but faster
            from lxml import etree

            tree = etree.fromstring(xml, parser=etree.XMLParser(recover=True))
            return base.fix_tables(self, xml) if grids_off(tree) else tree

    return ListingTemplate


def grids_off(tree) -> bool:
    """Whether docxtpl's ``fix_tables`` would change a table of ``tree``: a row with more
    cells than the grid has columns, or a grid with more columns than its widest row spans
    (cells counted with their ``gridSpan``, rows of nested tables included, as it does)."""
    ns = "{" + tree.nsmap["w"] + "}"
    tc, tc_pr, span, val = ns + "tc", ns + "tcPr", ns + "gridSpan", ns + "val"
    for table in tree.iter(ns + "tbl"):
        grid = table.find(ns + "tblGrid")
        if grid is None:
            return True  # docxtpl's walk fails on it: left to say so
        columns = len(grid.findall(ns + "gridCol"))
        most = widest = 0
        for row in table.iter(ns + "tr"):
            cells = row.findall(tc)
            most = max(most, len(cells))
            if row.find(".//" + span) is None:  # each cell spans one column
                widest = max(widest, len(cells))
                continue
            spans = 0
            for cell in cells:
                pr = cell.find(tc_pr)
                grid_span = None if pr is None else pr.find(span)
                spans += 1 if grid_span is None else int(grid_span.get(val))
            widest = max(widest, spans)
        if most > columns or columns > widest:
            return True
    return False


def docx_bytes(
    template: Path,
    context: dict,
    *,
    title: str,
    author: str,
    when: datetime,
    chart_png: bytes | None = None,
    closing_with_table: bool = False,
) -> bytes:
    """``template`` filled with ``context``: the .docx as bytes, the same for the same context
    (fixed core properties and zip times).

    ``closing_with_table``: the table before the closing block (signer, date) keeps its last
    row with it (``docx_closing.wrap_closing``)."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import TemplateError

    from reporting.documents.docx_closing import wrap_closing
    from reporting.documents.docx_format import (
        finish,
        set_core_properties,
    )

    template = Path(template)
    if not template.exists():
        raise ReportError(
            f"找不到报告模板 {template}。请从仓库恢复 templates/{template.name}，"
            "或运行 python templates/build_report_template.py 重新生成"
        )
    try:
        tpl = listing_template(DocxTemplate)(template)
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
    # docxtpl's {% cellbg %} puts w:shd first in w:tcPr; the template's styles (never
    # rendered) are checked once per template file
    stat = template.stat()
    key = (str(template.resolve()), stat.st_mtime_ns, stat.st_size)
    if not finish(tpl.docx, styles=key not in _STYLES_IN_ORDER):
        _STYLES_IN_ORDER.add(key)
    return package_bytes(tpl.docx)


def package_bytes(document) -> bytes:
    """The .docx of ``document`` as ``normalize_zip`` gives python-docx's saved zip (same
    entries, order and bytes), compressed once rather than saved, read back and recompressed."""
    from docx.opc.pkgwriter import PackageWriter

    from reporting.core.fileutil import FixedTimeZip

    package = document.part.package
    parts = package.parts
    for part in parts:
        part.before_marshal()
    out = io.BytesIO()
    with FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED) as zf:

        class Writer:  # python-docx's physical package writer, into the fixed-time zip
            @staticmethod
            def write(pack_uri, blob):
                zf.writestr(pack_uri.membername, blob)

        writer: Any = Writer
        PackageWriter._write_content_types_stream(writer, parts)
        PackageWriter._write_pkg_rels(writer, package.rels)
        PackageWriter._write_parts(writer, parts)
    return out.getvalue()
