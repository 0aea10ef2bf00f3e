"""Every part of an .xlsx package as openpyxl 3.1 serialises it, for ``xlsx_direct``.

Cell text and attributes escaped as lxml writes them into a worksheet; a cell (``cell_xml``,
also ``xlsx_save``'s rows); the pieces that do not change from cell to cell (sheet
properties, views, protection, page setup and header, data validations, column breaks,
workbook protection, styles.xml, the fixed document parts) serialised by openpyxl's own
objects once per distinct setting, so escaping and attribute order stay openpyxl's;
workbook.xml, the relationships, the content types and the zip (``workbook_bytes``).
Style objects are told apart by value once (``style_class``), as openpyxl compares them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import cache, lru_cache
from zipfile import ZIP_DEFLATED

from lxml.etree import tostring as _lxml_tostring
from openpyxl.compat import safe_string
from openpyxl.utils import quote_sheetname
from openpyxl.utils.indexed_list import IndexedList

from reporting.core.fileutil import FixedTimeZip

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def ascii_xml(el) -> str:
    """An lxml element as a worksheet stream writes it (ASCII, character references)."""
    return _lxml_tostring(el).decode("ascii")


def utf8_xml(el) -> bytes:
    return _lxml_tostring(el, encoding="utf-8")


@lru_cache(maxsize=8192)  # headers, labels and notes recur in every workbook of a run
def xml_text(value: str) -> str:
    """Element text as lxml writes it into a worksheet."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value.encode("ascii", "xmlcharrefreplace").decode("ascii")


def escape(value: str) -> str:
    """``xml.sax.saxutils.escape``, without importing that module (it imports
    urllib.request, http.client, ssl and the email parser)."""
    return value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(value: str) -> str:
    """``xml.sax.saxutils.quoteattr``: escaped, in double quotes unless the value holds
    only that kind of quote."""
    value = escape(value).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'


def _attr(value: str) -> str:
    """An attribute value as lxml writes it into a worksheet (ASCII, character references)."""
    for ch, ref in _ATTR_ESCAPES:
        if ch in value:
            value = value.replace(ch, ref)
    return value.encode("ascii", "xmlcharrefreplace").decode("ascii")


def hyperlink_xml(ref: str, location: str) -> str:
    """A link to a place in the workbook, as openpyxl's Hyperlink serialises (no relationship)."""
    return f'<hyperlink ref="{ref}" location="{_attr(location)}"/>'


_ATTR_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\n", "&#10;"),
    ("\r", "&#13;"),
    ("\t", "&#9;"),
)

_classes: dict = {}  # style object -> number of its equality class (hashed once)
_class_of: dict[int, tuple[int, object]] = {}  # id(style object) -> (class, the object)
# (kept alive here, so an id is never reused; style objects are module constants, so this
# stays small however many workbooks are written)


def style_class(obj) -> int:
    """openpyxl compares styles by value and hashes them on every use (slow); the module's
    style constants are hashed once here."""
    known = _class_of.get(id(obj))
    if known is None:
        known = _class_of[id(obj)] = (_classes.setdefault(obj, len(_classes)), obj)
    return known[0]


def cell_xml(ref: str, s: str, value, kind: str) -> str:
    """One ``<c>`` as openpyxl's lxml cell writer writes it (``s``: the style attribute or
    ""; ``kind``: openpyxl's data type "s", "e" or "n"): text inline, an error code or a
    number as a value, an empty element for no value."""
    if kind == "s":
        if value == "":
            return f'<c r="{ref}"{s} t="inlineStr"></c>'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{xml_text(value)}</t></is></c>'
    if value is None:
        return f'<c r="{ref}"{s} t="{kind}"></c>'
    if kind == "e":
        return f'<c r="{ref}"{s} t="e"><v>{xml_text(value)}</v></c>'
    return f'<c r="{ref}"{s} t="n"><v>{safe_string(value)}</v></c>'


# -- pieces serialised once per setting, by openpyxl's own objects ---------------------
@cache
def _scratch_sheet():
    from openpyxl import Workbook

    return Workbook().active


def sheet_pr_xml(fit: bool | None) -> str:
    return (
        '<sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>'
        + ("<pageSetUpPr/>" if fit is None else f'<pageSetUpPr fitToPage="{int(fit)}"/>')
        + "</sheetPr>"
    )


@cache
def views_xml(freeze: str, zoom: int | None) -> str:
    from openpyxl.worksheet.views import SheetView, SheetViewList

    ws = _scratch_sheet()
    ws.views = SheetViewList(sheetView=[SheetView()])
    if freeze:
        ws.freeze_panes = freeze
    if zoom is not None:
        ws.sheet_view.zoomScale = zoom
    return ascii_xml(ws.views.to_tree())


@cache
def protection_xml(password: str) -> str:
    from openpyxl.worksheet.protection import SheetProtection

    prot = SheetProtection(sheet=True, formatRows=False, formatColumns=False)
    if password:
        prot.password = password
    return ascii_xml(prot.to_tree())


@lru_cache(maxsize=256)
def page_xml(args: tuple | None, odd_header: tuple | None = None) -> str:
    """printOptions, pageMargins, pageSetup and headerFooter as ``xlsx_style.page_setup``
    sets them (``args``: its arguments after the sheet; None: openpyxl's defaults), with
    ``odd_header`` (left text, right text, font, size) as the page header."""
    from openpyxl.worksheet.worksheet import Worksheet

    from reporting.documents import xlsx_style as st

    ws = Worksheet(_scratch_sheet().parent)
    if args is not None:
        st.page_setup(ws, *args)
    if odd_header is not None:
        left, right, font, size = odd_header
        ws.oddHeader.left.text, ws.oddHeader.right.text = left, right
        for part in (ws.oddHeader.left, ws.oddHeader.right):
            part.font, part.size = font, size
    out = []
    for part in (ws.print_options, ws.page_margins, ws.page_setup, ws.HeaderFooter):
        if part:  # what openpyxl's worksheet writer leaves out when empty
            out.append(ascii_xml(part.to_tree()))
    return "".join(out)


_LEFT, _RIGHT = "DUBANLEFTTEXT", "DUBANRIGHTTEXT"  # ASCII stand-ins, escaped as themselves


def page_with_header(args: tuple | None, odd_header: tuple | None) -> str:
    """``page_xml`` with a page header whose texts change from sheet to sheet (the unit, the
    form id): serialised once with stand-ins, the texts escaped in (escaping goes character
    by character, so the bytes are the same)."""
    if odd_header is None:
        return page_xml(args)
    left, right, font, size = odd_header
    if any(ch == "&" or ch < " " for ch in left + right):  # codes openpyxl rewrites
        return page_xml(args, odd_header)
    text = page_xml(args, (_LEFT, _RIGHT, font, size))
    return text.replace(_LEFT, xml_text(left)).replace(_RIGHT, xml_text(right))


_DV_FIELDS = (
    "type errorStyle imeMode operator allow_blank showDropDown showInputMessage"
    " showErrorMessage errorTitle error promptTitle prompt formula1 formula2"
).split()
_dv_cache: dict[tuple, tuple[str, str]] = {}


def validation_xml(dv) -> str:
    """A DataValidation as openpyxl writes it, serialised once per setting (the cell
    ranges put in as a string)."""
    key = tuple(getattr(dv, f) for f in _DV_FIELDS)
    parts = _dv_cache.get(key)
    if parts is None:
        from copy import copy

        probe = copy(dv)
        probe.sqref = "A1"
        head, tail = ascii_xml(probe.to_tree()).split(' sqref="A1"', 1)
        parts = (head, tail)
        if len(_dv_cache) < 256:
            _dv_cache[key] = parts
    return f'{parts[0]} sqref="{dv.sqref}"{parts[1]}'


@cache
def col_breaks_xml(ids: tuple[int, ...]) -> str:
    from openpyxl.worksheet.pagebreak import Break, ColBreak

    breaks = ColBreak()
    for i in ids:
        breaks.append(Break(id=i))
    return ascii_xml(breaks.to_tree())


def row_breaks_xml(ids: tuple[int, ...]) -> str:
    """Manual page breaks below rows ``ids`` (1-based), as openpyxl writes ``row_breaks``."""
    from openpyxl.worksheet.pagebreak import Break, RowBreak

    breaks = RowBreak()
    for i in ids:
        breaks.append(Break(id=i))
    return ascii_xml(breaks.to_tree())


@cache
def _workbook_protection(password: str, lock: bool = True) -> str:
    from openpyxl.workbook.protection import WorkbookProtection

    prot = WorkbookProtection(lockStructure=True) if lock else WorkbookProtection()
    if password:
        prot.workbookPassword = password
    return utf8_xml(prot.to_tree("workbookProtection")).decode("utf-8")


_styles_cache: dict[tuple, bytes] = {}


def styles_xml(book) -> bytes:
    """styles.xml by openpyxl's stylesheet writer, once per distinct set of styles."""
    lists = (book.fonts, book.fills, book.borders, book.alignments, book.protections)
    key = (
        *(tuple(style_class(o) for o in styles.items) for styles in lists),
        tuple(book.xfs),
        tuple(book.number_formats),
    )
    known = _styles_cache.get(key)
    if known is not None:
        return known
    from openpyxl import Workbook
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.styles.stylesheet import write_stylesheet

    from reporting.documents import xlsx_style as st

    wb = Workbook()
    st.use_chinese_default_font(wb)
    wb._fonts = IndexedList(book.fonts.items)
    wb._fills = IndexedList(book.fills.items)
    wb._borders = IndexedList(book.borders.items)
    wb._alignments = IndexedList(book.alignments.items)
    wb._protections = IndexedList(book.protections.items)
    wb._number_formats = IndexedList(book.number_formats)
    wb._cell_styles = IndexedList(StyleArray(list(s)) for s in book.xfs)
    data = utf8_xml(write_stylesheet(wb))
    if len(_styles_cache) < 64:
        _styles_cache[key] = data
    return data


@cache
def fixed_parts() -> tuple[bytes, str]:
    from openpyxl.packaging.extended import ExtendedProperties
    from openpyxl.writer.theme import theme_xml

    return utf8_xml(ExtendedProperties().to_tree()), theme_xml


# document properties: serialised once per shape with stand-ins, each text put in
_PROPS_TEXT = (
    "creator title description subject identifier language lastModifiedBy category"
    " contentStatus version revision keywords"
).split()
_props_cache: dict[tuple, str] = {}


def _as_is(text: str) -> bool:
    """Text openpyxl and lxml write into an element unchanged (and no stand-in in it; an
    empty element is written short, outer spaces are marked preserved)."""
    return (
        text != ""
        and text == text.strip()
        and text.isprintable()
        and not any(c in text for c in "&<>")
        and "DUBANVALUE" not in text
    )


def _stand_in(i: int) -> str:
    return f"DUBANVALUE{i:03d}X"


def _filled(key: tuple, probe, texts: list) -> bytes:
    """The cached serialisation of ``probe()`` (stand-ins for ``texts``) with the texts in."""
    template = _props_cache.get(key)
    if template is None:
        template = utf8_xml(probe().to_tree()).decode("utf-8")
        if len(_props_cache) < 64:
            _props_cache[key] = template
    for i, text in enumerate(texts):
        if text is not None:
            template = template.replace(_stand_in(i), text)
    return template.encode("utf-8")


def core_xml(props) -> bytes:
    """docProps/core.xml of an openpyxl DocumentProperties, as its ``to_tree`` writes it."""
    texts = [getattr(props, name) for name in _PROPS_TEXT]
    if not all(t is None or _as_is(t) for t in texts):
        return utf8_xml(props.to_tree())

    def probe():
        out = type(props)()  # every field set below (a copy would take openpyxl's defaults)
        for i, text in enumerate(texts):
            setattr(out, _PROPS_TEXT[i], None if text is None else _stand_in(i))
        out.created, out.modified, out.lastPrinted = (
            props.created,
            props.modified,
            props.lastPrinted,
        )
        return out

    shape = tuple(t is None for t in texts)
    return _filled(("core", shape, props.created, props.modified, props.lastPrinted), probe, texts)


def custom_xml(custom) -> bytes:
    """docProps/custom.xml of an openpyxl CustomPropertyList of text properties, as its
    ``to_tree`` writes it."""
    from openpyxl.packaging.custom import CustomPropertyList, StringProperty

    texts = [p.value for p in custom.props]
    if not all(type(p) is StringProperty and _as_is(p.value) for p in custom.props):
        return utf8_xml(custom.to_tree())
    names = tuple(p.name for p in custom.props)

    def probe():
        out = CustomPropertyList()
        for i, name in enumerate(names):
            out.append(StringProperty(name=name, value=_stand_in(i)))
        return out

    return _filled(("custom", names), probe, texts)


# -- the workbook -------------------------------------------------------------------
def workbook_xml(book, password: str) -> bytes:
    sheets = "".join(
        f'<sheet xmlns:r="{_REL}" name={quoteattr(s.title)} sheetId="{i}"'
        f' state="{s.state}" r:id="rId{i}"/>'
        for i, s in enumerate(book.sheets, 1)
    )
    names = [f"<definedName name={quoteattr(n)}>{escape(v)}</definedName>" for n, v in book.names]
    for i, s in enumerate(book.sheets):
        q = quote_sheetname(s.title)
        if s.auto_filter:
            value = escape(f"{q}!{_absolute(s.auto_filter)}")
            names.append(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                f"{value}</definedName>"
            )
        titles = []
        if s.print_title_rows:
            a, b = s.print_title_rows.split(":")
            titles.append(f"{q}!${a}:${b}")
        if s.print_title_cols:
            a, b = s.print_title_cols.split(":")
            titles.append(f"{q}!${a}:${b}")
        if titles:
            value = escape(",".join(titles))
            names.append(
                f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{value}</definedName>'
            )
        if s.print_area:
            areas = [s.print_area] if isinstance(s.print_area, str) else s.print_area
            value = escape(",".join(f"{q}!{_absolute(a)}" for a in areas))
            names.append(
                f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">{value}</definedName>'
            )
    defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
    text = (
        f'<workbook xmlns="{MAIN}"><workbookPr/>{_workbook_protection(password, book.lock_structure)}'
        '<bookViews><workbookView visibility="visible" minimized="0" showHorizontalScroll="1"'
        ' showVerticalScroll="1" showSheetTabs="1" tabRatio="600" firstSheet="0" activeTab="0"'
        ' autoFilterDateGrouping="1"/></bookViews>'
        f"<sheets>{sheets}</sheets>{defined}"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )
    return text.encode("utf-8")


def _absolute(ref: str) -> str:
    """A1:B2 → $A$1:$B$2"""

    def one(cell: str) -> str:
        i = next(i for i, ch in enumerate(cell) if ch.isdigit())
        return f"${cell[:i]}${cell[i:]}"

    return ":".join(one(c) for c in ref.split(":"))


def rels_xml(targets: Iterable[tuple[str, str]]) -> bytes:
    body = "".join(
        f'<Relationship Type="{kind}" Target="{target}" Id="rId{i}"/>'
        for i, (kind, target) in enumerate(targets, 1)
    )
    return f'<Relationships xmlns="{_PKG_REL}">{body}</Relationships>'.encode()


_OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CT = "application/vnd.openxmlformats-"


def content_types_xml(n_sheets: int, custom: bool) -> bytes:
    over = [
        ("/xl/styles.xml", "officedocument.spreadsheetml.styles+xml"),
        ("/xl/theme/theme1.xml", "officedocument.theme+xml"),
        ("/docProps/core.xml", "package.core-properties+xml"),
        ("/docProps/app.xml", "officedocument.extended-properties+xml"),
    ]
    if custom:
        over.append(("/docProps/custom.xml", "officedocument.custom-properties+xml"))
    over += [
        (f"/xl/worksheets/sheet{i}.xml", "officedocument.spreadsheetml.worksheet+xml")
        for i in range(1, n_sheets + 1)
    ]
    over.append(("/xl/workbook.xml", "officedocument.spreadsheetml.sheet.main+xml"))
    body = "".join(f'<Override PartName="{p}" ContentType="{_CT}{t}"/>' for p, t in over)
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="{_CT}package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{body}</Types>"
    ).encode()


def workbook_bytes(book, props, custom_props, password: str) -> bytes:
    """The .xlsx bytes (fixed zip entry times), parts in openpyxl's order. ``props`` is an
    openpyxl DocumentProperties, ``custom_props`` a CustomPropertyList (or None)."""
    app, theme = fixed_parts()
    custom = custom_props is not None and len(custom_props) >= 1
    buf = io.BytesIO()
    with FixedTimeZip(buf, "w", ZIP_DEFLATED) as z:
        # parts most workbooks of a run share are deflated once (``repeated``); without
        # custom properties the document properties are a new workbook's and the run's time
        z.write_member("docProps/app.xml", app, repeated=True)
        z.write_member("docProps/core.xml", core_xml(props), repeated=not custom)
        z.write_member("xl/theme/theme1.xml", theme, repeated=True)
        if custom:
            z.write_member("docProps/custom.xml", custom_xml(custom_props))
        for i, sheet in enumerate(book.sheets, 1):
            z.write_member(f"xl/worksheets/sheet{i}.xml", sheet.xml())
        z.write_member("xl/styles.xml", styles_xml(book), repeated=True)
        z.write_member(
            "_rels/.rels",
            rels_xml(
                [
                    (_OD + "officeDocument", "xl/workbook.xml"),
                    (
                        "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                        "docProps/core.xml",
                    ),
                    (_OD + "extended-properties", "docProps/app.xml"),
                    *([(_OD + "custom-properties", "docProps/custom.xml")] if custom else []),
                ]
            ),
            repeated=True,
        )
        z.write_member("xl/workbook.xml", workbook_xml(book, password))
        n = len(book.sheets)
        z.write_member(
            "xl/_rels/workbook.xml.rels",
            rels_xml(
                [
                    *[(_OD + "worksheet", f"/xl/worksheets/sheet{i}.xml") for i in range(1, n + 1)],
                    (_OD + "styles", "styles.xml"),
                    (_OD + "theme", "theme/theme1.xml"),
                ]
            ),
            repeated=True,
        )
        z.write_member("[Content_Types].xml", content_types_xml(n, custom), repeated=True)
    return buf.getvalue()
