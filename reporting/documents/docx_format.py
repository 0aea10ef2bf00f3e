"""GB/T 9704-2012 (党政机关公文格式) in a .docx: the pieces python-docx has no API for.

Used by ``templates/build_report_template.py`` to build the report templates (page setup,
styles, footers and fields belong in the template, where the office can see and edit
them) and by ``reporting.documents.docx_render`` to make rendered files reproducible.

Why the XML: python-docx's ``font.name`` sets only the Latin fonts, so Chinese text falls
back to the theme's East Asian font unless ``w:eastAsia`` is set and the theme attributes
are removed; it has no API for fields, repeated header rows, document grids or
even/odd footers.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import datetime

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from reporting.core.fileutil import FixedTimeZip

# -- numbers (twips unless said otherwise) ------------------------------------
A4_W, A4_H = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 2098, 1984, 1587, 1474  # 37/35/28/26 mm
LINE_PITCH = 579  # 225 mm / 22 lines ≈ 28.95 pt
GRID_CONDENSE = -5  # character spacing, 1/20 pt: 28 × (16 − 0.25) pt ≤ 156 mm (442.2 pt)
FOOTER_DISTANCE = 1587  # page number's lower edge 7 mm under the type area (35 − 7 = 28 mm)
HEADER_DISTANCE = 851  # 15 mm; no header is used

# font names as the office's Word/WPS knows them; LibreOffice maps them via fonts.conf
FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"

# 字号 in points
SIZE_ER = 22  # 二号: title
SIZE_SAN = 16  # 三号: body
SIZE_SI = 14  # 四号: page numbers
SIZE_XIAOSI = 12  # 小四: tables
SIZE_WU = 10.5  # 五号
SIZE_XIAOWU = 9  # 小五: dense annex tables

TWIPS_PER_MM = 1440 / 25.4

# child order inside w:pPr / w:rPr (OOXML schema); new children are inserted in place
_PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
    "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
    "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
    "rPr sectPr pPrChange"
).split()
_RPR_ORDER = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
    "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
    "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()
_SECTPR_ORDER = (
    "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders "
    "lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter "
    "docGrid printerSettings sectPrChange"
).split()
_TRPR_ORDER = "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader tblCellSpacing jc hidden".split()
_TCPR_ORDER = (
    "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText "
    "vAlign hideMark headers cellIns cellDel cellMerge tcPrChange"
).split()
_BORDER_ORDER = "top left start bottom right end insideH insideV tl2br tr2bl".split()
_THEME_ATTRS = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")


def _sequences() -> dict[str, list[str]]:
    """ECMA-376 child sequences of the property elements these documents write."""
    return {
        "pPr": _PPR_ORDER,
        "rPr": _RPR_ORDER,
        "sectPr": _SECTPR_ORDER,
        "tblPr": list(TBL_PR_ORDER),
        "tcPr": _TCPR_ORDER,
        "tblBorders": _BORDER_ORDER,
        "tcBorders": _BORDER_ORDER,
        "pBdr": "top left bottom right between bar".split(),
        "tblCellMar": _BORDER_ORDER,
        "tcMar": _BORDER_ORDER,
    }


def schema_order(root) -> int:
    """Put the children of every property element under ``root`` in ECMA-376 order.

    Word reads a ``w:tcPr`` whose ``w:shd`` comes before ``w:tcW`` as damaged ("无法读取的
    内容"); docxtpl's ``{% cellbg %}`` writes exactly that. A stable sort: already ordered
    parts keep their bytes. Returns how many elements were reordered.
    """
    ns = qn("w:x")[:-1]
    rank = {
        ns + name: {ns + t: i for i, t in enumerate(order)} for name, order in _sequences().items()
    }
    fixed = 0
    for el in root.iter(*rank):
        order = rank[el.tag]
        kids = list(el)
        keys = [order.get(k.tag, len(order)) for k in kids]
        if keys != sorted(keys):
            for k in kids:
                el.remove(k)
            for _, k in sorted(zip(keys, kids, strict=True), key=lambda pair: pair[0]):
                el.append(k)
            fixed += 1
    return fixed


def mm_to_twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


def child(parent, tag: str, order: Iterable[str] | None = None, **attrs):
    """The ``w:<tag>`` child of ``parent`` (created in schema order if missing), with ``attrs`` set."""
    el = parent.find(qn(f"w:{tag}"))
    if el is None:
        el = OxmlElement(f"w:{tag}")
        _insert_ordered(parent, el, tag, list(order or ()))
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), str(value))
    return el


def _insert_ordered(parent, el, tag: str, order: list[str]) -> None:
    if tag in order:
        later = {qn(f"w:{t}") for t in order[order.index(tag) + 1 :]}
        for i, existing in enumerate(parent):
            if existing.tag in later:
                parent.insert(i, el)
                return
    parent.append(el)


def ppr(owner):
    """w:pPr of a paragraph, a style, or a w:pPrDefault."""
    if owner.tag in (qn("w:p"), qn("w:style")):
        return owner.get_or_add_pPr()
    if owner.tag == qn("w:pPrDefault"):
        return child(owner, "pPr")
    return owner


def rpr(owner):
    """w:rPr of a run, a style, or a w:rPrDefault (any other element is taken as the rPr)."""
    if owner.tag in (qn("w:r"), qn("w:style")):
        return owner.get_or_add_rPr()
    if owner.tag == qn("w:rPrDefault"):
        return child(owner, "rPr")
    return owner


def new_document():
    """python-docx's blank document without its Word 2010 ``stylesWithEffects`` copy (which
    still names theme fonts and disagrees with the styles we set: validators flag it) and
    without the sample thumbnail."""
    from docx import Document

    doc = Document()
    for rId, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rId)
    pkg_rels = doc.part.package.rels
    for rId, rel in list(pkg_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del pkg_rels[rId]
    return doc


def finish(document, *, styles: bool = True) -> int:
    """Schema order in every part the documents write (body, styles unless known to be in
    order, footers); how many elements of the styles part were reordered."""
    schema_order(document.element)
    fixed = schema_order(document.styles.element) if styles else 0
    for section in document.sections:
        for part in (section.footer, section.even_page_footer, section.first_page_footer):
            if not part.is_linked_to_previous:
                schema_order(part._element)
    return fixed


# -- fonts ----------------------------------------------------------------------
def set_font(
    owner,
    name: str,
    size: float | None = None,
    *,
    latin: str | None = None,
    bold: bool | None = None,
) -> None:
    """Set Latin and East Asian font (theme attributes removed), size and zh-CN language."""
    r = rpr(owner)
    fonts = child(r, "rFonts", _RPR_ORDER)
    for attr in _THEME_ATTRS:
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    latin = latin or name
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")
    if bold is not None:
        b = child(r, "b", _RPR_ORDER)
        b.set(qn("w:val"), "1" if bold else "0")
        bcs = child(r, "bCs", _RPR_ORDER)
        bcs.set(qn("w:val"), "1" if bold else "0")
    child(r, "color", _RPR_ORDER, val="000000")
    if size is not None:
        half_points = str(round(size * 2))
        child(r, "sz", _RPR_ORDER, val=half_points)
        child(r, "szCs", _RPR_ORDER, val=half_points)
    child(r, "lang", _RPR_ORDER, val="en-US", eastAsia="zh-CN", bidi="ar-SA")


def fit_char_grid(owner, twentieths: int = GRID_CONDENSE) -> None:
    """Condense characters slightly so a 16 pt glyph fits one 15.79 pt grid cell.

    Word squeezes text onto the character grid by itself; LibreOffice instead gives a
    glyph wider than a cell two cells, which doubles the spacing of every line.
    """
    child(rpr(owner), "spacing", _RPR_ORDER, val=twentieths)


def strip_theme_fonts(root) -> int:
    """Remove every theme font attribute under ``root`` (styles, docDefaults, runs)."""
    removed = 0
    for fonts in root.iter(qn("w:rFonts")):
        for attr in _THEME_ATTRS:
            if fonts.attrib.pop(qn(f"w:{attr}"), None) is not None:
                removed += 1
    return removed


# -- paragraphs -----------------------------------------------------------------
def set_spacing(
    owner, *, line: int | None = LINE_PITCH, rule: str = "exact", before: int = 0, after: int = 0
) -> None:
    """Exact line spacing (always both w:line and w:lineRule: LibreOffice needs the pair)."""
    p = ppr(owner)
    attrs: dict[str, object] = {"before": before, "after": after, "beforeLines": 0, "afterLines": 0}
    if line is not None:
        attrs.update(line=line, lineRule=rule)
    child(p, "spacing", _PPR_ORDER, **attrs)


def set_indent(
    owner,
    *,
    first_chars: float | None = None,
    left_chars: float | None = None,
    right_chars: float | None = None,
    hanging_chars: float | None = None,
    size: float = SIZE_SAN,
) -> None:
    """Indents in characters (``w:*Chars``, hundredths: halves too), twips for other programs."""
    p = ppr(owner)
    ind = child(p, "ind", _PPR_ORDER)
    char = size * 20  # one character of this size, in twips
    if first_chars is not None:
        ind.set(qn("w:firstLineChars"), str(round(first_chars * 100)))
        ind.set(qn("w:firstLine"), str(round(first_chars * char)))
    if left_chars is not None:
        ind.set(qn("w:leftChars"), str(round(left_chars * 100)))
        ind.set(qn("w:left"), str(round(left_chars * char)))
    if hanging_chars is not None:
        for attr in ("firstLineChars", "firstLine"):
            ind.attrib.pop(qn(f"w:{attr}"), None)
        ind.set(qn("w:hangingChars"), str(round(hanging_chars * 100)))
        ind.set(qn("w:hanging"), str(round(hanging_chars * char)))
    if right_chars is not None:
        ind.set(qn("w:rightChars"), str(round(right_chars * 100)))
        ind.set(qn("w:right"), str(round(right_chars * char)))


def set_para(
    owner,
    *,
    jc: str | None = None,
    keep_next: bool = False,
    keep_lines: bool = False,
    page_break_before: bool = False,
    outline: int | None = None,
    snap_to_grid: bool | None = None,
    widow: bool | None = None,
) -> None:
    p = ppr(owner)
    if keep_next:
        child(p, "keepNext", _PPR_ORDER)
    if keep_lines:
        child(p, "keepLines", _PPR_ORDER)
    if page_break_before:
        child(p, "pageBreakBefore", _PPR_ORDER)
    if widow is not None:
        child(p, "widowControl", _PPR_ORDER, val="1" if widow else "0")
    if snap_to_grid is not None:
        child(p, "snapToGrid", _PPR_ORDER, val="1" if snap_to_grid else "0")
    if jc is not None:
        child(p, "jc", _PPR_ORDER, val=jc)
    if outline is not None:
        child(p, "outlineLvl", _PPR_ORDER, val=outline)


def add_paragraph_style(
    document,
    name: str,
    *,
    font: str,
    size: float,
    base: str | None = "Normal",
    jc: str | None = None,
    first_chars: int | None = None,
    line: int | None = LINE_PITCH,
    rule: str = "exact",
    keep_next: bool = False,
    outline: int | None = None,
    snap_to_grid: bool | None = None,
    bold: bool | None = None,
    latin: str | None = None,
    right_chars: int | None = None,
    before: int = 0,
    after: int = 0,
):
    """A paragraph style with Chinese font, size and spacing, visible in Word's style gallery."""
    from docx.enum.style import WD_STYLE_TYPE

    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base:
        style.base_style = document.styles[base]
    style.quick_style = True
    el = style.element
    set_font(el, font, size, latin=latin, bold=bold)
    set_spacing(el, line=line, rule=rule, before=before, after=after)
    set_indent(el, first_chars=first_chars or 0, right_chars=right_chars, size=size)
    set_para(el, jc=jc, keep_next=keep_next, outline=outline, snap_to_grid=snap_to_grid)
    if snap_to_grid is False:
        fit_char_grid(el, 0)  # off the grid: natural character spacing
    return style


def add_character_style(document, name: str, *, font: str, size: float | None = None):
    from docx.enum.style import WD_STYLE_TYPE

    style = document.styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
    style.quick_style = True
    set_font(style.element, font, size)
    return style


# -- page setup -------------------------------------------------------------------
def page_setup(section, *, landscape: bool = False, grid: bool = True) -> None:
    """A4 with the GB/T 9704 type area; a landscape section turns the page, not the margins' meaning."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = _twips(A4_H), _twips(A4_W)
        # the long edges keep the binding margins: top/bottom 28/26 mm, left/right 37/35 mm
        section.top_margin, section.bottom_margin = _twips(MARGIN_LEFT), _twips(MARGIN_RIGHT)
        section.left_margin, section.right_margin = _twips(MARGIN_TOP), _twips(MARGIN_BOTTOM)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = _twips(A4_W), _twips(A4_H)
        section.top_margin, section.bottom_margin = _twips(MARGIN_TOP), _twips(MARGIN_BOTTOM)
        section.left_margin, section.right_margin = _twips(MARGIN_LEFT), _twips(MARGIN_RIGHT)
    section.header_distance = _twips(HEADER_DISTANCE)
    section.footer_distance = _twips(FOOTER_DISTANCE if not landscape else 851)
    section.gutter = 0
    sect = section._sectPr
    grid_el = child(sect, "docGrid", _SECTPR_ORDER)
    for attr in list(grid_el.attrib):
        del grid_el.attrib[attr]
    if grid:
        # a line grid of 22 lines; the 28 characters per line come from fit_char_grid. A
        # "linesAndChars" grid (w:charSpace="-849") gives 28 in Word, but LibreOffice puts
        # each 16 pt glyph into two 15.79 pt cells there: 14 characters a line in the PDF.
        grid_el.set(qn("w:type"), "lines")
        grid_el.set(qn("w:linePitch"), str(LINE_PITCH))
    else:
        grid_el.set(qn("w:linePitch"), "312")


def _twips(value: int):
    from docx.shared import Twips

    return Twips(value)


def add_landscape_section(document):
    """Start a new page in landscape (for a wide annex table); footers carry on."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    page_setup(section, landscape=True, grid=False)
    # python-docx puts the previous section's end in a new empty paragraph: a stray blank
    # line after the last one (which could push it onto a page of its own). Move the
    # section end into that last paragraph instead (keep it a plain paragraph, not a
    # docxtpl {%p %} tag, which disappears on render).
    holder = document.paragraphs[-1]._p
    previous = holder.getprevious()
    if previous is not None and previous.tag == qn("w:p") and not holder.xpath("./w:r"):
        previous.get_or_add_pPr().append(holder.pPr.sectPr)
        holder.getparent().remove(holder)
    return section


def enable_even_odd_footers(document) -> None:
    """``w:evenAndOddHeaders`` in settings.xml: odd and even pages get their own footers."""
    document.settings.odd_and_even_pages_header_footer = True


def set_east_asian_language(document) -> None:
    """Documents default to zh-CN for East Asian text (python-docx's default says ja-JP)."""
    lang = document.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


def add_page_field(paragraph) -> None:
    """Append a PAGE field (fldChar begin / instrText / separate / end) to ``paragraph``."""
    p = paragraph._p

    def run():
        r = OxmlElement("w:r")
        p.append(r)
        return r

    r = run()
    r.append(_el("w:fldChar", fldCharType="begin"))
    r = run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    r.append(instr)
    r = run()
    r.append(_el("w:fldChar", fldCharType="separate"))
    r = run()
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    r = run()
    r.append(_el("w:fldChar", fldCharType="end"))


def _el(tag: str, **attrs):
    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), str(v))
    return el


def page_number_footers(section, style) -> None:
    """`— 1 —` in 4号 宋体: odd pages right, even pages left, one character from the edge."""
    section.footer.is_linked_to_previous = False
    section.even_page_footer.is_linked_to_previous = False
    for footer, jc, side in (
        (section.footer, "right", "right"),
        (section.even_page_footer, "left", "left"),
    ):
        para = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        para.style = style
        set_para(para._p, jc=jc)
        p = ppr(para._p)
        ind = child(p, "ind", _PPR_ORDER)
        ind.set(qn(f"w:{side}Chars"), "100")
        ind.set(qn(f"w:{side}"), str(SIZE_SI * 20))
        para.add_run("— ")
        add_page_field(para)
        para.add_run(" —")


# -- tables -----------------------------------------------------------------------
def _trpr(row):
    return _trpr_of(row._tr)


def _trpr_of(tr):
    el = tr.find(qn("w:trPr"))
    if el is None:
        el = OxmlElement("w:trPr")
        tblPrEx = tr.find(qn("w:tblPrEx"))
        if tblPrEx is not None:
            tblPrEx.addnext(el)
        else:
            tr.insert(0, el)
    return el


def repeat_header(row) -> None:
    """Repeat this row at the top of every page the table spans (w:tblHeader)."""
    child(_trpr(row), "tblHeader", _TRPR_ORDER)


def cant_split(row) -> None:
    """Keep the row on one page (w:cantSplit)."""
    child(_trpr(row), "cantSplit", _TRPR_ORDER)


def keep_tables_with_closing(document, rows: int = 1) -> None:
    """A body table followed by a keep-with-next paragraph (a signature block) keeps its
    last ``rows`` rows, whole, with it: else the block can stand alone on the last page
    (or beside a lone row)."""
    for tbl in document.element.body.iterchildren(qn("w:tbl")):
        after = tbl.getnext()
        ppr = after.find(qn("w:pPr")) if after is not None and after.tag == qn("w:p") else None
        trs = tbl.findall(qn("w:tr"))
        if ppr is None or ppr.find(qn("w:keepNext")) is None or len(trs) < 2:
            continue
        for tr in trs[max(1, len(trs) - rows) :]:
            for para in tr.iter(qn("w:p")):
                set_para(para, keep_next=True)
            child(_trpr_of(tr), "cantSplit", _TRPR_ORDER)


# schema order of w:tblPr children (Word rejects a table whose properties are out of order)
TBL_PR_ORDER = (
    "tblStyle",
    "tblpPr",
    "tblOverlap",
    "bidiVisual",
    "tblStyleRowBandSize",
    "tblStyleColBandSize",
    "tblW",
    "jc",
    "tblCellSpacing",
    "tblInd",
    "tblBorders",
    "shd",
    "tblLayout",
    "tblCellMar",
    "tblLook",
)


def table_layout(
    table, widths_mm: list[float], *, borders: bool = True, cell_margin: int = 85
) -> None:
    """Fixed column widths (≤ type area), centred table, single black borders, cells centred vertically."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT

    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tblPr = table._tbl.tblPr
    total = sum(mm_to_twips(w) for w in widths_mm)
    tblW = child(tblPr, "tblW", TBL_PR_ORDER)
    tblW.set(qn("w:w"), str(total))
    tblW.set(qn("w:type"), "dxa")
    child(tblPr, "tblLayout", TBL_PR_ORDER, type="fixed")
    if borders:
        b = child(tblPr, "tblBorders", TBL_PR_ORDER)
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            child(
                b,
                side,
                _BORDER_ORDER,
                val="single",
                sz=4,
                space=0,
                color="000000",
            )
    mar = child(tblPr, "tblCellMar", TBL_PR_ORDER)
    for side, w in (("left", cell_margin), ("right", cell_margin)):
        child(mar, side, _BORDER_ORDER, w=w, type="dxa")
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=False):
        col.set(qn("w:w"), str(mm_to_twips(width)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=False):
            cell.width = Mm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


# -- reproducible files -------------------------------------------------------------


def set_core_properties(document, *, title: str, author: str, when: datetime) -> None:
    """Fixed core properties so two renders of the same data are identical."""
    cp = document.core_properties
    cp.title = title
    cp.author = author
    cp.last_modified_by = author
    cp.created = when
    cp.modified = when
    cp.revision = 1
    cp.language = "zh-CN"


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a .docx/.xlsx zip with fixed entry times so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    return out.getvalue()
