"""公文 parts of GB/T 9704-2012 that python-docx has no builder for: the 版头 (发文机关标志,
发文字号, red separator) and the 版记 (抄送 / 印发 lines between rules at the foot of the
last page). For templates and documents alike: texts may be docxtpl tags.

- 发文机关标志: red 小标宋, centred; 发文字号 centred two lines under it; then a red rule as
  wide as the type area (§7.2).
- 版记: 4号 仿宋, rules as wide as the type area — the first and last thicker (0.35 mm),
  the ones between thin (0.25 mm) — placed at the foot of the page (§7.4). A table
  anchored to the bottom margin keeps it there however long the body is.
"""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from reporting.documents import docx_format as fmt

RED = "FF0000"
TYPE_AREA_MM = 156
THICK = 8  # eighths of a point: 1 pt ≈ 0.35 mm
THIN = 6  # 0.75 pt ≈ 0.25 mm
SIZE_MARK = 36  # 小初: 发文机关标志 of a short name


def add_masthead_styles(doc, mark: str, number: str) -> None:
    """Styles ``mark`` (发文机关标志: red 小标宋 小初, centred) and ``number`` (发文字号: 3号
    仿宋, centred, the red separator under it)."""
    style = fmt.add_paragraph_style(
        doc,
        mark,
        font=fmt.XIAOBIAOSONG,
        size=SIZE_MARK,
        jc="center",
        first_chars=0,
        line=None,
        snap_to_grid=False,
    )
    fmt.child(fmt.rpr(style.element), "color", fmt._RPR_ORDER, val=RED)
    style = fmt.add_paragraph_style(doc, number, font=fmt.FANGSONG, size=fmt.SIZE_SAN, jc="center")
    fmt.set_spacing(style.element, after=360)  # room between the number and the rule
    bdr = fmt.child(fmt.ppr(style.element), "pBdr", fmt._PPR_ORDER)
    fmt.child(
        bdr, "bottom", ["top", "left", "bottom", "right"], val="single", sz=12, space=12, color=RED
    )


def colophon(doc, lines: list[str], *, style: str, new_pages: str | None = None) -> None:
    """The 版记: one row per line (抄送：…； 印发机关 … 印发日期), between rules, at the page foot.

    A floating table anchored to the bottom of the type area: it stays at the foot of the
    page the body ends on (GB/T 9704 §7.4), whether the body fills it or not.

    ``new_pages`` names a docxtpl list: one empty paragraph starting a new page per item
    comes before the 版记. The 版记 belongs on an even page (the back of the last sheet);
    the renderer counts the pages of the PDF and, when odd, renders again with one or two.
    """
    if new_pages:
        doc.add_paragraph(f"{{%p for _ in {new_pages} %}}")
        fmt.set_para(doc.add_paragraph(style=doc.styles[style])._p, page_break_before=True)
        doc.add_paragraph("{%p endfor %}")
    table = doc.add_table(rows=len(lines), cols=1)
    fmt.table_layout(table, [TYPE_AREA_MM], borders=False)
    tblPr = table._tbl.tblPr
    pos = fmt.child(tblPr, "tblpPr", fmt.TBL_PR_ORDER)
    for key, value in (
        ("leftFromText", 0),
        ("rightFromText", 0),
        ("vertAnchor", "margin"),
        # from the page edge: LibreOffice floats a table as wide as the type area only then
        ("horzAnchor", "page"),
        ("tblpX", fmt.MARGIN_LEFT),
        ("tblpYSpec", "bottom"),
    ):
        pos.set(qn(f"w:{key}"), str(value))
    fmt.child(tblPr, "tblOverlap", fmt.TBL_PR_ORDER, val="never")
    borders = fmt.child(tblPr, "tblBorders", fmt.TBL_PR_ORDER)
    order = ["top", "left", "start", "bottom", "right", "end", "insideH", "insideV"]
    for side, size in (("top", THICK), ("bottom", THICK), ("insideH", THIN)):
        fmt.child(borders, side, order, val="single", sz=size, space=0, color="000000")
    for side in ("left", "right", "insideV"):
        fmt.child(borders, side, order, val="nil")
    for row, text in zip(table.rows, lines, strict=True):
        para = row.cells[0].paragraphs[0]
        para.style = doc.styles[style]
        para.text = text
        fmt.cant_split(row)
    # a floating table is anchored to the paragraph after it (LibreOffice drops one that
    # ends the body); a 1 pt paragraph that takes no visible room
    anchor = doc.add_paragraph(style=doc.styles[style])
    fmt.set_spacing(anchor._p, line=20, rule="exact")
    # the paragraph mark's run properties (w:pPr/w:rPr), not run properties in w:pPr
    mark = fmt.child(anchor._p.get_or_add_pPr(), "rPr", fmt._PPR_ORDER)
    fmt.set_font(mark, fmt.FANGSONG, 1)


def add_colophon_style(doc, name: str):
    """4号 仿宋, one character in from each side, single spacing off the grid."""
    style = fmt.add_paragraph_style(
        doc,
        name,
        font=fmt.FANGSONG,
        size=fmt.SIZE_SI,
        first_chars=0,
        line=None,
        snap_to_grid=False,
        jc="left",
        before=60,
        after=60,
    )
    fmt.set_indent(style.element, left_chars=1, right_chars=1, size=fmt.SIZE_SI)
    # 印发机关 left, 印发日期 right on one line: a right tab stop at the indented edge
    char = fmt.SIZE_SI * 20
    right = fmt.mm_to_twips(TYPE_AREA_MM) - 2 * 85 - 2 * char
    tabs = fmt.child(fmt.ppr(style.element), "tabs", fmt._PPR_ORDER)
    tab = OxmlElement("w:tab")
    tab.set(qn("w:val"), "right")
    tab.set(qn("w:pos"), str(round(right)))
    tabs.append(tab)
    return style
